// SPDX-License-Identifier: GPL-2.0

//! The buffer-cache sizer in the kernel: a miss-ratio curve of one cgroup's page-cache
//! accesses, a size decision every interval, and the cgroup's `memory.high` set to it.
//!
//! The logic is the shared crate's: SHARDS (`learned_core::mrc::shards`) builds the curve,
//! `learned_core::sizer` proposes a size (the model's when one is loaded, the exact rules'
//! otherwise), and `learned_core::mrc::decide::Limiter` applies it without oscillating. This
//! file gives them memory, a cgroup and a clock:
//!
//! - the page cache's access events ([`crate::filemap`]) of tasks in the target cgroup feed
//!   the curve, with bounded work per event: the pages are hashed first, and only the few the
//!   curve samples take its spinlock;
//! - a delayed work item decides every `interval_ms` and sets `memory.high` (process
//!   context, under [`DecisionState`]'s mutex); when first accesses pile up faster than the limit
//!   has room for, the access path runs it early, at most once per interval;
//! - the original `memory.high` comes back when the sizer is disabled, retargeted or
//!   unloaded (unless someone else changed it meanwhile), and a removed cgroup is let go.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::{new_mutex, new_spinlock};

use crate::cgroup::{self, pages_max, Cgroup};
use crate::kapi::workqueue::{self, DelayedWork, DelayedWorkItem, Queue, Registration};
use crate::knobs::{Knobs, SIZER_WORK};
use crate::learned_core::cache::pagehist::page_key;
use crate::learned_core::knob;
use crate::learned_core::mrc::decide::{Curve, Limiter};
use crate::learned_core::mrc::shards::{Config, Filter, Sample, Shards, ShardsState};
use crate::learned_core::mrc::PPM;
use crate::learned_core::sizer::{
    candidate_sizes, features, limiter_config, model_class, propose, shards_config, stale, Goal,
    Interval, Reason, Signals, Source, AGE_SHIFT, DEAD_BAND_PPM, MIN_SAMPLED, POINTS, SAMPLES,
};
use crate::learned_core::text::TextBuf;
use crate::model_slot::ModelSlot;
use crate::policy::PolicyId;
use crate::rcu::{RcuArc, ReadGuard};
use crate::warn::warn_ratelimited;

/// The most pages one access event feeds; a longer read feeds its first pages only.
const MAX_PAGES_PER_EVENT: u64 = 512;
/// Sampled pages fed to the curve per hold of its spinlock.
const FEED_BATCH: usize = 16;
/// Bytes per page.
const PAGE: u64 = kernel::page::PAGE_SIZE as u64;
/// Knob bounds: sizes between 1 MiB and 1 TiB, intervals between 100 ms and a minute.
const MIN_BYTES: u64 = 1 << 20;
const MAX_BYTES: u64 = 1 << 40;
const MIN_INTERVAL_MS: u64 = 100;
const MAX_INTERVAL_MS: u64 = 60_000;
/// Pages one reclaim step asks for (2 MiB), and the steps one decision may take (64 MiB).
const RECLAIM_STEP: u64 = 512;
const RECLAIM_STEPS: usize = 32;
/// A knob only `sizer` has.
#[derive(Clone, Copy)]
pub(crate) enum SizerKnob {
    /// Target hit ratio, per mille (0: the knee rule).
    Goal,
    /// Shortfall from the goal that still meets it, per mille.
    Margin,
    /// The knee rule's memory price, per mille of miss ratio for `max`.
    CostWeight,
    /// The smallest size, bytes.
    Min,
    /// The largest size, bytes.
    Max,
    /// Decision period, milliseconds.
    IntervalMs,
}

