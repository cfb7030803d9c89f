#!/bin/sh
# demo.sh - the main job on loopback: a compute node's ldmsd samples meminfo,
# vmstat and procstat every second into shared memory; an aggregator ldmsd
# pulls the three sets 100 ms after every sample and stores meminfo and
# procstat with store_csv.  It shows the sets at both daemons, the
# aggregator's producer/updater/storage status and the CSV rows as they grow.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/build.sh" build/normal
b="$top/build/normal"
export VIGIL_PLUGIN_PATH="$b/.libs"
tmp=$(mktemp -d /tmp/vigil-demo.XXXXXX)
pick_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 )); }
sport=$(pick_port)
aport=$(pick_port)
[ "$aport" != "$sport" ] || aport=$((sport + 1))
host=$(hostname -s 2>/dev/null || echo node1)

cat >"$tmp/sampler.conf" <<CONF
load name=meminfo
config name=meminfo producer=$host instance=$host/meminfo component_id=1
start name=meminfo interval=1s offset=0
load name=vmstat
config name=vmstat producer=$host instance=$host/vmstat component_id=1
start name=vmstat interval=1s offset=0
load name=procstat
config name=procstat producer=$host instance=$host/procstat component_id=1
start name=procstat interval=1s offset=0
CONF
cat >"$tmp/agg.conf" <<CONF
load name=store_csv
config name=store_csv path=$tmp/csv buffer=0
prdcr_add name=$host host=127.0.0.1 port=$sport xprt=sock type=active reconnect=1s
prdcr_start name=$host
updtr_add name=all interval=1s offset=100ms
updtr_prdcr_add name=all regex=.*
updtr_start name=all
strgp_add name=mem plugin=store_csv container=node schema=meminfo
strgp_start name=mem
strgp_add name=cpu plugin=store_csv container=node schema=procstat
strgp_start name=cpu
CONF

pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; wait $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
echo "\$ ldmsd -F -x sock:$sport:127.0.0.1 -c sampler.conf        # the compute node"
sed 's/^/    /' "$tmp/sampler.conf"
"$b/ldmsd" -F -x "sock:$sport:127.0.0.1" -c "$tmp/sampler.conf" -l "$tmp/sampler.log" -v INFO &
pids="$!"
echo "\$ ldmsd -F -x sock:$aport:127.0.0.1 -c agg.conf -S ctl.sock  # the aggregator"
sed 's/^/    /' "$tmp/agg.conf"
"$b/ldmsd" -F -x "sock:$aport:127.0.0.1" -c "$tmp/agg.conf" -S "$tmp/ctl.sock" \
	-l "$tmp/agg.log" -v INFO &
pids="$pids $!"

csv="$tmp/csv/node/meminfo"
i=0
until [ -s "$csv" ] && [ "$(grep -vc '^#' "$csv")" -ge 2 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "no data arrived:"; cat "$tmp"/*.log; exit 1; }
	sleep 0.1
done
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $sport -v              # sets at the compute node (L = local)"
"$b/ldms_ls" -h 127.0.0.1 -p "$sport" -v
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $aport -v              # the same sets re-exported by the aggregator (R)"
"$b/ldms_ls" -h 127.0.0.1 -p "$aport" -v
echo; echo "\$ ldms_ls -h 127.0.0.1 -p $aport -l $host/procstat"
"$b/ldms_ls" -h 127.0.0.1 -p "$aport" -l "$host/procstat"
for cmd in prdcr_status updtr_status strgp_status; do
	echo "\$ ldmsctl -S ctl.sock $cmd"
	"$b/ldmsctl" -S "$tmp/ctl.sock" $cmd | cut -c1-160
	echo
done
sleep 2
echo "\$ cut -d, -f1-10 csv/node/meminfo       # store_csv, LDMS's format: one row per sample"
cut -d, -f1-10 "$csv"
echo; echo "\$ cut -d, -f1-14 csv/node/procstat"
cut -d, -f1-14 "$tmp/csv/node/procstat"
# the aggregator first, so that it does not log its producer's departure
for p in $(echo $pids | tr ' ' '\n' | tac); do kill -TERM "$p"; wait "$p" || true; done
pids=""
echo; echo "both daemons stopped (SIGTERM); the aggregator's log:"
sed 's/^/    /' "$tmp/agg.log"
