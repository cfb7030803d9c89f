#!/bin/sh
# A producer moves between the two aggregators of a group (hot standby) and
# the aggregator above them stores every sample exactly once:
#  - L1a serves node-1, L1b has it on standby (connected, looked up, not
#    updated, not exported): L2 sees the set from L1a only;
#  - prdcr_activate on L1b then prdcr_standby on L1a: L2 moves the set to
#    L1b without a gap or a duplicate row;
#  - the reverse order (standby first, then activate) too;
#  - kill -9 of the active L1 and activation on the other: the stale set
#    moves, the CSV misses at most 2 samples and repeats none.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=4
config name=test_sampler action=add_set instance=node-1/ts schema=ts producer=node-1
start name=test_sampler interval=200ms offset=0
EOF
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
S_PORT=$PORT

l1_conf() { # FILE STANDBY
	cat >"$1" <<EOF
prdcr_add name=node-1 host=127.0.0.1 port=$S_PORT xprt=$XPRT type=active reconnect=100ms standby=$2
prdcr_start name=node-1
updtr_add name=u interval=200ms offset=20ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
EOF
}
l1_conf "$TMP/a.conf" false
l1_conf "$TMP/b.conf" true
start_ldmsd_retry l1a -S "$TMP/a.sock" -c "$TMP/a.conf"
A_PORT=$PORT A_PID=$LDMSD_PID
start_ldmsd_retry l1b -S "$TMP/b.sock" -c "$TMP/b.conf"
B_PORT=$PORT B_PID=$LDMSD_PID

cat >"$TMP/l2.conf" <<EOF
load name=store_csv
config name=store_csv path=$TMP/csv buffer=0
prdcr_add name=l1a host=127.0.0.1 port=$A_PORT xprt=$XPRT type=active reconnect=100ms
prdcr_add name=l1b host=127.0.0.1 port=$B_PORT xprt=$XPRT type=active reconnect=100ms
prdcr_start_regex regex=.*
updtr_add name=u interval=200ms offset=60ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
strgp_add name=ts plugin=store_csv container=c schema=ts
strgp_start name=ts
EOF
start_ldmsd_retry l2 -S "$TMP/l2.sock" -c "$TMP/l2.conf"
CSV="$TMP/csv/c/ts"

rows() { grep -vc '^#' "$CSV" 2>/dev/null; }
has_rows() { [ "$(rows)" -ge "$1" ]; }
owner() { # the L2 producer listing node-1/ts with a set state other than START
	$LDMSCTL -S "$TMP/l2.sock" prdcr_status |
		awk '/^[a-z]/ { p = $1 } $1 == "node-1/ts" && $3 != "START" { print p }'
}
owner_is() { [ "$(owner)" = "$1" ]; }

wait_for 15 has_rows 5 || fail "no rows at L2 from L1a"
owner_is l1a || fail "node-1/ts should be L2's through l1a, is through '$(owner)'"
$LDMS_LS -h 127.0.0.1 -p "$B_PORT" | grep -q node-1/ts &&
	fail "L1b exports a standby producer's set"
$LDMSCTL -S "$TMP/b.sock" prdcr_load | grep -q "^node-1 .*standby" ||
	fail "prdcr_load at L1b does not say standby: $($LDMSCTL -S "$TMP/b.sock" prdcr_load)"

# move to L1b: activate first, then standby (the balancer's order)
$LDMSCTL -S "$TMP/b.sock" prdcr_activate name=node-1 || fail "prdcr_activate refused"
$LDMSCTL -S "$TMP/a.sock" prdcr_standby name=node-1 || fail "prdcr_standby refused"
wait_for 10 owner_is l1b || fail "the set did not move to l1b: owner '$(owner)'"
n=$(rows)
wait_for 10 has_rows $((n + 5)) || fail "no rows after the move to l1b"

# and back the other way round: standby first, then activate
$LDMSCTL -S "$TMP/b.sock" prdcr_standby name=node-1 || fail "prdcr_standby refused"
$LDMSCTL -S "$TMP/a.sock" prdcr_activate regex=^node || fail "prdcr_activate regex= refused"
wait_for 10 owner_is l1a || fail "the set did not move back to l1a: owner '$(owner)'"
n=$(rows)
wait_for 10 has_rows $((n + 5)) || fail "no rows after the move back to l1a"

# the active L1 dies: the stale set moves to the survivor once it is activated
kill -KILL "$A_PID"
$LDMSCTL -S "$TMP/b.sock" prdcr_activate name=node-1 || fail "prdcr_activate refused"
wait_for 10 owner_is l1b || fail "the stale set did not move to l1b: owner '$(owner)'"
n=$(rows)
wait_for 10 has_rows $((n + 5)) || fail "no rows after l1a died"

# every sample once, in order; at most 2 missing at each of the three moves
awk -F, '!/^#/ { print $1 }' "$CSV" >"$TMP/times"
dups=$(sort "$TMP/times" | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups duplicate rows: $(sort "$TMP/times" | uniq -d | head -3)"
sort -c -n "$TMP/times" 2>/dev/null || fail "rows out of order"
missing=$(awk 'NR > 1 { gap = int(($1 - prev) / 0.2 + 0.5) - 1; if (gap > 0) m += gap }
	{ prev = $1 } END { print m + 0 }' "$TMP/times")
log "$(rows) rows, $missing samples missing over three moves"
[ "$missing" -le 6 ] || fail "$missing samples missing (at most 2 per move)"
kill -0 "$B_PID" || fail "L1b died"
exit 0
