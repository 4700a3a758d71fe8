#!/usr/bin/env bash
# `make bench-sched`: the scheduler policy's benchmark. Boots the guest (plain kernel, TCG,
# 2 vCPUs, virtual time: see ICOUNT) REPS times; each boot runs scripts/guest/bench-sched.sh, which runs a mix of
# latency-sensitive request/response tasks (short bursts, frequent sleeps) and CPU-bound
# batch tasks under three configurations, in an order that rotates from boot to boot:
# stock (no module), fallback (the module on, no model: default slices) and learned (the
# shipped model). Prints a Markdown table (also build/bench-sched.md; the console log is
# build/bench-sched.log):
# - the short tasks' wakeup latency, p50 and p99 (each the mean over the short tasks of the
#   task's own percentile), and the batch throughput (loops per second, summed over the batch
#   tasks): median over the boots, and mean with a 95% confidence interval (Student's t);
# - each configuration against stock, paired per boot: the ratio's median, range and 95% CI;
# - the model's cost per decision (sched/stats predict_ns_mean) in the learned runs.
#
# Environment: REPS=10, SECONDS_PER_RUN=5, SHORT=4, LONG=4, PERIOD_US=2000, BURST_US=100,
#   VARIANT=plain, BENCH_TIMEOUT=900, ICOUNT=2: QEMU's -icount shift (each guest instruction
#   takes 2^ICOUNT ns of guest time, 4 ns: a 250 MIPS machine), so that latencies do not
#   depend on how busy the host is (in real-time TCG, the host descheduling a vCPU thread
#   showed up as guest latency of hundreds of ms); ICOUNT= (empty) runs real-time TCG.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
REPS=${REPS:-10}
SECS=${SECONDS_PER_RUN:-5}
SHORT=${SHORT:-4}
LONG=${LONG:-4}
PERIOD_US=${PERIOD_US:-2000}
BURST_US=${BURST_US:-100}
VARIANT=${VARIANT:-plain}
ICOUNT=${ICOUNT-2}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-900}
for v in REPS SECS SHORT LONG PERIOD_US BURST_US; do
  case "${!v}" in '' | *[!0-9]* | 0) echo "bench-sched: $v must be a positive integer" >&2; exit 2 ;; esac
done

md=$repo/build/bench-sched.md
log=$repo/build/bench-sched.log
echo "bench-sched: building the $VARIANT guest"
mapfile -t guest < <("$here/build-guest.sh" "$VARIANT")
[ "${#guest[@]}" = 2 ] || { echo "bench-sched: build-guest.sh failed" >&2; exit 1; }
orders=(stock,fallback,learned fallback,learned,stock learned,stock,fallback)
rc=0
: >"$log"
for r in $(seq "$REPS"); do
  order=${orders[$(((r - 1) % 3))]}
  echo "bench-sched: boot $r of $REPS ($order)"
  set +e
  "$here/qemu-run.sh" --kernel "${guest[0]}" --initrd "${guest[1]}" --mode bench-sched \
    ${ICOUNT:+--icount "$ICOUNT"} \
    --append "lo.order=$order lo.seconds=$SECS lo.short=$SHORT lo.long=$LONG lo.period_us=$PERIOD_US lo.burst_us=$BURST_US" \
    --log "$log.$r" --timeout "$BENCH_TIMEOUT" --quiet
  r_rc=$?
  set -e
  [ "$r_rc" = 0 ] || rc=$r_rc
  sed "s/^/boot $r /" "$log.$r" >>"$log"
  rm -f "$log.$r"
done

