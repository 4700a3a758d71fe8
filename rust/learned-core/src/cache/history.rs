// SPDX-License-Identifier: GPL-2.0

//! The EVICT v1 feature schema: per-object access history and the 8 int8 features an
//! [`super::super::model::schema::EVICT`] model scores an eviction candidate from.
//!
//! The host simulator (training, evaluation) and the kernel compute features with these very
//! functions, so a model sees the same numbers in both places.
//!
//! # History
//!
//! A [`History`] is kept per *resident* object, in a caller-provided side table indexed by
//! slot number (one entry per arena slot: bounded memory, no allocation). It is reset when an
//! object is inserted and dropped when it is evicted: an object that comes back starts afresh.
//! Time is virtual: the index of the request (0, 1, 2, ... per request the policy sees).
//!
//! # Features (EVICT v1)
//!
//! For an object with history `h`, size `size`, at virtual time `now`, with `mean_age` the
//! mean age (`now - last access`) of all resident objects (see [`mean_age`]), and
//! `age = now - h.last` (saturating at 0), `b(x)` the log2 bucket of
//! [`super::super::model::features::log2_bucket`] (`0 -> 0`, else `floor(log2 x) + 1`):
//!
//! | # | feature                                   | int8 scaling                                   |
//! |---|-------------------------------------------|------------------------------------------------|
//! | 0 | age since the last access                 | `log2_scaled(age, 24)`                         |
//! | 1 | accesses since insertion (1 = none since) | `log2_scaled(count, 16)`                       |
//! | 2 | last reuse gap (0 = none yet)             | `log2_scaled(gap1, 24)`                        |
//! | 3 | reuse gap before that (0 = none)          | `log2_scaled(gap2, 24)`                        |
//! | 4 | object size (bytes, or 1 per object)      | `log2_scaled(size, 32)`                        |
//! | 5 | age relative to the cache's mean age      | `scale_i64(b(age) - b(mean_age), -16, 16)`     |
//! | 6 | time since insertion                      | `log2_scaled(now - h.inserted, 24)`            |
//! | 7 | age relative to the last reuse gap        | `scale_i64(b(age) - b(gap1), -24, 24)`         |
//!
//! `log2_scaled(x, m)` maps bucket `0 -> -128` and bucket `m` (and above) `-> 127` linearly,
//! rounding half up; `scale_i64(v, lo, hi)` maps `lo -> -128`, `hi -> 127` likewise (both from
//! [`super::super::model::features`]). Gaps are in requests and saturate at `u32::MAX`.
//! Changing any of this (order, scaling, count) needs a new schema version.

use super::super::model::features::{log2_bucket, log2_scaled, scale_i64};

/// The number of features (the model's input count).
pub const FEATURES: usize = 8;

/// The largest log2 bucket of a time or gap feature (`2^23` requests and more saturate).
pub const TIME_BUCKETS: u8 = 24;
/// The largest log2 bucket of the access count.
pub const COUNT_BUCKETS: u8 = 16;
/// The largest log2 bucket of the object size (4 GiB and more saturate).
pub const SIZE_BUCKETS: u8 = 32;

/// The access history of one resident object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct History {
    /// Virtual time of the last access.
    pub last: u64,
    /// Virtual time of the insertion.
    pub inserted: u64,
    /// Accesses since insertion, the inserting one included.
    pub count: u32,
    /// The last reuse gap (time between the last two accesses), 0 before the first reuse.
    pub gap1: u32,
    /// The reuse gap before [`Self::gap1`], 0 before the second reuse.
    pub gap2: u32,
}

impl Default for History {
    fn default() -> Self {
        History::EMPTY
    }
}

impl History {
    /// An unused entry; fill the side table with it.
    pub const EMPTY: History = History {
        last: 0,
        inserted: 0,
        count: 0,
        gap1: 0,
        gap2: 0,
    };

    /// The history of an object inserted at `now`.
    pub const fn inserted_at(now: u64) -> History {
        History {
            last: now,
            inserted: now,
            count: 1,
            gap1: 0,
            gap2: 0,
        }
    }

