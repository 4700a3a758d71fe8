// SPDX-License-Identifier: GPL-2.0

//! A piecewise-linear approximation (PLA) of a sorted key -> position map, for a learned
//! index: [`Pla::predict`] gives a position and the window `[lo, hi]` an exact search must
//! look in; [`fit`] builds the segments from sorted points with a greedy shrinking cone.
//!
//! Payload layout (little-endian, offsets from the start of the payload):
//!
//! | offset      | type | field                                                    |
//! |-------------|------|----------------------------------------------------------|
//! | 0           | u32  | `epsilon`: the declared error bound, in positions        |
//! | 4           | u32  | segment count `n`, `1..=`[`MAX_SEGMENTS`]                |
//! | 8           | u64  | position count (`>= 1`): positions are `0..count`        |
//! | 16 + 24 k   | u64  | segment `k`: start key (strictly increasing in `k`)      |
//! | 24 + 24 k   | u64  | segment `k`: slope, unsigned Q32.32 (positions per key)  |
//! | 32 + 24 k   | i64  | segment `k`: intercept, the position at its start key    |
//!
//! The payload is exactly `16 + 24 n` bytes.
//!
//! Prediction for `key`: take the last segment whose start key is `<= key` (the first
//! segment if none is), `dx = key - start` (0 if `key < start`), then
//! `pos = intercept + floor(slope * dx / 2^32)` (saturating), clamped to
//! `0..=count - 1`; the window is `[pos - epsilon, pos + epsilon]` clamped the same way.
//! For the keys a model was fitted on, the true position is inside the window.

use super::format::{i64_at, u32_at, u64_at, ParseError};
#[cfg(any(test, feature = "host"))]
use super::format::{put, EncodeError};

/// The most segments a model may have.
pub const MAX_SEGMENTS: usize = 2048;
/// The length of one encoded segment.
const SEGMENT_LEN: usize = 24;
/// The length of the payload's fixed fields, before the segments.
const PAYLOAD_HEADER_LEN: usize = 16;

/// One linear piece.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    /// The first key this segment covers.
    pub start_key: u64,
    /// Positions per key, unsigned Q32.32.
    pub slope: u64,
    /// The predicted position at `start_key`.
    pub intercept: i64,
}

/// A predicted position and the window the exact position is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// The predicted position.
    pub pos: u64,
    /// The first position to search.
    pub lo: u64,
    /// The last position to search (inclusive).
    pub hi: u64,
}

/// `floor(slope * dx / 2^32)`, saturating at `u64::MAX`; exact otherwise. No 128-bit
/// arithmetic (the kernel does not provide its helpers).
pub fn mul_q32(slope: u64, dx: u64) -> u64 {
    let (sh, sl) = (slope >> 32, slope & 0xFFFF_FFFF);
    let (xh, xl) = (dx >> 32, dx & 0xFFFF_FFFF);
    // slope * dx = sh*xh*2^64 + (sh*xl + sl*xh)*2^32 + sl*xl; each 32x32 product fits u64.
    let hh = sh * xh;
    if hh >= 1 << 32 {
        return u64::MAX;
    }
    (hh << 32)
        .saturating_add(sh * xl)
        .saturating_add(sl * xh)
        .saturating_add((sl * xl) >> 32)
}

impl Segment {
    /// The unclamped prediction for `key` (see the module docs): saturating, never panics.
    pub fn eval(&self, key: u64) -> i64 {
        let dx = key.saturating_sub(self.start_key);
        self.intercept
            .saturating_add_unsigned(mul_q32(self.slope, dx))
    }
}

/// Predicts with `seg` for `key` and builds the window, all clamped to `0..n_positions`.
fn window(seg: &Segment, key: u64, epsilon: u32, n_positions: u64) -> Prediction {
    let max = n_positions.saturating_sub(1);
    let pos = u64::try_from(seg.eval(key).max(0)).unwrap_or(0).min(max);
    Prediction {
        pos,
        lo: pos.saturating_sub(u64::from(epsilon)),
        hi: pos.saturating_add(u64::from(epsilon)).min(max),
    }
}

