# SPDX-License-Identifier: GPL-2.0
# Shared by the benchmark scripts (bench-evict.sh, bench-sizer.sh); sourced, not run.
#
# bench_boot NAME IMAGE_MIB APPEND TIMEOUT [DIR]: builds the plain guest, formats a fresh sparse
# ext4 image of IMAGE_MIB MiB as build/NAME.img (inode tables and journal initialized here, so
# no lazy-init writes run in the guest during the measurements; with DIR, its files copied into
# the image's root by mkfs.ext4 -d), boots the guest in mode NAME
# with it as its virtio disk and APPEND on the kernel command line, logs the console to
# build/NAME.log, removes the image and sets bench_rc to the guest's exit status.
bench_boot() {
  local name=$1 size=$2 append=$3 timeout=$4 stage=${5:-}
  local here repo img log mkfs start guest
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  repo=$(dirname "$here")
  echo "$name: building the plain guest"
  mapfile -t guest < <("$here/build-guest.sh" plain)
  [ "${#guest[@]}" = 2 ] || { echo "$name: build-guest.sh failed" >&2; exit 1; }
  mkdir -p "$repo/build"
  img=$repo/build/$name.img
  log=$repo/build/$name.log
  rm -f "$img"
  # Gone however this ends (a failed mkfs, Ctrl-C): it is hundreds of MiB.
  trap 'rm -f "'"$img"'"' EXIT
  truncate -s "${size}M" "$img"
  mkfs=$(command -v mkfs.ext4 || echo /sbin/mkfs.ext4)
  "$mkfs" -F -q -E lazy_itable_init=0,lazy_journal_init=0 -L lo-bench ${stage:+-d "$stage"} "$img"
  echo "$name: booting ${guest[0]} under QEMU (TCG): $append"
  start=$(date +%s)
  set +e
  "$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode "$name" \
    --disk "$img" ${DISK_IOPS:+--disk-iops "$DISK_IOPS"} --append "$append" --log "$log" \
    --timeout "$timeout"
  bench_rc=$?
  set -e
  echo "$name: guest finished with status $bench_rc after $(($(date +%s) - start)) s (log: build/$name.log)"
  rm -f "$img"
  trap - EXIT
}
