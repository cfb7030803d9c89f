#!/bin/sh
# Authentication with a real munged (own key, socket and pid file) and ovis:
#  - ldmsd -a munge + ldms_ls -a munge: sets visible; a client of a second
#    munged with another key is rejected, and the daemon logs the address;
#  - an aggregator authenticates to a munge sampler with prdcr_add auth=;
#  - munged stopped mid-run: new connections fail with a message naming the
#    socket, nothing crashes, and they work again when munged is back;
#  - ovis: the right secret works, a wrong one is rejected and logged, a
#    0644 secret file is refused at start with "chmod 600".
. "$top_srcdir/tests/lib/common.sh"
. "$top_srcdir/tests/lib/munge.sh"
use_xprt

have_munged || fail "munged is not installed (apt-get install munge): this test must run"

start_munged main
SOCK=$MUNGE_SOCKET MUNGED=$MUNGED_PID
cp "$TMP/munge-main/munge.key" "$TMP/main.key"

cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=2
config name=test_sampler action=add_set instance=n/ts schema=ts producer=n
start name=test_sampler interval=200ms offset=0
EOF
start_ldmsd_retry sampler -a munge -A socket="$SOCK" -c "$TMP/sampler.conf"
S_PORT=$PORT S_PID=$LDMSD_PID
LS="$LDMS_LS -h 127.0.0.1 -p $S_PORT"

listed() { [ "$($LS -a munge -A socket="$SOCK" 2>/dev/null)" = "n/ts" ]; }
wait_for 10 listed || fail "ldms_ls -a munge: $($LS -a munge -A socket="$SOCK" 2>&1)"
log "munge: ldms_ls with a credential of the same munged lists the set"

out=$($LS 2>&1) && fail "ldms_ls without munge was accepted: $out"
echo "$out" | grep -q "requires authentication method 'munge'" || fail "no-auth refusal: $out"

# a host of another cluster: its munged has another key
start_munged other
OTHER=$MUNGE_SOCKET
out=$($LS -a munge -A socket="$OTHER" 2>&1) && fail "a credential of another munge key was accepted: $out"
echo "$out" | grep -q "authentication refused: .*munge key differs" || fail "another key: $out"
log "another munge key: $out"
grep -q "refused 127.0.0.1:.*munge" "$TMP/sampler.log" || fail "the refusal was not logged with the address"

# an aggregator authenticating with its own munge domain
cat >"$TMP/agg.conf" <<EOF
auth_add name=site plugin=munge socket=$SOCK
prdcr_add name=n host=127.0.0.1 port=$S_PORT xprt=$XPRT type=active reconnect=200ms auth=site
prdcr_start name=n
updtr_add name=u interval=200ms offset=50ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
EOF
start_ldmsd_retry agg -c "$TMP/agg.conf"
A_PORT=$PORT A_PID=$LDMSD_PID
agg_has() { $LDMS_LS -h 127.0.0.1 -p "$A_PORT" -l n/ts | head -1 | grep -q consistent; }
wait_for 10 agg_has || fail "the aggregator did not pull n/ts through munge: $(tail -5 "$TMP/agg.log")"
log "aggregator authenticated with auth_add name=site plugin=munge"

# munged stops: new connections fail clearly; they work again when it is back
stop_munged "$MUNGED"
out=$($LS -a munge -A socket="$SOCK" 2>&1) && fail "ldms_ls worked with munged stopped"
echo "$out" | grep -q "$SOCK" || fail "the error does not name the munge socket: $out"
log "munged down: $out"
kill -0 "$S_PID" || fail "the sampler died when munged stopped"
kill -0 "$A_PID" || fail "the aggregator died when munged stopped"
start_munged main "$TMP/main.key"
wait_for 10 listed || fail "ldms_ls did not work again after munged restarted"
log "munged back: connections work again"

stop_ldmsd "$A_PID"
stop_ldmsd "$S_PID"

# with munge, identity is the credential's: a 0600 set of uid 1000 is seen by uid 1000 only
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	chmod o+rx "$TMP"
	cat >"$TMP/private.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=1
config name=test_sampler action=add_set instance=n/mine schema=ts producer=n uid=1000 gid=1000 perm=0600
config name=test_sampler action=add_set instance=n/all schema=ts producer=n perm=0444
start name=test_sampler interval=200ms offset=0
EOF
	start_ldmsd_retry private -a munge -A socket="$SOCK" --remote-control -c "$TMP/private.conf"
	P_PORT=$PORT P_PID=$LDMSD_PID
	as() { u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
	seen() { as "$1" "$LDMS_LS" -h 127.0.0.1 -p "$P_PORT" -a munge -A socket="$SOCK" 2>&1 | sort | tr '\n' ' '; }
	two() { [ "$(seen 1000)" = "n/all n/mine " ]; }
	wait_for 10 two || fail "munge uid 1000 sees: $(seen 1000)"
	[ "$(seen 2000)" = "n/all " ] || fail "munge uid 2000 sees: $(seen 2000)"
	out=$(as 2000 "$LDMSCTL" -h 127.0.0.1 -p "$P_PORT" -x "$XPRT" -a munge -A socket="$SOCK" \
		daemon_status 2>&1) && fail "munge uid 2000 controlled the daemon"
	echo "$out" | grep -q "may not control" || fail "munge non-owner refusal: $out"
	$LDMSCTL -h 127.0.0.1 -p "$P_PORT" -x "$XPRT" -a munge -A socket="$SOCK" daemon_status |
		grep -q "Daemon State: ready" || fail "munge: the owner (root) cannot control"
	stop_ldmsd "$P_PID"
	log "munge identities: a 0600 set of uid 1000 seen by uid 1000 only; ldmsctl as uid 2000 refused"
else
	log "not root or no setpriv: the per-user munge checks are in auth_access.sh's none variant"
fi

# ovis: a shared secret
printf '# vigil test secret\nsecretword=correct horse battery staple\n' >"$TMP/secret"
chmod 600 "$TMP/secret"
printf 'secretword=wrong\n' >"$TMP/wrong"
chmod 600 "$TMP/wrong"
start_ldmsd_retry ovis -a ovis -A conf="$TMP/secret" -c "$TMP/sampler.conf"
O_PORT=$PORT O_PID=$LDMSD_PID
ovis_listed() { [ "$($LDMS_LS -h 127.0.0.1 -p "$O_PORT" -a ovis -A conf="$TMP/secret" 2>/dev/null)" = "n/ts" ]; }
wait_for 10 ovis_listed || fail "ovis with the right secret: $($LDMS_LS -h 127.0.0.1 -p "$O_PORT" -a ovis -A conf="$TMP/secret" 2>&1)"
out=$($LDMS_LS -h 127.0.0.1 -p "$O_PORT" -a ovis -A conf="$TMP/wrong" 2>&1) && fail "a wrong secret was accepted"
grep -q "refused 127.0.0.1:.*ovis" "$TMP/ovis.log" || fail "the wrong secret was not logged"
log "ovis: right secret accepted, wrong one refused ($out)"
stop_ldmsd "$O_PID"

chmod 644 "$TMP/secret"
PORT=$(free_port)
if "$LDMSD" -F -x "sock:$PORT:127.0.0.1" -a ovis -A conf="$TMP/secret" -c "$TMP/sampler.conf" \
	>"$TMP/open.out" 2>&1; then
	fail "ldmsd started with a 0644 secret file"
fi
grep -q "chmod 600" "$TMP/open.out" || fail "the refusal does not say chmod 600: $(cat "$TMP/open.out")"
log "ovis: a 0644 secret file is refused at start: $(head -1 "$TMP/open.out")"
log "PASS"
