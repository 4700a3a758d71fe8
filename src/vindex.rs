// SPDX-License-Identifier: GPL-2.0

//! The learned VA→PA range index (`vindex`), kernel side.
//!
//! A process registers a pid and an address range through `/dev/learned_os_vindex`
//! ([`device`]). The module walks that range's page tables ([`mm`]), compresses the present
//! pages into runs and fits error-bounded segments over them with the shared crate
//! (`learned_core::vindex`), and answers batches of translations from the index; every
//! address the index does not know is answered by the exact walk. An MMU notifier keeps the
//! index coherent: every range the kernel invalidates (unmap, migration, COW break,
//! mprotect, THP split or collapse) leaves the index before the page tables change, and the
//! process's exit drops it. The index is rebuilt lazily, on the next translation
//! ([`session`] has the synchronization argument).
//!
//! This file holds what all registrations share: the `epsilon` knob and the statistics.

use core::fmt;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use kernel::prelude::*;

use crate::learned_core::knob;
use crate::learned_core::text::TextBuf;
use crate::learned_core::vindex::MAX_EPSILON;
use crate::warn::warn_ratelimited;

mod abi;
pub(crate) mod device;
mod mm;
mod session;
mod tree;

/// The default error bound of the segments.
const DEFAULT_EPSILON: u32 = 8;

/// A global count.
#[derive(Clone, Copy)]
pub(crate) enum Count {
    /// Translations the learned index answered.
    LookupsLearned,
    /// Translations the exact walk answered with a frame.
    LookupsWalk,
    /// Translations the exact walk answered "not present".
    LookupsNotPresent,
    /// Notifier invalidations of a registered mm.
    NotifierCalls,
    /// Invalidations that removed pages from an index.
    Invalidations,
    /// Pages they removed.
    InvalidatedPages,
    /// Indexes built.
    Rebuilds,
    /// Builds thrown away because the mm changed during the walk.
    RebuildsRaced,
    /// Builds that failed (no memory, too many runs): the walk answers meanwhile.
    RebuildFailures,
    /// Translations that tried no build: their range is known to be over the run limit.
    BuildsSkipped,
    /// Registrations made.
    Registrations,
    /// Registered processes that exited.
    Releases,
    /// Refused ioctls.
    RejectedIoctls,
}

const COUNTS: usize = Count::RejectedIoctls as usize + 1;
const COUNT_KEYS: [&str; COUNTS] = [
    "lookups_learned",
    "lookups_walk",
    "lookups_not_present",
    "notifier_calls",
    "invalidations",
    "invalidated_pages",
    "rebuilds",
    "rebuilds_raced",
    "rebuild_failures",
    "builds_skipped",
    "registrations",
    "releases",
    "rejected_ioctls",
];

/// What the live indexes hold, summed over registrations (as of their builds).
#[derive(Clone, Copy, Default)]
pub(crate) struct Footprint {
    pub(crate) runs: u64,
    pub(crate) segments: u64,
    pub(crate) bytes: u64,
    pub(crate) bytes_allocated: u64,
    pub(crate) pages: u64,
}

/// The state shared by every registration: knobs and statistics, all atomic.
pub(crate) struct Vindex {
    epsilon: AtomicU32,
    registered: AtomicU64,
    over_limit: AtomicU64,
    runs: AtomicU64,
    segments: AtomicU64,
    bytes: AtomicU64,
    bytes_allocated: AtomicU64,
    pages: AtomicU64,
    counts: [AtomicU64; COUNTS],
}

impl Vindex {
    /// Defaults, zeroed statistics.
    pub(crate) const fn new() -> Self {
        Self {
            epsilon: AtomicU32::new(DEFAULT_EPSILON),
            registered: AtomicU64::new(0),
            over_limit: AtomicU64::new(0),
            runs: AtomicU64::new(0),
            segments: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            bytes_allocated: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            counts: [const { AtomicU64::new(0) }; COUNTS],
        }
    }

    /// The error bound new indexes are fitted with.
    pub(crate) fn epsilon(&self) -> u32 {
        self.epsilon.load(Ordering::Relaxed)
    }

    /// `vindex/epsilon`'s value.
    pub(crate) fn show_epsilon(&self, out: &mut TextBuf<'_>) -> fmt::Result {
        out.line(self.epsilon())
    }

    /// A write to `vindex/epsilon`: `0..=MAX_EPSILON`. Indexes are refitted at their next
    /// translation.
    pub(crate) fn set_epsilon(&self, input: &[u8]) -> Result {
        match knob::parse_u64(input, 0, u64::from(MAX_EPSILON)) {
            Ok(v) => {
                // Below MAX_EPSILON, so it fits.
                self.epsilon.store(v as u32, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                warn_ratelimited!(
                    "vindex/epsilon: write refused: {} (expected 0..={})\n",
                    e.reason(),
                    MAX_EPSILON
                );
                Err(EINVAL)
            }
        }
    }

    /// Adds `n` to a count.
    pub(crate) fn count(&self, c: Count, n: u64) {
        if let Some(a) = self.counts.get(c as usize) {
            a.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// A registration starts (`true`) or ends.
    pub(crate) fn set_registered(&self, on: bool) {
        if on {
            self.registered.fetch_add(1, Ordering::Relaxed);
            self.count(Count::Registrations, 1);
        } else {
            self.registered.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A registration's range is found to be over the run limit (`true`), or no longer is.
    pub(crate) fn set_over_limit(&self, on: bool) {
        if on {
            self.over_limit.fetch_add(1, Ordering::Relaxed);
        } else {
            self.over_limit.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// An index with footprint `f` was installed (`add`) or dropped.
    pub(crate) fn account(&self, f: &Footprint, add: bool) {
        for (a, v) in [
            (&self.runs, f.runs),
            (&self.segments, f.segments),
            (&self.bytes, f.bytes),
            (&self.bytes_allocated, f.bytes_allocated),
            (&self.pages, f.pages),
        ] {
            if add {
                a.fetch_add(v, Ordering::Relaxed);
            } else {
                a.fetch_sub(v, Ordering::Relaxed);
            }
        }
    }

    /// Writes the `vindex`-only `stats` keys.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> fmt::Result {
        out.kv("epsilon", self.epsilon())?;
        for (key, a) in [
            ("registered", &self.registered),
            ("over_limit", &self.over_limit),
            ("runs", &self.runs),
            ("segments", &self.segments),
            ("bytes", &self.bytes),
            ("bytes_allocated", &self.bytes_allocated),
            ("pages", &self.pages),
        ] {
            out.kv(key, a.load(Ordering::Relaxed))?;
        }
        for (key, a) in COUNT_KEYS.iter().zip(self.counts.iter()) {
            out.kv(key, a.load(Ordering::Relaxed))?;
        }
        Ok(())
    }
}
