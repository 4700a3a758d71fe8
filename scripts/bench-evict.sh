#!/usr/bin/env bash
# `make bench-evict`: the learned page-eviction benchmark. Boots the plain kernel under QEMU
# (TCG) with a fresh ext4 image as its virtio disk; the guest (scripts/guest/bench-evict.sh)
# runs each lo-work workload in the same boot with the kernel's stock eviction and with
# learned_os's, REPS times each (stock then learned), each run from a cold cache in a memory
# cgroup of MIB MiB. Prints a Markdown table of disk reads, refaults and run times, medians
# over the repetitions, and their ranges (also written to build/bench-evict.md); the console
# log is build/bench-evict.log. Runs of one policy differ by themselves (reclaim depends on
# I/O timing and lazily flushed memcg statistics): read a learned/stock ratio against the ranges.
#
# The workloads: lo-work's scan, loop, zipf and lru (generated), and replay: the requests of a
# real program's trace (REPLAY, libCacheSim oracleGeneral) read in order, one 4 KiB page of
# replay.dat per distinct object. The trace is staged into the disk image as
# replay.oracleGeneral.bin; the guest copies it to its initramfs before measuring.
#
# Usage: scripts/bench-evict.sh                 run the benchmark
#        scripts/bench-evict.sh --trace OUTDIR  write OUTDIR/<workload>.oracleGeneral.bin on the
#                                               host (no I/O): the same page sequences, for
#                                               `lrn sim --format oracleGeneral`
# Environment: MIB=32 (memory.max, and the size the workloads scale with),
#   WORK=scan,loop,zipf,lru,replay (without replay when REPLAY is missing),
#   REPLAY=../shared/traces/cloudPhysicsIO.oracleGeneral.bin (beside the repository; the trace
#   replay reads: 113,872 requests over 48,974 objects, 191 MiB of pages whatever MIB is),
#   POLICIES=stock,learned, SEED=1, REPS=3,
#   RA_KB= (the guest disk's read_ahead_kb; empty keeps the kernel's default),
#   BENCH_TIMEOUT=1800 (seconds for the whole boot), BENCH_APPEND= (more kernel arguments),
#   DISK_IOPS=10000 (the disk's requests per second, QEMU's block throttling: about 100 us
#   per read, SSD-like, so run time counts disk reads as a real disk would; empty: no limit).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
MIB=${MIB:-32}
REPLAY=${REPLAY:-$(dirname "$repo")/shared/traces/cloudPhysicsIO.oracleGeneral.bin}
if [ -z "${WORK:-}" ]; then
  WORK=scan,loop,zipf,lru
  [ ! -f "$REPLAY" ] || WORK+=,replay
fi
POLICIES=${POLICIES:-stock,learned}
SEED=${SEED:-1}
REPS=${REPS:-3}
RA_KB=${RA_KB:-}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
BENCH_APPEND=${BENCH_APPEND:-}
DISK_IOPS=${DISK_IOPS-10000}
export DISK_IOPS
for v in MIB REPS; do
  case "${!v}" in '' | *[!0-9]* | 0) echo "bench-evict: $v must be a positive integer" >&2; exit 2 ;; esac
done
replay=0
case ",$WORK," in *,replay,*) replay=1 ;; esac
if [ "$replay" = 1 ] && [ ! -f "$REPLAY" ]; then
  echo "bench-evict: WORK names replay but its trace REPLAY=$REPLAY does not exist" >&2
  exit 2
fi
lowork=$repo/rust/target/release/lo-work

if [ "${1:-}" = --trace ]; then
  outdir=${2:?usage: bench-evict.sh --trace OUTDIR}
  mkdir -p "$outdir"
  (cd "$repo/rust" && cargo build --release --quiet -p lo-work)
  for w in ${WORK//,/ }; do
    extra=()
    [ "$w" != replay ] || extra=(--replay "$REPLAY")
    "$lowork" trace "$w" --mib "$MIB" --seed "$SEED" ${extra[@]+"${extra[@]}"} \
      --out "$outdir/$w.oracleGeneral.bin"
  done
  exit 0
fi
[ $# = 0 ] || { echo "usage: bench-evict.sh [--trace OUTDIR]" >&2; exit 2; }

md=$repo/build/bench-evict.md
log=$repo/build/bench-evict.log
rm -f "$md"
append="lo.mib=$MIB lo.work=$WORK lo.policies=$POLICIES lo.seed=$SEED lo.reps=$REPS"
[ -z "$RA_KB" ] || append+=" lo.ra_kb=$RA_KB"
[ -z "$BENCH_APPEND" ] || append+=" $BENCH_APPEND"
# Every workload's files come to about 18 * MIB MiB (lo-work prepare prints the exact size); the
# rest is ext4 overhead and slack. replay adds its trace and one page per distinct object.
size=$((32 * MIB + 64))
stage=
if [ "$replay" = 1 ]; then
  (cd "$repo/rust" && cargo build --release --quiet -p lo-work)
  # Checks the trace on the host and counts its objects: "trace: ... objects=N ...".
  info=$("$lowork" trace replay --replay "$REPLAY" --out /dev/null) ||
    { echo "bench-evict: REPLAY=$REPLAY is not a usable trace" >&2; exit 2; }
  objects=$(echo "$info" | sed -n 's/.* objects=\([0-9]*\) .*/\1/p')
  [ -n "$objects" ] || { echo "bench-evict: no object count in: $info" >&2; exit 1; }
  stage=$repo/build/bench-evict-stage
  rm -rf "$stage"
  mkdir -p "$stage"
  cp "$REPLAY" "$stage/replay.oracleGeneral.bin"
  size=$((size + ($(stat -c %s "$REPLAY") + 1048575) / 1048576 + (objects + 255) / 256))
  echo "bench-evict: replay: $REPLAY, $objects pages; image $size MiB"
fi
. "$here/bench-lib.sh"
bench_boot bench-evict "$size" "$append" "$BENCH_TIMEOUT" "$stage"
rc=$bench_rc
[ -z "$stage" ] || rm -rf "$stage"

echo
echo "learned_os eviction benchmark: memory.max ${MIB} MiB, seed $SEED, $REPS run(s) per cell, QEMU TCG guest, disk ${DISK_IOPS:-unthrottled}${DISK_IOPS:+ IOPS}"
echo
python3 "$here/bench_evict_table.py" "$log" --out "$md" || { [ "$rc" != 0 ] || rc=1; }
echo
echo "bench-evict: table in build/bench-evict.md"
exit "$rc"
