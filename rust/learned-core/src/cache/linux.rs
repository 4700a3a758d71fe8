// SPDX-License-Identifier: GPL-2.0

//! A simulator of Linux 6.12's classic two-list page-cache reclaim (`CONFIG_LRU_GEN=n`) for
//! pages read with `read()`, with the reclaim hook and the learned policy ([`super::reclaim`])
//! called at the same points as in the kernel. It is how the in-kernel eviction benchmarks
//! are replayed on the host: the stock kernel is this simulator with the policy disabled.
//!
//! What it models, per cgroup of one file LRU (every object is one page):
//!
//! - **Access** (`folio_mark_accessed`): an unreferenced page becomes referenced; a
//!   referenced inactive page is activated (moved to the active head, reference cleared),
//!   which also ages the non-resident clock (`workingset_activation`).
//! - **Miss**: the page is added at the inactive head, or at the active head when its shadow
//!   says it was evicted recently (`workingset_refault`: refault distance, in evictions and
//!   activations since, at most the active list's size), then accessed as above.
//! - **Reclaim** of one page: while the inactive list is smaller than the active one (the
//!   inactive ratio is 1 under 1 GiB), the active tail is deactivated to the inactive head,
//!   keeping its reference bit. The inactive tail is then offered to the hook with the
//!   kernel's verdict, which for an unmapped clean page is always *reclaim*
//!   (`folio_check_references`). *Keep* rotates it to the inactive head, *activate* moves it
//!   to the active head, anything else evicts it, leaving a shadow (bounded to twice the
//!   capacity, oldest first).
//!
//! Not modelled: mapped pages, dirty pages and writeback, readahead (every access is a
//! request of the trace), batching (the kernel isolates and judges 32 pages at a time), and
//! memcg protection. The learned policy sees the same events as in the kernel: a page added,
//! then accessed, on a miss; accessed on a hit; deleted on eviction.

use super::super::model::mlp::Mlp;
use super::guard::Trip;
use super::history::FEATURES;
use super::insert::InsertRule;
use super::reclaim::{Answer, Evictor, Fallback, Verdict};
use super::shadow::{sampled, DuelShadows, Shadow};
use super::store::{List, Store, StoreState};
use super::{overfull, Outcome, Policy, Request, Stats, NIL};

/// Slot tags.
const INACTIVE: u8 = 1;
const ACTIVE: u8 = 2;
const SHADOW: u8 = 3;
/// `Slot::meta` bit: the page is referenced (`PG_referenced`).
const REFERENCED: u32 = 1;

/// What the hook answered, summed over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HookStats {
    /// Pages offered to the hook.
    pub asked: u64,
    /// Answers by the model, by verdict (`Verdict as usize`), recalled ones included.
    pub model: [u64; 4],
    /// Of those, answers the memo recalled without running the network
    /// ([`Answer::Recalled`]).
    pub recalled: u64,
    /// Fallbacks, by reason (`Fallback as usize`).
    pub fallback: [u64; Fallback::COUNT],
    /// Times the guard tripped.
    pub trips: u64,
    /// Pages activated on refault.
    pub refault_activations: u64,
    /// Pages inserted at the inactive tail.
    pub cold_inserts: u64,
    /// Cold pages kept once because they had not been read ([`Answer::Unread`]).
    pub unread_rotations: u64,
}

impl HookStats {
    const ZERO: HookStats = HookStats {
        asked: 0,
        model: [0; 4],
        recalled: 0,
        fallback: [0; Fallback::COUNT],
        trips: 0,
        refault_activations: 0,
        cold_inserts: 0,
        unread_rotations: 0,
    };
}

/// The simulator's state apart from its memory (see [`Linux::resume`]).
#[derive(Clone, Copy, Debug)]
pub struct LinuxState {
    inactive: List<0>,
    active: List<0>,
    shadows: List<0>,
    capacity: u64,
    stats: Stats,
    /// The non-resident age (`lruvec->nonresident_age`).
    age: u64,
    hook: HookStats,
    /// Whether a miss without a shadow goes to the inactive tail (the insertion duel's
    /// `cold` simulation, [`super::insert`]), instead of the head.
    cold: bool,
}

impl LinuxState {
    /// An empty cache of `capacity` units.
    pub const fn new(capacity: u64) -> Self {
        Self {
            inactive: List::new(),
            active: List::new(),
            shadows: List::new(),
            capacity,
            stats: Stats {
                requests: 0,
                hits: 0,
                misses: 0,
                too_large: 0,
                no_slot: 0,
                evictions: 0,
            },
            age: 0,
            hook: HookStats::ZERO,
            cold: false,
        }
    }

