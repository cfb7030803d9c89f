#!/bin/sh
# install_check.sh PREFIX - what `make install` put under PREFIX works on its own:
# binaries, libvigil with headers and pkg-config file, plugins in PREFIX/lib/vigil
# found without VIGIL_PLUGIN_PATH, man pages that render without warnings.
set -u
prefix=$1
fail() { echo "install_check: FAIL: $*" >&2; exit 1; }
unset VIGIL_PLUGIN_PATH
for f in sbin/ldmsd bin/ldms_ls bin/ldmsctl lib/libvigil.so lib/pkgconfig/vigil.pc \
	lib/vigil/meminfo.so lib/vigil/vmstat.so lib/vigil/procstat.so \
	lib/vigil/test_sampler.so lib/vigil/store_csv.so share/man/man7/Plugin_store_csv.7 \
	share/man/man7/Plugin_test_sampler.7 lib/vigil/none.so share/man/man7/vigil_auth.7 \
	include/vigil/core/set.h include/vigil/plugins/plugin.h include/vigil/xprt/xprt.h \
	share/man/man8/ldmsd.8 share/man/man5/ldmsd.conf.5 share/man/man8/ldms_ls.8 \
	share/man/man8/ldmsctl.8 share/man/man7/Plugin_meminfo.7 share/man/man7/vigil.7; do
	[ -e "$prefix/$f" ] || fail "$prefix/$f was not installed"
done
[ ! -e "$prefix/lib/vigil/meminfo.la" ] || [ -e "$prefix/lib/vigil/meminfo.so" ] || fail "plugin modules"

export LD_LIBRARY_PATH="$prefix/lib"
"$prefix/sbin/ldmsd" -V | grep -q "vigil" || fail "installed ldmsd -V"
"$prefix/sbin/ldmsd" -u meminfo | grep -q "producer" || fail "installed ldmsd does not find its plugins in $prefix/lib/vigil"
"$prefix/sbin/ldmsd" -u store | grep -q "rolltype" || fail "installed ldmsd -u store does not show store_csv"

# a plugin-less program built against the installed library through pkg-config
tmp=$(mktemp -d /tmp/vigil-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/prog.c" <<'C'
#include <stdio.h>
#include "core/set.h"
int main(void)
{
	struct vg_schema *s = vg_schema_new("demo");
	vg_schema_metric_add(s, "x", VG_T_U64);
	struct vg_set *set = vg_set_new(NULL, s, "n/demo", "n", 0, 0, 0440, NULL);
	vg_set_begin(set);
	vg_set_u64(set, 0, 42);
	vg_set_end(set);
	printf("%llu\n", (unsigned long long)vg_get_u64(set, 0));
	vg_set_put(set);
	vg_schema_free(s);
	return 0;
}
C
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" cc -std=c11 $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags vigil) \
	-o "$tmp/prog" "$tmp/prog.c" $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --libs vigil) ||
	fail "a program does not build against the installed headers and pkg-config file"
[ "$("$tmp/prog")" = 42 ] || fail "the program built against libvigil does not run"

if command -v groff >/dev/null 2>&1; then
	for m in "$prefix"/share/man/man*/*; do
		w=$(groff -man -ww -z "$m" 2>&1)
		[ -z "$w" ] || fail "man page $m: $w"
	done
fi
echo "install_check: binaries, library, headers, pkg-config, plugins and man pages under $prefix work"
