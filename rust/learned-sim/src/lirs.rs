// SPDX-License-Identifier: GPL-2.0

//! LIRS (Jiang & Zhang, SIGMETRICS '02) for variable-size objects, following libCacheSim's
//! `LIRS` step by step: stack S (recency of LIR and HIR blocks, resident or not), queue Q
//! (resident HIR blocks, 1% of the capacity) and list NH (non-resident HIR blocks still in S,
//! oldest first, used to bound S at twice the capacity).
//!
//! A block's S entry and Q entry carry their own flags, as libCacheSim's separate copies do;
//! NH and Q are disjoint, so they share the slot's second link pair. Where libCacheSim would
//! loop forever or touch freed memory (corner cases that do not occur on the reference trace)
//! this code stops or skips the step instead.

use learned_core::cache::{overfull, List, Outcome, Policy, Request, Stats, Store};

/// Link-0 tag: the block is on stack S.
const IN_S: u8 = 1;
/// Link-1 tags: on queue Q, or on the non-resident list NH.
const IN_Q: u8 = 1;
const IN_NH: u8 = 2;

/// Slot `meta` bits of the S entry.
const S_LIR: u32 = 1;
const S_RESIDENT: u32 = 2;

/// LIRS over a byte capacity, split into LIR blocks (99%) and resident HIR blocks (1%).
pub struct Lirs<'a> {
    store: Store<'a>,
    s: List<0>,
    q: List<1>,
    nh: List<1>,
    lirs_count: u64,
    hirs_count: u64,
    lirs_limit: u64,
    hirs_limit: u64,
    occupied: u64,
    capacity: u64,
    stats: Stats,
}

/// A block's state, read from its slot.
#[derive(Clone, Copy)]
struct State {
    slot: u32,
    in_s: bool,
    lir: bool,
    resident: bool,
    in_q: bool,
    in_nh: bool,
    size: u64,
}

