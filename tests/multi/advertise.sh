#!/bin/sh
# Advertisement: samplers announce themselves, the aggregator connects back.
#  - an aggregator with prdcr_listen (regex ^adv-.*, ip 127.0.0.0/8), an updater and
#    store_csv; samplers adv-1 and adv-2 (-n) advertise: both become producers and
#    their rows reach the CSV;
#  - other-1 is refused: its log names the reason (once, however often it retries),
#    and no producer is created;
#  - kill -9 adv-1 and start it on another port: it advertises again, the producer
#    follows it there and rows resume;
#  - kill -9 the aggregator and start it again: the samplers advertise again within
#    their reconnect interval and rows resume.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

IVL=500ms
RECONNECT_MS=500

agg_conf() {
	mkdir -p "$2"
	cat >"$1" <<EOF
load name=store_csv
config name=store_csv path=$2 buffer=0
prdcr_listen_add name=samplers regex=^adv-.* ip=127.0.0.0/8 reconnect=${RECONNECT_MS}ms
prdcr_listen_start name=samplers
updtr_add name=pull interval=$IVL offset=100ms
updtr_prdcr_add name=pull regex=.*
updtr_start name=pull
strgp_add name=mem plugin=store_csv container=adv schema=meminfo
strgp_start name=mem
EOF
}
agg_conf "$TMP/agg.conf" "$TMP/csv"
start_ldmsd_retry agg -m 8M -n agg-1 -S "$TMP/agg.sock" -c "$TMP/agg.conf"
AGG_PORT=$PORT AGG_PID=$LDMSD_PID
MEM="$TMP/csv/adv/meminfo"

# sampler_with_adv NAME: the samplers of node NAME and an advertiser to the aggregator
sampler_with_adv() {
	sampler_conf "$TMP/$1.conf" "$1" $IVL
	cat >>"$TMP/$1.conf" <<EOF
advertiser_add name=up xprt=$XPRT host=127.0.0.1 port=$AGG_PORT reconnect=${RECONNECT_MS}ms
advertiser_start name=up
EOF
}
for n in adv-1 adv-2 other-1; do
	sampler_with_adv $n
done
start_ldmsd_retry adv-1 -n adv-1 -S "$TMP/adv-1.sock" -c "$TMP/adv-1.conf"
S1_PORT=$PORT S1_PID=$LDMSD_PID
start_ldmsd_retry adv-2 -n adv-2 -S "$TMP/adv-2.sock" -c "$TMP/adv-2.conf"
S2_PID=$LDMSD_PID

aggctl() { $LDMSCTL -S "$TMP/agg.sock" "$@"; }
connected() { aggctl prdcr_status | grep -Eq "^$1 +127\.0\.0\.1 +$2 +$XPRT +CONNECTED"; }
rows_of() { awk -F, -v p="$2" '$3 == p' "$1" 2>/dev/null | wc -l; }
has_rows() { [ "$(rows_of "$1" "$2")" -ge "$3" ]; }

wait_for 15 connected adv-1 "$S1_PORT" || fail "adv-1 is not a connected producer: $(aggctl prdcr_status)"
wait_for 15 connected adv-2 "[0-9]+" || fail "adv-2 is not a connected producer: $(aggctl prdcr_status)"
for n in adv-1 adv-2; do
	wait_for 15 has_rows "$MEM" $n 2 || fail "no meminfo rows of $n in the CSV"
done
$LDMSCTL -S "$TMP/adv-1.sock" advertiser_status | grep -Eq "^up +127\.0\.0\.1:$AGG_PORT +$XPRT +ADVERTISED +adv-1" ||
	fail "advertiser_status of adv-1: $($LDMSCTL -S "$TMP/adv-1.sock" advertiser_status)"
aggctl prdcr_listen_status | grep -Eq "^samplers +RUNNING +\^adv-\.\* +127\.0\.0\.0/8 +2$" ||
	fail "prdcr_listen_status: $(aggctl prdcr_listen_status)"
log "adv-1 and adv-2 advertised themselves; their rows reach the aggregator's CSV"

# other-1 does not match the regex: refused with the reason, logged once, no producer
start_ldmsd_retry other-1 -n other-1 -S "$TMP/other-1.sock" -c "$TMP/other-1.conf"
O_PID=$LDMSD_PID
refused() { grep -q "refused producer other-1: aggregator agg-1 accepts no producer named other-1 from 127.0.0.1: prdcr_listen samplers (regex=^adv-.\* ip=127.0.0.0/8): the name does not match" "$TMP/other-1.log"; }
wait_for 10 refused || fail "other-1's log does not give the reason it was refused"
several_refusals() { $LDMSCTL -S "$TMP/other-1.sock" --json advertiser_status | grep -Eq '"rejections":([3-9]|[1-9][0-9])'; }
wait_for 10 several_refusals || fail "other-1 does not retry: $($LDMSCTL -S "$TMP/other-1.sock" --json advertiser_status)"
[ "$(grep -c "refused producer other-1" "$TMP/other-1.log")" -eq 1 ] ||
	fail "the refusal is logged more than once: $(grep "refused producer" "$TMP/other-1.log")"
