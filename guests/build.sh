#!/bin/sh
# Build every guest program into guests/bin/NAME.elf (or into the directory
# given as $1; further arguments: build only the programs named). Deterministic:
# the same sources and compiler give byte-identical ELFs wherever they are
# built (test/guests.test.ts checks the committed binaries against a rebuild).
#
# Debug information (a program built with -g) names its sources relative to
# guests/ (-ffile-prefix-map), so it does not depend on the checkout's path.
#
# Programs: each guests/src/NAME.c or guests/src/NAME.S is one program; each
# directory guests/src/NAME/ is one program made of all its .c and .S files,
# with extra compiler flags in guests/src/NAME/build.flags if present.
# Programs are linked with the runtime (guests/lib: crt0.S, runtime.c),
# except a single assembly file that defines _start itself (standalone, like
# the benchmark bench-lcg.S). Set JOBS to change the parallelism (default 2).
set -eu
cd "$(dirname "$0")"
OUT=${1:-bin}
[ $# -gt 0 ] && shift
ONLY="$*"
CROSS=${CROSS_COMPILE:-powerpc-linux-gnu-}
CC=${CROSS}gcc
JOBS=${JOBS:-2}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
OBJ=$(mktemp -d "${TMPDIR:-/tmp}/tkvm-guest-obj.XXXXXX")
trap 'rm -rf "$OBJ"' EXIT INT TERM
export LC_ALL=C

CFLAGS="-mcpu=e500mc -O2 -fno-pic -fno-pie -ffreestanding -msoft-float -msdata=none
  -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-ident
  -Wall -Wextra -Werror -Ilib -ffile-prefix-map=$(pwd)=."
LDFLAGS="-no-pie -nostdlib -static -Wl,--build-id=none -Wl,--no-warn-rwx-segments
  -Wl,-n -Wl,-T,lib/link.ld"

# The runtime, compiled once (objects keep the source names in their symbol tables).
# shellcheck disable=SC2086
$CC $CFLAGS -c lib/crt0.S -o "$OBJ/crt0.o"
# shellcheck disable=SC2086
$CC $CFLAGS -c lib/runtime.c -o "$OBJ/runtime.o"

build() { # name, extra flags, sources...
  name=$1 extra=$2
  shift 2
  runtime="$OBJ/crt0.o $OBJ/runtime.o"
  if [ $# -eq 1 ] && case $1 in *.S) true ;; *) false ;; esac && grep -Eq '^[[:space:]]*\.globl[[:space:]]+_start' "$1"; then
    runtime="" # standalone
  fi
  objs=""
  for src in "$@"; do
    # The object's base name is fixed: the linker names objects without a
    # FILE symbol (assembly) after it, so the ELF stays reproducible.
    o="$OBJ/$name-$(basename "$src").o"
    # shellcheck disable=SC2086
    $CC $CFLAGS $extra -c "$src" -o "$o"
    objs="$objs $o"
  done
  # shellcheck disable=SC2086
  $CC $CFLAGS $extra $LDFLAGS $runtime $objs -lgcc -o "$OUT/$name.elf"
  echo "  $name.elf"
}

# One line per program: name|extra flags|sources
list() {
  for f in $(ls src); do
    case $f in
    *.c | *.S) echo "${f%.*}||src/$f" ;;
    *)
      if [ -d "src/$f" ]; then
        extra=""
        [ -f "src/$f/build.flags" ] && extra=$(cat "src/$f/build.flags")
        srcs=$(ls "src/$f" | grep -E '\.(c|S)$' | sed "s|^|src/$f/|" | tr '\n' ' ')
        [ -n "$srcs" ] && echo "$f|$extra|$srcs"
      fi
      ;;
    esac
  done
}

# Build JOBS programs at a time; fail if any fails.
fail=0
running=0
pids=""
for line in $(list | tr ' ' '\001'); do
  line=$(echo "$line" | tr '\001' ' ')
  name=${line%%|*}
  if [ -n "$ONLY" ] && ! echo " $ONLY " | grep -q " $name "; then continue; fi
  rest=${line#*|}
  extra=${rest%%|*}
  srcs=${rest#*|}
  # shellcheck disable=SC2086
  build "$name" "$extra" $srcs &
  pids="$pids $!"
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    for p in $pids; do wait "$p" || fail=1; done
    pids=""
    running=0
  fi
done
for p in $pids; do wait "$p" || fail=1; done
exit $fail
