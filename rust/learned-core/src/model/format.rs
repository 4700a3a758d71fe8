// SPDX-License-Identifier: GPL-2.0

//! The versioned `.lmod` model file: a 32-byte header, then a payload whose layout depends on
//! the model kind ([`super::mlp`] or [`super::pla`]). All integers are little-endian. The byte
//! layout is documented in `models/FORMAT.md`.
//!
//! Header (32 bytes):
//!
//! | offset | type    | field                                          |
//! |--------|---------|------------------------------------------------|
//! | 0      | [u8; 4] | magic `b"LMOD"`                                |
//! | 4      | u16     | format version, [`FORMAT_VERSION`]             |
//! | 6      | u16     | kind: [`KIND_MLP`] or [`KIND_PLA`]             |
//! | 8      | u16     | schema id (see [`super::schema`])              |
//! | 10     | u16     | schema version                                 |
//! | 12     | u32     | model id, free, chosen by the trainer          |
//! | 16     | u32     | payload length in bytes                        |
//! | 20     | u32     | flags, must be 0                               |
//! | 24     | u32     | reserved, must be 0                            |
//! | 28     | u32     | CRC-32/IEEE of header bytes 0..28 then payload |
//!
//! [`parse`] accepts a file only if its length is exactly `32 + payload length` and at most
//! [`MAX_FILE_LEN`], and every header field, the CRC and the whole payload are valid. Unknown
//! versions and kinds are refused, never guessed at.

use super::crc32::Crc32;
#[cfg(any(test, feature = "host"))]
use super::mlp::LayerSpec;
use super::mlp::Mlp;
use super::pla::Pla;
#[cfg(any(test, feature = "host"))]
use super::pla::Segment;

/// The first four bytes of every model file.
pub const MAGIC: [u8; 4] = *b"LMOD";
/// The only format version this code reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// The length of the header.
pub const HEADER_LEN: usize = 32;
/// The largest model file accepted, header included.
pub const MAX_FILE_LEN: usize = 65536;
/// The largest payload accepted.
#[cfg(any(test, feature = "host"))]
pub const MAX_PAYLOAD_LEN: usize = MAX_FILE_LEN - HEADER_LEN;
/// The kind number of a multi-layer perceptron ([`super::mlp`]).
pub const KIND_MLP: u16 = 1;
/// The kind number of a piecewise-linear approximation ([`super::pla`]).
pub const KIND_PLA: u16 = 2;

/// The offset of the CRC in the header; the CRC covers the header bytes before it.
const CRC_OFFSET: usize = 28;

/// What kind of model a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A quantized multi-layer perceptron ([`KIND_MLP`]).
    Mlp,
    /// A piecewise-linear approximation for a learned index ([`KIND_PLA`]).
    Pla,
}

impl Kind {
    /// The kind for a header's kind number.
    pub const fn from_u16(v: u16) -> Option<Kind> {
        match v {
            KIND_MLP => Some(Kind::Mlp),
            KIND_PLA => Some(Kind::Pla),
            _ => None,
        }
    }

    /// The kind number written in the header.
    #[cfg(any(test, feature = "host"))]
    pub const fn as_u16(self) -> u16 {
        match self {
            Kind::Mlp => KIND_MLP,
            Kind::Pla => KIND_PLA,
        }
    }

    /// A short name: `mlp` or `pla`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Mlp => "mlp",
            Kind::Pla => "pla",
        }
    }
}

/// The validated header of a model file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The model kind.
    pub kind: Kind,
    /// What the inputs and outputs mean (see [`super::schema`]).
    pub schema_id: u16,
    /// The version of the schema.
    pub schema_version: u16,
    /// A free identifier chosen by the trainer.
    pub model_id: u32,
    /// The payload length in bytes.
    pub payload_len: u32,
    /// The CRC stored in (and verified against) the file.
    pub crc: u32,
}

/// The header fields a model's producer chooses (the rest are computed by the encoders).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg(any(test, feature = "host"))]
pub struct ModelMeta {
    /// See [`Header::schema_id`].
    pub schema_id: u16,
    /// See [`Header::schema_version`].
    pub schema_version: u16,
    /// See [`Header::model_id`].
    pub model_id: u32,
}

