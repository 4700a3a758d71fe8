#!/usr/bin/env bash
# Records a scheduler trace from the guest: boots the plain guest in record-sched mode
# (scripts/guest/record-sched.sh: ftrace's sched events over ~24 s of varied lo-sched tasks,
# the workload drawn from the seed) with a fresh scratch disk, reads the gzip'ed ftrace text
# back from the disk, converts it with `lrn sched import --comm lo-sched` and writes the
# sched trace, gzip'ed, to OUT. The guest's timing is real (TCG), so the same seed gives the
# same workload but not the same trace twice.
# Usage: record-sched-trace.sh [--seed N] [--seconds S] OUT.txt.gz
#   keeps build/record-sched-N.log (the console) and build/record-sched-N.ftrace.gz (the raw
#   ftrace text).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
seed=1 seconds=24 out=
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    -*) echo "record-sched-trace: unknown option $1" >&2; exit 2 ;;
    *) out=$1; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: record-sched-trace.sh [--seed N] [--seconds S] OUT.txt.gz" >&2; exit 2; }
case "$seed$seconds" in *[!0-9]*) echo "record-sched-trace: --seed and --seconds take numbers" >&2; exit 2 ;; esac

(cd "$repo/rust" && nice cargo build --quiet --release -p lrn)
lrn=$repo/rust/target/release/lrn
mapfile -t g < <(nice "$here/build-guest.sh" plain)
build=$repo/build
img=$build/record-sched-$seed.img
log=$build/record-sched-$seed.log
raw=$build/record-sched-$seed.ftrace.gz
rm -f "$img"
truncate -s 64M "$img"
trap 'rm -f "$img" "$out.tmp"' EXIT
"$here/qemu-run.sh" --kernel "${g[0]}" --initrd "${g[1]}" --mode record-sched --disk "$img" \
  --append "lo.seed=$seed lo.seconds=$seconds" --log "$log" --timeout $((seconds * 10 + 300)) --quiet
grep '^record-sched:' "$log" | sed 's/^/  /' >&2

# The disk: "lo-sched-trace BYTES" in sector 0, the gzip stream from byte 4096.
read -r magic bytes < <(head -c 512 "$img" | tr -d '\0')
[ "$magic" = lo-sched-trace ] && [ -n "$bytes" ] ||
  { echo "record-sched-trace: no trace header on the disk (see $log)" >&2; exit 1; }
dd if="$img" of="$raw" bs=4096 skip=1 count=$(((bytes + 4095) / 4096)) status=none
truncate -s "$bytes" "$raw"
gzip -t "$raw"
"$lrn" sched import --tracefs "$raw" --comm lo-sched --out "$build/record-sched-$seed.txt" >&2
gzip -9 -n <"$build/record-sched-$seed.txt" >"$out.tmp"
mv "$out.tmp" "$out"
rm -f "$build/record-sched-$seed.txt"
echo "record-sched-trace: seed $seed -> $out ($(wc -c <"$out") bytes)" >&2
