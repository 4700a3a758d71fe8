#!/usr/bin/env bash
# `make demo`: set up, build the plain kernel and learned_os.ko, boot the guest under QEMU,
# load the module, show its sysfs tree and statistics, and run the learned eviction policy
# against the kernel's own on a scan-polluted workload on an ext4 scratch disk.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
echo "demo: setting up and building (the first run builds a kernel: a few minutes)"
mapfile -t guest < <("$here/build-guest.sh" plain)
[ "${#guest[@]}" = 2 ] || exit 1
echo "demo: booting ${guest[0]} under QEMU (TCG)"
mkdir -p "$repo/build"
img=$repo/build/demo-disk.img
rm -f "$img"
truncate -s 512M "$img"
"$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)" -F -q -E lazy_itable_init=0,lazy_journal_init=0 "$img"
"$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode demo --disk "$img" \
  --log "$repo/build/demo.log" --timeout 600
echo "demo: done (console log in build/demo.log)"
