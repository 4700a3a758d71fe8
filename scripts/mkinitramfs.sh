#!/usr/bin/env bash
# Build the guest's initramfs: static busybox, /init, the module, the kselftests, the demo and
# the eviction benchmark.
# Usage: mkinitramfs.sh OUT.cpio.gz MODULE.ko KDIR [TESTMODELS] [LO_WORK] [TOOL...]
#   KDIR provides usr/gen_init_cpio, so no root is needed for device nodes.
#   TESTMODELS (from make-test-models.sh) lands in /learned_os/testmodels; the shipped
#   models/*.lmod in /learned_os/models.
#   LO_WORK (a static binary, from build-lo-work.sh) lands in /learned_os/bin/lo-work.
#   Each TOOL (a static binary, from build-c-tool.sh) lands in /learned_os/bin/ by its name.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${1:?usage: mkinitramfs.sh OUT.cpio.gz MODULE.ko KDIR}
ko=${2:?usage: mkinitramfs.sh OUT.cpio.gz MODULE.ko KDIR}
kdir=${3:?usage: mkinitramfs.sh OUT.cpio.gz MODULE.ko KDIR [TESTMODELS]}
testmodels=${4:-}
lowork=${5:-}
tools=("${@:6}")

busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' ||
  busybox=/bin/busybox
gen=$kdir/usr/gen_init_cpio
[ -x "$gen" ] || { echo "mkinitramfs: $gen missing (build the kernel first)" >&2; exit 1; }

spec=$(mktemp)
trap 'rm -f "$spec"' EXIT
{
  echo "dir /dev 0755 0 0"
  echo "nod /dev/console 0600 0 0 c 5 1"
  echo "nod /dev/null 0666 0 0 c 1 3"
  for d in /bin /sbin /proc /sys /tmp /mnt /learned_os /learned_os/tests /learned_os/models \
    /learned_os/testmodels /learned_os/bin /learned_os/ABI; do
    echo "dir $d 0755 0 0"
  done
  for f in "$repo"/models/*.lmod ${testmodels:+"$testmodels"/*}; do
    [ -f "$f" ] || continue
    case "$f" in "$repo"/models/*) dst=models ;; *) dst=testmodels ;; esac
    echo "file /learned_os/$dst/$(basename "$f") $f 0644 0 0"
  done
  echo "file /bin/busybox $busybox 0755 0 0"
  echo "file /init $here/guest/init 0755 0 0"
  echo "file /learned_os/demo.sh $here/guest/demo.sh 0755 0 0"
  echo "file /learned_os/bench-evict.sh $here/guest/bench-evict.sh 0755 0 0"
  echo "file /learned_os/bench-sizer.sh $here/guest/bench-sizer.sh 0755 0 0"
  echo "file /learned_os/bench-vindex.sh $here/guest/bench-vindex.sh 0755 0 0"
  echo "file /learned_os/bench-sched.sh $here/guest/bench-sched.sh 0755 0 0"
  echo "file /learned_os/record-sched.sh $here/guest/record-sched.sh 0755 0 0"
  [ -z "$lowork" ] || echo "file /learned_os/bin/lo-work $lowork 0755 0 0"
  for t in ${tools[@]+"${tools[@]}"}; do
    echo "file /learned_os/bin/$(basename "$t") $t 0755 0 0"
  done
  echo "file /learned_os/ABI/sysfs-kernel-learned_os $repo/docs/ABI/testing/sysfs-kernel-learned_os 0644 0 0"
  echo "file /learned_os/learned_os.ko $ko 0644 0 0"
  for f in "$repo"/tests/kselftest/learned_os/*; do
    mode=0644; [ -x "$f" ] && mode=0755
    echo "file /learned_os/tests/$(basename "$f") $f $mode 0 0"
  done
} >"$spec"
"$gen" "$spec" | gzip -9 -n >"$out.tmp"
mv "$out.tmp" "$out"