    /// The same, inserting every miss without a shadow at the inactive tail.
    pub const fn new_cold(capacity: u64) -> Self {
        Self {
            cold: true,
            ..Self::new(capacity)
        }
    }

    /// Whether it inserts misses without a shadow cold.
    pub const fn is_cold(&self) -> bool {
        self.cold
    }

    /// The counters so far.
    pub fn stats(&self) -> Stats {
        self.stats
    }
}

/// The learned policy at the hook, as the kernel module runs it: its state, its model, and
/// the guard's shadow of the kernel's policy.
pub struct Hook<'a, 'm> {
    /// The policy's history and guard.
    pub evictor: Evictor<'a>,
    /// The loaded model.
    pub model: Option<Mlp<'m>>,
    /// `evict/enabled`.
    pub enabled: bool,
    /// The guard's shadow; without it the guard never judges.
    pub shadow: Option<Shadow<'a>>,
    /// The insertion duel's miniature simulations ([`super::shadow::DuelShadows`]); without
    /// them the duel never scores, and the rule `duel` stays stock.
    pub duel_shadows: Option<DuelShadows<'a>>,
}

/// The simulator (see the module docs).
pub struct Linux<'a, 'm> {
    store: Store<'a>,
    st: LinuxState,
    hook: Option<Hook<'a, 'm>>,
    oracle: Option<&'a dyn Fn(u64) -> Verdict>,
    /// Host experiment: whether a missed page is inserted at the inactive tail, given its id
    /// and, when it refaults with a shadow, the refault distance.
    pub insert_cold: Option<&'a dyn Fn(u64, Option<u64>) -> bool>,
    last_trip: Option<Trip>,
}

impl<'a, 'm> Linux<'a, 'm> {
    /// An empty stock page cache of `capacity` units over `store` (size it for the resident
    /// pages plus twice as many shadows: the capacity in pages times three).
    #[cfg(any(test, feature = "host"))]
    pub fn new(capacity: u64, store: Store<'a>) -> Self {
        Self::resume(store, LinuxState::new(capacity))
    }

    /// The same with the learned policy at the hook.
    #[cfg(any(test, feature = "host"))]
    pub fn with_hook(capacity: u64, store: Store<'a>, hook: Hook<'a, 'm>) -> Self {
        Self {
            hook: Some(hook),
            ..Self::new(capacity, store)
        }
    }

    /// The stock simulator with state `st` over `store` (resumed from the store's state).
    pub fn resume(store: Store<'a>, st: LinuxState) -> Self {
        Self {
            store,
            st,
            hook: None,
            oracle: None,
            insert_cold: None,
            last_trip: None,
        }
    }

    /// The simulator with `oracle` answering at the hook instead of a policy: a headroom
    /// measurement (an oracle that knows each page's next use shows what the hook's verdicts
    /// can win at best), never a policy. Its keeps are bounded as the hook's are with
    /// `max_keeps` 1.
    #[cfg(any(test, feature = "host"))]
    pub fn with_oracle(
        capacity: u64,
        store: Store<'a>,
        oracle: &'a dyn Fn(u64) -> Verdict,
    ) -> Self {
        Self {
            oracle: Some(oracle),
            ..Self::new(capacity, store)
        }
    }

    /// The state to resume from.
    pub fn state(&self) -> LinuxState {
        self.st
    }

    /// The store's state to resume from.
    pub fn store_state(&self) -> StoreState {
        self.store.state()
    }

    /// Changes the capacity; a smaller one takes effect at the next miss.
    pub fn set_capacity(&mut self, capacity: u64) {
        self.st.capacity = capacity;
    }

    /// What the hook answered so far.
    #[cfg(any(test, feature = "host"))]
    pub fn hook_stats(&self) -> HookStats {
        self.st.hook
    }

    /// The last time the guard tripped, if it did.
    #[cfg(any(test, feature = "host"))]
    pub fn last_trip(&self) -> Option<Trip> {
        self.last_trip
    }

    /// The number of pages on the active list.
    #[cfg(any(test, feature = "host"))]
    pub fn active_pages(&self) -> u32 {
        self.st.active.len()
    }

    fn key(id: u64) -> u64 {
        super::pagehist::page_key(id >> 32, id & 0xffff_ffff)
    }

    fn tag(&self, i: u32) -> u8 {
        self.store.slot(i).map_or(0, |s| s.tag[0])
    }

