// SPDX-License-Identifier: GPL-2.0

//! Clock (FIFO-reinsertion, second chance) with a 1-bit reference counter, as libCacheSim's
//! `Clock` with its default `n-bit-counter=1`.

use super::onelist::{OneList, Queue, Rule};

/// Clock: new objects enter at the head unreferenced; a hit sets the reference bit; eviction
/// takes the tail, and a referenced tail is moved back to the head with its bit cleared.
pub type Clock<'a> = OneList<'a, ClockRule>;

/// Clock's [`Rule`]; the reference bit is the slot's `meta`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClockRule;

impl Rule for ClockRule {
    fn hit(&mut self, q: &mut Queue<'_>, i: u32) {
        if let Some(s) = q.store.slot_mut(i) {
            s.meta = 1;
        }
    }

    fn evict(&mut self, q: &mut Queue<'_>) -> bool {
        // Each object is reinserted at most once (its bit is cleared), so this loop runs at
        // most len + 1 times; the bound keeps it total anyway.
        for _ in 0..=q.list.len() {
            let t = q.list.tail();
            let Some(s) = q.store.slot_mut(t) else {
                return false;
            };
            if s.meta >= 1 {
                s.meta -= 1;
                q.list.move_to_head(&mut q.store, t);
            } else {
                q.evict(t);
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
