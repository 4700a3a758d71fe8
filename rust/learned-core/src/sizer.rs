// SPDX-License-Identifier: GPL-2.0

//! The buffer-cache sizer's decision: from a cgroup's miss-ratio curve
//! ([`super::mrc::shards`]) to the page-cache size to give it, by the learned model when one
//! is loaded and by the exact rules of [`super::mrc::decide`] otherwise.
//!
//! The curve is taken at [`POINTS`] candidate sizes evenly spaced over `[min, max]`
//! ([`candidate_sizes`]). Every interval the caller reads the curve, asks [`propose`] for a
//! size, and feeds the proposal to a [`super::mrc::decide::Limiter`], which clamps it, ignores
//! small changes and spaces out the rest.
//!
//! # The model: schema `sizer` version 1
//!
//! - **Inputs** ([`FEATURES`] int8): the curve's miss ratio at every other candidate size,
//!   the 2nd, 4th, ..., 16th (0-based indices 1, 3, ..., 15), each scaled from parts per
//!   million to `0..=127`
//!   ([`features`]). The sizes are relative to `[min, max]`, so one model serves any bounds.
//! - **Outputs** ([`CLASSES`] logits): the argmax `c` picks the size
//!   `min + (max - min) * (c + 1) / CLASSES` ([`class_size`]).
//!
//! The fallback: with a hit-ratio goal, the smallest candidate within the margin of it
//! ([`super::mrc::decide::Curve::smallest_within`]); without one (goal 0), the knee of the
//! curve under the memory-cost weight ([`super::mrc::decide::Curve::knee`]).

use super::model::mlp::{argmax, Mlp, MAX_OUTPUTS};
use super::mrc::decide::Curve;
use super::mrc::{Error, PPM};

/// Candidate sizes of the curve.
pub const POINTS: usize = 16;
/// Inputs of a `sizer` v1 model.
pub const FEATURES: usize = 8;
/// Outputs of a `sizer` v1 model.
pub const CLASSES: usize = 8;
/// Fewer sampled accesses than this in the aged counts ([`super::mrc::shards::Shards::age`]
/// halves them every interval): no decision.
pub const MIN_SAMPLED: u64 = 256;
/// A curve is stale when fewer sampled keys than this would fit a cache of the largest
/// candidate size: the sampling rate, which only falls as distinct keys accumulate, has
/// fallen too far to see that size. The caller starts the estimator over.
pub const MIN_KEYS_AT_MAX: u64 = 256;

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
}

impl Reason {
    /// Every reason, in `repr` order.
    pub const ALL: [Reason; 5] = [
        Self::Model,
        Self::GoalMet,
        Self::GoalUnreached,
        Self::Knee,
        Self::ModelInvalid,
    ];

    /// The reason's name in the `stats` file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::GoalMet => "goal_met",
            Self::GoalUnreached => "goal_unreached",
            Self::Knee => "knee",
            Self::ModelInvalid => "model_invalid",
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

/// The `sizer` v1 inputs of a curve of [`POINTS`] miss ratios (parts per million).
pub fn features(miss_ppm: &[u32; POINTS]) -> [i8; FEATURES] {
    let mut x = [0i8; FEATURES];
    for (f, &m) in x.iter_mut().zip(miss_ppm.iter().skip(1).step_by(2)) {
        // m.min(PPM) * 127 < 2^27: no overflow; the quotient is at most 127.
        *f = (u64::from(m.min(PPM)) * 127 / u64::from(PPM)) as i8;
    }
    x
}

/// The size of model class `class` over `[min, max]`; `None` for a class out of range.
pub fn class_size(class: usize, min: u32, max: u32) -> Option<u32> {
    if class >= CLASSES || max < min {
        return None;
    }
    let span = u64::from(max - min);
    // class + 1 <= CLASSES: the result is at most max.
    Some(min + (span * (class as u64 + 1) / CLASSES as u64) as u32)
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

/// The size to propose for `curve` over `[min, max]`: the model's class if it answered one
/// (`model_class`), else the rules for `goal`.
pub fn propose(
    curve: &Curve<'_>,
    goal: Goal,
    model_class: Option<usize>,
    min: u32,
    max: u32,
) -> Proposal {
    let mut invalid = false;
    if let Some(c) = model_class {
        match class_size(c, min, max) {
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
    let (choice, reason) = if goal.hit_pm == 0 {
        let c = curve.knee(goal.cost_weight_pm.saturating_mul(1000));
        (c, Reason::Knee)
    } else {
        let c = curve.smallest_within(
            goal.hit_pm.saturating_mul(1000),
            goal.margin_pm.saturating_mul(1000),
        );
        let r = if c.reached {
            Reason::GoalMet
        } else {
            Reason::GoalUnreached
        };
        (c, r)
    };
    Proposal {
        pages: choice.size,
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

    fn curve_of(sizes: &[u32; POINTS], miss: &[u32; POINTS]) -> Proposal {
        let c = Curve::new(sizes, miss).unwrap();
        propose(
            &c,
            Goal {
                hit_pm: 900,
                margin_pm: 10,
                cost_weight_pm: 100,
            },
            None,
            sizes[0],
            sizes[POINTS - 1],
        )
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
        let p = curve_of(&sizes, &miss);
        assert_eq!(
            (p.pages, p.source, p.reason),
            (sizes[9], Source::Fallback, Reason::GoalMet)
        );
        // A curve that never gets there: the largest, flagged.
        let flat = [500_000u32; POINTS];
        let p = curve_of(&sizes, &flat);
        assert_eq!(
            (p.pages, p.reason),
            (sizes[POINTS - 1], Reason::GoalUnreached)
        );
    }

    #[test]
    fn the_model_decides_when_it_answers_in_range() {
        let mut sizes = [0u32; POINTS];
        candidate_sizes(1000, 9000, &mut sizes).unwrap();
        let miss = [0u32; POINTS];
        let c = Curve::new(&sizes, &miss).unwrap();
        let goal = Goal {
            hit_pm: 900,
            margin_pm: 0,
            cost_weight_pm: 0,
        };
        let p = propose(&c, goal, Some(0), 1000, 9000);
        assert_eq!(
            (p.pages, p.source, p.reason),
            (2000, Source::Model, Reason::Model)
        );
        let p = propose(&c, goal, Some(CLASSES - 1), 1000, 9000);
        assert_eq!(p.pages, 9000);
        let p = propose(&c, goal, Some(CLASSES), 1000, 9000);
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
        let p = propose(&c, goal, None, 1000, 16_000);
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
    fn features_scale_the_odd_points() {
        let miss: [u32; POINTS] = core::array::from_fn(|i| i as u32 * 62_500);
        let x = features(&miss);
        assert_eq!(x[0], (62_500u64 * 127 / 1_000_000) as i8);
        assert_eq!(x[7], (937_500u64 * 127 / 1_000_000) as i8);
        assert_eq!(features(&[u32::MAX; POINTS]), [127; FEATURES]);
        assert_eq!(features(&[0; POINTS]), [0; FEATURES]);
    }
}
