// SPDX-License-Identifier: GPL-2.0

//! SHARDS with a fixed-size sample set: an LRU miss-ratio curve from a bounded, spatially
//! hashed sample of the keys (Waldspurger, Park, Garthwaite and Ahmad, "Efficient MRC
//! Construction with SHARDS", FAST '15: SHARDS_max, section 4.2, and SHARDS_adj, 4.3).
//!
//! # Sampling
//!
//! A key is sampled iff `hash(key) mod P < T`, with `P = 2^rate_bits` and the hash
//! [`crate::hash::mix64`] of the key xored with a salt derived from a seed ([`Index::hash`]), so the
//! sampling rate is `R = T/P` and a key is either always or never sampled at a given `T`. `T`
//! starts at `P >> start_shift` (with the default shift 0, every key is sampled: a caller who
//! knows the cache sizes of interest are large starts lower, for less work per access). The
//! sample set holds at most `s_max` keys: when a new
//! sampled key would make it larger, `T` is lowered to the largest hash among the set and the
//! new key, and every key with that hash leaves the set (a binary max-heap of the set's
//! hashes finds them; the new key is not inserted if it is one of them). So the set is always
//! exactly the keys seen so far whose hash is below the current `T`.
//!
//! Most accesses are not sampled. A caller that must take a lock around the estimator can
//! test keys before taking it with a [`Filter`] ([`Shards::filter`]) and count the rejected
//! ones with [`Shards::skip`]: `T` only falls until [`Shards::reset`], so a filter taken
//! earlier rejects only keys the estimator would not sample either.
//!
//! # Distances and weights
//!
//! Stack distances are taken over the sampled keys only ([`Recency`]). An access whose key
//! was `d` sampled keys deep gets the estimated 1-based distance `⌊d·P/T⌋ + 1`, an unbiased
//! estimate of the true distance `D` (up to the rounding): the `D − 1` distinct keys
//! referenced since are in the set independently with probability `R` each. The access adds
//! the weight `1/R = P/T` at the time of the access, in units of `2^-`[`WEIGHT_SHIFT`]
//! accesses, to the bucket of that distance ([`Hist`]); a first access adds it to the "miss
//! everywhere" bucket. The weights make every access count once in expectation, whatever `R`
//! was when it happened. Counts saturate (after about `2^48` accesses at `R = 1`).
//!
//! # SHARDS_adj
//!
//! With [`Config::adjust`], the curve adds the difference between the expected total weight
//! (one unit per access) and the actual one to the hits at every size, which is the paper's
//! "add it to the first bucket" (the first bucket is below every candidate size): a few very
//! hot keys falling in or out of the sample skew the sampled count, and they are almost all
//! short-distance hits. The difference can be negative. The total is then the number of
//! accesses.
//!
//! # Cost
//!
//! Per access: one hash; for a sampled key, one index probe (expected `O(1)`, see [`Index`]),
//! one [`Recency::touch`] (`O(log s_max)` worst case, no periodic renumbering), a histogram
//! bucket by binary search (`O(log sizes)`); for a new key, a heap push and, when the set is
//! full, the evictions, `O(log s_max)` each. An access evicts the `k` keys sharing the
//! largest hash: `k = 1` unless hashes collide mod `P` (about `s_max²/2P` colliding pairs in
//! a full set: 2 at `s_max = 8192`, `P = 2^24`). So the worst case of one access is
//! `O(k log s_max)`, and `k` is at most `s_max` only for keys aimed at one hash value; since
//! a key leaves the set at most once per entry, evictions cost `O(log s_max)` amortized per
//! access whatever the keys. A seed unknown to whoever chooses the keys keeps them from aiming
//! at one hash. Nothing walks the whole set except [`Shards::new`] and [`Shards::reset`].
//!
//! Memory per sample slot: a [`Sample`] (16 bytes), 1 heap word, 9 recency words, and 2 to 4
//! index buckets: 64 bytes when `s_max` is a power of two, at most 72; see
//! [`Shards::memory_bytes`].

use super::heap::MaxHeap;
use super::hist::{Correction, Hist};
use super::index::{Index, NIL};
use super::recency::{Recency, RecencyState};
use super::{carve, mix64, ratio_ppm, Error};

