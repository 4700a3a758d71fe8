// SPDX-License-Identifier: GPL-2.0

//! The buffer-cache sizer on the host: a simulator that runs the kernel's decision loop over a
//! trace, and the trainer of `sizer` v1 models.
//!
//! # The simulator
//!
//! [`simulate`] replays a trace of page keys through an LRU cache whose capacity is the
//! sizer's limit, and through the kernel's own code from learned-core: the SHARDS curve
//! ([`learned_core::sizer::shards_config`]), the interval bookkeeping and early decisions
//! ([`Interval`]), the features, the rules or a model ([`propose`]) and the limiter
//! ([`learned_core::sizer::limiter_config`]). An interval is [`SimConfig::interval`]
//! accesses (the kernel's 100 ms are about 25,000 reads under TCG). It counts misses and
//! memory-time (the cache's occupancy summed over accesses) per phase, like `make
//! bench-sizer` counts disk reads and memory-time per phase.
//!
//! # Labels and training
//!
//! A decision's label is the size it should have chosen: the smallest candidate at which an
//! LRU cache would have met the goal over the next [`SimConfig::horizon`] intervals, not
//! counting first accesses (no size helps them), from the exact stack distances (Mattson)
//! over the whole trace. So a working set that grows is labelled with its future size,
//! which the rules can only see after it has been read.
//!
//! [`train`] generates seeded phase traces ([`gen_trace`]: working sets that grow, shrink
//! and move, uniform or skewed), runs the rules over them for samples (the features at every
//! decision and its label), trains an MLP (`20-32-32-16`, [`crate::train::fit`]), then runs
//! one round of dataset aggregation: the model drives the simulator on the same traces, the
//! states it visits are labelled and added, and the model is trained again. Validation is on
//! traces generated with other seeds.

#![allow(clippy::float_arithmetic)]

use std::collections::{BTreeMap, HashMap};

use learned_core::model::format::{parse, ModelMeta};
use learned_core::model::mlp::Mlp;
use learned_core::model::schema;
use learned_core::mrc::decide::{Curve, Limiter};
use learned_core::mrc::exact::Exact;
use learned_core::mrc::hist::Hist;
use learned_core::mrc::shards::{Sample, Shards};
use learned_core::sizer::{
    candidate_sizes, features, limiter_config, model_class, propose, shards_config, stale, Goal,
    Interval, Signals, Source, AGE_SHIFT, CLASSES, FEATURES, MIN_SAMPLED, POINTS,
};

use crate::quantize::{self, float_argmax};
use crate::train::{fit, init_net, FitConfig, Rng};
use crate::Error;

/// Bytes per page.
const PAGE: u64 = 4096;

/// How the simulator runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimConfig {
    /// The smallest limit, pages.
    pub min: u32,
    /// The largest limit, pages.
    pub max: u32,
    /// Accesses per interval.
    pub interval: u64,
    /// The goal the rules (and the labels) aim at.
    pub goal: Goal,
    /// Intervals a label looks ahead.
    pub horizon: usize,
    /// The curve ages by `2^-age_shift` per interval.
    pub age_shift: u32,
}

impl SimConfig {
    /// The benchmark's setting at `mib` MiB: bounds `mib/32..mib` MiB, 25,000 accesses per
    /// interval, goal 995 with margin 5, labels 4 intervals ahead.
    pub fn for_mib(mib: u64) -> Self {
        let pages = |b: u64| u32::try_from(b / PAGE).unwrap_or(u32::MAX);
        Self {
            min: pages((mib << 20) / 32),
            max: pages(mib << 20),
            interval: 25_000,
            goal: Goal {
                hit_pm: 995,
                margin_pm: 5,
                cost_weight_pm: 0,
            },
            horizon: 4,
            age_shift: AGE_SHIFT,
        }
    }

    /// The candidate sizes.
    pub fn sizes(&self) -> Result<[u32; POINTS], Error> {
        let mut s = [0u32; POINTS];
        candidate_sizes(self.min, self.max, &mut s)
            .map_err(|_| Error(format!("bad bounds {}..{} pages", self.min, self.max)))?;
        Ok(s)
    }
}

/// Who sets the limit.
#[derive(Clone, Copy)]
pub enum Policy<'a> {
    /// A fixed limit, pages.
    Fixed(u32),
    /// The sizer's exact rules.
    Rules,
    /// The sizer with a model.
    Model(&'a Mlp<'a>),
}

