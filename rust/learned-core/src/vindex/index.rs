// SPDX-License-Identifier: GPL-2.0

//! The index proper: segments over runs, lookups, invalidation (see the module docs of
//! [`super`]).

use super::{fit_by, Error, FitError, Run, Segment, MAX_EPSILON};

/// The most probes (run reads) one lookup makes at `epsilon`: the binary search over a window
/// of at most `2 epsilon + 2` runs takes at most `ceil(log2(2 epsilon + 2)) + 1` key
/// comparisons, and the verification one more read.
#[cfg(any(test, feature = "host"))]
pub const fn max_probes(epsilon: u32) -> u32 {
    let w = 2 * (epsilon as u64) + 2;
    // ceil(log2(w)) for w >= 2.
    (64 - (w - 1).leading_zeros()) + 2
}

/// The answer of one [`VIndex::lookup`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg(any(test, feature = "host"))]
pub struct Lookup {
    /// The frame, or `None`: not a page the index knows (walk the page table).
    pub pfn: Option<u64>,
    /// Runs read: key comparisons of the search, plus the verifying read (at most
    /// [`max_probes`]`(epsilon)`).
    pub probes: u32,
}

/// The totals of one [`VIndex::lookup_batch`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    /// Pages looked up: `min(vpns.len(), out.len())`.
    pub looked_up: usize,
    /// Of those, answered `Some`.
    pub found: usize,
    /// Runs read in all.
    pub probes: u64,
}

/// What a [`VIndex`] holds and what invalidation has removed from it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VIndexStats {
    /// Runs in use (dead ones included).
    pub runs: usize,
    /// Segments in use.
    pub segments: usize,
    /// Pages the index still answers for.
    pub pages: u64,
    /// [`VIndex::invalidate`] calls that removed at least one page.
    pub invalidations: u64,
    /// Pages removed because they were in an invalidated range.
    pub invalidated_pages: u64,
    /// Pages outside any invalidated range dropped with them (a range strictly inside a run
    /// splits it; the shorter side goes): still mapped, answered `None` until a rebuild.
    pub collateral_pages: u64,
    /// Runs emptied by invalidation.
    pub dead_runs: usize,
}

/// A [`VIndex`]'s state apart from its memory, to [`VIndex::resume`] it from (for a caller,
/// like a kernel object, that keeps the memory and the state side by side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VIndexState {
    epsilon: u32,
    stats: VIndexStats,
}

/// A learned virtual -> physical index over caller memory (see the module docs of
/// [`super`]).
///
/// INVARIANT (for a built index; a resumed one with foreign memory may break all but the
/// lengths, and then only answers `None` more often): `runs` is the used prefix, sorted by
/// `vpn` with strictly increasing starts and disjoint extents; `segs` the used prefix, fitted
/// on the runs' start pages at build time, the first starting at run 0; `stats.runs ==
/// runs.len()`, `stats.segments == segs.len()`, and both are 0 together.
#[derive(Debug)]
pub struct VIndex<'a> {
    runs: &'a mut [Run],
    segs: &'a mut [Segment],
    epsilon: u32,
    stats: VIndexStats,
}

/// The points the segments are fitted on: run `i`'s start page -> `i`.
fn point(runs: &[Run], i: usize) -> Option<(u64, u64)> {
    runs.get(i).map(|r| (r.vpn(), i as u64))
}

/// Checks that `runs` are live, sorted and disjoint; returns their pages.
fn check_runs(runs: &[Run]) -> Result<u64, Error> {
    let mut end: Option<u64> = None;
    let mut pages = 0u64;
    for r in runs {
        if r.is_empty() {
            return Err(Error::BadRun);
        }
        if end.is_some_and(|e| r.vpn() < e) {
            return Err(Error::Unsorted);
        }
        end = Some(r.end());
        pages = pages.saturating_add(r.len());
    }
    Ok(pages)
}

fn fit_error(e: FitError) -> Error {
    match e {
        FitError::OutOfRoom => Error::SegmentsTooSmall,
        // Unreachable for checked runs (and no points is handled before fitting).
        FitError::Unsorted | FitError::Empty | FitError::PositionTooLarge => Error::Unsorted,
    }
}

