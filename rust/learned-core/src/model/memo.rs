// SPDX-License-Identifier: GPL-2.0

//! A memo of a classifier's answers, for models whose input is 8 int8 features: the class an
//! MLP gave a feature vector, recalled instead of running the network again.
//!
//! Exact, not approximate: a loaded model never changes (a new model comes with a new memo),
//! it is a pure function of its input, and the memo recalls a class only for the very input it
//! was computed for. The features the eviction hook scores are log2 buckets, so the same
//! vectors come back again and again: in the simulator at 32 MiB (`lrn sim --trace T
//! --format oracleGeneral --cache-size 32MiB --policy learned`, `model_recalled` against
//! `hook_asked`, T from `lo-work trace W --mib 32 --seed 1`), 256 entries recall 49,612 of
//! 49,653 answers on lo-work's `scan`, 483,303 of 483,328 on `loop` and 25,583 of 26,809 on
//! `zipf`. Each recalled answer saves one inference (1,805 instructions with the shipped
//! model).
//!
//! # Layout
//!
//! The 8 features, as bytes, are one 64-bit key. [`mix64`] is a bijection, so its output
//! identifies the key: the low [`INDEX_BITS`] bits pick the entry, and the entry keeps the
//! other 56 as its tag, the class, and a bit that says it is in use, all in one atomic word.
//! A reader sees a whole entry or none: no lock, no torn read, callable from any context, and
//! concurrent writers only replace each other's entries.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use super::super::hash::mix64;

/// The number of input features the memo serves.
pub const MEMO_INPUTS: usize = 8;
/// log2 of the number of entries.
pub const INDEX_BITS: u32 = 8;
/// The number of entries (2 KiB).
pub const MEMO_ENTRIES: usize = 1 << INDEX_BITS;
/// Classes the memo can hold: `0..MAX_CLASS`, in bits 1..8 of an entry.
pub const MAX_CLASS: usize = 1 << 7;

/// An empty entry.
const EMPTY: u64 = 0;

/// A memo of classes (see the module docs).
#[derive(Debug)]
pub struct ClassMemo {
    entries: [AtomicU64; MEMO_ENTRIES],
}

impl Default for ClassMemo {
    fn default() -> Self {
        Self::new()
    }
}

/// The entry index and the tag of `features`.
fn slot(features: &[i8; MEMO_INPUTS]) -> (usize, u64) {
    let m = mix64(u64::from_le_bytes(features.map(|v| v as u8)));
    ((m as usize) & (MEMO_ENTRIES - 1), m >> INDEX_BITS)
}

impl ClassMemo {
    /// An empty memo.
    pub const fn new() -> Self {
        #[allow(clippy::declare_interior_mutable_const)]
        const E: AtomicU64 = AtomicU64::new(EMPTY);
        Self {
            entries: [E; MEMO_ENTRIES],
        }
    }

    /// The class remembered for `features`, if any. A hit only reads: callers count hits
    /// where their counters are (per CPU in the kernel).
    pub fn get(&self, features: &[i8; MEMO_INPUTS]) -> Option<usize> {
        let (i, tag) = slot(features);
        let e = self.entries.get(i)?.load(Relaxed);
        if e & 1 == 0 || e >> 8 != tag {
            return None;
        }
        Some(((e >> 1) & (MAX_CLASS as u64 - 1)) as usize)
    }

    /// Remembers that `features` got `class` (a class of [`MAX_CLASS`] or more is not kept).
    pub fn put(&self, features: &[i8; MEMO_INPUTS], class: usize) {
        if class >= MAX_CLASS {
            return;
        }
        let (i, tag) = slot(features);
        if let Some(e) = self.entries.get(i) {
            e.store(tag << 8 | (class as u64) << 1 | 1, Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pseudo-random feature vectors, with many repeats (few distinct values per feature).
    fn vectors(n: usize, spread: u64) -> impl Iterator<Item = [i8; 8]> {
        let mut x = 3u64;
        (0..n).map(move |_| {
            x = mix64(x.wrapping_add(0x9e37_79b9_7f4a_7c15));
            core::array::from_fn(|j| (((x >> (8 * j)) % spread) as u8).wrapping_sub(2) as i8)
        })
    }

    #[test]
    fn recalls_exactly_what_was_put_and_nothing_else() {
        let m = ClassMemo::new();
        let f = [1, -2, 3, 0, 127, -128, 5, 6];
        assert_eq!(m.get(&f), None);
        m.put(&f, 3);
        assert_eq!(m.get(&f), Some(3));
        // Every other vector that lands on the same entry misses: the tag is the rest of a
        // bijective hash, so only `f` matches it.
        let (i, _) = slot(&f);
        let mut same_entry = 0;
        for g in vectors(200_000, 256) {
            if g != f && slot(&g).0 == i {
                same_entry += 1;
                assert_eq!(m.get(&g), None, "{g:?}");
            }
        }
        assert!(same_entry > 100, "{same_entry}");
        // A new class for the same vector replaces the old one; a class too big is refused.
        m.put(&f, 0);
        assert_eq!(m.get(&f), Some(0));
        m.put(&f, MAX_CLASS);
        assert_eq!(m.get(&f), Some(0));
        m.put(&f, MAX_CLASS - 1);
        assert_eq!(m.get(&f), Some(MAX_CLASS - 1));
    }

    #[test]
    fn a_memoised_classifier_answers_as_the_classifier() {
        // A stand-in classifier: any pure function of the features.
        let class = |f: &[i8; 8]| (f.iter().map(|&v| i32::from(v)).sum::<i32>() & 3) as usize;
        let m = ClassMemo::new();
        let mut hits = 0u64;
        for f in vectors(50_000, 5) {
            let got = match m.get(&f) {
                Some(c) => {
                    hits += 1;
                    c
                }
                None => {
                    let c = class(&f);
                    m.put(&f, c);
                    c
                }
            };
            assert_eq!(got, class(&f));
        }
        // 5^8 = 390,625 possible vectors, 50,000 drawn: the memo recalls some but not all.
        assert!(hits > 0 && hits < 50_000, "{hits}");
    }
}
