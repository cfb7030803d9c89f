#!/bin/sh
# The balancer keeps 30 producers spread over 3 L1 aggregators (a balanced
# group of one cluster YAML, ldmsd -y) and moves the producers of a failed
# one to the survivors, while an L2 stores everything:
#  - initial assignment: heaviest L1 within 10 % of the lower bound;
#  - kill -9 of an L1: each of its producers updated by a survivor within
#    2 s; in the L2's CSV unmoved producers miss no sample, moved ones at
#    most 2;
#  - SIGSTOP of an L1: the same within 5 s;
#  - the killed L1 restarted: it gets work back, no producer misses a sample;
#  - the balancer killed and restarted: reloads its state, moves nothing;
#  - every L1 down: status says so; one back: its producers flow again.
. "$top_srcdir/tests/lib/common.sh"

BALANCER="$top_builddir/ldms-balancer"
if [ ! -x "$BALANCER" ]; then
	echo "SKIP: ldms-balancer not built (configure found no libyaml: apt-get install libyaml-dev)"
	exit 77
fi
N=30


SP=$(free_port_block $N)
AP=$(free_port_block 4)
# unequal producers: 10 small sets at 1 s, 10 big ones at 1 s, 10 medium ones at 500 ms
i=1
while [ $i -le $N ]; do
	if [ $i -le 10 ]; then nm=4 iv=1s; elif [ $i -le 20 ]; then nm=60 iv=1s; else nm=20 iv=500ms; fi
	cat >"$TMP/smp-$i.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts$nm num_metrics=$nm
config name=test_sampler action=add_set instance=smp-$i/ts schema=ts$nm producer=smp-$i
start name=test_sampler interval=$iv offset=0
EOF
	echo "smp-$i $iv" >>"$TMP/intervals"
	"$LDMSD" -F -x sock:$((SP + i - 1)):127.0.0.1 -n smp-$i -l "$TMP/smp-$i.log" \
		-c "$TMP/smp-$i.conf" >"$TMP/smp-$i.out" 2>&1 &
	PIDS="$PIDS $!"
	i=$((i + 1))
done

cat >"$TMP/cluster.yaml" <<EOF
daemons:
  - names: "smp-[1-$N]"
    hosts: "127.0.0.1"
    endpoints:
      - names: "smp-[1-$N]-sock"
        ports: "[$SP-$((SP + N - 1))]"
        xprt: sock
  - names: "l1-[1-3]"
    hosts: "127.0.0.1"
    endpoints:
      - names: "l1-[1-3]-sock"
        ports: "[$AP-$((AP + 2))]"
        xprt: sock
        maestro_comm: true
  - names: "l2"
    hosts: "127.0.0.1"
    endpoints:
      - names: "l2-sock"
        ports: $((AP + 3))
        xprt: sock
        maestro_comm: true
aggregators:
  - daemons: "l1-[1-3]"
    balance: true
    peers:
      - daemons: "smp-[1-$N]"
        endpoints: "smp-[1-$N]-sock"
        reconnect: 500ms
        type: active
        updaters:
          - mode: pull
            interval: 250ms
            offset: 50ms
  - daemons: "l2"
    peers:
      - daemons: "l1-[1-3]"
        endpoints: "l1-[1-3]-sock"
        reconnect: 250ms
        type: active
        updaters:
          - mode: pull
            interval: 250ms
            offset: 100ms
stores:
  - name: csv4
    daemons: "l2"
    container: c
    schema: ts4
    plugin:
      name: store_csv
      config: {path: "$TMP/csv", buffer: 0}
  - name: csv60
    daemons: "l2"
    container: c
    schema: ts60
    plugin:
      name: store_csv
      config: {path: "$TMP/csv", buffer: 0}
  - name: csv20
    daemons: "l2"
    container: c
    schema: ts20
    plugin:
      name: store_csv
      config: {path: "$TMP/csv", buffer: 0}