$LDMSCTL -S "$TMP/other-1.sock" advertiser_status | grep -q " REJECTED " ||
	fail "advertiser_status of other-1: $($LDMSCTL -S "$TMP/other-1.sock" advertiser_status)"
! aggctl prdcr_status | grep -q other-1 || fail "a producer was created for other-1: $(aggctl prdcr_status)"
log "other-1 was refused: '$(grep -o "refused producer other-1: [^(]*" "$TMP/other-1.log")...' logged once"
stop_ldmsd "$O_PID"

# kill -9 adv-1, start it on another port: it advertises again and the producer follows
kill -KILL "$S1_PID"
wait "$S1_PID" 2>/dev/null
rm -f "/dev/shm/vigil.$S1_PID.sets"
down() { aggctl prdcr_status | grep -Eq "^adv-1 .* (DISCONNECTED|CONNECTING)"; }
wait_for 10 down || fail "the aggregator did not notice adv-1 going: $(aggctl prdcr_status)"
before=$(rows_of "$MEM" adv-1)
OLD_PORT=$S1_PORT
start_ldmsd_retry adv-1b -n adv-1 -S "$TMP/adv-1b.sock" -c "$TMP/adv-1.conf"
S1_PORT=$PORT S1_PID=$LDMSD_PID
[ "$S1_PORT" != "$OLD_PORT" ] || fail "the restarted sampler got its old port by chance"
wait_for 10 connected adv-1 "$S1_PORT" || fail "the producer did not follow adv-1 to port $S1_PORT: $(aggctl prdcr_status)"
wait_for 10 has_rows "$MEM" adv-1 $((before + 2)) || fail "adv-1 rows did not resume after its restart"
[ "$(aggctl prdcr_status | grep -c '^adv-1 ')" -eq 1 ] || fail "two producers named adv-1: $(aggctl prdcr_status)"
log "adv-1 killed and restarted on another port: it advertised again, rows resumed"

# kill -9 the aggregator, start it again: the samplers advertise again within reconnect
kill -KILL "$AGG_PID"
wait "$AGG_PID" 2>/dev/null
rm -f "/dev/shm/vigil.$AGG_PID.sets"
lost() { grep -q "connection to aggregator 127.0.0.1:$AGG_PORT lost" "$TMP/adv-2.log"; }
wait_for 10 lost || fail "adv-2 did not notice the aggregator going"
sleep 1 # a few failed reconnects: counted, logged once
agg_conf "$TMP/agg2.conf" "$TMP/csv2"
start_ms=$(( $(date +%s%N) / 1000000 ))
start_ldmsd agg2 "$AGG_PORT" -m 8M -n agg-1 -S "$TMP/agg.sock" -c "$TMP/agg2.conf" ||
	fail "the aggregator did not restart on port $AGG_PORT"
AGG_PID=$LDMSD_PID
wait_for 10 connected adv-2 "[0-9]+" || fail "adv-2 did not advertise again: $(aggctl prdcr_status)"
wait_for 10 connected adv-1 "$S1_PORT" || fail "adv-1 did not advertise again: $(aggctl prdcr_status)"
back_ms=$(( $(date +%s%N) / 1000000 - start_ms ))
log "aggregator restarted: both samplers were producers again after $back_ms ms"
[ "$back_ms" -le $((RECONNECT_MS + 3000)) ] ||
	fail "re-advertising took $back_ms ms (reconnect is $RECONNECT_MS ms)"
for n in adv-1 adv-2; do
	wait_for 10 has_rows "$TMP/csv2/adv/meminfo" $n 2 || fail "no $n rows after the aggregator restarted"
done
[ "$(grep -c "cannot connect to aggregator\|cannot advertise to aggregator" "$TMP/adv-2.log")" -eq 1 ] ||
	fail "connection failures logged more than once: $(grep aggregator "$TMP/adv-2.log")"
log "rows resume at the restarted aggregator; failures while it was away were logged once"

stop_ldmsd "$AGG_PID"
stop_ldmsd "$S1_PID"
stop_ldmsd "$S2_PID"
log "PASS"
