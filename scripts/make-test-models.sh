#!/usr/bin/env bash
# Generate the model files the kselftests load, with the answers the host computes for them,
# so the guest can check the kernel's inference bit for bit against the host's.
# Usage: make-test-models.sh OUTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
out=${1:?usage: make-test-models.sh OUTDIR}
mkdir -p "$out"
(cd "$repo/rust" && cargo build --quiet --release -p lrn)
lrn=$repo/rust/target/release/lrn

# Inputs every MLP test uses: int8 features (the evict schema has 8 inputs).
features="17 -3 64 0 -128 127 5 -77"
key=123456

"$lrn" model synth --kind mlp --schema 1 --seed 1 --out "$out/evict-a.lmod"
"$lrn" model synth --kind mlp --schema 1 --seed 2 --out "$out/evict-b.lmod"
"$lrn" model synth --kind mlp --schema 4 --seed 3 --out "$out/sched.lmod"
# A wrong eviction model for the guard to catch: keeps pages used once, reclaims the others.
"$lrn" model synth --kind mlp --schema 1 --seed 5 --adversarial --out "$out/evict-adversarial.lmod"
# A model that answers "reclaim" (the last class) for every page: the scope test's.
"$lrn" model synth --kind mlp --schema 1 --hidden 0 --constant 3 --out "$out/evict-reclaim-all.lmod"
"$lrn" model synth --kind pla --schema 3 --seed 4 --out "$out/vindex.lmod"
# A sizer v1 shape (20 inputs, 16 classes): the kernel's sizer runs it.
"$lrn" model synth --kind mlp --schema 2 --seed 6 --inputs 20 --outputs 16 --out "$out/sizer.lmod"
# Models longer than a page (5464 bytes), written in several chunks: the upload checks.
"$lrn" model synth --kind mlp --schema 1 --seed 7 --hidden 64 --out "$out/evict-big.lmod"
"$lrn" model synth --kind mlp --schema 1 --seed 9 --hidden 64 --out "$out/evict-big-b.lmod"
# Valid files of the right kind and schema but a shape the policy cannot run: an evict model
# of 20 inputs (the hook computes 8), a sizer model of 8 inputs (it takes 20), a sched model
# of 5 classes but 8 inputs (it takes 14); and a sched model of the right shape.
"$lrn" model synth --kind mlp --schema 1 --seed 10 --inputs 20 --out "$out/evict-wide.lmod"
"$lrn" model synth --kind mlp --schema 2 --seed 11 --inputs 8 --outputs 16 --out "$out/sizer-narrow.lmod"
"$lrn" model synth --kind mlp --schema 4 --seed 12 --inputs 8 --outputs 5 --out "$out/sched-narrow.lmod"
"$lrn" model synth --kind mlp --schema 4 --seed 13 --inputs 14 --outputs 5 --out "$out/sched-ok.lmod"
echo "$features" >"$out/features"
echo "$key" >"$out/key"
for m in evict-a evict-b evict-big evict-big-b; do
  "$lrn" model infer --model "$out/$m.lmod" --input "$features" >"$out/$m.answer"
done
"$lrn" model infer --model "$out/vindex.lmod" --input "$key" >"$out/vindex.answer"
for m in evict-a evict-b evict-big evict-big-b sched vindex sizer sched-ok; do
  "$lrn" inspect "$out/$m.lmod" | awk '$1 == "crc32:" { print $2 }' >"$out/$m.crc32"
done
# The shipped models (models/<policy>.lmod): inputs as many as the model takes (the first of
# a fixed 32), and the host's answer and checksum for each.
wide="$features 90 -45 3 0 127 -1 33 -100 8 64 -64 12 -7 99 1 -20 55 -128 0 42 77 -9 6 -33"
for m in "$repo"/models/*.lmod; do
  [ -f "$m" ] || continue
  name=$(basename "$m" .lmod)
  n=$("$lrn" inspect "$m" | awk '$1 == "mlp:" { print $2 }')
  echo "$wide" | tr ' ' '\n' | head -n "${n:-8}" | paste -sd ' ' >"$out/shipped-$name.features"
  "$lrn" model infer --model "$m" --input "$(cat "$out/shipped-$name.features")" >"$out/shipped-$name.answer"
  "$lrn" inspect "$m" | awk '$1 == "crc32:" { print $2 }' >"$out/shipped-$name.crc32"
done
# A file whose header declares more than the format allows (65536 bytes in all).
python3 - "$out/oversized.lmod" <<'PY'
import struct, sys
payload = 70000
header = b"LMOD" + struct.pack("<HHHHIIII", 1, 1, 1, 1, 7, payload, 0, 0) + b"\0\0\0\0"
open(sys.argv[1], "wb").write(header + bytes(payload))
PY
