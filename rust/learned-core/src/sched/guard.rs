// SPDX-License-Identifier: GPL-2.0

//! The scheduler policy's outcome guard: windows of time alternate between the learned
//! slices ([`Phase::Learned`]) and the kernel's default slices ([`Phase::Fallback`]); each
//! window is compared with the one before it, and the guard trips when the learned slices do
//! worse several times in a row.
//!
//! # What a window measures ([`WindowStats`])
//!
//! - the wakeup latency (woken to running: [`super::Task::run`]) of *short-burst* tasks, in
//!   a histogram ([`LatHist`]), whose p99 ([`QUANTILE_PPM`]) is compared;
//! - the CPU time *long-burst* tasks got, and their involuntary switches (reported, not
//!   judged);
//! - the window's length.
//!
//! Which tasks are short or long is [`role`]: from the task's recorded bursts, never from the
//! policy in force, so both phases measure the same tasks.
//!
//! # The comparison
//!
//! At the end of every window ([`SliceGuard::end_window`]) after the first, the window is
//! compared with the one before it, which ran in the other phase: every learned window is
//! compared with the fallback windows on both sides of it. The learned window is *worse*
//! when
//!
//! - its p99 short-task latency exceeds the fallback window's by more than
//!   [`GuardConfig::margin_ppm`]: `learned > fallback · (1 + margin)`. The margin may be
//!   negative, which demands that the learned slices be better by that much (a margin of
//!   `-1_000_000` calls any learned window with a nonzero p99 worse: the kselftests use it
//!   to trip the guard deterministically); or
//! - its long-task CPU time per nanosecond of window is below the fallback's by more than
//!   [`GuardConfig::throughput_drop_ppm`] (5% by default).
//!
//! A comparison where either window has fewer than [`GuardConfig::min_samples`] short-task
//! latencies is *inconclusive*: it neither counts as worse nor ends a run of worse ones. A
//! conclusive comparison that is not worse counts as *better* (the learned slices passed).
//! After [`GuardConfig::trip_after`] worse comparisons in a row the guard *trips*: it stays
//! in [`Phase::Fallback`] until [`SliceGuard::reset`], which the kernel calls when the policy is
//! enabled again.
//!
//! The guard is plain data (`&mut self`): the kernel's periodic worker owns it. A
//! [`WindowStats`] is filled from the probes under the caller's synchronisation (per-CPU windows
//! can be merged with [`LatHist::merge`]).

use super::features::rule_class;
use super::task::Task;
use super::PPM;

/// Buckets of a [`LatHist`].
pub const HIST_BUCKETS: usize = 128;
/// The quantile the guard compares: p99.
pub const QUANTILE_PPM: u32 = 990_000;

/// The bucket of `ns` in a [`LatHist`]: values 0 to 3 have a bucket each; above, every power
/// of two `[2^k, 2^(k+1))` is split into 4 equal buckets (`4(k-1) + m`, `m` the two bits
/// after the leading one), so a bucket is at most 25% wider than its lower bound. Values of
/// `7·2^30` ns (7.5 s) and more share the last bucket.
pub fn bucket_of(ns: u64) -> usize {
    if ns < 4 {
        return ns as usize;
    }
    // ns >= 4: k in 2..=63.
    let k = 63 - ns.leading_zeros();
    let m = (ns >> (k - 2)) & 3;
    let b = 4 * (k as usize - 1) + m as usize;
    b.min(HIST_BUCKETS - 1)
}

/// The largest value in bucket `b` ([`bucket_of`]); `u64::MAX` for the last bucket.
pub fn bucket_upper(b: usize) -> u64 {
    if b >= HIST_BUCKETS - 1 {
        return u64::MAX;
    }
    if b < 4 {
        return b as u64;
    }
    // 4 <= b < 127: k in 2..=32, so (5 + m) << (k - 2) <= 8 << 30.
    let (k, m) = (b / 4 + 1, b % 4);
    ((5 + m as u64) << (k - 2)) - 1
}

