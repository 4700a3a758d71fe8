// SPDX-License-Identifier: GPL-2.0

//! The periodic work that turns the policy's wishes into slices: it ends guard windows, sets
//! the learned slices that changed (learned windows, policy enabled, guard not tripped) and
//! restores every slice it set otherwise. Process context: a task lookup may sleep, so the
//! table's raw lock is only held to pick a batch of tasks and to record the outcome.

use core::sync::atomic::Ordering::Relaxed;

use kernel::prelude::*;
use kernel::sync::Arc;

use super::task::TaskRef;
use super::{now, Sched, SchedKnob, State, NONE, SLOTS};
use crate::cgroup::Cgroup;
use crate::kapi::workqueue::{DelayedWorkItem, Registration};
use crate::knobs::{Knobs, SCHED_WORK};
use crate::learned_core::sched::{predict, slice_ns, Phase, Reason, Table, Task, Verdict};
use crate::model_slot::ModelSlot;
use crate::policy::PolicyId;
use crate::rcu::ReadGuard;

/// Tasks picked per hold of the raw lock.
const BATCH: usize = 32;
/// The most slice changes per run of the work; the rest wait for the next run.
const MAX_CHANGES: usize = 256;
/// Task histories copied out per hold of the raw lock, for predictions.
const PREDICT_BATCH: usize = 16;
/// Slots scanned per hold of the raw lock, looking for tasks to predict.
const SCAN_PER_HOLD: usize = 256;
/// The most predictions per run of the work; the rest wait for the next run.
const MAX_PREDICTIONS: usize = 512;

/// A task to predict for, as copied under the lock.
#[derive(Clone, Copy)]
struct Pending {
    pid: u32,
    start: u64,
    task: Task,
}

impl Default for Pending {
    fn default() -> Self {
        Self {
            pid: 0,
            start: 0,
            task: Task::EMPTY,
        }
    }
}

/// A task whose slice should change, as picked under the lock.
#[derive(Clone, Copy, Default)]
struct Pick {
    pid: u32,
    start: u64,
    /// The class it should have (`NONE`: its own slice back).
    target: u8,
    /// The class it has now.
    applied: u8,
    /// Its slice before this module set one (0: the default).
    orig_ns: u64,
}

/// What to do with the slices now.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Give every task the slice it wants.
    Learned,
    /// Restore every slice this module set.
    Restore,
}

impl Sched {
    /// Copies out up to `out.len()` tasks that finished a burst since their last prediction,
    /// scanning on from the prediction cursor at most `left` slots (decremented), at most
    /// [`SCAN_PER_HOLD`] of them in this hold of the lock; returns how many.
    fn pending(&self, out: &mut [Pending], left: &mut usize) -> usize {
        let mut st = self.state.lock();
        let State {
            slots,
            table,
            predict_cursor,
            ..
        } = &mut *st;
        let mut t = Table::resume(slots, *table);
        let cap = t.capacity().max(1);
        let (mut n, mut scanned) = (0, 0);
        while *left > 0 && scanned < SCAN_PER_HOLD && n < out.len() {
            let i = *predict_cursor % cap;
            *predict_cursor = i + 1;
            *left -= 1;
            scanned += 1;
            let Some(s) = t.slot_mut(i) else {
                continue;
            };
            if s.task.bursts() == s.predicted_bursts {
                continue;
            }
            if let Some(p) = out.get_mut(n) {
                *p = Pending {
                    pid: s.pid(),
                    start: s.start,
                    task: s.task,
                };
                n += 1;
            }
        }
        n
    }

