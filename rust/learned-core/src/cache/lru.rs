// SPDX-License-Identifier: GPL-2.0

//! LRU: evict the least recently used object.

use super::{overfull, List, Outcome, Policy, Request, Stats, Store};

/// Least-recently-used replacement. The list head is the most recently used object.
pub struct Lru<'a> {
    store: Store<'a>,
    list: List<0>,
    capacity: u64,
    stats: Stats,
}

impl<'a> Lru<'a> {
    /// An empty LRU cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            store,
            list: List::new(),
            capacity,
            stats: Stats::default(),
        }
    }
}

impl Policy for Lru<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        if let Some(i) = self.store.find(req.id) {
            self.list.move_to_head(&mut self.store, i);
            return self.stats.record(Outcome::Hit);
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.list.bytes(), size, self.capacity) && !self.list.is_empty() {
            let victim = self.list.tail();
            self.list.unlink(&mut self.store, victim);
            self.store.release(victim);
            self.stats.evicted();
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
    fn evicts_least_recently_used() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Lru::new(3, Store::new(&mut slots, &mut index).unwrap());
        // 1 2 3 fill; 1 hits (now MRU); 4 evicts 2; 2 misses (evicts 3); 1 hits; 3 misses.
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
                (3, 1),
            ],
        );
        assert_eq!(pat(&out, 8), "mmmhmmhm");
        assert_eq!(c.stats().misses, 6);
        assert_eq!(c.stats().evictions, 3);
        assert_eq!(c.used(), 3);
    }

    #[test]
    fn bytes_and_too_large() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Lru::new(10, Store::new(&mut slots, &mut index).unwrap());
        // 11 > 10: miss, not inserted. 6 + 4 fit exactly; 5 then evicts 1 (6) only.
        let out = run(
            &mut c,
            &[
                (9, 11),
                (1, 6),
                (2, 4),
                (2, 4),
                (3, 5),
                (2, 4),
                (1, 6),
                (9, 11),
            ],
        );
        assert_eq!(pat(&out, 8), "tmmhmhmt");
        assert_eq!(c.stats().too_large, 2);
        assert!(c.used() <= 10);
    }

    #[test]
    fn full_arena_is_no_slot() {
        let mut slots = [Slot::EMPTY; 2];
        let mut index = [0u32; 4];
        let mut c = Lru::new(100, Store::new(&mut slots, &mut index).unwrap());
        let out = run(&mut c, &[(1, 1), (2, 1), (3, 1), (1, 1), (3, 1)]);
        assert_eq!(pat(&out, 5), "mmnhn");
        assert_eq!(c.stats().no_slot, 2);
        assert_eq!(c.stats().misses, 4);
    }
}
