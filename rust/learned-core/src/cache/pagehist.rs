// SPDX-License-Identifier: GPL-2.0

//! Page-cache access history for the in-kernel eviction policy: a fixed-size, lock-free,
//! set-associative table of [`History`] entries keyed by page, fed by the page cache's
//! events (a page added, accessed, deleted) and read by reclaim.
//!
//! The kernel feeds it from the `mm_filemap_*` tracepoints; the host's Linux-like simulator
//! ([`super::linux`]) feeds it the same events in the same order, so both compute the EVICT v1
//! features ([`super::history`]) with the same code.
//!
//! # Semantics, matching the simulator's [`super::learned`] ranker
//!
//! Time is virtual: one tick per page access. A page *added* to the cache (a miss, or
//! readahead) gets an entry with no access yet; its first access counts as the insertion
//! ([`History::inserted_at`]), later accesses as hits ([`History::touch`]). A *deleted* page's
//! entry stays as a ghost (with the time it left) until the slot is needed, and is the first
//! to be taken over.
//!
//! # Concurrency
//!
//! Every field is an atomic and every operation is a bounded number of relaxed loads and
//! stores on one set of [`WAYS`] entries: no locks, no allocation, no sleeping, safe from any
//! context. Two CPUs updating the same page at the same instant can lose one of the updates,
//! and the resident count and last-access sum behind the mean age can drift by as much: the
//! history is a hint for a policy whose every answer the kernel checks, so a rare lost update
//! costs at most one worse decision. Flag transitions that feed accounting (resident) and
//! the policy's keep count are atomic read-modify-writes, so each is counted once.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use super::super::hash::mix64;
use super::history::History;

/// Entries per set: a lookup or a replacement looks at this many entries.
pub const WAYS: usize = 4;

/// The page is in the page cache (else the entry is a ghost).
pub const RESIDENT: u32 = 1 << 0;
/// The page was added to the cache and has not been accessed since: its first access is a
/// demand miss served by that read (or readahead that paid off).
pub const READ_IN: u32 = 1 << 2;
/// The page was added with no recent past: no ghost, or one older than `2 x resident`
/// evictions (as a stock kernel's shadow entries reach back at most about that far in the
/// simulator). The insertion rule ([`super::insert`]) may add it cold; the first such
/// question takes the flag ([`Table::take_fresh`]).
pub const FRESH: u32 = 1 << 3;
/// The insertion rule put the page at the inactive tail ([`Table::mark_cold`]); with
/// [`READ_IN`] still set, it has not been read since ([`Table::take_unread_cold`]).
pub const COLD: u32 = 1 << 4;
/// The times the policy kept the page since its last access, in bits 8..16 (saturating).
pub const KEEPS_SHIFT: u32 = 8;
/// See [`KEEPS_SHIFT`].
pub const KEEPS_MASK: u32 = 0xff << KEEPS_SHIFT;

/// The key of a page: a non-zero 64-bit hash of its owner (the kernel's `address_space`
/// pointer, a file number in a trace) and its page index. Distinct pages collide with
/// probability about `2^-64` per pair; a collision only mixes two pages' histories.
pub fn page_key(owner: u64, index: u64) -> u64 {
    mix64(owner ^ index.rotate_left(29) ^ 0x9e37_79b9_7f4a_7c15) | 1
}

/// One table entry (40 bytes).
#[derive(Debug, Default)]
pub struct Entry {
    /// The page's key, 0 when the entry is unused.
    key: AtomicU64,
    /// Last access time; for a ghost, the time it left the cache.
    last: AtomicU64,
    /// Time of the first access since the page was added; for a ghost, the eviction clock
    /// ([`Meta`]) when it left.
    inserted: AtomicU64,
    /// Accesses since the page was added (0: added, not accessed yet).
    count: AtomicU32,
    gap1: AtomicU32,
    gap2: AtomicU32,
    /// [`RESIDENT`] and the guard flags.
    flags: AtomicU32,
}

impl Entry {
    /// An unused entry (fill the table with it).
    pub const fn new() -> Self {
        Self {
            key: AtomicU64::new(0),
            last: AtomicU64::new(0),
            inserted: AtomicU64::new(0),
            count: AtomicU32::new(0),
            gap1: AtomicU32::new(0),
            gap2: AtomicU32::new(0),
            flags: AtomicU32::new(0),
        }
    }

    fn history(&self) -> History {
        History {
            last: self.last.load(Relaxed),
            inserted: self.inserted.load(Relaxed),
            count: self.count.load(Relaxed),
            gap1: self.gap1.load(Relaxed),
            gap2: self.gap2.load(Relaxed),
        }
    }

