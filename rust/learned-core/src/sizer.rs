// SPDX-License-Identifier: GPL-2.0

//! The buffer-cache sizer's decision: from a cgroup's miss-ratio curve
//! ([`super::mrc::shards`]) to the page-cache size to give it, by the learned model when one
//! is loaded and by the exact rules of [`super::mrc::decide`] otherwise.
//!
//! The curve is taken at [`POINTS`] candidate sizes evenly spaced over `[min, max]`
//! ([`candidate_sizes`]). Every interval the caller reads the curve and the [`Signals`] of
//! the interval, asks [`propose`] for a size, and feeds the proposal to a
//! [`super::mrc::decide::Limiter`], which clamps it, ignores small changes and spaces out the
//! rest.
//!
//! # The model: schema `sizer` version 1
//!
//! - **Inputs** ([`FEATURES`] int8, [`features`]):
//!   - 0..16: the (aged) curve's miss ratio at the 16 candidate sizes;
//!   - 16: the fresh ratio of the interval just ended: the share of its accesses that were
//!     first accesses (to keys the curve had never seen), a working set that grows or moves;
//!   - 17: the fresh ratio of the interval before it (the trend);
//!   - 18: the cgroup's memory use, and 19: its current limit, as positions in `[min, max]`
//!     (`0` at or below `min`, `127` at or above `max`).
//!
//!   Ratios are scaled by [`level`], `127·√ratio`, which keeps resolution at the small miss
//!   ratios a hit-ratio goal is about (1% is level 12, 0.1% level 4). Sizes are relative
//!   to `[min, max]`, so one model serves any bounds.
//! - **Outputs** ([`CLASSES`] logits): the argmax `c` picks the `c`-th candidate size
//!   ([`class_size`]).
//!
//! # The fallback
//!
//! With a hit-ratio goal: if the interval's fresh ratio alone exceeds the miss ratio the goal
//! allows, the working set is growing faster than the aged curve can show, and the rule
//! proposes `max` (the limiter bounds the step: [`Reason::Growth`]); else the smallest
//! candidate within the margin of the goal
//! ([`super::mrc::decide::Curve::smallest_within`]). Without one (goal 0): the knee of the
//! curve under the memory-cost weight ([`super::mrc::decide::Curve::knee`]).

use super::model::mlp::{argmax, Mlp, MAX_OUTPUTS};
use super::mrc::decide::{Curve, LimiterConfig};
use super::mrc::shards::{Config, ShardsStats};
use super::mrc::{ratio_ppm, Error, PPM};

/// Candidate sizes of the curve.
pub const POINTS: usize = 16;
/// Inputs of a `sizer` v1 model.
pub const FEATURES: usize = POINTS + 4;
/// Outputs of a `sizer` v1 model: one per candidate size.
pub const CLASSES: usize = POINTS;
/// Fewer sampled accesses than this in the aged counts: no decision, and the curve is not
/// aged ([`super::mrc::shards::Shards::age_by`] runs at decisions only), so that a slow
/// workload gathers enough over several intervals.
pub const MIN_SAMPLED: u64 = 256;
/// A curve is stale when fewer sampled keys than this would fit a cache of the largest
/// candidate size: the sampling rate, which only falls as distinct keys accumulate, has
/// fallen too far to see that size. The caller starts the estimator over.
pub const MIN_KEYS_AT_MAX: u64 = 256;

/// Sample slots of the curve: 8192 (512 KiB), as `lrn mrc` and its accuracy table use.
pub const SAMPLES: u32 = 8192;
/// The curve starts sampling at the highest rate `2^-k` that leaves at least this many
/// sampled keys in a cache of `max` (4 times what [`stale`] requires): a larger `max` needs a
/// smaller share of the accesses to see the curve, and costs less per access.
pub const START_KEYS_AT_MAX: u32 = 1024;
/// The largest start shift (rate 1/1024).
pub const MAX_START_SHIFT: u32 = 10;
/// An early decision once the interval's sampled first accesses stand for this share of the
/// limit (`2^-KICK_SHIFT`, an eighth), and at least [`MIN_KICK_KEYS`] of them.
pub const KICK_SHIFT: u32 = 3;
/// See [`KICK_SHIFT`].
pub const MIN_KICK_KEYS: u64 = 16;
/// Every decision ages the curve by `2^-AGE_SHIFT` ([`super::mrc::shards::Shards::age_by`]):
/// a quarter, so that a working set that shrank shows in the curve within a few intervals
/// (a hit-ratio goal of 99% must wait until the old accesses weigh under 1%).
pub const AGE_SHIFT: u32 = 2;

