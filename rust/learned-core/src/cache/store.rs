// SPDX-License-Identifier: GPL-2.0

//! The storage every cache policy shares: a fixed slot arena over caller-provided memory, an
//! open-addressing index from object id to slot, and intrusive doubly linked lists threaded
//! through the slots.
//!
//! Nothing here allocates: the caller hands in `&mut [Slot]` and `&mut [u32]` (the index
//! buckets) and keeps ownership of them. Every operation is total: an out-of-range slot number
//! is ignored rather than indexed, so no input can make these functions panic.

/// The "no slot" marker, used in links, list ends and empty index buckets.
pub const NIL: u32 = u32::MAX;

/// How many link pairs a slot carries: a slot can sit on this many lists at once (LIRS keeps
/// a block on its stack and its queue at the same time; other policies use link 0 only).
pub const LINKS: usize = 2;

/// One cached (or ghost) object: its id, its size and its per-policy metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    pub(super) id: u64,
    pub(super) size: u32,
    /// `prev`/`next` slot numbers for each of the [`LINKS`] lists, [`NIL`] at the ends.
    pub(super) prev: [u32; LINKS],
    pub(super) next: [u32; LINKS],
    /// Which list (per link) the slot is on; policy defined, 0 = none.
    pub(super) tag: [u8; LINKS],
    /// Policy defined: a frequency, a reference bit, a heap position...
    pub meta: u32,
    /// Policy defined: Belady's next access time.
    pub key: i64,
}

impl Slot {
    /// An unused slot; fill the arena with it (`vec![Slot::EMPTY; n]`).
    pub const EMPTY: Slot = Slot {
        id: 0,
        size: 0,
        prev: [NIL; LINKS],
        next: [NIL; LINKS],
        tag: [0; LINKS],
        meta: 0,
        key: 0,
    };

    /// The id of the object held in this slot.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The size of the object held in this slot (1 when the cache counts objects).
    #[cfg(any(test, feature = "host"))]
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Which list the slot is on for link `k` (policy defined, 0 = none; 0 for a bad `k`).
    #[cfg(any(test, feature = "host"))]
    pub fn tag(&self, k: usize) -> u8 {
        self.tag.get(k).copied().unwrap_or(0)
    }

    /// The previous slot on link `k`'s list, [`NIL`] at the head (and for a bad `k`).
    #[cfg(any(test, feature = "host"))]
    pub fn prev(&self, k: usize) -> u32 {
        self.prev.get(k).copied().unwrap_or(NIL)
    }
}

impl Default for Slot {
    fn default() -> Self {
        Slot::EMPTY
    }
}

/// Why a [`Store`] could not be built over the given memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The index must have more buckets than the arena has slots (so a probe always meets an
    /// empty bucket); see [`Store::buckets_for`].
    IndexTooSmall,
    /// The arena has `u32::MAX` slots or more: slot numbers are `u32` with [`NIL`] reserved.
    TooManySlots,
}

/// The part of a [`Store`] that is not its memory: enough to [`Store::resume`] it over the
/// same memory later (for a caller that cannot keep the borrow, like a kernel object that
/// owns the memory and the store's state side by side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreState {
    free: u32,
    live: u32,
}

/// A slot arena plus an id → slot index, over caller-provided memory.
///
/// INVARIANTS: `index.len() > slots.len()`, `slots.len() < NIL`; every allocated slot is in
/// the index exactly once; free slots form a list through `next[0]` starting at `free`.
pub struct Store<'a> {
    slots: &'a mut [Slot],
    index: &'a mut [u32],
    free: u32,
    live: u32,
}

/// The multiplier of the Fibonacci hash that spreads object ids over the index.
const HASH_MUL: u64 = 0x9E37_79B9_7F4A_7C15;

impl<'a> Store<'a> {
    /// A good index size for `slots` slots: the next power of two at least twice as large.
    pub fn buckets_for(slots: usize) -> usize {
        slots
            .saturating_mul(2)
            .saturating_add(1)
            .checked_next_power_of_two()
            .unwrap_or(usize::MAX)
    }

