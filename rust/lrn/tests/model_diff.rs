// SPDX-License-Identifier: GPL-2.0

//! Differential test of learned-core's integer MLP against an f64 reference computing the
//! same quantized model (lrn::model::reference): random shapes up to the limits, random int8
//! weights, biases, multipliers and shifts, random inputs.
//!
//! Provable bound: per layer, the engine and the reference can differ by at most 1 (the f64
//! product `acc * multiplier * 2^-shift` is exact below 2^53 and otherwise off by less than
//! one unit of the rounding step, which can only move a value across one rounding boundary).
//! Asserted: per layer (fed the engine's own inputs) |diff| <= 1; end to end, the observed
//! agreement is exact, and the test asserts it (zero mismatches over all cases).

use learned_core::model::format::{parse, ModelMeta};
use learned_core::model::mlp::{MAX_ABS_BIAS, MAX_INPUTS, MAX_LAYERS, MAX_OUTPUTS, MAX_WIDTH};
use lrn::model::reference::RefMlp;
use lrn::model::{encode_layers, OwnedLayer, XorShift};

const MODELS: usize = 1500;
const INPUTS_PER_MODEL: usize = 8;

fn random_model(rng: &mut XorShift) -> Vec<OwnedLayer> {
    let n_layers = rng.range(1, MAX_LAYERS as i64) as usize;
    let mut width = rng.range(1, MAX_INPUTS as i64) as u16;
    let mut layers = Vec::new();
    for li in 0..n_layers {
        let last = li + 1 == n_layers;
        let out = if last {
            rng.range(1, MAX_OUTPUTS as i64)
        } else {
            rng.range(1, MAX_WIDTH as i64)
        } as u16;
        let n = usize::from(width) * usize::from(out);
        // Mode 0: calibrated scale (activations mostly in range); 1: anything (saturation);
        // 2: large shift with a large multiplier (products above 2^53).
        let (multiplier, shift) = match rng.range(0, 2) {
            0 => {
                let shift = rng.range(10, 31) as u8;
                let base = (1i64 << shift) / (i64::from(width) * 32);
                (rng.range(1, (4 * base).max(1)) as i32, shift)
            }
            1 => (
                rng.range(1, i64::from(i32::MAX)) as i32,
                rng.range(0, 31) as u8,
            ),
            _ => (
                rng.range(1 << 28, i64::from(i32::MAX)) as i32,
                rng.range(26, 31) as u8,
            ),
        };
        let bias_mag = match rng.range(0, 2) {
            0 => 0,
            1 => 1 << 12,
            _ => i64::from(MAX_ABS_BIAS),
        };
        layers.push(OwnedLayer {
            inputs: width,
            outputs: out,
            multiplier,
            shift,
            relu: !last && rng.range(0, 3) != 0,
            weights: (0..n).map(|_| rng.i8()).collect(),
            bias: (0..out)
                .map(|_| rng.range(-bias_mag, bias_mag) as i32)
                .collect(),
        });
        width = out;
    }
    layers
}

#[test]
fn integer_engine_matches_f64_reference() {
    let meta = ModelMeta {
        schema_id: 1,
        schema_version: 1,
        model_id: 0,
    };
    let mut rng = XorShift::new(0x5EED);
    let (mut cases, mut mismatches, mut max_layer_diff, mut layer_evals) = (0usize, 0, 0i64, 0);
    let mut saturated = 0usize;
    let mut nonzero = 0usize;
    for _ in 0..MODELS {
        let layers = random_model(&mut rng);
        let file = encode_layers(meta, &layers).expect("random model encodes");
        let model = parse(&file).expect("random model parses");
        let mlp = model.mlp().unwrap();
        let reference = RefMlp::new(&mlp);
        for _ in 0..INPUTS_PER_MODEL {
            cases += 1;
            let input: Vec<i8> = (0..mlp.inputs()).map(|_| rng.i8()).collect();
            let mut logits = [0i32; MAX_OUTPUTS];
            let mut hidden: Vec<Vec<i8>> = Vec::new();
            let n = mlp
                .infer_observe(&input, &mut logits, |_, a| hidden.push(a.to_vec()))
                .unwrap();
            let mut ref_logits = [0i64; MAX_OUTPUTS];
            let mut ref_hidden: Vec<Vec<i64>> = Vec::new();
            let rn = reference.infer(&input, &mut ref_logits, |_, a| {
                ref_hidden.push(a.iter().map(|&v| v as i64).collect())
            });
            assert_eq!(n, rn);
            let eng_hidden: Vec<Vec<i64>> = hidden
                .iter()
                .map(|h| h.iter().map(|&v| i64::from(v)).collect())
                .collect();
            let eng_logits: Vec<i64> = logits[..n].iter().map(|&v| i64::from(v)).collect();
            if eng_hidden != ref_hidden || eng_logits[..] != ref_logits[..n] {
                mismatches += 1;
            }
            saturated += eng_logits
                .iter()
                .filter(|&&v| v == i64::from(i32::MAX) || v == i64::from(i32::MIN))
                .count();
            nonzero += eng_hidden
                .iter()
                .flatten()
                .filter(|&&v| v != 0 && v != 127 && v != -128)
                .count();
            // Per layer, from the engine's own inputs.
            let mut x: Vec<f64> = input.iter().map(|&v| f64::from(v)).collect();
            for (li, l) in reference.layers.iter().enumerate() {
                let last = li + 1 == reference.layers.len();
                let mut out = [0f64; MAX_WIDTH];
                l.forward(&x, &mut out, last);
                let eng: &[i64] = if last { &eng_logits } else { &eng_hidden[li] };
                for (o, &e) in eng.iter().enumerate() {
                    let d = (e - out[o] as i64).abs();
                    max_layer_diff = max_layer_diff.max(d);
                    layer_evals += 1;
                }
                if !last {
                    x = eng_hidden[li].iter().map(|&v| v as f64).collect();
                }
            }
        }
    }
    println!(
        "differential: {cases} cases over {MODELS} models, {layer_evals} neuron outputs; \
         end-to-end mismatches {mismatches}; max per-layer |diff| {max_layer_diff}; \
         saturated logits {saturated}; unsaturated non-zero hidden activations {nonzero}"
    );
    assert!(
        max_layer_diff <= 1,
        "per-layer disagreement {max_layer_diff} > 1"
    );
    assert_eq!(mismatches, 0, "end-to-end mismatches");
    assert!(
        nonzero > cases,
        "too few unsaturated activations: the test would be vacuous"
    );
}
