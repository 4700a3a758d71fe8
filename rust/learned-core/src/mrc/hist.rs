// SPDX-License-Identifier: GPL-2.0

//! The stack-distance histogram both estimators fill, bucketed by the candidate cache sizes,
//! and the miss-ratio curve read off it.
//!
//! With candidate sizes `s_0 < s_1 < ... < s_{n-1}` (in objects), bucket `i < n` collects the
//! accesses whose (1-based) stack distance `D` has `s_{i-1} < D <= s_i` (`s_{-1} = 0`): they
//! hit in an LRU cache of `s_i` objects and of every larger candidate, and miss in the smaller
//! ones. Bucket `n` collects the rest: distances past the largest size, and first accesses
//! (infinite distance). So the misses at size `s_j` are the total minus buckets `0..=j`.
//!
//! Each access adds a weight: 1 for [`super::exact`], a fixed-point `1/R` for
//! [`super::shards`].

use super::{ratio_ppm, Error};

/// A histogram over caller memory: the sizes (borrowed) and `sizes.len() + 1` counts.
pub struct Hist<'a> {
    sizes: &'a [u32],
    counts: &'a mut [u64],
}

/// A signed correction of the hits: `add - sub` more hits at every size (SHARDS_adj).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Correction {
    /// Hits to add.
    pub add: u64,
    /// Hits to subtract.
    pub sub: u64,
}

impl<'a> Hist<'a> {
    /// The number of counts a histogram over `n` candidate sizes needs: `n + 1`.
    pub const fn buckets_for(n: usize) -> usize {
        n.saturating_add(1)
    }

    /// Checks a candidate-size list: non-empty, no zero, strictly ascending.
    pub fn check_sizes(sizes: &[u32]) -> Result<(), Error> {
        if sizes.is_empty() {
            return Err(Error::NoSizes);
        }
        if sizes.contains(&0) {
            return Err(Error::ZeroSize);
        }
        if sizes.windows(2).any(|w| w.first() >= w.get(1)) {
            return Err(Error::SizesNotAscending);
        }
        Ok(())
    }

    /// An empty histogram (the counts are cleared) over `sizes` and `counts`.
    pub fn new(sizes: &'a [u32], counts: &'a mut [u64]) -> Result<Self, Error> {
        let mut h = Self::resume(sizes, counts)?;
        h.clear();
        Ok(h)
    }

    /// The histogram over `sizes` and `counts` as it was left, counts kept.
    pub fn resume(sizes: &'a [u32], counts: &'a mut [u64]) -> Result<Self, Error> {
        Self::check_sizes(sizes)?;
        let n = Self::buckets_for(sizes.len());
        let counts = counts.get_mut(..n).ok_or(Error::HistTooSmall)?;
        Ok(Self { sizes, counts })
    }

    /// The candidate sizes.
    #[cfg(any(test, feature = "host"))]
    pub fn sizes(&self) -> &[u32] {
        self.sizes
    }

    /// The raw counts: one bucket per size, then the misses at every size.
    #[cfg(any(test, feature = "host"))]
    pub fn counts(&self) -> &[u64] {
        self.counts
    }

    /// Zeroes every count.
    pub fn clear(&mut self) {
        for c in self.counts.iter_mut() {
            *c = 0;
        }
    }

    /// Divides every count by `2^shift` (rounding down; 0 for a shift of 64 or more).
    pub fn shift_down(&mut self, shift: u32) {
        for c in self.counts.iter_mut() {
            *c = c.checked_shr(shift).unwrap_or(0);
        }
    }

    /// Adds `weight` to the bucket of 1-based stack distance `distance`: `O(log n)`.
    pub fn add_distance(&mut self, distance: u64, weight: u64) {
        let i = self.sizes.partition_point(|&s| u64::from(s) < distance);
        self.add_bucket(i, weight);
    }

    /// Adds `weight` to the last bucket: an access that misses at every size.
    pub fn add_miss(&mut self, weight: u64) {
        self.add_bucket(self.sizes.len(), weight);
    }