/// Predicts `key` over a slice of segments sorted by start key (e.g. [`fit`]'s output);
/// `None` if `segments` is empty.
#[cfg(any(test, feature = "host"))]
pub fn predict_in(
    segments: &[Segment],
    epsilon: u32,
    n_positions: u64,
    key: u64,
) -> Option<Prediction> {
    let i = segments
        .partition_point(|s| s.start_key <= key)
        .saturating_sub(1);
    segments
        .get(i)
        .map(|s| window(s, key, epsilon, n_positions))
}

/// A parsed PLA model: a zero-copy view of a validated payload.
///
/// INVARIANT: `segs.len() == 24 * n` with `1 <= n <= MAX_SEGMENTS`, start keys strictly
/// increasing; `n_positions >= 1`.
#[derive(Clone, Copy, Debug)]
pub struct Pla<'a> {
    epsilon: u32,
    n_positions: u64,
    segs: &'a [u8],
}

impl<'a> Pla<'a> {
    /// Validates a PLA payload (see the module docs for the layout).
    pub(super) fn parse(p: &'a [u8]) -> Result<Self, ParseError> {
        let trunc = ParseError::PayloadTruncated;
        let epsilon = u32_at(p, 0).ok_or(trunc)?;
        let n = u32_at(p, 4).ok_or(trunc)?;
        let n_positions = u64_at(p, 8).ok_or(trunc)?;
        let n = usize::try_from(n).map_err(|_| ParseError::BadSegmentCount)?;
        if n == 0 || n > MAX_SEGMENTS {
            return Err(ParseError::BadSegmentCount);
        }
        if n_positions == 0 {
            return Err(ParseError::BadPositionCount);
        }
        // Bounded: n <= MAX_SEGMENTS, so at most 16 + 24 * 2048.
        let end = PAYLOAD_HEADER_LEN + SEGMENT_LEN * n;
        if p.len() < end {
            return Err(trunc);
        }
        if p.len() > end {
            return Err(ParseError::TrailingBytes);
        }
        let segs = p.get(PAYLOAD_HEADER_LEN..end).ok_or(trunc)?;
        let mut prev: Option<u64> = None;
        for k in 0..n {
            // In range: k < n <= MAX_SEGMENTS.
            let key = u64_at(segs, k * SEGMENT_LEN).ok_or(trunc)?;
            if prev.is_some_and(|p| p >= key) {
                return Err(ParseError::UnsortedSegments);
            }
            prev = Some(key);
        }
        Ok(Self {
            epsilon,
            n_positions,
            segs,
        })
    }

    /// The declared error bound.
    #[cfg(any(test, feature = "host"))]
    pub fn epsilon(&self) -> u32 {
        self.epsilon
    }

    /// The number of positions indexed (positions are `0..count`).
    #[cfg(any(test, feature = "host"))]
    pub fn positions(&self) -> u64 {
        self.n_positions
    }

    /// The number of segments.
    pub fn segment_count(&self) -> usize {
        self.segs.len() / SEGMENT_LEN
    }

    /// Segment `i`, or `None` past the last.
    pub fn segment(&self, i: usize) -> Option<Segment> {
        let at = i.checked_mul(SEGMENT_LEN)?;
        Some(Segment {
            start_key: u64_at(self.segs, at)?,
            slope: u64_at(self.segs, at.checked_add(8)?)?,
            intercept: i64_at(self.segs, at.checked_add(16)?)?,
        })
    }

    /// The position of `key` and the window the exact search must look in (see the module
    /// docs). Binary search over the segments; never panics.
    pub fn predict(&self, key: u64) -> Prediction {
        // Find the last segment whose start key is <= key: invariant lo <= answer < hi.
        let (mut lo, mut hi) = (0usize, self.segment_count());
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match self.segment(mid) {
                Some(s) if s.start_key <= key => lo = mid,
                _ => hi = mid,
            }
        }
        let seg = self.segment(lo).unwrap_or_default();
        window(&seg, key, self.epsilon, self.n_positions)
    }
}

