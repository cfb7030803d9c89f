#!/bin/sh
# Set access control and control rights, with the default authentication
# (none: a peer is the uid/gid its process runs as; setpriv gives us others):
#  - a 0600 set of uid 1000 is listed and readable by uid 1000 and root only;
#    a 0640 set of gid 1000 by that group too; a 0444 set by everyone;
#  - an aggregator re-exports the sets with their uid/gid/perm: the same rule
#    holds at the aggregator;
#  - remote control (--remote-control) is refused to a non-owner, allowed to
#    root; a peer that never authenticates is dropped with a log line.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
[ "$(id -u)" -eq 0 ] || { log "SKIP: needs root to act as other users"; exit 77; }
as_user() { u=$1; shift; setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
# other users must reach the build tree's binaries
chmod o+rx "$TMP"

cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=2
config name=test_sampler action=add_set instance=n/private schema=ts producer=n uid=1000 gid=1000 perm=0600
config name=test_sampler action=add_set instance=n/group schema=ts producer=n uid=0 gid=1000 perm=0640
config name=test_sampler action=add_set instance=n/public schema=ts producer=n uid=0 gid=0 perm=0444
start name=test_sampler interval=200ms offset=0
EOF
start_ldmsd_retry sampler --remote-control --status-public -c "$TMP/sampler.conf"
S_PORT=$PORT S_PID=$LDMSD_PID

sets_as() { as_user "$1" "$LDMS_LS" -h 127.0.0.1 -p "$2" 2>&1 | sort | tr '\n' ' '; }
check_view() {
	port=$1 where=$2
	[ "$(sets_as 0 "$port")" = "n/group n/private n/public " ] || fail "$where: root sees: $(sets_as 0 "$port")"
	[ "$(sets_as 1000 "$port")" = "n/group n/private n/public " ] ||
		fail "$where: uid 1000 sees: $(sets_as 1000 "$port")"
	[ "$(sets_as 2000 "$port")" = "n/public " ] || fail "$where: uid 2000 sees: $(sets_as 2000 "$port")"
	# a set one may not read cannot be looked up by name either
	out=$(as_user 2000 "$LDMS_LS" -h 127.0.0.1 -p "$port" -l n/private 2>&1)
	echo "$out" | grep -q "No metric sets matched" || fail "$where: uid 2000 ldms_ls -l n/private: $out"
	as_user 1000 "$LDMS_LS" -h 127.0.0.1 -p "$port" -l n/private | head -1 | grep -q "consistent" ||
		fail "$where: uid 1000 cannot read its own set"
}
all_sampled() { [ "$($LDMS_LS -h 127.0.0.1 -p "$S_PORT" -l | grep -c ': consistent')" -eq 3 ]; }
wait_for 10 all_sampled || fail "the sets were never sampled"
check_view "$S_PORT" sampler
log "sampler: 0600/0640/0444 sets visible to owner, group and others as their bits say"

cat >"$TMP/agg.conf" <<EOF
prdcr_add name=n host=127.0.0.1 port=$S_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_start name=n
updtr_add name=u interval=200ms offset=50ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
EOF
start_ldmsd_retry agg --remote-control -c "$TMP/agg.conf"
A_PORT=$PORT A_PID=$LDMSD_PID
three() { [ "$($LDMS_LS -h 127.0.0.1 -p "$A_PORT" | wc -l)" -eq 3 ]; }
wait_for 10 three || fail "the aggregator does not re-export the 3 sets"
$LDMS_LS -h 127.0.0.1 -p "$A_PORT" -v | grep -q 'n/private .* 1000 *1000 -rw-------' ||
	fail "re-exported n/private lost its owner or mode: $($LDMS_LS -h 127.0.0.1 -p "$A_PORT" -v)"
check_view "$A_PORT" aggregator
log "aggregator re-export keeps uid/gid/perm and the same visibility"

# remote control: the daemon's owner (root) only
out=$(as_user 2000 "$LDMSCTL" -h 127.0.0.1 -p "$A_PORT" -x "$XPRT" prdcr_status 2>&1) &&
	fail "uid 2000 controlled the daemon: $out"
echo "$out" | grep -q "may not control" || fail "refusal message: $out"
$LDMSCTL -h 127.0.0.1 -p "$A_PORT" -x "$XPRT" prdcr_status | grep -q '^n ' || fail "root cannot control"
log "remote control refused to uid 2000: $out"

# --status-public: others may look, not change
as_user 2000 "$LDMSCTL" -h 127.0.0.1 -p "$S_PORT" -x "$XPRT" daemon_status | grep -q "Daemon State: ready" ||
	fail "--status-public: uid 2000 cannot run daemon_status"
out=$(as_user 2000 "$LDMSCTL" -h 127.0.0.1 -p "$S_PORT" -x "$XPRT" stop name=test_sampler 2>&1) &&
	fail "--status-public let uid 2000 stop a sampler"
echo "$out" | grep -q "only its owner" || fail "--status-public refusal: $out"
log "--status-public: uid 2000 runs daemon_status, is refused stop: $out"

stop_ldmsd "$A_PID"
stop_ldmsd "$S_PID"
log "PASS"
