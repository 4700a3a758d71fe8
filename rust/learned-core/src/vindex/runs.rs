// SPDX-License-Identifier: GPL-2.0

//! Runs: maximal stretches of consecutive pages mapped to consecutive frames, 16 bytes each,
//! and the builder that compresses sorted `(vpn, pfn)` pages into them.

use super::{Error, MAX_PFN, MAX_RUN_PAGES, MAX_VPN, PFN_BITS};

/// `len` pages from `vpn` mapped to `len` frames from `pfn`: `vpn + i -> pfn + i` for
/// `i < len`. 16 bytes: the start page, then the frame number (low [`PFN_BITS`] bits) and
/// the length (high bits) in one word. A run of length 0 is dead (it maps nothing).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    vpn: u64,
    word: u64,
}

impl Run {
    /// A dead run at page 0; fill the memory with it (`vec![Run::EMPTY; n]`).
    pub const EMPTY: Run = Run { vpn: 0, word: 0 };

    /// The run `vpn..vpn + len -> pfn..pfn + len`. `None` unless `vpn + len - 1 <=`
    /// [`MAX_VPN`], `pfn + len - 1 <=` [`MAX_PFN`] and `len <=` [`MAX_RUN_PAGES`] (`len` 0
    /// gives a dead run).
    pub const fn new(vpn: u64, pfn: u64, len: u64) -> Option<Run> {
        let last = len.saturating_sub(1);
        if len > MAX_RUN_PAGES || vpn > MAX_VPN - last || pfn > MAX_PFN - last {
            return None;
        }
        Some(Run {
            vpn,
            word: pfn | (len << PFN_BITS),
        })
    }

    /// The first page.
    pub const fn vpn(&self) -> u64 {
        self.vpn
    }

    /// The frame of the first page.
    pub const fn pfn(&self) -> u64 {
        self.word & MAX_PFN
    }

    /// The number of pages (0: dead).
    pub const fn len(&self) -> u64 {
        self.word >> PFN_BITS
    }

    /// Whether the run maps nothing.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The page after the last (`vpn + len`; cannot overflow for a run from [`Run::new`]).
    pub const fn end(&self) -> u64 {
        self.vpn.saturating_add(self.len())
    }

    /// The frame `vpn` maps to, if the run covers it.
    pub const fn translate(&self, vpn: u64) -> Option<u64> {
        match vpn.checked_sub(self.vpn) {
            Some(off) if off < self.len() => Some(self.pfn().wrapping_add(off)),
            _ => None,
        }
    }

    /// The same frames, keeping only pages `from..to` (clamped to the run; dead if empty).
    pub(super) const fn keep(&self, from: u64, to: u64) -> Run {
        let lo = if from > self.vpn { from } else { self.vpn };
        let end = self.end();
        let hi = if to < end { to } else { end };
        if hi <= lo {
            return Run {
                vpn: self.vpn,
                word: 0,
            };
        }
        let off = lo - self.vpn;
        Run {
            vpn: lo,
            // In range: a sub-run of a valid run.
            word: (self.pfn() + off) | ((hi - lo) << PFN_BITS),
        }
    }
}

/// Compresses pages, given in strictly increasing `vpn` order, into maximal runs written to
/// caller memory. Keeps counting past the end of the memory, so a builder over an empty slice
/// counts the runs a mapping needs (walk the pages twice: count, allocate, build).
#[derive(Debug)]
pub struct RunBuilder<'a> {
    out: &'a mut [Run],
    /// Finished runs (stored or not).
    done: usize,
    /// The run being extended, and its length.
    cur: Option<(u64, u64, u64)>,
    pages: u64,
}

impl<'a> RunBuilder<'a> {
    /// A builder writing into `out`.
    pub fn new(out: &'a mut [Run]) -> Self {
        Self {
            out,
            done: 0,
            cur: None,
            pages: 0,
        }
    }

    /// Adds page `vpn -> pfn`: `vpn` must be above every page before it.
    pub fn push(&mut self, vpn: u64, pfn: u64) -> Result<(), Error> {
        if vpn > MAX_VPN {
            return Err(Error::VpnTooLarge);
        }
        if pfn > MAX_PFN {
            return Err(Error::PfnTooLarge);
        }
        if let Some((v0, p0, len)) = self.cur {
            // v0 + len - 1 is the last page pushed (no overflow: all <= MAX_VPN).
            let next = v0 + len;
            if vpn < next {
                return Err(Error::Unsorted);
            }
            if vpn == next && pfn == p0.wrapping_add(len) && len < MAX_RUN_PAGES {
                self.cur = Some((v0, p0, len + 1));
                self.pages = self.pages.saturating_add(1);
                return Ok(());
            }
            self.flush(v0, p0, len);
        }
        self.cur = Some((vpn, pfn, 1));
        self.pages = self.pages.saturating_add(1);
        Ok(())
    }

