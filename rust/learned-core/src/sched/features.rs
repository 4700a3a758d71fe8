// SPDX-License-Identifier: GPL-2.0

//! The model's schema, `sched` version 1: the features of a task's history, the burst
//! classes, the slice of each class, and the prediction with its fallback.
//!
//! # Inputs ([`FEATURES`] int8, [`features`])
//!
//! Every input is in `0..=127`. Times are on the log scale [`level_us`] of microseconds:
//! `level(µs) = min(127, 8·⌊log2 µs⌋ + f)` where `f` is the 3 bits after the leading one of
//! `µs` (its mantissa in eighths), and `level(0) = 0`: 8 levels per doubling, so 1 µs is 0,
//! 2 µs 8, 200 µs 60, 1 ms 79, 4 ms 95, 16 ms 111, and 61.4 ms and more 127. A time that is
//! not recorded yet (a young task) is 0.
//!
//! | index | feature | scale |
//! |---:|---|---|
//! | 0 | the latest burst | `level` |
//! | 1 | the burst before it | `level` |
//! | 2 | the 3rd latest burst | `level` |
//! | 3 | the 4th latest burst | `level` |
//! | 4 | the mean of the recorded bursts (up to [`HISTORY`]) | `level` |
//! | 5 | their maximum | `level` |
//! | 6 | their minimum | `level` |
//! | 7 | the latest sleep | `level` |
//! | 8 | the sleep before it | `level` |
//! | 9 | the mean of the recorded sleeps (up to [`super::SLEEPS`]) | `level` |
//! | 10 | the involuntary share of the last switches (up to 16) | `127·involuntary/recorded`, 0 if none |
//! | 11 | the interrupt share of the last wakeups (up to 8) | `127·from irq/recorded`, 0 if none |
//! | 12 | history fill: recorded bursts, up to [`HISTORY`] | `127·min(bursts, 8)/8` |
//! | 13 | the share of the recorded bursts under 1 ms | `127·short/recorded`, 0 if none |
//!
//! Shares are rounded down. The kernel computes them right after a voluntary stop
//! ([`super::Task::stop`] returned `Some`), for the burst that follows: the trainer
//! (`lrn sched train`) takes its samples at exactly those points.
//!
//! # Outputs ([`CLASSES`] logits)
//!
//! The argmax is the class of the next burst ([`class_of`]): `[0, 200 µs)`,
//! `[200 µs, 1 ms)`, `[1, 4 ms)`, `[4, 16 ms)`, `[16 ms, ∞)`.
//!
//! # Slices ([`slice_ns`])
//!
//! EEVDF gives an entity that becomes eligible a virtual deadline of its eligible time plus
//! its slice (weighted): a shorter slice gives an earlier deadline, so a task that wakes to
//! run a short burst is picked (and may preempt the running task) sooner, at the cost of
//! being preempted sooner if its burst runs long. A longer slice lets a batch task run
//! longer between preemptions (fewer context switches, warmer caches) at the cost of the
//! latency of others. The kernel accepts a custom slice of 100 µs to 100 ms.
//!
//! | class | next burst | slice |
//! |---:|---|---|
//! | 0 | under 200 µs | 100 µs, the kernel's minimum |
//! | 1 | 200 µs to 1 ms | 300 µs |
//! | 2 | 1 to 4 ms | the kernel's default (no change) |
//! | 3 | 4 to 16 ms | 6 ms |
//! | 4 | 16 ms and more | 12 ms |
//!
//! # The fallback
//!
//! Without a model, or before a task has finished [`MIN_HISTORY`] bursts, [`predict`]
//! answers no class: the task keeps the kernel's default slice. [`rule_class`] (the class of
//! the mean of the recorded bursts) is *not* the fallback: it is the non-learned baseline
//! the trainer's report compares the model with.

use super::super::model::mlp::{argmax, Mlp, MAX_OUTPUTS};
use super::super::model::schema::SCHED_INPUTS;
use super::task::Task;
use super::{HISTORY, MIN_HISTORY};

