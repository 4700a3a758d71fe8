#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""libCacheSim's own learned and adaptive policies on the eviction corpus, next to ours.

Usage: peers_evict.py EVAL_DIR [--family F]...

EVAL_DIR is what scripts/eval-evict.sh wrote (build/evict-eval): its eval-evict.tsv lists every
point (trace, footprint, cache size in objects) and our policies' misses. For each point this
runs LRU and ARC (as anchors: they must equal ours) and LRB, GLCache, 3L-Cache, LeCaR and
Cacheus through the Python package libcachesim (libCacheSim's C library), one object per
request (ignore_obj_size), and writes EVAL_DIR/peers.tsv and EVAL_DIR/peers.md: misses per
policy and, per family, how often our learned policy is at or below each peer; and
EVAL_DIR/summary.md: every policy, ours and the peers, on all the points at once (mean share
of the LRU-to-Belady gap closed, worst miss ratio against LRU, points more than 2% worse than
LRU, points at or below the best of ARC, LIRS, S3-FIFO and SIEVE). With --summary-only it
rewrites peers.tsv, peers.md and summary.md from an existing peers.tsv and the current
eval-evict.tsv without running the peers again.
"""
import argparse
import csv
import os
import sys

import libcachesim as lcs

PEERS = [("lru", lcs.LRU), ("arc", lcs.ARC), ("lrb", lcs.LRB), ("glcache", lcs.GLCache),
         ("3lcache", lcs.ThreeLCache), ("lecar", lcs.LeCaR), ("cacheus", lcs.Cacheus)]


def misses(path, policy, size):
    p = lcs.ReaderInitParam()
    p.ignore_obj_size = True
    r = lcs.TraceReader(trace=path, trace_type=lcs.TraceType.ORACLE_GENERAL_TRACE,
                        reader_init_params=p)
    ratio, _ = policy(cache_size=size).process_trace(r)
    return ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("eval_dir")
    ap.add_argument("--family", action="append", default=[])
    ap.add_argument("--real", action="append", default=[], help="FAMILY=PATH of a --trace")
    ap.add_argument("--summary-only", action="store_true",
                    help="only rewrite summary.md from eval-evict.tsv and peers.tsv")
    a = ap.parse_args()
    paths = dict(x.split("=", 1) for x in a.real)
    rows = list(csv.DictReader(open(os.path.join(a.eval_dir, "eval-evict.tsv")), delimiter="\t"))
    if a.family:
        rows = [r for r in rows if r["family"] in a.family]
    if a.summary_only:
        peers = read_peers(a.eval_dir, rows)
        write_peers(a.eval_dir, list(zip(rows, peers)))
        write_summary(a.eval_dir, rows, peers)
        return
    out = []
    for r in rows:
        path = os.path.join(a.eval_dir, "corpus", r["trace"] + ".oracleGeneral.bin")
        if not os.path.exists(path):
            path = paths.get(r["family"], path)
        n, size = int(r["requests"]), int(r["size"])
        got = {name: round(misses(path, pol, size) * n) for name, pol in PEERS}
        for anchor in ("lru", "arc"):
            if got[anchor] != int(r[anchor]):
                print(f"peers: {r['trace']} at {size}: libCacheSim {anchor} {got[anchor]}, "
                      f"lrn {r[anchor]}", file=sys.stderr)
        out.append((r, got))
        print(r["trace"], size, "learned", r["learned"], " ".join(f"{k} {v}" for k, v in got.items()),
              flush=True)
    write_peers(a.eval_dir, out)
    write_summary(a.eval_dir, rows, [g for _, g in out])


def write_peers(eval_dir, out):
    """EVAL_DIR/peers.tsv and peers.md from (eval row, peers' misses) pairs: learned's misses
    are the eval row's, so a new eval-evict.tsv with old peers' runs gives current counts."""
    names = [n for n, _ in PEERS]
    with open(os.path.join(eval_dir, "peers.tsv"), "w") as f:
        f.write("family\ttrace\tsize\tlearned\t" + "\t".join(names) + "\n")
        for r, got in out:
            f.write(f"{r['family']}\t{r['trace']}\t{r['size']}\t{r['learned']}\t"
                    + "\t".join(str(got[n]) for n in names) + "\n")
    fams = sorted({r["family"] for r, _ in out})
    with open(os.path.join(eval_dir, "peers.md"), "w") as f:
        f.write("| family | points | " + " | ".join(f"learned <= {n}" for n in names[2:])
                + " |\n|---|---:|" + "---:|" * (len(names) - 2) + "\n")
        for fam in fams + ["all"]:
            pts = [(r, g) for r, g in out if fam == "all" or r["family"] == fam]
            cells = [str(sum(int(r["learned"]) <= g[n] for r, g in pts)) for n in names[2:]]
            f.write(f"| {fam} | {len(pts)} | " + " | ".join(cells) + " |\n")
    print(open(os.path.join(eval_dir, "peers.md")).read())


def read_peers(eval_dir, rows):
    """The peers' misses of peers.tsv, in the order of rows (one dict per point)."""
    with open(os.path.join(eval_dir, "peers.tsv")) as f:
        by_point = {(p["trace"], p["size"]): p for p in csv.DictReader(f, delimiter="\t")}
    return [{n: int(by_point[(r["trace"], r["size"])][n]) for n, _ in PEERS} for r in rows]


OURS = [("learned", "learned (the module's policy)"), ("linux", "stock Linux reclaim"),
        ("lru", "LRU"), ("clock", "CLOCK"), ("sieve", "SIEVE"), ("arc", "ARC"),
        ("lirs", "LIRS"), ("s3fifo", "S3-FIFO")]
THEIRS = [("lrb", "LRB"), ("glcache", "GLCache"), ("3lcache", "3L-Cache"),
          ("lecar", "LeCaR"), ("cacheus", "Cacheus")]


def write_summary(eval_dir, rows, peers):
    """EVAL_DIR/summary.md: every policy's mean gap closed and worst case on the same points."""
    cols = [(k, label, lambda r, g, k=k: int(r[k])) for k, label in OURS]
    cols += [(k, label + " (libCacheSim)", lambda r, g, k=k: g[k]) for k, label in THEIRS]
    cols.append(("belady", "Belady (offline optimum)", lambda r, g: int(r["belady"])))
    lines = ["| policy | points | mean gap closed | worst / LRU | points > 1.02 x LRU "
             "| at or below the best of ARC/LIRS/S3-FIFO/SIEVE |",
             "|---|---:|---:|---:|---:|---:|"]
    for _, label, get in cols:
        gaps, worst, over, best = [], (0.0, ""), 0, 0
        for r, g in zip(rows, peers):
            m, lru, opt = get(r, g), int(r["lru"]), int(r["belady"])
            if lru > opt:
                gaps.append(100.0 * (lru - m) / (lru - opt))
            v = m / max(lru, 1)
            if v > worst[0]:
                worst = (v, f"{r['trace']} at {r['size']}")
            over += v > 1.02
            best += m <= min(int(r[k]) for k in ("arc", "lirs", "s3fifo", "sieve"))
        mean = sum(gaps) / len(gaps) if gaps else 0.0
        lines.append(f"| {label} | {len(rows)} | {mean:.1f}% | {worst[0]:.3f} ({worst[1]}) "
                     f"| {over} | {best} |")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(eval_dir, "summary.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
