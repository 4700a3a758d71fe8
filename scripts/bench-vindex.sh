#!/usr/bin/env bash
# `make bench-vindex`: the learned VA->PA index's benchmark. Boots the guest (plain kernel by
# default) under QEMU (TCG) and runs scripts/guest/bench-vindex.sh: batch translation
# throughput of the learned index against the exact page-table walk, and the index's bytes
# per 4 KiB page, for a contiguous region, a fragmented one and a THP-backed one. Prints a
# Markdown table (also written to build/bench-vindex.md; the console log is
# build/bench-vindex.log).
#
# Environment: MIB=64 (region per layout), LAYOUTS=contiguous,frag,thp, EPSILON= (the
#   module's default), VARIANT=plain (debug: KASAN and lockdep, far slower), BENCH_TIMEOUT=900.
# Not measured yet: a conventional range structure (rbtree/maple tree of the same runs).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
MIB=${MIB:-64}
LAYOUTS=${LAYOUTS:-contiguous,frag,thp}
EPSILON=${EPSILON:-}
VARIANT=${VARIANT:-plain}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
case "$MIB" in '' | *[!0-9]* | 0) echo "bench-vindex: MIB must be a positive integer" >&2; exit 2 ;; esac

md=$repo/build/bench-vindex.md
log=$repo/build/bench-vindex.log
append="lo.mib=$MIB lo.layouts=$LAYOUTS"
[ -z "$EPSILON" ] || append+=" lo.epsilon=$EPSILON"
echo "bench-vindex: building the $VARIANT guest"
mapfile -t guest < <("$here/build-guest.sh" "$VARIANT")
[ "${#guest[@]}" = 2 ] || { echo "bench-vindex: build-guest.sh failed" >&2; exit 1; }
set +e
"$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode bench-vindex \
  --append "$append" --log "$log" --timeout "$BENCH_TIMEOUT" --quiet
rc=$?
set -e
tr -d '\r' <"$log" | awk -v variant="$VARIANT" '
  function kv(line, key,   n, i, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  /^bench [a-z]+ mib=/ { ns[$2, kv($0, "mode")] = kv($0, "ns_per_lookup"); seen[$2] = 1; order[++n] = $2 }
  /^index [a-z]+ runs=/ { runs[$2] = kv($0, "runs"); segs[$2] = kv($0, "segments"); bpp[$2] = kv($0, "bytes_per_page") }
  END {
    printf "| layout (%s kernel) | learned ns/lookup | walk ns/lookup | speedup | runs | segments | bytes/page |\n", variant
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      l = order[i]
      if (done[l]++) continue
      sp = (ns[l, "learned"] > 0) ? sprintf("%.1fx", ns[l, "walk"] / ns[l, "learned"]) : "-"
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", l, ns[l, "learned"], ns[l, "walk"], sp, runs[l], segs[l], bpp[l]
    }
  }' | tee "$md"
echo "bench-vindex: table in build/bench-vindex.md (guest status $rc)"
exit "$rc"
