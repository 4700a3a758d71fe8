#!/usr/bin/env bash
# Build lo-vindex (tools/lo-vindex: drives /dev/learned_os_vindex for the kselftests and
# benchmarks) as a static binary for the guest, whose busybox initramfs has no libc. It shares
# the ioctl ABI header with the module (src/shim/vindex_uapi.h). Prints the binary's path.
# Usage: build-lo-vindex.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=$repo/build/lo-vindex
src=$repo/tools/lo-vindex/lo-vindex.c
mkdir -p "$repo/build"
if [ ! -x "$out" ] || [ "$src" -nt "$out" ] || [ "$repo/src/shim/vindex_uapi.h" -nt "$out" ]; then
  ${CC:-gcc} -static -O2 -Wall -Wextra -Werror -o "$out.tmp" "$src" >&2
  mv "$out.tmp" "$out"
fi
if readelf -l "$out" | grep -q INTERP; then
  echo "build-lo-vindex: $out is dynamically linked" >&2
  exit 1
fi
echo "$out"