    /// Records an access (a hit) at `now`.
    pub fn touch(&mut self, now: u64) {
        let gap = u32::try_from(now.saturating_sub(self.last)).unwrap_or(u32::MAX);
        self.gap2 = self.gap1;
        self.gap1 = gap;
        self.last = now;
        self.count = self.count.saturating_add(1);
    }

    /// The age (time since the last access) at `now`; 0 if `now` is earlier.
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.last)
    }
}

/// The mean age at `now` of `n` resident objects whose last-access times sum to `sum_last`:
/// `now - sum_last / n`, rounded down, 0 when `n == 0` (or the mean is in the future).
pub fn mean_age(now: u64, sum_last: u64, n: u64) -> u64 {
    match sum_last.checked_div(n) {
        Some(mean_last) => now.saturating_sub(mean_last),
        None => 0,
    }
}

/// `log2_scaled(x, max)` by the log2 bucket of `x` (`0..=64`): the function itself, run at
/// compile time on a value of each bucket.
const fn log2_table(max: u8) -> [i8; 65] {
    let mut t = [0i8; 65];
    let mut b = 0;
    while b < 65 {
        // The smallest value of bucket `b`: 0, then 2^(b-1).
        let x = if b == 0 { 0 } else { 1u64 << (b - 1) };
        t[b] = log2_scaled(x, max);
        b += 1;
    }
    t
}

/// `scale_i64(d, -half, half)` by the bucket difference `d + 64` (`d` in `-64..=64`).
const fn diff_table(half: i64) -> [i8; 129] {
    let mut t = [0i8; 129];
    let mut i = 0;
    while i < 129 {
        t[i] = scale_i64(i as i64 - 64, -half, half);
        i += 1;
    }
    t
}

/// The feature scalings as tables, built at compile time by the scaling functions
/// themselves: the features are computed with no division (the reclaim hook computes them
/// for every page it is asked about). `tables_equal_the_scalings` checks every input.
static TIME: [i8; 65] = log2_table(TIME_BUCKETS);
static COUNT: [i8; 65] = log2_table(COUNT_BUCKETS);
static SIZE: [i8; 65] = log2_table(SIZE_BUCKETS);
static MEAN_DIFF: [i8; 129] = diff_table(16);
static GAP_DIFF: [i8; 129] = diff_table(24);

/// `table[log2_bucket(x)]`.
fn log2_lookup(table: &[i8; 65], x: u64) -> i8 {
    table
        .get(usize::from(log2_bucket(x)))
        .copied()
        .unwrap_or(i8::MAX)
}

/// `table[b(a) - b(b) + 64]`.
fn diff_lookup(table: &[i8; 129], a: u64, b: u64) -> i8 {
    let i = usize::from(log2_bucket(a)) + 64 - usize::from(log2_bucket(b));
    table.get(i).copied().unwrap_or(i8::MAX)
}