impl<'a> VIndex<'a> {
    /// The segments needed to index `runs` (sorted, disjoint, live) at `epsilon`: at most
    /// `runs.len()`, typically far fewer. `O(runs)`.
    pub fn segments_for(runs: &[Run], epsilon: u32) -> Result<usize, Error> {
        if epsilon > MAX_EPSILON {
            return Err(Error::BadEpsilon);
        }
        check_runs(runs)?;
        if runs.is_empty() {
            return Ok(0);
        }
        fit_by(|i| point(runs, i), epsilon, |_, _| Ok(())).map_err(fit_error)
    }

    /// The bytes `runs` runs and `segments` segments take.
    pub const fn bytes_for(runs: usize, segments: usize) -> usize {
        let r = runs.saturating_mul(core::mem::size_of::<Run>());
        r.saturating_add(segments.saturating_mul(core::mem::size_of::<Segment>()))
    }

    /// Builds the index over `runs[..n_runs]` (sorted, disjoint, live: as [`super::compress`]
    /// or [`super::RunBuilder`] leave them), fitting segments into `segs` (at least
    /// [`Self::segments_for`] of them). `O(n_runs)`.
    pub fn build(
        runs: &'a mut [Run],
        n_runs: usize,
        segs: &'a mut [Segment],
        epsilon: u32,
    ) -> Result<Self, Error> {
        if epsilon > MAX_EPSILON {
            return Err(Error::BadEpsilon);
        }
        let runs = runs.get_mut(..n_runs).ok_or(Error::RunsTooSmall)?;
        let pages = check_runs(runs)?;
        let n_segs = if runs.is_empty() {
            0
        } else {
            let all = &runs[..];
            fit_by(
                |i| point(all, i),
                epsilon,
                |k, s| {
                    *segs.get_mut(k).ok_or(FitError::OutOfRoom)? = s;
                    Ok(())
                },
            )
            .map_err(fit_error)?
        };
        let segs = segs.get_mut(..n_segs).ok_or(Error::SegmentsTooSmall)?;
        Ok(Self {
            stats: VIndexStats {
                runs: runs.len(),
                segments: segs.len(),
                pages,
                ..VIndexStats::default()
            },
            runs,
            segs,
            epsilon,
        })
    }

    /// [`super::compress`]es `pages` (sorted `(vpn, pfn)`) into `runs` (at least
    /// [`super::count_runs`]) and builds the index over them with `segs`.
    #[cfg(any(test, feature = "host"))]
    pub fn from_pages(
        pages: &[(u64, u64)],
        runs: &'a mut [Run],
        segs: &'a mut [Segment],
        epsilon: u32,
    ) -> Result<Self, Error> {
        let n = super::compress(pages, runs)?;
        Self::build(runs, n, segs, epsilon)
    }

    /// The state to [`Self::resume`] from.
    pub fn state(&self) -> VIndexState {
        VIndexState {
            epsilon: self.epsilon,
            stats: self.stats,
        }
    }

    /// The index `state` came from, over the same memory, unchanged since: `O(1)`. Given other
    /// memory it answers `None` more often (never a frame a run does not map), and stays
    /// panic-free; given memory shorter than the state's, [`Error::BadState`].
    pub fn resume(
        runs: &'a mut [Run],
        segs: &'a mut [Segment],
        state: VIndexState,
    ) -> Result<Self, Error> {
        let st = state.stats;
        if state.epsilon > MAX_EPSILON || (st.runs == 0) != (st.segments == 0) {
            return Err(Error::BadState);
        }
        Ok(Self {
            runs: runs.get_mut(..st.runs).ok_or(Error::BadState)?,
            segs: segs.get_mut(..st.segments).ok_or(Error::BadState)?,
            epsilon: state.epsilon,
            stats: st,
        })
    }

    /// The error bound the segments were fitted with.
    pub fn epsilon(&self) -> u32 {
        self.epsilon
    }

    /// The runs in use (dead ones included).
    #[cfg(any(test, feature = "host"))]
    pub fn runs(&self) -> &[Run] {
        self.runs
    }

    /// The segments in use.
    #[cfg(any(test, feature = "host"))]
    pub fn segments(&self) -> &[Segment] {
        self.segs
    }

    /// Counts and what invalidation removed.
    pub fn stats(&self) -> VIndexStats {
        self.stats
    }