/// Inputs of a `sched` v1 model.
pub const FEATURES: usize = SCHED_INPUTS as usize;
/// Outputs of a `sched` v1 model: one per burst class.
pub const CLASSES: usize = 5;
/// The lower bounds of classes 1 to 4, ns.
pub const CLASS_BOUNDS_NS: [u64; CLASSES - 1] = [200_000, 1_000_000, 4_000_000, 16_000_000];
/// The slice of each class, ns; 0: the kernel's default.
pub const SLICES_NS: [u64; CLASSES] = [100_000, 300_000, 0, 6_000_000, 12_000_000];
/// The shortest custom slice the kernel accepts, ns.
#[cfg(any(test, feature = "host"))]
pub const MIN_SLICE_NS: u64 = 100_000;
/// The longest custom slice the kernel accepts, ns.
#[cfg(any(test, feature = "host"))]
pub const MAX_SLICE_NS: u64 = 100_000_000;
/// Bursts shorter than this count as short in feature 13, µs.
const SHORT_US: u32 = 1000;

/// The class of a burst of `ns` nanoseconds, `0..CLASSES`.
pub fn class_of(ns: u64) -> u8 {
    let mut c = 0u8;
    for &b in &CLASS_BOUNDS_NS {
        c += u8::from(ns >= b);
    }
    c
}

/// The first class of long bursts (4 ms or more).
pub const LONG_CLASS: u8 = 3;

/// The class of the task's current burst if it is already a long one: a burst that has run
/// `t` ns so far is at least `class_of(t)`, a fact rather than a prediction. CPU-bound tasks
/// rarely block, so they rarely reach a prediction; this gives them their long slice.
pub fn ongoing_class(task: &Task) -> Option<u8> {
    let c = class_of(task.burst_so_far_ns());
    (c >= LONG_CLASS).then_some(c)
}

/// The slice the policy gives `class`, ns: 0 (the kernel's default) for the middle class
/// and for anything out of range. See the module documentation.
pub fn slice_ns(class: u8) -> u64 {
    SLICES_NS.get(usize::from(class)).copied().unwrap_or(0)
}

/// The log scale of a time in µs (see the module documentation): `0..=127`.
pub fn level_us(us: u64) -> i8 {
    if us == 0 {
        return 0;
    }
    // us >= 1: k in 0..=63.
    let k = 63 - us.leading_zeros();
    let f = if k >= 3 { us >> (k - 3) } else { us << (3 - k) } & 7;
    // 8k + f <= 8 * 63 + 7 = 511.
    let l = (8 * u64::from(k) + f).min(127);
    i8::try_from(l).unwrap_or(i8::MAX)
}

/// [`level_us`] of `ns` nanoseconds (rounded down to whole µs).
#[cfg(any(test, feature = "host"))]
pub fn level(ns: u64) -> i8 {
    level_us(ns / 1000)
}

/// `127·part/whole` rounded down, 0 for `whole == 0`; `part` is clamped to `whole`.
fn share(part: u32, whole: u32) -> i8 {
    if whole == 0 {
        return 0;
    }
    // part <= whole < 2^32: the product fits u64 and the quotient is at most 127.
    let q = u64::from(part.min(whole)) * 127 / u64::from(whole);
    i8::try_from(q).unwrap_or(i8::MAX)
}

/// The `sched` v1 inputs of `task` (see the module documentation).
pub fn features(task: &Task) -> [i8; FEATURES] {
    let mut x = [0i8; FEATURES];
    let lv = |v: Option<u32>| v.map_or(0, |us| level_us(u64::from(us)));
    let (mut n, mut sum, mut max, mut min, mut short) = (0u32, 0u64, 0u32, u32::MAX, 0u32);
    for b in task.recent_bursts() {
        n += 1;
        sum += u64::from(b);
        max = max.max(b);
        min = min.min(b);
        short += u32::from(b < SHORT_US);
    }
    let mean = sum.checked_div(u64::from(n)).unwrap_or(0);
    if n == 0 {
        min = 0;
    }
    let (mut sn, mut ssum) = (0u64, 0u64);
    for a in 0..task.sleeps_len() {
        if let Some(s) = task.sleep_us(a) {
            sn += 1;
            ssum += u64::from(s);
        }
    }
    let smean = ssum.checked_div(sn).unwrap_or(0);
    let (inv, switches) = task.switches();
    let (irq, wakes) = task.irq_wakes();
    let fill = u32::try_from(task.history_len()).unwrap_or(0);
    let v = [
        lv(task.burst_us(0)),
        lv(task.burst_us(1)),
        lv(task.burst_us(2)),
        lv(task.burst_us(3)),
        level_us(mean),
        level_us(u64::from(max)),
        level_us(u64::from(min)),
        lv(task.sleep_us(0)),
        lv(task.sleep_us(1)),
        level_us(smean),
        share(inv, switches),
        share(irq, wakes),
        share(fill, HISTORY as u32),
        share(short, n),
    ];
    for (d, s) in x.iter_mut().zip(v) {
        *d = s;
    }
    x
}

