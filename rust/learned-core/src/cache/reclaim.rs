// SPDX-License-Identifier: GPL-2.0

//! The learned eviction policy as reclaim sees it: a verdict for one inactive file page,
//! given the kernel's own verdict, from the page's history and a loaded EVICT v1 model, with
//! the guard ([`super::guard`]) watching and the exact fallback (the kernel's verdict) on
//! every path where the model cannot or may not answer.
//!
//! The kernel module calls [`Evictor`] from the page cache's tracepoints and from the reclaim
//! hook; the host simulator of Linux's reclaim ([`super::linux`]) calls it at the same
//! points. Everything here is bounded, lock-free work: one set of history entries and at
//! most one inference per call.
//!
//! # From the model's class to a verdict
//!
//! An EVICT v1 model predicts the class of the page's next-use distance, `0` the soonest and
//! the last class "not within the horizon" ([`verdict_of_class`]):
//!
//! | class            | verdict                                  |
//! |------------------|------------------------------------------|
//! | 0 (soonest)      | keep: back to the head of the inactive list |
//! | last             | reclaim                                  |
//! | any other        | the kernel's own verdict                 |
//!
//! A page the model kept against the kernel's verdict [`Evictor::max_keeps`] times is not
//! kept again until it has been accessed: protection has to be earned by use, so even a
//! model that keeps everything can delay reclaim by a bounded number of passes over the
//! lists, never stall it.

use super::super::model::memo::{ClassMemo, MEMO_INPUTS};
use super::super::model::mlp::{argmax, Mlp, MAX_OUTPUTS};
use super::guard::{EvictGuard, Trip};
use super::history::{features, History, FEATURES};
use super::insert::{Duel, InsertRule};
use super::keepgate::KeepGate;
use super::pagehist::{Table, KEEPS_MASK, READ_IN};
use super::shadow::{sampled, SAMPLE_SHIFT};

/// The size every page is given in the EVICT v1 features (a 4 KiB page).
pub const PAGE_SIZE: u32 = 4096;

/// A verdict for one folio: the values of the kernel's `enum reclaim_verdict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Verdict {
    /// No opinion: the kernel's verdict applies.
    Default = 0,
    /// Reclaim the folio.
    Reclaim = 1,
    /// Keep it on the inactive list for another round.
    Keep = 2,
    /// Move it to the active list.
    Activate = 3,
}

impl Verdict {
    /// The verdict numbered `v`, if any.
    pub fn from_u32(v: u32) -> Option<Self> {
        [Self::Default, Self::Reclaim, Self::Keep, Self::Activate]
            .into_iter()
            .find(|x| *x as u32 == v)
    }

    /// Whether the verdict keeps the folio in memory.
    pub fn keeps(self) -> bool {
        matches!(self, Self::Keep | Self::Activate)
    }
}

/// Why the kernel's own verdict was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Fallback {
    /// The policy is disabled.
    Disabled = 0,
    /// No model is loaded (or it does not take EVICT v1 features).
    NoModel = 1,
    /// The page has no history: unknown, or added and never accessed.
    NoHistory = 2,
    /// The guard has tripped.
    Tripped = 3,
    /// The model kept this page `max_keeps` times and it has not been used since.
    Unearned = 4,
    /// The kernel asked with a verdict the policy does not know.
    Unknown = 5,
    /// Inference failed.
    Error = 6,
    /// The folio is not charged to the cgroup the policy was opted into (or none was).
    OutOfScope = 7,
    /// The kernel would keep or activate the folio and it is mapped into a process: in use.
    Mapped = 8,
    /// The model said keep, and keeps are not paying now ([`super::keepgate`]).
    Gated = 9,
}

impl Fallback {
    /// The number of reasons.
    pub const COUNT: usize = 10;
    /// Every reason, in order.
    pub const ALL: [Fallback; Self::COUNT] = [
        Self::Disabled,
        Self::NoModel,
        Self::NoHistory,
        Self::Tripped,
        Self::Unearned,
        Self::Unknown,
        Self::Error,
        Self::OutOfScope,
        Self::Mapped,
        Self::Gated,
    ];

