// SPDX-License-Identifier: GPL-2.0

//! `.lmod` model files on the host: `lrn inspect`, `lrn model synth`, `lrn bench-infer`, and
//! the f64 reference the differential tests check learned-core's integer MLP against.

use std::fmt::Write as _;
use std::time::Instant;

use learned_core::model::crc32::Crc32;
use learned_core::model::format::{
    self, encode_mlp, encode_pla, parse, Kind, ModelMeta, Payload, HEADER_LEN, MAX_FILE_LEN,
};
use learned_core::model::mlp::{LayerSpec, Mlp};
use learned_core::model::pla::{fit, Segment, MAX_SEGMENTS};
use learned_core::model::schema;

use crate::Error;

/// A deterministic xorshift64 generator (never seeded with 0).
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A value in `lo..=hi` (slightly biased, fine for tests).
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = hi.abs_diff(lo) + 1;
        lo.wrapping_add_unsigned(self.next_u64() % span)
    }

    /// A random int8.
    pub fn i8(&mut self) -> i8 {
        self.next_u64().to_le_bytes()[0] as i8
    }
}

/// Owned layers, for building models on the host.
#[derive(Clone, Debug)]
pub struct OwnedLayer {
    /// See [`LayerSpec::inputs`].
    pub inputs: u16,
    /// See [`LayerSpec::outputs`].
    pub outputs: u16,
    /// See [`LayerSpec::multiplier`].
    pub multiplier: i32,
    /// See [`LayerSpec::shift`].
    pub shift: u8,
    /// See [`LayerSpec::relu`].
    pub relu: bool,
    /// See [`LayerSpec::weights`].
    pub weights: Vec<i8>,
    /// See [`LayerSpec::bias`].
    pub bias: Vec<i32>,
}

impl OwnedLayer {
    /// The borrowed form the encoder takes.
    pub fn spec(&self) -> LayerSpec<'_> {
        LayerSpec {
            inputs: self.inputs,
            outputs: self.outputs,
            multiplier: self.multiplier,
            shift: self.shift,
            relu: self.relu,
            weights: &self.weights,
            bias: &self.bias,
        }
    }
}

/// Encodes owned layers into a file.
pub fn encode_layers(meta: ModelMeta, layers: &[OwnedLayer]) -> Result<Vec<u8>, Error> {
    let specs: Vec<_> = layers.iter().map(OwnedLayer::spec).collect();
    let mut buf = vec![0u8; MAX_FILE_LEN];
    let n = encode_mlp(meta, &specs, &mut buf).map_err(|e| Error(e.reason().into()))?;
    buf.truncate(n);
    Ok(buf)
}

/// A random layer `inputs -> outputs` whose requantization keeps typical activations in
/// range: shift 16, multiplier about `2^16 * 4 / (inputs * 64)`.
pub fn random_layer(rng: &mut XorShift, inputs: u16, outputs: u16, relu: bool) -> OwnedLayer {
    let n = usize::from(inputs) * usize::from(outputs);
    OwnedLayer {
        inputs,
        outputs,
        multiplier: (4 * 65536 / (i32::from(inputs) * 64)).max(1),
        shift: 16,
        relu,
        weights: (0..n).map(|_| rng.i8()).collect(),
        bias: (0..outputs)
            .map(|_| rng.range(-4096, 4096) as i32)
            .collect(),
    }
}

/// What `lrn model synth` builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthArgs {
    /// `--kind`.
    pub kind: Kind,
    /// `--schema`.
    pub schema: u16,
    /// `--seed`.
    pub seed: u64,
    /// `--inputs` (mlp).
    pub inputs: u16,
    /// `--hidden` (mlp; 0 for no hidden layer).
    pub hidden: u16,
    /// `--outputs` (mlp).
    pub outputs: u16,
    /// `--keys` (pla).
    pub keys: usize,
    /// `--epsilon` (pla).
    pub epsilon: u32,
    /// `--adversarial` (evict schema): a one-layer EVICT v1 model that inverts a frequency
    /// rule: class 0 (keep) for pages accessed once since they were read in, the last class
    /// (reclaim) for pages used more: a wrong model for the guard to catch.
    pub adversarial: bool,
    /// `--constant C` (mlp): a one-layer model whose answer is class `C` whatever its input,
    /// e.g. the last class of an EVICT v1 model: "reclaim" for every page.
    pub constant: Option<u16>,
    /// `--out`.
    pub out: String,
}