/// Why [`predict`] answered as it did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Reason {
    /// The model's class.
    Model = 0,
    /// No model is loaded: the default slice.
    NoModel = 1,
    /// The task has finished fewer than [`MIN_HISTORY`] bursts: the default slice.
    ShortHistory = 2,
    /// The model is not a `sched` v1 shape or failed: the default slice.
    ModelError = 3,
}

impl Reason {
    /// Every reason, in `repr` order.
    pub const ALL: [Reason; 4] = [
        Self::Model,
        Self::NoModel,
        Self::ShortHistory,
        Self::ModelError,
    ];

    /// The reason's name in the `stats` file.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::NoModel => "no_model",
            Self::ShortHistory => "short_history",
            Self::ModelError => "model_error",
        }
    }
}

/// Why a model was refused by [`check_model`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelError {
    /// Its input count is not [`FEATURES`].
    Inputs,
    /// Its output count is not [`CLASSES`].
    Outputs,
}

impl ModelError {
    /// A short reason, for the kernel's log.
    #[cfg(any(test, feature = "host"))]
    pub const fn reason(self) -> &'static str {
        match self {
            Self::Inputs => "a sched v1 model takes 14 inputs",
            Self::Outputs => "a sched v1 model has 5 outputs",
        }
    }
}

/// Whether `model` has the shape of a `sched` v1 model: [`FEATURES`] inputs, [`CLASSES`]
/// outputs. The kernel refuses a model that fails this when it is loaded.
pub fn check_model(model: &Mlp<'_>) -> Result<(), ModelError> {
    if model.inputs() != FEATURES {
        return Err(ModelError::Inputs);
    }
    if model.outputs() != CLASSES {
        return Err(ModelError::Outputs);
    }
    Ok(())
}

/// The class `model` answers for `x`; `None` if it is not a `sched` v1 shape or fails.
pub fn model_class(model: &Mlp<'_>, x: &[i8; FEATURES]) -> Option<u8> {
    check_model(model).ok()?;
    let mut logits = [0i32; MAX_OUTPUTS];
    let n = model.infer(x, &mut logits).ok()?;
    u8::try_from(argmax(logits.get(..n)?)).ok()
}

/// The class of `task`'s next burst: the model's, or `None` (the kernel's default slice)
/// without a model, with fewer than [`MIN_HISTORY`] bursts, or when the model fails.
pub fn predict(task: &Task, model: Option<&Mlp<'_>>) -> (Option<u8>, Reason) {
    let Some(m) = model else {
        return (None, Reason::NoModel);
    };
    if task.bursts() < MIN_HISTORY {
        return (None, Reason::ShortHistory);
    }
    match model_class(m, &features(task)) {
        Some(c) => (Some(c), Reason::Model),
        None => (None, Reason::ModelError),
    }
}

/// The non-learned baseline: the class of the mean of the recorded bursts; `None` with no
/// burst recorded.
pub fn rule_class(task: &Task) -> Option<u8> {
    let (mut n, mut sum) = (0u64, 0u64);
    for b in task.recent_bursts() {
        n += 1;
        sum += u64::from(b);
    }
    Some(class_of(sum.checked_div(n)?.saturating_mul(1000)))
}

#[cfg(test)]
mod ongoing_tests {
    use super::*;