/// A log-linear histogram of latencies in ns ([`bucket_of`]), 520 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LatHist {
    /// Per bucket, saturating.
    counts: [u32; HIST_BUCKETS],
    /// Values recorded, saturating.
    total: u64,
}

impl Default for LatHist {
    fn default() -> Self {
        Self::new()
    }
}

impl LatHist {
    /// An empty histogram.
    pub const fn new() -> Self {
        Self {
            counts: [0; HIST_BUCKETS],
            total: 0,
        }
    }

    /// Records one latency of `ns`.
    pub fn record(&mut self, ns: u64) {
        if let Some(c) = self.counts.get_mut(bucket_of(ns)) {
            *c = c.saturating_add(1);
        }
        self.total = self.total.saturating_add(1);
    }

    /// Values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The upper bound ([`bucket_upper`]) of the bucket holding the `ppm` quantile (clamped
    /// to `0..=10^6`): the smallest bucket bound at or above which lie `ceil(count · ppm /
    /// 10^6)` values (at least one). 0 when empty.
    pub fn quantile_ns(&self, ppm: u32) -> u64 {
        let total: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        if total == 0 {
            return 0;
        }
        let ppm = u64::from(ppm.min(PPM));
        // total < 2^39 and ppm <= 10^6 < 2^20: the product fits u64 (no 128-bit division,
        // which the kernel lacks).
        let rank = total
            .saturating_mul(ppm)
            .div_ceil(u64::from(PPM))
            .clamp(1, total);
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return bucket_upper(b);
            }
        }
        u64::MAX
    }

    /// Empties the histogram.
    #[cfg(any(test, feature = "host"))]
    pub fn clear(&mut self) {
        *self = Self::new();
    }
}

/// Whose outcome a task's events measure ([`role`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Short bursts (mean under 1 ms): its wakeup latencies go into
    /// [`WindowStats::short_latency`].
    Short,
    /// Long bursts (mean 4 ms or more): its CPU time and preemptions go into
    /// [`WindowStats::long_cpu_ns`] and [`WindowStats::long_preempts`].
    Long,
    /// Neither, or no burst recorded yet.
    Other,
}

/// The role of `task`: by the class of the mean of its recorded bursts
/// ([`super::rule_class`]): classes 0 and 1 short, 3 and 4 long.
pub fn role(task: &Task) -> Role {
    match rule_class(task) {
        Some(0 | 1) => Role::Short,
        Some(3 | 4) => Role::Long,
        _ => Role::Other,
    }
}

/// What one window measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WindowStats {
    /// Wakeup latencies of short-burst tasks, ns.
    pub short_latency: LatHist,
    /// CPU time of long-burst tasks, ns.
    pub long_cpu_ns: u64,
    /// Involuntary switches of long-burst tasks (reported, not judged).
    pub long_preempts: u64,
    /// The window's length, ns.
    pub len_ns: u64,
}

impl WindowStats {
    /// An empty window.
    pub const fn new() -> Self {
        Self {
            short_latency: LatHist::new(),
            long_cpu_ns: 0,
            long_preempts: 0,
            len_ns: 0,
        }
    }

    /// Empties the window.
    pub fn clear(&mut self) {
        *self = Self::new();
    }
}

/// Which slices a window runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Phase {
    /// The learned slices.
    Learned = 0,
    /// The kernel's default slices.
    Fallback = 1,
}

impl Phase {
    /// The phase's name in the `stats` file.
    #[cfg(any(test, feature = "host"))]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Learned => "learned",
            Self::Fallback => "fallback",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Learned => Self::Fallback,
            Self::Fallback => Self::Learned,
        }
    }
}

/// What the end of a window decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Verdict {
    /// Nothing to compare with yet (the first window since a reset).
    First = 0,
    /// Too few short-task latencies in one of the two windows.
    Inconclusive = 1,
    /// The learned window was not worse.
    Better = 2,
    /// The learned window was worse, not yet enough times in a row to trip.
    Worse = 3,
    /// The learned window was worse, and the guard tripped.
    Tripped = 4,
    /// The guard had tripped: no comparison.
    Idle = 5,
}

