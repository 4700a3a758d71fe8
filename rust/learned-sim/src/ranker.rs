// SPDX-License-Identifier: GPL-2.0

//! The learned ranker: LRU order, with the victim chosen among the LRU tail by an EVICT v1
//! model.
//!
//! Objects are kept on one LRU list. When room is needed, up to `k` candidates are taken from
//! the tail (least recently used first), the model scores each one from its EVICT v1 features
//! ([`super::history`]) and predicts a next-use-distance class (higher = reused further in the
//! future, the last class "not again"); the candidate with the highest class is evicted.
//! Among candidates of the same class, the one with the largest margin of the last logit
//! over the first is evicted, and remaining ties go to the least recently used. Work per
//! eviction is bounded by `k` inferences.
//!
//! Exact fallback: with no model, with a model of the wrong shape, or on any inference error,
//! the tail is evicted: exactly LRU.

use learned_core::cache::history::{self, History, FEATURES};
use learned_core::cache::{overfull, List, Outcome, Policy, Request, Stats, Store, NIL};
use learned_core::model::mlp::{argmax, Mlp, MAX_OUTPUTS};

/// The most candidates one eviction may score.
pub const MAX_CANDIDATES: usize = 64;
/// The default number of candidates scored per eviction.
pub const DEFAULT_CANDIDATES: usize = 32;

/// Why a [`Learned`] policy could not be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LearnedError {
    /// The history table has fewer entries than the store has slots.
    HistoryTooSmall,
}

/// One eviction candidate as seen by the ranker: handed to the observer of
/// [`Learned::access_observe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The object id.
    pub id: u64,
    /// Its position from the LRU tail (0 = least recently used).
    pub rank: usize,
    /// Its EVICT v1 features.
    pub features: [i8; FEATURES],
}

/// The tie-breaker between candidates of the same class: the last ("furthest") logit minus
/// the first ("soonest") one.
fn margin(logits: &[i32]) -> i64 {
    let first = logits.first().copied().unwrap_or(0);
    let last = logits.last().copied().unwrap_or(0);
    i64::from(last) - i64::from(first)
}

/// The learned ranker policy. The list head is the most recently used object.
pub struct Learned<'a, 'm> {
    store: Store<'a>,
    hist: &'a mut [History],
    list: List<0>,
    capacity: u64,
    stats: Stats,
    model: Option<Mlp<'m>>,
    k: usize,
    now: u64,
    /// The sum of the last-access times of the resident objects.
    sum_last: u64,
}

impl<'a, 'm> Learned<'a, 'm> {
    /// An empty cache of `capacity` units over `store`, with `hist` (at least one entry per
    /// store slot) for the access histories, ranking up to `k` (clamped to
    /// `1..=`[`MAX_CANDIDATES`]) tail candidates with `model`. The model is used only if it
    /// takes [`FEATURES`] inputs and has between 1 and [`MAX_OUTPUTS`] outputs; otherwise,
    /// and with `None`, the policy is LRU.
    pub fn new(
        capacity: u64,
        store: Store<'a>,
        hist: &'a mut [History],
        model: Option<Mlp<'m>>,
        k: usize,
    ) -> Result<Self, LearnedError> {
        if hist.len() < store.capacity() {
            return Err(LearnedError::HistoryTooSmall);
        }
        for h in hist.iter_mut() {
            *h = History::EMPTY;
        }
        let model =
            model.filter(|m| m.inputs() == FEATURES && (1..=MAX_OUTPUTS).contains(&m.outputs()));
        Ok(Self {
            store,
            hist,
            list: List::new(),
            capacity,
            stats: Stats::default(),
            model,
            k: k.clamp(1, MAX_CANDIDATES),
            now: 0,
            sum_last: 0,
        })
    }

    /// Whether a model is in use.
    pub fn has_model(&self) -> bool {
        self.model.is_some()
    }

    /// The current virtual time: the number of requests seen.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The EVICT v1 features of resident object `id` at the current time, if it is cached.
    pub fn features_of(&self, id: u64) -> Option<[i8; FEATURES]> {
        let i = self.store.find(id)?;
        self.slot_features(i)
    }

