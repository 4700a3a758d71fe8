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

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::Deserialize;

use crate::evict_eval::{corpus_traces, sizes_of, FamilyTrace};
use crate::quantize::{self, FloatLayer, FloatMlp};
use crate::train::collect_linux_samples;
use crate::{distinct_objects, load_trace, CacheSize, Error, Format};

/// A page is labelled "keep" when its next use is at most this many cache sizes away.
pub const HORIZON_CACHES: u64 = 4;
/// The most samples one (trace, size) point contributes.
pub const PER_POINT: usize = 5_000;

/// Writes EVICT v1 training samples from stock Linux reclaim, for the trainer.
///
/// At every evaluation size of every trace not excluded (the corpus DIR's and each --trace),
/// one line per page offered to the hook: its 8 features, then its label, 0 keep (next use
/// within 4 cache sizes) or 1 reclaim; deterministic. Prints how many samples of each label.
#[derive(Debug, Clone, clap::Args)]
pub struct SamplesCli {
    /// The corpus directory (see lrn corpus).
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<String>,
    /// An extra trace of family FAMILY, an oracleGeneral file (repeatable).
    #[arg(long, value_name = "FAMILY=PATH", value_parser = crate::evict_eval::parse_family_trace)]
    pub trace: Vec<FamilyTrace>,
    /// Leaves out the traces of this family (repeatable).
    #[arg(long, value_name = "FAMILY")]
    pub exclude: Vec<String>,
    /// The samples file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
}