balancer:
  heartbeat: 500ms
  misses: 2
  stuck: 3s
  threshold: 1.25
EOF
"$top_builddir/tools/ldms-conf" check "$TMP/cluster.yaml" >"$TMP/check.out" 2>&1 ||
	fail "ldms-conf check: $(cat "$TMP/check.out")"

# start_agg NAME PORT: ldmsd -y from the cluster file
start_agg() {
	"$LDMSD" -F -y "$TMP/cluster.yaml" -n "$1" -l "$TMP/$1.log" -v INFO >"$TMP/$1.out" 2>&1 &
	eval "PID_$(echo "$1" | tr -d -)=$!"
	PIDS="$PIDS $!"
	wait_for 20 listening "$2" || fail "$1 did not start: $(cat "$TMP/$1.out")"
}
start_agg l1-1 $AP
start_agg l1-2 $((AP + 1))
start_agg l1-3 $((AP + 2))
start_agg l2 $((AP + 3))
i=1
while [ $i -le $N ]; do
	wait_for 20 listening $((SP + i - 1)) || fail "sampler smp-$i did not start"
	i=$((i + 1))
done

start_balancer() {
	"$BALANCER" -c "$TMP/cluster.yaml" --state "$TMP/bal.state" -l "$TMP/balancer.log" \
		>"$TMP/balancer.out" 2>&1 &
	BAL_PID=$!
	PIDS="$PIDS $BAL_PID"
}
start_balancer

ctl() { $LDMSCTL -h 127.0.0.1 -p "$1" "$2"; }
# active NAME PORT: the producers an L1 reports active
active() { ctl "$1" prdcr_load 2>/dev/null | awk '$3 == "active" { print $1 }'; }
status() { "$BALANCER" status -c "$TMP/cluster.yaml" --state "$TMP/bal.state"; }
# every producer active at exactly one L1
assigned() {
	{ active $AP; active $((AP + 1)); active $((AP + 2)); } | sort >"$TMP/act"
	[ "$(wc -l <"$TMP/act")" -eq $N ] && [ -z "$(uniq -d "$TMP/act")" ]
}
wait_for 30 assigned || fail "the producers are not assigned once each: $(cat "$TMP/act" | tr '\n' ' ')"
wait_for 10 sh -c "grep -q imbalance '$TMP/bal.state.status'" || fail "no status: $(status)"
ratio=$(status | sed -n 's/.*imbalance \([0-9.]*\).*/\1/p')
log "initial assignment: heaviest / lower bound = $ratio"
awk -v r="$ratio" 'BEGIN { exit !(r <= 1.10) }' || fail "imbalance $ratio > 1.10: $(status)"

# rows_of PRODUCER: its rows at L2
producers_in_csv() { awk -F, '!/^#/ { print $3 }' "$TMP"/csv/c/ts* 2>/dev/null | sort -u | wc -l; }
wait_for 30 sh -c "[ \$(awk -F, '!/^#/ { print \$3 }' $TMP/csv/c/ts* 2>/dev/null | sort -u | wc -l) -eq $N ]" ||
	fail "not every producer reaches the L2's CSV: $(producers_in_csv)"

