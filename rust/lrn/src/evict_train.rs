// SPDX-License-Identifier: GPL-2.0

//! The project's side of training the eviction model with a maintained ML library: samples
//! (features and labels) out, a trained float network in, quantized to an EVICT v1 `.lmod`
//! with the proof that the integer model equals the trained one.
//!
//! - `lrn samples`: replays each trace of a corpus (less the held-out families) through stock
//!   Linux reclaim ([`crate::train::collect_linux_samples`]) at every evaluation size
//!   ([`crate::evict_eval::sizes_of`]), and writes every page the kernel would offer the hook
//!   as one line: its 8 EVICT v1 features and its label, 0 ("keep": used again within
//!   [`HORIZON_CACHES`] cache sizes of requests) or 1 ("reclaim": later or never). Labels are
//!   relative to the cache size, so one model serves every size. Each trace and size
//!   contributes at most an equal share ([`PER_POINT`] samples, evenly spaced in time).
//! - The trainer (`scripts/train-evict.py`, scikit-learn's `MLPClassifier`) fits the network
//!   and writes its weights and its own predicted probabilities on the first samples as JSON.
//! - `lrn model import`: rebuilds the float network from the JSON, checks that it reproduces
//!   the trainer's predictions (the export is the trained model), quantizes it on the samples
//!   ([`crate::quantize`]) and reports how often the integer model agrees with the float one.
#![allow(clippy::float_arithmetic)]

use std::fmt::Write as _;

use crate::evict_eval::{corpus_traces, sizes_of};
use crate::quantize::{self, FloatLayer, FloatMlp};
use crate::train::collect_linux_samples;
use crate::{distinct_objects, load_trace, CacheSize, Error, Format};

/// A page is labelled "keep" when its next use is at most this many cache sizes away.
pub const HORIZON_CACHES: u64 = 4;
/// The most samples one (trace, size) point contributes.
pub const PER_POINT: usize = 5_000;

/// The usage text.
pub const USAGE: &str =
    "       lrn samples --corpus DIR [--trace FAMILY=PATH]... [--exclude FAMILY]... --out FILE
         (EVICT v1 training samples from stock Linux reclaim at every evaluation size of every
          trace not excluded: one line per page offered to the hook, 8 features then the label,
          0 keep (next use within 4 cache sizes) or 1 reclaim; deterministic)
       lrn model import --json FILE --samples FILE --model-id HEX --out FILE
         (the trainer's float network (scripts/train-evict.py) to an EVICT v1 .lmod: checks
          the network reproduces the trainer's own predictions, quantizes on the samples and
          prints how often the integer model's argmax equals the float one's)";

/// `lrn samples`.
pub fn run_samples(args: &[String]) -> Result<String, Error> {
    let (mut corpus, mut out, mut exclude, mut extra) = (None, None, Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| Error(format!("{flag} needs a value\n{USAGE}")))?;
        match flag.as_str() {
            "--corpus" => corpus = Some(v.clone()),
            "--out" => out = Some(v.clone()),
            "--exclude" => exclude.push(v.clone()),
            "--trace" => {
                let (f, p) = v
                    .split_once('=')
                    .ok_or_else(|| Error(format!("--trace wants FAMILY=PATH, not {v:?}")))?;
                extra.push((f.to_string(), p.to_string(), p.to_string()));
            }
            _ => return Err(Error(format!("unknown argument {flag:?}\n{USAGE}"))),
        }
    }
    let out = out.ok_or_else(|| Error(format!("--out is required\n{USAGE}")))?;
    let mut traces = match &corpus {
        Some(d) => corpus_traces(d)?,
        None => Vec::new(),
    };
    traces.extend(extra);
    traces.retain(|t| !exclude.contains(&t.0));
    let mut text = String::new();
    let (mut n, mut keep) = (0usize, 0usize);
    for (_, _, path) in &traces {
        let reqs = load_trace(path, Format::OracleGeneral)?;
        for size in sizes_of(distinct_objects(&reqs) as u64) {
            let h = HORIZON_CACHES * size;
            let raw = collect_linux_samples(&reqs, CacheSize::Objects(size), h)?;
            let step = raw.len().div_ceil(PER_POINT).max(1);
            for s in raw.iter().step_by(step) {
                let label = usize::from(s.distance.is_none());
                keep += 1 - label;
                n += 1;
                for f in s.features {
                    let _ = write!(text, "{f} ");
                }
                let _ = writeln!(text, "{label}");
            }
        }
    }
    std::fs::write(&out, text).map_err(|e| Error(format!("cannot write {out}: {e}")))?;
    Ok(format!(
        "wrote {out}: {n} samples from {} traces, {keep} keep / {} reclaim\n",
        traces.len(),
        n - keep
    ))
}

