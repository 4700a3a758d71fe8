// SPDX-License-Identifier: GPL-2.0

//! A learned index over one address space's virtual -> physical page mappings, in the spirit
//! of the PGM-index (Ferragina and Vinciguerra, "The PGM-index: a fully-dynamic compressed
//! learned index with provable worst-case bounds", VLDB '20): a lookup answers from a few
//! cache lines, or says "don't know" and the caller walks the page table.
//!
//! # Data
//!
//! 1. **Runs** ([`Run`], 16 bytes): the present pages, given as `(vpn, pfn)` pairs with `vpn`
//!    strictly increasing ([`RunBuilder`]), are compressed to maximal runs `(vpn, pfn, len)`
//!    where `vpn + i` maps to `pfn + i` for `i < len`, or to `pfn - i` (descending runs: the
//!    page allocator hands recently freed pages out last in, first out). A run holds at most [`MAX_RUN_PAGES`]
//!    pages (longer stretches become several runs). The runs are the exact data: sorted by
//!    start, disjoint.
//! 2. **Segments** ([`Segment`] of the PLA model, 24 bytes): an error-bounded piecewise-linear
//!    map from a run's start `vpn` to its position in the runs array, fitted with the PLA
//!    model's greedy shrinking cone ([`fit_by`]) on the points `(runs[i].vpn, i)`: for every
//!    run, `|predict(runs[i].vpn) - i| <= epsilon`. Q32.32 fixed point, integers only.
//!
//! # Lookup
//!
//! For a page `q` ([`VIndex::lookup`]): binary search for the last segment whose start key is
//! `<= q` (none: `q` is below every run, `None`); predict `pos = eval(q)`, clamped to
//! `0..=` the first position of the next segment (the PGM-index's clamp; the last run for the
//! last segment); binary search the runs in the window `[pos - epsilon - 1, pos + epsilon]`
//! for the last run starting at or below `q`; answer `pfn + (q - vpn)` if `q` is inside it,
//! else `None`.
//!
//! **Why the window holds the run.** Let `m` be the run with `vpn_m <= q < vpn_{m+1}`, in a
//! segment `s` that starts at run `f`. Segments are monotone (slopes are unsigned), so
//! `eval(q) >= eval(vpn_m) >= m - epsilon`; and if run `m + 1` is in `s`,
//! `eval(q) <= eval(vpn_{m+1}) <= m + 1 + epsilon`, while if it starts the next segment the
//! clamp gives `pos <= m + 1`. So `m - epsilon <= pos <= m + 1 + epsilon`, i.e. `m` is in
//! `[pos - epsilon - 1, pos + epsilon]` (the window is `2 epsilon + 2` runs). The exact search
//! (the core library's binary search) makes at most `ceil(log2(2 epsilon + 2)) + 1` key
//! comparisons, plus one read to verify: [`max_probes`].
//!
//! **Never a wrong frame.** A lookup answers only when `q` lies inside the run it found, and
//! runs are disjoint, so an answer is always the run's own translation: a model that
//! predicted badly (or a forged [`VIndexState`]) can only turn answers into `None`.
//!
//! # Invalidation
//!
//! [`VIndex::invalidate`]`(start, end)` (an MMU notifier's range) removes every page of
//! `[start, end)` from the runs in place, without refitting: a run inside the range dies
//! (length 0), a run overlapping one end is trimmed (its start key only ever moves forward,
//! within its old extent, so keys stay sorted and disjoint and the window argument above
//! still holds for every page a run still covers), and a run with the range strictly inside
//! keeps its longer side and drops the other ("collateral" pages: still mapped, but answered
//! `None` until a rebuild). `O(log runs + runs touched)`; a range covering every run empties
//! the index in `O(1)`. [`VIndexStats`] counts what was removed so the owner can rebuild
//! lazily. Pages mapped after the build are unknown to the index: their lookups miss (`None`),
//! which is always safe.
//!
//! # Memory
//!
//! Caller-provided: `runs` ([`count_runs`] tells how many) and `segments`
//! ([`VIndex::segments_for`]; never more than the runs). [`VIndex::memory_bytes`] is
//! `16 runs + 24 segments`. Limits: `vpn <=` [`MAX_VPN`] (a 64-bit address space of 4 KiB
//! pages), `pfn <=` [`MAX_PFN`] (52-bit physical addresses), `epsilon <=` [`MAX_EPSILON`].
//!
//! Like the rest of the crate: `no_std`, no allocation, integers only, and no input makes
//! anything here panic.

mod index;
mod runs;

pub use super::model::pla::Segment;
#[cfg(any(test, feature = "host"))]
pub use index::{max_probes, Batch, Lookup, VIndexStats};
pub use index::{VIndex, VIndexState};
#[cfg(any(test, feature = "host"))]
pub use runs::{compress, count_runs};
pub use runs::{Run, RunBuilder};

// The PLA model's cone fit, over the runs in place.
use super::model::pla::{fit_by, FitError};

/// The largest virtual page number: `2^52 - 1` (a 64-bit address of a 4 KiB page).
pub const MAX_VPN: u64 = (1 << 52) - 1;
/// The bits of a run's frame number.
pub const PFN_BITS: u32 = 40;
/// The largest physical frame number: `2^40 - 1` (a 52-bit physical address).
pub const MAX_PFN: u64 = (1 << PFN_BITS) - 1;
/// The most pages one [`Run`] holds: `2^23 - 1` (just under 32 GiB).
pub const MAX_RUN_PAGES: u64 = (1 << (64 - PFN_BITS - 1)) - 1;
/// The largest error bound a [`VIndex`] accepts.
pub const MAX_EPSILON: u32 = 4096;

/// Why a vindex could not be built or resumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Page numbers not strictly increasing, or runs not sorted and disjoint.
    Unsorted,
    /// A virtual page number above [`MAX_VPN`] (or a run reaching past it).
    VpnTooLarge,
    /// A frame number above [`MAX_PFN`].
    PfnTooLarge,
    /// A run of 0 pages, or of more than [`MAX_RUN_PAGES`].
    BadRun,
    /// The runs memory is shorter than [`count_runs`] asks for.
    RunsTooSmall,
    /// The segments memory is shorter than [`VIndex::segments_for`] asks for.
    SegmentsTooSmall,
    /// An `epsilon` above [`MAX_EPSILON`].
    BadEpsilon,
    /// A [`VIndexState`] that does not fit the memory given to [`VIndex::resume`].
    BadState,
}

impl Error {
    /// A short reason.
    #[cfg(any(test, feature = "host"))]
    pub const fn reason(self) -> &'static str {
        match self {
            Error::Unsorted => "page numbers not strictly increasing",
            Error::VpnTooLarge => "virtual page number too large",
            Error::PfnTooLarge => "frame number too large",
            Error::BadRun => "run of 0 pages or too many",
            Error::RunsTooSmall => "runs memory too small",
            Error::SegmentsTooSmall => "segments memory too small",
            Error::BadEpsilon => "epsilon too large",
            Error::BadState => "state does not fit the memory",
        }
    }
}