/// Why a model file was refused: one variant per way a file can be wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// Shorter than the 32-byte header.
    TooShort,
    /// Longer than [`MAX_FILE_LEN`].
    TooLong,
    /// The first four bytes are not `LMOD`.
    BadMagic,
    /// A format version other than [`FORMAT_VERSION`].
    UnsupportedVersion,
    /// A kind other than [`KIND_MLP`] or [`KIND_PLA`].
    UnknownKind,
    /// A flags, reserved or padding field (header or payload) is not zero.
    NonZeroReserved,
    /// The file length is not `32 + payload length`.
    LengthMismatch,
    /// The CRC does not match the contents.
    BadChecksum,
    /// The payload ends before the structure it declares.
    PayloadTruncated,
    /// The payload has bytes after the structure it declares.
    TrailingBytes,
    /// MLP: the layer count is 0 or above [`super::mlp::MAX_LAYERS`].
    BadLayerCount,
    /// MLP: the input count is 0 or above [`super::mlp::MAX_INPUTS`].
    BadInputCount,
    /// MLP: a layer width is 0 or above its limit ([`super::mlp::MAX_WIDTH`], or
    /// [`super::mlp::MAX_OUTPUTS`] for the output layer).
    WidthOverLimit,
    /// MLP: a layer's input count differs from the previous layer's output count (or, for the
    /// first layer, from the model's input count).
    ShapeMismatch,
    /// MLP: a requantization shift above [`super::mlp::MAX_SHIFT`].
    ShiftOutOfRange,
    /// MLP: a requantization multiplier that is not positive.
    BadMultiplier,
    /// MLP: a bias outside `±`[`super::mlp::MAX_ABS_BIAS`].
    BiasOutOfRange,
    /// MLP: an activation byte other than 0 (none) or 1 (ReLU), or ReLU on the output layer.
    BadActivation,
    /// PLA: the segment count is 0 or above [`super::pla::MAX_SEGMENTS`].
    BadSegmentCount,
    /// PLA: the position count is 0.
    BadPositionCount,
    /// PLA: segment start keys are not strictly increasing.
    UnsortedSegments,
}

impl ParseError {
    /// A short reason, for the one-line warning the kernel logs.
    pub const fn reason(self) -> &'static str {
        match self {
            ParseError::TooShort => "file shorter than the header",
            ParseError::TooLong => "file larger than the limit",
            ParseError::BadMagic => "bad magic (not an LMOD file)",
            ParseError::UnsupportedVersion => "unsupported format version",
            ParseError::UnknownKind => "unknown model kind",
            ParseError::NonZeroReserved => "non-zero flags, reserved or padding field",
            ParseError::LengthMismatch => "file length does not match the payload length",
            ParseError::BadChecksum => "CRC mismatch",
            ParseError::PayloadTruncated => "payload shorter than its declared structure",
            ParseError::TrailingBytes => "trailing bytes after the payload structure",
            ParseError::BadLayerCount => "bad MLP layer count",
            ParseError::BadInputCount => "bad MLP input count",
            ParseError::WidthOverLimit => "MLP layer width zero or over the limit",
            ParseError::ShapeMismatch => "MLP layer shapes do not chain",
            ParseError::ShiftOutOfRange => "MLP requantization shift out of range",
            ParseError::BadMultiplier => "MLP requantization multiplier not positive",
            ParseError::BiasOutOfRange => "MLP bias out of range",
            ParseError::BadActivation => "bad MLP activation",
            ParseError::BadSegmentCount => "bad PLA segment count",
            ParseError::BadPositionCount => "PLA position count is zero",
            ParseError::UnsortedSegments => "PLA segments not sorted by start key",
        }
    }
}

/// Why an encoder could not write a model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg(any(test, feature = "host"))]
pub enum EncodeError {
    /// The output buffer is too small for the file.
    OutOfRoom,
    /// The file would be larger than [`MAX_FILE_LEN`].
    TooLarge,
    /// A layer's weight or bias slice does not have the length its shape implies.
    SpecMismatch,
    /// The encoded file would not parse, for this reason.
    Invalid(ParseError),
}

#[cfg(any(test, feature = "host"))]
impl EncodeError {
    /// A short reason.
    pub const fn reason(self) -> &'static str {
        match self {
            EncodeError::OutOfRoom => "output buffer too small",
            EncodeError::TooLarge => "model larger than the file size limit",
            EncodeError::SpecMismatch => "layer weights or biases do not match its shape",
            EncodeError::Invalid(e) => e.reason(),
        }
    }
}

/// The payload of a parsed model, by kind.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// A multi-layer perceptron.
    Mlp(Mlp<'a>),
    /// A piecewise-linear approximation.
    Pla(Pla<'a>),
}

/// A validated model: a zero-copy view of the file bytes it was parsed from.
#[derive(Clone, Copy, Debug)]
pub struct Model<'a> {
    header: Header,
    payload: Payload<'a>,
}

