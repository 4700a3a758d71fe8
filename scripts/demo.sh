#!/usr/bin/env bash
# `make demo`: set up, build the plain kernel and learned_os.ko, boot the guest under QEMU,
# load the module and show its sysfs tree and statistics.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
echo "demo: setting up and building (the first run builds a kernel: a few minutes)"
mapfile -t guest < <("$here/build-guest.sh" plain)
[ "${#guest[@]}" = 2 ] || exit 1
echo "demo: booting ${guest[0]} under QEMU (TCG)"
mkdir -p "$repo/build"
"$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode demo \
  --log "$repo/build/demo.log" --timeout 600
echo "demo: done (console log in build/demo.log)"