impl SizerKnob {
    /// Name, smallest and largest value.
    fn spec(self) -> (&'static str, u64, u64) {
        match self {
            Self::Goal => ("goal", 0, 1000),
            Self::Margin => ("margin", 0, 1000),
            Self::CostWeight => ("cost_weight", 0, 1000),
            Self::Min => ("min", MIN_BYTES, MAX_BYTES),
            Self::Max => ("max", MIN_BYTES, MAX_BYTES),
            Self::IntervalMs => ("interval_ms", MIN_INTERVAL_MS, MAX_INTERVAL_MS),
        }
    }
}

/// The curve's memory and state.
struct Engine {
    samples: KVVec<Sample>,
    words: KVVec<u32>,
    hist: KVVec<u64>,
    sizes: [u32; POINTS],
    /// `None` while the sizer is not running.
    state: Option<ShardsState>,
    /// The interval so far.
    window: Interval,
}

impl Engine {
    /// Runs `f` on the estimator, if running, and keeps its state.
    fn with<R>(&mut self, f: impl FnOnce(&mut Shards<'_>) -> R) -> Option<R> {
        let state = self.state?;
        let mut s = Shards::resume(
            &mut self.samples,
            &mut self.words,
            &self.sizes,
            &mut self.hist,
            state,
        )
        .ok()?;
        let r = f(&mut s);
        self.state = Some(s.state());
        Some(r)
    }

    /// Starts over on `sizes`.
    fn start(&mut self, sizes: [u32; POINTS]) -> Result {
        self.sizes = sizes;
        let s = Shards::new(
            &mut self.samples,
            &mut self.words,
            &self.sizes,
            &mut self.hist,
            shards_config(sizes[POINTS - 1]),
        )
        .map_err(|_| EINVAL)?;
        self.state = Some(s.state());
        self.window = Interval::new();
        Ok(())
    }
}

/// The sizer's memory, allocated before its state is built.
pub(crate) struct SizerMem(Engine);

impl SizerMem {
    /// Allocates the curve's memory ([`SAMPLES`] slots).
    pub(crate) fn alloc() -> Result<Self> {
        Ok(Self(Engine {
            samples: KVVec::from_elem(Sample::EMPTY, SAMPLES as usize, GFP_KERNEL)?,
            words: KVVec::from_elem(0u32, Shards::words_for(SAMPLES), GFP_KERNEL)?,
            hist: KVVec::from_elem(0u64, POINTS + 1, GFP_KERNEL)?,
            sizes: [0; POINTS],
            state: None,
            window: Interval::new(),
        }))
    }
}

/// What the periodic decision works on, under a mutex (it sleeps).
struct DecisionState {
    /// The sizer acts (`sizer/enabled` and a target).
    running: bool,
    limiter: Option<Limiter>,
    /// `memory.high` when the sizer took the cgroup, and the value it last set.
    original_high: u64,
    applied: Option<u64>,
    /// Counts starts and stops: a limit decided in one run is applied only in that run.
    generation: u64,
}

/// Counters and the last decision, lock-free for `stats`.
struct Stats {
    accesses: AtomicU64,
    pages_truncated: AtomicU64,
    /// Pages whose keys took the curve's lock.
    pages_sampled: AtomicU64,
    /// Early decisions.
    kicks: AtomicU64,
    sample_rate_ppm: AtomicU32,
    last_fresh_ppm: AtomicU32,
    decisions: [AtomicU64; 2],
    reasons: [AtomicU64; Reason::ALL.len()],
    no_data: AtomicU64,
    resets: AtomicU64,
    changes: AtomicU64,
    /// Reclaim steps taken after setting a limit, and the pages they freed.
    reclaim_steps: AtomicU64,
    reclaimed: AtomicU64,
    errors: AtomicU64,
    cgroups_removed: AtomicU64,
    last_source: AtomicU32,
    last_reason: AtomicU32,
    last_proposal: AtomicU64,
    last_limit: AtomicU64,
    /// The cgroup's memory beyond its page cache at the last decision, bytes.
    last_other: AtomicU64,
    curve: [AtomicU32; POINTS],
    sizes: [AtomicU32; POINTS],
}

/// The sizer's state (see the module docs).
#[pin_data]
pub(crate) struct Sizer {
    #[pin]
    engine: SpinLock<Engine>,
    #[pin]
    control: Mutex<DecisionState>,
    /// The cgroup whose accesses count, published to the access path.
    target: RcuArc<Cgroup>,
    /// Whether the access path feeds the curve.
    active: AtomicBool,
    /// The curve's sampling filter, whose threshold [`Self::threshold`] publishes.
    filter: Filter,
    /// The curve's current threshold (only falls between starts; see [`Filter`]).
    threshold: AtomicU64,
    /// Accesses the filter rejected, not yet counted by the curve.
    rejected: AtomicU64,
    /// The access path ran the decision early since the last tick.
    kicked: AtomicBool,
    knobs: [AtomicU64; 6],
    stats: Stats,
    /// The periodic decision, on the module's queue; the access path kicks it.
    #[pin]
    pub(crate) work: DelayedWork<Knobs, SIZER_WORK>,
}

impl Sizer {
    /// The sizer over `mem`, with no target and the default knobs; its work on `queue`.
    pub(crate) fn new(mem: SizerMem, queue: Arc<Queue>) -> impl PinInit<Self> {
        pin_init!(Self {
            work <- workqueue::new_delayed_work!(queue, "learned_os_sizer_work"),
            engine <- new_spinlock!(mem.0, "learned_os_sizer_engine"),
            control <- new_mutex!(
                DecisionState {
                    running: false,
                    limiter: None,
                    original_high: 0,
                    applied: None,
                    generation: 0,
                },
                "learned_os_sizer_control"
            ),
            target: RcuArc::new(),
            active: AtomicBool::new(false),
            // Every start uses the same seed and modulus: only the threshold changes.
            filter: Filter::new(&Config::new(SAMPLES)),
            threshold: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            kicked: AtomicBool::new(false),
            // goal 900, margin 20, cost_weight 100, min 8 MiB, max 256 MiB, 1000 ms.
            knobs: [
                AtomicU64::new(900),
                AtomicU64::new(20),
                AtomicU64::new(100),
                AtomicU64::new(8 << 20),
                AtomicU64::new(256 << 20),
                AtomicU64::new(1000),
            ],
            stats: Stats {
                accesses: AtomicU64::new(0),
                pages_truncated: AtomicU64::new(0),
                pages_sampled: AtomicU64::new(0),
                kicks: AtomicU64::new(0),
                sample_rate_ppm: AtomicU32::new(0),
                last_fresh_ppm: AtomicU32::new(0),
                decisions: [const { AtomicU64::new(0) }; 2],
                reasons: [const { AtomicU64::new(0) }; Reason::ALL.len()],
                no_data: AtomicU64::new(0),
                resets: AtomicU64::new(0),
                changes: AtomicU64::new(0),
                reclaim_steps: AtomicU64::new(0),
                reclaimed: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                cgroups_removed: AtomicU64::new(0),
                last_source: AtomicU32::new(u32::MAX),
                last_reason: AtomicU32::new(u32::MAX),
                last_proposal: AtomicU64::new(0),
                last_limit: AtomicU64::new(0),
                last_other: AtomicU64::new(0),
                curve: [const { AtomicU32::new(0) }; POINTS],
                sizes: [const { AtomicU32::new(0) }; POINTS],
            },
        })
    }

