// SPDX-License-Identifier: GPL-2.0

//! The scheduler policy (`sched`): learned CPU-burst prediction that sets per-task EEVDF
//! slices, with the kernel's default slice as the exact fallback.
//!
//! - **Events** ([`probes`]): probes on `sched_switch`, `sched_waking`, `sched_wakeup_new`
//!   and `sched_process_exit` feed each normal user task's history (`learned_core::sched`'s
//!   `Task`, in a bounded table of [`SLOTS`] tasks) while the policy is enabled. They run
//!   with the runqueue lock held or from interrupts: one raw spinlock ([`lock`]), no
//!   allocation, bounded work. A task's exit removes it.
//! - **Prediction** ([`apply`]). For each task that finished a burst (blocked) since its last
//!   prediction, the work runs the loaded model on a copy of its history, outside every lock
//!   (in the probes it cost 10% of the batch tasks' throughput and doubled the short tasks'
//!   p99 latency in `make bench-sched`); the class of the next burst maps to the slice the
//!   policy wants ([`sched::slice_ns`]). Without a model, with too short a history, or for
//!   the middle class, the task keeps the kernel's default slice. A preempted task whose
//!   current burst is already long wants a long slice at once (the probe knows that much).
//! - **Applying** ([`apply`]): a periodic work item, off the hot path, sets the slices that
//!   changed with `sched_set_slice()` (the slice alone; only tasks in `sched/cgroup` if one is set;
//!   never RT or deadline tasks, never kernel threads) and restores every slice it set: on
//!   fallback windows, on disable and on unload. A slice someone else changed since is left
//!   alone (`foreign_changes`).
//! - **Guard.** Windows of `window_ms` alternate between the learned slices and the default
//!   ones; each measures the wakeup latency of short-burst tasks and the CPU time of
//!   long-burst ones. After `guard_trip_after` learned windows in a row worse than their
//!   fallback neighbours (beyond `guard_margin_ppm`), the guard trips: default slices until
//!   the policy is enabled again.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering::Relaxed};

use kernel::alloc::KVVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

use crate::cgroup::{self, Cgroup, RawCgroup};
use crate::kapi::sync::{new_irq_raw_spinlock, IrqRawSpinLock};
use crate::kapi::workqueue::{self, DelayedWork, Queue};
use crate::knobs::{Knobs, SCHED_WORK};
use crate::learned_core::knob;
use crate::learned_core::sched::guard::{role, Role};
use crate::learned_core::sched::{
    ongoing_class, slice_ns, GuardConfig, Phase, Reason, SliceGuard, Slot, Table, TableStats, Task,
    WindowStats, NONE,
};
use crate::learned_core::text::TextBuf;
use crate::model_slot::ModelSlot;
use crate::rcu::ReadGuard;
use crate::warn::warn_ratelimited;

mod apply;
pub(crate) mod probes;
mod task;

pub(crate) use apply::SchedWork;

/// Tasks the table holds (128 bytes each).
pub(crate) const SLOTS: usize = 4096;

extern "C" {
    fn lo_sched_now() -> u64;
    fn lo_sched_set_cgroup(cgrp: *mut RawCgroup);
    fn lo_sched_set_recording(on: bool);
}

/// The clock of the probes' events, ns.
pub(crate) fn now() -> u64 {
    // SAFETY: no precondition; reads a clock.
    unsafe { lo_sched_now() }
}

/// A numeric knob only `sched` has.
#[derive(Clone, Copy)]
pub(crate) enum SchedKnob {
    /// Period of the work that applies slices, ms.
    IntervalMs,
    /// Length of a guard window, ms.
    WindowMs,
    /// How much worse a learned window's p99 short-task latency may be, ppm (may be < 0).
    GuardMarginPpm,
    /// Worse learned windows in a row that trip the guard.
    GuardTripAfter,
    /// The fewest short-task latencies a window needs to be judged.
    GuardMinSamples,
}

