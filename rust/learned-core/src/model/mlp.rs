// SPDX-License-Identifier: GPL-2.0

//! A quantized integer multi-layer perceptron: int8 weights and activations, int32 biases
//! and accumulators, fixed-point requantization between layers, int32 logits out.
//!
//! Payload layout (little-endian, offsets from the start of the payload):
//!
//! | offset | type | field                                   |
//! |--------|------|-----------------------------------------|
//! | 0      | u8   | layer count, `1..=`[`MAX_LAYERS`]       |
//! | 1      | u8   | input count, `1..=`[`MAX_INPUTS`]       |
//! | 2      | u16  | reserved, 0                             |
//! | 4      |      | the layers, one after the other         |
//!
//! Each layer:
//!
//! | offset   | type              | field                                                  |
//! |----------|-------------------|--------------------------------------------------------|
//! | 0        | u16               | `in`: input count (the previous layer's `out`)         |
//! | 2        | u16               | `out`: output count, `1..=`[`MAX_WIDTH`] (`..=`[`MAX_OUTPUTS`] for the last layer) |
//! | 4        | i32               | requantization multiplier, `> 0`                       |
//! | 8        | u8                | requantization shift, `0..=`[`MAX_SHIFT`]              |
//! | 9        | u8                | activation: 0 none, 1 ReLU (ReLU not on the last layer)|
//! | 10       | u16               | reserved, 0                                            |
//! | 12       | i8 `[out][in]`    | weights, row-major: output `o`'s row is `in` bytes     |
//! |          | 0..=3 zero bytes  | padding to a multiple of 4 bytes                       |
//! |          | i32 `[out]`       | biases, each within `±`[`MAX_ABS_BIAS`]                |
//!
//! The payload ends exactly after the last layer.
//!
//! Inference, per layer: `acc[o] = bias[o] + sum_i w[o][i] * x[i]` in i32. On a hidden layer
//! the next activation is `clamp(requantize(acc), -128, 127)`, then `max(0, .)` with ReLU; on
//! the last layer the logit is `requantize(acc)` saturated to i32. [`requantize`] computes
//! `acc * multiplier / 2^shift` rounded to nearest, ties away from zero.
//!
//! Overflow: `|x|, |w| <= 128`, so `|w * x| <= 2^14` and a row of at most 64 sums to at most
//! `2^20`; with `|bias| <= 2^24`, `|acc| <= 2^24 + 2^20 < 2^31`. The product with the
//! multiplier is taken in i64, where any i32 by i32 product fits (`<= 2^62`).

use super::format::{i32_at, u16_at, ParseError};
#[cfg(any(test, feature = "host"))]
use super::format::{put, EncodeError};

/// The most layers a model may have.
pub const MAX_LAYERS: usize = 4;
/// The widest a layer may be (inputs or outputs).
pub const MAX_WIDTH: usize = 64;
/// The most inputs a model may take.
pub const MAX_INPUTS: usize = 32;
/// The most outputs (logits) the last layer may have.
pub const MAX_OUTPUTS: usize = 16;
/// The largest requantization shift.
pub const MAX_SHIFT: u8 = 31;
/// The largest bias magnitude (`2^24`), which keeps the i32 accumulator from overflowing.
pub const MAX_ABS_BIAS: i32 = 1 << 24;

/// The length of a layer's fixed fields, before its weights.
const LAYER_HEADER_LEN: usize = 12;
/// The length of the payload's fixed fields, before the first layer.
const PAYLOAD_HEADER_LEN: usize = 4;

