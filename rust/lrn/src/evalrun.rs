// SPDX-License-Identifier: GPL-2.0

//! Held-out evaluation: miss ratios of LRU, LIRS, S3-FIFO, Belady and the learned ranker on
//! the trailing part of a trace (the part training did not see), at several cache sizes, as
//! rows, a Markdown table and an SVG plot.
//!
//! The held-out part is simulated as a trace of its own: caches start empty, and next
//! accesses (for Belady) are recomputed within it.

#![allow(clippy::float_arithmetic)]

use std::fmt::Write as _;

use learned_core::cache::guard::{EvictGuard, GuardStats};
use learned_core::cache::history::{History, FEATURES};
use learned_core::cache::insert::{Duel, InsertRule};
use learned_core::cache::linux::{Hook, HookStats, Linux};
use learned_core::cache::pagehist::{Entry, Meta, Table};
use learned_core::cache::reclaim::{Evictor, Fallback, Verdict};
use learned_core::cache::shadow::{DuelShadows, DuelState, Shadow, ShadowState};
use learned_core::cache::store::{Slot, Store};
use learned_core::cache::{Policy, Request, Stats};
use learned_core::model::format::parse;
use learned_core::model::memo::ClassMemo;
use learned_core::model::mlp::Mlp;
use learned_core::model::schema;
use learned_sim::ranker::{Learned, DEFAULT_CANDIDATES};

use crate::{
    distinct_objects, fill_next_access, ratio_string, simulate_with, CacheSize, Error, PolicyName,
};

/// The policies of a row, in column order.
pub const POLICIES: [&str; 5] = ["lru", "lirs", "s3fifo", "belady", "ranker"];

/// The default evaluation sizes, in MiB.
pub const DEFAULT_SIZES_MIB: [u64; 5] = [32, 64, 128, 256, 512];

/// The miss counts of every policy at one cache size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalRow {
    /// The cache size (bytes, or objects).
    pub cache_size: CacheSize,
    /// Requests simulated.
    pub requests: u64,
    /// Misses per policy, in [`POLICIES`] order.
    pub misses: [u64; 5],
}

/// The trailing `holdout` fraction of `reqs`, with next accesses recomputed within it.
pub fn holdout_part(reqs: &[Request], holdout: f64) -> Result<Vec<Request>, Error> {
    if !(holdout > 0.0 && holdout <= 1.0) {
        return Err(Error(format!("--holdout must be in (0, 1], not {holdout}")));
    }
    // The training part is `floor(len * (1 - holdout))` requests, as `train` splits it.
    let n_train = ((reqs.len() as f64) * (1.0 - holdout)).floor() as usize;
    let mut part = reqs[n_train.min(reqs.len())..].to_vec();
    fill_next_access(&mut part);
    Ok(part)
}

/// Checks that `bytes` is an EVICT v1 MLP model.
pub fn check_model(bytes: &[u8]) -> Result<(), Error> {
    let m = parse(bytes).map_err(|e| Error(format!("bad model: {}", e.reason())))?;
    let h = m.header();
    if h.schema_id != schema::EVICT || h.schema_version != schema::EVICT_VERSION {
        return Err(Error(format!(
            "model schema is {} v{}, not evict v{}",
            schema::name(h.schema_id),
            h.schema_version,
            schema::EVICT_VERSION
        )));
    }
    if m.mlp().is_none() {
        return Err(Error("model is not an MLP".into()));
    }
    Ok(())
}

/// The MLP of `model`, an EVICT v1 `.lmod` checked with [`check_model`]; `None` without one.
fn checked_mlp(model: Option<&[u8]>) -> Result<Option<Mlp<'_>>, Error> {
    match model {
        Some(b) => {
            check_model(b)?;
            Ok(parse(b).ok().and_then(|m| m.mlp()))
        }
        None => Ok(None),
    }
}

/// Runs the learned ranker (with `model`, or as LRU with `None`) over `reqs`, scoring `k`
/// candidates per eviction.
pub fn simulate_learned(
    reqs: &[Request],
    size: CacheSize,
    model: Option<&[u8]>,
    k: usize,
) -> Result<Stats, Error> {
    let mlp = checked_mlp(model)?;
    let distinct = distinct_objects(reqs).max(1);
    let mut slots = vec![Slot::EMPTY; distinct];
    let mut index = vec![0u32; Store::buckets_for(distinct)];
    let mut hist = vec![History::EMPTY; distinct];
    let store = Store::new(&mut slots, &mut index)
        .map_err(|e| Error(format!("cannot build the cache store: {e:?}")))?;
    let mut p = Learned::new(size.value(), store, &mut hist, mlp, k)
        .map_err(|e| Error(format!("cannot build the ranker: {e:?}")))?;
    let unit = matches!(size, CacheSize::Objects(_));
    for r in reqs {
        if unit {
            p.access(&Request { size: 1, ..*r });
        } else {
            p.access(r);
        }
    }
    Ok(p.stats())
}

