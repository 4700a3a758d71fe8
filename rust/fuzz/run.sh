#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Coverage-guided fuzzing of the .lmod parser (+ inference on whatever parses) for a bounded
# time. Installs cargo-fuzz if missing; seeds the corpus with valid models of every kind and
# schema from `lrn model synth`. Exits non-zero on a crash (the input is left in
# fuzz/artifacts/parse_lmod/).
#
# Usage: run.sh [SECONDS]   (default 60)
# cargo-fuzz needs nightly flags (-Zsanitizer); RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them.
set -euo pipefail

secs=${1:-60}
case "$secs" in '' | *[!0-9]*) echo "usage: run.sh [SECONDS]" >&2; exit 2 ;; esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ws=$(dirname "$here")

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "run.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked --version 0.13.2
fi

corpus=$here/corpus/parse_lmod
mkdir -p "$corpus"
lrn=$ws/target/debug/lrn
if ! (cd "$ws" && cargo build -q -p lrn); then
  echo "run.sh: warning: cannot build lrn; seeding with the existing binary or corpus" >&2
fi
[ -x "$lrn" ] && for seed in 1 2 3; do
  for spec in "mlp 1" "mlp 2" "pla 3" "mlp 4"; do
    set -- $spec
    "$lrn" model synth --kind "$1" --schema "$2" --seed "$seed" --out "$corpus/seed-$1-$2-$seed.lmod" >/dev/null
  done
  "$lrn" model synth --kind mlp --schema 1 --seed "$seed" --inputs 3 --hidden 0 --outputs 2 \
    --out "$corpus/seed-small-$seed.lmod" >/dev/null
  "$lrn" model synth --kind pla --schema 3 --seed "$seed" --keys 20 --epsilon 1 \
    --out "$corpus/seed-pla-small-$seed.lmod" >/dev/null
done
echo "run.sh: fuzzing parse_lmod for ${secs}s" >&2
cd "$here"
RUSTC_BOOTSTRAP=1 cargo fuzz run parse_lmod "$corpus" -- -max_total_time="$secs" -max_len=65600
