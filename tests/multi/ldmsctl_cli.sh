#!/bin/sh
# ldmsctl's command line: one command from the arguments, lines from a pipe,
# -s FILE (errors named FILE:LINE), --json (global and trailing), local help
# without a daemon, the exit status of each kind of failure, and the
# interactive prompt on a pseudo-terminal (script(1)).
. "$top_srcdir/tests/lib/common.sh"

CTL="$TMP/ctl.sock"
start_ldmsd_retry ctl -S "$CTL"
PID=$LDMSD_PID
C="$LDMSCTL -S $CTL"

# run EXPECTED_STATUS CMD...: run CMD with stdout in $TMP/out and stderr in $TMP/err
run() {
	run_want=$1
	shift
	"$@" >"$TMP/out" 2>"$TMP/err"
	run_got=$?
	[ "$run_got" -eq "$run_want" ] ||
		fail "'$*' exited $run_got, expected $run_want; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
}
has() { grep -q -- "$2" "$TMP/$1" || fail "$1 lacks '$2': $(cat "$TMP/$1")"; }
alive() { $C version >/dev/null 2>&1 || fail "the daemon stopped answering"; }

# one command from the arguments
run 0 $C version
has out "^vigil "
run 0 $C daemon_status
log "a command from the arguments"

# lines from a pipe: no prompt, a failed line does not stop the others
printf 'version\n# a comment\n\nbogus_cmd\ndaemon_status\n' >"$TMP/lines"
run 1 sh -c "$C <'$TMP/lines'"
[ "$(grep -c '^vigil ' "$TMP/out")" -eq 1 ] || fail "version did not run once: $(cat "$TMP/out")"
has err "unknown command 'bogus_cmd'"
grep -q "ldmsctl>" "$TMP/out" && fail "a prompt was printed for piped input"
printf 'version\nquit\nbogus_cmd\n' >"$TMP/lines"
run 0 sh -c "$C <'$TMP/lines'"
log "commands from a pipe"

# -s FILE: an error names FILE:LINE, the other lines still run, exit 1
cat >"$TMP/cmds.conf" <<EOF
# runtime changes
loglevel level=INFO
loglevel level=LOUD
version
EOF
run 1 $C -s "$TMP/cmds.conf"
has err "$TMP/cmds.conf:3: "
has err "LOUD"
has out "^vigil "
run 2 $C -s "$TMP/cmds.conf" version
log "-s FILE: error at $TMP/cmds.conf:3, the other lines ran"

# bad commands: an error naming the culprit, non-zero exit, the daemon unaffected
expect_error() {
	msg=$1
	shift
	run 1 $C "$@"
	has err "$msg"
	alive
}
expect_error "unknown command 'bogus_cmd'" bogus_cmd name=x
expect_error "unknown attribute 'colour'" load name=x colour=red
expect_error "bad value 'LOUD'" loglevel level=LOUD
expect_error "port" prdcr_add name=p host=localhost xprt=sock type=active
log "unknown command, unknown attribute, bad value: named, exit 1, daemon alive"

# --json for every command, or a trailing --json for one
json() { head -c1 "$TMP/out" | grep -q '{' || fail "'$1' did not answer in JSON: $(cat "$TMP/out")"; }
run 0 $C --json version
json "--json version"
run 0 $C -j daemon_status
json "-j daemon_status"
run 0 $C daemon_status --json
json "daemon_status --json"
run 0 $C version
has out "^vigil "
printf 'version --json\n' >"$TMP/json.conf"
run 0 $C -s "$TMP/json.conf"
json "-s with a trailing --json"
run 0 sh -c "echo 'version --json' | $C"
json "piped line with a trailing --json"
run 0 $C help prdcr_add --json
json "help prdcr_add --json (asked of the daemon)"
has out "prdcr_add"
log "--json, -j and a trailing --json reach the daemon"

# help comes from the table, locally: no daemon needed
run 0 $LDMSCTL -S "$TMP/no-such.sock" help prdcr_add
has out "prdcr_add name=NAME"
has out "reconnect"
run 0 $LDMSCTL help
has out "prdcr_status"
run 0 $LDMSCTL help command=stop
has out "^  stop name=NAME"
run 1 $LDMSCTL -S "$TMP/no-such.sock" help no_such_cmd
has err "no_such_cmd"
run 0 $LDMSCTL --help
has out "Usage: ldmsctl"
has out "strgp_add"
run 0 $LDMSCTL -V
has out "vigil"
log "help and --help without a daemon"

# options and connection failures
run 1 $LDMSCTL -h 127.0.0.1 -p 1 -a no_such_auth version
has err "no_such_auth"
run 0 $LDMSCTL -S "$CTL" -a none -A foo=bar version
run 2 $LDMSCTL -S "$CTL" --no-such-option version
has err "Usage: ldmsctl"
run 2 $LDMSCTL -S "$CTL" -p 0 version
run 2 $LDMSCTL version
has err "-S PATH"
run 1 $LDMSCTL -S "$TMP/no-such.sock" version
has err "$TMP/no-such.sock"
has err "is an ldmsd running"
alive
log "-a of a missing plugin: exit 1; bad option: exit 2; unreachable daemon: exit 1 naming it"

# the interactive prompt, on a pseudo-terminal
if command -v script >/dev/null 2>&1; then
	# script -e returns ldmsctl's status; quit ends the session (no EOF race)
	prompt() {
		printf '%b' "$1" | HOME="$TMP" timeout 20 script -qec "$C" /dev/null >"$TMP/tty" 2>&1
	}
	prompt 'help\nversion\n? stop\nbogus_cmd\nquit\n'
	status=$?
	tr -d '\r' <"$TMP/tty" >"$TMP/out"
	[ "$status" -eq 1 ] || fail "interactive session with a failed command exited $status: $(cat "$TMP/out")"
	has out "ldmsctl> "
	has out "^vigil "
	has out "End the prompt"     # help answered locally: it lists quit
	has out "^  stop name=NAME"
	has out "unknown command 'bogus_cmd'"
	prompt 'version\nexit\n' || fail "interactive session without failures exited $?: $(cat "$TMP/tty")"
	if grep -q "define HAVE_LIBEDIT 1" "$top_builddir/config.h"; then
		grep -q "bogus_cmd" "$TMP/.ldmsctl_history" ||
			fail "no history of the commands typed in $TMP/.ldmsctl_history"
	fi
	log "interactive: prompt, local help, replies, exit status"
else
	log "script(1) not found: interactive mode not tested"
fi

alive
stop_ldmsd "$PID"
log "PASS"