/// The largest sample set.
pub const MAX_SAMPLES: u32 = 1 << 24;
/// The smallest `rate_bits` (`P = 2`).
pub const MIN_RATE_BITS: u32 = 1;
/// The largest `rate_bits` (`P = 2^32`).
pub const MAX_RATE_BITS: u32 = 32;
/// The default `rate_bits`: `P = 2^24`.
pub const DEFAULT_RATE_BITS: u32 = 24;
/// Weights are in units of `2^-WEIGHT_SHIFT` accesses.
pub const WEIGHT_SHIFT: u32 = 16;

/// How a [`Shards`] samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The largest number of keys in the sample set (`1..=`[`MAX_SAMPLES`]).
    pub s_max: u32,
    /// `P = 2^rate_bits` ([`MIN_RATE_BITS`]`..=`[`MAX_RATE_BITS`]).
    pub rate_bits: u32,
    /// Apply SHARDS_adj to the curve.
    pub adjust: bool,
    /// Xored into every key before hashing: pick it at random where keys can be chosen
    /// against it.
    pub seed: u64,
    /// `T` starts (and restarts, [`Shards::reset`]) at `P >> start_shift`: the sampling rate
    /// starts at `2^-start_shift` (`0..rate_bits`).
    pub start_shift: u32,
}

impl Config {
    /// `s_max` sample slots, `P = 2^24`, SHARDS_adj on, seed 0.
    pub const fn new(s_max: u32) -> Self {
        Self {
            s_max,
            rate_bits: DEFAULT_RATE_BITS,
            adjust: true,
            seed: 0,
            start_shift: 0,
        }
    }

    fn check(&self) -> Result<(), Error> {
        if self.s_max == 0 {
            return Err(Error::ZeroCapacity);
        }
        if self.s_max > MAX_SAMPLES {
            return Err(Error::CapacityTooLarge);
        }
        if !(MIN_RATE_BITS..=MAX_RATE_BITS).contains(&self.rate_bits) {
            return Err(Error::RateBits);
        }
        if self.start_shift >= self.rate_bits {
            return Err(Error::RateBits);
        }
        Ok(())
    }

    /// `P`.
    fn modulus(&self) -> u64 {
        1u64.checked_shl(self.rate_bits).unwrap_or(u64::MAX)
    }
}

/// One slot of the sample set: a sampled key and its hash (16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    key: u64,
    /// `hash(key) mod P`.
    hash: u32,
    /// The next free slot while this one is free; [`NIL`] while it holds a key.
    link: u32,
}

impl Sample {
    /// An unused slot; fill the memory with it (`vec![Sample::EMPTY; s_max]`).
    pub const EMPTY: Sample = Sample {
        key: 0,
        hash: 0,
        link: NIL,
    };
}

impl Default for Sample {
    fn default() -> Self {
        Sample::EMPTY
    }
}

/// Which keys a [`Shards`] samples, to test keys before taking a lock around it
/// ([`Shards::filter`]). `Copy`, so a caller can publish it (or its threshold alone, which is
/// all that changes between resets) for lock-free readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filter {
    salt: u64,
    /// `P - 1`.
    mask: u64,
    threshold: u64,
}

impl Filter {
    /// The filter of a [`Shards`] made with `cfg`, when it starts (or restarts).
    pub fn new(cfg: &Config) -> Self {
        let p = cfg.modulus();
        Self {
            salt: Index::salt_for(cfg.seed),
            mask: p.saturating_sub(1),
            threshold: p.checked_shr(cfg.start_shift).unwrap_or(0),
        }
    }

    /// Whether the estimator samples `key`: `false` only for keys [`Shards::access`] would
    /// only count.
    pub fn admits(&self, key: u64) -> bool {
        mix64(key ^ self.salt) & self.mask < self.threshold
    }

    /// The threshold `T`.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// This filter with threshold `threshold` (a later one of the same estimator).
    pub fn with_threshold(self, threshold: u64) -> Self {
        Self { threshold, ..self }
    }
}

/// Counters and parameters of a [`Shards`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShardsStats {
    /// Accesses seen (divided by [`Shards::age_by`], like the next two).
    pub accesses: u64,
    /// Accesses to sampled keys.
    pub sampled: u64,
    /// Sampled first accesses (to a key not in the set).
    pub cold: u64,
    /// Keys in the sample set now.
    pub samples: u32,
    /// The threshold `T`: keys with `hash mod P < T` are sampled.
    pub threshold: u64,
    /// The modulus `P`.
    pub modulus: u64,
    /// The sampling rate `T/P`, in parts per million.
    pub rate_ppm: u32,
    /// Times `T` was lowered.
    pub lowered: u64,
    /// Keys evicted from the sample set.
    pub evicted: u64,
}

