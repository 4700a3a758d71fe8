// SPDX-License-Identifier: GPL-2.0

//! Where reclaim adds a page read in for the first time: the insertion rule, chosen online.
//!
//! Stock Linux adds every new file page at the head of the inactive list. A page with no
//! recent past (no ghost from the last `2 x resident` evictions, [`super::pagehist::FRESH`])
//! can instead go to the inactive tail, where reclaim looks first: a scan or a loop larger
//! than memory then evicts itself instead of the pages that will be used again. On a trace
//! whose new pages are soon reused (a window sliding over a file) that loses badly, so the
//! rule is not fixed: [`InsertRule::Duel`] runs two miniature simulations of Linux's
//! reclaim beside the real cache over a hashed sample of the pages (SHARDS-style,
//! [`super::shadow::DuelShadows`]), one stock and one inserting such pages cold, and inserts
//! cold only while the cold one has had fewer recent misses ([`Duel`]). The sample is the
//! guard's (one page in 16) for caches of 8192 pages and more, and denser below, down to
//! every page for caches of at most 512 ([`super::shadow::duel_shift`]): a small cache
//! sampled one in 16 would be simulated as a handful of pages.
//!
//! On the host corpus (30 traces, 6 families, 4 sizes), `cold` alone closes -89% of the
//! LRU-to-Belady gap (1.51x LRU on a sliding window) and the duel 44.9%, with a worst point
//! equal to stock Linux's own (`lrn/examples/evict-insert.rs`, at the guard's fixed rate).
//!
//! A page inserted cold that reclaim reaches before anyone read it (readahead ahead of its
//! reader) is kept once, back to the head where stock Linux would have put it
//! ([`super::reclaim::Answer::Unread`]): without that, the first kernel benchmark read 37%
//! more pages than stock on `scan`. The simulator reads every page as it adds it, so there the
//! rule never fires.
//!
//! The score is integer arithmetic on one atomic: `score += (stock_miss - cold_miss) << 16;
//! score -= score >> 8` per sampled access (a decay over about 256 sampled accesses, 4096
//! page accesses), cold while `score > 0`.

use core::sync::atomic::{AtomicI64, Ordering::Relaxed};

/// The insertion rule (`evict/insert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum InsertRule {
    /// Every new page at the inactive head, as stock Linux.
    Stock = 0,
    /// Every new page with no recent ghost at the inactive tail.
    Cold = 1,
    /// `Cold` while its miniature simulation wins, else `Stock`.
    Duel = 2,
}

/// The rule the module starts with and the host's `learned` policy runs.
pub const DEFAULT_INSERT: InsertRule = InsertRule::Duel;

impl InsertRule {
    /// Every rule, in order.
    pub const ALL: [InsertRule; 3] = [Self::Stock, Self::Cold, Self::Duel];

    /// The name in `evict/insert`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Stock => "stock",
            Self::Cold => "cold",
            Self::Duel => "duel",
        }
    }

    /// The rule named by a knob write (one trailing newline allowed, as `echo` writes).
    pub fn parse(input: &[u8]) -> Option<Self> {
        let name = super::super::knob::strip_newline(input);
        Self::ALL.into_iter().find(|r| r.name().as_bytes() == name)
    }

    /// The rule numbered `v`.
    pub fn from_u32(v: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|r| *r as u32 == v)
    }
}

/// The duel's score (see the module docs). Lock-free: callable from any context.
#[derive(Debug, Default)]
pub struct Duel {
    score: AtomicI64,
}

impl Duel {
    /// A duel with no evidence either way (stock wins ties).
    pub const fn new() -> Self {
        Self {
            score: AtomicI64::new(0),
        }
    }

    /// One sampled access: whether the stock and the cold simulation missed it.
    pub fn record(&self, stock_miss: bool, cold_miss: bool) {
        let d = (i64::from(stock_miss) - i64::from(cold_miss)) << 16;
        let _ = self.score.fetch_update(Relaxed, Relaxed, |s| {
            let s = s.saturating_add(d);
            Some(s - (s >> 8))
        });
    }

    /// Whether the cold rule is ahead.
    pub fn cold_wins(&self) -> bool {
        self.score.load(Relaxed) > 0
    }

    /// The score, for statistics.
    #[cfg(any(test, feature = "host"))]
    pub fn score(&self) -> i64 {
        self.score.load(Relaxed)
    }

    /// Forgets the evidence.
    pub fn reset(&self) {
        self.score.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in InsertRule::ALL {
            assert_eq!(InsertRule::parse(r.name().as_bytes()), Some(r));
            assert_eq!(InsertRule::from_u32(r as u32), Some(r));
        }
        assert_eq!(InsertRule::parse(b"duel\n"), Some(InsertRule::Duel));
        assert_eq!(InsertRule::parse(b" duel"), None);
        assert_eq!(InsertRule::parse(b"Duel"), None);
        assert_eq!(InsertRule::parse(b""), None);
        assert_eq!(InsertRule::from_u32(3), None);
    }

    #[test]
    fn the_duel_follows_recent_evidence() {
        let d = Duel::new();
        assert!(!d.cold_wins());
        // Cold misses less for a while: it wins.
        for _ in 0..100 {
            d.record(true, false);
        }
        assert!(d.cold_wins());
        // Ties decay the score but do not flip it.
        d.record(false, false);
        assert!(d.cold_wins());
        // Then stock misses less for longer: it takes over.
        for _ in 0..200 {
            d.record(false, true);
        }
        assert!(!d.cold_wins());
        assert!(d.score() < 0);
        // The score stays bounded: its decay caps it near 256 * 2^16.
        for _ in 0..100_000 {
            d.record(true, false);
        }
        assert!(d.score() <= 256 << 16, "{}", d.score());
        d.reset();
        assert!(!d.cold_wins());
    }
}
