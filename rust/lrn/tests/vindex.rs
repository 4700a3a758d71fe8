// SPDX-License-Identifier: GPL-2.0

//! The learned virtual -> physical index (`learned_core::vindex`) against an exact reference
//! (a `BTreeMap` of vpn -> pfn), on address-space layouts a process goes through: one large
//! contiguous buffer, THP-like 512-page chunks, a fragmented heap, sparse pages, holes punched
//! (munmap), ranges moved (mremap), frames replaced (fork + copy-on-write), and a mix; at
//! several error bounds.
//!
//! For every layout and epsilon: every mapped page answers its exact frame, a sample of
//! unmapped pages (every run's neighbours, random pages inside and beyond the mapping)
//! answers `None`, no lookup reads more runs than `max_probes(epsilon)`, the batch lookup
//! agrees with single lookups, and after invalidating ranges no page in them answers `Some`
//! while every other page answers its frame or is a counted collateral miss.

use std::collections::BTreeMap;

use learned_core::vindex::{count_runs, max_probes, Error, Run, Segment, VIndex, MAX_PFN, MAX_VPN};
use lrn::train::Rng;

const EPSILONS: [u32; 7] = [0, 1, 4, 16, 64, 256, 1024];

type Map = BTreeMap<u64, u64>;

/// A random frame number, aligned to `align` pages.
fn frame(rng: &mut Rng, align: u64) -> u64 {
    rng.range(0, (1 << 30) / align) * align
}

/// `pages` pages at `base`, physically contiguous.
fn contiguous(base: u64, pages: u64, pfn: u64) -> Map {
    (0..pages).map(|i| (base + i, pfn + i)).collect()
}

/// `chunks` 512-page chunks (2 MiB aligned), each on a random 2 MiB frame; a few chunks are
/// left out, a few split into 4 KiB pages.
fn thp(rng: &mut Rng, base: u64, chunks: u64) -> Map {
    let mut m = Map::new();
    for c in 0..chunks {
        let v = base + c * 512;
        match rng.next_u64() % 16 {
            0 => {}
            1 => {
                for i in 0..512 {
                    if rng.next_u64() & 3 != 0 {
                        m.insert(v + i, frame(rng, 1));
                    }
                }
            }
            _ => m.extend(contiguous(v, 512, frame(rng, 512))),
        }
    }
    m
}

/// A fragmented heap: runs of 1..=`max_run` pages on random frames, gaps of 0..=`max_gap`.
fn heap(rng: &mut Rng, base: u64, pages: u64, max_run: u64, max_gap: u64) -> Map {
    let mut m = Map::new();
    let mut v = base;
    while (m.len() as u64) < pages {
        let len = rng.range(1, max_run);
        m.extend(contiguous(v, len, frame(rng, 1)));
        v += len + rng.range(0, max_gap);
    }
    m
}

/// Memory refaulted after a free: runs of 1..=`max_run` pages on descending frames (the
/// allocator's last-in, first-out free lists), some ascending, with occasional gaps.
fn reused(rng: &mut Rng, base: u64, pages: u64, max_run: u64) -> Map {
    let mut m = Map::new();
    let mut v = base;
    while (m.len() as u64) < pages {
        let len = rng.range(1, max_run);
        let top = frame(rng, 1) + max_run;
        let down = rng.next_u64() & 3 != 0;
        m.extend((0..len).map(|i| (v + i, if down { top - i } else { top + i })));
        v += len + rng.range(0, 1);
    }
    m
}

/// `pages` single pages scattered over `span` pages.
fn sparse(rng: &mut Rng, base: u64, pages: u64, span: u64) -> Map {
    let mut m = Map::new();
    while (m.len() as u64) < pages {
        m.insert(base + rng.range(0, span - 1), frame(rng, 1));
    }
    m
}