    /// The name used in statistics.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::NoModel => "no_model",
            Self::NoHistory => "no_history",
            Self::Tripped => "tripped",
            Self::Unearned => "unearned",
            Self::Unknown => "unknown",
            Self::Error => "error",
            Self::OutOfScope => "out_of_scope",
            Self::Mapped => "mapped",
            Self::Gated => "gated",
        }
    }
}

/// Who answered, and what.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The model answered: its verdict ([`Verdict::Default`] when it agrees to defer).
    Model(Verdict),
    /// The model's verdict, recalled from the memo ([`Evictor::memo`]): the model answered
    /// these very features before, so the network did not run again.
    Recalled(Verdict),
    /// The exact fallback: the kernel's verdict stands.
    Fallback(Fallback),
    /// Keep, once: the page was inserted at the inactive tail and has not been read since
    /// (readahead ahead of its reader), so it goes back to the head, where stock Linux
    /// would have put it.
    Unread,
}

impl Answer {
    /// The verdict to hand back to reclaim.
    pub fn verdict(self) -> Verdict {
        match self {
            Self::Model(v) | Self::Recalled(v) => v,
            Self::Fallback(_) => Verdict::Default,
            Self::Unread => Verdict::Keep,
        }
    }
}

/// The verdict for class `class` of a model with `classes` outputs (see the module docs).
pub fn verdict_of_class(class: usize, classes: usize) -> Verdict {
    if class == 0 && classes > 1 {
        Verdict::Keep
    } else if class + 1 >= classes {
        Verdict::Reclaim
    } else {
        Verdict::Default
    }
}

/// Where a learned verdict may apply, asked about the folio in question only when the answer
/// matters (each may cost a lookup in the kernel).
///
/// The rule (the seed paper's denial of service is a model that evicts other applications'
/// memory): a learned verdict never touches a folio outside the cgroup the user opted in, and
/// never overrides the kernel's "activate" (or "keep") for a folio mapped into a process.
pub trait Scope {
    /// Whether the folio is charged to the opted-in cgroup or one below it.
    fn contains(&self) -> bool;
    /// Whether the folio is mapped into some process's page tables.
    fn mapped(&self) -> bool;
}

/// The scope of a caller with no cgroups and no mappings (the host's simulator): every page is
/// in it, none is mapped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Everywhere;

impl Scope for Everywhere {
    fn contains(&self) -> bool {
        true
    }

    fn mapped(&self) -> bool {
        false
    }
}

// The memo keys on exactly the EVICT v1 features.
const _: () = assert!(FEATURES == MEMO_INPUTS);

/// The default of [`Evictor::max_keeps`].
pub const DEFAULT_MAX_KEEPS: u32 = 4;

/// The policy's state in one place: the page history and the guard.
#[derive(Clone, Copy, Debug)]
pub struct Evictor<'a> {
    /// The page history.
    pub table: Table<'a>,
    /// The guard.
    pub guard: &'a EvictGuard,
    /// How many times a page may be kept against the kernel without being accessed.
    pub max_keeps: u32,
    /// Where new pages go ([`super::insert`]).
    pub insert: InsertRule,
    /// The insertion duel's score, for [`InsertRule::Duel`] (else unused).
    pub duel: &'a Duel,
    /// The memo of the model's answers ([`super::super::model::memo`]). It must be the memo
    /// of the model passed to [`Self::verdict`] and no other: the kernel keeps each loaded
    /// model's memo inside it, the host one per run. `None`: every answer runs the network.
    pub memo: Option<&'a ClassMemo>,
    /// Whether the model's keeps are paying ([`super::keepgate`]): this policy's own, fed by
    /// this [`Self::table`]'s events (the kernel keeps one per policy, the host one per
    /// run). `None`: every keep passes and nothing is measured.
    pub keep_gate: Option<&'a KeepGate>,
}

/// The duel of an [`Evictor`] built without one: no evidence, so stock.
static NO_DUEL: Duel = Duel::new();

