#!/usr/bin/env bash
# Install everything learned_os needs on a Debian 12 machine. Idempotent: a second run
# checks what is present and returns in well under a second.
set -euo pipefail

APT_PACKAGES=(
  linux-source-6.12 clang lld llvm libclang-dev bc flex bison libelf-dev libssl-dev
  cpio xz-utils kmod qemu-system-x86 busybox-static python3 e2fsprogs
)
BINDGEN_VERSION=0.69.5

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if ! command -v rustup >/dev/null 2>&1; then
  log "rustup not found: the machine's Rust toolchain is expected to come from rustup"
  exit 1
fi
if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  log "adding rust-src"
  rustup component add rust-src >/dev/null
fi
for c in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c" >/dev/null
done

if [ "$(bindgen --version 2>/dev/null | awk '{print $2}')" != "$BINDGEN_VERSION" ]; then
  log "installing bindgen-cli $BINDGEN_VERSION"
  cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION"
fi
