// SPDX-License-Identifier: GPL-2.0

//! `lrn mrc`: a trace's exact LRU miss-ratio curve next to its SHARDS estimate (the
//! estimator the buffer-cache sizer runs in the kernel), with the estimate's error.
//!
//! Sizes are in objects: every request counts as size 1, as for a page cache.

use learned_core::cache::Request;
use learned_core::mrc::exact::{Exact, ExactStats};
use learned_core::mrc::hist::Hist;
use learned_core::mrc::shards::{Config, Sample, Shards, ShardsStats};
use learned_core::mrc::{ratio_ppm, PPM};

use crate::{distinct_objects, load_trace, Error, Format, Opts};

/// Usage of `mrc`.
pub const USAGE: &str = "       lrn mrc --trace PATH --format oracleGeneral|csv|txt [--sizes N,N,...|--points N] [--smax S] [--rate-bits B] [--no-adjust] [--seed S]
           [--start-shift K]
         (LRU miss ratios at cache sizes in objects (every request counts as size 1): exact
          (Mattson's stack algorithm) and SHARDS with a fixed-size sample set of S keys
          (default 8192), sampling modulus 2^B (default 24), starting rate 2^-K (default
          0: every key), SHARDS_adj on unless --no-adjust; sizes: the list, or N points evenly up to the distinct objects
          (default 20); prints both curves, the absolute errors, MAE, max error and the
          SHARDS memory)";

/// Default `--smax`.
pub const DEFAULT_SMAX: u32 = 8192;
/// Default `--points`.
pub const DEFAULT_POINTS: u32 = 20;

/// Parsed `lrn mrc` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MrcArgs {
    /// `--trace`.
    pub trace: String,
    /// `--format`.
    pub format: Format,
    /// `--sizes`: explicit candidate sizes.
    pub sizes: Option<Vec<u32>>,
    /// `--points`: sizes evenly spaced up to the distinct objects.
    pub points: u32,
    /// The SHARDS configuration (`--smax`, `--rate-bits`, `--no-adjust`, `--seed`).
    pub shards: Config,
}

fn number<T: std::str::FromStr>(flag: &str, v: &str) -> Result<T, Error> {
    v.trim()
        .parse()
        .map_err(|_| Error(format!("bad {flag} {v:?}\n{USAGE}")))
}

/// Parses a `--sizes` list: comma-separated object counts, strictly ascending, non-zero.
pub fn parse_sizes(v: &str) -> Result<Vec<u32>, Error> {
    let sizes = v
        .split(',')
        .map(|s| number::<u32>("--sizes", s))
        .collect::<Result<Vec<u32>, Error>>()?;
    Hist::check_sizes(&sizes).map_err(|e| {
        Error(format!(
            "bad --sizes {v:?}: {e:?} (want object counts, strictly ascending, non-zero)"
        ))
    })?;
    Ok(sizes)
}

/// Parses the arguments after `mrc`.
pub fn parse_args(args: &[String]) -> Result<MrcArgs, Error> {
    let (mut trace, mut format, mut sizes) = (None, None, None);
    let mut points = DEFAULT_POINTS;
    let mut shards = Config::new(DEFAULT_SMAX);
    let mut opts = Opts::new(args, USAGE);
    while let Some((key, inline)) = opts.next_key() {
        if key == "--no-adjust" {
            shards.adjust = false;
            continue;
        }
        let mut value = || opts.value(key, inline);
        match key {
            "--trace" => trace = Some(value()?),
            "--format" => format = Some(Format::parse(&value()?)?),
            "--sizes" => sizes = Some(parse_sizes(&value()?)?),
            "--points" => points = number(key, &value()?)?,
            "--smax" => shards.s_max = number(key, &value()?)?,
            "--rate-bits" => shards.rate_bits = number(key, &value()?)?,
            "--seed" => shards.seed = number(key, &value()?)?,
            "--start-shift" => shards.start_shift = number(key, &value()?)?,
            _ => return Err(opts.unknown(key)),
        }
    }
    if points == 0 {
        return Err(Error(format!("--points must be at least 1\n{USAGE}")));
    }
    let missing = |what: &str| Error(format!("missing {what}\n{USAGE}"));
    Ok(MrcArgs {
        trace: trace.ok_or_else(|| missing("--trace"))?,
        format: format.ok_or_else(|| missing("--format"))?,
        sizes,
        points,
        shards,
    })
}