/// munmap: `holes` random ranges of 1..=`max` pages removed; returns them too.
fn punch(rng: &mut Rng, m: &mut Map, holes: usize, max: u64) -> Vec<(u64, u64)> {
    let (lo, hi) = (*m.keys().next().unwrap(), *m.keys().last().unwrap());
    let mut ranges = Vec::new();
    for _ in 0..holes {
        let s = rng.range(lo, hi);
        let e = s + rng.range(1, max);
        m.retain(|&v, _| !(s..e).contains(&v));
        ranges.push((s, e));
    }
    ranges
}

/// mremap: `count` ranges of up to `max` pages move, frames and all, to fresh addresses.
fn remap(rng: &mut Rng, m: &mut Map, count: usize, max: u64) {
    let top = *m.keys().last().unwrap();
    let mut dest = top + 1_000_000;
    for _ in 0..count {
        let from = rng.range(*m.keys().next().unwrap(), top);
        let len = rng.range(1, max);
        let moved: Vec<(u64, u64)> = m.range(from..from + len).map(|(&v, &p)| (v, p)).collect();
        for &(v, p) in &moved {
            m.remove(&v);
            m.insert(dest + (v - from), p);
        }
        dest += len + rng.range(0, 4096);
    }
}

/// fork + copy-on-write: about one page in `one_in` gets a new frame.
fn cow(rng: &mut Rng, m: &mut Map, one_in: u64) -> Vec<u64> {
    let mut changed = Vec::new();
    for (&v, p) in m.iter_mut() {
        if rng.range(1, one_in) == 1 {
            *p = frame(rng, 1);
            changed.push(v);
        }
    }
    changed
}

/// Memory for `m` at `eps`, sized the way a caller is told to, and the index over it.
struct Built {
    runs: Vec<Run>,
    n: usize,
    segs: Vec<Segment>,
}

impl Built {
    fn new(m: &Map, eps: u32) -> Self {
        let pages: Vec<(u64, u64)> = m.iter().map(|(&v, &p)| (v, p)).collect();
        let n = count_runs(&pages).unwrap();
        let mut runs = vec![Run::EMPTY; n];
        assert_eq!(learned_core::vindex::compress(&pages, &mut runs), Ok(n));
        let segs = vec![Segment::default(); VIndex::segments_for(&runs, eps).unwrap()];
        let mut b = Built { runs, n, segs };
        // Through the one-call path too: same runs, same segments.
        let (mut r2, mut s2) = (b.runs.clone(), b.segs.clone());
        let ix = VIndex::from_pages(&pages, &mut r2, &mut s2, eps).unwrap();
        let (nr, ns) = (ix.runs().len(), ix.segments().len());
        let ix1 = b.index(eps);
        assert_eq!(ix1.runs(), &r2[..nr]);
        assert_eq!(ix1.segments(), &s2[..ns]);
        b
    }

    fn index(&mut self, eps: u32) -> VIndex<'_> {
        VIndex::build(&mut self.runs, self.n, &mut self.segs, eps).unwrap()
    }
}

/// Unmapped pages worth asking about: every run's neighbours, random pages in and past the
/// mapping, and the extremes.
fn probes_off(rng: &mut Rng, m: &Map) -> Vec<u64> {
    let mut out = vec![0, 1, MAX_VPN, MAX_VPN + 1, u64::MAX];
    for &v in m.keys() {
        for w in [v.wrapping_sub(1), v + 1] {
            if !m.contains_key(&w) {
                out.push(w);
            }
        }
    }
    let (lo, hi) = (*m.keys().next().unwrap(), *m.keys().last().unwrap());
    for _ in 0..5000 {
        out.push(rng.range(lo.saturating_sub(10_000), hi + 10_000));
    }
    out.retain(|v| !m.contains_key(v));
    out
}

