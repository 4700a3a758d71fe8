// SPDX-License-Identifier: GPL-2.0

//! The eviction corpus: many trace families, many sizes, generated deterministically.
//!
//! `lrn corpus --out DIR` writes every trace of [`specs`] as libCacheSim's `oracleGeneral`
//! (`DIR/NAME.oracleGeneral.bin`, one object per request, size 1) and a card per trace in
//! `DIR/cards.md` and `DIR/corpus.tsv` (family, name, generator and parameters, requests,
//! footprint). The same command always writes the same bytes, so the corpus is not shipped:
//! it is regenerated (about a second).
//!
//! Families are what the evaluation holds out whole ([`crate::evict_eval`]): a model is
//! trained on the other families and tested on the left-out one. They are chosen to pull
//! policies in different directions:
//!
//! | family    | what it is                                                     | who wins  |
//! |-----------|----------------------------------------------------------------|-----------|
//! | `zipf`    | independent Zipf references, skews 0.6 to 1.3                  | LFU-like  |
//! | `scan`    | a Zipf hot set polluted by one-time sequential scans           | S3-FIFO   |
//! | `loop`    | cyclic sweeps larger than small caches, with hot noise         | LIRS/MRU  |
//! | `phase`   | working sets that move (partly overlapping) every phase        | recency   |
//! | `mix`     | interleaved streams of the others, with random weights         | adaptive  |
//! | `recency` | an LRU stack model: reuse at a heavy-tailed stack depth        | LRU       |
//!
//! Real traces (a block trace of a real system, page-cache traces of real programs) are not
//! generated: they come from `shared/` and `models/traces/` and are added by the evaluation
//! as their own families.
#![allow(clippy::float_arithmetic)]

use std::fmt::Write as _;

use crate::train::Rng;
use crate::{fill_next_access, Error, Request};

/// One trace of the corpus: its family, its name and how it is generated.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The family (the unit the evaluation holds out).
    pub family: &'static str,
    /// The trace's name, unique in the corpus.
    pub name: String,
    /// The generator and its parameters.
    pub gen: Gen,
    /// The number of requests.
    pub requests: usize,
    /// The generator's seed.
    pub seed: u64,
}

/// A trace generator and its parameters (named as [`Gen::describe`] prints them).
#[allow(missing_docs)]
#[derive(Clone, Debug, PartialEq)]
pub enum Gen {
    /// Zipf(`alpha`) over `n` objects (ranks shuffled over ids).
    Zipf { n: usize, alpha: f64 },
    /// Zipf(`alpha`) over `hot` objects; with probability `scan`, the next page of a
    /// sequential scan over new objects instead (runs of `run` pages).
    Scan {
        hot: usize,
        alpha: f64,
        scan: f64,
        run: usize,
    },
    /// A loop over `len` objects; with probability `noise`, a Zipf(0.9) reference to `hot`
    /// other objects instead.
    Loop { len: usize, noise: f64, hot: usize },
    /// `phases` working sets of `n` objects each, Zipf(`alpha`) inside; consecutive sets share
    /// `overlap` of their objects.
    Phase {
        n: usize,
        alpha: f64,
        phases: usize,
        overlap: f64,
    },
    /// The streams of a zipf, a loop and a scan generator interleaved with weights `w` (per
    /// thousand).
    Mix {
        zipf_n: usize,
        loop_len: usize,
        w: [u32; 3],
    },
    /// LRU stack model: with probability `new`, a new object; else the object at stack depth
    /// `d`, drawn as `floor(u^(-1/theta))` (a Pareto tail), capped at `depth` objects.
    Recency { new: f64, theta: f64, depth: usize },
}

impl Gen {
    /// A one-line description of the generator and its parameters (the card's "command").
    pub fn describe(&self) -> String {
        match *self {
            Gen::Zipf { n, alpha } => format!("zipf n={n} alpha={alpha}"),
            Gen::Scan {
                hot,
                alpha,
                scan,
                run,
            } => {
                format!("scan hot={hot} alpha={alpha} scan={scan} run={run}")
            }
            Gen::Loop { len, noise, hot } => format!("loop len={len} noise={noise} hot={hot}"),
            Gen::Phase {
                n,
                alpha,
                phases,
                overlap,
            } => {
                format!("phase n={n} alpha={alpha} phases={phases} overlap={overlap}")
            }
            Gen::Mix {
                zipf_n,
                loop_len,
                w,
            } => format!(
                "mix zipf_n={zipf_n} loop_len={loop_len} weights={}/{}/{}",
                w[0], w[1], w[2]
            ),
            Gen::Recency { new, theta, depth } => {
                format!("recency new={new} theta={theta} depth={depth}")
            }
        }
    }
}

