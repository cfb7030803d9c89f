#!/bin/sh
# An aggregator changed at runtime through ldmsctl, without a restart:
#  - add and start a producer, an updater and a storage policy: rows appear;
#  - strgp_stop: rows stop; strgp_start: they resume;
#  - restart the updater at another interval: the row rate follows;
#  - prdcr_del of a running producer is refused with what to do;
#  - 1,000 random command frames on the control socket: each answered, the
#    daemon alive;
#  - 20 concurrent ldmsctl clients issuing status commands while sets update:
#    every one answered.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=2
config name=test_sampler action=add_set instance=node-1/ts schema=ts producer=node-1
config name=test_sampler action=add_set instance=node-1/ts2 schema=ts producer=node-1
start name=test_sampler interval=100ms offset=0
EOF
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
S_PORT=$PORT S_PID=$LDMSD_PID

# the aggregator starts empty but for its store
printf 'load name=store_csv\nconfig name=store_csv path=%s/csv buffer=0\n' "$TMP" >"$TMP/agg.conf"
start_ldmsd_retry agg -S "$TMP/agg.sock" --remote-control -c "$TMP/agg.conf"
A_PID=$LDMSD_PID A_PORT=$PORT
CTL="$LDMSCTL -S $TMP/agg.sock"
CSV="$TMP/csv/c/ts"

run() { $CTL "$@" >"$TMP/ctl.out" 2>&1 || fail "ldmsctl $*: $(cat "$TMP/ctl.out")"; }
run prdcr_add name=node-1 host=127.0.0.1 port="$S_PORT" xprt=$XPRT type=active reconnect=200ms
run prdcr_start name=node-1
run updtr_add name=u interval=1s offset=50ms
run updtr_prdcr_add name=u regex=node-1
run updtr_start name=u
run strgp_add name=s plugin=store_csv container=c schema=ts
run strgp_start name=s

rows() { grep -vc '^#' "$CSV" 2>/dev/null || echo 0; }
has_rows() { [ "$(rows)" -ge "$1" ]; }
wait_for 10 has_rows 4 || fail "no rows after adding the producer at runtime"
log "producer, updater and storage policy added at runtime: rows appear"

# strgp_stop / strgp_start
run strgp_stop name=s
n=$(rows)
sleep 2.2
[ "$(rows)" -eq "$n" ] || fail "rows still arrive after strgp_stop ($n -> $(rows))"
run strgp_start name=s
wait_for 5 has_rows $((n + 2)) || fail "rows did not resume after strgp_start"
log "strgp_stop stops the rows, strgp_start resumes them"

# updater interval: 1 s -> 200 ms, the row rate follows (2 sets: ~2 rows/s -> ~10 rows/s)
rate() {
	a=$(rows)
	sleep 2
	echo $(( ($(rows) - a) / 2 ))
}
slow=$(rate)
run updtr_stop name=u
run updtr_start name=u interval=200ms offset=20ms
sleep 0.5
fast=$(rate)
[ "$slow" -le 3 ] || fail "at interval=1s: $slow rows/s (2 sets)"
[ "$fast" -ge 7 ] || fail "at interval=200ms: only $fast rows/s (2 sets)"
$CTL updtr_status | grep -q '^u  *200000  *20000  *Pull  *RUNNING' || fail "updtr_status: $($CTL updtr_status)"
log "updater 1s -> 200ms at runtime: $slow -> $fast rows/s"

# the same commands over the transport endpoint (ldmsd --remote-control)
$LDMSCTL -h 127.0.0.1 -p "$A_PORT" -x "$XPRT" prdcr_status >"$TMP/remote.out" 2>&1 ||
	fail "remote ldmsctl: $(cat "$TMP/remote.out")"
grep -q '^node-1 .*CONNECTED' "$TMP/remote.out" || fail "remote prdcr_status: $(cat "$TMP/remote.out")"
log "ldmsctl -h -p -x $XPRT works with --remote-control"

# prdcr_del of a running producer
if $CTL prdcr_del name=node-1 >"$TMP/del.out" 2>&1; then fail "prdcr_del of a running producer succeeded"; fi
grep -q "stop it first" "$TMP/del.out" || fail "prdcr_del refusal: $(cat "$TMP/del.out")"
log "prdcr_del refused: $(cat "$TMP/del.out")"

# 1,000 random command frames on the control socket
"$top_builddir/tests/ctl_fuzz" "$TMP/agg.sock" 1000 7 >"$TMP/fuzz.out" 2>&1 ||
	fail "ctl_fuzz: $(cat "$TMP/fuzz.out")"
log "$(cat "$TMP/fuzz.out")"
kill -0 "$A_PID" || fail "the aggregator died under random commands"
# whatever the random commands did, the daemon still stores (start again anything they stopped)
$CTL strgp_start name=s >/dev/null 2>&1
$CTL updtr_start name=u >/dev/null 2>&1
$CTL prdcr_start name=node-1 >/dev/null 2>&1
n=$(rows)
wait_for 10 has_rows $((n + 2)) || fail "no rows after the random commands"

# 20 concurrent clients, 10 status commands each, while sets update
i=0
while [ $i -lt 20 ]; do
	(
		for cmd in prdcr_status updtr_status strgp_status daemon_status plugn_status \
			prdcr_status updtr_status strgp_status daemon_status prdcr_status; do
			$CTL $cmd >"$TMP/c$i.$cmd.out" 2>&1 || { echo "$cmd failed" >"$TMP/c$i.fail"; }
			[ -s "$TMP/c$i.$cmd.out" ] || echo "$cmd: empty reply" >"$TMP/c$i.fail"
		done
	) &
	eval "C$i=\$!"
	i=$((i + 1))
done
i=0
while [ $i -lt 20 ]; do
	eval "wait \$C$i"
	i=$((i + 1))
done
if ls "$TMP"/c*.fail >/dev/null 2>&1; then fail "concurrent clients: $(cat "$TMP"/c*.fail | head -5)"; fi
grep -l "node-1/ts" "$TMP"/c*.prdcr_status.out | wc -l | grep -qx 20 ||
	fail "not every prdcr_status reply lists the sets"
log "20 concurrent ldmsctl clients x 10 status commands: all answered"

stop_ldmsd "$A_PID"
stop_ldmsd "$S_PID"
log "PASS"
