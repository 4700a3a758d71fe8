// SPDX-License-Identifier: GPL-2.0

//! Reassembly of a file written to a sysfs binary attribute.
//!
//! The kernel delivers a write(2) to a sysfs binary file in chunks of at most one page, each
//! with its file offset, and tells nobody when the writer closes the file. An [`Upload`]
//! collects the chunks into a caller-provided buffer and decides when the file is complete,
//! using the length the file declares in its own header:
//!
//! - a chunk at offset 0 starts a new upload (whatever was pending is dropped);
//! - a chunk at any other offset must continue a pending upload, contiguously: a gap, an
//!   overlap or a continuation of nothing is refused;
//! - the upload is complete when the declared length has arrived; bytes beyond it are refused;
//! - a chunk shorter than a page that leaves the file incomplete ends the upload as truncated:
//!   write(2) splits a write into whole pages and a short tail, so a short chunk is the end of
//!   the writer's buffer. Files must therefore be written in one write or in page multiples
//!   (`cat`, `dd bs=4096` do), which keeps a truncated file from passing silently.
//!
//! A file cut at a page multiple leaves the upload pending forever: only the caller can tell
//! that the writer has gone (see [`Upload::abort`]). Which writer an upload belongs to is
//! also the caller's business: an `Upload` takes chunks from whoever the caller lets through.
//!
//! Every error resets the upload; the caller keeps whatever it had before.

/// Why an upload was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadError {
    /// A chunk did not start where the previous one ended.
    NotContiguous,
    /// A chunk at a non-zero offset while no upload is pending.
    NotStarted,
    /// The file (declared or received) is larger than the buffer.
    TooLarge,
    /// More bytes arrived than the header declares.
    TrailingBytes,
    /// The writer stopped before the declared length (or before a whole header).
    Truncated,
    /// The first bytes are not a header of the expected file type.
    BadHeader,
}

impl UploadError {
    /// A short reason, for the one-line warning the kernel logs.
    pub const fn reason(self) -> &'static str {
        match self {
            UploadError::NotContiguous => "write not contiguous with the previous one",
            UploadError::NotStarted => {
                "write at a non-zero offset with no upload in progress (write the file from its start)"
            }
            UploadError::TooLarge => "file too large",
            UploadError::TrailingBytes => "bytes beyond the length the header declares",
            UploadError::Truncated => "file truncated (shorter than its header declares)",
            UploadError::BadHeader => "not a model file (bad magic)",
        }
    }
}

/// What a chunk did to the upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// More chunks are expected.
    Partial,
    /// The file is complete: its first `len` bytes in the buffer.
    Complete(usize),
}

/// Reports the total length a file declares, once enough of its header is there: `None`
/// while more header bytes are needed, `Some(Err(..))` for an unusable declaration.
pub type DeclaredLen = fn(&[u8]) -> Option<Result<usize, UploadError>>;

/// An upload in progress.
///
/// INVARIANT: `received <= buffer length` of every buffer passed to [`Upload::write`] (the
/// caller passes the same buffer each time); `received > 0` exactly while an upload is
/// pending (a pending upload has at least one byte: an empty chunk ends it as truncated);
/// `expected` is `None` whenever `received == 0`.
#[derive(Debug, Default)]
pub struct Upload {
    received: usize,
    expected: Option<usize>,
}

impl Upload {
    /// No upload in progress.
    pub const fn new() -> Self {
        Self {
            received: 0,
            expected: None,
        }
    }

    /// Bytes received so far by the upload in progress.
    pub fn received(&self) -> usize {
        self.received
    }

    /// The length the pending upload's header declares, once the header has arrived.
    pub fn expected(&self) -> Option<usize> {
        self.expected
    }

    /// Whether an upload is pending: started, neither complete nor refused.
    pub fn pending(&self) -> bool {
        self.received > 0
    }

    /// Drops the pending upload, if any, and says how far it had got: the bytes received and
    /// the length declared.
    pub fn abort(&mut self) -> Option<(usize, Option<usize>)> {
        let was = self.pending().then_some((self.received, self.expected));
        self.reset();
        was
    }

    fn reset(&mut self) {
        // INVARIANT: 0 fits any buffer, and nothing is pending.
        self.received = 0;
        self.expected = None;
    }

    /// Adds the chunk `data`, written at `offset`, to `buf`. `page` is the kernel's chunk size.
    pub fn write(
        &mut self,
        buf: &mut [u8],
        offset: u64,
        data: &[u8],
        page: usize,
        declared: DeclaredLen,
    ) -> Result<Step, UploadError> {
        let res = self.add(buf, offset, data, page, declared);
        if !matches!(res, Ok(Step::Partial)) {
            self.reset();
        }
        res
    }

