#!/usr/bin/env bash
# Build everything a guest boots: the kernel (plain|debug), learned_os.ko against it, the
# static lo-work (the eviction benchmark's workloads), the static C tools (lo-vindex: the VA
# index's test and benchmark driver; lo-sched: tasks of known CPU bursts; lo-priv: commands run
# with less privilege; lo-mapper: a mapped working set; lo-race: writers racing on a knob) and
# the initramfs. Prints two lines: the bzImage path and the initramfs path.
# Usage: build-guest.sh [--clippy] plain|debug
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
modflags=()
if [ "${1:-}" = --clippy ]; then modflags=(--clippy --werror); shift; fi
variant=${1:?usage: build-guest.sh [--clippy] plain|debug}

kdir=$("$here/build-kernel.sh" "$variant")
ko=$("$here/build-module.sh" ${modflags[@]+"${modflags[@]}"} "$variant")
initrd=$repo/build/initramfs-$variant.cpio.gz
lowork=$("$here/build-lo-work.sh")
lovindex=$("$here/build-c-tool.sh" lo-vindex)
losched=$("$here/build-c-tool.sh" lo-sched)
lopriv=$("$here/build-c-tool.sh" lo-priv)
lomapper=$("$here/build-c-tool.sh" lo-mapper)
lorace=$("$here/build-c-tool.sh" lo-race)
"$here/make-test-models.sh" "$repo/build/testmodels" >&2
"$here/mkinitramfs.sh" "$initrd" "$ko" "$kdir" "$repo/build/testmodels" "$lowork" "$lovindex" "$losched" "$lopriv" "$lomapper" "$lorace"
echo "$kdir/arch/x86/boot/bzImage"
echo "$initrd"