impl SchedKnob {
    /// Name, smallest and largest value, default.
    fn spec(self) -> (&'static str, i64, i64, i64) {
        match self {
            Self::IntervalMs => ("interval_ms", 1, 1000, 100),
            Self::WindowMs => ("window_ms", 10, 60_000, 1000),
            Self::GuardMarginPpm => ("guard_margin_ppm", -1_000_000, 10_000_000, 100_000),
            Self::GuardTripAfter => ("guard_trip_after", 1, 1000, 3),
            Self::GuardMinSamples => ("guard_min_samples", 1, 1_000_000, 100),
        }
    }
}

/// Event counts, by `lo_sched_event`.
#[derive(Clone, Copy, Default)]
struct Events {
    wake: u64,
    run: u64,
    stop: u64,
    exit: u64,
    /// Tasks whose pid was reused without their exit seen: their history restarted.
    reused: u64,
    /// Bursts ended (voluntary switches).
    bursts: u64,
    /// Long slices wanted for a burst already long (CPU-bound tasks), with a model loaded.
    ongoing: u64,
}

/// What the probes and the work share, under the raw lock.
pub(super) struct State {
    slots: KVVec<Slot>,
    table: TableStats,
    /// The guard window being measured, since `window_start`.
    window: WindowStats,
    window_start: u64,
    guard: SliceGuard,
    events: Events,
    /// Predictions by `Reason`.
    reasons: [u64; Reason::ALL.len()],
    /// Time spent in predictions (features and inference), ns.
    predict_ns: u64,
    /// Slots with a slice applied.
    applied: u64,
    /// Where the work's scan of the table for slice changes resumes.
    cursor: usize,
    /// Where its scan for tasks to predict resumes.
    predict_cursor: usize,
}

impl State {
    /// The table over the slots, and where its counters go back after use.
    fn table(&mut self) -> (Table<'_>, &mut TableStats) {
        (Table::resume(&mut self.slots, self.table), &mut self.table)
    }
}

/// The table's memory, allocated before the module's state.
pub(crate) struct SchedMem(State);

impl SchedMem {
    /// [`SLOTS`] empty slots.
    pub(crate) fn alloc() -> Result<Self> {
        let mut slots = KVVec::from_elem(Slot::EMPTY, SLOTS, GFP_KERNEL)?;
        let table = Table::new(&mut slots).stats();
        Ok(Self(State {
            slots,
            table,
            window: WindowStats::new(),
            window_start: 0,
            guard: SliceGuard::new(GuardConfig::DEFAULT),
            events: Events::default(),
            reasons: [0; Reason::ALL.len()],
            predict_ns: 0,
            applied: 0,
            cursor: 0,
            predict_cursor: 0,
        }))
    }
}

/// Counts of the work's changes to tasks.
#[derive(Default)]
struct Changes {
    /// Slices set to a learned class.
    set: AtomicU64,
    /// Slices put back to what they were.
    restored: AtomicU64,
    /// `sched_set_slice` failures.
    failures: AtomicU64,
    /// Tasks gone (exited) before the work got to them.
    gone: AtomicU64,
    /// Tasks no longer normal (made RT or deadline), or outside `cgroup`.
    skipped: AtomicU64,
    /// Slices someone else changed after this module set them: left as they are.
    foreign: AtomicU64,
}

/// The policy's state.
#[pin_data]
pub(crate) struct Sched {
    /// Taken by the probes, under the runqueue's raw lock and in interrupts.
    #[pin]
    state: IrqRawSpinLock<State>,
    /// The probes record events (the policy is enabled); the shim's gate mirrors it.
    recording: AtomicBool,
    /// Events of tasks the policy does not touch (RT, deadline, kernel threads, outside the
    /// cgroup), counted without the lock.
    ineligible: AtomicU64,
    interval_ms: AtomicI32,
    window_ms: AtomicI32,
    margin_ppm: AtomicI32,
    trip_after: AtomicI32,
    min_samples: AtomicI32,
    changes: Changes,
    /// Only tasks in this cgroup get learned slices (`None`: every normal user task).
    #[pin]
    cgroup: Mutex<Option<Arc<Cgroup>>>,
    /// Predicts and applies the slices, on the module's queue.
    #[pin]
    pub(crate) work: DelayedWork<Knobs, SCHED_WORK>,
}

