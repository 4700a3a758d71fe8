// SPDX-License-Identifier: GPL-2.0

//! The eviction policy's state in the kernel: the page access history, the guard, the
//! knobs only `evict` has, and the counters behind `evict/stats`.
//!
//! The logic is the shared crate's (`learned_core::cache::{pagehist, guard, reclaim}`), the
//! very code the host simulator of Linux's reclaim runs; this file gives it memory and
//! numbers. The page cache's tracepoints ([`crate::filemap`]) feed the history, reclaim's
//! hook ([`crate::reclaim`]) asks for verdicts. Both run in atomic context: everything here
//! is atomics and bounded work, nothing sleeps or allocates after [`EvictMem::alloc`]; the
//! guard's shadow sits behind a spinlock taken for one sampled page access at a time.

use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use kernel::new_spinlock;
use kernel::prelude::*;
use kernel::sync::SpinLock;
use kernel::time::Ktime;

use crate::learned_core::cache::guard::{Guard, Trip, MAX_WINDOW};
use crate::learned_core::cache::pagehist::{page_key, Entry, Meta, Table};
use crate::learned_core::cache::reclaim::{Answer, Evictor, Fallback, Verdict, DEFAULT_MAX_KEEPS};
use crate::learned_core::cache::shadow::{sampled, Shadow, ShadowState};
use crate::learned_core::cache::store::{Slot, Store};
use crate::learned_core::knob;
use crate::learned_core::text::TextBuf;
use crate::model_slot::ModelSlot;
use crate::warn::warn_ratelimited;

/// Entries in the page history: 2^17 (5 MiB, vmalloc'ed), as the host simulator uses.
pub(crate) const HISTORY_ENTRIES: usize = 1 << 17;
/// Slots of the guard's shadow (a third hold sampled pages): as the host simulator uses.
pub(crate) const SHADOW_SLOTS: usize = 1 << 14;

/// The most a page may be kept without being used (`max_keeps`): every kept page becomes
/// reclaimable again after this many passes, so reclaim always progresses.
const MAX_KEEPS_LIMIT: u64 = 16;

/// The most pages one access event records; a longer read records its first pages only.
const MAX_PAGES_PER_EVENT: u64 = 512;

/// A page-cache event, as `enum lo_filemap_event`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Event {
    Add = 0,
    Delete = 1,
    Access = 2,
}

impl Event {
    pub(crate) fn from_u32(v: u32) -> Option<Self> {
        [Self::Add, Self::Delete, Self::Access]
            .into_iter()
            .find(|e| *e as u32 == v)
    }
}

/// A knob only `evict` has.
#[derive(Clone, Copy)]
pub(crate) enum EvictKnob {
    GuardWindow,
    GuardMarginPct,
    GuardRetry,
    MaxKeeps,
}

/// One call in this many is timed: reading the clock can cost more than the path measured
/// (under emulation, much more), so the cost is sampled and extrapolated.
const TIME_SAMPLE: u64 = 64;

/// The CPU time of a path, from one timed call in [`TIME_SAMPLE`].
struct CostMeter {
    calls: AtomicU64,
    timed: AtomicU64,
    ns: AtomicU64,
}

impl CostMeter {
    const fn new() -> Self {
        Self {
            calls: AtomicU64::new(0),
            timed: AtomicU64::new(0),
            ns: AtomicU64::new(0),
        }
    }

    /// Counts a call; the start time if this one is timed.
    fn start(&self) -> Option<Ktime> {
        let n = self.calls.fetch_add(1, Relaxed);
        (n % TIME_SAMPLE == 0).then(Ktime::ktime_get)
    }

    fn stop(&self, start: Option<Ktime>) {
        if let Some(start) = start {
            let ns = Ktime::ktime_get().to_ns().saturating_sub(start.to_ns());
            self.ns.fetch_add(u64::try_from(ns).unwrap_or(0), Relaxed);
            self.timed.fetch_add(1, Relaxed);
        }
    }

