#!/bin/sh
# Hostile input: a client sends 10,000 random, truncated and oversized frames
# over thousands of connections while a normal ldms_ls keeps listing and
# reading the sets.  ldmsd survives, closes the bad connections, never floods
# its log, and serves every normal request meanwhile.
. "$top_srcdir/tests/lib/common.sh"

sampler_conf "$TMP/sampler.conf" node-1 1s
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
PID=$LDMSD_PID
LS="$LDMS_LS -h 127.0.0.1 -p $PORT -w 20"
has_three_sets() { [ "$($LS | wc -l)" -eq 3 ]; }
wait_for 10 has_three_sets || fail "ldms_ls does not list 3 sets"
all_consistent() { [ "$($LS -l | grep -c ': consistent, last update')" -eq 3 ]; }
wait_for 10 all_consistent || fail "the sets were never sampled"

"$top_builddir/tests/hostile_client" 127.0.0.1 "$PORT" 10000 42 >"$TMP/hostile.out" 2>&1 &
HPID=$!
PIDS="$PIDS $HPID"

good=0
while ! exited "$HPID"; do
	$LS -l >"$TMP/ls.out" 2>&1 || fail "ldms_ls failed during the attack: $(cat "$TMP/ls.out")"
	[ "$(grep -c ': consistent, last update' "$TMP/ls.out")" -eq 3 ] ||
		fail "ldms_ls -l during the attack: $(head -5 "$TMP/ls.out")"
	good=$((good + 1))
done
wait "$HPID" || fail "hostile client could not keep connecting: $(cat "$TMP/hostile.out")"
PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$HPID" | tr '\n' ' ')
log "$(cat "$TMP/hostile.out")"
[ "$good" -ge 1 ] || fail "no normal ldms_ls ran during the attack"
log "$good normal ldms_ls -l runs succeeded during the attack"

sent=$(sed -n 's/^hostile_client: \([0-9]*\) frames.*/\1/p' "$TMP/hostile.out")
closed=$(sed -n 's/.*the daemon closed \([0-9]*\) of them.*/\1/p' "$TMP/hostile.out")
conns=$(sed -n 's/.* frames on \([0-9]*\) connections.*/\1/p' "$TMP/hostile.out")
[ "${sent:-0}" -ge 10000 ] || fail "hostile client sent only ${sent:-0} frames"
# every connection but the truncated-frame ones (1 in 8) must have been closed by the daemon
[ "${closed:-0}" -ge $(( conns * 7 / 8 - 10 )) ] ||
	fail "the daemon closed only $closed of $conns bad connections"

kill -0 "$PID" || fail "ldmsd died"
[ "$($LS | wc -l)" -eq 3 ] || fail "ldms_ls after the attack"
lines=$(wc -l <"$TMP/sampler.log")
[ "$lines" -lt 200 ] || fail "the log has $lines lines: bad peers are not rate-limited"
log "ldmsd alive, log has $lines lines for $conns bad connections"
stop_ldmsd "$PID"
exit 0
