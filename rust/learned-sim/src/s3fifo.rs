// SPDX-License-Identifier: GPL-2.0

//! S3-FIFO (Yang et al., SOSP '23) with libCacheSim's default parameters: a small FIFO of 10%
//! of the capacity, a main FIFO (a 2-bit Clock) of the rest, and a ghost FIFO of ids
//! remembering 90% of the capacity worth of objects evicted from the small queue.
//!
//! Two variants, both exactly as in libCacheSim: [`S3FifoVariant::Original`] is the SOSP
//! paper's (libCacheSim's `S3FIFOv0`, whose counts the reference table lists as "S3-FIFO");
//! [`S3FifoVariant::FillMain`] is libCacheSim's current `S3FIFO`, which while the cache has
//! never evicted sends new objects to main once small is full.

use learned_core::cache::{overfull, List, Outcome, Policy, Request, Stats, Store};

use super::onelist::admit;

const SMALL: u8 = 1;
const MAIN: u8 = 2;
const GHOST: u8 = 3;

/// Which S3-FIFO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum S3FifoVariant {
    /// The original (libCacheSim `S3FIFOv0`): new objects always enter small (or main on a
    /// ghost hit).
    Original,
    /// libCacheSim's current `S3FIFO`: until the first eviction, new objects enter main once
    /// small is full.
    FillMain,
}

/// S3-FIFO. Slot `meta` is the access frequency; link-0 tag says which queue a slot is on.
///
/// * A hit (in small or main) increments the frequency.
/// * A miss whose id is in the ghost queue inserts into main; otherwise into small (or into
///   main, in the [`S3FifoVariant::FillMain`] variant, while the cache has never evicted and
///   small is full). Objects of at least the small
///   queue's size are not inserted.
/// * Eviction takes from main when main is over its share (or small is empty), else from
///   small. Small's tail moves to main if its frequency reached `move_threshold` (with its
///   frequency reset), else it is evicted into the ghost queue. Main's tail is reinserted at
///   the head with frequency `min(freq, 3) - 1` while it is nonzero, else evicted.
pub struct S3Fifo<'a> {
    store: Store<'a>,
    small: List<0>,
    main: List<0>,
    ghost: List<0>,
    capacity: u64,
    small_cap: u64,
    main_cap: u64,
    ghost_cap: u64,
    move_threshold: u32,
    variant: S3FifoVariant,
    has_evicted: bool,
    stats: Stats,
}

impl<'a> S3Fifo<'a> {
    /// An empty original S3-FIFO cache of `capacity` units over `store`, with libCacheSim's
    /// defaults (small queue 10%, ghost 90%, move-to-main threshold 2).
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self::with_params(capacity, store, S3FifoVariant::Original, 2)
    }

    /// As [`S3Fifo::new`], with the `variant` and the move-to-main frequency threshold
    /// `move_threshold` (an object leaves small for main when hit at least that often).
    pub fn with_params(
        capacity: u64,
        store: Store<'a>,
        variant: S3FifoVariant,
        move_threshold: u32,
    ) -> Self {
        let small_cap = capacity / 10;
        // floor(capacity * 0.9) without overflow.
        let ghost_cap = (capacity / 10)
            .saturating_mul(9)
            .saturating_add((capacity % 10).saturating_mul(9) / 10);
        Self {
            store,
            small: List::new(),
            main: List::new(),
            ghost: List::new(),
            capacity,
            small_cap,
            main_cap: capacity - small_cap, // small_cap <= capacity
            ghost_cap,
            move_threshold,
            variant,
            has_evicted: false,
            stats: Stats::default(),
        }
    }

    fn used_bytes(&self) -> u64 {
        self.small.bytes().saturating_add(self.main.bytes())
    }

    /// Drops ghost entries (oldest first) until `size` more fits in the ghost queue.
    fn ghost_insert(&mut self, i: u32, size: u64) {
        if size > self.ghost_cap {
            self.store.release(i);
            return;
        }
        while overfull(self.ghost.bytes(), size, self.ghost_cap) && !self.ghost.is_empty() {
            let t = self.ghost.tail();
            self.ghost.unlink(&mut self.store, t);
            self.store.release(t);
        }
        self.ghost.push_head(&mut self.store, i, GHOST);
    }

    fn evict_small(&mut self) {
        while !self.small.is_empty() {
            let t = self.small.tail();
            let (freq, size) = self
                .store
                .slot(t)
                .map_or((0, 0), |s| (s.meta, u64::from(s.size())));
            self.small.unlink(&mut self.store, t);
            if freq >= self.move_threshold {
                if let Some(s) = self.store.slot_mut(t) {
                    s.meta = 0;
                }
                self.main.push_head(&mut self.store, t, MAIN);
            } else {
                self.ghost_insert(t, size);
                self.stats.evicted();
                return;
            }
        }
    }

    fn evict_main(&mut self) {
        // Each pass lowers a frequency of at most 3, so 4 * len + 1 steps always suffice.
        let bound = self.main.len().saturating_mul(4).saturating_add(1);
        for _ in 0..bound {
            let t = self.main.tail();
            let Some(s) = self.store.slot_mut(t) else {
                return;
            };
            if s.meta >= 1 {
                s.meta = s.meta.min(3) - 1; // meta >= 1
                self.main.move_to_head(&mut self.store, t);
            } else {
                self.main.unlink(&mut self.store, t);
                self.store.release(t);
                self.stats.evicted();
                return;
            }
        }
    }

    fn evict(&mut self) {
        self.has_evicted = true;
        if self.main.bytes() > self.main_cap || self.small.is_empty() {
            self.evict_main();
        } else {
            self.evict_small();
        }
    }
}

