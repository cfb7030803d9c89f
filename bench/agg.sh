#!/bin/sh
# bench/agg.sh [SECONDS] - what an aggregator costs, as LDMS 4.4.6 was measured
# on this kind of machine (sock, loopback, 1 s, sets of 50 u64):
#   1. aggregator CPU per set update: no store / store_csv buffered / buffer=0
#      (N sets, default 1000; CPU from summed /proc/PID/task/*/schedstat);
#   2. aggregator RSS per mirrored set (VmRSS with N sets minus with none);
#   3. sample -> CSV row latency, p50/p99: pull at offset 100 ms (100 sets),
#      push (100 and 1000 sets);
#   4. after kill -9 and restart of a sampler, seconds to its first new row.
# Prints figures and the ratio to LDMS's; not part of make check.
set -eu
secs=${1:-20}
N=${N:-1000}
top=$(cd "$(dirname "$0")/.." && pwd)
b=${VIGIL_BUILD:-$top/build/bench}
[ -x "$b/ldmsd" ] || "$top/scripts/build.sh" "$b" >/dev/null
make -C "$b" >/dev/null
export VIGIL_PLUGIN_PATH="$b/.libs" LD_LIBRARY_PATH="$b/.libs"
bin="$b/.libs/lt-ldmsd"
[ -x "$bin" ] || bin="$b/.libs/ldmsd"
tmp=$(mktemp -d /tmp/vigil-bench-agg.XXXXXX)
pids=""
trap 'set +e; for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
. "$top/bench/lib.sh"
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' /proc/"$1"/status; }
wait_ready() {
	i=0
	until ready "$1" "$2"; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "sets not ready at $1"; exit 1; }
		sleep 0.1
	done
}

# sampler NAME NSETS PORT: test_sampler with NSETS sets of 50 u64 at 1 s
sampler() {
	s50_config "$2" >"$tmp/$1.conf"
	"$bin" -F -x "sock:$3:127.0.0.1" -m 64M -c "$tmp/$1.conf" -v ERROR &
	pids="$pids $!"
	SPID=$!
}

# agg NAME SPORT STORE(none|buf|sync) MODE(pull|push)
agg() {
	{
		case $3 in
		buf) echo "load name=store_csv"; echo "config name=store_csv path=$tmp/$1.csv" ;;
		sync) echo "load name=store_csv"; echo "config name=store_csv path=$tmp/$1.csv buffer=0" ;;
		esac
		echo "prdcr_add name=node host=127.0.0.1 port=$2 xprt=sock type=active reconnect=1s"
		echo "prdcr_start name=node"
		if [ "$4" = push ]; then
			echo "updtr_add name=u interval=1s push=onchange"
		else
			echo "updtr_add name=u interval=1s offset=100ms"
		fi
		echo "updtr_prdcr_add name=u regex=.*"
		echo "updtr_start name=u"
		if [ "$3" != none ]; then
			echo "strgp_add name=s plugin=store_csv container=c schema=s50"
			echo "strgp_start name=s"
		fi
	} >"$tmp/$1.agg.conf"
	"$bin" -F -x "sock:$(port):127.0.0.1" -m 64M -S "$tmp/$1.sock" -c "$tmp/$1.agg.conf" \
		-v ERROR -l "$tmp/$1.log" &
	pids="$pids $!"
	APID=$!
}

stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

echo "== 1. aggregator CPU per set update ($N sets of 50 u64, 1 s, ${secs} s per mode)"
sport=$(port)
sampler big "$N" "$sport"
big=$SPID
sleep 1
for mode in none buf sync; do
	agg "$mode" "$sport" "$mode" pull
	wait_ready "$tmp/$mode.sock" "$N"
	sleep 2
	c0=$(cpu_ns "$APID")
	sleep "$secs"
	c1=$(cpu_ns "$APID")
	if [ "$mode" = none ]; then rss_n=$(rss_kb "$APID"); fi
	stop "$APID"
	rows=$N
	if [ "$mode" != none ]; then rows=$(grep -vc '^#' "$tmp/$mode.csv/c/s50"); fi
	case $mode in none) ldms=4.9 ;; buf) ldms=8 ;; sync) ldms=72 ;; esac
	awk -v c=$((c1 - c0)) -v n="$N" -v s="$secs" -v l="$ldms" -v m="$mode" -v r="$rows" 'BEGIN {
		us = c / 1000 / (n * s)
		printf "  %-5s %6.2f us/update   LDMS %5.1f us   (%.1fx less)   rows stored: %d\n", m, us, l, l / us, r }'
done

echo "== 2. aggregator RSS per mirrored set"
agg empty "$(port)" none pull # a producer that never connects: no sets
sleep 2
rss0=$(rss_kb "$APID")
stop "$APID"
awk -v a="$rss_n" -v b="$rss0" -v n="$N" 'BEGIN {
	printf "  %d kB with %d sets, %d kB with none: %.2f kB per set   LDMS 12 kB (%.1fx less)\n",
	a, n, b, (a - b) / n, 12 / ((a - b) / n) }'
stop "$big"

echo "== 3. sample -> CSV row latency (buffer=0; ${secs} s)"
for spec in "pull 100" "push 100" "push 1000"; do
	set -- $spec
	sport=$(port)
	sampler lat "$2" "$sport"
	s=$SPID
	agg "lat$1$2" "$sport" sync "$1"
	wait_ready "$tmp/lat$1$2.sock" "$2"
	res=$(python3 "$top/bench/csv_latency.py" "$tmp/lat$1$2.csv/c/s50" "$secs")
	stop "$APID"
	stop "$s"
	case $spec in "pull 100") ldms="161 (p99, offset 100 ms)" ;; "push 100") ldms="23" ;; *) ldms="166" ;; esac
	echo "$res" | awk -v m="$1" -v n="$2" -v l="$ldms" '{
		printf "  %-4s %4d sets: %d rows, p50 %s ms, p99 %s ms, max %s ms   LDMS p99 %s ms\n", m, n, $1, $2, $3, $4, l }'
done

echo "== 4. sampler kill -9 and restart: time to its first new row"
sport=$(port)
sampler rs 1 "$sport"
agg rs "$sport" sync pull
wait_ready "$tmp/rs.sock" 1
sleep 2
kill -9 "$SPID"
sleep 2
before=$(grep -vc '^#' "$tmp/rs.csv/c/s50")
t0=$(date +%s%N)
sampler rs 1 "$sport"
until [ "$(grep -vc '^#' "$tmp/rs.csv/c/s50")" -gt "$before" ]; do sleep 0.005; done
t1=$(date +%s%N)
awk -v d=$((t1 - t0)) 'BEGIN { printf "  first row %.2f s after the sampler restarted (reconnect=1s)   LDMS 3.4 s\n", d / 1e9 }'
stop "$APID"
stop "$SPID"
