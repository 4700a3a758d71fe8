// SPDX-License-Identifier: GPL-2.0

//! The insertion lever without an oracle: stock Linux reclaim, the same with every miss that
//! has no shadow inserted at the inactive tail (`cold`), and a duel between the two (`duel`):
//! two miniature simulations (SHARDS-style, one page in 16 with the cache scaled down, or
//! every page below 256 pages of cache), one stock and one `cold`, run beside the real cache,
//! which inserts cold while the `cold` simulation's recent misses (exponentially decayed) are
//! fewer. No model: this measures whether choosing the insertion rule online pays before any
//! learning goes into it. A host experiment; the kernel has no insertion hook yet.
//! Prints every point, then per family and overall: mean share of the LRU-to-Belady gap
//! closed, worst misses against LRU, points at or below the best of ARC, LIRS, S3-FIFO, SIEVE.
//! Run: `cargo run --release --example evict-insert -- build/evict-eval/corpus/*.bin`
//! (the corpus: `lrn corpus`, as `make eval-evict` writes it).
#![allow(clippy::float_arithmetic)]

use std::cell::Cell;

use learned_core::cache::linux::Linux;
use learned_core::cache::store::{Slot, Store};
use learned_core::cache::{Outcome, Policy, Request};
use learned_core::hash::mix64;
use lrn::PolicyName as P;

/// Memory for a Linux simulator over `reqs` at `size` pages.
fn memory(reqs: &[Request], size: u64) -> (Vec<Slot>, Vec<u32>) {
    let n = lrn::distinct_objects(reqs).min(usize::try_from(size * 3 + 8).unwrap_or(usize::MAX));
    (vec![Slot::EMPTY; n], vec![0u32; Store::buckets_for(n)])
}

fn store<'a>(m: &'a mut (Vec<Slot>, Vec<u32>)) -> Result<Store<'a>, lrn::Error> {
    Store::new(&mut m.0, &mut m.1).map_err(|e| lrn::Error(format!("store: {e:?}")))
}

/// Misses of Linux at `size` with rule `cold` (`None`: stock) and, with `duel`, the rule
/// applied only while its miniature simulation wins.
fn run(reqs: &[Request], size: u64, cold: bool, duel: bool) -> Result<u64, lrn::Error> {
    let shift = if size >= 256 { 4 } else { 0 };
    let mini = (size >> shift).max(1);
    let (mut m0, mut m1, mut m2) = (memory(reqs, size), memory(reqs, mini), memory(reqs, mini));
    let winning = Cell::new(!duel);
    let rule_real = |_: u64, d: Option<u64>| cold && winning.get() && d.is_none();
    let rule_cold = |_: u64, d: Option<u64>| d.is_none();
    let mut real = Linux::new(size, store(&mut m0)?);
    real.insert_cold = Some(&rule_real);
    let mut stock = Linux::new(mini, store(&mut m1)?);
    let mut other = Linux::new(mini, store(&mut m2)?);
    other.insert_cold = Some(&rule_cold);
    let mut score: i64 = 0;
    for r in reqs {
        let r = Request { size: 1, ..*r };
        if duel && (shift == 0 || mix64(r.id) >> (64 - shift) == 0) {
            let a = matches!(stock.access(&r), Outcome::Miss);
            let b = matches!(other.access(&r), Outcome::Miss);
            score += (i64::from(a) - i64::from(b)) << 16;
            score -= score >> 8;
            winning.set(score > 0);
        }
        real.access(&r);
    }
    Ok(real.stats().misses)
}

fn main() -> Result<(), lrn::Error> {
    const RULES: [&str; 3] = ["stock", "cold", "duel"];
    // family -> per rule: points, gap sum, worst ratio to LRU, points <= best heuristic
    let mut fams: Vec<(String, [[f64; 4]; 3])> = Vec::new();
    for path in std::env::args().skip(1) {
        let reqs = lrn::load_trace(&path, lrn::Format::OracleGeneral)?;
        let name = path.rsplit('/').next().unwrap_or(&path);
        let name = name.split('.').next().unwrap_or("");
        let family = name.rsplit_once('-').map_or(name, |f| f.0).to_string();
        let i = match fams.iter().position(|f| f.0 == family) {
            Some(i) => i,
            None => {
                fams.push((family, [[0.0; 4]; 3]));
                fams.len() - 1
            }
        };
        for size in lrn::evict_eval::sizes_of(lrn::distinct_objects(&reqs) as u64) {
            let cs = lrn::CacheSize::Objects(size);
            let m = |p| lrn::simulate(&reqs, p, cs).map(|s| s.misses);
            let (lru, opt) = (m(P::Lru)?, m(P::Belady)?);
            let best = [m(P::Arc)?, m(P::Lirs)?, m(P::S3Fifo)?, m(P::Sieve)?]
                .into_iter()
                .min()
                .unwrap_or(0);
            print!("{name}\t{size}\tlru {lru}\tbest-heuristic {best}\tbelady {opt}");
            for (k, rule) in RULES.iter().enumerate() {
                let x = run(&reqs, size, k > 0, k == 2)?;
                print!("\t{rule} {x}");
                let a = &mut fams[i].1[k];
                a[0] += 1.0;
                if lru > opt {
                    a[1] += (lru as f64 - x as f64) / (lru - opt) as f64;
                }
                a[2] = a[2].max(x as f64 / lru.max(1) as f64);
                a[3] += f64::from(u8::from(x <= best));
            }
            println!();
        }
    }
    let mut all = [[0.0; 4]; 3];
    println!("\nfamily\trule\tpoints\tgap closed\tworst/LRU\t<=best heuristic");
    for (f, a) in &fams {
        for (k, rule) in RULES.iter().enumerate() {
            let v = a[k];
            println!(
                "{f}\t{rule}\t{}\t{:.1}%\t{:.3}\t{}",
                v[0],
                100.0 * v[1] / v[0].max(1.0),
                v[2],
                v[3]
            );
            let t = &mut all[k];
            (t[0], t[1], t[2], t[3]) = (t[0] + v[0], t[1] + v[1], t[2].max(v[2]), t[3] + v[3]);
        }
    }
    for (k, rule) in RULES.iter().enumerate() {
        let v = all[k];
        println!(
            "all\t{rule}\t{}\t{:.1}%\t{:.3}\t{}",
            v[0],
            100.0 * v[1] / v[0].max(1.0),
            v[2],
            v[3]
        );
    }
    Ok(())
}
