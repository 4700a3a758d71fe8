// SPDX-License-Identifier: GPL-2.0

//! Parsing of values written to the module's sysfs knobs.
//!
//! A knob accepts exactly one value, optionally followed by one newline (what `echo` writes).
//! Anything else is refused with a typed error; the caller keeps the previous value.

/// Why a knob write was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KnobError {
    /// The write was empty (or only a newline).
    Empty,
    /// The value is not one the knob accepts.
    Invalid,
    /// The value is a number outside the knob's range.
    OutOfRange,
}

impl KnobError {
    /// A short reason, for the one-line warning the kernel logs.
    pub const fn reason(self) -> &'static str {
        match self {
            KnobError::Empty => "empty value",
            KnobError::Invalid => "not a valid value",
            KnobError::OutOfRange => "value out of range",
        }
    }
}

/// Strips the single trailing newline that `echo` appends, and nothing else.
pub fn strip_newline(input: &[u8]) -> &[u8] {
    match input {
        [rest @ .., b'\n'] => rest,
        _ => input,
    }
}

/// Parses a boolean knob: exactly `0` or `1`, with an optional trailing newline.
pub fn parse_bool(input: &[u8]) -> Result<bool, KnobError> {
    match strip_newline(input) {
        [] => Err(KnobError::Empty),
        b"0" => Ok(false),
        b"1" => Ok(true),
        _ => Err(KnobError::Invalid),
    }
}

/// Parses an unsigned decimal knob in `min..=max`, with an optional trailing newline.
///
/// Only ASCII digits are accepted: no sign, no spaces, no `0x` prefix. Leading zeros are
/// allowed. A value that does not fit in `u64` is [`KnobError::OutOfRange`].
pub fn parse_u64(input: &[u8], min: u64, max: u64) -> Result<u64, KnobError> {
    parse_digits(strip_newline(input), min, max)
}

/// Parses ASCII digits only (no newline) as a `u64` in `min..=max`.
fn parse_digits(digits: &[u8], min: u64, max: u64) -> Result<u64, KnobError> {
    if digits.is_empty() {
        return Err(KnobError::Empty);
    }
    let mut value: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return Err(KnobError::Invalid);
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(c - b'0')))
            .ok_or(KnobError::OutOfRange)?;
    }
    if value < min || value > max {
        return Err(KnobError::OutOfRange);
    }
    Ok(value)
}

/// The value of `key` in `text`, lines of `key value` (a cgroup's `memory.stat`): the first
/// line whose first word is `key`; `None` if there is none or its value is not a `u64`.
#[cfg(any(test, feature = "host"))]
pub fn stat_value(text: &[u8], key: &[u8]) -> Option<u64> {
    let line = text
        .split(|&c| c == b'\n')
        .find(|line| line.split(|&c| c == b' ').next() == Some(key))?;
    let mut words = line.split(|&c| c == b' ').skip(1);
    let value = words.next()?;
    if words.next().is_some() {
        return None;
    }
    parse_digits(value, 0, u64::MAX).ok()
}