/// `lrn samples`.
pub fn run_samples(args: &SamplesCli) -> Result<String, Error> {
    let SamplesCli {
        corpus,
        trace,
        exclude,
        out,
    } = args;
    let extra = trace
        .iter()
        .map(|t| (t.family.clone(), t.path.clone(), t.path.clone()));
    let mut traces = match corpus {
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
    std::fs::write(out, text).map_err(|e| Error(format!("cannot write {out}: {e}")))?;
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

/// The trainer's JSON (what `scripts/train-evict.py` writes): the layer sizes, per layer `l`
/// the weights `W{l}` (inputs x outputs, as scikit-learn stores `coefs_`) and the biases
/// `b{l}`, and the trainer's own probabilities of class 1 on the first samples.
#[derive(Debug, Clone, Deserialize)]
pub struct TrainerJson {
    /// The layer widths, inputs first.
    pub sizes: Vec<usize>,
    /// The trainer's probability of class 1 on each of the first samples.
    pub check_proba: Vec<f64>,
    /// The other keys: `W0`, `b0`, `W1`, ... and the trainer's statistics.
    #[serde(flatten)]
    pub rest: HashMap<String, serde_json::Value>,
}

impl TrainerJson {
    /// Parses the trainer's JSON.
    pub fn parse(json: &str) -> Result<Self, Error> {
        serde_json::from_str(json).map_err(|e| Error(format!("the trainer's JSON: {e}")))
    }

    /// The value of `key`, one of the dynamic keys (`W0`, `b0`, ...).
    fn get<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<T, Error> {
        let v = self
            .rest
            .get(key)
            .ok_or_else(|| Error(format!("the trainer's JSON has no {key:?}")))?;
        T::deserialize(v).map_err(|e| Error(format!("{key:?}: {e}")))
    }

    /// The float network (see [`network_of_json`]).
    pub fn network(&self) -> Result<FloatMlp, Error> {
        let sizes = &self.sizes;
        let mut layers = Vec::new();
        for l in 0..sizes.len().saturating_sub(1) {
            let (inputs, outputs) = (sizes[l], sizes[l + 1]);
            let w: Vec<Vec<f64>> = self.get(&format!("W{l}"))?;
            let b: Vec<f64> = self.get(&format!("b{l}"))?;
            if w.len() != inputs || w.iter().any(|row| row.len() != outputs) || b.len() != outputs {
                return Err(Error(format!("layer {l}: shapes do not match sizes")));
            }
            // coefs_ is inputs x outputs; FloatLayer wants outputs x inputs.
            let mut weights = vec![0.0; inputs * outputs];
            for (i, row) in w.iter().enumerate() {
                for (o, &v) in row.iter().enumerate() {
                    weights[o * inputs + i] = v;
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
}

/// The float network of the trainer's JSON ([`TrainerJson`]). A single logistic output (two
/// classes) becomes two logits `[0, z]`, whose argmax is the same decision.
pub fn network_of_json(json: &str) -> Result<FloatMlp, Error> {
    TrainerJson::parse(json)?.network()
}

/// Imports the trainer's float network (scripts/train-evict.py) as an EVICT v1 .lmod.
///
/// Checks that the network reproduces the trainer's own predictions, quantizes it on the
/// samples and prints how often the integer model's argmax equals the float one's.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportCli {
    /// The trainer's JSON: layer sizes, weights, biases and check_proba.
    #[arg(long, value_name = "FILE")]
    pub json: String,
    /// The samples the network was trained on (lrn samples): the check and the calibration.
    #[arg(long, value_name = "FILE")]
    pub samples: String,
    /// The model id in the file's header, hexadecimal, 0x optional.
    #[arg(long = "model-id", value_name = "HEX", value_parser = crate::parse_model_id)]
    pub model_id: u32,
    /// The model file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
}

/// `lrn model import`.
pub fn run_import(args: &ImportCli) -> Result<String, Error> {
    let ImportCli {
        json,
        samples,
        model_id: id,
        out,
    } = args;
    let id = *id;
    let text =
        std::fs::read_to_string(json).map_err(|e| Error(format!("cannot read {json}: {e}")))?;
    let trained = TrainerJson::parse(&text)?;
    let net = trained.network()?;
    let data = read_samples(samples)?;
    // The export is the trained model: the trainer's probabilities of class 1 on the first
    // samples, reproduced by the float network.
    let probs = &trained.check_proba;
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
    std::fs::write(out, &q.bytes).map_err(|e| Error(format!("cannot write {out}: {e}")))?;
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
        let t = TrainerJson::parse(json).expect("parses");
        assert_eq!(
            (t.sizes.as_slice(), t.check_proba.as_slice()),
            (&[2, 1, 1][..], &[0.5][..])
        );
        // A key that is not there is an error that names it.
        let e = t.get::<Vec<f64>>("nope").unwrap_err();
        assert!(e.0.contains("\"nope\""), "{e}");
        // So are a missing layer, a missing check and shapes that do not match the sizes.
        let without = |key: &str| {
            let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
            v.as_object_mut().unwrap().remove(key);
            v.to_string()
        };
        assert!(network_of_json(&without("W1"))
            .unwrap_err()
            .0
            .contains("\"W1\""));
        assert!(network_of_json(&without("b0"))
            .unwrap_err()
            .0
            .contains("\"b0\""));
        assert!(TrainerJson::parse(&without("check_proba")).is_err());
        assert!(TrainerJson::parse(&without("sizes")).is_err());
        let wrong = json.replace(r#""W0": [[1.0], [-2.0]]"#, r#""W0": [[1.0, -2.0]]"#);
        assert!(network_of_json(&wrong).unwrap_err().0.contains("shapes"));
        assert!(TrainerJson::parse("{\"sizes\": [2, 1").is_err());
    }

    #[test]
    fn json_numbers_read_as_rust_reads_them() {
        // serde_json (float_roundtrip) rounds every decimal as str::parse does, so the network
        // and the check are the trainer's doubles bit for bit.
        let nums = [
            "0.9185447202257635",
            "0.1",
            "0.30000000000000004",
            "-2.2250738585072014e-308",
            "5e-324",
            "1.7976931348623157e308",
            "9007199254740993",
            "0.6342346919472398",
            "-0.00012399817093447713",
            "3.4028234663852886e+38",
            "1E-7",
        ];
        let json = format!(r#"{{"sizes": [1], "check_proba": [{}]}}"#, nums.join(", "));
        let t = TrainerJson::parse(&json).expect("parses");
        for (n, v) in nums.iter().zip(&t.check_proba) {
            assert_eq!(v.to_bits(), n.parse::<f64>().unwrap().to_bits(), "{n}");
        }
    }
}
