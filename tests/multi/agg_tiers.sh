#!/bin/sh
# Three samplers -> L1 -> L2 -> store_csv on loopback.
#  - the CSV row of a sample holds exactly what ldms_ls -l showed at the sampler
#    for that sample's timestamp, and rows arrive every interval;
#  - kill -9 a sampler and start it again: L1 and L2 resume within 2 intervals,
#    and no (ProducerName, Time) row is ever written twice;
#  - kill -9 the L1: the L2 lists its sets as stale and resumes when it returns.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

IVL=500ms
IVL_MS=500

for n in 1 2 3; do
	sampler_conf "$TMP/s$n.conf" "node-$n" $IVL
	start_ldmsd_retry "s$n" -c "$TMP/s$n.conf"
	eval "S${n}_PORT=$PORT S${n}_PID=$LDMSD_PID"
done

# L1: pulls the samplers 100 ms after they sample
cat >"$TMP/l1.conf" <<EOF
prdcr_add name=node-1 host=127.0.0.1 port=$S1_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_add name=node-2 host=127.0.0.1 port=$S2_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_add name=node-3 host=127.0.0.1 port=$S3_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_start_regex regex=.*
updtr_add name=pull interval=$IVL offset=100ms
updtr_prdcr_add name=pull regex=node-.*
updtr_start name=pull
EOF
start_ldmsd_retry l1 -m 8M -c "$TMP/l1.conf"
L1_PORT=$PORT L1_PID=$LDMSD_PID

# L2: pulls the L1 200 ms after the samplers, stores meminfo and procstat
# (buffer=0: whole rows reach the file at once, so the test never reads half a row)
mkdir -p "$TMP/csv"
cat >"$TMP/l2.conf" <<EOF
load name=store_csv
config name=store_csv path=$TMP/csv buffer=0
prdcr_add name=l1 host=127.0.0.1 port=$L1_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_start name=l1
updtr_add name=pull interval=$IVL offset=200ms
updtr_prdcr_add name=pull regex=.*
updtr_start name=pull
strgp_add name=mem plugin=store_csv container=tiers schema=meminfo
strgp_start name=mem
strgp_add name=cpu plugin=store_csv container=tiers schema=procstat
strgp_start name=cpu
EOF
start_ldmsd_retry l2 -m 8M -S "$TMP/l2.sock" -c "$TMP/l2.conf"
L2_PORT=$PORT L2_PID=$LDMSD_PID
MEM="$TMP/csv/tiers/meminfo"
CPU="$TMP/csv/tiers/procstat"

rows_of() { awk -F, -v p="$2" '$3 == p' "$1" 2>/dev/null | wc -l; }
has_rows() { [ "$(rows_of "$1" "$2")" -ge "$3" ]; }
for n in 1 2 3; do
	wait_for 15 has_rows "$MEM" "node-$n" 2 || fail "no meminfo rows of node-$n at the L2's CSV"
done
log "rows of the 3 samplers arrive at the L2's CSV"

# The L2 lists the 9 sets of the three nodes, re-exported by the L1.
[ "$($LDMS_LS -h 127.0.0.1 -p "$L2_PORT" | wc -l)" -eq 9 ] ||
	fail "L2 does not list the 9 sets: $($LDMS_LS -h 127.0.0.1 -p "$L2_PORT")"

# A sample seen at the sampler (ldms_ls -v -l: one lookup for the time and the values)
# must be the row of that time in the CSV, value for value.
snapshot=$TMP/snap.txt
$LDMS_LS -h 127.0.0.1 -p "$S2_PORT" -v -l node-2/procstat >"$snapshot" || fail "ldms_ls at node-2"
stamp=$(awk '$2 == "node-2/procstat" { print $10; exit }' "$snapshot")
[ -n "$stamp" ] || fail "no update time in: $(head -5 "$snapshot")"
row_of() { awk -F, -v t="$stamp" '$1 == t && $3 == "node-2"' "$CPU"; }
has_row() { [ -n "$(row_of)" ]; }
wait_for 5 has_row || fail "no CSV row for node-2/procstat at $stamp"
# ldms_ls -l values in set order, arrays expanded, against the CSV columns after ProducerName
expected=$(awk '/^[MD] / { n = split($4, v, ","); for (i = 1; i <= n; i++) printf "%s,", v[i] }' \
	"$snapshot" | sed 's/,$//')
