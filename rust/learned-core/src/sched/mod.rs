// SPDX-License-Identifier: GPL-2.0

//! The scheduler policy's shared half: learned CPU-burst prediction that sets per-task EEVDF
//! time slices, with the kernel's default slice as the fallback (issue 7).
//!
//! # Design
//!
//! 1. **History** ([`task::Task`], 96 bytes per task). The kernel probes the scheduler's
//!    tracepoints and feeds each task's events, in order, to its `Task`: a wakeup
//!    (`sched_waking`: [`Task::wake`]), being switched in ([`Task::run`]) and being switched
//!    out ([`Task::stop`], voluntary when the task blocks, involuntary when it is preempted
//!    while runnable). A *burst* is the CPU time from a wakeup until the task next sleeps,
//!    summed over the preemptions in between. The task keeps its last [`HISTORY`] bursts,
//!    its last [`SLEEPS`] sleeps, which of its last 16 switches were involuntary and which of
//!    its last 8 wakeups came from an interrupt.
//! 2. **Table** ([`table::Table`]): the tasks by pid, in a bounded open-addressing hash table
//!    over slots the kernel allocates once. A lookup or an insertion looks at no more than
//!    [`PROBE`] slots; a full window evicts its least recently seen task, but never one whose
//!    slice the kernel has changed and not yet restored.
//! 3. **Prediction** ([`mod@features`], the model's schema `sched` v1). Right after a voluntary
//!    stop, the kernel asks [`predict`] for the class of the task's *next* burst
//!    ([`CLASSES`] classes, [`class_of`]) from [`FEATURES`] int8 features of its history. The
//!    class maps to a slice ([`slice_ns`]): short bursts get short slices (an earlier virtual
//!    deadline, so the task preempts sooner when it wakes), long bursts long slices (fewer
//!    preemptions), the middle class the kernel's default. The kernel records the class it
//!    wants in the task's [`Slot::want`] and the one it applied in [`Slot::applied`].
//! 4. **Fallback.** With no model, with fewer than [`MIN_HISTORY`] bursts, with a model of
//!    the wrong shape, while the guard is in a fallback window or tripped, or with the policy
//!    disabled, the task keeps the kernel's default slice, exactly: the kernel restores
//!    every slice it changed.
//! 5. **Guard** ([`guard::SliceGuard`]). Time is cut into windows that alternate between the
//!    learned slices and the fallback. Each window measures the wakeup latency of
//!    short-burst tasks (a histogram: [`guard::LatHist`]) and the CPU time long-burst tasks
//!    got. Each window is compared with the one before it; after a few learned windows in a
//!    row that are worse than their fallback neighbours (higher p99 latency beyond a margin,
//!    or less long-task CPU beyond a tolerance), the guard trips and the policy stays in
//!    fallback until it is re-enabled.
//! 6. **Traces** (the host crate's `learned_sim::sched_trace`): the kernel exports the events it saw as text lines, which the
//!    host tool `lrn sched` replays through the same [`Task`] code to train and evaluate
//!    models; its synthetic traces use the same format.
//!
//! Everything here is `no_std`, allocation-free and integer-only, never panics, and every
//! operation is `O(1)` (at most [`PROBE`] slots, [`HISTORY`] bursts or
//! [`guard::HIST_BUCKETS`] buckets): it runs in the scheduler's tracepoint probes with
//! interrupts off. Times are nanoseconds of a monotonic clock; a time earlier than one seen
//! before counts as no time elapsed.

pub mod features;
pub mod guard;
pub mod table;
pub mod task;

#[cfg(any(test, feature = "host"))]
pub use features::{check_model, class_of, features, rule_class, LONG_CLASS};
pub use features::{ongoing_class, predict, slice_ns, Reason, CLASSES, FEATURES};
#[cfg(any(test, feature = "host"))]
pub use guard::LatHist;
pub use guard::{GuardConfig, Phase, SliceGuard, Verdict, WindowStats};
pub use table::{Slot, Table, TableStats};
pub use task::Task;

/// Bursts a [`Task`] remembers.
pub const HISTORY: usize = 8;
/// Sleeps a [`Task`] remembers.
pub const SLEEPS: usize = 4;
/// Slots a table lookup or insertion examines, from the pid's home slot on.
pub const PROBE: usize = 8;
/// The fewest bursts a task must have finished before the model is asked about it.
pub const MIN_HISTORY: u32 = 2;
/// "No class": [`Slot::want`] and [`Slot::applied`] when the task has,
/// or should have, the kernel's default slice.
pub const NONE: u8 = 0xff;
/// Parts per million, the unit of the guard's ratios.
pub const PPM: u32 = 1_000_000;