/// A run of the Linux reclaim simulator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinuxRun {
    /// Hits and misses.
    pub stats: Stats,
    /// What the hook answered.
    pub hook: HookStats,
    /// The guard at the end.
    pub guard: GuardStats,
}

impl LinuxRun {
    /// The hook's and the guard's counters, one `key value` per line.
    pub fn describe(&self) -> String {
        let h = &self.hook;
        let g = &self.guard;
        let mut s = format!("hook_asked {}\n", h.asked);
        for (v, n) in ["default", "reclaim", "keep", "activate"]
            .iter()
            .zip(h.model)
        {
            let _ = writeln!(s, "model_{v} {n}");
        }
        let _ = writeln!(s, "model_recalled {}", h.recalled);
        for f in Fallback::ALL {
            let _ = writeln!(s, "fallback_{} {}", f.name(), h.fallback[f as usize]);
        }
        let _ = writeln!(s, "refault_activations {}", h.refault_activations);
        let _ = writeln!(
            s,
            "guard_trips {}\nguard_windows {}\nguard_calibrations {}\nguard_bias_permille {}\nguard_last_reads {}\nguard_last_expected {}",
            g.trips, g.windows, g.calibrations, g.bias_permille, g.last_reads, g.last_expected
        );
        s
    }
}

/// The number of page-history entries the simulator uses: the kernel module's default.
pub const HISTORY_ENTRIES: usize = 1 << 17;
/// The slots of the guard's shadow: the kernel module's default.
pub const SHADOW_SLOTS: usize = 1 << 14;

/// The memory of one miniature simulation: the kernel module's size.
fn shadow_mem() -> (Vec<Slot>, Vec<u32>) {
    (
        vec![Slot::EMPTY; SHADOW_SLOTS],
        vec![0u32; Store::buckets_for(SHADOW_SLOTS)],
    )
}

/// Runs Linux's reclaim over `reqs` (every request one page of `size`'s unit) with the learned
/// hook `enabled`, `model` (an EVICT v1 `.lmod`, checked) loaded and `max_keeps` (the
/// kernel's `evict/max_keeps`) and `insert` (`evict/insert`).
pub fn simulate_linux(
    reqs: &[Request],
    size: CacheSize,
    model: Option<&[u8]>,
    enabled: bool,
    max_keeps: u32,
    insert: InsertRule,
) -> Result<LinuxRun, Error> {
    let gate = true;
    simulate_linux_observe(
        reqs,
        size,
        model,
        enabled,
        max_keeps,
        insert,
        gate,
        |_, _, _| {},
    )
}

