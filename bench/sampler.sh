#!/bin/sh
# bench/sampler.sh [SECONDS] - what a compute node's ldmsd costs.
#
# Runs ldmsd with meminfo + vmstat + procstat at 1 s for SECONDS (default 60)
# and, in the same run and at the same rate, bench/proc_floor: a bare loop that
# reads and parses the same three /proc files with the files kept open (the
# floor no sampler can go under).  CPU is the sum of the first field of
# /proc/PID/task/*/schedstat (ns on CPU, kernel time included) before and
# after: clock ticks are far too coarse (one tick over 60 s is 167 us per
# interval).  Prints CPU us per interval for both, their ratio, and ldmsd's
# peak RSS (VmHWM).  Not part of make check: the machine is shared and noisy,
# so read the ratio, not the absolute figures.
set -eu
secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
b=${VIGIL_BUILD:-$top/build/bench}
if [ ! -x "$b/ldmsd" ]; then
	"$top/scripts/build.sh" "$b" >/dev/null
fi
make -C "$b" bench >/dev/null
export VIGIL_PLUGIN_PATH="$b/.libs"
tmp=$(mktemp -d /tmp/vigil-bench.XXXXXX)
trap 'kill $pid $fpid 2>/dev/null; rm -rf "$tmp"' EXIT
cat >"$tmp/sampler.conf" <<CONF
load name=meminfo
config name=meminfo producer=bench instance=bench/meminfo component_id=1
start name=meminfo interval=1s offset=0
load name=vmstat
config name=vmstat producer=bench instance=bench/vmstat component_id=1
start name=vmstat interval=1s offset=0
load name=procstat
config name=procstat producer=bench instance=bench/procstat component_id=1
start name=procstat interval=1s offset=0
CONF
# the real binary, not libtool's wrapper script, so that /proc/PID is ldmsd's
bin="$b/.libs/lt-ldmsd"
[ -x "$bin" ] || bin="$b/.libs/ldmsd"
[ -x "$bin" ] || bin="$b/ldmsd"
port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 ))
LD_LIBRARY_PATH="$b/.libs" "$bin" -F -x "sock:$port" -S "$tmp/ctl" -c "$tmp/sampler.conf" -v ERROR &
pid=$!
ctl() { LD_LIBRARY_PATH="$b/.libs" "$b/ldmsctl" -S "$tmp/ctl" "$@"; }
i=0
until ctl plugn_status >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "ldmsd did not start"; exit 1; }
	sleep 0.1
done
sleep 2.5 # past the first samples (page faults of the first touch)
# as an aggregator would: connect, list, look every set up and read it
LD_LIBRARY_PATH="$b/.libs" "$b/ldms_ls" -h 127.0.0.1 -p "$port" -l >/dev/null

cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }
samples() { ctl plugn_status name=meminfo | awk '$1 == "meminfo" { print $7 }'; }

"$b/bench/proc_floor" "$secs" 1000000 >"$tmp/floor.out" 2>/dev/null &
fpid=$!
c0=$(cpu_ns $pid); s0=$(samples)
sleep "$secs"
c1=$(cpu_ns $pid); s1=$(samples)
wait $fpid
n=$((s1 - s0))
hwm=$(awk '/^VmHWM/ { print $2 }' /proc/$pid/status)
pss=$(awk '/^Pss:/ { print $2 }' /proc/$pid/smaps_rollup)
priv=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' /proc/$pid/smaps_rollup)
rss=$(awk '/^VmRSS/ { print $2 }' /proc/$pid/status)
floor=$(sed -n 's/^floor: [0-9]* iterations, \([0-9.]*\) .*/\1/p' "$tmp/floor.out")
awk -v c="$((c1 - c0))" -v n="$n" -v f="$floor" -v hwm="$hwm" -v rss="$rss" -v pss="$pss" -v priv="$priv" 'BEGIN {
	per = c / 1000 / n
	printf "ldmsd (meminfo+vmstat+procstat, 1 s): %d intervals, %.1f us CPU per interval\n", n, per
	printf "floor (bare read+parse of the 3 files): %.1f us CPU per interval\n", f
	printf "ratio ldmsd/floor: %.2fx   (target <= 1.3x)\n", per / f
	printf "ldmsd RSS: VmHWM %d kB, VmRSS %d kB   (target <= 2048 kB)\n", hwm, rss
	printf "ldmsd memory not shared with other processes: Private %d kB, PSS %d kB\n", priv, pss
	printf "for scale (measured on this kind of machine): LDMS 4.4.6 ldmsd 200 us and 7.2 MB;\n"
	printf "collectd 2.1 ms and 2.7 MB; node_exporter 1.5 ms per scrape and 20 MB\n"
}'
kill -TERM $pid; wait $pid
