#!/bin/sh
# build.sh [DIR [CONFIGURE-ARGS...]] - configure and build vigil out of tree in DIR
# (default build/normal), after installing what is missing.  The tree's own
# install prefix is DIR/_prefix (make install there does not touch the system;
# for a system install run ./configure && make && make install yourself).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build/normal}
[ $# -gt 0 ] && shift
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi >/dev/null 2>&1
mkdir -p "$dir"
cd "$dir"
args="--enable-werror --prefix=$(pwd)/_prefix $*"
# reconfigure when configure changed or the arguments differ from last time
if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ] ||
	[ "$(cat config.args 2>/dev/null)" != "$args" ]; then
	# shellcheck disable=SC2086
	"$top/configure" $args >configure.out 2>&1 || { cat configure.out; exit 1; }
	echo "$args" >config.args
fi
make -j"$(nproc)" >make.out 2>&1 || { tail -50 make.out; exit 1; }
