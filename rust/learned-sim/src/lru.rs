// SPDX-License-Identifier: GPL-2.0

//! LRU: evict the least recently used object.

use super::onelist::{OneList, Queue, Rule};

/// Least-recently-used replacement. The list head is the most recently used object.
pub type Lru<'a> = OneList<'a, LruRule>;

/// LRU's [`Rule`]: a hit moves the object to the head; eviction takes the tail.
#[derive(Clone, Copy, Debug, Default)]
pub struct LruRule;

impl Rule for LruRule {
    fn hit(&mut self, q: &mut Queue<'_>, i: u32) {
        q.list.move_to_head(&mut q.store, i);
    }

    fn evict(&mut self, q: &mut Queue<'_>) -> bool {
        q.evict_tail()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pat, run};
    use learned_core::cache::store::Slot;
    use learned_core::cache::{Policy, Store};

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