    fn knob_slot(&self, k: SizerKnob) -> &AtomicU64 {
        // The enum has exactly as many variants as the array has entries.
        &self.knobs[k as usize]
    }

    /// The value of knob `k`.
    pub(crate) fn knob(&self, k: SizerKnob) -> u64 {
        self.knob_slot(k).load(Relaxed)
    }

    /// A page-cache access to pages `[index, index + nr)` of mapping `owner`, by the current
    /// task. Atomic context: a lock-free check, then the curve's spinlock for bounded work.
    pub(crate) fn on_access(&self, owner: u64, index: u64, nr: u64) {
        if !self.active.load(Relaxed) {
            return;
        }
        {
            let rcu = ReadGuard::new();
            match self.target.read(&rcu) {
                Some(cg) if cg.has_current() => (),
                _ => return,
            }
        }
        let counted = nr.min(MAX_PAGES_PER_EVENT);
        if counted < nr {
            self.stats.pages_truncated.fetch_add(nr - counted, Relaxed);
        }
        self.stats.accesses.fetch_add(counted, Relaxed);
        let filter = self.filter.with_threshold(self.threshold.load(Relaxed));
        let mut batch = [0u64; FEED_BATCH];
        let mut n = 0;
        let mut rejected = 0;
        for i in 0..counted {
            let key = page_key(owner, index.wrapping_add(i));
            if !filter.admits(key) {
                rejected += 1;
                continue;
            }
            if let Some(slot) = batch.get_mut(n) {
                *slot = key;
                n += 1;
            }
            if n == FEED_BATCH {
                self.feed(&batch);
                n = 0;
            }
        }
        if let Some(keys) = batch.get(..n).filter(|k| !k.is_empty()) {
            self.feed(keys);
        }
        if rejected > 0 {
            self.rejected.fetch_add(rejected, Relaxed);
        }
    }

