#!/bin/sh
# build.sh [DIR [CONFIGURE-ARGS...]] - configure and build vigil out of tree in DIR
# (default build/normal), after installing what is missing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build/normal}
[ $# -gt 0 ] && shift
"$top/scripts/deps.sh"
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] ||
	autoreconf -fi >/dev/null
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] && [ Makefile -nt "$top/configure" ] ||
	"$top/configure" --enable-werror "$@" >configure.out || { cat configure.out; exit 1; }
make -j"$(nproc)" >make.out 2>&1 || { tail -50 make.out; exit 1; }
