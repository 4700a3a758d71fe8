#!/usr/bin/env bash
# Build one of the C tools under tools/ (tools/NAME/NAME.c: lo-vindex drives
# /dev/learned_os_vindex, lo-sched runs tasks of known CPU bursts) as a static binary for the
# guest, whose busybox initramfs has no libc. The tools share the ioctl ABI headers with the
# module (src/shim/*_uapi.h). Prints the binary's path.
# Usage: build-c-tool.sh NAME
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
name=${1:?usage: build-c-tool.sh NAME}
src=$repo/tools/$name/$name.c
[ -f "$src" ] || { echo "build-c-tool: no $src" >&2; exit 1; }
out=$repo/build/$name
mkdir -p "$repo/build"
stale=0
for dep in "$src" "$repo"/src/shim/*_uapi.h; do
  [ "$dep" -nt "$out" ] && stale=1
done
if [ ! -x "$out" ] || [ "$stale" = 1 ]; then
  ${CC:-gcc} -static -O2 -Wall -Wextra -Werror -o "$out.tmp" "$src" >&2
  mv "$out.tmp" "$out"
fi
if readelf -l "$out" | grep -q INTERP; then
  echo "build-c-tool: $out is dynamically linked" >&2
  exit 1
fi
echo "$out"