/// One decision of a simulated sizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Accesses before it.
    pub at: u64,
    /// The model's inputs there.
    pub features: [i8; FEATURES],
    /// Who chose the proposal.
    pub source: Source,
    /// The candidate the rules would have chosen (whoever decided).
    pub rules_class: usize,
    /// The limit after it, pages.
    pub limit: u32,
}

/// One phase's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PhaseResult {
    /// Accesses.
    pub accesses: u64,
    /// Misses.
    pub misses: u64,
    /// The cache's occupancy summed over the accesses, page-accesses.
    pub mem: u128,
}

/// What a simulation saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SimResult {
    /// Per phase.
    pub phases: Vec<PhaseResult>,
    /// Every decision.
    pub decisions: Vec<Decision>,
    /// Early decisions.
    pub kicks: u64,
}

impl SimResult {
    /// The totals over the phases.
    pub fn total(&self) -> PhaseResult {
        self.phases
            .iter()
            .fold(PhaseResult::default(), |a, p| PhaseResult {
                accesses: a.accesses + p.accesses,
                misses: a.misses + p.misses,
                mem: a.mem + p.mem,
            })
    }
}

/// An LRU cache of keys whose capacity can change (host only).
struct Lru {
    cap: usize,
    stamp: u64,
    by_key: HashMap<u64, u64>,
    by_stamp: BTreeMap<u64, u64>,
}

impl Lru {
    fn new(cap: u32) -> Self {
        Self {
            cap: cap.max(1) as usize,
            stamp: 0,
            by_key: HashMap::new(),
            by_stamp: BTreeMap::new(),
        }
    }

    /// Whether `key` hit.
    fn access(&mut self, key: u64) -> bool {
        self.stamp += 1;
        let hit = match self.by_key.insert(key, self.stamp) {
            Some(old) => {
                self.by_stamp.remove(&old);
                true
            }
            None => false,
        };
        self.by_stamp.insert(self.stamp, key);
        self.shrink();
        hit
    }

    fn set_capacity(&mut self, cap: u32) {
        self.cap = cap.max(1) as usize;
        self.shrink();
    }

    fn shrink(&mut self) {
        while self.by_key.len() > self.cap {
            let Some((_, key)) = self.by_stamp.pop_first() else {
                return;
            };
            self.by_key.remove(&key);
        }
    }

    fn len(&self) -> usize {
        self.by_key.len()
    }
}

/// The kernel's sizer state for one run, with its curve's memory.
struct Sizer {
    samples: Vec<Sample>,
    words: Vec<u32>,
    hist: Vec<u64>,
    limiter: Limiter,
    window: Interval,
}

