// SPDX-License-Identifier: GPL-2.0

//! Bounded text output: sysfs files are written into one fixed page.

use core::fmt;

/// A writer into a fixed byte buffer that refuses, rather than truncates, what does not fit.
///
/// INVARIANT: `len <= buf.len()`.
pub struct TextBuf<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl<'a> TextBuf<'a> {
    /// Wraps `buf`; nothing is written yet.
    pub fn new(buf: &'a mut [u8]) -> Self {
        // INVARIANT: 0 <= buf.len().
        Self { buf, len: 0 }
    }

    /// The number of bytes written so far.
    /// (`is_empty` is the host's: the module does not ask.)
    #[cfg_attr(not(any(test, feature = "host")), allow(clippy::len_without_is_empty))]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing has been written yet.
    #[cfg(any(test, feature = "host"))]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes written so far.
    #[cfg(any(test, feature = "host"))]
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends `bytes` whole, or fails and leaves the buffer as it was.
    pub fn push(&mut self, bytes: &[u8]) -> fmt::Result {
        let end = self.len.checked_add(bytes.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(bytes);
        // INVARIANT: `get_mut` succeeded, so `end <= buf.len()`.
        self.len = end;
        Ok(())
    }

    /// Appends one `key value` line, the format of every `stats` file.
    pub fn kv(&mut self, key: &str, value: impl fmt::Display) -> fmt::Result {
        self.whole(format_args!("{key} {value}\n"))
    }

    /// Appends one `<prefix><name> value` line (a family of counters).
    pub fn kv_prefixed(
        &mut self,
        prefix: &str,
        name: impl fmt::Display,
        value: impl fmt::Display,
    ) -> fmt::Result {
        self.whole(format_args!("{prefix}{name} {value}\n"))
    }

    /// Appends `value` and a newline, the format of every single-value file.
    pub fn line(&mut self, value: impl fmt::Display) -> fmt::Result {
        self.whole(format_args!("{value}\n"))
    }

    /// Appends `args` whole, or nothing: never half a line.
    fn whole(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        let start = self.len;
        let res = fmt::Write::write_fmt(self, args);
        if res.is_err() {
            // INVARIANT: `start` was a valid length and nothing shrank the buffer.
            self.len = start;
        }
        res
    }
}

impl fmt::Write for TextBuf<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn writes_key_value_lines() {
        let mut page = [0u8; 64];
        let mut out = TextBuf::new(&mut page);
        out.kv("enabled", 1).unwrap();
        out.kv("rejected_writes", 42u64).unwrap();
        out.line("0.1.0").unwrap();
        assert_eq!(out.as_bytes(), b"enabled 1\nrejected_writes 42\n0.1.0\n");
    }

    #[test]
    fn refuses_what_does_not_fit_and_keeps_whole_lines() {
        let mut page = [0u8; 16];
        let mut out = TextBuf::new(&mut page);
        out.kv("a", 1).unwrap();
        assert!(out.kv("a_much_longer_key", u64::MAX).is_err());
        assert_eq!(out.as_bytes(), b"a 1\n");
        assert!(out.write_str("0123456789abcdef").is_err());
        assert_eq!(out.len(), 4);
        out.write_str("0123456789ab").unwrap();
        assert_eq!(out.len(), 16);
        assert!(out.push(b"x").is_err());
        assert!(out.push(b"").is_ok());
    }

    #[test]
    fn empty_buffer_is_safe() {
        let mut out = TextBuf::new(&mut []);
        assert!(out.is_empty());
        assert!(out.kv("k", 0).is_err());
        assert_eq!(out.as_bytes(), b"");
    }
}