/// Every mapped page and the sample of unmapped ones answer exactly; probes within bound;
/// batch = single. Returns (runs, segments, bytes).
fn check_exact(ix: &VIndex, m: &Map, off: &[u64]) -> (usize, usize, usize) {
    let bound = max_probes(ix.epsilon());
    let mut worst = 0;
    for (&v, &p) in m {
        let l = ix.lookup(v);
        assert_eq!(l.pfn, Some(p), "vpn {v:#x} eps {}", ix.epsilon());
        worst = worst.max(l.probes);
    }
    for &v in off {
        let l = ix.lookup(v);
        assert_eq!(l.pfn, None, "unmapped vpn {v:#x} eps {}", ix.epsilon());
        worst = worst.max(l.probes);
    }
    assert!(worst <= bound, "probes {worst} > {bound}");
    let all: Vec<u64> = m.keys().copied().chain(off.iter().copied()).collect();
    let mut out = vec![Some(u64::MAX); all.len()];
    let b = ix.lookup_batch(&all, &mut out);
    assert_eq!((b.looked_up, b.found), (all.len(), m.len()));
    for (v, got) in all.iter().zip(&out) {
        assert_eq!(*got, m.get(v).copied(), "batch vpn {v:#x}");
    }
    // The binary-search baseline over the same runs answers the same.
    let mut searched = vec![Some(u64::MAX); all.len()];
    let b = ix.search_batch(&all, &mut searched);
    assert_eq!((b.looked_up, b.found), (all.len(), m.len()));
    assert_eq!(searched, out, "search_batch differs from lookup_batch");
    let st = ix.stats();
    assert_eq!(st.pages, m.len() as u64);
    assert_eq!(ix.memory_bytes(), 16 * st.runs + 24 * st.segments);
    (st.runs, st.segments, ix.memory_bytes())
}

/// Invalidates `ranges` on a built index and checks: nothing in them answers `Some`, every
/// other page answers its frame or is one of the counted collateral misses, and the counts
/// add up.
fn check_invalidate(ix: &mut VIndex, m: &Map, ranges: &[(u64, u64)]) {
    let mut removed = 0;
    for &(s, e) in ranges {
        removed += ix.invalidate(s, e);
    }
    let inside = |v: u64| ranges.iter().any(|&(s, e)| (s..e).contains(&v));
    let mut misses = 0u64;
    let mut gone = 0u64;
    for (&v, &p) in m {
        match ix.translate(v) {
            Some(got) => {
                assert!(!inside(v), "invalidated vpn {v:#x} answered {got:#x}");
                assert_eq!(got, p, "vpn {v:#x}");
            }
            None if inside(v) => gone += 1,
            None => misses += 1,
        }
        assert!(ix.lookup(v).probes <= max_probes(ix.epsilon()));
    }
    // After the trims, the binary-search baseline still answers exactly as the index does.
    let keys: Vec<u64> = m.keys().copied().collect();
    let (mut a, mut b) = (vec![None; keys.len()], vec![None; keys.len()]);
    ix.lookup_batch(&keys, &mut a);
    ix.search_batch(&keys, &mut b);
    assert_eq!(a, b, "search_batch differs after invalidation");
    // A collateral page a later range covers counts as collateral, not invalidated.
    let st = ix.stats();
    assert_eq!(removed, st.invalidated_pages);
    assert_eq!(st.invalidated_pages + st.collateral_pages, gone + misses);
    assert!(st.invalidated_pages <= gone && misses <= st.collateral_pages);
    assert_eq!(st.pages, m.len() as u64 - gone - misses);
    assert_eq!(ix.needs_rebuild(), gone > 0);
}

/// Checks `m` at every epsilon: exact answers, then invalidation of `ranges` plus a few random
/// ones. Prints a line per epsilon.
fn run_layout(name: &str, m: &Map, ranges: &[(u64, u64)], seed: u64) {
    let mut rng = Rng::new(seed);
    let off = probes_off(&mut rng, m);
    let (lo, hi) = (*m.keys().next().unwrap(), *m.keys().last().unwrap());
    for eps in EPSILONS {
        let mut b = Built::new(m, eps);
        let mut ix = b.index(eps);
        let (runs, segs, bytes) = check_exact(&ix, m, &off);
        let milli = bytes * 1000 / m.len();
        println!(
            "{name:>12} eps {eps:>4}: {} pages, {runs} runs, {segs} segments, {}.{:03} B/page",
            m.len(),
            milli / 1000,
            milli % 1000
        );
        assert!(segs <= runs);
        let mut all = ranges.to_vec();
        for _ in 0..20 {
            let s = rng.range(lo, hi);
            all.push((s, s + rng.range(1, 600)));
        }
        check_invalidate(&mut ix, m, &all);
    }
}

