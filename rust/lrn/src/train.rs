// SPDX-License-Identifier: GPL-2.0

//! Training the EVICT v1 ranker from a trace.
//!
//! Samples: the first `train_frac` of the trace is replayed through the learned policy with
//! no model (exactly LRU) at one cache size; at every eviction decision, each of the `k`
//! tail candidates the ranker would score gives one sample: its EVICT v1 features
//! (learned-core's `cache::history`) and a label from the oracle next access. The label is a
//! next-use-distance class: with `d` = (index of the object's next request) - (index of the
//! current request), classes 0, 1, 2 split the finite distances at their tertiles (measured
//! on the samples: [`TrainReport::thresholds`]), and class 3 is "not again within the
//! training part" (next access -1, or at or past the end of the training part, so nothing
//! of the held-out part is looked at).
//!
//! The samples are split in time order: the last [`TrainConfig::val_frac`] are held out for
//! validation (float accuracy, float-vs-integer agreement), the rest (at most
//! [`TrainConfig::max_samples`], picked by the seeded PRNG) train an `8-h1-h2-4` ReLU MLP in
//! f64 with Adam and softmax cross-entropy (class-weighted if [`TrainConfig::balanced`]), in a fixed order from a fixed seed:
//! the same inputs give the same bytes. Then [`super::quantize`] turns it into a `.lmod`.

#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;

use learned_core::cache::history::FEATURES;
use learned_core::cache::insert::InsertRule;
use learned_core::cache::store::{Slot, Store};
use learned_core::cache::{history::History, Request};
use learned_sim::ranker::Learned;

use crate::quantize::{self, float_argmax, Agreement, FloatLayer, FloatMlp};
use crate::{distinct_objects, CacheSize, Error};

/// The number of label classes.
pub const CLASSES: usize = 4;

/// Training settings.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The leading fraction of the trace to train on.
    pub train_frac: f64,
    /// The cache size of the LRU replay that generates samples.
    pub cache_size: CacheSize,
    /// Candidates per eviction decision (the ranker's `k`).
    pub candidates: usize,
    /// Hidden layer widths.
    pub hidden: [usize; 2],
    /// Passes over the training samples.
    pub epochs: usize,
    /// The most training samples used (a seeded random subset above that).
    pub max_samples: usize,
    /// The fraction of samples (the latest ones) held out for validation.
    pub val_frac: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// PRNG seed.
    pub seed: u64,
    /// The model id written into the file header.
    pub model_id: u32,
    /// Weight the loss by inverse class frequency (else every sample weighs 1).
    pub balanced: bool,
    /// Where samples come from.
    pub sampler: Sampler,
    /// The label horizon in requests: a reuse further away than this is "far" (class 3), and
    /// decisions in the last `horizon` requests of the training part (whose labels would need
    /// requests past it) give no samples. `0`: a quarter of the training part.
    pub horizon: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            train_frac: 0.5,
            cache_size: CacheSize::Bytes(256 << 20),
            candidates: learned_sim::ranker::DEFAULT_CANDIDATES,
            hidden: [16, 16],
            epochs: 20,
            max_samples: 200_000,
            val_frac: 0.1,
            batch: 64,
            lr: 3e-3,
            seed: 0x5eed_1e0c,
            model_id: 0xe71c_0001,
            horizon: 0,
            balanced: false,
            sampler: Sampler::Ranker,
        }
    }
}

/// Where training samples come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampler {
    /// The learned ranker's candidates over an LRU replay, classes at the distance tertiles.
    Ranker,
    /// The pages Linux's reclaim offers the hook (`learned_core::cache::linux`, stock), with
    /// classes fixed by the cache's size `C` in pages: `d <= C` (reused within a cache-ful of
    /// accesses: worth keeping), `d <= 2C`, `d <= 4C` (the horizon), later or never.
    Linux,
}

impl Sampler {
    /// Parses `--sampler`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "ranker" => Ok(Self::Ranker),
            "linux" => Ok(Self::Linux),
            _ => Err(Error(format!("unknown sampler {s:?} (ranker, linux)"))),
        }
    }
}