/// [`simulate_linux`], handing `observe` the request index, the object id and the features of
/// every page offered to the hook; with the keep gate ([`learned_core::cache::keepgate`]) if
/// `keep_gate` (the module always has it: without it is for tests of the guard alone).
#[allow(clippy::too_many_arguments)]
pub fn simulate_linux_observe<F: FnMut(usize, u64, &[i8; FEATURES])>(
    reqs: &[Request],
    size: CacheSize,
    model: Option<&[u8]>,
    enabled: bool,
    max_keeps: u32,
    insert: InsertRule,
    keep_gate: bool,
    mut observe: F,
) -> Result<LinuxRun, Error> {
    let mlp = checked_mlp(model)?;
    let distinct = distinct_objects(reqs).max(1);
    let unit = matches!(size, CacheSize::Objects(_));
    let page = if unit {
        1
    } else {
        u64::from(reqs.first().map_or(1, |r| r.size.max(1)))
    };
    let slots_n = distinct.min(usize::try_from(size.value() / page * 3).unwrap_or(usize::MAX) + 8);
    let mut slots = vec![Slot::EMPTY; slots_n];
    let mut index = vec![0u32; Store::buckets_for(slots_n)];
    let store = Store::new(&mut slots, &mut index)
        .map_err(|e| Error(format!("cannot build the cache store: {e:?}")))?;
    let entries: Vec<Entry> = (0..HISTORY_ENTRIES).map(|_| Entry::new()).collect();
    let meta = Meta::new();
    let guard = EvictGuard::new();
    let table = Table::new(&meta, &entries).ok_or_else(|| Error("bad history size".into()))?;
    let mut shadow = shadow_mem();
    let mut shadow_state = ShadowState::new();
    let (mut duel_stock, mut duel_cold) = (shadow_mem(), shadow_mem());
    let mut duel_state = DuelState::new();
    let duel = Duel::new();
    let memo = ClassMemo::new();
    let gate = learned_core::cache::keepgate::KeepGate::new();
    let mut evictor = Evictor::new(table, &guard);
    evictor.keep_gate = keep_gate.then_some(&gate);
    evictor.memo = Some(&memo);
    evictor.max_keeps = max_keeps;
    evictor.insert = insert;
    evictor.duel = &duel;
    let hook = Hook {
        evictor,
        model: mlp,
        enabled,
        shadow: Some(Shadow::new(&mut shadow.0, &mut shadow.1, &mut shadow_state)),
        duel_shadows: Some(DuelShadows::new(
            (&mut duel_stock.0, &mut duel_stock.1),
            (&mut duel_cold.0, &mut duel_cold.1),
            &mut duel_state,
        )),
    };
    let mut p = Linux::with_hook(size.value(), store, hook);
    for (t, r) in reqs.iter().enumerate() {
        let req = if unit { Request { size: 1, ..*r } } else { *r };
        p.access_observe(&req, |id, x| observe(t, id, x));
    }
    Ok(LinuxRun {
        stats: p.stats(),
        hook: p.hook_stats(),
        guard: guard.stats(),
    })
}

/// Evaluates every policy of [`POLICIES`] on the held-out part of `reqs` (see
/// [`holdout_part`]) at each of `sizes`, the learned ranker with `model`.
pub fn eval(
    reqs: &[Request],
    model: &[u8],
    holdout: f64,
    sizes: &[CacheSize],
) -> Result<Vec<EvalRow>, Error> {
    check_model(model)?;
    let part = holdout_part(reqs, holdout)?;
    let distinct = distinct_objects(&part);
    let mut rows = Vec::new();
    for &size in sizes {
        let mut misses = [0u64; 5];
        let base = [
            PolicyName::Lru,
            PolicyName::Lirs,
            PolicyName::S3Fifo,
            PolicyName::Belady,
        ];
        for (m, p) in misses.iter_mut().zip(base) {
            *m = simulate_with(&part, p, size, distinct)?.misses;
        }
        misses[4] = simulate_learned(&part, size, Some(model), DEFAULT_CANDIDATES)?.misses;
        rows.push(EvalRow {
            cache_size: size,
            requests: part.len() as u64,
            misses,
        });
    }
    Ok(rows)
}

/// A size for display: `64 MiB`, `100 B`, `500 obj`.
pub fn size_label(s: CacheSize) -> String {
    match s {
        CacheSize::Bytes(b) if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        CacheSize::Bytes(b) => format!("{b} B"),
        CacheSize::Objects(n) => format!("{n} obj"),
    }
}

/// The rows as a Markdown table of miss ratios (misses in parentheses).
pub fn markdown(rows: &[EvalRow]) -> String {
    let mut s = String::from("| cache size | requests |");
    for p in POLICIES {
        let _ = write!(s, " {p} |");
    }
    s.push_str("\n|---|---|");
    for _ in POLICIES {
        s.push_str("---|");
    }
    s.push('\n');
    for r in rows {
        let _ = write!(s, "| {} | {} |", size_label(r.cache_size), r.requests);
        for m in r.misses {
            let _ = write!(s, " {} ({m}) |", ratio_string(m, r.requests));
        }
        s.push('\n');
    }
    s
}

