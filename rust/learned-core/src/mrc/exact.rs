// SPDX-License-Identifier: GPL-2.0

//! The exact LRU miss-ratio curve: Mattson's stack algorithm (Mattson et al., "Evaluation
//! techniques for storage hierarchies", IBM Systems Journal, 1970), one pass over the trace.
//!
//! Every access's stack distance comes from [`Recency`] over one slot per distinct key, found
//! through an [`Index`]; its bucket in the [`Hist`] gets weight 1. An LRU cache of `c`
//! objects hits exactly the accesses at distance `<= c`, so the curve is exact at every
//! candidate size at once.
//!
//! Memory: per distinct key a `u64` slot and [`Exact::words_for`] `u32` words (the index's
//! buckets, at most 4 per key, and the recency structure's 9): at most 60 bytes per key. Work
//! per access: `O(log keys)` worst case, plus the index probe (expected `O(1)`).
//!
//! Give it a slot per distinct key of the trace. If it runs out, accesses to the keys it
//! could not store are counted as misses at every size and in [`ExactStats::untracked`], and
//! the keys it holds get distances too short (the untracked keys are missing from the
//! stack): the curve is then neither exact nor a bound on the true one.

use super::hist::{Correction, Hist};
use super::index::Index;
use super::recency::{Recency, MAX_CAPACITY};
use super::{carve, Error};

/// Counters of an [`Exact`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactStats {
    /// Accesses seen.
    pub accesses: u64,
    /// Distinct keys held (one slot each).
    pub keys: u32,
    /// First accesses to a key (misses at every size).
    pub cold: u64,
    /// Accesses to keys that found no free slot (0 while the curve is exact).
    pub untracked: u64,
}

/// The exact LRU miss-ratio curve over caller memory.
pub struct Exact<'a> {
    keys: &'a mut [u64],
    index: Index<'a>,
    recency: Recency<'a>,
    hist: Hist<'a>,
    stats: ExactStats,
}

impl<'a> Exact<'a> {
    /// The `u32` words an [`Exact`] for `keys` distinct keys needs.
    pub const fn words_for(keys: u32) -> usize {
        Index::buckets_for(keys as usize).saturating_add(Recency::words_for(keys))
    }

    /// An empty estimator with one slot per element of `keys`, over `words` (at least
    /// [`Self::words_for`]`(keys.len())`), for the candidate sizes `sizes` (strictly
    /// ascending, non-zero; in objects), counting into `hist` (at least
    /// [`Hist::buckets_for`]`(sizes.len())` elements).
    pub fn new(
        keys: &'a mut [u64],
        words: &'a mut [u32],
        sizes: &'a [u32],
        hist: &'a mut [u64],
    ) -> Result<Self, Error> {
        let hist = Hist::new(sizes, hist)?;
        if keys.is_empty() {
            return Err(Error::ZeroCapacity);
        }
        let cap = u32::try_from(keys.len())
            .ok()
            .filter(|&c| c <= MAX_CAPACITY)
            .ok_or(Error::CapacityTooLarge)?;
        if words.len() < Self::words_for(cap) {
            return Err(Error::StorageTooSmall);
        }
        let (buckets, rest) =
            carve(words, Index::buckets_for(cap as usize)).ok_or(Error::StorageTooSmall)?;
        let index = Index::new(buckets, cap as usize, 0)?;
        let recency = Recency::new(rest, cap)?;
        Ok(Self {
            keys,
            index,
            recency,
            hist,
            stats: ExactStats::default(),
        })
    }

    /// Processes one access to `key`.
    pub fn access(&mut self, key: u64) {
        let st = &mut self.stats;
        st.accesses = st.accesses.saturating_add(1);
        let h = self.index.hash(key);
        let keys = &*self.keys;
        let found = self.index.find(key, h, |s| keys.get(s as usize).copied());
        if let Some(slot) = found {
            match self.recency.touch(slot) {
                Some(d) => self.hist.add_distance(u64::from(d).saturating_add(1), 1),
                None => self.hist.add_miss(1),
            }
            return;
        }
        self.hist.add_miss(1);
        st.cold = st.cold.saturating_add(1);
        let slot = st.keys;
        let Some(k) = self.keys.get_mut(slot as usize) else {
            st.untracked = st.untracked.saturating_add(1);
            return;
        };
        // The index has more buckets than there are slots, so this insertion succeeds.
        *k = key;
        self.index.insert(slot, h);
        self.recency.touch(slot);
        st.keys = slot.saturating_add(1);
    }