    fn flush(&mut self, vpn: u64, pfn: u64, len: u64) {
        if let (Some(slot), Some(run)) = (self.out.get_mut(self.done), Run::new(vpn, pfn, len)) {
            *slot = run;
        }
        self.done = self.done.saturating_add(1);
    }

    /// The runs needed so far (including the one being extended).
    pub fn runs_needed(&self) -> usize {
        self.done.saturating_add(usize::from(self.cur.is_some()))
    }

    /// The pages pushed so far.
    pub fn pages(&self) -> u64 {
        self.pages
    }

    /// Finishes the last run; returns the number of runs, now in `out[..n]`, or
    /// [`Error::RunsTooSmall`] if `out` is shorter than [`Self::runs_needed`].
    pub fn finish(mut self) -> Result<usize, Error> {
        if let Some((v0, p0, len)) = self.cur.take() {
            self.flush(v0, p0, len);
        }
        if self.done > self.out.len() {
            return Err(Error::RunsTooSmall);
        }
        Ok(self.done)
    }
}

/// The number of runs `pages` (sorted `(vpn, pfn)`) compress to.
pub fn count_runs(pages: &[(u64, u64)]) -> Result<usize, Error> {
    let mut b = RunBuilder::new(&mut []);
    for &(vpn, pfn) in pages {
        b.push(vpn, pfn)?;
    }
    Ok(b.runs_needed())
}

/// Compresses `pages` (sorted `(vpn, pfn)`) into `out`; returns the number of runs.
pub fn compress(pages: &[(u64, u64)], out: &mut [Run]) -> Result<usize, Error> {
    let mut b = RunBuilder::new(out);
    for &(vpn, pfn) in pages {
        b.push(vpn, pfn)?;
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_pack_and_translate() {
        let r = Run::new(100, 7, 3).unwrap();
        assert_eq!((r.vpn(), r.pfn(), r.len(), r.end()), (100, 7, 3, 103));
        assert_eq!(core::mem::size_of::<Run>(), 16);
        assert_eq!(r.translate(99), None);
        assert_eq!(r.translate(100), Some(7));
        assert_eq!(r.translate(102), Some(9));
        assert_eq!(r.translate(103), None);
        assert_eq!(r.keep(101, 200), Run::new(101, 8, 2).unwrap());
        assert_eq!(r.keep(0, 101), Run::new(100, 7, 1).unwrap());
        assert!(r.keep(103, 200).is_empty());
        assert_eq!(
            Run::new(MAX_VPN, MAX_PFN, 1).unwrap().translate(MAX_VPN),
            Some(MAX_PFN)
        );
        assert_eq!(Run::new(MAX_VPN, 0, 2), None);
        assert_eq!(Run::new(0, MAX_PFN, 2), None);
        assert_eq!(Run::new(0, 0, MAX_RUN_PAGES + 1), None);
        assert!(Run::new(u64::MAX, 0, 0).is_none());
        assert!(Run::EMPTY.is_empty());
    }

    #[test]
    fn builder_merges_and_counts() {
        let pages = [
            (1, 10),
            (2, 11),
            (3, 12),
            (5, 13),
            (6, 14),
            (7, 20),
            (8, 19),
        ];
        assert_eq!(count_runs(&pages), Ok(4));
        let mut out = [Run::EMPTY; 4];
        assert_eq!(compress(&pages, &mut out), Ok(4));
        let want = [(1, 10, 3), (5, 13, 2), (7, 20, 1), (8, 19, 1)];
        for (r, &(v, p, l)) in out.iter().zip(&want) {
            assert_eq!((r.vpn(), r.pfn(), r.len()), (v, p, l));
        }
        let mut small = [Run::EMPTY; 3];
        assert_eq!(compress(&pages, &mut small), Err(Error::RunsTooSmall));
        assert_eq!(compress(&[], &mut small), Ok(0));
        assert_eq!(count_runs(&[(2, 0), (2, 1)]), Err(Error::Unsorted));
        assert_eq!(count_runs(&[(2, 0), (1, 1)]), Err(Error::Unsorted));
        assert_eq!(count_runs(&[(MAX_VPN + 1, 0)]), Err(Error::VpnTooLarge));
        assert_eq!(count_runs(&[(0, MAX_PFN + 1)]), Err(Error::PfnTooLarge));
        // A pfn wrapping past MAX_PFN starts a new run.
        assert_eq!(count_runs(&[(0, MAX_PFN), (1, 0)]), Ok(2));
    }
}
