// SPDX-License-Identifier: GPL-2.0

//! `lrn eval-evict`: the eviction policies on a corpus, every trace at four cache sizes, and a
//! summary that measures generalization.
//!
//! Each trace (of [`crate::corpus`], or added with `--trace FAMILY=PATH`) is replayed at 0.1%,
//! 1%, 3% and 10% of its footprint (distinct objects; at least [`MIN_SIZE`] objects), one
//! object per request. Policies: the classic exact ones of the simulator, Belady's MIN (the
//! offline optimum), Linux's reclaim without (`linux`) and with the learned hook (`learned`:
//! exactly the kernel module's policy, with its guard, [`crate::evalrun::simulate_linux`]).
//!
//! With `--models DIR`, the learned policy of a trace of family F uses `DIR/F.lmod`: for a
//! leave-one-family-out evaluation, that model was trained on every family but F. With
//! `--model FILE`, every trace uses FILE.
//!
//! The summary, over every point (trace x size) of the families evaluated:
//! - **gap closed**: `(lru - learned) / (lru - belady)`, in percent; its mean over the points
//!   where Belady beats LRU;
//! - **worst against LRU**: the largest `learned / lru` miss ratio;
//! - **at or below the best heuristic**: points where learned has at most the misses of the
//!   best of ARC, LIRS, S3-FIFO and SIEVE.
//!
//! Besides the table (`eval-evict.md`, `eval-evict.tsv`) it draws the miss-ratio curves per
//! family ([`crate::evict_plot`], `eval-evict.svg`).
#![allow(clippy::float_arithmetic)]

use std::fmt::Write as _;

use crate::evalrun::simulate_linux;
use crate::{distinct_objects, simulate_with, CacheSize, Error, PolicyName, Request};
use learned_core::cache::insert::{InsertRule, DEFAULT_INSERT};

/// The cache sizes, in thousandths of the footprint.
pub const SIZES_PERMILLE: [u64; 4] = [1, 10, 30, 100];
/// The smallest cache evaluated, in objects.
pub const MIN_SIZE: u64 = 16;

/// The columns of a row: the exact policies, then `linux` and `learned`.
pub const COLUMNS: [&str; 10] = [
    "lru", "fifo", "clock", "sieve", "arc", "lirs", "s3fifo", "belady", "linux", "learned",
];
const EXACT: [PolicyName; 8] = [
    PolicyName::Lru,
    PolicyName::Fifo,
    PolicyName::Clock,
    PolicyName::Sieve,
    PolicyName::Arc,
    PolicyName::Lirs,
    PolicyName::S3Fifo,
    PolicyName::Belady,
];
/// Column indices.
const LRU: usize = 0;
const SIEVE: usize = 3;
const ARC: usize = 4;
const LIRS: usize = 5;
const S3FIFO: usize = 6;
const BELADY: usize = 7;
const LEARNED: usize = 9;

/// One point: a trace at one cache size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Point {
    /// The trace's family.
    pub family: String,
    /// The trace's name.
    pub trace: String,
    /// Requests.
    pub requests: u64,
    /// Distinct objects.
    pub footprint: u64,
    /// The cache size, in objects.
    pub size: u64,
    /// Misses per policy, in [`COLUMNS`] order.
    pub misses: [u64; 10],
}

impl Point {
    /// The best (fewest) misses of ARC, LIRS, S3-FIFO and SIEVE.
    pub fn best_heuristic(&self) -> u64 {
        [ARC, LIRS, S3FIFO, SIEVE]
            .iter()
            .map(|&i| self.misses[i])
            .min()
            .unwrap_or(0)
    }

    /// The share of the LRU-to-Belady gap learned closes, in percent (`None` when Belady does
    /// not beat LRU).
    pub fn gap_closed(&self) -> Option<f64> {
        let (lru, opt, l) = (self.misses[LRU], self.misses[BELADY], self.misses[LEARNED]);
        (lru > opt).then(|| 100.0 * (lru as f64 - l as f64) / (lru as f64 - opt as f64))
    }

    /// Learned's misses over LRU's.
    pub fn vs_lru(&self) -> f64 {
        self.misses[LEARNED] as f64 / self.misses[LRU].max(1) as f64
    }
}

/// The summary of a set of points.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Points.
    pub points: usize,
    /// The mean gap closed over the points where Belady beats LRU, in percent.
    pub mean_gap_closed: f64,
    /// The worst `learned / lru` and the point it was seen at.
    pub worst_vs_lru: (f64, String),
    /// Points where learned is at or below the best heuristic.
    pub at_or_below_best: usize,
    /// Points where learned has more than 2% more misses than LRU.
    pub over_2pct_lru: usize,
}

