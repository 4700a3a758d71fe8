// SPDX-License-Identifier: GPL-2.0

//! The headroom of the eviction levers, before any model. For each oracleGeneral trace given
//! (family = the name before its last `-`), at each evaluation size: LRU, the best of ARC,
//! LIRS, S3-FIFO and SIEVE, Belady, stock Linux reclaim, and Linux with an oracle at the
//! hook (keep pages used again within 4 cache sizes, reclaim the rest), alone and with the
//! oracle also inserting cold misses (next use beyond one cache size) at the inactive tail.
//! Prints every point, then per family: points where each oracle is at or below the best
//! heuristic, and the mean share of the LRU-to-Belady gap each closes.
//! Run: `cargo run --release --example evict-headroom -- build/evict-eval/corpus/*.bin`.
#![allow(clippy::float_arithmetic)]

use learned_core::cache::insert::InsertRule;
use lrn::PolicyName as P;

fn main() -> Result<(), lrn::Error> {
    // family -> (points, hook <= best, both <= best, gap sums: hook, both, best; gap points)
    let mut fams: Vec<(String, [f64; 7])> = Vec::new();
    for path in std::env::args().skip(1) {
        let reqs = lrn::load_trace(&path, lrn::Format::OracleGeneral)?;
        let name = path
            .rsplit('/')
            .next()
            .unwrap_or(&path)
            .split('.')
            .next()
            .unwrap_or("");
        let family = name.rsplit_once('-').map_or(name, |f| f.0).to_string();
        for size in lrn::evict_eval::sizes_of(lrn::distinct_objects(&reqs) as u64) {
            let cs = lrn::CacheSize::Objects(size);
            let m = |p| lrn::simulate(&reqs, p, cs).map(|s| s.misses);
            let (lru, opt) = (m(P::Lru)?, m(P::Belady)?);
            let best = [m(P::Arc)?, m(P::Lirs)?, m(P::S3Fifo)?, m(P::Sieve)?]
                .into_iter()
                .min()
                .unwrap_or(0);
            let linux = lrn::evalrun::simulate_linux(&reqs, cs, None, false, 4, InsertRule::Stock)?
                .stats
                .misses;
            let hook = lrn::evalrun::simulate_linux_oracle(&reqs, cs, 4 * size, None)?.misses;
            let both = lrn::evalrun::simulate_linux_oracle(&reqs, cs, 4 * size, Some(size))?.misses;
            println!("{name}\t{size}\tlru {lru}\tbest-heuristic {best}\tbelady {opt}\tlinux {linux}\toracle-hook {hook}\toracle-hook+insert {both}");
            let i = match fams.iter().position(|f| f.0 == family) {
                Some(i) => i,
                None => {
                    fams.push((family.clone(), [0.0; 7]));
                    fams.len() - 1
                }
            };
            let a = &mut fams[i].1;
            a[0] += 1.0;
            a[1] += f64::from(u8::from(hook <= best));
            a[2] += f64::from(u8::from(both <= best));
            if lru > opt {
                let gap = (lru - opt) as f64;
                a[3] += (lru as f64 - hook as f64) / gap;
                a[4] += (lru as f64 - both as f64) / gap;
                a[5] += (lru as f64 - best as f64) / gap;
                a[6] += 1.0;
            }
        }
    }
    let mut all = [0.0; 7];
    println!("\nfamily\tpoints\thook<=best\thook+insert<=best\tgap closed: hook\thook+insert\tbest heuristic");
    for (f, a) in fams
        .iter()
        .map(|(f, a)| (f.as_str(), *a))
        .chain(std::iter::once(("all", [0.0; 7])))
    {
        let a = if f == "all" {
            all
        } else {
            for (t, v) in all.iter_mut().zip(a) {
                *t += v;
            }
            a
        };
        let g = |v: f64| 100.0 * v / a[6].max(1.0);
        println!(
            "{f}\t{}\t{}\t{}\t{:.1}%\t{:.1}%\t{:.1}%",
            a[0],
            a[1],
            a[2],
            g(a[3]),
            g(a[4]),
            g(a[5])
        );
    }
    Ok(())
}