/// The number of padding bytes after `n` weight bytes.
const fn padding(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// `acc * multiplier / 2^shift`, rounded to the nearest integer, ties away from zero
/// (`2.5 -> 3`, `-2.5 -> -3`). Total: any arguments; a shift above 62 is taken as 62.
pub fn requantize(acc: i32, multiplier: i32, shift: u8) -> i64 {
    // Any i32 by i32 product is at most 2^62 in magnitude: no overflow.
    let v = i64::from(acc) * i64::from(multiplier);
    let s = u32::from(shift.min(62));
    if s == 0 {
        return v;
    }
    let mag = v.unsigned_abs();
    // `mag <= 2^62` and `half <= 2^61`: the sum fits u64; the quotient fits i64.
    let half = 1u64 << (s - 1);
    let q = i64::try_from((mag + half) >> s).unwrap_or(i64::MAX);
    if v < 0 {
        -q
    } else {
        q
    }
}

/// Saturates `v` to int8.
pub fn saturate_i8(v: i64) -> i8 {
    i8::try_from(v.clamp(i64::from(i8::MIN), i64::from(i8::MAX))).unwrap_or(0)
}

/// Saturates `v` to int32.
pub fn saturate_i32(v: i64) -> i32 {
    i32::try_from(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX))).unwrap_or(0)
}

/// Why inference was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InferError {
    /// The input slice's length is not the model's input count.
    WrongInputLength,
    /// The logits slice is shorter than the model's output count.
    OutputTooSmall,
}

impl InferError {
    /// A short reason.
    #[cfg(any(test, feature = "host"))]
    pub const fn reason(self) -> &'static str {
        match self {
            InferError::WrongInputLength => "wrong number of inputs",
            InferError::OutputTooSmall => "logits buffer too small",
        }
    }
}

/// One layer of a parsed [`Mlp`]: a view into the file bytes.
///
/// INVARIANT (established by [`Mlp::parse`]): `1 <= inputs, outputs <= MAX_WIDTH`,
/// `weights.len() == inputs * outputs`, `bias.len() == 4 * outputs`, every bias within
/// `±MAX_ABS_BIAS`, `multiplier > 0`, `shift <= MAX_SHIFT`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layer<'a> {
    inputs: u16,
    outputs: u16,
    multiplier: i32,
    shift: u8,
    relu: bool,
    weights: &'a [u8],
    bias: &'a [u8],
}

impl<'a> Layer<'a> {
    /// The input count.
    pub fn inputs(&self) -> usize {
        usize::from(self.inputs)
    }

    /// The output count.
    pub fn outputs(&self) -> usize {
        usize::from(self.outputs)
    }

    /// The requantization multiplier.
    #[cfg(any(test, feature = "host"))]
    pub fn multiplier(&self) -> i32 {
        self.multiplier
    }

    /// The requantization shift.
    #[cfg(any(test, feature = "host"))]
    pub fn shift(&self) -> u8 {
        self.shift
    }

    /// Whether ReLU follows requantization.
    #[cfg(any(test, feature = "host"))]
    pub fn relu(&self) -> bool {
        self.relu
    }

    /// The weight from input `i` to output `o`, or `None` out of range.
    #[cfg(any(test, feature = "host"))]
    pub fn weight(&self, o: usize, i: usize) -> Option<i8> {
        if i >= self.inputs() {
            return None;
        }
        let at = o.checked_mul(self.inputs())?.checked_add(i)?;
        self.weights.get(at).map(|&b| i8::from_le_bytes([b]))
    }

    /// The bias of output `o`, or `None` out of range.
    pub fn bias(&self, o: usize) -> Option<i32> {
        i32_at(self.bias, o.checked_mul(4)?)
    }

    /// The accumulators `bias + W x` of this layer, one per output, into `acc`.
    ///
    /// `x` must hold `inputs()` values and `acc` `outputs()` slots; extra entries are ignored
    /// and missing ones leave outputs uncomputed (callers size both from the layer).
    fn accumulate(&self, x: &[i8], acc: &mut [i32]) {
        // Index arithmetic, not `chunks_exact`: its runtime division leaves a panic path that
        // the kernel's objtool flags.
        let n = self.inputs();
        for (o, dst) in acc.iter_mut().enumerate().take(self.outputs()) {
            // In range: o < outputs <= 64 and n <= 64.
            let start = o * n;
            let row = self.weights.get(start..start + n).unwrap_or_default();
            *dst = self.bias(o).unwrap_or(0).wrapping_add(dot(row, x));
        }
    }
}

