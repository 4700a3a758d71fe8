#!/usr/bin/env bash
# Leave-one-family-out evaluation of the learned eviction policy (issue 15):
#   1. the corpus (lrn corpus: 30 generated traces in 6 families) into build/evict-eval/corpus;
#   2. for each family F: samples from every other family (lrn samples --exclude F), a model
#      fitted by scikit-learn (scripts/train-evict.py, pinned venv of scripts/ml-env.sh),
#      quantized and checked (lrn model import) into build/evict-eval/models/F.lmod;
#   3. lrn eval-evict with those models: every trace at 0.1/1/3/10% of its footprint, learned
#      (the kernel's policy: Linux reclaim + hook + guard) next to LRU, FIFO, CLOCK, SIEVE,
#      ARC, LIRS, S3-FIFO, Belady and stock Linux. The real block trace of shared/ (never
#      trained on) is its own family, tested with the model trained on all generated families.
# Output: build/evict-eval/eval-evict.md and .tsv; the summary is printed. `make eval-evict`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=$repo/build/evict-eval
py=$("$here/ml-env.sh")
(cd "$repo/rust" && cargo build --release -q -p lrn)
lrn=$repo/rust/target/release/lrn
mkdir -p "$out/models"
"$lrn" corpus --out "$out/corpus" >/dev/null
real=()
shared=$repo/../shared/traces/cloudPhysicsIO.oracleGeneral.bin
[ -f "$shared" ] && real=(--trace "real-block=$shared")
families=$(awk -F'\t' 'NR > 1 { print $1 }' "$out/corpus/corpus.tsv" | uniq)
for f in $families all; do
  [ "$f" = all ] && ex=() || ex=(--exclude "$f")
  "$lrn" samples --corpus "$out/corpus" "${ex[@]}" --out "$out/models/$f.samples" | sed "s/^/$f: /"
  "$py" "$here/train-evict.py" "$out/models/$f.samples" "$out/models/$f.json" 2>/dev/null | sed "s/^/$f: /"
  "$lrn" model import --json "$out/models/$f.json" --samples "$out/models/$f.samples" \
    --model-id e71c0100 --out "$out/models/$f.lmod" | sed "s/^/$f: /"
  rm -f "$out/models/$f.samples"
done
cp "$out/models/all.lmod" "$out/models/real-block.lmod"
"$lrn" eval-evict --corpus "$out/corpus" "${real[@]}" --models "$out/models" --out "$out"