/// `points` sizes evenly spaced up to `distinct` (`distinct·k/points` for `k = 1..=points`),
/// without duplicates or zeros; saturating at `u32::MAX`.
pub fn even_sizes(distinct: u64, points: u32) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for k in 1..=u64::from(points) {
        let s = (u128::from(distinct) * u128::from(k) / u128::from(points)) as u64;
        let s = u32::try_from(s).unwrap_or(u32::MAX);
        if s > 0 && out.last() != Some(&s) {
            out.push(s);
        }
    }
    out
}

/// The exact curve of `reqs` at `sizes`: misses and ratios (ppm) per size, and the counters.
pub fn exact_curve(
    reqs: &[Request],
    sizes: &[u32],
) -> Result<(Vec<u64>, Vec<u32>, ExactStats), Error> {
    let keys_n = distinct_objects(reqs).max(1);
    let cap = u32::try_from(keys_n).map_err(|_| Error("too many distinct objects".into()))?;
    let mut keys = vec![0u64; keys_n];
    let mut words = vec![0u32; Exact::words_for(cap)];
    let mut hist = vec![0u64; Hist::buckets_for(sizes.len())];
    let mut e = Exact::new(&mut keys, &mut words, sizes, &mut hist)
        .map_err(|e| Error(format!("cannot build the exact MRC: {e:?}")))?;
    for r in reqs {
        e.access(r.id);
    }
    let mut misses = vec![0u64; sizes.len()];
    let mut ppm = vec![0u32; sizes.len()];
    e.misses(&mut misses);
    e.curve(&mut ppm);
    Ok((misses, ppm, e.stats()))
}

/// The SHARDS curve of `reqs` at `sizes` (ppm per size) under `cfg`, and its counters.
pub fn shards_curve(
    reqs: &[Request],
    sizes: &[u32],
    cfg: Config,
) -> Result<(Vec<u32>, ShardsStats), Error> {
    let mut samples = vec![Sample::EMPTY; cfg.s_max as usize];
    let mut words = vec![0u32; Shards::words_for(cfg.s_max)];
    let mut hist = vec![0u64; Hist::buckets_for(sizes.len())];
    let mut s = Shards::new(&mut samples, &mut words, sizes, &mut hist, cfg)
        .map_err(|e| Error(format!("cannot build the SHARDS estimator: {e:?}")))?;
    for r in reqs {
        s.access(r.id);
    }
    let mut ppm = vec![0u32; sizes.len()];
    s.curve(&mut ppm);
    Ok((ppm, s.stats()))
}

/// Both curves of one trace, and how far apart they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The candidate sizes, in objects.
    pub sizes: Vec<u32>,
    /// The exact miss ratios, ppm.
    pub exact: Vec<u32>,
    /// The exact misses.
    pub exact_misses: Vec<u64>,
    /// The SHARDS miss ratios, ppm.
    pub shards: Vec<u32>,
    /// The exact estimator's counters.
    pub exact_stats: ExactStats,
    /// The SHARDS counters.
    pub shards_stats: ShardsStats,
    /// The SHARDS configuration.
    pub cfg: Config,
}

impl Comparison {
    /// Per size, `|exact - shards|` in ppm.
    pub fn errors(&self) -> Vec<u32> {
        self.exact
            .iter()
            .zip(&self.shards)
            .map(|(&a, &b)| a.abs_diff(b))
            .collect()
    }

    /// The mean absolute error, ppm (rounded down).
    pub fn mae_ppm(&self) -> u32 {
        let e = self.errors();
        let n = e.len().max(1) as u64;
        (e.iter().map(|&x| u64::from(x)).sum::<u64>() / n) as u32
    }

    /// The largest absolute error, ppm.
    pub fn max_error_ppm(&self) -> u32 {
        self.errors().into_iter().max().unwrap_or(0)
    }

    /// The bytes of memory SHARDS used.
    pub fn shards_memory(&self) -> usize {
        Shards::memory_bytes(self.cfg.s_max, self.sizes.len())
    }