/// Runs `policy` over `keys`, whose phases end at `phase_ends` (ascending; the last is
/// `keys.len()`, or the trace is one phase).
pub fn simulate(
    keys: &[u64],
    phase_ends: &[u64],
    cfg: &SimConfig,
    policy: Policy<'_>,
) -> Result<SimResult, Error> {
    let sizes = cfg.sizes()?;
    let ends: Vec<u64> = if phase_ends.is_empty() {
        vec![keys.len() as u64]
    } else {
        phase_ends.to_vec()
    };
    let initial = match policy {
        Policy::Fixed(p) => p,
        _ => cfg.max,
    };
    let mut cache = Lru::new(initial);
    let scfg = shards_config(cfg.max);
    let mut sz = Sizer {
        samples: vec![Sample::EMPTY; scfg.s_max as usize],
        words: vec![0; Shards::words_for(scfg.s_max)],
        hist: vec![0; Hist::buckets_for(POINTS)],
        limiter: Limiter::new(limiter_config(cfg.min, cfg.max), initial)
            .map_err(|_| Error("bad limiter bounds".into()))?,
        window: Interval::new(),
    };
    let mut shards = Shards::new(&mut sz.samples, &mut sz.words, &sizes, &mut sz.hist, scfg)
        .map_err(|e| Error(format!("shards: {e:?}")))?;
    let mut res = SimResult {
        phases: vec![PhaseResult::default(); ends.len()],
        ..SimResult::default()
    };
    let mut phase = 0;
    let mut next_tick = cfg.interval;
    for (i, &key) in keys.iter().enumerate() {
        let i = i as u64;
        while phase + 1 < ends.len() && i >= ends[phase] {
            phase += 1;
        }
        let hit = cache.access(key);
        let p = &mut res.phases[phase];
        p.accesses += 1;
        p.misses += u64::from(!hit);
        p.mem += cache.len() as u128;
        if matches!(policy, Policy::Fixed(_)) {
            continue;
        }
        shards.access(key);
        let early = sz.window.kick(&shards.stats());
        if early {
            res.kicks += 1;
        }
        if !(early || i + 1 >= next_tick) {
            continue;
        }
        next_tick = i + 1 + cfg.interval;
        // The kernel's `Sizer::decide`, in the same order.
        let mut miss = [0u32; POINTS];
        shards.curve(&mut miss);
        let st = shards.stats();
        if st.sampled >= MIN_SAMPLED {
            shards.age_by(cfg.age_shift);
        }
        let aged = shards.stats();
        if stale(st.rate_ppm, cfg.max) {
            shards.reset();
            sz.window = Interval::new();
            continue;
        }
        if st.sampled < MIN_SAMPLED {
            continue;
        }
        let (fresh_ppm, prev_fresh_ppm) = sz.window.close(&st, &aged, early);
        let curve = Curve::new(&sizes, &miss).map_err(|e| Error(format!("curve: {e:?}")))?;
        let signals = Signals {
            fresh_ppm,
            prev_fresh_ppm,
            usage: u32::try_from(cache.len()).unwrap_or(u32::MAX),
            limit: sz.limiter.current(),
        };
        let x = features(&miss, &signals, cfg.min, cfg.max);
        let class = match policy {
            Policy::Model(m) => Some(model_class(m, &x).unwrap_or(usize::MAX)),
            _ => None,
        };
        let prop = propose(&curve, &sizes, cfg.goal, &signals, class);
        let by_rules = propose(&curve, &sizes, cfg.goal, &signals, None).pages;
        let rules_class = sizes
            .iter()
            .position(|&s| s >= by_rules)
            .unwrap_or(POINTS - 1);
        let limit = sz.limiter.step(prop.pages);
        sz.window.set_limit(limit, st.rate_ppm);
        cache.set_capacity(limit);
        res.decisions.push(Decision {
            at: i + 1,
            features: x,
            source: prop.source,
            rules_class,
            limit,
        });
    }
    Ok(res)
}

/// The label of every decision at the accesses `at` (ascending): the smallest candidate size
/// meeting `cfg.goal` over the next `cfg.horizon` decisions' worth of accesses without
/// counting first accesses (see the module documentation); the largest if none does.
pub fn labels(keys: &[u64], at: &[u64], cfg: &SimConfig) -> Result<Vec<usize>, Error> {
    let sizes = cfg.sizes()?;
    let distinct = keys
        .iter()
        .collect::<std::collections::HashSet<_>>()
        .len()
        .max(1);
    let mut slots = vec![0u64; distinct];
    let mut words = vec![0u32; Exact::words_for(distinct as u32)];
    let mut hist = vec![0u64; Hist::buckets_for(POINTS)];
    let mut exact = Exact::new(&mut slots, &mut words, &sizes, &mut hist)
        .map_err(|e| Error(format!("exact: {e:?}")))?;
    // The exact misses per size and the first accesses at every decision point, and at the
    // end of the trace.
    let mut snaps: Vec<([u64; POINTS], u64, u64)> = Vec::with_capacity(at.len() + 1);
    let mut next = at.iter().copied().peekable();
    let snap = |e: &Exact<'_>| {
        let mut m = [0u64; POINTS];
        e.misses(&mut m);
        let st = e.stats();
        (m, st.cold, st.accesses)
    };
    for (i, &k) in keys.iter().enumerate() {
        while next.peek() == Some(&(i as u64)) {
            next.next();
            snaps.push(snap(&exact));
        }
        exact.access(k);
    }
    while next.next().is_some() {
        snaps.push(snap(&exact));
    }
    let end = snap(&exact);
    let hit = cfg.goal.hit_pm.min(1000).saturating_sub(cfg.goal.margin_pm);
    let allowed_ppm = u64::from(1000 - hit) * 1000;
    Ok((0..snaps.len())
        .map(|d| {
            let (m0, c0, a0) = snaps[d];
            let (m1, c1, a1) = snaps.get(d + cfg.horizon).copied().unwrap_or(end);
            let accesses = a1 - a0;
            let cold = c1 - c0;
            (0..POINTS)
                .find(|&s| (m1[s] - m0[s] - cold) * 1_000_000 <= allowed_ppm * accesses)
                .unwrap_or(POINTS - 1)
        })
        .collect())
}

