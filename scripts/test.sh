#!/bin/sh
# test.sh - build vigil twice (plain, and with AddressSanitizer + UBSan) and run
# `make check` in each: the unit tests (CUnit) and the multi-daemon tests.
# Installs the packages it needs on a fresh Debian 12 machine first.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
status=0
for variant in normal sanitize; do
	dir="build/$variant"
	args=""
	[ "$variant" = sanitize ] && args="--enable-sanitizers"
	echo "== $variant build ($dir)"
	# shellcheck disable=SC2086
	if ! "$top/scripts/build.sh" "$dir" $args; then
		echo "== $variant build FAILED"
		status=1
		continue
	fi
	echo "== $variant: make check"
	# CI installs munge and etcd: their tests must run there, not skip
	if VIGIL_REQUIRE_MUNGE=1 VIGIL_REQUIRE_ETCD=1 make -C "$dir" -j"$(nproc)" check >"$dir/check.out" 2>&1; then
		grep -E '^(# |PASS|SKIP)' "$dir/check.out" | grep -v '^# XFAIL\|^# XPASS\|^# ERROR: *0' || true
	else
		status=1
		grep -E '^(# |PASS|FAIL|SKIP|ERROR)' "$dir/check.out" || true
		for log in $(find "$dir/tests" -name '*.log' 2>/dev/null); do
			if grep -qE '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null; then
				echo "---- $log"
				tail -60 "$log"
			fi
		done
	fi
	# the multi-daemon tests that take a transport, again over libfabric's tcp provider
	if [ "$variant" = normal ] && grep -q '^#define HAVE_LIBFABRIC 1' "$dir/config.h"; then
		echo "== $variant: the aggregation, store and auth tests over the fabric transport"
		fabric_tests="tests/multi/agg_tiers.sh tests/multi/agg_recovery.sh tests/multi/agg_control.sh
			tests/multi/store_rollover.sh tests/multi/auth_access.sh tests/multi/auth_munge.sh
			tests/multi/prdcr_move.sh tests/multi/advertise.sh"
		if VIGIL_XPRT=fabric VIGIL_REQUIRE_MUNGE=1 VIGIL_REQUIRE_ETCD=1 make -C "$dir" check \
			TESTS="$(echo $fabric_tests)" >"$dir/check-fabric.out" 2>&1; then
			grep -E '^(PASS|SKIP)' "$dir/check-fabric.out" | sed 's/^/fabric: /' || true
		else
			status=1
			grep -E '^(PASS|FAIL|SKIP|ERROR)' "$dir/check-fabric.out" | sed 's/^/fabric: /' || true
			for t in $fabric_tests; do
				grep -qE '^(FAIL|ERROR)' "$dir/${t%.sh}.trs" 2>/dev/null &&
					{ echo "---- $dir/${t%.sh}.log (fabric)"; tail -60 "$dir/${t%.sh}.log"; }
			done
		fi
	fi
	if [ "$variant" = normal ]; then
		echo "== $variant: make install and check the installed tree"
		if ! { make -C "$dir" install >"$dir/install.out" 2>&1 &&
			"$top/tests/install_check.sh" "$top/$dir/_prefix"; }; then
			tail -20 "$dir/install.out"
			status=1
		fi
	fi
done
[ "$status" -eq 0 ] && echo "== all tests passed (normal and sanitizer builds)" ||
	echo "== TESTS FAILED"
exit "$status"
