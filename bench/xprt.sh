#!/bin/sh
# bench/xprt.sh [SECONDS] [XPRT...] - transports side by side (default: sock and
# fabric when built): N sets (default 10,000, 50 u64 each) sampled at 1 s on a
# sampler ldmsd, pulled at 1 s by an aggregator over each transport.
# For each transport it prints
#   - updates per second per core at the aggregator (updates / aggregator CPU s),
#   - CPU per update at the *sampler*: (sampler CPU with the aggregator pulling
#     - sampler CPU alone, same run) / updates.  One-sided reads should make it
#     near zero; the sock driver serves every read on the sampler's CPU.
# CPU is summed /proc/PID/task/*/schedstat.  Not part of make check.
set -eu
secs=${1:-20}
[ $# -gt 0 ] && shift
N=${N:-10000}
top=$(cd "$(dirname "$0")/.." && pwd)
b=${VIGIL_BUILD:-$top/build/bench}
[ -x "$b/ldmsd" ] || "$top/scripts/build.sh" "$b" >/dev/null
make -C "$b" >/dev/null
export VIGIL_PLUGIN_PATH="$b/.libs" LD_LIBRARY_PATH="$b/.libs"
bin="$b/.libs/lt-ldmsd"
[ -x "$bin" ] || bin="$b/.libs/ldmsd"
xprts=${*:-sock fabric}
tmp=$(mktemp -d /tmp/vigil-bench-xprt.XXXXXX)
pids=""
trap 'set +e; for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT

. "$top/bench/lib.sh"
s50_config "$N" >"$tmp/sampler.conf"
mem=$(( N * 8 / 1024 + 16 ))M

for x in $xprts; do
	sport=$(port)
	"$bin" -F -x "$x:$sport:127.0.0.1" -m "$mem" -c "$tmp/sampler.conf" -v ERROR \
		>"$tmp/s.$x.out" 2>&1 &
	spid=$!
	pids="$pids $spid"
	sleep 2
	if ! kill -0 "$spid" 2>/dev/null; then
		echo "== $x: not available: $(head -1 "$tmp/s.$x.out")"
		continue
	fi
	# the sampler alone, as the baseline of its own CPU
	s0=$(cpu_ns "$spid")
	sleep "$secs"
	s1=$(cpu_ns "$spid")
	cat >"$tmp/agg.$x.conf" <<EOF
prdcr_add name=node host=127.0.0.1 port=$sport xprt=$x type=active reconnect=1s
prdcr_start name=node
updtr_add name=u interval=1s offset=100ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
EOF
	"$bin" -F -x "$x:$(port):127.0.0.1" -m "$mem" -S "$tmp/agg.$x.sock" -c "$tmp/agg.$x.conf" \
		-v ERROR &
	apid=$!
	pids="$pids $apid"
	i=0
	until ready "$tmp/agg.$x.sock" "$N"; do
		i=$((i + 1)); [ $i -lt 1200 ] || { echo "== $x: sets not ready"; break; }
		sleep 0.1
	done
	sleep 2
	a0=$(cpu_ns "$apid")
	s2=$(cpu_ns "$spid")
	sleep "$secs"
	a1=$(cpu_ns "$apid")
	s3=$(cpu_ns "$spid")
	kill "$apid" "$spid"
	wait "$apid" "$spid" 2>/dev/null || true
	awk -v x="$x" -v n="$N" -v s="$secs" -v a=$((a1 - a0)) -v base=$((s1 - s0)) -v pulled=$((s3 - s2)) 'BEGIN {
		upd = n * s
		printf "== %-6s %d sets: aggregator %.0f updates/s per core (%.2f us/update); ", x, n, upd / (a / 1e9), a / 1000 / upd
		printf "sampler %.2f us/update of its CPU for serving reads (%.1f ms/s pulled vs %.1f ms/s alone)\n",
			(pulled - base) / 1000 / upd, pulled / 1e6 / s, base / 1e6 / s }'
done
