# munge.sh - a private munged for tests (source it after common.sh).
#
# Every munged gets its own key, socket, pid, log and seed files under
# $TMP/munge-NAME, runs in the foreground as the test's user (no root, no
# system munged), is waited for until it answers, and is killed by PID when
# the test exits (it joins $PIDS).
#
#   start_munged NAME [KEYFILE]  start (or restart) munged NAME; sets
#                                MUNGE_SOCKET and MUNGED_PID.  NAME keeps its
#                                key across restarts; KEYFILE shares another's key.
#   stop_munged PID              SIGTERM, wait for it to exit.
#   have_munged                  true if munged and munge are installed.
#
# A second munged with a different key stands for a host of another cluster:
# credentials from one are rejected by the other.

MUNGED_BIN=$(command -v munged 2>/dev/null) || MUNGED_BIN=""
if [ -z "$MUNGED_BIN" ]; then
	# /usr/sbin is not in a normal user's PATH on Debian
	for d in /usr/sbin /sbin /usr/local/sbin; do
		[ -x "$d/munged" ] && { MUNGED_BIN="$d/munged"; break; }
	done
fi
MUNGE_BIN=$(command -v munge 2>/dev/null) || MUNGE_BIN=""

have_munged() { [ -n "$MUNGED_BIN" ] && [ -n "$MUNGE_BIN" ]; }

# munge_ready SOCKET: munged on SOCKET makes a credential.
munge_ready() {
	[ -S "$1" ] && "$MUNGE_BIN" -S "$1" -n >/dev/null 2>&1
}

start_munged() {
	local name=$1 key=${2:-} dir="$TMP/munge-$1"
	have_munged || fail "munged/munge not installed (apt-get install munge)"
	# munged refuses a socket whose directories are not searchable by all
	chmod 711 "$TMP"
	mkdir -p "$dir" && chmod 755 "$dir" || fail "cannot create $dir"
	if [ -n "$key" ]; then
		cp "$key" "$dir/munge.key" || fail "cannot copy munge key $key"
	elif [ ! -s "$dir/munge.key" ]; then
		dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 2>/dev/null ||
			fail "cannot create a munge key in $dir"
	fi
	chmod 600 "$dir/munge.key"
	MUNGE_SOCKET="$dir/munge.sock"
	"$MUNGED_BIN" --foreground --socket="$MUNGE_SOCKET" --key-file="$dir/munge.key" \
		--pid-file="$dir/munged.pid" --log-file="$dir/munged.log" \
		--seed-file="$dir/munged.seed" >>"$TMP/munged-$name.log" 2>&1 &
	MUNGED_PID=$!
	PIDS="$PIDS $MUNGED_PID"
	if ! wait_for 15 munge_ready "$MUNGE_SOCKET"; then
		fail "munged $name did not start on $MUNGE_SOCKET: $(tail -3 "$TMP/munged-$name.log")"
	fi
}

stop_munged() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || fail "munged $pid is not running"
	wait_for 10 exited "$pid" || fail "munged $pid did not exit within 10 s of SIGTERM"
	wait "$pid" 2>/dev/null
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}