    fn set_history(&self, h: &History) {
        self.last.store(h.last, Relaxed);
        self.inserted.store(h.inserted, Relaxed);
        self.count.store(h.count, Relaxed);
        self.gap1.store(h.gap1, Relaxed);
        self.gap2.store(h.gap2, Relaxed);
    }
}

/// The table-wide state: the clock and what the mean age is computed from.
#[derive(Debug, Default)]
pub struct Meta {
    /// Page accesses seen (the virtual clock).
    now: AtomicU64,
    /// Resident entries.
    resident: AtomicU64,
    /// The sum of the resident entries' last-access times (wrapping; see the module docs).
    sum_last: AtomicU64,
    /// Entries taken over from another page (resident or ghost).
    replaced: AtomicU64,
    /// Pages that left the cache (the eviction clock).
    evictions: AtomicU64,
}

impl Meta {
    /// A table state at time 0 with nothing resident.
    pub const fn new() -> Self {
        Self {
            now: AtomicU64::new(0),
            resident: AtomicU64::new(0),
            sum_last: AtomicU64::new(0),
            replaced: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }
}

/// What the table holds, for statistics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// The virtual clock: page accesses seen.
    pub now: u64,
    /// Entries of resident pages.
    pub resident: u64,
    /// Entries taken over from another page.
    pub replaced: u64,
    /// Entries in the table.
    pub entries: u64,
}

/// A page-history table over caller-provided entries (see the module docs).
///
/// INVARIANT: `entries.len()` is a non-zero multiple of [`WAYS`].
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    meta: &'a Meta,
    entries: &'a [Entry],
}

impl<'a> Table<'a> {
    /// A table over `entries` (whose length must be a non-zero multiple of [`WAYS`]) with
    /// state `meta`; `None` for any other length.
    pub fn new(meta: &'a Meta, entries: &'a [Entry]) -> Option<Self> {
        if entries.is_empty() || entries.len().checked_rem(WAYS) != Some(0) {
            return None;
        }
        Some(Self { meta, entries })
    }

    /// The current virtual time.
    pub fn now(&self) -> u64 {
        self.meta.now.load(Relaxed)
    }

    /// The table's statistics.
    pub fn stats(&self) -> TableStats {
        TableStats {
            now: self.now(),
            resident: self.meta.resident.load(Relaxed),
            replaced: self.meta.replaced.load(Relaxed),
            entries: self.entries.len() as u64,
        }
    }

    /// The mean age of the resident pages now ([`super::history::mean_age`]).
    pub fn mean_age(&self) -> u64 {
        super::history::mean_age(
            self.now(),
            self.meta.sum_last.load(Relaxed),
            self.meta.resident.load(Relaxed),
        )
    }

