// SPDX-License-Identifier: GPL-2.0

//! The buffer-cache sizer's exact fallback: integer rules that turn a miss-ratio curve into a
//! cache-size limit, and a rate limiter that applies the limit without oscillating.
//!
//! - [`Curve::smallest_within`]: the smallest candidate size whose hit ratio reaches a goal
//!   (less a margin);
//! - [`Curve::knee`]: the size minimizing miss ratio plus a memory cost;
//! - [`Limiter`]: clamps the proposals, ignores small ones, confirms a direction over several
//!   intervals, spaces changes out and bounds each step.
//!
//! Ratios are parts per million ([`PPM`]); sizes are in objects (pages), as in the curves.

use super::hist::Hist;
use super::{Error, PPM};

/// A miss-ratio curve to decide on: candidate sizes (strictly ascending, non-zero) and the
/// miss ratio at each, in parts per million (values above [`PPM`] count as [`PPM`]).
#[derive(Clone, Copy, Debug)]
pub struct Curve<'a> {
    sizes: &'a [u32],
    miss_ppm: &'a [u32],
}

/// A size picked from a [`Curve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The index of the size in the curve.
    pub index: usize,
    /// The size.
    pub size: u32,
    /// The curve's miss ratio there, parts per million.
    pub miss_ppm: u32,
    /// Whether the size meets the rule's goal: false when [`Curve::smallest_within`] found no
    /// size reaching the goal and fell back to the largest. Always true for [`Curve::knee`].
    pub reached: bool,
}

impl<'a> Curve<'a> {
    /// The curve of `sizes` and `miss_ppm`: the sizes as [`Hist::check_sizes`] wants them,
    /// and one ratio per size.
    pub fn new(sizes: &'a [u32], miss_ppm: &'a [u32]) -> Result<Self, Error> {
        Hist::check_sizes(sizes)?;
        if sizes.len() != miss_ppm.len() {
            return Err(Error::CurveLength);
        }
        Ok(Self { sizes, miss_ppm })
    }

    fn points(&self) -> impl Iterator<Item = (usize, u32, u32)> + 'a {
        self.sizes
            .iter()
            .zip(self.miss_ppm.iter())
            .enumerate()
            .map(|(i, (&s, &m))| (i, s, m.min(PPM)))
    }

    /// The largest candidate, with its ratio (`reached` false).
    pub fn last(&self) -> Choice {
        let (index, size, miss_ppm) = self.points().last().unwrap_or((0, 0, PPM));
        Choice {
            index,
            size,
            miss_ppm,
            reached: false,
        }
    }

    /// The smallest size whose hit ratio (`PPM` minus the miss ratio) is at least
    /// `goal_hit_ppm - margin_ppm` (saturating; a goal above [`PPM`] counts as [`PPM`]). When no
    /// size reaches it: the largest size, with [`Choice::reached`] false. `O(sizes)`.
    pub fn smallest_within(&self, goal_hit_ppm: u32, margin_ppm: u32) -> Choice {
        let want = goal_hit_ppm.min(PPM).saturating_sub(margin_ppm);
        self.points()
            .find(|&(_, _, m)| PPM - m >= want)
            .map_or_else(
                || self.last(),
                |(index, size, miss_ppm)| Choice {
                    index,
                    size,
                    miss_ppm,
                    reached: true,
                },
            )
    }

    /// The size minimizing `miss_ppm(size) + weight_ppm · size / max_size`, `max_size` the
    /// largest candidate; the smallest such size on ties. `O(sizes)`.
    ///
    /// `weight_ppm` prices memory in miss ratio: it is the miss ratio (parts per million)
    /// worth the memory of the largest candidate size. The chosen size is where the curve
    /// stops falling faster than `weight_ppm / max_size` per object. With weight 0 this is the
    /// size of least misses; a weight of [`PPM`] or more picks small sizes unless the curve
    /// falls steeply.
    pub fn knee(&self, weight_ppm: u32) -> Choice {
        let max = u64::from(self.last().size.max(1));
        let mut best: Option<(u64, Choice)> = None;
        for (index, size, miss_ppm) in self.points() {
            // weight < 2^32 and size < 2^32: the product fits in 64 bits.
            let cost =
                u64::from(miss_ppm).saturating_add(u64::from(weight_ppm) * u64::from(size) / max);
            let better = match best {
                None => true,
                Some((c, _)) => cost < c,
            };
            if better {
                best = Some((
                    cost,
                    Choice {
                        index,
                        size,
                        miss_ppm,
                        reached: true,
                    },
                ));
            }
        }
        best.map_or_else(|| self.last(), |(_, c)| c)
    }
}

