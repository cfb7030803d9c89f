#!/bin/sh
# store_csv under a 10 Hz load, pushed by the sampler at the end of every sample:
#  - rollover by records (rolltype=3) and by bytes (rolltype=4): every file has
#    its header, and across the files every sample is there exactly once
#    (test_sampler's counters make consecutive rows consecutive integers);
#  - a storage policy whose directory cannot be created logs the path and
#    the cause, and the other policies carry on;
#  - strgp_stop stops the rows, strgp_start resumes them.
. "$top_srcdir/tests/lib/common.sh"
use_xprt

cat >"$TMP/sampler.conf" <<EOF
load name=test_sampler
config name=test_sampler action=add_schema schema=ts num_metrics=4
config name=test_sampler action=add_set instance=node-1/ts schema=ts producer=node-1
start name=test_sampler interval=100ms offset=0
EOF
start_ldmsd_retry sampler -c "$TMP/sampler.conf"
S_PORT=$PORT S_PID=$LDMSD_PID

mkdir -p "$TMP/rec" "$TMP/bytes"
# a file where the container directory should be: mkdir fails even for root
: >"$TMP/rec/blocked"
cat >"$TMP/agg.conf" <<EOF
load name=csv_rec plugin=store_csv
config name=csv_rec path=$TMP/rec rolltype=3 rollover=7
load name=csv_bytes plugin=store_csv
config name=csv_bytes path=$TMP/bytes rolltype=4 rollover=1024 buffer=0
prdcr_add name=node-1 host=127.0.0.1 port=$S_PORT xprt=$XPRT type=active reconnect=200ms
prdcr_start name=node-1
updtr_add name=push interval=1s push=onchange
updtr_prdcr_add name=push regex=.*
updtr_start name=push
strgp_add name=rec plugin=csv_rec container=c schema=ts
strgp_start name=rec
strgp_add name=bytes plugin=csv_bytes container=c schema=ts
strgp_start name=bytes
strgp_add name=blocked plugin=csv_rec container=blocked schema=ts
strgp_start name=blocked
strgp_add name=toggle plugin=csv_rec container=toggle schema=ts
strgp_start name=toggle
strgp_add name=cols plugin=csv_rec container=cols schema=ts
strgp_metric_add name=cols metric=metric_3
strgp_metric_add name=cols metric=metric_1
strgp_start name=cols
EOF
start_ldmsd_retry agg -S "$TMP/agg.sock" -c "$TMP/agg.conf"
A_PID=$LDMSD_PID
CTL="$LDMSCTL -S $TMP/agg.sock"

data_rows() { cat "$@" 2>/dev/null | grep -vc '^#'; }
enough() { [ "$(data_rows "$TMP"/rec/c/ts.*)" -ge 45 ]; }
wait_for 20 enough || fail "fewer than 45 rows after 20 s: $(ls -l "$TMP/rec/c" 2>&1)"

# strgp_metric_add: only those columns, in set order
head -1 "$(ls "$TMP"/rec/cols/ts.* | head -1)" | grep -qx '#Time,Time_usec,ProducerName,metric_1,metric_3' ||
	fail "strgp_metric_add: header is $(head -1 "$(ls "$TMP"/rec/cols/ts.* | head -1)")"
$CTL strgp_status name=cols | grep -qx '     metrics: metric_3 metric_1' ||
	fail "strgp_status does not list the chosen metrics: $($CTL strgp_status name=cols)"
log "strgp_metric_add stores only the chosen columns, in set order"

grep -q "blocked" "$TMP/agg.log" || fail "no error naming the blocked container"
grep -q "$TMP/rec/blocked" "$TMP/agg.log" || fail "the error does not name the path $TMP/rec/blocked"
[ "$(grep -c "storage policy blocked" "$TMP/agg.log")" -le 3 ] ||
	fail "the blocked policy floods the log: $(grep -c "storage policy blocked" "$TMP/agg.log") lines"
log "the unwritable container is reported once with its path; the others carry on"

# strgp_stop / strgp_start on a running aggregator
$CTL strgp_stop name=toggle || fail "strgp_stop failed"
stopped_rows=$(data_rows "$TMP"/rec/toggle/ts.*)
bytes_rows=$(data_rows "$TMP"/bytes/c/ts.*)
more_bytes() { [ "$(data_rows "$TMP"/bytes/c/ts.*)" -ge $((bytes_rows + 5)) ]; }
wait_for 5 more_bytes || fail "the other policies stopped too"
[ "$(data_rows "$TMP"/rec/toggle/ts.*)" -eq "$stopped_rows" ] || fail "rows still arrive after strgp_stop"
$CTL strgp_start name=toggle || fail "strgp_start failed"
resumed() { [ "$(data_rows "$TMP"/rec/toggle/ts.*)" -gt "$stopped_rows" ]; }
wait_for 5 resumed || fail "rows did not resume after strgp_start"
log "strgp_stop stops the rows, strgp_start resumes them"

stop_ldmsd "$A_PID"
stop_ldmsd "$S_PID"

# Every rolled file starts with the header and holds at most the rollover.
check_files() {
	dir=$1 max_rows=$2 max_bytes=$3
	nfiles=0
	for f in "$dir"/ts.*; do
		nfiles=$((nfiles + 1))
		[ "$(head -1 "$f")" = "#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2,metric_3" ] ||
			fail "$f does not start with the header: $(head -1 "$f")"
		[ "$(grep -c '^#' "$f")" -eq 1 ] || fail "$f has more than one header"
		[ "$(data_rows "$f")" -le "$max_rows" ] || fail "$f has $(data_rows "$f") rows (rollover $max_rows)"
		[ "$(stat -c %s "$f")" -le "$max_bytes" ] || fail "$f has $(stat -c %s "$f") bytes (rollover $max_bytes)"
	done
	[ "$nfiles" -ge 3 ] || fail "only $nfiles files in $dir: no rollover"
	echo "$nfiles"
}
nrec=$(check_files "$TMP/rec/c" 7 100000) || exit 1
nbytes=$(check_files "$TMP/bytes/c" 100000 1024) || exit 1

# Across the files, each sample once: metric_0 counts up by one per sample.
contiguous() {
	cat "$1"/ts.* | grep -v '^#' | cut -d, -f4 | sort -n | awk '
		NR == 1 { first = $1 } { if (seen[$1]++) dup++; last = $1; n++ }
		END { if (dup) { print "duplicates: " dup; exit 1 }
		      if (last - first + 1 != n) { print "missing: " (last - first + 1 - n); exit 1 }
		      print n }'
}
n_rec=$(contiguous "$TMP/rec/c") || fail "records rollover: $n_rec"
n_bytes=$(contiguous "$TMP/bytes/c") || fail "bytes rollover: $n_bytes"
# both stores received the same updates
[ "$n_bytes" -eq "$n_rec" ] || fail "the bytes store has $n_bytes rows, the records store $n_rec"
log "rolltype=3: $n_rec rows over $nrec files; rolltype=4: $n_bytes rows over $nbytes files; none lost or doubled"
log "PASS"
