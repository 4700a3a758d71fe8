// SPDX-License-Identifier: GPL-2.0

//! Fuzz the learned virtual -> physical index: pages, epsilon and invalidated ranges come
//! from the data. Checked against a `BTreeMap`: every answer is exact or `None` (`None` only
//! for invalidated or collateral pages), nothing in an invalidated range answers, probes stay
//! within `max_probes`. Raw runs from the data go through `VIndex::build` too (errors, never
//! panics).

#![no_main]

use std::collections::BTreeMap;

use learned_core::vindex::{
    count_runs, max_probes, Run, Segment, VIndex, MAX_EPSILON, MAX_PFN, MAX_VPN,
};
use libfuzzer_sys::fuzz_target;

fn word(d: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = d.len().min(8);
    b[..n].copy_from_slice(&d[..n]);
    u64::from_le_bytes(b)
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let eps = u32::from(u16::from_le_bytes([data[0], data[1]])) % (MAX_EPSILON + 2);
    let split = (data[2] as usize * data.len() / 256).max(3);
    let (page_bytes, range_bytes) = data.split_at(split);

    // Pages: each 3 bytes give a gap (small, or a jump) and a frame step.
    let mut pages: Vec<(u64, u64)> = Vec::new();
    let mut v = if data[3] & 1 == 1 { MAX_VPN - 1000 } else { 0 };
    let mut p = 0u64;
    for c in page_bytes[3..].chunks(3) {
        let w = word(c);
        let gap = match w & 3 {
            0 | 1 => 1,
            2 => 1 + ((w >> 2) & 63),
            _ => 1 + ((w >> 2) << 20),
        };
        v = v.saturating_add(gap);
        p = if (w >> 8) & 7 == 0 {
            (w >> 11) & MAX_PFN
        } else {
            p.wrapping_add(1) & MAX_PFN
        };
        pages.push((v, p));
    }
    let mut runs = vec![Run::EMPTY; count_runs(&pages).unwrap_or(0) + 1];
    let mut segs = vec![Segment::default(); runs.len()];
    let mut ix = match VIndex::from_pages(&pages, &mut runs, &mut segs, eps) {
        Ok(ix) => ix,
        Err(e) => {
            assert!(
                eps > MAX_EPSILON || pages.iter().any(|&(v, _)| v > MAX_VPN),
                "{e:?} {pages:?}"
            );
            return;
        }
    };
    let reference: BTreeMap<u64, u64> = pages.iter().copied().collect();
    let bound = max_probes(eps);
    for (&v, &p) in &reference {
        let l = ix.lookup(v);
        assert_eq!(l.pfn, Some(p));
        assert!(l.probes <= bound);
        for w in [v.wrapping_sub(1), v.wrapping_add(1), v ^ 0x100] {
            let l = ix.lookup(w);
            assert_eq!(l.pfn, reference.get(&w).copied());
            assert!(l.probes <= bound);
        }
    }

    // Invalidate ranges from the rest of the data, relative to mapped pages.
    let mut ranges = Vec::new();
    for c in range_bytes.chunks(4) {
        let w = word(c);
        let Some((&anchor, _)) = reference
            .iter()
            .nth((w & 0xFFFF) as usize % reference.len().max(1))
        else {
            break;
        };
        let s = anchor.wrapping_add((w >> 16) & 15).wrapping_sub(8);
        let e = s.saturating_add((w >> 20) & 0x3FF);
        ix.invalidate(s, e);
        ranges.push((s, e));
    }
    let inside = |v: u64| ranges.iter().any(|&(s, e)| s <= v && v < e);
    let mut answered = 0u64;
    for (&v, &p) in &reference {
        let l = ix.lookup(v);
        assert!(l.probes <= bound);
        if let Some(got) = l.pfn {
            assert!(!inside(v));
            assert_eq!(got, p);
            answered += 1;
        }
    }
    assert_eq!(answered, ix.stats().pages);

    // Raw runs straight from the data: build must refuse or work, never panic.
    let mut raw: Vec<Run> = data
        .chunks(6)
        .filter_map(|c| {
            Run::new(
                word(&c[..c.len().min(3)]),
                word(c.get(3..).unwrap_or(&[])),
                u64::from(c[0] & 7),
            )
        })
        .collect();
    let n = raw.len();
    let mut segs = vec![Segment::default(); n / 2];
    if let Ok(ix) = VIndex::build(&mut raw, n, &mut segs, eps) {
        for c in data.chunks(8) {
            let _ = ix.lookup(word(c));
        }
    }
});