    fn add_bucket(&mut self, i: usize, weight: u64) {
        if let Some(c) = self.counts.get_mut(i) {
            *c = c.saturating_add(weight);
        }
    }

    /// The sum of all counts (saturating).
    pub fn total(&self) -> u64 {
        self.counts.iter().fold(0u64, |a, &c| a.saturating_add(c))
    }

    /// The misses at each size: `total` minus the corrected hits, clamped to `0..=total`.
    fn corrected_misses(&self, total: u64, fix: Correction) -> impl Iterator<Item = u64> + '_ {
        self.counts
            .iter()
            .take(self.sizes.len())
            .scan(0u64, move |hits, &c| {
                *hits = hits.saturating_add(c);
                let fixed = hits
                    .saturating_add(fix.add)
                    .saturating_sub(fix.sub)
                    .min(total);
                Some(total - fixed)
            })
    }

    /// Writes the misses at each size (`total` minus the corrected hits, clamped to
    /// `0..=total`) into `out`, one per size; returns how many it wrote
    /// (`min(out.len(), sizes.len())`).
    #[cfg(any(test, feature = "host"))]
    pub fn misses(&self, total: u64, fix: Correction, out: &mut [u64]) -> usize {
        out.iter_mut()
            .zip(self.corrected_misses(total, fix))
            .map(|(o, m)| *o = m)
            .count()
    }

    /// Writes the miss ratio at each size, in parts per million of `total`, into `out`, as
    /// [`Self::misses`] does; returns how many it wrote.
    pub fn curve(&self, total: u64, fix: Correction, out: &mut [u32]) -> usize {
        out.iter_mut()
            .zip(self.corrected_misses(total, fix))
            .map(|(o, m)| *o = ratio_ppm(m, total))
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_curve() {
        let sizes = [2u32, 4, 8];
        let mut counts = [9u64; 4];
        let mut h = Hist::new(&sizes, &mut counts).unwrap();
        assert_eq!(h.total(), 0);
        for d in [1u64, 2, 3, 4, 5, 8, 9, 100] {
            h.add_distance(d, 1);
        }
        h.add_miss(2);
        assert_eq!(h.counts(), &[2, 2, 2, 4]);
        let mut out = [0u32; 3];
        assert_eq!(h.curve(10, Correction::default(), &mut out), 3);
        assert_eq!(out, [800_000, 600_000, 400_000]);
        let mut m = [0u64; 5];
        assert_eq!(h.misses(10, Correction { add: 1, sub: 0 }, &mut m), 3);
        assert_eq!(m, [7, 5, 3, 0, 0]);
        assert_eq!(h.misses(10, Correction { add: 0, sub: 5 }, &mut m), 3);
        assert_eq!(&m[..3], &[10, 10, 9]);
        assert_eq!(h.misses(10, Correction { add: 99, sub: 0 }, &mut m), 3);
        assert_eq!(&m[..3], &[0, 0, 0]);
        let mut short = [0u32; 1];
        assert_eq!(h.curve(10, Correction::default(), &mut short), 1);
        assert_eq!(h.curve(0, Correction::default(), &mut out), 3);
        assert_eq!(out, [0, 0, 0]);
    }

    #[test]
    fn rejects_bad_sizes_and_memory() {
        let mut c = [0u64; 4];
        assert_eq!(Hist::new(&[], &mut c).err(), Some(Error::NoSizes));
        assert_eq!(Hist::new(&[0, 1], &mut c).err(), Some(Error::ZeroSize));
        assert_eq!(
            Hist::new(&[2, 1], &mut c).err(),
            Some(Error::SizesNotAscending)
        );
        assert_eq!(
            Hist::new(&[2, 2], &mut c).err(),
            Some(Error::SizesNotAscending)
        );
        assert_eq!(
            Hist::new(&[1, 2, 3, 4], &mut c).err(),
            Some(Error::HistTooSmall)
        );
        assert!(Hist::new(&[1, 2, 3], &mut c).is_ok());
    }
}