/// What training produced.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// The `.lmod` file.
    pub model: Vec<u8>,
    /// Requests replayed (the training part).
    pub train_requests: usize,
    /// Samples collected (training + validation).
    pub samples: usize,
    /// Samples trained on.
    pub train_samples: usize,
    /// Validation samples.
    pub val_samples: usize,
    /// Samples per class (all collected).
    pub class_counts: [usize; CLASSES],
    /// Distance upper bounds (inclusive) of classes 0, 1, in requests.
    pub thresholds: [u64; 2],
    /// The label horizon (upper bound of class 2), in requests.
    pub horizon: u64,
    /// Float accuracy on the validation samples.
    pub val_accuracy_float: f64,
    /// Integer-model accuracy on the validation samples.
    pub val_accuracy_int: f64,
    /// Float-vs-integer agreement on the validation samples.
    pub agreement: Agreement,
    /// Mean training loss of the last epoch.
    pub final_loss: f64,
}

impl TrainReport {
    /// A readable summary.
    pub fn summary(&self) -> String {
        let a = &self.agreement;
        format!(
            "model: {} bytes, schema evict v1\n\
             training part: {} requests; samples: {} ({} train, {} validation)\n\
             classes (0: d<={}, 1: d<={}, 2: d<={}, 3: later or never): {:?}\n\
             final train loss: {:.4}\n\
             validation accuracy: float {:.4}, integer {:.4}\n\
             float-vs-integer (validation): argmax agreement {:.4}, mean |logit diff| {:.4} (mean |logit| {:.4})\n",
            self.model.len(),
            self.train_requests,
            self.samples,
            self.train_samples,
            self.val_samples,
            self.thresholds[0],
            self.thresholds[1],
            self.horizon,
            self.class_counts,
            self.final_loss,
            self.val_accuracy_float,
            self.val_accuracy_int,
            a.argmax_agree,
            a.mean_abs_logit_diff,
            a.mean_abs_logit,
        )
    }
}

/// SplitMix64: a small fixed-seed PRNG.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        learned_core::hash::mix64(self.0)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// In `lo..=hi` (`lo <= hi`; modulo-biased, which tests and benchmarks can afford).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Shuffles `v` (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// One raw sample: features and the next-use distance (`None`: not again in the window).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawSample {
    /// The EVICT v1 features.
    pub features: [i8; FEATURES],
    /// Requests until the next use, if within the window.
    pub distance: Option<u64>,
}

/// Replays `reqs` through the model-less learned policy (LRU) at `size`, collecting the
/// eviction candidates of every decision up to request `reqs.len() - horizon`. A next use
/// more than `horizon` requests away, or never, is `None`.
pub fn collect_samples(
    reqs: &[Request],
    size: CacheSize,
    candidates: usize,
    horizon: u64,
) -> Result<Vec<RawSample>, Error> {
    let distinct = distinct_objects(reqs).max(1);
    let mut slots = vec![Slot::EMPTY; distinct];
    let mut index = vec![0u32; Store::buckets_for(distinct)];
    let mut hist = vec![History::EMPTY; distinct];
    let store = Store::new(&mut slots, &mut index)
        .map_err(|e| Error(format!("cannot build the cache store: {e:?}")))?;
    let mut p = Learned::new(size.value(), store, &mut hist, None, candidates)
        .map_err(|e| Error(format!("cannot build the learned policy: {e:?}")))?;
    let unit = matches!(size, CacheSize::Objects(_));
    let last_decision = (reqs.len() as u64).saturating_sub(horizon);
    // The next access of each object's latest request.
    let mut next: HashMap<u64, i64> = HashMap::with_capacity(distinct);
    let mut out = Vec::new();
    for (t, r) in reqs.iter().enumerate() {
        let req = if unit { Request { size: 1, ..*r } } else { *r };
        let sample = (t as u64) < last_decision;
        p.access_observe(&req, |c| {
            if !sample {
                return;
            }
            let n = next.get(&c.id).copied().unwrap_or(-1);
            let d = (n - t as i64).max(0) as u64;
            let distance = if n < 0 || d > horizon { None } else { Some(d) };
            out.push(RawSample {
                features: c.features,
                distance,
            });
        });
        next.insert(r.id, r.next_access);
    }
    Ok(out)
}