impl<'a> Evictor<'a> {
    /// The policy over `table`, watched by `guard`, with [`DEFAULT_MAX_KEEPS`] and stock
    /// insertion.
    pub fn new(table: Table<'a>, guard: &'a EvictGuard) -> Self {
        Self {
            table,
            guard,
            max_keeps: DEFAULT_MAX_KEEPS,
            insert: InsertRule::Stock,
            duel: &NO_DUEL,
            memo: None,
            keep_gate: None,
        }
    }

    /// Whether page `key`, just added and about to join the inactive list, goes to its tail,
    /// the policy `enabled`, [`Everywhere`].
    pub fn insert_cold(&self, enabled: bool, key: u64) -> bool {
        self.insert_cold_in(&Everywhere, enabled, key)
    }

    /// [`Self::insert_cold`] for a folio in `scope`: only a page added [`FRESH`] (asked once
    /// per addition), in scope, the guard not tripped, under [`Self::insert`]. A cold
    /// insertion counts as an override for the guard, which so judges the rule as it judges
    /// verdicts. Bounded, lock-free.
    ///
    /// [`FRESH`]: super::pagehist::FRESH
    pub fn insert_cold_in(&self, scope: &dyn Scope, enabled: bool, key: u64) -> bool {
        if !enabled || self.insert == InsertRule::Stock || !self.table.take_fresh(key) {
            return false;
        }
        let cold = scope.contains()
            && self.guard.allows(self.table.now())
            && (self.insert == InsertRule::Cold || self.duel.cold_wins());
        if cold {
            self.table.mark_cold(key);
            self.guard.overrode();
        }
        cold
    }

    /// A sampled access replayed in the guard's (stock) shadow: whether it missed.
    pub fn shadow_access(&self, stock_miss: bool) {
        self.guard.shadow_access(stock_miss);
    }

    /// An access replayed in the insertion duel's simulations
    /// ([`super::shadow::DuelShadows`]): whether the stock one and the cold one missed.
    pub fn duel_access(&self, stock_miss: bool, cold_miss: bool) {
        self.duel.record(stock_miss, cold_miss);
    }

    /// Page `key` was added to the page cache (a disk read, or readahead).
    pub fn on_add(&self, key: u64) {
        let refault = self.table.add(key);
        if let Some(g) = self.keep_gate {
            g.added(refault);
        }
    }

    /// Page `key` was accessed. The first access to a page since it was read in is the demand
    /// miss the guard counts for a sampled page (readahead that is never used does not count,
    /// and the count falls when the shadow's miss does). The clock ticks: `Some` when this
    /// access ended a guard window that tripped (log it). The caller replays sampled accesses
    /// in the guard's shadow (see [`super::shadow`]) with [`Self::shadow_capacity`].
    pub fn on_access(&self, key: u64) -> Option<Trip> {
        let old = self.table.access(key);
        if let Some(g) = self.keep_gate.filter(|_| old & KEEPS_MASK != 0) {
            g.keep_outcome(true);
        }
        if old & READ_IN != 0 && sampled(key) {
            self.guard.read();
        }
        self.guard.tick(self.table.now())
    }

    /// Page `key` left the page cache.
    pub fn on_delete(&self, key: u64) {
        self.table.delete(key);
    }

    /// The size of the guard's shadow cache: the resident pages, scaled by the sampling rate.
    pub fn shadow_capacity(&self) -> u64 {
        self.table.stats().resident >> SAMPLE_SHIFT
    }

    /// The answer for page `key`, which the kernel would give `kernel`, with `model` (if
    /// loaded) and the policy `enabled`, [`Everywhere`]. The guard is told about every
    /// override.
    pub fn verdict(&self, model: Option<&Mlp<'_>>, enabled: bool, key: u64, kernel: u32) -> Answer {
        self.verdict_in(&Everywhere, model, enabled, key, kernel)
    }