    fn slot_features(&self, i: u32) -> Option<[i8; FEATURES]> {
        let size = self.store.slot(i)?.size();
        let h = self.hist.get(i as usize)?;
        let mean = history::mean_age(self.now, self.sum_last, u64::from(self.list.len()));
        Some(history::features(h, size, self.now, mean))
    }

    /// Chooses the victim: the tail without a model, else the highest (class, margin) among
    /// up to `k` tail candidates (ties to the least recently used). `observe` sees every
    /// scored candidate.
    fn victim<F: FnMut(&Candidate)>(&self, observe: &mut F) -> u32 {
        let tail = self.list.tail();
        let mut best = tail;
        let mut best_score = (0usize, 0i64);
        let mut cur = tail;
        let mut logits = [0i32; MAX_OUTPUTS];
        for rank in 0..self.k {
            let Some(slot) = self.store.slot(cur) else {
                break;
            };
            let Some(features) = self.slot_features(cur) else {
                return tail;
            };
            observe(&Candidate {
                id: slot.id(),
                rank,
                features,
            });
            if let Some(m) = &self.model {
                let Ok(n) = m.infer(&features, &mut logits) else {
                    return tail;
                };
                let out = logits.get(..n).unwrap_or_default();
                let score = (argmax(out), margin(out));
                if rank == 0 || score > best_score {
                    best = cur;
                    best_score = score;
                }
            }
            cur = slot.prev(0);
        }
        best
    }

    /// [`Policy::access`], handing every eviction candidate the ranker looks at to `observe`
    /// (before the victim is chosen). Without a model the `k` tail candidates are observed
    /// and the tail is evicted, as by LRU: this is how training samples are collected.
    pub fn access_observe<F: FnMut(&Candidate)>(
        &mut self,
        req: &Request,
        mut observe: F,
    ) -> Outcome {
        let now = self.now;
        self.now = self.now.saturating_add(1);
        if let Some(i) = self.store.find(req.id) {
            self.list.move_to_head(&mut self.store, i);
            if let Some(h) = self.hist.get_mut(i as usize) {
                self.sum_last = self.sum_last.saturating_sub(h.last).saturating_add(now);
                h.touch(now);
            }
            return self.stats.record(Outcome::Hit);
        }
        let size = u64::from(req.size);
        if size > self.capacity {
            return self.stats.record(Outcome::TooLarge);
        }
        while overfull(self.list.bytes(), size, self.capacity) && !self.list.is_empty() {
            // The features are taken at the time of the current request.
            self.now = now;
            let victim = self.victim(&mut observe);
            self.now = now.saturating_add(1);
            if victim == NIL {
                break;
            }
            let last = self.hist.get(victim as usize).map_or(0, |h| h.last);
            self.sum_last = self.sum_last.saturating_sub(last);
            self.list.unlink(&mut self.store, victim);
            self.store.release(victim);
            if let Some(h) = self.hist.get_mut(victim as usize) {
                *h = History::EMPTY;
            }
            self.stats.evicted();
        }
        let Some(i) = self.store.alloc(req.id, req.size) else {
            return self.stats.record(Outcome::NoSlot);
        };
        self.list.push_head(&mut self.store, i, 1);
        if let Some(h) = self.hist.get_mut(i as usize) {
            *h = History::inserted_at(now);
            self.sum_last = self.sum_last.saturating_add(now);
        }
        self.stats.record(Outcome::Miss)
    }
}

impl Policy for Learned<'_, '_> {
    fn access(&mut self, req: &Request) -> Outcome {
        self.access_observe(req, |_| {})
    }

    fn stats(&self) -> Stats {
        self.stats
    }

    fn capacity(&self) -> u64 {
        self.capacity
    }

