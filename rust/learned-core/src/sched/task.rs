// SPDX-License-Identifier: GPL-2.0

//! One task's burst history, fed by the scheduler's events (see the module documentation of
//! [`super`]).
//!
//! # Events and states
//!
//! | event | kernel source | what it does |
//! |---|---|---|
//! | [`Task::wake`] | `sched_waking` of the task | ends a sleep (records its length), starts the wakeup-latency clock, records whether an interrupt woke it |
//! | [`Task::run`] | `sched_switch` to the task | returns the wakeup latency after a wakeup; starts a run segment |
//! | [`Task::stop`] | `sched_switch` away from it | adds the segment to the burst; a voluntary stop (the task blocks) ends the burst and starts a sleep |
//!
//! A burst is recorded only if its start was seen: the previous voluntary stop, or a wakeup
//! while the task was not running. A fresh `Task` (the kernel began tracking a task in the
//! middle of a burst) therefore drops its first, partial burst instead of recording a wrong
//! length. A wakeup while the task is running (it was woken after it announced a sleep but
//! before it switched out) neither ends a sleep nor starts the latency clock: the task never
//! stopped running. Events that do not fit (a stop without a run, a run while running) are
//! taken as they come and never panic: a stop without a run adds no time, a second run
//! restarts the segment.
//!
//! # Units
//!
//! The burst and sleep rings hold microseconds in a `u32`, saturating (71 minutes): the
//! features ([`super::features::level_us`]) work in microseconds, and a ring of [`HISTORY`]
//! `u32`s is half the size of one of nanoseconds. [`Task::stop`] returns the burst in
//! nanoseconds, from the unrounded sum.

use super::{HISTORY, SLEEPS};

/// The ring index mask of the bursts (`HISTORY` is a power of two).
const BURST_MASK: u8 = HISTORY as u8 - 1;
/// The ring index mask of the sleeps (`SLEEPS` is a power of two).
const SLEEP_MASK: u8 = SLEEPS as u8 - 1;
/// Switches remembered in [`Task::switches`].
pub const SWITCH_BITS: u32 = 16;
/// Wakeups remembered in [`Task::irq_wakes`].
pub const WAKE_BITS: u32 = 8;

/// The task is asleep: `sleep_start` is valid.
const ASLEEP: u8 = 1 << 0;
/// Woken and not yet run: `woken_at` is valid.
const WOKEN: u8 = 1 << 1;
/// Running: `run_start` is valid.
const RUNNING: u8 = 1 << 2;
/// The start of the current burst was seen: it is recorded when it ends.
const VALID: u8 = 1 << 3;

/// A task's history (96 bytes). See the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task {
    /// The last bursts, µs (saturating); `bursts[(head - 1) & mask]` is the latest.
    bursts: [u32; HISTORY],
    /// The last sleeps, µs (saturating), a ring like `bursts`.
    sleeps: [u32; SLEEPS],
    /// When the current run segment began (with [`RUNNING`]).
    run_start: u64,
    /// When the task was woken (with [`WOKEN`]).
    woken_at: u64,
    /// When the current sleep began (with [`ASLEEP`]).
    sleep_start: u64,
    /// CPU time of the current burst so far, ns.
    burst_ns: u64,
    /// Bursts recorded, saturating.
    total: u32,
    /// The last switches, bit 0 the latest: 1 involuntary, 0 voluntary.
    switches: u16,
    /// The last wakeups, bit 0 the latest: 1 from an interrupt.
    irq_wakes: u8,
    /// Switches recorded in `switches`, `0..=16`.
    n_switches: u8,
    /// Wakeups recorded in `irq_wakes`, `0..=8`.
    n_wakes: u8,
    /// Sleeps recorded, `0..=SLEEPS`.
    n_sleeps: u8,
    /// The next burst ring position.
    head: u8,
    /// The next sleep ring position.
    sleep_head: u8,
    /// [`ASLEEP`], [`WOKEN`], [`RUNNING`], [`VALID`].
    flags: u8,
}

impl Default for Task {
    fn default() -> Self {
        Self::new()
    }
}

impl Task {
    /// A task with no history.
    pub const EMPTY: Task = Task::new();

