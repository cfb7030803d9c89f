# bench/lib.sh - helpers of the aggregator benchmarks (sourced; $b is the build directory).

# A random port in 20000..59999 (the benchmarks start few daemons: collisions are rare).
port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000 )); }
# Nanoseconds PID has spent on a CPU, all threads, kernel time included.
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { print s }'; }
# ready CTL_SOCKET N: the daemon's producers have at least N sets READY.
ready() { [ "$("$b/ldmsctl" -S "$1" prdcr_status 2>/dev/null | grep -c ' READY$')" -ge "$2" ]; }
# s50_config NSETS: a test_sampler config with NSETS sets of 50 u64 sampled at 1 s.
s50_config() {
	echo "load name=test_sampler"
	echo "config name=test_sampler action=add_schema schema=s50 num_metrics=50"
	i=0
	while [ $i -lt "$1" ]; do
		echo "config name=test_sampler action=add_set instance=node/s$i schema=s50 producer=node"
		i=$((i + 1))
	done
	echo "start name=test_sampler interval=1s offset=0"
}
