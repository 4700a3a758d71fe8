// SPDX-License-Identifier: GPL-2.0

//! Fuzz `.lmod` parsing, then run whatever parses: MLP inference on inputs taken from the
//! data, PLA prediction on keys taken from the data. Must never panic.
//!
//! Each input is tried twice: as is (header and CRC checks), and with its payload length and
//! CRC repaired, so mutations reach the payload validation and the engines too.

#![no_main]

use learned_core::model::crc32::Crc32;
use learned_core::model::format::{parse, Payload, HEADER_LEN, MAX_FILE_LEN};
use learned_core::model::mlp::MAX_OUTPUTS;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    run(data);
    if (HEADER_LEN..=MAX_FILE_LEN).contains(&data.len()) {
        let mut f = data.to_vec();
        let len = (f.len() - HEADER_LEN) as u32;
        f[16..20].copy_from_slice(&len.to_le_bytes());
        let mut c = Crc32::new();
        c.update(&f[..28]);
        c.update(&f[HEADER_LEN..]);
        f[28..32].copy_from_slice(&c.finish().to_le_bytes());
        run(&f);
    }
});

fn run(data: &[u8]) {
    let Ok(model) = parse(data) else { return };
    let seed = model.header().crc;
    match model.payload() {
        Payload::Mlp(m) => {
            let mut input = [0i8; 64];
            for (i, v) in input.iter_mut().enumerate() {
                *v = (seed.rotate_left(i as u32) & 0xFF) as u8 as i8;
            }
            let mut logits = [0i32; MAX_OUTPUTS];
            let n = m
                .infer(&input[..m.inputs()], &mut logits)
                .expect("valid input length");
            assert_eq!(n, m.outputs());
            assert!(m.predict(&input[..m.inputs()]).expect("valid") < n);
            for x in [[i8::MIN; 64], [i8::MAX; 64]] {
                m.infer(&x[..m.inputs()], &mut logits).expect("valid");
            }
        }
        Payload::Pla(p) => {
            for key in [0, 1, u64::MAX, u64::from(seed), u64::from(seed) << 32] {
                let w = p.predict(key);
                assert!(w.lo <= w.pos && w.pos <= w.hi && w.hi < p.positions());
            }
            for i in 0..p.segment_count() {
                let s = p.segment(i).expect("in range");
                let w = p.predict(s.start_key);
                assert!(w.hi < p.positions());
            }
        }
    }
}