    /// Whether invalidation has removed pages since the build (the owner may rebuild when it
    /// next walks the page table).
    pub fn needs_rebuild(&self) -> bool {
        self.stats.invalidations > 0
    }

    /// The bytes of the runs and segments in use: `16 runs + 24 segments`.
    pub fn memory_bytes(&self) -> usize {
        Self::bytes_for(self.runs.len(), self.segs.len())
    }

    /// The window of run positions `[lo, hi]` that holds the last run starting at or below
    /// `vpn`, if any run can hold `vpn` (see the module docs).
    #[inline]
    fn window(&self, vpn: u64) -> Option<(usize, usize)> {
        // The last segment starting at or below vpn.
        let k = self
            .segs
            .partition_point(|s| s.start_key <= vpn)
            .checked_sub(1)?;
        let seg = self.segs.get(k)?;
        let last = self.runs.len().checked_sub(1)?;
        // Clamp to the next segment's first run (its exact position), else to the last run.
        let cap = match self.segs.get(k.wrapping_add(1)) {
            Some(next) => usize::try_from(next.intercept).unwrap_or(0).min(last),
            None => last,
        };
        let pos = usize::try_from(seg.eval(vpn).max(0))
            .unwrap_or(usize::MAX)
            .min(cap);
        let eps = self.epsilon as usize;
        Some((
            pos.saturating_sub(eps.saturating_add(1)),
            pos.saturating_add(eps).min(last),
        ))
    }

    /// The run covering `vpn` (its position), if the index knows `vpn`, and the runs read.
    #[inline]
    fn find(&self, vpn: u64) -> (Option<usize>, u32) {
        let mut probes = 0u32;
        let Some((lo, hi)) = self.window(vpn) else {
            return (None, probes);
        };
        // The last run in [lo, hi] starting at or below vpn: the core library's binary search
        // (at most `ceil(log2(size)) + 1` comparisons; branch-free halving in current
        // versions, so random lookups do not pay a mispredicted branch per step), counted.
        let Some(w) = self.runs.get(lo..=hi) else {
            return (None, probes);
        };
        let after = w.partition_point(|r| {
            probes += 1;
            r.vpn() <= vpn
        });
        // Only that run can cover vpn.
        let Some(i) = after.checked_sub(1) else {
            return (None, probes);
        };
        probes += 1;
        let covers = w.get(i).is_some_and(|r| r.translate(vpn).is_some());
        (covers.then_some(lo.saturating_add(i)), probes)
    }

    /// The frame `vpn` maps to, or `None` if the index does not know it (not mapped, mapped
    /// since the build, or invalidated since): never a frame `vpn` was not mapped to at build
    /// time, nor one invalidated since. With the number of runs read.
    #[inline]
    #[cfg(any(test, feature = "host"))]
    pub fn lookup(&self, vpn: u64) -> Lookup {
        let (i, probes) = self.find(vpn);
        Lookup {
            pfn: i
                .and_then(|i| self.runs.get(i))
                .and_then(|r| r.translate(vpn)),
            probes,
        }
    }

    /// [`Self::lookup`] without the probe count.
    #[inline]
    #[cfg(any(test, feature = "host"))]
    pub fn translate(&self, vpn: u64) -> Option<u64> {
        self.lookup(vpn).pfn
    }

    /// The run covering `vpn` by binary search over all the runs, without the model: the
    /// conventional structure the learned window is measured against (same runs, same
    /// answers), with the runs read.
    #[inline]
    fn search(&self, vpn: u64) -> (Option<usize>, u32) {
        let mut probes = 0u32;
        let after = self.runs.partition_point(|r| {
            probes += 1;
            r.vpn() <= vpn
        });
        let Some(i) = after.checked_sub(1) else {
            return (None, probes);
        };
        probes += 1;
        let covers = self.runs.get(i).is_some_and(|r| r.translate(vpn).is_some());
        (covers.then_some(i), probes)
    }

    /// Looks up `vpns[i]` into `out[i]` for every `i` both have. A page inside the run that
    /// answered the page before it is answered from that run with one read (sequential and
    /// fault-around batches mostly are).
    pub fn lookup_batch(&self, vpns: &[u64], out: &mut [Option<u64>]) -> Batch {
        self.batch(vpns, out, Self::find)
    }