/// Reads a samples file: features and labels.
pub fn read_samples(path: &str) -> Result<Vec<([i8; 8], usize)>, Error> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error(format!("cannot read {path}: {e}")))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let v: Vec<i64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| Error(format!("{path}:{}: not integers", i + 1)))?;
        let [f @ .., label] = v.as_slice() else {
            return Err(Error(format!("{path}:{}: empty", i + 1)));
        };
        let mut x = [0i8; 8];
        if f.len() != 8 {
            return Err(Error(format!(
                "{path}:{}: {} features, not 8",
                i + 1,
                f.len()
            )));
        }
        for (d, s) in x.iter_mut().zip(f) {
            *d = i8::try_from(*s)
                .map_err(|_| Error(format!("{path}:{}: {s} is not int8", i + 1)))?;
        }
        out.push((x, usize::try_from(*label).unwrap_or(usize::MAX)));
    }
    Ok(out)
}

/// A minimal reader of the trainer's JSON: the numbers of the array after `"key":`, flattened.
fn json_numbers(json: &str, key: &str) -> Result<Vec<f64>, Error> {
    let at = json
        .find(&format!("\"{key}\""))
        .ok_or_else(|| Error(format!("the trainer's JSON has no {key:?}")))?;
    let rest = &json[at + key.len() + 2..];
    let start = rest
        .find('[')
        .ok_or_else(|| Error(format!("{key:?} is not an array")))?;
    let mut depth = 0i32;
    let mut end = start;
    for (i, c) in rest[start..].char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            _ => {}
        }
    }
    rest[start..=end]
        .split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<f64>()
                .map_err(|_| Error(format!("{key:?}: bad number {t:?}")))
        })
        .collect()
}

/// The float network of the trainer's JSON (`sizes`, per layer `W{i}` as inputs x outputs as
/// scikit-learn stores `coefs_`, and `b{i}`). A single logistic output (two classes) becomes
/// two logits `[0, z]`, whose argmax is the same decision.
pub fn network_of_json(json: &str) -> Result<FloatMlp, Error> {
    let sizes: Vec<usize> = json_numbers(json, "sizes")?
        .iter()
        .map(|&s| s as usize)
        .collect();
    let mut layers = Vec::new();
    for l in 0..sizes.len().saturating_sub(1) {
        let (inputs, outputs) = (sizes[l], sizes[l + 1]);
        let w = json_numbers(json, &format!("W{l}"))?;
        let b = json_numbers(json, &format!("b{l}"))?;
        if w.len() != inputs * outputs || b.len() != outputs {
            return Err(Error(format!("layer {l}: shapes do not match sizes")));
        }
        // coefs_ is inputs x outputs; FloatLayer wants outputs x inputs.
        let mut weights = vec![0.0; inputs * outputs];
        for i in 0..inputs {
            for o in 0..outputs {
                weights[o * inputs + i] = w[i * outputs + o];
            }
        }
        let last = l + 2 == sizes.len();
        if last && outputs == 1 {
            let mut two = vec![0.0; inputs];
            two.extend_from_slice(&weights);
            layers.push(FloatLayer {
                inputs,
                outputs: 2,
                weights: two,
                bias: vec![0.0, b[0]],
                relu: false,
            });
        } else {
            layers.push(FloatLayer {
                inputs,
                outputs,
                weights,
                bias: b,
                relu: !last,
            });
        }
    }
    Ok(FloatMlp { layers })
}

