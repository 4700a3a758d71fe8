#!/usr/bin/env bash
# One EVICT v1 reclaim model from the corpus, with the maintained trainer: samples of every
# family but FAMILY (`all`: of every family) from stock Linux reclaim (lrn samples), a network
# fitted by scikit-learn (scripts/train-evict.py, in the pinned venv of scripts/ml-env.sh),
# checked against the trainer's own predictions and quantized (lrn model import).
# Deterministic: the same corpus writes the same bytes. Used by eval-evict.sh (one model per
# left-out family) and train-evict-model.sh (the shipped model, trained on every family).
# Usage: train-evict-family.sh CORPUS_DIR FAMILY|all MODEL_ID OUT.lmod
# Environment: EVICT_HIDDEN=H[,H] (the hidden layer widths; default: train-evict.py's, 8,8).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
corpus=${1:?usage: train-evict-family.sh CORPUS_DIR FAMILY|all MODEL_ID OUT.lmod}
family=${2:?usage: train-evict-family.sh CORPUS_DIR FAMILY|all MODEL_ID OUT.lmod}
id=${3:?usage: train-evict-family.sh CORPUS_DIR FAMILY|all MODEL_ID OUT.lmod}
out=${4:?usage: train-evict-family.sh CORPUS_DIR FAMILY|all MODEL_ID OUT.lmod}
py=$("$here/ml-env.sh")
lrn=$repo/rust/target/release/lrn
[ "$family" = all ] && ex=() || ex=(--exclude "$family")
base=${out%.lmod}
"$lrn" samples --corpus "$corpus" "${ex[@]}" --out "$base.samples" | sed "s/^/$family: /"
"$py" "$here/train-evict.py" "$base.samples" "$base.json" ${EVICT_HIDDEN:+--hidden "$EVICT_HIDDEN"} 2>/dev/null | sed "s/^/$family: /"
"$lrn" model import --json "$base.json" --samples "$base.samples" --model-id "$id" --out "$out" |
  sed "s/^/$family: /"
rm -f "$base.samples"
