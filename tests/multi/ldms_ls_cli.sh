#!/bin/sh
# ldms_ls prints what LDMS 4.4's prints: samplers reading recorded /proc files
# (tests/fixtures/node-1, the node of tests/fixtures/ldms44/ls_l.txt) give
# -l output equal to LDMS's byte for byte but for the update time; the -v
# table's header and rows have LDMS's layout; selection by name, schema and
# regex; errors and exit codes; IPv6.
. "$top_srcdir/tests/lib/common.sh"

REF="$VIGIL_FIXTURES/ldms44"

# ---------------------------------------------------------------- usage and errors
"$LDMS_LS" >"$TMP/out" 2>&1 && fail "ldms_ls without arguments should exit non-zero"
grep -q "Usage: ldms_ls" "$TMP/out" || fail "ldms_ls without arguments does not print usage"

closed=$(free_port)
"$LDMS_LS" -h 127.0.0.1 -p "$closed" >"$TMP/out" 2>"$TMP/err" && fail "ldms_ls to a closed port exited 0"
[ "$(cat "$TMP/out")" = "Connection failed/rejected." ] || fail "closed port: stdout is '$(cat "$TMP/out")'"
grep -q "127.0.0.1:$closed" "$TMP/err" || fail "closed port: stderr does not name the endpoint: $(cat "$TMP/err")"
grep -q "refused" "$TMP/err" || fail "closed port: stderr does not say why: $(cat "$TMP/err")"
log "unreachable daemon: exit 1, LDMS's line, and the reason on stderr"

# ---------------------------------------------------------------- a node from recorded files
sampler_conf "$TMP/sampler.conf" node-1 1s
export VIGIL_PROC_ROOT="$VIGIL_FIXTURES/node-1"
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
PID=$LDMSD_PID
unset VIGIL_PROC_ROOT
LS="$LDMS_LS -h 127.0.0.1 -p $PORT"
consistent() { $LS -l "$1" | head -1 | grep -q ": consistent, last update"; }
for s in meminfo vmstat procstat; do
	wait_for 10 consistent "node-1/$s" || fail "node-1/$s never became consistent"
done

# one set's block out of an ldms_ls -l listing, the update time blanked
block() {
	awk -v s="$1" 'index($0, s ": ") == 1 { on = 1 } on { print } on && $0 == "" { exit }' |
		sed 's/last update: .* \[[0-9]*us\] $/last update: TIME/'
}
for s in meminfo procstat vmstat; do
	block "node-1/$s" <"$REF/ls_l.txt" >"$TMP/want.$s"
	$LS -l "node-1/$s" | block "node-1/$s" >"$TMP/got.$s"
	[ -s "$TMP/want.$s" ] || fail "no node-1/$s block in the reference"
	cmp -s "$TMP/want.$s" "$TMP/got.$s" ||
		fail "ldms_ls -l node-1/$s differs from LDMS 4.4: $(diff "$TMP/want.$s" "$TMP/got.$s" | head -20)"
done
log "ldms_ls -l equals LDMS 4.4's output for meminfo, procstat and vmstat"

# the set header line: LDMS's date format and a trailing space
$LS -l node-1/meminfo | head -1 |
	grep -Eq '^node-1/meminfo: consistent, last update: [A-Z][a-z]{2} [A-Z][a-z]{2} [0-9]{2} [0-9:]{8} [0-9]{4} [-+][0-9]{4} \[[0-9]+us\] $' ||
	fail "set header line format: '$($LS -l node-1/meminfo | head -1)'"

# -v: LDMS's header and rule lines, one row per set, the totals line
$LS -v >"$TMP/v"
head -2 "$REF/ls_v.txt" >"$TMP/v.want"
head -2 "$TMP/v" >"$TMP/v.got"
cmp -s "$TMP/v.want" "$TMP/v.got" || fail "ldms_ls -v header differs: $(diff "$TMP/v.want" "$TMP/v.got")"
grep -Eq '^meminfo +node-1/meminfo +CL +[0-9]+ +[0-9]+ +0 +[0-9]+ +[0-9]+ -r--r----- +[0-9]+\.[0-9]{6} +[0-9]+\.[0-9]{6} "updt_hint_us"="1000000:0" $' "$TMP/v" ||
	fail "ldms_ls -v row: $(grep node-1/meminfo "$TMP/v")"
tail -1 "$TMP/v" | grep -Eq '^Total Sets: 3, Meta Data \(kB\): [0-9]+\.[0-9]{2}, Data \(kB\) [0-9]+\.[0-9]{2}, Memory \(kB\): [0-9]+\.[0-9]{2}$' ||
	fail "ldms_ls -v totals: $(tail -1 "$TMP/v")"
# -l -v: table, LDMS's separator, then the blocks
$LS -l -v node-1/meminfo >"$TMP/lv"
grep -qx "=======================================================================" "$TMP/lv" || fail "-l -v lacks the separator"
[ "$(grep -c '^D u64 ' "$TMP/lv")" -gt 50 ] || fail "-l -v lacks the metric lines"
# -u: user data before each value
$LS -l -u node-1/meminfo | grep -q '^M u64        component_id                               0x0 7 $' ||
	fail "-u format: $($LS -l -u node-1/meminfo | sed -n 2p)"
log "ldms_ls -v, -l -v and -u have LDMS's layout"

# ---------------------------------------------------------------- selection
[ "$($LS -S vmstat)" = "node-1/vmstat" ] || fail "-S vmstat: $($LS -S vmstat)"
[ "$($LS -E 'node-1/(mem|vm).*' | tr '\n' ' ')" = "node-1/meminfo node-1/vmstat " ] ||
	fail "-E: $($LS -E 'node-1/(mem|vm).*')"
[ "$($LS node-1/meminfo node-1/vmstat | wc -l)" -eq 2 ] || fail "two names select two sets"
[ "$($LS node-1/mem)" = "ldms_ls: No metric sets matched the given criteria" ] ||
	fail "a plain name is not a prefix: $($LS node-1/mem)"
$LS nosuch/set >"$TMP/out" || fail "no match must exit 0"
[ "$(cat "$TMP/out")" = "ldms_ls: No metric sets matched the given criteria" ] || fail "no match message: $(cat "$TMP/out")"
$LS -E '(' >"$TMP/out" 2>&1 && fail "a bad regex must exit non-zero"
grep -q "bad regular expression" "$TMP/out" || fail "bad regex message: $(cat "$TMP/out")"
log "selection by name, schema and regex"

# ---------------------------------------------------------------- IPv6
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	P6=$(free_port)
	"$LDMSD" -F -x "sock:$P6:::1" -c "$TMP/sampler.conf" -l "$TMP/v6.log" -v INFO >"$TMP/v6.out" 2>&1 &
	PID6=$!
	PIDS="$PIDS $PID6"
	wait_for 10 listening "$P6" || fail "ldmsd on [::1]:$P6 did not start: $(cat "$TMP/v6.out")"
	v6sets() { [ "$("$LDMS_LS" -h ::1 -p "$P6" | wc -l)" -eq 3 ]; }
	wait_for 10 v6sets || fail "ldms_ls over IPv6 ::1 does not list 3 sets"
	stop_ldmsd "$PID6"
	log "IPv6: ldmsd on ::1 and ldms_ls -h ::1"
else
	log "IPv6 skipped: no ::1 on lo"
fi

stop_ldmsd "$PID"
exit 0