    /// Builds an empty store over `slots` (the arena) and `index` (the buckets).
    pub fn new(slots: &'a mut [Slot], index: &'a mut [u32]) -> Result<Self, StoreError> {
        let n = u32::try_from(slots.len()).map_err(|_| StoreError::TooManySlots)?;
        if n == NIL {
            return Err(StoreError::TooManySlots);
        }
        if index.len() <= slots.len() {
            return Err(StoreError::IndexTooSmall);
        }
        for b in index.iter_mut() {
            *b = NIL;
        }
        let mut next_free = 1u32;
        for s in slots.iter_mut() {
            *s = Slot::EMPTY;
            s.next[0] = if next_free < n { next_free } else { NIL };
            next_free = next_free.saturating_add(1);
        }
        let free = if n > 0 { 0 } else { NIL };
        Ok(Self {
            slots,
            index,
            free,
            live: 0,
        })
    }

    /// The state to [`Self::resume`] this store from.
    pub fn state(&self) -> StoreState {
        StoreState {
            free: self.free,
            live: self.live,
        }
    }

    /// The store `state` came from, over the same `slots` and `index`, unchanged since. Given
    /// other memory, the store misbehaves (finds wrong slots) but stays memory-safe and
    /// panic-free, as every access is checked.
    pub fn resume(
        slots: &'a mut [Slot],
        index: &'a mut [u32],
        state: StoreState,
    ) -> Result<Self, StoreError> {
        if u32::try_from(slots.len()).map_or(true, |n| n == NIL) {
            return Err(StoreError::TooManySlots);
        }
        if index.len() <= slots.len() {
            return Err(StoreError::IndexTooSmall);
        }
        Ok(Self {
            slots,
            index,
            free: state.free,
            live: state.live,
        })
    }

    /// The number of slots in use.
    #[cfg(any(test, feature = "host"))]
    pub fn live(&self) -> u32 {
        self.live
    }

    /// The number of slots in the arena.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The slot `i`, if it exists.
    pub fn slot(&self, i: u32) -> Option<&Slot> {
        self.slots.get(i as usize)
    }

    /// Slot `i`, to change its policy-defined fields.
    pub fn slot_mut(&mut self, i: u32) -> Option<&mut Slot> {
        self.slots.get_mut(i as usize)
    }

    /// The home bucket of `id`.
    fn home(&self, id: u64) -> usize {
        let h = id.wrapping_mul(HASH_MUL);
        let len = self.index.len() as u64;
        // `len > 0` by the invariant; `checked_rem` keeps this total anyway.
        h.rotate_left(32).checked_rem(len).unwrap_or(0) as usize
    }

    /// The bucket after `pos`, wrapping around.
    fn step(&self, pos: usize) -> usize {
        let next = pos.saturating_add(1);
        if next >= self.index.len() {
            0
        } else {
            next
        }
    }

    /// The bucket holding `id`, and the slot it points to.
    fn probe(&self, id: u64) -> Option<(usize, u32)> {
        let mut pos = self.home(id);
        for _ in 0..self.index.len() {
            let s = *self.index.get(pos)?;
            if s == NIL {
                return None;
            }
            if self.slots.get(s as usize).map(|x| x.id) == Some(id) {
                return Some((pos, s));
            }
            pos = self.step(pos);
        }
        None
    }

    /// The slot holding `id`, if any.
    pub fn find(&self, id: u64) -> Option<u32> {
        self.probe(id).map(|(_, s)| s)
    }

    /// Takes a free slot for `id` (which must not be present) and indexes it; `None` when the
    /// arena is full. The slot starts unlinked, with zero metadata.
    pub fn alloc(&mut self, id: u64, size: u32) -> Option<u32> {
        let i = self.free;
        let slot = self.slots.get_mut(i as usize)?;
        let next_free = slot.next[0];
        *slot = Slot::EMPTY;
        slot.id = id;
        slot.size = size;
        // Find an empty bucket; one exists since index.len() > slots.len() >= live + 1.
        let mut pos = self.home(id);
        let mut placed = false;
        for _ in 0..self.index.len() {
            match self.index.get_mut(pos) {
                Some(b) if *b == NIL => {
                    *b = i;
                    placed = true;
                    break;
                }
                Some(_) => pos = self.step(pos),
                None => break,
            }
        }
        if !placed {
            return None;
        }
        self.free = next_free;
        self.live = self.live.saturating_add(1);
        Some(i)
    }