impl<'a> Model<'a> {
    /// The header.
    pub fn header(&self) -> Header {
        self.header
    }

    /// The payload, by kind.
    #[cfg(any(test, feature = "host"))]
    pub fn payload(&self) -> Payload<'a> {
        self.payload
    }

    /// The MLP, if this is one.
    pub fn mlp(&self) -> Option<Mlp<'a>> {
        match self.payload {
            Payload::Mlp(m) => Some(m),
            Payload::Pla(_) => None,
        }
    }

    /// The PLA, if this is one.
    pub fn pla(&self) -> Option<Pla<'a>> {
        match self.payload {
            Payload::Pla(p) => Some(p),
            Payload::Mlp(_) => None,
        }
    }
}

/// Reads `N` bytes at `at`, or `None` past the end.
pub(super) fn bytes_at<const N: usize>(b: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    <[u8; N]>::try_from(b.get(at..end)?).ok()
}

/// Reads a little-endian `u16` at `at`.
pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    bytes_at(b, at).map(u16::from_le_bytes)
}

/// Reads a little-endian `u32` at `at`.
pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    bytes_at(b, at).map(u32::from_le_bytes)
}

/// Reads a little-endian `i32` at `at`.
pub(super) fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    bytes_at(b, at).map(i32::from_le_bytes)
}

/// Reads a little-endian `u64` at `at`.
pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    bytes_at(b, at).map(u64::from_le_bytes)
}

/// Reads a little-endian `i64` at `at`.
pub(super) fn i64_at(b: &[u8], at: usize) -> Option<i64> {
    bytes_at(b, at).map(i64::from_le_bytes)
}

/// Writes `bytes` at `at` in `out`; returns the offset just past them.
#[cfg(any(test, feature = "host"))]
pub(super) fn put(out: &mut [u8], at: usize, bytes: &[u8]) -> Result<usize, EncodeError> {
    let end = at.checked_add(bytes.len()).ok_or(EncodeError::OutOfRoom)?;
    let dst = out.get_mut(at..end).ok_or(EncodeError::OutOfRoom)?;
    // `dst.len() == end - at == bytes.len()`.
    dst.copy_from_slice(bytes);
    Ok(end)
}

/// Validates a model file and returns a view of it.
///
/// Checks, in order: length (at least the header, at most [`MAX_FILE_LEN`]), magic, format
/// version, kind, flags and reserved fields, file length against the payload length, CRC,
/// then the kind's payload structure and every limit. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<Model<'_>, ParseError> {
    parse_checked(bytes, true)
}

/// The total length a file declares in its header, for a reader that receives it in pieces:
/// `None` until the 20 bytes it needs have arrived, [`ParseError::BadMagic`] as soon as the
/// first 4 bytes are not the magic, [`ParseError::TooLong`] for more than [`MAX_FILE_LEN`].
/// The rest of the header is left to [`parse`], once the file is complete.
pub fn declared_len(prefix: &[u8]) -> Option<Result<usize, ParseError>> {
    if bytes_at::<4>(prefix, 0)? != MAGIC {
        return Some(Err(ParseError::BadMagic));
    }
    let payload = u32_at(prefix, 16)?;
    let total = usize::try_from(payload)
        .ok()
        .and_then(|p| p.checked_add(HEADER_LEN))
        .filter(|&n| n <= MAX_FILE_LEN);
    Some(total.ok_or(ParseError::TooLong))
}

/// [`parse`] without the checksum, for bytes that already passed [`parse`] and have not
/// changed since (a loaded model, re-read for each inference). Every structural check and
/// bound still applies, so even wrong bytes cannot make it panic or read out of bounds.
pub fn parse_validated(bytes: &[u8]) -> Result<Model<'_>, ParseError> {
    parse_checked(bytes, false)
}

