// SPDX-License-Identifier: GPL-2.0

//! Runs: maximal stretches of consecutive pages mapped to consecutive frames, ascending or
//! descending, 16 bytes each, and the builder that compresses sorted `(vpn, pfn)` pages into
//! them.
//!
//! Descending runs matter because the page allocator hands out recently freed pages last in,
//! first out: memory freed in address order and faulted again in address order comes back
//! in descending frame order (seen in the guest: after one region was unmapped, the next one
//! faulted page by page was almost entirely descending pairs).

use super::{Error, MAX_PFN, MAX_RUN_PAGES, MAX_VPN, PFN_BITS};

/// The bit of a run's word that makes it descending.
const DOWN: u64 = 1 << PFN_BITS;
/// The shift of a run's length in its word.
const LEN_SHIFT: u32 = PFN_BITS + 1;

/// `len` pages from `vpn` mapped to `len` consecutive frames from `pfn`, ascending
/// (`vpn + i -> pfn + i`) or descending (`vpn + i -> pfn - i`) for `i < len`. 16 bytes: the
/// start page, then the frame number (low [`PFN_BITS`] bits), the direction (one bit) and the
/// length (the high bits) in one word. A run of length 0 is dead (it maps nothing).
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
            word: pfn | (len << LEN_SHIFT),
        })
    }

    /// The descending run `vpn + i -> pfn - i` for `i < len`. `None` unless `vpn + len - 1 <=`
    /// [`MAX_VPN`], `len - 1 <= pfn <=` [`MAX_PFN`] and `len <=` [`MAX_RUN_PAGES`]. A run of
    /// one page is the ascending one.
    pub const fn new_down(vpn: u64, pfn: u64, len: u64) -> Option<Run> {
        let last = len.saturating_sub(1);
        if len > MAX_RUN_PAGES || vpn > MAX_VPN - last || pfn > MAX_PFN || pfn < last {
            return None;
        }
        let down = if len > 1 { DOWN } else { 0 };
        Some(Run {
            vpn,
            word: pfn | down | (len << LEN_SHIFT),
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
        self.word >> LEN_SHIFT
    }

    /// Whether the frames descend (`vpn + i -> pfn - i`).
    pub const fn is_descending(&self) -> bool {
        self.word & DOWN != 0
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
    #[inline]
    pub const fn translate(&self, vpn: u64) -> Option<u64> {
        match vpn.checked_sub(self.vpn) {
            Some(off) if off < self.len() => Some(self.frame(off)),
            _ => None,
        }
    }

    /// The frame of the page `off` pages into the run (`off < len`: no wrap).
    #[inline]
    const fn frame(&self, off: u64) -> u64 {
        if self.is_descending() {
            self.pfn().wrapping_sub(off)
        } else {
            self.pfn().wrapping_add(off)
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
        let len = hi - lo;
        let down = if self.is_descending() && len > 1 {
            DOWN
        } else {
            0
        };
        Run {
            vpn: lo,
            // In range: a sub-run of a valid run.
            word: self.frame(off) | down | (len << LEN_SHIFT),
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
    /// The run being extended: first page, its frame, length, and whether it descends.
    cur: Option<(u64, u64, u64, bool)>,
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
        if let Some((v0, p0, len, down)) = self.cur {
            // v0 + len - 1 is the last page pushed (no overflow: all <= MAX_VPN).
            let next = v0 + len;
            if vpn < next {
                return Err(Error::Unsorted);
            }
            // A run of one page extends either way; a longer one in its direction.
            let up_ok = !down && pfn == p0.wrapping_add(len);
            let down_ok = (down || len == 1) && p0.checked_sub(len) == Some(pfn);
            if vpn == next && (up_ok || down_ok) && len < MAX_RUN_PAGES {
                self.cur = Some((v0, p0, len + 1, down_ok));
                self.pages = self.pages.saturating_add(1);
                return Ok(());
            }
            self.flush(v0, p0, len, down);
        }
        self.cur = Some((vpn, pfn, 1, false));
        self.pages = self.pages.saturating_add(1);
        Ok(())
    }

    fn flush(&mut self, vpn: u64, pfn: u64, len: u64, down: bool) {
        let run = match down {
            true => Run::new_down(vpn, pfn, len),
            false => Run::new(vpn, pfn, len),
        };
        if let (Some(slot), Some(run)) = (self.out.get_mut(self.done), run) {
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
        if let Some((v0, p0, len, down)) = self.cur.take() {
            self.flush(v0, p0, len, down);
        }
        if self.done > self.out.len() {
            return Err(Error::RunsTooSmall);
        }
        Ok(self.done)
    }
}

/// The number of runs `pages` (sorted `(vpn, pfn)`) compress to.
#[cfg(any(test, feature = "host"))]
pub fn count_runs(pages: &[(u64, u64)]) -> Result<usize, Error> {
    let mut b = RunBuilder::new(&mut []);
    for &(vpn, pfn) in pages {
        b.push(vpn, pfn)?;
    }
    Ok(b.runs_needed())
}

/// Compresses `pages` (sorted `(vpn, pfn)`) into `out`; returns the number of runs.
#[cfg(any(test, feature = "host"))]
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
        assert_eq!(count_runs(&pages), Ok(3));
        let mut out = [Run::EMPTY; 3];
        assert_eq!(compress(&pages, &mut out), Ok(3));
        let want = [(1, 10, 3), (5, 13, 2), (7, 20, 2)];
        for (r, &(v, p, l)) in out.iter().zip(&want) {
            assert_eq!((r.vpn(), r.pfn(), r.len()), (v, p, l));
        }
        assert!(out[2].is_descending() && !out[0].is_descending());
        assert_eq!(
            (out[2].translate(7), out[2].translate(8)),
            (Some(20), Some(19))
        );
        let mut small = [Run::EMPTY; 2];
        assert_eq!(compress(&pages, &mut small), Err(Error::RunsTooSmall));
        assert_eq!(compress(&[], &mut small), Ok(0));
        assert_eq!(count_runs(&[(2, 0), (2, 1)]), Err(Error::Unsorted));
        assert_eq!(count_runs(&[(2, 0), (1, 1)]), Err(Error::Unsorted));
        assert_eq!(count_runs(&[(MAX_VPN + 1, 0)]), Err(Error::VpnTooLarge));
        assert_eq!(count_runs(&[(0, MAX_PFN + 1)]), Err(Error::PfnTooLarge));
        // A pfn wrapping past MAX_PFN, or below 0, starts a new run.
        assert_eq!(count_runs(&[(0, MAX_PFN), (1, 0)]), Ok(2));
        assert_eq!(count_runs(&[(0, 0), (1, MAX_PFN)]), Ok(2));
        // A run keeps its direction: up then down is two runs, and so is down then up.
        assert_eq!(count_runs(&[(0, 5), (1, 6), (2, 5)]), Ok(2));
        assert_eq!(count_runs(&[(0, 5), (1, 4), (2, 5)]), Ok(2));
        assert_eq!(count_runs(&[(0, 5), (1, 4), (2, 3), (3, 2)]), Ok(1));
    }

    #[test]
    fn descending_runs() {
        let r = Run::new_down(100, 50, 4).unwrap();
        assert!(r.is_descending());
        assert_eq!((r.vpn(), r.pfn(), r.len(), r.end()), (100, 50, 4, 104));
        assert_eq!(r.translate(99), None);
        assert_eq!(r.translate(100), Some(50));
        assert_eq!(r.translate(103), Some(47));
        assert_eq!(r.translate(104), None);
        // Trimming keeps the frames: the tail from 102 maps 102 -> 48, 103 -> 47.
        assert_eq!(r.keep(102, 200), Run::new_down(102, 48, 2).unwrap());
        assert_eq!(r.keep(0, 101), Run::new(100, 50, 1).unwrap());
        assert!(r.keep(104, 200).is_empty());
        // Frames would go below 0; lengths and limits as for ascending runs.
        assert_eq!(Run::new_down(0, 2, 4), None);
        assert!(Run::new_down(0, 3, 4).is_some());
        assert_eq!(Run::new_down(0, MAX_PFN + 1, 1), None);
        assert_eq!(Run::new_down(0, MAX_PFN, MAX_RUN_PAGES + 1), None);
        assert_eq!(Run::new_down(MAX_VPN, 9, 2), None);
        // One page is the same run either way.
        assert_eq!(Run::new_down(7, 9, 1), Run::new(7, 9, 1));
    }
}