#[test]
fn contiguous_buffer() {
    let m = contiguous(0x7f00_0000, 70_000, 0x12_3456);
    run_layout(
        "contiguous",
        &m,
        &[(0x7f00_0000 + 30_000, 0x7f00_0000 + 30_001)],
        1,
    );
    // One run, one segment, whatever epsilon.
    let mut b = Built::new(&m, 0);
    let ix = b.index(0);
    assert_eq!((ix.stats().runs, ix.stats().segments), (1, 1));
    assert_eq!(ix.memory_bytes(), 40);
}

#[test]
fn thp_chunks() {
    let mut rng = Rng::new(2);
    let m = thp(&mut rng, 0x5555_0000, 120);
    run_layout(
        "thp",
        &m,
        &[(0x5555_0000 + 512 * 3 + 100, 0x5555_0000 + 512 * 5)],
        2,
    );
}

#[test]
fn fragmented_heap() {
    let mut rng = Rng::new(3);
    let m = heap(&mut rng, 0x1000, 40_000, 8, 6);
    run_layout("heap", &m, &[], 3);
}

#[test]
fn sparse_pages() {
    let mut rng = Rng::new(4);
    let m = sparse(&mut rng, 0x40_0000, 8000, 1 << 26);
    run_layout("sparse", &m, &[], 4);
}

#[test]
fn holes_punched() {
    let mut rng = Rng::new(5);
    let mut m = thp(&mut rng, 0x7000_0000, 60);
    m.extend(heap(&mut rng, 0x7100_0000, 20_000, 32, 3));
    let full = m.clone();
    let holes = punch(&mut rng, &mut m, 40, 700);
    // Rebuilt after munmap: exact.
    run_layout("munmapped", &m, &[], 5);
    // Not rebuilt: the holes invalidated on the old index.
    for eps in EPSILONS {
        let mut b = Built::new(&full, eps);
        let mut ix = b.index(eps);
        check_invalidate(&mut ix, &full, &holes);
    }
}

#[test]
fn remapped_ranges() {
    let mut rng = Rng::new(6);
    let mut m = heap(&mut rng, 0x2000, 20_000, 64, 2);
    m.extend(thp(&mut rng, 0x9000_0000, 30));
    let old = m.clone();
    remap(&mut rng, &mut m, 25, 2000);
    run_layout("mremapped", &m, &[], 6);
    // The old index, with the moved-away ranges invalidated: never an old translation for a
    // vacated page; moved-to pages are unknown (None), never wrong.
    for eps in [0, 64] {
        let mut b = Built::new(&old, eps);
        let mut ix = b.index(eps);
        let vacated: Vec<u64> = old.keys().filter(|v| !m.contains_key(v)).copied().collect();
        for &v in &vacated {
            ix.invalidate(v, v + 1);
        }
        for &v in &vacated {
            assert_eq!(ix.translate(v), None);
        }
        for (&v, &p) in &m {
            if let Some(got) = ix.translate(v) {
                assert_eq!(got, p, "vpn {v:#x}");
            }
        }
    }
}