/// A [`Shards`]' state apart from its memory, to [`Shards::resume`] it from (for a caller,
/// like a kernel object, that keeps the memory and the state side by side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardsState {
    cfg: Config,
    /// The first free slot.
    free: u32,
    heap_len: u32,
    recency: RecencyState,
    stats: ShardsStats,
}

/// The SHARDS_max estimator of an LRU miss-ratio curve (see the module documentation).
pub struct Shards<'a> {
    samples: &'a mut [Sample],
    index: Index<'a>,
    heap: MaxHeap<'a>,
    recency: Recency<'a>,
    hist: Hist<'a>,
    cfg: Config,
    free: u32,
    stats: ShardsStats,
}

/// The parts of the words memory.
struct Words<'a> {
    buckets: &'a mut [u32],
    heap: &'a mut [u32],
    recency: &'a mut [u32],
}

impl<'a> Shards<'a> {
    /// The `u32` words a [`Shards`] with `s_max` sample slots needs: the index buckets, the
    /// heap and the recency structure.
    pub const fn words_for(s_max: u32) -> usize {
        Index::buckets_for(s_max as usize)
            .saturating_add(s_max as usize)
            .saturating_add(Recency::words_for(s_max))
    }

    /// The bytes of memory a [`Shards`] with `s_max` slots and `sizes` candidate sizes uses:
    /// its samples, words and histogram (not the size list, which is the caller's).
    #[cfg(any(test, feature = "host"))]
    pub const fn memory_bytes(s_max: u32, sizes: usize) -> usize {
        let samples = (s_max as usize).saturating_mul(core::mem::size_of::<Sample>());
        let words = Self::words_for(s_max).saturating_mul(4);
        let hist = Hist::buckets_for(sizes).saturating_mul(8);
        samples.saturating_add(words).saturating_add(hist)
    }

    fn split(
        cfg: &Config,
        samples: &'a mut [Sample],
        words: &'a mut [u32],
    ) -> Result<(&'a mut [Sample], Words<'a>), Error> {
        cfg.check()?;
        let n = cfg.s_max as usize;
        let samples = samples.get_mut(..n).ok_or(Error::StorageTooSmall)?;
        if words.len() < Self::words_for(cfg.s_max) {
            return Err(Error::StorageTooSmall);
        }
        let (buckets, rest) = carve(words, Index::buckets_for(n)).ok_or(Error::StorageTooSmall)?;
        let (heap, recency) = carve(rest, n).ok_or(Error::StorageTooSmall)?;
        Ok((
            samples,
            Words {
                buckets,
                heap,
                recency,
            },
        ))
    }

    /// An empty estimator: `samples` (at least `cfg.s_max` of them) and `words` (at least
    /// [`Self::words_for`]`(cfg.s_max)`) are its memory, `sizes` the candidate cache sizes in
    /// objects (strictly ascending, non-zero), `hist` the histogram (at least
    /// [`Hist::buckets_for`]`(sizes.len())` counts). `O(s_max)`.
    pub fn new(
        samples: &'a mut [Sample],
        words: &'a mut [u32],
        sizes: &'a [u32],
        hist: &'a mut [u64],
        cfg: Config,
    ) -> Result<Self, Error> {
        let hist = Hist::new(sizes, hist)?;
        let (samples, w) = Self::split(&cfg, samples, words)?;
        let n = cfg.s_max as usize;
        let mut s = Self {
            samples,
            index: Index::new(w.buckets, n, cfg.seed)?,
            heap: MaxHeap::new(w.heap),
            recency: Recency::new(w.recency, cfg.s_max)?,
            hist,
            cfg,
            free: 0,
            stats: ShardsStats::default(),
        };
        s.reset();
        Ok(s)
    }

