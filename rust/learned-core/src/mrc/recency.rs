// SPDX-License-Identifier: GPL-2.0

//! LRU stack distances in `O(log n)` worst-case time per access, over caller memory.
//!
//! [`Recency`] keeps up to `cap` slots in recency order. [`Recency::touch`] returns a slot's
//! stack distance, the number of other slots touched more recently (0 for the most recent),
//! and makes it the most recent; [`Recency::remove`] drops a slot. An LRU cache of `c` objects
//! hits an access exactly when the object's distance is below `c`.
//!
//! # How
//!
//! Each slot holds a *position*; positions increase with recency, and a Fenwick tree over the
//! positions counts the occupied ones, so a distance is a prefix sum. Positions would run out,
//! so there are two trees of `2·cap` positions each, *young* and *old*, and time is cut into
//! phases of `cap` position-taking accesses:
//!
//! - a touched slot takes the next position of the young tree's upper half `[cap, 2·cap)`;
//! - meanwhile every such access also *migrates* the next two positions of the old tree, in
//!   order, into the young tree's lower half `[0, cap)`, packed from 0 up.
//!
//! So the recency order, oldest first, is: migrated slots (young tree, below `cap`), then the
//! old tree's unmigrated slots (positions at or past the sweep), then this phase's touches
//! (young tree, from `cap`). After `cap` accesses the sweep has covered the old tree's
//! `2·cap` positions, so the old tree is empty: it becomes the new young tree and the young
//! one the new old tree. The lower half never overflows (at most `cap` slots are live, so at
//! most `cap` migrate) and neither does the upper one (`cap` touches per phase).
//!
//! This is the usual renumbering of a timestamp Fenwick tree, spread over the accesses of a
//! phase: no access ever renumbers everything at once.
//!
//! # Cost
//!
//! - [`Recency::touch`]: one distance (at most 2 prefix sums), one removal, two migrations
//!   and one insertion, each `O(log cap)` Fenwick steps: `O(log cap)` in the worst case.
//! - [`Recency::remove`]: `O(log cap)`.
//! - [`Recency::new`], [`Recency::clear`]: `O(cap)`.
//! - Memory: 9 `u32` words (36 bytes) per slot: its position, and per tree position an owner
//!   and a Fenwick count (two trees of `2·cap` positions).

use super::fenwick;
use super::{carve, Error};

/// The "no position" / "no slot" marker.
const NIL: u32 = u32::MAX;

/// The largest capacity: positions (`4·cap`) must fit in `u32` below [`NIL`].
pub const MAX_CAPACITY: u32 = 1 << 28;

/// A [`Recency`]'s state apart from its memory, to [`Recency::resume`] it from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecencyState {
    cap: u32,
    /// Which tree (0 or 1) is young.
    young: u32,
    /// The next old-tree position to migrate.
    sweep: u32,
    /// The next free position of the young tree's lower half.
    moved: u32,
    /// Positions of the young tree's upper half taken this phase.
    clock: u32,
    /// Slots per tree.
    live: [u32; 2],
}

impl RecencyState {
    fn fresh(cap: u32) -> Self {
        Self {
            cap,
            young: 0,
            sweep: 0,
            moved: 0,
            clock: 0,
            live: [0, 0],
        }
    }
}

/// Slots in recency order, with their stack distances (see the module documentation).
pub struct Recency<'a> {
    /// Per slot: its position (`tree · 2·cap + offset`), or [`NIL`].
    pos: &'a mut [u32],
    /// Per position of both trees: the slot there, or [`NIL`].
    owner: &'a mut [u32],
    /// Both Fenwick trees, tree 0 first.
    fen: &'a mut [u32],
    st: RecencyState,
}

impl<'a> Recency<'a> {
    /// The `u32` words a [`Recency`] of `cap` slots needs: `9 · cap`.
    pub const fn words_for(cap: u32) -> usize {
        (cap as usize).saturating_mul(9)
    }