    fn referenced(&self, i: u32) -> bool {
        self.store.slot(i).is_some_and(|s| s.meta & REFERENCED != 0)
    }

    fn set_referenced(&mut self, i: u32, on: bool) {
        if let Some(s) = self.store.slot_mut(i) {
            s.meta = if on { REFERENCED } else { 0 };
        }
    }

    /// The page-cache events, as the kernel module's tracepoint probes see them.
    fn on_add(&mut self, key: u64) {
        if let Some(h) = &self.hook {
            h.evictor.on_add(key);
        }
    }

    fn on_access(&mut self, key: u64) {
        let Some(h) = &mut self.hook else { return };
        if sampled(key) {
            let cap = h.evictor.shadow_capacity();
            if let Some(miss) = h.shadow.as_mut().and_then(|s| s.access(key, cap)) {
                h.evictor.shadow_access(miss);
            }
        }
        if let Some(d) = h.duel_shadows.as_mut() {
            if h.evictor.insert == InsertRule::Duel {
                let resident = h.evictor.table.stats().resident;
                if let Some((stock, cold)) = d.access(key, resident) {
                    h.evictor.duel_access(stock, cold);
                }
            }
        }
        if let Some(trip) = h.evictor.on_access(key) {
            self.st.hook.trips += 1;
            self.last_trip = Some(trip);
        }
    }

    fn on_delete(&mut self, key: u64) {
        if let Some(h) = &self.hook {
            h.evictor.on_delete(key);
        }
    }

    /// Whether missed page `id` (key `key`, refault distance `distance` if it had a shadow)
    /// is inserted at the inactive tail: the cold mode's rule, the host experiment's, or the
    /// hook's answer (`lru_add()`).
    fn inserts_cold(&self, id: u64, key: u64, distance: Option<u64>) -> bool {
        (self.st.cold && distance.is_none())
            || self.insert_cold.is_some_and(|f| f(id, distance))
            || self
                .hook
                .as_ref()
                .is_some_and(|h| h.evictor.insert_cold(h.enabled, key))
    }

    /// `folio_mark_accessed`.
    fn mark_accessed(&mut self, i: u32) {
        if !self.referenced(i) {
            self.set_referenced(i, true);
        } else if self.tag(i) == INACTIVE {
            self.st.inactive.unlink(&mut self.store, i);
            self.st.active.push_head(&mut self.store, i, ACTIVE);
            self.set_referenced(i, false);
            self.st.age = self.st.age.saturating_add(1);
        }
    }

    /// Moves the active tail to the inactive head.
    fn deactivate_one(&mut self) {
        let t = self.st.active.tail();
        if t != NIL {
            self.st.active.unlink(&mut self.store, t);
            self.st.inactive.push_head(&mut self.store, t, INACTIVE);
        }
    }

    /// Evicts inactive slot `i`, leaving a shadow with the current non-resident age.
    fn evict(&mut self, i: u32) {
        let id = self.store.slot(i).map_or(0, |s| s.id());
        self.st.inactive.unlink(&mut self.store, i);
        self.on_delete(Self::key(id));
        self.st.stats.evicted();
        self.st.age = self.st.age.saturating_add(1);
        if let Some(s) = self.store.slot_mut(i) {
            s.key = i64::try_from(self.st.age).unwrap_or(i64::MAX);
            s.meta = 0;
        }
        self.st.shadows.push_head(&mut self.store, i, SHADOW);
        let limit = self.st.capacity.saturating_mul(2);
        while self.st.shadows.bytes() > limit {
            let t = self.st.shadows.tail();
            self.st.shadows.unlink(&mut self.store, t);
            self.store.release(t);
        }
    }

    /// The hook's answer for page `id`, counted.
    fn ask(&mut self, id: u64) -> Verdict {
        if let Some(o) = self.oracle {
            return o(id);
        }
        let Some(h) = &self.hook else {
            return Verdict::Default;
        };
        let answer = h.evictor.verdict(
            h.model.as_ref(),
            h.enabled,
            Self::key(id),
            Verdict::Reclaim as u32,
        );
        let hs = &mut self.st.hook;
        hs.asked += 1;
        if let Answer::Recalled(_) = answer {
            hs.recalled += 1;
        }
        let counter = match answer {
            Answer::Model(v) | Answer::Recalled(v) => hs.model.get_mut(v as usize),
            Answer::Fallback(f) => hs.fallback.get_mut(f as usize),
            Answer::Unread => Some(&mut hs.unread_rotations),
        };
        if let Some(c) = counter {
            *c += 1;
        }
        answer.verdict()
    }