    /// Feeds sampled `keys` to the curve; decides early if its first accesses call for it.
    fn feed(&self, keys: &[u64]) {
        self.stats
            .pages_sampled
            .fetch_add(keys.len() as u64, Relaxed);
        let kick = {
            let mut engine = self.engine.lock();
            let Some(st) = engine.with(|s| {
                for &k in keys {
                    s.access(k);
                }
                s.stats()
            }) else {
                return;
            };
            self.threshold.store(st.threshold, Relaxed);
            engine.window.kick(&st)
        };
        if kick {
            self.kicked.store(true, Relaxed);
            self.stats.kicks.fetch_add(1, Relaxed);
            // Outside `SizerWork`'s registration the work is disabled: this does nothing.
            self.work.kick();
        }
    }

    /// The target cgroup's path, or `none`.
    pub(crate) fn show_cgroup(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let rcu = ReadGuard::new();
        match self.target.read(&rcu) {
            Some(cg) => out.line(cg.path()),
            None => out.line("none"),
        }
    }

    /// Sets knob `k` from a sysfs write; a bad value is refused with `EINVAL` and one warning,
    /// and the old value stays.
    pub(crate) fn set_knob(&self, enabled: bool, k: SizerKnob, input: &[u8]) -> Result {
        let (name, lo, hi) = k.spec();
        let v = knob::parse_u64(input, lo, hi).map_err(|e| {
            warn_ratelimited!(
                "sizer/{}: write refused: {} (expected {}..={})\n",
                name,
                e.reason(),
                lo,
                hi
            );
            EINVAL
        })?;
        let mut ctl = self.control.lock();
        let (min, max) = match k {
            SizerKnob::Min => (v, self.knob(SizerKnob::Max)),
            SizerKnob::Max => (self.knob(SizerKnob::Min), v),
            _ => (self.knob(SizerKnob::Min), self.knob(SizerKnob::Max)),
        };
        if u64::try_from(POINTS)
            .unwrap_or(u64::MAX)
            .saturating_mul(PAGE)
            > max.saturating_sub(min)
        {
            warn_ratelimited!(
                "sizer/{}: write refused: min ({}) must be at least {} pages below max ({})\n",
                name,
                min,
                POINTS,
                max
            );
            return Err(EINVAL);
        }
        self.knob_slot(k).store(v, Relaxed);
        if matches!(k, SizerKnob::Min | SizerKnob::Max) && ctl.running {
            // New bounds: a new curve over them.
            self.stop(&mut ctl);
            self.start(&mut ctl, enabled);
        }
        Ok(())
    }

