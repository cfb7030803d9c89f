#!/bin/sh
# Runtime control through the config language over ldmsd's control socket:
# stop a sampler (its set stops advancing, the others go on), start it again
# (it advances again), load and configure a new instance at runtime, and
# bad commands fail with a message and a non-zero exit while the daemon
# stays up.
. "$top_srcdir/tests/lib/common.sh"

sampler_conf "$TMP/sampler.conf" node-1 1s
CTL="$TMP/ctl.sock"
start_ldmsd_retry sampler -c "$TMP/sampler.conf" -S "$CTL"
PID=$LDMSD_PID
LS="$LDMS_LS -h 127.0.0.1 -p $PORT"
C="$LDMSCTL -S $CTL"

[ "$(stat -c %a "$CTL")" = 600 ] || fail "control socket mode is $(stat -c %a "$CTL"), not 600"

consistent() { $LS -l "$1" | head -1 | grep -q ": consistent, last update"; }
wait_for 10 consistent node-1/meminfo || fail "meminfo never sampled"
wait_for 10 consistent node-1/vmstat || fail "vmstat never sampled"

# stop meminfo: it stops advancing while vmstat goes on
$C stop name=meminfo >"$TMP/out" 2>&1 || fail "ldmsctl stop failed: $(cat "$TMP/out")"
m1=$(last_update node-1/meminfo)
v1=$(last_update node-1/vmstat)
vm_moved() { [ "$(last_update node-1/vmstat)" != "$v1" ]; }
wait_for 5 vm_moved || fail "vmstat stopped advancing too"
v1=$(last_update node-1/vmstat)
wait_for 5 vm_moved || fail "vmstat stopped advancing too"
[ "$(last_update node-1/meminfo)" = "$m1" ] || fail "meminfo still advances after stop"
$C plugn_status | grep -E '^meminfo +meminfo +sampler +configured' >/dev/null ||
	fail "plugn_status does not show meminfo stopped: $($C plugn_status)"
log "stop: meminfo frozen at '$m1' while vmstat advanced twice"

# start it again
$C start name=meminfo interval=1s >"$TMP/out" 2>&1 || fail "ldmsctl start failed: $(cat "$TMP/out")"
mem_moved() { [ "$(last_update node-1/meminfo)" != "$m1" ]; }
wait_for 5 mem_moved || fail "meminfo does not advance after start"
log "start: meminfo advances again"

# a second meminfo instance at runtime
$C load name=mem2 plugin=meminfo || fail "runtime load of a second instance failed"
$C config name=mem2 producer=node-1 instance=node-1/mem2 component_id=9 || fail "runtime config failed"
$C start name=mem2 interval=500ms || fail "runtime start failed"
wait_for 5 consistent node-1/mem2 || fail "node-1/mem2 never sampled"
[ "$($LS -l node-1/mem2 | metric component_id)" = 9 ] || fail "mem2 component_id"
$C stop name=mem2 && $C term name=mem2 || fail "stop/term of mem2 failed"
gone() { ! $LS | grep -qx node-1/mem2; }
wait_for 5 gone || fail "node-1/mem2 still listed after term"
log "load/config/start/stop/term of a second instance at runtime"

# bad commands: message, non-zero exit, daemon unaffected
expect_error() {
	want=$1
	shift
	if $C "$@" >"$TMP/out" 2>&1; then fail "'$*' succeeded"; fi
	grep -q "$want" "$TMP/out" || fail "'$*' said '$(cat "$TMP/out")', expected '$want'"
}
expect_error "unknown command 'bogus_cmd'" bogus_cmd name=x
expect_error "unknown attribute 'colour'" load name=x colour=red
expect_error "missing required attribute 'interval'" start name=meminfo
expect_error "bad value 'often' for interval" start name=vmstat interval=often
expect_error "plugin 'nosuch' not found" load name=nosuch
expect_error "already running" start name=vmstat interval=1s
expect_error "is running (stop name=vmstat first)" term name=vmstat
expect_error "only be given at startup" set_memory size=1G
$C daemon_status | head -1 | grep -qx "Daemon State: ready" || fail "daemon_status after bad commands"
[ "$($LS | wc -l)" -eq 3 ] || fail "sets changed after bad commands"
log "bad commands fail with a message and exit 1; daemon unaffected"

# several commands from a file; the exit status reflects a failure among them
printf 'stop name=vmstat\n# a comment\nbogus\nstart name=vmstat interval=1s\n' >"$TMP/cmds"
$C -s "$TMP/cmds" >"$TMP/out" 2>&1 && fail "ldmsctl -s with a bad line exited 0"
$C plugn_status | grep -E '^vmstat +vmstat +sampler +running' >/dev/null ||
	fail "the good lines of the file did not run"

# remote endpoints refuse commands by default
$LDMSCTL -h 127.0.0.1 -p "$PORT" daemon_status >"$TMP/out" 2>&1 && fail "remote control accepted without --remote-control"
grep -q "not accepted on this endpoint" "$TMP/out" || fail "remote refusal message: $(cat "$TMP/out")"

$C daemon_exit || fail "daemon_exit failed"
wait_for 10 exited "$PID" || fail "daemon_exit did not stop ldmsd"
wait "$PID" || fail "ldmsd exited with status $? after daemon_exit"
PIDS=""
[ ! -e "/dev/shm/vigil.$PID.sets" ] || fail "set memory left after daemon_exit"
[ ! -e "$CTL" ] || fail "control socket left after exit"
log "daemon_exit: clean exit"
exit 0
