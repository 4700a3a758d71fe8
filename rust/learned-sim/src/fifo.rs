// SPDX-License-Identifier: GPL-2.0

//! FIFO: evict the object inserted first; hits change nothing.

use super::onelist::{OneList, Queue, Rule};

/// First-in-first-out replacement. The list head is the newest object.
pub type Fifo<'a> = OneList<'a, FifoRule>;

/// FIFO's [`Rule`]: a hit changes nothing; eviction takes the tail.
#[derive(Clone, Copy, Debug, Default)]
pub struct FifoRule;

impl Rule for FifoRule {
    fn hit(&mut self, _q: &mut Queue<'_>, _i: u32) {}

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