impl Sched {
    /// The policy over `mem`, disabled; its work on `queue`.
    pub(crate) fn new(mem: SchedMem, queue: Arc<Queue>) -> impl PinInit<Self> {
        let default = |k: SchedKnob| AtomicI32::new(k.spec().3 as i32);
        pin_init!(Self {
            state <- new_irq_raw_spinlock!(mem.0, "learned_os_sched_state"),
            recording: AtomicBool::new(false),
            ineligible: AtomicU64::new(0),
            interval_ms: default(SchedKnob::IntervalMs),
            window_ms: default(SchedKnob::WindowMs),
            margin_ppm: default(SchedKnob::GuardMarginPpm),
            trip_after: default(SchedKnob::GuardTripAfter),
            min_samples: default(SchedKnob::GuardMinSamples),
            changes: Changes::default(),
            cgroup <- new_mutex!(None, "learned_os_sched_cgroup"),
            work <- workqueue::new_delayed_work!(queue, "learned_os_sched_work"),
        })
    }

    /// Runs the work now (the policy was enabled or disabled).
    pub(crate) fn kick(&self) {
        self.work.schedule(0);
    }

    fn knob_slot(&self, k: SchedKnob) -> &AtomicI32 {
        match k {
            SchedKnob::IntervalMs => &self.interval_ms,
            SchedKnob::WindowMs => &self.window_ms,
            SchedKnob::GuardMarginPpm => &self.margin_ppm,
            SchedKnob::GuardTripAfter => &self.trip_after,
            SchedKnob::GuardMinSamples => &self.min_samples,
        }
    }

    /// The value of knob `k`.
    pub(crate) fn knob(&self, k: SchedKnob) -> i32 {
        self.knob_slot(k).load(Relaxed)
    }

    /// The guard's settings, from the knobs.
    fn guard_config(&self) -> GuardConfig {
        let pos = |k| u32::try_from(self.knob(k)).unwrap_or(1);
        GuardConfig {
            margin_ppm: self.knob(SchedKnob::GuardMarginPpm),
            trip_after: pos(SchedKnob::GuardTripAfter),
            min_samples: pos(SchedKnob::GuardMinSamples),
            ..GuardConfig::DEFAULT
        }
    }

    /// Sets knob `k` from a sysfs write; a bad value is refused with `EINVAL` and one
    /// warning, and the old value stays.
    pub(crate) fn set_knob(&self, k: SchedKnob, input: &[u8]) -> Result {
        let (name, lo, hi, _) = k.spec();
        let mut v = [0i32; 1];
        let parsed = knob::parse_i32_list(input, &mut v);
        let ok = matches!(parsed, Ok(1)) && (lo..=hi).contains(&i64::from(v[0]));
        if !ok {
            warn_ratelimited!(
                "sched/{}: write refused: expected one integer in {}..={}\n",
                name,
                lo,
                hi
            );
            return Err(EINVAL);
        }
        self.knob_slot(k).store(v[0], Relaxed);
        let config = self.guard_config();
        self.state.lock().guard.set_config(config);
        Ok(())
    }

    /// Writes `sched/cgroup`: its path, or `none`.
    pub(crate) fn show_cgroup(&self, out: &mut TextBuf<'_>) -> fmt::Result {
        match self.cgroup.lock().as_ref() {
            Some(cg) => out.line(cg.path()),
            None => out.line("none"),
        }
    }