/// A generated phase trace: its keys and where its phases end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// Page keys.
    pub keys: Vec<u64>,
    /// Accesses at the end of each phase.
    pub phase_ends: Vec<u64>,
}

/// A seeded trace of 4 to 7 phases over up to `max` pages: each phase reads a window of
/// pages (uniformly, or 80% of the reads on a fifth of it) that grows, shrinks or moves from
/// the last one, 50 to 300 reads per page.
pub fn gen_trace(seed: u64, max: u32) -> Trace {
    let mut rng = Rng::new(seed ^ 0x5153_5a45);
    let max = u64::from(max.max(64));
    let space = max * 4;
    let phases = 4 + rng.below(4);
    let (mut start, mut len) = (0u64, max / 8);
    let mut keys = Vec::new();
    let mut phase_ends = Vec::new();
    for p in 0..phases {
        if p > 0 {
            match rng.below(3) {
                // Grows.
                0 => len = (len + 1 + rng.below(max as usize) as u64).min(max * 7 / 8),
                // Shrinks into a part of it.
                1 => {
                    let new = (len / 8 + rng.below(len as usize) as u64 / 2).max(16);
                    start += rng.below((len - new.min(len)) as usize + 1) as u64;
                    len = new;
                }
                // Moves elsewhere, resized.
                _ => {
                    len = (max / 32 + rng.below(max as usize * 3 / 4) as u64).max(16);
                    start = rng.below((space - len) as usize) as u64;
                }
            }
        }
        let per_page = 50 + rng.below(251) as u64;
        let skewed = rng.below(3) == 0;
        let hot = (len / 5).max(1);
        for _ in 0..len * per_page {
            let off = if skewed && rng.below(5) != 0 {
                rng.below(hot as usize) as u64
            } else {
                rng.below(len as usize) as u64
            };
            keys.push(start + off);
        }
        phase_ends.push(keys.len() as u64);
    }
    Trace { keys, phase_ends }
}

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Training traces.
    pub traces: usize,
    /// Validation traces (other seeds).
    pub val_traces: usize,
    /// Seed of the traces and the network.
    pub seed: u64,
    /// The simulator's setting.
    pub sim: SimConfig,
    /// Hidden layer width.
    pub hidden: usize,
    /// Optimizer settings.
    pub fit: FitConfig,
    /// The model id in the file.
    pub model_id: u32,
}

impl TrainConfig {
    /// The defaults at `mib` MiB.
    pub fn for_mib(mib: u64) -> Self {
        Self {
            traces: 48,
            val_traces: 16,
            seed: 1,
            sim: SimConfig::for_mib(mib),
            hidden: 32,
            fit: FitConfig {
                epochs: 60,
                batch: 32,
                lr: 3e-3,
            },
            model_id: 2,
        }
    }
}

/// What [`train`] made and measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// The `.lmod` file.
    pub model: Vec<u8>,
    /// Training samples (after aggregation).
    pub train_samples: usize,
    /// Validation samples (the model's own decisions on the validation traces).
    pub val_samples: usize,
    /// On the validation samples: the integer model's class equals the label, is within one
    /// class of it, and the rules' answer in those states equals the label.
    pub val_exact: f64,
    /// See [`Self::val_exact`].
    pub val_within_one: f64,
    /// See [`Self::val_exact`].
    pub rules_exact: f64,
    /// The share of validation samples where the model's class is below the label (too
    /// small: misses), and where the rules' is.
    pub val_under: f64,
    /// See [`Self::val_under`].
    pub rules_under: f64,
    /// Float vs integer argmax agreement on the validation samples.
    pub agreement: f64,
    /// Validation traces simulated: misses and memory-time of the model and of the rules.
    pub model_total: PhaseResult,
    /// See [`Self::model_total`].
    pub rules_total: PhaseResult,
    /// The generous fixed limit (max) on the same traces.
    pub max_total: PhaseResult,
}

/// A labelled decision: features, label, the rules' class.
type LabelledDecision = ([i8; FEATURES], usize, usize);

/// Samples of one trace's decisions under `policy`.
fn samples(t: &Trace, cfg: &SimConfig, policy: Policy<'_>) -> Result<Vec<LabelledDecision>, Error> {
    let r = simulate(&t.keys, &t.phase_ends, cfg, policy)?;
    let at: Vec<u64> = r.decisions.iter().map(|d| d.at).collect();
    let y = labels(&t.keys, &at, cfg)?;
    Ok(r.decisions
        .iter()
        .zip(y)
        .map(|(d, y)| (d.features, y, d.rules_class))
        .collect())
}