    /// `<name>_calls`, `<name>_ns_mean` and `<name>_ns_total` (extrapolated).
    fn write(&self, name: &str, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let calls = self.calls.load(Relaxed);
        let mean = self
            .ns
            .load(Relaxed)
            .checked_div(self.timed.load(Relaxed))
            .unwrap_or(0);
        out.kv_prefixed(name, "_calls", calls)?;
        out.kv_prefixed(name, "_ns_mean", mean)?;
        out.kv_prefixed(name, "_ns_total", mean.saturating_mul(calls))
    }
}

/// Counters, lock-free.
struct Counters {
    kernel: [AtomicU64; 4],
    model: [AtomicU64; 4],
    fallback: [AtomicU64; Fallback::COUNT],
    hook: CostMeter,
    probe: CostMeter,
    events: [AtomicU64; 3],
    pages_truncated: AtomicU64,
}

/// The guard's shadow: its memory and state, under one lock.
struct ShadowMem {
    slots: KVVec<Slot>,
    index: KVVec<u32>,
    state: ShadowState,
}

/// The eviction policy's memory, allocated before the state is built.
pub(crate) struct EvictMem {
    entries: KVVec<Entry>,
    shadow: ShadowMem,
}

impl EvictMem {
    /// Allocates the history ([`HISTORY_ENTRIES`]) and the shadow ([`SHADOW_SLOTS`]).
    pub(crate) fn alloc() -> Result<Self> {
        let mut entries = KVVec::with_capacity(HISTORY_ENTRIES, GFP_KERNEL)?;
        for _ in 0..HISTORY_ENTRIES {
            entries.push(Entry::new(), GFP_KERNEL)?;
        }
        Ok(Self {
            entries,
            shadow: ShadowMem {
                slots: KVVec::from_elem(Slot::EMPTY, SHADOW_SLOTS, GFP_KERNEL)?,
                index: KVVec::from_elem(0u32, Store::buckets_for(SHADOW_SLOTS), GFP_KERNEL)?,
                state: ShadowState::new(),
            },
        })
    }
}

/// The eviction policy's state (see the module docs).
#[pin_data]
pub(crate) struct Evict {
    entries: KVVec<Entry>,
    meta: Meta,
    guard: Guard,
    max_keeps: AtomicU32,
    counters: Counters,
    #[pin]
    shadow: SpinLock<ShadowMem>,
    /// Whether reclaim asks us (the kernel has the hook).
    pub(crate) hooked: AtomicBool,
    /// Whether the page-cache tracepoints feed the history.
    pub(crate) probed: AtomicBool,
}

impl Evict {
    /// The policy over `mem`, with the default knobs.
    pub(crate) fn new(mem: EvictMem) -> impl PinInit<Self> {
        let EvictMem { entries, shadow } = mem;
        pin_init!(Self {
            entries,
            meta: Meta::new(),
            guard: Guard::new(),
            max_keeps: AtomicU32::new(DEFAULT_MAX_KEEPS),
            counters: Counters {
                kernel: [const { AtomicU64::new(0) }; 4],
                model: [const { AtomicU64::new(0) }; 4],
                fallback: [const { AtomicU64::new(0) }; Fallback::COUNT],
                hook: CostMeter::new(),
                probe: CostMeter::new(),
                events: [const { AtomicU64::new(0) }; 3],
                pages_truncated: AtomicU64::new(0),
            },
            shadow <- new_spinlock!(shadow, "learned_os_evict_shadow"),
            hooked: AtomicBool::new(false),
            probed: AtomicBool::new(false),
        })
    }

