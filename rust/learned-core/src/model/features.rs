// SPDX-License-Identifier: GPL-2.0

//! Integer feature normalisation into the int8 input range of a model.
//!
//! All functions here are total: any argument values, including `lo > hi`, give a defined
//! result without overflow.

/// Divides by 256 before scaling when the range is above this, so `offset * 255` fits `u64`.
const SCALE_LIMIT: u64 = u64::MAX / 256;

/// Maps `offset` in `0..=range` linearly onto `-128..=127`, rounding to nearest (half up).
///
/// `offset` is clamped to `range`; `range == 0` maps everything to `-128`.
const fn scale_offset(offset: u64, range: u64) -> i8 {
    if range == 0 {
        return i8::MIN;
    }
    let (mut off, mut range) = (if offset < range { offset } else { range }, range);
    if range > SCALE_LIMIT {
        off >>= 8;
        range >>= 8;
    }
    // INVARIANT: `range >= 1` (it was `> SCALE_LIMIT >= 256` before a shift by 8), and
    // `off <= range <= SCALE_LIMIT`, so `off * 255 + range / 2 < 256 * range <= u64::MAX` and
    // the quotient is at most 255.
    let q = (off * 255 + range / 2) / range;
    // `q <= 255` (above); the clamp keeps the conversion total all the same.
    let q = if q > 255 { 255 } else { q };
    (q as i16 - 128) as i8
}

/// Clamps `value` to `[lo, hi]` and scales it linearly so that `lo -> -128` and `hi -> 127`,
/// rounding to nearest (half up). If `hi <= lo` the result is `-128` for `value <= lo` and
/// `127` above.
pub const fn scale_u64(value: u64, lo: u64, hi: u64) -> i8 {
    if hi <= lo {
        return if value <= lo { i8::MIN } else { i8::MAX };
    }
    let v = if value < lo {
        lo
    } else if value > hi {
        hi
    } else {
        value
    };
    scale_offset(v - lo, hi - lo)
}

/// [`scale_u64`] for signed values.
pub const fn scale_i64(value: i64, lo: i64, hi: i64) -> i8 {
    if hi <= lo {
        return if value <= lo { i8::MIN } else { i8::MAX };
    }
    let v = if value < lo {
        lo
    } else if value > hi {
        hi
    } else {
        value
    };
    scale_offset(v.abs_diff(lo), hi.abs_diff(lo))
}

/// The log2 bucket of `value`: `0` for `0`, else `floor(log2(value)) + 1`, so `1 -> 1`,
/// `2..=3 -> 2`, `4..=7 -> 3`, ..., `2^63.. -> 64`. Always in `0..=64`.
pub const fn log2_bucket(value: u64) -> u8 {
    // `leading_zeros() <= 64`, so this neither underflows nor truncates.
    (64 - value.leading_zeros()) as u8
}

/// The log2 bucket of `value`, clamped to `0..=max_bucket` and scaled to int8 as by
/// [`scale_u64`] (bucket `0 -> -128`, `max_bucket -> 127`).
pub const fn log2_scaled(value: u64, max_bucket: u8) -> i8 {
    scale_u64(log2_bucket(value) as u64, 0, max_bucket as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_endpoints_and_clamping() {
        assert_eq!(scale_u64(0, 0, 255), -128);
        assert_eq!(scale_u64(255, 0, 255), 127);
        assert_eq!(scale_u64(1000, 0, 255), 127);
        assert_eq!(scale_u64(5, 10, 20), -128);
        assert_eq!(scale_u64(128, 0, 255), 0);
        assert_eq!(scale_i64(-5, -10, 10), -64);
        assert_eq!(scale_i64(i64::MIN, i64::MIN, i64::MAX), -128);
        assert_eq!(scale_i64(i64::MAX, i64::MIN, i64::MAX), 127);
        assert_eq!(scale_i64(0, i64::MIN, i64::MAX), 0);
        assert_eq!(scale_u64(u64::MAX, 0, u64::MAX), 127);
        assert_eq!(scale_u64(u64::MAX / 2 + 1, 0, u64::MAX), 0);
    }

    #[test]
    fn scale_is_monotone_and_total() {
        let mut prev = i8::MIN;
        for v in 0..=1000u64 {
            let s = scale_u64(v, 0, 1000);
            assert!(s >= prev);
            prev = s;
        }
        // Degenerate ranges.
        assert_eq!(scale_u64(3, 5, 5), -128);
        assert_eq!(scale_u64(6, 5, 5), 127);
        assert_eq!(scale_u64(6, 9, 1), -128);
        assert_eq!(scale_i64(7, 9, -1), -128);
        assert_eq!(scale_i64(10, 9, -1), 127);
    }

    #[test]
    fn log2_buckets() {
        assert_eq!(log2_bucket(0), 0);
        assert_eq!(log2_bucket(1), 1);
        assert_eq!(log2_bucket(2), 2);
        assert_eq!(log2_bucket(3), 2);
        assert_eq!(log2_bucket(4), 3);
        assert_eq!(log2_bucket(u64::MAX), 64);
        for k in 0..64 {
            assert_eq!(log2_bucket(1u64 << k), k + 1);
        }
        assert_eq!(log2_scaled(0, 16), -128);
        assert_eq!(log2_scaled(u64::MAX, 16), 127);
        assert_eq!(log2_scaled(5, 0), 127);
        assert_eq!(log2_scaled(0, 0), -128);
    }
}