/// `sum_i w[i] * x[i]` over the shorter of `w` (int8 weights as bytes) and `x`, in i32.
///
/// Rows of 8, 16, 32 or 64 inputs (every shipped model's) are summed as fixed-size arrays,
/// whose length the compiler knows: it unrolls them and, where the target has vector
/// registers, vectorizes them. Cannot wrap: rows are at most [`MAX_WIDTH`] long, so
/// `|sum| <= 64 * 2^14`.
fn dot(w: &[u8], x: &[i8]) -> i32 {
    fn fixed<const N: usize>(w: &[u8], x: &[i8]) -> Option<i32> {
        let (w, x): (&[u8; N], &[i8; N]) = (w.try_into().ok()?, x.try_into().ok()?);
        Some(sum(w, x))
    }
    let n = w.len().min(x.len());
    let (w, x) = (
        w.get(..n).unwrap_or_default(),
        x.get(..n).unwrap_or_default(),
    );
    let fast = match n {
        8 => fixed::<8>(w, x),
        16 => fixed::<16>(w, x),
        32 => fixed::<32>(w, x),
        64 => fixed::<64>(w, x),
        _ => None,
    };
    fast.unwrap_or_else(|| sum(w, x))
}

/// The products summed by [`dot`]; inlined, so a caller's fixed length reaches the loop.
#[inline(always)]
fn sum(w: &[u8], x: &[i8]) -> i32 {
    w.iter().zip(x).fold(0i32, |a, (&wi, &xi)| {
        a.wrapping_add(i32::from(i8::from_le_bytes([wi])) * i32::from(xi))
    })
}

/// A parsed MLP: a zero-copy view of a validated payload.
///
/// INVARIANT: `1 <= n_layers <= MAX_LAYERS`; `layers[..n_layers]` satisfy [`Layer`]'s
/// invariant, chain (`layers[0].inputs == n_inputs`, each `inputs` is the previous `outputs`),
/// and the last has `outputs <= MAX_OUTPUTS` and no ReLU.
#[derive(Clone, Copy, Debug)]
pub struct Mlp<'a> {
    n_inputs: u8,
    n_layers: u8,
    layers: [Layer<'a>; MAX_LAYERS],
}