/// Trains a sizer v1 model (see the module documentation).
pub fn train(cfg: &TrainConfig) -> Result<TrainReport, Error> {
    let traces: Vec<Trace> = (0..cfg.traces as u64)
        .map(|k| gen_trace(cfg.seed.wrapping_mul(1000).wrapping_add(k), cfg.sim.max))
        .collect();
    let val: Vec<Trace> = (0..cfg.val_traces as u64)
        .map(|k| {
            gen_trace(
                cfg.seed.wrapping_mul(1000).wrapping_add(500 + k),
                cfg.sim.max,
            )
        })
        .collect();
    let pairs = |v: Vec<LabelledDecision>| v.into_iter().map(|(x, y, _)| (x, y));
    let mut data = Vec::new();
    for t in &traces {
        data.extend(pairs(samples(t, &cfg.sim, Policy::Rules)?));
    }
    if data.len() < 100 {
        return Err(Error(format!("only {} samples", data.len())));
    }
    let mut rng = Rng::new(cfg.seed);
    let dims = [FEATURES, cfg.hidden, cfg.hidden, CLASSES];
    let meta = ModelMeta {
        schema_id: schema::SIZER,
        schema_version: schema::SIZER_VERSION,
        model_id: cfg.model_id,
    };
    let cw = vec![1.0; CLASSES];
    let round = |data: &[([i8; FEATURES], usize)], rng: &mut Rng| {
        let mut net = init_net(&dims, rng);
        fit(&mut net, data, &cw, cfg.fit, rng);
        let calib: Vec<[i8; FEATURES]> = data.iter().take(20_000).map(|s| s.0).collect();
        quantize::quantize_as(&net, &calib, meta).map(|q| (net, q))
    };
    let (_, q1) = round(&data, &mut rng)?;
    // Dataset aggregation: the states the first model visits, labelled.
    {
        let model = parse(&q1.bytes).map_err(|e| Error(e.reason().into()))?;
        let mlp = model.mlp().ok_or_else(|| Error("not an MLP".into()))?;
        for t in &traces {
            data.extend(pairs(samples(t, &cfg.sim, Policy::Model(&mlp))?));
        }
    }
    let (net, q) = round(&data, &mut rng)?;
    let model = parse(&q.bytes).map_err(|e| Error(e.reason().into()))?;
    let mlp = model.mlp().ok_or_else(|| Error("not an MLP".into()))?;
    let mut val_set = Vec::new();
    let (mut mt, mut rt, mut xt) = (Vec::new(), Vec::new(), Vec::new());
    for t in &val {
        val_set.extend(samples(t, &cfg.sim, Policy::Model(&mlp))?);
        mt.push(simulate(&t.keys, &t.phase_ends, &cfg.sim, Policy::Model(&mlp))?.total());
        rt.push(simulate(&t.keys, &t.phase_ends, &cfg.sim, Policy::Rules)?.total());
        xt.push(simulate(&t.keys, &t.phase_ends, &cfg.sim, Policy::Fixed(cfg.sim.max))?.total());
    }
    let sum = |v: &[PhaseResult]| {
        v.iter().fold(PhaseResult::default(), |a, p| PhaseResult {
            accesses: a.accesses + p.accesses,
            misses: a.misses + p.misses,
            mem: a.mem + p.mem,
        })
    };
    let n = val_set.len().max(1) as f64;
    let (mut exact, mut near, mut rules, mut agree) = (0usize, 0usize, 0usize, 0usize);
    let (mut under, mut rules_under) = (0usize, 0usize);
    for (x, y, r) in &val_set {
        let c = mlp.predict(x).map_err(|e| Error(e.reason().into()))?;
        exact += usize::from(c == *y);
        near += usize::from(c.abs_diff(*y) <= 1);
        rules += usize::from(r == y);
        under += usize::from(c < *y);
        rules_under += usize::from(r < y);
        agree += usize::from(float_argmax(&net.logits(x)) == c);
    }
    Ok(TrainReport {
        model: q.bytes,
        train_samples: data.len(),
        val_samples: val_set.len(),
        val_exact: exact as f64 / n,
        val_within_one: near as f64 / n,
        rules_exact: rules as f64 / n,
        val_under: under as f64 / n,
        rules_under: rules_under as f64 / n,
        agreement: agree as f64 / n,
        model_total: sum(&mt),
        rules_total: sum(&rt),
        max_total: sum(&xt),
    })
}