    fn set(&self, key: u64) -> &'a [Entry] {
        let sets = (self.entries.len() / WAYS) as u64;
        // `key % sets < sets`, so the range is in bounds (type invariant); the fallback
        // keeps this total anyway.
        let start = (key % sets.max(1)) as usize * WAYS;
        self.entries.get(start..start + WAYS).unwrap_or_default()
    }

    fn find(&self, key: u64) -> Option<&'a Entry> {
        self.set(key).iter().find(|e| e.key.load(Relaxed) == key)
    }

    /// Clears `RESIDENT` from `e`, taking it out of the resident accounting once.
    fn leave(&self, e: &Entry) -> u32 {
        let old = e.flags.fetch_and(!RESIDENT, Relaxed);
        if old & RESIDENT != 0 {
            self.meta.resident.fetch_sub(1, Relaxed);
            self.meta.sum_last.fetch_sub(e.last.load(Relaxed), Relaxed);
        }
        old
    }

    /// Makes `e` resident, entering the resident accounting once, with last access `last`.
    fn enter(&self, e: &Entry, last: u64) {
        let old = e.flags.fetch_or(RESIDENT, Relaxed);
        if old & RESIDENT == 0 {
            self.meta.resident.fetch_add(1, Relaxed);
            self.meta.sum_last.fetch_add(last, Relaxed);
        }
    }

    /// The entry for `key`, taking over the set's least valuable one when absent: an unused
    /// entry, else the ghost that left longest ago, else the least recently used resident.
    fn claim(&self, key: u64) -> Option<&'a Entry> {
        let set = self.set(key);
        if let Some(e) = set.iter().find(|e| e.key.load(Relaxed) == key) {
            return Some(e);
        }
        let rank = |e: &Entry| {
            if e.key.load(Relaxed) == 0 {
                (0u8, 0u64)
            } else if e.flags.load(Relaxed) & RESIDENT == 0 {
                (1, e.last.load(Relaxed))
            } else {
                (2, e.last.load(Relaxed))
            }
        };
        // A set always has WAYS >= 1 entries (type invariant).
        let victim = set.iter().min_by_key(|e| rank(e))?;
        if victim.key.load(Relaxed) != 0 {
            self.meta.replaced.fetch_add(1, Relaxed);
        }
        self.leave(victim);
        victim.flags.store(0, Relaxed);
        victim.key.store(key, Relaxed);
        Some(victim)
    }

    /// A page was added to the cache: it is resident, with no access yet.
    pub fn add(&self, key: u64) -> bool {
        // Fresh unless the page left within the last `2 x resident` evictions (or is
        // already resident: an add without a delete, as a racing event can make).
        let recent = self.find(key).is_some_and(|e| {
            e.flags.load(Relaxed) & RESIDENT != 0 || {
                let left = e.inserted.load(Relaxed);
                let ago = self.meta.evictions.load(Relaxed).wrapping_sub(left);
                ago <= self.meta.resident.load(Relaxed).saturating_mul(2)
            }
        });
        let Some(e) = self.claim(key) else {
            return recent;
        };
        self.leave(e);
        let now = self.now();
        e.flags
            .store(if recent { READ_IN } else { READ_IN | FRESH }, Relaxed);
        e.set_history(&History {
            count: 0,
            ..History::inserted_at(now)
        });
        self.enter(e, now);
        recent
    }

    /// A page was accessed. Returns the flags it had ([`READ_IN`] and the keep count are
    /// cleared).
    pub fn access(&self, key: u64) -> u32 {
        let now = self.meta.now.fetch_add(1, Relaxed);
        let Some(e) = self.claim(key) else { return 0 };
        let old = e.flags.fetch_and(!(READ_IN | KEEPS_MASK), Relaxed);
        let mut h = e.history();
        if old & RESIDENT == 0 || h.count == 0 {
            // A page unknown until now (cached before we looked, or its entry was taken
            // over) or added but not accessed yet: this access inserts it.
            h = History::inserted_at(now);
        } else {
            h.touch(now);
        }
        if old & RESIDENT != 0 {
            let prev = e.last.load(Relaxed);
            self.meta.sum_last.fetch_sub(prev, Relaxed);
            self.meta.sum_last.fetch_add(now, Relaxed);
        }
        e.set_history(&h);
        self.enter(e, now);
        old
    }

    /// A page left the cache; its entry becomes a ghost. Returns the flags it had.
    pub fn delete(&self, key: u64) -> u32 {
        let Some(e) = self.find(key) else { return 0 };
        let old = self.leave(e);
        e.last.store(self.now(), Relaxed);
        e.inserted.store(
            self.meta.evictions.fetch_add(1, Relaxed).wrapping_add(1),
            Relaxed,
        );
        e.flags.store(0, Relaxed);
        old
    }

    /// Marks resident page `key` [`COLD`]: inserted at the inactive tail.
    pub fn mark_cold(&self, key: u64) {
        if let Some(e) = self.find(key) {
            e.flags.fetch_or(COLD, Relaxed);
        }
    }

    /// Whether resident page `key` was inserted [`COLD`] and not read since (readahead not
    /// used yet, or a read still under way), clearing the mark: asked once per insertion.
    pub fn take_unread_cold(&self, key: u64) -> bool {
        const ALL: u32 = RESIDENT | READ_IN | COLD;
        self.find(key).is_some_and(|e| {
            e.flags.load(Relaxed) & ALL == ALL && e.flags.fetch_and(!COLD, Relaxed) & ALL == ALL
        })
    }

    /// Whether resident page `key` was added [`FRESH`], clearing the flag: each addition is
    /// asked about once.
    pub fn take_fresh(&self, key: u64) -> bool {
        self.find(key).is_some_and(|e| {
            e.flags.fetch_and(!FRESH, Relaxed) & (FRESH | RESIDENT) == FRESH | RESIDENT
        })
    }

    /// The history of resident page `key` if it has been accessed since it was added, and the
    /// times the policy kept it since its last access: one lookup, for reclaim's question.
    pub fn lookup(&self, key: u64) -> Option<(History, u32)> {
        let e = self.find(key)?;
        let flags = e.flags.load(Relaxed);
        let h = e.history();
        (flags & RESIDENT != 0 && h.count > 0).then_some((h, (flags & KEEPS_MASK) >> KEEPS_SHIFT))
    }

    /// The history of resident page `key` if it has been accessed since it was added.
    pub fn history(&self, key: u64) -> Option<History> {
        self.lookup(key).map(|(h, _)| h)
    }

    /// The flags of page `key` (0 when unknown).
    #[cfg(any(test, feature = "host"))]
    pub fn flags(&self, key: u64) -> u32 {
        self.find(key).map_or(0, |e| e.flags.load(Relaxed))
    }

    /// Counts one keep of page `key` by the policy (saturating at 255).
    pub fn count_keep(&self, key: u64) {
        if let Some(e) = self.find(key) {
            let _ = e.flags.fetch_update(Relaxed, Relaxed, |f| {
                let keeps = ((f & KEEPS_MASK) >> KEEPS_SHIFT)
                    .saturating_add(1)
                    .min(0xff);
                Some((f & !KEEPS_MASK) | (keeps << KEEPS_SHIFT))
            });
        }
    }

    /// Forgets every page: each entry unused, nothing resident. The clock and the count of
    /// replaced entries go on. Racing updates may survive it (see the module docs); call it
    /// while nothing feeds the table to start from a clean slate.
    pub fn clear(&self) {
        for e in self.entries {
            e.key.store(0, Relaxed);
            e.flags.store(0, Relaxed);
            e.set_history(&History::default());
        }
        self.meta.resident.store(0, Relaxed);
        self.meta.sum_last.store(0, Relaxed);
    }

    /// The times page `key` was kept since its last access.
    #[cfg(any(test, feature = "host"))]
    pub fn keeps(&self, key: u64) -> u32 {
        (self.flags(key) & KEEPS_MASK) >> KEEPS_SHIFT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'a>(meta: &'a Meta, e: &'a [Entry]) -> Table<'a> {
        Table::new(meta, e).unwrap()
    }

    #[test]
    fn a_page_is_fresh_unless_it_left_within_twice_the_resident_evictions() {
        let m = Meta::new();
        let e: [Entry; 4096] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let k = |i| page_key(2, i);
        // Never seen: fresh, asked once.
        t.add(k(0));
        assert!(t.take_fresh(k(0)));
        assert!(!t.take_fresh(k(0)));
        // Ten resident pages; page 0 leaves and comes back at once: not fresh.
        for i in 1..10 {
            t.add(k(i));
            t.access(k(i));
        }
        t.delete(k(0));
        t.add(k(0));
        assert!(!t.take_fresh(k(0)));
        // Page 0 leaves, then 18 evictions (2 x 9 resident): still recent...
        t.delete(k(0));
        for i in 100..118 {
            t.add(k(i));
            t.delete(k(i));
        }
        t.add(k(0));
        assert!(!t.take_fresh(k(0)));
        // ... one eviction more and its ghost is too old: fresh.
        t.delete(k(0));
        for i in 200..219 {
            t.add(k(i));
            t.delete(k(i));
        }
        t.add(k(0));
        assert!(t.take_fresh(k(0)));
        // A ghost is never fresh to ask about; nor is an unknown page.
        t.delete(k(1));
        assert!(!t.take_fresh(k(1)));
        assert!(!t.take_fresh(k(999)));
    }

    #[test]
    fn clear_forgets_every_page() {
        let m = Meta::new();
        let e: [Entry; 256] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        for i in 0..8 {
            t.add(page_key(1, i));
            t.access(page_key(1, i));
        }
        assert!(t.stats().resident > 0);
        let now = t.now();
        t.clear();
        assert_eq!(t.stats().resident, 0);
        assert_eq!(t.now(), now);
        assert_eq!(t.mean_age(), super::super::history::mean_age(now, 0, 0));
        assert!((0..8).all(|i| t.lookup(page_key(1, i)).is_none() && t.flags(page_key(1, i)) == 0));
        t.add(page_key(1, 0));
        t.access(page_key(1, 0));
        assert_eq!(t.stats().resident, 1);
        assert!(t.lookup(page_key(1, 0)).is_some());
    }

    #[test]
    fn rejects_bad_sizes() {
        let m = Meta::new();
        assert!(Table::new(&m, &[]).is_none());
        let e: [Entry; 6] = core::array::from_fn(|_| Entry::new());
        assert!(Table::new(&m, &e).is_none());
        let e: [Entry; 8] = core::array::from_fn(|_| Entry::new());
        assert!(Table::new(&m, &e).is_some());
    }

    #[test]
    fn keys_are_nonzero_and_spread() {
        assert_ne!(page_key(0, 0), 0);
        assert_ne!(page_key(1, 2), page_key(2, 1));
        assert_ne!(page_key(7, 0), page_key(7, 1));
    }

    #[test]
    fn add_access_delete_follow_the_simulator() {
        let m = Meta::new();
        let e: [Entry; 64] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let k = page_key(1, 5);
        // Added (readahead): resident, no history yet.
        t.add(k);
        assert_eq!(t.history(k), None);
        assert_eq!(t.stats().resident, 1);
        // First access at time 0 inserts, the next ones touch, exactly as `History` does.
        t.access(k);
        assert_eq!(t.history(k), Some(History::inserted_at(0)));
        t.access(page_key(2, 0));
        t.access(k);
        let mut h = History::inserted_at(0);
        h.touch(2);
        assert_eq!(t.history(k), Some(h));
        assert_eq!(t.now(), 3);
        // Resident: k (last 2) and the other page (last 1): mean age at 3 = 3 - 3/2 = 2.
        assert_eq!(t.stats().resident, 2);
        assert_eq!(t.mean_age(), 2);
        // Deleted: a ghost, no history, out of the resident accounting.
        assert_eq!(t.delete(k), RESIDENT | FRESH);
        assert_eq!(t.history(k), None);
        assert_eq!(t.stats().resident, 1);
        assert_eq!(t.flags(k) & RESIDENT, 0);
        assert_eq!(t.mean_age(), 2);
    }

    #[test]
    fn deleted_pages_come_back_afresh() {
        let m = Meta::new();
        let e: [Entry; 64] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let a = page_key(1, 1);
        t.add(a);
        t.access(a);
        t.access(a);
        t.count_keep(a);
        t.delete(a);
        assert_eq!(t.flags(a), 0);
        t.add(a);
        assert_eq!(t.flags(a), RESIDENT | READ_IN);
        assert_eq!(t.history(a), None);
        assert_ne!(t.access(a) & READ_IN, 0, "the first access after the read");
        assert_eq!(t.access(a) & READ_IN, 0);
        let mut h = History::inserted_at(2);
        h.touch(3);
        assert_eq!(t.history(a), Some(h));
    }

    #[test]
    fn a_kept_page_pays_off_once() {
        let m = Meta::new();
        let e: [Entry; 8] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let k = page_key(3, 3);
        t.add(k);
        t.access(k);
        t.count_keep(k);
        t.count_keep(k);
        assert_eq!(t.keeps(k), 2);
        assert_eq!(t.lookup(k).map(|(_, n)| n), Some(2));
        assert_eq!(t.access(k) & KEEPS_MASK, 2 << KEEPS_SHIFT);
        assert_eq!(t.keeps(k), 0);
        for _ in 0..300 {
            t.count_keep(k);
        }
        assert_eq!(t.keeps(k), 255, "saturates");
    }

    #[test]
    fn full_sets_replace_ghosts_before_residents_and_stay_consistent() {
        let m = Meta::new();
        let e: [Entry; WAYS] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let keys: [u64; 6] = core::array::from_fn(|i| page_key(9, i as u64));
        for &k in &keys[..WAYS] {
            t.add(k);
            t.access(k);
        }
        t.delete(keys[1]);
        // The ghost goes first, then the least recently used resident (keys[0]).
        t.add(keys[4]);
        assert_eq!(t.flags(keys[1]), 0);
        t.add(keys[5]);
        assert_eq!(t.history(keys[0]), None);
        assert_eq!(t.stats().resident, WAYS as u64);
        assert_eq!(t.stats().replaced, 2);
        // The resident sum matches the entries that are left: keys 2, 3 (last 2, 3), and
        // keys 4, 5 added at time 4, not accessed.
        assert_eq!(m.sum_last.load(Relaxed), 2 + 3 + 4 + 4);
    }

    #[test]
    fn unknown_pages_are_inserted_by_their_first_access() {
        let m = Meta::new();
        let e: [Entry; 8] = core::array::from_fn(|_| Entry::new());
        let t = table(&m, &e);
        let k = page_key(4, 4);
        assert_eq!(t.delete(k), 0, "deleting an unknown page is a no-op");
        t.access(k);
        assert_eq!(t.history(k), Some(History::inserted_at(0)));
        assert_eq!(t.stats().resident, 1);
    }
}