    /// Sets `sched/cgroup` from a sysfs write (a path like `/bench`, or `none`); only while
    /// the policy is disabled (`EBUSY`), so that no slice is set outside the new one. The
    /// probes then record (and the guard measures) only tasks in it.
    pub(crate) fn set_cgroup(&self, enabled: bool, input: &[u8]) -> Result {
        if enabled {
            warn_ratelimited!("sched/cgroup: write refused: disable sched first\n");
            return Err(EBUSY);
        }
        let new = match cgroup::parse_knob("sched/cgroup", input)? {
            Some(cg) => Some(Arc::new(cg, GFP_KERNEL)?),
            None => None,
        };
        let mut cur = self.cgroup.lock();
        let raw = new.as_ref().map_or(core::ptr::null_mut(), |cg| cg.as_raw());
        let old = core::mem::replace(&mut *cur, new);
        // SAFETY: `raw` is null or held by `*cur` until the next call replaces it, and this
        // call waits until no probe uses the previous one, which may then go.
        unsafe { lo_sched_set_cgroup(raw) };
        drop(old);
        Ok(())
    }

    /// The cgroup learned slices are limited to, if any.
    fn target(&self) -> Option<Arc<Cgroup>> {
        self.cgroup.lock().clone()
    }

    /// `sched/enabled` changed to `on`: enabling starts recording, with the guard reset (no
    /// longer tripped, its counters kept) and a learned window; disabling stops recording
    /// (the work restores the slices).
    pub(crate) fn set_enabled(&self, on: bool) {
        if on {
            let config = self.guard_config();
            let mut st = self.state.lock();
            st.guard.set_config(config);
            st.guard.reset();
            st.window.clear();
            st.window_start = now();
            drop(st);
            self.recording.store(true, Relaxed);
        } else {
            self.recording.store(false, Relaxed);
        }
        // SAFETY: sets a flag the probes read; any context.
        unsafe { lo_sched_set_recording(on) };
    }

    /// A scheduler event (see `probes`). Atomic context, interrupts possibly off: takes the
    /// raw lock, bounded work.
    fn on_event(&self, slot: &ModelSlot, ev: probes::SchedEvent, pid: u32, start: u64, now: u64) {
        use probes::SchedEvent;
        if let SchedEvent::Exit = ev {
            let mut st = self.state.lock();
            st.events.exit += 1;
            let (mut table, keep) = st.table();
            let gone = table.remove(pid);
            *keep = table.stats();
            if gone.is_some_and(|s| s.applied != NONE) {
                st.applied = st.applied.saturating_sub(1);
            }
            return;
        }
        // While not recording the shim passes only exits; the rest is bookkeeping.
        let Some(ev) = ev.eligible() else {
            self.ineligible.fetch_add(1, Relaxed);
            return;
        };
        let mut st = self.state.lock();
        let State {
            slots,
            table,
            window,
            events,
            applied,
            ..
        } = &mut *st;
        let mut t = Table::resume(slots, *table);
        let s = t.get_or_insert(pid, now);
        let Some(s) = s else {
            *table = t.stats();
            return;
        };
        if s.start != start {
            // A new task with an old pid (its exit was not seen): start over.
            if s.start != 0 {
                events.reused += 1;
            }
            if s.applied != NONE {
                *applied = applied.saturating_sub(1);
            }
            s.task = Task::EMPTY;
            s.want = NONE;
            s.applied = NONE;
            s.orig_ns = 0;
            s.start = start;
        }
        match ev {
            probes::Eligible::Wake { irq } => {
                events.wake += 1;
                s.task.wake(now, irq);
            }
            probes::Eligible::Run => {
                events.run += 1;
                if let Some(latency) = s.task.run(now) {
                    if role(&s.task) == Role::Short {
                        window.short_latency.record(latency);
                    }
                }
            }
            probes::Eligible::Stop { voluntary } => {
                events.stop += 1;
                let before = s.task.burst_so_far_ns();
                let ended = s.task.stop(now, voluntary);
                let ran = ended
                    .unwrap_or_else(|| s.task.burst_so_far_ns())
                    .saturating_sub(before);
                if role(&s.task) == Role::Long {
                    window.long_cpu_ns = window.long_cpu_ns.saturating_add(ran);
                    window.long_preempts += u64::from(!voluntary);
                }
                if ended.is_some() {
                    // The work predicts the next burst (`apply`), off this path.
                    events.bursts += 1;
                } else if let Some(c) = ongoing_class(&s.task).filter(|&c| slice_ns(c) != 0) {
                    // Preempted: a CPU-bound task may never block, so never get a
                    // prediction; once its current burst is long, it is long for sure.
                    let rcu = ReadGuard::new();
                    if slot.current(&rcu).is_some() && (s.want == NONE || s.want < c) {
                        s.want = c;
                        events.ongoing += 1;
                    }
                }
            }
        }
        *table = t.stats();
    }

