// SPDX-License-Identifier: GPL-2.0

//! `lrn`: the learned_os host tool. This library holds everything the binary does, so the
//! tests can drive the simulator directly.
//!
//! Traces are loaded whole into memory as [`Request`]s (with next-access indices computed here
//! when the format does not carry them), then fed to one of learned-core's policies over
//! `Vec`-backed storage sized to the number of distinct objects, so the slot arena never runs
//! out.

pub mod cli;
pub mod corpus;
pub mod evalrun;
pub mod evict_eval;
pub mod evict_plot;
pub mod evict_train;
pub mod ftrace;
pub mod model;
pub mod mrc;
pub mod quantize;
pub mod sched;
pub mod sizer;
pub mod train;

use std::collections::HashMap;
use std::fmt;

use learned_core::cache::insert::{InsertRule, DEFAULT_INSERT};
use learned_core::cache::store::{Slot, Store};
use learned_core::cache::{Policy, Request, Stats};
use learned_sim::arc::Arc;
use learned_sim::belady::Belady;
use learned_sim::clock::Clock;
use learned_sim::fifo::Fifo;
use learned_sim::lirs::Lirs;
use learned_sim::lru::Lru;
use learned_sim::s3fifo::S3Fifo;
use learned_sim::sieve::Sieve;
use learned_sim::trace;

/// A command's error: printed on stderr, exit status 1 (usage errors are clap's, status 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

fn err<T>(msg: impl Into<String>) -> Result<T, Error> {
    Err(Error(msg.into()))
}

/// A cache size from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSize {
    /// A capacity in bytes: requests keep their object sizes.
    Bytes(u64),
    /// A capacity in objects: every request counts as size 1.
    Objects(u64),
}

impl CacheSize {
    /// The capacity, in bytes or objects.
    pub fn value(self) -> u64 {
        match self {
            CacheSize::Bytes(v) | CacheSize::Objects(v) => v,
        }
    }
}

/// Parses `512MiB`, `1GiB`, `4KiB`, `100B`, `2TiB` (powers of 1024), `10KB`, `5MB`, `1GB`,
/// `1TB` (powers of 1000) as bytes; a bare integer as an object count. Units are
/// case-sensitive as written here, except that `b`/`kib`/... in lower case are accepted too.
pub fn parse_size(s: &str) -> Result<CacheSize, Error> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    if digits.is_empty() {
        return err(format!(
            "bad cache size {s:?}: expected a number with an optional unit, e.g. 512MiB or 1000"
        ));
    }
    let n: u64 = digits
        .parse()
        .map_err(|_| Error(format!("bad cache size {s:?}: number too large")))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" => return Ok(CacheSize::Objects(n)),
        "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        "tib" | "t" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => {
            return err(format!(
                "bad cache size {s:?}: unknown unit {unit:?} (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, or none for an object count)"
            ))
        }
    };
    let v = n
        .checked_mul(mult)
        .ok_or_else(|| Error(format!("bad cache size {s:?}: too large")))?;
    Ok(CacheSize::Bytes(v))
}

/// Parses a fraction strictly between 0 and 1 (`--holdout`, `--train-frac`).
pub fn parse_fraction(v: &str) -> Result<f64, Error> {
    match v.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => err(format!("{v:?} is not a fraction between 0 and 1")),
    }
}

/// Parses a model id in hexadecimal, with or without `0x` (`--model-id`).
pub fn parse_model_id(v: &str) -> Result<u32, Error> {
    u32::from_str_radix(v.trim_start_matches("0x"), 16)
        .map_err(|_| Error(format!("bad model id {v:?} (hex)")))
}

/// A trace format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// libCacheSim's binary `oracleGeneral` (24-byte `<IQIq>` records).
    OracleGeneral,
    /// CSV with a header line naming the columns: `obj_id` (or `id`) is required, `obj_size`
    /// (or `size`) is optional (default 1); other columns are ignored. Ids are unsigned
    /// decimal integers. Next accesses are computed here.
    Csv,
    /// One unsigned decimal object id per line, unit size; blank lines are skipped.
    Txt,
}