    #[test]
    fn a_long_running_burst_is_long() {
        let mut t = Task::new();
        t.wake(0, false);
        t.run(0);
        assert_eq!(ongoing_class(&t), None);
        t.stop(3_999_999, false);
        assert_eq!(ongoing_class(&t), None);
        t.run(4_000_000);
        t.stop(4_000_001, false);
        assert_eq!(ongoing_class(&t), Some(3));
        t.run(5_000_000);
        t.stop(21_000_000, false);
        assert_eq!(ongoing_class(&t), Some(4));
        // Blocking ends the burst: nothing ongoing.
        t.run(22_000_000);
        t.stop(22_000_001, true);
        assert_eq!(ongoing_class(&t), None);
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::model::format::{encode_mlp, parse, ModelMeta, MAX_FILE_LEN};
    use super::super::super::model::mlp::LayerSpec;
    use super::super::super::model::schema;
    use super::*;

    /// A task with bursts of `bursts` µs (oldest first), each after a 2 ms sleep.
    fn task(bursts: &[u64]) -> Task {
        let mut t = Task::new();
        let mut at = 0;
        for (k, &b) in bursts.iter().enumerate() {
            at += 2_000_000;
            t.wake(at, k % 4 == 0);
            t.run(at);
            at += b * 1000;
            t.stop(at, true);
        }
        t
    }

    #[test]
    fn classes_and_slices() {
        assert_eq!(class_of(0), 0);
        assert_eq!(class_of(199_999), 0);
        assert_eq!(class_of(200_000), 1);
        assert_eq!(class_of(999_999), 1);
        assert_eq!(class_of(1_000_000), 2);
        assert_eq!(class_of(3_999_999), 2);
        assert_eq!(class_of(4_000_000), 3);
        assert_eq!(class_of(15_999_999), 3);
        assert_eq!(class_of(16_000_000), 4);
        assert_eq!(class_of(u64::MAX), 4);
        assert_eq!(slice_ns(0), 100_000);
        assert_eq!(slice_ns(1), 300_000);
        assert_eq!(slice_ns(2), 0);
        assert_eq!(slice_ns(3), 6_000_000);
        assert_eq!(slice_ns(4), 12_000_000);
        assert_eq!(slice_ns(5), 0);
        assert_eq!(slice_ns(super::super::NONE), 0);
        for c in 0..CLASSES as u8 {
            let s = slice_ns(c);
            assert!(s == 0 || (MIN_SLICE_NS..=MAX_SLICE_NS).contains(&s));
        }
    }

    #[test]
    fn levels_are_eighths_of_octaves() {
        assert_eq!(level_us(0), 0);
        assert_eq!(level_us(1), 0);
        assert_eq!(level_us(2), 8);
        assert_eq!(level_us(3), 12);
        assert_eq!(level_us(200), 60);
        assert_eq!(level_us(1000), 79);
        assert_eq!(level_us(4000), 95);
        assert_eq!(level_us(16_000), 111);
        assert_eq!(level_us(61_439), 126);
        assert_eq!(level_us(61_440), 127);
        assert_eq!(level_us(u64::MAX), 127);
        assert_eq!(level(999), 0);
        assert_eq!(level(200_000), 60);
        let mut last = 0;
        for us in 0..200_000u64 {
            let l = level_us(us);
            assert!(l >= last && (0..=127).contains(&l), "{us}");
            last = l;
        }
    }

    #[test]
    fn features_of_a_hand_built_history() {
        // Bursts 100 µs, 3 ms, 300 µs, 20 ms, 50 µs (latest last); sleeps all 2 ms.
        let t = task(&[100, 3000, 300, 20_000, 50]);
        let x = features(&t);
        let mean = (100 + 3000 + 300 + 20_000 + 50) / 5; // 4690 µs
        assert_eq!(
            x,
            [
                level_us(50),
                level_us(20_000),
                level_us(300),
                level_us(3000),
                level_us(mean),
                level_us(20_000),
                level_us(50),
                level_us(2000),
                level_us(2000),
                level_us(2000),
                0,
                50,
                79,
                76,
            ]
        );
        // The scale, spelled out.
        assert_eq!(&x[..7], &[44, 113, 65, 91, 97, 113, 44]);
        assert_eq!(x[7], 87);
        // 2 of 5 wakeups were from irq (the 1st and 5th): 127 * 2 / 5 = 50; 3 of the 5
        // bursts were under 1 ms: 127 * 3 / 5 = 76; 5 of 8 recorded: 127 * 5 / 8 = 79.
        // A fresh task: all zero but the fill.
        assert_eq!(features(&Task::new()), [0; FEATURES]);
        // Preemptions show in feature 10: one burst with 3 preemptions, 4 switches.
        let mut p = Task::new();
        p.wake(0, false);
        for k in 0..3 {
            p.run(k * 10);
            p.stop(k * 10 + 5, false);
        }
        p.run(100);
        p.stop(200, true);
        assert_eq!(features(&p)[10], 95);
        assert_eq!(features(&p)[12], 15);
    }

    #[test]
    fn the_rule_is_the_mean_burst_class() {
        assert_eq!(rule_class(&Task::new()), None);
        assert_eq!(rule_class(&task(&[100])), Some(0));
        // Mean 4690 µs: class 3.
        assert_eq!(rule_class(&task(&[100, 3000, 300, 20_000, 50])), Some(3));
        // Only the last 8 count: 8 bursts of 50 µs after 20 ms ones.
        let mut b = [20_000u64; 12];
        b[4..].fill(50);
        assert_eq!(rule_class(&task(&b)), Some(0));
    }

    /// A one-layer model with `inputs` inputs and `outputs` outputs whose logit `o` is
    /// `bias[o] + x[0] * (o == pick)`.
    fn model(inputs: u16, outputs: u16, pick: usize, bias: &[i32]) -> ([u8; MAX_FILE_LEN], usize) {
        let mut w = [0i8; 64 * 16];
        if let Some(v) = w.get_mut(pick * usize::from(inputs)) {
            *v = 1;
        }
        let spec = LayerSpec {
            inputs,
            outputs,
            multiplier: 1,
            shift: 0,
            relu: false,
            weights: &w[..usize::from(inputs) * usize::from(outputs)],
            bias: &bias[..usize::from(outputs)],
        };
        let meta = ModelMeta {
            schema_id: schema::SCHED,
            schema_version: schema::SCHED_VERSION,
            model_id: 1,
        };
        let mut buf = [0u8; MAX_FILE_LEN];
        let n = encode_mlp(meta, &[spec], &mut buf).unwrap();
        (buf, n)
    }

    #[test]
    fn prediction_and_its_fallbacks() {
        // Class 3 wins on a bias; class 1 wins once the latest burst's level exceeds 40.
        let (buf, n) = model(FEATURES as u16, CLASSES as u16, 1, &[0, 0, 0, 40, 0]);
        let m = parse(&buf[..n]).unwrap().mlp().unwrap();
        assert_eq!(check_model(&m), Ok(()));
        let long = task(&[20_000, 20_000, 20_000]);
        assert_eq!(predict(&long, Some(&m)), (Some(1), Reason::Model));
        let tiny = task(&[1, 1, 1]);
        assert_eq!(predict(&tiny, Some(&m)), (Some(3), Reason::Model));
        assert_eq!(predict(&long, None), (None, Reason::NoModel));
        let young = task(&[20_000]);
        assert_eq!(predict(&young, Some(&m)), (None, Reason::ShortHistory));
        assert_eq!(predict(&task(&[1, 1]), Some(&m)).1, Reason::Model);
        // Wrong shapes are refused, and never answer.
        let (buf, n) = model(13, CLASSES as u16, 1, &[0; 5]);
        let m = parse(&buf[..n]).unwrap().mlp().unwrap();
        assert_eq!(check_model(&m), Err(ModelError::Inputs));
        assert_eq!(predict(&long, Some(&m)), (None, Reason::ModelError));
        let (buf, n) = model(FEATURES as u16, 4, 1, &[0; 4]);
        let m = parse(&buf[..n]).unwrap().mlp().unwrap();
        assert_eq!(check_model(&m), Err(ModelError::Outputs));
        assert_eq!(predict(&long, Some(&m)), (None, Reason::ModelError));
        assert_eq!(Reason::ALL.map(|r| r as u32), [0, 1, 2, 3]);
        assert_eq!(Reason::ShortHistory.name(), "short_history");
    }
}
