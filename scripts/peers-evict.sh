#!/usr/bin/env bash
# libCacheSim's LRB, GLCache, 3L-Cache, LeCaR and Cacheus on the points of the last
# `make eval-evict` (build/evict-eval), through the pinned libcachesim package; see
# scripts/peers_evict.py. A benchmark, not part of `make check`. `make peers-evict`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
[ -f "$repo/build/evict-eval/eval-evict.tsv" ] || "$here/eval-evict.sh"
py=$("$here/ml-env.sh")
"$py" "$here/peers_evict.py" "$repo/build/evict-eval" \
  --real "real-block=$repo/../shared/traces/cloudPhysicsIO.oracleGeneral.bin" "$@" 2> >(grep -v "INFO\|WARN\|WARNING\|^\s*$" >&2)