    fn check(cap: u32, words: usize) -> Result<(), Error> {
        if cap == 0 {
            return Err(Error::ZeroCapacity);
        }
        if cap > MAX_CAPACITY {
            return Err(Error::CapacityTooLarge);
        }
        if words < Self::words_for(cap) {
            return Err(Error::StorageTooSmall);
        }
        Ok(())
    }

    /// An empty structure for slots `0..cap` over `words` (at least [`Self::words_for`]`(cap)`
    /// of them; the rest is unused).
    pub fn new(words: &'a mut [u32], cap: u32) -> Result<Self, Error> {
        let mut r = Self::resume(words, RecencyState::fresh(cap))?;
        r.clear();
        Ok(r)
    }

    /// The structure `state` came from, over the same memory, unchanged since. Given other
    /// memory or a forged state it answers wrongly but stays panic-free.
    pub fn resume(words: &'a mut [u32], state: RecencyState) -> Result<Self, Error> {
        let cap = state.cap;
        Self::check(cap, words.len())?;
        let (c, q) = (cap as usize, (cap as usize).saturating_mul(4));
        let (pos, rest) = carve(words, c).ok_or(Error::StorageTooSmall)?;
        let (owner, rest) = carve(rest, q).ok_or(Error::StorageTooSmall)?;
        let (fen, _) = carve(rest, q).ok_or(Error::StorageTooSmall)?;
        let half = cap.saturating_mul(2);
        if state.young > 1 || state.sweep > half || state.moved > cap || state.clock > cap {
            return Err(Error::BadConfig);
        }
        Ok(Self {
            pos,
            owner,
            fen,
            st: state,
        })
    }

    /// The state to [`Self::resume`] from.
    pub fn state(&self) -> RecencyState {
        self.st
    }

    /// Forgets every slot: `O(cap)`.
    pub fn clear(&mut self) {
        for w in self.pos.iter_mut().chain(self.owner.iter_mut()) {
            *w = NIL;
        }
        for w in self.fen.iter_mut() {
            *w = 0;
        }
        self.st = RecencyState::fresh(self.st.cap);
    }

    /// The number of slots held.
    #[cfg(test)]
    pub fn len(&self) -> u32 {
        self.st.live[0].wrapping_add(self.st.live[1])
    }

    /// Whether no slot is held.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `slot` is held.
    #[cfg(test)]
    pub fn contains(&self, slot: u32) -> bool {
        self.pos.get(slot as usize).is_some_and(|&e| e != NIL)
    }

    /// Makes `slot` the most recent. Returns its stack distance before the access (the number
    /// of slots touched since it was last), or `None` when it was not held (it is now; a slot
    /// at or past the capacity is ignored).
    pub fn touch(&mut self, slot: u32) -> Option<u32> {
        let e = *self.pos.get(slot as usize)?;
        let d = if e == NIL {
            None
        } else {
            let d = self.distance(e);
            self.unplace(slot);
            Some(d)
        };
        let p = self.advance();
        self.place(slot, self.st.young, p);
        d
    }

    /// Drops `slot`; false when it was not held.
    pub fn remove(&mut self, slot: u32) -> bool {
        self.unplace(slot)
    }

    /// The stack distance of `slot` (see [`Self::touch`]) without touching it.
    #[cfg(test)]
    pub fn distance_of(&self, slot: u32) -> Option<u32> {
        let e = *self.pos.get(slot as usize)?;
        (e != NIL).then(|| self.distance(e))
    }

    /// Positions per tree.
    fn half(&self) -> u32 {
        self.st.cap.saturating_mul(2)
    }

    fn tree(&self, t: u32) -> &[u32] {
        let h = self.half() as usize;
        let start = (t as usize).saturating_mul(h);
        self.fen.get(start..start.saturating_add(h)).unwrap_or(&[])
    }