/// Memory-time in MiB times millions of accesses.
fn mib_maccesses(mem: u128) -> f64 {
    mem as f64 * PAGE as f64 / (1u64 << 20) as f64 / 1e6
}

impl TrainReport {
    /// The summary `lrn sizer train` prints.
    pub fn summary(&self) -> String {
        let row = |name: &str, p: &PhaseResult| {
            format!(
                "{name:<8} misses {:>9} ({:.4}%)  memory-time {:>10.1} MiB x M accesses\n",
                p.misses,
                100.0 * p.misses as f64 / p.accesses.max(1) as f64,
                mib_maccesses(p.mem)
            )
        };
        format!(
            "samples: train {} val {}\nval accuracy: exact {:.3} within one class {:.3} below {:.3} (the rules: exact {:.3} below {:.3})\nfloat/int agreement {:.3}\nvalidation traces, simulated:\n{}{}{}",
            self.train_samples,
            self.val_samples,
            self.val_exact,
            self.val_within_one,
            self.val_under,
            self.rules_exact,
            self.rules_under,
            self.agreement,
            row("max", &self.max_total),
            row("rules", &self.rules_total),
            row("model", &self.model_total),
        )
    }
}

/// The buffer-cache sizer on the host: its decision loop over a trace, and its trainer.
// No doc comments on the variants: they would replace their arguments' (the help).
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum SizerCommand {
    Sim(SimCli),
    Train(TrainCli),
}

/// Runs the kernel's sizer loop over a trace: misses and memory-time per phase for fixed
/// limits, the rules and the model.
///
/// Bounds M/32..M MiB (--mib), a decision every A accesses (--interval), goal and margin per
/// mille (--goal, --margin). Rows for fixed limits of M and M/4 MiB, the rules and, with
/// --model, the model, per phase and for all.
#[derive(Debug, Clone, clap::Args)]
pub struct SimCli {
    /// The trace file.
    #[arg(long, value_name = "PATH")]
    pub trace: String,
    /// The trace format: oracleGeneral, csv or txt (as for lrn sim).
    #[arg(long, value_name = "oracleGeneral|csv|txt", value_parser = crate::Format::parse)]
    pub format: crate::Format,
    /// The largest limit, MiB (the smallest is a 32nd of it).
    #[arg(long, value_name = "M", default_value_t = 32)]
    pub mib: u64,
    /// A sizer v1 model to run beside the rules.
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// Where the trace's phases end, in accesses, ascending (the last is the trace's length)
    /// [default: one phase].
    #[arg(long = "phase-ends", value_name = "N,N,...", value_parser = parse_phase_ends)]
    pub phase_ends: Option<::std::vec::Vec<u64>>,
    /// Accesses per decision [default: 25000].
    #[arg(long, value_name = "A")]
    pub interval: Option<u64>,
    /// The hit-ratio goal, per mille [default: 995].
    #[arg(long, value_name = "G")]
    pub goal: Option<u32>,
    /// How far below the goal still meets it, per mille [default: 5].
    #[arg(long, value_name = "G")]
    pub margin: Option<u32>,
    /// Every decision ages the curve by 2^-K [default: 2, the kernel's].
    #[arg(long = "age-shift", value_name = "K")]
    pub age_shift: Option<u32>,
}

/// Parses `--phase-ends`: comma-separated access counts.
pub fn parse_phase_ends(v: &str) -> Result<Vec<u64>, Error> {
    v.split(',')
        .map(|x| {
            x.parse()
                .map_err(|_| Error(format!("bad --phase-ends {x:?}")))
        })
        .collect()
}

impl SimCli {
    /// The simulator's setting: [`SimConfig::for_mib`] with the options given.
    pub fn config(&self) -> SimConfig {
        let mut cfg = SimConfig::for_mib(self.mib);
        if let Some(v) = self.interval {
            cfg.interval = v;
        }
        if let Some(v) = self.goal {
            cfg.goal.hit_pm = v;
        }
        if let Some(v) = self.margin {
            cfg.goal.margin_pm = v;
        }
        if let Some(v) = self.age_shift {
            cfg.age_shift = v;
        }
        cfg
    }
}