    /// The counters.
    pub fn stats(&self) -> ExactStats {
        self.stats
    }

    /// Writes the number of misses of an LRU cache of each candidate size into `out`; returns
    /// how many it wrote (`min(out.len(), sizes.len())`).
    pub fn misses(&self, out: &mut [u64]) -> usize {
        self.hist
            .misses(self.stats.accesses, Correction::default(), out)
    }

    /// Writes the miss ratio at each candidate size, in parts per million, into `out`;
    /// returns how many it wrote (`min(out.len(), sizes.len())`).
    pub fn curve(&self, out: &mut [u32]) -> usize {
        self.hist
            .curve(self.stats.accesses, Correction::default(), out)
    }

    /// Forgets everything seen: `O(keys)`.
    pub fn reset(&mut self) {
        self.index.clear();
        self.recency.clear();
        self.hist.clear();
        self.stats = ExactStats::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(trace: &[u64], sizes: &[u32], keys: usize) -> ([u64; 4], ExactStats) {
        extern crate std;
        let mut k = std::vec![0u64; keys];
        let mut w = std::vec![0u32; Exact::words_for(keys as u32)];
        let mut h = [0u64; 5];
        let mut e = Exact::new(&mut k, &mut w, sizes, &mut h).unwrap();
        for &x in trace {
            e.access(x);
        }
        let mut out = [0u64; 4];
        e.misses(&mut out);
        (out, e.stats())
    }

    #[test]
    fn textbook_trace() {
        // 1 2 3 1 4 2 1 3: distances inf inf inf 3 inf 4 3 4.
        let (m, st) = run(&[1, 2, 3, 1, 4, 2, 1, 3], &[1, 2, 3, 4], 8);
        assert_eq!(m, [8, 8, 6, 4]);
        assert_eq!((st.accesses, st.keys, st.cold, st.untracked), (8, 4, 4, 0));
    }

    #[test]
    fn same_key_and_too_few_slots() {
        let (m, _) = run(&[7; 10], &[1, 2, 3, 4], 1);
        assert_eq!(m, [1, 1, 1, 1]);
        // Two slots for three keys: key 3 is never tracked, so it always misses.
        let (m, st) = run(&[1, 2, 3, 1, 2, 3], &[1, 2, 3, 4], 2);
        assert_eq!(st.untracked, 2);
        assert_eq!(m, [6, 4, 4, 4]);
    }

    #[test]
    fn rejects_bad_arguments() {
        let mut k = [0u64; 4];
        let mut w = [0u32; 64];
        let mut h = [0u64; 3];
        assert_eq!(
            Exact::new(&mut k, &mut w, &[], &mut h).err(),
            Some(Error::NoSizes)
        );
        assert_eq!(
            Exact::new(&mut k, &mut w, &[3, 1], &mut h).err(),
            Some(Error::SizesNotAscending)
        );
        assert_eq!(
            Exact::new(&mut k, &mut w[..4], &[1, 3], &mut h).err(),
            Some(Error::StorageTooSmall)
        );
        assert_eq!(
            Exact::new(&mut [], &mut w, &[1, 3], &mut h).err(),
            Some(Error::ZeroCapacity)
        );
        let mut e = Exact::new(&mut k, &mut w, &[1, 3], &mut h).unwrap();
        e.access(1);
        e.access(1);
        let mut c = [0u32; 2];
        assert_eq!(e.curve(&mut c), 2);
        assert_eq!(c, [500_000, 500_000]);
        e.reset();
        assert_eq!(e.stats(), ExactStats::default());
        assert_eq!(e.curve(&mut c), 2);
        assert_eq!(c, [0, 0]);
    }
}
