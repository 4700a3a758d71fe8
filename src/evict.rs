// SPDX-License-Identifier: GPL-2.0

//! The eviction policy's state in the kernel: the page access history, the guard, the
//! knobs only `evict` has, and the counters behind `evict/stats`.
//!
//! The logic is the shared crate's (`learned_core::cache::{pagehist, guard, reclaim}`), the
//! very code the host simulator of Linux's reclaim runs; this file gives it memory and
//! numbers. The page cache's tracepoints ([`crate::filemap`]) feed the history, reclaim's
//! hook ([`crate::reclaim`]) asks for verdicts. Both run in atomic context: everything here
//! is atomics and bounded work, nothing sleeps or allocates after [`EvictMem::alloc`]; the
//! guard's shadow and the insertion duel's simulations sit behind one spinlock, taken for one
//! sampled page access at a time. The guard samples one page in 16; the duel (under
//! `evict/insert` `duel` only) as densely as its cgroup is small, every page for one of at
//! most 512 pages, one in 16 from 8192 pages up (`learned_core::cache::shadow::duel_shift`).
//! So in a small cgroup every page access of its tasks takes that lock: a known cost of the
//! denser sample, bounded (two simulated accesses per hold) and confined to the opted-in
//! cgroup, not measured on more than 2 CPUs.
//!
//! # Scope
//!
//! A learned verdict must never harm a cgroup or a process that did not opt in. The policy
//! acts only within the cgroup v2 named in `evict/cgroup` (default `none`: nowhere): reclaim's
//! question about a folio charged elsewhere gets the kernel's verdict
//! ([`Fallback::OutOfScope`]), and so does one about a mapped folio that the kernel would
//! activate or keep ([`Fallback::Mapped`]; the kernel's hook already never asks about folios
//! referenced through page tables). The history records only that cgroup's pages (added and
//! deleted folios charged to it, accesses by its tasks): with no cgroup named the probes
//! return before writing anything, and otherwise count per CPU.

use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};

use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::time::Ktime;
use kernel::{new_mutex, new_spinlock};

use crate::cgroup::{self, Cgroup, RawCgroup};
use crate::learned_core::cache::guard::{EvictGuard, Trip, MAX_WINDOW};
use crate::learned_core::cache::insert::{Duel, InsertRule, DEFAULT_INSERT};
use crate::learned_core::cache::keepgate::KeepGate;
use crate::learned_core::cache::pagehist::{page_key, Entry, Meta, Table};
use crate::learned_core::cache::reclaim::{
    Answer, Evictor, Fallback, Scope, Verdict, DEFAULT_MAX_KEEPS,
};
use crate::learned_core::cache::shadow::{
    sampled, sampled_at, DuelShadows, DuelState, Shadow, ShadowState,
};
use crate::learned_core::cache::store::{Slot, Store};
use crate::learned_core::knob;
use crate::learned_core::text::TextBuf;
use crate::model_slot::ModelSlot;
use crate::rcu::{RcuArc, ReadGuard};
use crate::warn::warn_ratelimited;

extern "C" {
    fn lo_folio_mapped(folio: *mut RawFolio) -> bool;
    fn lo_folio_in_cgroup(folio: *mut RawFolio, cgrp: *mut RawCgroup) -> bool;
    fn lo_percpu_alloc(n: u32) -> *mut u64;
    fn lo_percpu_free(c: *mut u64);
    fn lo_percpu_add_return(c: *mut u64, i: u32, v: u64) -> u64;
    fn lo_percpu_sum(c: *mut u64, i: u32) -> u64;
}

/// `struct folio`, opaque here.
///
/// # Invariants
///
/// A `&RawFolio` exists only for a folio that reclaim's hook or a page-cache tracepoint
/// passed in, for the duration of that call, during which its memory cgroup stays put: the
/// folio is locked, or (for the insertion hook) not yet on an LRU list.
#[repr(C)]
pub(crate) struct RawFolio {
    _private: [u8; 0],
}

impl RawFolio {
    fn as_ptr(&self) -> *mut RawFolio {
        ptr::from_ref(self).cast_mut()
    }

    /// Whether it is mapped into some process's page tables.
    fn mapped(&self) -> bool {
        // SAFETY: a live folio (type invariant).
        unsafe { lo_folio_mapped(self.as_ptr()) }
    }