got=$(row_of | cut -d, -f4-)
[ "$expected" = "$got" ] || fail "CSV row differs from ldms_ls at the sampler:
ldms_ls: $expected
csv:     $got"
head -1 "$CPU" | grep -q '^#Time,Time_usec,ProducerName,component_id,job_id,app_id,cores_up,' ||
	fail "bad procstat header: $(head -1 "$CPU")"
log "the CSV row at $stamp equals ldms_ls -l at the sampler ($(echo "$got" | tr , '\n' | wc -l) values)"

# Rows every interval: consecutive rows of a producer are one interval apart.
gaps() {
	awk -F, -v p="$2" -v ivl="$IVL_MS" '$3 == p { t = $1 * 1000;
		if (prev && (t - prev > 1.5 * ivl)) bad++; prev = t } END { print bad + 0 }' "$1"
}
[ "$(gaps "$MEM" node-1)" -eq 0 ] || fail "node-1 rows skip intervals: $(awk -F, '$3=="node-1"{print $1}' "$MEM" | tr '\n' ' ')"

# kill -9 a sampler, start it again on its port: both tiers resume within 2 intervals.
kill -KILL "$S1_PID"
wait "$S1_PID" 2>/dev/null
rm -f "/dev/shm/vigil.$S1_PID.sets"
sleep 1
before=$(rows_of "$MEM" node-1)
restart_ms=$(( $(date +%s%N) / 1000000 ))
start_ldmsd s1b "$S1_PORT" -c "$TMP/s1.conf" || fail "sampler 1 did not restart"
S1_PID=$LDMSD_PID
wait_for 10 has_rows "$MEM" node-1 $((before + 1)) || fail "node-1 rows did not resume after its restart"
resumed_ms=$(( $(date +%s%N) / 1000000 - restart_ms ))
log "after kill -9 and restart of a sampler, rows resumed at the L2 after $resumed_ms ms"
[ "$resumed_ms" -le $((2 * IVL_MS + 1500)) ] ||
	fail "rows resumed only after $resumed_ms ms (2 intervals = $((2 * IVL_MS)) ms)"

# kill -9 the L1: the L2 keeps its sets listed, stale; rows resume when the L1 is back.
kill -KILL "$L1_PID"
wait "$L1_PID" 2>/dev/null
rm -f "/dev/shm/vigil.$L1_PID.sets"
stale() { $LDMS_LS -h 127.0.0.1 -p "$L2_PORT" -v | grep -c ' CR S ' | grep -qx 9; }
wait_for 5 stale || fail "L2 does not list the 9 sets as stale: $($LDMS_LS -h 127.0.0.1 -p "$L2_PORT" -v)"
$LDMSCTL -S "$TMP/l2.sock" prdcr_status | grep -q "node-3/meminfo *meminfo *STALE" || fail "prdcr_status does not show the stale sets: $($LDMSCTL -S "$TMP/l2.sock" prdcr_status)"
before=$(rows_of "$MEM" node-3)
start_ldmsd l1b "$L1_PORT" -m 8M -c "$TMP/l1.conf" || fail "the L1 did not restart"
L1_PID=$LDMSD_PID
wait_for 10 has_rows "$MEM" node-3 $((before + 2)) || fail "rows did not resume after the L1 restarted"
fresh() { [ "$($LDMS_LS -h 127.0.0.1 -p "$L2_PORT" -v | grep -c ' CR ')" -eq 9 ]; }
wait_for 5 fresh || fail "the L2's sets are still stale after the L1 returned"
log "L1 killed: the L2 listed its 9 sets as stale, and resumed when the L1 returned"

# Never the same sample twice, whatever restarted.
dups=$(cat "$MEM" "$CPU" | grep -v '^#' | cut -d, -f1,3 | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups duplicated (Time, ProducerName) rows"
[ "$(grep -c '^#' "$MEM")" -eq 1 ] || fail "more than one header line in $MEM"
log "no duplicated (ProducerName, Time) rows in $(grep -vc '^#' "$MEM") meminfo rows"

stop_ldmsd "$L2_PID"
stop_ldmsd "$L1_PID"
for pid in $S1_PID $S2_PID $S3_PID; do
	stop_ldmsd "$pid"
done
log "PASS"
