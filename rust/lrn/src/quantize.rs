// SPDX-License-Identifier: GPL-2.0

//! Post-training quantization of a float MLP into learned-core's integer MLP format.
//!
//! The float network takes the int8 features divided by 128 (input scale `1/128`). Each
//! layer is quantized with one symmetric scale for its weights (`max|w| / 127`, int8), int32
//! biases at the accumulator scale (`input scale * weight scale`), and a requantization
//! `multiplier / 2^shift` equal (to 31 bits) to `accumulator scale / output scale`, where
//! the output scale of a hidden layer is its largest ReLU activation on the calibration
//! samples divided by 127, and that of the last layer its largest absolute logit divided by
//! [`LOGIT_RANGE`]. The integer engine (learned-core's `mlp`) rounds requantization to
//! nearest, ties away from zero, and saturates hidden activations to int8; the float network
//! is only an approximation of that, which [`agreement`] measures.

#![allow(clippy::float_arithmetic)]

use learned_core::model::format::{encode_mlp, parse, ModelMeta, MAX_FILE_LEN};
use learned_core::model::mlp::{argmax, LayerSpec, MAX_ABS_BIAS, MAX_OUTPUTS};
use learned_core::model::schema;

use crate::Error;

/// The float input of an int8 feature `q` is `q * INPUT_SCALE`.
pub const INPUT_SCALE: f64 = 1.0 / 128.0;
/// The largest absolute integer logit on the calibration samples.
pub const LOGIT_RANGE: f64 = 16384.0;

/// One dense float layer, `outputs x inputs` row-major weights.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatLayer {
    /// Input count.
    pub inputs: usize,
    /// Output count.
    pub outputs: usize,
    /// Row-major weights: output `o`'s row is `weights[o * inputs..][..inputs]`.
    pub weights: Vec<f64>,
    /// One bias per output.
    pub bias: Vec<f64>,
    /// ReLU after the layer (hidden layers).
    pub relu: bool,
}

impl FloatLayer {
    /// `bias + W x`, then ReLU if set.
    pub fn forward(&self, x: &[f64], out: &mut Vec<f64>) {
        out.clear();
        for o in 0..self.outputs {
            let row = &self.weights[o * self.inputs..(o + 1) * self.inputs];
            let mut a = self.bias[o];
            for (w, v) in row.iter().zip(x) {
                a += w * v;
            }
            out.push(if self.relu { a.max(0.0) } else { a });
        }
    }
}

/// A float MLP.
#[derive(Clone, Debug, PartialEq)]
pub struct FloatMlp {
    /// The layers, input first.
    pub layers: Vec<FloatLayer>,
}

impl FloatMlp {
    /// The float inputs of int8 features.
    pub fn input(features: &[i8]) -> Vec<f64> {
        features
            .iter()
            .map(|&q| f64::from(q) * INPUT_SCALE)
            .collect()
    }

    /// Every layer's output (the last one is the logits) for int8 `features`.
    pub fn activations(&self, features: &[i8]) -> Vec<Vec<f64>> {
        let mut x = Self::input(features);
        let mut acts = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let mut out = Vec::with_capacity(l.outputs);
            l.forward(&x, &mut out);
            x.clone_from(&out);
            acts.push(out);
        }
        acts
    }

    /// The logits for int8 `features`.
    pub fn logits(&self, features: &[i8]) -> Vec<f64> {
        self.activations(features).pop().unwrap_or_default()
    }
}

/// A quantized model file and the scale of its integer logits.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantized {
    /// The `.lmod` file.
    pub bytes: Vec<u8>,
    /// A float logit is about `integer logit * logit_scale`.
    pub logit_scale: f64,
}

/// One quantized layer: multiplier, shift, ReLU, weights, biases.
type QLayer = (i32, u8, bool, Vec<i8>, Vec<i32>);