/// The curve's configuration for candidate sizes up to `max` pages: [`SAMPLES`] slots, and
/// the start rate of [`START_KEYS_AT_MAX`].
pub fn shards_config(max: u32) -> Config {
    let mut shift = 0;
    while shift < MAX_START_SHIFT && max >> (shift + 1) >= START_KEYS_AT_MAX {
        shift += 1;
    }
    Config {
        start_shift: shift,
        ..Config::new(SAMPLES)
    }
}

/// Changes of the limit under this share of it (5%) are no change.
pub const DEAD_BAND_PPM: u32 = 50_000;

/// The limiter over `[min, max]`: changes under 5% are ignored; a decrease follows one
/// interval and takes at most a quarter of the limit away; an increase follows one interval
/// and at most quadruples it. With a hold of one interval, proposals that flap are stopped by
/// the limiter's reversal backoff ([`super::mrc::decide::MAX_FLAP_BACKOFF`]). In `lrn sizer
/// sim` on the benchmark's trace, a hold of 2 intervals kept 22% more memory-time (21.8
/// against 17.9 MiB x M accesses) for the same misses. In the kernel, halving steps lost more
/// of a shrinking working set to reclaim than quarter steps (docs/sizer.md, "Sizer benchmark").
pub fn limiter_config(min: u32, max: u32) -> LimiterConfig {
    LimiterConfig {
        min,
        max,
        dead_band_ppm: DEAD_BAND_PPM,
        hold: 1,
        shrink_step_ppm: 250_000,
        grow_hold: 1,
        grow_step_shift: 2,
    }
}

/// The interval's bookkeeping around a [`super::mrc::shards::Shards`] curve: what it saw
/// since the last decision (the fresh ratio of [`Signals`]), and when the access path
/// should decide early: once per interval, when the interval's sampled first accesses stand
/// for an eighth of the limit ([`KICK_SHIFT`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// The curve's sampled and sampled first accesses when the interval began.
    base_sampled: u64,
    base_cold: u64,
    /// The previous interval's fresh ratio, ppm.
    prev_fresh_ppm: u32,
    /// Sampled first accesses in an interval that call for an early decision.
    kick_cold: u64,
    /// Whether one may come (once per interval).
    kick_armed: bool,
}

impl Interval {
    /// A window at the start of a curve: no early decision before the first one.
    pub const fn new() -> Self {
        Self {
            base_sampled: 0,
            base_cold: 0,
            prev_fresh_ppm: 0,
            kick_cold: u64::MAX,
            kick_armed: false,
        }
    }

    /// After accesses that brought the curve to `st`: whether to decide now (at most once
    /// per interval; it disarms).
    pub fn kick(&mut self, st: &ShardsStats) -> bool {
        let kick = self.kick_armed && st.cold.saturating_sub(self.base_cold) >= self.kick_cold;
        if kick {
            self.kick_armed = false;
        }
        kick
    }

    /// Closes the interval: `seen` are the curve's counters before it was aged, `aged` after.
    /// Returns the fresh ratio of the interval and of the one before it. `early`: this was
    /// an early decision, which does not re-arm the next.
    pub fn close(&mut self, seen: &ShardsStats, aged: &ShardsStats, early: bool) -> (u32, u32) {
        let fresh = ratio_ppm(
            seen.cold.saturating_sub(self.base_cold),
            seen.sampled.saturating_sub(self.base_sampled),
        );
        let prev = self.prev_fresh_ppm;
        self.prev_fresh_ppm = fresh;
        self.base_sampled = aged.sampled;
        self.base_cold = aged.cold;
        self.kick_armed = !early;
        (fresh, prev)
    }

