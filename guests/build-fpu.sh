#!/bin/sh
# Builds guests/bin/fpu.elf (or the file named by $1, relative to guests/),
# the FPU test guest (test/fpu-guest.test.ts).
# Self-contained on purpose, so that it folds into the guest kit's build:
# the same flags as every bare-metal guest, plus -msoft-float for the C code
# (only the assembly stubs may touch the FPU). Reproducible: objects are
# built under fixed names, so the ELF is the same byte for byte every time.
set -eu
cd "$(dirname "$0")"
CC=${CROSS_COMPILE:-powerpc-linux-gnu-}gcc
FLAGS="-mcpu=e500mc -fno-pic -fno-pie -no-pie -ffreestanding -nostdlib -static -O2 -Ilib"
OBJ=$(mktemp -d)
trap 'rm -rf "$OBJ"' EXIT
$CC $FLAGS -c -o "$OBJ/crt0.o" lib/crt0.S
$CC $FLAGS -c -o "$OBJ/vectors.o" src/fpu/vectors.S
$CC $FLAGS -c -o "$OBJ/stubs.o" src/fpu/stubs.S
$CC $FLAGS -msoft-float -Wall -Wextra -c -o "$OBJ/main.o" src/fpu/main.c
OUT=${1:-bin/fpu.elf}
mkdir -p "$(dirname "$OUT")"
$CC $FLAGS -Wl,--build-id=none -Wl,--no-warn-rwx-segments -T lib/link.ld -o "$OUT" \
  "$OBJ/crt0.o" "$OBJ/vectors.o" "$OBJ/stubs.o" "$OBJ/main.o"