    /// Whether it is charged to `cg`'s memory cgroup or one below it.
    fn charged_to(&self, cg: &Cgroup) -> bool {
        // SAFETY: a live, locked folio (type invariant) and a held cgroup.
        unsafe { lo_folio_in_cgroup(self.as_ptr(), cg.as_raw()) }
    }
}

/// The scope of reclaim's question about `folio`: within `target`, if any.
struct FolioScope<'a> {
    folio: &'a RawFolio,
    target: Option<&'a Cgroup>,
}

impl Scope for FolioScope<'_> {
    fn contains(&self) -> bool {
        self.target.is_some_and(|cg| self.folio.charged_to(cg))
    }

    fn mapped(&self) -> bool {
        self.folio.mapped()
    }
}

/// The indices of the per-CPU counters.
mod ctr {
    use super::Fallback;

    /// Reclaim's questions, by the kernel's verdict (4).
    pub(super) const KERNEL: usize = 0;
    /// The model's answers, by verdict (4).
    pub(super) const MODEL: usize = 4;
    /// The fallback's answers, by reason.
    pub(super) const FALLBACK: usize = 8;
    /// Pages recorded, by event (3).
    pub(super) const EVENTS: usize = FALLBACK + Fallback::COUNT;
    /// Pages of events beyond their first `MAX_PAGES_PER_EVENT`.
    pub(super) const TRUNCATED: usize = EVENTS + 3;
    /// Calls of the hook.
    pub(super) const HOOK_CALLS: usize = TRUNCATED + 1;
    /// Events recorded.
    pub(super) const PROBE_CALLS: usize = HOOK_CALLS + 1;
    /// Questions about a new folio's place on the inactive list.
    pub(super) const INSERT_CALLS: usize = PROBE_CALLS + 1;
    /// Folios the policy put at the inactive tail.
    pub(super) const COLD_INSERTS: usize = INSERT_CALLS + 1;
    /// Cold folios kept once because they had not been read.
    pub(super) const UNREAD: usize = COLD_INSERTS + 1;
    /// Model answers the memo recalled without running the network (counted in `MODEL` too).
    pub(super) const RECALLED: usize = UNREAD + 1;
    /// Counters in all.
    pub(super) const COUNT: usize = RECALLED + 1;
}

/// Counters kept per CPU: adding is one `this_cpu_add_return()` on this CPU's copy, which no
/// other CPU writes; reading sums every CPU's.
///
/// # Invariants
///
/// `ptr` is a per-CPU allocation of [`ctr::COUNT`] counters that this value owns.
struct PerCpu {
    ptr: NonNull<u64>,
}

// SAFETY: the counters are updated only through `this_cpu` operations and read with
// `READ_ONCE`, from any task.
unsafe impl Send for PerCpu {}
// SAFETY: as for `Send`: every method takes `&self` and is safe to call concurrently.
unsafe impl Sync for PerCpu {}

impl PerCpu {
    /// [`ctr::COUNT`] counters at 0. Process context.
    fn new() -> Result<Self> {
        // SAFETY: no preconditions; `COUNT` is small.
        let ptr = unsafe { lo_percpu_alloc(ctr::COUNT as u32) };
        // INVARIANT: a fresh allocation of `COUNT` counters, ours.
        NonNull::new(ptr).map(|ptr| Self { ptr }).ok_or(ENOMEM)
    }

    /// Adds `v` to counter `i` (none if out of range); this CPU's new count. Any context.
    fn add(&self, i: usize, v: u64) -> u64 {
        if i >= ctr::COUNT {
            return 0;
        }
        // SAFETY: `ptr` holds `COUNT` counters (type invariant) and `i` is below that.
        unsafe { lo_percpu_add_return(self.ptr.as_ptr(), i as u32, v) }
    }

    /// Counter `i` over every CPU (0 if out of range). Any context.
    fn get(&self, i: usize) -> u64 {
        if i >= ctr::COUNT {
            return 0;
        }
        // SAFETY: as in `add`.
        unsafe { lo_percpu_sum(self.ptr.as_ptr(), i as u32) }
    }
}

impl Drop for PerCpu {
    fn drop(&mut self) {
        // SAFETY: ours (type invariant), and nothing uses it after this.
        unsafe { lo_percpu_free(self.ptr.as_ptr()) };
    }
}

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
pub(crate) enum PageEvent {
    Add = 0,
    Delete = 1,
    Access = 2,
}