/// How a [`Limiter`] applies proposals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterConfig {
    /// The smallest limit (at least 1).
    pub min: u32,
    /// The largest limit (at least `min`).
    pub max: u32,
    /// Proposals within this fraction of the current limit (parts per million, at most
    /// [`PPM`]) are no change.
    pub dead_band_ppm: u32,
    /// Intervals (at least 1): a change needs this many consecutive proposals beyond the dead
    /// band on the same side, and this many intervals since the last change.
    pub hold: u32,
    /// A decrease takes at most this share of the limit away (parts per million,
    /// `1..PPM`: `500_000` at most halves it).
    pub shrink_step_ppm: u32,
    /// An increase needs `grow_hold` intervals (instead of `hold`): a limit that costs
    /// misses may grow sooner than it shrinks.
    pub grow_hold: u32,
    /// An increase multiplies the limit by at most `2^grow_step_shift` (1..=16).
    pub grow_step_shift: u32,
}

/// Which way the recent proposals point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dir {
    None,
    Up,
    Down,
}

/// The sizer's rate limiter: turns one proposal per interval into a limit that changes
/// rarely, in bounded steps, and only in a direction the proposals agree on.
///
/// Each [`Limiter::step`]:
/// 1. clamps the proposal to `[min, max]`;
/// 2. if it lies within the dead band around the current limit, votes "stay": the streak
///    starts over;
/// 3. otherwise votes up or down: the streak grows if it points the same way as the last
///    vote, else starts over at 1;
/// 4. changes the limit once the streak is `hold` long and the last change is `hold`
///    intervals ago: towards the least far-reaching proposal of the streak (the smallest for
///    up, the largest for down), by at most a factor `2^grow_step_shift` up, and by at most
///    `shrink_step_ppm` of the limit down.
///
/// So a change follows `hold` consecutive proposals on its side, and with `hold >= 2`
/// proposals that alternate sides (or alternate with "stay") never move the limit: it does
/// not oscillate on noise around it. It changes at most once every `hold` intervals, and it
/// reverses direction only after `hold` proposals agree on the reversal.
///
/// Increases may use their own, smaller `grow_hold` (a limit that is too small costs misses
/// now; one too large only memory). Then proposals that
/// alternate around the limit with period 2 can raise it, up to `max`, but never lower it;
/// a longer pattern (down, down, up, ...) could make it flap, so every reversal (an increase
/// right after a decrease) doubles the hold of the next decreases, up to
/// [`MAX_FLAP_BACKOFF`] times `hold`, until no proposal has asked to go down for 8 such
/// holds: a flapping pattern soon stops moving the limit down, while a lasting fall still
/// lowers it, after at most `hold * MAX_FLAP_BACKOFF` agreeing intervals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limiter {
    cfg: LimiterConfig,
    current: u32,
    dir: Dir,
    streak: u32,
    /// The least far-reaching proposal of the streak.
    bound: u32,
    since: u32,
    changes: u64,
    /// The hold a decrease needs now: `hold`, doubled by every reversal (see [`Limiter`]).
    down_hold: u32,
    /// The direction of the last change.
    last: Dir,
    /// Intervals since the last proposal below the dead band.
    since_down: u32,
}

/// A reversal (an increase right after a decrease) at most multiplies the hold of decreases
/// by this.
pub const MAX_FLAP_BACKOFF: u32 = 32;

impl Limiter {
    /// A limiter starting at `initial` (clamped to `[min, max]`).
    pub fn new(cfg: LimiterConfig, initial: u32) -> Result<Self, Error> {
        if cfg.min == 0
            || cfg.min > cfg.max
            || cfg.dead_band_ppm > PPM
            || cfg.hold == 0
            || cfg.grow_hold == 0
            || !(1..PPM).contains(&cfg.shrink_step_ppm)
            || !(1..=16).contains(&cfg.grow_step_shift)
        {
            return Err(Error::BadConfig);
        }
        let current = initial.clamp(cfg.min, cfg.max);
        Ok(Self {
            cfg,
            current,
            dir: Dir::None,
            streak: 0,
            bound: current,
            // The first change needs only the streak.
            since: cfg.hold,
            changes: 0,
            down_hold: cfg.hold,
            last: Dir::None,
            since_down: 0,
        })
    }

