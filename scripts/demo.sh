#!/bin/sh
# demo.sh - a compute node on loopback: ldmsd samples meminfo, vmstat and
# procstat every second into shared memory; ldms_ls lists the sets and
# prints their live values twice, one second apart.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" build/normal
b="$top/build/normal"
export VIGIL_PLUGIN_PATH="$b/.libs"
tmp=$(mktemp -d /tmp/vigil-demo.XXXXXX)
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
host=$(hostname -s 2>/dev/null || echo node1)
cat >"$tmp/sampler.conf" <<CONF
load name=meminfo
config name=meminfo producer=$host instance=$host/meminfo component_id=1
start name=meminfo interval=1s offset=0
load name=vmstat
config name=vmstat producer=$host instance=$host/vmstat component_id=1
start name=vmstat interval=1s offset=0
load name=procstat
config name=procstat producer=$host instance=$host/procstat component_id=1
start name=procstat interval=1s offset=0
CONF
echo "\$ ldmsd -F -x sock:$port:127.0.0.1 -c sampler.conf -S ctl.sock"
cat "$tmp/sampler.conf" | sed 's/^/    /'
"$b/ldmsd" -F -x "sock:$port:127.0.0.1" -c "$tmp/sampler.conf" -S "$tmp/ctl.sock" \
	-l "$tmp/ldmsd.log" -v INFO &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
i=0
until "$b/ldms_ls" -h 127.0.0.1 -p "$port" -l "$host/procstat" 2>/dev/null | head -1 | grep -q ": consistent"; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "ldmsd did not come up:"; cat "$tmp/ldmsd.log"; exit 1; }
	sleep 0.1
done
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $port"
"$b/ldms_ls" -h 127.0.0.1 -p "$port"
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $port -v"
"$b/ldms_ls" -h 127.0.0.1 -p "$port" -v
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $port -l"
"$b/ldms_ls" -h 127.0.0.1 -p "$port" -l
sleep 1
echo "\$ ldms_ls -h 127.0.0.1 -p $port -l $host/meminfo $host/procstat   # one second later"
"$b/ldms_ls" -h 127.0.0.1 -p "$port" -l "$host/meminfo" "$host/procstat"
echo "\$ ldmsctl -S ctl.sock plugn_status"
"$b/ldmsctl" -S "$tmp/ctl.sock" plugn_status
kill -TERM $pid; wait $pid || true
trap 'rm -rf "$tmp"' EXIT
echo "ldmsd stopped (SIGTERM); its log:"
sed 's/^/    /' "$tmp/ldmsd.log"