/// Replays `reqs` through stock Linux reclaim at `size`, collecting every page offered to the
/// hook (with a history) up to request `reqs.len() - horizon`, labelled like
/// [`collect_samples`].
pub fn collect_linux_samples(
    reqs: &[Request],
    size: CacheSize,
    horizon: u64,
) -> Result<Vec<RawSample>, Error> {
    let last_decision = (reqs.len() as u64).saturating_sub(horizon);
    let mut next: HashMap<u64, i64> = HashMap::new();
    let mut seen = 0usize;
    let mut out = Vec::new();
    let keeps = learned_core::cache::reclaim::DEFAULT_MAX_KEEPS;
    crate::evalrun::simulate_linux_observe(
        reqs,
        size,
        None,
        false,
        keeps,
        InsertRule::Stock,
        true,
        |t, id, x| {
            // The next access of every request before `t` is known by now.
            while seen < t {
                next.insert(reqs[seen].id, reqs[seen].next_access);
                seen += 1;
            }
            if (t as u64) >= last_decision {
                return;
            }
            let n = next.get(&id).copied().unwrap_or(-1);
            let d = (n - t as i64).max(0) as u64;
            out.push(RawSample {
                features: *x,
                distance: if n < 0 || d > horizon { None } else { Some(d) },
            });
        },
    )?;
    Ok(out)
}

/// The class of a distance under `thresholds`.
pub fn class_of(distance: Option<u64>, thresholds: [u64; 2]) -> usize {
    match distance {
        None => 3,
        Some(d) if d <= thresholds[0] => 0,
        Some(d) if d <= thresholds[1] => 1,
        Some(_) => 2,
    }
}

/// The tertile bounds of the finite distances.
fn tertiles(samples: &[RawSample]) -> [u64; 2] {
    let mut d: Vec<u64> = samples.iter().filter_map(|s| s.distance).collect();
    if d.is_empty() {
        return [1, 2];
    }
    d.sort_unstable();
    let at = |q: usize| d[(d.len() * q / 3).min(d.len() - 1)];
    let t0 = at(1);
    [t0, at(2).max(t0 + 1)]
}

/// Adam state for one parameter vector.
struct Adam {
    m: Vec<f64>,
    v: Vec<f64>,
}

impl Adam {
    fn new(n: usize) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
        }
    }

    fn step(&mut self, p: &mut [f64], g: &[f64], lr: f64, t: i32) {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        let c1 = 1.0 - f64::powi(b1, t);
        let c2 = 1.0 - f64::powi(b2, t);
        for i in 0..p.len() {
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g[i];
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g[i] * g[i];
            p[i] -= lr * (self.m[i] / c1) / ((self.v[i] / c2).sqrt() + eps);
        }
    }
}

/// A float MLP `dims[0] -> dims[1] -> ... -> dims[last]` (ReLU between layers) with
/// He-uniform weights.
pub fn init_net(dims: &[usize], rng: &mut Rng) -> FloatMlp {
    let layers = dims
        .windows(2)
        .enumerate()
        .map(|(li, w)| {
            let (i, o) = (w[0], w[1]);
            let lim = (6.0 / i as f64).sqrt();
            FloatLayer {
                inputs: i,
                outputs: o,
                weights: (0..i * o).map(|_| (rng.unit() * 2.0 - 1.0) * lim).collect(),
                bias: vec![0.0; o],
                relu: li + 2 < dims.len(),
            }
        })
        .collect();
    FloatMlp { layers }
}

/// How [`fit`] trains.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitConfig {
    /// Passes over the samples.
    pub epochs: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Adam learning rate (a tenth of it for the last third of the epochs).
    pub lr: f64,
}

