// SPDX-License-Identifier: GPL-2.0

//! Belady's MIN: evict the cached object whose next request is farthest in the future, as
//! libCacheSim's `Belady` (unit cost: object sizes do not change the choice).

use learned_core::cache::{overfull, Outcome, Policy, Request, Stats, Store, NIL};

/// The next-access key of a request: "never again" (a negative value) sorts after all else.
fn key_of(next_access: i64) -> i64 {
    if next_access < 0 {
        i64::MAX
    } else {
        next_access
    }
}

/// Belady's MIN over a binary max-heap of slots keyed by next access time.
///
/// Ties (only possible between objects never requested again) go to whichever the heap
/// yields; this does not change the miss count of any object already cached, only which of
/// them makes room.
///
/// Slot `meta` holds the slot's position in the heap; `key` its next access time.
/// INVARIANT: `heap[..len]` are the cached slots; `heap[k]`'s `meta == k`.
pub struct Belady<'a> {
    store: Store<'a>,
    heap: &'a mut [u32],
    len: usize,
    used: u64,
    capacity: u64,
    stats: Stats,
}

/// Why a [`Belady`] could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapTooSmall;

impl<'a> Belady<'a> {
    /// An empty Belady cache of `capacity` units over `store`, with `heap` (at least as long
    /// as the store's arena) for its priority queue.
    pub fn new(capacity: u64, store: Store<'a>, heap: &'a mut [u32]) -> Result<Self, HeapTooSmall> {
        if heap.len() < store.capacity() {
            return Err(HeapTooSmall);
        }
        Ok(Self {
            store,
            heap,
            len: 0,
            used: 0,
            capacity,
            stats: Stats::default(),
        })
    }

    fn key_at(&self, pos: usize) -> i64 {
        let s = self.heap.get(pos).copied().unwrap_or(NIL);
        self.store.slot(s).map_or(i64::MIN, |x| x.key)
    }

    fn swap(&mut self, a: usize, b: usize) {
        if a >= self.len || b >= self.len {
            return;
        }
        self.heap.swap(a, b);
        for pos in [a, b] {
            let s = self.heap.get(pos).copied().unwrap_or(NIL);
            if let Some(x) = self.store.slot_mut(s) {
                x.meta = pos as u32;
            }
        }
    }

    fn sift_up(&mut self, mut pos: usize) {
        while pos > 0 {
            let parent = (pos - 1) / 2; // pos > 0
            if self.key_at(parent) >= self.key_at(pos) {
                break;
            }
            self.swap(parent, pos);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: usize) {
        loop {
            let l = pos.saturating_mul(2).saturating_add(1);
            let r = l.saturating_add(1);
            let mut big = pos;
            if l < self.len && self.key_at(l) > self.key_at(big) {
                big = l;
            }
            if r < self.len && self.key_at(r) > self.key_at(big) {
                big = r;
            }
            if big == pos {
                break;
            }
            self.swap(pos, big);
            pos = big;
        }
    }

    /// Evicts the farthest-next-access object; false when the cache is empty.
    fn evict(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        let top = self.heap.first().copied().unwrap_or(NIL);
        let last = self.len - 1; // len > 0
        self.swap(0, last);
        self.len = last;
        self.sift_down(0);
        let size = self.store.slot(top).map_or(0, |s| u64::from(s.size()));
        self.used = self.used.saturating_sub(size);
        self.store.release(top);
        self.stats.evicted();
        true
    }
}

impl Policy for Belady<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        let key = key_of(req.next_access);
        if let Some(i) = self.store.find(req.id) {
            let mut pos = usize::MAX;
            if let Some(s) = self.store.slot_mut(i) {
                s.key = key;
                pos = s.meta as usize;
            }
            // Next accesses only move forward, so the key grew: sift up (and down, to be
            // total for any input).
            self.sift_up(pos);
            self.sift_down(pos);
            return self.stats.record(Outcome::Hit);
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.used, size, self.capacity) {
            if !self.evict() {
                break;
            }
        }
        let Some(i) = self.store.alloc(req.id, req.size) else {
            return self.stats.record(Outcome::NoSlot);
        };
        let pos = self.len;
        let Some(h) = self.heap.get_mut(pos) else {
            self.store.release(i);
            return self.stats.record(Outcome::NoSlot);
        };
        *h = i;
        if let Some(s) = self.store.slot_mut(i) {
            s.key = key;
            s.meta = pos as u32;
        }
        self.len = pos.saturating_add(1);
        self.used = self.used.saturating_add(size);
        self.sift_up(pos);
        self.stats.record(Outcome::Miss)
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.used
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use learned_core::cache::store::Slot;

    /// Runs ids with unit sizes, computing next accesses; returns the miss count.
    fn run(cap: u64, ids: &[u64], sizes: &[u32]) -> (u64, [bool; 16]) {
        let mut slots = [Slot::EMPTY; 16];
        let mut index = [0u32; 32];
        let mut heap = [0u32; 16];
        let mut c =
            Belady::new(cap, Store::new(&mut slots, &mut index).unwrap(), &mut heap).unwrap();
        let mut hits = [false; 16];
        for (k, &id) in ids.iter().enumerate() {
            let next = ids
                .iter()
                .enumerate()
                .skip(k + 1)
                .find(|&(_, &x)| x == id)
                .map_or(-1, |(j, _)| j as i64);
            let size = sizes.get(k).copied().unwrap_or(1);
            hits[k] = c
                .access(&Request {
                    id,
                    size,
                    next_access: next,
                })
                .is_hit();
        }
        (c.stats().misses, hits)
    }

    #[test]
    fn evicts_farthest_next_access() {
        // cap 2: 1 2 3 -> evict the one used farthest (2 at index 5 vs 1 at 3): evict 2.
        let ids = [1, 2, 3, 1, 3, 2];
        let (misses, hits) = run(2, &ids, &[]);
        assert_eq!(&hits[..6], &[false, false, false, true, true, false]);
        assert_eq!(misses, 4);
    }

    #[test]
    fn never_again_goes_first_and_classic_sequence() {
        // 9 is never requested again: it is the one evicted.
        let (_, hits) = run(2, &[1, 9, 2, 1], &[]);
        assert_eq!(&hits[..4], &[false, false, false, true]);
        // A textbook example: 3 frames, 7 0 1 2 0 3 0 4 2 3 0 3 2 -> 7 faults.
        let (misses, _) = run(3, &[7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2], &[]);
        assert_eq!(misses, 7);
    }

    #[test]
    fn sizes_and_too_large() {
        // cap 10: 1(6) 2(4) fit; 3(11) too large; 4(5) evicts 1 (next at 6, farther than 2
        // at 4... 2 is at index 4, 1 at index 6): evict 1, then 2 hits, 1 misses.
        let ids = [1, 2, 3, 4, 2, 4, 1];
        let sizes = [6, 4, 11, 5, 4, 5, 6];
        let (misses, hits) = run(10, &ids, &sizes);
        assert_eq!(&hits[..7], &[false, false, false, false, true, true, false]);
        assert_eq!(misses, 5);
    }
}
