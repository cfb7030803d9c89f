#!/bin/sh
# Transports that cannot work say so and hurt nothing: on a host without an
# RDMA device, `ldmsd -x rdma:PORT` exits non-zero with one line, ldms_ls -x
# rdma fails with that line, and a producer with xprt=rdma logs it once and
# keeps retrying while the daemon runs on.  A sock client of a fabric
# listener and a fabric client of a sock listener fail with a clear error,
# and the daemon serves the right transport afterwards.
. "$top_srcdir/tests/lib/common.sh"

transports=$("$LDMSD" -V | sed -n 's/.*transports: //p')
has_xprt() { echo ",$transports," | grep -q ",$1,"; }
no_rdma_device() { [ ! -d /sys/class/infiniband ] || [ -z "$(ls /sys/class/infiniband)" ]; }

# ---------------------------------------------------------------- rdma without a device
if has_xprt rdma && ! no_rdma_device; then
	log "SKIP the device-less rdma checks: this host has an RDMA device"
else
	if has_xprt rdma; then want="no RDMA device"; else want="unknown transport 'rdma'"; fi
	port=$(free_port)
	"$LDMSD" -F -x "rdma:$port:127.0.0.1" >"$TMP/rdma.out" 2>&1 &
	pid=$!
	PIDS="$PIDS $pid"
	wait_for 5 exited "$pid" || fail "ldmsd -x rdma:$port did not exit within 5 s"
	wait "$pid"
	status=$?
	[ "$status" -ne 0 ] || fail "ldmsd -x rdma:$port exited 0"
	[ "$(wc -l <"$TMP/rdma.out")" -eq 1 ] ||
		fail "ldmsd -x rdma: expected one line, got: $(cat "$TMP/rdma.out")"
	grep -q "^ldmsd: -x rdma:$port:127.0.0.1: .*$want" "$TMP/rdma.out" ||
		fail "ldmsd -x rdma: '$(cat "$TMP/rdma.out")' lacks '$want'"
	log "ldmsd -x rdma: exit $status, '$(cat "$TMP/rdma.out")'"

	"$LDMS_LS" -x rdma -h 127.0.0.1 -p "$port" >"$TMP/ls.out" 2>"$TMP/ls.err" &&
		fail "ldms_ls -x rdma exited 0"
	[ "$(cat "$TMP/ls.out")" = "Connection failed/rejected." ] ||
		fail "ldms_ls -x rdma: stdout is '$(cat "$TMP/ls.out")'"
	[ "$(wc -l <"$TMP/ls.err")" -eq 1 ] && grep -q "^ldms_ls: .*$want" "$TMP/ls.err" ||
		fail "ldms_ls -x rdma: stderr is '$(cat "$TMP/ls.err")'"
	log "ldms_ls -x rdma: '$(cat "$TMP/ls.err")'"

	# a producer on rdma: the error once in the log, retries counted, the daemon lives on
	cat >"$TMP/agg.conf" <<EOF
prdcr_add name=p1 host=127.0.0.1 port=$port xprt=rdma type=active reconnect=100ms
prdcr_start name=p1
updtr_add name=u interval=200ms offset=50ms
updtr_prdcr_add name=u regex=.*
updtr_start name=u
EOF
	if has_xprt rdma; then
		start_ldmsd_retry agg -c "$TMP/agg.conf" -S "$TMP/agg.sock"
		AGG=$LDMSD_PID
		retried() { "$LDMSCTL" -S "$TMP/agg.sock" --json prdcr_status |
			grep -Eq '"connect_failures":([5-9]|[1-9][0-9]+)'; }
		wait_for 10 retried ||
			fail "producer p1 does not retry: $("$LDMSCTL" -S "$TMP/agg.sock" --json prdcr_status)"
		n=$(grep -c "no RDMA device" "$TMP/agg.log")
		[ "$n" -eq 1 ] || fail "producer p1: $n log lines about the missing device, want 1"
		grep -q "producer p1: cannot create an endpoint on transport rdma: rdma: no RDMA device" \
			"$TMP/agg.log" || fail "producer p1: the log does not say why"
		"$LDMS_LS" -h 127.0.0.1 -p "$PORT" >/dev/null || fail "the aggregator stopped serving"
		stop_ldmsd "$AGG"
		log "prdcr_add xprt=rdma: one log line, retries, the daemon runs on"
	fi
fi

# ---------------------------------------------------------------- sock and fabric do not mix
if ! has_xprt fabric; then
	log "SKIP sock/fabric mix: ldmsd was built without libfabric"
	exit 0
fi
export FI_PROVIDER="${FI_PROVIDER:-tcp}"
cat >"$TMP/sampler.conf" <<EOF
load name=meminfo
config name=meminfo producer=n1 instance=n1/meminfo
start name=meminfo interval=1s
EOF
# a fabric listener, asked by a sock client
XPRT=fabric
start_ldmsd_retry fab -c "$TMP/sampler.conf"
FAB=$LDMSD_PID FAB_PORT=$PORT
XPRT=sock
start_ldmsd_retry sock -c "$TMP/sampler.conf"
SOCK=$LDMSD_PID SOCK_PORT=$PORT

# check_mix CLIENT_XPRT PORT: the client fails with LDMS's line and a hint naming transports
check_mix() {
	timeout 30 "$LDMS_LS" -x "$1" -h 127.0.0.1 -p "$2" >"$TMP/mix.out" 2>"$TMP/mix.err" &&
		fail "ldms_ls -x $1 to the other transport's port $2 exited 0"
	[ "$(cat "$TMP/mix.out")" = "Connection failed/rejected." ] ||
		fail "ldms_ls -x $1: stdout is '$(cat "$TMP/mix.out")'"
	grep -q "127.0.0.1:$2" "$TMP/mix.err" ||
		fail "ldms_ls -x $1: stderr does not name the endpoint: $(cat "$TMP/mix.err")"
	grep -q "with a transport other than $1" "$TMP/mix.err" ||
		fail "ldms_ls -x $1: stderr does not suggest the transport: $(cat "$TMP/mix.err")"
	log "ldms_ls -x $1 to port $2: $(tr '\n' ' ' <"$TMP/mix.err")"
}
check_mix sock "$FAB_PORT"
check_mix fabric "$SOCK_PORT"

# both daemons run on and serve their own transport
kill -0 "$FAB" 2>/dev/null || fail "the fabric daemon died"
kill -0 "$SOCK" 2>/dev/null || fail "the sock daemon died"
has_set() { "$LDMS_LS" -x "$1" -h 127.0.0.1 -p "$2" | grep -qx "n1/meminfo"; }
wait_for 10 has_set fabric "$FAB_PORT" || fail "the fabric daemon does not serve fabric clients"
wait_for 10 has_set sock "$SOCK_PORT" || fail "the sock daemon does not serve sock clients"
grep -q "not a vigil sock peer" "$TMP/sock.log" ||
	fail "the sock daemon did not log the fabric client it dropped"
stop_ldmsd "$FAB"
stop_ldmsd "$SOCK"
log "sock and fabric: clear errors, both daemons serve on"