# fresh_on PORT PRODUCERS... : each is active at that L1 and was updated in the last MS ms
# (a hung L1 would hold ldmsctl until its timeout: only the ports in $LIVE are asked)
LIVE="$AP $((AP + 1)) $((AP + 2))"
updated_since() { # MS PRODUCER...: every producer updated (at some live L1) within MS ms
	local ms=$1 port
	shift
	for port in $LIVE; do ctl $port prdcr_load; done 2>/dev/null |
		awk -v ms="$ms" '$3 == "active" && $7 != "-" && $7 + 0 < ms { print $1 }' | sort -u >"$TMP/fresh"
	for p in "$@"; do grep -qx "$p" "$TMP/fresh" || return 1; done
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# failover SIGNAL L1 PORT LIMIT_S: stop an L1, time until its producers are updated elsewhere
failover() {
	local sig=$1 name=$2 port=$3 limit=$4 pid t0 t1
	moved=$(active "$port" | tr '\n' ' ')
	[ -n "$moved" ] || fail "$name has no producers"
	pid=$(eval echo "\$PID_$(echo "$name" | tr -d -)")
	LIVE=$(echo " $LIVE " | sed "s/ $port / /")
	t0=$(now_ms)
	kill -"$sig" "$pid"
	# updated after the failure: within (now - t0) ms
	while :; do
		t1=$(now_ms)
		updated_since $((t1 - t0)) $moved 2>/dev/null && break
		[ $((t1 - t0)) -gt $((limit * 1000 + 5000)) ] && break
		sleep 0.05
	done
	log "SIG$sig $name: $(echo $moved | wc -w) producers updated elsewhere after $((t1 - t0)) ms"
	[ $((t1 - t0)) -le $((limit * 1000)) ] ||
		fail "SIG$sig $name: producers not updated by a survivor within $limit s: $(status)"
}

T_KILL=$(date +%s)
failover KILL l1-1 $AP 2
MOVED_KILL=$moved
sleep 3
T_STOP=$(date +%s)
failover STOP l1-2 $((AP + 1)) 5
MOVED_STOP=$moved
status | grep -q "l1-1 .*dead" || fail "status does not say l1-1 is dead: $(status)"
kill -CONT "$PID_l12"
LIVE="$((AP + 1)) $((AP + 2))"
sleep 3

# the killed L1 returns: it gets work back (loads were 1.5x the bound without it)
T_BACK=$(date +%s)
start_agg l1-1 $AP
LIVE="$AP $((AP + 1)) $((AP + 2))"
has_work() { [ -n "$(active $AP)" ]; }
wait_for 15 has_work || fail "l1-1 got no work back: $(status)"
wait_for 10 assigned || fail "after l1-1 returned, producers not assigned once each"
sleep 4

# samples missing per producer between two times: interval-aware
missing() { # FROM TO PRODUCERS...  (sum and max over the producers)
	local from=$1 to=$2
	shift 2
	awk -F, -v from="$from" -v to="$to" -v list="$*" '
		FNR == NR { split($0, f, " "); iv[f[1]] = (f[2] == "500ms") ? 0.5 : 1; next }
		BEGIN { n = split(list, l, " "); for (i = 1; i <= n; i++) want[l[i]] = 1 }
		/^#/ || !($3 in want) || $1 < from || $1 > to { next }
		{ t[$3, ++c[$3]] = $1 }
		END {
			for (p in c) {
				m = 0
				for (i = 2; i <= c[p]; i++) {
					g = int((t[p, i] - t[p, i - 1]) / iv[p] + 0.5) - 1
					if (g > 0) m += g
				}
				sum += m; if (m > max) max = m
			}
			print sum + 0, max + 0
		}' "$TMP/intervals" "$TMP"/csv/c/ts*
}
all=$(awk '{ print $1 }' "$TMP/intervals" | tr '\n' ' ')
unmoved_kill=$(for p in $all; do echo " $MOVED_KILL " | grep -q " $p " || echo $p; done | tr '\n' ' ')
set -- $(missing $((T_KILL - 2)) $((T_STOP - 1)) $unmoved_kill)
log "kill -9: unmoved producers missed $1 samples"
[ "$1" -eq 0 ] || fail "kill -9: producers not on the dead L1 missed $1 samples"
set -- $(missing $((T_KILL - 2)) $((T_STOP - 1)) $MOVED_KILL)
log "kill -9: moved producers missed $1 samples, at most $2 each"
[ "$2" -le 2 ] || fail "kill -9: a moved producer missed $2 samples (at most 2)"
set -- $(missing $((T_BACK - 1)) $(($(date +%s) - 1)) $all)
log "l1-1 back: producers missed $1 samples"
[ "$1" -eq 0 ] || fail "when l1-1 returned producers missed $1 samples"
dups=$(awk -F, '!/^#/ { print $3, $1 }' "$TMP"/csv/c/ts* | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups duplicate rows in the L2's CSV"

# balancer restart: reloads its state, moves nothing
kill -KILL "$BAL_PID"
cp "$TMP/bal.state" "$TMP/bal.state.before"
mv "$TMP/balancer.log" "$TMP/balancer-1.log"
start_balancer
wait_for 10 grep -q "assignments loaded" "$TMP/balancer.log" || fail "the restarted balancer did not load its state"
sleep 3
grep -- "->" "$TMP/balancer.log" && fail "the restarted balancer moved producers"
cmp -s "$TMP/bal.state" "$TMP/bal.state.before" || fail "the assignment changed after the restart"

# a producer its L1 cannot reach (stopped there), while the others can: it moves
cut=$(active $((AP + 2)) | head -1)
[ -n "$cut" ] || fail "l1-3 has no producer"
ctl $((AP + 2)) "prdcr_stop name=$cut" >/dev/null || fail "prdcr_stop refused"
moved_off() { [ -n "$({ active $AP; active $((AP + 1)); } | grep -x "$cut")" ]; }
wait_for 10 moved_off || fail "$cut, unreachable from l1-3, was not moved: $(status)"
wait_for 5 updated_since 1500 "$cut" || fail "$cut is not updated after its move"
log "$cut, cut off from its L1, moved and updated"

# a stuck L1: it answers but stops updating (its updater stopped): its producers move
ctl $((AP + 1)) "updtr_stop name=updtr_0" || fail "updtr_stop refused"
stuck_moved=$(active $((AP + 1)) | tr '\n' ' ')
is_stuck() { status | grep -q "l1-2 .*stuck"; }
wait_for 10 is_stuck || fail "l1-2 not judged stuck: $(status)"
LIVE="$AP $((AP + 2))"
[ -z "$stuck_moved" ] || wait_for 5 updated_since 1500 $stuck_moved ||
	fail "the stuck L1's producers were not moved: $(status)"
[ -z "$(active $((AP + 1)))" ] || fail "the stuck L1 still has producers active"
log "stuck L1: judged and its $(echo $stuck_moved | wc -w) producers moved"

# a sampler nobody can reach: status names it
kill -KILL "$(pgrep -f "ldmsd -F -x sock:$((SP + 29)):127.0.0.1")"
unreachable() { status | grep -q "unreachable from every aggregator: .*smp-30"; }
wait_for 10 unreachable || fail "status does not name smp-30 as unreachable: $(status)"

# every L1 down: status says so; one back: its producers are updated again
kill -KILL $PID_l11 $PID_l12 $PID_l13
all_down() { status | grep -q "ALL AGGREGATORS OF THIS GROUP ARE DOWN"; }
wait_for 10 all_down || fail "status does not say all aggregators are down: $(status)"
start_agg l1-3 $((AP + 2))
LIVE=$((AP + 2))
all_on_l13() { [ "$(active $((AP + 2)) | wc -l)" -eq $N ]; }
wait_for 15 all_on_l13 || fail "l1-3 did not take every producer: $(active $((AP + 2)) | wc -l)"
t=$(now_ms)
alive_ones=$(echo " $all " | sed 's/ smp-30 / /')
wait_for 5 updated_since 3000 $alive_ones || fail "producers not updated after l1-3 returned"
kill -0 "$BAL_PID" || fail "the balancer died"
# a clean stop (a sanitizer build reports leaks through the exit status)
kill -TERM "$BAL_PID"
wait_for 10 exited "$BAL_PID" || fail "the balancer did not stop on SIGTERM"
wait "$BAL_PID" || fail "the balancer exited with status $? after SIGTERM"
exit 0