    fn add(
        &mut self,
        buf: &mut [u8],
        offset: u64,
        data: &[u8],
        page: usize,
        declared: DeclaredLen,
    ) -> Result<Step, UploadError> {
        if offset == 0 {
            self.reset();
        } else if !self.pending() {
            return Err(UploadError::NotStarted);
        }
        if u64::try_from(self.received) != Ok(offset) {
            return Err(UploadError::NotContiguous);
        }
        let end = self
            .received
            .checked_add(data.len())
            .ok_or(UploadError::TooLarge)?;
        let dst = buf
            .get_mut(self.received..end)
            .ok_or(UploadError::TooLarge)?;
        dst.copy_from_slice(data);
        // INVARIANT: `get_mut` succeeded, so `end <= buf.len()`.
        self.received = end;

        let got = buf.get(..end).unwrap_or_default();
        let declared = declared(got);
        if let Some(Ok(total)) = declared {
            self.expected = Some(total);
        }
        match declared {
            Some(Err(e)) => Err(e),
            Some(Ok(total)) if total > buf.len() => Err(UploadError::TooLarge),
            Some(Ok(total)) if end > total => Err(UploadError::TrailingBytes),
            Some(Ok(total)) if end == total => Ok(Step::Complete(total)),
            _ if data.len() < page => Err(UploadError::Truncated),
            _ => Ok(Step::Partial),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy format: byte 0 is the total length.
    fn toy(b: &[u8]) -> Option<Result<usize, UploadError>> {
        match b.first() {
            None => None,
            Some(0) => Some(Err(UploadError::BadHeader)),
            Some(&n) => Some(Ok(usize::from(n))),
        }
    }

    fn file(n: u8) -> [u8; 255] {
        let mut f = [0xabu8; 255];
        f[0] = n;
        f
    }

    #[test]
    fn whole_file_in_one_write() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(10);
        assert_eq!(
            up.write(&mut buf, 0, &f[..10], 4, toy),
            Ok(Step::Complete(10))
        );
        assert_eq!(&buf[..10], &f[..10]);
        assert_eq!(up.received(), 0);
    }

    #[test]
    fn page_chunks_then_short_tail() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(10);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert_eq!(up.write(&mut buf, 4, &f[4..8], 4, toy), Ok(Step::Partial));
        assert_eq!(
            up.write(&mut buf, 8, &f[8..10], 4, toy),
            Ok(Step::Complete(10))
        );
    }

    #[test]
    fn truncated_file_is_refused_at_its_short_tail() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(10);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert_eq!(
            up.write(&mut buf, 4, &f[4..7], 4, toy),
            Err(UploadError::Truncated)
        );
        assert_eq!(up.received(), 0);
    }

    #[test]
    fn bytes_beyond_the_declared_length_are_refused() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        assert_eq!(
            up.write(&mut buf, 0, &file(3)[..5], 8, toy),
            Err(UploadError::TrailingBytes)
        );
    }

    #[test]
    fn gaps_and_overlaps_are_refused() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(12);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert_eq!(
            up.write(&mut buf, 8, &f[8..12], 4, toy),
            Err(UploadError::NotContiguous)
        );
        // The refusal ended the upload: there is nothing left to continue.
        assert_eq!(
            up.write(&mut buf, 4, &f[4..8], 4, toy),
            Err(UploadError::NotStarted)
        );
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert_eq!(
            up.write(&mut buf, 2, &f[2..6], 4, toy),
            Err(UploadError::NotContiguous)
        );
    }

    #[test]
    fn progress_is_reported_while_pending() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        assert!(!up.pending());
        assert_eq!(up.expected(), None);
        let f = file(10);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert!(up.pending());
        assert_eq!((up.received(), up.expected()), (4, Some(10)));
        assert_eq!(up.abort(), Some((4, Some(10))));
        assert!(!up.pending());
        assert_eq!((up.received(), up.expected()), (0, None));
        assert_eq!(up.abort(), None);
    }

    #[test]
    fn an_aborted_upload_cannot_be_continued() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(10);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        up.abort();
        assert_eq!(
            up.write(&mut buf, 4, &f[4..10], 8, toy),
            Err(UploadError::NotStarted)
        );
    }

    #[test]
    fn a_first_chunk_at_a_non_zero_offset_is_refused() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(10);
        assert_eq!(
            up.write(&mut buf, 4, &f[4..8], 4, toy),
            Err(UploadError::NotStarted)
        );
        // And after a complete upload too.
        assert_eq!(
            up.write(&mut buf, 0, &f[..10], 16, toy),
            Ok(Step::Complete(10))
        );
        assert_eq!(
            up.write(&mut buf, 10, &[1], 16, toy),
            Err(UploadError::NotStarted)
        );
        assert!(!up.pending());
    }

    #[test]
    fn offset_zero_restarts() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 64]);
        let f = file(12);
        assert_eq!(up.write(&mut buf, 0, &f[..4], 4, toy), Ok(Step::Partial));
        assert_eq!(
            up.write(&mut buf, 0, &file(2)[..2], 4, toy),
            Ok(Step::Complete(2))
        );
    }

    #[test]
    fn too_large_declared_or_received() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 16]);
        assert_eq!(
            up.write(&mut buf, 0, &file(200)[..4], 4, toy),
            Err(UploadError::TooLarge)
        );
        assert_eq!(
            up.write(&mut buf, 0, &file(200)[..17], 32, toy),
            Err(UploadError::TooLarge)
        );
        assert_eq!(
            up.write(&mut buf, u64::MAX, &[1], 4, toy),
            Err(UploadError::NotStarted)
        );
        assert_eq!(
            up.write(&mut buf, 0, &file(12)[..4], 4, toy),
            Ok(Step::Partial)
        );
        assert_eq!(
            up.write(&mut buf, u64::MAX, &[1], 4, toy),
            Err(UploadError::NotContiguous)
        );
    }

    #[test]
    fn bad_declaration_and_short_header() {
        let (mut up, mut buf) = (Upload::new(), [0u8; 16]);
        assert_eq!(
            up.write(&mut buf, 0, &[0, 1, 2], 4, toy),
            Err(UploadError::BadHeader)
        );
        assert_eq!(
            up.write(&mut buf, 0, &[], 4, toy),
            Err(UploadError::Truncated)
        );
    }
}
