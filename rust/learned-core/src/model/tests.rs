// SPDX-License-Identifier: GPL-2.0

//! Tests of the model format and engines together: round trips, every parse error, and
//! robustness against truncation and bit flips.

extern crate std;

use std::collections::BTreeSet;
use std::format;
use std::vec;
use std::vec::Vec;

use super::crc32::crc32;
use super::format::{
    encode_mlp, encode_pla, parse, EncodeError, Kind, ModelMeta, ParseError, HEADER_LEN,
    MAX_FILE_LEN,
};
use super::mlp::{argmax, requantize, InferError, LayerSpec, MAX_ABS_BIAS};
use super::pla::{fit, predict_in, FitError, Segment, MAX_SEGMENTS};
use super::schema;

const META: ModelMeta = ModelMeta {
    schema_id: schema::EVICT,
    schema_version: 1,
    model_id: 0xDEAD_BEEF,
};

/// 2 inputs -> 2 hidden (ReLU, x/2) -> 2 logits (x*3): hand-computed in `tiny_mlp_logits`.
const W1: [i8; 4] = [1, 2, -3, 4];
const B1: [i32; 2] = [1, -2];
const W2: [i8; 4] = [5, -1, -2, 3];
const B2: [i32; 2] = [100, -7];

fn tiny_layers() -> [LayerSpec<'static>; 2] {
    [
        LayerSpec {
            inputs: 2,
            outputs: 2,
            multiplier: 1,
            shift: 1,
            relu: true,
            weights: &W1,
            bias: &B1,
        },
        LayerSpec {
            inputs: 2,
            outputs: 2,
            multiplier: 3,
            shift: 0,
            relu: false,
            weights: &W2,
            bias: &B2,
        },
    ]
}