    /// The estimator `state` came from, over the same memory, unchanged since: `O(1)`. Given
    /// other memory or a forged state it answers wrongly but stays panic-free.
    pub fn resume(
        samples: &'a mut [Sample],
        words: &'a mut [u32],
        sizes: &'a [u32],
        hist: &'a mut [u64],
        state: ShardsState,
    ) -> Result<Self, Error> {
        let cfg = state.cfg;
        let hist = Hist::resume(sizes, hist)?;
        let (samples, w) = Self::split(&cfg, samples, words)?;
        Ok(Self {
            samples,
            index: Index::resume(w.buckets, cfg.s_max as usize, cfg.seed)?,
            heap: MaxHeap::resume(w.heap, state.heap_len as usize),
            recency: Recency::resume(w.recency, state.recency)?,
            hist,
            cfg,
            free: state.free,
            stats: state.stats,
        })
    }

    /// The state to [`Self::resume`] from.
    pub fn state(&self) -> ShardsState {
        ShardsState {
            cfg: self.cfg,
            free: self.free,
            heap_len: u32::try_from(self.heap.len()).unwrap_or(u32::MAX),
            recency: self.recency.state(),
            stats: self.stats,
        }
    }

    /// Forgets everything seen and samples every key again: `O(s_max)`.
    pub fn reset(&mut self) {
        self.index.clear();
        self.heap.clear();
        self.recency.clear();
        self.hist.clear();
        let mut next = 1u32;
        let n = self.cfg.s_max;
        for s in self.samples.iter_mut() {
            *s = Sample {
                link: if next < n { next } else { NIL },
                ..Sample::EMPTY
            };
            next = next.saturating_add(1);
        }
        self.free = 0;
        let p = self.cfg.modulus();
        // start_shift < rate_bits (checked): T >= 1.
        let t = p >> self.cfg.start_shift;
        self.stats = ShardsStats {
            threshold: t,
            modulus: p,
            rate_ppm: ratio_ppm(t, p),
            ..ShardsStats::default()
        };
    }

    /// Ages the curve: the histogram and the access counts (`accesses`, `sampled`, `cold`)
    /// are divided by `2^shift`, so the accesses seen so far weigh `2^-shift` of the ones to
    /// come (a curve that follows a workload's phases when aged once per interval; 0: no
    /// aging). The sample set, its recency and the sampling rate are kept: the rate only falls
    /// until [`Self::reset`]. `O(sizes)`.
    pub fn age_by(&mut self, shift: u32) {
        self.hist.shift_down(shift);
        let st = &mut self.stats;
        let down = |v: u64| v.checked_shr(shift).unwrap_or(0);
        st.accesses = down(st.accesses);
        st.sampled = down(st.sampled);
        st.cold = down(st.cold);
    }

    /// The counters.
    pub fn stats(&self) -> ShardsStats {
        self.stats
    }

    /// A [`Filter`] rejecting the keys this estimator does not sample now (and, since `T`
    /// only falls until [`Self::reset`], until then).
    pub fn filter(&self) -> Filter {
        Filter::new(&self.cfg).with_threshold(self.stats.threshold)
    }

    /// Counts `n` accesses to keys a [`Filter`] rejected: the same as calling
    /// [`Self::access`] on them.
    pub fn skip(&mut self, n: u64) {
        self.stats.accesses = self.stats.accesses.saturating_add(n);
    }

    /// Processes one access to `key`; returns whether it was a sampled first access (a key
    /// new to the sample set).
    pub fn access(&mut self, key: u64) -> bool {
        let st = &mut self.stats;
        st.accesses = st.accesses.saturating_add(1);
        let h64 = self.index.hash(key);
        // P - 1 < 2^32: the cast keeps every bit.
        let h = (h64 & st.modulus.saturating_sub(1)) as u32;
        let t = st.threshold;
        if u64::from(h) >= t {
            return false;
        }
        st.sampled = st.sampled.saturating_add(1);
        let rb = self.cfg.rate_bits;
        // 1/R = P/T in units of 2^-WEIGHT_SHIFT; t > h >= 0, and P << WEIGHT_SHIFT <= 2^48.
        let weight = (1u64 << (rb + WEIGHT_SHIFT)).checked_div(t).unwrap_or(0);
        let samples = &*self.samples;
        let found = self
            .index
            .find(key, h64, |s| samples.get(s as usize).map(|x| x.key));
        if let Some(slot) = found {
            match self.recency.touch(slot) {
                Some(d) => {
                    // d < s_max <= 2^24 and rb <= 32: no bit is lost.
                    let scaled = (u64::from(d) << rb).checked_div(t).unwrap_or(u64::MAX);
                    self.hist.add_distance(scaled.saturating_add(1), weight);
                }
                None => self.hist.add_miss(weight),
            }
            return false;
        }
        self.hist.add_miss(weight);
        st.cold = st.cold.saturating_add(1);
        if self.stats.samples >= self.cfg.s_max && !self.make_room(h) {
            return true;
        }
        self.insert(key, h, h64);
        true
    }