impl Format {
    /// Parses a `--format` value.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "oracleGeneral" | "oraclegeneral" => Ok(Format::OracleGeneral),
            "csv" => Ok(Format::Csv),
            "txt" => Ok(Format::Txt),
            _ => err(format!(
                "unknown trace format {s:?} (use oracleGeneral, csv or txt)"
            )),
        }
    }
}

/// A policy name from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyName {
    /// Least recently used.
    Lru,
    /// First in, first out.
    Fifo,
    /// Clock (1-bit second chance).
    Clock,
    /// SIEVE.
    Sieve,
    /// ARC.
    Arc,
    /// S3-FIFO.
    S3Fifo,
    /// LIRS.
    Lirs,
    /// Belady's MIN (needs next accesses).
    Belady,
    /// The simulator-only learned ranker (with `--model`, default the shipped ranker): it
    /// scores tail candidates with no guard and no fallback, and is not what the module runs.
    Ranker,
    /// Linux's two-list page-cache reclaim ([`learned_core::cache::linux`]), stock.
    Linux,
    /// The kernel module's eviction policy: Linux's reclaim with the learned hook, its guard
    /// and the insertion rule (with `--model`, default the shipped reclaim model).
    Learned,
}

impl PolicyName {
    /// All names, in the order the CLI documents them.
    pub const ALL: [PolicyName; 11] = [
        PolicyName::Lru,
        PolicyName::Fifo,
        PolicyName::Clock,
        PolicyName::Sieve,
        PolicyName::Arc,
        PolicyName::S3Fifo,
        PolicyName::Lirs,
        PolicyName::Belady,
        PolicyName::Linux,
        PolicyName::Learned,
        PolicyName::Ranker,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            PolicyName::Lru => "lru",
            PolicyName::Fifo => "fifo",
            PolicyName::Clock => "clock",
            PolicyName::Sieve => "sieve",
            PolicyName::Arc => "arc",
            PolicyName::S3Fifo => "s3fifo",
            PolicyName::Lirs => "lirs",
            PolicyName::Belady => "belady",
            PolicyName::Linux => "linux",
            PolicyName::Learned => "learned",
            PolicyName::Ranker => "ranker",
        }
    }

    /// Parses a `--policy` value. `linux-learned`, the module's policy's earlier name, is
    /// still accepted for `learned`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        if s == "linux-learned" {
            return Ok(PolicyName::Learned);
        }
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
                Error(format!("unknown policy {s:?} (known: {})", names.join(" ")))
            })
    }
}

/// Reads a trace file in `format`.
pub fn load_trace(path: &str, format: Format) -> Result<Vec<Request>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error(format!("cannot read trace {path}: {e}")))?;
    match format {
        Format::OracleGeneral => parse_oracle(&bytes).map_err(|e| Error(format!("{path}: {e}"))),
        Format::Csv | Format::Txt => {
            let text = std::str::from_utf8(&bytes)
                .map_err(|_| Error(format!("{path}: not UTF-8 text")))?;
            let r = if format == Format::Csv {
                parse_csv(text)
            } else {
                parse_txt(text)
            };
            r.map_err(|e| Error(format!("{path}: {e}")))
        }
    }
}

/// Decodes an `oracleGeneral` trace, keeping its next-access indices.
pub fn parse_oracle(bytes: &[u8]) -> Result<Vec<Request>, Error> {
    if bytes.is_empty() {
        return err("empty oracleGeneral trace");
    }
    let n = trace::count(bytes).map_err(|trace::DecodeError::Truncated { offset, have }| {
        Error(format!(
            "not an oracleGeneral trace: truncated record at byte {offset} ({have} of {} bytes)",
            trace::RECORD_LEN
        ))
    })?;
    let mut out = Vec::with_capacity(n);
    for r in trace::records(bytes) {
        let r = r.map_err(|e| Error(format!("bad oracleGeneral record: {e:?}")))?;
        out.push(Request {
            id: r.id,
            size: r.size,
            next_access: r.next_access,
        });
    }
    Ok(out)
}

