// SPDX-License-Identifier: GPL-2.0

//! Cache replacement as exact, allocation-free simulators: the kernel's own eviction policy
//! (the page history, the reclaim hook's verdicts, the guard, the shadow simulations of Linux
//! reclaim) and what every simulated policy shares. The classic policies the host compares
//! against (LRU, FIFO, CLOCK, SIEVE, ARC, LIRS, S3-FIFO, Belady) and the simulator-only ranker
//! run nowhere in the kernel: they are the host crate `learned-sim`'s.
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

pub mod guard;
pub mod history;
pub mod insert;
pub mod keepgate;
pub mod linux;
pub mod pagehist;
pub mod reclaim;
pub mod shadow;
pub mod store;

pub use store::NIL;
#[cfg(any(test, feature = "host"))]
pub use store::{List, Store};

/// One request of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// The object id.
    pub id: u64,
    /// The object size, in the cache's capacity unit (1 when counting objects).
    pub size: u32,
    /// The index of this object's next request in the trace, or -1 (any negative value) when
    /// it is never requested again. Only Belady (`learned_sim::belady`) reads it.
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
    #[cfg(any(test, feature = "host"))]
    fn stats(&self) -> Stats;
    /// The capacity, in the unit of [`Request::size`].
    #[cfg(any(test, feature = "host"))]
    fn capacity(&self) -> u64;
    /// The total size of the cached objects (ghost entries excluded).
    fn used(&self) -> u64;
}

/// Whether `size` more on top of `used` exceeds `capacity`.
pub fn overfull(used: u64, size: u64, capacity: u64) -> bool {
    used.saturating_add(size) > capacity
}