impl<'a> Lirs<'a> {
    /// An empty LIRS cache of `capacity` units over `store` (HIR share: 1%, at least 1).
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        let hirs_limit = (capacity / 100).max(1);
        Self {
            store,
            s: List::new(),
            q: List::new(),
            nh: List::new(),
            lirs_count: 0,
            hirs_count: 0,
            lirs_limit: capacity.saturating_sub(hirs_limit),
            hirs_limit,
            occupied: 0,
            capacity,
            stats: Stats::default(),
        }
    }

    fn state_of_slot(&self, i: u32) -> Option<State> {
        let s = self.store.slot(i)?;
        Some(State {
            slot: i,
            in_s: s.tag(0) == IN_S,
            lir: s.meta & S_LIR != 0,
            resident: s.meta & S_RESIDENT != 0,
            in_q: s.tag(1) == IN_Q,
            in_nh: s.tag(1) == IN_NH,
            size: u64::from(s.size()),
        })
    }

    fn state(&self, id: u64) -> Option<State> {
        self.store.find(id).and_then(|i| self.state_of_slot(i))
    }

    fn set_s_flags(&mut self, i: u32, flags: u32) {
        if let Some(s) = self.store.slot_mut(i) {
            s.meta = flags;
        }
    }

    /// Frees slot `i` once it is on none of S, Q, NH.
    fn maybe_release(&mut self, i: u32) {
        if let Some(s) = self.store.slot(i) {
            if s.tag(0) == 0 && s.tag(1) == 0 {
                self.store.release(i);
            }
        }
    }

    /// Removes the S entry of slot `i`.
    fn drop_s(&mut self, i: u32) {
        self.s.unlink(&mut self.store, i);
        self.set_s_flags(i, 0);
        self.maybe_release(i);
    }

    /// Pops HIR blocks off S's bottom until a LIR block (or the top) is there.
    fn prune(&mut self) {
        for _ in 0..=self.s.len() {
            let t = self.s.tail();
            if t == self.s.head() {
                break;
            }
            let Some(st) = self.state_of_slot(t) else {
                break;
            };
            if st.lir {
                break;
            }
            if !st.resident && st.in_nh {
                self.nh.unlink(&mut self.store, t);
            }
            self.drop_s(t);
        }
    }

    /// Evicts the resident HIR block at Q's front; false when Q is empty.
    fn evict_hir(&mut self) -> bool {
        let t = self.q.tail();
        let Some(st) = self.state_of_slot(t) else {
            return false;
        };
        self.hirs_count = self.hirs_count.saturating_sub(st.size);
        self.q.unlink(&mut self.store, t);
        if st.in_s {
            let flags = if st.lir { S_LIR } else { 0 };
            self.set_s_flags(t, flags);
            self.nh.push_head(&mut self.store, t, IN_NH);
        } else {
            self.maybe_release(t);
        }
        self.occupied = self.occupied.saturating_sub(st.size);
        self.stats.evicted();
        true
    }

    /// Demotes the block at S's bottom to a resident HIR block in Q (or evicts it if it does
    /// not fit in Q), then prunes S; false when S is empty.
    fn evict_lir(&mut self) -> bool {
        let t = self.s.tail();
        let Some(st) = self.state_of_slot(t) else {
            return false;
        };
        self.lirs_count = self.lirs_count.saturating_sub(st.size);
        self.s.unlink(&mut self.store, t);
        self.set_s_flags(t, 0);
        self.occupied = self.occupied.saturating_sub(st.size);
        // Keep link 1 for the new Q entry (libCacheSim would hold two copies here).
        if st.in_q {
            self.q.unlink(&mut self.store, t);
            self.hirs_count = self.hirs_count.saturating_sub(st.size);
            self.occupied = self.occupied.saturating_sub(st.size);
        } else if st.in_nh {
            self.nh.unlink(&mut self.store, t);
        }
        if st.size <= self.hirs_limit {
            while overfull(self.hirs_count, st.size, self.hirs_limit) {
                if !self.evict_hir() {
                    break;
                }
            }
            self.q.push_head(&mut self.store, t, IN_Q);
            self.hirs_count = self.hirs_count.saturating_add(st.size);
            self.occupied = self.occupied.saturating_add(st.size);
        } else {
            self.maybe_release(t);
            self.stats.evicted();
        }
        self.prune();
        true
    }

    /// Evicts LIR blocks until `size` more fits in the LIR share.
    fn make_lir_room(&mut self, size: u64) {
        while overfull(self.lirs_count, size, self.lirs_limit) {
            if !self.evict_lir() {
                break;
            }
        }
    }

    /// Bounds S at twice the capacity by forgetting the oldest non-resident HIR blocks.
    fn limit_stack(&mut self) {
        while self.s.bytes() > self.capacity.saturating_mul(2) {
            let t = self.nh.tail();
            let Some(st) = self.state_of_slot(t) else {
                break;
            };
            self.nh.unlink(&mut self.store, t);
            if st.in_s {
                self.s.unlink(&mut self.store, t);
                self.set_s_flags(t, 0);
            }
            self.maybe_release(t);
        }
    }

    /// A hit on a resident HIR block in S: it becomes LIR.
    fn hit_hir_in_s(&mut self, st: State) {
        if st.in_q {
            self.hirs_count = self.hirs_count.saturating_sub(st.size);
            self.q.unlink(&mut self.store, st.slot);
            self.occupied = self.occupied.saturating_sub(st.size);
        }
        self.make_lir_room(st.size);
        if self.state_of_slot(st.slot).is_some_and(|x| x.in_s) {
            self.set_s_flags(st.slot, S_LIR | S_RESIDENT);
        }
        self.lirs_count = self.lirs_count.saturating_add(st.size);
        self.occupied = self.occupied.saturating_add(st.size);
    }

    /// A hit on a resident HIR block only in Q: it goes back on top of S, still HIR.
    fn hit_hir_in_q(&mut self, id: u64, size: u32) -> Outcome {
        self.make_lir_room(u64::from(size));
        let i = match self.store.find(id) {
            Some(i) => i,
            None => match self.store.alloc(id, size) {
                Some(i) => i,
                None => return Outcome::Hit,
            },
        };
        if self.state_of_slot(i).is_some_and(|x| x.in_s) {
            self.s.move_to_head(&mut self.store, i);
        } else {
            self.s.push_head(&mut self.store, i, IN_S);
        }
        self.set_s_flags(i, S_RESIDENT);
        Outcome::Hit
    }

    /// One eviction step of libCacheSim's `LIRS_evict`; false if it could not free anything.
    fn evict_step(&mut self, id: u64, size: u64) -> bool {
        let before = self.occupied;
        match self.state(id) {
            Some(st) if st.in_s && !st.lir && !st.resident => {
                while self.hirs_count >= self.hirs_limit {
                    if !self.evict_hir() {
                        break;
                    }
                }
                self.evict_lir();
            }
            Some(st) if st.in_s || st.in_q => {}
            _ => {
                if overfull(self.lirs_count, size, self.lirs_limit)
                    && overfull(self.hirs_count, size, self.hirs_limit)
                {
                    self.evict_hir();
                }
            }
        }
        self.occupied < before
    }

    fn miss(&mut self, req: &Request, st: Option<State>) -> Outcome {
        let size = u64::from(req.size);
        if size > self.capacity {
            return Outcome::TooLarge;
        }
        // libCacheSim's LIRS_can_insert, which also makes room.
        match st {
            Some(st) if st.in_s => {
                self.make_lir_room(st.size);
                if let Some(now) = self.state(req.id) {
                    if now.in_nh {
                        self.nh.unlink(&mut self.store, now.slot);
                    }
                }
            }
            _ => {
                if size > self.lirs_limit || size > self.hirs_limit {
                    return Outcome::TooLarge;
                }
                if overfull(self.lirs_count, size, self.lirs_limit)
                    && overfull(self.hirs_count, size, self.hirs_limit)
                {
                    while overfull(self.hirs_count, size, self.hirs_limit) {
                        if !self.evict_hir() {
                            break;
                        }
                    }
                }
            }
        }
        while overfull(self.occupied, size, self.capacity) {
            if !self.evict_step(req.id, size) {
                break;
            }
        }
        match self.state(req.id) {
            Some(now) if now.in_s && !now.lir && !now.resident => {
                self.set_s_flags(now.slot, S_LIR | S_RESIDENT);
                self.lirs_count = self.lirs_count.saturating_add(now.size);
                self.occupied = self.occupied.saturating_add(now.size);
            }
            Some(_) => {}
            None => {
                let Some(i) = self.store.alloc(req.id, req.size) else {
                    return Outcome::NoSlot;
                };
                self.s.push_head(&mut self.store, i, IN_S);
                if self.lirs_count.saturating_add(size) <= self.lirs_limit {
                    self.set_s_flags(i, S_LIR | S_RESIDENT);
                    self.lirs_count = self.lirs_count.saturating_add(size);
                } else {
                    self.set_s_flags(i, S_RESIDENT);
                    self.q.push_head(&mut self.store, i, IN_Q);
                    self.hirs_count = self.hirs_count.saturating_add(size);
                }
                self.occupied = self.occupied.saturating_add(size);
            }
        }
        Outcome::Miss
    }

    fn lookup(&mut self, req: &Request) -> Outcome {
        let st = self.state(req.id);
        if let Some(st) = st {
            if st.in_s {
                self.s.move_to_head(&mut self.store, st.slot);
            }
            if st.in_q {
                self.q.move_to_head(&mut self.store, st.slot);
            }
            if st.in_s && st.lir {
                self.prune();
                return Outcome::Hit;
            }
            if st.in_s && st.resident {
                self.hit_hir_in_s(st);
                return Outcome::Hit;
            }
            if !st.in_s && st.in_q {
                return self.hit_hir_in_q(req.id, req.size);
            }
        }
        self.miss(req, st)
    }
}