    /// [`Self::verdict`] for a folio in `scope`: the kernel's verdict stands
    /// ([`Fallback::OutOfScope`]) for a folio outside it, and ([`Fallback::Mapped`]) for a
    /// mapped folio the kernel would activate or keep, before any model is consulted.
    pub fn verdict_in(
        &self,
        scope: &dyn Scope,
        model: Option<&Mlp<'_>>,
        enabled: bool,
        key: u64,
        kernel: u32,
    ) -> Answer {
        let kernel = match Verdict::from_u32(kernel) {
            Some(Verdict::Default) | None => return Answer::Fallback(Fallback::Unknown),
            Some(v) => v,
        };
        if !enabled {
            return Answer::Fallback(Fallback::Disabled);
        }
        if !scope.contains() {
            return Answer::Fallback(Fallback::OutOfScope);
        }
        if kernel.keeps() && scope.mapped() {
            return Answer::Fallback(Fallback::Mapped);
        }
        if kernel == Verdict::Reclaim && self.table.take_unread_cold(key) {
            return Answer::Unread;
        }
        match self.decide(model, enabled, key) {
            Ok((v, recalled)) => {
                let gated = self.keep_gate.is_some_and(|g| !g.allows(key));
                if v == Verdict::Keep && !kernel.keeps() && gated {
                    return Answer::Fallback(Fallback::Gated);
                }
                if v.keeps() && !kernel.keeps() {
                    self.table.count_keep(key);
                    self.guard.overrode();
                } else if v == Verdict::Reclaim && kernel.keeps() {
                    self.guard.overrode();
                }
                if recalled {
                    Answer::Recalled(v)
                } else {
                    Answer::Model(v)
                }
            }
            Err(why) => Answer::Fallback(why),
        }
    }

    /// The EVICT v1 features of a page with history `h` now.
    fn features_of(&self, h: &History) -> [i8; FEATURES] {
        features(h, PAGE_SIZE, self.table.now(), self.table.mean_age())
    }

    /// The EVICT v1 features of resident page `key` now, if it has a history.
    pub fn features(&self, key: u64) -> Option<[i8; FEATURES]> {
        self.table.history(key).map(|h| self.features_of(&h))
    }