fn parse_checked(bytes: &[u8], verify_crc: bool) -> Result<Model<'_>, ParseError> {
    if bytes.len() < HEADER_LEN {
        return Err(ParseError::TooShort);
    }
    if bytes.len() > MAX_FILE_LEN {
        return Err(ParseError::TooLong);
    }
    let (head, payload) = bytes.split_at(HEADER_LEN);
    // The reads below are within the 32 header bytes; `ok_or` only satisfies the types.
    let short = ParseError::TooShort;
    if bytes_at::<4>(head, 0) != Some(MAGIC) {
        return Err(ParseError::BadMagic);
    }
    if u16_at(head, 4).ok_or(short)? != FORMAT_VERSION {
        return Err(ParseError::UnsupportedVersion);
    }
    let kind = Kind::from_u16(u16_at(head, 6).ok_or(short)?).ok_or(ParseError::UnknownKind)?;
    let schema_id = u16_at(head, 8).ok_or(short)?;
    let schema_version = u16_at(head, 10).ok_or(short)?;
    let model_id = u32_at(head, 12).ok_or(short)?;
    let payload_len = u32_at(head, 16).ok_or(short)?;
    if u32_at(head, 20).ok_or(short)? != 0 || u32_at(head, 24).ok_or(short)? != 0 {
        return Err(ParseError::NonZeroReserved);
    }
    if usize::try_from(payload_len).ok() != Some(payload.len()) {
        return Err(ParseError::LengthMismatch);
    }
    let crc = u32_at(head, CRC_OFFSET).ok_or(short)?;
    if verify_crc {
        let mut c = Crc32::new();
        c.update(head.get(..CRC_OFFSET).ok_or(short)?);
        c.update(payload);
        if c.finish() != crc {
            return Err(ParseError::BadChecksum);
        }
    }
    let payload = match kind {
        Kind::Mlp => Payload::Mlp(Mlp::parse(payload)?),
        Kind::Pla => Payload::Pla(Pla::parse(payload)?),
    };
    Ok(Model {
        header: Header {
            kind,
            schema_id,
            schema_version,
            model_id,
            payload_len,
            crc,
        },
        payload,
    })
}

/// Writes a file of `kind` into `out`: the payload by `write_payload` (given the space after
/// the header, returning the payload length), then the header and CRC; then checks that the
/// result parses. Returns the file length.
#[cfg(any(test, feature = "host"))]
fn encode(
    kind: Kind,
    meta: ModelMeta,
    out: &mut [u8],
    write_payload: impl FnOnce(&mut [u8]) -> Result<usize, EncodeError>,
) -> Result<usize, EncodeError> {
    let room = out.len().min(MAX_FILE_LEN);
    let area = out
        .get_mut(HEADER_LEN..room)
        .ok_or(EncodeError::OutOfRoom)?;
    let payload_len = match write_payload(area) {
        Ok(n) => n,
        Err(EncodeError::OutOfRoom) if out.len() >= MAX_FILE_LEN => {
            return Err(EncodeError::TooLarge)
        }
        Err(e) => return Err(e),
    };
    let total = payload_len
        .checked_add(HEADER_LEN)
        .ok_or(EncodeError::TooLarge)?;
    let len32 = u32::try_from(payload_len).map_err(|_| EncodeError::TooLarge)?;
    let mut at = put(out, 0, &MAGIC)?;
    at = put(out, at, &FORMAT_VERSION.to_le_bytes())?;
    at = put(out, at, &kind.as_u16().to_le_bytes())?;
    at = put(out, at, &meta.schema_id.to_le_bytes())?;
    at = put(out, at, &meta.schema_version.to_le_bytes())?;
    at = put(out, at, &meta.model_id.to_le_bytes())?;
    at = put(out, at, &len32.to_le_bytes())?;
    at = put(out, at, &0u32.to_le_bytes())?;
    at = put(out, at, &0u32.to_le_bytes())?;
    let mut c = Crc32::new();
    c.update(out.get(..CRC_OFFSET).ok_or(EncodeError::OutOfRoom)?);
    c.update(out.get(HEADER_LEN..total).ok_or(EncodeError::OutOfRoom)?);
    put(out, at, &c.finish().to_le_bytes())?;
    let file = out.get(..total).ok_or(EncodeError::OutOfRoom)?;
    parse(file).map_err(EncodeError::Invalid)?;
    Ok(total)
}

/// Encodes an MLP model file into `out` (see [`super::mlp`] for the payload layout); fills in
/// the payload length and the CRC and checks the result parses. Returns the file length.
#[cfg(any(test, feature = "host"))]
pub fn encode_mlp(
    meta: ModelMeta,
    layers: &[LayerSpec<'_>],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    encode(Kind::Mlp, meta, out, |area| {
        super::mlp::write_payload(layers, area)
    })
}

/// Encodes a PLA model file into `out` (see [`super::pla`] for the payload layout); fills in
/// the payload length and the CRC and checks the result parses. Returns the file length.
#[cfg(any(test, feature = "host"))]
pub fn encode_pla(
    meta: ModelMeta,
    epsilon: u32,
    n_positions: u64,
    segments: &[Segment],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    encode(Kind::Pla, meta, out, |area| {
        super::pla::write_payload(epsilon, n_positions, segments, area)
    })
}
