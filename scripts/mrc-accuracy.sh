#!/usr/bin/env bash
# The accuracy of the sizer's SHARDS miss-ratio curves (rust/learned-core/src/mrc/) against the
# exact LRU curve, on the shared CloudPhysics trace and on lo-work's five workloads (64 MiB,
# seed 1): one Markdown row per trace (distinct objects, MAE and maximum absolute error of
# the miss ratio over 20 sizes evenly spaced up to the distinct objects, SHARDS memory).
# The table in docs/sizer.md, "Miss-ratio curves", is this script's output.
# Usage: mrc-accuracy.sh [--smax N]   (default 8192)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
smax=8192
[ "${1:-}" = --smax ] && smax=${2:?--smax N}
(cd "$repo/rust" && cargo build --quiet --release -p lrn -p lo-work)
lrn=$repo/rust/target/release/lrn
work=$repo/rust/target/release/lo-work
shared=$repo/../shared/traces/cloudPhysicsIO.oracleGeneral.bin
dir=$repo/build/mrc
mkdir -p "$dir"
traces=()
[ -f "$shared" ] && traces+=("cloudPhysics:$shared")
for w in scan loop zipf lru phases; do
  "$work" trace $w --mib 64 --seed 1 --out "$dir/$w.bin" >/dev/null
  traces+=("lo-work $w:$dir/$w.bin")
done
echo "| trace | requests | distinct | MAE | max error | SHARDS bytes (s_max $smax) |"
echo "|---|---:|---:|---:|---:|---:|"
for t in "${traces[@]}"; do
  out=$("$lrn" mrc --trace "${t#*:}" --format oracleGeneral --smax "$smax")
  awk -v name="${t%%:*}" '
    /^requests/ { req = $2; dist = $4 }
    /^mae/ { mae = $2; max = $4 }
    /^shards_memory_bytes/ { mem = $2 }
    END { printf "| %s | %d | %d | %.2f%% | %.2f%% | %d |\n", name, req, dist, mae * 100, max * 100, mem }
  ' <<<"$out"
done