impl Policy for Lirs<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        let o = self.lookup(req);
        self.limit_stack();
        self.stats.record(o)
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.occupied
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{pat, run};
    use learned_core::cache::store::Slot;

    fn flags(c: &Lirs<'_>, id: u64) -> (bool, bool, bool, bool) {
        let st = c.state(id).unwrap();
        (st.in_s, st.lir, st.resident, st.in_q)
    }

    #[test]
    fn lir_hir_and_non_resident() {
        let mut slots = [Slot::EMPTY; 16];
        let mut index = [0u32; 32];
        // cap 10, unit sizes: HIR share 1, LIR share 9.
        let mut c = Lirs::new(10, Store::new(&mut slots, &mut index).unwrap());
        assert_eq!((c.lirs_limit, c.hirs_limit), (9, 1));
        // 1..=9 become LIR; 10 becomes resident HIR (in S and Q).
        let mut reqs = [(0u64, 1u32); 10];
        for (k, r) in reqs.iter_mut().enumerate() {
            r.0 = k as u64 + 1;
        }
        let out = run(&mut c, &reqs);
        assert_eq!(pat(&out, 10), "mmmmmmmmmm");
        assert_eq!(flags(&c, 1), (true, true, true, false));
        assert_eq!(flags(&c, 10), (true, false, true, true));
        assert_eq!(c.used(), 10);
        // 11 evicts Q's front 10, which stays in S as non-resident; 11 is resident HIR.
        let out = run(&mut c, &[(11, 1)]);
        assert_eq!(pat(&out, 1), "m");
        assert_eq!(flags(&c, 10), (true, false, false, false));
        assert_eq!(flags(&c, 11), (true, false, true, true));
        // 11 hits as resident HIR in S and becomes LIR: S's bottom LIR 1 is demoted to Q.
        // Then 10 (non-resident in S) misses and becomes LIR: S's bottom 2 is demoted to Q,
        // evicting 1 from Q entirely.
        let out = run(&mut c, &[(11, 1), (10, 1)]);
        assert_eq!(pat(&out, 2), "hm");
        assert_eq!(flags(&c, 11), (true, true, true, false));
        assert_eq!(flags(&c, 10), (true, true, true, false));
        assert_eq!(flags(&c, 2), (false, false, false, true));
        assert!(c.state(1).is_none());
        assert_eq!(c.used(), 10);
        // 3 (LIR) hits; 1 misses.
        let out = run(&mut c, &[(3, 1), (1, 1)]);
        assert_eq!(pat(&out, 2), "hm");
    }

    #[test]
    fn too_large_for_hir_share() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Lirs::new(1000, Store::new(&mut slots, &mut index).unwrap());
        // HIR share 10: a new block larger than that is never inserted.
        let out = run(&mut c, &[(1, 11), (1, 11), (2, 10), (2, 10), (3, 1001)]);
        assert_eq!(pat(&out, 5), "ttmht");
    }
}
