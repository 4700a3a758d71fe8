// SPDX-License-Identifier: GPL-2.0

//! The text format of recorded scheduler events, one event per line:
//!
//! ```text
//! <t_ns> <pid> <kind> <arg>
//! ```
//!
//! | kind | event | arg |
//! |---|---|---|
//! | `w` | wakeup ([`super::Task::wake`]) | 1 from an interrupt, else 0 |
//! | `r` | switched in ([`super::Task::run`]) | 0 |
//! | `s` | switched out ([`super::Task::stop`]) | 1 voluntary (blocked), 0 preempted |
//! | `x` | exited | 0 |
//!
//! `t_ns` is a decimal `u64` (a monotonic clock in ns), `pid` a nonzero decimal `u32`.
//! Fields are separated by one or more spaces or tabs; leading and trailing blanks and a line
//! end (`\n`, `\r\n`) are allowed. A blank line or one whose first non-blank byte is `#` is
//! [`Error::Blank`], which readers skip. [`format_event`] writes the canonical form: single
//! spaces and a `\n`. The parser looks at every byte at most once, allocates nothing and
//! never panics, whatever the input.

/// The longest line [`format_event`] writes: 20 digits, 10 digits, the kind, the argument,
/// three spaces and the newline.
pub const MAX_LINE: usize = 20 + 1 + 10 + 1 + 1 + 1 + 1 + 1;

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Woken; `irq`: by an interrupt.
    Wake {
        /// Woken from an interrupt.
        irq: bool,
    },
    /// Switched in.
    Run,
    /// Switched out; `voluntary`: it blocked.
    Stop {
        /// It blocked (else it was preempted).
        voluntary: bool,
    },
    /// Exited.
    Exit,
}

/// One recorded event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// When, ns.
    pub t_ns: u64,
    /// Whose.
    pub pid: u32,
    /// What.
    pub kind: Kind,
}

/// Why a line is not an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// A blank line or a comment: skip it.
    Blank,
    /// Fewer than four fields.
    MissingField,
    /// More than four fields.
    ExtraField,
    /// The time is not a decimal `u64`.
    BadTime,
    /// The pid is not a nonzero decimal `u32`.
    BadPid,
    /// The kind is not one of `w`, `r`, `s`, `x`.
    BadKind,
    /// The argument is not allowed for the kind.
    BadArg,
}

impl Error {
    /// A short reason.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Blank => "blank or comment line",
            Self::MissingField => "fewer than 4 fields",
            Self::ExtraField => "more than 4 fields",
            Self::BadTime => "time is not a decimal u64",
            Self::BadPid => "pid is not a nonzero decimal u32",
            Self::BadKind => "kind is not w, r, s or x",
            Self::BadArg => "argument not allowed for the kind",
        }
    }
}

fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A decimal `u64`: digits only, no sign, no overflow (the trace format's numbers; the
/// host's tracefs import reads its own with it too).
pub fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v = 0u64;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

/// Parses one line (see the module documentation).
pub fn parse_line(line: &[u8]) -> Result<Event, Error> {
    let mut fields: [&[u8]; 4] = [&[]; 4];
    let mut n = 0usize;
    for f in line.split(|&b| blank(b)).filter(|f| !f.is_empty()) {
        if n == 0 && f.first() == Some(&b'#') {
            return Err(Error::Blank);
        }
        match fields.get_mut(n) {
            Some(slot) => *slot = f,
            None => return Err(Error::ExtraField),
        }
        n += 1;
    }
    match n {
        0 => return Err(Error::Blank),
        1..=3 => return Err(Error::MissingField),
        _ => {}
    }
    let [t, pid, kind, arg] = fields;
    let t_ns = decimal(t).ok_or(Error::BadTime)?;
    let pid = decimal(pid)
        .and_then(|p| u32::try_from(p).ok())
        .filter(|&p| p != 0)
        .ok_or(Error::BadPid)?;
    let arg = match arg {
        b"0" => false,
        b"1" => true,
        _ => return Err(Error::BadArg),
    };
    let kind = match kind {
        b"w" => Kind::Wake { irq: arg },
        b"r" if !arg => Kind::Run,
        b"s" => Kind::Stop { voluntary: arg },
        b"x" if !arg => Kind::Exit,
        b"r" | b"x" => return Err(Error::BadArg),
        _ => return Err(Error::BadKind),
    };
    Ok(Event { t_ns, pid, kind })
}

/// Writes `v` in decimal at `out[at..]`; returns the position after it, or `None` if it does
/// not fit.
fn put_decimal(out: &mut [u8], at: usize, v: u64) -> Option<usize> {
    let mut digits = [0u8; 20];
    let mut n = 0usize;
    let mut v = v;
    loop {
        *digits.get_mut(n)? = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let end = at.checked_add(n)?;
    let dst = out.get_mut(at..end)?;
    for (d, s) in dst.iter_mut().zip(digits.iter().take(n).rev()) {
        *d = *s;
    }
    Some(end)
}

/// Writes `ev` as one line (ending in `\n`) into `out`; returns its length, or 0 (and
/// `out` holds garbage) if `out` is too short: [`MAX_LINE`] bytes always suffice.
pub fn format_event(ev: &Event, out: &mut [u8]) -> usize {
    let (k, a) = match ev.kind {
        Kind::Wake { irq } => (b'w', irq),
        Kind::Run => (b'r', false),
        Kind::Stop { voluntary } => (b's', voluntary),
        Kind::Exit => (b'x', false),
    };
    let write = |out: &mut [u8]| -> Option<usize> {
        let at = put_decimal(out, 0, ev.t_ns)?;
        *out.get_mut(at)? = b' ';
        let at = put_decimal(out, at + 1, u64::from(ev.pid))?;
        let tail = [b' ', k, b' ', b'0' + u8::from(a), b'\n'];
        let end = at.checked_add(tail.len())?;
        out.get_mut(at..end)?.copy_from_slice(&tail);
        Some(end)
    };
    write(out).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t_ns: u64, pid: u32, kind: Kind) -> Event {
        Event { t_ns, pid, kind }
    }

    #[test]
    fn parses_each_kind() {
        assert_eq!(
            parse_line(b"123 45 w 1\n"),
            Ok(ev(123, 45, Kind::Wake { irq: true }))
        );
        assert_eq!(
            parse_line(b"0 1 w 0"),
            Ok(ev(0, 1, Kind::Wake { irq: false }))
        );
        assert_eq!(parse_line(b"7 2 r 0\r\n"), Ok(ev(7, 2, Kind::Run)));
        assert_eq!(
            parse_line(b"  8\t3  s 1  "),
            Ok(ev(8, 3, Kind::Stop { voluntary: true }))
        );
        assert_eq!(
            parse_line(b"9 4 s 0"),
            Ok(ev(9, 4, Kind::Stop { voluntary: false }))
        );
        assert_eq!(
            parse_line(b"10 4294967295 x 0"),
            Ok(ev(10, u32::MAX, Kind::Exit))
        );
        assert_eq!(
            parse_line(b"18446744073709551615 1 r 0"),
            Ok(ev(u64::MAX, 1, Kind::Run))
        );
    }

    #[test]
    fn refuses_garbage() {
        let cases: [(&[u8], Error); 20] = [
            (b"", Error::Blank),
            (b"  \n", Error::Blank),
            (b"# t pid kind arg", Error::Blank),
            (b"  #x", Error::Blank),
            (b"1 2 w", Error::MissingField),
            (b"1", Error::MissingField),
            (b"1 2 w 1 5", Error::ExtraField),
            (b"1 2 w 1 #", Error::ExtraField),
            (b"-1 2 w 1", Error::BadTime),
            (b"18446744073709551616 2 w 1", Error::BadTime),
            (b"1x 2 w 1", Error::BadTime),
            (b"1 0 w 1", Error::BadPid),
            (b"1 4294967296 w 1", Error::BadPid),
            (b"1 +2 w 1", Error::BadPid),
            (b"1 2 ww 1", Error::BadKind),
            (b"1 2 W 1", Error::BadKind),
            (b"1 2 r 1", Error::BadArg),
            (b"1 2 x 1", Error::BadArg),
            (b"1 2 s 2", Error::BadArg),
            (b"1 2 w 01", Error::BadArg),
        ];
        for (line, e) in cases {
            assert_eq!(parse_line(line), Err(e), "{line:?}");
        }
        assert_eq!(parse_line(b"1 2 w \xff"), Err(Error::BadArg));
        assert_eq!(parse_line(b"\x001 2 w 1"), Err(Error::BadTime));
        assert_eq!(Error::BadKind.reason(), "kind is not w, r, s or x");
    }

    #[test]
    fn round_trips() {
        let events = [
            ev(0, 1, Kind::Run),
            ev(u64::MAX, u32::MAX, Kind::Wake { irq: true }),
            ev(1_234_567_890, 4321, Kind::Stop { voluntary: false }),
            ev(10, 10, Kind::Stop { voluntary: true }),
            ev(99, 7, Kind::Exit),
            ev(5, 3, Kind::Wake { irq: false }),
        ];
        let mut buf = [0u8; MAX_LINE];
        for e in events {
            let n = format_event(&e, &mut buf);
            assert!(n > 0 && n <= MAX_LINE);
            assert_eq!(buf[n - 1], b'\n');
            assert_eq!(parse_line(&buf[..n]), Ok(e));
        }
        let n = format_event(&events[1], &mut buf);
        assert_eq!(n, MAX_LINE);
        assert_eq!(&buf[..n], b"18446744073709551615 4294967295 w 1\n");
        let n = format_event(&events[2], &mut buf);
        assert_eq!(&buf[..n], b"1234567890 4321 s 0\n");
        // Too short: 0, at every length below the line's.
        for len in 0..20 {
            let mut small = [0u8; 20];
            assert_eq!(format_event(&events[2], &mut small[..len]), 0, "{len}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Every line of up to 3 bytes from an alphabet of the interesting bytes, and a
        // pseudo-random stream of longer ones: parse, and if it is an event, the canonical
        // form parses back to it.
        let alphabet = b"01 9wrsx#\n\t\xff-";
        let mut line = [0u8; 3];
        let mut buf = [0u8; MAX_LINE];
        for len in 0..=3usize {
            let combos = alphabet.len().pow(len as u32);
            for mut c in 0..combos {
                for b in line.iter_mut().take(len) {
                    *b = alphabet[c % alphabet.len()];
                    c /= alphabet.len();
                }
                let _ = parse_line(&line[..len]);
            }
        }
        let mut x = 1u64;
        let mut long = [0u8; 24];
        let mut events = 0;
        for _ in 0..200_000 {
            for b in long.iter_mut() {
                x = learned_core::hash::mix64(x);
                *b = alphabet[(x % alphabet.len() as u64) as usize];
            }
            if let Ok(e) = parse_line(&long) {
                events += 1;
                let n = format_event(&e, &mut buf);
                assert_eq!(parse_line(&buf[..n]), Ok(e));
            }
        }
        let _ = events;
    }
}
