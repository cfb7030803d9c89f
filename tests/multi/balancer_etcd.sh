#!/bin/sh
# Two balancers share one etcd (a real etcd-server on loopback, its own data
# dir): one leads, the other follows; kill -9 the leader and the follower
# leads within the lease, with the assignment unchanged (nothing moves).
. "$top_srcdir/tests/lib/common.sh"

BALANCER="$top_builddir/ldms-balancer"
if [ ! -x "$BALANCER" ]; then
	echo "SKIP: ldms-balancer not built (configure found no libyaml: apt-get install libyaml-dev)"
	exit 77
fi
ETCD=$(command -v etcd || true)
if [ -z "$ETCD" ] || ! command -v etcdctl >/dev/null; then
	[ "${VIGIL_REQUIRE_ETCD:-0}" = 1 ] &&
		fail "etcd or etcdctl is not installed (apt-get install etcd-server etcd-client)"
	echo "SKIP: etcd or etcdctl not installed (apt-get install etcd-server etcd-client)"
	exit 77
fi
N=6

SP=$(free_port_block $N)
AP=$(free_port_block 2)
EP=$(free_port_block 2)

"$ETCD" --name default --data-dir "$TMP/etcd" \
	--listen-client-urls http://127.0.0.1:$EP --advertise-client-urls http://127.0.0.1:$EP \
	--listen-peer-urls http://127.0.0.1:$((EP + 1)) \
	--initial-advertise-peer-urls http://127.0.0.1:$((EP + 1)) \
	--initial-cluster default=http://127.0.0.1:$((EP + 1)) --log-level warn \
	>"$TMP/etcd.log" 2>&1 &
PIDS="$PIDS $!"
wait_for 20 listening $EP || fail "etcd did not start: $(tail -5 "$TMP/etcd.log")"

i=1
while [ $i -le $N ]; do
	cat >"$TMP/smp-$i.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=$((i * 5))
config name=test_sampler action=add_set instance=smp-$i/ts schema=ts producer=smp-$i
start name=test_sampler interval=1s offset=0
EOF
	"$LDMSD" -F -x sock:$((SP + i - 1)):127.0.0.1 -l "$TMP/smp-$i.log" -c "$TMP/smp-$i.conf" \
		>"$TMP/smp-$i.out" 2>&1 &
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
  - names: "l1-[1-2]"
    hosts: "127.0.0.1"
    endpoints:
      - names: "l1-[1-2]-sock"
        ports: "[$AP-$((AP + 1))]"
        xprt: sock
        maestro_comm: true
aggregators:
  - daemons: "l1-[1-2]"
    balance: true
    peers:
      - daemons: "smp-[1-$N]"
        endpoints: "smp-[1-$N]-sock"
        reconnect: 500ms
        type: active
        updaters:
          - mode: pull
            interval: 1s
            offset: 100ms
balancer:
  heartbeat: 500ms
  lease: 2s
  etcd: "127.0.0.1:$EP"
EOF
for n in 1 2; do
	"$LDMSD" -F -y "$TMP/cluster.yaml" -n l1-$n -l "$TMP/l1-$n.log" >"$TMP/l1-$n.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 listening $((AP + n - 1)) || fail "l1-$n did not start: $(cat "$TMP/l1-$n.out")"
done

start_balancer() { # NAME
	"$BALANCER" -c "$TMP/cluster.yaml" --state "$TMP/$1.state" -l "$TMP/$1.log" \
		>"$TMP/$1.out" 2>&1 &
	eval "PID_$1=$!"
	PIDS="$PIDS $!"
}
start_balancer a
wait_for 10 grep -q "now the leader" "$TMP/a.log" || fail "balancer a does not lead"
start_balancer b
sleep 2
grep -q "now the leader" "$TMP/b.log" && fail "two leaders"

active() { $LDMSCTL -h 127.0.0.1 -p "$1" prdcr_load 2>/dev/null | awk '$3 == "active" { print $1 }'; }
assigned() {
	{ active $AP; active $((AP + 1)); } | sort >"$TMP/act"
	[ "$(wc -l <"$TMP/act")" -eq $N ] && [ -z "$(uniq -d "$TMP/act")" ]
}
wait_for 20 assigned || fail "producers not assigned once each"
active $AP | sort >"$TMP/on1.before"
etcdctl_get() { ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$EP get --print-value-only "$1"; }
key=/vigil/balancer/cluster.yaml/assignment
wait_for 10 sh -c "ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:$EP get $key | grep -q smp-1" ||
	fail "no assignment in etcd"
etcdctl_get $key >"$TMP/assignment.before"

t0=$(( $(date +%s%N) / 1000000 ))
kill -KILL $PID_a
wait_for 10 grep -q "now the leader" "$TMP/b.log" || fail "balancer b did not take over"
t1=$(( $(date +%s%N) / 1000000 ))
log "the follower leads $((t1 - t0)) ms after the leader was killed (lease 2 s)"
[ $((t1 - t0)) -le 3500 ] || fail "takeover took $((t1 - t0)) ms (lease 2 s)"
sleep 2
grep -- "->" "$TMP/b.log" && fail "the new leader moved producers"
active $AP | sort >"$TMP/on1.after"
cmp -s "$TMP/on1.before" "$TMP/on1.after" || fail "the assignment changed at the takeover"
etcdctl_get $key >"$TMP/assignment.after"
cmp -s "$TMP/assignment.before" "$TMP/assignment.after" || fail "the assignment in etcd changed"
etcdctl_get /vigil/balancer/cluster.yaml/members/l1-1 | grep -qx alive ||
	fail "members/l1-1 not alive in etcd"

# the new leader acts: kill an L1, its producers move
kill -KILL $(pgrep -f "ldmsd -F -y $TMP/cluster.yaml -n l1-1")
moved_all() { [ "$(active $((AP + 1)) | wc -l)" -eq $N ]; }
wait_for 5 moved_all || fail "the new leader did not move l1-1's producers"
kill -TERM $PID_b
wait_for 10 exited $PID_b || fail "balancer b did not stop on SIGTERM"
wait $PID_b || fail "balancer b exited with status $? after SIGTERM"
exit 0