    /// Reclaims one page. Bounded: the hook keeps a page a bounded number of times per
    /// access, so a bounded number of passes over the resident pages always finds a victim;
    /// after that the tail goes. `observe` sees the id and features of every page offered to
    /// the hook that has a history (the training samples).
    fn reclaim_one<F: FnMut(u64, &[i8; FEATURES])>(&mut self, observe: &mut F) -> bool {
        let passes = self
            .hook
            .as_ref()
            .map_or(if self.oracle.is_some() { 2 } else { 1 }, |h| {
                u64::from(h.evictor.max_keeps) + 1
            });
        let resident = u64::from(self.st.inactive.len()) + u64::from(self.st.active.len());
        for _ in 0..passes.saturating_mul(resident).saturating_add(2) {
            while self.st.inactive.len() < self.st.active.len() {
                self.deactivate_one();
            }
            let t = self.st.inactive.tail();
            if t == NIL {
                return false;
            }
            let id = self.store.slot(t).map_or(0, |s| s.id());
            if let Some(x) = self
                .hook
                .as_ref()
                .and_then(|h| h.evictor.features(Self::key(id)))
            {
                observe(id, &x);
            }
            match self.ask(id) {
                Verdict::Keep => self.st.inactive.move_to_head(&mut self.store, t),
                Verdict::Activate => {
                    self.st.inactive.unlink(&mut self.store, t);
                    self.st.active.push_head(&mut self.store, t, ACTIVE);
                }
                Verdict::Reclaim | Verdict::Default => {
                    self.evict(t);
                    return true;
                }
            }
        }
        let t = self.st.inactive.tail();
        if t == NIL {
            return false;
        }
        self.evict(t);
        true
    }

    /// [`Policy::access`], handing `observe` the id and features of every page offered to
    /// the hook (before its verdict).
    pub fn access_observe<F: FnMut(u64, &[i8; FEATURES])>(
        &mut self,
        req: &Request,
        mut observe: F,
    ) -> Outcome {
        let key = Self::key(req.id);
        let found = self.store.find(req.id);
        if let Some(i) = found.filter(|&i| self.tag(i) != SHADOW) {
            self.on_access(key);
            self.mark_accessed(i);
            return self.st.stats.record(Outcome::Hit);
        }
        // A refault is activated when it was evicted within the active list's size.
        let distance = found.map(|i| {
            let evicted = self.store.slot(i).map_or(0, |s| s.key);
            self.st
                .age
                .saturating_sub(u64::try_from(evicted).unwrap_or(0))
        });
        let activate = distance.is_some_and(|d| d <= u64::from(self.st.active.len()));
        if let Some(i) = found {
            self.st.shadows.unlink(&mut self.store, i);
            self.store.release(i);
        }
        let size = u64::from(req.size);
        if size > self.st.capacity {
            return self.st.stats.record(Outcome::TooLarge);
        }
        while overfull(self.used(), size, self.st.capacity) {
            if !self.reclaim_one(&mut observe) {
                break;
            }
        }
        let Some(i) = self.store.alloc(req.id, req.size) else {
            return self.st.stats.record(Outcome::NoSlot);
        };
        // The page-cache event comes first, the LRU insertion after (`filemap_add_folio()`).
        self.on_add(key);
        if activate {
            self.st.hook.refault_activations += 1;
            self.st.age = self.st.age.saturating_add(1);
            self.st.active.push_head(&mut self.store, i, ACTIVE);
        } else if self.inserts_cold(req.id, key, distance) {
            self.st.hook.cold_inserts += 1;
            self.st.inactive.push_tail(&mut self.store, i, INACTIVE);
        } else {
            self.st.inactive.push_head(&mut self.store, i, INACTIVE);
        }
        self.on_access(key);
        self.mark_accessed(i);
        self.st.stats.record(Outcome::Miss)
    }
}

impl Policy for Linux<'_, '_> {
    fn access(&mut self, req: &Request) -> Outcome {
        self.access_observe(req, |_, _| {})
    }

    #[cfg(any(test, feature = "host"))]
    fn stats(&self) -> Stats {
        self.st.stats
    }

    #[cfg(any(test, feature = "host"))]
    fn capacity(&self) -> u64 {
        self.st.capacity
    }

