#!/usr/bin/env bash
# Leave-one-family-out evaluation of the learned eviction policy (issue 15):
#   1. the corpus (lrn corpus: 30 generated traces in 6 families) into build/evict-eval/corpus;
#   2. for each family F: samples from every other family (lrn samples --exclude F), a model
#      fitted by scikit-learn (scripts/train-evict.py, pinned venv of scripts/ml-env.sh),
#      quantized and checked (lrn model import) into build/evict-eval/models/F.lmod, all by
#      scripts/train-evict-family.sh, which also trains the shipped model;
#   3. lrn eval-evict with those models: every trace at 0.1/1/3/10% of its footprint, learned
#      (the kernel's policy: Linux reclaim + hook + guard) next to LRU, FIFO, CLOCK, SIEVE,
#      ARC, LIRS, S3-FIFO, Belady and stock Linux. The real block trace of shared/ (never
#      trained on) is its own family, tested with the model trained on all generated families.
# Output: build/evict-eval/eval-evict.md, .tsv and .svg (miss-ratio curves per family); the
# summary is printed. `make eval-evict`.
# Environment: EVICT_EVAL_OUT (instead of build/evict-eval), EVICT_HIDDEN (train-evict-family.sh).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${EVICT_EVAL_OUT:-$repo/build/evict-eval}
(cd "$repo/rust" && cargo build --release -q -p lrn)
lrn=$repo/rust/target/release/lrn
mkdir -p "$out/models"
"$lrn" corpus --out "$out/corpus" >/dev/null
real=()
shared=$repo/../shared/traces/cloudPhysicsIO.oracleGeneral.bin
[ -f "$shared" ] && real=(--trace "real-block=$shared")
families=$(awk -F'\t' 'NR > 1 { print $1 }' "$out/corpus/corpus.tsv" | uniq)
for f in $families all; do
  "$here/train-evict-family.sh" "$out/corpus" "$f" e71c0100 "$out/models/$f.lmod"
done
cp "$out/models/all.lmod" "$out/models/real-block.lmod"
"$lrn" eval-evict --corpus "$out/corpus" "${real[@]}" --models "$out/models" --out "$out"
