#!/usr/bin/env bash
# Creates (once) the pinned Python environment of the eviction trainer and the libCacheSim
# peers in build/ml-venv, and prints its python's path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
venv=$(dirname "$here")/build/ml-venv
pins="numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 libcachesim==0.3.5"
if [ "$(cat "$venv/.pins" 2>/dev/null)" != "$pins" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q $pins >&2
  echo "$pins" >"$venv/.pins"
fi
echo "$venv/bin/python"