    /// The printed report.
    pub fn report(&self) -> String {
        let s = &self.shards_stats;
        let mut out = format!(
            "requests {}  distinct {}\n",
            self.exact_stats.accesses, self.exact_stats.keys
        );
        out += &format!(
            "shards: smax {}  P 2^{}  adjust {}  seed {}  sampled {} ({})  set {}  T {}  rate {}  \
             evicted {}\n",
            self.cfg.s_max,
            self.cfg.rate_bits,
            if self.cfg.adjust { "on" } else { "off" },
            self.cfg.seed,
            s.sampled,
            ratio(ratio_ppm(s.sampled, s.accesses)),
            s.samples,
            s.threshold,
            ratio(s.rate_ppm),
            s.evicted,
        );
        out += &format!(
            "{:>12} {:>10} {:>10} {:>10}\n",
            "size", "exact", "shards", "abs_err"
        );
        for (((size, &e), &h), err) in self
            .sizes
            .iter()
            .zip(&self.exact)
            .zip(&self.shards)
            .zip(self.errors())
        {
            out += &format!(
                "{:>12} {:>10} {:>10} {:>10}\n",
                size,
                ratio(e),
                ratio(h),
                ratio(err)
            );
        }
        out += &format!(
            "mae {}  max_err {}  sizes {}\nshards_memory_bytes {}\n",
            ratio(self.mae_ppm()),
            ratio(self.max_error_ppm()),
            self.sizes.len(),
            self.shards_memory()
        );
        out
    }
}

/// A ppm value as a decimal fraction with six digits.
pub fn ratio(ppm: u32) -> String {
    format!("{}.{:06}", ppm / PPM, ppm % PPM)
}

/// Runs both estimators over `reqs` at `sizes`.
pub fn compare(reqs: &[Request], sizes: &[u32], cfg: Config) -> Result<Comparison, Error> {
    let (exact_misses, exact, exact_stats) = exact_curve(reqs, sizes)?;
    let (shards, shards_stats) = shards_curve(reqs, sizes, cfg)?;
    Ok(Comparison {
        sizes: sizes.to_vec(),
        exact,
        exact_misses,
        shards,
        exact_stats,
        shards_stats,
        cfg,
    })
}

/// Runs `lrn mrc ARGS`.
pub fn run(args: &[String]) -> Result<String, Error> {
    let a = parse_args(args)?;
    let reqs = load_trace(&a.trace, a.format)?;
    let sizes = match a.sizes {
        Some(s) => s,
        None => even_sizes(distinct_objects(&reqs) as u64, a.points),
    };
    if sizes.is_empty() {
        return Err(Error("no candidate sizes".into()));
    }
    Ok(compare(&reqs, &sizes, a.shards)?.report())
}

#[cfg(test)]
mod tests {
    use super::*;
    use learned_core::mrc::shards::DEFAULT_RATE_BITS;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments() {
        let a = parse_args(&strings(&[
            "--trace",
            "t",
            "--format",
            "txt",
            "--sizes=1,5,9",
            "--smax",
            "64",
            "--rate-bits",
            "20",
            "--no-adjust",
        ]))
        .unwrap();
        assert_eq!(a.sizes, Some(vec![1, 5, 9]));
        assert_eq!(
            (a.shards.s_max, a.shards.rate_bits, a.shards.adjust),
            (64, 20, false)
        );
        let a = parse_args(&strings(&["--trace", "t", "--format", "csv"])).unwrap();
        assert_eq!((a.points, a.shards.s_max), (DEFAULT_POINTS, DEFAULT_SMAX));
        assert_eq!(a.shards.rate_bits, DEFAULT_RATE_BITS);
        for bad in [
            &["--trace", "t"][..],
            &["--format", "txt"],
            &["--trace", "t", "--format", "txt", "--sizes", "3,2"],
            &["--trace", "t", "--format", "txt", "--sizes", ""],
            &["--trace", "t", "--format", "txt", "--sizes", "0,1"],
            &["--trace", "t", "--format", "txt", "--points", "0"],
            &["--trace", "t", "--format", "txt", "--smax", "-1"],
            &["--trace", "t", "--format", "txt", "--bogus", "1"],
            &["--trace", "t", "--format", "txt", "--smax"],
        ] {
            assert!(parse_args(&strings(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn even_sizes_are_ascending() {
        assert_eq!(even_sizes(100, 4), vec![25, 50, 75, 100]);
        assert_eq!(even_sizes(3, 10), vec![1, 2, 3]);
        assert_eq!(even_sizes(0, 10), Vec::<u32>::new());
        assert_eq!(even_sizes(u64::MAX, 1), vec![u32::MAX]);
    }
}
