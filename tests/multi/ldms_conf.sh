#!/bin/sh
# ldms-conf and ldmsd -y with a cluster YAML file on loopback ports:
#  - `ldms-conf up` starts a sampler and an aggregator with store_csv; rows reach
#    the CSV; `ldms-conf down` stops both and their pid files go;
#  - `ldmsd -y FILE -n NAME` runs one daemon of the file; without -n and with two
#    daemons on this host it asks for -n;
#  - gen writes one config per daemon; check accepts the example file;
#  - a bad file: exit non-zero with file:line:col and the key path.
. "$top_srcdir/tests/lib/common.sh"

LDMS_CONF="$top_builddir/tools/ldms-conf"
if [ ! -x "$LDMS_CONF" ]; then
	log "built without libyaml: skipped"
	exit 77
fi
export VIGIL_LDMSD="$LDMSD"
RUN="$TMP/run"

# the example installed with vigil is a good file
"$LDMS_CONF" check "$top_srcdir/ldms-conf/examples/cluster.yaml" >"$TMP/example.out" 2>&1 ||
	fail "check of the example: $(cat "$TMP/example.out")"
grep -q "5 daemons, 2 samplers" "$TMP/example.out" || fail "example summary: $(cat "$TMP/example.out")"
grep -q "l1-1: 1 producer (sampler-1), 1 standby (sampler-2)" "$TMP/example.out" ||
	fail "example summary lacks the balanced group: $(cat "$TMP/example.out")"

# usage errors exit 2
"$LDMS_CONF" >/dev/null 2>&1
[ $? -eq 2 ] || fail "ldms-conf without arguments did not exit 2"
"$LDMS_CONF" gen "$TMP/none.yaml" >/dev/null 2>&1
[ $? -eq 2 ] || fail "gen without --daemon or -o did not exit 2"
"$LDMS_CONF" --help | grep -q "gen FILE --daemon NAME" || fail "--help lacks gen"

write_cluster() {
	cat >"$TMP/c.yaml" <<EOF
daemons:
  - names: smp
    hosts: localhost
    environment:
      COMPID: "42"
    endpoints:
      - names: smp-ep
        ports: $S_PORT
        maestro_comm: true
  - names: agg
    hosts: 127.0.0.1
    endpoints:
      - names: agg-ep
        ports: $A_PORT
        maestro_comm: true
samplers:
  - daemons: smp
    plugins:
      - name: meminfo
        interval: 500ms
        offset: 0ms
        config: {component_id: "\${COMPID}"}
aggregators:
  - daemons: agg
    peers:
      - daemons: smp
        reconnect: 200ms
        type: active
        updaters:
          - interval: 500ms
            offset: 100ms
stores:
  - name: mem
    daemons: agg
    container: c
    schema: meminfo
    plugin:
      name: store_csv
      config: {path: $TMP/csv, buffer: 0}
EOF
}