fn parse_id(tok: &str, line: usize) -> Result<u64, Error> {
    tok.trim()
        .parse()
        .map_err(|_| Error(format!("line {line}: bad object id {:?}", tok.trim())))
}

/// Parses a CSV trace (see [`Format::Csv`]) and computes next accesses.
pub fn parse_csv(text: &str) -> Result<Vec<Request>, Error> {
    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        return err("empty CSV trace (a header line is required)");
    };
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let Some(id_col) = find(&["obj_id", "id"]) else {
        return err(format!(
            "CSV header {header:?} has no obj_id column (columns: obj_id, optional obj_size)"
        ));
    };
    let size_col = find(&["obj_size", "size"]);
    let mut out = Vec::new();
    for (k, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let lineno = k + 1;
        let id = parse_id(
            fields
                .get(id_col)
                .ok_or_else(|| Error(format!("line {lineno}: missing obj_id field")))?,
            lineno,
        )?;
        let size = match size_col {
            None => 1,
            Some(c) => {
                let f = fields
                    .get(c)
                    .ok_or_else(|| Error(format!("line {lineno}: missing obj_size field")))?;
                f.trim()
                    .parse()
                    .map_err(|_| Error(format!("line {lineno}: bad obj_size {:?}", f.trim())))?
            }
        };
        out.push(Request {
            id,
            size,
            next_access: -1,
        });
    }
    if out.is_empty() {
        return err("CSV trace has no requests");
    }
    fill_next_access(&mut out);
    Ok(out)
}

/// Parses a text trace (see [`Format::Txt`]) and computes next accesses.
pub fn parse_txt(text: &str) -> Result<Vec<Request>, Error> {
    let mut out = Vec::new();
    for (k, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(Request {
            id: parse_id(line, k + 1)?,
            size: 1,
            next_access: -1,
        });
    }
    if out.is_empty() {
        return err("text trace has no requests");
    }
    fill_next_access(&mut out);
    Ok(out)
}

/// Sets each request's `next_access` to the index of the next request for the same id, or -1.
pub fn fill_next_access(reqs: &mut [Request]) {
    let mut next: HashMap<u64, i64> = HashMap::new();
    for (k, r) in reqs.iter_mut().enumerate().rev() {
        r.next_access = next.insert(r.id, k as i64).unwrap_or(-1);
    }
}

/// The number of distinct object ids in `reqs`.
pub fn distinct_objects(reqs: &[Request]) -> usize {
    let mut seen = std::collections::HashSet::with_capacity(reqs.len() / 2);
    reqs.iter().filter(|r| seen.insert(r.id)).count()
}

