#!/bin/sh
# An aggregator's producers misbehave:
#  - a host name that does not resolve and a port nobody listens on are
#    retried for ever: the daemon lives, prdcr_status counts the failures,
#    the log says it once (not once per retry);
#  - a producer restarted with another schema under the same names: the set
#    is looked up again and store_csv starts a new file with the new header,
#    the old file moved aside whole;
#  - prdcr_del of a running producer is refused with what to do.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

sampler_cfg() {
	cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=$1
config name=test_sampler action=add_set instance=node-1/ts schema=ts producer=node-1
start name=test_sampler interval=200ms offset=0
EOF
}
sampler_cfg 3
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
S_PORT=$PORT S_PID=$LDMSD_PID
DEAD_PORT=$(free_port)

cat >"$TMP/agg.conf" <<EOF
load name=store_csv
config name=store_csv path=$TMP/csv buffer=0
prdcr_add name=nowhere host=no-such-host.invalid port=411 xprt=$XPRT type=active reconnect=100ms
prdcr_add name=dead host=127.0.0.1 port=$DEAD_PORT xprt=$XPRT type=active reconnect=100ms
prdcr_add name=node-1 host=127.0.0.1 port=$S_PORT xprt=$XPRT type=active reconnect=100ms
prdcr_start_regex regex=.*
updtr_add name=u interval=200ms offset=50ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
strgp_add name=ts plugin=store_csv container=c schema=ts
strgp_start name=ts
EOF
start_ldmsd_retry agg -S "$TMP/agg.sock" -c "$TMP/agg.conf"
A_PID=$LDMSD_PID
CTL="$LDMSCTL -S $TMP/agg.sock"
CSV="$TMP/csv/c/ts"

rows() { grep -vc '^#' "$CSV" 2>/dev/null; }
has_rows() { [ "$(rows)" -ge "$1" ]; }
wait_for 10 has_rows 3 || fail "no rows from node-1"

# 3 s of retries every 100 ms: ~30 failures per producer, a handful of log lines
sleep 3
kill -0 "$A_PID" || fail "the aggregator died"
status=$($CTL prdcr_status) || fail "prdcr_status failed"
for p in nowhere dead; do
	echo "$status" | grep -q "^$p .*DISCONNECTED" || fail "$p is not DISCONNECTED: $status"
	n=$(echo "$status" | sed -n "/^$p /{n;p}" | sed -n 's/ *# \([0-9]*\) failed connection attempts.*/\1/p')
	[ -n "$n" ] && [ "$n" -ge 10 ] || fail "$p: failures not counted in prdcr_status: $status"
	lines=$(grep -c "producer $p: cannot connect" "$TMP/agg.log")
	[ "$lines" -ge 1 ] && [ "$lines" -le 4 ] ||
		fail "$p: $lines log lines for $n failures (want 1 to 4)"
done
grep "producer nowhere" "$TMP/agg.log" | head -1 | grep -q "no-such-host.invalid" ||
	fail "the log does not name the host that does not resolve"
log "unreachable producers retried ($n failures, $lines log lines); the daemon lives"

$CTL prdcr_del name=node-1 >"$TMP/del.out" 2>&1 && fail "prdcr_del of a running producer succeeded"
grep -q "stop it first" "$TMP/del.out" || fail "prdcr_del refusal does not say what to do: $(cat "$TMP/del.out")"
log "prdcr_del of a running producer is refused: $(cat "$TMP/del.out")"

# the producer comes back with 4 metrics in schema ts instead of 3
stop_ldmsd "$S_PID"
before=$(rows)
sampler_cfg 4
start_ldmsd s2 "$S_PORT" -c "$TMP/sampler.conf" || fail "the sampler did not restart"
S_PID=$LDMSD_PID
new_header() { head -1 "$CSV" 2>/dev/null | grep -qx '#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2,metric_3'; }
wait_for 10 new_header || fail "no new file with the 4-metric header: $(head -1 "$CSV")"
wait_for 10 has_rows 2 || fail "no rows in the new file"
old=$(ls "$TMP/csv/c" | grep -v '^ts$')
[ "$(echo "$old" | wc -l)" -eq 1 ] || fail "expected one file moved aside, found: $old"
[ "$(head -1 "$TMP/csv/c/$old")" = "#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2" ] ||
	fail "the old file lost its header: $(head -1 "$TMP/csv/c/$old")"
[ "$(grep -vc '^#' "$TMP/csv/c/$old")" -ge "$before" ] || fail "the old file lost rows"
awk -F, 'NR > 1 && NF != 7 { bad++ } END { exit bad > 0 }' "$CSV" || fail "misaligned rows in the new file"
awk -F, 'NR > 1 && NF != 6 { bad++ } END { exit bad > 0 }' "$TMP/csv/c/$old" || fail "misaligned rows in the old file"
log "schema change: old file $old kept ($before rows), new file with the new header"

stop_ldmsd "$A_PID"
stop_ldmsd "$S_PID"
log "PASS"