impl Policy for S3Fifo<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        let mut hit_on_ghost = false;
        if let Some(i) = self.store.find(req.id) {
            let tag = self.store.slot(i).map_or(0, |s| s.tag(0));
            if tag == GHOST {
                self.ghost.unlink(&mut self.store, i);
                self.store.release(i);
                hit_on_ghost = true;
            } else {
                if let Some(s) = self.store.slot_mut(i) {
                    s.meta = s.meta.saturating_add(1);
                }
                return self.stats.record(Outcome::Hit);
            }
        }
        let size = u64::from(req.size);
        if size > self.small_cap || size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.used_bytes(), size, self.capacity) {
            if self.small.is_empty() && self.main.is_empty() {
                break;
            }
            self.evict();
        }
        if !hit_on_ghost && size >= self.small_cap {
            return self.stats.record(Outcome::TooLarge);
        }
        admit(&mut self.store, &mut self.stats, req, |st, i| {
            let fill_main = self.variant == S3FifoVariant::FillMain
                && !self.has_evicted
                && self.small.bytes() >= self.small_cap;
            if hit_on_ghost || fill_main {
                self.main.push_head(st, i, MAIN);
            } else {
                self.small.push_head(st, i, SMALL);
            }
        })
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.used_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pat, run};
    use learned_core::cache::store::Slot;

    #[test]
    fn one_hit_wonders_leave_through_small_and_ghost() {
        let mut slots = [Slot::EMPTY; 32];
        let mut index = [0u32; 64];
        // cap 20: small 2, main 18, ghost 18 (unit sizes).
        let mut c = S3Fifo::with_params(
            20,
            Store::new(&mut slots, &mut index).unwrap(),
            S3FifoVariant::FillMain,
            2,
        );
        assert_eq!((c.small_cap, c.main_cap, c.ghost_cap), (2, 18, 18));
        // Fill: 1 2 go to small; small is then full and nothing was evicted yet, so 3..=20
        // go to main. 21 evicts from small's tail: 1 (freq 0) -> ghost.
        let mut reqs = [(0u64, 1u32); 21];
        for (k, r) in reqs.iter_mut().enumerate() {
            r.0 = k as u64 + 1;
        }
        let out = run(&mut c, &reqs);
        assert_eq!(pat(&out, 21), "mmmmmmmmmmmmmmmmmmmmm");
        assert_eq!(c.small.len(), 2);
        assert_eq!(c.main.len(), 18);
        assert_eq!(c.ghost.len(), 1);
        // 1 is a ghost hit: a miss that goes straight to main; making room evicts small's
        // tail 2 into the ghost queue. Main now holds 19 > 18, so 22 evicts main's tail 3;
        // 3 then misses and pushes small's tail 21 into the ghost queue.
        let out = run(&mut c, &[(1, 1), (1, 1), (22, 1), (3, 1), (4, 1)]);
        assert_eq!(pat(&out, 5), "mhmmh");
        assert_eq!(c.ghost.len(), 2);
        assert_eq!(c.store.slot(c.store.find(1).unwrap()).unwrap().tag(0), MAIN);
        assert_eq!(
            c.store.slot(c.store.find(2).unwrap()).unwrap().tag(0),
            GHOST
        );
    }

    #[test]
    fn too_large_for_small_queue() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 8];
        let mut c = S3Fifo::new(100, Store::new(&mut slots, &mut index).unwrap());
        // small is 10: 10 and above is never inserted; 9 is.
        let out = run(&mut c, &[(1, 10), (1, 10), (2, 9), (2, 9), (3, 101)]);
        assert_eq!(pat(&out, 5), "ttmht");
    }

    #[test]
    fn original_moves_twice_hit_objects_to_main() {
        let mut slots = [Slot::EMPTY; 32];
        let mut index = [0u32; 64];
        // cap 20: small 2, main 18. Everything new enters small, which may exceed its share
        // while the cache is not full.
        let mut c = S3Fifo::new(20, Store::new(&mut slots, &mut index).unwrap());
        // 1 is hit twice in small, 2 once; 3..=20 fill the cache. 21 must evict: small's
        // tail 1 (freq 2) moves to main, then 2 (freq 1 < 2) is evicted into the ghost.
        // 2 comes back: a ghost hit, inserted into main after 3 is evicted into the ghost.
        let mut reqs = [(0u64, 1u32); 26];
        let head = [1u64, 2, 1, 1, 2];
        for (k, r) in reqs.iter_mut().enumerate() {
            r.0 = match k {
                0..=4 => head[k],
                5..=23 => k as u64 - 2,
                24 => 2,
                _ => 1,
            };
        }
        let out = run(&mut c, &reqs);
        assert_eq!(pat(&out, 26), "mmhhhmmmmmmmmmmmmmmmmmmmmh");
        let tag = |c: &S3Fifo<'_>, id| c.store.slot(c.store.find(id).unwrap()).unwrap().tag(0);
        assert_eq!(tag(&c, 1), MAIN);
        assert_eq!(tag(&c, 2), MAIN);
        assert_eq!(tag(&c, 3), GHOST);
        assert_eq!(tag(&c, 21), SMALL);
        assert_eq!((c.small.len(), c.main.len(), c.ghost.len()), (18, 2, 1));
        assert_eq!(c.used(), 20);
    }
}