/// Summarizes `points`.
pub fn summarize(points: &[Point]) -> Summary {
    let gaps: Vec<f64> = points.iter().filter_map(Point::gap_closed).collect();
    let mut worst = (0.0, String::new());
    for p in points {
        if p.vs_lru() > worst.0 {
            worst = (p.vs_lru(), format!("{} at {}", p.trace, p.size));
        }
    }
    Summary {
        points: points.len(),
        mean_gap_closed: gaps.iter().sum::<f64>() / gaps.len().max(1) as f64,
        worst_vs_lru: worst,
        at_or_below_best: points
            .iter()
            .filter(|p| p.misses[LEARNED] <= p.best_heuristic())
            .count(),
        over_2pct_lru: points.iter().filter(|p| p.vs_lru() > 1.02).count(),
    }
}

/// The cache sizes of a trace with `footprint` distinct objects.
pub fn sizes_of(footprint: u64) -> Vec<u64> {
    let mut v: Vec<u64> = SIZES_PERMILLE
        .iter()
        .map(|&pm| (footprint * pm / 1000).max(MIN_SIZE))
        .collect();
    v.dedup();
    v
}

/// Evaluates every policy on `reqs` at each size of [`sizes_of`], the learned hook with
/// `model`.
pub fn eval_trace(
    family: &str,
    trace: &str,
    reqs: &[Request],
    model: Option<&[u8]>,
    max_keeps: u32,
    insert: InsertRule,
) -> Result<Vec<Point>, Error> {
    let footprint = distinct_objects(reqs);
    let mut out = Vec::new();
    for size in sizes_of(footprint as u64) {
        let cs = CacheSize::Objects(size);
        let mut misses = [0u64; 10];
        for (m, p) in misses.iter_mut().zip(EXACT) {
            *m = simulate_with(reqs, p, cs, footprint)?.misses;
        }
        misses[8] = simulate_linux(reqs, cs, None, false, max_keeps, InsertRule::Stock)?
            .stats
            .misses;
        misses[LEARNED] = simulate_linux(reqs, cs, model, true, max_keeps, insert)?
            .stats
            .misses;
        out.push(Point {
            family: family.to_string(),
            trace: trace.to_string(),
            requests: reqs.len() as u64,
            footprint: footprint as u64,
            size,
            misses,
        });
    }
    Ok(out)
}

/// The points as a Markdown table, a summary per family and one over all.
pub fn markdown(points: &[Point]) -> String {
    let mut s = String::from("| family | trace | size | ");
    s += &COLUMNS.join(" | ");
    s += " | learned/lru | gap closed |\n|---|---|---:|";
    s += &"---:|".repeat(COLUMNS.len() + 2);
    s.push('\n');
    for p in points {
        let _ = write!(s, "| {} | {} | {} |", p.family, p.trace, p.size);
        for (i, m) in p.misses.iter().enumerate() {
            if i == LEARNED && *m <= p.best_heuristic() {
                let _ = write!(s, " **{m}** |");
            } else {
                let _ = write!(s, " {m} |");
            }
        }
        let gap = p.gap_closed().map_or("-".into(), |g| format!("{g:.1}%"));
        let _ = writeln!(s, " {:.3} | {gap} |", p.vs_lru());
    }
    s += "\n| family | points | mean gap closed | worst learned/lru | points > 1.02 x lru | at or below best of ARC/LIRS/S3-FIFO/SIEVE |\n|---|---:|---:|---:|---:|---:|\n";
    let mut families: Vec<&str> = points.iter().map(|p| p.family.as_str()).collect();
    families.dedup();
    let mut rows: Vec<(String, Summary)> = families
        .iter()
        .map(|f| {
            let ps: Vec<Point> = points.iter().filter(|p| p.family == *f).cloned().collect();
            (f.to_string(), summarize(&ps))
        })
        .collect();
    rows.push(("**all**".into(), summarize(points)));
    for (f, m) in rows {
        let _ = writeln!(
            s,
            "| {f} | {} | {:.1}% | {:.3} ({}) | {} | {} of {} |",
            m.points,
            m.mean_gap_closed,
            m.worst_vs_lru.0,
            m.worst_vs_lru.1,
            m.over_2pct_lru,
            m.at_or_below_best,
            m.points
        );
    }
    s
}

