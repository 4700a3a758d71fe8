// SPDX-License-Identifier: GPL-2.0

//! Clock (FIFO-reinsertion, second chance) with a 1-bit reference counter, as libCacheSim's
//! `Clock` with its default `n-bit-counter=1`.

use super::{overfull, List, Outcome, Policy, Request, Stats, Store};

/// Clock: new objects enter at the head unreferenced; a hit sets the reference bit; eviction
/// takes the tail, and a referenced tail is moved back to the head with its bit cleared.
pub struct Clock<'a> {
    store: Store<'a>,
    list: List<0>,
    capacity: u64,
    stats: Stats,
}

impl<'a> Clock<'a> {
    /// An empty Clock cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            store,
            list: List::new(),
            capacity,
            stats: Stats::default(),
        }
    }

    /// Evicts one object; false when the cache is empty.
    fn evict(&mut self) -> bool {
        // Each object is reinserted at most once (its bit is cleared), so this loop runs at
        // most len + 1 times; the bound keeps it total anyway.
        for _ in 0..=self.list.len() {
            let t = self.list.tail();
            let Some(s) = self.store.slot_mut(t) else {
                return false;
            };
            if s.meta >= 1 {
                s.meta -= 1;
                self.list.move_to_head(&mut self.store, t);
            } else {
                self.list.unlink(&mut self.store, t);
                self.store.release(t);
                self.stats.evicted();
                return true;
            }
        }
        false
    }
}

impl Policy for Clock<'_> {
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
    fn second_chance() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Clock::new(3, Store::new(&mut slots, &mut index).unwrap());
        // 1 2 3; hit 1 (bit set); 4: tail 1 is referenced -> moved to head, 2 evicted.
        // Then 1 hits, 2 misses (evicts 3: tail is 3, unreferenced), 4 hits.
        let out = run(
            &mut c,
            &[
                (1, 1),
                (2, 1),
                (3, 1),
                (1, 1),
                (4, 1),
                (1, 1),
                (2, 1),
                (4, 1),
                (3, 1),
            ],
        );
        assert_eq!(pat(&out, 9), "mmmhmhmhm");
        // Queue (head) 3 4 1 (tail), no bits set. 4 and 1 hit and get their bits; 2 then
        // passes over 1 and 4 (moved to the head, bits cleared) and evicts 3.
        let out = run(&mut c, &[(4, 1), (1, 1), (2, 1), (3, 1)]);
        assert_eq!(pat(&out, 4), "hhmm");
    }

    #[test]
    fn too_large_is_not_inserted() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 8];
        let mut c = Clock::new(5, Store::new(&mut slots, &mut index).unwrap());
        let out = run(&mut c, &[(1, 5), (2, 6), (1, 5), (3, 1), (1, 5)]);
        assert_eq!(pat(&out, 5), "mthmm");
    }
}