    /// Sets the target cgroup from a sysfs write: a path like `/bench`, or `none`.
    pub(crate) fn set_cgroup(&self, enabled: bool, input: &[u8]) -> Result {
        let new = match cgroup::parse_knob("sizer/cgroup", input)? {
            None => None,
            Some(cg) => {
                if let Err(e) = cg.limits() {
                    warn_ratelimited!(
                        "sizer/cgroup: write refused: {}: the memory controller is not enabled for it\n",
                        cg.path()
                    );
                    return Err(e);
                }
                Some(Arc::new(cg, GFP_KERNEL)?)
            }
        };
        let mut ctl = self.control.lock();
        self.stop(&mut ctl);
        // Waits for a grace period: no access path uses the old cgroup after this.
        drop(self.target.replace(new));
        self.start(&mut ctl, enabled);
        Ok(())
    }

    /// `sizer/enabled` changed to `on`.
    pub(crate) fn set_enabled(&self, on: bool) {
        let mut ctl = self.control.lock();
        if on {
            self.start(&mut ctl, true);
        } else {
            self.stop(&mut ctl);
        }
    }

    /// The target, if any (process context).
    fn target(&self) -> Option<Arc<Cgroup>> {
        let rcu = ReadGuard::new();
        // An `Arc` clone takes a reference, so the cgroup outlives the read section.
        self.target.read_arc(&rcu)
    }

    /// Starts sizing the target if `enabled`, there is one and it is not already sized.
    fn start(&self, ctl: &mut DecisionState, enabled: bool) {
        if ctl.running || !enabled {
            return;
        }
        let Some(cg) = self.target() else { return };
        let Ok(limits) = cg.limits() else { return };
        let (min, max) = (self.pages(SizerKnob::Min), self.pages(SizerKnob::Max));
        let mut sizes = [0u32; POINTS];
        if candidate_sizes(min, max, &mut sizes).is_err() {
            return;
        }
        let initial = u32::try_from(limits.high.min(limits.max)).unwrap_or(max);
        let Ok(limiter) = Limiter::new(limiter_config(min, max), initial) else {
            return;
        };
        if !self.restart_curve(&mut self.engine.lock(), sizes) {
            return;
        }
        for (a, s) in self.stats.sizes.iter().zip(sizes) {
            a.store(s, Relaxed);
        }
        ctl.limiter = Some(limiter);
        ctl.original_high = limits.high;
        ctl.applied = None;
        ctl.running = true;
        ctl.generation = ctl.generation.wrapping_add(1);
        self.active.store(true, Relaxed);
        self.schedule();
    }

    /// Starts the curve over on `sizes` and publishes its filter; false if it cannot.
    fn restart_curve(&self, engine: &mut Engine, sizes: [u32; POINTS]) -> bool {
        if engine.start(sizes).is_err() {
            return false;
        }
        let t = engine.with(|s| s.filter().threshold()).unwrap_or(u64::MAX);
        self.threshold.store(t, Relaxed);
        self.rejected.store(0, Relaxed);
        true
    }

    /// Stops sizing and gives the cgroup its `memory.high` back, if it still has ours.
    fn stop(&self, ctl: &mut DecisionState) {
        if !ctl.running {
            return;
        }
        ctl.running = false;
        ctl.generation = ctl.generation.wrapping_add(1);
        self.active.store(false, Relaxed);
        self.engine.lock().state = None;
        if let (Some(cg), Some(ours)) = (self.target(), ctl.applied.take()) {
            self.give_back(&cg, ours, ctl.original_high);
        }
    }

    /// Sets `cg`'s `memory.high` back to `original` if it still is `ours` (usually higher; a
    /// lower one is enforced from the cgroup's next charges).
    fn give_back(&self, cg: &Cgroup, ours: u64, original: u64) {
        if matches!(cg.limits(), Ok(l) if l.high == ours) && cg.set_high(original).is_err() {
            self.stats.errors.fetch_add(1, Relaxed);
        }
    }

    /// Knob `k` (bytes) in pages.
    fn pages(&self, k: SizerKnob) -> u32 {
        u32::try_from(self.knob(k) / PAGE).unwrap_or(u32::MAX)
    }

