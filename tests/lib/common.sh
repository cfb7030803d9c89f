# common.sh - helpers for vigil's multi-process tests (sourced by tests/multi/*.sh).
#
# Every test gets its own temporary directory, picks free loopback ports,
# waits on conditions with deadlines (never a bare sleep as the check), and
# kills what it started by PID when it exits, pass or fail.

set -u

: "${top_builddir:?run through make check (top_builddir unset)}"
: "${top_srcdir:?run through make check (top_srcdir unset)}"

LDMSD="$top_builddir/ldmsd"
# The transport of start_ldmsd's listener: sock, unless the test calls use_xprt.
XPRT=sock
LDMS_LS="$top_builddir/ldms_ls"
LDMSCTL="$top_builddir/ldmsctl"
TEST_NAME=$(basename "$0" .sh)
TMP=$(mktemp -d "/tmp/vigil-$TEST_NAME.XXXXXX")
PIDS=""
# a sanitizer build must not hide its reports: every finding fails the daemon's exit status
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:exitcode=86}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

log() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	for f in "$TMP"/*.log; do
		[ -f "$f" ] || continue
		printf -- '--- %s (last 30 lines)\n' "$f" >&2
		tail -n 30 "$f" >&2
	done
	exit 1
}

cleanup() {
	for pid in $PIDS; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in $PIDS; do
		wait "$pid" 2>/dev/null
		rm -f "/dev/shm/vigil.$pid.sets"
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS CMD...: run CMD every 0.1 s until it succeeds; false after SECONDS.
wait_for() {
	local deadline=$(( $(date +%s%N) / 1000000 + $1 * 1000 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ $(( $(date +%s%N) / 1000000 )) -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# port_in_use PORT: true if anything on this host has PORT open (TCP, v4 or v6).
port_in_use() {
	local hex
	hex=$(printf ':%04X ' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q "$hex"
}

# free_port: a random unused port; callers retry if someone takes it first.
free_port() {
	local p
	while :; do
		p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		port_in_use "$p" || { echo "$p"; return; }
	done
}

# free_port_block N: the first of N consecutive unused ports (cluster YAML ranges need them).
free_port_block() {
	local base i
	while :; do
		base=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom) % 40000) ))
		i=0
		while [ $i -lt "$1" ] && ! port_in_use $((base + i)); do i=$((i + 1)); done
		[ $i -eq "$1" ] && { echo $base; return; }
	done
}

# listening PORT: true when a process listens on PORT.
listening() {
	local hex
	hex=$(printf ':%04X' "$1")
	# state 0A = LISTEN
	awk -v h="$hex" '$2 ~ h"$" && $4 == "0A" { found=1 } END { exit !found }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# start_ldmsd NAME PORT ARGS...: run ldmsd -F in the background on 127.0.0.1:PORT,
# logging to $TMP/NAME.log; sets LDMSD_PID. Returns non-zero if it did not come up.
start_ldmsd() {
	local name=$1 port=$2
	shift 2
	"$LDMSD" -F -x "$XPRT:$port:127.0.0.1" -l "$TMP/$name.log" -v INFO "$@" \
		>"$TMP/$name.out" 2>&1 &
	LDMSD_PID=$!
	PIDS="$PIDS $LDMSD_PID"
	if ! wait_for 20 listening "$port"; then
		kill -0 "$LDMSD_PID" 2>/dev/null || wait "$LDMSD_PID"
		return 1
	fi
	return 0
}

# start_ldmsd_retry NAME ARGS...: start_ldmsd on a free port, retrying if the
# port was taken meanwhile; sets PORT and LDMSD_PID.
start_ldmsd_retry() {
	local name=$1
	shift
	for _ in 1 2 3 4 5; do
		PORT=$(free_port)
		start_ldmsd "$name" "$PORT" "$@" && return 0
		grep -q "in use" "$TMP/$name.out" "$TMP/$name.log" 2>/dev/null || break
	done
	fail "ldmsd $name did not start: $(cat "$TMP/$name.out" 2>/dev/null)"
}

# exited PID: true once PID is gone or a zombie waiting for us.
exited() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	[ -z "$state" ] || [ "$state" = Z ]
}

# stop_ldmsd PID: SIGTERM, then require a clean exit (status 0: no leak report,
# sets unlinked) within 10 s.
stop_ldmsd() {
	local pid=$1 status
	kill -TERM "$pid" 2>/dev/null || fail "ldmsd $pid is not running"
	if ! wait_for 10 exited "$pid"; then
		fail "ldmsd $pid did not exit within 10 s of SIGTERM"
	fi
	wait "$pid"
	status=$?
	PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
	[ "$status" -eq 0 ] || fail "ldmsd $pid exited with status $status after SIGTERM"
	[ ! -e "/dev/shm/vigil.$pid.sets" ] || fail "/dev/shm/vigil.$pid.sets left behind"
}

# metric VALUE of NAME in `ldms_ls -l` output on stdin (first match).
metric() {
	awk -v m="$1" '($1 == "D" || $1 == "M") && $3 == m { print $4; exit }'
}

# last_update SET: the "last update" stamp of SET as ldms_ls -l prints it.
last_update() {
	"$LDMS_LS" -h 127.0.0.1 -p "$PORT" -l "$1" | head -1 | sed -n 's/.*last update: \(.*\) \[\(.*\)us\].*/\1 \2/p'
}

# sampler_conf FILE PRODUCER INTERVAL: the three samplers at INTERVAL.
sampler_conf() {
	cat >"$1" <<EOF
# the three samplers of a compute node
load name=meminfo
config name=meminfo producer=$2 instance=$2/meminfo component_id=7
start name=meminfo interval=$3 offset=0
load name=vmstat
config name=vmstat producer=$2 instance=$2/vmstat component_id=7
start name=vmstat interval=$3 offset=0
load name=procstat
config name=procstat producer=$2 instance=$2/procstat component_id=7
start name=procstat interval=$3 offset=0
EOF
}

# use_xprt: run this test over $VIGIL_XPRT (default sock): daemons listen on it,
# ldms_ls uses it, and the test's prdcr_add lines say xprt=$XPRT.  The same
# test then covers every transport (make check VIGIL_XPRT=fabric).
use_xprt() {
	XPRT=${VIGIL_XPRT:-sock}
	[ "$XPRT" = sock ] && return 0
	printf '#!/bin/sh\nexec "%s" -x %s "$@"\n' "$LDMS_LS" "$XPRT" >"$TMP/ldms_ls.$XPRT"
	chmod +x "$TMP/ldms_ls.$XPRT"
	LDMS_LS="$TMP/ldms_ls.$XPRT"
}
