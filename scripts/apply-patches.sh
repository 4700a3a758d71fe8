#!/usr/bin/env bash
# Apply patches/*.patch (in C-locale name order) to a kernel tree, strictly: no fuzz, no
# reversed or already-applied patches. Usage: apply-patches.sh TREE PATCHDIR
set -euo pipefail
tree=${1:?usage: apply-patches.sh TREE PATCHDIR}
pdir=${2:?usage: apply-patches.sh TREE PATCHDIR}
export LC_ALL=C
shopt -s nullglob
n=0
for p in "$pdir"/*.patch; do
  if ! patch -d "$tree" -p1 --forward --fuzz=0 --batch --quiet --no-backup-if-mismatch <"$p"; then
    echo "apply-patches: $(basename "$p") does not apply to $tree" >&2
    exit 1
  fi
  n=$((n + 1))
done
echo "apply-patches: applied $n patch(es) from $pdir"
