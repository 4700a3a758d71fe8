#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential test of `lrn sim` against libCacheSim's own Python binding, in object units.

Usage (with the venv that has libcachesim, e.g. /work/venv-ml):
    /work/venv-ml/bin/python scripts/diff-libcachesim.py [--lrn PATH] [--policies P,P,...]
        [--sizes N,N,...] [--seeds K] [--len N] [--max-req N] [--diffs-only] [TRACE ...]

  --lrn PATH      the lrn binary (default rust/target/release/lrn next to this script;
                  build it with `cd rust && cargo build --release -p lrn`)
  --policies      default lru,fifo,clock,sieve,arc,lirs,s3fifo
  --sizes         cache sizes in objects (default 8,16,32,64)
  --seeds K       seeds 1..K for every generator (default 3)
  --len N         requests per generated trace (default 20000)
  --max-req N     only the first N requests of each TRACE file (default all)
  --diffs-only    print only the rows where some policy differs
  TRACE           oracleGeneral files (24-byte records: u32 time, u64 id, u32 size, i64 next);
                  simulated at every --sizes too

Every request counts as size 1 on both sides: `lrn sim` is given a bare-integer cache size
(a number of objects, sizes ignored), and libCacheSim gets requests built here with
obj_size = 1 (its caches count bytes, so the trace's own sizes must not reach it) and a
cache_size of N. The generated traces (uniform, zipf, loop, scan, phase and a tiny alphabet
of 2N ids, which keeps ARC's ghost lists and target `p` busy) are written as `txt` traces for
lrn; the same id sequence is replayed through libCacheSim.

Policy mapping (all libCacheSim defaults): lru=LRU, fifo=FIFO, clock=Clock (1-bit counter,
init freq 0), sieve=Sieve, arc=ARC, lirs=LIRS, s3fifo=S3FIFOv0 (small 10%, ghost 90%,
threshold 2). lrn's `s3fifo` is the original SOSP algorithm, which libCacheSim calls
`S3FIFOv0`; its `S3FIFO` is a later variant that fills main before the first eviction
(libCacheSim's `S3FIFO` would differ from lrn by design), so the comparison uses
S3FIFOv0_init from the binding. S3FIFOv0 aborts the process when its small queue would be
0 bytes (cache_size * 0.1 < 1), so s3fifo is skipped ("n/a", not counted) below 10 objects;
lrn runs there with an empty small queue.

Prints one row per trace and size with libCacheSim's misses per policy ("lcs" value; a
difference shows as `value(lrn-lcs)`), then a per-policy summary. Exits 1 on any difference,
2 on a usage or tool error.
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

import libcachesim as lcs
from libcachesim import libcachesim_python as lcsm

POLICIES = ["lru", "fifo", "clock", "sieve", "arc", "lirs", "s3fifo"]
HASHPOWER = 16


def make_cache(policy, size):
    """A libCacheSim cache of `size` bytes (= objects, every request being size 1)."""
    params = lcs.CommonCacheParams(cache_size=size, default_ttl=0, hashpower=HASHPOWER,
                                   consider_obj_metadata=False)
    if policy == "lru":
        return lcsm.LRU_init(params)
    if policy == "fifo":
        return lcsm.FIFO_init(params)
    if policy == "clock":
        return lcsm.Clock_init(params, "init-freq=0, n-bit-counter=1")
    if policy == "sieve":
        return lcsm.Sieve_init(params)
    if policy == "arc":
        return lcsm.ARC_init(params)
    if policy == "lirs":
        return lcsm.LIRS_init(params)
    if policy == "s3fifo":
        return lcsm.S3FIFOv0_init(
            params, "small-size-ratio=0.1, ghost-size-ratio=0.9, move-to-main-threshold=2")
    raise ValueError(policy)


def lcs_misses(policy, size, ids):
    """libCacheSim's miss count for the id sequence at `size` objects."""
    cache = make_cache(policy, size)
    req = lcs.Request()
    req.obj_size = 1
    misses = 0
    for n, i in enumerate(ids.tolist()):
        req.obj_id = i
        req.clock_time = n
        if not cache.get(req):
            misses += 1
    return misses


def lrn_misses(lrn, path, fmt, policy, size, max_req):
    """`lrn sim`'s miss count (bare-integer cache size: objects, every request size 1)."""
    trace = path
    if max_req is not None and fmt == "oracleGeneral":
        fd, trace = tempfile.mkstemp(suffix=".oracleGeneral.bin")
        with os.fdopen(fd, "wb") as f, open(path, "rb") as src:
            f.write(src.read(24 * max_req))
    try:
        out = subprocess.run(
            [lrn, "sim", "--trace", trace, "--format", fmt, "--policy", policy,
             "--cache-size", str(size), "--json"],
            check=True, capture_output=True, text=True).stdout
    finally:
        if trace != path:
            os.unlink(trace)
    for line in out.splitlines():
        if line.startswith("{") and '"misses"' in line:
            return int(line.split('"misses":')[1].split(",")[0].split("}")[0])
    raise RuntimeError(f"no misses in lrn output: {out!r}")


def zipf_ids(rng, n, alpha, count):
    w = 1.0 / np.arange(1, n + 1) ** alpha
    cdf = np.cumsum(w / w.sum())
    ranks = np.minimum(np.searchsorted(cdf, rng.random(count)), n - 1)
    perm = rng.permutation(n)  # popularity is not id order
    return perm[ranks]


def generate(kind, size, seed, length):
    """A generated id sequence (numpy uint64) for cache `size`."""
    rng = np.random.default_rng([seed, size, KINDS.index(kind)])
    if kind == "uniform":
        ids = rng.integers(0, 4 * size, length)
    elif kind == "tiny":
        ids = rng.integers(0, 2 * size, length)
    elif kind == "zipf":
        ids = zipf_ids(rng, 20 * size, 0.8, length)
    elif kind == "loop":
        # a loop a bit larger than the cache, with 20% random noise around it
        n = size + size // 2 + 1
        ids = np.arange(length) % n
        noise = rng.random(length) < 0.2
        ids[noise] = rng.integers(0, 3 * size, noise.sum())
    elif kind == "scan":
        # a hot zipf set interrupted by sequential scans of new ids
        out = []
        nxt = 1 << 32
        while len(out) < length:
            if rng.random() < 0.1:
                run = int(rng.integers(1, 3 * size))
                out.extend(range(nxt, nxt + run))
                nxt += run
            else:
                out.extend(zipf_ids(rng, 4 * size, 1.0, int(rng.integers(1, 4 * size))).tolist())
        ids = np.array(out[:length])
    elif kind == "phase":
        # working sets of 2N ids that shift every length/8 requests, half overlapping
        phase = length // 8
        ids = np.empty(length, dtype=np.int64)
        for p in range(8):
            base = p * size
            ids[p * phase:(p + 1) * phase] = base + zipf_ids(rng, 2 * size, 0.9, phase)
        ids[8 * phase:] = rng.integers(0, 2 * size, length - 8 * phase)
    else:
        raise ValueError(kind)
    return np.asarray(ids, dtype=np.uint64)


KINDS = ["uniform", "tiny", "zipf", "loop", "scan", "phase"]


def read_oracle(path, max_req):
    dt = np.dtype([("t", "<u4"), ("id", "<u8"), ("size", "<u4"), ("next", "<i8")])
    rec = np.fromfile(path, dtype=dt, count=-1 if max_req is None else max_req)
    return rec["id"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lrn", default=os.path.join(here, "..", "rust", "target", "release", "lrn"))
    ap.add_argument("--policies", default=",".join(POLICIES))
    ap.add_argument("--sizes", default="8,16,32,64")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--len", type=int, default=20000)
    ap.add_argument("--max-req", type=int, default=None)
    ap.add_argument("--diffs-only", action="store_true")
    ap.add_argument("traces", nargs="*")
    a = ap.parse_args()
    policies = [p for p in a.policies.split(",") if p]
    sizes = [int(s) for s in a.sizes.split(",") if s]
    for p in policies:
        if p not in POLICIES:
            print(f"unknown policy {p!r}", file=sys.stderr)
            return 2
    if not os.access(a.lrn, os.X_OK):
        print(f"no lrn binary at {a.lrn} (cd rust && cargo build --release -p lrn)",
              file=sys.stderr)
        return 2

    cases = []  # (name, ids, path, format)
    tmp = tempfile.TemporaryDirectory()
    for kind in KINDS:
        for seed in range(1, a.seeds + 1):
            for size in sizes:
                ids = generate(kind, size, seed, a.len)
                path = os.path.join(tmp.name, f"{kind}-{seed}-{size}.txt")
                with open(path, "w") as f:
                    f.write("\n".join(str(i) for i in ids.tolist()))
                    f.write("\n")
                cases.append((f"{kind}-s{seed}", size, ids, path, "txt"))
    for t in a.traces:
        ids = read_oracle(t, a.max_req)
        name = os.path.basename(t).replace(".oracleGeneral.bin", "")
        for size in sizes:
            cases.append((name, size, ids, t, "oracleGeneral"))

    width = 14
    head = f"{'trace':<22}{'size':>5}  " + "".join(f"{p:>{width}}" for p in policies)
    print(head)
    print("-" * len(head))
    total = {p: [0, 0, 0] for p in policies}  # cases, differing cases, sum |diff|
    for name, size, ids, path, fmt in cases:
        cells = []
        differs = False
        for p in policies:
            if p == "s3fifo" and size < 10:
                cells.append("n/a")
                continue
            want = lcs_misses(p, size, ids)
            got = lrn_misses(a.lrn, path, fmt, p, size, a.max_req if fmt != "txt" else None)
            d = got - want
            total[p][0] += 1
            if d:
                total[p][1] += 1
                total[p][2] += abs(d)
                differs = True
                cells.append(f"{want}({d:+d})")
            else:
                cells.append(str(want))
        if differs or not a.diffs_only:
            print(f"{name:<22}{size:>5}  " + "".join(f"{c:>{width}}" for c in cells),
                  flush=True)
    print()
    print(f"{'policy':<8}{'cases':>7}{'differ':>8}{'sum|diff|':>11}")
    bad = False
    for p in policies:
        n, nd, s = total[p]
        bad |= nd > 0
        print(f"{p:<8}{n:>7}{nd:>8}{s:>11}")
    print("DIFFERENCES FOUND" if bad else "all equal")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