/// `multiplier / 2^shift ~= ratio` with the most precision that fits: multiplier in
/// `1..=i32::MAX`, shift in `0..=31`.
pub fn requant_params(ratio: f64) -> (i32, u8) {
    let mut shift = 31u8;
    loop {
        let m = (ratio * f64::from(1u32 << shift)).round();
        if m <= f64::from(i32::MAX) || shift == 0 {
            return (m.clamp(1.0, f64::from(i32::MAX)) as i32, shift);
        }
        shift -= 1;
    }
}

/// Quantizes `net` (the last layer without ReLU, at most [`MAX_OUTPUTS`] outputs), calibrating
/// activation scales on `calib`, into a `.lmod` file of schema EVICT v1 with `model_id`.
pub fn quantize(net: &FloatMlp, calib: &[[i8; 8]], model_id: u32) -> Result<Quantized, Error> {
    let meta = ModelMeta {
        schema_id: schema::EVICT,
        schema_version: schema::EVICT_VERSION,
        model_id,
    };
    quantize_as(net, calib, meta)
}

/// [`quantize`] for any input width, into a `.lmod` file with header `meta`.
pub fn quantize_as<const N: usize>(
    net: &FloatMlp,
    calib: &[[i8; N]],
    meta: ModelMeta,
) -> Result<Quantized, Error> {
    let n = net.layers.len();
    if n == 0 || calib.is_empty() {
        return Err(Error(
            "quantize: empty network or no calibration samples".into(),
        ));
    }
    if net.layers[n - 1].outputs > MAX_OUTPUTS {
        return Err(Error("quantize: too many outputs".into()));
    }
    // The largest activation of each layer over the calibration set.
    let mut max_act = vec![0f64; n];
    for f in calib {
        for (m, a) in max_act.iter_mut().zip(net.activations(f)) {
            for v in a {
                *m = m.max(v.abs());
            }
        }
    }
    let mut in_scale = INPUT_SCALE;
    let mut owned: Vec<QLayer> = Vec::new();
    let mut logit_scale = 1.0;
    for (li, l) in net.layers.iter().enumerate() {
        let max_w = l.weights.iter().fold(0f64, |m, w| m.max(w.abs()));
        let w_scale = if max_w > 0.0 { max_w / 127.0 } else { 1.0 };
        let weights: Vec<i8> = l
            .weights
            .iter()
            .map(|w| (w / w_scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        let acc_scale = in_scale * w_scale;
        let bias: Vec<i32> = l
            .bias
            .iter()
            .map(|b| {
                (b / acc_scale)
                    .round()
                    .clamp(-f64::from(MAX_ABS_BIAS), f64::from(MAX_ABS_BIAS)) as i32
            })
            .collect();
        let last = li + 1 == n;
        let range = if last { LOGIT_RANGE } else { 127.0 };
        let out_scale = if max_act[li] > 0.0 {
            max_act[li] / range
        } else {
            1.0 / range
        };
        let (multiplier, shift) = requant_params(acc_scale / out_scale);
        // The scale the integer engine actually produces.
        let real_out = acc_scale / (f64::from(multiplier) / f64::from(1u32 << shift));
        if last {
            logit_scale = real_out;
        }
        in_scale = real_out;
        owned.push((multiplier, shift, l.relu && !last, weights, bias));
    }
    let specs: Vec<LayerSpec<'_>> = net
        .layers
        .iter()
        .zip(&owned)
        .map(|(l, (m, s, r, w, b))| LayerSpec {
            inputs: l.inputs as u16,
            outputs: l.outputs as u16,
            multiplier: *m,
            shift: *s,
            relu: *r,
            weights: w,
            bias: b,
        })
        .collect();
    let mut buf = vec![0u8; MAX_FILE_LEN];
    let len = encode_mlp(meta, &specs, &mut buf)
        .map_err(|e| Error(format!("quantize: cannot encode: {}", e.reason())))?;
    buf.truncate(len);
    Ok(Quantized {
        bytes: buf,
        logit_scale,
    })
}

/// How closely the integer model follows the float one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Agreement {
    /// Samples compared.
    pub samples: usize,
    /// The fraction of samples whose argmax class is the same.
    pub argmax_agree: f64,
    /// The mean absolute difference of the dequantized integer logits from the float logits.
    pub mean_abs_logit_diff: f64,
    /// The mean absolute float logit, for scale.
    pub mean_abs_logit: f64,
}

/// Compares `net` with its quantization `q` on `samples`.
pub fn agreement<const N: usize>(
    net: &FloatMlp,
    q: &Quantized,
    samples: &[[i8; N]],
) -> Result<Agreement, Error> {
    let model = parse(&q.bytes).map_err(|e| Error(format!("model: {}", e.reason())))?;
    let mlp = model
        .mlp()
        .ok_or_else(|| Error("model is not an MLP".into()))?;
    let (mut agree, mut diff, mut mag, mut count) = (0usize, 0f64, 0f64, 0usize);
    let mut logits = [0i32; MAX_OUTPUTS];
    for f in samples {
        let fl = net.logits(f);
        let n = mlp
            .infer(f, &mut logits)
            .map_err(|e| Error(e.reason().into()))?;
        let il = &logits[..n];
        let fa = float_argmax(&fl);
        if fa == argmax(il) {
            agree += 1;
        }
        for (a, &b) in fl.iter().zip(il) {
            diff += (a - f64::from(b) * q.logit_scale).abs();
            mag += a.abs();
            count += 1;
        }
    }
    let s = samples.len().max(1) as f64;
    let c = count.max(1) as f64;
    Ok(Agreement {
        samples: samples.len(),
        argmax_agree: agree as f64 / s,
        mean_abs_logit_diff: diff / c,
        mean_abs_logit: mag / c,
    })
}

/// The index of the largest value, ties to the lowest index (as the integer engine's).
pub fn float_argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requant_params_are_precise() {
        for r in [1e-6, 3.3e-4, 0.01, 0.5, 0.999, 1.0, 3.7, 1000.0] {
            let (m, s) = requant_params(r);
            assert!(m > 0 && s <= 31);
            let got = f64::from(m) / f64::from(1u32 << s);
            // Within half a unit of the last place, and precise unless the ratio is tiny.
            assert!(
                (got - r).abs() <= 0.5 / f64::from(1u32 << s),
                "{r}: {m} >> {s}"
            );
            assert!(r < 1e-4 || (got - r).abs() / r < 1e-6, "{r}: {m} >> {s}");
        }
    }

    #[test]
    fn small_net_round_trips() {
        let net = FloatMlp {
            layers: vec![
                FloatLayer {
                    inputs: 8,
                    outputs: 3,
                    weights: (0..24).map(|i| ((i * 7 % 11) as f64 - 5.0) / 5.0).collect(),
                    bias: vec![0.1, -0.2, 0.05],
                    relu: true,
                },
                FloatLayer {
                    inputs: 3,
                    outputs: 2,
                    weights: vec![1.0, -1.0, 0.5, -0.5, 1.0, 0.25],
                    bias: vec![0.0, 0.1],
                    relu: false,
                },
            ],
        };
        let calib: Vec<[i8; 8]> = (0..200)
            .map(|k| {
                let mut f = [0i8; 8];
                for (i, v) in f.iter_mut().enumerate() {
                    *v = ((k * 31 + i * 17) % 256) as u8 as i8;
                }
                f
            })
            .collect();
        let q = quantize(&net, &calib, 7).unwrap();
        let a = agreement(&net, &q, &calib).unwrap();
        assert!(a.argmax_agree > 0.95, "{a:?}");
        assert!(
            a.mean_abs_logit_diff < 0.05 * a.mean_abs_logit.max(1e-9),
            "{a:?}"
        );
    }
}
