// SPDX-License-Identifier: GPL-2.0

//! A Fenwick (binary indexed) tree of `u32` counts over caller memory: point increments and
//! decrements and prefix sums, each `O(log n)`. An all-zero slice is the empty tree.
//!
//! Positions are 0-based; an out-of-range position is ignored (or sums the whole tree), so no
//! input panics. Counts wrap rather than overflow: a caller that keeps them consistent (never
//! decrements a zero position) never sees it.

/// Adds 1 at `pos`.
pub(super) fn inc(tree: &mut [u32], pos: usize) {
    add(tree, pos, false);
}

/// Subtracts 1 at `pos`.
pub(super) fn dec(tree: &mut [u32], pos: usize) {
    add(tree, pos, true);
}

fn add(tree: &mut [u32], pos: usize, sub: bool) {
    let len = tree.len();
    let mut k = pos.saturating_add(1);
    while k <= len {
        if let Some(c) = tree.get_mut(k.wrapping_sub(1)) {
            *c = if sub {
                c.wrapping_sub(1)
            } else {
                c.wrapping_add(1)
            };
        }
        // k >= 1, so its lowest set bit is >= 1 and the loop advances (at most log2 len times).
        k = k.saturating_add(k & k.wrapping_neg());
    }
}

/// The sum of positions `0..end` (of the whole tree when `end` is past it).
pub(super) fn prefix(tree: &[u32], end: usize) -> u32 {
    let mut k = end.min(tree.len());
    let mut sum = 0u32;
    while k > 0 {
        sum = sum.wrapping_add(tree.get(k.wrapping_sub(1)).copied().unwrap_or(0));
        // Clears the lowest set bit: at most log2 len iterations.
        k &= k.wrapping_sub(1);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_sums_match_a_plain_array() {
        for len in [0usize, 1, 2, 3, 7, 8, 9, 33] {
            let mut tree = [0u32; 33];
            let tree = &mut tree[..len];
            let mut plain = [0u32; 33];
            let mut x = 12345u64;
            for _ in 0..200 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let pos = (x >> 33) as usize % (len + 2);
                if x & 1 == 0 || plain.get(pos).copied().unwrap_or(0) == 0 {
                    inc(tree, pos);
                    if pos < len {
                        plain[pos] += 1;
                    }
                } else {
                    dec(tree, pos);
                    plain[pos] -= 1;
                }
                for end in 0..=len + 1 {
                    let want: u32 = plain[..end.min(len)].iter().sum();
                    assert_eq!(prefix(tree, end), want, "len {len} end {end}");
                }
            }
        }
    }

    #[test]
    fn empty_tree_and_huge_positions() {
        let mut t: [u32; 0] = [];
        inc(&mut t, 0);
        dec(&mut t, usize::MAX);
        assert_eq!(prefix(&t, usize::MAX), 0);
        let mut t = [0u32; 4];
        inc(&mut t, usize::MAX);
        assert_eq!(prefix(&t, usize::MAX), 0);
    }
}