    /// A task with no history.
    pub const fn new() -> Self {
        Self {
            bursts: [0; HISTORY],
            sleeps: [0; SLEEPS],
            run_start: 0,
            woken_at: 0,
            sleep_start: 0,
            burst_ns: 0,
            total: 0,
            switches: 0,
            irq_wakes: 0,
            n_switches: 0,
            n_wakes: 0,
            n_sleeps: 0,
            head: 0,
            sleep_head: 0,
            flags: 0,
        }
    }

    /// The task was woken at `now`; `from_irq`: by an interrupt (the waker ran in hard or
    /// soft interrupt context).
    pub fn wake(&mut self, now: u64, from_irq: bool) {
        self.irq_wakes = (self.irq_wakes << 1) | u8::from(from_irq);
        self.n_wakes = (self.n_wakes + 1).min(WAKE_BITS as u8);
        if self.flags & RUNNING != 0 {
            return;
        }
        if self.flags & ASLEEP != 0 {
            self.push_sleep(now.saturating_sub(self.sleep_start));
        }
        if self.flags & WOKEN == 0 {
            self.woken_at = now;
        }
        self.flags = (self.flags & !ASLEEP) | WOKEN | VALID;
    }

    /// The task was switched in at `now`. Returns its wakeup latency (the time since
    /// [`Self::wake`]) on its first run after a wakeup, else `None`.
    pub fn run(&mut self, now: u64) -> Option<u64> {
        let latency = if self.flags & WOKEN != 0 {
            Some(now.saturating_sub(self.woken_at))
        } else {
            None
        };
        self.run_start = now;
        self.flags = (self.flags & !(WOKEN | ASLEEP)) | RUNNING;
        latency
    }

    /// The task was switched out at `now`; `voluntary`: it blocked (else it was preempted
    /// while runnable). Returns the burst in ns when this ends a burst whose start was seen.
    pub fn stop(&mut self, now: u64, voluntary: bool) -> Option<u64> {
        if self.flags & RUNNING != 0 {
            self.burst_ns = self
                .burst_ns
                .saturating_add(now.saturating_sub(self.run_start));
        }
        self.switches = (self.switches << 1) | u16::from(!voluntary);
        self.n_switches = (self.n_switches + 1).min(SWITCH_BITS as u8);
        self.flags &= !RUNNING;
        if !voluntary {
            return None;
        }
        let burst = self.burst_ns;
        let valid = self.flags & VALID != 0;
        self.burst_ns = 0;
        self.sleep_start = now;
        self.flags = (self.flags & !WOKEN) | ASLEEP | VALID;
        if !valid {
            return None;
        }
        if let Some(b) = self.bursts.get_mut(usize::from(self.head & BURST_MASK)) {
            *b = us(burst);
        }
        self.head = (self.head + 1) & BURST_MASK;
        self.total = self.total.saturating_add(1);
        Some(burst)
    }

    fn push_sleep(&mut self, ns: u64) {
        if let Some(s) = self
            .sleeps
            .get_mut(usize::from(self.sleep_head & SLEEP_MASK))
        {
            *s = us(ns);
        }
        self.sleep_head = (self.sleep_head + 1) & SLEEP_MASK;
        self.n_sleeps = (self.n_sleeps + 1).min(SLEEPS as u8);
    }

    /// Bursts recorded (saturating at `u32::MAX`).
    pub fn bursts(&self) -> u32 {
        self.total
    }

    /// Bursts in the ring, `0..=HISTORY`.
    pub fn history_len(&self) -> usize {
        (self.total as usize).min(HISTORY)
    }

    /// The burst `age` bursts ago (0: the latest), µs; `None` if not recorded.
    pub fn burst_us(&self, age: usize) -> Option<u32> {
        if age >= self.history_len() {
            return None;
        }
        // age < HISTORY: the subtraction stays within u8 after masking.
        let at = self.head.wrapping_sub(1).wrapping_sub(age as u8) & BURST_MASK;
        self.bursts.get(usize::from(at)).copied()
    }