/// The corpus: 6 families, 5 traces each, 200,000 to 400,000 requests per trace and
/// footprints from about 2,000 to 300,000 objects.
pub fn specs() -> Vec<Spec> {
    let mut v = Vec::new();
    let mut add = |family: &'static str, gen: Gen, requests: usize| {
        let i = v.iter().filter(|s: &&Spec| s.family == family).count();
        v.push(Spec {
            family,
            name: format!("{family}-{}", i + 1),
            gen,
            requests,
            seed: 0x10_0000 + v.len() as u64,
        });
    };
    for (n, alpha) in [
        (20_000, 0.6),
        (50_000, 0.8),
        (100_000, 1.0),
        (30_000, 1.1),
        (200_000, 1.3),
    ] {
        add("zipf", Gen::Zipf { n, alpha }, 300_000);
    }
    for (hot, alpha, scan, run) in [
        (5_000, 0.9, 0.3, 64),
        (20_000, 0.8, 0.5, 256),
        (2_000, 1.0, 0.2, 16),
        (50_000, 0.7, 0.4, 1024),
        (10_000, 1.2, 0.6, 128),
    ] {
        add(
            "scan",
            Gen::Scan {
                hot,
                alpha,
                scan,
                run,
            },
            300_000,
        );
    }
    for (len, noise, hot) in [
        (10_000, 0.0, 0),
        (30_000, 0.2, 2_000),
        (3_000, 0.5, 10_000),
        (60_000, 0.1, 500),
        (15_000, 0.3, 5_000),
    ] {
        add("loop", Gen::Loop { len, noise, hot }, 300_000);
    }
    for (n, alpha, phases, overlap) in [
        (10_000, 0.9, 6, 0.5),
        (40_000, 0.7, 4, 0.2),
        (5_000, 1.1, 10, 0.0),
        (20_000, 1.0, 8, 0.8),
        (80_000, 0.8, 3, 0.3),
    ] {
        add(
            "phase",
            Gen::Phase {
                n,
                alpha,
                phases,
                overlap,
            },
            300_000,
        );
    }
    for (zipf_n, loop_len, w) in [
        (20_000, 8_000, [500, 300, 200]),
        (50_000, 30_000, [300, 500, 200]),
        (5_000, 2_000, [600, 100, 300]),
        (100_000, 20_000, [400, 400, 200]),
        (10_000, 50_000, [700, 200, 100]),
    ] {
        add(
            "mix",
            Gen::Mix {
                zipf_n,
                loop_len,
                w,
            },
            300_000,
        );
    }
    for (new, theta, depth) in [
        (0.05, 0.8, 50_000),
        (0.10, 0.5, 100_000),
        (0.02, 1.2, 20_000),
        (0.20, 0.7, 200_000),
        (0.08, 1.0, 10_000),
    ] {
        add("recency", Gen::Recency { new, theta, depth }, 300_000);
    }
    v
}

/// A Zipf sampler over `0..n` by inverse CDF (binary search).
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, alpha: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut sum = 0.0;
        for k in 1..=n.max(1) {
            sum += 1.0 / (k as f64).powf(alpha);
            cdf.push(sum);
        }
        for c in &mut cdf {
            *c /= sum;
        }
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c < u).min(self.cdf.len() - 1)
    }
}

/// A random permutation of `0..n` as ids offset by `base`.
fn shuffled(n: usize, base: u64, rng: &mut Rng) -> Vec<u64> {
    let mut v: Vec<u64> = (0..n as u64).map(|i| base + i).collect();
    rng.shuffle(&mut v);
    v
}

/// Id bases: each stream of a trace draws from its own id range.
const STREAM: u64 = 1 << 40;

