// SPDX-License-Identifier: GPL-2.0

//! Cache replacement policies as exact, allocation-free simulators.
//!
//! Every policy implements [`Policy`]: feed it [`Request`]s, read back an [`Outcome`] per
//! request and running [`Stats`]. Capacities are in the same unit as [`Request::size`]:
//! bytes, or objects when every request has size 1.
//!
//! Semantics follow libCacheSim's (`cache_get_base`): on a miss, an object larger than the
//! whole cache is not inserted ([`Outcome::TooLarge`]); otherwise the policy evicts until the
//! object fits, then inserts it. Object sizes are taken from the request that inserts the
//! object; a hit does not change the stored size.
//!
//! Storage comes from the caller: a [`Store`] built over a `&mut [store::Slot]` arena and a
//! `&mut [u32]` index. Size the arena to the number of distinct objects in the trace and it
//! never runs out. If it does run out (a smaller arena, as a kernel would use), the request is
//! counted as a miss and the object is simply not cached: [`Outcome::NoSlot`]. Policies that
//! keep ghost entries (ARC, LIRS, S3-FIFO) use arena slots for them too, one per id.

pub mod arc;
pub mod belady;
pub mod clock;
pub mod fifo;
pub mod guard;
pub mod history;
pub mod insert;
pub mod learned;
pub mod linux;
pub mod lirs;
pub mod lru;
pub mod pagehist;
pub mod reclaim;
pub mod s3fifo;
pub mod shadow;
pub mod sieve;
pub mod store;

use store::{List, Store, NIL};

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The object id.
    pub id: u64,
    /// The object size, in the cache's capacity unit (1 when counting objects).
    pub size: u32,
    /// The index of this object's next request in the trace, or -1 (any negative value) when
    /// it is never requested again. Only [`belady::Belady`] reads it.
    pub next_access: i64,
}

/// What one request did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The object was cached.
    Hit,
    /// The object was not cached; it is now (after any evictions).
    Miss,
    /// A miss; the object is larger than the policy admits (the whole cache, or for S3-FIFO
    /// its small queue) and was not inserted.
    TooLarge,
    /// A miss; the slot arena was full, so the object was not inserted.
    NoSlot,
}

impl Outcome {
    /// Whether this is a hit.
    pub fn is_hit(self) -> bool {
        matches!(self, Outcome::Hit)
    }
}

/// Running counters of a policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests seen.
    pub requests: u64,
    /// Hits.
    pub hits: u64,
    /// Misses, including `too_large` and `no_slot`.
    pub misses: u64,
    /// Misses not inserted because the object was too large.
    pub too_large: u64,
    /// Misses not inserted because the slot arena was full.
    pub no_slot: u64,
    /// Objects evicted.
    pub evictions: u64,
}

impl Stats {
    /// Counts one request with outcome `o`, and returns `o`.
    pub fn record(&mut self, o: Outcome) -> Outcome {
        self.requests = self.requests.saturating_add(1);
        match o {
            Outcome::Hit => self.hits = self.hits.saturating_add(1),
            Outcome::Miss => self.misses = self.misses.saturating_add(1),
            Outcome::TooLarge => {
                self.misses = self.misses.saturating_add(1);
                self.too_large = self.too_large.saturating_add(1);
            }
            Outcome::NoSlot => {
                self.misses = self.misses.saturating_add(1);
                self.no_slot = self.no_slot.saturating_add(1);
            }
        }
        o
    }

    /// Counts one eviction.
    pub fn evicted(&mut self) {
        self.evictions = self.evictions.saturating_add(1);
    }
}

/// A cache replacement policy simulator.
pub trait Policy {
    /// Processes one request: a lookup, and on a miss the evictions and the insertion.
    fn access(&mut self, req: &Request) -> Outcome;
    /// The counters so far.
    fn stats(&self) -> Stats;
    /// The capacity, in the unit of [`Request::size`].
    fn capacity(&self) -> u64;
    /// The total size of the cached objects (ghost entries excluded).
    fn used(&self) -> u64;
}

/// Whether `size` more on top of `used` exceeds `capacity`.
fn overfull(used: u64, size: u64, capacity: u64) -> bool {
    used.saturating_add(size) > capacity
}

/// The end of every miss path, once the policy made room: takes a slot for `req`'s object and
/// lets `insert` link it, counting an [`Outcome::Miss`]; when the arena is full, counts an
/// [`Outcome::NoSlot`] instead and caches nothing.
fn admit<'a>(
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
    store: Store<'a>,
    list: List<0>,
    capacity: u64,
    stats: Stats,
}

impl Queue<'_> {
    /// Evicts slot `i`, which is on the list: unlinks and frees it, and counts the eviction.
    fn evict(&mut self, i: u32) {
        self.list.unlink(&mut self.store, i);
        self.store.release(i);
        self.stats.evicted();
    }

    /// Evicts the tail; false when the list is empty.
    fn evict_tail(&mut self) -> bool {
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

#[cfg(test)]
mod testutil {
    use super::{Outcome, Policy, Request};

    /// Runs `(id, size)` requests with no future knowledge; returns the hit pattern as a
    /// string of `h`/`m`/`t` (too large)/`n` (no slot).
    pub fn run<P: Policy>(p: &mut P, reqs: &[(u64, u32)]) -> [u8; 32] {
        let mut out = [b'.'; 32];
        for (k, &(id, size)) in reqs.iter().enumerate() {
            let o = p.access(&Request {
                id,
                size,
                next_access: -1,
            });
            if let Some(c) = out.get_mut(k) {
                *c = match o {
                    Outcome::Hit => b'h',
                    Outcome::Miss => b'm',
                    Outcome::TooLarge => b't',
                    Outcome::NoSlot => b'n',
                };
            }
        }
        out
    }

    /// The first `n` bytes of a pattern from [`run`], as a `&str`.
    pub fn pat(out: &[u8; 32], n: usize) -> &str {
        core::str::from_utf8(&out[..n]).unwrap()
    }
}