/// Runs `policy` over `reqs` with a cache of `size`, on storage sized to `distinct` objects
/// (see [`distinct_objects`]). Errors for policies that are not implemented.
pub fn simulate_with(
    reqs: &[Request],
    policy: PolicyName,
    size: CacheSize,
    distinct: usize,
) -> Result<Stats, Error> {
    let mut slots = vec![Slot::EMPTY; distinct];
    let mut index = vec![0u32; Store::buckets_for(distinct)];
    let store = Store::new(&mut slots, &mut index)
        .map_err(|e| Error(format!("cannot build the cache store: {e:?}")))?;
    let cap = size.value();
    let unit = matches!(size, CacheSize::Objects(_));
    let mut heap;
    let mut p: Box<dyn Policy + '_> = match policy {
        PolicyName::Lru => Box::new(Lru::new(cap, store)),
        PolicyName::Fifo => Box::new(Fifo::new(cap, store)),
        PolicyName::Clock => Box::new(Clock::new(cap, store)),
        PolicyName::Sieve => Box::new(Sieve::new(cap, store)),
        PolicyName::S3Fifo => Box::new(S3Fifo::new(cap, store)),
        PolicyName::Arc => Box::new(Arc::new(cap, store)),
        PolicyName::Lirs => Box::new(Lirs::new(cap, store)),
        PolicyName::Belady => {
            heap = vec![0u32; distinct];
            Box::new(
                Belady::new(cap, store, &mut heap)
                    .map_err(|_| Error("cannot build the Belady heap".into()))?,
            )
        }
        PolicyName::Ranker => return err("policy ranker runs through evalrun::simulate_learned"),
        PolicyName::Linux | PolicyName::Learned => {
            return err("the linux policies run through evalrun::simulate_linux")
        }
    };
    for r in reqs {
        if unit {
            p.access(&Request { size: 1, ..*r });
        } else {
            p.access(r);
        }
    }
    Ok(p.stats())
}

/// [`simulate_with`], counting the distinct objects first.
pub fn simulate(reqs: &[Request], policy: PolicyName, size: CacheSize) -> Result<Stats, Error> {
    simulate_with(reqs, policy, size, distinct_objects(reqs))
}

/// `misses / requests` with six decimals, computed in integers (round half up).
pub fn ratio_string(misses: u64, requests: u64) -> String {
    if requests == 0 {
        return "0.000000".into();
    }
    let scaled =
        (u128::from(misses) * 2_000_000 + u128::from(requests)) / (2 * u128::from(requests));
    format!("{}.{:06}", scaled / 1_000_000, scaled % 1_000_000)
}

/// One simulation result line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The policy name.
    pub policy: &'static str,
    /// The cache size (bytes, or objects for a bare count).
    pub cache_size: u64,
    /// Requests processed.
    pub requests: u64,
    /// Misses.
    pub misses: u64,
}

impl Report {
    /// The single-line JSON form (serde_json; the miss ratio as the exact six-decimal
    /// number of [`ratio_string`], not a float's shortest form).
    pub fn json(&self) -> String {
        /// The fields, in order.
        #[derive(serde::Serialize)]
        struct Line<'a> {
            policy: &'a str,
            cache_size: u64,
            requests: u64,
            misses: u64,
            miss_ratio: Box<serde_json::value::RawValue>,
        }
        let miss_ratio =
            serde_json::value::RawValue::from_string(ratio_string(self.misses, self.requests))
                .expect("a decimal number is valid JSON");
        let line = Line {
            policy: self.policy,
            cache_size: self.cache_size,
            requests: self.requests,
            misses: self.misses,
            miss_ratio,
        };
        serde_json::to_string(&line).expect("these fields always serialize")
    }

    /// A readable aligned table (header and one row).
    pub fn table(&self, size: CacheSize) -> String {
        let size_s = match size {
            CacheSize::Bytes(b) => format!("{b} B"),
            CacheSize::Objects(n) => format!("{n} obj"),
        };
        format!(
            "{:<8} {:>16} {:>10} {:>10} {:>10}\n{:<8} {:>16} {:>10} {:>10} {:>10}\n",
            "policy",
            "cache_size",
            "requests",
            "misses",
            "miss_ratio",
            self.policy,
            size_s,
            self.requests,
            self.misses,
            ratio_string(self.misses, self.requests)
        )
    }
}

/// Parsed `lrn sim` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimArgs {
    /// `--trace`.
    pub trace: String,
    /// `--format`.
    pub format: Format,
    /// `--policy`.
    pub policy: PolicyName,
    /// `--cache-size`.
    pub size: CacheSize,
    /// `--json`.
    pub json: bool,
    /// `--model`: the model of `learned` (default [`DEFAULT_RECLAIM_MODEL`]) or of `ranker`
    /// (default [`DEFAULT_EVICT_MODEL`]).
    pub model: Option<String>,
    /// `--max-keeps` (learned; the kernel's `evict/max_keeps`).
    pub max_keeps: u32,
    /// `--insert` (learned; the kernel's `evict/insert`).
    pub insert: InsertRule,
}