    /// Predicts the next burst of every task that finished one since its last prediction
    /// (at most [`MAX_PREDICTIONS`] per run): the model runs on copies of the histories,
    /// outside the lock, and the classes go back to the tasks still there.
    fn predict_pending(&self, model_slot: &ModelSlot) {
        let mut batch = [Pending::default(); PREDICT_BATCH];
        let mut answers = [(None, Reason::NoModel, 0u64); PREDICT_BATCH];
        let (mut left, mut done) = (SLOTS, 0);
        while left > 0 && done < MAX_PREDICTIONS {
            let n = self.pending(&mut batch, &mut left);
            {
                let rcu = ReadGuard::new();
                let model = model_slot.current(&rcu);
                let mlp = model.and_then(|m| m.mlp());
                for (p, a) in batch.iter().zip(answers.iter_mut()).take(n) {
                    let t0 = now();
                    let (class, reason) = predict(&p.task, mlp.as_ref());
                    *a = (class, reason, now().saturating_sub(t0));
                    if let (Some(m), Reason::Model) = (model, reason) {
                        m.count_inference();
                    }
                }
            }
            let mut st = self.state.lock();
            let State {
                slots,
                table,
                reasons,
                predict_ns,
                ..
            } = &mut *st;
            let mut t = Table::resume(slots, *table);
            for (p, &(class, reason, ns)) in batch.iter().zip(answers.iter()).take(n) {
                if let Some(r) = reasons.get_mut(reason as usize) {
                    *r += 1;
                }
                *predict_ns = predict_ns.saturating_add(ns);
                // The task may have exited, or finished more bursts meanwhile (the next run
                // predicts again then).
                if let Some(s) = t.get(p.pid).filter(|s| s.start == p.start) {
                    s.want = class.filter(|&c| slice_ns(c) != 0).unwrap_or(NONE);
                    s.predicted_bursts = p.task.bursts();
                }
            }
            *table = t.stats();
            done += n;
        }
    }

    /// Starts the next window when the current one is over, and lets the guard judge it.
    fn end_window(&self) {
        let window_ns = u64::try_from(self.knob(SchedKnob::WindowMs))
            .unwrap_or(1)
            .saturating_mul(1_000_000);
        let t = now();
        let mut st = self.state.lock();
        let len = t.saturating_sub(st.window_start);
        if len < window_ns {
            return;
        }
        let mut w = st.window;
        w.len_ns = len;
        st.window.clear();
        st.window_start = t;
        if st.guard.end_window(&w, t) == Verdict::Tripped {
            drop(st);
            pr_info!("sched: guard tripped: learned slices did worse than the default; default slices until re-enabled\n");
        }
    }

    /// Picks up to `out.len()` tasks whose slice should change in `mode`, scanning on from
    /// the cursor at most `left` slots (decremented by the slots scanned); returns how many.
    fn pick(&self, mode: Mode, out: &mut [Pick], left: &mut usize) -> usize {
        let mut st = self.state.lock();
        let State {
            slots,
            table,
            cursor,
            ..
        } = &mut *st;
        let mut t = Table::resume(slots, *table);
        let cap = t.capacity();
        let mut n = 0;
        while *left > 0 && n < out.len() {
            let i = *cursor % cap.max(1);
            *cursor = i + 1;
            *left -= 1;
            let Some(s) = t.slot_mut(i) else {
                continue;
            };
            let target = match mode {
                Mode::Learned => s.want,
                Mode::Restore => NONE,
            };
            if target == s.applied {
                continue;
            }
            if let Some(p) = out.get_mut(n) {
                *p = Pick {
                    pid: s.pid(),
                    start: s.start,
                    target,
                    applied: s.applied,
                    orig_ns: s.orig_ns,
                };
                n += 1;
            }
        }
        n
    }

    /// Records that the task of `p` now has class `applied` (from its slice `orig_ns`), if
    /// its slot is still the same task's; `false` if it is not.
    fn record(&self, p: &Pick, applied: u8, orig_ns: u64) -> bool {
        let mut st = self.state.lock();
        let State {
            slots,
            table,
            applied: count,
            ..
        } = &mut *st;
        let mut t = Table::resume(slots, *table);
        let Some(s) = t.get(p.pid).filter(|s| s.start == p.start) else {
            return false;
        };
        match (s.applied == NONE, applied == NONE) {
            (true, false) => *count += 1,
            (false, true) => *count = count.saturating_sub(1),
            _ => {}
        }
        s.applied = applied;
        s.orig_ns = orig_ns;
        *table = t.stats();
        true
    }