/// The rows as an SVG line plot: miss ratio against cache size (log scale), one line per
/// policy.
pub fn svg(rows: &[EvalRow]) -> String {
    let (w, h) = (640.0, 400.0);
    let (left, right, top, bottom) = (60.0, 120.0, 20.0, 50.0);
    let pw = w - left - right;
    let ph = h - top - bottom;
    let ratio = |m: u64, n: u64| if n == 0 { 0.0 } else { m as f64 / n as f64 };
    let mut ymax: f64 = 0.0;
    let mut ymin: f64 = 1.0;
    for r in rows {
        for &m in &r.misses {
            let v = ratio(m, r.requests);
            ymax = ymax.max(v);
            ymin = ymin.min(v);
        }
    }
    let ymin = ((ymin * 10.0).floor() / 10.0).max(0.0);
    let ymax = ((ymax * 10.0).ceil() / 10.0).max(ymin + 0.1);
    let n = rows.len();
    let x_of = |i: usize| {
        if n <= 1 {
            left + pw / 2.0
        } else {
            left + pw * i as f64 / (n - 1) as f64
        }
    };
    let y_of = |v: f64| top + ph * (1.0 - (v - ymin) / (ymax - ymin));
    let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#7f7f7f", "#d62728"];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    );
    // Axes and grid.
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"black\"/>",
        top + ph,
        left + pw,
        top + ph
    );
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{}\" stroke=\"black\"/>",
        top + ph
    );
    let steps = ((ymax - ymin) * 10.0).round() as usize;
    for k in 0..=steps {
        let v = ymin + k as f64 / 10.0;
        let y = y_of(v);
        let _ = writeln!(
            s,
            "<line x1=\"{left}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.1}</text>",
            left + pw,
            left - 6.0,
            y + 4.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x_of(i),
            top + ph + 18.0,
            size_label(r.cache_size)
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">cache size (held-out part)</text>",
        left + pw / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        s,
        "<text x=\"14\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {:.1})\">miss ratio</text>",
        top + ph / 2.0,
        top + ph / 2.0
    );
    for (pi, p) in POLICIES.iter().enumerate() {
        let color = colors[pi % colors.len()];
        let pts: Vec<String> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                format!(
                    "{:.1},{:.1}",
                    x_of(i),
                    y_of(ratio(r.misses[pi], r.requests))
                )
            })
            .collect();
        let dash = if *p == "belady" {
            " stroke-dasharray=\"4 3\""
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>",
            pts.join(" ")
        );
        for pt in &pts {
            let (x, y) = pt.split_once(',').unwrap_or(("0", "0"));
            let _ = writeln!(
                s,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"{color}\"/>"
            );
        }
        let ly = top + 10.0 + 18.0 * pi as f64;
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{p}</text>",
            left + pw + 12.0,
            left + pw + 32.0,
            left + pw + 38.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    s
}

/// Writes `eval.md` and `eval.svg` into `dir` (created if missing).
pub fn write_outputs(rows: &[EvalRow], dir: &str) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error(format!("cannot create {dir}: {e}")))?;
    for (name, body) in [("eval.md", markdown(rows)), ("eval.svg", svg(rows))] {
        let path = format!("{dir}/{name}");
        std::fs::write(&path, body).map_err(|e| Error(format!("cannot write {path}: {e}")))?;
    }
    Ok(())
}

/// Evaluates the simulator-only ranker against lru, lirs, s3fifo and belady on the part of a
/// trace it was not trained on.
///
/// Miss ratios of lru, lirs, s3fifo, belady and the ranker (with --model) on the last F of
/// the trace (--holdout), simulated as a trace of its own, at each --cache-size (default 32,
/// 64, 128, 256 and 512 MiB). Writes DIR/eval.md and DIR/eval.svg and prints the table.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalCli {
    /// The trace file.
    #[arg(long, value_name = "PATH")]
    pub trace: String,
    /// The trace format: oracleGeneral, csv or txt (as for lrn sim).
    #[arg(long, value_name = "oracleGeneral|csv|txt", value_parser = crate::Format::parse)]
    pub format: crate::Format,
    /// The ranker's model file.
    #[arg(long, value_name = "FILE")]
    pub model: String,
    /// The trailing fraction of the trace evaluated, between 0 and 1.
    #[arg(long, value_name = "F", default_value_t = 0.5, value_parser = crate::parse_fraction)]
    pub holdout: f64,
    /// A cache size, as for lrn sim (repeatable, in order).
    #[arg(long = "cache-size", value_name = "SIZE", value_parser = crate::parse_size)]
    pub cache_size: Vec<CacheSize>,
    /// The output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: String,
}

impl EvalCli {
    /// Runs `lrn eval`: creates the output directory, then [`run_eval`].
    pub fn run(&self) -> Result<String, Error> {
        let out = &self.out;
        std::fs::create_dir_all(out).map_err(|e| Error(format!("cannot create {out}: {e}")))?;
        run_eval(
            &self.trace,
            self.format,
            &self.model,
            self.holdout,
            &self.cache_size,
            out,
        )
    }
}