    fn schedule(&self) {
        let ms = u32::try_from(self.knob(SizerKnob::IntervalMs)).unwrap_or(1000);
        self.work.schedule(ms);
    }

    /// One interval: read and age the curve, decide, apply. Process context.
    fn tick(&self, slot: &ModelSlot) {
        let set = {
            let mut ctl = self.control.lock();
            if !ctl.running {
                return;
            }
            let Some(cg) = self.target() else { return };
            if cg.dying() {
                pr_info!("sizer: cgroup {} was removed: sizer stopped\n", cg.path());
                self.stats.cgroups_removed.fetch_add(1, Relaxed);
                // Nothing to give back to a cgroup that is going away.
                ctl.applied = None;
                self.stop(&mut ctl);
                drop(cg);
                // Under the mutex, so that no new target set meanwhile is dropped.
                drop(self.target.replace(None));
                return;
            }
            let file = cg.file_pages().ok();
            // Set under the mutex, so that a stop's give-back comes wholly before or after.
            match self
                .decide(&mut ctl, &cg, file, slot)
                .map(|l| (l, cg.set_high(l)))
            {
                Some((limit, Ok(()))) => {
                    ctl.applied = Some(limit);
                    self.stats.changes.fetch_add(1, Relaxed);
                }
                Some((_, Err(_))) => {
                    self.stats.errors.fetch_add(1, Relaxed);
                }
                None => (),
            }
            ctl.applied.map(|limit| (cg, limit, ctl.generation))
        };
        // Without the mutex: reclaim takes a while, and a sysfs write that stops the sizer
        // waits for the mutex.
        if let Some((cg, limit, generation)) = set {
            self.reclaim_to(&cg, limit, generation);
        }
        if self.control.lock().running {
            self.schedule();
        }
    }

    /// Reclaims `cg` down towards `limit`, the `memory.high` this run (`generation`) set, in
    /// at most [`RECLAIM_STEPS`] steps of [`RECLAIM_STEP`] pages: bounded work on the
    /// module's own workqueue, so that `rmmod` and a stopping write wait for one step at
    /// most. It stops once the usage is under the limit, the limit is no longer ours, a step
    /// frees nothing, or the run ends; the cgroup's own tasks reclaim the rest as they charge
    /// (the kernel's `memory.high` throttling).
    fn reclaim_to(&self, cg: &Cgroup, limit: u64, generation: u64) {
        for _ in 0..RECLAIM_STEPS {
            match cg.limits() {
                Ok(l) if l.high == limit && l.usage > limit => {
                    if self.control.lock().generation != generation {
                        return;
                    }
                    let freed = cg.reclaim((l.usage - limit).min(RECLAIM_STEP));
                    self.stats.reclaim_steps.fetch_add(1, Relaxed);
                    self.stats.reclaimed.fetch_add(freed, Relaxed);
                    if freed == 0 {
                        return;
                    }
                }
                _ => return,
            }
        }
    }

