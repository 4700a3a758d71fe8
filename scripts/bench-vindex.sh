#!/usr/bin/env bash
# `make bench-vindex`: the learned VA->PA index's benchmark. Boots the guest (plain kernel by
# default) under QEMU (TCG) and runs scripts/guest/bench-vindex.sh: batch translation
# throughput of the learned index against the exact page-table walk and two conventional
# structures over the same runs (binary search over the runs array; the kernel's rbtree of
# the runs), and each structure's bytes per 4 KiB page, for a contiguous region, a "typical"
# process's mix (THP, a malloc-like heap, a file mapping, stacks), a fragmented one and a
# THP-backed one. Each repetition is a fresh boot: the layouts leave the page allocator's
# free lists in their own order (the fragmented one scrambles them), so repetitions within
# one boot would measure a different memory each time. Prints a
# Markdown table of medians over the repetitions, with each ratio's median and range over
# the repetitions (paired: both sides from the same region); also written to
# build/bench-vindex.md; the console log is build/bench-vindex.log.
#
# Environment: REPS=5, MIB=64 (region per layout), LAYOUTS=contiguous,typical,frag,thp,
#   EPSILON= (the module's default), VARIANT=plain (debug: KASAN and lockdep, far slower),
#   BENCH_TIMEOUT=900.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
MIB=${MIB:-64}
LAYOUTS=${LAYOUTS:-contiguous,typical,frag,thp}
REPS=${REPS:-5}
EPSILON=${EPSILON:-}
VARIANT=${VARIANT:-plain}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
case "$MIB" in '' | *[!0-9]* | 0) echo "bench-vindex: MIB must be a positive integer" >&2; exit 2 ;; esac
case "$REPS" in '' | *[!0-9]* | 0) echo "bench-vindex: REPS must be a positive integer" >&2; exit 2 ;; esac

md=$repo/build/bench-vindex.md
log=$repo/build/bench-vindex.log
append="lo.mib=$MIB lo.layouts=$LAYOUTS lo.reps=1"
[ -z "$EPSILON" ] || append+=" lo.epsilon=$EPSILON"
echo "bench-vindex: building the $VARIANT guest"
mapfile -t guest < <("$here/build-guest.sh" "$VARIANT")
[ "${#guest[@]}" = 2 ] || { echo "bench-vindex: build-guest.sh failed" >&2; exit 1; }
rc=0
: >"$log"
for r in $(seq "$REPS"); do
  echo "bench-vindex: repetition $r of $REPS"
  set +e
  "$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode bench-vindex \
    --append "$append" --log "$log.$r" --timeout "$BENCH_TIMEOUT" --quiet
  r_rc=$?
  set -e
  [ "$r_rc" = 0 ] || rc=$r_rc
  cat "$log.$r" >>"$log"
  rm -f "$log.$r"
done
tr -d '\r' <"$log" | awk -v variant="$VARIANT" -v reps="$REPS" '
  function kv(line, key,   n, i, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  # The median of the space-separated numbers in s (sets lo and hi to the extremes).
  function med(s,   v, n, i, j, t) {
    n = split(s, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    lo = v[1]; hi = v[n]
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function ratio(l, a, b,   s, i) {
    s = ""
    for (i = 1; i <= rep[l]; i++) if (ns[l, i, a] > 0 && ns[l, i, b] > 0) s = s " " ns[l, i, a] / ns[l, i, b]
    if (s == "") return "-"
    m = med(s)
    return sprintf("%.2fx (%.2f-%.2f)", m, lo, hi)
  }
  /^bench [a-z]+ mib=/ {
    l = $2; md = kv($0, "mode")
    if (md == "learned") rep[l]++
    if (!(l in seen)) { seen[l] = 1; order[++n] = l }
    ns[l, rep[l], md] = kv($0, "ns_per_lookup")
    all[l, md] = all[l, md] " " kv($0, "ns_per_lookup")
  }
  /^index [a-z]+ runs=/ {
    l = $2
    runs[l] = runs[l] " " kv($0, "runs"); segs[l] = segs[l] " " kv($0, "segments")
    bpp[l] = bpp[l] " " kv($0, "bytes_per_page"); tpp[l] = tpp[l] " " kv($0, "tree_bytes_per_page")
  }
  END {
    printf "Medians of %d repetitions (%s kernel, TCG); ratios: median (min-max) of the per-repetition ratios.\n\n", reps, variant
    print "| layout | learned ns/lookup | search ns | rbtree ns | walk ns | walk / learned | rbtree / learned | search / learned | runs | segments | learned B/page | rbtree B/page |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      l = order[i]
      printf "| %s | %.1f | %.1f | %.1f | %.1f | %s | %s | %s | %d | %d | %.3f | %.2f |\n", l,
        med(all[l, "learned"]), med(all[l, "search"]), med(all[l, "rbtree"]), med(all[l, "walk"]),
        ratio(l, "walk", "learned"), ratio(l, "rbtree", "learned"), ratio(l, "search", "learned"),
        med(runs[l]), med(segs[l]), med(bpp[l]), med(tpp[l])
    }
  }' | tee "$md"
echo "bench-vindex: table in build/bench-vindex.md (guest status $rc)"
exit "$rc"
