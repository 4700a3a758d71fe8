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

use crate::{distinct_objects, load_trace, Error, Format};

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
    /// The SHARDS configuration (`--smax`, `--rate-bits`, `--no-adjust`, `--seed`,
    /// `--start-shift`).
    pub shards: Config,
}

/// Compares a trace's exact LRU miss-ratio curve with its SHARDS estimate.
///
/// LRU miss ratios at cache sizes in objects (every request counts as size 1): exact
/// (Mattson's stack algorithm) and SHARDS with a fixed-size sample set of S keys (--smax),
/// sampling modulus 2^B (--rate-bits), starting rate 2^-K (--start-shift: 0, every key),
/// SHARDS_adj on unless --no-adjust. Sizes: the --sizes list, or --points N sizes evenly
/// spaced up to the distinct objects. Prints both curves, the absolute errors, MAE, max error
/// and the SHARDS memory.
#[derive(Debug, Clone, clap::Args)]
pub struct MrcCli {
    /// The trace file.
    #[arg(long, value_name = "PATH")]
    pub trace: String,
    /// The trace format: oracleGeneral, csv or txt (as for lrn sim).
    #[arg(long, value_name = "oracleGeneral|csv|txt", value_parser = Format::parse)]
    pub format: Format,
    /// The cache sizes, in objects: comma-separated, strictly ascending, non-zero (before
    /// --points if both are given).
    #[arg(long, value_name = "N,N,...", value_parser = parse_sizes)]
    pub sizes: Option<::std::vec::Vec<u32>>,
    /// Sizes evenly spaced up to the distinct objects, at least 1.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_POINTS, value_parser = parse_points)]
    pub points: u32,
    /// The SHARDS sample set's size, keys.
    #[arg(long, value_name = "S", default_value_t = DEFAULT_SMAX, value_parser = trimmed::<u32>)]
    pub smax: u32,
    /// The sampling modulus is 2^B.
    #[arg(long = "rate-bits", value_name = "B", default_value_t = Config::new(DEFAULT_SMAX).rate_bits,
          value_parser = trimmed::<u32>)]
    pub rate_bits: u32,
    /// SHARDS without SHARDS_adj.
    #[arg(long = "no-adjust")]
    pub no_adjust: bool,
    /// Xored into every key before hashing.
    #[arg(long, value_name = "S", default_value_t = Config::new(DEFAULT_SMAX).seed,
          value_parser = trimmed::<u64>)]
    pub seed: u64,
    /// The sampling rate starts at 2^-K.
    #[arg(long = "start-shift", value_name = "K",
          default_value_t = Config::new(DEFAULT_SMAX).start_shift,
          value_parser = trimmed::<u32>)]
    pub start_shift: u32,
}

impl MrcCli {
    /// The comparison these arguments ask for.
    pub fn into_args(self) -> MrcArgs {
        let mut shards = Config::new(DEFAULT_SMAX);
        shards.s_max = self.smax;
        shards.rate_bits = self.rate_bits;
        shards.adjust = !self.no_adjust;
        shards.seed = self.seed;
        shards.start_shift = self.start_shift;
        MrcArgs {
            trace: self.trace,
            format: self.format,
            sizes: self.sizes,
            points: self.points,
            shards,
        }
    }
}

/// A number, spaces around it allowed.
fn trimmed<T: std::str::FromStr>(v: &str) -> Result<T, Error> {
    v.trim()
        .parse()
        .map_err(|_| Error(format!("bad number {v:?}")))
}

/// Parses `--points`: at least 1.
pub fn parse_points(v: &str) -> Result<u32, Error> {
    match trimmed(v)? {
        0 => Err(Error("--points must be at least 1".into())),
        n => Ok(n),
    }
}

/// Parses a `--sizes` list: comma-separated object counts, strictly ascending, non-zero.
pub fn parse_sizes(v: &str) -> Result<Vec<u32>, Error> {
    let sizes = v
        .split(',')
        .map(|s| trimmed::<u32>(s).map_err(|_| Error(format!("bad --sizes {s:?}"))))
        .collect::<Result<Vec<u32>, Error>>()?;
    Hist::check_sizes(&sizes).map_err(|e| {
        Error(format!(
            "bad --sizes {v:?}: {e:?} (want object counts, strictly ascending, non-zero)"
        ))
    })?;
    Ok(sizes)
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

/// Runs `lrn mrc`.
pub fn run(a: &MrcArgs) -> Result<String, Error> {
    let reqs = load_trace(&a.trace, a.format)?;
    let sizes = match &a.sizes {
        Some(s) => s.clone(),
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

    /// `lrn mrc ARGS` through the command line's parser.
    fn parse_args(args: &[&str]) -> Result<MrcArgs, clap::Error> {
        let mut all = vec!["mrc"];
        all.extend_from_slice(args);
        match crate::cli::tests::parse(&all)? {
            crate::cli::Command::Mrc(m) => Ok(m.into_args()),
            other => panic!("not mrc: {other:?}"),
        }
    }

    #[test]
    fn arguments() {
        let a = parse_args(&[
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
        ])
        .unwrap();
        assert_eq!(a.sizes, Some(vec![1, 5, 9]));
        assert_eq!(
            (a.shards.s_max, a.shards.rate_bits, a.shards.adjust),
            (64, 20, false)
        );
        let a = parse_args(&["--trace", "t", "--format", "csv"]).unwrap();
        assert_eq!((a.points, a.shards.s_max), (DEFAULT_POINTS, DEFAULT_SMAX));
        assert_eq!(a.shards.rate_bits, DEFAULT_RATE_BITS);
        assert_eq!(a.shards, Config::new(DEFAULT_SMAX));
        // Values are trimmed; a repeated option keeps its last value.
        let a = parse_args(&[
            "--trace",
            "t",
            "--format",
            "txt",
            "--sizes",
            "1, 2",
            "--seed",
            " 7",
            "--seed=8",
            "--start-shift",
            "3",
            "--points",
            "4",
        ])
        .unwrap();
        assert_eq!(a.sizes, Some(vec![1, 2]));
        assert_eq!((a.shards.seed, a.shards.start_shift, a.points), (8, 3, 4));
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
            assert!(parse_args(bad).is_err(), "{bad:?}");
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
