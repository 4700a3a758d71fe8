#!/usr/bin/env bash
# `make bench-sizer`: the buffer-cache sizer's benchmark. Boots the plain kernel under QEMU
# (TCG) with a fresh ext4 image as its virtio disk and runs lo-work's `phases` workload (a
# working set that grows, shrinks and moves) in a memory cgroup under four configurations:
# a generous fixed limit, a tight fixed limit, the sizer's exact rules, and the sizer's model
# (scripts/guest/bench-sizer.sh says exactly what each is). Prints a Markdown table per phase:
# disk reads, the cgroup's memory-time (integral of memory.current) and how long memory took
# to settle, medians over REPS runs, and the totals against the generous limit (also written
# to build/bench-sizer.md; the console log is build/bench-sizer.log).
#
# Environment: MIB=32 (the generous limit; the working sets are M/8, 3M/8, M/16, 3M/16),
#   REPS=3, CONFIGS=generous,tight,fallback,learned, BENCH_TIMEOUT=1800,
#   BENCH_APPEND= (more kernel arguments, e.g. lo.sizer=goal:900).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
MIB=${MIB:-32}
REPS=${REPS:-3}
CONFIGS=${CONFIGS:-generous,tight,fallback,learned}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-1800}
BENCH_APPEND=${BENCH_APPEND:-}
for v in MIB REPS; do
  case "${!v}" in '' | *[!0-9]* | 0) echo "bench-sizer: $v must be a positive integer" >&2; exit 2 ;; esac
done
[ "$MIB" -ge 32 ] || { echo "bench-sizer: MIB must be at least 32" >&2; exit 2; }

md=$repo/build/bench-sizer.md
log=$repo/build/bench-sizer.log
rm -f "$md"
append="lo.mib=$MIB lo.reps=$REPS lo.configs=$CONFIGS"
[ -z "$BENCH_APPEND" ] || append+=" $BENCH_APPEND"
. "$here/bench-lib.sh"
bench_boot bench-sizer "$((2 * MIB + 64))" "$append" "$BENCH_TIMEOUT"
rc=$bench_rc
echo
python3 "$here/bench_sizer_table.py" "$log" --out "$md" || { [ "$rc" != 0 ] || rc=1; }
echo
echo "bench-sizer: table in build/bench-sizer.md"
exit "$rc"