impl Verdict {
    /// The verdict's name.
    #[cfg(any(test, feature = "host"))]
    pub const fn name(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Inconclusive => "inconclusive",
            Self::Better => "better",
            Self::Worse => "worse",
            Self::Tripped => "tripped",
            Self::Idle => "idle",
        }
    }
}

/// The guard's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardConfig {
    /// How much higher the learned p99 short-task latency may be, ppm of the fallback's;
    /// negative: how much lower it must be.
    pub margin_ppm: i32,
    /// How much less long-task CPU time per window ns the learned window may give, ppm of
    /// the fallback's (clamped to `10^6`).
    pub throughput_drop_ppm: u32,
    /// The fewest short-task latencies a window needs to be compared.
    pub min_samples: u32,
    /// Worse comparisons in a row that trip the guard (0 counts as 1).
    pub trip_after: u32,
}

impl GuardConfig {
    /// The defaults: margin 10%, throughput drop 5%, 100 samples, 3 in a row.
    pub const DEFAULT: GuardConfig = GuardConfig {
        margin_ppm: 100_000,
        throughput_drop_ppm: 50_000,
        min_samples: 100,
        trip_after: 3,
    };
}

impl Default for GuardConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What the guard keeps of a finished window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Summary {
    samples: u64,
    p99_ns: u64,
    cpu_ns: u64,
    len_ns: u64,
}

impl Summary {
    fn of(w: &WindowStats) -> Self {
        Self {
            samples: w.short_latency.count(),
            p99_ns: w.short_latency.quantile_ns(QUANTILE_PPM),
            cpu_ns: w.long_cpu_ns,
            len_ns: w.len_ns,
        }
    }
}

/// The guard's counters and last measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GuardStats {
    /// Windows ended.
    pub windows: u64,
    /// Comparisons made (`worse + better + inconclusive`).
    pub comparisons: u64,
    /// Comparisons where the learned window was worse.
    pub worse: u64,
    /// Conclusive comparisons where it was not.
    pub better: u64,
    /// Comparisons with too few samples.
    pub inconclusive: u64,
    /// Times the guard tripped.
    pub trips: u64,
    /// Worse comparisons in a row now.
    pub streak: u64,
    /// Whether the guard is tripped.
    pub tripped: bool,
    /// When it last tripped, ns (0: never).
    pub tripped_at_ns: u64,
    /// The p99 short-task latency of the last learned window, ns.
    pub learned_p99_ns: u64,
    /// The same for the last fallback window.
    pub fallback_p99_ns: u64,
    /// Long-task CPU time of the last learned window, ppm of its length.
    pub learned_cpu_ppm: u64,
    /// The same for the last fallback window.
    pub fallback_cpu_ppm: u64,
}

/// The guard (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SliceGuard {
    config: GuardConfig,
    phase: Phase,
    /// The window before the current one, in the other phase.
    prev: Option<Summary>,
    stats: GuardStats,
}

impl Default for SliceGuard {
    fn default() -> Self {
        Self::new(GuardConfig::DEFAULT)
    }
}

/// `cpu / len` in ppm (0 for an empty window), saturating.
fn cpu_ppm(s: &Summary) -> u64 {
    if s.len_ns == 0 {
        return 0;
    }
    // No 128-bit division: the kernel has none. Exact unless cpu_ns * 10^6 overflows (more
    // than five hours of CPU in one window), then to the nearest ppm below.
    let ppm = u64::from(PPM);
    match s.cpu_ns.checked_mul(ppm) {
        Some(v) => v / s.len_ns,
        None => s.cpu_ns / (s.len_ns / ppm).max(1),
    }
}

impl SliceGuard {
    /// A guard with `config`, starting with a learned window.
    pub const fn new(config: GuardConfig) -> Self {
        Self {
            config,
            phase: Phase::Learned,
            prev: None,
            stats: GuardStats {
                windows: 0,
                comparisons: 0,
                worse: 0,
                better: 0,
                inconclusive: 0,
                trips: 0,
                streak: 0,
                tripped: false,
                tripped_at_ns: 0,
                learned_p99_ns: 0,
                fallback_p99_ns: 0,
                learned_cpu_ppm: 0,
                fallback_cpu_ppm: 0,
            },
        }
    }

