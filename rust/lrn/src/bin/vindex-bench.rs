// SPDX-License-Identifier: GPL-2.0

//! `vindex-bench`: the learned virtual -> physical index (`learned_core::vindex`) against
//! the ways a kernel could answer the same question, on the same mappings, in one run:
//!
//! - `learned eps=E`: the vindex (runs + error-bounded segments) at error bound `E`;
//! - `runs bsearch`: binary search over the same runs array (no model);
//! - `runs BTreeMap`: a `BTreeMap` from run start to `(pfn, len)`, range query;
//! - `radix 4-level`: a simulated x86-64 page-table walk, 512-entry tables of 8-byte entries,
//!   4 KiB leaves only (no huge-page leaves), tables in one arena.
//!
//! Layouts: 1 GiB physically contiguous (262144 pages), 1 GiB of THP-like 2 MiB chunks on
//! random frames, a "typical" process (text, a fragmented heap, a few big anonymous regions,
//! file mappings, stacks), and a fragmented 1 GiB (runs of 1-4 pages).
//!
//! Columns: `ns/lookup` with independent random lookups over mapped pages (throughput: the
//! CPU overlaps misses across lookups), `ns dep` with each lookup's address depending on the
//! previous answer (latency, as one page fault sees it), bytes per mapped 4 KiB page (the
//! `BTreeMap`'s measured by a counting allocator), and both times relative to the radix walk.
//! Fixed seed; every structure's answers are cross-checked.
//!
//! ```text
//! cargo run --release -p lrn --bin vindex-bench [-- --lookups N]
//! ```

#![allow(clippy::float_arithmetic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use learned_core::vindex::{compress, count_runs, Run, Segment, VIndex};
use lrn::train::Rng;

