#!/usr/bin/env bash
# Run kselftests in QEMU without the host steps of `make check`: build the guest (kernel,
# module, tools, initramfs), boot it, print each test's result and the KTAP summary.
# Usage: ktest.sh [plain|debug] [test_a.sh,test_b.sh]   (defaults: debug, every test)
# The guest's log goes to build/ktest-VARIANT.log. `make ktest TESTS=...` calls this.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
variant=${1:-debug}
tests=${2:-}
cd "$repo" || exit 1
mkdir -p build
mapfile -t guest < <("$here/build-guest.sh" "$variant") && [ "${#guest[@]}" = 2 ] || {
  echo "ktest: building the guest failed" >&2
  exit 1
}
log=build/ktest-$variant.log
rm -f build/scratch-ktest.img
truncate -s 64M build/scratch-ktest.img
"$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --disk build/scratch-ktest.img \
  --append "lo.kernel=$variant lo.disk=1${tests:+ lo.tests=$tests}" --log "$log" --quiet \
  --timeout "${LEARNED_OS_QEMU_TIMEOUT:-2400}"
qrc=$?
python3 "$here/ktap.py" "$log"
krc=$?
[ "$qrc" = 0 ] && [ "$krc" = 0 ]