    /// The settings.
    #[cfg(any(test, feature = "host"))]
    pub fn config(&self) -> GuardConfig {
        self.config
    }

    /// Changes the settings; they apply from the next comparison.
    pub fn set_config(&mut self, config: GuardConfig) {
        self.config = config;
    }

    /// The phase of the current window.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the guard has tripped.
    pub fn tripped(&self) -> bool {
        self.stats.tripped
    }

    /// The counters.
    pub fn stats(&self) -> GuardStats {
        self.stats
    }

    /// Starts over (the policy was enabled again): untripped, a learned window next, nothing
    /// to compare with. The counters are kept.
    pub fn reset(&mut self) {
        self.phase = Phase::Learned;
        self.prev = None;
        self.stats.tripped = false;
        self.stats.streak = 0;
    }

    /// Whether learned window `l` is worse than fallback window `f`, or `None` if the
    /// comparison is inconclusive.
    fn worse(&self, l: &Summary, f: &Summary) -> Option<bool> {
        let min = u64::from(self.config.min_samples);
        if l.samples < min || f.samples < min {
            return None;
        }
        let ppm = i64::from(PPM);
        // The margin factor, at least 0: a margin of -100% or below allows only 0 ns.
        let factor = u128::try_from((ppm + i64::from(self.config.margin_ppm)).max(0)).unwrap_or(0);
        let slow = u128::from(l.p99_ns) * u128::from(PPM) > u128::from(f.p99_ns) * factor;
        let drop = u128::from(self.config.throughput_drop_ppm.min(PPM));
        // l.cpu / l.len < f.cpu / f.len * (1 - drop), cross-multiplied; each product of two
        // u64 fits u128, and the factor of 10^6 saturates (only for absurd windows).
        let starved = l.len_ns > 0
            && f.len_ns > 0
            && (u128::from(l.cpu_ns) * u128::from(f.len_ns)).saturating_mul(u128::from(PPM))
                < (u128::from(f.cpu_ns) * u128::from(l.len_ns))
                    .saturating_mul(u128::from(PPM) - drop);
        Some(slow || starved)
    }