impl<'a> Mlp<'a> {
    /// Validates an MLP payload (see the module docs for the layout and limits).
    pub(super) fn parse(p: &'a [u8]) -> Result<Self, ParseError> {
        let trunc = ParseError::PayloadTruncated;
        let n_layers = *p.first().ok_or(trunc)?;
        let n_inputs = *p.get(1).ok_or(trunc)?;
        if u16_at(p, 2).ok_or(trunc)? != 0 {
            return Err(ParseError::NonZeroReserved);
        }
        if n_layers == 0 || usize::from(n_layers) > MAX_LAYERS {
            return Err(ParseError::BadLayerCount);
        }
        if n_inputs == 0 || usize::from(n_inputs) > MAX_INPUTS {
            return Err(ParseError::BadInputCount);
        }
        let mut layers = [Layer::default(); MAX_LAYERS];
        let mut at = PAYLOAD_HEADER_LEN;
        let mut prev_out = u16::from(n_inputs);
        let last = usize::from(n_layers) - 1;
        for (li, slot) in layers.iter_mut().take(usize::from(n_layers)).enumerate() {
            let inputs = u16_at(p, at).ok_or(trunc)?;
            let outputs = u16_at(p, at + 2).ok_or(trunc)?;
            let multiplier = i32_at(p, at + 4).ok_or(trunc)?;
            let shift = *p.get(at + 8).ok_or(trunc)?;
            let act = *p.get(at + 9).ok_or(trunc)?;
            if u16_at(p, at + 10).ok_or(trunc)? != 0 {
                return Err(ParseError::NonZeroReserved);
            }
            let limit = if li == last { MAX_OUTPUTS } else { MAX_WIDTH };
            if outputs == 0 || usize::from(outputs) > limit || usize::from(inputs) > MAX_WIDTH {
                return Err(ParseError::WidthOverLimit);
            }
            if inputs != prev_out {
                return Err(ParseError::ShapeMismatch);
            }
            if shift > MAX_SHIFT {
                return Err(ParseError::ShiftOutOfRange);
            }
            if multiplier <= 0 {
                return Err(ParseError::BadMultiplier);
            }
            let relu = match act {
                0 => false,
                1 if li != last => true,
                _ => return Err(ParseError::BadActivation),
            };
            // Bounded: at most 4 + 4 * (12 + 4096 + 3 + 256) bytes so far.
            at += LAYER_HEADER_LEN;
            let n_w = usize::from(inputs) * usize::from(outputs);
            let weights = p.get(at..at + n_w).ok_or(trunc)?;
            at += n_w;
            let pad = p.get(at..at + padding(n_w)).ok_or(trunc)?;
            if pad.iter().any(|&b| b != 0) {
                return Err(ParseError::NonZeroReserved);
            }
            at += padding(n_w);
            let n_b = 4 * usize::from(outputs);
            let bias = p.get(at..at + n_b).ok_or(trunc)?;
            at += n_b;
            for o in 0..usize::from(outputs) {
                let v = i32_at(bias, 4 * o).ok_or(trunc)?;
                if !(-MAX_ABS_BIAS..=MAX_ABS_BIAS).contains(&v) {
                    return Err(ParseError::BiasOutOfRange);
                }
            }
            *slot = Layer {
                inputs,
                outputs,
                multiplier,
                shift,
                relu,
                weights,
                bias,
            };
            prev_out = outputs;
        }
        if at != p.len() {
            return Err(ParseError::TrailingBytes);
        }
        Ok(Self {
            n_inputs,
            n_layers,
            layers,
        })
    }

    /// The number of inputs.
    pub fn inputs(&self) -> usize {
        usize::from(self.n_inputs)
    }

    /// The number of outputs (logits).
    pub fn outputs(&self) -> usize {
        self.layer(self.layer_count().saturating_sub(1))
            .map_or(0, |l| l.outputs())
    }

    /// The number of layers.
    pub fn layer_count(&self) -> usize {
        usize::from(self.n_layers)
    }

    /// Layer `i`, or `None` past the last.
    pub fn layer(&self, i: usize) -> Option<Layer<'a>> {
        if i >= self.layer_count() {
            return None;
        }
        self.layers.get(i).copied()
    }

    /// Runs the model on `input` (exactly [`Self::inputs`] values), writes the logits into
    /// `logits[..outputs]` and returns the output count.
    pub fn infer(&self, input: &[i8], logits: &mut [i32]) -> Result<usize, InferError> {
        self.infer_observe(input, logits, |_, _| {})
    }

    /// [`Self::infer`], also handing each hidden layer's int8 activations to `observe`
    /// (with the layer index), for tests and diagnostics.
    pub fn infer_observe<F: FnMut(usize, &[i8])>(
        &self,
        input: &[i8],
        logits: &mut [i32],
        mut observe: F,
    ) -> Result<usize, InferError> {
        if input.len() != self.inputs() {
            return Err(InferError::WrongInputLength);
        }
        let n_out = self.outputs();
        let logits = logits.get_mut(..n_out).ok_or(InferError::OutputTooSmall)?;
        let mut x = [0i8; MAX_WIDTH];
        let mut acc = [0i32; MAX_WIDTH];
        let mut width = input.len();
        for (dst, &v) in x.iter_mut().zip(input) {
            *dst = v;
        }
        let last = self.layer_count().saturating_sub(1);
        for (li, layer) in self.layers.iter().take(self.layer_count()).enumerate() {
            // INVARIANT: `width == layer.inputs()` (the layers chain), both <= MAX_WIDTH.
            let xs = x.get(..width).unwrap_or_default();
            let acc = acc.get_mut(..layer.outputs()).unwrap_or_default();
            layer.accumulate(xs, acc);
            if li == last {
                for (l, &a) in logits.iter_mut().zip(acc.iter()) {
                    *l = saturate_i32(requantize(a, layer.multiplier, layer.shift));
                }
            } else {
                for (xo, &a) in x.iter_mut().zip(acc.iter()) {
                    let v = saturate_i8(requantize(a, layer.multiplier, layer.shift));
                    *xo = if layer.relu { v.max(0) } else { v };
                }
                width = layer.outputs();
                observe(li, x.get(..width).unwrap_or_default());
            }
        }
        Ok(n_out)
    }

    /// The predicted class: the index of the largest logit, ties to the lowest index.
    #[cfg(any(test, feature = "host"))]
    pub fn predict(&self, input: &[i8]) -> Result<usize, InferError> {
        let mut logits = [0i32; MAX_OUTPUTS];
        let n = self.infer(input, &mut logits)?;
        Ok(argmax(logits.get(..n).unwrap_or_default()))
    }
}

