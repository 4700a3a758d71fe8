// SPDX-License-Identifier: GPL-2.0

//! SIEVE (Zhang et al., NSDI '24), as libCacheSim's `Sieve`.

use super::{overfull, List, Outcome, Policy, Request, Stats, Store, NIL};

/// SIEVE: a FIFO queue (new objects at the head) with a visited bit and a hand. Eviction
/// starts at the hand (or the tail), clears visited bits moving towards the head (wrapping to
/// the tail), evicts the first unvisited object, and leaves the hand at its predecessor.
/// Survivors are never moved.
pub struct Sieve<'a> {
    store: Store<'a>,
    list: List<0>,
    hand: u32,
    capacity: u64,
    stats: Stats,
}

impl<'a> Sieve<'a> {
    /// An empty SIEVE cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            store,
            list: List::new(),
            hand: NIL,
            capacity,
            stats: Stats::default(),
        }
    }

    /// Evicts one object; false when the cache is empty.
    fn evict(&mut self) -> bool {
        let mut cur = if self.hand == NIL {
            self.list.tail()
        } else {
            self.hand
        };
        // At most one full sweep clears every bit, so 2 * len + 1 steps always suffice.
        let bound = self.list.len().saturating_mul(2).saturating_add(1);
        for _ in 0..bound {
            let Some(s) = self.store.slot_mut(cur) else {
                return false;
            };
            if s.meta > 0 {
                s.meta = 0;
                cur = if s.prev[0] == NIL {
                    self.list.tail()
                } else {
                    s.prev[0]
                };
            } else {
                self.hand = s.prev[0];
                self.list.unlink(&mut self.store, cur);
                self.store.release(cur);
                self.stats.evicted();
                return true;
            }
        }
        false
    }
}

impl Policy for Sieve<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        if let Some(i) = self.store.find(req.id) {
            if let Some(s) = self.store.slot_mut(i) {
                s.meta = 1;
            }
            return self.stats.record(Outcome::Hit);
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.list.bytes(), size, self.capacity) {
            if !self.evict() {
                break;
            }
        }
        let Some(i) = self.store.alloc(req.id, req.size) else {
            return self.stats.record(Outcome::NoSlot);
        };
        self.list.push_head(&mut self.store, i, 1);
        self.stats.record(Outcome::Miss)
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.list.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::Slot;
    use super::super::testutil::{pat, run};
    use super::*;

    #[test]
    fn hand_keeps_its_place() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Sieve::new(3, Store::new(&mut slots, &mut index).unwrap());
        // Queue (head) 3 2 1 (tail); 1 visited. 4: hand starts at tail 1 (visited, cleared),
        // moves to 2 (unvisited): evict 2, hand -> 3. Queue 4 3 1.
        // 2: hand at 3 (unvisited): evict 3, hand -> 4. Queue 2 4 1.
        // 1 hits (stays in place, unlike Clock). 5: hand at 4: evict 4, hand -> 2.
        let out = run(
            &mut c,
            &[
                (1, 1),
                (2, 1),
                (3, 1),
                (1, 1),
                (4, 1),
                (2, 1),
                (1, 1),
                (5, 1),
                (1, 1),
                (2, 1),
                (4, 1),
            ],
        );
        assert_eq!(pat(&out, 11), "mmmhmmhmhhm");
    }

    #[test]
    fn too_large_is_not_inserted() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 8];
        let mut c = Sieve::new(4, Store::new(&mut slots, &mut index).unwrap());
        let out = run(&mut c, &[(1, 2), (2, 5), (1, 2), (3, 2), (4, 1), (1, 2)]);
        // 4 (size 1) needs 1 unit: the hand (tail 1, visited) passes to 3 and evicts it.
        assert_eq!(pat(&out, 6), "mthmmh");
    }
}
