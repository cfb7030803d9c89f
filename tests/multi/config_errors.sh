#!/bin/sh
# A config file with a mistake stops ldmsd before anything starts, with
# file:line: and a message, and a non-zero exit: in the foreground and when
# daemonizing (the error reaches the terminal that started it).  A good
# daemonized start writes its pid file and exits cleanly on SIGTERM.
. "$top_srcdir/tests/lib/common.sh"

# expect_startup_error NAME WANT CONFIG-TEXT: ldmsd must refuse CONFIG-TEXT
expect_startup_error() {
	name=$1 want=$2
	printf '%s' "$3" >"$TMP/$name.conf"
	port=$(free_port)
	"$LDMSD" -F -x "sock:$port:127.0.0.1" -c "$TMP/$name.conf" >"$TMP/$name.out" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for 20 exited "$pid" || fail "$name: ldmsd did not exit"
	wait "$pid"
	status=$?
	[ "$status" -ne 0 ] || fail "$name: ldmsd exited 0"
	grep -q -- "$want" "$TMP/$name.out" || fail "$name: output '$(cat "$TMP/$name.out")' lacks '$want'"
	[ ! -e "/dev/shm/vigil.$pid.sets" ] || fail "$name: set memory left behind"
	listening "$port" && fail "$name: port $port is listening"
	log "$name: exit $status, '$(head -1 "$TMP/$name.out")'"
}

GOOD='load name=meminfo
config name=meminfo producer=n1 instance=n1/meminfo
start name=meminfo interval=1s
# a comment
load name=vmstat
config name=vmstat producer=n1 instance=n1/vmstat
'
expect_startup_error line7 "line7.conf:7: start: bad value 'fast' for interval" "${GOOD}start name=vmstat interval=fast
"
expect_startup_error unknown_cmd "unknown_cmd.conf:7: unknown command 'strat'" "${GOOD}strat name=vmstat interval=1s
"
expect_startup_error plugin_config "plugin_config.conf:2: meminfo: the attribute 'producer' is required" 'load name=meminfo
config name=meminfo instance=n1/meminfo
'
expect_startup_error unknown_attr "unknown_attr.conf:1: load: unknown attribute 'colour'" 'load name=meminfo colour=red
'
expect_startup_error missing_attr "missing_attr.conf:1: load: missing required attribute 'name'" 'load plugin=meminfo
'
expect_startup_error no_plugin "no_plugin.conf:3: plugin 'nosuchsampler' not found" '# comment

load name=nosuchsampler
'
expect_startup_error offset "offset.conf:3: " 'load name=meminfo
config name=meminfo producer=n1 instance=n1/meminfo
start name=meminfo interval=1s offset=900ms
'
expect_startup_error missing_include "missing_include.conf:1: in file included here: cannot read config file /nonexistent/x.conf" 'include path=/nonexistent/x.conf
'
expect_startup_error set_memory "set memory" 'set_memory size=16K
'
expect_startup_error tiny_interval "tiny_interval.conf:3: start meminfo: interval 1 us is below 1 ms" 'load name=meminfo
config name=meminfo producer=n1 instance=n1/meminfo
start name=meminfo interval=1
'
expect_startup_error typo "typo.conf:2: meminfo: unknown attribute 'componentid'" 'load name=meminfo
config name=meminfo producer=n1 instance=n1/meminfo componentid=5
'
"$LDMSD" -F -x sock:0 -c /dev/null >"$TMP/port0.out" 2>&1 && fail "-x sock:0 was accepted"
grep -q "the port must be from 1 to 65535" "$TMP/port0.out" || fail "port 0: $(cat "$TMP/port0.out")"
"$LDMSD" -u sampler >"$TMP/u.out" 2>&1 || fail "ldmsd -u sampler failed: $(cat "$TMP/u.out")"
for p in meminfo vmstat procstat; do
	grep -q "^$p: " "$TMP/u.out" || fail "ldmsd -u sampler does not describe $p"