/// Generates the id sequence of `spec`.
pub fn generate(spec: &Spec) -> Vec<u64> {
    let mut rng = Rng::new(spec.seed);
    let n = spec.requests;
    let mut out = Vec::with_capacity(n);
    match spec.gen {
        Gen::Zipf { n: objs, alpha } => {
            let z = Zipf::new(objs, alpha);
            let ids = shuffled(objs, 0, &mut rng);
            for _ in 0..n {
                out.push(ids[z.sample(&mut rng)]);
            }
        }
        Gen::Scan {
            hot,
            alpha,
            scan,
            run,
        } => {
            let z = Zipf::new(hot, alpha);
            let ids = shuffled(hot, 0, &mut rng);
            let (mut next_scan, mut left) = (STREAM, 0usize);
            for _ in 0..n {
                if left > 0 || rng.unit() < scan / run as f64 {
                    if left == 0 {
                        left = run;
                    }
                    out.push(next_scan);
                    next_scan += 1;
                    left -= 1;
                } else {
                    out.push(ids[z.sample(&mut rng)]);
                }
            }
        }
        Gen::Loop { len, noise, hot } => {
            let z = Zipf::new(hot.max(1), 0.9);
            let ids = shuffled(hot.max(1), STREAM, &mut rng);
            let mut pos = 0u64;
            for _ in 0..n {
                if hot > 0 && rng.unit() < noise {
                    out.push(ids[z.sample(&mut rng)]);
                } else {
                    out.push(pos);
                    pos = (pos + 1) % len as u64;
                }
            }
        }
        Gen::Phase {
            n: objs,
            alpha,
            phases,
            overlap,
        } => {
            let z = Zipf::new(objs, alpha);
            let per = n.div_ceil(phases.max(1));
            let keep = (objs as f64 * overlap) as usize;
            let mut set = shuffled(objs, 0, &mut rng);
            let mut fresh = objs as u64;
            for p in 0..phases.max(1) {
                if p > 0 {
                    // Keep `keep` objects (at random ranks), replace the rest by new ones.
                    rng.shuffle(&mut set);
                    for id in set.iter_mut().skip(keep) {
                        *id = fresh;
                        fresh += 1;
                    }
                    rng.shuffle(&mut set);
                }
                for _ in 0..per.min(n - out.len()) {
                    out.push(set[z.sample(&mut rng)]);
                }
            }
        }
        Gen::Mix {
            zipf_n,
            loop_len,
            w,
        } => {
            let z = Zipf::new(zipf_n, 0.9);
            let ids = shuffled(zipf_n, 0, &mut rng);
            let (mut pos, mut next_scan) = (0u64, 2 * STREAM);
            let total = u64::from(w[0] + w[1] + w[2]).max(1);
            for _ in 0..n {
                let r = rng.next_u64() % total;
                if r < u64::from(w[0]) {
                    out.push(ids[z.sample(&mut rng)]);
                } else if r < u64::from(w[0] + w[1]) {
                    out.push(STREAM + pos);
                    pos = (pos + 1) % loop_len as u64;
                } else {
                    out.push(next_scan);
                    next_scan += 1;
                }
            }
        }
        Gen::Recency { new, theta, depth } => {
            // The stack as a Vec, most recent last; depth d is index len-1-d. Moving an
            // element to the top costs O(d), and d is heavy-tailed but capped.
            let mut stack: Vec<u64> = Vec::new();
            let mut fresh = 0u64;
            for _ in 0..n {
                let u = rng.unit();
                if stack.is_empty() || rng.unit() < new {
                    stack.push(fresh);
                    out.push(fresh);
                    fresh += 1;
                } else {
                    let d = ((1.0 - u).max(1e-12).powf(-1.0 / theta) as usize - 1)
                        .min(stack.len() - 1)
                        .min(depth);
                    let at = stack.len() - 1 - d;
                    let id = stack.remove(at);
                    stack.push(id);
                    out.push(id);
                }
                if stack.len() > depth * 2 {
                    stack.drain(..depth);
                }
            }
        }
    }
    out
}

/// The requests of an id sequence (size 1 each, next accesses filled in).
pub fn requests(ids: &[u64]) -> Vec<Request> {
    let mut reqs: Vec<Request> = ids
        .iter()
        .map(|&id| Request {
            id,
            size: 1,
            next_access: -1,
        })
        .collect();
    fill_next_access(&mut reqs);
    reqs
}

/// `reqs` encoded as libCacheSim's `oracleGeneral` (24 bytes per request: u32 timestamp,
/// u64 id, u32 size, i64 next access index, little endian).
pub fn encode_oracle(reqs: &[Request]) -> Vec<u8> {
    let mut out = Vec::with_capacity(reqs.len() * 24);
    for (t, r) in reqs.iter().enumerate() {
        out.extend_from_slice(&(t as u32).to_le_bytes());
        out.extend_from_slice(&r.id.to_le_bytes());
        out.extend_from_slice(&r.size.to_le_bytes());
        out.extend_from_slice(&r.next_access.to_le_bytes());
    }
    out
}