    /// [`Self::lookup_batch`] by binary search over the runs instead of the learned segments:
    /// the same answers from the same runs, for comparison (`make bench-vindex`).
    pub fn search_batch(&self, vpns: &[u64], out: &mut [Option<u64>]) -> Batch {
        self.batch(vpns, out, Self::search)
    }

    /// A batch of lookups, each by `find` unless the previous answer's run covers it.
    #[inline]
    fn batch(
        &self,
        vpns: &[u64],
        out: &mut [Option<u64>],
        find: impl Fn(&Self, u64) -> (Option<usize>, u32),
    ) -> Batch {
        let mut b = Batch::default();
        let mut last: Option<&Run> = None;
        for (&vpn, slot) in vpns.iter().zip(out.iter_mut()) {
            b.looked_up += 1;
            let mut pfn = last.and_then(|r| r.translate(vpn));
            if pfn.is_some() {
                b.probes += 1;
            } else {
                let (i, probes) = find(self, vpn);
                b.probes += u64::from(probes);
                last = i.and_then(|i| self.runs.get(i));
                pfn = last.and_then(|r| r.translate(vpn));
            }
            b.found += usize::from(pfn.is_some());
            *slot = pfn;
        }
        b
    }

    /// Removes every page of `[start, end)` from the index, in place (see the module docs):
    /// afterwards no lookup in the range answers `Some`. Returns the pages removed from the
    /// range (collateral pages are counted in [`VIndexStats::collateral_pages`] only).
    /// `O(log runs + runs touched)`.
    pub fn invalidate(&mut self, start: u64, end: u64) -> u64 {
        if start >= end || self.runs.is_empty() {
            return 0;
        }
        let first = self.runs.first().map_or(0, |r| r.vpn());
        let last_end = self.runs.last().map_or(0, |r| r.end());
        let st = &mut self.stats;
        let mut removed = 0u64;
        if start <= first && end >= last_end {
            // Everything goes: empty the index in O(1).
            removed = st.pages;
            st.pages = 0;
            st.runs = 0;
            st.segments = 0;
            st.dead_runs = 0;
            self.runs = &mut [];
            self.segs = &mut [];
        } else {
            // A run starting at or before `start` can only be the last such one.
            let from = self
                .runs
                .partition_point(|r| r.vpn() <= start)
                .saturating_sub(1);
            for r in self.runs.iter_mut().skip(from) {
                if r.vpn() >= end {
                    break;
                }
                let (rs, re, len) = (r.vpn(), r.end(), r.len());
                if len == 0 || re <= start {
                    continue;
                }
                // The run overlaps the range: `head` pages before it, `tail` after it.
                let head = start.saturating_sub(rs);
                let tail = re.saturating_sub(end);
                // Keep the longer side; a range strictly inside drops the shorter one.
                *r = if head >= tail {
                    r.keep(rs, start)
                } else {
                    r.keep(end, re)
                };
                let gone = len.saturating_sub(head).saturating_sub(tail);
                let dropped = head.min(tail);
                removed = removed.saturating_add(gone);
                st.collateral_pages = st.collateral_pages.saturating_add(dropped);
                st.pages = st.pages.saturating_sub(gone.saturating_add(dropped));
                st.dead_runs = st.dead_runs.saturating_add(usize::from(r.is_empty()));
            }
        }
        st.invalidated_pages = st.invalidated_pages.saturating_add(removed);
        st.invalidations = st.invalidations.saturating_add(u64::from(removed > 0));
        removed
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{compress, count_runs, MAX_PFN, MAX_VPN};
    use super::*;
    use std::collections::BTreeMap;
    use std::vec;
    use std::vec::Vec;

    /// Memory for `pages`, sized as the docs tell a caller to.
    fn mem(pages: &[(u64, u64)], eps: u32) -> (Vec<Run>, usize, Vec<Segment>) {
        let n = count_runs(pages).unwrap();
        let mut runs = vec![Run::EMPTY; n];
        assert_eq!(compress(pages, &mut runs), Ok(n));
        let segs = vec![Segment::default(); VIndex::segments_for(&runs, eps).unwrap()];
        (runs, n, segs)
    }

    /// Every page in `lo..hi` answers as `reference` says, within the probe bound.
    fn check(ix: &VIndex, reference: &BTreeMap<u64, u64>, lo: u64, hi: u64) {
        for v in lo..hi {
            let l = ix.lookup(v);
            assert_eq!(l.pfn, reference.get(&v).copied(), "vpn {v}");
            assert!(l.probes <= max_probes(ix.epsilon()), "vpn {v}: {l:?}");
        }
    }

    /// Pages with gaps and frame jumps every few pages, sizes varying with `seed`.
    fn pages(n: u64, seed: u64) -> Vec<(u64, u64)> {
        let (mut v, mut p) = (1000u64, 50u64);
        (0..n)
            .map(|i| {
                let h = super::super::super::hash::mix64(seed ^ i);
                v += 1 + u64::from(h % 7 == 3) * (h >> 60);
                p = if h % 5 == 2 {
                    (h >> 20) % 100_000
                } else {
                    p + 1
                };
                (v, p)
            })
            .collect()
    }

    #[test]
    fn lookups_match_the_pages() {
        for eps in [0, 1, 3, 16, 64] {
            for seed in 0..3 {
                let pages = pages(3000, seed);
                let reference: BTreeMap<u64, u64> = pages.iter().copied().collect();
                let (mut runs, n, mut segs) = mem(&pages, eps);
                let ix = VIndex::build(&mut runs, n, &mut segs, eps).unwrap();
                assert_eq!(ix.stats().pages, 3000);
                assert!(ix.stats().segments <= n);
                check(&ix, &reference, 0, pages.last().unwrap().0 + 100);
                check(&ix, &reference, u64::MAX - 3, u64::MAX);
            }
        }
    }

    #[test]
    fn max_probes_is_the_window_search() {
        assert_eq!(max_probes(0), 3); // window 2: 1 + 1 comparisons, 1 verification
        assert_eq!(max_probes(1), 4); // window 4: 2 + 1, 1
        assert_eq!(max_probes(2), 5); // window 6: 3 + 1, 1
        assert_eq!(max_probes(64), 10); // window 130: 8 + 1, 1
        assert_eq!(max_probes(MAX_EPSILON), 16); // window 8194: 14 + 1, 1
    }

    #[test]
    fn empty_and_single() {
        let mut runs = [Run::EMPTY; 1];
        let mut segs = [Segment::default(); 1];
        let ix = VIndex::build(&mut runs, 0, &mut segs, 8).unwrap();
        assert_eq!(ix.lookup(0), Lookup::default());
        assert_eq!(ix.memory_bytes(), 0);
        runs[0] = Run::new(MAX_VPN, MAX_PFN, 1).unwrap();
        let mut ix = VIndex::build(&mut runs, 1, &mut segs, 0).unwrap();
        assert_eq!(ix.translate(MAX_VPN), Some(MAX_PFN));
        assert_eq!(ix.translate(MAX_VPN - 1), None);
        assert_eq!(ix.translate(u64::MAX), None);
        assert_eq!(ix.memory_bytes(), 40);
        assert_eq!(ix.invalidate(0, u64::MAX), 1);
        assert_eq!(ix.translate(MAX_VPN), None);
        assert!(ix.needs_rebuild());
    }

    #[test]
    fn errors_not_panics() {
        let a = Run::new(10, 0, 5).unwrap();
        let b = Run::new(12, 100, 5).unwrap();
        let mut segs = [Segment::default(); 4];
        assert_eq!(
            VIndex::build(&mut [a, b], 2, &mut segs, 1).err(),
            Some(Error::Unsorted)
        );
        assert_eq!(
            VIndex::build(&mut [b, a], 2, &mut segs, 1).err(),
            Some(Error::Unsorted)
        );
        assert_eq!(
            VIndex::build(&mut [a, Run::EMPTY], 2, &mut segs, 1).err(),
            Some(Error::BadRun)
        );
        assert_eq!(
            VIndex::build(&mut [a], 2, &mut segs, 1).err(),
            Some(Error::RunsTooSmall)
        );
        assert_eq!(
            VIndex::build(&mut [a], 1, &mut segs, MAX_EPSILON + 1).err(),
            Some(Error::BadEpsilon)
        );
        assert_eq!(
            VIndex::segments_for(&[a], MAX_EPSILON + 1),
            Err(Error::BadEpsilon)
        );
        // Quadratic start pages need many segments at epsilon 0.
        let pages: Vec<(u64, u64)> = (0..50u64).map(|i| (i * i * 3, i * 7)).collect();
        let (mut runs, n, _) = mem(&pages, 0);
        let need = VIndex::segments_for(&runs, 0).unwrap();
        assert!(need > 2);
        let mut few = vec![Segment::default(); need - 1];
        assert_eq!(
            VIndex::build(&mut runs, n, &mut few, 0).err(),
            Some(Error::SegmentsTooSmall)
        );
        let mut runs = [Run::EMPTY; 1];
        assert_eq!(
            VIndex::from_pages(&[(1, 1), (3, 1), (2, 1)], &mut runs, &mut segs, 1).err(),
            Some(Error::Unsorted)
        );
    }

    #[test]
    fn invalidation_trims_splits_and_kills() {
        // Runs [100, 200) -> 1000.., [300, 310) -> 5.., [400, 401) -> 9.
        let mut pages: Vec<(u64, u64)> = (100..200).map(|v| (v, v + 900)).collect();
        pages.extend((300..310).map(|v| (v, v - 295)));
        pages.push((400, 9));
        let mut reference: BTreeMap<u64, u64> = pages.iter().copied().collect();
        let (mut runs, n, mut segs) = mem(&pages, 2);
        let mut ix = VIndex::build(&mut runs, n, &mut segs, 2).unwrap();
        assert!(!ix.needs_rebuild());
        // Nothing there.
        assert_eq!(ix.invalidate(250, 300), 0);
        assert_eq!(ix.invalidate(5, 5), 0);
        assert!(!ix.needs_rebuild());
        // Strictly inside, head longer: keep [100, 150), drop [160, 200) as collateral.
        assert_eq!(ix.invalidate(150, 160), 10);
        for v in 150..200 {
            reference.remove(&v);
        }
        check(&ix, &reference, 0, 500);
        assert_eq!(ix.stats().collateral_pages, 40);
        // Head cut: [300, 310) becomes [305, 310).
        assert_eq!(ix.invalidate(290, 305), 5);
        for v in 300..305 {
            reference.remove(&v);
        }
        check(&ix, &reference, 0, 500);
        // Strictly inside, tail longer: keep [103, 150).
        assert_eq!(ix.invalidate(101, 103), 2);
        for v in 100..103 {
            reference.remove(&v);
        }
        check(&ix, &reference, 0, 500);
        // Whole run and a tail across two runs.
        assert_eq!(ix.invalidate(140, 401), 10 + 5 + 1);
        reference.retain(|&v, _| !(140..401).contains(&v));
        check(&ix, &reference, 0, 500);
        let st = ix.stats();
        assert_eq!(st.pages, reference.len() as u64);
        assert_eq!(st.invalidated_pages, 10 + 5 + 2 + 16);
        assert_eq!(st.collateral_pages, 40 + 1);
        assert_eq!(st.invalidations, 4);
        assert_eq!(st.dead_runs, 2);
        // Everything.
        assert_eq!(ix.invalidate(0, 1 << 40), 37);
        check(&ix, &BTreeMap::new(), 0, 500);
        assert_eq!(ix.stats().runs, 0);
    }

    #[test]
    fn resume_round_trips_and_rejects_short_memory() {
        let pages = pages(500, 9);
        let reference: BTreeMap<u64, u64> = pages.iter().copied().collect();
        let (mut runs, n, mut segs) = mem(&pages, 4);
        let state = VIndex::build(&mut runs, n, &mut segs, 4).unwrap().state();
        let ix = VIndex::resume(&mut runs, &mut segs, state).unwrap();
        check(&ix, &reference, 0, pages.last().unwrap().0 + 10);
        let ns = segs.len();
        assert_eq!(
            VIndex::resume(&mut runs, &mut segs[..ns - 1], state).err(),
            Some(Error::BadState)
        );
        // Foreign memory: wrong answers are impossible, only misses.
        let mut other = vec![Run::EMPTY; n];
        for (i, r) in other.iter_mut().enumerate() {
            *r = Run::new(i as u64 * 3, 7, 2).unwrap();
        }
        let ix = VIndex::resume(&mut other, &mut segs, state).unwrap();
        for v in 0..4000u64 {
            if let Some(p) = ix.translate(v) {
                assert_eq!(p, 7 + v % 3);
            }
        }
    }
}