/// `lrn eval`: loads the trace and the model, evaluates at `sizes` (the
/// [`DEFAULT_SIZES_MIB`] when empty), writes `eval.md`/`eval.svg` into `out`, and returns
/// the Markdown table to print.
pub fn run_eval(
    trace: &str,
    format: crate::Format,
    model: &str,
    holdout: f64,
    sizes: &[CacheSize],
    out: &str,
) -> Result<String, Error> {
    let reqs = crate::load_trace(trace, format)?;
    let bytes = std::fs::read(model).map_err(|e| Error(format!("cannot read {model}: {e}")))?;
    let default: Vec<CacheSize> = DEFAULT_SIZES_MIB
        .iter()
        .map(|m| CacheSize::Bytes(m << 20))
        .collect();
    let sizes = if sizes.is_empty() { &default } else { sizes };
    let rows = eval(&reqs, &bytes, holdout, sizes)?;
    write_outputs(&rows, out)?;
    Ok(markdown(&rows))
}

/// Runs Linux's reclaim over `reqs` with an oracle at the hook (see
/// [`Linux::with_oracle`]): a page offered to the hook is kept for another round when its
/// next use is at most `keep_horizon` requests away, reclaimed otherwise; with
/// `cold_horizon`, a missed page whose next use is further than that (or never) is inserted
/// at the inactive tail instead of the head (a lever the kernel's hook does not have today).
/// Host-only: a measurement of the headroom of the levers, never a policy.
pub fn simulate_linux_oracle(
    reqs: &[Request],
    size: CacheSize,
    keep_horizon: u64,
    cold_horizon: Option<u64>,
) -> Result<Stats, Error> {
    let distinct = distinct_objects(reqs).max(1);
    let slots_n = distinct.min(usize::try_from(size.value() * 3).unwrap_or(usize::MAX) + 8);
    let mut slots = vec![Slot::EMPTY; slots_n];
    let mut index = vec![0u32; Store::buckets_for(slots_n)];
    let store = Store::new(&mut slots, &mut index)
        .map_err(|e| Error(format!("cannot build the cache store: {e:?}")))?;
    // The current request, and the next use of every object as of it.
    let next = std::cell::RefCell::new((0u64, std::collections::HashMap::<u64, i64>::new()));
    let within = |id: u64, h: u64| {
        let n = next.borrow();
        matches!(n.1.get(&id), Some(&t) if t >= 0 && (t as u64).saturating_sub(n.0) <= h)
    };
    let oracle = |id: u64| {
        if within(id, keep_horizon) {
            Verdict::Keep
        } else {
            Verdict::Reclaim
        }
    };
    let cold = |id: u64, _: Option<u64>| cold_horizon.is_some_and(|h| !within(id, h));
    let mut p = Linux::with_oracle(size.value(), store, &oracle);
    p.insert_cold = Some(&cold);
    for (t, r) in reqs.iter().enumerate() {
        {
            let mut n = next.borrow_mut();
            n.0 = t as u64;
            n.1.insert(r.id, r.next_access);
        }
        p.access(&Request { size: 1, ..*r });
    }
    Ok(p.stats())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A loop over twice the cache: stock reclaim misses every request. The oracle at the hook
    /// can only rotate the inactive list; with cold insertion too it keeps part of the loop
    /// resident and hits, as Belady does.
    #[test]
    fn oracle_levers_on_a_loop() {
        let ids: Vec<u64> = (0..20_000u64).map(|i| i % 200).collect();
        let reqs = crate::corpus::requests(&ids);
        let cs = CacheSize::Objects(100);
        let stock = simulate_linux(&reqs, cs, None, false, 4, InsertRule::Stock)
            .expect("runs")
            .stats
            .misses;
        let hook = simulate_linux_oracle(&reqs, cs, 400, None)
            .expect("runs")
            .misses;
        let both = simulate_linux_oracle(&reqs, cs, 400, Some(100))
            .expect("runs")
            .misses;
        let opt = crate::simulate(&reqs, crate::PolicyName::Belady, cs)
            .expect("runs")
            .misses;
        assert_eq!(stock, 20_000);
        assert!(hook <= stock);
        assert!(both < stock * 4 / 5, "{hook} {both}");
        assert!(opt <= both);
    }
}
