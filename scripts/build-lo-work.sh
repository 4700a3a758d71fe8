#!/usr/bin/env bash
# Build lo-work (rust/lo-work: the eviction benchmark's workloads) as a static binary for the
# guest, whose busybox initramfs has no libc. Prints the binary's path on stdout.
# Usage: build-lo-work.sh
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
target=x86_64-unknown-linux-gnu
tdir=$repo/build/lo-work-target
(cd "$repo/rust" &&
  CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --quiet -p lo-work --target "$target" --target-dir "$tdir") >&2
bin=$tdir/$target/release/lo-work
# Static (or static-pie): no program interpreter to look for in the guest.
if readelf -l "$bin" | grep -q INTERP; then
  echo "build-lo-work: $bin is dynamically linked" >&2
  exit 1
fi
echo "$bin"
