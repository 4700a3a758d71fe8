// SPDX-License-Identifier: GPL-2.0

//! FIFO: evict the object inserted first; hits change nothing.

use super::{overfull, List, Outcome, Policy, Request, Stats, Store};

/// First-in-first-out replacement. The list head is the newest object.
pub struct Fifo<'a> {
    store: Store<'a>,
    list: List<0>,
    capacity: u64,
    stats: Stats,
}

impl<'a> Fifo<'a> {
    /// An empty FIFO cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            store,
            list: List::new(),
            capacity,
            stats: Stats::default(),
        }
    }
}

impl Policy for Fifo<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        if self.store.find(req.id).is_some() {
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
    fn evicts_in_insertion_order() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Fifo::new(3, Store::new(&mut slots, &mut index).unwrap());
        // Unlike LRU, the hit on 1 does not save it: 4 evicts 1, then 1 evicts 2.
        let out = run(
            &mut c,
            &[
                (1, 1),
                (2, 1),
                (3, 1),
                (1, 1),
                (4, 1),
                (1, 1),
                (3, 1),
                (2, 1),
            ],
        );
        assert_eq!(pat(&out, 8), "mmmhmmhm");
        assert_eq!(c.stats().evictions, 3);
    }

    #[test]
    fn too_large_and_multi_eviction() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Fifo::new(10, Store::new(&mut slots, &mut index).unwrap());
        // 3+3+3 = 9; 8 evicts all three; 11 is too large and evicts nothing.
        let out = run(
            &mut c,
            &[(1, 3), (2, 3), (3, 3), (4, 8), (5, 11), (4, 8), (1, 3)],
        );
        assert_eq!(pat(&out, 7), "mmmmthm");
        assert_eq!(c.stats().evictions, 4);
        assert_eq!(c.used(), 3);
    }
}