    /// The recorded bursts, µs, latest first.
    pub fn recent_bursts(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.history_len()).filter_map(|a| self.burst_us(a))
    }

    /// Sleeps in the ring, `0..=SLEEPS`.
    pub fn sleeps_len(&self) -> usize {
        usize::from(self.n_sleeps)
    }

    /// The sleep `age` sleeps ago (0: the latest), µs; `None` if not recorded.
    pub fn sleep_us(&self, age: usize) -> Option<u32> {
        if age >= self.sleeps_len() {
            return None;
        }
        let at = self.sleep_head.wrapping_sub(1).wrapping_sub(age as u8) & SLEEP_MASK;
        self.sleeps.get(usize::from(at)).copied()
    }

    /// Of the last switches recorded (at most 16): `(involuntary, recorded)`.
    pub fn switches(&self) -> (u32, u32) {
        let n = u32::from(self.n_switches);
        let mask = if n >= 16 { u16::MAX } else { (1u16 << n) - 1 };
        ((self.switches & mask).count_ones(), n)
    }

    /// Of the last wakeups recorded (at most 8): `(from an interrupt, recorded)`.
    pub fn irq_wakes(&self) -> (u32, u32) {
        let n = u32::from(self.n_wakes);
        let mask = if n >= 8 { u8::MAX } else { (1u8 << n) - 1 };
        ((self.irq_wakes & mask).count_ones(), n)
    }

    /// The CPU time of the current, unfinished burst before its running segment, ns.
    pub fn burst_so_far_ns(&self) -> u64 {
        self.burst_ns
    }

    /// Whether the task is running (switched in and not out).
    #[cfg(any(test, feature = "host"))]
    pub fn running(&self) -> bool {
        self.flags & RUNNING != 0
    }

    /// Whether the task is asleep (switched out voluntarily and not woken).
    #[cfg(any(test, feature = "host"))]
    pub fn asleep(&self) -> bool {
        self.flags & ASLEEP != 0
    }
}