    fn tree_mut(&mut self, t: u32) -> &mut [u32] {
        let h = self.half() as usize;
        let start = (t as usize).saturating_mul(h);
        self.fen
            .get_mut(start..start.saturating_add(h))
            .unwrap_or(&mut [])
    }

    fn live(&self, t: u32) -> u32 {
        self.st.live.get(t as usize).copied().unwrap_or(0)
    }

    /// Slots of tree `t` at positions above `p`.
    fn above(&self, t: u32, p: u32) -> u32 {
        let upto = fenwick::prefix(self.tree(t), (p as usize).saturating_add(1));
        self.live(t).saturating_sub(upto)
    }

    /// The stack distance of the slot at encoded position `e`.
    fn distance(&self, e: u32) -> u32 {
        let half = self.half();
        let (Some(t), Some(p)) = (e.checked_div(half), e.checked_rem(half)) else {
            return 0;
        };
        let young = self.st.young;
        let old = 1 ^ young;
        let cap = self.st.cap;
        if t == young {
            let d = self.above(young, p);
            if p < cap {
                // A migrated slot: older than everything still in the old tree too.
                d.saturating_add(self.live(old))
            } else {
                d
            }
        } else {
            // Unmigrated: older than every slot touched this phase (the young upper half).
            let this_phase = self
                .live(young)
                .saturating_sub(fenwick::prefix(self.tree(young), cap as usize));
            self.above(old, p).saturating_add(this_phase)
        }
    }

    /// Puts `slot` at position `p` of tree `t` (which must be free).
    fn place(&mut self, slot: u32, t: u32, p: u32) {
        let e = t.saturating_mul(self.half()).saturating_add(p);
        let (Some(o), Some(ps)) = (
            self.owner.get_mut(e as usize),
            self.pos.get_mut(slot as usize),
        ) else {
            return;
        };
        *o = slot;
        *ps = e;
        fenwick::inc(self.tree_mut(t), p as usize);
        if let Some(l) = self.st.live.get_mut(t as usize) {
            *l = l.wrapping_add(1);
        }
    }

    /// Takes `slot` off its position; false when it had none.
    fn unplace(&mut self, slot: u32) -> bool {
        let half = self.half();
        let Some(ps) = self.pos.get_mut(slot as usize) else {
            return false;
        };
        let e = *ps;
        if e == NIL {
            return false;
        }
        *ps = NIL;
        if let Some(o) = self.owner.get_mut(e as usize) {
            *o = NIL;
        }
        let (Some(t), Some(p)) = (e.checked_div(half), e.checked_rem(half)) else {
            return true;
        };
        fenwick::dec(self.tree_mut(t), p as usize);
        if let Some(l) = self.st.live.get_mut(t as usize) {
            *l = l.wrapping_sub(1);
        }
        true
    }

    /// Migrates the old tree's next position (if it holds a slot) to the young tree's lower
    /// half.
    fn migrate_one(&mut self) {
        let half = self.half();
        if self.st.sweep >= half {
            return;
        }
        let p = self.st.sweep;
        self.st.sweep = p.saturating_add(1);
        let old = 1 ^ self.st.young;
        let e = old.saturating_mul(half).saturating_add(p);
        let Some(&slot) = self.owner.get(e as usize) else {
            return;
        };
        // `moved < cap` always holds here: at most `cap` slots are live at the phase's start,
        // all in the old tree, and each migrates at most once.
        if slot == NIL || self.st.moved >= self.st.cap {
            return;
        }
        self.unplace(slot);
        let to = self.st.moved;
        self.st.moved = to.saturating_add(1);
        self.place(slot, self.st.young, to);
    }

