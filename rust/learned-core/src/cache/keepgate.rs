// SPDX-License-Identifier: GPL-2.0

//! Whether the model's *keep* verdicts are paying, measured online in the real cache, and the
//! gate that turns them off while they are not.
//!
//! A keep holds a page another round on the inactive list. It pays when the page is used
//! before reclaim reaches it again; it is wasted when reclaim finds it unused
//! ([`KeepGate::keep_outcome`]). What a keep costs is the slot: some other page leaves
//! instead. How much a slot is worth is how often a page that left comes back soon: the
//! refault rate, which the page history measures as the share of additions whose ghost left
//! within the last `2 x resident` evictions ([`super::pagehist::Table::add`],
//! [`KeepGate::added`]). The gate lets keeps through while their recent precision is above
//! the recent refault rate. While it is shut, a page in the guard's sample (one in 16, by
//! hash: [`super::shadow::sampled`]) is still kept when the model says so, so the evidence
//! never stops and the gate reopens when keeps start paying again.
//!
//! Why: on the held-out corpus (`make eval-evict`), the model's keeps win on Zipf-like
//! traces and lose at tiny caches of LRU-friendly traces (`recency` at 16 to 29 objects: up
//! to 1.073 x LRU's misses, where stock Linux has 1.016 x). No single model or label horizon
//! tried did both (the model card's table); a cost-benefit test measured on the workload
//! itself does: the same models then lose at 3 points instead of 5, worst `recency` 1.031 x.
//!
//! Both rates are exponentially decayed averages in 1/65536 on one atomic each, updated with
//! integer arithmetic: the precision over about 64 keep outcomes, the refault rate over about
//! 256 additions. Callable from any context, concurrently; a lost update under a race costs
//! one sample.

use core::sync::atomic::{AtomicI64, Ordering::Relaxed};

use super::shadow::sampled;

/// Fixed-point one.
const ONE: i64 = 1 << 16;
/// The precision averages over about `2^PRECISION_SHIFT` keep outcomes.
const PRECISION_SHIFT: u32 = 6;
/// The refault rate averages over about `2^REFAULT_SHIFT` additions.
const REFAULT_SHIFT: u32 = 8;

/// The gate's two rates (see the module docs).
#[derive(Debug)]
pub struct KeepGate {
    /// Decayed share of keeps that paid, in 1/65536.
    precision: AtomicI64,
    /// Decayed share of additions that were refaults, in 1/65536.
    refaults: AtomicI64,
}

impl Default for KeepGate {
    fn default() -> Self {
        Self::new()
    }
}

/// `avg += (x - avg) / 2^shift`, `x` one or zero.
fn decay(avg: &AtomicI64, x: bool, shift: u32) {
    let _ = avg.fetch_update(Relaxed, Relaxed, |a| {
        Some(a + ((i64::from(x) * ONE - a) >> shift))
    });
}

impl KeepGate {
    /// A gate with no evidence: open (keeps presumed to pay, no refaults seen).
    pub const fn new() -> Self {
        Self {
            precision: AtomicI64::new(ONE),
            refaults: AtomicI64::new(0),
        }
    }

    /// A kept page was used before reclaim reached it again (`paid`), or reclaim found it
    /// unused (`!paid`).
    pub fn keep_outcome(&self, paid: bool) {
        decay(&self.precision, paid, PRECISION_SHIFT);
    }

    /// A page was added to the cache; `refault` if it left recently.
    pub fn added(&self, refault: bool) {
        decay(&self.refaults, refault, REFAULT_SHIFT);
    }

    /// Whether keeps pay now: their precision is above the refault rate.
    pub fn open(&self) -> bool {
        self.precision.load(Relaxed) > self.refaults.load(Relaxed)
    }

    /// Whether the model may keep page `key` now: the gate is open, or the page is in the
    /// sample that keeps the evidence coming.
    pub fn allows(&self, key: u64) -> bool {
        self.open() || sampled(key)
    }

    /// The precision and the refault rate, permille, for statistics.
    pub fn rates_permille(&self) -> (u64, u64) {
        let permille = |a: &AtomicI64| (a.load(Relaxed).clamp(0, ONE) * 1000 / ONE) as u64;
        (permille(&self.precision), permille(&self.refaults))
    }

    /// Forgets the evidence (a new model, a new scope).
    pub fn reset(&self) {
        self.precision.store(ONE, Relaxed);
        self.refaults.store(0, Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::super::pagehist::page_key;
    use super::*;

    #[test]
    fn keeps_pass_while_they_beat_the_refault_rate() {
        let g = KeepGate::new();
        assert!(g.open());
        assert_eq!(g.rates_permille(), (1000, 0));
        // One addition in four is a refault: 25%.
        for i in 0..4000 {
            g.added(i % 4 == 0);
        }
        let (_, r) = g.rates_permille();
        assert!((200..300).contains(&r), "{r}");
        // Keeps that pay one time in ten: shut.
        for i in 0..1000 {
            g.keep_outcome(i % 10 == 0);
        }
        assert!(!g.open());
        let (p, _) = g.rates_permille();
        assert!(p < 200, "{p}");
        // Shut, only sampled pages may still be kept.
        let keys = (0..4096).map(|i| page_key(9, i));
        let allowed = keys.clone().filter(|&k| g.allows(k)).count();
        assert_eq!(allowed, keys.filter(|&k| sampled(k)).count());
        assert!((150..400).contains(&allowed), "{allowed}");
        // Keeps that pay half the time: open again.
        for i in 0..1000 {
            g.keep_outcome(i % 2 == 0);
        }
        assert!(g.open());
        g.reset();
        assert_eq!(g.rates_permille(), (1000, 0));
    }
}