/// The points as tab-separated values with a header.
pub fn tsv(points: &[Point]) -> String {
    let mut s = String::from("family\ttrace\trequests\tfootprint\tsize\t");
    s += &COLUMNS.join("\t");
    s.push('\n');
    for p in points {
        let _ = write!(
            s,
            "{}\t{}\t{}\t{}\t{}",
            p.family, p.trace, p.requests, p.footprint, p.size
        );
        for m in p.misses {
            let _ = write!(s, "\t{m}");
        }
        s.push('\n');
    }
    s
}

/// Runs every eviction policy on every trace of a corpus at four cache sizes, with the
/// summary that measures how the learned policy generalizes.
///
/// Every policy on every trace of the corpus DIR (see lrn corpus) and of each --trace (an
/// oracleGeneral file), at 0.1%, 1%, 3% and 10% of its footprint, one object per request.
/// learned is the kernel's policy (Linux reclaim + hook + guard) with --model FILE, or with
/// DIR/FAMILY.lmod (--models DIR) for a leave-one-family-out run; without either, it is stock
/// Linux. Writes DIR/eval-evict.md, DIR/eval-evict.tsv and DIR/eval-evict.svg (miss-ratio
/// curves per family) in the --out directory and prints the summary.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalEvictCli {
    /// The corpus directory (its corpus.tsv names the traces).
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<String>,
    /// An extra trace of family FAMILY, an oracleGeneral file (repeatable).
    #[arg(long, value_name = "FAMILY=PATH", value_parser = parse_family_trace)]
    pub trace: Vec<FamilyTrace>,
    /// Evaluates only the traces of this family (repeatable; default every family).
    #[arg(long, value_name = "F")]
    pub family: Vec<String>,
    /// The model of learned for every trace.
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// The models of learned, DIR/FAMILY.lmod for the traces of FAMILY (with --model too,
    /// these are used, and FILE must still be readable).
    #[arg(long, value_name = "DIR")]
    pub models: Option<String>,
    /// How many times learned may keep a page against the kernel without it being accessed
    /// (the kernel's evict/max_keeps).
    #[arg(long = "max-keeps", value_name = "N",
          default_value_t = learned_core::cache::reclaim::DEFAULT_MAX_KEEPS)]
    pub max_keeps: u32,
    /// The insertion rule of learned (the kernel's evict/insert): stock, cold or duel.
    #[arg(long, value_name = "stock|cold|duel", value_parser = crate::parse_insert,
          default_value = DEFAULT_INSERT.name())]
    pub insert: InsertRule,
    /// The output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: String,
}

/// A trace named on the command line with its family: `--trace FAMILY=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyTrace {
    /// The family.
    pub family: String,
    /// The trace file.
    pub path: String,
}

/// Parses `FAMILY=PATH`.
pub fn parse_family_trace(v: &str) -> Result<FamilyTrace, Error> {
    let (f, p) = v
        .split_once('=')
        .ok_or_else(|| Error(format!("--trace wants FAMILY=PATH, not {v:?}")))?;
    Ok(FamilyTrace {
        family: f.to_string(),
        path: p.to_string(),
    })
}

/// The traces of a corpus directory: `(family, name, path)` from its `corpus.tsv`.
pub fn corpus_traces(dir: &str) -> Result<Vec<(String, String, String)>, Error> {
    let index = format!("{dir}/corpus.tsv");
    let text = std::fs::read_to_string(&index).map_err(|e| {
        Error(format!(
            "cannot read {index}: {e} (run lrn corpus --out {dir})"
        ))
    })?;
    Ok(text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut f = l.split('\t');
            let (fam, name) = (f.next()?, f.next()?);
            Some((
                fam.to_string(),
                name.to_string(),
                format!("{dir}/{name}.oracleGeneral.bin"),
            ))
        })
        .collect())
}

