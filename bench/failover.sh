#!/bin/sh
# bench/failover.sh [TRIALS] - the balancer's failover, measured.
#
# N producers (default 100 sampler ldmsd, test_sampler at 1 s, three set
# sizes), a balanced group of 3 L1s (ldmsd -y of one cluster YAML), an L2
# storing everything to CSV, ldms-balancer with a 500 ms heartbeat.  TRIALS
# (default 20) rounds of: kill -9 of one L1 (in turn), then its restart;
# SIGSTOP of one L1, then SIGCONT.  Prints
#   - per moved producer, the time from the failure until a survivor
#     updated it (polled every ~50 ms from the survivors' prdcr_load):
#     p50, p99, max, for kill -9 and for SIGSTOP;
#   - samples lost per producer in the L2's CSV around each failure, moved
#     and unmoved (targets: p99 < 2 s kill, < 5 s stop, 0 lost unmoved);
#   - the balancer's CPU (summed /proc/PID/task/*/schedstat) per second;
#   - bench/assign: 10,000 producers over 100 aggregators.
# Not part of make check.
set -eu
TRIALS=${1:-20}
N=${N:-100}
top=$(cd "$(dirname "$0")/.." && pwd)
b=${VIGIL_BUILD:-$top/build/bench}
[ -x "$b/ldmsd" ] || "$top/scripts/build.sh" "$b" >/dev/null
make -C "$b" >/dev/null
make -C "$b" bench >/dev/null
export VIGIL_PLUGIN_PATH="$b/.libs" LD_LIBRARY_PATH="$b/.libs"
tmp=$(mktemp -d /tmp/vigil-bench-failover.XXXXXX)
pids=""
trap 'set +e; for p in $pids; do kill -CONT $p 2>/dev/null; kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
. "$top/bench/lib.sh"

port_free() { ! grep -q "$(printf ':%04X ' "$1")" /proc/net/tcp /proc/net/tcp6 2>/dev/null; }
port_block() {
	while :; do
		base=$(port)
		i=0
		while [ $i -lt "$1" ] && port_free $((base + i)); do i=$((i + 1)); done
		[ $i -eq "$1" ] && { echo "$base"; return; }
	done
}
listening() {
	awk -v h="$(printf ':%04X' "$1")" '$2 ~ h"$" && $4 == "0A" { f = 1 } END { exit !f }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}
wait_listen() { i=0; until listening "$1"; do i=$((i + 1)); [ $i -gt 200 ] && return 1; sleep 0.1; done; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

SP=$(port_block "$N")
AP=$(port_block 4)
i=1
while [ $i -le "$N" ]; do
	nm=$(( (i % 3) * 30 + 4 ))
	cat >"$tmp/smp-$i.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts$nm num_metrics=$nm
config name=test_sampler action=add_set instance=smp-$i/ts schema=ts$nm producer=smp-$i
start name=test_sampler interval=1s offset=0
EOF
	"$b/ldmsd" -F -x sock:$((SP + i - 1)):127.0.0.1 -l "$tmp/smp-$i.log" -v ERROR \
		-c "$tmp/smp-$i.conf" >/dev/null 2>&1 &
	pids="$pids $!"
	i=$((i + 1))
done
{
	cat <<EOF
daemons:
  - names: "smp-[1-$N]"
    hosts: "127.0.0.1"
    endpoints: [{names: "smp-[1-$N]-sock", ports: "[$SP-$((SP + N - 1))]", xprt: sock}]
  - names: "l1-[1-3]"
    hosts: "127.0.0.1"
    endpoints: [{names: "l1-[1-3]-sock", ports: "[$AP-$((AP + 2))]", xprt: sock, maestro_comm: true}]
  - names: "l2"
    hosts: "127.0.0.1"
    endpoints: [{names: "l2-sock", ports: $((AP + 3)), xprt: sock, maestro_comm: true}]
aggregators:
  - daemons: "l1-[1-3]"
    balance: true
    peers:
      - daemons: "smp-[1-$N]"
        endpoints: "smp-[1-$N]-sock"
        reconnect: 500ms
        updaters: [{mode: pull, interval: 1s, offset: 100ms}]
  - daemons: "l2"
    peers:
      - daemons: "l1-[1-3]"
        endpoints: "l1-[1-3]-sock"
        reconnect: 250ms
        updaters: [{mode: pull, interval: 1s, offset: 300ms}]
stores:
EOF
	for nm in 4 34 64; do
		cat <<EOF
  - name: csv$nm
    daemons: "l2"
    container: c
    schema: ts$nm
    plugin: {name: store_csv, config: {path: "$tmp/csv", buffer: 0}}
EOF
	done
	echo "balancer: {heartbeat: 500ms, misses: 2}"
} >"$tmp/cluster.yaml"

start_agg() { # NAME PORT
	"$b/ldmsd" -F -y "$tmp/cluster.yaml" -n "$1" -l "$tmp/$1.log" -v WARNING >/dev/null 2>&1 &
	eval "pid_$(echo "$1" | tr -d -)=$!"
	pids="$pids $!"
	wait_listen "$2"
}
for n in 1 2 3; do start_agg l1-$n $((AP + n - 1)); done
start_agg l2 $((AP + 3))
"$b/ldms-balancer" -c "$tmp/cluster.yaml" --state "$tmp/bal.state" -l "$tmp/bal.log" &
bal=$!
pids="$pids $bal"

ctl() { "$b/ldmsctl" -h 127.0.0.1 -p "$1" prdcr_load 2>/dev/null; }
active() { ctl "$1" | awk '$3 == "active" { print $1 }'; }
assigned() { [ "$({ active $AP; active $((AP + 1)); active $((AP + 2)); } | sort -u | wc -l)" -eq "$N" ]; }
settle() { i=0; until assigned; do i=$((i + 1)); [ $i -gt 300 ] && { echo "not settled" >&2; return 1; }; sleep 0.1; done; sleep 3; }
settle
echo "$N producers over 3 L1s; $TRIALS trials of kill -9 and of SIGSTOP"
cpu0=$(cpu_ns $bal) t_start=$(now_ms)

# fail SIG K: one trial on l1-K; appends "kind producer ms" lines and the window
fail() {
	sig=$1 k=$2 port=$((AP + k - 1))
	moved=$(active $port | tr '\n' ' ')
	survivors=""
	for n in 1 2 3; do [ $n -ne "$k" ] && survivors="$survivors $((AP + n - 1))"; done
	pid=$(eval echo "\$pid_l1$k")
	t0=$(now_ms)
	echo "$sig $(date +%s.%N) $moved" >>"$tmp/windows"
	kill -"$sig" "$pid"
	left="$moved"
	while [ -n "$(echo $left)" ]; do
		el=$(( $(now_ms) - t0 ))
		[ $el -gt 30000 ] && { echo "$sig l1-$k: gave up on: $left" >&2; break; }
		for s in $survivors; do ctl $s; done |
			awk -v ms="$el" '$3 == "active" && $7 != "-" && $7 + 0 < ms { print $1 }' | sort -u >"$tmp/fresh"
		still=""
		for p in $left; do
			if grep -qx "$p" "$tmp/fresh"; then echo "$sig $p $el" >>"$tmp/times"; else still="$still $p"; fi
		done
		left=$still
		sleep 0.03
	done
}
t=1
while [ $t -le "$TRIALS" ]; do
	k=$(( (t - 1) % 3 + 1 ))
	fail KILL $k
	sleep 2
	start_agg l1-$k $((AP + k - 1))
	settle
	k=$(( t % 3 + 1 ))
	fail STOP $k
	sleep 2
	kill -CONT "$(eval echo "\$pid_l1$k")"
	settle
	printf '.' >&2
	t=$((t + 1))
done
echo >&2
cpu1=$(cpu_ns $bal) t_end=$(now_ms)
sleep 2

python3 - "$tmp" "$N" <<'EOF'
import csv, glob, sys, collections
tmp, n = sys.argv[1], int(sys.argv[2])
times = collections.defaultdict(list)
for line in open(f"{tmp}/times"):
    kind, p, ms = line.split()
    times[kind].append(int(ms))
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(q * len(v)))]
for kind, label in (("KILL", "kill -9"), ("STOP", "SIGSTOP")):
    v = times[kind]
    if v:
        print(f"{label:8}: {len(v)} producer moves, updated by a survivor after "
              f"p50 {pct(v, .5)} ms, p99 {pct(v, .99)} ms, max {max(v)} ms")