    fn used(&self) -> u64 {
        self.list.bytes()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;

    use learned_core::cache::store::Slot;
    use learned_core::model::format::{encode_mlp, parse, ModelMeta};
    use learned_core::model::mlp::LayerSpec;
    use learned_core::model::schema;

    use super::*;
    use crate::lru::Lru;

    /// A deterministic pseudo-random trace with skewed ids and sizes.
    fn trace(n: usize) -> std::vec::Vec<Request> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut out = vec![];
        for _ in 0..n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let id = (x % 97) * (x % 7) + (x >> 60);
            let size = 1 + (id % 5) as u32 * 3;
            out.push(Request {
                id,
                size,
                next_access: -1,
            });
        }
        out
    }

    fn lru_misses(reqs: &[Request], cap: u64) -> Stats {
        let n = 1024;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let mut p = Lru::new(cap, Store::new(&mut slots, &mut index).unwrap());
        for r in reqs {
            p.access(r);
        }
        p.stats()
    }

    fn learned_misses(reqs: &[Request], cap: u64, model: Option<Mlp<'_>>) -> Stats {
        let n = 1024;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let mut hist = vec![History::EMPTY; n];
        let store = Store::new(&mut slots, &mut index).unwrap();
        let mut p = Learned::new(cap, store, &mut hist, model, 16).unwrap();
        for r in reqs {
            p.access(r);
        }
        p.stats()
    }

    #[test]
    fn without_model_is_lru() {
        let reqs = trace(5000);
        for cap in [1u64, 7, 30, 100, 400] {
            assert_eq!(learned_misses(&reqs, cap, None), lru_misses(&reqs, cap));
        }
    }

    #[test]
    fn rejects_small_history() {
        let mut slots = [Slot::EMPTY; 4];
        let mut index = [0u32; 8];
        let mut hist = [History::EMPTY; 3];
        let store = Store::new(&mut slots, &mut index).unwrap();
        assert_eq!(
            Learned::new(10, store, &mut hist, None, 4).err(),
            Some(LearnedError::HistoryTooSmall)
        );
    }

    /// A one-layer model whose class-1 logit is feature 0 (age) and class-0 logit is 0.
    fn age_model(buf: &mut [u8]) -> usize {
        let mut w = [0i8; 16];
        w[8] = 1;
        let bias = [0i32, 0];
        let layers = [LayerSpec {
            inputs: 8,
            outputs: 2,
            multiplier: 1,
            shift: 0,
            relu: false,
            weights: &w,
            bias: &bias,
        }];
        let meta = ModelMeta {
            schema_id: schema::EVICT,
            schema_version: schema::EVICT_VERSION,
            model_id: 1,
        };
        encode_mlp(meta, &layers, buf).unwrap()
    }

    #[test]
    fn model_picks_highest_class_ties_to_lru() {
        let mut buf = [0u8; 256];
        let len = age_model(&mut buf);
        let model = parse(&buf[..len]).unwrap();
        let mlp = model.mlp().unwrap();
        // Every candidate's age bucket feature is <= 0 for small ages: class 0 for all, so
        // ties go to the tail: still LRU on this short trace.
        let reqs = trace(300);
        assert_eq!(learned_misses(&reqs, 30, Some(mlp)), lru_misses(&reqs, 30));
        // Observed candidates come from the tail, in LRU order.
        let n = 8;
        let mut slots = vec![Slot::EMPTY; n];
        let mut index = vec![0u32; Store::buckets_for(n)];
        let mut hist = vec![History::EMPTY; n];
        let store = Store::new(&mut slots, &mut index).unwrap();
        let mut p = Learned::new(3, store, &mut hist, Some(mlp), 2).unwrap();
        let r = |id| Request {
            id,
            size: 1,
            next_access: -1,
        };
        for id in [1, 2, 3] {
            p.access(&r(id));
        }
        let mut seen = vec![];
        p.access_observe(&r(4), |c| seen.push((c.id, c.rank)));
        assert_eq!(seen, vec![(1, 0), (2, 1)]);
        assert_eq!(p.features_of(1), None);
        assert!(p.features_of(2).is_some());
        assert!(p.has_model());
        assert_eq!(p.now(), 4);
    }
}