/// Trains a sizer v1 model on generated phase traces and validates it on others.
///
/// N generated phase traces (--traces) for training, 16 others for validation; prints the
/// model card's numbers.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainCli {
    /// The model file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
    /// Training traces [default: 48].
    #[arg(long, value_name = "N")]
    pub traces: Option<usize>,
    /// The seed of the traces and the network [default: 1].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// The largest limit, MiB, as for lrn sizer sim.
    #[arg(long, value_name = "M", default_value_t = 32)]
    pub mib: u64,
    /// Passes over the samples [default: 60].
    #[arg(long, value_name = "E")]
    pub epochs: Option<usize>,
}

impl TrainCli {
    /// The training settings: [`TrainConfig::for_mib`] with the options given.
    pub fn config(&self) -> TrainConfig {
        let mut cfg = TrainConfig::for_mib(self.mib);
        if let Some(v) = self.traces {
            cfg.traces = v;
        }
        if let Some(v) = self.seed {
            cfg.seed = v;
        }
        if let Some(v) = self.epochs {
            cfg.fit.epochs = v;
        }
        cfg
    }
}

/// `lrn sizer sim|train`.
pub(crate) fn run(cmd: &SizerCommand) -> Result<String, Error> {
    match cmd {
        SizerCommand::Train(a) => run_train(a),
        SizerCommand::Sim(a) => run_sim(a),
    }
}

fn run_train(args: &TrainCli) -> Result<String, Error> {
    let cfg = args.config();
    let out = &args.out;
    let r = train(&cfg)?;
    std::fs::write(out, &r.model).map_err(|e| Error(format!("{out}: {e}")))?;
    Ok(format!(
        "sizer v1 model: {} bytes -> {out}\n{}",
        r.model.len(),
        r.summary()
    ))
}

