// SPDX-License-Identifier: GPL-2.0

//! Parser robustness: random byte strings, random files with a valid header and CRC around a
//! random payload, and random mutations (bit flips, truncations, splices, overwrites) of valid
//! files. `parse` must return Ok or Err without panicking, accept only files whose CRC and
//! length are right, and whatever it accepts must run (inference, PLA prediction) cleanly.

use learned_core::model::format::{parse, Payload, HEADER_LEN, MAX_FILE_LEN};
use learned_core::model::mlp::MAX_OUTPUTS;
use lrn::model::{synth, SynthArgs, XorShift};

/// An independent bitwise CRC-32/IEEE.
fn crc32_bitwise(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn crc_ok(f: &[u8]) -> bool {
    if f.len() < HEADER_LEN {
        return false;
    }
    let mut covered = f[..28].to_vec();
    covered.extend_from_slice(&f[HEADER_LEN..]);
    let stored = u32::from_le_bytes(f[28..32].try_into().unwrap());
    let len = u32::from_le_bytes(f[16..20].try_into().unwrap()) as usize;
    crc32_bitwise(&covered) == stored && len + HEADER_LEN == f.len()
}

fn fix(f: &mut [u8]) {
    if f.len() < HEADER_LEN {
        return;
    }
    let len = (f.len() - HEADER_LEN) as u32;
    f[16..20].copy_from_slice(&len.to_le_bytes());
    let mut covered = f[..28].to_vec();
    covered.extend_from_slice(&f[HEADER_LEN..]);
    let c = crc32_bitwise(&covered);
    f[28..32].copy_from_slice(&c.to_le_bytes());
}

/// Parses `f`; checks Ok implies a right CRC, and exercises whatever parsed.
fn check(f: &[u8], rng: &mut XorShift, accepted: &mut usize) {
    let Ok(m) = parse(f) else { return };
    assert!(crc_ok(f), "accepted a file with a wrong CRC or length");
    *accepted += 1;
    match m.payload() {
        Payload::Mlp(mlp) => {
            for _ in 0..4 {
                let input: Vec<i8> = (0..mlp.inputs()).map(|_| rng.i8()).collect();
                let mut logits = [0i32; MAX_OUTPUTS];
                let n = mlp.infer(&input, &mut logits).unwrap();
                assert_eq!(n, mlp.outputs());
                assert!(mlp.predict(&input).unwrap() < n);
            }
            assert!(mlp.predict(&[0; 33]).is_err());
        }
        Payload::Pla(pla) => {
            for key in [0, 1, u64::MAX, rng.next_u64(), rng.next_u64() >> 32] {
                let p = pla.predict(key);
                assert!(p.lo <= p.pos && p.pos <= p.hi && p.hi < pla.positions());
            }
        }
    }
}

fn valid_files() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for (seed, (kind, schema)) in [
        (learned_core::model::format::Kind::Mlp, 1),
        (learned_core::model::format::Kind::Mlp, 2),
        (learned_core::model::format::Kind::Pla, 3),
        (learned_core::model::format::Kind::Mlp, 4),
    ]
    .into_iter()
    .enumerate()
    {
        for (inputs, hidden, outputs) in [(8, 32, 4), (3, 0, 2), (32, 64, 16), (1, 1, 1)] {
            files.push(
                synth(&SynthArgs {
                    kind,
                    schema,
                    seed: seed as u64 + u64::from(hidden),
                    inputs,
                    hidden,
                    outputs,
                    keys: 50 + usize::from(hidden) * 30,
                    epsilon: u32::from(outputs),
                    adversarial: false,
                    constant: None,
                    out: String::new(),
                })
                .unwrap(),
            );
        }
    }
    files
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = XorShift::new(1);
    let mut accepted = 0;
    for i in 0..20_000 {
        let len = rng.range(0, 300) as usize;
        let mut f: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if i % 2 == 0 && f.len() >= HEADER_LEN {
            // A plausible header, so the payload parsers see random bytes.
            f[..4].copy_from_slice(b"LMOD");
            f[4..6].copy_from_slice(&1u16.to_le_bytes());
            f[6..8].copy_from_slice(&(1 + (i / 2 % 2) as u16).to_le_bytes());
            f[20..28].fill(0);
            if f.len() > HEADER_LEN + 2 {
                // Small layer/segment counts, so some files get deep into the structure.
                f[HEADER_LEN] %= 5;
                f[HEADER_LEN + 1] %= 33;
            }
            fix(&mut f);
        }
        check(&f, &mut rng, &mut accepted);
    }
    check(&vec![0u8; MAX_FILE_LEN + 1], &mut rng, &mut accepted);
    println!("random: {accepted} accepted");
}

#[test]
fn mutations_of_valid_files_never_panic() {
    let files = valid_files();
    let mut rng = XorShift::new(2);
    let (mut accepted, mut total) = (0usize, 0usize);
    for f in &files {
        check(f, &mut rng, &mut accepted);
    }
    assert_eq!(accepted, files.len(), "a synthesized file does not parse");
    accepted = 0;
    for i in 0..30_000 {
        let base = &files[rng.range(0, files.len() as i64 - 1) as usize];
        let mut f = base.clone();
        match rng.range(0, 4) {
            0 => {
                for _ in 0..rng.range(1, 4) {
                    let bit = rng.range(0, f.len() as i64 * 8 - 1) as usize;
                    f[bit / 8] ^= 1 << (bit % 8);
                }
            }
            1 => f.truncate(rng.range(0, f.len() as i64 - 1) as usize),
            2 => {
                let other = &files[rng.range(0, files.len() as i64 - 1) as usize];
                let cut = rng.range(0, f.len() as i64) as usize;
                let from = rng.range(0, other.len() as i64) as usize;
                f.truncate(cut);
                f.extend_from_slice(&other[from..]);
            }
            3 => {
                let at = rng.range(0, f.len() as i64 - 1) as usize;
                f[at] = rng.next_u64() as u8;
            }
            _ => {
                let at = rng.range(0, f.len() as i64) as usize;
                let n = rng.range(1, 8) as usize;
                let junk: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
                f.splice(at..at, junk);
            }
        }
        // Half the time, repair length and CRC so the structure checks are exercised.
        if i % 2 == 1 {
            fix(&mut f);
        }
        total += 1;
        check(&f, &mut rng, &mut accepted);
    }
    println!("mutations: {total} tried, {accepted} accepted");
}
