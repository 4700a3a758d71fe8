// SPDX-License-Identifier: GPL-2.0

//! ARC (Megiddo & Modha, FAST '03) for variable-size objects, following libCacheSim's `ARC`.
//!
//! Differences from libCacheSim: its target size `p` is a `double`; here it is fixed point
//! with [`P_FRAC_BITS`] fractional bits (integer-only code). `p` only changes by
//! `max(|B2| / |B1|, 1)` or `max(|B1| / |B2|, 1)` bytes and is compared with `|T1|`, an integer,
//! so the two only disagree when rounding moves `p` across an integer. On the reference
//! trace the miss counts equal libCacheSim's exactly at all eight sizes (see the host test
//! `rust/lrn/tests/reference.rs`), but other traces could in principle differ slightly.

use super::{admit, overfull, List, Outcome, Policy, Request, Stats, Store};

/// Fractional bits of the fixed-point target `p`.
pub const P_FRAC_BITS: u32 = 20;
const ONE: u64 = 1 << P_FRAC_BITS;

const T1: u8 = 1;
const B1: u8 = 2;
const T2: u8 = 3;
const B2: u8 = 4;

/// Where a missed object was found.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ghost {
    None,
    InB1,
    InB2,
}

/// Adaptive Replacement Cache. T1/T2 hold data (recency/frequency), B1/B2 their ghosts; all
/// four are LRU lists (head = most recent) measured in bytes; `p` is T1's target size.
pub struct Arc<'a> {
    store: Store<'a>,
    t1: List<0>,
    b1: List<0>,
    t2: List<0>,
    b2: List<0>,
    /// T1's target size, in units of `2^-P_FRAC_BITS` bytes.
    p: u64,
    capacity: u64,
    stats: Stats,
}

impl<'a> Arc<'a> {
    /// An empty ARC cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            store,
            t1: List::new(),
            b1: List::new(),
            t2: List::new(),
            b2: List::new(),
            p: 0,
            capacity,
            stats: Stats::default(),
        }
    }

    /// `a / b` in fixed point, at least 1.0 (`b > 0`).
    fn ratio(a: u64, b: u64) -> u64 {
        a.saturating_mul(ONE).checked_div(b).unwrap_or(ONE).max(ONE)
    }

    /// Moves the LRU end of `from` to the MRU end of `to` (a data list to its ghost list).
    fn demote(from: &mut List<0>, to: &mut List<0>, st: &mut Store<'_>, tag: u8) -> bool {
        let t = from.tail();
        if st.slot(t).is_none() {
            return false;
        }
        from.unlink(st, t);
        to.push_head(st, t, tag);
        true
    }

    /// Drops the LRU end of `list` entirely.
    fn drop_tail(list: &mut List<0>, st: &mut Store<'_>) -> bool {
        let t = list.tail();
        if st.slot(t).is_none() {
            return false;
        }
        list.unlink(st, t);
        st.release(t);
        true
    }

    /// The paper's REPLACE: demote T1's or T2's LRU object to its ghost list.
    fn replace(&mut self, in_b2: bool) -> bool {
        let t1_fx = self.t1.bytes().saturating_mul(ONE);
        let from_t1 = (!self.t1.is_empty() && (t1_fx > self.p || (t1_fx == self.p && in_b2)))
            || self.t2.is_empty();
        let done = if from_t1 {
            Self::demote(&mut self.t1, &mut self.b1, &mut self.store, B1)
        } else {
            Self::demote(&mut self.t2, &mut self.b2, &mut self.store, B2)
        };
        if done {
            self.stats.evicted();
        }
        done
    }

    /// Case IV of the paper (a miss in all four lists), for variable sizes.
    fn evict_miss(&mut self, size: u64) -> bool {
        let l1 = self.t1.bytes().saturating_add(self.b1.bytes());
        if overfull(l1, size, self.capacity) {
            if !self.b1.is_empty() {
                Self::drop_tail(&mut self.b1, &mut self.store);
                self.replace(false)
            } else {
                let done = Self::drop_tail(&mut self.t1, &mut self.store);
                if done {
                    self.stats.evicted();
                }
                done
            }
        } else {
            let all = l1
                .saturating_add(self.t2.bytes())
                .saturating_add(self.b2.bytes());
            if all >= self.capacity.saturating_mul(2) && !self.b2.is_empty() {
                Self::drop_tail(&mut self.b2, &mut self.store);
            }
            self.replace(false)
        }
    }

    fn used_bytes(&self) -> u64 {
        self.t1.bytes().saturating_add(self.t2.bytes())
    }
}