tr -d '\r' <"$log" | awk -v reps="$REPS" -v variant="$VARIANT" -v secs="$SECS" -v icount="$ICOUNT" \
  -v short="$SHORT" -v long="$LONG" -v period="$PERIOD_US" -v burst="$BURST_US" '
  function kv(line, key,   n, i, f) {
    n = split(line, f, " ")
    for (i = 1; i <= n; i++) if (index(f[i], key "=") == 1) return substr(f[i], length(key) + 2)
    return ""
  }
  # Student t, two-sided 95%, for df degrees of freedom.
  function t95(df) {
    split("12.71 4.30 3.18 2.78 2.57 2.45 2.36 2.31 2.26 2.23", t, " ")
    return df < 1 ? 0 : (df <= 10 ? t[df] : 2.09)
  }
  # Over the space-separated values of s: sets md (median), lo, hi, mean, ci (95% half-width).
  function stats(s,   v, n, i, j, x, ss) {
    n = split(s, v, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
    md = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    lo = v[1]; hi = v[n]; mean = 0
    for (i = 1; i <= n; i++) mean += v[i] / n
    ss = 0
    for (i = 1; i <= n; i++) ss += (v[i] - mean) ^ 2
    ci = n > 1 ? t95(n - 1) * sqrt(ss / (n - 1)) / sqrt(n) : 0
    return n
  }
  $1 == "boot" && $3 == "result" {
    b = $2; c = $4
    if ($5 == "sleeper") { p50[b, c] += kv($0, "p50_us"); p99[b, c] += kv($0, "p99_us"); ns[b, c]++ }
    if ($5 == "hog") tput[b, c] += kv($0, "per_s")
    seen[c] = 1; boots[b] = 1
  }
  $1 == "boot" && $3 == "stat" && $4 == "learned" && $5 == "predict_ns_mean" { cost = cost " " $6 }
  $1 == "boot" && $3 == "stat" && $4 == "learned" && $5 == "predict_model" { preds = preds " " $6 }
  $1 == "boot" && $3 == "stat" && $5 == "slices_set" { set[$4] = set[$4] " " $6 }
  END {
    split("stock fallback learned", cs, " ")
    clock = icount == "" ? "real-time TCG" : sprintf("TCG with virtual time, %d ns per instruction", 2 ^ icount)
    printf "%d boots (%s kernel, %s, 2 vCPUs); each run: %d short tasks (%d us of CPU, then %d us of sleep) and %d CPU-bound tasks for %d s.\n\n", reps, variant, clock, short, burst, period, long, secs
    print "| config | p50 wakeup latency, us | p99 wakeup latency, us | batch throughput, Mloops/s |"
    print "|---|---:|---:|---:|"
    for (k = 1; k <= 3; k++) {
      c = cs[k]; if (!(c in seen)) continue
      a = ""; p = ""; q = ""
      for (b in boots) if (ns[b, c] > 0) { a = a " " p50[b, c] / ns[b, c]; p = p " " p99[b, c] / ns[b, c]; q = q " " tput[b, c] / 1e6 }
      stats(a); s1 = sprintf("%.0f (mean %.0f ± %.0f)", md, mean, ci)
      stats(p); s2 = sprintf("%.0f (mean %.0f ± %.0f)", md, mean, ci)
      stats(q); s3 = sprintf("%.3f (mean %.3f ± %.3f)", md, mean, ci)
      printf "| %s | %s | %s | %s |\n", c, s1, s2, s3
    }
    print ""
    print "| against stock, paired per boot | p99 latency ratio | batch throughput ratio |"
    print "|---|---:|---:|"
    for (k = 2; k <= 3; k++) {
      c = cs[k]; if (!(c in seen)) continue
      p = ""; q = ""
      for (b in boots) if (ns[b, c] > 0 && ns[b, "stock"] > 0 && tput[b, "stock"] > 0) {
        p = p " " (p99[b, c] / ns[b, c]) / (p99[b, "stock"] / ns[b, "stock"])
        q = q " " tput[b, c] / tput[b, "stock"]
      }
      if (p == "") continue
      stats(p); s1 = sprintf("%.3f (%.3f-%.3f; mean %.3f ± %.3f)", md, lo, hi, mean, ci)
      stats(q); s2 = sprintf("%.3f (%.3f-%.3f; mean %.3f ± %.3f)", md, lo, hi, mean, ci)
      printf "| %s | %s | %s |\n", c, s1, s2
    }
    print ""
    if (cost != "") { stats(cost); printf "Model cost per decision (features and inference, in the work, guest time): median %.0f ns over the boots (%.0f-%.0f).\n", md, lo, hi }
    if (preds != "") { stats(preds); printf "Model predictions per learned run: median %d.\n", md }
    if (set["learned"] != "") { stats(set["learned"]); printf "Learned slices set per run: median %d.\n", md }
  }' | tee "$md"
echo "bench-sched: table in build/bench-sched.md (guest status $rc)"
exit "$rc"