/// `lrn model import`.
pub fn run_import(args: &[String]) -> Result<String, Error> {
    let (mut json, mut samples, mut out, mut id) = (None, None, None, None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| Error(format!("{flag} needs a value\n{USAGE}")))?;
        match flag.as_str() {
            "--json" => json = Some(v.clone()),
            "--samples" => samples = Some(v.clone()),
            "--out" => out = Some(v.clone()),
            "--model-id" => {
                id = Some(
                    u32::from_str_radix(v.trim_start_matches("0x"), 16)
                        .map_err(|_| Error(format!("bad --model-id {v:?}")))?,
                )
            }
            _ => return Err(Error(format!("unknown argument {flag:?}\n{USAGE}"))),
        }
    }
    let (Some(json), Some(samples), Some(out), Some(id)) = (json, samples, out, id) else {
        return Err(Error(format!(
            "--json, --samples, --model-id and --out are required\n{USAGE}"
        )));
    };
    let text =
        std::fs::read_to_string(&json).map_err(|e| Error(format!("cannot read {json}: {e}")))?;
    let net = network_of_json(&text)?;
    let data = read_samples(&samples)?;
    // The export is the trained model: the trainer's probabilities of class 1 on the first
    // samples, reproduced by the float network.
    let probs = json_numbers(&text, "check_proba")?;
    let mut worst = 0.0f64;
    for (p, (x, _)) in probs.iter().zip(&data) {
        let z = net.logits(x);
        let q = 1.0 / (1.0 + (z[0] - z[1]).exp());
        worst = worst.max((q - p).abs());
    }
    if probs.is_empty() || worst > 1e-6 {
        return Err(Error(format!(
            "the network read from {json} does not reproduce the trainer's predictions (max error {worst:e} on {} samples)",
            probs.len()
        )));
    }
    let calib: Vec<[i8; 8]> = data
        .iter()
        .step_by((data.len() / 50_000).max(1))
        .map(|s| s.0)
        .collect();
    let q = quantize::quantize(&net, &calib, id)?;
    let feats: Vec<[i8; 8]> = data.iter().map(|s| s.0).collect();
    let agree = quantize::agreement(&net, &q, &feats)?;
    let model =
        learned_core::model::format::parse(&q.bytes).map_err(|e| Error(e.reason().into()))?;
    let mlp = model.mlp().ok_or_else(|| Error("not an MLP".into()))?;
    let (mut fa, mut ia) = (0usize, 0usize);
    for (x, y) in &data {
        fa += usize::from(quantize::float_argmax(&net.logits(x)) == *y);
        ia += usize::from(mlp.predict(x).map_err(|e| Error(e.reason().into()))? == *y);
    }
    std::fs::write(&out, &q.bytes).map_err(|e| Error(format!("cannot write {out}: {e}")))?;
    let n = data.len().max(1) as f64;
    Ok(format!(
        "wrote {out} ({} bytes): trainer's predictions reproduced on {} samples (max error {worst:.1e}); accuracy float {:.4} integer {:.4} on {} samples; {agree:?}\n",
        q.bytes.len(),
        probs.len(),
        fa as f64 / n,
        ia as f64 / n,
        data.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_network_matches_by_hand() {
        // 2 inputs -> 1 hidden (ReLU) -> 1 logistic output.
        let json = r#"{"sizes": [2, 1, 1], "W0": [[1.0], [-2.0]], "b0": [0.5], "W1": [[3.0]], "b1": [-1.0], "check_proba": [0.5]}"#;
        let net = network_of_json(json).expect("parses");
        assert_eq!(net.layers.len(), 2);
        assert!(net.layers[0].relu && !net.layers[1].relu);
        // x = (64, 0) / 128 = (0.5, 0): hidden relu(0.5 + 0.5) = 1, z = 3 - 1 = 2.
        let z = net.logits(&[64, 0, 0, 0, 0, 0, 0, 0][..2]);
        assert_eq!(z, vec![0.0, 2.0]);
        assert!(json_numbers(json, "nope").is_err());
    }
}