    /// Sets the early-decision threshold for a limit of `limit` pages sampled at `rate_ppm`.
    pub fn set_limit(&mut self, limit: u32, rate_ppm: u32) {
        // limit < 2^32, rate_ppm clamped to 10^6 < 2^20: no overflow.
        let keys = u64::from(limit) * u64::from(rate_ppm.min(PPM)) / u64::from(PPM);
        self.kick_cold = (keys >> KICK_SHIFT).max(MIN_KICK_KEYS);
    }
}

impl Default for Interval {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether a curve sampled at `rate_ppm` (parts per million) is too thin for candidate sizes
/// up to `max` pages ([`MIN_KEYS_AT_MAX`]).
pub fn stale(rate_ppm: u32, max: u32) -> bool {
    // rate_ppm <= 10^6 < 2^20 and max < 2^32: the product fits in 64 bits.
    u64::from(rate_ppm) * u64::from(max) / u64::from(PPM) < MIN_KEYS_AT_MAX
}

/// What the sizer aims at. Ratios are per mille.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Goal {
    /// The hit ratio to reach (`1..=1000`), or 0 to use [`Goal::cost_weight_pm`] instead.
    pub hit_pm: u32,
    /// How far below `hit_pm` still counts as reaching it.
    pub margin_pm: u32,
    /// Without a hit-ratio goal: the miss ratio worth the memory of `max` (the knee rule).
    pub cost_weight_pm: u32,
}

/// Who chose a size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Source {
    /// The loaded model.
    Model = 0,
    /// The exact rules.
    Fallback = 1,
}

/// Why a size was chosen (or none was).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Reason {
    /// The model's class.
    Model = 0,
    /// The smallest size within the margin of the hit-ratio goal.
    GoalMet = 1,
    /// No size reaches the goal: the largest.
    GoalUnreached = 2,
    /// The knee under the memory-cost weight.
    Knee = 3,
    /// The model answered a class out of range: the rules decided.
    ModelInvalid = 4,
    /// First accesses alone miss the goal: the working set grows, the largest size.
    Growth = 5,
}

impl Reason {
    /// Every reason, in `repr` order.
    pub const ALL: [Reason; 6] = [
        Self::Model,
        Self::GoalMet,
        Self::GoalUnreached,
        Self::Knee,
        Self::ModelInvalid,
        Self::Growth,
    ];

    /// The reason's name in the `stats` file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::GoalMet => "goal_met",
            Self::GoalUnreached => "goal_unreached",
            Self::Knee => "knee",
            Self::ModelInvalid => "model_invalid",
            Self::Growth => "growth",
        }
    }
}

/// A proposed size, in pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// The size.
    pub pages: u32,
    /// Who chose it.
    pub source: Source,
    /// Why.
    pub reason: Reason,
}

/// Writes [`POINTS`] sizes evenly spaced over `[min, max]` (pages, both included) into `out`.
/// `Err` unless `1 <= min` and `max - min >= POINTS - 1` (the sizes must be distinct).
pub fn candidate_sizes(min: u32, max: u32, out: &mut [u32; POINTS]) -> Result<(), Error> {
    let last = POINTS as u64 - 1;
    if min == 0 || max < min || u64::from(max - min) < last {
        return Err(Error::BadConfig);
    }
    let span = u64::from(max - min);
    for (i, o) in (0u64..).zip(out.iter_mut()) {
        // span < 2^32 and i < 16: no overflow; the result is at most max.
        *o = min + (span * i / last) as u32;
    }
    Ok(())
}

/// What an interval saw besides the curve ([`features`], [`propose`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    /// The share of the interval's sampled accesses that were first accesses, ppm.
    pub fresh_ppm: u32,
    /// The same for the interval before.
    pub prev_fresh_ppm: u32,
    /// The cgroup's memory use, pages.
    pub usage: u32,
    /// The cgroup's current limit, pages.
    pub limit: u32,
}