    /// Drops slot `i` from the index and returns it to the free list. The caller must have
    /// unlinked it from every list first. Unknown or free slots are ignored.
    pub fn release(&mut self, i: u32) {
        let Some(id) = self.slots.get(i as usize).map(|s| s.id) else {
            return;
        };
        let Some((mut hole, s)) = self.probe(id) else {
            return;
        };
        if s != i {
            return;
        }
        // Backward-shift deletion (Knuth's algorithm R): no tombstones.
        if let Some(b) = self.index.get_mut(hole) {
            *b = NIL;
        }
        let mut j = self.step(hole);
        for _ in 0..self.index.len() {
            let Some(&e) = self.index.get(j) else { break };
            if e == NIL {
                break;
            }
            let k = self.home(self.slots.get(e as usize).map_or(0, |x| x.id));
            // The entry at j may stay iff its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < k && k <= j
            } else {
                hole < k || k <= j
            };
            if !stays {
                if let Some(b) = self.index.get_mut(hole) {
                    *b = e;
                }
                if let Some(b) = self.index.get_mut(j) {
                    *b = NIL;
                }
                hole = j;
            }
            j = self.step(j);
        }
        let free = self.free;
        if let Some(slot) = self.slots.get_mut(i as usize) {
            *slot = Slot::EMPTY;
            slot.next[0] = free;
        }
        self.free = i;
        self.live = self.live.saturating_sub(1);
    }
}

/// An intrusive doubly linked list of slots, threaded through link `L` of each slot, with its
/// length and total bytes. The head is the most recently pushed end for FIFO/LRU use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct List<const L: usize> {
    head: u32,
    tail: u32,
    len: u32,
    bytes: u64,
}

impl<const L: usize> Default for List<L> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const L: usize> List<L> {
    /// Compile-time proof that `L` names one of a slot's link pairs, so `[L]` indexing of the
    /// `[_; LINKS]` link arrays is always in bounds: `List<L>` with `L >= LINKS` does not build.
    const LINK_IN_RANGE: () = assert!(L < LINKS, "List<L> needs L < LINKS");