/// The system allocator, counting live bytes (to measure the `BTreeMap`).
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` above with this layout (the caller's contract).
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const SEED: u64 = 0x7615_6e64_6578;
const EPSILONS: [u32; 3] = [4, 32, 128];

/// Sorted `(vpn, pfn)` pages.
type Pages = Vec<(u64, u64)>;

fn push_run(p: &mut Pages, vpn: u64, pfn: u64, len: u64) {
    p.extend((0..len).map(|i| (vpn + i, pfn + i)));
}

fn contiguous() -> Pages {
    let mut p = Pages::new();
    push_run(&mut p, 0x7f00_0000, 0x10_0000, 262_144);
    p
}

fn thp(rng: &mut Rng, p: &mut Pages, base: u64, chunks: u64) {
    for c in 0..chunks {
        push_run(p, base + 512 * c, rng.range(0, 1 << 21) * 512, 512);
    }
}

fn heap(rng: &mut Rng, p: &mut Pages, base: u64, pages: u64, max_run: u64, max_gap: u64) {
    let (mut v, mut n) = (base, 0);
    while n < pages {
        let len = rng.range(1, max_run);
        push_run(p, v, rng.range(0, 1 << 30), len);
        v += len + rng.range(0, max_gap);
        n += len;
    }
}

fn thp_layout(rng: &mut Rng) -> Pages {
    let mut p = Pages::new();
    thp(rng, &mut p, 0x7f00_0000, 512);
    p
}

fn typical(rng: &mut Rng) -> Pages {
    let mut p = Pages::new();
    // Text and data of the binary: physically contiguous page-cache folios of 16 pages.
    for i in 0..32 {
        push_run(&mut p, 0x400 + 16 * i, rng.range(0, 1 << 26) * 16, 16);
    }
    // A fragmented malloc heap: 40k pages in runs of 1-16.
    heap(rng, &mut p, 0x55_0000, 40_000, 16, 4);
    // Two big anonymous regions, THP-backed (256 MiB and 64 MiB).
    thp(rng, &mut p, 0x7e00_0000, 128);
    thp(rng, &mut p, 0x7e10_0000, 32);
    // Shared libraries and file mappings: runs of 1-64 pages.
    heap(rng, &mut p, 0x7f00_0000, 8_000, 64, 32);
    // Thread stacks: 64 of 8-32 pages, 16 MiB apart.
    for t in 0..64 {
        let pages = rng.range(8, 32);
        heap(rng, &mut p, 0x7ff0_0000 + 0x1000 * t, pages, 32, 0);
    }
    p.sort_unstable();
    p
}

fn fragmented(rng: &mut Rng) -> Pages {
    let mut p = Pages::new();
    heap(rng, &mut p, 0x1_0000, 262_144, 4, 3);
    p
}

/// A simulated 4-level x86-64 page table over 4 KiB pages (48-bit addresses): 512-entry
/// tables of 8-byte entries in one arena; table 0 is the root. An entry is 0 when not
/// present, else `child << 1 | 1` (upper levels) or `pfn << 12 | 1` (leaves).
struct Radix {
    tables: Vec<[u64; 512]>,
}

impl Radix {
    fn new(pages: &[(u64, u64)]) -> Self {
        let mut r = Radix {
            tables: vec![[0; 512]],
        };
        for &(vpn, pfn) in pages {
            assert!(vpn < 1 << 36, "4-level tables map 48-bit addresses");
            let mut t = 0usize;
            for level in (1..4).rev() {
                let i = ((vpn >> (9 * level)) & 511) as usize;
                let e = r.tables[t][i];
                t = if e & 1 == 1 {
                    (e >> 1) as usize
                } else {
                    r.tables.push([0; 512]);
                    let child = r.tables.len() - 1;
                    r.tables[t][i] = ((child as u64) << 1) | 1;
                    child
                };
            }
            r.tables[t][(vpn & 511) as usize] = (pfn << 12) | 1;
        }
        r
    }

    #[inline(always)]
    fn walk(&self, vpn: u64) -> Option<u64> {
        let mut t = 0usize;
        for level in (1..4).rev() {
            let e = self.tables.get(t)?[((vpn >> (9 * level)) & 511) as usize];
            if e & 1 == 0 {
                return None;
            }
            t = (e >> 1) as usize;
        }
        let e = self.tables.get(t)?[(vpn & 511) as usize];
        (e & 1 == 1).then_some(e >> 12)
    }

    fn bytes(&self) -> usize {
        self.tables.len() * 4096
    }
}

/// Best of three passes over `qs`: (ns per independent lookup, ns per dependent lookup,
/// checksum of the answers).
fn time(qs: &[u64], f: impl Fn(u64) -> Option<u64>) -> (f64, f64, u64) {
    let n = qs.len() as f64;
    let (mut best, mut best_dep, mut sum) = (f64::MAX, f64::MAX, 0u64);
    for _ in 0..3 {
        let t = Instant::now();
        let mut s = 0u64;
        for &q in qs {
            s = s.wrapping_add(f(black_box(q)).unwrap_or(0));
        }
        best = best.min(t.elapsed().as_nanos() as f64 / n);
        sum = black_box(s);
        // Each address depends on the previous answer (through a mask that is always 0).
        let zero = black_box(0u64);
        let t = Instant::now();
        let mut prev = 0u64;
        for &q in qs {
            prev = f(q ^ (prev & zero)).unwrap_or(0);
        }
        black_box(prev);
        best_dep = best_dep.min(t.elapsed().as_nanos() as f64 / n);
    }
    (best, best_dep, sum)
}

struct Row {
    name: String,
    ns: f64,
    dep: f64,
    bytes: usize,
}

fn bench(name: &str, pages: &Pages, lookups: usize) -> Vec<Row> {
    let mut rng = Rng::new(SEED ^ lookups as u64);
    let qs: Vec<u64> = (0..lookups)
        .map(|_| pages[(rng.next_u64() % pages.len() as u64) as usize].0)
        .collect();
    let n_runs = count_runs(pages).expect("sorted pages");
    let mut runs = vec![Run::EMPTY; n_runs];
    compress(pages, &mut runs).expect("sized");
    let mut rows = Vec::new();

    // The reference: the radix walk; every other structure must give the same checksum.
    let radix = Radix::new(pages);
    let (r_ns, r_dep, want) = time(&qs, |q| radix.walk(q));
    for &(v, p) in pages.iter().step_by(97) {
        assert_eq!(radix.walk(v), Some(p));
    }

    let mut segs_at = Vec::new();
    for eps in EPSILONS {
        let mut r = runs.clone();
        let mut segs = vec![Segment::default(); VIndex::segments_for(&runs, eps).expect("valid")];
        let ix = VIndex::build(&mut r, n_runs, &mut segs, eps).expect("sized");
        let (ns, dep, sum) = time(&qs, |q| ix.translate(q));
        assert_eq!(sum, want, "learned eps {eps} disagrees with the radix walk");
        let probes: u64 = qs.iter().map(|&q| u64::from(ix.lookup(q).probes)).sum();
        segs_at.push(format!(
            "eps {eps}: {} segments, {:.1} probes",
            ix.stats().segments,
            probes as f64 / qs.len() as f64
        ));
        rows.push(Row {
            name: format!("learned eps={eps}"),
            ns,
            dep,
            bytes: ix.memory_bytes(),
        });
    }

    let (ns, dep, sum) = time(&qs, |q| {
        let i = runs.partition_point(|r| r.vpn() <= q).checked_sub(1)?;
        runs[i].translate(q)
    });
    assert_eq!(sum, want, "binary search disagrees");
    rows.push(Row {
        name: "runs bsearch".into(),
        ns,
        dep,
        bytes: n_runs * std::mem::size_of::<Run>(),
    });

    let before = LIVE.load(Ordering::Relaxed);
    let tree: BTreeMap<u64, Run> = runs.iter().map(|r| (r.vpn(), *r)).collect();
    let tree_bytes = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let (ns, dep, sum) = time(&qs, |q| tree.range(..=q).next_back()?.1.translate(q));
    assert_eq!(sum, want, "BTreeMap disagrees");
    rows.push(Row {
        name: "runs BTreeMap".into(),
        ns,
        dep,
        bytes: tree_bytes,
    });
    rows.push(Row {
        name: "radix 4-level".into(),
        ns: r_ns,
        dep: r_dep,
        bytes: radix.bytes(),
    });

    println!(
        "\n{name}: {} pages ({} MiB), {n_runs} runs; {}",
        pages.len(),
        pages.len() / 256,
        segs_at.join("; ")
    );
    rows
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut lookups = 1usize << 20;
    match args.as_slice() {
        [] => {}
        [flag, n] if flag == "--lookups" => match n.parse() {
            Ok(v) if v > 0 => lookups = v,
            _ => {
                eprintln!("vindex-bench: --lookups needs a positive number");
                return ExitCode::FAILURE;
            }
        },
        _ => {
            eprintln!("usage: vindex-bench [--lookups N]");
            return ExitCode::FAILURE;
        }
    }
    let mut rng = Rng::new(SEED);
    let layouts: Vec<(&str, Pages)> = vec![
        ("contiguous 1 GiB", contiguous()),
        ("THP-like 1 GiB", thp_layout(&mut rng)),
        ("typical", typical(&mut rng)),
        ("fragmented 1 GiB", fragmented(&mut rng)),
    ];
    let mut table = String::new();
    for (name, pages) in &layouts {
        let rows = bench(name, pages, lookups);
        let radix = rows.last().expect("radix row");
        let (r_ns, r_dep) = (radix.ns, radix.dep);
        for r in &rows {
            table.push_str(&format!(
                "| {name:<16} | {:<16} | {:>9.1} | {:>8.1} | {:>10.3} | {:>8.2} | {:>8.2} |\n",
                r.name,
                r.ns,
                r.dep,
                r.bytes as f64 / pages.len() as f64,
                r.ns / r_ns,
                r.dep / r_dep,
            ));
        }
    }
    println!("\n{lookups} random lookups over mapped pages, best of 3; x radix = time / radix walk time\n");
    println!(
        "| {:<16} | {:<16} | {:>9} | {:>8} | {:>10} | {:>8} | {:>8} |",
        "layout", "structure", "ns/lookup", "ns dep", "B/page", "x radix", "dep x"
    );
    println!(
        "|{:-<18}|{:-<18}|{:->11}|{:->10}|{:->12}|{:->10}|{:->10}|",
        "", "", "", "", "", "", ""
    );
    print!("{table}");
    ExitCode::SUCCESS
}