    /// Ends the current window, which measured `w`, at `now` (ns): compares it with the one
    /// before (see the module documentation), trips the guard if that makes enough worse
    /// comparisons in a row, and moves to the next window's phase ([`Self::phase`]).
    pub fn end_window(&mut self, w: &WindowStats, now: u64) -> Verdict {
        self.stats.windows = self.stats.windows.saturating_add(1);
        let cur = Summary::of(w);
        match self.phase {
            Phase::Learned => {
                self.stats.learned_p99_ns = cur.p99_ns;
                self.stats.learned_cpu_ppm = cpu_ppm(&cur);
            }
            Phase::Fallback => {
                self.stats.fallback_p99_ns = cur.p99_ns;
                self.stats.fallback_cpu_ppm = cpu_ppm(&cur);
            }
        }
        if self.stats.tripped {
            self.phase = Phase::Fallback;
            return Verdict::Idle;
        }
        let prev = self.prev.replace(cur);
        let phase = self.phase;
        self.phase = phase.other();
        let Some(prev) = prev else {
            return Verdict::First;
        };
        let (l, f) = match phase {
            Phase::Learned => (&cur, &prev),
            Phase::Fallback => (&prev, &cur),
        };
        let worse = self.worse(l, f);
        let s = &mut self.stats;
        s.comparisons = s.comparisons.saturating_add(1);
        match worse {
            None => {
                s.inconclusive = s.inconclusive.saturating_add(1);
                Verdict::Inconclusive
            }
            Some(false) => {
                s.better = s.better.saturating_add(1);
                s.streak = 0;
                Verdict::Better
            }
            Some(true) => {
                s.worse = s.worse.saturating_add(1);
                s.streak = s.streak.saturating_add(1);
                if s.streak < u64::from(self.config.trip_after.max(1)) {
                    return Verdict::Worse;
                }
                s.trips = s.trips.saturating_add(1);
                s.tripped = true;
                s.tripped_at_ns = now;
                s.streak = 0;
                self.phase = Phase::Fallback;
                self.prev = None;
                Verdict::Tripped
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A window of `n` short-task latencies of `lat` ns and `cpu` ns of long-task CPU over
    /// 1 s.
    fn win(n: u32, lat: u64, cpu: u64) -> WindowStats {
        let mut w = WindowStats::new();
        for _ in 0..n {
            w.short_latency.record(lat);
        }
        w.long_cpu_ns = cpu;
        w.len_ns = 1_000_000_000;
        w
    }

    fn cfg(margin_ppm: i32) -> GuardConfig {
        GuardConfig {
            margin_ppm,
            throughput_drop_ppm: 50_000,
            min_samples: 10,
            trip_after: 3,
        }
    }

    #[test]
    fn buckets_are_quarter_octaves() {
        let expect = [
            (0, 0),
            (1, 1),
            (3, 3),
            (4, 4),
            (5, 5),
            (7, 7),
            (8, 8),
            (9, 8),
            (10, 9),
            (15, 11),
            (16, 12),
            (1000, 35),
            (1023, 35),
            (1024, 36),
        ];
        for (ns, b) in expect {
            assert_eq!(bucket_of(ns), b, "{ns}");
        }
        assert_eq!(bucket_of(u64::MAX), HIST_BUCKETS - 1);
        assert_eq!(bucket_upper(HIST_BUCKETS - 1), u64::MAX);
        assert_eq!(bucket_upper(500), u64::MAX);
        assert_eq!(bucket_upper(35), 1023);
        assert_eq!(bucket_upper(36), 1279);
        // Every bucket's upper bound is in it, and one more is in the next.
        for b in 0..HIST_BUCKETS - 1 {
            let u = bucket_upper(b);
            assert_eq!(bucket_of(u), b, "{b}");
            assert_eq!(bucket_of(u + 1), b + 1, "{b}");
        }
        assert_eq!(bucket_of(7 << 30), HIST_BUCKETS - 1);
        assert_eq!(bucket_of((7 << 30) - 1), HIST_BUCKETS - 2);
    }

    #[test]
    fn quantiles_are_bucket_bounds() {
        let mut h = LatHist::new();
        assert_eq!(h.quantile_ns(QUANTILE_PPM), 0);
        // 98 latencies of 10 µs and 2 of 1 ms: p99 is in the 1 ms bucket, p98 in the 10 µs.
        for _ in 0..98 {
            h.record(10_000);
        }
        h.record(1_000_000);
        h.record(1_000_000);
        assert_eq!(h.count(), 100);
        assert_eq!(h.quantile_ns(990_000), bucket_upper(bucket_of(1_000_000)));
        assert_eq!(h.quantile_ns(990_000), 1_048_575);
        assert_eq!(h.quantile_ns(980_000), 10_239);
        assert_eq!(h.quantile_ns(0), 10_239, "at least one value");
        assert_eq!(h.quantile_ns(u32::MAX), 1_048_575);
        h.record(u64::MAX);
        assert_eq!(h.count(), 101);
        assert_eq!(h.quantile_ns(PPM), u64::MAX);
        h.clear();
        assert_eq!((h.count(), h.quantile_ns(500_000)), (0, 0));
    }

    #[test]
    fn roles_follow_the_mean_burst() {
        let mut t = Task::new();
        assert_eq!(role(&t), Role::Other);
        t.wake(0, false);
        t.run(0);
        t.stop(300_000, true);
        assert_eq!(role(&t), Role::Short);
        t.wake(1_000_000, false);
        t.run(1_000_000);
        t.stop(5_000_000, true);
        // Mean 2.15 ms.
        assert_eq!(role(&t), Role::Other);
        t.wake(6_000_000, false);
        t.run(6_000_000);
        t.stop(30_000_000, true);
        assert_eq!(role(&t), Role::Long);
    }

    #[test]
    fn windows_alternate_and_learned_is_compared_with_both_neighbours() {
        let mut g = SliceGuard::new(cfg(100_000));
        assert_eq!(g.phase(), Phase::Learned);
        assert_eq!(g.end_window(&win(50, 10_000, 500), 1), Verdict::First);
        assert_eq!(g.phase(), Phase::Fallback);
        // Fallback p99 10 µs bucket vs learned: equal, not worse.
        assert_eq!(g.end_window(&win(50, 10_000, 500), 2), Verdict::Better);
        assert_eq!(g.phase(), Phase::Learned);
        // A learned window 20% slower (beyond the 10% margin, one bucket up): worse.
        assert_eq!(g.end_window(&win(50, 13_000, 500), 3), Verdict::Worse);
        // Compared with the next fallback window too: worse again.
        assert_eq!(g.end_window(&win(50, 10_000, 500), 4), Verdict::Worse);
        // Then a good learned window ends the streak.
        assert_eq!(g.end_window(&win(50, 10_000, 500), 5), Verdict::Better);
        let s = g.stats();
        assert_eq!(
            (
                s.windows,
                s.comparisons,
                s.worse,
                s.better,
                s.inconclusive,
                s.streak
            ),
            (5, 4, 2, 2, 0, 0)
        );
        assert_eq!((s.learned_p99_ns, s.fallback_p99_ns), (10_239, 10_239));
        assert_eq!(s.learned_cpu_ppm, 0, "500 ns of 1 s");
    }

    #[test]
    fn three_worse_in_a_row_trip_until_reset() {
        let mut g = SliceGuard::new(cfg(0));
        let (good, bad) = (win(50, 10_000, 0), win(50, 20_000, 0));
        assert_eq!(g.end_window(&bad, 1), Verdict::First);
        assert_eq!(g.end_window(&good, 2), Verdict::Worse);
        assert_eq!(g.end_window(&bad, 3), Verdict::Worse);
        assert_eq!(g.end_window(&good, 4_000), Verdict::Tripped);
        assert!(g.tripped());
        assert_eq!(g.phase(), Phase::Fallback);
        // Tripped: fallback for good, no comparisons.
        assert_eq!(g.end_window(&good, 5_000), Verdict::Idle);
        assert_eq!(g.end_window(&good, 6_000), Verdict::Idle);
        assert_eq!(g.phase(), Phase::Fallback);
        let s = g.stats();
        assert_eq!(
            (s.trips, s.comparisons, s.worse, s.tripped_at_ns),
            (1, 3, 3, 4_000)
        );
        assert_eq!(s.windows, 6);
        g.reset();
        assert!(!g.tripped());
        assert_eq!(g.phase(), Phase::Learned);
        assert_eq!(g.end_window(&good, 7_000), Verdict::First);
        assert_eq!(g.end_window(&good, 8_000), Verdict::Better);
        assert_eq!(g.stats().trips, 1);
        // trip_after 0 counts as 1.
        let mut g = SliceGuard::new(GuardConfig {
            trip_after: 0,
            ..cfg(0)
        });
        g.end_window(&bad, 0);
        assert_eq!(g.end_window(&good, 1), Verdict::Tripped);
    }

    #[test]
    fn a_negative_margin_demands_better() {
        // Learned at 10 µs and fallback at 12 µs: better by 20% with a 0 margin...
        let (l, f) = (win(50, 10_000, 0), win(50, 12_000, 0));
        let mut g = SliceGuard::new(cfg(0));
        g.end_window(&l, 0);
        assert_eq!(g.end_window(&f, 1), Verdict::Better);
        // ...but a margin of -50% demands p99 <= 6 µs-ish: worse.
        let mut g = SliceGuard::new(cfg(-500_000));
        g.end_window(&l, 0);
        assert_eq!(g.end_window(&f, 1), Verdict::Worse);
        // A margin of -100% (or beyond) calls any nonzero p99 worse: the kselftest's trip.
        let mut g = SliceGuard::new(cfg(i32::MIN));
        assert_eq!(g.end_window(&win(50, 1, 0), 0), Verdict::First);
        assert_eq!(g.end_window(&win(50, 1_000_000, 0), 1), Verdict::Worse);
        assert_eq!(g.end_window(&win(50, 1, 0), 2), Verdict::Worse);
        assert_eq!(g.end_window(&win(50, 1_000_000, 0), 3), Verdict::Tripped);
        // Only a learned p99 of 0 ns passes.
        let mut g = SliceGuard::new(cfg(-1_000_000));
        g.end_window(&win(50, 0, 0), 0);
        assert_eq!(g.end_window(&win(50, 5, 0), 1), Verdict::Better);
        // A huge positive margin does not overflow.
        let mut g = SliceGuard::new(cfg(i32::MAX));
        g.end_window(&win(50, u64::MAX, 0), 0);
        assert_eq!(g.end_window(&win(50, 1_000, 0), 1), Verdict::Worse);
        g.end_window(&win(50, 1_000, 0), 2);
        assert_eq!(g.end_window(&win(50, 1_000, 0), 3), Verdict::Better);
    }

    #[test]
    fn less_long_task_cpu_beyond_the_drop_is_worse() {
        // Same latencies; learned gives long tasks 940 ms of CPU per second against 1 s:
        // a 6% drop, beyond 5%.
        let mut g = SliceGuard::new(cfg(100_000));
        g.end_window(&win(50, 10_000, 940_000_000), 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Worse
        );
        // 960 ms: a 4% drop, tolerated.
        let mut g = SliceGuard::new(cfg(100_000));
        g.end_window(&win(50, 10_000, 960_000_000), 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Better
        );
        // Per ns of window: a learned window twice as long with 1.9x the CPU is 5% down.
        let mut g = SliceGuard::new(cfg(100_000));
        let mut long = win(50, 10_000, 1_900_000_000);
        long.len_ns = 2_000_000_000;
        g.end_window(&long, 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Better
        );
        let mut g = SliceGuard::new(cfg(100_000));
        long.long_cpu_ns = 1_899_999_999;
        g.end_window(&long, 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Worse
        );
        // A window of length 0 is not judged on CPU.
        let mut g = SliceGuard::new(cfg(100_000));
        let mut zero = win(50, 10_000, 0);
        zero.len_ns = 0;
        g.end_window(&zero, 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Better
        );
        // Preemptions are reported, not judged.
        let mut g = SliceGuard::new(cfg(100_000));
        let mut p = win(50, 10_000, 0);
        p.long_preempts = 1_000_000;
        g.end_window(&p, 0);
        assert_eq!(g.end_window(&win(50, 10_000, 0), 1), Verdict::Better);
    }

    #[test]
    fn too_few_samples_is_inconclusive_and_keeps_the_streak() {
        let mut g = SliceGuard::new(cfg(0));
        let (good, bad, thin) = (win(50, 10_000, 0), win(50, 20_000, 0), win(9, 99_000, 0));
        g.end_window(&bad, 0);
        assert_eq!(g.end_window(&good, 1), Verdict::Worse);
        assert_eq!(g.end_window(&bad, 2), Verdict::Worse);
        // A thin fallback window: neither; then the next comparison has the thin one as
        // its fallback neighbour: inconclusive again.
        assert_eq!(g.end_window(&thin, 3), Verdict::Inconclusive);
        assert_eq!(g.end_window(&bad, 4), Verdict::Inconclusive);
        assert_eq!(g.stats().streak, 2);
        // The streak survived: one more worse comparison trips.
        assert_eq!(g.end_window(&good, 5), Verdict::Tripped);
        let s = g.stats();
        assert_eq!((s.inconclusive, s.worse, s.comparisons), (2, 3, 5));
        // A thin window with a big CPU drop is still inconclusive.
        let mut g = SliceGuard::new(cfg(0));
        g.end_window(&win(9, 10_000, 0), 0);
        assert_eq!(
            g.end_window(&win(50, 10_000, 1_000_000_000), 1),
            Verdict::Inconclusive
        );
    }

    #[test]
    fn names() {
        assert_eq!(Phase::Fallback.name(), "fallback");
        assert_eq!(Verdict::Tripped.name(), "tripped");
        assert_eq!(Verdict::Idle as u32, 5);
    }
}
