#!/bin/sh
# Build every guest test program into guests/bin/NAME.elf (or into the
# directory given as $1). Deterministic: the same sources and compiler give
# byte-identical ELFs wherever they are built (test/guests.test.ts checks the
# committed binaries against a rebuild).
#
# Programs: each guests/src/NAME.c or guests/src/NAME.S is one program; each
# directory guests/src/NAME/ is one program made of all its .c and .S files,
# with extra compiler flags in guests/src/NAME/build.flags if present.
# Every program is linked with the runtime (guests/lib).
set -eu
cd "$(dirname "$0")"
OUT=${1:-bin}
CC=${CROSS_COMPILE:-powerpc-linux-gnu-}gcc
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

CFLAGS="-mcpu=e500mc -O2 -fno-pic -fno-pie -no-pie -ffreestanding -nostdlib -static
  -msoft-float -msdata=none -fno-stack-protector -fno-asynchronous-unwind-tables
  -fno-unwind-tables -fno-ident -Wall -Wextra -Werror -Ilib
  -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-z,max-page-size=0x1000 -Wl,-T,lib/link.ld"
RUNTIME="lib/crt0.S lib/runtime.c"
export LC_ALL=C

build() { # name, extra flags, sources...
  name=$1 extra=$2
  shift 2
  # shellcheck disable=SC2086
  $CC $CFLAGS $extra $RUNTIME "$@" -lgcc -o "$OUT/$name.elf"
  # An assembly source without a .file directive leaves the compiler's
  # temporary object name in the symbol table: not reproducible.
  if ${CC%gcc}readelf -s "$OUT/$name.elf" | grep -Eq 'FILE .* cc[A-Za-z0-9]+\.o$'; then
    echo "$name: an assembly source lacks a .file directive (the build would not be reproducible)" >&2
    exit 1
  fi
  echo "  $name.elf"
}

for f in $(ls src); do
  case $f in
  *.c | *.S) build "${f%.*}" "" "src/$f" ;;
  *)
    if [ -d "src/$f" ]; then
      extra=""
      [ -f "src/$f/build.flags" ] && extra=$(cat "src/$f/build.flags")
      srcs=$(ls "src/$f" | grep -E '\.(c|S)$' | sed "s|^|src/$f/|")
      [ -n "$srcs" ] && build "$f" "$extra" $srcs
    fi
    ;;
  esac
done
