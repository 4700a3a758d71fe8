// SPDX-License-Identifier: GPL-2.0

//! A binary max-heap of slot numbers over caller memory, ordered by a caller-supplied `u32`
//! priority per slot (SHARDS: the slot's sampling hash). Push and pop are `O(log n)`, peek is
//! `O(1)`; nothing else is needed, since SHARDS only ever removes the maximum.
//!
//! The priority function is passed to each call instead of being stored, so the heap borrows
//! nothing but its own array. Every access is checked: no input makes it panic.

/// The heap's memory (`items`, one `u32` per slot) and its length.
pub(super) struct MaxHeap<'a> {
    items: &'a mut [u32],
    len: usize,
}

impl<'a> MaxHeap<'a> {
    /// An empty heap over `items`.
    pub(super) fn new(items: &'a mut [u32]) -> Self {
        Self { items, len: 0 }
    }

    /// The heap over `items` that held its first `len` entries (clamped to the memory).
    pub(super) fn resume(items: &'a mut [u32], len: usize) -> Self {
        let len = len.min(items.len());
        Self { items, len }
    }

    /// The number of entries.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Empties the heap.
    pub(super) fn clear(&mut self) {
        self.len = 0;
    }

    /// The slot with the largest priority, if any.
    pub(super) fn peek(&self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        self.items.first().copied()
    }

    /// Adds `slot`; false (and no change) when the memory is full.
    pub(super) fn push(&mut self, slot: u32, prio: impl Fn(u32) -> u32) -> bool {
        let mut i = self.len;
        let Some(e) = self.items.get_mut(i) else {
            return false;
        };
        *e = slot;
        self.len = i.saturating_add(1);
        let p = prio(slot);
        // Sift up: at most log2 len iterations.
        while i > 0 {
            let parent = (i - 1) / 2;
            let Some(&ps) = self.items.get(parent) else {
                break;
            };
            if prio(ps) >= p {
                break;
            }
            self.swap(i, parent);
            i = parent;
        }
        true
    }

    /// Removes and returns the slot with the largest priority.
    pub(super) fn pop(&mut self, prio: impl Fn(u32) -> u32) -> Option<u32> {
        let top = self.peek()?;
        let last = self.len - 1;
        self.swap(0, last);
        self.len = last;
        // Sift down: at most log2 len iterations.
        let mut i = 0usize;
        loop {
            let l = i.saturating_mul(2).saturating_add(1);
            if l >= self.len {
                break;
            }
            let r = l.saturating_add(1);
            let pl = self.prio_at(l, &prio);
            let big = if r < self.len && self.prio_at(r, &prio) > pl {
                r
            } else {
                l
            };
            if self.prio_at(big, &prio) <= self.prio_at(i, &prio) {
                break;
            }
            self.swap(i, big);
            i = big;
        }
        Some(top)
    }

    fn prio_at(&self, i: usize, prio: &impl Fn(u32) -> u32) -> u32 {
        self.items.get(i).map_or(0, |&s| prio(s))
    }

    fn swap(&mut self, a: usize, b: usize) {
        if a < self.items.len() && b < self.items.len() {
            self.items.swap(a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_descending_priority_order() {
        let prio = |s: u32| s.wrapping_mul(2_654_435_761) >> 8;
        let mut mem = [0u32; 64];
        let mut h = MaxHeap::new(&mut mem);
        for s in 0..64u32 {
            assert!(h.push(s, prio));
        }
        assert!(!h.push(99, prio), "full");
        assert_eq!(h.len(), 64);
        let mut last = u32::MAX;
        let mut n = 0;
        while let Some(s) = h.pop(prio) {
            assert!(prio(s) <= last);
            last = prio(s);
            n += 1;
        }
        assert_eq!(n, 64);
        assert_eq!(h.pop(prio), None);
    }

    #[test]
    fn equal_priorities_and_empty_memory() {
        let mut mem = [0u32; 8];
        let mut h = MaxHeap::new(&mut mem);
        for s in 0..8 {
            h.push(s, |_| 7);
        }
        let mut seen = [false; 8];
        while let Some(s) = h.pop(|_| 7) {
            seen[s as usize] = true;
        }
        assert!(seen.iter().all(|&b| b));
        let mut none: [u32; 0] = [];
        let mut h = MaxHeap::new(&mut none);
        assert!(!h.push(1, |s| s));
        assert_eq!(h.peek(), None);
        let mut h = MaxHeap::resume(&mut mem, 100);
        assert_eq!(h.len(), 8);
        h.clear();
        assert_eq!(h.pop(|s| s), None);
    }
}