/// Why [`fit`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FitError {
    /// No points.
    Empty,
    /// Keys not strictly increasing, or positions decreasing.
    Unsorted,
    /// A position above `i64::MAX`.
    PositionTooLarge,
    /// More segments needed than `out` holds.
    OutOfRoom,
}

impl FitError {
    /// A short reason.
    #[cfg(any(test, feature = "host"))]
    pub const fn reason(self) -> &'static str {
        match self {
            FitError::Empty => "no points",
            FitError::Unsorted => "points not sorted",
            FitError::PositionTooLarge => "position too large",
            FitError::OutOfRoom => "too many segments for the output",
        }
    }
}

/// `floor(num * 2^32 / d)` and whether it is exact, saturating at `u64::MAX` (then not
/// exact). `d` must be non-zero (0 gives `(u64::MAX, false)`). Long division, no 128-bit
/// arithmetic.
fn div_q32(num: u64, d: u64) -> (u64, bool) {
    if d == 0 {
        return (u64::MAX, false);
    }
    let q_int = num / d;
    if q_int >= 1 << 32 {
        return (u64::MAX, false);
    }
    let mut r = num % d;
    let mut q = q_int;
    for _ in 0..32 {
        // r < d; 2r may not fit u64, in which case 2r > d and the wrapped result is exact.
        let carry = r >> 63 != 0;
        let r2 = r.wrapping_shl(1);
        q <<= 1;
        if carry || r2 >= d {
            r = r2.wrapping_sub(d);
            q |= 1;
        } else {
            r = r2;
        }
    }
    (q, r == 0)
}

/// The slope interval `[lo, hi]` (Q32.32) within which the point `(dx, dy)` (relative to a
/// segment's first point, `dx >= 1`) is predicted within `epsilon`; `lo > hi` if empty.
fn slope_bounds(dx: u64, dy: u64, epsilon: u64) -> (u64, u64) {
    // floor(s*dx/2^32) >= dy - eps  <=>  s >= ceil((dy - eps) * 2^32 / dx).
    // A lower bound of 2^64 or more (a saturated quotient) is unreachable: empty interval.
    let lo = match dy.checked_sub(epsilon) {
        None | Some(0) => 0,
        Some(need) => match div_q32(need, dx) {
            (q, true) => q,
            (q, false) => match q.checked_add(1) {
                Some(l) => l,
                None => return (1, 0),
            },
        },
    };
    // floor(s*dx/2^32) <= dy + eps  <=>  s*dx < (dy + eps + 1) * 2^32
    //                                <=>  s <= ceil((dy + eps + 1) * 2^32 / dx) - 1.
    let hi = match dy.checked_add(epsilon).and_then(|v| v.checked_add(1)) {
        None => u64::MAX,
        Some(lim) => match div_q32(lim, dx) {
            (q, true) => q.saturating_sub(1),
            (q, false) => q,
        },
    };
    (lo, hi)
}

/// Fits segments to `points` (`(key, position)`, keys strictly increasing, positions
/// non-decreasing) so that every point's position is within `epsilon` of its prediction
/// (and so inside its [`Prediction`] window). Greedy shrinking cone: each segment starts at
/// a point and extends while some slope keeps every covered point within `epsilon`. Writes
/// into `out` and returns how many segments were used.
#[cfg(any(test, feature = "host"))]
pub fn fit(points: &[(u64, u64)], epsilon: u32, out: &mut [Segment]) -> Result<usize, FitError> {
    fit_by(
        |i| points.get(i).copied(),
        epsilon,
        |k, seg| {
            *out.get_mut(k).ok_or(FitError::OutOfRoom)? = seg;
            Ok(())
        },
    )
}