    /// Writes the policy's own `stats` lines.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> fmt::Result {
        let (ev, reasons, predict_ns, applied, table, gs, phase, window) = {
            let st = self.state.lock();
            (
                st.events,
                st.reasons,
                st.predict_ns,
                st.applied,
                st.table,
                st.guard.stats(),
                st.guard.phase(),
                st.window.short_latency.count(),
            )
        };
        out.kv("recording", u8::from(self.recording.load(Relaxed)))?;
        out.kv("events_wake", ev.wake)?;
        out.kv("events_run", ev.run)?;
        out.kv("events_stop", ev.stop)?;
        out.kv("events_exit", ev.exit)?;
        out.kv("events_ineligible", self.ineligible.load(Relaxed))?;
        out.kv("pid_reused", ev.reused)?;
        out.kv("bursts", ev.bursts)?;
        out.kv("ongoing_long", ev.ongoing)?;
        let mut predictions = 0u64;
        for r in Reason::ALL {
            let n = reasons.get(r as usize).copied().unwrap_or(0);
            predictions += n;
            out.kv_prefixed("predict_", r.name(), n)?;
        }
        out.kv("predict_ns_total", predict_ns)?;
        out.kv(
            "predict_ns_mean",
            predict_ns.checked_div(predictions).unwrap_or(0),
        )?;
        out.kv("tasks", table.entries)?;
        out.kv("table_capacity", table.capacity)?;
        out.kv("table_inserts", table.inserts)?;
        out.kv("table_evictions", table.evictions)?;
        out.kv("table_full", table.full)?;
        out.kv("table_removes", table.removes)?;
        out.kv("slices_applied", applied)?;
        let c = &self.changes;
        out.kv("slices_set", c.set.load(Relaxed))?;
        out.kv("slices_restored", c.restored.load(Relaxed))?;
        out.kv("set_failures", c.failures.load(Relaxed))?;
        out.kv("tasks_gone", c.gone.load(Relaxed))?;
        out.kv("tasks_skipped", c.skipped.load(Relaxed))?;
        out.kv("foreign_changes", c.foreign.load(Relaxed))?;
        out.kv("guard_fallback_window", u8::from(phase == Phase::Fallback))?;
        out.kv("guard_tripped", u8::from(gs.tripped))?;
        out.kv("guard_windows", gs.windows)?;
        out.kv("guard_comparisons", gs.comparisons)?;
        out.kv("guard_worse", gs.worse)?;
        out.kv("guard_better", gs.better)?;
        out.kv("guard_inconclusive", gs.inconclusive)?;
        out.kv("guard_trips", gs.trips)?;
        out.kv("guard_streak", gs.streak)?;
        out.kv("guard_learned_p99_ns", gs.learned_p99_ns)?;
        out.kv("guard_fallback_p99_ns", gs.fallback_p99_ns)?;
        out.kv("guard_learned_cpu_ppm", gs.learned_cpu_ppm)?;
        out.kv("guard_fallback_cpu_ppm", gs.fallback_cpu_ppm)?;
        out.kv("window_samples", window)
    }
}