/// Writes the eviction corpus: 30 generated traces in 6 families.
///
/// Each trace is DIR/NAME.oracleGeneral.bin (one object per request, size 1), with cards in
/// DIR/cards.md and DIR/corpus.tsv (family, name, requests, footprint, generator and seed,
/// printed too); deterministic: the same command always writes the same bytes.
#[derive(Debug, Clone, clap::Args)]
pub struct CorpusCli {
    /// The output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: String,
}

/// `lrn corpus`.
pub fn run(args: &CorpusCli) -> Result<String, Error> {
    let dir = &args.out;
    std::fs::create_dir_all(dir).map_err(|e| Error(format!("cannot create {dir}: {e}")))?;
    let mut tsv = String::from("family\tname\trequests\tfootprint\tgenerator\tseed\n");
    let mut md = String::from(
        "# The eviction corpus\n\nRegenerate with `lrn corpus --out DIR` (deterministic).\n\n\
         | family | trace | generator | requests | footprint (objects) |\n|---|---|---|---:|---:|\n",
    );
    for s in specs() {
        let reqs = requests(&generate(&s));
        let footprint = crate::distinct_objects(&reqs);
        let path = format!("{dir}/{}.oracleGeneral.bin", s.name);
        std::fs::write(&path, encode_oracle(&reqs))
            .map_err(|e| Error(format!("cannot write {path}: {e}")))?;
        let g = s.gen.describe();
        let _ = writeln!(
            tsv,
            "{}\t{}\t{}\t{footprint}\t{g}\t{}",
            s.family,
            s.name,
            reqs.len(),
            s.seed
        );
        let _ = writeln!(
            md,
            "| {} | {} | `{g}` seed {} | {} | {footprint} |",
            s.family,
            s.name,
            s.seed,
            reqs.len()
        );
    }
    for (name, text) in [("corpus.tsv", &tsv), ("cards.md", &md)] {
        let path = format!("{dir}/{name}");
        std::fs::write(&path, text).map_err(|e| Error(format!("cannot write {path}: {e}")))?;
    }
    Ok(tsv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_shape() {
        let s = specs();
        assert_eq!(s.len(), 30);
        let mut fams: Vec<&str> = s.iter().map(|s| s.family).collect();
        fams.dedup();
        assert_eq!(fams.len(), 6);
        let mut names: Vec<&String> = s.iter().map(|s| &s.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 30);
    }

    #[test]
    fn generators_are_deterministic_and_sized() {
        for mut s in specs().into_iter().step_by(5) {
            s.requests = 5_000;
            let a = generate(&s);
            assert_eq!(a, generate(&s), "{}", s.name);
            assert_eq!(a.len(), 5_000, "{}", s.name);
        }
    }

    #[test]
    fn loop_is_a_loop_and_scan_never_repeats_scan_pages() {
        let s = Spec {
            family: "loop",
            name: "t".into(),
            gen: Gen::Loop {
                len: 7,
                noise: 0.0,
                hot: 0,
            },
            requests: 20,
            seed: 1,
        };
        let ids = generate(&s);
        assert_eq!(&ids[..8], &[0, 1, 2, 3, 4, 5, 6, 0]);
        let s = Spec {
            family: "scan",
            name: "t".into(),
            gen: Gen::Scan {
                hot: 10,
                alpha: 1.0,
                scan: 0.5,
                run: 4,
            },
            requests: 10_000,
            seed: 2,
        };
        let ids = generate(&s);
        let scans: Vec<u64> = ids.iter().copied().filter(|&i| i >= STREAM).collect();
        assert!(scans.len() > 3_000, "{}", scans.len());
        assert!(scans.windows(2).all(|w| w[1] == w[0] + 1));
        assert!(ids.iter().filter(|&&i| i < STREAM).all(|&i| i < 10));
    }

    #[test]
    fn oracle_encoding_round_trips() {
        let reqs = requests(&[5, 6, 5, 7]);
        let back = crate::parse_oracle(&encode_oracle(&reqs)).expect("decodes");
        assert_eq!(back, reqs);
        assert_eq!(back[0].next_access, 2);
    }
}