fn run_sim(args: &SimCli) -> Result<String, Error> {
    let cfg = args.config();
    let model_path = &args.model;
    let ends = args.phase_ends.clone().unwrap_or_default();
    let reqs = crate::load_trace(&args.trace, args.format)?;
    let keys: Vec<u64> = reqs.iter().map(|r| r.id).collect();
    let bytes = match &model_path {
        Some(p) => Some(std::fs::read(p).map_err(|e| Error(format!("{p}: {e}")))?),
        None => None,
    };
    let parsed = match &bytes {
        Some(b) => Some(parse(b).map_err(|e| Error(e.reason().into()))?),
        None => None,
    };
    let mlp = match &parsed {
        Some(m) => Some(m.mlp().ok_or_else(|| Error("not an MLP".into()))?),
        None => None,
    };
    let mut runs: Vec<(String, SimResult)> = vec![
        (
            format!("fixed {} MiB", (u64::from(cfg.max) * PAGE) >> 20),
            simulate(&keys, &ends, &cfg, Policy::Fixed(cfg.max))?,
        ),
        (
            format!("fixed {} MiB", (u64::from(cfg.max) * PAGE) >> 22),
            simulate(&keys, &ends, &cfg, Policy::Fixed(cfg.max / 4))?,
        ),
        ("rules".into(), simulate(&keys, &ends, &cfg, Policy::Rules)?),
    ];
    if let Some(m) = &mlp {
        runs.push((
            "model".into(),
            simulate(&keys, &ends, &cfg, Policy::Model(m))?,
        ));
    }
    let mut out = String::from(
        "| phase | config | misses | memory-time (MiB x M accesses) | mean memory (MiB) |\n| ---: | --- | ---: | ---: | ---: |\n",
    );
    let phases = runs.first().map_or(0, |r| r.1.phases.len());
    for ph in 0..=phases {
        for (name, r) in &runs {
            let p = if ph == phases {
                r.total()
            } else {
                r.phases[ph]
            };
            let label = if ph == phases {
                "all".to_string()
            } else {
                (ph + 1).to_string()
            };
            out += &format!(
                "| {label} | {name} | {} | {:.1} | {:.1} |\n",
                p.misses,
                mib_maccesses(p.mem),
                p.mem as f64 / p.accesses.max(1) as f64 * PAGE as f64 / (1u64 << 20) as f64
            );
        }
    }
    for (name, r) in &runs {
        if !matches!(name.as_str(), "rules" | "model") {
            continue;
        }
        out += &format!(
            "{name}: {} decisions, {} early, {} by the model\n",
            r.decisions.len(),
            r.kicks,
            r.decisions
                .iter()
                .filter(|d| d.source == Source::Model)
                .count()
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> SimConfig {
        SimConfig {
            min: 32,
            max: 1024,
            interval: 2000,
            goal: Goal {
                hit_pm: 990,
                margin_pm: 0,
                cost_weight_pm: 0,
            },
            horizon: 2,
            age_shift: AGE_SHIFT,
        }
    }

    /// A loop over `n` keys, `reps` times.
    fn looped(n: u64, reps: u64, base: u64) -> Vec<u64> {
        (0..n * reps).map(|i| base + i % n).collect()
    }

    #[test]
    fn the_lru_counts_like_the_exact_curve() {
        // A fixed limit is a plain LRU cache: its misses are the exact curve's at that size.
        let cfg = small();
        let t = gen_trace(3, cfg.max);
        let keys = &t.keys[..200_000];
        let sizes = cfg.sizes().unwrap();
        let mut slots = vec![0u64; 8192];
        let mut words = vec![0u32; Exact::words_for(8192)];
        let mut hist = vec![0u64; Hist::buckets_for(POINTS)];
        let mut e = Exact::new(&mut slots, &mut words, &sizes, &mut hist).unwrap();
        for &k in keys {
            e.access(k);
        }
        let mut m = [0u64; POINTS];
        e.misses(&mut m);
        for i in [0, 5, POINTS - 1] {
            let r = simulate(keys, &[], &cfg, Policy::Fixed(sizes[i])).unwrap();
            assert_eq!(r.total().misses, m[i], "size {}", sizes[i]);
            assert!(r.decisions.is_empty());
        }
    }

    #[test]
    fn the_rules_follow_a_growing_loop() {
        // 600 keys, then 100 others, then 600 others again: the rules shrink to about 100
        // (saving the memory max keeps for dead keys), grow back early when the new keys
        // come, and end near 600 with few more misses than max.
        let cfg = small();
        let mut keys = looped(600, 100, 0);
        keys.extend(looped(100, 600, 10_000));
        keys.extend(looped(600, 100, 20_000));
        let ends = [60_000u64, 120_000, keys.len() as u64];
        let rules = simulate(&keys, &ends, &cfg, Policy::Rules).unwrap();
        let max = simulate(&keys, &ends, &cfg, Policy::Fixed(cfg.max)).unwrap();
        let mid = rules
            .decisions
            .iter()
            .rfind(|d| d.at < 120_000)
            .unwrap()
            .limit;
        let last = rules.decisions.last().unwrap().limit;
        assert!(
            (100..=200).contains(&mid),
            "limit {mid} in the second phase"
        );
        assert!((600..=800).contains(&last), "limit {last} at the end");
        assert!(rules.kicks > 0, "growth decided early");
        let (r, m) = (rules.total(), max.total());
        assert!(r.misses < m.misses + 2_000, "{} vs {}", r.misses, m.misses);
        assert!(r.mem < m.mem * 3 / 4, "{} vs {}", r.mem, m.mem);
    }

    #[test]
    fn labels_see_the_future_working_set() {
        // A loop over 100 keys, then over 600 others from access 20,000 on: a decision
        // whose horizon (the next 2 decisions) ends before the change wants a size of at
        // least 100, not 600; one whose horizon reaches into the new loop already wants
        // 600. First accesses do not count: the new loop's first pass is not a reason to
        // want more.
        let cfg = small();
        let sizes = cfg.sizes().unwrap();
        let mut keys = looped(100, 200, 0);
        keys.extend(looped(600, 100, 1000));
        let at = [4000u64, 6000, 8000, 18_000, 19_000, 30_000, 32_000];
        let y = labels(&keys, &at, &cfg).unwrap();
        let need = |n: u32| sizes.iter().position(|&s| s >= n).unwrap();
        let (small, big) = (need(100), need(600));
        assert_eq!(y, [small, small, small, big, big, big, big]);
        // The first pass alone (19,000 to 20,600: 600 first accesses) wants nothing more.
        let y = labels(&keys, &[19_000, 20_600], &SimConfig { horizon: 1, ..cfg }).unwrap();
        assert_eq!(y, [small, big]);
    }

    #[test]
    fn generated_traces_are_seeded() {
        let a = gen_trace(7, 1024);
        assert_eq!(a, gen_trace(7, 1024));
        assert_ne!(a.keys, gen_trace(8, 1024).keys);
        assert_eq!(*a.phase_ends.last().unwrap(), a.keys.len() as u64);
        assert!((4..=7).contains(&a.phase_ends.len()));
    }
}