/// `lrn eval-evict`.
pub fn run(args: &EvalEvictCli) -> Result<String, Error> {
    let EvalEvictCli {
        corpus,
        trace,
        family: only,
        model,
        models,
        max_keeps,
        insert,
        out,
    } = args;
    let (max_keeps, insert) = (*max_keeps, *insert);
    let extra = trace.iter().map(|t| {
        let p = t.path.as_str();
        let name = std::path::Path::new(p)
            .file_name()
            .and_then(|n| n.to_str())
            .map_or(p, |n| n.split('.').next().unwrap_or(n));
        (t.family.clone(), name.to_string(), p.to_string())
    });
    let mut traces = match corpus {
        Some(d) => corpus_traces(d)?,
        None => Vec::new(),
    };
    traces.extend(extra);
    if !only.is_empty() {
        traces.retain(|t| only.contains(&t.0));
    }
    let shared_model = match model {
        Some(m) => Some(std::fs::read(m).map_err(|e| Error(format!("cannot read {m}: {e}")))?),
        None => None,
    };
    let jobs: Vec<_> = traces.iter().collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..std::thread::available_parallelism().map_or(1, |n| n.get()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((fam, name, path)) = jobs.get(i) else {
                    break;
                };
                let r = (|| {
                    let reqs = crate::load_trace(path, crate::Format::OracleGeneral)?;
                    let m = match models {
                        Some(d) => {
                            let p = format!("{d}/{fam}.lmod");
                            Some(
                                std::fs::read(&p)
                                    .map_err(|e| Error(format!("cannot read {p}: {e}")))?,
                            )
                        }
                        None => shared_model.clone(),
                    };
                    eval_trace(fam, name, &reqs, m.as_deref(), max_keeps, insert)
                })();
                results.lock().map(|mut v| v.push((i, r))).ok();
            });
        }
    });
    let mut results = results
        .into_inner()
        .map_err(|_| Error("a worker panicked".into()))?;
    results.sort_by_key(|r| r.0);
    let mut points = Vec::new();
    for (_, r) in results {
        points.extend(r?);
    }
    std::fs::create_dir_all(out).map_err(|e| Error(format!("cannot create {out}: {e}")))?;
    let md = markdown(&points);
    for (name, text) in [("eval-evict.md", &md), ("eval-evict.tsv", &tsv(&points))] {
        let p = format!("{out}/{name}");
        std::fs::write(&p, text).map_err(|e| Error(format!("cannot write {p}: {e}")))?;
    }
    let title = match (models, model) {
        (Some(_), _) => crate::evict_plot::TITLE.to_string(),
        (None, Some(m)) => format!(
            "miss ratios (mean over each family's traces); learned = the module's policy with {}, for every family",
            std::path::Path::new(m).file_name().map_or(m.as_str(), |n| n.to_str().unwrap_or(m))
        ),
        (None, None) => "miss ratios (mean over each family's traces); learned = the module's policy without a model".into(),
    };
    crate::evict_plot::write_svg(&points, &title, &format!("{out}/eval-evict.svg"))?;
    let summary_at = md.find("\n| family | points").map_or(0, |i| i + 1);
    Ok(md[summary_at..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(misses: [u64; 10]) -> Point {
        Point {
            family: "f".into(),
            trace: "t".into(),
            requests: 100,
            footprint: 50,
            size: 16,
            misses,
        }
    }

    #[test]
    fn summary_counts() {
        // lru 100, belady 50: learned 75 closes half the gap and beats the best heuristic (80).
        let a = point([100, 100, 100, 90, 80, 85, 95, 50, 100, 75]);
        // learned 103: 3% over LRU, and worse than every heuristic.
        let b = point([100, 100, 100, 90, 80, 85, 95, 60, 100, 103]);
        assert_eq!(a.gap_closed(), Some(50.0));
        assert_eq!(a.best_heuristic(), 80);
        let s = summarize(&[a, b]);
        assert_eq!(s.at_or_below_best, 1);
        assert_eq!(s.over_2pct_lru, 1);
        assert!((s.mean_gap_closed - (50.0 - 7.5) / 2.0).abs() < 1e-9);
        assert!((s.worst_vs_lru.0 - 1.03).abs() < 1e-9);
    }

    #[test]
    fn sizes_span_the_footprint() {
        assert_eq!(sizes_of(100_000), vec![100, 1000, 3000, 10_000]);
        assert_eq!(sizes_of(1000), vec![16, 30, 100]);
    }

    #[test]
    fn learned_without_a_model_is_stock_linux() {
        let ids: Vec<u64> = (0..4000u64)
            .map(|i| (i * 7919) % 613 + (i % 5) * 1000)
            .collect();
        let reqs = crate::corpus::requests(&ids);
        let pts = eval_trace("f", "t", &reqs, None, 4, DEFAULT_INSERT).expect("runs");
        for p in &pts {
            assert_eq!(p.misses[8], p.misses[LEARNED], "size {}", p.size);
            assert!(p.misses[BELADY] <= p.misses[LRU]);
        }
    }
}
