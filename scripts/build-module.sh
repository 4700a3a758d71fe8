#!/usr/bin/env bash
# Build learned_os.ko against one of our kernels (plain|debug) or a user's own Rust-enabled
# kernel build tree (a path). Prints the path of the built module on stdout.
#
# Usage: build-module.sh [--clippy] [--werror] plain|debug|KDIR
#   --clippy  build the Rust code through clippy (kbuild's CLIPPY=1)
#   --werror  fail on any compiler or clippy warning
# Linux 6.12 builds external modules in their source directory, so each target gets its own
# copy of the sources under build/ (kept, so rebuilds are incremental).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
clippy=0
werror=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clippy) clippy=1; shift ;;
    --werror) werror=1; shift ;;
    *) break ;;
  esac
done
target=${1:?usage: build-module.sh [--clippy] [--werror] plain|debug|KDIR}

case "$target" in
  plain | debug)
    kdir=$("$here/build-kernel.sh" "$target")
    name=$target ;;
  *)
    kdir=$(cd "$target" 2>/dev/null && pwd) || { echo "build-module: no such kernel tree: $target" >&2; exit 1; }
    [ -f "$kdir/Module.symvers" ] || {
      echo "build-module: $kdir has no Module.symvers: run 'make modules' there first" >&2
      exit 1
    }
    name=kdir-$(printf '%s' "$kdir" | sha256sum | cut -c1-12) ;;
esac
[ "$clippy" = 1 ] && name=$name-clippy

out=$repo/build/module-$name
mkdir -p "$out/rust/learned-core"
cp -a "$repo/Kbuild" "$out/"
rm -rf "$out/src.new"
cp -a "$repo/src" "$out/src.new"
# Keep the objects of the previous build: copy the sources over the old tree.
mkdir -p "$out/src"
cp -a "$out/src.new/." "$out/src/"
rm -rf "$out/src.new" "$out/rust/learned-core/src"
cp -a "$repo/rust/learned-core/src" "$out/rust/learned-core/src"

args=(-C "$kdir" M="$out" LLVM="${LLVM-1}")
[ "$clippy" = 1 ] && args+=(CLIPPY=1)
log=$out/build.log
if ! make "${args[@]}" modules >"$log" 2>&1; then
  cat "$log" >&2
  echo "build-module: build against $kdir failed" >&2
  exit 1
fi
if grep -qE '(^|: )warning(\[|:)' "$log"; then
  cat "$log" >&2
  if [ "$werror" = 1 ]; then
    echo "build-module: warnings (treated as errors)" >&2
    exit 1
  fi
fi
echo "$out/learned_os.ko"