    /// Moves the task of `p` towards its target class, as far as it may.
    fn change(&self, p: &Pick, cg: Option<&Cgroup>) {
        let c = &self.changes;
        let Some(task) = TaskRef::get(p.pid, p.start) else {
            c.gone.fetch_add(1, Relaxed);
            self.record(p, NONE, 0);
            return;
        };
        let Ok(slice) = task.slice() else {
            // Made RT or deadline: its slice is not ours to restore any more.
            c.skipped.fetch_add(1, Relaxed);
            self.record(p, NONE, 0);
            return;
        };
        if p.applied != NONE && !(slice.custom && slice.ns == slice_ns(p.applied)) {
            // Someone set another slice since ours: theirs stays.
            c.foreign.fetch_add(1, Relaxed);
            self.record(p, NONE, 0);
            return;
        }
        let mut target = p.target;
        if target != NONE && cg.is_some_and(|cg| !task.in_cgroup(cg)) {
            c.skipped.fetch_add(1, Relaxed);
            target = NONE;
            if p.applied == NONE {
                // Nothing of ours to undo; it may move into the cgroup later.
                return;
            }
        }
        let orig_ns = match (p.applied, slice.custom) {
            (NONE, true) => slice.ns,
            (NONE, false) => 0,
            _ => p.orig_ns,
        };
        let ns = if target == NONE {
            orig_ns
        } else {
            slice_ns(target)
        };
        if task.set_slice(ns).is_err() {
            c.failures.fetch_add(1, Relaxed);
            return;
        }
        if !self.record(p, target, orig_ns) {
            // The task left the table meanwhile (an exit, or an eviction of a slot with no
            // slice yet): nothing would ever restore this one, so undo it now.
            if target != NONE && task.set_slice(orig_ns).is_err() {
                c.failures.fetch_add(1, Relaxed);
            }
            return;
        }
        match target {
            NONE => c.restored.fetch_add(1, Relaxed),
            _ => c.set.fetch_add(1, Relaxed),
        };
    }

    /// One run of the work: returns whether it should run again.
    fn tick(&self, model_slot: &ModelSlot, enabled: bool) -> bool {
        if enabled {
            self.end_window();
            self.predict_pending(model_slot);
        }
        let (phase, tripped) = {
            let st = self.state.lock();
            (st.guard.phase(), st.guard.tripped())
        };
        let mode = if enabled && phase == Phase::Learned && !tripped {
            Mode::Learned
        } else {
            Mode::Restore
        };
        let cg = self.target();
        let mut picks = [Pick::default(); BATCH];
        let (mut left, mut changes) = (SLOTS, 0);
        while left > 0 && changes < MAX_CHANGES {
            let n = self.pick(mode, &mut picks, &mut left);
            for p in picks.iter().take(n) {
                self.change(p, cg.as_deref());
            }
            changes += n;
        }
        enabled || self.state.lock().applied > 0
    }

    /// Restores every slice this module set, however long it takes (unload: the probes are
    /// gone, nothing else changes the table).
    fn restore_all(&self) {
        let mut picks = [Pick::default(); BATCH];
        let mut left = SLOTS;
        while left > 0 {
            let n = self.pick(Mode::Restore, &mut picks, &mut left);
            for p in picks.iter().take(n) {
                self.change(p, None);
            }
        }
    }
}

/// The periodic work, enabled for the module's lifetime; dropping it stops the work and
/// restores every slice.
pub(crate) struct SchedWork {
    knobs: Arc<Knobs>,
    /// `Some` until `drop`, which disables the work before restoring the slices.
    work: Option<Registration<Knobs, SCHED_WORK>>,
}

impl SchedWork {
    /// Enables the work of `knobs`' scheduler policy, idle until [`Sched::kick`].
    pub(crate) fn new(knobs: Arc<Knobs>) -> Self {
        let work = Some(Registration::new(knobs.clone()));
        Self { knobs, work }
    }
}

impl Drop for SchedWork {
    fn drop(&mut self) {
        // After this no callback runs, and the work cannot be queued again.
        drop(self.work.take());
        self.knobs.sched().restore_all();
    }
}

impl DelayedWorkItem<SCHED_WORK> for Knobs {
    /// Predicts and applies slices; re-arms while there is work to do.
    fn run(&self) {
        let sched = self.sched();
        let enabled = self.policy(PolicyId::Sched).enabled();
        if sched.tick(self.slot(PolicyId::Sched), enabled) {
            let ms = u32::try_from(sched.knob(SchedKnob::IntervalMs)).unwrap_or(100);
            sched.work.schedule(ms);
        }
    }
}
