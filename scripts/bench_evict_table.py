#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the `bench:` lines of a `make bench-evict` console log into a Markdown table.

Usage: bench_evict_table.py LOG [--out FILE.md]

Each run of the guest's bench-evict.sh prints
    bench: workload=W policy=P disk_reads=R sectors=S refaults=F cg_refaults=G ms=T [rep=K]
        [hook_us=H probe_us=B decisions=D trips=N]
(the bracketed fields: the eviction policy's own counters over the run: microseconds in the
reclaim hook and in the page-cache probes, answers the model gave, guard trips). With them,
a third table gives the learned runs' policy cost.
The table has one row per workload (in the order the log first names them) comparing the
stock and learned policies. When a workload and policy ran more than once (rep=), each cell
is the median of its runs (the lower median for an even count), and a second table gives
the range of disk reads and refaults, and whether the two policies' disk-read ranges are
apart: runs of one policy differ by themselves, so a ratio with overlapping ranges is noise. A run missing from the log shows as "-" and is named on stderr.
Exits 1 when the log holds no bench: line at all.
"""

import re
import statistics
import sys

KEYS = ("disk_reads", "sectors", "refaults", "cg_refaults", "ms")
# The serial console may interleave kernel messages: search, do not anchor.
LINE = re.compile(
    r"bench: workload=(?P<workload>\S+) policy=(?P<policy>\S+)"
    + "".join(r" %s=(?P<%s>\d+)" % (k, k) for k in KEYS)
    + r"(?: rep=(?P<rep>\d+))?"
    + "(?:" + "".join(r" %s=(?P<%s>\d+)" % (k, k) for k in ("hook_us", "probe_us", "decisions", "trips")) + ")?"
)
COST_KEYS = ("hook_us", "probe_us", "decisions", "trips")
POLICIES = ("stock", "learned")
HEADER = (
    "workload",
    "stock disk reads",
    "learned disk reads",
    "learned/stock",
    "stock refaults",
    "learned refaults",
    "stock ms",
    "learned ms",
)


def parse(text):
    """{workload: {policy: [{key: int}, ...]}}: every run in log order, workloads in order
    of first appearance."""
    runs = {}
    for line in text.splitlines():
        m = LINE.search(line)
        if not m:
            continue
        by = runs.setdefault(m["workload"], {})
        run = {k: int(m[k]) for k in KEYS}
        run.update({k: int(m[k]) for k in COST_KEYS if m[k] is not None})
        by.setdefault(m["policy"], []).append(run)
    return runs


def median(runs, policy, key):
    """The (lower) median of `key` over the runs of `policy`, None without runs."""
    vals = [r[key] for r in runs.get(policy, [])]
    return statistics.median_low(vals) if vals else None


def spread(runs, policy, key):
    vals = [r[key] for r in runs.get(policy, [])]
    if not vals:
        return "-"
    return "%d-%d" % (min(vals), max(vals))


def repeated(runs):
    """Whether any workload and policy ran more than once."""
    return any(len(v) > 1 for by in runs.values() for v in by.values())


def ratio(learned, stock):
    if learned is None or stock is None:
        return "-"
    if stock == 0:
        return "-" if learned == 0 else "inf"
    return "%.3f" % (learned / stock)


SPREAD_HEADER = (
    "workload",
    "runs (stock, learned)",
    "stock disk reads",
    "learned disk reads",
    "stock refaults",
    "learned refaults",
    "disk reads apart",
)


def apart(runs, key):
    """"yes" when every learned run is below (or every one above) every stock run of `key`,
    "no" when the ranges overlap, "-" without runs of both."""
    s = [r[key] for r in runs.get("stock", [])]
    l = [r[key] for r in runs.get("learned", [])]
    if not s or not l:
        return "-"
    return "yes" if max(l) < min(s) or min(l) > max(s) else "no"


def spread_table(runs):
    """The Markdown table of each cell's range (min-max) over its runs."""
    rows = [SPREAD_HEADER, ("---",) + ("---:",) * (len(SPREAD_HEADER) - 1)]
    for w, by in runs.items():
        rows.append(
            (
                w,
                "%d, %d" % tuple(len(by.get(p, [])) for p in POLICIES),
                spread(by, "stock", "disk_reads"),
                spread(by, "learned", "disk_reads"),
                spread(by, "stock", "refaults"),
                spread(by, "learned", "refaults"),
                apart(by, "disk_reads"),
            )
        )
    return "".join("| " + " | ".join(r) + " |\n" for r in rows)