    /// The limit.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// How many times the limit changed.
    #[cfg(any(test, feature = "host"))]
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// One interval with `proposal`: returns the limit after it.
    pub fn step(&mut self, proposal: u32) -> u32 {
        let cfg = self.cfg;
        self.since = self.since.saturating_add(1);
        let target = proposal.clamp(cfg.min, cfg.max);
        let cur = u64::from(self.current);
        // cur < 2^32 and dead_band_ppm <= 10^6 < 2^20: no overflow.
        let band = cur * u64::from(cfg.dead_band_ppm) / u64::from(PPM);
        let t = u64::from(target);
        let dir = if t > cur.saturating_add(band) {
            Dir::Up
        } else if t.saturating_add(band) < cur {
            Dir::Down
        } else {
            Dir::None
        };
        if dir == Dir::Down {
            self.since_down = 0;
        } else {
            self.since_down = self.since_down.saturating_add(1);
            // Nothing asked to go down for a long while: forget the flapping.
            if self.since_down >= self.down_hold.saturating_mul(8) {
                self.down_hold = cfg.hold;
            }
        }
        if dir == Dir::None {
            self.dir = Dir::None;
            self.streak = 0;
            return self.current;
        }
        if dir == self.dir {
            self.streak = self.streak.saturating_add(1);
            self.bound = match dir {
                Dir::Up => self.bound.min(target),
                _ => self.bound.max(target),
            };
        } else {
            self.dir = dir;
            self.streak = 1;
            self.bound = target;
        }
        let hold = match dir {
            Dir::Up => cfg.grow_hold,
            _ => self.down_hold,
        };
        if self.streak < hold || self.since < hold {
            return self.current;
        }
        let next = match dir {
            Dir::Up => {
                let shift = cfg.grow_step_shift;
                let ceiling = self
                    .current
                    .checked_shl(shift)
                    .filter(|c| c >> shift == self.current);
                self.bound.min(ceiling.unwrap_or(u32::MAX))
            }
            _ => {
                // current < 2^32 and shrink_step_ppm < 10^6 < 2^20: no overflow; the cut is
                // below current.
                let cut = u64::from(self.current) * u64::from(cfg.shrink_step_ppm) / u64::from(PPM);
                self.bound.max(self.current - cut as u32)
            }
        }
        .clamp(cfg.min, cfg.max);
        self.dir = Dir::None;
        self.streak = 0;
        if next != self.current {
            if dir == Dir::Up && self.last == Dir::Down {
                let cap = cfg.hold.saturating_mul(MAX_FLAP_BACKOFF);
                self.down_hold = self.down_hold.saturating_mul(2).min(cap);
            }
            self.last = dir;
            self.current = next;
            self.since = 0;
            self.changes = self.changes.saturating_add(1);
        }
        self.current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIZES: [u32; 6] = [100, 200, 300, 400, 500, 600];
    const MISS: [u32; 6] = [800_000, 500_000, 300_000, 200_000, 180_000, 175_000];

    #[test]
    fn smallest_size_meeting_a_goal() {
        let c = Curve::new(&SIZES, &MISS).unwrap();
        let pick = |goal, margin| {
            let ch = c.smallest_within(goal, margin);
            (ch.size, ch.reached)
        };
        assert_eq!(pick(700_000, 0), (300, true));
        assert_eq!(pick(700_000, 1), (300, true));
        assert_eq!(pick(800_000, 0), (400, true));
        assert_eq!(pick(800_000, 20_000), (400, true));
        assert_eq!(pick(830_000, 10_000), (500, true));
        assert_eq!(pick(850_000, 50_000), (400, true));
        assert_eq!(pick(900_000, 0), (600, false));
        assert_eq!(pick(u32::MAX, 0), (600, false));
        assert_eq!(pick(0, 0), (100, true));
        assert_eq!(pick(100_000, 500_000), (100, true));
        assert_eq!(c.smallest_within(700_000, 0).miss_ppm, 300_000);
        assert_eq!(c.smallest_within(700_000, 0).index, 2);
    }

    #[test]
    fn knee_prices_memory() {
        let c = Curve::new(&SIZES, &MISS).unwrap();
        // Costs with weight 600_000 (1000 ppm per object): 900k, 700k, 600k, 600k, 680k, 775k.
        assert_eq!(c.knee(600_000).size, 300);
        assert_eq!(c.knee(0).size, 600);
        assert_eq!(c.knee(u32::MAX).size, 100);
        // 100 ppm per object: 810k 520k 330k 240k 230k 235k.
        assert_eq!(c.knee(60_000).size, 500);
        assert!(c.knee(60_000).reached);
    }

    #[test]
    fn curves_are_validated() {
        assert_eq!(Curve::new(&[], &[]).err(), Some(Error::NoSizes));
        assert_eq!(
            Curve::new(&[2, 1], &[0, 0]).err(),
            Some(Error::SizesNotAscending)
        );
        assert_eq!(Curve::new(&[1, 2], &[0]).err(), Some(Error::CurveLength));
        assert_eq!(Curve::new(&[0], &[0]).err(), Some(Error::ZeroSize));
        let c = Curve::new(&[5], &[u32::MAX]).unwrap();
        assert_eq!(c.knee(7).miss_ppm, PPM);
        assert!(!c.smallest_within(PPM, 0).reached);
        assert!(c.smallest_within(0, 0).reached);
    }

    fn cfg() -> LimiterConfig {
        LimiterConfig {
            min: 64,
            max: 1 << 20,
            dead_band_ppm: 50_000,
            hold: 3,
            shrink_step_ppm: 500_000,
            grow_hold: 3,
            grow_step_shift: 1,
        }
    }

    #[test]
    fn alternating_proposals_never_move_the_limit() {
        for hold in [2u32, 3, 8] {
            let cfg = LimiterConfig {
                hold,
                grow_hold: hold,
                ..cfg()
            };
            for (lo, hi) in [(100u32, 100_000u32), (900, 1100), (1, u32::MAX)] {
                let mut l = Limiter::new(cfg, 1000).unwrap();
                for k in 0..10_000u32 {
                    let got = l.step(if k % 2 == 0 { lo } else { hi });
                    assert_eq!(got, 1000, "hold {hold} {lo}/{hi} step {k}");
                }
                assert_eq!(l.changes(), 0);
                // Alternating with "stay" votes does not move it either.
                for k in 0..1000u32 {
                    l.step(if k % 2 == 0 { 1000 } else { hi });
                }
                assert_eq!(l.current(), 1000);
            }
        }
    }

    #[test]
    fn a_persistent_proposal_is_reached_in_bounded_steps() {
        let mut l = Limiter::new(cfg(), 1000).unwrap();
        let mut trail = [0u32; 20];
        for t in trail.iter_mut() {
            *t = l.step(7000);
        }
        // 3 intervals per change, at most doubling: 2000, 4000, 7000.
        assert_eq!(
            &trail[..10],
            &[1000, 1000, 2000, 2000, 2000, 4000, 4000, 4000, 7000, 7000]
        );
        assert_eq!(trail[19], 7000);
        assert_eq!(l.changes(), 3);
        // Down, at most halving, and never below min.
        for _ in 0..100 {
            l.step(0);
        }
        assert_eq!(l.current(), 64);
        // Up past max is clamped.
        for _ in 0..1000 {
            l.step(u32::MAX);
        }
        assert_eq!(l.current(), 1 << 20);
    }

    #[test]
    fn changes_are_spaced_bounded_and_agreed() {
        // Random proposals: every change is at least `hold` intervals after the previous one,
        // at most a doubling or halving, and in the direction of the last `hold` proposals.
        let c = cfg();
        let mut l = Limiter::new(c, 5000).unwrap();
        let mut x = 99u64;
        let mut last_change = 0u32;
        let mut recent = [0u32; 3];
        let mut changes = 0;
        for k in 1..=100_000u32 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // Mostly near 5000, sometimes far.
            let p = if (x >> 60) < 12 {
                4800 + (x >> 40) as u32 % 400
            } else {
                (x >> 33) as u32 % 40_000
            };
            recent[(k % 3) as usize] = p.clamp(c.min, c.max);
            let before = l.current();
            let after = l.step(p);
            if after != before {
                changes += 1;
                assert!(k - last_change >= c.hold || last_change == 0);
                last_change = k;
                assert!(after <= before.saturating_mul(2) && after >= before / 2);
                if after > before {
                    assert!(recent.iter().all(|&r| r > before));
                } else {
                    assert!(recent.iter().all(|&r| r < before));
                }
            }
        }
        assert!(changes > 0);
        // Noise within the dead band alone never moves it.
        let mut l = Limiter::new(c, 5000).unwrap();
        for k in 0..10_000u32 {
            l.step(4800 + (k * 37) % 400);
        }
        assert_eq!(l.changes(), 0);
    }

