#!/bin/sh
# A compute node: ldmsd samples meminfo, vmstat and procstat every second;
# ldms_ls lists the three sets, MemTotal equals /proc/meminfo's, counters
# advance between two reads one interval apart, and SIGTERM exits cleanly
# with the shared memory unlinked.
. "$top_srcdir/tests/lib/common.sh"

sampler_conf "$TMP/sampler.conf" node-1 1s
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
PID=$LDMSD_PID
LS="$LDMS_LS -h 127.0.0.1 -p $PORT"

has_three_sets() { [ "$($LS | wc -l)" -eq 3 ]; }
wait_for 10 has_three_sets || fail "ldms_ls does not list 3 sets: $($LS 2>&1)"
[ "$($LS)" = "node-1/meminfo
node-1/procstat
node-1/vmstat" ] || fail "unexpected set list: $($LS)"
log "ldms_ls lists the 3 sets"

[ -e "/dev/shm/vigil.$PID.sets" ] || fail "no set memory in /dev/shm/vigil.$PID.sets"

# wait for the first sample of each set
consistent() { $LS -l "$1" | head -1 | grep -q ": consistent, last update"; }
for s in meminfo vmstat procstat; do
	wait_for 5 consistent "node-1/$s" || fail "node-1/$s never became consistent"
done

memtotal_ls=$($LS -l node-1/meminfo | metric MemTotal)
memtotal_proc=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
[ -n "$memtotal_ls" ] && [ "$memtotal_ls" = "$memtotal_proc" ] ||
	fail "MemTotal: ldms_ls says '$memtotal_ls', /proc/meminfo says '$memtotal_proc'"
[ "$($LS -l node-1/meminfo | metric component_id)" = 7 ] || fail "component_id is not 7"
log "MemTotal $memtotal_ls kB equals /proc/meminfo"

# counters advance between two reads one interval apart
# the stamp and the values from one read, so that a sample between two reads cannot pair them wrongly
cpu_total() {
	awk '$1 == "D" && ($3 == "user" || $3 == "nice" || $3 == "sys" ||
		$3 == "idle" || $3 == "iowait" || $3 == "irq" || $3 == "softirq" || $3 == "steal") { s += $4 }
		END { print s + 0 }'
}
snap=$($LS -l node-1/procstat)
t1=$(echo "$snap" | head -1 | sed -n 's/.*last update: \(.*\) \[\(.*\)us\].*/\1 \2/p')
c1=$(echo "$snap" | cpu_total)
vsnap=$($LS -l node-1/vmstat)
v1=$(echo "$vsnap" | head -1 | sed -n 's/.*last update: \(.*\) \[\(.*\)us\].*/\1 \2/p')
p1=$(echo "$vsnap" | metric pgfault)
changed() { [ "$(last_update node-1/procstat)" != "$t1" ] && [ "$(last_update node-1/vmstat)" != "$v1" ]; }
wait_for 5 changed || fail "node-1/procstat and vmstat were not updated within 5 s"
c2=$($LS -l node-1/procstat | cpu_total)
p2=$($LS -l node-1/vmstat | metric pgfault)
[ "$c2" -gt "$c1" ] || fail "procstat cpu time did not advance ($c1 -> $c2)"
[ "$p2" -gt "$p1" ] || fail "vmstat pgfault did not advance ($p1 -> $p2)"
log "counters advance: cpu jiffies $c1 -> $c2, pgfault $p1 -> $p2"

# the update hint and the set table
$LS -v | grep -q '"updt_hint_us"="1000000:0"' || fail "ldms_ls -v lacks the update hint"
$LS -v | grep -q '^Total Sets: 3, Meta Data (kB): ' || fail "ldms_ls -v lacks the totals line"

stop_ldmsd "$PID"
log "clean exit on SIGTERM, set memory unlinked"
exit 0