/// Trains `net` on `(features, class)` pairs with class weights `cw` (one per output), in an
/// order drawn from `rng`; returns the last epoch's mean loss.
#[allow(clippy::needless_range_loop)]
pub fn fit<const N: usize>(
    net: &mut FloatMlp,
    data: &[([i8; N], usize)],
    cw: &[f64],
    cfg: FitConfig,
    rng: &mut Rng,
) -> f64 {
    let nl = net.layers.len();
    let mut opt_w: Vec<Adam> = net
        .layers
        .iter()
        .map(|l| Adam::new(l.weights.len()))
        .collect();
    let mut opt_b: Vec<Adam> = net.layers.iter().map(|l| Adam::new(l.bias.len())).collect();
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut t = 0i32;
    let mut last_loss = 0.0;
    let batch = cfg.batch.max(1);
    for epoch in 0..cfg.epochs {
        rng.shuffle(&mut order);
        // Step decay: the last third of the epochs at a tenth of the rate.
        let lr = if epoch * 3 >= cfg.epochs * 2 {
            cfg.lr * 0.1
        } else {
            cfg.lr
        };
        let (mut loss_sum, mut wsum) = (0.0, 0.0);
        for chunk in order.chunks(batch) {
            let mut gw: Vec<Vec<f64>> = net
                .layers
                .iter()
                .map(|l| vec![0.0; l.weights.len()])
                .collect();
            let mut gb: Vec<Vec<f64>> =
                net.layers.iter().map(|l| vec![0.0; l.bias.len()]).collect();
            for &k in chunk {
                let (f, y) = &data[k];
                let x0 = FloatMlp::input(f);
                let acts = net.activations(f);
                let logits = &acts[nl - 1];
                let mx = logits.iter().cloned().fold(f64::MIN, f64::max);
                let exps: Vec<f64> = logits.iter().map(|z| (z - mx).exp()).collect();
                let sum: f64 = exps.iter().sum();
                let w = cw[*y];
                loss_sum += -w * (exps[*y] / sum).ln();
                wsum += w;
                // dL/dz for the last layer.
                let mut delta: Vec<f64> = exps
                    .iter()
                    .enumerate()
                    .map(|(c, e)| w * (e / sum - if c == *y { 1.0 } else { 0.0 }))
                    .collect();
                for li in (0..nl).rev() {
                    let l = &net.layers[li];
                    let input = if li == 0 { &x0 } else { &acts[li - 1] };
                    for o in 0..l.outputs {
                        let d = delta[o];
                        gb[li][o] += d;
                        let row = &mut gw[li][o * l.inputs..(o + 1) * l.inputs];
                        for (g, xi) in row.iter_mut().zip(input) {
                            *g += d * xi;
                        }
                    }
                    if li > 0 {
                        let prev = &acts[li - 1];
                        let mut nd = vec![0.0; l.inputs];
                        for o in 0..l.outputs {
                            let row = &l.weights[o * l.inputs..(o + 1) * l.inputs];
                            for (n, wv) in nd.iter_mut().zip(row) {
                                *n += delta[o] * wv;
                            }
                        }
                        // ReLU of the previous layer.
                        for (n, a) in nd.iter_mut().zip(prev) {
                            if *a <= 0.0 {
                                *n = 0.0;
                            }
                        }
                        delta = nd;
                    }
                }
            }
            let scale = 1.0 / chunk.len() as f64;
            t += 1;
            for li in 0..nl {
                gw[li].iter_mut().for_each(|g| *g *= scale);
                gb[li].iter_mut().for_each(|g| *g *= scale);
                opt_w[li].step(&mut net.layers[li].weights, &gw[li], lr, t);
                opt_b[li].step(&mut net.layers[li].bias, &gb[li], lr, t);
            }
        }
        last_loss = if wsum > 0.0 { loss_sum / wsum } else { 0.0 };
    }
    last_loss
}

/// Trains an EVICT v1 model on the first `cfg.train_frac` of `reqs` (see the module docs).
pub fn train(reqs: &[Request], cfg: &TrainConfig) -> Result<TrainReport, Error> {
    train_multi(&[reqs], cfg)
}

