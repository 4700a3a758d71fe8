#!/usr/bin/env bash
# Build the learned_os kernel (plain or debug) from Debian's linux-source-6.12, our patches and
# config fragments, in a cache keyed by all of those: an unchanged kernel is never rebuilt.
#
# Usage: build-kernel.sh [--print-dir] plain|debug
#   prints the kernel build directory (usable as KDIR) on stdout.
# Environment: LEARNED_OS_CACHE (default ~/.cache/learned_os), JOBS (default nproc+1).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
print_only=0
if [ "${1:-}" = "--print-dir" ]; then print_only=1; shift; fi
variant=${1:?usage: build-kernel.sh [--print-dir] plain|debug}
case "$variant" in plain | debug) ;; *) echo "build-kernel: unknown variant '$variant'" >&2; exit 2 ;; esac

log() { printf 'build-kernel[%s]: %s\n' "$variant" "$*" >&2; }

[ "$print_only" = 1 ] || "$here/setup.sh"

cache=${LEARNED_OS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/learned_os}
tarball=/usr/src/linux-source-6.12.tar.xz
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo missing)
fragments=("$here/kconfig/learned_os.config" "$here/kconfig/$variant.config")

hash_inputs() { # the exact bytes that define a tree: names and contents
  for f in "$@"; do printf '%s\n' "$(basename "$f")"; cat "$f"; done | sha256sum | cut -c1-16
}
shopt -s nullglob
patches=("$repo"/patches/*.patch)
src_key=$(printf '%s %s\n' "$srcver" "$(hash_inputs "$here/apply-patches.sh" ${patches[@]+"${patches[@]}"})" |
  sha256sum | cut -c1-16)
build_key=$(printf '%s %s\n' "$src_key" "$(hash_inputs "$0" "${fragments[@]}")" | sha256sum | cut -c1-16)
srcdir=$cache/src-$src_key
outdir=$cache/$variant-$build_key

if [ "$print_only" = 1 ] || [ -f "$outdir/.learned_os-built" ]; then
  echo "$outdir"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$outdir/.learned_os-built" ]; then echo "$outdir"; exit 0; fi

start=$(date +%s)
if [ ! -f "$srcdir/.learned_os-src" ]; then
  log "unpacking linux-source $srcver and applying ${#patches[@]} patch(es)"
  rm -rf "$srcdir" "$srcdir.tmp"
  mkdir -p "$srcdir.tmp"
  tar -xf "$tarball" -C "$srcdir.tmp" --strip-components=1
  "$here/apply-patches.sh" "$srcdir.tmp" "$repo/patches" >&2
  touch "$srcdir.tmp/.learned_os-src"
  mv "$srcdir.tmp" "$srcdir"
fi

rm -rf "$outdir"
mkdir -p "$outdir"
jobs=${JOBS:-$(($(nproc) + 1))}
kmake() { make -C "$srcdir" O="$outdir" LLVM=1 "$@"; }
buildlog=$outdir/build.log
fail() {
  log "$1; last lines of $buildlog:"
  tail -n 40 "$buildlog" >&2
  exit 1
}

log "configuring (tinyconfig + ${fragments[*]##*/})"
kmake rustavailable >"$buildlog" 2>&1 || fail "Rust is not available for this kernel"
kmake tinyconfig >>"$buildlog" 2>&1 || fail "tinyconfig failed"
"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$outdir" "$outdir/.config" "${fragments[@]}" \
  >>"$buildlog" 2>&1 || fail "merging the fragments failed"
kmake olddefconfig >>"$buildlog" 2>&1 || fail "olddefconfig failed"

# Every option the fragments ask for must have stuck (a silently dropped CONFIG_RUST, say).
bad=0
while IFS= read -r line; do
  case "$line" in
    CONFIG_*=*)
      grep -qxF "$line" "$outdir/.config" || { log "requested '$line', got '$(grep "^${line%%=*}=" "$outdir/.config" || echo unset)'"; bad=1; } ;;
    "# CONFIG_"*" is not set")
      opt=${line#\# }; opt=${opt%% *}
      if grep -q "^$opt=" "$outdir/.config"; then log "requested $opt off, got $(grep "^$opt=" "$outdir/.config")"; bad=1; fi ;;
  esac
done < <(cat "${fragments[@]}")
[ "$bad" = 0 ] || { log "the configuration does not match the fragments"; exit 1; }

log "building bzImage and modules with $jobs jobs (log: $buildlog)"
kmake -j"$jobs" bzImage modules >>"$buildlog" 2>&1 || fail "kernel build failed"

printf 'source %s\nvariant %s\nbuilt %s\nseconds %s\n' "$srcver" "$variant" "$(date -u +%FT%TZ)" \
  "$(($(date +%s) - start))" >"$outdir/.learned_os-built"
log "built in $(($(date +%s) - start)) s: $outdir"

# Drop superseded builds of this variant and source trees nothing refers to any more.
for d in "$cache/$variant"-*; do [ "$d" = "$outdir" ] || rm -rf "$d"; done
for s in "$cache"/src-*; do
  [ "$s" = "$srcdir" ] || rm -rf "$s"
done
echo "$outdir"