/// The index of the largest value, ties to the lowest index; 0 for an empty slice.
pub fn argmax(values: &[i32]) -> usize {
    let mut best = 0;
    let mut best_v = i32::MIN;
    for (i, &v) in values.iter().enumerate() {
        if i == 0 || v > best_v {
            best = i;
            best_v = v;
        }
    }
    best
}

/// One layer to encode (see [`super::format::encode_mlp`]).
#[derive(Clone, Copy, Debug)]
#[cfg(any(test, feature = "host"))]
pub struct LayerSpec<'a> {
    /// Input count.
    pub inputs: u16,
    /// Output count.
    pub outputs: u16,
    /// Requantization multiplier.
    pub multiplier: i32,
    /// Requantization shift.
    pub shift: u8,
    /// ReLU after requantization (hidden layers only).
    pub relu: bool,
    /// `outputs * inputs` weights, row-major.
    pub weights: &'a [i8],
    /// `outputs` biases.
    pub bias: &'a [i32],
}

/// Writes the MLP payload for `layers` into `out`; returns its length. The model's input
/// count is the first layer's. Limits are checked by parsing the finished file.
#[cfg(any(test, feature = "host"))]
pub(super) fn write_payload(
    layers: &[LayerSpec<'_>],
    out: &mut [u8],
) -> Result<usize, EncodeError> {
    let bad = |e| EncodeError::Invalid(e);
    let n_layers = u8::try_from(layers.len()).map_err(|_| bad(ParseError::BadLayerCount))?;
    let n_inputs = layers.first().map_or(Ok(0), |l| {
        u8::try_from(l.inputs).map_err(|_| bad(ParseError::BadInputCount))
    })?;
    let mut at = put(out, 0, &[n_layers, n_inputs, 0, 0])?;
    for l in layers {
        let n_w = usize::from(l.inputs) * usize::from(l.outputs);
        if l.weights.len() != n_w || l.bias.len() != usize::from(l.outputs) {
            return Err(EncodeError::SpecMismatch);
        }
        at = put(out, at, &l.inputs.to_le_bytes())?;
        at = put(out, at, &l.outputs.to_le_bytes())?;
        at = put(out, at, &l.multiplier.to_le_bytes())?;
        at = put(out, at, &[l.shift, u8::from(l.relu), 0, 0])?;
        for &w in l.weights {
            at = put(out, at, &w.to_le_bytes())?;
        }
        at = put(out, at, [0u8; 3].get(..padding(n_w)).unwrap_or_default())?;
        for &b in l.bias {
            at = put(out, at, &b.to_le_bytes())?;
        }
    }
    Ok(at)
}
