// SPDX-License-Identifier: GPL-2.0

//! Test helpers: run requests through a policy and show its hit pattern.

use learned_core::cache::{Outcome, Policy, Request};

/// Runs `(id, size)` requests with no future knowledge; returns the hit pattern as a
/// string of `h`/`m`/`t` (too large)/`n` (no slot).
pub fn run<P: Policy>(p: &mut P, reqs: &[(u64, u32)]) -> [u8; 32] {
    let mut out = [b'.'; 32];
    for (k, &(id, size)) in reqs.iter().enumerate() {
        let o = p.access(&Request {
            id,
            size,
            next_access: -1,
        });
        if let Some(c) = out.get_mut(k) {
            *c = match o {
                Outcome::Hit => b'h',
                Outcome::Miss => b'm',
                Outcome::TooLarge => b't',
                Outcome::NoSlot => b'n',
            };
        }
    }
    out
}

/// The first `n` bytes of a pattern from [`run`], as a `&str`.
pub fn pat(out: &[u8; 32], n: usize) -> &str {
    core::str::from_utf8(&out[..n]).unwrap()
}