/// [`fit`] over points that need not sit in a slice: `point(i)` is the `i`-th point, `None`
/// past the last (it is asked for `0, 1, 2, ...` in order, each at most twice), and every
/// finished segment `k` (`0, 1, 2, ...`) goes to `emit(k, segment)`, whose error stops the
/// fit. Returns the number of segments; emitting nothing counts them. Same segments, same
/// errors as [`fit`] (which is this over a slice).
pub fn fit_by<P, E>(point: P, epsilon: u32, mut emit: E) -> Result<usize, FitError>
where
    P: Fn(usize) -> Option<(u64, u64)>,
    E: FnMut(usize, Segment) -> Result<(), FitError>,
{
    let eps = u64::from(epsilon);
    let mut used = 0usize;
    let mut i = 0usize;
    let mut prev: Option<(u64, u64)> = None;
    while let Some((k0, p0)) = point(i) {
        let intercept = i64::try_from(p0).map_err(|_| FitError::PositionTooLarge)?;
        if prev.is_some_and(|(pk, pp)| pk >= k0 || pp > p0) {
            return Err(FitError::Unsorted);
        }
        prev = Some((k0, p0));
        let (mut lo, mut hi) = (0u64, u64::MAX);
        let mut j = i + 1;
        while let Some((k, p)) = point(j) {
            let (pk, pp) = prev.unwrap_or((k0, p0));
            if pk >= k || pp > p {
                return Err(FitError::Unsorted);
            }
            i64::try_from(p).map_err(|_| FitError::PositionTooLarge)?;
            let (l, h) = slope_bounds(k - k0, p - p0, eps);
            let (nl, nh) = (lo.max(l), hi.min(h));
            if nl > nh {
                break;
            }
            lo = nl;
            hi = nh;
            prev = Some((k, p));
            j += 1;
        }
        let seg = Segment {
            start_key: k0,
            // Any slope in [lo, hi] fits; the midpoint keeps keys between points central. A
            // one-point segment has no constraint: slope 0 (flat until the next segment).
            slope: if j == i + 1 { 0 } else { lo + (hi - lo) / 2 },
            intercept,
        };
        emit(used, seg)?;
        used += 1;
        i = j;
    }
    if used == 0 {
        return Err(FitError::Empty);
    }
    Ok(used)
}

/// Writes the PLA payload into `out`; returns its length. Limits are checked by parsing the
/// finished file.
#[cfg(any(test, feature = "host"))]
pub(super) fn write_payload(
    epsilon: u32,
    n_positions: u64,
    segments: &[Segment],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let n = u32::try_from(segments.len())
        .map_err(|_| EncodeError::Invalid(ParseError::BadSegmentCount))?;
    let mut at = put(out, 0, &epsilon.to_le_bytes())?;
    at = put(out, at, &n.to_le_bytes())?;
    at = put(out, at, &n_positions.to_le_bytes())?;
    for s in segments {
        at = put(out, at, &s.start_key.to_le_bytes())?;
        at = put(out, at, &s.slope.to_le_bytes())?;
        at = put(out, at, &s.intercept.to_le_bytes())?;
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xorshift(s: &mut u64) -> u64 {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }

    #[test]
    fn mul_and_div_match_128_bit() {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for round in 0..20_000 {
            let a = xorshift(&mut s) >> (round % 64);
            let b = xorshift(&mut s) >> ((round / 64) % 64);
            let exact = (u128::from(a) * u128::from(b)) >> 32;
            assert_eq!(u128::from(mul_q32(a, b)), exact.min(u128::from(u64::MAX)));
            if b != 0 {
                let n = u128::from(a) << 32;
                let q = n / u128::from(b);
                let (got, ex) = div_q32(a, b);
                if q > u128::from(u64::MAX) {
                    assert_eq!((got, ex), (u64::MAX, false));
                } else {
                    assert_eq!(u128::from(got), q);
                    assert_eq!(ex, n % u128::from(b) == 0);
                }
            }
        }
        assert_eq!(div_q32(u64::MAX, u64::MAX), (1 << 32, true));
        assert_eq!(div_q32(u64::MAX - 1, u64::MAX), ((1 << 32) - 1, false));
        assert_eq!(div_q32(1, 0), (u64::MAX, false));
    }
}