    /// The set is full and a key with hash `h` wants in: lowers `T` to the largest hash among
    /// the set and the new key, and evicts the keys with that hash. Returns whether the new
    /// key is still sampled (its hash is below the new `T`).
    fn make_room(&mut self, h: u32) -> bool {
        let top = self.heap.peek().map_or(0, |s| self.hash_of(s));
        let m = top.max(h);
        self.stats.threshold = u64::from(m);
        self.stats.rate_ppm = ratio_ppm(u64::from(m), self.stats.modulus);
        self.stats.lowered = self.stats.lowered.saturating_add(1);
        // Evict every key with hash m (at most the whole set; see the module docs for why
        // this is O(log s_max) amortized).
        while let Some(s) = self.heap.peek() {
            if self.hash_of(s) < m {
                break;
            }
            let samples = &*self.samples;
            self.heap
                .pop(|s| samples.get(s as usize).map_or(0, |x| x.hash));
            self.evict(s);
        }
        h < m
    }

    fn hash_of(&self, slot: u32) -> u32 {
        self.samples.get(slot as usize).map_or(0, |x| x.hash)
    }

    /// Takes `slot` (already off the heap) out of the set.
    fn evict(&mut self, slot: u32) {
        let Some(key) = self.samples.get(slot as usize).map(|x| x.key) else {
            return;
        };
        let h64 = self.index.hash(key);
        let samples = &*self.samples;
        self.index
            .remove(key, h64, |s| samples.get(s as usize).map(|x| x.key));
        self.recency.remove(slot);
        let free = self.free;
        if let Some(x) = self.samples.get_mut(slot as usize) {
            x.link = free;
        }
        self.free = slot;
        let st = &mut self.stats;
        st.samples = st.samples.saturating_sub(1);
        st.evicted = st.evicted.saturating_add(1);
    }

    /// Adds `key` (hash `h` mod P, full hash `h64`) to the set, which has room.
    fn insert(&mut self, key: u64, h: u32, h64: u64) {
        let slot = self.free;
        let Some(x) = self.samples.get_mut(slot as usize) else {
            return;
        };
        let next = x.link;
        *x = Sample {
            key,
            hash: h,
            link: NIL,
        };
        self.free = next;
        // The index has more buckets than slots, and the heap one word per slot: both have
        // room for every slot.
        self.index.insert(slot, h64);
        let samples = &*self.samples;
        self.heap
            .push(slot, |s| samples.get(s as usize).map_or(0, |x| x.hash));
        self.recency.touch(slot);
        self.stats.samples = self.stats.samples.saturating_add(1);
    }

    /// The total weight and the SHARDS_adj correction the curve uses.
    fn totals(&self) -> (u64, Correction) {
        let sum = self.hist.total();
        if !self.cfg.adjust {
            return (sum, Correction::default());
        }
        let expected = self.stats.accesses.saturating_mul(1 << WEIGHT_SHIFT);
        let fix = if expected >= sum {
            Correction {
                add: expected - sum,
                sub: 0,
            }
        } else {
            Correction {
                add: 0,
                sub: sum - expected,
            }
        };
        (expected, fix)
    }

    /// Writes the estimated miss ratio at each candidate size, in parts per million, into
    /// `out`; returns how many it wrote (`min(out.len(), sizes.len())`). `O(sizes)`.
    pub fn curve(&self, out: &mut [u32]) -> usize {
        let (total, fix) = self.totals();
        self.hist.curve(total, fix, out)
    }