impl Policy for Arc<'_> {
    fn access(&mut self, req: &Request) -> Outcome {
        let mut ghost = Ghost::None;
        if let Some(i) = self.store.find(req.id) {
            match self.store.slot(i).map_or(0, |s| s.tag[0]) {
                T1 => {
                    self.t1.unlink(&mut self.store, i);
                    self.t2.push_head(&mut self.store, i, T2);
                    return self.stats.record(Outcome::Hit);
                }
                T2 => {
                    self.t2.move_to_head(&mut self.store, i);
                    return self.stats.record(Outcome::Hit);
                }
                B1 => {
                    let delta = Self::ratio(self.b2.bytes(), self.b1.bytes());
                    self.p = self
                        .p
                        .saturating_add(delta)
                        .min(self.capacity.saturating_mul(ONE));
                    self.b1.unlink(&mut self.store, i);
                    self.store.release(i);
                    ghost = Ghost::InB1;
                }
                _ => {
                    let delta = Self::ratio(self.b1.bytes(), self.b2.bytes());
                    self.p = self.p.saturating_sub(delta);
                    self.b2.unlink(&mut self.store, i);
                    self.store.release(i);
                    ghost = Ghost::InB2;
                }
            }
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.used_bytes(), size, self.capacity) {
            let progressed = match ghost {
                Ghost::None => self.evict_miss(size),
                Ghost::InB1 => self.replace(false),
                Ghost::InB2 => self.replace(true),
            };
            if !progressed {
                break;
            }
        }
        admit(&mut self.store, &mut self.stats, req, |st, i| {
            if ghost == Ghost::None {
                self.t1.push_head(st, i, T1);
            } else {
                self.t2.push_head(st, i, T2);
            }
        })
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.used_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::Slot;
    use super::super::testutil::{pat, run};
    use super::*;

    fn tag(c: &Arc<'_>, id: u64) -> u8 {
        c.store
            .find(id)
            .and_then(|i| c.store.slot(i))
            .map_or(0, |s| s.tag[0])
    }

    #[test]
    fn recency_frequency_and_ghosts() {
        let mut slots = [Slot::EMPTY; 16];
        let mut index = [0u32; 32];
        let mut c = Arc::new(2, Store::new(&mut slots, &mut index).unwrap());
        // 1 2 fill T1; 1 hits -> T2. 3: L1 (T1+B1 = 1) + 1 fits, all < 4: REPLACE with p = 0
        // demotes T1's LRU 2 into B1. 2 is then a B1 ghost hit: p grows to 1, REPLACE
        // demotes T1's 3 (|T1| = 1 > p? no: 1 == 1, not in B2 -> T2's LRU 1 goes to B2).
        let out = run(&mut c, &[(1, 1), (2, 1), (1, 1), (3, 1), (2, 1)]);
        assert_eq!(pat(&out, 5), "mmhmm");
        assert_eq!(c.p, ONE);
        assert_eq!(tag(&c, 2), T2);
        assert_eq!(tag(&c, 3), T1);
        assert_eq!(tag(&c, 1), B2);
        // 1 is a B2 ghost hit: p shrinks back to 0; REPLACE (|T1| = 1 > p) demotes 3 into
        // B1 and 1 returns to T2.
        let out = run(&mut c, &[(1, 1)]);
        assert_eq!(pat(&out, 1), "m");
        assert_eq!(c.p, 0);
        assert_eq!((tag(&c, 1), tag(&c, 2), tag(&c, 3)), (T2, T2, B1));
        // 2 hits (T2 MRU); 3 is a B1 ghost hit (p = 1 again); T1 is empty, so T2's LRU 1 is
        // demoted.
        let out = run(&mut c, &[(2, 1), (3, 1)]);
        assert_eq!(pat(&out, 2), "hm");
        assert_eq!(c.p, ONE);
        assert_eq!((tag(&c, 1), tag(&c, 2), tag(&c, 3)), (B2, T2, T2));
        assert!(c.used() <= 2);
    }

    #[test]
    fn too_large_and_bytes() {
        let mut slots = [Slot::EMPTY; 8];
        let mut index = [0u32; 16];
        let mut c = Arc::new(10, Store::new(&mut slots, &mut index).unwrap());
        let out = run(&mut c, &[(1, 11), (2, 6), (3, 4), (4, 5), (3, 4), (2, 6)]);
        // 4 (5): L1 = T1 (10) + 5 > 10 and B1 empty: drop T1's LRU 2 outright.
        assert_eq!(pat(&out, 6), "tmmmhm");
        assert_eq!(c.stats().too_large, 1);
        assert!(c.used() <= 10);
    }
}
