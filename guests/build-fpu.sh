#!/bin/sh
# Builds guests/bin/fpu.elf (or the file named by $1, relative to guests/),
# the FPU test guest (test/fpu-guest.test.ts), with the guest kit's build
# (guests/build.sh: same flags, runtime and reproducibility as every guest;
# src/fpu/build.flags holds its extras).
set -eu
cd "$(dirname "$0")"
OUT=${1:-bin/fpu.elf}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
./build.sh "$TMP" fpu >/dev/null
mkdir -p "$(dirname "$OUT")"
cp "$TMP/fpu.elf" "$OUT"