#[test]
fn cow_replaced_frames() {
    let mut rng = Rng::new(7);
    let mut m = thp(&mut rng, 0x6000_0000, 50);
    m.extend(heap(&mut rng, 0x6100_0000, 15_000, 16, 1));
    let old = m.clone();
    let changed = cow(&mut rng, &mut m, 50);
    assert!(!changed.is_empty());
    run_layout("cow", &m, &[], 7);
    // The pre-fork index with each copied page invalidated (as the notifier does): every
    // answer is the current frame.
    for eps in [1, 16, 256] {
        let mut b = Built::new(&old, eps);
        let mut ix = b.index(eps);
        for &v in &changed {
            ix.invalidate(v, v + 1);
        }
        let ranges: Vec<(u64, u64)> = changed.iter().map(|&v| (v, v + 1)).collect();
        let mut answered = 0;
        for (&v, &p) in &m {
            if let Some(got) = ix.translate(v) {
                assert_eq!(got, p, "vpn {v:#x}");
                assert!(!ranges.iter().any(|&(s, e)| (s..e).contains(&v)));
                answered += 1;
            }
        }
        assert_eq!(answered as u64, ix.stats().pages);
    }
}

#[test]
fn typical_mix() {
    let mut rng = Rng::new(8);
    let mut m = contiguous(0x40_0000 / 4, 300, 0x8_0000); // text
    m.extend(heap(&mut rng, 0x55_0000, 5000, 4, 2)); // small objects
    m.extend(thp(&mut rng, 0x7f00_0000, 40)); // a big anonymous region
    m.extend(contiguous(0x7f10_0000, 3000, 0x20_0000)); // a big contiguous buffer
    m.extend(sparse(&mut rng, 0x7ff0_0000, 300, 1 << 16)); // stack, libraries, guard gaps
    run_layout("typical", &m, &[(0x7f10_0000 + 10, 0x7f10_0000 + 20)], 8);
}

#[test]
fn reused_descending() {
    let mut rng = Rng::new(12);
    let m = reused(&mut rng, 0x10_0000, 20_000, 64);
    let pairs: Vec<(u64, u64)> = m.iter().map(|(&v, &p)| (v, p)).collect();
    // Descending frames compress into runs as well as ascending ones.
    let runs = learned_core::vindex::count_runs(&pairs).unwrap();
    assert!(runs < 20_000 / 16, "{runs} runs");
    run_layout("reused", &m, &[(0x10_0000 + 100, 0x10_0000 + 130)], 12);
}

#[test]
fn adversarial_start_pages() {
    // Geometric gaps between runs: the worst case for a linear model (many segments).
    let mut m = Map::new();
    let mut v = 1u64;
    for i in 0..40u64 {
        m.insert(v, i * 3);
        m.insert(v + 1, i * 3 + 1);
        v = v * 2 + 3;
        if v > MAX_VPN / 4 {
            break;
        }
    }
    run_layout("geometric", &m, &[], 9);
    // The extremes of the page and frame ranges.
    let m: Map = [(0, 0), (1, MAX_PFN), (MAX_VPN - 1, 5), (MAX_VPN, 6)].into();
    run_layout("extremes", &m, &[], 10);
}

#[test]
fn bad_input_is_an_error() {
    let mut runs = vec![Run::EMPTY; 4];
    let mut segs = vec![Segment::default(); 4];
    for (pages, err) in [
        (vec![(5, 1), (4, 2)], Error::Unsorted),
        (vec![(5, 1), (5, 2)], Error::Unsorted),
        (vec![(MAX_VPN + 1, 1)], Error::VpnTooLarge),
        (vec![(1, MAX_PFN + 1)], Error::PfnTooLarge),
        (
            vec![(1, 1), (3, 1), (5, 1), (7, 1), (9, 1)],
            Error::RunsTooSmall,
        ),
    ] {
        assert_eq!(
            VIndex::from_pages(&pages, &mut runs, &mut segs, 1).err(),
            Some(err)
        );
    }
    assert_eq!(
        VIndex::from_pages(&[(1, 1)], &mut runs, &mut segs, 5000).err(),
        Some(Error::BadEpsilon)
    );
    assert_eq!(
        VIndex::from_pages(&[(1, 1), (9, 1)], &mut runs, &mut [], 0).err(),
        Some(Error::SegmentsTooSmall)
    );
}