    /// Reads and ages the curve and decides; the new limit, if it must be written. The curve,
    /// the model and the limiter count page-cache pages; `memory.high` also covers the rest of
    /// the cgroup's memory, which the limit written adds: its usage beyond `file` page-cache
    /// pages (when known).
    fn decide(
        &self,
        ctl: &mut DecisionState,
        cg: &Cgroup,
        file: Option<u64>,
        slot: &ModelSlot,
    ) -> Option<u64> {
        let early = self.kicked.swap(false, Relaxed);
        let mut miss = [0u32; POINTS];
        let (sizes, st, fresh_ppm, prev_fresh_ppm) = {
            let mut engine = self.engine.lock();
            let sizes = engine.sizes;
            let rejected = self.rejected.swap(0, Relaxed);
            let (st, aged) = engine.with(|s| {
                s.skip(rejected);
                s.curve(&mut miss);
                let st = s.stats();
                // Too little seen: no decision, and no aging, so that a slow workload still
                // gathers enough over a few intervals.
                if st.sampled >= MIN_SAMPLED {
                    s.age_by(AGE_SHIFT);
                }
                (st, s.stats())
            })?;
            for (a, m) in self.stats.curve.iter().zip(miss) {
                a.store(m, Relaxed);
            }
            self.stats.sample_rate_ppm.store(st.rate_ppm, Relaxed);
            if stale(st.rate_ppm, sizes[POINTS - 1]) {
                // Too few sampled keys left to see the largest size: no decision on this
                // curve; start over at the start rate.
                self.stats.resets.fetch_add(1, Relaxed);
                if !self.restart_curve(&mut engine, sizes) {
                    self.stats.errors.fetch_add(1, Relaxed);
                }
                return None;
            }
            if st.sampled < MIN_SAMPLED {
                self.stats.no_data.fetch_add(1, Relaxed);
                return None;
            }
            // An early decision does not re-arm the next: at most one per interval.
            let (fresh, prev) = engine.window.close(&st, &aged, early);
            (sizes, st, fresh, prev)
        };
        self.stats.last_fresh_ppm.store(fresh_ppm, Relaxed);
        let Ok(curve) = Curve::new(&sizes, &miss) else {
            return None;
        };
        let limiter = ctl.limiter.as_mut()?;
        let limits = cg.limits().ok();
        let usage = limits.map_or(0, |l| l.usage);
        let cache = file.map_or(usage, |f| f.min(usage));
        let signals = Signals {
            fresh_ppm,
            prev_fresh_ppm,
            usage: u32::try_from(cache).unwrap_or(u32::MAX),
            limit: limiter.current(),
        };
        let (min, max) = (sizes[0], sizes[POINTS - 1]);
        let class = {
            let rcu = ReadGuard::new();
            slot.current(&rcu).and_then(|m| {
                let mlp = m.mlp()?;
                m.count_inference();
                Some(model_class(&mlp, &features(&miss, &signals, min, max)))
            })
        };
        let goal = Goal {
            hit_pm: self.knob(SizerKnob::Goal) as u32,
            margin_pm: self.knob(SizerKnob::Margin) as u32,
            cost_weight_pm: self.knob(SizerKnob::CostWeight) as u32,
        };
        // A model that cannot answer counts as an invalid class.
        let p = propose(
            &curve,
            &sizes,
            goal,
            &signals,
            class.map(|c| c.unwrap_or(usize::MAX)),
        );
        let step = limiter.step(p.pages);
        self.engine.lock().window.set_limit(step, st.rate_ppm);
        // The rest of the cgroup's memory on top; never above memory.max.
        let mut limit = (u64::from(step) + (usage - cache)).min(limits.map_or(u64::MAX, |l| l.max));
        // The rest of the cgroup's memory moves a little every interval: a limit within the
        // limiter's dead band of ours in force is no change.
        if let Some(high) = limits.map(|l| l.high).filter(|&h| ctl.applied == Some(h)) {
            if high.abs_diff(limit) * u64::from(PPM) <= high * u64::from(DEAD_BAND_PPM) {
                limit = high;
            }
        }
        self.stats.decisions[p.source as usize].fetch_add(1, Relaxed);
        self.stats.reasons[p.reason as usize].fetch_add(1, Relaxed);
        self.stats.last_source.store(p.source as u32, Relaxed);
        self.stats.last_reason.store(p.reason as u32, Relaxed);
        self.stats
            .last_proposal
            .store(u64::from(p.pages) * PAGE, Relaxed);
        self.stats.last_limit.store(limit * PAGE, Relaxed);
        self.stats.last_other.store((usage - cache) * PAGE, Relaxed);
        if limits.map(|l| l.high) == Some(limit) {
            // Already there (the first decisions, before the limiter moves): nothing to write.
            ctl.applied = Some(limit);
            return None;
        }
        (ctl.applied != Some(limit)).then_some(limit)
    }