impl PageEvent {
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

/// The CPU time of a path, from one timed call in [`TIME_SAMPLE`] on each CPU; the calls are
/// counted in the per-CPU counter `calls`, only the timed ones here.
struct CostMeter {
    calls: usize,
    timed: AtomicU64,
    ns: AtomicU64,
}

impl CostMeter {
    const fn new(calls: usize) -> Self {
        Self {
            calls,
            timed: AtomicU64::new(0),
            ns: AtomicU64::new(0),
        }
    }

    /// Counts a call in `pc`; the start time if this one is timed.
    fn start(&self, pc: &PerCpu) -> Option<Ktime> {
        let n = pc.add(self.calls, 1);
        (n % TIME_SAMPLE == 1).then(Ktime::ktime_get)
    }

    fn stop(&self, start: Option<Ktime>) {
        if let Some(start) = start {
            let ns = Ktime::ktime_get().to_ns().saturating_sub(start.to_ns());
            self.ns.fetch_add(u64::try_from(ns).unwrap_or(0), Relaxed);
            self.timed.fetch_add(1, Relaxed);
        }
    }

    /// `<name>_calls`, `<name>_ns_mean` and `<name>_ns_total` (extrapolated).
    fn write(&self, pc: &PerCpu, name: &str, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let calls = pc.get(self.calls);
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

/// Counters, lock-free: per CPU, but for the timed calls.
struct Counters {
    pc: PerCpu,
    hook: CostMeter,
    probe: CostMeter,
    insert: CostMeter,
}

/// One miniature simulation: its memory and state.
struct ShadowMem {
    slots: KVVec<Slot>,
    index: KVVec<u32>,
    state: ShadowState,
}

impl ShadowMem {
    fn alloc(state: ShadowState) -> Result<Self> {
        let (slots, index) = Self::alloc_memory()?;
        Ok(Self {
            slots,
            index,
            state,
        })
    }

    /// The slots and index of one miniature simulation ([`SHADOW_SLOTS`]); the insertion
    /// duel's keep their state in the duel's.
    fn alloc_memory() -> Result<(KVVec<Slot>, KVVec<u32>)> {
        Ok((
            KVVec::from_elem(Slot::EMPTY, SHADOW_SLOTS, GFP_KERNEL)?,
            KVVec::from_elem(0u32, Store::buckets_for(SHADOW_SLOTS), GFP_KERNEL)?,
        ))
    }

    /// Replays sampled page `key` in a cache of `cap` sampled pages: whether it missed.
    fn access(&mut self, key: u64, cap: u64) -> Option<bool> {
        Shadow::new(&mut self.slots, &mut self.index, &mut self.state).access(key, cap)
    }
}

/// The insertion duel's two simulations: memory and state.
struct DuelMem {
    stock: (KVVec<Slot>, KVVec<u32>),
    cold: (KVVec<Slot>, KVVec<u32>),
    state: DuelState,
}

impl DuelMem {
    /// Replays page `key` in a cache of `resident` pages if the duel samples it: whether the
    /// stock and the cold simulation missed.
    fn access(&mut self, key: u64, resident: u64) -> Option<(bool, bool)> {
        DuelShadows::new(
            (&mut self.stock.0, &mut self.stock.1),
            (&mut self.cold.0, &mut self.cold.1),
            &mut self.state,
        )
        .access(key, resident)
    }
}

/// The guard's shadow of the kernel's policy and the insertion duel's simulations, under one
/// lock.
struct Shadows {
    stock: ShadowMem,
    duel: DuelMem,
}

/// The eviction policy's memory, allocated before the state is built.
pub(crate) struct EvictMem {
    entries: KVVec<Entry>,
    shadows: Shadows,
    counters: PerCpu,
}

impl EvictMem {
    /// Allocates the history ([`HISTORY_ENTRIES`]) and the shadows ([`SHADOW_SLOTS`] each).
    pub(crate) fn alloc() -> Result<Self> {
        let mut entries = KVVec::with_capacity(HISTORY_ENTRIES, GFP_KERNEL)?;
        for _ in 0..HISTORY_ENTRIES {
            entries.push(Entry::new(), GFP_KERNEL)?;
        }
        Ok(Self {
            entries,
            shadows: Shadows {
                stock: ShadowMem::alloc(ShadowState::new())?,
                duel: DuelMem {
                    stock: ShadowMem::alloc_memory()?,
                    cold: ShadowMem::alloc_memory()?,
                    state: DuelState::new(),
                },
            },
            counters: PerCpu::new()?,
        })
    }
}

/// The eviction policy's state (see the module docs).
#[pin_data]
pub(crate) struct Evict {
    entries: KVVec<Entry>,
    meta: Meta,
    guard: EvictGuard,
    max_keeps: AtomicU32,
    /// `evict/insert`, an [`InsertRule`].
    insert: AtomicU32,
    duel: Duel,
    /// Whether the model's keeps are paying (`learned_core::cache::keepgate`).
    keep_gate: KeepGate,
    counters: Counters,
    #[pin]
    shadows: SpinLock<Shadows>,
    /// The insertion duel's sampling shift, as its state last said: which accesses take the
    /// lock for it.
    duel_shift: AtomicU32,
    /// The cgroup the policy acts in (see the module docs), published to the probes and the
    /// hook.
    target: RcuArc<Cgroup>,
    /// Serialises writers of `target`.
    #[pin]
    scope_lock: Mutex<()>,
    /// Whether reclaim asks us (the kernel has the hook).
    pub(crate) hooked: AtomicBool,
    /// Whether the page-cache tracepoints feed the history.
    pub(crate) probed: AtomicBool,
}

impl Evict {
    /// The policy over `mem`, with the default knobs.
    pub(crate) fn new(mem: EvictMem) -> impl PinInit<Self> {
        let EvictMem {
            entries,
            shadows,
            counters,
        } = mem;
        pin_init!(Self {
            entries,
            meta: Meta::new(),
            guard: EvictGuard::new(),
            max_keeps: AtomicU32::new(DEFAULT_MAX_KEEPS),
            insert: AtomicU32::new(DEFAULT_INSERT as u32),
            duel: Duel::new(),
            keep_gate: KeepGate::new(),
            counters: Counters {
                pc: counters,
                hook: CostMeter::new(ctr::HOOK_CALLS),
                probe: CostMeter::new(ctr::PROBE_CALLS),
                insert: CostMeter::new(ctr::INSERT_CALLS),
            },
            shadows <- new_spinlock!(shadows, "learned_os_evict_shadow"),
            duel_shift: AtomicU32::new(0),
            target: RcuArc::new(),
            scope_lock <- new_mutex!((), "learned_os_evict_scope"),
            hooked: AtomicBool::new(false),
            probed: AtomicBool::new(false),
        })
    }

    fn evictor(&self) -> Option<Evictor<'_>> {
        let mut ev = Evictor::new(Table::new(&self.meta, &self.entries)?, &self.guard);
        ev.max_keeps = self.max_keeps.load(Relaxed);
        ev.insert = self.insert_rule();
        ev.duel = &self.duel;
        ev.keep_gate = Some(&self.keep_gate);
        Some(ev)
    }

    fn insert_rule(&self) -> InsertRule {
        InsertRule::from_u32(self.insert.load(Relaxed)).unwrap_or(InsertRule::Stock)
    }

    /// A page-cache event for pages `[index, index + nr)` of mapping `owner`: `folio`, the
    /// folio added or deleted, or `None` for an access by the current task. Recorded only
    /// within the scope (see the module docs); with no cgroup named, returns having written
    /// nothing. Atomic context.
    pub(crate) fn on_event(
        &self,
        event: PageEvent,
        folio: Option<&RawFolio>,
        owner: u64,
        index: u64,
        nr: u64,
    ) {
        // The whole event in one read-side section: a writer of the scope waits for it.
        let rcu = ReadGuard::new();
        let Some(cg) = self.target.read(&rcu) else {
            return;
        };
        let mine = match folio {
            Some(f) => f.charged_to(cg),
            None => cg.has_current(),
        };
        if !mine {
            return;
        }
        let Some(ev) = self.evictor() else { return };
        let pc = &self.counters.pc;
        let start = self.counters.probe.start(pc);
        let counted = nr.min(MAX_PAGES_PER_EVENT);
        if counted < nr {
            pc.add(ctr::TRUNCATED, nr - counted);
        }
        pc.add(ctr::EVENTS + event as usize, counted);
        for i in 0..counted {
            let key = page_key(owner, index.wrapping_add(i));
            match event {
                PageEvent::Add => ev.on_add(key),
                PageEvent::Delete => ev.on_delete(key),
                PageEvent::Access => self.on_access(&ev, key),
            }
        }
        self.counters.probe.stop(start);
        drop(rcu);
    }

    fn on_access(&self, ev: &Evictor<'_>, key: u64) {
        let guard = sampled(key);
        let duel = ev.insert == InsertRule::Duel && sampled_at(key, self.duel_shift.load(Relaxed));
        if guard || duel {
            let mut shadows = self.shadows.lock();
            let stock = if guard {
                shadows.stock.access(key, ev.shadow_capacity())
            } else {
                None
            };
            let duelled = if duel {
                let d = &mut shadows.duel;
                let m = d.access(key, ev.table.stats().resident);
                self.duel_shift.store(d.state.shift(), Relaxed);
                m
            } else {
                None
            };
            drop(shadows);
            if let Some(miss) = stock {
                ev.shadow_access(miss);
            }
            if let Some((stock, cold)) = duelled {
                ev.duel_access(stock, cold);
            }
        }
        if let Some(t) = ev.on_access(key) {
            log_trip(&t, ev.table.now());
        }
    }

    /// Reclaim's question for `folio`, page `index` of mapping `owner`, which the kernel would
    /// give `kernel`. Atomic context (under `rcu_read_lock()`, with the folio locked).
    pub(crate) fn verdict(
        &self,
        slot: &ModelSlot,
        enabled: bool,
        folio: &RawFolio,
        owner: u64,
        index: u64,
        kernel: u32,
    ) -> u32 {
        let pc = &self.counters.pc;
        let start = self.counters.hook.start(pc);
        if kernel < 4 {
            pc.add(ctr::KERNEL + kernel as usize, 1);
        }
        let Some(ev) = self.evictor() else {
            return Verdict::Default as u32;
        };
        let key = page_key(owner, index);
        let answer = {
            let rcu = ReadGuard::new();
            let scope = FolioScope {
                folio,
                target: self.target.read(&rcu),
            };
            // Disabled: no need to look at the model at all.
            let model = slot.current(&rcu).filter(|_| enabled);
            let mlp = model.and_then(|m| m.mlp());
            // The memo is the loaded model's own: it goes away with it.
            let mut ev = ev;
            ev.memo = model.map(|m| m.memo());
            let answer = ev.verdict_in(&scope, mlp.as_ref(), enabled, key, kernel);
            if let (Some(m), Answer::Model(_)) = (model, answer) {
                m.count_inference();
            }
            answer
        };
        pc.add(
            match answer {
                Answer::Model(v) => ctr::MODEL + v as usize,
                Answer::Recalled(v) => {
                    pc.add(ctr::RECALLED, 1);
                    ctr::MODEL + v as usize
                }
                Answer::Fallback(f) => ctr::FALLBACK + f as usize,
                Answer::Unread => ctr::UNREAD,
            },
            1,
        );
        self.counters.hook.stop(start);
        answer.verdict() as u32
    }

    /// Whether `folio`, page `index` of mapping `owner`, a new file folio about to join the
    /// inactive list, goes to its tail. Under the LRU lock with interrupts off: atomics and
    /// one history lookup, no lock.
    pub(crate) fn insert_cold(
        &self,
        enabled: bool,
        folio: &RawFolio,
        owner: u64,
        index: u64,
    ) -> bool {
        let pc = &self.counters.pc;
        let start = self.counters.insert.start(pc);
        let cold = self.evictor().is_some_and(|ev| {
            let rcu = ReadGuard::new();
            let scope = FolioScope {
                folio,
                target: self.target.read(&rcu),
            };
            ev.insert_cold_in(&scope, enabled, page_key(owner, index))
        });
        if cold {
            pc.add(ctr::COLD_INSERTS, 1);
        }
        self.counters.insert.stop(start);
        cold
    }

    /// `evict/insert`: the insertion rule's name.
    pub(crate) fn show_insert(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        out.line(self.insert_rule().name())
    }

    /// Sets `evict/insert` to `stock`, `cold` or `duel`; anything else is refused with
    /// `EINVAL` and one warning. A new rule starts the duel afresh.
    pub(crate) fn set_insert(&self, input: &[u8]) -> Result {
        let rule = InsertRule::parse(input).ok_or_else(|| {
            warn_ratelimited!("evict/insert: write refused: expected stock, cold or duel\n");
            EINVAL
        })?;
        self.insert.store(rule as u32, Relaxed);
        self.duel.reset();
        Ok(())
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

    /// The opted-in cgroup's path, or `none`.
    pub(crate) fn show_cgroup(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let rcu = ReadGuard::new();
        match self.target.read(&rcu) {
            Some(cg) => out.line(cg.path()),
            None => out.line("none"),
        }
    }

    /// Sets the scope from a sysfs write to `evict/cgroup`: a cgroup v2 path like `/bench`
    /// whose memory controller is enabled, or `none`. A refused write changes nothing. A new
    /// scope starts a new history: the old scope's pages would stay resident in it (their
    /// deletions are out of the new scope). Process context.
    pub(crate) fn set_cgroup(&self, input: &[u8]) -> Result {
        let new = match cgroup::parse_knob("evict/cgroup", input)? {
            None => None,
            Some(cg) => {
                if let Err(e) = cg.limits() {
                    warn_ratelimited!(
                        "evict/cgroup: write refused: {}: the memory controller is not enabled for it\n",
                        cg.path()
                    );
                    return Err(e);
                }
                Some(Arc::new(cg, GFP_KERNEL)?)
            }
        };
        let _writer = self.scope_lock.lock();
        // Waits for a grace period: then no probe records and no verdict is in flight.
        drop(self.target.replace(None));
        if let Some(ev) = self.evictor() {
            ev.table.clear();
        }
        self.duel.reset();
        self.keep_gate.reset();
        // Nothing was published: no grace period to wait for.
        drop(self.target.replace(new));
        Ok(())
    }

    /// Adds the policy's counters to `evict/stats`.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let c = &self.counters;
        let get = |i: usize| c.pc.get(i);
        let scoped = {
            let rcu = ReadGuard::new();
            self.target.read(&rcu).is_some()
        };
        out.kv("supported", u8::from(self.hooked.load(Relaxed)))?;
        out.kv("scoped", u8::from(scoped))?;
        out.kv(
            "history_active",
            u8::from(scoped && self.probed.load(Relaxed)),
        )?;
        for (name, i) in [("reclaim", 1), ("keep", 2), ("activate", 3)] {
            out.kv_prefixed("kernel_verdict_", name, get(ctr::KERNEL + i))?;
        }
        let model: u64 = (0..4).map(|i| get(ctr::MODEL + i)).sum();
        let fallback: u64 = (0..Fallback::COUNT).map(|i| get(ctr::FALLBACK + i)).sum();
        out.kv("decisions_model", model)?;
        out.kv("decisions_fallback", fallback)?;
        for (name, i) in [("default", 0), ("reclaim", 1), ("keep", 2), ("activate", 3)] {
            out.kv_prefixed("model_verdict_", name, get(ctr::MODEL + i))?;
        }
        for f in Fallback::ALL {
            out.kv_prefixed("fallback_", f.name(), get(ctr::FALLBACK + f as usize))?;
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
        let (accesses, misses, restarts, duel) = {
            let shadows = self.shadows.lock();
            let (a, m) = shadows.stock.state.counts();
            (a, m, shadows.stock.state.restarts(), shadows.duel.state)
        };
        let [duel_stock, duel_cold] = duel.counts();
        out.kv("shadow_accesses", accesses)?;
        out.kv("shadow_misses", misses)?;
        out.kv("shadow_restarts", restarts)?;
        out.kv("insert_duel_sample_shift", duel.shift())?;
        out.kv("insert_duel_retargets", duel.retargets())?;
        out.kv("insert_duel_accesses", duel.total())?;
        out.kv("insert_stock_shadow_misses", duel_stock.1)?;
        out.kv("insert_cold_shadow_accesses", duel_cold.0)?;
        out.kv("insert_cold_shadow_misses", duel_cold.1)?;
        out.kv("insert_duel_cold_wins", u8::from(self.duel.cold_wins()))?;
        out.kv("insert_cold", get(ctr::COLD_INSERTS))?;
        out.kv("insert_unread_kept", get(ctr::UNREAD))?;
        let (precision, refaults) = self.keep_gate.rates_permille();
        out.kv("keep_gate_open", u8::from(self.keep_gate.open()))?;
        out.kv("keep_precision_permille", precision)?;
        out.kv("keep_refault_permille", refaults)?;
        let recalled = get(ctr::RECALLED);
        out.kv("inferences", model.saturating_sub(recalled))?;
        out.kv("model_recalled", recalled)?;
        c.hook.write(&c.pc, "hook", out)?;
        c.probe.write(&c.pc, "probe", out)?;
        c.insert.write(&c.pc, "insert", out)?;
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
            out.kv_prefixed("pages_", name, get(ctr::EVENTS + i))?;
        }
        out.kv("pages_truncated", get(ctr::TRUNCATED))
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