fn tiny_mlp() -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let n = encode_mlp(META, &tiny_layers(), &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// An output layer of 2 logits with no rescaling (multiplier 1, shift 0, no ReLU).
fn two_logits<'a>(inputs: u16, weights: &'a [i8], bias: &'a [i32]) -> LayerSpec<'a> {
    LayerSpec {
        inputs,
        outputs: 2,
        multiplier: 1,
        shift: 0,
        relu: false,
        weights,
        bias,
    }
}

/// The `.lmod` file of `layers`.
fn encoded(layers: &[LayerSpec<'_>]) -> Vec<u8> {
    let mut buf = vec![0u8; 16384];
    let n = encode_mlp(META, layers, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// A 3-layer MLP whose first layer has 3 weights (so 1 padding byte).
fn padded_mlp() -> Vec<u8> {
    let w1 = [1i8, -1, 2];
    let b1 = [0i32, 5, -5];
    let w2 = [1i8; 9];
    let b2 = [0i32; 3];
    let w3 = [3i8, 2, 1];
    let b3 = [7i32];
    let layers = [
        LayerSpec {
            inputs: 1,
            outputs: 3,
            multiplier: 1,
            shift: 0,
            relu: true,
            weights: &w1,
            bias: &b1,
        },
        LayerSpec {
            inputs: 3,
            outputs: 3,
            multiplier: 1,
            shift: 0,
            relu: false,
            weights: &w2,
            bias: &b2,
        },
        LayerSpec {
            inputs: 3,
            outputs: 1,
            multiplier: 1,
            shift: 0,
            relu: false,
            weights: &w3,
            bias: &b3,
        },
    ];
    let mut buf = vec![0u8; 1024];
    let n = encode_mlp(META, &layers, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn small_pla() -> Vec<u8> {
    let segs = [
        Segment {
            start_key: 10,
            slope: 1 << 32,
            intercept: 0,
        },
        Segment {
            start_key: 100,
            slope: 1 << 31,
            intercept: 90,
        },
    ];
    let meta = ModelMeta {
        schema_id: schema::VINDEX,
        schema_version: 1,
        model_id: 7,
    };
    let mut buf = vec![0u8; 1024];
    let n = encode_pla(meta, 2, 200, &segs, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Recomputes the payload length and CRC after a deliberate corruption.
fn fix(buf: &mut [u8]) {
    let len = u32::try_from(buf.len() - HEADER_LEN).unwrap();
    buf[16..20].copy_from_slice(&len.to_le_bytes());
    let mut covered = buf[..28].to_vec();
    covered.extend_from_slice(&buf[HEADER_LEN..]);
    let c = crc32(&covered);
    buf[28..32].copy_from_slice(&c.to_le_bytes());
}

/// Applies `edit` to a copy of `file`, fixes length and CRC, and parses.
fn corrupt(file: &[u8], edit: impl FnOnce(&mut Vec<u8>)) -> Result<(), ParseError> {
    let mut f = file.to_vec();
    edit(&mut f);
    fix(&mut f);
    parse(&f).map(|_| ())
}

const ALL_ERRORS: [ParseError; 21] = [
    ParseError::TooShort,
    ParseError::TooLong,
    ParseError::BadMagic,
    ParseError::UnsupportedVersion,
    ParseError::UnknownKind,
    ParseError::NonZeroReserved,
    ParseError::LengthMismatch,
    ParseError::BadChecksum,
    ParseError::PayloadTruncated,
    ParseError::TrailingBytes,
    ParseError::BadLayerCount,
    ParseError::BadInputCount,
    ParseError::WidthOverLimit,
    ParseError::ShapeMismatch,
    ParseError::ShiftOutOfRange,
    ParseError::BadMultiplier,
    ParseError::BiasOutOfRange,
    ParseError::BadActivation,
    ParseError::BadSegmentCount,
    ParseError::BadPositionCount,
    ParseError::UnsortedSegments,
];

#[test]
fn header_round_trip() {
    let f = tiny_mlp();
    let m = parse(&f).unwrap();
    let h = m.header();
    assert_eq!(h.kind, Kind::Mlp);
    assert_eq!(h.schema_id, schema::EVICT);
    assert_eq!(h.schema_version, 1);
    assert_eq!(h.model_id, 0xDEAD_BEEF);
    assert_eq!(h.payload_len as usize, f.len() - HEADER_LEN);
    assert_eq!(&f[..4], b"LMOD");
    assert_eq!(h.crc, u32::from_le_bytes(f[28..32].try_into().unwrap()));
    let mlp = m.mlp().unwrap();
    assert!(m.pla().is_none());
    assert_eq!((mlp.inputs(), mlp.outputs(), mlp.layer_count()), (2, 2, 2));
    let l0 = mlp.layer(0).unwrap();
    assert_eq!((l0.multiplier(), l0.shift(), l0.relu()), (1, 1, true));
    assert_eq!(l0.weight(1, 0), Some(-3));
    assert_eq!(l0.weight(2, 0), None);
    assert_eq!(l0.weight(0, 2), None);
    assert_eq!(l0.bias(1), Some(-2));
    assert_eq!(l0.bias(2), None);
    assert!(mlp.layer(2).is_none());
    // The payload length: 4 + 2 * (12 + 4 + 8).
    assert_eq!(f.len(), HEADER_LEN + 4 + 2 * 24);

    let p = small_pla();
    let m = parse(&p).unwrap();
    assert_eq!(m.header().kind, Kind::Pla);
    assert_eq!(m.header().schema_id, schema::VINDEX);
    assert_eq!(m.header().model_id, 7);
    let pla = m.pla().unwrap();
    assert!(m.mlp().is_none());
    assert_eq!(
        (pla.epsilon(), pla.positions(), pla.segment_count()),
        (2, 200, 2)
    );
    assert_eq!(pla.segment(1).unwrap().intercept, 90);
    assert!(pla.segment(2).is_none());
    assert_eq!(p.len(), HEADER_LEN + 16 + 2 * 24);
    let padded = padded_mlp();
    let pm = parse(&padded).unwrap().mlp().unwrap();
    assert_eq!(pm.layer_count(), 3);
}

#[test]
fn every_parse_error_is_reachable() {
    let mlp = tiny_mlp();
    let pad = padded_mlp();
    let pla = small_pla();
    let mut seen = BTreeSet::new();
    let mut check = |r: Result<(), ParseError>, want: ParseError| {
        assert_eq!(r, Err(want));
        seen.insert(format!("{want:?}"));
    };
    let raw = |f: &[u8]| parse(f).map(|_| ());
    // Header.
    check(raw(&mlp[..HEADER_LEN - 1]), ParseError::TooShort);
    check(raw(&[]), ParseError::TooShort);
    check(raw(&vec![0u8; MAX_FILE_LEN + 1]), ParseError::TooLong);
    check(corrupt(&mlp, |f| f[0] = b'X'), ParseError::BadMagic);
    check(corrupt(&mlp, |f| f[4] = 2), ParseError::UnsupportedVersion);
    check(
        corrupt(&mlp, |f| f[4..6].fill(0)),
        ParseError::UnsupportedVersion,
    );
    check(corrupt(&mlp, |f| f[6] = 3), ParseError::UnknownKind);
    check(corrupt(&mlp, |f| f[6] = 0), ParseError::UnknownKind);
    check(corrupt(&mlp, |f| f[20] = 1), ParseError::NonZeroReserved);
    check(corrupt(&mlp, |f| f[27] = 0x80), ParseError::NonZeroReserved);
    let mut longer = mlp.clone();
    longer.push(0);
    check(raw(&longer), ParseError::LengthMismatch);
    check(raw(&mlp[..mlp.len() - 1]), ParseError::LengthMismatch);
    let mut bad_crc = mlp.clone();
    bad_crc[HEADER_LEN + 10] ^= 1;
    check(raw(&bad_crc), ParseError::BadChecksum);
    let mut bad_crc = mlp.clone();
    bad_crc[28] ^= 0x40;
    check(raw(&bad_crc), ParseError::BadChecksum);
    // MLP payload. Offsets: payload at 32; layer 0 at 36 (in 36, out 38, mult 40, shift 44,
    // act 45, reserved 46, weights 48..52, bias 52..60); layer 1 at 60 (.., act 69, bias 76).
    check(
        corrupt(&mlp, |f| f.truncate(HEADER_LEN + 2)),
        ParseError::PayloadTruncated,
    );
    check(
        corrupt(&mlp, |f| f.truncate(f.len() - 1)),
        ParseError::PayloadTruncated,
    );
    check(
        corrupt(&mlp, |f| f.extend_from_slice(&[0; 4])),
        ParseError::TrailingBytes,
    );
    check(corrupt(&mlp, |f| f[34] = 1), ParseError::NonZeroReserved);
    check(corrupt(&mlp, |f| f[47] = 1), ParseError::NonZeroReserved);
    // padded_mlp: layer 0 at 36, weights 48..51, padding byte 51.
    check(corrupt(&pad, |f| f[51] = 9), ParseError::NonZeroReserved);
    check(corrupt(&mlp, |f| f[32] = 0), ParseError::BadLayerCount);
    check(corrupt(&mlp, |f| f[32] = 5), ParseError::BadLayerCount);
    check(corrupt(&mlp, |f| f[33] = 0), ParseError::BadInputCount);
    check(corrupt(&mlp, |f| f[33] = 33), ParseError::BadInputCount);
    check(corrupt(&mlp, |f| f[33] = 3), ParseError::ShapeMismatch);
    check(corrupt(&mlp, |f| f[38] = 0), ParseError::WidthOverLimit);
    check(corrupt(&mlp, |f| f[38] = 65), ParseError::WidthOverLimit);
    check(corrupt(&mlp, |f| f[62] = 17), ParseError::WidthOverLimit);
    check(corrupt(&mlp, |f| f[60] = 3), ParseError::ShapeMismatch);
    check(corrupt(&mlp, |f| f[44] = 32), ParseError::ShiftOutOfRange);
    check(
        corrupt(&mlp, |f| f[40..44].fill(0)),
        ParseError::BadMultiplier,
    );
    check(corrupt(&mlp, |f| f[43] = 0x80), ParseError::BadMultiplier);
    let over = (MAX_ABS_BIAS + 1).to_le_bytes();
    check(
        corrupt(&mlp, |f| f[52..56].copy_from_slice(&over)),
        ParseError::BiasOutOfRange,
    );
    let under = (-MAX_ABS_BIAS - 1).to_le_bytes();
    check(
        corrupt(&mlp, |f| f[80..84].copy_from_slice(&under)),
        ParseError::BiasOutOfRange,
    );
    check(corrupt(&mlp, |f| f[45] = 2), ParseError::BadActivation);
    check(corrupt(&mlp, |f| f[69] = 1), ParseError::BadActivation);
    // PLA payload: epsilon 32, count 36, positions 40, segments from 48 (24 bytes each).
    check(
        corrupt(&pla, |f| f.truncate(HEADER_LEN + 15)),
        ParseError::PayloadTruncated,
    );
    check(
        corrupt(&pla, |f| f.truncate(f.len() - 1)),
        ParseError::PayloadTruncated,
    );
    check(corrupt(&pla, |f| f.push(0)), ParseError::TrailingBytes);
    check(
        corrupt(&pla, |f| f[36..40].fill(0)),
        ParseError::BadSegmentCount,
    );
    let too_many = u32::try_from(MAX_SEGMENTS + 1).unwrap().to_le_bytes();
    check(
        corrupt(&pla, |f| f[36..40].copy_from_slice(&too_many)),
        ParseError::BadSegmentCount,
    );
    check(
        corrupt(&pla, |f| f[36..40].fill(0xFF)),
        ParseError::BadSegmentCount,
    );
    check(
        corrupt(&pla, |f| f[40..48].fill(0)),
        ParseError::BadPositionCount,
    );
    check(corrupt(&pla, |f| f[72] = 10), ParseError::UnsortedSegments);
    check(corrupt(&pla, |f| f[72] = 9), ParseError::UnsortedSegments);

    let all: BTreeSet<_> = ALL_ERRORS.iter().map(|e| format!("{e:?}")).collect();
    assert_eq!(seen, all);
    let reasons: BTreeSet<_> = ALL_ERRORS.iter().map(|e| e.reason()).collect();
    assert_eq!(reasons.len(), ALL_ERRORS.len());
}

#[test]
fn every_truncation_is_refused() {
    for f in [tiny_mlp(), padded_mlp(), small_pla()] {
        for len in 0..f.len() {
            assert!(parse(&f[..len]).is_err(), "accepted a {len}-byte prefix");
        }
        assert!(parse(&f).is_ok());
    }
}

#[test]
fn every_single_bit_flip_is_refused() {
    for f in [tiny_mlp(), padded_mlp(), small_pla()] {
        for bit in 0..f.len() * 8 {
            let mut g = f.clone();
            g[bit / 8] ^= 1 << (bit % 8);
            assert!(parse(&g).is_err(), "accepted bit flip {bit}");
        }
    }
}

#[test]
fn encoder_errors() {
    let layers = tiny_layers();
    let mut small = [0u8; 40];
    assert_eq!(
        encode_mlp(META, &layers, &mut small),
        Err(EncodeError::OutOfRoom)
    );
    let mut buf = vec![0u8; 1024];
    let mut bad = tiny_layers();
    bad[0].weights = &W1[..3];
    assert_eq!(
        encode_mlp(META, &bad, &mut buf),
        Err(EncodeError::SpecMismatch)
    );
    assert_eq!(
        encode_mlp(META, &[], &mut buf),
        Err(EncodeError::Invalid(ParseError::BadLayerCount))
    );
    let mut bad = tiny_layers();
    bad[0].shift = 40;
    assert_eq!(
        encode_mlp(META, &bad, &mut buf),
        Err(EncodeError::Invalid(ParseError::ShiftOutOfRange))
    );
    let segs = vec![Segment::default(); MAX_SEGMENTS + 1];
    let mut big = vec![0u8; 2 * MAX_FILE_LEN];
    assert_eq!(
        encode_pla(META, 0, 10, &segs, &mut big),
        Err(EncodeError::Invalid(ParseError::BadSegmentCount))
    );
    let segs = vec![Segment::default(); 3000];
    assert_eq!(
        encode_pla(META, 0, 10, &segs, &mut big),
        Err(EncodeError::TooLarge)
    );
    assert!(!EncodeError::TooLarge.reason().is_empty());
}

#[test]
fn tiny_mlp_logits() {
    let f = tiny_mlp();
    let mlp = parse(&f).unwrap().mlp().unwrap();
    let mut logits = [0i32; 4];
    // Hidden: acc = [1 + 10 - 10, -2 - 30 - 20] = [1, -52]; /2 rounded away from zero = [1, -26];
    // ReLU = [1, 0]. Logits: 3 * [100 + 5, -7 - 2] = [315, -27].
    let mut hidden = Vec::new();
    let n = mlp
        .infer_observe(&[10, -5], &mut logits, |i, a| hidden.push((i, a.to_vec())))
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(&logits[..2], &[315, -27]);
    assert_eq!(hidden, vec![(0, vec![1, 0])]);
    assert_eq!(mlp.predict(&[10, -5]), Ok(0));
    // Input [0, 40]: acc = [81, 158] -> [41, 79]; logits 3 * [100 + 205 - 79, -7 - 82 + 237].
    let n = mlp.infer(&[0, 40], &mut logits).unwrap();
    assert_eq!(&logits[..n], &[3 * 226, 3 * 148]);
    // Input [-128, 127]: acc = [1 - 128 + 254, -2 + 384 + 508] = [127, 890] -> [64, 445 -> 127].
    // Logits: 3 * [100 + 320 - 127, -7 - 128 + 381].
    mlp.infer(&[-128, 127], &mut logits).unwrap();
    assert_eq!(&logits[..2], &[3 * 293, 3 * 246]);
    assert_eq!(mlp.predict(&[1, 2, 3]), Err(InferError::WrongInputLength));
    assert_eq!(
        mlp.infer(&[1], &mut logits),
        Err(InferError::WrongInputLength)
    );
    assert_eq!(
        mlp.infer(&[1, 2], &mut [0; 1]),
        Err(InferError::OutputTooSmall)
    );
}

/// Every row width the engine has a fixed-length path for (8, 16, 32, 64), and odd ones
/// that take the general path, against a plain i64 computation of the same network.
#[test]
fn every_row_width_matches_a_plain_reference() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for (inputs, hidden) in [
        (8, 16),
        (16, 64),
        (32, 8),
        (7, 9),
        (1, 64),
        (32, 33),
        (24, 32),
    ] {
        let w1: Vec<i8> = (0..inputs * hidden).map(|_| next() as i8).collect();
        let b1: Vec<i32> = (0..hidden)
            .map(|_| (next() % 20_001) as i32 - 10_000)
            .collect();
        let w2: Vec<i8> = (0..hidden * 2).map(|_| next() as i8).collect();
        let b2 = [5, -5];
        let layers = [
            LayerSpec {
                inputs: inputs as u16,
                outputs: hidden as u16,
                multiplier: 3,
                shift: 9,
                relu: true,
                weights: &w1,
                bias: &b1,
            },
            two_logits(hidden as u16, &w2, &b2),
        ];
        let file = encoded(&layers);
        let mlp = parse(&file).unwrap().mlp().unwrap();
        for _ in 0..50 {
            let x: Vec<i8> = (0..inputs).map(|_| next() as i8).collect();
            let h: Vec<i64> = (0..hidden)
                .map(|o| {
                    let acc: i64 = i64::from(b1[o])
                        + (0..inputs)
                            .map(|i| i64::from(w1[o * inputs + i]) * i64::from(x[i]))
                            .sum::<i64>();
                    let q = requantize(i32::try_from(acc).unwrap(), 3, 9).clamp(-128, 127);
                    q.max(0)
                })
                .collect();
            let want: Vec<i32> = (0..2)
                .map(|o| {
                    let acc = i64::from(b2[o])
                        + (0..hidden)
                            .map(|i| i64::from(w2[o * hidden + i]) * h[i])
                            .sum::<i64>();
                    i32::try_from(acc).unwrap()
                })
                .collect();
            let mut logits = [0i32; 2];
            mlp.infer(&x, &mut logits).unwrap();
            assert_eq!(logits.to_vec(), want, "{inputs}-{hidden}-2 on {x:?}");
        }
    }
}

#[test]
fn argmax_ties_go_low() {
    assert_eq!(argmax(&[1, 3, 3, 2]), 1);
    assert_eq!(argmax(&[i32::MIN, i32::MIN]), 0);
    assert_eq!(argmax(&[-5]), 0);
    assert_eq!(argmax(&[]), 0);
    assert_eq!(argmax(&[0, 0, 1]), 2);
}

#[test]
fn rounding_is_half_away_from_zero() {
    assert_eq!(requantize(1, 1, 1), 1); // 0.5
    assert_eq!(requantize(-1, 1, 1), -1); // -0.5
    assert_eq!(requantize(3, 1, 1), 2); // 1.5
    assert_eq!(requantize(-3, 1, 1), -2); // -1.5
    assert_eq!(requantize(5, 1, 2), 1); // 1.25
    assert_eq!(requantize(6, 1, 2), 2); // 1.5
    assert_eq!(requantize(7, 1, 2), 2); // 1.75
    assert_eq!(requantize(-6, 1, 2), -2);
    assert_eq!(requantize(-5, 1, 2), -1);
    assert_eq!(requantize(5, 3, 0), 15);
    assert_eq!(requantize(0, i32::MAX, 31), 0);
    assert_eq!(requantize(i32::MIN, i32::MIN, 0), 1 << 62);
    assert_eq!(requantize(i32::MAX, i32::MAX, 200), 1); // shift capped at 62
    assert_eq!(requantize(1 << 30, 1 << 30, 31), 1 << 29);
    assert_eq!(requantize(-(1 << 30), 3, 31), -2); // -1.5
}

#[test]
fn activations_saturate_at_int8_limits() {
    // One input, two hidden outputs with weights +1 and -1 scaled by 100, no ReLU; the output
    // layer copies them (weights identity).
    let w1 = [1i8, -1];
    let b1 = [0i32; 2];
    let w2 = [1i8, 0, 0, 1];
    let b2 = [0i32; 2];
    let layers = [
        LayerSpec {
            inputs: 1,
            outputs: 2,
            multiplier: 100,
            shift: 0,
            relu: false,
            weights: &w1,
            bias: &b1,
        },
        two_logits(2, &w2, &b2),
    ];
    let file = encoded(&layers);
    let mlp = parse(&file).unwrap().mlp().unwrap();
    let mut logits = [0i32; 2];
    for (x, want) in [
        (1i8, [100, -100]),
        (2, [127, -128]),
        (-2, [-128, 127]),
        (-128, [-128, 127]),
    ] {
        mlp.infer(&[x], &mut logits).unwrap();
        assert_eq!(logits, want, "input {x}");
    }
}

#[test]
fn logits_saturate_at_i32() {
    let w = [127i8];
    let b = [MAX_ABS_BIAS];
    let layers = [LayerSpec {
        inputs: 1,
        outputs: 1,
        multiplier: i32::MAX,
        shift: 0,
        relu: false,
        weights: &w,
        bias: &b,
    }];
    let mut buf = vec![0u8; 256];
    let n = encode_mlp(META, &layers, &mut buf).unwrap();
    let mlp = parse(&buf[..n]).unwrap().mlp().unwrap();
    let mut logits = [0i32; 1];
    mlp.infer(&[127], &mut logits).unwrap();
    assert_eq!(logits, [i32::MAX]);
    mlp.infer(&[-128], &mut logits).unwrap();
    assert_eq!(logits, [i32::MAX]); // bias 2^24 dominates 127 * -128
}

#[test]
fn pla_predict_known_segments() {
    let f = small_pla();
    let pla = parse(&f).unwrap().pla().unwrap();
    // Before the first segment: its intercept.
    assert_eq!(
        (pla.predict(0).pos, pla.predict(0).lo, pla.predict(0).hi),
        (0, 0, 2)
    );
    assert_eq!(pla.predict(10).pos, 0);
    assert_eq!(pla.predict(50).pos, 40);
    assert_eq!(pla.predict(99).pos, 89);
    assert_eq!(pla.predict(100).pos, 90);
    assert_eq!(pla.predict(101).pos, 90); // floor(0.5)
    assert_eq!(pla.predict(102).pos, 91);
    let p = pla.predict(150);
    assert_eq!((p.pos, p.lo, p.hi), (115, 113, 117));
    // Clamped to the last position.
    let p = pla.predict(u64::MAX);
    assert_eq!((p.pos, p.lo, p.hi), (199, 197, 199));
}

fn check_fit(points: &[(u64, u64)], eps: u32) -> usize {
    let mut segs = vec![Segment::default(); points.len()];
    let n = fit(points, eps, &mut segs).unwrap();
    let segs = &segs[..n];
    let npos = points.last().unwrap().1 + 1;
    for &(k, p) in points {
        let pr = predict_in(segs, eps, npos, k).unwrap();
        assert!(
            pr.pos.abs_diff(p) <= u64::from(eps),
            "key {k}: {pr:?} vs {p}"
        );
        assert!(pr.lo <= p && p <= pr.hi);
    }
    // The same through a file.
    let mut buf = vec![0u8; MAX_FILE_LEN];
    let len = encode_pla(META, eps, npos, segs, &mut buf).unwrap();
    let pla = parse(&buf[..len]).unwrap().pla().unwrap();
    for &(k, _) in points {
        assert_eq!(Some(pla.predict(k)), predict_in(segs, eps, npos, k));
        let k1 = k.saturating_add(1);
        assert_eq!(Some(pla.predict(k1)), predict_in(segs, eps, npos, k1));
    }
    n
}

#[test]
fn pla_fit_small_sets() {
    let linear: Vec<(u64, u64)> = (0..100).map(|i| (i * 10, i)).collect();
    assert_eq!(check_fit(&linear, 0), 1);
    let square: Vec<(u64, u64)> = (0..300).map(|i| (i * i, i)).collect();
    let exact = check_fit(&square, 0);
    let loose = check_fit(&square, 4);
    assert!(loose < exact, "{loose} vs {exact}");
    let single = [(5u64, 0u64)];
    assert_eq!(check_fit(&single, 0), 1);
    let mut s = 1u64;
    let mut k = 0u64;
    let random: Vec<(u64, u64)> = (0..2000)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            k += 1 + (s >> 40);
            (k, i)
        })
        .collect();
    for eps in [0, 1, 8, 64] {
        check_fit(&random, eps);
    }
    let huge = [
        (0u64, 0u64),
        (u64::MAX / 2, 1),
        (u64::MAX - 1, 2),
        (u64::MAX, 1 << 40),
    ];
    for eps in [0, 1, u32::MAX] {
        check_fit(&huge, eps);
    }
    let dup = [(1u64, 5u64), (2, 5), (3, 6)];
    check_fit(&dup, 0);
}

#[test]
fn pla_fit_errors() {
    let mut out = [Segment::default(); 2];
    assert_eq!(fit(&[], 1, &mut out), Err(FitError::Empty));
    assert_eq!(fit(&[(2, 0), (1, 1)], 1, &mut out), Err(FitError::Unsorted));
    assert_eq!(fit(&[(1, 0), (1, 1)], 1, &mut out), Err(FitError::Unsorted));
    assert_eq!(fit(&[(1, 3), (2, 1)], 1, &mut out), Err(FitError::Unsorted));
    assert_eq!(fit(&[(1, 0), (5, 1), (9, 3)], 5, &mut out), Ok(1));
    assert_eq!(
        fit(&[(1, u64::MAX)], 0, &mut out),
        Err(FitError::PositionTooLarge)
    );
    let zigzag = [
        (0u64, 0u64),
        (1, 100),
        (2, 101),
        (3, 300),
        (4, 301),
        (5, 900),
    ];
    assert_eq!(fit(&zigzag, 0, &mut out), Err(FitError::OutOfRoom));
}

#[test]
fn parse_validated_skips_only_the_checksum() {
    for file in [tiny_mlp(), small_pla()] {
        let full = parse(&file).unwrap();
        let fast = super::format::parse_validated(&file).unwrap();
        assert_eq!(full.header(), fast.header());
        // A wrong checksum is the only thing it lets through...
        let mut bad_crc = file.clone();
        bad_crc[28] ^= 0xff;
        assert_eq!(parse(&bad_crc).err(), Some(ParseError::BadChecksum));
        assert!(super::format::parse_validated(&bad_crc).is_ok());
        // ...every structural check still applies, at every truncation.
        for len in 0..file.len() {
            assert!(
                super::format::parse_validated(&file[..len]).is_err(),
                "len {len}"
            );
        }
        let mut bad_magic = file.clone();
        bad_magic[0] = b'X';
        assert_eq!(
            super::format::parse_validated(&bad_magic).err(),
            Some(ParseError::BadMagic)
        );
    }
}

#[test]
fn declared_len_reads_only_what_it_needs() {
    let file = tiny_mlp();
    for n in 0..20 {
        assert_eq!(super::format::declared_len(&file[..n]), None, "prefix {n}");
    }
    assert_eq!(
        super::format::declared_len(&file[..20]),
        Some(Ok(file.len()))
    );
    assert_eq!(super::format::declared_len(&file), Some(Ok(file.len())));
    assert_eq!(
        super::format::declared_len(b"LMOX"),
        Some(Err(ParseError::BadMagic))
    );
    let mut huge = file.clone();
    huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        super::format::declared_len(&huge),
        Some(Err(ParseError::TooLong))
    );
}