/// [`train`] on several traces: each is replayed on its own, its samples split in time order
/// into training and validation, and the parts pooled.
pub fn train_multi(traces: &[&[Request]], cfg: &TrainConfig) -> Result<TrainReport, Error> {
    if !(cfg.train_frac > 0.0 && cfg.train_frac <= 1.0) {
        return Err(Error(format!(
            "--train-frac must be in (0, 1], not {}",
            cfg.train_frac
        )));
    }
    let mut raws = Vec::new();
    let (mut train_requests, mut horizon, mut fixed) = (0, 0, None);
    for reqs in traces {
        let n_train = ((reqs.len() as f64) * cfg.train_frac).floor() as usize;
        let part = &reqs[..n_train.min(reqs.len())];
        train_requests += part.len();
        let raw = match cfg.sampler {
            Sampler::Ranker => {
                horizon = if cfg.horizon == 0 {
                    (part.len() / 4).max(1) as u64
                } else {
                    cfg.horizon
                };
                collect_samples(part, cfg.cache_size, cfg.candidates, horizon)?
            }
            Sampler::Linux => {
                let page = u64::from(part.first().map_or(1, |r| r.size.max(1)));
                let c = match cfg.cache_size {
                    CacheSize::Objects(n) => n,
                    CacheSize::Bytes(b) => b / page,
                }
                .max(1);
                horizon = 4 * c;
                fixed = Some([c, 2 * c]);
                collect_linux_samples(part, cfg.cache_size, horizon)?
            }
        };
        raws.push(raw);
    }
    let total: usize = raws.iter().map(Vec::len).sum();
    if total < 100 {
        return Err(Error(format!(
            "only {total} training samples (evictions too rare at this cache size): use a smaller cache or more requests"
        )));
    }
    let all: Vec<RawSample> = raws.iter().flatten().cloned().collect();
    let thresholds = fixed.unwrap_or_else(|| tertiles(&all));
    let mut class_counts = [0usize; CLASSES];
    let (mut train_all, mut val) = (Vec::new(), Vec::new());
    // With several traces, each contributes at most an equal share of the training samples,
    // so a long trace does not drown the others.
    let share = cfg.max_samples / raws.len().max(1);
    let mut pick = Rng::new(cfg.seed ^ 0x7472_6163_6573);
    for raw in &raws {
        let labeled: Vec<([i8; FEATURES], usize)> = raw
            .iter()
            .map(|s| (s.features, class_of(s.distance, thresholds)))
            .collect();
        for (_, c) in &labeled {
            class_counts[*c] += 1;
        }
        let n_val = ((labeled.len() as f64) * cfg.val_frac).round() as usize;
        let (t, v) = labeled.split_at(labeled.len() - n_val.min(labeled.len().saturating_sub(1)));
        if raws.len() > 1 && t.len() > share {
            let mut t = t.to_vec();
            pick.shuffle(&mut t);
            t.truncate(share);
            train_all.extend_from_slice(&t);
        } else {
            train_all.extend_from_slice(t);
        }
        val.extend_from_slice(v);
    }
    let samples = train_all.len() + val.len();
    let part_len = train_requests;
    let mut rng = Rng::new(cfg.seed);
    let mut train_set: Vec<([i8; FEATURES], usize)> = train_all;
    if train_set.len() > cfg.max_samples {
        rng.shuffle(&mut train_set);
        train_set.truncate(cfg.max_samples);
    }
    let mut tc = [0usize; CLASSES];
    for (_, c) in &train_set {
        tc[*c] += 1;
    }
    let mut cw = [0.0; CLASSES];
    for c in 0..CLASSES {
        cw[c] = if !cfg.balanced {
            1.0
        } else if tc[c] > 0 {
            train_set.len() as f64 / (CLASSES as f64 * tc[c] as f64)
        } else {
            0.0
        };
    }
    let dims = [FEATURES, cfg.hidden[0], cfg.hidden[1], CLASSES];
    let mut net = init_net(&dims, &mut rng);
    let fc = FitConfig {
        epochs: cfg.epochs,
        batch: cfg.batch,
        lr: cfg.lr,
    };
    let final_loss = fit(&mut net, &train_set, &cw, fc, &mut rng);
    // Calibrate on (a bounded subset of) the training samples.
    let calib: Vec<[i8; FEATURES]> = train_set.iter().take(50_000).map(|s| s.0).collect();
    let q = quantize::quantize(&net, &calib, cfg.model_id)?;
    let val_feats: Vec<[i8; FEATURES]> = val.iter().map(|s| s.0).collect();
    let agreement = quantize::agreement(&net, &q, &val_feats)?;
    let model =
        learned_core::model::format::parse(&q.bytes).map_err(|e| Error(e.reason().into()))?;
    let mlp = model.mlp().ok_or_else(|| Error("not an MLP".into()))?;
    let (mut fa, mut ia) = (0usize, 0usize);
    for (f, y) in &val {
        if float_argmax(&net.logits(f)) == *y {
            fa += 1;
        }
        if mlp.predict(f).map_err(|e| Error(e.reason().into()))? == *y {
            ia += 1;
        }
    }
    let nv = val.len().max(1) as f64;
    Ok(TrainReport {
        model: q.bytes.clone(),
        train_requests: part_len,
        samples,
        train_samples: train_set.len(),
        val_samples: val.len(),
        class_counts,
        thresholds,
        horizon,
        val_accuracy_float: fa as f64 / nv,
        val_accuracy_int: ia as f64 / nv,
        agreement,
        final_loss,
    })
}