/// Model files: writes test models, runs one inference, imports the trainer's network.
// No doc comments on the variants: they would replace their arguments' (the help).
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum ModelCommand {
    Synth(SynthCli),
    Infer(InferCli),
    Import(crate::evict_train::ImportCli),
}

/// Writes a deterministic pseudo-random model file, for tests.
///
/// mlp: N -> H -> H -> O (--inputs, --hidden, --outputs), defaults 8 -> 32 -> 32 -> 4,
/// --hidden 0 for a single layer N -> O; pla: --keys K sorted pseudo-random keys, fitted with
/// an error bound of --epsilon E. The model id is the seed's low 32 bits. Prints the file's
/// size.
#[derive(Debug, Clone, clap::Args)]
pub struct SynthCli {
    /// The model kind: mlp or pla.
    #[arg(long, value_name = "mlp|pla", value_parser = parse_kind)]
    pub kind: Kind,
    /// The schema id in the header: 1 evict, 2 sizer, 3 vindex, 4 sched.
    #[arg(long, value_name = "N")]
    pub schema: u16,
    /// The seed of the weights or the keys.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub seed: u64,
    /// Inputs (mlp) [default: 8, the evict schema's].
    #[arg(long, value_name = "N")]
    pub inputs: Option<u16>,
    /// The width of the two hidden layers (mlp; 0 for no hidden layer).
    #[arg(long, value_name = "H", default_value_t = 32)]
    pub hidden: u16,
    /// Outputs (mlp).
    #[arg(long, value_name = "O", default_value_t = 4)]
    pub outputs: u16,
    /// Keys (pla).
    #[arg(long, value_name = "K", default_value_t = 4096)]
    pub keys: usize,
    /// The error bound of the fit (pla).
    #[arg(long, value_name = "E", default_value_t = 8)]
    pub epsilon: u32,
    /// A wrong evict model for the guard to catch: one layer, 8 inputs, 4 classes, that keeps
    /// pages accessed once since they were read in and reclaims the pages used more.
    #[arg(long)]
    pub adversarial: bool,
    /// A one-layer mlp whose answer is class C whatever its input (e.g. the last class of an
    /// EVICT v1 model: "reclaim" for every page); before --adversarial if both are given.
    #[arg(long, value_name = "C")]
    pub constant: Option<u16>,
    /// The model file to write.
    #[arg(long, value_name = "FILE", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub out: String,
}

/// Parses `--kind`.
pub fn parse_kind(v: &str) -> Result<Kind, Error> {
    match v {
        "mlp" => Ok(Kind::Mlp),
        "pla" => Ok(Kind::Pla),
        _ => Err(Error(format!("bad --kind {v:?}: mlp or pla"))),
    }
}

impl SynthCli {
    /// The model these arguments describe.
    pub fn into_args(self) -> SynthArgs {
        let inputs = self.inputs.unwrap_or(if self.schema == schema::EVICT {
            u16::from(schema::EVICT_INPUTS)
        } else {
            8
        });
        SynthArgs {
            kind: self.kind,
            schema: self.schema,
            seed: self.seed,
            inputs,
            hidden: self.hidden,
            outputs: self.outputs,
            keys: self.keys,
            epsilon: self.epsilon,
            adversarial: self.adversarial,
            constant: self.constant,
            out: self.out,
        }
    }
}

/// One inference, printed exactly as the kernel's infer file (in the policy's directory)
/// shows it for the same model and input.
///
/// mlp: int8 features, prints "class logit..."; pla: one key, prints "pos lo hi".
#[derive(Debug, Clone, clap::Args)]
pub struct InferCli {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    pub model: String,
    /// The input, one argument: "V1 V2 ..." (mlp: the features; pla: the key).
    #[arg(long, value_name = "V1 V2 ...", allow_hyphen_values = true)]
    pub input: String,
}

