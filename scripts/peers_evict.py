#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""libCacheSim's own learned and adaptive policies on the eviction corpus, next to ours.

Usage: peers_evict.py EVAL_DIR [--family F]...

EVAL_DIR is what scripts/eval-evict.sh wrote (build/evict-eval): its eval-evict.tsv lists every
point (trace, footprint, cache size in objects) and our policies' misses. For each point this
runs LRU and ARC (as anchors: they must equal ours) and LRB, GLCache, 3L-Cache, LeCaR and
Cacheus through the Python package libcachesim (libCacheSim's C library), one object per
request (ignore_obj_size), and writes EVAL_DIR/peers.tsv and EVAL_DIR/peers.md: misses per
policy and, per family, how often our learned policy is at or below each peer.
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
    a = ap.parse_args()
    paths = dict(x.split("=", 1) for x in a.real)
    rows = list(csv.DictReader(open(os.path.join(a.eval_dir, "eval-evict.tsv")), delimiter="\t"))
    if a.family:
        rows = [r for r in rows if r["family"] in a.family]
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
    names = [n for n, _ in PEERS]
    with open(os.path.join(a.eval_dir, "peers.tsv"), "w") as f:
        f.write("family\ttrace\tsize\tlearned\t" + "\t".join(names) + "\n")
        for r, got in out:
            f.write(f"{r['family']}\t{r['trace']}\t{r['size']}\t{r['learned']}\t"
                    + "\t".join(str(got[n]) for n in names) + "\n")
    fams = sorted({r["family"] for r, _ in out})
    with open(os.path.join(a.eval_dir, "peers.md"), "w") as f:
        f.write("| family | points | " + " | ".join(f"learned <= {n}" for n in names[2:])
                + " |\n|---|---:|" + "---:|" * (len(names) - 2) + "\n")
        for fam in fams + ["all"]:
            pts = [(r, g) for r, g in out if fam == "all" or r["family"] == fam]
            cells = [str(sum(int(r["learned"]) <= g[n] for r, g in pts)) for n in names[2:]]
            f.write(f"| {fam} | {len(pts)} | " + " | ".join(cells) + " |\n")
    print(open(os.path.join(a.eval_dir, "peers.md")).read())


if __name__ == "__main__":
    main()
