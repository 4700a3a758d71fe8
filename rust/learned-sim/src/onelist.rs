// SPDX-License-Identifier: GPL-2.0

//! What the one-list policies (FIFO, LRU, CLOCK, SIEVE) share, and the miss path of every
//! policy here.

use learned_core::cache::{overfull, List, Outcome, Policy, Request, Stats, Store};

/// The end of every miss path, once the policy made room: takes a slot for `req`'s object and
/// lets `insert` link it, counting an [`Outcome::Miss`]; when the arena is full, counts an
/// [`Outcome::NoSlot`] instead and caches nothing.
pub fn admit<'a>(
    store: &mut Store<'a>,
    stats: &mut Stats,
    req: &Request,
    insert: impl FnOnce(&mut Store<'a>, u32),
) -> Outcome {
    let Some(i) = store.alloc(req.id, req.size) else {
        return stats.record(Outcome::NoSlot);
    };
    insert(store, i);
    stats.record(Outcome::Miss)
}

/// The state of a policy that keeps its objects on one list (the head is the newest object):
/// the slot store, the list, the capacity and the counters.
pub struct Queue<'a> {
    pub(crate) store: Store<'a>,
    pub(crate) list: List<0>,
    pub(crate) capacity: u64,
    pub(crate) stats: Stats,
}

impl Queue<'_> {
    /// Evicts slot `i`, which is on the list: unlinks and frees it, and counts the eviction.
    pub(crate) fn evict(&mut self, i: u32) {
        self.list.unlink(&mut self.store, i);
        self.store.release(i);
        self.stats.evicted();
    }

    /// Evicts the tail; false when the list is empty.
    pub(crate) fn evict_tail(&mut self) -> bool {
        if self.list.is_empty() {
            return false;
        }
        self.evict(self.list.tail());
        true
    }
}

/// What tells one [`OneList`] policy from another: what a hit does, and which object goes.
pub trait Rule {
    /// Updates the queue for a hit on slot `i`.
    fn hit(&mut self, q: &mut Queue<'_>, i: u32);
    /// Evicts one object from `q`; false when there is none to evict.
    fn evict(&mut self, q: &mut Queue<'_>) -> bool;
}

/// A policy that keeps its objects on one list and inserts new ones at the head, told apart
/// by its [`Rule`]: FIFO, LRU, Clock and SIEVE.
pub struct OneList<'a, R> {
    q: Queue<'a>,
    rule: R,
}

impl<'a, R: Rule + Default> OneList<'a, R> {
    /// An empty cache of `capacity` units over `store`.
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self {
            q: Queue {
                store,
                list: List::new(),
                capacity,
                stats: Stats::default(),
            },
            rule: R::default(),
        }
    }
}

impl<R: Rule> Policy for OneList<'_, R> {
    fn access(&mut self, req: &Request) -> Outcome {
        let q = &mut self.q;
        if let Some(i) = q.store.find(req.id) {
            self.rule.hit(q, i);
            return q.stats.record(Outcome::Hit);
        }
        let size = u64::from(req.size);
        if size > q.capacity {
            return q.stats.record(Outcome::TooLarge);
        }
        while overfull(q.list.bytes(), size, q.capacity) {
            if !self.rule.evict(q) {
                break;
            }
        }
        admit(&mut q.store, &mut q.stats, req, |st, i| {
            q.list.push_head(st, i, 1)
        })
    }

    fn stats(&self) -> Stats {
        self.q.stats
    }

    fn capacity(&self) -> u64 {
        self.q.capacity
    }

    fn used(&self) -> u64 {
        self.q.list.bytes()
    }
}