    /// An empty list.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::LINK_IN_RANGE;
        Self {
            head: NIL,
            tail: NIL,
            len: 0,
            bytes: 0,
        }
    }

    /// The head slot ([`NIL`] when empty).
    #[cfg(any(test, feature = "host"))]
    pub fn head(&self) -> u32 {
        self.head
    }

    /// The tail slot ([`NIL`] when empty).
    pub fn tail(&self) -> u32 {
        self.tail
    }

    /// The number of slots on the list.
    /// (`is_empty` is the host's: the module does not ask.)
    #[cfg_attr(not(any(test, feature = "host")), allow(clippy::len_without_is_empty))]
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Whether the list is empty.
    #[cfg(any(test, feature = "host"))]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The sum of the sizes of the slots on the list.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Puts slot `i` (not on this list) at the head, tagging it `tag`.
    pub fn push_head(&mut self, st: &mut Store<'_>, i: u32, tag: u8) {
        let old = self.head;
        let Some(s) = st.slot_mut(i) else { return };
        s.prev[L] = NIL;
        s.next[L] = old;
        s.tag[L] = tag;
        let size = u64::from(s.size);
        match st.slot_mut(old) {
            Some(o) => o.prev[L] = i,
            None => self.tail = i,
        }
        self.head = i;
        self.len = self.len.saturating_add(1);
        self.bytes = self.bytes.saturating_add(size);
    }

    /// Puts slot `i` (not on this list) at the tail, tagging it `tag`.
    pub fn push_tail(&mut self, st: &mut Store<'_>, i: u32, tag: u8) {
        let old = self.tail;
        let Some(s) = st.slot_mut(i) else { return };
        s.next[L] = NIL;
        s.prev[L] = old;
        s.tag[L] = tag;
        let size = u64::from(s.size);
        match st.slot_mut(old) {
            Some(o) => o.next[L] = i,
            None => self.head = i,
        }
        self.tail = i;
        self.len = self.len.saturating_add(1);
        self.bytes = self.bytes.saturating_add(size);
    }

    /// Takes slot `i` (which must be on this list) off it and clears its tag.
    pub fn unlink(&mut self, st: &mut Store<'_>, i: u32) {
        let Some(s) = st.slot_mut(i) else { return };
        let (p, n) = (s.prev[L], s.next[L]);
        let size = u64::from(s.size);
        s.prev[L] = NIL;
        s.next[L] = NIL;
        s.tag[L] = 0;
        match st.slot_mut(p) {
            Some(ps) => ps.next[L] = n,
            None => self.head = n,
        }
        match st.slot_mut(n) {
            Some(ns) => ns.prev[L] = p,
            None => self.tail = p,
        }
        self.len = self.len.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(size);
    }

    /// Moves slot `i` (on this list) to the head.
    pub fn move_to_head(&mut self, st: &mut Store<'_>, i: u32) {
        let tag = st.slot(i).map_or(0, |s| s.tag[L]);
        self.unlink(st, i);
        self.push_head(st, i, tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_memory() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 4];
        assert_eq!(
            Store::new(&mut slots, &mut index).err(),
            Some(StoreError::IndexTooSmall)
        );
        assert_eq!(Store::buckets_for(4), 16);
    }

    #[test]
    fn find_alloc_release_with_collisions() {
        // A tiny index forces collisions and wrap-around probing.
        let mut slots = [Slot::EMPTY; 6];
        let mut index = [0u32; 7];
        let mut st = Store::new(&mut slots, &mut index).unwrap();
        let ids = [7u64, 14, 21, 28, 35, 42];
        let mut got = [NIL; 6];
        for (k, &id) in ids.iter().enumerate() {
            got[k] = st.alloc(id, 10).unwrap();
        }
        assert_eq!(st.alloc(99, 1), None, "arena full");
        assert_eq!(st.live(), 6);
        for (k, &id) in ids.iter().enumerate() {
            assert_eq!(st.find(id), Some(got[k]));
        }
        assert_eq!(st.find(1000), None);
        // Delete from the middle of probe chains, then everything else must still be found.
        st.release(got[1]);
        st.release(got[3]);
        assert_eq!(st.find(14), None);
        assert_eq!(st.find(28), None);
        for &k in &[0usize, 2, 4, 5] {
            assert_eq!(st.find(ids[k]), Some(got[k]));
        }
        // Freed slots are reused.
        let a = st.alloc(14, 1).unwrap();
        let b = st.alloc(56, 1).unwrap();
        assert!([got[1], got[3]].contains(&a) && [got[1], got[3]].contains(&b));
        assert_eq!(st.find(56), Some(b));
        assert_eq!(st.slot(b).map(|s| s.size()), Some(1));
        // Releasing an unknown slot is ignored.
        st.release(NIL);
        st.release(100);
        assert_eq!(st.live(), 6);
    }

    #[test]
    fn many_ids_survive_churn() {
        extern crate std;
        use std::vec;
        let n = 200usize;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let mut st = Store::new(&mut slots, &mut index).unwrap();
        let mut slot_of = vec![NIL; 1000];
        for round in 0..5u64 {
            for id in 0..n as u64 {
                let id = id * 5 + round % 5;
                if let Some(s) = st.find(id) {
                    st.release(s);
                    slot_of[id as usize] = NIL;
                } else if let Some(s) = st.alloc(id, 1) {
                    slot_of[id as usize] = s;
                }
            }
            for (id, &s) in slot_of.iter().enumerate() {
                let want = if s == NIL { None } else { Some(s) };
                assert_eq!(st.find(id as u64), want);
            }
        }
    }

    #[test]
    fn list_order_and_bytes() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 8];
        let mut st = Store::new(&mut slots, &mut index).unwrap();
        let mut l: List<0> = List::new();
        let a = st.alloc(1, 1).unwrap();
        let b = st.alloc(2, 2).unwrap();
        let c = st.alloc(3, 4).unwrap();
        l.push_head(&mut st, c, 1);
        l.push_head(&mut st, a, 1);
        l.push_head(&mut st, b, 1);
        // b a c
        assert_eq!((l.head(), l.tail(), l.len(), l.bytes()), (b, c, 3, 7));
        l.move_to_head(&mut st, c);
        // c b a
        assert_eq!((l.head(), l.tail()), (c, a));
        l.unlink(&mut st, b);
        assert_eq!(st.slot(c).unwrap().next[0], a);
        assert_eq!(st.slot(a).unwrap().prev[0], c);
        assert_eq!((l.len(), l.bytes()), (2, 5));
        l.unlink(&mut st, c);
        l.unlink(&mut st, a);
        assert!(l.is_empty());
        assert_eq!((l.head(), l.tail(), l.bytes()), (NIL, NIL, 0));
        // Tail pushes: onto an empty list, then behind the tail.
        l.push_tail(&mut st, a, 1);
        l.push_tail(&mut st, c, 1);
        l.push_head(&mut st, b, 1);
        // b a c
        assert_eq!((l.head(), l.tail(), l.len(), l.bytes()), (b, c, 3, 7));
        assert_eq!(st.slot(a).unwrap().next[0], c);
        assert_eq!(st.slot(c).unwrap().prev[0], a);
    }
}