/// The shipped eviction ranker, used by `--policy ranker` without `--model`.
pub const DEFAULT_EVICT_MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../models/evict-ranker.lmod"
);
/// The shipped reclaim model (the kernel's), used by `--policy learned` without
/// `--model`.
pub const DEFAULT_RECLAIM_MODEL: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/evict.lmod");

/// Simulates one policy over a trace: the misses of a cache of one size.
///
/// Prints a table (policy, cache size, requests, misses, miss ratio), or with --json one
/// line of JSON. The linux policies also print the hook's counters (not with --json).
#[derive(Debug, Clone, clap::Args)]
pub struct SimCli {
    /// The trace file.
    #[arg(long, value_name = "PATH")]
    pub trace: String,
    /// The trace format: oracleGeneral, csv or txt.
    ///
    /// oracleGeneral: libCacheSim's binary records (with next accesses); csv: a header
    /// naming obj_id (or id) and optionally obj_size (or size), other columns ignored; txt:
    /// one decimal object id per line, unit size.
    #[arg(long, value_name = "oracleGeneral|csv|txt", value_parser = Format::parse)]
    pub format: Format,
    /// The policy: lru fifo clock sieve arc s3fifo lirs belady linux learned ranker.
    ///
    /// linux: Linux 6.12's two-list page-cache reclaim; learned: the kernel module's policy,
    /// that reclaim with the learned hook, its guard and --insert, from the same source
    /// (linux-learned is an older name for it); both print the hook's counters; ranker: the
    /// simulator-only ranker, unguarded, default model models/evict-ranker.lmod.
    #[arg(long, value_name = "NAME", value_parser = PolicyName::parse)]
    pub policy: PolicyName,
    /// The cache size: bytes with a unit, or a bare integer, a number of objects.
    ///
    /// Bytes: 512MiB, 1GiB, 4KiB, 100B, 2TiB (powers of 1024), 10KB, 5MB, 1GB, 1TB (powers
    /// of 1000). A bare integer is a number of objects: every object then counts as size 1.
    #[arg(long = "cache-size", value_name = "SIZE", value_parser = parse_size)]
    pub cache_size: CacheSize,
    /// One line of JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The model of learned (default models/evict.lmod) or of ranker (default
    /// models/evict-ranker.lmod).
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// How many times learned may keep a page against the kernel without it being accessed
    /// (the kernel's evict/max_keeps).
    #[arg(long = "max-keeps", value_name = "N",
          default_value_t = learned_core::cache::reclaim::DEFAULT_MAX_KEEPS)]
    pub max_keeps: u32,
    /// The insertion rule of learned (the kernel's evict/insert): stock, cold or duel.
    #[arg(long, value_name = "stock|cold|duel", value_parser = parse_insert,
          default_value = DEFAULT_INSERT.name())]
    pub insert: InsertRule,
}

impl SimCli {
    /// The simulation these arguments ask for.
    pub fn into_args(self) -> SimArgs {
        SimArgs {
            trace: self.trace,
            format: self.format,
            policy: self.policy,
            size: self.cache_size,
            json: self.json,
            model: self.model,
            max_keeps: self.max_keeps,
            insert: self.insert,
        }
    }
}

/// An insertion rule named on the command line (`stock`, `cold` or `duel`).
pub fn parse_insert(v: &str) -> Result<InsertRule, Error> {
    InsertRule::parse(v.as_bytes())
        .ok_or_else(|| Error(format!("bad --insert {v:?}: stock, cold or duel")))
}