rows = collections.defaultdict(list)
for f in glob.glob(f"{tmp}/csv/c/ts*"):
    for r in csv.reader(open(f)):
        if r and not r[0].startswith("#"):
            rows[r[2]].append(float(r[0]))
for p in rows: rows[p].sort()
def lost(p, a, b):
    ts = [t for t in rows.get(p, []) if a <= t <= b]
    if len(ts) < 2: return int(b - a)
    return sum(max(0, round(y - x) - 1) for x, y in zip(ts, ts[1:])) + \
        max(0, round(ts[0] - a) - 1) + max(0, round(b - ts[-1]) - 1)
stat = {"KILL": ([], []), "STOP": ([], [])}
dups = sum(len(v) - len(set(v)) for v in rows.values())
for line in open(f"{tmp}/windows"):
    kind, t0, *moved = line.split()
    t0 = float(t0); moved = set(moved)
    for i in range(1, n + 1):
        p = f"smp-{i}"
        stat[kind][0 if p in moved else 1].append(lost(p, t0 - 2, t0 + 6))
for kind, label in (("KILL", "kill -9"), ("STOP", "SIGSTOP")):
    mv, un = stat[kind]
    if mv:
        print(f"{label:8}: samples lost per moved producer: mean {sum(mv)/len(mv):.2f}, max {max(mv)}; "
              f"per unmoved producer: total {sum(un)}, max {max(un) if un else 0}")
print(f"duplicate rows in the L2's CSV: {dups}")
EOF
awk -v c0="$cpu0" -v c1="$cpu1" -v t0="$t_start" -v t1="$t_end" \
	'BEGIN { printf "balancer CPU: %.2f ms per second (%.3f %% of a core)\n", (c1 - c0) / 1e6 / ((t1 - t0) / 1e3), (c1 - c0) / 1e7 / ((t1 - t0) / 1e3) }'
"$b/bench/assign"