/// Prints the header, layers and checksum of a model file, and whether it is valid.
///
/// An invalid file's report stops where it went wrong, and the reason is on stderr (exit
/// status 1).
#[derive(Debug, Clone, clap::Args)]
pub struct InspectCli {
    /// The model file.
    #[arg(value_name = "FILE")]
    pub file: String,
}

/// Times inference: ns per inference of the integer engine and of the f64 reference, on
/// pseudo-random inputs.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchCli {
    /// The model (an mlp) [default: a pseudo-random 8-32-32-4 evict model].
    #[arg(long, value_name = "FILE")]
    pub model: Option<String>,
    /// Inferences timed, of each.
    #[arg(long, value_name = "N", default_value_t = 200_000)]
    pub iters: u64,
}

/// Builds the deterministic pseudo-random model `a` describes.
pub fn synth(a: &SynthArgs) -> Result<Vec<u8>, Error> {
    let meta = ModelMeta {
        schema_id: a.schema,
        schema_version: schema::known_version(a.schema).unwrap_or(1),
        model_id: (a.seed & 0xFFFF_FFFF) as u32,
    };
    let mut rng = XorShift::new(a.seed);
    match a.kind {
        Kind::Mlp => {
            if let Some(class) = a.constant {
                if class >= a.outputs {
                    return Err(Error(format!(
                        "--constant {class} needs more than {} outputs",
                        a.outputs
                    )));
                }
                let mut bias = vec![0i32; usize::from(a.outputs)];
                bias[usize::from(class)] = 100;
                let layer = OwnedLayer {
                    inputs: a.inputs,
                    outputs: a.outputs,
                    multiplier: 1,
                    shift: 0,
                    relu: false,
                    weights: vec![0i8; usize::from(a.inputs) * usize::from(a.outputs)],
                    bias,
                };
                return encode_layers(meta, &[layer]);
            }
            if a.adversarial {
                if a.schema != schema::EVICT || a.inputs != 8 || a.outputs != 4 {
                    return Err(Error(
                        "--adversarial is an 8-input, 4-class evict model".into(),
                    ));
                }
                // Feature 1 is log2_scaled(count, 16): -112 for one access, -96 for two, more
                // above. Logit 0 = -f1, logit 3 = f1 + 208: class 0 exactly when f1 < -104.
                let mut weights = vec![0i8; 8 * 4];
                weights[1] = -1;
                weights[3 * 8 + 1] = 1;
                let layer = OwnedLayer {
                    inputs: 8,
                    outputs: 4,
                    multiplier: 1,
                    shift: 0,
                    relu: false,
                    weights,
                    bias: vec![0, -1000, -1000, 208],
                };
                return encode_layers(meta, &[layer]);
            }
            let layers = if a.hidden == 0 {
                vec![random_layer(&mut rng, a.inputs, a.outputs, false)]
            } else {
                vec![
                    random_layer(&mut rng, a.inputs, a.hidden, true),
                    random_layer(&mut rng, a.hidden, a.hidden, true),
                    random_layer(&mut rng, a.hidden, a.outputs, false),
                ]
            };
            encode_layers(meta, &layers)
        }
        Kind::Pla => {
            if a.keys == 0 {
                return Err(Error("--keys must be at least 1".into()));
            }
            let mut key = 0u64;
            let points: Vec<(u64, u64)> = (0..a.keys as u64)
                .map(|i| {
                    // Gaps of varying scale, so the fit needs several segments.
                    let scale = 1 + (i / 512) % 7;
                    key = key.saturating_add(1 + rng.next_u64() % (1 << (4 * scale)));
                    (key, i)
                })
                .collect();
            let mut segs = vec![Segment::default(); MAX_SEGMENTS];
            let n = fit(&points, a.epsilon, &mut segs)
                .map_err(|e| Error(format!("cannot fit {} keys: {}", a.keys, e.reason())))?;
            let mut buf = vec![0u8; MAX_FILE_LEN];
            let len = encode_pla(meta, a.epsilon, a.keys as u64, &segs[..n], &mut buf)
                .map_err(|e| Error(e.reason().into()))?;
            buf.truncate(len);
            Ok(buf)
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// The `lrn inspect` report for `bytes`: `Ok(text)` for a valid file; for an invalid one
/// `Err((text, reason))` where `text` describes whatever header could be read.
pub fn inspect(bytes: &[u8]) -> Result<String, (String, Error)> {
    let mut s = String::new();
    if bytes.len() >= HEADER_LEN {
        let h = &bytes[..HEADER_LEN];
        let kind = u16_at(h, 6);
        let sid = u16_at(h, 8);
        let _ = writeln!(s, "magic:          {:?}", String::from_utf8_lossy(&h[..4]));
        let _ = writeln!(s, "format version: {}", u16_at(h, 4));
        let kname = Kind::from_u16(kind).map_or("unknown", Kind::name);
        let _ = writeln!(s, "kind:           {kind} ({kname})");
        let _ = writeln!(
            s,
            "schema:         {sid} ({}) v{}",
            schema::name(sid),
            u16_at(h, 10)
        );
        let _ = writeln!(s, "model id:       {:#010x}", u32_at(h, 12));
        let _ = writeln!(
            s,
            "payload length: {} (file {} bytes)",
            u32_at(h, 16),
            bytes.len()
        );
        let _ = writeln!(
            s,
            "flags:          {:#x}, reserved {:#x}",
            u32_at(h, 20),
            u32_at(h, 24)
        );
        let mut c = Crc32::new();
        c.update(&h[..28]);
        c.update(&bytes[HEADER_LEN..]);
        let (stored, computed) = (u32_at(h, 28), c.finish());
        let ok = if stored == computed {
            "valid"
        } else {
            "INVALID"
        };
        let _ = writeln!(
            s,
            "crc32:          {stored:#010x} (computed {computed:#010x}, {ok})"
        );
    }
    let model = match parse(bytes) {
        Ok(m) => m,
        Err(e) => return Err((s, Error(format!("invalid model: {}", e.reason())))),
    };
    match model.payload() {
        Payload::Mlp(m) => {
            let _ = writeln!(
                s,
                "mlp:            {} inputs, {} layers",
                m.inputs(),
                m.layer_count()
            );
            for i in 0..m.layer_count() {
                let l = m.layer(i).expect("layer in range");
                let _ = writeln!(
                    s,
                    "  layer {i}:      {} -> {}, multiplier {}, shift {}{}",
                    l.inputs(),
                    l.outputs(),
                    l.multiplier(),
                    l.shift(),
                    if l.relu() { ", relu" } else { "" }
                );
            }
        }
        Payload::Pla(p) => {
            let _ = writeln!(
                s,
                "pla:            {} segments, epsilon {}, {} positions",
                p.segment_count(),
                p.epsilon(),
                p.positions()
            );
            if let (Some(first), Some(last)) = (p.segment(0), p.segment(p.segment_count() - 1)) {
                let _ = writeln!(
                    s,
                    "  keys:         {} ..= {}+",
                    first.start_key, last.start_key
                );
            }
        }
    }
    s.push_str("valid\n");
    Ok(s)
}

/// The f64 reference: the same quantized model computed in floating point.
#[allow(clippy::float_arithmetic)]
pub mod reference {
    use learned_core::model::mlp::{Layer, Mlp, MAX_WIDTH};

    /// One layer with its weights, biases and scale as f64.
    #[derive(Clone, Debug)]
    pub struct RefLayer {
        inputs: usize,
        outputs: usize,
        scale: f64,
        relu: bool,
        weights: Vec<f64>,
        bias: Vec<f64>,
    }

    impl RefLayer {
        /// Converts a parsed layer.
        pub fn new(l: &Layer<'_>) -> Self {
            let (inputs, outputs) = (l.inputs(), l.outputs());
            let mut weights = Vec::with_capacity(inputs * outputs);
            for o in 0..outputs {
                for i in 0..inputs {
                    weights.push(f64::from(l.weight(o, i).expect("weight in range")));
                }
            }
            Self {
                inputs,
                outputs,
                // Exact: a 31-bit integer times a power of two.
                scale: f64::from(l.multiplier()) / f64::from(1u32 << l.shift()),
                relu: l.relu(),
                weights,
                bias: (0..outputs)
                    .map(|o| f64::from(l.bias(o).expect("bias in range")))
                    .collect(),
            }
        }

        /// `round(acc * scale)` per output (`f64::round`: half away from zero), clamped to
        /// int8 (then ReLU) on a hidden layer or to i32 on the last; written into `out`.
        pub fn forward(&self, x: &[f64], out: &mut [f64], last: bool) {
            for (o, dst) in out.iter_mut().enumerate().take(self.outputs) {
                let row = &self.weights[o * self.inputs..(o + 1) * self.inputs];
                let mut acc = self.bias[o];
                for (w, xi) in row.iter().zip(x) {
                    acc += w * xi;
                }
                let y = (acc * self.scale).round();
                *dst = if last {
                    y.clamp(f64::from(i32::MIN), f64::from(i32::MAX))
                } else {
                    let v = y.clamp(-128.0, 127.0);
                    if self.relu {
                        v.max(0.0)
                    } else {
                        v
                    }
                };
            }
        }

        /// The output count.
        pub fn outputs(&self) -> usize {
            self.outputs
        }
    }

    /// A whole MLP in f64.
    #[derive(Clone, Debug)]
    pub struct RefMlp {
        /// The layers.
        pub layers: Vec<RefLayer>,
    }

    impl RefMlp {
        /// Converts a parsed MLP.
        pub fn new(m: &Mlp<'_>) -> Self {
            Self {
                layers: (0..m.layer_count())
                    .map(|i| RefLayer::new(&m.layer(i).expect("layer in range")))
                    .collect(),
            }
        }

        /// Runs the model end to end: hands each hidden layer's activations to `observe`,
        /// writes the logits into `logits` and returns their count. No allocation.
        pub fn infer(
            &self,
            input: &[i8],
            logits: &mut [i64],
            mut observe: impl FnMut(usize, &[f64]),
        ) -> usize {
            let mut a = [0f64; MAX_WIDTH];
            let mut b = [0f64; MAX_WIDTH];
            for (d, &v) in a.iter_mut().zip(input) {
                *d = f64::from(v);
            }
            let mut width = input.len();
            let last = self.layers.len() - 1;
            for (i, l) in self.layers.iter().enumerate() {
                l.forward(&a[..width], &mut b, i == last);
                width = l.outputs();
                if i != last {
                    observe(i, &b[..width]);
                }
                std::mem::swap(&mut a, &mut b);
            }
            for (d, &v) in logits.iter_mut().zip(&a[..width]) {
                *d = v as i64;
            }
            width
        }
    }
}

/// `lrn inspect FILE`: the report, or the report so far and the reason it is invalid.
pub fn run_inspect(args: &InspectCli) -> Result<String, (String, Error)> {
    let path = &args.file;
    let bytes = std::fs::read(path)
        .map_err(|e| (String::new(), Error(format!("cannot read {path}: {e}"))))?;
    inspect(&bytes)
}

/// `lrn model synth|infer|import`: writes the model and returns a one-line summary, or the
/// inference.
pub(crate) fn run_model(cmd: &ModelCommand) -> Result<String, Error> {
    match cmd {
        ModelCommand::Synth(a) => {
            let a = a.clone().into_args();
            let bytes = synth(&a)?;
            std::fs::write(&a.out, &bytes)
                .map_err(|e| Error(format!("cannot write {}: {e}", a.out)))?;
            Ok(format!("wrote {} ({} bytes)\n", a.out, bytes.len()))
        }
        ModelCommand::Infer(a) => infer_cmd(a),
        ModelCommand::Import(a) => crate::evict_train::run_import(a),
    }
}

/// `lrn model infer --model FILE --input "V1 V2 ..."`: one inference, printed in the format
/// of the kernel's `<policy>/infer` file, so the guest tests can compare them exactly.
fn infer_cmd(args: &InferCli) -> Result<String, Error> {
    let (path, input) = (&args.model, &args.input);
    let bytes = std::fs::read(path).map_err(|e| Error(format!("cannot read {path}: {e}")))?;
    let m = learned_core::model::format::parse(&bytes)
        .map_err(|e| Error(format!("{path}: {}", e.reason())))?;
    let values: Vec<i64> = input
        .split_whitespace()
        .map(|v| {
            v.parse()
                .map_err(|_| Error(format!("bad input value {v:?}")))
        })
        .collect::<Result<_, _>>()?;
    if let Some(mlp) = m.mlp() {
        let features: Vec<i8> = values
            .iter()
            .map(|&v| i8::try_from(v).map_err(|_| Error(format!("{v} is not an int8 feature"))))
            .collect::<Result<_, _>>()?;
        let mut logits = [0i32; learned_core::model::mlp::MAX_OUTPUTS];
        let n = mlp
            .infer(&features, &mut logits)
            .map_err(|e| Error(e.reason().into()))?;
        let logits = &logits[..n];
        let mut out = learned_core::model::mlp::argmax(logits).to_string();
        for l in logits {
            out.push_str(&format!(" {l}"));
        }
        return Ok(out + "\n");
    }
    let pla = m.pla().ok_or_else(|| Error("unknown model kind".into()))?;
    let [key] = values[..] else {
        return Err(Error("a PLA model takes exactly one key".into()));
    };
    let key = u64::try_from(key).map_err(|_| Error(format!("{key} is not a key")))?;
    let p = pla.predict(key);
    Ok(format!("{} {} {}\n", p.pos, p.lo, p.hi))
}

/// `lrn bench-infer`: ns per inference, integer engine and f64 reference, on pseudo-random
/// inputs.
#[allow(clippy::float_arithmetic)]
pub fn run_bench(args: &BenchCli) -> Result<String, Error> {
    let (model, iters) = (&args.model, args.iters);
    let bytes = match &model {
        Some(p) => std::fs::read(p).map_err(|e| Error(format!("cannot read {p}: {e}")))?,
        None => synth(&SynthArgs {
            kind: Kind::Mlp,
            schema: schema::EVICT,
            seed: 1,
            inputs: 8,
            hidden: 32,
            outputs: 4,
            keys: 0,
            epsilon: 0,
            adversarial: false,
            constant: None,
            out: String::new(),
        })?,
    };
    let parsed =
        format::parse(&bytes).map_err(|e| Error(format!("invalid model: {}", e.reason())))?;
    let m: Mlp<'_> = parsed
        .mlp()
        .ok_or_else(|| Error("bench-infer needs an MLP model".into()))?;
    let mut rng = XorShift::new(42);
    let inputs: Vec<Vec<i8>> = (0..1024)
        .map(|_| (0..m.inputs()).map(|_| rng.i8()).collect())
        .collect();
    let shape: Vec<String> = std::iter::once(m.inputs())
        .chain((0..m.layer_count()).map(|i| m.layer(i).unwrap().outputs()))
        .map(|n| n.to_string())
        .collect();

    let mut logits = [0i32; 16];
    let mut sink = 0i64;
    let t = Instant::now();
    for i in 0..iters {
        let x = &inputs[(i % 1024) as usize];
        m.infer(std::hint::black_box(x), &mut logits).unwrap();
        sink = sink.wrapping_add(i64::from(std::hint::black_box(logits[0])));
    }
    let int_ns = t.elapsed().as_nanos() as f64 / iters as f64;
    let ref_iters = iters;
    let t = Instant::now();
    let r = reference::RefMlp::new(&m);
    let mut ref_logits = [0i64; 16];
    for i in 0..ref_iters {
        let x = &inputs[(i % 1024) as usize];
        r.infer(std::hint::black_box(x), &mut ref_logits, |_, _| {});
        sink = sink.wrapping_add(std::hint::black_box(ref_logits[0]));
    }
    let ref_ns = t.elapsed().as_nanos() as f64 / ref_iters as f64;
    std::hint::black_box(sink);
    Ok(format!(
        "model {} ({} layers)\ninteger engine: {int_ns:.1} ns/inference ({iters} iterations)\n\
         f64 reference: {ref_ns:.1} ns/inference ({ref_iters} iterations)\n\
         ratio f64/integer: {:.2}\n",
        shape.join("-"),
        m.layer_count(),
        ref_ns / int_ns
    ))
}