    fn used(&self) -> u64 {
        self.st.inactive.bytes() + self.st.active.bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::super::guard::EvictGuard;
    use super::super::pagehist::{Entry, Meta, Table};
    use super::super::store::Slot;

    use super::super::super::model::format::parse;
    use super::super::super::model::memo::ClassMemo;
    use super::super::reclaim::tests::one_layer_model;

    use super::*;
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    fn run(reqs: &[u64], cap: u64, model: Option<Mlp<'_>>, enabled: bool) -> (Stats, HookStats) {
        run_memo(reqs, cap, model, enabled, None)
    }

    fn run_memo(
        reqs: &[u64],
        cap: u64,
        model: Option<Mlp<'_>>,
        enabled: bool,
        memo: Option<&ClassMemo>,
    ) -> (Stats, HookStats) {
        let n = reqs.len() * 3 + 8;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let store = Store::new(&mut slots, &mut index).unwrap();
        let entries: Vec<Entry> = (0..1024).map(|_| Entry::new()).collect();
        let meta = Meta::new();
        let guard = EvictGuard::new();
        let mut evictor = Evictor::new(Table::new(&meta, &entries).unwrap(), &guard);
        evictor.memo = memo;
        let hook = Hook {
            evictor,
            model,
            enabled,
            shadow: None,
            duel_shadows: None,
        };
        let mut p = Linux::with_hook(cap, store, hook);
        for &id in reqs {
            p.access(&Request {
                id,
                size: 1,
                next_access: -1,
            });
        }
        assert!(p.used() <= cap);
        (p.stats(), p.hook_stats())
    }

    #[test]
    fn the_memo_changes_no_verdict() {
        // A one-layer model with mixed weights: its class depends on the features.
        let w: Vec<i8> = (0..24).map(|i| ((i * 37 + 11) % 61) as i8 - 30).collect();
        let mut buf = [0u8; 512];
        let len = one_layer_model(&w, &[0, 40, -40], &mut buf);
        let m = parse(&buf[..len]).unwrap().mlp().unwrap();
        // A skewed random trace over 400 pages through a 60-page cache.
        let mut x = 5u64;
        let reqs: Vec<u64> = (0..30_000)
            .map(|_| {
                x = super::super::super::hash::mix64(x.wrapping_add(1));
                (x % 20) * (x >> 40) % 400
            })
            .collect();
        let plain = run(&reqs, 60, Some(m), true);
        let memo = ClassMemo::new();
        let memoised = run_memo(&reqs, 60, Some(m), true, Some(&memo));
        assert_eq!(plain.0, memoised.0);
        assert_eq!(plain.1.model, memoised.1.model);
        assert_eq!(plain.1.recalled, 0);
        // The model keeps some pages and reclaims others, and the memo answers most of it.
        let (keep, reclaim) = (plain.1.model[2], plain.1.model[1]);
        assert!(keep > 100 && reclaim > 20, "{:?}", plain.1);
        let recalled = memoised.1.recalled;
        assert!(recalled > (keep + reclaim) / 2, "{recalled}");
        assert!(recalled < keep + reclaim + plain.1.model[0]);
    }

    #[test]
    fn second_access_activates_and_survives_a_scan() {
        // Pages 1 and 2 are used twice (active); a scan of 20 one-time pages through a
        // 6-page cache does not push them out while the inactive list is not smaller.
        let mut reqs = vec![1, 2, 1, 2];
        reqs.extend(100..120);
        reqs.extend([1, 2]);
        let (s, h) = run(&reqs, 6, None, false);
        assert_eq!(s.hits, 4, "{s:?}");
        assert_eq!(h.fallback[Fallback::Disabled as usize], h.asked);
    }

    #[test]
    fn lru_order_within_the_inactive_list() {
        // One-time pages through a 3-page cache: FIFO = LRU here, every access misses.
        let reqs: Vec<u64> = (0..10).chain(0..10).collect();
        let (s, _) = run(&reqs, 3, None, false);
        assert_eq!((s.hits, s.misses, s.evictions), (0, 20, 17));
    }

    #[test]
    fn recent_refaults_are_activated() {
        // 1 and 2 active; 3..=5 fill the inactive list; 6 evicts 3, then 3 comes back while
        // the refault distance (1) is within the active list's size (2).
        let reqs = [1, 2, 1, 2, 3, 4, 5, 6, 3];
        let n = reqs.len() * 3;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let store = Store::new(&mut slots, &mut index).unwrap();
        let mut p = Linux::new(5, store);
        for id in reqs {
            p.access(&Request {
                id,
                size: 1,
                next_access: -1,
            });
        }
        assert_eq!(p.hook_stats().refault_activations, 1);
        assert_eq!(p.active_pages(), 3);
    }
}