done
"$LDMSD" -t -V >"$TMP/t.out" 2>&1 || fail "LDMS's obsolete -t is refused"
grep -q "no longer supported" "$TMP/t.out" || fail "-t: $(cat "$TMP/t.out")"

# a port in use is a clear error
busy=$(free_port)
sampler_conf "$TMP/good.conf" n1 1s
start_ldmsd busy "$busy" -c "$TMP/good.conf" || fail "could not start the first ldmsd"
BUSY_PID=$LDMSD_PID
"$LDMSD" -F -x "sock:$busy:127.0.0.1" -c "$TMP/good.conf" >"$TMP/second.out" 2>&1 &&
	fail "a second ldmsd on a busy port exited 0"
grep -q "in use" "$TMP/second.out" || fail "busy port message: $(cat "$TMP/second.out")"
grep -q "sock:$busy" "$TMP/second.out" || fail "busy port message does not name the endpoint: $(cat "$TMP/second.out")"
stop_ldmsd "$BUSY_PID"
log "busy port: '$(head -1 "$TMP/second.out")'"

# nothing to do: LDMS's status 101
"$LDMSD" -F >"$TMP/none.out" 2>&1
[ $? -eq 101 ] || fail "ldmsd without -c/-x should exit 101"

# daemonized: a bad config is reported by the starting process
printf 'load name=meminfo\nbogus\n' >"$TMP/bad.conf"
port=$(free_port)
"$LDMSD" -x "sock:$port:127.0.0.1" -c "$TMP/bad.conf" -r "$TMP/bad.pid" >"$TMP/bad.out" 2>&1 &&
	fail "daemonized ldmsd with a bad config exited 0"
grep -q "bad.conf:2: unknown command 'bogus'" "$TMP/bad.out" || fail "daemonized error: $(cat "$TMP/bad.out")"
[ ! -e "$TMP/bad.pid" ] || fail "pid file written for a failed start"

# daemonized: a good start returns 0 at once and leaves a running daemon; it lets go of
# the launcher's stdout (as $(...), ssh and pdsh wait for every holder of it to close)
port=$(free_port)
out=$(timeout 10 "$LDMSD" -x "sock:$port:127.0.0.1" -c "$TMP/good.conf" -r "$TMP/good.pid" \
	-l "$TMP/daemon.log" 2>"$TMP/daemon.err") || fail "daemonized start failed or kept the launcher's stdout: $(cat "$TMP/daemon.err")"
[ -s "$TMP/good.pid" ] || fail "no pid file"
DPID=$(cat "$TMP/good.pid")
PIDS="$PIDS $DPID"
kill -0 "$DPID" || fail "daemon $DPID is not running"
wait_for 10 listening "$port" || fail "daemon not listening"
# a second daemon with the same pid file is refused, and does not take the file
port2=$(free_port)
"$LDMSD" -x "sock:$port2:127.0.0.1" -c "$TMP/good.conf" -r "$TMP/good.pid" >"$TMP/second.out" 2>&1 &&
	fail "a second daemon took a pid file of a running one"
grep -q "belongs to running process $DPID" "$TMP/second.out" || fail "pid file clash: $(cat "$TMP/second.out")"
[ "$(cat "$TMP/good.pid")" = "$DPID" ] || fail "the pid file changed"
[ "$("$LDMS_LS" -h 127.0.0.1 -p "$port" | wc -l)" -eq 3 ] || fail "daemon does not serve 3 sets"
kill -TERM "$DPID"
gone() { ! kill -0 "$DPID" 2>/dev/null; }
wait_for 10 gone || fail "daemon did not exit on SIGTERM"
[ ! -e "$TMP/good.pid" ] || fail "pid file left after exit"
[ ! -e "/dev/shm/vigil.$DPID.sets" ] || fail "set memory left after exit"
grep -q Sanitizer "$TMP/daemon.err" && fail "sanitizer report: $(cat "$TMP/daemon.err")"
log "daemonized start, pid file, clean SIGTERM"
exit 0