    /// Checks the structure's invariants (tests only): the set is exactly the slots in the
    /// recency structure, all on the heap and in the index with hash below `T`; the rest are on
    /// the free list.
    #[cfg(test)]
    fn check(&self) {
        let st = self.stats;
        assert!(st.samples <= self.cfg.s_max);
        assert_eq!(self.heap.len(), st.samples as usize);
        assert_eq!(self.recency.len(), st.samples);
        let samples = &*self.samples;
        let mut live = 0;
        for (i, x) in samples.iter().enumerate() {
            if !self.recency.contains(i as u32) {
                continue;
            }
            live += 1;
            assert_eq!(x.link, NIL);
            assert!(
                u64::from(x.hash) < st.threshold,
                "slot {i} hash {} T {}",
                x.hash,
                st.threshold
            );
            let h64 = self.index.hash(x.key);
            assert_eq!(
                self.index
                    .find(x.key, h64, |s| samples.get(s as usize).map(|y| y.key)),
                Some(i as u32)
            );
        }
        assert_eq!(live, st.samples);
        let (mut free, mut f) = (0u32, self.free);
        while f != NIL {
            assert!(!self.recency.contains(f));
            free += 1;
            assert!(free <= self.cfg.s_max);
            f = samples[f as usize].link;
        }
        assert_eq!(free + live, self.cfg.s_max);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::exact::Exact;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    struct Mem {
        samples: Vec<Sample>,
        words: Vec<u32>,
        hist: Vec<u64>,
    }

    impl Mem {
        fn new(s_max: u32, sizes: usize) -> Self {
            Self {
                samples: vec![Sample::EMPTY; s_max as usize],
                words: vec![0; Shards::words_for(s_max)],
                hist: vec![0; Hist::buckets_for(sizes)],
            }
        }
    }

    fn exact_curve(trace: &[u64], sizes: &[u32]) -> Vec<u32> {
        let mut keys = vec![0u64; trace.len().max(1)];
        let mut words = vec![0u32; Exact::words_for(keys.len() as u32)];
        let mut hist = vec![0u64; sizes.len() + 1];
        let mut e = Exact::new(&mut keys, &mut words, sizes, &mut hist).unwrap();
        for &k in trace {
            e.access(k);
        }
        let mut out = vec![0u32; sizes.len()];
        e.curve(&mut out);
        out
    }

    fn shards_curve(trace: &[u64], sizes: &[u32], cfg: Config) -> (Vec<u32>, ShardsStats) {
        let mut m = Mem::new(cfg.s_max, sizes.len());
        let mut s = Shards::new(&mut m.samples, &mut m.words, sizes, &mut m.hist, cfg).unwrap();
        for (i, &k) in trace.iter().enumerate() {
            s.access(k);
            if i % 97 == 0 {
                s.check();
            }
        }
        s.check();
        let mut out = vec![0u32; sizes.len()];
        assert_eq!(s.curve(&mut out), sizes.len());
        (out, s.stats())
    }

    /// A skewed synthetic trace: `n` accesses over `keys` keys, a hot tenth getting most.
    fn skewed(n: usize, keys: u64, seed: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = x >> 20;
                if v & 3 != 0 {
                    (v >> 3) % (keys / 10).max(1)
                } else {
                    (v >> 3) % keys
                }
            })
            .collect()
    }

    #[test]
    fn a_set_that_never_fills_is_exact() {
        let trace = skewed(20_000, 500, 3);
        let sizes = [1u32, 2, 5, 10, 50, 100, 200, 400, 500, 1000];
        let want = exact_curve(&trace, &sizes);
        for adjust in [false, true] {
            let cfg = Config {
                adjust,
                ..Config::new(512)
            };
            let (got, st) = shards_curve(&trace, &sizes, cfg);
            assert_eq!(got, want);
            assert_eq!((st.sampled, st.samples, st.lowered), (20_000, 500, 0));
            assert_eq!(st.rate_ppm, 1_000_000);
        }
    }

    #[test]
    fn an_aged_curve_follows_a_phase_change() {
        // Phase A loops over 1000 keys, phase B over 3000: at size 2000, A always hits and B
        // always misses.
        let sizes = [2000u32, 4000];
        let mut m = Mem::new(512, sizes.len());
        let mut s = Shards::new(
            &mut m.samples,
            &mut m.words,
            &sizes,
            &mut m.hist,
            Config::new(512),
        )
        .unwrap();
        let mut out = [0u32; 2];
        for k in 0..20_000u64 {
            s.access(k % 1000);
        }
        s.curve(&mut out);
        assert!(out[0] < 100_000, "phase A {out:?}");
        // Ten intervals of phase B, aged after each: A's weight falls to 1/1024 of it.
        for _ in 0..10 {
            for k in 0..3000u64 {
                s.access(1_000_000 + k);
            }
            s.age_by(1);
        }
        s.check();
        s.curve(&mut out);
        assert!(out[0] > 900_000, "aged: phase B at 2000 {out:?}");
        assert!(out[1] < 200_000, "aged: phase B at 4000 {out:?}");
    }

    #[test]
    fn a_small_set_is_close() {
        let trace = skewed(200_000, 20_000, 4);
        let sizes: Vec<u32> = (1..=20).map(|k| k * 1000).collect();
        let want = exact_curve(&trace, &sizes);
        let (got, st) = shards_curve(&trace, &sizes, Config::new(1024));
        let mae: u64 = want
            .iter()
            .zip(&got)
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum::<u64>()
            / sizes.len() as u64;
        assert!(mae < 20_000, "MAE {mae} ppm, want {want:?} got {got:?}");
        assert_eq!(st.samples, 1024);
        assert!(st.rate_ppm < 100_000 && st.lowered > 0 && st.evicted > 0);
    }

    #[test]
    fn resumed_equals_continuous() {
        let trace = skewed(30_000, 3_000, 5);
        let sizes = [100u32, 500, 1000, 2000, 3000];
        let cfg = Config::new(256);
        let (want, _) = shards_curve(&trace, &sizes, cfg);
        let mut m = Mem::new(256, sizes.len());
        let mut state = Shards::new(&mut m.samples, &mut m.words, &sizes, &mut m.hist, cfg)
            .unwrap()
            .state();
        for chunk in trace.chunks(777) {
            let mut s =
                Shards::resume(&mut m.samples, &mut m.words, &sizes, &mut m.hist, state).unwrap();
            for &k in chunk {
                s.access(k);
            }
            state = s.state();
        }
        let s = Shards::resume(&mut m.samples, &mut m.words, &sizes, &mut m.hist, state).unwrap();
        let mut got = [0u32; 5];
        s.curve(&mut got);
        assert_eq!(&got[..], &want[..]);
    }

    #[test]
    fn equal_hashes_leave_together() {
        // P = 16: a thousand keys share 16 hash values, so every lowering evicts ties.
        for rate_bits in [1u32, 2, 4, 8] {
            let trace = skewed(5_000, 1_000, u64::from(rate_bits));
            let sizes = [10u32, 100, 1000];
            let cfg = Config {
                rate_bits,
                ..Config::new(8)
            };
            let (curve, st) = shards_curve(&trace, &sizes, cfg);
            assert!(st.samples <= 8);
            assert!(curve.iter().all(|&c| c <= 1_000_000));
            assert!(st.threshold < st.modulus);
        }
    }

    #[test]
    fn degenerate_inputs_never_panic() {
        let sizes = [1u32, 2, 3];
        // s_max = 1, the same key over and over, then everything.
        for trace in [
            vec![42u64; 1000],
            (0..1000u64).collect(),
            skewed(1000, 50, 9),
        ] {
            for s_max in [1u32, 2, 3] {
                for adjust in [false, true] {
                    let cfg = Config {
                        adjust,
                        ..Config::new(s_max)
                    };
                    let (c, st) = shards_curve(&trace, &sizes, cfg);
                    assert!(c.iter().all(|&x| x <= 1_000_000));
                    assert_eq!(st.accesses, 1000);
                }
            }
        }
        // One key: a miss, then hits at every size.
        let (c, _) = shards_curve(&[7u64; 10], &sizes, Config::new(1));
        assert_eq!(c, [100_000; 3]);
        // Keys at the extremes.
        let (c, _) = shards_curve(&[0, u64::MAX, 0, u64::MAX], &sizes, Config::new(1));
        assert!(c.iter().all(|&x| x <= 1_000_000));
        // No accesses: an all-zero curve.
        let (c, _) = shards_curve(&[], &sizes, Config::new(4));
        assert_eq!(c, [0, 0, 0]);
    }

    #[test]
    fn a_filter_before_the_lock_changes_nothing() {
        // Feeding only the keys a filter admits, and counting the rest with `skip`, gives
        // exactly the curve and counters of feeding every key, at every start rate. The
        // filter is refreshed only every 1000 accesses: an older one must do as well.
        let trace = skewed(100_000, 20_000, 8);
        let sizes: Vec<u32> = (1..=20).map(|k| k * 1000).collect();
        for start_shift in [0u32, 3, 6] {
            let cfg = Config {
                start_shift,
                ..Config::new(1024)
            };
            let (want, want_st) = shards_curve(&trace, &sizes, cfg);
            let mut m = Mem::new(cfg.s_max, sizes.len());
            let mut s =
                Shards::new(&mut m.samples, &mut m.words, &sizes, &mut m.hist, cfg).unwrap();
            let mut f = s.filter();
            assert_eq!(f, Filter::new(&cfg));
            let mut rejected = 0u64;
            for (i, &k) in trace.iter().enumerate() {
                if i % 1000 == 0 {
                    s.skip(core::mem::take(&mut rejected));
                    f = f.with_threshold(s.filter().threshold());
                }
                if f.admits(k) {
                    s.access(k);
                } else {
                    rejected += 1;
                }
            }
            s.skip(rejected);
            let mut got = vec![0u32; sizes.len()];
            s.curve(&mut got);
            assert_eq!(got, want, "start_shift {start_shift}");
            assert_eq!(s.stats(), want_st, "start_shift {start_shift}");
            assert!(want_st.sampled < want_st.accesses || start_shift == 0);
        }
    }

    #[test]
    fn a_lower_start_rate_samples_less_and_stays_close() {
        // 20,000 keys never fill 8192 slots at rate 1/4: the rate stays there, a quarter of
        // the accesses are sampled, and the curve stays within 2% of the exact one.
        let trace = skewed(200_000, 20_000, 9);
        let sizes: Vec<u32> = (1..=20).map(|k| k * 1000).collect();
        let want = exact_curve(&trace, &sizes);
        let cfg = Config {
            start_shift: 2,
            ..Config::new(8192)
        };
        let (got, st) = shards_curve(&trace, &sizes, cfg);
        assert_eq!((st.rate_ppm, st.lowered), (250_000, 0));
        assert!(
            st.sampled > 40_000 && st.sampled < 60_000,
            "{} sampled",
            st.sampled
        );
        let mae = want
            .iter()
            .zip(&got)
            .map(|(&a, &b)| u64::from(a.abs_diff(b)))
            .sum::<u64>()
            / sizes.len() as u64;
        assert!(mae < 20_000, "MAE {mae} ppm, want {want:?} got {got:?}");
    }

    #[test]
    fn rejects_bad_arguments() {
        let mut m = Mem::new(8, 3);
        let cfg = Config::new(8);
        let mut new = |sizes: &[u32], cfg: Config| {
            Shards::new(&mut m.samples, &mut m.words, sizes, &mut m.hist, cfg).err()
        };
        assert_eq!(new(&[], cfg), Some(Error::NoSizes));
        assert_eq!(new(&[3, 2, 1], cfg), Some(Error::SizesNotAscending));
        assert_eq!(new(&[0, 2], cfg), Some(Error::ZeroSize));
        assert_eq!(new(&[1, 2, 3, 4], cfg), Some(Error::HistTooSmall));
        assert_eq!(new(&[1], Config::new(0)), Some(Error::ZeroCapacity));
        assert_eq!(new(&[1], Config::new(9)), Some(Error::StorageTooSmall));
        assert_eq!(
            new(&[1], Config::new(MAX_SAMPLES + 1)),
            Some(Error::CapacityTooLarge)
        );
        for rate_bits in [0, 33, u32::MAX] {
            assert_eq!(
                new(&[1], Config { rate_bits, ..cfg }),
                Some(Error::RateBits)
            );
        }
        for start_shift in [24, 25, u32::MAX] {
            assert_eq!(
                new(&[1], Config { start_shift, ..cfg }),
                Some(Error::RateBits)
            );
        }
        assert_eq!(new(&[1, 2], cfg), None);
        let mut none: [Sample; 0] = [];
        let mut words: [u32; 0] = [];
        let mut hist = [0u64; 2];
        assert_eq!(
            Shards::new(&mut none, &mut words, &[1], &mut hist, cfg).err(),
            Some(Error::StorageTooSmall)
        );
        let mut samples = [Sample::EMPTY; 8];
        assert_eq!(
            Shards::new(&mut samples, &mut words, &[1], &mut hist, cfg).err(),
            Some(Error::StorageTooSmall)
        );
        assert_eq!(Shards::memory_bytes(8192, 16), 8192 * 64 + 17 * 8);
    }
}