/// `127·√(ppm / 10^6)`, rounded down: a ratio in parts per million (clamped to `PPM`) as a
/// model input, with more resolution near 0.
pub fn level(ppm: u32) -> i8 {
    // ppm <= 10^6 and 127^2 = 16129: the product is below 2^34.
    (isqrt(u64::from(ppm.min(PPM)) * 16_129) / 1000) as i8
}

/// `⌊√n⌋`, by bisection (no floating point, no panics).
fn isqrt(n: u64) -> u64 {
    let (mut lo, mut hi) = (0u64, 1u64 << 32);
    // Invariant: lo² <= n < hi².
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if mid.saturating_mul(mid) <= n {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Where `pages` lies in `[min, max]`, as `0..=127`.
fn position(pages: u32, min: u32, max: u32) -> i8 {
    let span = u64::from(max.saturating_sub(min)).max(1);
    let above = u64::from(pages.saturating_sub(min)).min(span);
    // above <= span < 2^32: no overflow; the quotient is at most 127.
    (above * 127 / span) as i8
}

/// The `sizer` v1 inputs of a curve of [`POINTS`] miss ratios (ppm) over `[min, max]` and the
/// interval's `signals`.
pub fn features(miss_ppm: &[u32; POINTS], signals: &Signals, min: u32, max: u32) -> [i8; FEATURES] {
    let mut x = [0i8; FEATURES];
    for (f, &m) in x.iter_mut().zip(miss_ppm.iter()) {
        *f = level(m);
    }
    let tail = [
        level(signals.fresh_ppm),
        level(signals.prev_fresh_ppm),
        position(signals.usage, min, max),
        position(signals.limit, min, max),
    ];
    for (f, t) in x.iter_mut().skip(POINTS).zip(tail) {
        *f = t;
    }
    x
}

/// The size of model class `class`: the `class`-th candidate size; `None` out of range.
pub fn class_size(class: usize, sizes: &[u32; POINTS]) -> Option<u32> {
    sizes.get(class).copied()
}

/// The class `model` answers for `x`; `None` if it is not a `sizer` v1 shape ([`FEATURES`]
/// inputs, [`CLASSES`] outputs) or fails.
pub fn model_class(model: &Mlp<'_>, x: &[i8; FEATURES]) -> Option<usize> {
    if model.inputs() != FEATURES || model.outputs() != CLASSES {
        return None;
    }
    let mut logits = [0i32; MAX_OUTPUTS];
    let n = model.infer(x, &mut logits).ok()?;
    Some(argmax(logits.get(..n)?))
}

/// The size the exact rules choose for `curve`, `goal` and the interval's `fresh_ppm`, and
/// why (see the module documentation).
pub fn rule(curve: &Curve<'_>, goal: Goal, fresh_ppm: u32) -> (u32, Reason) {
    if goal.hit_pm == 0 {
        return (
            curve.knee(goal.cost_weight_pm.saturating_mul(1000)).size,
            Reason::Knee,
        );
    }
    let hit = goal.hit_pm.min(1000).saturating_sub(goal.margin_pm);
    // hit <= 1000: the allowed miss ratio, ppm.
    let allowed = (1000 - hit) * 1000;
    if fresh_ppm > allowed {
        return (curve.last().size, Reason::Growth);
    }
    let c = curve.smallest_within(
        goal.hit_pm.saturating_mul(1000),
        goal.margin_pm.saturating_mul(1000),
    );
    let r = if c.reached {
        Reason::GoalMet
    } else {
        Reason::GoalUnreached
    };
    (c.size, r)
}

/// The size to propose for `curve` (over the candidate `sizes`): the model's class if it
/// answered one (`model_class`), else the rules for `goal` ([`rule`]).
pub fn propose(
    curve: &Curve<'_>,
    sizes: &[u32; POINTS],
    goal: Goal,
    signals: &Signals,
    model_class: Option<usize>,
) -> Proposal {
    let mut invalid = false;
    if let Some(c) = model_class {
        match class_size(c, sizes) {
            Some(pages) => {
                return Proposal {
                    pages,
                    source: Source::Model,
                    reason: Reason::Model,
                }
            }
            None => invalid = true,
        }
    }
    let (pages, reason) = rule(curve, goal, signals.fresh_ppm);
    Proposal {
        pages,
        source: Source::Fallback,
        reason: if invalid {
            Reason::ModelInvalid
        } else {
            reason
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOAL: Goal = Goal {
        hit_pm: 900,
        margin_pm: 10,
        cost_weight_pm: 100,
    };

    fn decide(sizes: &[u32; POINTS], miss: &[u32; POINTS], fresh_ppm: u32) -> Proposal {
        let c = Curve::new(sizes, miss).unwrap();
        let signals = Signals {
            fresh_ppm,
            ..Signals::default()
        };
        propose(&c, sizes, GOAL, &signals, None)
    }

    #[test]
    fn sizes_span_the_bounds_evenly() {
        let mut s = [0u32; POINTS];
        candidate_sizes(100, 1600, &mut s).unwrap();
        assert_eq!(s[0], 100);
        assert_eq!(s[1], 200);
        assert_eq!(s[POINTS - 1], 1600);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        candidate_sizes(1, 16, &mut s).unwrap();
        assert_eq!(s, core::array::from_fn(|i| i as u32 + 1));
        assert_eq!(candidate_sizes(1, 15, &mut s), Err(Error::BadConfig));
        assert_eq!(candidate_sizes(0, 100, &mut s), Err(Error::BadConfig));
        assert_eq!(candidate_sizes(100, 99, &mut s), Err(Error::BadConfig));
        candidate_sizes(u32::MAX - 15, u32::MAX, &mut s).unwrap();
        assert_eq!(s[POINTS - 1], u32::MAX);
    }

    #[test]
    fn the_rules_pick_the_smallest_size_meeting_the_goal() {
        let mut sizes = [0u32; POINTS];
        candidate_sizes(1000, 16_000, &mut sizes).unwrap();
        // Miss ratio falls by 10% per point: 100%, 90%, ..., 0% from the 11th point on.
        let miss: [u32; POINTS] =
            core::array::from_fn(|i| 1_000_000u32.saturating_sub(i as u32 * 100_000));
        // Hit 90% less a 1% margin: miss <= 11%: the 10th point (miss 10%).
        let p = decide(&sizes, &miss, 0);
        assert_eq!(
            (p.pages, p.source, p.reason),
            (sizes[9], Source::Fallback, Reason::GoalMet)
        );
        // A curve that never gets there: the largest, flagged.
        let flat = [500_000u32; POINTS];
        let p = decide(&sizes, &flat, 0);
        assert_eq!(
            (p.pages, p.reason),
            (sizes[POINTS - 1], Reason::GoalUnreached)
        );
    }

    #[test]
    fn fresh_keys_beyond_the_goal_mean_growth() {
        let mut sizes = [0u32; POINTS];
        candidate_sizes(1000, 16_000, &mut sizes).unwrap();
        // The aged curve meets the goal at the smallest size...
        let miss = [0u32; POINTS];
        // ...and fresh keys up to the allowed 11% miss do not change that,
        let p = decide(&sizes, &miss, 110_000);
        assert_eq!((p.pages, p.reason), (sizes[0], Reason::GoalMet));
        // but one more part per million is growth: the largest size.
        let p = decide(&sizes, &miss, 110_001);
        assert_eq!(
            (p.pages, p.source, p.reason),
            (sizes[POINTS - 1], Source::Fallback, Reason::Growth)
        );
        // The knee rule (no hit goal) does not look at fresh keys.
        let c = Curve::new(&sizes, &miss).unwrap();
        let knee = Goal { hit_pm: 0, ..GOAL };
        assert_eq!(rule(&c, knee, PPM), (sizes[0], Reason::Knee));
        // A goal of 100% with no margin allows no fresh key at all.
        let strict = Goal {
            hit_pm: 1000,
            margin_pm: 0,
            cost_weight_pm: 0,
        };
        assert_eq!(rule(&c, strict, 0).1, Reason::GoalMet);
        assert_eq!(rule(&c, strict, 1).1, Reason::Growth);
        // Margins beyond the goal saturate instead of wrapping.
        let loose = Goal {
            hit_pm: 10,
            margin_pm: 500,
            cost_weight_pm: 0,
        };
        assert_eq!(rule(&c, loose, PPM).1, Reason::GoalMet);
    }

    #[test]
    fn the_model_decides_when_it_answers_in_range() {
        let mut sizes = [0u32; POINTS];
        candidate_sizes(1000, 16_000, &mut sizes).unwrap();
        let miss = [0u32; POINTS];
        let c = Curve::new(&sizes, &miss).unwrap();
        let s = Signals::default();
        let p = propose(&c, &sizes, GOAL, &s, Some(0));
        assert_eq!(
            (p.pages, p.source, p.reason),
            (1000, Source::Model, Reason::Model)
        );
        let p = propose(&c, &sizes, GOAL, &s, Some(CLASSES - 1));
        assert_eq!(p.pages, 16_000);
        let p = propose(&c, &sizes, GOAL, &s, Some(CLASSES));
        assert_eq!(
            (p.source, p.reason),
            (Source::Fallback, Reason::ModelInvalid)
        );
        assert_eq!(p.pages, 1000, "the rules: miss 0 everywhere, the smallest");
    }

    #[test]
    fn the_knee_without_a_hit_goal() {
        let mut sizes = [0u32; POINTS];
        candidate_sizes(1000, 16_000, &mut sizes).unwrap();
        // A cliff after the 4th point: the knee is right after it for a modest weight.
        let miss: [u32; POINTS] = core::array::from_fn(|i| if i < 4 { 900_000 } else { 50_000 });
        let c = Curve::new(&sizes, &miss).unwrap();
        let goal = Goal {
            hit_pm: 0,
            margin_pm: 0,
            cost_weight_pm: 200,
        };
        let p = propose(&c, &sizes, goal, &Signals::default(), None);
        assert_eq!((p.pages, p.reason), (sizes[4], Reason::Knee));
    }

    #[test]
    fn a_thin_sample_is_stale() {
        // 8192 pages at the full rate: fine; at 1/64 (128 sampled keys at 8192 pages): stale.
        assert!(!stale(PPM, 8192));
        assert!(stale(PPM / 64, 8192));
        assert!(!stale(PPM / 32, 8192));
        assert!(stale(0, u32::MAX));
        assert!(!stale(PPM, u32::MAX));
    }

    #[test]
    fn levels_are_square_roots() {
        assert_eq!(level(0), 0);
        assert_eq!(level(PPM), 127);
        assert_eq!(level(u32::MAX), 127);
        assert_eq!(level(10_000), 12, "1%");
        assert_eq!(level(1_000), 4, "0.1%");
        assert_eq!(level(250_000), 63, "25%: 127/2, rounded down");
        for n in [0u64, 1, 2, 3, 4, 15, 16, 17, 1 << 40, u64::MAX] {
            let r = isqrt(n);
            let next_above = match (r + 1).checked_mul(r + 1) {
                Some(v) => v > n,
                None => true,
            };
            assert!(r * r <= n && next_above, "{n}");
        }
        // Monotonic.
        let mut last = 0;
        for ppm in (0..=PPM).step_by(997) {
            let l = level(ppm);
            assert!(l >= last);
            last = l;
        }
    }

    #[test]
    fn features_are_the_curve_then_the_signals() {
        let miss: [u32; POINTS] = core::array::from_fn(|i| i as u32 * 62_500);
        let s = Signals {
            fresh_ppm: 10_000,
            prev_fresh_ppm: PPM,
            usage: 1000,
            limit: 20_000,
        };
        let x = features(&miss, &s, 1000, 9000);
        for i in 0..POINTS {
            assert_eq!(x[i], level(miss[i]), "point {i}");
        }
        assert_eq!(&x[POINTS..], &[12, 127, 0, 127]);
        let mid = Signals { usage: 5000, ..s };
        assert_eq!(features(&miss, &mid, 1000, 9000)[POINTS + 2], 63);
        // Degenerate bounds do not panic.
        let _ = features(&[u32::MAX; POINTS], &mid, 9000, 1000);
    }
}