    /// The model's verdict and whether the memo recalled it, or why there is none. One
    /// history lookup, at most one inference.
    fn decide(
        &self,
        model: Option<&Mlp<'_>>,
        enabled: bool,
        key: u64,
    ) -> Result<(Verdict, bool), Fallback> {
        if !enabled {
            return Err(Fallback::Disabled);
        }
        let model = model
            .filter(|m| m.inputs() == FEATURES && (1..=MAX_OUTPUTS).contains(&m.outputs()))
            .ok_or(Fallback::NoModel)?;
        if !self.guard.allows(self.table.now()) {
            return Err(Fallback::Tripped);
        }
        let (h, keeps) = self.table.lookup(key).ok_or(Fallback::NoHistory)?;
        if let Some(g) = self.keep_gate.filter(|_| keeps > 0) {
            // Kept, and back at the tail unused: that keep was wasted.
            g.keep_outcome(false);
        }
        if keeps >= self.max_keeps {
            return Err(Fallback::Unearned);
        }
        let x = self.features_of(&h);
        if let Some(class) = self.memo.and_then(|m| m.get(&x)) {
            return Ok((verdict_of_class(class, model.outputs()), true));
        }
        let mut logits = [0i32; MAX_OUTPUTS];
        let n = model.infer(&x, &mut logits).map_err(|_| Fallback::Error)?;
        let out = logits.get(..n).ok_or(Fallback::Error)?;
        let class = argmax(out);
        if let Some(m) = self.memo {
            m.put(&x, class);
        }
        Ok((verdict_of_class(class, n), false))
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::super::model::format::{encode_mlp, parse, ModelMeta};
    use super::super::super::model::mlp::LayerSpec;
    use super::super::super::model::schema;
    use super::super::guard::EvictGuard;
    use super::super::pagehist::{page_key, Entry, Meta, Table};
    use super::*;

    /// An EVICT v1 file in `buf` (its length returned): one layer over the 8 features, with
    /// `bias.len()` outputs, `weights` row-major, no requantization.
    pub(in super::super) fn one_layer_model(weights: &[i8], bias: &[i32], buf: &mut [u8]) -> usize {
        let layers = [LayerSpec {
            inputs: 8,
            outputs: bias.len() as u16,
            weights,
            bias,
            multiplier: 1,
            shift: 0,
            relu: false,
        }];
        let meta = ModelMeta {
            schema_id: schema::EVICT,
            schema_version: 1,
            model_id: 7,
        };
        encode_mlp(meta, &layers, buf).unwrap()
    }

    /// A one-layer model over the 8 features whose class is fixed by its biases: `class`
    /// always wins.
    fn constant_model(class: usize, buf: &mut [u8]) -> usize {
        let mut b = [0i32; 4];
        b[class] = 100;
        one_layer_model(&[0i8; 8 * 4], &b, buf)
    }

    fn with_model<R>(class: usize, f: impl FnOnce(&Mlp<'_>) -> R) -> R {
        let mut buf = [0u8; 512];
        let n = constant_model(class, &mut buf);
        let m = parse(&buf[..n]).unwrap().mlp().unwrap();
        f(&m)
    }

    #[test]
    fn classes_map_to_verdicts() {
        assert_eq!(verdict_of_class(0, 4), Verdict::Keep);
        assert_eq!(verdict_of_class(1, 4), Verdict::Default);
        assert_eq!(verdict_of_class(2, 4), Verdict::Default);
        assert_eq!(verdict_of_class(3, 4), Verdict::Reclaim);
        assert_eq!(verdict_of_class(0, 1), Verdict::Reclaim);
    }

    #[test]
    fn every_fallback_path_defers_to_the_kernel() {
        let meta = Meta::new();
        let e: [Entry; 16] = core::array::from_fn(|_| Entry::new());
        let guard = EvictGuard::new();
        let mut ev = Evictor::new(Table::new(&meta, &e).unwrap(), &guard);
        ev.max_keeps = 1;
        let k = page_key(1, 1);
        let r = Verdict::Reclaim as u32;
        let fb = Answer::Fallback;
        with_model(0, |m| {
            assert_eq!(ev.verdict(Some(m), false, k, r), fb(Fallback::Disabled));
            assert_eq!(ev.verdict(None, true, k, r), fb(Fallback::NoModel));
            assert_eq!(ev.verdict(Some(m), true, k, 0), fb(Fallback::Unknown));
            assert_eq!(ev.verdict(Some(m), true, k, 9), fb(Fallback::Unknown));
            ev.on_add(k);
            assert_eq!(ev.verdict(Some(m), true, k, r), fb(Fallback::NoHistory));
            ev.on_access(k);
            // Kept once (max_keeps = 1)...
            assert_eq!(
                ev.verdict(Some(m), true, k, r),
                Answer::Model(Verdict::Keep)
            );
            // ... and not again until used.
            assert_eq!(ev.verdict(Some(m), true, k, r), fb(Fallback::Unearned));
            ev.on_access(k);
            assert_eq!(
                ev.verdict(Some(m), true, k, r),
                Answer::Model(Verdict::Keep)
            );
            assert_eq!(fb(Fallback::Tripped).verdict(), Verdict::Default);
        });
    }

    #[test]
    fn keeps_that_do_not_pay_are_gated_but_for_the_sample() {
        let meta = Meta::new();
        let e: [Entry; 4096] = core::array::from_fn(|_| Entry::new());
        let guard = EvictGuard::new();
        let gate = KeepGate::new();
        let mut ev = Evictor::new(Table::new(&meta, &e).unwrap(), &guard);
        ev.keep_gate = Some(&gate);
        let r = Verdict::Reclaim as u32;
        let keys: [u64; 512] = core::array::from_fn(|i| page_key(5, i as u64));
        for &k in &keys {
            ev.on_add(k);
            ev.on_access(k);
        }
        // Pages leave and come straight back: every addition is a refault.
        for &k in keys.iter().take(300) {
            ev.on_delete(k);
            ev.on_add(k);
            ev.on_access(k);
        }
        with_model(0, |m| {
            // A model that keeps everything; no kept page is used before reclaim sees it
            // again, so each second question finds a wasted keep.
            let mut gated = 0;
            for _ in 0..2 {
                for &k in &keys {
                    if ev.verdict(Some(m), true, k, r) == Answer::Fallback(Fallback::Gated) {
                        gated += 1;
                        assert!(!super::super::shadow::sampled(k));
                    }
                }
            }
            assert!(!gate.open());
            assert!(gated > 300, "{gated}");
            // The sample is still kept: the evidence goes on.
            let s = keys
                .iter()
                .find(|&&k| super::super::shadow::sampled(k))
                .unwrap();
            ev.on_access(*s);
            assert_eq!(
                ev.verdict(Some(m), true, *s, r),
                Answer::Model(Verdict::Keep)
            );
            // Kept pages that are used reopen the gate.
            for _ in 0..200 {
                ev.on_access(*s);
                assert!(ev.verdict(Some(m), true, *s, r).verdict().keeps());
            }
            assert!(gate.open());
        });
    }

    /// A scope whose answers are given, and which counts the questions.
    struct Fixed {
        contains: bool,
        mapped: bool,
        asked: core::cell::Cell<u32>,
    }

    impl Scope for Fixed {
        fn contains(&self) -> bool {
            self.asked.set(self.asked.get() + 1);
            self.contains
        }

        fn mapped(&self) -> bool {
            self.asked.set(self.asked.get() + 1);
            self.mapped
        }
    }

    #[test]
    fn no_learned_verdict_outside_the_scope_or_against_activate_for_mapped_folios() {
        let meta = Meta::new();
        let e: [Entry; 16] = core::array::from_fn(|_| Entry::new());
        let guard = EvictGuard::new();
        let ev = Evictor::new(Table::new(&meta, &e).unwrap(), &guard);
        let k = page_key(3, 1);
        ev.on_add(k);
        ev.on_access(k);
        let scope = |contains, mapped| Fixed {
            contains,
            mapped,
            asked: core::cell::Cell::new(0),
        };
        let fb = Answer::Fallback;
        let (a, r) = (Verdict::Activate as u32, Verdict::Reclaim as u32);
        // A model that reclaims everything.
        with_model(3, |m| {
            let out = scope(false, false);
            assert_eq!(
                ev.verdict_in(&out, Some(m), true, k, r),
                fb(Fallback::OutOfScope)
            );
            assert_eq!(
                ev.verdict_in(&out, Some(m), true, k, a),
                fb(Fallback::OutOfScope)
            );
            // Disabled: the scope is not even asked.
            assert_eq!(
                ev.verdict_in(&out, Some(m), false, k, r),
                fb(Fallback::Disabled)
            );
            assert_eq!(out.asked.get(), 2);
            let mapped = scope(true, true);
            assert_eq!(
                ev.verdict_in(&mapped, Some(m), true, k, a),
                fb(Fallback::Mapped)
            );
            let keep = Verdict::Keep as u32;
            assert_eq!(
                ev.verdict_in(&mapped, Some(m), true, k, keep),
                fb(Fallback::Mapped)
            );
            // What the kernel would reclaim anyway, the model may reclaim.
            assert_eq!(
                ev.verdict_in(&mapped, Some(m), true, k, r),
                Answer::Model(Verdict::Reclaim)
            );
            assert_eq!(
                ev.verdict_in(&scope(true, false), Some(m), true, k, a),
                Answer::Model(Verdict::Reclaim)
            );
            assert_eq!(
                ev.verdict(Some(m), true, k, a),
                Answer::Model(Verdict::Reclaim)
            );
        });
        // A model that keeps everything does not keep a mapped folio the kernel activates
        // either: the kernel's verdict stands.
        with_model(0, |m| {
            assert_eq!(
                ev.verdict_in(&scope(true, true), Some(m), true, k, a),
                fb(Fallback::Mapped)
            );
        });
    }

    #[test]
    fn overrides_are_counted_and_judged_against_the_shadow() {
        let meta = Meta::new();
        let e: [Entry; 64] = core::array::from_fn(|_| Entry::new());
        let guard = EvictGuard::new();
        guard.configure(1 << 20, 0, 1000);
        let ev = Evictor::new(Table::new(&meta, &e).unwrap(), &guard);
        let key = |i| page_key(2, i);
        for i in 0..4 {
            ev.on_add(key(i));
            ev.on_access(key(i));
        }
        with_model(3, |m| {
            // The kernel would activate page 0; the model reclaims it: an override.
            let ans = ev.verdict(Some(m), true, key(0), Verdict::Activate as u32);
            assert_eq!(ans, Answer::Model(Verdict::Reclaim));
            // Agreeing with the kernel is not.
            let ans = ev.verdict(Some(m), true, key(1), Verdict::Reclaim as u32);
            assert_eq!(ans, Answer::Model(Verdict::Reclaim));
        });
        assert_eq!(guard.stats().overrides, 1);
        // Sampled reads the shadow would not have made: the window trips the guard.
        let mut k = 0;
        let mut reads = guard.stats().reads;
        while reads < 100 {
            k += 1;
            if sampled(page_key(5, k)) {
                ev.on_add(page_key(5, k));
                ev.on_access(page_key(5, k));
                reads += 1;
            }
        }
        assert_eq!(guard.stats().reads, 100);
        assert_eq!(
            guard.stats().shadow_misses,
            0,
            "nothing replayed in the shadow"
        );
        let mut trip = None;
        while trip.is_none() && ev.table.now() < 3_000_000 {
            trip = ev.on_access(key(3));
        }
        let trip = trip.unwrap();
        assert_eq!((trip.reads, trip.expected), (100, 0));
        with_model(0, |m| {
            let ans = ev.verdict(Some(m), true, key(3), Verdict::Reclaim as u32);
            assert_eq!(ans, Answer::Fallback(Fallback::Tripped));
        });
    }

    #[test]
    fn a_cold_insertion_is_kept_once_until_it_is_read() {
        let meta = Meta::new();
        let e: [Entry; 64] = core::array::from_fn(|_| Entry::new());
        let guard = EvictGuard::new();
        let mut ev = Evictor::new(Table::new(&meta, &e).unwrap(), &guard);
        let r = Verdict::Reclaim as u32;
        let (a, b, c) = (page_key(4, 1), page_key(4, 2), page_key(4, 3));
        // Stock: never cold, and nothing to keep.
        ev.on_add(a);
        assert!(!ev.insert_cold(true, a));
        assert_eq!(
            ev.verdict(None, true, a, r),
            Answer::Fallback(Fallback::NoModel)
        );
        // Cold: a fresh page goes to the tail, once per addition; disabled, never.
        ev.insert = InsertRule::Cold;
        ev.on_add(b);
        assert!(!ev.insert_cold(false, b));
        ev.on_add(c);
        assert!(ev.insert_cold(true, c));
        assert!(!ev.insert_cold(true, c), "asked once per addition");
        // Not read yet: kept once, then the fallback; never against a kernel that keeps it.
        assert_eq!(
            ev.verdict(None, true, c, Verdict::Keep as u32),
            Answer::Fallback(Fallback::NoModel)
        );
        assert_eq!(ev.verdict(None, true, c, r), Answer::Unread);
        assert_eq!(Answer::Unread.verdict(), Verdict::Keep);
        assert_eq!(
            ev.verdict(None, true, c, r),
            Answer::Fallback(Fallback::NoModel)
        );
        // Read after its cold insertion: no keep.
        let f = page_key(4, 5);
        ev.on_add(f);
        assert!(ev.insert_cold(true, f));
        ev.on_access(f);
        assert_eq!(
            ev.verdict(None, true, f, r),
            Answer::Fallback(Fallback::NoModel)
        );
        // A page added again without leaving (a racing event) is not fresh.
        ev.on_add(f);
        assert!(!ev.insert_cold(true, f));
        // Duel with no evidence: stock.
        ev.insert = InsertRule::Duel;
        let d = page_key(4, 9);
        ev.on_add(d);
        assert!(!ev.insert_cold(true, d));
    }
}