    fn evictor(&self) -> Option<Evictor<'_>> {
        let mut ev = Evictor::new(Table::new(&self.meta, &self.entries)?, &self.guard);
        ev.max_keeps = self.max_keeps.load(Relaxed);
        Some(ev)
    }

    /// A page-cache event for pages `[index, index + nr)` of mapping `owner`. Atomic context.
    pub(crate) fn on_event(&self, event: Event, owner: u64, index: u64, nr: u64) {
        let Some(ev) = self.evictor() else { return };
        let start = self.counters.probe.start();
        let counted = nr.min(MAX_PAGES_PER_EVENT);
        if counted < nr {
            self.counters
                .pages_truncated
                .fetch_add(nr - counted, Relaxed);
        }
        if let Some(c) = self.counters.events.get(event as usize) {
            c.fetch_add(counted, Relaxed);
        }
        for i in 0..counted {
            let key = page_key(owner, index.wrapping_add(i));
            match event {
                Event::Add => ev.on_add(key),
                Event::Delete => ev.on_delete(key),
                Event::Access => self.on_access(&ev, key),
            }
        }
        self.counters.probe.stop(start);
    }

    fn on_access(&self, ev: &Evictor<'_>, key: u64) {
        if sampled(key) {
            let cap = ev.shadow_capacity();
            let mut guard = self.shadow.lock();
            let mem = &mut *guard;
            let miss = Shadow::new(&mut mem.slots, &mut mem.index, &mut mem.state).access(key, cap);
            drop(guard);
            if let Some(miss) = miss {
                ev.guard.shadow_access(miss);
            }
        }
        if let Some(t) = ev.on_access(key) {
            log_trip(&t, ev.table.now());
        }
    }

    /// Reclaim's question for page `index` of mapping `owner`, which the kernel would give
    /// `kernel`. Atomic context (under `rcu_read_lock()`, with the folio locked).
    pub(crate) fn verdict(
        &self,
        slot: &ModelSlot,
        enabled: bool,
        owner: u64,
        index: u64,
        kernel: u32,
    ) -> u32 {
        let start = self.counters.hook.start();
        if let Some(c) = self.counters.kernel.get(kernel as usize) {
            c.fetch_add(1, Relaxed);
        }
        let Some(ev) = self.evictor() else {
            return Verdict::Default as u32;
        };
        let key = page_key(owner, index);
        let answer = {
            let rcu = crate::rcu::ReadGuard::new();
            // Disabled: no need to look at the model at all.
            let model = slot.current(&rcu).filter(|_| enabled);
            let mlp = model.and_then(|m| m.mlp());
            let answer = ev.verdict(mlp.as_ref(), enabled, key, kernel);
            if let (Some(m), Answer::Model(_)) = (model, answer) {
                m.count_inference();
            }
            answer
        };
        match answer {
            Answer::Model(v) => self.counters.model.get(v as usize),
            Answer::Fallback(f) => self.counters.fallback.get(f as usize),
        }
        .map(|c| c.fetch_add(1, Relaxed));
        self.counters.hook.stop(start);
        answer.verdict() as u32
    }

    /// The value of knob `k`.
    pub(crate) fn knob(&self, k: EvictKnob) -> u64 {
        let (window, margin, retry) = self.guard.config();
        match k {
            EvictKnob::GuardWindow => u64::from(window),
            EvictKnob::GuardMarginPct => u64::from(margin),
            EvictKnob::GuardRetry => retry,
            EvictKnob::MaxKeeps => u64::from(self.max_keeps.load(Relaxed)),
        }
    }

    /// Sets knob `k` from a sysfs write; a bad value is refused with `EINVAL` and one warning.
    pub(crate) fn set_knob(&self, k: EvictKnob, input: &[u8]) -> Result {
        let (name, max) = match k {
            EvictKnob::GuardWindow => ("guard_window", u64::from(MAX_WINDOW)),
            EvictKnob::GuardMarginPct => ("guard_margin_pct", 1000),
            EvictKnob::GuardRetry => ("guard_retry", 1 << 40),
            EvictKnob::MaxKeeps => ("max_keeps", MAX_KEEPS_LIMIT),
        };
        let min = u64::from(matches!(k, EvictKnob::GuardWindow));
        let v = knob::parse_u64(input, min, max).map_err(|e| {
            warn_ratelimited!(
                "evict/{}: write refused: {} (expected {}..={})\n",
                name,
                e.reason(),
                min,
                max
            );
            EINVAL
        })?;
        let (window, margin, retry) = self.guard.config();
        // Every value is at most `max`, which fits the field's type.
        let v32 = u32::try_from(v).unwrap_or(u32::MAX);
        match k {
            EvictKnob::GuardWindow => self.guard.configure(v32, margin, retry),
            EvictKnob::GuardMarginPct => self.guard.configure(window, v32, retry),
            EvictKnob::GuardRetry => self.guard.configure(window, margin, v),
            EvictKnob::MaxKeeps => self.max_keeps.store(v32, Relaxed),
        }
        Ok(())
    }

    /// Adds the policy's counters to `evict/stats`.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Relaxed);
        out.kv("supported", u8::from(self.hooked.load(Relaxed)))?;
        out.kv("history_active", u8::from(self.probed.load(Relaxed)))?;
        for (name, i) in [("reclaim", 1), ("keep", 2), ("activate", 3)] {
            out.kv_prefixed("kernel_verdict_", name, get(&c.kernel[i]))?;
        }
        let model: u64 = c.model.iter().map(get).sum();
        let fallback: u64 = c.fallback.iter().map(get).sum();
        out.kv("decisions_model", model)?;
        out.kv("decisions_fallback", fallback)?;
        for (name, i) in [("default", 0), ("reclaim", 1), ("keep", 2), ("activate", 3)] {
            out.kv_prefixed("model_verdict_", name, get(&c.model[i]))?;
        }
        for f in Fallback::ALL {
            out.kv_prefixed("fallback_", f.name(), get(&c.fallback[f as usize]))?;
        }
        let now = self.meta_now();
        let g = self.guard.stats();
        out.kv("guard_tripped", u8::from(!self.guard.allows(now)))?;
        out.kv("guard_trips", g.trips)?;
        out.kv("guard_streak", g.streak)?;
        out.kv("guard_windows", g.windows)?;
        out.kv("guard_calibrations", g.calibrations)?;
        out.kv("guard_bias_permille", g.bias_permille)?;
        out.kv("guard_excess", g.excess)?;
        out.kv("guard_last_reads", g.last_reads)?;
        out.kv("guard_last_expected", g.last_expected)?;
        out.kv("guard_window_overrides", g.overrides)?;
        out.kv("guard_window_reads", g.reads)?;
        out.kv("guard_window_shadow_misses", g.shadow_misses)?;
        out.kv("guard_retry_left", g.tripped_until.saturating_sub(now))?;
        let (accesses, misses, restarts) = {
            let shadow = self.shadow.lock();
            let (a, m) = shadow.state.counts();
            (a, m, shadow.state.restarts())
        };
        out.kv("shadow_accesses", accesses)?;
        out.kv("shadow_misses", misses)?;
        out.kv("shadow_restarts", restarts)?;
        out.kv("inferences", model)?;
        c.hook.write("hook", out)?;
        c.probe.write("probe", out)?;
        let t = self.evictor().map(|e| e.table.stats()).unwrap_or_default();
        out.kv("history_entries", t.entries)?;
        out.kv(
            "history_bytes",
            t.entries * core::mem::size_of::<Entry>() as u64,
        )?;
        out.kv("history_resident", t.resident)?;
        out.kv("history_replaced", t.replaced)?;
        out.kv("history_clock", t.now)?;
        for (name, i) in [("add", 0), ("delete", 1), ("access", 2)] {
            out.kv_prefixed("pages_", name, get(&c.events[i]))?;
        }
        out.kv("pages_truncated", get(&c.pages_truncated))
    }

    fn meta_now(&self) -> u64 {
        self.evictor().map_or(0, |e| e.table.now())
    }
}

/// One line for a trip of the guard (rare: at most once per retry period).
fn log_trip(t: &Trip, now: u64) {
    pr_info!(
        "evict: guard tripped: {} sampled disk reads where the kernel's policy would make about {}; the kernel's policy decides for the next {} page accesses\n",
        t.reads,
        t.expected,
        t.until.saturating_sub(now)
    );
}
