#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the `bench-sizer:` lines of a `make bench-sizer` console log into Markdown tables.

Usage: bench_sizer_table.py LOG [--out FILE.md]

The guest (scripts/guest/bench-sizer.sh) prints one line per phase and run:
    bench-sizer: config=C rep=K phase=P reads=R disk_reads=D ms=T mem_mib_ms=X mean_mib=Y
        settle_ms=S
The first table has one row per phase and configuration: medians over the runs (the lower
median for an even count) of disk reads, memory-time (MiB*s, the integral of the cgroup's
memory.current), mean memory and settle time. The second has one row per configuration:
total disk reads and memory-time (medians of the runs' totals, so not the sums of the rows
above), and both against the `generous` configuration, with the worst phase's disk-read ratio
against `generous` (`inf` where generous read nothing and the configuration did). Only runs
that finished every phase count.
Exits 1 when the log holds no bench-sizer: phase line.
"""

import re
import statistics
import sys

KEYS = ("reads", "disk_reads", "ms", "mem_mib_ms", "mean_mib", "settle_ms")
LINE = re.compile(
    r"bench-sizer: config=(?P<config>\S+) rep=(?P<rep>\d+) phase=(?P<phase>\d+)"
    + "".join(r" %s=(?P<%s>\d+)" % (k, k) for k in KEYS)
)


def median(xs):
    return statistics.median_low(xs) if xs else None


def ratio(a, b):
    """a / b, with 0 / 0 = 1 and a / 0 = inf: a phase generous read nothing in still counts."""
    if b:
        return a / b
    return 1.0 if a == 0 else float("inf")


def parse(text):
    runs = {}  # (config, rep) -> {phase: {key: value}}
    for m in LINE.finditer(text):
        d = {k: int(m.group(k)) for k in KEYS}
        runs.setdefault((m.group("config"), int(m.group("rep"))), {})[int(m.group("phase"))] = d
    return runs


def tables(runs):
    configs = []
    for c, _ in runs:
        if c not in configs:
            configs.append(c)
    phases = sorted({p for r in runs.values() for p in r})
    # Only runs that finished every phase count, in the rows as in the totals.
    runs = {k: r for k, r in runs.items() if set(r) == set(phases)}
    out = []
    out.append("| phase | config | disk reads | memory-time (MiB*s) | mean memory (MiB) | settle (ms) | runs |")
    out.append("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    per = {}  # (config, phase) -> median disk reads
    for p in phases:
        for c in configs:
            cells = [r[p] for (cc, _), r in runs.items() if cc == c and p in r]
            if not cells:
                continue
            dr = median([x["disk_reads"] for x in cells])
            per[(c, p)] = dr
            mt = median([x["mem_mib_ms"] for x in cells]) / 1000
            out.append(
                "| %d | %s | %d | %.1f | %d | %d | %d |"
                % (p, c, dr, mt, median([x["mean_mib"] for x in cells]),
                   median([x["settle_ms"] for x in cells]), len(cells))
            )
    out.append("")
    out.append("| config | disk reads | memory-time (MiB*s) | disk reads / generous | memory-time / generous | worst phase's disk reads / generous |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    totals = {}
    for c in configs:
        rs = [r for (cc, _), r in runs.items() if cc == c]
        if not rs:
            continue
        totals[c] = (
            median([sum(x["disk_reads"] for x in r.values()) for r in rs]),
            median([sum(x["mem_mib_ms"] for x in r.values()) for r in rs]),
        )
    base = totals.get("generous")
    for c in configs:
        if c not in totals:
            continue
        dr, mt = totals[c]
        if base:
            worst = max(
                (ratio(per[(c, p)], per[("generous", p)]) for p in phases
                 if (c, p) in per and ("generous", p) in per),
                default=float("nan"),
            )
            rel = "%.3f | %.3f | %.3f" % (ratio(dr, base[0]), ratio(mt, base[1]), worst)
        else:
            rel = "- | - | -"
        out.append("| %s | %d | %.1f | %s |" % (c, dr, mt / 1000, rel))
    return "\n".join(out) + "\n"


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[0], errors="replace") as f:
        runs = parse(f.read())
    if not runs:
        print("bench_sizer_table: no bench-sizer: phase line in %s" % argv[0], file=sys.stderr)
        return 1
    text = tables(runs)
    sys.stdout.write(text)
    if len(argv) >= 3 and argv[1] == "--out":
        with open(argv[2], "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