/// `ns` in whole microseconds, saturating to `u32`.
fn us(ns: u64) -> u32 {
    u32::try_from(ns / 1000).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One burst of `cpu` ns at `t`: woken, run, stopped voluntarily; returns the end time.
    fn burst(t: &mut Task, at: u64, cpu: u64) -> u64 {
        t.wake(at, false);
        t.run(at);
        assert_eq!(t.stop(at + cpu, true), Some(cpu));
        at + cpu
    }

    #[test]
    fn fits_in_two_cache_lines() {
        assert_eq!(core::mem::size_of::<Task>(), 96);
    }

    #[test]
    fn a_burst_sums_its_segments_across_preemptions() {
        let mut t = Task::new();
        t.wake(1_000, true);
        assert_eq!(t.run(1_500), Some(500));
        assert_eq!(t.stop(101_500, false), None, "preempted: the burst goes on");
        assert_eq!(t.run(200_000), None, "not a wakeup: no latency");
        assert_eq!(t.stop(250_000, false), None);
        assert_eq!(t.run(300_000), None);
        assert_eq!(t.stop(310_000, true), Some(100_000 + 50_000 + 10_000));
        assert_eq!(t.bursts(), 1);
        assert_eq!(t.burst_us(0), Some(160));
        assert_eq!(t.switches(), (2, 3));
        assert_eq!(t.irq_wakes(), (1, 1));
        // The sleep that follows is measured at the next wakeup.
        t.wake(1_310_000, false);
        assert_eq!(t.sleep_us(0), Some(1000));
        assert_eq!(t.irq_wakes(), (1, 2));
        assert_eq!(t.run(1_320_000), Some(10_000));
        assert_eq!(t.stop(1_321_000, true), Some(1_000));
        assert_eq!(t.burst_us(0), Some(1));
        assert_eq!(t.burst_us(1), Some(160));
        assert_eq!(t.burst_us(2), None);
        assert_eq!(t.switches(), (2, 4));
    }

    #[test]
    fn the_rings_keep_the_latest() {
        let mut t = Task::new();
        let mut at = 0;
        for k in 1..=11u64 {
            at = burst(&mut t, at + 5_000_000, k * 1_000_000);
        }
        assert_eq!(t.bursts(), 11);
        assert_eq!(t.history_len(), HISTORY);
        let b: [u32; 8] = core::array::from_fn(|a| t.burst_us(a).unwrap());
        assert_eq!(
            b,
            [11_000, 10_000, 9_000, 8_000, 7_000, 6_000, 5_000, 4_000]
        );
        assert_eq!(t.burst_us(8), None);
        assert_eq!(t.sleeps_len(), SLEEPS);
        // Every sleep was 5 ms (10 sleeps between 11 bursts).
        assert_eq!(t.sleep_us(0), Some(5_000));
        assert_eq!(t.sleep_us(3), Some(5_000));
        assert_eq!(t.sleep_us(4), None);
        assert_eq!(t.switches(), (0, 11));
        assert_eq!(t.recent_bursts().count(), 8);
    }

    #[test]
    fn masks_remember_sixteen_switches_and_eight_wakeups() {
        let mut t = Task::new();
        let mut at = 0;
        for k in 0..20u64 {
            t.wake(at, k % 2 == 0);
            t.run(at);
            t.stop(at + 10, false);
            t.run(at + 20);
            at += 100;
            t.stop(at, true);
        }
        // 40 switches, alternating involuntary/voluntary: 8 of the last 16.
        assert_eq!(t.switches(), (8, 16));
        // Wakeups 12..20: the even ones from irq: 4 of 8.
        assert_eq!(t.irq_wakes(), (4, 8));
        assert_eq!(t.bursts(), 20);
    }

    #[test]
    fn a_partial_first_burst_is_dropped() {
        let mut t = Task::new();
        // Tracking began while the task ran.
        assert_eq!(t.stop(5_000, false), None);
        assert_eq!(t.run(6_000), None);
        assert_eq!(t.stop(9_000, true), None, "its start was not seen");
        assert_eq!(t.bursts(), 0);
        assert!(t.asleep());
        // The next burst starts at that stop, even if its wakeup is missed.
        assert_eq!(t.run(20_000), None);
        assert_eq!(t.stop(27_000, true), Some(7_000));
        assert_eq!(t.bursts(), 1);
        assert_eq!(t.sleeps_len(), 0, "the missed wakeup measured no sleep");
        // A fresh task whose first event is a wakeup records its first burst.
        let mut u = Task::new();
        u.wake(0, false);
        u.run(1);
        assert_eq!(u.stop(2, true), Some(1));
    }

    #[test]
    fn a_wakeup_while_running_changes_nothing_but_the_irq_mask() {
        let mut t = Task::new();
        t.wake(0, false);
        t.run(10);
        t.wake(20, true);
        assert!(t.running());
        assert_eq!(t.stop(30, false), None);
        assert_eq!(t.run(40), None, "no wakeup latency: it never slept");
        assert_eq!(t.stop(50, true), Some(30));
        assert_eq!(t.irq_wakes(), (1, 2));
        assert_eq!(t.sleeps_len(), 0);
        // Two wakeups before a run: the latency counts from the first.
        t.wake(100, false);
        t.wake(150, false);
        assert_eq!(t.run(170), Some(70));
        assert_eq!(t.sleeps_len(), 1);
        assert_eq!(t.sleep_us(0), Some(0), "50 ns of sleep, 0 µs");
    }

    #[test]
    fn time_running_backwards_counts_as_zero() {
        let mut t = Task::new();
        t.wake(1_000_000, false);
        assert_eq!(t.run(500), Some(0));
        assert_eq!(t.stop(100, true), Some(0));
        t.wake(0, false);
        assert_eq!(t.sleep_us(0), Some(0));
        t.run(u64::MAX);
        assert_eq!(t.stop(u64::MAX, false), None);
        t.run(0);
        assert_eq!(t.stop(u64::MAX, true), Some(u64::MAX));
        assert_eq!(
            t.burst_us(0),
            Some((u64::MAX / 1000).min(u64::from(u32::MAX)) as u32)
        );
        // Saturating sums: another huge segment does not wrap.
        t.wake(0, false);
        t.run(0);
        t.stop(u64::MAX, false);
        t.run(0);
        assert_eq!(t.stop(u64::MAX, true), Some(u64::MAX));
    }

    #[test]
    fn any_event_sequence_is_total() {
        // Every sequence of 6 events from a small alphabet: no panic, and the counters stay
        // within their bounds.
        let mut seqs = 0;
        for code in 0..(6u32.pow(6)) {
            let mut t = Task::new();
            let mut c = code;
            for step in 0..6u64 {
                let now = [0, 7, u64::MAX, 3][(c % 4) as usize] ^ step;
                match c % 6 {
                    0 => t.wake(now, true),
                    1 => t.wake(now, false),
                    2 => {
                        t.run(now);
                    }
                    3 => {
                        t.stop(now, true);
                    }
                    4 => {
                        t.stop(now, false);
                    }
                    _ => {
                        t.run(now.wrapping_add(1));
                    }
                }
                c /= 6;
            }
            assert!(t.history_len() <= HISTORY);
            assert!(t.switches().1 <= 16 && t.irq_wakes().1 <= 8);
            seqs += 1;
        }
        assert_eq!(seqs, 46_656);
    }
}
