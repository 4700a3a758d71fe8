// SPDX-License-Identifier: GPL-2.0

//! Miss-ratio curves (MRCs) of LRU caches, and the buffer-cache sizer's exact decision rules.
//!
//! A miss-ratio curve gives, for each of a caller-given ascending list of candidate cache
//! sizes (in objects: pages), the fraction of accesses an LRU cache of that size would miss.
//! Two estimators share one output format ([`hist::Hist::curve`]: parts per million):
//!
//! - [`exact::Exact`]: Mattson's stack algorithm over every access, exact, with storage for
//!   every distinct key (the host's reference);
//! - [`shards::Shards`]: SHARDS with a fixed-size sample set (Waldspurger et al., FAST '15),
//!   bounded memory and bounded work per access (what the kernel runs).
//!
//! [`decide`] turns a curve into a cache-size limit: the smallest size meeting a hit-ratio goal,
//! the knee of a miss-plus-memory cost, and a rate limiter that keeps the limit from
//! oscillating.
//!
//! Like the rest of the crate: `no_std`, no allocation (every table is caller-provided
//! memory), integers only, and no input makes anything here panic.

pub mod decide;
#[cfg(any(test, feature = "host"))]
pub mod exact;
mod fenwick;
mod heap;
pub mod hist;
mod index;
mod recency;
pub mod shards;

// The estimators hash keys with it, after xoring in a per-instance salt (`Index::hash`).
use super::hash::mix64;

/// Parts per million: a miss ratio of 1 is `PPM`.
pub const PPM: u32 = 1_000_000;

/// Why an MRC estimator or a decision could not be built or run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The list of candidate sizes is empty.
    NoSizes,
    /// A candidate size is 0.
    ZeroSize,
    /// The candidate sizes are not strictly ascending.
    SizesNotAscending,
    /// The histogram has fewer than `sizes.len() + 1` buckets; see [`hist::Hist::buckets_for`].
    HistTooSmall,
    /// A capacity (sample-set size, distinct keys) of 0.
    ZeroCapacity,
    /// A capacity above the estimator's limit ([`shards::MAX_SAMPLES`],
    /// [`recency::MAX_CAPACITY`]).
    CapacityTooLarge,
    /// Caller-provided memory is shorter than the `*_for` functions ask for.
    StorageTooSmall,
    /// The sampling modulus `2^rate_bits` is out of [`shards::MIN_RATE_BITS`]..=
    /// [`shards::MAX_RATE_BITS`].
    RateBits,
    /// A curve's sizes and miss ratios differ in length.
    CurveLength,
    /// A decision's configuration is inconsistent (for example `min > max`).
    BadConfig,
}

/// `num / den` in parts per million, rounded to nearest; `num` is clamped to `den`, and a zero
/// `den` gives 0. Exact while `num < 2^43`; beyond that both are scaled down first (by the
/// same power of two), an error far below 1 ppm.
pub fn ratio_ppm(num: u64, den: u64) -> u32 {
    if den == 0 {
        return 0;
    }
    let mut num = num.min(den);
    let mut den = den;
    // Keep num * PPM (< 2^20 * num) and the rounding term inside 64 bits.
    let shift = (64 - num.leading_zeros()).saturating_sub(43);
    if shift > 0 {
        num >>= shift;
        den >>= shift;
    }
    if den == 0 {
        return 0;
    }
    // num < 2^43 now, so num * PPM < 2^63.
    let p = num.saturating_mul(u64::from(PPM));
    let (Some(q), Some(r)) = (p.checked_div(den), p.checked_rem(den)) else {
        return 0;
    };
    // Round half up: r / den >= 1/2.
    let q = if r >= den - r { q.saturating_add(1) } else { q };
    u32::try_from(q.min(u64::from(PPM))).unwrap_or(PPM)
}

/// Splits `mem` into its first `n` elements and the rest; `None` when it is shorter than `n`.
fn carve<T>(mem: &mut [T], n: usize) -> Option<(&mut [T], &mut [T])> {
    if mem.len() < n {
        return None;
    }
    // Cannot panic: `n <= mem.len()` was checked above.
    Some(mem.split_at_mut(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_round_and_never_overflow() {
        assert_eq!(ratio_ppm(1, 3), 333_333);
        assert_eq!(ratio_ppm(2, 3), 666_667);
        assert_eq!(ratio_ppm(5, 5), PPM);
        assert_eq!(ratio_ppm(7, 5), PPM);
        assert_eq!(ratio_ppm(0, 0), 0);
        assert_eq!(ratio_ppm(u64::MAX, u64::MAX), PPM);
        assert_eq!(ratio_ppm(u64::MAX / 2, u64::MAX), 500_000);
        assert_eq!(ratio_ppm(1 << 50, 1 << 52), 250_000);
    }

    #[test]
    fn carve_splits_or_refuses() {
        let mut buf = [1u32, 2, 3, 4, 5];
        let (head, rest) = carve(&mut buf, 2).unwrap();
        assert_eq!(head, &[1, 2]);
        assert!(carve(rest, 4).is_none());
        let (head, rest) = carve(rest, 3).unwrap();
        assert_eq!((head.len(), rest.len()), (3, 0));
        assert!(carve(rest, 0).is_some());
    }
}
