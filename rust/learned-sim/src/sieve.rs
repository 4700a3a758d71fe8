// SPDX-License-Identifier: GPL-2.0

//! SIEVE (Zhang et al., NSDI '24), as libCacheSim's `Sieve`.

use learned_core::cache::NIL;

use super::onelist::{OneList, Queue, Rule};

/// SIEVE: a FIFO queue (new objects at the head) with a visited bit and a hand. Eviction
/// starts at the hand (or the tail), clears visited bits moving towards the head (wrapping to
/// the tail), evicts the first unvisited object, and leaves the hand at its predecessor.
/// Survivors are never moved.
pub type Sieve<'a> = OneList<'a, SieveRule>;

/// SIEVE's [`Rule`]: the hand; the visited bit is the slot's `meta`.
#[derive(Clone, Copy, Debug)]
pub struct SieveRule {
    hand: u32,
}

impl Default for SieveRule {
    fn default() -> Self {
        Self { hand: NIL }
    }
}

impl Rule for SieveRule {
    fn hit(&mut self, q: &mut Queue<'_>, i: u32) {
        if let Some(s) = q.store.slot_mut(i) {
            s.meta = 1;
        }
    }

    fn evict(&mut self, q: &mut Queue<'_>) -> bool {
        let mut cur = if self.hand == NIL {
            q.list.tail()
        } else {
            self.hand
        };
        // At most one full sweep clears every bit, so 2 * len + 1 steps always suffice.
        let bound = q.list.len().saturating_mul(2).saturating_add(1);
        for _ in 0..bound {
            let Some(s) = q.store.slot_mut(cur) else {
                return false;
            };
            if s.meta > 0 {
                s.meta = 0;
                cur = if s.prev(0) == NIL {
                    q.list.tail()
                } else {
                    s.prev(0)
                };
            } else {
                self.hand = s.prev(0);
                q.evict(cur);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pat, run};
    use learned_core::cache::store::Slot;
    use learned_core::cache::Store;

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