def table(runs):
    """The Markdown table of `runs` (from parse): medians when a cell ran more than once."""
    rows = [HEADER, ("---",) + ("---:",) * (len(HEADER) - 1)]
    for w, by in runs.items():
        def get(p, k):
            return median(by, p, k)

        def cell(v):
            return "-" if v is None else str(v)

        s, l = get("stock", "disk_reads"), get("learned", "disk_reads")
        rows.append(
            (
                w,
                cell(s),
                cell(l),
                ratio(l, s),
                cell(get("stock", "refaults")),
                cell(get("learned", "refaults")),
                cell(get("stock", "ms")),
                cell(get("learned", "ms")),
            )
        )
    return "".join("| " + " | ".join(r) + " |\n" for r in rows)


COST_HEADER = (
    "workload",
    "model answers",
    "guard trips",
    "hook ms",
    "probe ms",
    "hook + probes, % of run time",
)


def cost_table(runs):
    """The learned runs' policy cost (medians), or "" when the log has no cost fields."""
    rows = [COST_HEADER, ("---",) + ("---:",) * (len(COST_HEADER) - 1)]
    for w, by in runs.items():
        learned = [r for r in by.get("learned", []) if "hook_us" in r]
        if not learned:
            continue
        def med(k):
            return statistics.median_low([r[k] for r in learned])
        pct = statistics.median_low(
            [(r["hook_us"] + r["probe_us"]) / (10.0 * r["ms"]) if r["ms"] else 0.0 for r in learned]
        )
        rows.append(
            (
                w,
                str(med("decisions")),
                str(med("trips")),
                "%.1f" % (med("hook_us") / 1000.0),
                "%.1f" % (med("probe_us") / 1000.0),
                "%.2f" % pct,
            )
        )
    if len(rows) == 2:
        return ""
    return "".join("| " + " | ".join(r) + " |\n" for r in rows)


def missing(runs):
    """The workload/policy pairs of the table that have no run."""
    return ["%s/%s" % (w, p) for w, by in runs.items() for p in POLICIES if p not in by]


def main(argv):
    args = argv[1:]
    out = None
    if "--out" in args:
        i = args.index("--out")
        if i + 1 >= len(args):
            print("usage: bench_evict_table.py LOG [--out FILE.md]", file=sys.stderr)
            return 2
        out = args[i + 1]
        del args[i : i + 2]
    if len(args) != 1:
        print("usage: bench_evict_table.py LOG [--out FILE.md]", file=sys.stderr)
        return 2
    with open(args[0], errors="replace") as f:
        runs = parse(f.read())
    if not runs:
        print("bench_evict_table: no bench: lines in %s" % args[0], file=sys.stderr)
        return 1
    md = table(runs)
    if repeated(runs):
        md += "\nMedian of each cell's runs; their ranges:\n\n" + spread_table(runs)
    cost = cost_table(runs)
    if cost:
        md += "\nThe learned policy's cost in the learned runs (medians; CPU time in the reclaim hook and the page-cache probes, against lo-work's run time):\n\n" + cost
    sys.stdout.write(md)
    if out:
        with open(out, "w") as f:
            f.write(md)
    if missing(runs):
        print("bench_evict_table: no run for %s" % " ".join(missing(runs)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
