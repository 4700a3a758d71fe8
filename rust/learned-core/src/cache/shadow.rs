// SPDX-License-Identifier: GPL-2.0

//! The guard's shadow of the kernel's own policy: the stock Linux reclaim simulator
//! ([`super::linux`]) run over a spatially hashed sample of the page accesses (one page in
//! 2^[`SAMPLE_SHIFT`], chosen by its key, as SHARDS samples), with the cache scaled down by the
//! same factor. Its misses estimate how many disk reads the kernel's policy would have made
//! for the sampled pages; the pages actually read in for them are what the policy in force
//! made. The guard ([`super::guard`]) compares the two.
//!
//! The state is plain data ([`ShadowState`]) next to caller-owned memory, so the kernel can
//! keep both under one spinlock; a [`Shadow`] borrows them for one access.
//!
//! The shadow follows the real cache's size, not its contents. When the real cache collapses
//! (to a quarter of the largest size since the last collapse, as `drop_caches` or a cgroup's
//! exit does), the shadow starts over empty, so it does not count as hits what the real cache
//! lost.

use super::linux::{Linux, LinuxState};
use super::store::{Slot, Store, StoreState};
use super::{Policy, Request};

/// One page in `2^SAMPLE_SHIFT` is sampled.
pub const SAMPLE_SHIFT: u32 = 4;

/// Whether the page with key `key` is in the sample (its top [`SAMPLE_SHIFT`] bits are 0).
pub fn sampled(key: u64) -> bool {
    key >> (64 - SAMPLE_SHIFT) == 0
}

/// The shadow's state apart from its memory.
#[derive(Clone, Copy, Debug)]
pub struct ShadowState {
    /// `None` until the memory is first initialised.
    store: Option<StoreState>,
    linux: LinuxState,
    /// The largest capacity since the last start.
    peak: u64,
    /// Times the shadow started over.
    restarts: u64,
}

impl Default for ShadowState {
    fn default() -> Self {
        Self::new()
    }
}

impl ShadowState {
    /// A shadow that has seen nothing.
    pub const fn new() -> Self {
        Self {
            store: None,
            linux: LinuxState::new(1),
            peak: 0,
            restarts: 0,
        }
    }

    /// A shadow of the cold insertion rule ([`super::insert`]): misses without a shadow go
    /// to the inactive tail.
    pub const fn new_cold() -> Self {
        Self {
            linux: LinuxState::new_cold(1),
            ..Self::new()
        }
    }

    /// Times the shadow started over because the real cache collapsed.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Sampled accesses and the misses among them.
    pub fn counts(&self) -> (u64, u64) {
        let s = self.linux.stats();
        (s.requests, s.misses)
    }
}

/// A shadow over its memory, for one or more accesses.
pub struct Shadow<'a> {
    slots: &'a mut [Slot],
    index: &'a mut [u32],
    state: &'a mut ShadowState,
}

impl<'a> Shadow<'a> {
    /// The shadow with state `state` over `slots` and `index` (an index of at least
    /// [`Store::buckets_for`] `slots.len()` buckets). Always pass the same memory with the
    /// same state.
    pub fn new(slots: &'a mut [Slot], index: &'a mut [u32], state: &'a mut ShadowState) -> Self {
        Self {
            slots,
            index,
            state,
        }
    }

    /// The most pages the shadow can hold: a third of its slots (the rest hold shadows of
    /// evicted pages).
    pub fn max_capacity(&self) -> u64 {
        (self.slots.len() / 3) as u64
    }

    /// Replays an access to sampled page `key` in a cache of `capacity` sampled pages (the
    /// real cache's size scaled down by the sampling rate, clamped to `1..=`
    /// [`Self::max_capacity`]). Returns whether it missed; `None` if the memory is unusable.
    pub fn access(&mut self, key: u64, capacity: u64) -> Option<bool> {
        if capacity.saturating_mul(4) < self.state.peak {
            let restarts = self.state.restarts + 1;
            *self.state = if self.state.linux.is_cold() {
                ShadowState::new_cold()
            } else {
                ShadowState::new()
            };
            self.state.restarts = restarts;
        }
        self.state.peak = self.state.peak.max(capacity);
        let store = match self.state.store {
            None => Store::new(self.slots, self.index),
            Some(st) => Store::resume(self.slots, self.index, st),
        }
        .ok()?;
        let cap = capacity.clamp(1, (store.capacity() / 3).max(1) as u64);
        let mut linux = Linux::resume(store, self.state.linux);
        linux.set_capacity(cap);
        let out = linux.access(&Request {
            id: key,
            size: 1,
            next_access: -1,
        });
        self.state.linux = linux.state();
        self.state.store = Some(linux.store_state());
        Some(!out.is_hit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec;

    #[test]
    fn sampling_rate() {
        let n = (0..1u64 << 16)
            .filter(|&i| sampled(super::super::pagehist::page_key(3, i)))
            .count();
        // 4096 expected; a hash that far off would be broken.
        assert!((3500..4700).contains(&n), "{n}");
    }

    #[test]
    fn resumed_shadow_equals_a_continuous_simulation() {
        let mut slots = vec![Slot::EMPTY; 96];
        let mut index = vec![0u32; Store::buckets_for(96)];
        let mut st = ShadowState::new();
        let mut slots2 = vec![Slot::EMPTY; 96];
        let mut index2 = vec![0u32; Store::buckets_for(96)];
        let mut reference = Linux::new(20, Store::new(&mut slots2, &mut index2).unwrap());
        let mut x = 7u64;
        for _ in 0..5000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = (x >> 33) % 60;
            let miss = Shadow::new(&mut slots, &mut index, &mut st)
                .access(key, 20)
                .unwrap();
            let r = reference.access(&Request {
                id: key,
                size: 1,
                next_access: -1,
            });
            assert_eq!(miss, !r.is_hit());
        }
        assert_eq!(st.counts(), {
            let s = reference.stats();
            (s.requests, s.misses)
        });
    }

    #[test]
    fn a_collapse_of_the_real_cache_empties_the_shadow() {
        let mut slots = vec![Slot::EMPTY; 96];
        let mut index = vec![0u32; Store::buckets_for(96)];
        let mut st = ShadowState::new();
        let mut sh = Shadow::new(&mut slots, &mut index, &mut st);
        for k in 0..20 {
            assert_eq!(sh.access(k, 20), Some(true));
        }
        assert_eq!(sh.access(5, 20), Some(false));
        // Shrinking by half keeps the contents...
        assert_eq!(sh.access(6, 10), Some(false));
        // ... to a quarter of the peak does not.
        assert_eq!(sh.access(7, 4), Some(true));
        assert_eq!(st.restarts(), 1);
        assert_eq!(st.counts(), (1, 1));
    }

    #[test]
    fn capacity_is_clamped_to_the_memory() {
        let mut slots = vec![Slot::EMPTY; 9];
        let mut index = vec![0u32; Store::buckets_for(9)];
        let mut st = ShadowState::new();
        let mut sh = Shadow::new(&mut slots, &mut index, &mut st);
        assert_eq!(sh.max_capacity(), 3);
        for k in 0..100 {
            assert_eq!(sh.access(k, 1000), Some(true));
        }
        // Three pages fit: the last three hit.
        for k in 97..100 {
            assert_eq!(sh.access(k, 1000), Some(false));
        }
        let mut bad = [0u32; 2];
        assert_eq!(
            Shadow::new(&mut slots, &mut bad, &mut st).access(1, 1),
            None
        );
    }
}