/// The EVICT v1 features (see the module docs) of an object with history `h` and size
/// `size`, at time `now`, in a cache whose resident objects have mean age `mean_age`.
pub fn features(h: &History, size: u32, now: u64, mean_age: u64) -> [i8; FEATURES] {
    let age = h.age(now);
    [
        log2_lookup(&TIME, age),
        log2_lookup(&COUNT, u64::from(h.count)),
        log2_lookup(&TIME, u64::from(h.gap1)),
        log2_lookup(&TIME, u64::from(h.gap2)),
        log2_lookup(&SIZE, u64::from(size)),
        diff_lookup(&MEAN_DIFF, age, mean_age),
        log2_lookup(&TIME, now.saturating_sub(h.inserted)),
        diff_lookup(&GAP_DIFF, age, u64::from(h.gap1)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The difference of two log2 buckets, as `i64`.
    fn bucket_diff(a: u64, b: u64) -> i64 {
        i64::from(log2_bucket(a)) - i64::from(log2_bucket(b))
    }

    #[test]
    fn tables_equal_the_scalings() {
        for (table, max) in [
            (&TIME, TIME_BUCKETS),
            (&COUNT, COUNT_BUCKETS),
            (&SIZE, SIZE_BUCKETS),
        ] {
            for b in 0..=64u32 {
                let x = if b == 0 { 0 } else { 1u64 << (b - 1) };
                assert_eq!(log2_lookup(table, x), log2_scaled(x, max), "{max} {b}");
                if b > 1 {
                    let y = (x << 1).wrapping_sub(1).max(x);
                    assert_eq!(log2_lookup(table, y), log2_scaled(y, max), "{max} {b}");
                }
            }
        }
        for (table, half) in [(&MEAN_DIFF, 16), (&GAP_DIFF, 24)] {
            for ba in 0..=64u32 {
                for bb in 0..=64u32 {
                    let a = if ba == 0 { 0 } else { 1u64 << (ba - 1) };
                    let b = if bb == 0 { 0 } else { 1u64 << (bb - 1) };
                    let want = scale_i64(bucket_diff(a, b), -half, half);
                    assert_eq!(diff_lookup(table, a, b), want, "{half} {ba} {bb}");
                }
            }
        }
    }

    #[test]
    fn history_updates() {
        let mut h = History::inserted_at(10);
        assert_eq!(
            (h.last, h.inserted, h.count, h.gap1, h.gap2),
            (10, 10, 1, 0, 0)
        );
        h.touch(13);
        assert_eq!((h.last, h.count, h.gap1, h.gap2), (13, 2, 3, 0));
        h.touch(20);
        assert_eq!((h.last, h.count, h.gap1, h.gap2), (20, 3, 7, 3));
        assert_eq!(h.age(25), 5);
        assert_eq!(h.age(5), 0);
        // Saturation.
        let mut s = History::inserted_at(0);
        s.count = u32::MAX;
        s.touch(u64::MAX);
        assert_eq!((s.count, s.gap1), (u32::MAX, u32::MAX));
    }

    #[test]
    fn mean_ages() {
        assert_eq!(mean_age(100, 0, 0), 0);
        assert_eq!(mean_age(100, 90 + 70, 2), 20);
        assert_eq!(mean_age(10, 300, 2), 0);
    }

    #[test]
    fn hand_computed_features() {
        // Inserted at 10, hit at 13 and 20; scored at 36 with a mean age of 8.
        let mut h = History::inserted_at(10);
        h.touch(13);
        h.touch(20);
        let f = features(&h, 4096, 36, 8);
        // age 16 -> bucket 5 of 24: (5 * 255 + 12) / 24 = 53 -> -75.
        assert_eq!(f[0], -75);
        // count 3 -> bucket 2 of 16: (2 * 255 + 8) / 16 = 32 -> -96.
        assert_eq!(f[1], -96);
        // gap1 7 -> bucket 3 of 24: (765 + 12) / 24 = 32 -> -96.
        assert_eq!(f[2], -96);
        // gap2 3 -> bucket 2 of 24: (510 + 12) / 24 = 21 -> -107.
        assert_eq!(f[3], -107);
        // size 4096 -> bucket 13 of 32: (13 * 255 + 16) / 32 = 104 -> -24.
        assert_eq!(f[4], -24);
        // b(16) - b(8) = 5 - 4 = 1 -> offset 17 of 32: (17 * 255 + 16) / 32 = 135 -> 7.
        assert_eq!(f[5], 7);
        // since insertion 26 -> bucket 5 of 24 -> -75.
        assert_eq!(f[6], -75);
        // b(16) - b(7) = 2 -> offset 26 of 48: (26 * 255 + 24) / 48 = 138 -> 10.
        assert_eq!(f[7], 10);
    }

    #[test]
    fn fresh_object_and_extremes() {
        let h = History::inserted_at(5);
        let f = features(&h, 1, 5, 0);
        // age 0, count 1, no gaps, size 1, same bucket as mean, just inserted.
        assert_eq!(f, [-128, -112, -128, -128, -120, 0, -128, 0]);
        let big = History {
            last: 0,
            inserted: 0,
            count: u32::MAX,
            gap1: u32::MAX,
            gap2: u32::MAX,
        };
        let f = features(&big, u32::MAX, u64::MAX, u64::MAX);
        assert_eq!(f, [127, 127, 127, 127, 127, 0, 127, 127]);
    }
}