    /// Writes the sizer's part of `sizer/stats`.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let st = &self.stats;
        let get = |a: &AtomicU64| a.load(Relaxed);
        let target = self.target();
        out.kv("target_set", u8::from(target.is_some()))?;
        out.kv("running", u8::from(self.active.load(Relaxed)))?;
        let limits = target.as_ref().and_then(|cg| cg.limits().ok());
        let bytes = |p: u64| {
            if p >= pages_max() {
                u64::MAX
            } else {
                p * PAGE
            }
        };
        out.kv("memory_high", limits.map_or(0, |l| bytes(l.high)))?;
        out.kv("memory_max", limits.map_or(0, |l| bytes(l.max)))?;
        out.kv("memory_current", limits.map_or(0, |l| l.usage * PAGE))?;
        out.kv("accesses", get(&st.accesses))?;
        out.kv("pages_truncated", get(&st.pages_truncated))?;
        out.kv("pages_sampled", get(&st.pages_sampled))?;
        out.kv("sample_rate_ppm", st.sample_rate_ppm.load(Relaxed))?;
        out.kv("last_fresh_ppm", st.last_fresh_ppm.load(Relaxed))?;
        out.kv("kicks", get(&st.kicks))?;
        out.kv(
            "decisions_model",
            get(&st.decisions[Source::Model as usize]),
        )?;
        out.kv(
            "decisions_fallback",
            get(&st.decisions[Source::Fallback as usize]),
        )?;
        for r in Reason::ALL {
            out.kv_prefixed("reason_", r.name(), get(&st.reasons[r as usize]))?;
        }
        out.kv("no_data", get(&st.no_data))?;
        out.kv("resets", get(&st.resets))?;
        out.kv("changes", get(&st.changes))?;
        out.kv("reclaim_steps", get(&st.reclaim_steps))?;
        out.kv("reclaimed", get(&st.reclaimed) * PAGE)?;
        out.kv("errors", get(&st.errors))?;
        out.kv("cgroups_removed", get(&st.cgroups_removed))?;
        // 0 before the first decision, else 1 + the `Source` / `Reason` code.
        out.kv("last_source", st.last_source.load(Relaxed).wrapping_add(1))?;
        out.kv("last_reason", st.last_reason.load(Relaxed).wrapping_add(1))?;
        out.kv("last_proposal", get(&st.last_proposal))?;
        out.kv("last_limit", get(&st.last_limit))?;
        out.kv("last_other", get(&st.last_other))?;
        for (s, m) in st.sizes.iter().zip(st.curve.iter()) {
            let kib = u64::from(s.load(Relaxed)) * PAGE / 1024;
            out.kv_prefixed("curve_kib_", kib, m.load(Relaxed))?;
        }
        Ok(())
    }
}

/// The sizer's periodic work, enabled for the module's lifetime; dropping it stops the sizer,
/// waits for the work and gives the cgroup back its `memory.high`.
pub(crate) struct SizerWork {
    knobs: Arc<Knobs>,
    /// `Some` until `drop`, which disables the work between stopping the sizer and letting
    /// its target go.
    work: Option<Registration<Knobs, SIZER_WORK>>,
}

impl SizerWork {
    /// Enables the work of `knobs`' sizer; it runs once something starts the sizer.
    pub(crate) fn new(knobs: Arc<Knobs>) -> Self {
        let work = Some(Registration::new(knobs.clone()));
        Self { knobs, work }
    }
}

impl Drop for SizerWork {
    fn drop(&mut self) {
        let sizer = self.knobs.sizer();
        sizer.stop(&mut sizer.control.lock());
        // After this no callback runs, and the work cannot be queued again.
        drop(self.work.take());
        drop(sizer.target.replace(None));
    }
}

impl DelayedWorkItem<SIZER_WORK> for Knobs {
    /// One interval of the sizer. Process context.
    fn run(&self) {
        self.sizer().tick(self.slot(PolicyId::Sizer));
    }
}
