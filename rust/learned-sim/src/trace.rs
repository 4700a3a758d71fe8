// SPDX-License-Identifier: GPL-2.0

//! Decoding of libCacheSim's `oracleGeneral` binary traces.
//!
//! A trace is a sequence of 24-byte little-endian records `<IQIq>`: `u32` timestamp, `u64`
//! object id, `u32` object size in bytes, `i64` index of the object's next request (-1 when
//! it is never requested again).

/// The size of one record, in bytes.
pub const RECORD_LEN: usize = 24;

/// One decoded `oracleGeneral` record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleRecord {
    /// The request time.
    pub timestamp: u32,
    /// The object id.
    pub id: u64,
    /// The object size, in bytes.
    pub size: u32,
    /// The index of this object's next request, -1 if none.
    pub next_access: i64,
}

/// Why a record could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ends inside a record: `have` of its [`RECORD_LEN`] bytes are present, from
    /// byte offset `offset`.
    Truncated {
        /// The byte offset of the incomplete record.
        offset: usize,
        /// How many of its bytes are present.
        have: usize,
    },
}

fn le_bytes<const N: usize>(rec: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = rec.get(at..at.saturating_add(N)) {
        out.copy_from_slice(src);
    }
    out
}

/// Decodes the first record of `bytes`.
pub fn decode(bytes: &[u8]) -> Result<OracleRecord, DecodeError> {
    let Some(rec) = bytes.get(..RECORD_LEN) else {
        return Err(DecodeError::Truncated {
            offset: 0,
            have: bytes.len(),
        });
    };
    Ok(OracleRecord {
        timestamp: u32::from_le_bytes(le_bytes(rec, 0)),
        id: u64::from_le_bytes(le_bytes(rec, 4)),
        size: u32::from_le_bytes(le_bytes(rec, 12)),
        next_access: i64::from_le_bytes(le_bytes(rec, 16)),
    })
}

/// The number of whole records in `bytes`, or the truncation error if a partial record ends it.
pub fn count(bytes: &[u8]) -> Result<usize, DecodeError> {
    let have = bytes.len() % RECORD_LEN;
    if have != 0 {
        return Err(DecodeError::Truncated {
            offset: bytes.len() - have,
            have,
        });
    }
    Ok(bytes.len() / RECORD_LEN)
}

/// An iterator over the records of `bytes`; yields one [`DecodeError`] (and then stops) if the
/// input ends inside a record.
pub struct Records<'a> {
    rest: &'a [u8],
    offset: usize,
}

/// Iterates over the records of `bytes`.
pub fn records(bytes: &[u8]) -> Records<'_> {
    Records {
        rest: bytes,
        offset: 0,
    }
}

impl Iterator for Records<'_> {
    type Item = Result<OracleRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match decode(self.rest) {
            Ok(r) => {
                self.rest = self.rest.get(RECORD_LEN..).unwrap_or_default();
                self.offset = self.offset.saturating_add(RECORD_LEN);
                Some(Ok(r))
            }
            Err(DecodeError::Truncated { have, .. }) => {
                self.rest = &[];
                Some(Err(DecodeError::Truncated {
                    offset: self.offset,
                    have,
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(ts: u32, id: u64, size: u32, next: i64, out: &mut [u8]) {
        out[0..4].copy_from_slice(&ts.to_le_bytes());
        out[4..12].copy_from_slice(&id.to_le_bytes());
        out[12..16].copy_from_slice(&size.to_le_bytes());
        out[16..24].copy_from_slice(&next.to_le_bytes());
    }

    #[test]
    fn decodes_records_in_order() {
        let mut buf = [0u8; 48];
        encode(7, 0x0102_0304_0506_0708, 4096, 1, &mut buf[..24]);
        encode(9, u64::MAX, 512, -1, &mut buf[24..]);
        assert_eq!(count(&buf), Ok(2));
        let mut it = records(&buf);
        assert_eq!(
            it.next(),
            Some(Ok(OracleRecord {
                timestamp: 7,
                id: 0x0102_0304_0506_0708,
                size: 4096,
                next_access: 1
            }))
        );
        assert_eq!(it.next().unwrap().unwrap().next_access, -1);
        assert_eq!(it.next(), None);
        // Byte order is little-endian.
        assert_eq!(buf[4], 0x08);
    }

    #[test]
    fn truncated_record_is_an_error() {
        let mut buf = [0u8; 30];
        encode(1, 2, 3, 4, &mut buf[..24]);
        assert_eq!(
            count(&buf),
            Err(DecodeError::Truncated {
                offset: 24,
                have: 6
            })
        );
        let mut it = records(&buf);
        assert!(it.next().unwrap().is_ok());
        assert_eq!(
            it.next(),
            Some(Err(DecodeError::Truncated {
                offset: 24,
                have: 6
            }))
        );
        assert_eq!(it.next(), None);
        assert_eq!(
            decode(&buf[..23]),
            Err(DecodeError::Truncated {
                offset: 0,
                have: 23
            })
        );
        assert_eq!(records(&[]).next(), None);
    }
}