    /// Takes the young tree's next upper-half position for a touch, after two migration
    /// steps, starting a new phase first when this one is over.
    fn advance(&mut self) -> u32 {
        if self.st.clock >= self.st.cap {
            // Two migration steps per position taken have swept the old tree's 2·cap
            // positions by now, so this loop does not run: it only guards the invariant.
            while self.st.sweep < self.half() {
                self.migrate_one();
            }
            self.st.young ^= 1;
            self.st.sweep = 0;
            self.st.moved = 0;
            self.st.clock = 0;
        }
        self.migrate_one();
        self.migrate_one();
        let p = self.st.cap.saturating_add(self.st.clock);
        self.st.clock = self.st.clock.saturating_add(1);
        p
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    /// The reference: a plain recency list, most recent first.
    fn naive_touch(stack: &mut Vec<u32>, slot: u32) -> Option<u32> {
        let d = stack.iter().position(|&s| s == slot);
        if let Some(i) = d {
            stack.remove(i);
        }
        stack.insert(0, slot);
        d.map(|i| i as u32)
    }

    #[test]
    fn distances_match_a_plain_list_across_many_phases() {
        for cap in [1u32, 2, 3, 5, 16, 100] {
            let mut words = vec![0u32; Recency::words_for(cap)];
            let mut r = Recency::new(&mut words, cap).unwrap();
            let mut stack: Vec<u32> = Vec::new();
            let mut x = u64::from(cap) * 77 + 1;
            for step in 0..20_000u32 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                // Skewed choice: a few hot slots, some cold ones, occasional removals.
                let v = (x >> 33) as u32;
                let slot = if v & 3 == 0 {
                    v % cap
                } else {
                    (v >> 8) % cap.clamp(1, 4)
                };
                let r29 = v % 29;
                if r29 == 0 {
                    let want = stack.contains(&slot);
                    stack.retain(|&s| s != slot);
                    assert_eq!(r.remove(slot), want);
                } else {
                    assert_eq!(
                        r.distance_of(slot),
                        stack.iter().position(|&s| s == slot).map(|i| i as u32)
                    );
                    let got = r.touch(slot);
                    assert_eq!(got, naive_touch(&mut stack, slot), "cap {cap} step {step}");
                }
                assert_eq!(r.len() as usize, stack.len());
            }
            // Resuming from the state continues identically.
            let st = r.state();
            let mut r = Recency::resume(&mut words, st).unwrap();
            for s in 0..cap {
                assert_eq!(r.touch(s), naive_touch(&mut stack, s));
            }
            r.clear();
            assert!(r.is_empty());
            assert_eq!(r.touch(0), None);
        }
    }

    #[test]
    fn a_scan_has_full_distances() {
        let cap = 50u32;
        let mut words = vec![0u32; Recency::words_for(cap)];
        let mut r = Recency::new(&mut words, cap).unwrap();
        for s in 0..cap {
            assert_eq!(r.touch(s), None);
        }
        for _round in 0..10 {
            for s in 0..cap {
                assert_eq!(r.touch(s), Some(cap - 1));
            }
        }
        assert!(r.contains(3) && !r.contains(cap));
        assert_eq!(r.touch(cap), None, "out of range");
        assert!(!r.remove(cap));
    }

    #[test]
    fn rejects_bad_memory_and_states() {
        let mut words = [0u32; 18];
        assert_eq!(Recency::new(&mut words, 0).err(), Some(Error::ZeroCapacity));
        assert_eq!(
            Recency::new(&mut words, 3).err(),
            Some(Error::StorageTooSmall)
        );
        assert_eq!(
            Recency::new(&mut words, MAX_CAPACITY + 1).err(),
            Some(Error::CapacityTooLarge)
        );
        let st = Recency::new(&mut words, 2).unwrap().state();
        let bad = RecencyState { young: 2, ..st };
        assert_eq!(
            Recency::resume(&mut words, bad).err(),
            Some(Error::BadConfig)
        );
        let big = RecencyState { cap: 3, ..st };
        assert_eq!(
            Recency::resume(&mut words, big).err(),
            Some(Error::StorageTooSmall)
        );
    }
}