mkdir -p "$TMP/csv"
track_pids() {
	for f in "$RUN"/*.pid; do
		[ -f "$f" ] && PIDS="$PIDS $(cat "$f")"
	done
}

# up: retried on new ports if a port was taken meanwhile
for attempt in 1 2 3; do
	S_PORT=$(free_port)
	A_PORT=$(free_port)
	[ "$S_PORT" != "$A_PORT" ] || continue
	write_cluster
	"$LDMS_CONF" up "$TMP/c.yaml" --run-dir "$RUN" >"$TMP/up.out" 2>&1
	status=$?
	track_pids
	[ $status -eq 0 ] && break
	grep -q "in use" "$TMP/up.out" "$RUN"/*.out 2>/dev/null || fail "up failed: $(cat "$TMP/up.out")"
	"$LDMS_CONF" down "$TMP/c.yaml" --run-dir "$RUN" >/dev/null 2>&1
done
[ $status -eq 0 ] || fail "up failed: $(cat "$TMP/up.out")"
grep -q "^smp: up, pid [0-9]*, listening on sock:$S_PORT" "$TMP/up.out" || fail "up output: $(cat "$TMP/up.out")"
grep -q "^agg: up, pid" "$TMP/up.out" || fail "up output: $(cat "$TMP/up.out")"
grep -q "2 of 2 daemons up" "$TMP/up.out" || fail "up output: $(cat "$TMP/up.out")"
SMP_PID=$(cat "$RUN/smp.pid")
AGG_PID=$(cat "$RUN/agg.pid")
log "up: smp (pid $SMP_PID) on $S_PORT, agg (pid $AGG_PID) on $A_PORT"

# rows of the sampler reach the aggregator's CSV, with the component id from its environment
CSV="$TMP/csv/c/meminfo"
rows() { awk -F, '$3 == "smp"' "$CSV" 2>/dev/null | wc -l; }
has_rows() { [ "$(rows)" -ge 3 ]; }
wait_for 20 has_rows || fail "no CSV rows of smp in $CSV: $(cat "$CSV" 2>/dev/null | head -3)"
awk -F, '$3 == "smp" { print $4; exit }' "$CSV" | grep -qx 42 ||
	fail "component_id is not 42: $(head -2 "$CSV")"
log "rows of smp reach the CSV through agg"

# up again: nothing new starts
"$LDMS_CONF" up "$TMP/c.yaml" --run-dir "$RUN" >"$TMP/up2.out" 2>&1 || fail "second up: $(cat "$TMP/up2.out")"
grep -q "smp: already running, pid $SMP_PID" "$TMP/up2.out" || fail "second up: $(cat "$TMP/up2.out")"

# down stops both cleanly
"$LDMS_CONF" down "$TMP/c.yaml" --run-dir "$RUN" >"$TMP/down.out" 2>&1 || fail "down: $(cat "$TMP/down.out")"
grep -q "^smp: stopped (pid $SMP_PID)$" "$TMP/down.out" || fail "down output: $(cat "$TMP/down.out")"
grep -q "^agg: stopped (pid $AGG_PID)$" "$TMP/down.out" || fail "down output: $(cat "$TMP/down.out")"
for pid in $SMP_PID $AGG_PID; do
	exited "$pid" || fail "pid $pid still runs after down"
	[ ! -e "/dev/shm/vigil.$pid.sets" ] || fail "/dev/shm/vigil.$pid.sets left behind"
done
[ ! -e "$RUN/smp.pid" ] && [ ! -e "$RUN/agg.pid" ] || fail "pid files left: $(ls "$RUN")"
grep -q "ERROR\|runtime error\|LeakSanitizer" "$RUN/smp.log" "$RUN/agg.log" "$RUN/smp.out" "$RUN/agg.out" &&
	fail "errors in the daemons' logs"
log "down stopped both; no pid file left"

# gen -o writes every daemon's config, equal to gen --daemon
"$LDMS_CONF" gen "$TMP/c.yaml" -o "$TMP/gen" >/dev/null || fail "gen -o"
"$LDMS_CONF" gen "$TMP/c.yaml" --daemon agg >"$TMP/agg.conf" || fail "gen --daemon agg"
cmp -s "$TMP/gen/agg.conf" "$TMP/agg.conf" || fail "gen -o and gen --daemon differ"
[ -f "$TMP/gen/smp.conf" ] || fail "gen -o wrote no smp.conf"
grep -qx "prdcr_add name=smp host=localhost port=$S_PORT xprt=sock type=active reconnect=200000" \
	"$TMP/agg.conf" || fail "agg.conf: $(cat "$TMP/agg.conf")"

# ldmsd -y FILE -n NAME runs that daemon of the file
"$LDMSD" -y "$TMP/c.yaml" -n smp -F -l "$TMP/y.log" -v INFO >"$TMP/y.out" 2>&1 &
Y_PID=$!
PIDS="$PIDS $Y_PID"
wait_for 20 listening "$S_PORT" || fail "ldmsd -y did not listen on $S_PORT: $(cat "$TMP/y.out")"
has_set() { "$LDMS_LS" -h 127.0.0.1 -p "$S_PORT" | grep -qx "smp/meminfo"; }
wait_for 10 has_set || fail "ldmsd -y -n smp has no smp/meminfo: $("$LDMS_LS" -h 127.0.0.1 -p "$S_PORT")"
stop_ldmsd "$Y_PID"
log "ldmsd -y FILE -n smp serves smp/meminfo"

# without -n, two daemons of the file run here: ldmsd asks which
"$LDMSD" -y "$TMP/c.yaml" -F >"$TMP/noname.out" 2>&1
[ $? -ne 0 ] || fail "ldmsd -y without -n started"
grep -q "2 daemons run on this host (smp, agg): choose one with -n NAME" "$TMP/noname.out" ||
	fail "ldmsd -y without -n: $(cat "$TMP/noname.out")"

# a bad file: file:line:col, the key path, non-zero exit, from ldms-conf and ldmsd alike
cat >"$TMP/bad.yaml" <<EOF
daemons:
  - names: smp
    hosts: localhost
    endpoint:
      - names: smp-ep
        ports: 1
EOF
"$LDMS_CONF" check "$TMP/bad.yaml" >"$TMP/bad.out" 2>&1
[ $? -eq 1 ] || fail "check of a bad file did not exit 1"
grep -q "bad.yaml:4:5: daemons\[0\].endpoint: unknown key; did you mean \"endpoints\"?" "$TMP/bad.out" ||
	fail "check: $(cat "$TMP/bad.out")"
"$LDMSD" -y "$TMP/bad.yaml" -n smp -F >"$TMP/bad_ldmsd.out" 2>&1
[ $? -ne 0 ] || fail "ldmsd -y of a bad file exited 0"
grep -q "bad.yaml:4:5: daemons\[0\].endpoint: unknown key" "$TMP/bad_ldmsd.out" ||
	fail "ldmsd -y: $(cat "$TMP/bad_ldmsd.out")"
sed -i 's/ports: 1$/ports: 5x/; s/endpoint:/endpoints:/' "$TMP/bad.yaml"
"$LDMS_CONF" gen "$TMP/bad.yaml" --daemon smp >"$TMP/bad2.out" 2>&1
[ $? -eq 1 ] || fail "gen of a bad file did not exit 1"
grep -q "bad.yaml:6:16: daemons\[0\].endpoints\[0\].ports: \"5x\" is not a port (1 to 65535)" \
	"$TMP/bad2.out" || fail "gen: $(cat "$TMP/bad2.out")"
log "bad files: file:line:col and the key path, exit 1"