    #[test]
    fn growth_can_be_faster_than_shrinking() {
        let c = LimiterConfig {
            hold: 3,
            grow_hold: 1,
            grow_step_shift: 2,
            ..cfg()
        };
        let mut l = Limiter::new(c, 1000).unwrap();
        // Up at once, by up to 4 times.
        assert_eq!(l.step(10_000), 4000);
        assert_eq!(l.step(10_000), 10_000);
        // Down only after 3 agreeing intervals, by at most half.
        assert_eq!(l.step(1000), 10_000);
        assert_eq!(l.step(1000), 10_000);
        assert_eq!(l.step(1000), 5000);
        // Alternating around the limit only ever raises it: no oscillation.
        let mut last = l.current();
        for k in 0..1000u32 {
            let now = l.step(if k % 2 == 0 { last / 2 } else { last * 2 });
            assert!(now >= last, "step {k}: {last} -> {now}");
            last = now;
        }
        assert_eq!(last, c.max);
    }

    #[test]
    fn small_shrink_steps() {
        let c = LimiterConfig {
            hold: 1,
            shrink_step_ppm: 250_000,
            ..cfg()
        };
        let mut l = Limiter::new(c, 10_000).unwrap();
        // A quarter at most per step, down to the proposal and no further.
        let seen: [u32; 6] = core::array::from_fn(|_| l.step(3000));
        assert_eq!(seen, [7500, 5625, 4219, 3165, 3000, 3000]);
        // Never below min, and a proposal clamped to within the dead band is no change.
        let mut l = Limiter::new(c, 65).unwrap();
        assert_eq!(l.step(1), 65);
        let mut l = Limiter::new(c, 100).unwrap();
        assert_eq!((l.step(1), l.step(1), l.step(1)), (75, 64, 64));
    }