/// Runs `lrn sim`: returns what to print on stdout.
pub fn run_sim(args: &SimArgs) -> Result<String, Error> {
    let reqs = load_trace(&args.trace, args.format)?;
    let mut extra = String::new();
    let stats = if matches!(args.policy, PolicyName::Linux | PolicyName::Learned) {
        let learned = args.policy == PolicyName::Learned;
        let model = if learned {
            let path = args.model.as_deref().unwrap_or(DEFAULT_RECLAIM_MODEL);
            Some(std::fs::read(path).map_err(|e| Error(format!("cannot read model {path}: {e}")))?)
        } else {
            None
        };
        let run = evalrun::simulate_linux(
            &reqs,
            args.size,
            model.as_deref(),
            learned,
            args.max_keeps,
            args.insert,
        )?;
        if !args.json {
            extra = run.describe();
        }
        run.stats
    } else if args.policy == PolicyName::Ranker {
        let path = args.model.as_deref().unwrap_or(DEFAULT_EVICT_MODEL);
        let model =
            std::fs::read(path).map_err(|e| Error(format!("cannot read model {path}: {e}")))?;
        evalrun::simulate_learned(
            &reqs,
            args.size,
            Some(&model),
            learned_sim::ranker::DEFAULT_CANDIDATES,
        )?
    } else {
        simulate(&reqs, args.policy, args.size)?
    };
    let rep = Report {
        policy: args.policy.name(),
        cache_size: args.size.value(),
        requests: stats.requests,
        misses: stats.misses,
    };
    Ok(if args.json {
        rep.json() + "\n"
    } else {
        rep.table(args.size) + &extra
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MiB"), Ok(CacheSize::Bytes(512 << 20)));
        assert_eq!(parse_size("1GiB"), Ok(CacheSize::Bytes(1 << 30)));
        assert_eq!(parse_size("4KiB"), Ok(CacheSize::Bytes(4096)));
        assert_eq!(parse_size("100B"), Ok(CacheSize::Bytes(100)));
        assert_eq!(parse_size("5MB"), Ok(CacheSize::Bytes(5_000_000)));
        assert_eq!(parse_size("2GB"), Ok(CacheSize::Bytes(2_000_000_000)));
        assert_eq!(parse_size("1000"), Ok(CacheSize::Objects(1000)));
        assert!(parse_size("").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("-5").is_err());
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999TiB").is_err());
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio_string(1, 3), "0.333333");
        assert_eq!(ratio_string(2, 3), "0.666667");
        assert_eq!(ratio_string(5, 5), "1.000000");
        assert_eq!(ratio_string(0, 0), "0.000000");
    }

    #[test]
    fn next_access_and_formats() {
        let r = parse_txt("1\n2\n\n1\n3\n2\n").unwrap();
        let next: Vec<i64> = r.iter().map(|r| r.next_access).collect();
        assert_eq!(next, vec![2, 4, -1, -1, -1]);
        let c = parse_csv("timestamp,obj_id,obj_size\n0,5,100\n1,6,200\n2,5,100\n").unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].id, c[0].size, c[0].next_access), (5, 100, 2));
        assert!(parse_csv("a,b\n1,2\n").is_err());
        assert!(parse_csv("obj_id\nx\n").is_err());
        assert!(parse_txt("1\nfoo\n").is_err());
        assert!(parse_oracle(&[0u8; 25]).is_err());
    }

    #[test]
    fn small_simulations() {
        let r = parse_txt("1\n2\n3\n1\n4\n2\n1\n3\n").unwrap();
        let s = simulate(&r, PolicyName::Lru, CacheSize::Objects(3)).unwrap();
        assert_eq!((s.requests, s.misses), (8, 6));
        let s = simulate(&r, PolicyName::Belady, CacheSize::Objects(3)).unwrap();
        assert_eq!(s.misses, 5);
        assert!(simulate(&r, PolicyName::Ranker, CacheSize::Objects(3)).is_err());
    }
}