/// Parses a list of space-separated signed decimal integers (an optional trailing newline)
/// into `out`, returning how many there were. More values than `out` holds is
/// [`KnobError::OutOfRange`]; anything but digits, one leading `-` and single spaces is
/// [`KnobError::Invalid`].
pub fn parse_i32_list(input: &[u8], out: &mut [i32]) -> Result<usize, KnobError> {
    let line = strip_newline(input);
    if line.is_empty() {
        return Err(KnobError::Empty);
    }
    let mut n = 0;
    for word in line.split(|&c| c == b' ') {
        let (negative, digits) = match word {
            [b'-', rest @ ..] => (true, rest),
            _ => (false, word),
        };
        // An empty word (two spaces in a row, a lone `-`) is invalid, not empty.
        let magnitude = parse_digits(digits, 0, 1 << 31).map_err(|e| match e {
            KnobError::Empty => KnobError::Invalid,
            e => e,
        })?;
        let value = if negative {
            0i64 - magnitude as i64
        } else {
            magnitude as i64
        };
        let value = i32::try_from(value).map_err(|_| KnobError::OutOfRange)?;
        *out.get_mut(n).ok_or(KnobError::OutOfRange)? = value;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_values() {
        let t = b"anon 1236992\nfile 8388608\nfile_mapped 0\nkernel 4096\n";
        assert_eq!(stat_value(t, b"file"), Some(8_388_608));
        assert_eq!(stat_value(t, b"anon"), Some(1_236_992));
        assert_eq!(stat_value(t, b"kernel"), Some(4096));
        assert_eq!(stat_value(t, b"fil"), None);
        assert_eq!(stat_value(t, b"shmem"), None);
        assert_eq!(
            stat_value(b"file x\nfile 5", b"file"),
            None,
            "the first line decides"
        );
        assert_eq!(stat_value(b"file 99999999999999999999", b"file"), None);
        assert_eq!(
            stat_value(b"file 12", b"file"),
            Some(12),
            "no trailing newline"
        );
        assert_eq!(stat_value(b"", b"file"), None);
        assert_eq!(stat_value(b"\xff\xfe file 3", b"file"), None);
    }

    #[test]
    fn bool_accepts_exactly_zero_and_one() {
        assert_eq!(parse_bool(b"0"), Ok(false));
        assert_eq!(parse_bool(b"1"), Ok(true));
        assert_eq!(parse_bool(b"0\n"), Ok(false));
        assert_eq!(parse_bool(b"1\n"), Ok(true));
    }

    #[test]
    fn bool_refuses_everything_else() {
        assert_eq!(parse_bool(b""), Err(KnobError::Empty));
        assert_eq!(parse_bool(b"\n"), Err(KnobError::Empty));
        for bad in [
            &b"2"[..],
            b"01",
            b"10",
            b" 1",
            b"1 ",
            b"1\n\n",
            b"y",
            b"on",
            b"true",
            b"-1",
            b"1\0",
            b"\n1",
            b"\xff",
        ] {
            assert_eq!(parse_bool(bad), Err(KnobError::Invalid), "input {bad:?}");
        }
    }

    #[test]
    fn u64_parses_in_range() {
        assert_eq!(parse_u64(b"0", 0, 10), Ok(0));
        assert_eq!(parse_u64(b"10\n", 0, 10), Ok(10));
        assert_eq!(parse_u64(b"007", 0, 10), Ok(7));
        assert_eq!(
            parse_u64(b"18446744073709551615", 0, u64::MAX),
            Ok(u64::MAX)
        );
    }

    #[test]
    fn u64_refuses_bad_and_out_of_range() {
        assert_eq!(parse_u64(b"", 0, 10), Err(KnobError::Empty));
        assert_eq!(parse_u64(b"11", 0, 10), Err(KnobError::OutOfRange));
        assert_eq!(parse_u64(b"4", 5, 10), Err(KnobError::OutOfRange));
        assert_eq!(
            parse_u64(b"18446744073709551616", 0, u64::MAX),
            Err(KnobError::OutOfRange)
        );
        assert_eq!(
            parse_u64(b"99999999999999999999999", 0, u64::MAX),
            Err(KnobError::OutOfRange)
        );
        for bad in [&b"-1"[..], b"+1", b"1 ", b"0x10", b"1e3", b"1\n\n", b" "] {
            assert_eq!(
                parse_u64(bad, 0, u64::MAX),
                Err(KnobError::Invalid),
                "input {bad:?}"
            );
        }
    }

    #[test]
    fn i32_list_parses_signed_values() {
        let mut out = [0i32; 4];
        assert_eq!(
            parse_i32_list(b"1 -2 2147483647 -2147483648\n", &mut out),
            Ok(4)
        );
        assert_eq!(out, [1, -2, i32::MAX, i32::MIN]);
        assert_eq!(parse_i32_list(b"7", &mut out), Ok(1));
        assert_eq!(out[0], 7);
    }

    #[test]
    fn i32_list_refuses_bad_input() {
        let mut out = [0i32; 2];
        assert_eq!(parse_i32_list(b"", &mut out), Err(KnobError::Empty));
        assert_eq!(
            parse_i32_list(b"1 2 3", &mut out),
            Err(KnobError::OutOfRange)
        );
        assert_eq!(
            parse_i32_list(b"2147483648", &mut out),
            Err(KnobError::OutOfRange)
        );
        assert_eq!(
            parse_i32_list(b"-2147483649", &mut out),
            Err(KnobError::OutOfRange)
        );
        for bad in [
            &b"1  2"[..],
            b" 1",
            b"1 ",
            b"-",
            b"--1",
            b"1,2",
            b"+1",
            b"1\n\n",
            b"x",
        ] {
            assert_eq!(
                parse_i32_list(bad, &mut out),
                Err(KnobError::Invalid),
                "input {bad:?}"
            );
        }
    }
}
