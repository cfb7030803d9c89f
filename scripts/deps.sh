#!/bin/sh
# deps.sh - install the Debian 12 packages vigil needs to build and test.
# Does nothing when they are already installed; needs root (or sudo) otherwise.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config libcunit1-dev libedit-dev iproute2 procps munge libmunge-dev libssl-dev libfabric-dev libibverbs-dev librdmacm-dev libyaml-dev etcd-server etcd-client"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps.sh: need root to install:$missing (apt-get install$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