    #[test]
    fn flapping_backs_off() {
        // The kernel's limiter, and a pattern that asks down, down, up forever.
        let c = super::super::super::sizer::limiter_config(64, 1 << 20);
        let mut l = Limiter::new(c, 8000).unwrap();
        let (mut last_change, mut late_gap) = (0u32, u32::MAX);
        for k in 0..3000u32 {
            let before = l.current();
            l.step([4000, 4000, 16_000][(k % 3) as usize]);
            if l.current() != before {
                if k >= 1500 {
                    late_gap = late_gap.min(k - last_change);
                }
                last_change = k;
            }
        }
        // Without the backoff it changed at least twice every 3 intervals (2000 changes);
        // with it, the decreases stop after a few reversals, and so do the increases.
        assert!(l.changes() <= 6, "{} changes", l.changes());
        assert_eq!(late_gap, u32::MAX, "a change after interval 1500");
        // A lasting fall still lowers it, after the backed-off hold.
        let cur = l.current();
        let mut k = 0;
        while l.current() == cur && k < 100 {
            l.step(cur / 4);
            k += 1;
        }
        assert!((2..=32).contains(&k), "lowered after {k} intervals");
        // A quiet stretch (nothing asking down) resets it: one interval again, a quarter off.
        for _ in 0..1000 {
            l.step(l.current());
        }
        let cur = l.current();
        assert_eq!(l.step(cur / 4), cur - cur / 4);
    }

    #[test]
    fn rejects_bad_configs() {
        let c = cfg();
        for bad in [
            LimiterConfig { min: 0, ..c },
            LimiterConfig {
                min: 10,
                max: 9,
                ..c
            },
            LimiterConfig { hold: 0, ..c },
            LimiterConfig { grow_hold: 0, ..c },
            LimiterConfig {
                grow_step_shift: 17,
                ..c
            },
            LimiterConfig {
                dead_band_ppm: PPM + 1,
                ..c
            },
            LimiterConfig {
                shrink_step_ppm: 0,
                ..c
            },
            LimiterConfig {
                shrink_step_ppm: PPM,
                ..c
            },
        ] {
            assert_eq!(Limiter::new(bad, 100).err(), Some(Error::BadConfig));
        }
        assert_eq!(Limiter::new(c, 0).unwrap().current(), 64);
        assert_eq!(Limiter::new(c, u32::MAX).unwrap().current(), 1 << 20);
    }
}