/// Trains the simulator-only evict ranker (the EVICT v1 model of lrn sim --policy ranker)
/// from traces.
///
/// Trains on the first F of each trace (--train-frac), from a replay at SIZE (--cache-size),
/// with labels from the next accesses; deterministic: the same traces and options write the
/// same bytes. Prints the training summary.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainCli {
    /// A trace to train on (repeatable: the samples of every trace are pooled).
    #[arg(long, value_name = "PATH", required = true)]
    pub trace: Vec<String>,
    /// The traces' format: oracleGeneral, csv or txt (as for lrn sim).
    #[arg(long, value_name = "oracleGeneral|csv|txt", value_parser = crate::Format::parse)]
    pub format: crate::Format,
    /// The leading fraction of each trace to train on, above 0 and up to 1 [default: 0.5].
    #[arg(long = "train-frac", value_name = "F", value_parser = parse_train_frac)]
    pub train_frac: Option<f64>,
    /// The cache size of the replay, as for lrn sim [default: 256MiB].
    #[arg(long = "cache-size", value_name = "SIZE", value_parser = crate::parse_size)]
    pub cache_size: Option<CacheSize>,
    /// The seed of the sample choice and the network, decimal [default: 1592598028, that is
    /// 0x5eed1e0c].
    #[arg(long, value_name = "S")]
    pub seed: Option<u64>,
    /// Where samples come from: ranker or linux [default: ranker].
    ///
    /// ranker: the ranker's candidates in an LRU replay; linux: the pages Linux's reclaim
    /// offers the kernel hook, as in the kernel module.
    #[arg(long, value_name = "ranker|linux", value_parser = Sampler::parse)]
    pub sampler: Option<Sampler>,
    /// The model id in the file's header, hexadecimal, 0x optional [default: e71c0001].
    #[arg(long = "model-id", value_name = "HEX", value_parser = crate::parse_model_id)]
    pub model_id: Option<u32>,
    /// The model file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
}

/// Parses `--train-frac`: a fraction between 0 and 1, or 1 itself.
pub fn parse_train_frac(v: &str) -> Result<f64, Error> {
    match v.parse::<f64>() {
        Ok(f) if f == 1.0 => Ok(f),
        _ => crate::parse_fraction(v),
    }
}

impl TrainCli {
    /// The training settings: [`TrainConfig::default`] with the options given.
    pub fn config(&self) -> TrainConfig {
        let mut cfg = TrainConfig::default();
        if let Some(f) = self.train_frac {
            cfg.train_frac = f;
        }
        if let Some(s) = self.cache_size {
            cfg.cache_size = s;
        }
        if let Some(s) = self.seed {
            cfg.seed = s;
        }
        if let Some(s) = self.sampler {
            cfg.sampler = s;
        }
        if let Some(id) = self.model_id {
            cfg.model_id = id;
        }
        cfg
    }

    /// Runs `lrn train` ([`run_train`]).
    pub fn run(&self) -> Result<String, Error> {
        run_train(&self.trace, self.format, &self.config(), &self.out)
    }
}

/// `lrn train`: loads the trace, trains with `cfg` and writes the model to `out`; returns
/// the summary to print.
pub fn run_train(
    traces: &[String],
    format: crate::Format,
    cfg: &TrainConfig,
    out: &str,
) -> Result<String, Error> {
    let loaded = traces
        .iter()
        .map(|t| crate::load_trace(t, format))
        .collect::<Result<Vec<_>, _>>()?;
    let parts: Vec<&[Request]> = loaded.iter().map(Vec::as_slice).collect();
    let rep = train_multi(&parts, cfg)?;
    std::fs::write(out, &rep.model).map_err(|e| Error(format!("cannot write {out}: {e}")))?;
    Ok(format!("wrote {out}\n{}", rep.summary()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let t = [10, 100];
        assert_eq!(class_of(None, t), 3);
        assert_eq!(class_of(Some(1), t), 0);
        assert_eq!(class_of(Some(10), t), 0);
        assert_eq!(class_of(Some(11), t), 1);
        assert_eq!(class_of(Some(101), t), 2);
    }

    #[test]
    fn rng_is_fixed() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let u = a.unit();
        assert!((0.0..1.0).contains(&u));
    }
}
