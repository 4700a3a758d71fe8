// SPDX-License-Identifier: GPL-2.0

//! The scheduler policy on the host: synthetic event traces, the replay that turns a trace
//! into samples exactly as the kernel sees its tasks, and the trainer and evaluator of
//! `sched` v1 models.
//!
//! # Traces
//!
//! A trace is learned-core's text format ([`learned_sim::sched_trace`]): one
//! `<t_ns> <pid> <kind> <arg>` line per event. Recorded traces come from ftrace's text
//! output through `lrn sched import` ([`crate::ftrace`]); [`synth`] makes them from a small
//! simulated system. [`load_trace`] reads either kind the same way (gzip'ed or not,
//! [`read_input`]) and orders the events by time (stably, so events with the same time keep
//! their order).
//!
//! # The synthetic system ([`synth`])
//!
//! Two CPUs and a FIFO run queue. A task runs until its burst is done (a voluntary stop,
//! then a sleep), or until its 3 ms quantum ends with another task waiting (a preemption,
//! to the back of the queue). A waking task goes to an idle CPU after 2 to 30 µs, or
//! preempts a task that has run at least 1 ms, or waits. Tasks, in a fixed rotation:
//!
//! - *request*: bursts exponential with a mean of 50 to 500 µs (per task), sleeps 1 to
//!   20 ms, 90% of wakeups from an interrupt (the network);
//! - *batch*: bursts of 10 to 100 ms (log-uniform), sleeps of 0.1 to 2 ms, half the wakeups
//!   from an interrupt (the disk);
//! - *mixed*: phases of 20 to 200 bursts, alternating request-like bursts (mean 100 to
//!   400 µs, sleeps 1 to 20 ms) and long ones (2 to 40 ms, sleeps 0.5 to 5 ms);
//! - *periodic*: a timer wakeup every 4, 8, 10, 16 or 33 ms, a burst of 0.1 to 6 ms (per
//!   task, at most half the period) with ±20% jitter.
//!
//! It is not a faithful scheduler; it makes plausible event streams per task
//! (`w r (s0 r)* s1`), seeded and deterministic. Every task exits (`x`) at the end.
//!
//! # Samples ([`replay`])
//!
//! Each task's events go through learned-core's [`Task`], as in the kernel. At every
//! voluntary stop that ends a burst, once the task has [`MIN_HISTORY`] bursts, the features
//! are taken ([`features`]: what the kernel would feed the model there); the label is the
//! class of the task's next burst ([`class_of`]). A task that exits first gives no label for
//! its last features. Recorded and synthetic traces are replayed alike.
//!
//! # Training ([`train`])
//!
//! The samples of the training traces train a `14-32-32-5` ReLU MLP
//! ([`crate::train::fit`], softmax cross-entropy, unweighted), whose weight ranges are
//! evened out ([`equalize`]) before it is quantized with [`crate::quantize::quantize_as`]
//! (schema `sched` v1). The report ([`Report`]) is on the
//! held-out traces: the integer model as the kernel runs it ([`model_class`]), against the
//! rule (the class of the mean of the recorded bursts, [`rule_class`]), the last burst's
//! class, and the best constant answer (the most common class of the evaluated samples).
//! Deterministic: the same traces and seed write the same bytes.

#![allow(clippy::float_arithmetic)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use learned_core::model::format::{parse, ModelMeta};
use learned_core::model::mlp::Mlp;
use learned_core::model::schema;
use learned_core::sched::features::{
    class_of, features, model_class, rule_class, slice_ns, CLASSES, CLASS_BOUNDS_NS, FEATURES,
};
use learned_core::sched::{check_model, Task, MIN_HISTORY};
use learned_sim::sched_trace::{
    format_event, parse_line, Error as LineError, Event, Kind, MAX_LINE,
};

use crate::quantize::{self, float_argmax};
use crate::train::{fit, init_net, FitConfig, Rng};
use crate::Error;

/// Simulated CPUs.
pub const CPUS: usize = 2;
/// The quantum after which a running task yields to a waiting one, ns.
const QUANTUM_NS: u64 = 3_000_000;
/// A waking task preempts a task that has run at least this long, ns.
const WAKEUP_GRAN_NS: u64 = 1_000_000;

const US: f64 = 1_000.0;
const MS: f64 = 1_000_000.0;

/// What `lrn sched synth` simulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SynthConfig {
    /// The seed.
    pub seed: u64,
    /// Tasks.
    pub tasks: usize,
    /// Simulated time, s.
    pub seconds: u64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            tasks: 16,
            seconds: 10,
        }
    }
}

/// A synthetic task's behaviour.
#[derive(Clone, Copy, Debug)]
enum Behaviour {
    Request {
        mean_ns: f64,
    },
    Batch,
    Mixed {
        short_mean_ns: f64,
        short: bool,
        left: u32,
    },
    Periodic {
        period_ns: u64,
        phase_ns: u64,
        burst_ns: f64,
    },
}

/// Log-uniform in `[lo, hi)`.
fn log_uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.unit() * (hi.ln() - lo.ln())).exp()
}

/// Uniform in `[lo, hi)`.
fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + rng.unit() * (hi - lo)
}

/// Exponential with `mean`.
fn exponential(rng: &mut Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.unit()).ln()
}

impl Behaviour {
    /// The kind of task `i`: a fixed rotation, so that even a few tasks mix the kinds.
    fn new(i: usize, rng: &mut Rng) -> Self {
        const ROTATION: [u8; 8] = [0, 1, 2, 3, 0, 2, 0, 3];
        match ROTATION[i % ROTATION.len()] {
            0 => Self::Request {
                mean_ns: uniform(rng, 50.0 * US, 500.0 * US),
            },
            1 => Self::Batch,
            2 => Self::Mixed {
                short_mean_ns: uniform(rng, 100.0 * US, 400.0 * US),
                short: rng.below(2) == 0,
                left: 20 + rng.below(181) as u32,
            },
            _ => {
                let period_ns = [4, 8, 10, 16, 33][rng.below(5)] * 1_000_000u64;
                Self::Periodic {
                    period_ns,
                    phase_ns: rng.below(period_ns as usize) as u64,
                    burst_ns: log_uniform(rng, 100.0 * US, 6.0 * MS).min(period_ns as f64 / 2.0),
                }
            }
        }
    }

    /// The next burst's CPU time, ns, and whether its wakeup came from an interrupt.
    fn burst(&mut self, rng: &mut Rng) -> (u64, bool) {
        let (ns, irq) = match self {
            Self::Request { mean_ns } => (exponential(rng, *mean_ns), rng.below(10) != 0),
            Self::Batch => (log_uniform(rng, 10.0 * MS, 100.0 * MS), rng.below(2) == 0),
            Self::Mixed {
                short_mean_ns,
                short,
                left,
            } => {
                if *left == 0 {
                    *short = !*short;
                    *left = 20 + rng.below(181) as u32;
                }
                *left -= 1;
                if *short {
                    (exponential(rng, *short_mean_ns), rng.below(2) == 0)
                } else {
                    (log_uniform(rng, 2.0 * MS, 40.0 * MS), rng.below(10) == 0)
                }
            }
            Self::Periodic { burst_ns, .. } => (*burst_ns * uniform(rng, 0.8, 1.2), true),
        };
        ((ns as u64).clamp(2_000, 1_000_000_000), irq)
    }

    /// When the task wakes after a burst that ended at `now`.
    fn wake_at(&self, now: u64, rng: &mut Rng) -> u64 {
        let sleep = match self {
            Self::Request { .. } => uniform(rng, 1.0 * MS, 20.0 * MS),
            Self::Batch => uniform(rng, 0.1 * MS, 2.0 * MS),
            Self::Mixed { short: true, .. } => uniform(rng, 1.0 * MS, 20.0 * MS),
            Self::Mixed { short: false, .. } => uniform(rng, 0.5 * MS, 5.0 * MS),
            Self::Periodic {
                period_ns,
                phase_ns,
                ..
            } => {
                // The next period boundary after now.
                let k = now.saturating_sub(*phase_ns) / period_ns + 1;
                return phase_ns + k * period_ns;
            }
        };
        now + sleep as u64
    }
}

/// A simulated task.
struct SimTask {
    pid: u32,
    behaviour: Behaviour,
    /// CPU time left in the current burst, ns.
    left: u64,
}

/// A CPU's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cpu {
    Idle,
    /// A dispatch is on its way.
    Pending,
    /// Running `task` since `since` (the last accounting), its segment started at `start`.
    Busy {
        task: usize,
        since: u64,
        start: u64,
    },
}

/// A simulator event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum SimEv {
    Wake(usize),
    Dispatch(usize),
    /// The running task's burst or quantum ends (valid while the CPU's token matches).
    Tick(usize, u64),
    /// A waking task preempts the CPU (valid while the token matches).
    Preempt(usize, u64),
}

/// A seeded synthetic trace (see the module documentation), in time order.
pub fn synth(cfg: &SynthConfig) -> Vec<Event> {
    let mut rng = Rng::new(cfg.seed ^ 0x5c4e_d000);
    let mut tasks: Vec<SimTask> = (0..cfg.tasks)
        .map(|i| SimTask {
            pid: 1000 + i as u32,
            behaviour: Behaviour::new(i, &mut rng),
            left: 0,
        })
        .collect();
    let end = cfg.seconds.saturating_mul(1_000_000_000);
    let mut out = Vec::new();
    let mut heap: BinaryHeap<Reverse<(u64, u64, SimEv)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut push = |heap: &mut BinaryHeap<_>, t: u64, ev: SimEv| {
        seq += 1;
        heap.push(Reverse((t, seq, ev)));
    };
    for (i, t) in tasks.iter().enumerate() {
        let first = match t.behaviour {
            Behaviour::Periodic { phase_ns, .. } => phase_ns,
            _ => rng.below(20_000_000) as u64,
        };
        push(&mut heap, first, SimEv::Wake(i));
    }
    let mut cpus = [Cpu::Idle; CPUS];
    let mut tokens = [0u64; CPUS];
    let mut queue: VecDeque<usize> = VecDeque::new();
    let emit =
        |out: &mut Vec<Event>, t: u64, pid: u32, kind: Kind| out.push(Event { t_ns: t, pid, kind });
    while let Some(Reverse((now, _, ev))) = heap.pop() {
        if now > end {
            break;
        }
        match ev {
            SimEv::Wake(i) => {
                let t = &mut tasks[i];
                let (burst, irq) = t.behaviour.burst(&mut rng);
                t.left = burst;
                emit(&mut out, now, t.pid, Kind::Wake { irq });
                queue.push_back(i);
                if let Some(c) = cpus.iter().position(|c| *c == Cpu::Idle) {
                    cpus[c] = Cpu::Pending;
                    let lat = 2_000 + rng.below(28_000) as u64;
                    push(&mut heap, now + lat, SimEv::Dispatch(c));
                } else if let Some(c) = (0..CPUS).find(|&c| {
                    matches!(cpus[c], Cpu::Busy { start, .. } if now - start >= WAKEUP_GRAN_NS)
                }) {
                    tokens[c] += 1;
                    push(&mut heap, now + 5_000, SimEv::Preempt(c, tokens[c]));
                }
            }
            SimEv::Dispatch(c) => {
                if let Some((t, ev)) =
                    dispatch(c, now, &mut cpus, &mut tokens, &mut queue, &tasks, &mut out)
                {
                    push(&mut heap, t, ev);
                }
            }
            SimEv::Tick(c, token) | SimEv::Preempt(c, token) => {
                let Cpu::Busy { task, since, start } = cpus[c] else {
                    continue;
                };
                if token != tokens[c] {
                    continue;
                }
                let preempt = matches!(ev, SimEv::Preempt(..));
                let t = &mut tasks[task];
                t.left = t.left.saturating_sub(now - since);
                if t.left == 0 {
                    emit(&mut out, now, t.pid, Kind::Stop { voluntary: true });
                    let wake = t.behaviour.wake_at(now, &mut rng);
                    push(&mut heap, wake, SimEv::Wake(task));
                } else if !queue.is_empty() && (preempt || now - start >= QUANTUM_NS) {
                    emit(&mut out, now, t.pid, Kind::Stop { voluntary: false });
                    queue.push_back(task);
                } else {
                    // Nobody waits (or the waking task went to another CPU): run on.
                    cpus[c] = Cpu::Busy {
                        task,
                        since: now,
                        start,
                    };
                    tokens[c] += 1;
                    let step = t.left.min(QUANTUM_NS);
                    push(&mut heap, now + step, SimEv::Tick(c, tokens[c]));
                    continue;
                }
                if let Some((t, ev)) =
                    dispatch(c, now, &mut cpus, &mut tokens, &mut queue, &tasks, &mut out)
                {
                    push(&mut heap, t, ev);
                }
            }
        }
    }
    for t in &tasks {
        emit(&mut out, end, t.pid, Kind::Exit);
    }
    out
}

/// Puts the next waiting task on CPU `c` at `now` (or leaves it idle); returns the tick to
/// schedule.
fn dispatch(
    c: usize,
    now: u64,
    cpus: &mut [Cpu; CPUS],
    tokens: &mut [u64; CPUS],
    queue: &mut VecDeque<usize>,
    tasks: &[SimTask],
    out: &mut Vec<Event>,
) -> Option<(u64, SimEv)> {
    let Some(i) = queue.pop_front() else {
        cpus[c] = Cpu::Idle;
        return None;
    };
    let t = &tasks[i];
    out.push(Event {
        t_ns: now,
        pid: t.pid,
        kind: Kind::Run,
    });
    cpus[c] = Cpu::Busy {
        task: i,
        since: now,
        start: now,
    };
    tokens[c] += 1;
    Some((now + t.left.min(QUANTUM_NS), SimEv::Tick(c, tokens[c])))
}

/// `events` in the text format.
pub fn format_trace(events: &[Event]) -> String {
    let mut s = String::with_capacity(events.len() * 24);
    let mut buf = [0u8; MAX_LINE];
    for e in events {
        let n = format_event(e, &mut buf);
        s.push_str(std::str::from_utf8(&buf[..n]).unwrap_or_default());
    }
    s
}

/// Parses a trace's text, skipping blank and comment lines, and orders the events by time
/// (stably).
pub fn parse_trace(text: &[u8]) -> Result<Vec<Event>, Error> {
    let mut out = Vec::new();
    for (k, line) in text.split(|&b| b == b'\n').enumerate() {
        match parse_line(line) {
            Ok(e) => out.push(e),
            Err(LineError::Blank) => {}
            Err(e) => {
                return Err(Error(format!(
                    "line {}: {} ({:?})",
                    k + 1,
                    e.reason(),
                    String::from_utf8_lossy(line)
                )))
            }
        }
    }
    out.sort_by_key(|e| e.t_ns);
    Ok(out)
}

/// The bytes of the file `path` (`-`: stdin), decompressed through `gzip -dc` when they
/// start with gzip's magic bytes (no gzip crate is available offline).
pub fn read_input(path: &str) -> Result<Vec<u8>, Error> {
    let bytes = if path == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut b)
            .map_err(|e| Error(format!("cannot read stdin: {e}")))?;
        b
    } else {
        std::fs::read(path).map_err(|e| Error(format!("cannot read {path}: {e}")))?
    };
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut child = std::process::Command::new("gzip")
        .arg("-dc")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| Error(format!("{path}: gzip'ed, but cannot run gzip: {e}")))?;
    // Feed gzip from a thread while this one reads its output (no pipe deadlock).
    let mut stdin = child.stdin.take();
    let feeder = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            // A write error shows as gzip's failure below.
            let _ = std::io::Write::write_all(s, &bytes);
        }
    });
    let out = child
        .wait_with_output()
        .map_err(|e| Error(format!("{path}: gzip: {e}")))?;
    let _ = feeder.join();
    // 2: a warning only (e.g. trailing zeros after the stream, ignored).
    if !out.status.success() && out.status.code() != Some(2) {
        return Err(Error(format!(
            "{path}: gzip -dc failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// Reads a trace file ([`parse_trace`]), gzip'ed or not ([`read_input`]).
pub fn load_trace(path: &str) -> Result<Vec<Event>, Error> {
    let bytes = read_input(path).map_err(|e| Error(format!("cannot read trace: {e}")))?;
    parse_trace(&bytes).map_err(|e| Error(format!("{path}: {e}")))
}

/// One sample: what the kernel would have asked the model, and what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// The task.
    pub pid: u32,
    /// The features after a voluntary stop.
    pub features: [i8; FEATURES],
    /// The class of the burst that followed.
    pub label: u8,
    /// The rule's class there ([`rule_class`]).
    pub rule: u8,
    /// The class of the burst that had just ended.
    pub last: u8,
}

/// Replays `events` (in order) through learned-core's [`Task`] per pid and returns the
/// labelled samples, in the order their labels became known (see the module
/// documentation).
pub fn replay(events: &[Event]) -> Vec<Sample> {
    let mut tasks: HashMap<u32, Task> = HashMap::new();
    let mut pending: HashMap<u32, Sample> = HashMap::new();
    let mut out = Vec::new();
    for e in events {
        if e.kind == Kind::Exit {
            tasks.remove(&e.pid);
            pending.remove(&e.pid);
            continue;
        }
        let t = tasks.entry(e.pid).or_default();
        match e.kind {
            Kind::Wake { irq } => t.wake(e.t_ns, irq),
            Kind::Run => {
                t.run(e.t_ns);
            }
            Kind::Stop { voluntary } => {
                let Some(burst) = t.stop(e.t_ns, voluntary) else {
                    continue;
                };
                let label = class_of(burst);
                if let Some(mut s) = pending.remove(&e.pid) {
                    s.label = label;
                    out.push(s);
                }
                if t.bursts() >= MIN_HISTORY {
                    pending.insert(
                        e.pid,
                        Sample {
                            pid: e.pid,
                            features: features(t),
                            label: 0,
                            rule: rule_class(t).unwrap_or(label),
                            last: label,
                        },
                    );
                }
            }
            Kind::Exit => {}
        }
    }
    out
}

/// What one predictor got right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scores {
    /// `confusion[true][predicted]`.
    pub confusion: [[u64; CLASSES]; CLASSES],
}

impl Scores {
    fn add(&mut self, truth: u8, predicted: u8) {
        let (t, p) = (usize::from(truth), usize::from(predicted));
        if t < CLASSES && p < CLASSES {
            self.confusion[t][p] += 1;
        }
    }

    /// Samples scored.
    pub fn total(&self) -> u64 {
        self.confusion.iter().flatten().sum()
    }

    /// The share predicted right.
    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..CLASSES).map(|c| self.confusion[c][c]).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// The share of class `c`'s samples predicted right.
    pub fn recall(&self, c: usize) -> f64 {
        let n: u64 = self.confusion[c].iter().sum();
        self.confusion[c][c] as f64 / n.max(1) as f64
    }

    /// The share of samples whose next burst was long (class 3 or 4) given a short slice
    /// (class 0 or 1): the costly mistake (more preemptions of a long burst).
    pub fn short_for_long(&self) -> f64 {
        let mut n = 0;
        for row in self.confusion.iter().skip(3) {
            n += row[0] + row[1];
        }
        n as f64 / self.total().max(1) as f64
    }
}

/// The accuracy report of a model on samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The integer model, as the kernel runs it.
    pub model: Scores,
    /// The float network before quantization, when known.
    pub float_accuracy: Option<f64>,
    /// The rule: the class of the mean of the recorded bursts.
    pub rule: Scores,
    /// The last burst's class.
    pub last: Scores,
    /// The most common class of the samples.
    pub majority_class: u8,
    /// Its accuracy.
    pub majority: f64,
}

/// Scores `mlp` (a `sched` v1 model), the rule, the last burst and the majority class on
/// `samples`.
pub fn evaluate(mlp: &Mlp<'_>, samples: &[Sample]) -> Result<Report, Error> {
    check_model(mlp).map_err(|e| Error(e.reason().into()))?;
    let (mut model, mut rule, mut last) = (Scores::default(), Scores::default(), Scores::default());
    let mut counts = [0u64; CLASSES];
    for s in samples {
        let c = model_class(mlp, &s.features).ok_or_else(|| Error("inference failed".into()))?;
        model.add(s.label, c);
        rule.add(s.label, s.rule);
        last.add(s.label, s.last);
        counts[usize::from(s.label).min(CLASSES - 1)] += 1;
    }
    let (mut majority_class, mut best) = (0u8, 0u64);
    for (c, &n) in counts.iter().enumerate() {
        if n > best {
            (majority_class, best) = (c as u8, n);
        }
    }
    Ok(Report {
        model,
        float_accuracy: None,
        rule,
        last,
        majority_class,
        majority: best as f64 / samples.len().max(1) as f64,
    })
}

/// A class's burst range, for the report.
fn class_range(c: usize) -> String {
    let ms = |ns: u64| {
        if ns < 1_000_000 {
            format!("{} µs", ns / 1000)
        } else {
            format!("{} ms", ns / 1_000_000)
        }
    };
    match c {
        0 => format!("< {}", ms(CLASS_BOUNDS_NS[0])),
        c if c + 1 == CLASSES => format!(">= {}", ms(CLASS_BOUNDS_NS[c - 1])),
        c => format!(
            "{} to {}",
            ms(CLASS_BOUNDS_NS[c - 1]),
            ms(CLASS_BOUNDS_NS[c])
        ),
    }
}

impl Report {
    /// The tables `lrn sched train` and `eval` print.
    pub fn table(&self) -> String {
        let mut s = format!("samples: {}\n\n", self.model.total());
        s += "| predictor | accuracy | short slice for a long burst |\n|---|---:|---:|\n";
        s += &format!(
            "| model (integer, as the kernel runs it) | {:.3} | {:.3} |\n",
            self.model.accuracy(),
            self.model.short_for_long()
        );
        if let Some(f) = self.float_accuracy {
            s += &format!("| model (float, before quantization) | {f:.3} | |\n");
        }
        s += &format!(
            "| rule: class of the mean of recent bursts | {:.3} | {:.3} |\n",
            self.rule.accuracy(),
            self.rule.short_for_long()
        );
        s += &format!(
            "| the last burst's class | {:.3} | {:.3} |\n",
            self.last.accuracy(),
            self.last.short_for_long()
        );
        s += &format!(
            "| majority class ({}) | {:.3} | |\n\n",
            self.majority_class, self.majority
        );
        s += "| class | next burst | slice | samples | model recall | rule recall | last-burst recall |\n|---:|---|---|---:|---:|---:|---:|\n";
        for c in 0..CLASSES {
            let slice = match slice_ns(c as u8) {
                0 => "default".to_string(),
                ns => format!("{} µs", ns / 1000),
            };
            s += &format!(
                "| {c} | {} | {slice} | {} | {:.3} | {:.3} | {:.3} |\n",
                class_range(c),
                self.model.confusion[c].iter().sum::<u64>(),
                self.model.recall(c),
                self.rule.recall(c),
                self.last.recall(c)
            );
        }
        s += "\nconfusion (rows: the next burst's class, columns: the model's):\n\n| | 0 | 1 | 2 | 3 | 4 |\n|---:|---:|---:|---:|---:|---:|\n";
        for (c, row) in self.model.confusion.iter().enumerate() {
            let cells: Vec<String> = row.iter().map(u64::to_string).collect();
            s += &format!("| {c} | {} |\n", cells.join(" | "));
        }
        s
    }
}

/// Training settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// The seed of the network and the sample order.
    pub seed: u64,
    /// Hidden layer width.
    pub hidden: usize,
    /// Optimizer settings.
    pub fit: FitConfig,
    /// The most training samples used (a seeded random subset above that).
    pub max_samples: usize,
    /// The model id in the file.
    pub model_id: u32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            hidden: 32,
            fit: FitConfig {
                epochs: 30,
                batch: 64,
                lr: 3e-3,
            },
            max_samples: 200_000,
            model_id: 0x5ced_0001,
        }
    }
}

/// What [`train`] made and measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// The `.lmod` file.
    pub model: Vec<u8>,
    /// Training samples used.
    pub train_samples: usize,
    /// The report on the (first) held-out set.
    pub report: Report,
    /// Float vs integer argmax agreement on the (first) held-out set's samples.
    pub agreement: f64,
    /// The report and the agreement on every held-out set, in [`train_sets`]'s order.
    pub sets: Vec<(Report, f64)>,
}

/// Trains a `sched` v1 model on `train_set` and reports on `held_out` (see the module
/// documentation).
pub fn train(
    train_set: &[Sample],
    held_out: &[Sample],
    cfg: &TrainConfig,
) -> Result<TrainReport, Error> {
    train_sets(train_set, &[held_out], cfg)
}

/// [`train`], reporting on each of the held-out sets `sets` on its own (at least one; none
/// empty). The sets do not influence the model.
pub fn train_sets(
    train_set: &[Sample],
    sets: &[&[Sample]],
    cfg: &TrainConfig,
) -> Result<TrainReport, Error> {
    if train_set.len() < 100 {
        return Err(Error(format!(
            "only {} training samples: longer or more traces are needed",
            train_set.len()
        )));
    }
    if sets.is_empty() || sets.iter().any(|s| s.is_empty()) {
        return Err(Error("no held-out samples".into()));
    }
    let mut rng = Rng::new(cfg.seed);
    let mut data: Vec<([i8; FEATURES], usize)> = train_set
        .iter()
        .map(|s| (s.features, usize::from(s.label)))
        .collect();
    rng.shuffle(&mut data);
    data.truncate(cfg.max_samples);
    let dims = [FEATURES, cfg.hidden, cfg.hidden, CLASSES];
    let mut net = init_net(&dims, &mut rng);
    fit(&mut net, &data, &[1.0; CLASSES], cfg.fit, &mut rng);
    for _ in 0..EQUALIZE_ROUNDS {
        equalize(&mut net);
    }
    let calib: Vec<[i8; FEATURES]> = data.iter().take(20_000).map(|s| s.0).collect();
    let meta = ModelMeta {
        schema_id: schema::SCHED,
        schema_version: schema::SCHED_VERSION,
        model_id: cfg.model_id,
    };
    let q = quantize::quantize_as(&net, &calib, meta)?;
    let model = parse(&q.bytes).map_err(|e| Error(e.reason().into()))?;
    let mlp = model.mlp().ok_or_else(|| Error("not an MLP".into()))?;
    let mut reports = Vec::with_capacity(sets.len());
    for held_out in sets {
        let mut report = evaluate(&mlp, held_out)?;
        let (mut right, mut agree) = (0usize, 0usize);
        for s in held_out.iter() {
            let f = float_argmax(&net.logits(&s.features));
            right += usize::from(f == usize::from(s.label));
            let c = model_class(&mlp, &s.features).map_or(usize::MAX, usize::from);
            agree += usize::from(f == c);
        }
        let n = held_out.len() as f64;
        report.float_accuracy = Some(right as f64 / n);
        reports.push((report, agree as f64 / n));
    }
    let (report, agreement) = reports
        .first()
        .cloned()
        .ok_or_else(|| Error("no held-out samples".into()))?;
    Ok(TrainReport {
        model: q.bytes,
        train_samples: data.len(),
        report,
        agreement,
        sets: reports,
    })
}

/// Rounds of [`equalize`] before quantization.
const EQUALIZE_ROUNDS: usize = 4;

/// Cross-layer equalization (Nagel et al., "Data-Free Quantization Through Weight
/// Equalization and Bias Correction", ICCV '19): for every hidden unit, divides its incoming
/// weights and bias by `s = √(r_in / r_out)` and multiplies its outgoing weights by `s`, where
/// `r_in` and `r_out` are the largest of each in magnitude. ReLU commutes with a positive
/// scale, so the network computes the same function; but the weight ranges of the units even
/// out, and [`quantize::quantize_as`]'s one scale per layer no longer spends its 8 bits on one
/// large weight. Without it, the integer model disagreed with the float one on up to 19% of
/// the held-out samples (the classes 0 and 1 are often close calls); with it, on about 2 to 3%.
pub fn equalize(net: &mut quantize::FloatMlp) {
    for l in 1..net.layers.len() {
        let (head, tail) = net.layers.split_at_mut(l);
        let (Some(cur), Some(next)) = (head.last_mut(), tail.first_mut()) else {
            continue;
        };
        if !cur.relu {
            continue;
        }
        for j in 0..cur.outputs {
            let row = &mut cur.weights[j * cur.inputs..(j + 1) * cur.inputs];
            let r_in = row.iter().fold(0f64, |m, w| m.max(w.abs()));
            let r_out =
                (0..next.outputs).fold(0f64, |m, o| m.max(next.weights[o * next.inputs + j].abs()));
            if r_in <= 0.0 || r_out <= 0.0 {
                continue;
            }
            let s = (r_in / r_out).sqrt();
            row.iter_mut().for_each(|w| *w /= s);
            cur.bias[j] /= s;
            for o in 0..next.outputs {
                next.weights[o * next.inputs + j] *= s;
            }
        }
    }
}

/// The samples of the trace files `paths`, each replayed on its own.
pub fn samples_of(paths: &[String]) -> Result<Vec<Sample>, Error> {
    let mut out = Vec::new();
    for p in paths {
        out.extend(replay(&load_trace(p)?));
    }
    Ok(out)
}

/// The scheduler's model on the host: synthetic traces, recorded ones imported from ftrace,
/// and the trainer and evaluator of sched v1 models.
///
/// Trace files and the ftrace text of import may be gzip'ed (read through gzip -dc); FILE - is
/// stdin.
// No doc comments on the variants: they would replace their arguments' (the help).
#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum SchedCommand {
    Synth(SynthCli),
    Train(TrainCli),
    Eval(EvalCli),
    Import(crate::ftrace::ImportCli),
}

/// Writes a synthetic scheduler event trace.
///
/// N tasks (--tasks) of the request, batch, mixed and periodic kinds on 2 simulated CPUs for
/// T seconds (--seconds).
#[derive(Debug, Clone, clap::Args)]
pub struct SynthCli {
    /// The seed.
    #[arg(long, value_name = "S", default_value_t = SynthConfig::default().seed)]
    pub seed: u64,
    /// Tasks, 1 to 100000.
    #[arg(long, value_name = "N", default_value_t = SynthConfig::default().tasks,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub tasks: usize,
    /// Simulated seconds, 1 to 3600.
    #[arg(long, value_name = "T", default_value_t = SynthConfig::default().seconds,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub seconds: u64,
    /// The trace file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
}

/// Trains a sched v1 model on the traces' samples.
///
/// Prints its accuracy on the held-out traces against the mean-burst rule, the last burst and
/// the majority class, one report per held-out set: --holdout-set names the set of the
/// --holdout-trace files after it (until the next --holdout-set; a name given again adds to
/// its set). Deterministic: the same traces and seed write the same bytes.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainCli {
    /// A trace to train on (repeatable), gzip'ed or not, - for stdin.
    #[arg(long, value_name = "FILE", required = true)]
    pub trace: Vec<String>,
    /// The held-out sets.
    #[command(flatten)]
    pub holdout: HoldoutSets,
    /// The seed of the network and the sample order.
    #[arg(long, value_name = "S", default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Passes over the samples.
    #[arg(long, value_name = "E", default_value_t = TrainConfig::default().fit.epochs)]
    pub epochs: usize,
    /// The model file to write.
    #[arg(long, value_name = "FILE")]
    pub out: String,
}

/// The held-out sets of `lrn sched train`, in the order they are first named, with their
/// traces: `--holdout-trace FILE` joins the set named by the last `--holdout-set NAME` before
/// it (`held-out` before any). Parsed from the order of the options, so by hand, not derived.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HoldoutSets(pub Vec<(String, Vec<String>)>);

/// The name of the held-out set before any `--holdout-set`.
pub const DEFAULT_HOLDOUT_SET: &str = "held-out";

impl clap::FromArgMatches for HoldoutSets {
    fn from_arg_matches(m: &clap::ArgMatches) -> Result<Self, clap::Error> {
        let occurrences = |id: &str| {
            m.indices_of(id)
                .into_iter()
                .flatten()
                .zip(m.get_many::<String>(id).into_iter().flatten())
                .map(move |(i, v)| (i, id == "holdout_set", v.clone()))
                .collect::<Vec<_>>()
        };
        let mut all = occurrences("holdout_set");
        all.extend(occurrences("holdout_trace"));
        all.sort_by_key(|o| o.0);
        let mut sets: Vec<(String, Vec<String>)> = Vec::new();
        let mut set = DEFAULT_HOLDOUT_SET.to_string();
        for (_, is_name, v) in all {
            if is_name {
                set = v;
            } else {
                match sets.iter_mut().find(|(n, _)| *n == set) {
                    Some((_, files)) => files.push(v),
                    None => sets.push((set.clone(), vec![v])),
                }
            }
        }
        Ok(Self(sets))
    }

    fn update_from_arg_matches(&mut self, m: &clap::ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl clap::Args for HoldoutSets {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.arg(
            clap::Arg::new("holdout_set")
                .long("holdout-set")
                .value_name("NAME")
                .action(clap::ArgAction::Append)
                .help("Names the held-out set of the --holdout-trace files after it (repeatable)"),
        )
        .arg(
            clap::Arg::new("holdout_trace")
                .long("holdout-trace")
                .value_name("FILE")
                .action(clap::ArgAction::Append)
                .required(true)
                .help(
                    "A held-out trace, of the set last named (repeatable) [default set: held-out]",
                ),
        )
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Self::augment_args(cmd)
    }
}

/// Evaluates a sched v1 model on traces: the report of lrn sched train.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalCli {
    /// The model file.
    #[arg(long, value_name = "FILE")]
    pub model: String,
    /// A trace (repeatable: the samples of every trace are pooled), gzip'ed or not, - for
    /// stdin.
    #[arg(long, value_name = "FILE", required = true)]
    pub trace: Vec<String>,
}

/// `lrn sched synth|train|eval|import`.
pub(crate) fn run(cmd: &SchedCommand) -> Result<String, Error> {
    match cmd {
        SchedCommand::Synth(a) => run_synth(a),
        SchedCommand::Train(a) => run_train(a),
        SchedCommand::Eval(a) => run_eval(a),
        SchedCommand::Import(a) => crate::ftrace::run_import(a),
    }
}

fn run_synth(args: &SynthCli) -> Result<String, Error> {
    let cfg = SynthConfig {
        seed: args.seed,
        tasks: args.tasks,
        seconds: args.seconds,
    };
    let out = &args.out;
    let events = synth(&cfg);
    std::fs::write(out, format_trace(&events)).map_err(|e| Error(format!("{out}: {e}")))?;
    Ok(format!(
        "{} events of {} tasks over {} s -> {out}\n",
        events.len(),
        cfg.tasks,
        cfg.seconds
    ))
}

fn run_train(args: &TrainCli) -> Result<String, Error> {
    let defaults = TrainConfig::default();
    let cfg = TrainConfig {
        seed: args.seed,
        fit: FitConfig {
            epochs: args.epochs,
            ..defaults.fit
        },
        ..defaults
    };
    let (traces, out) = (&args.trace, &args.out);
    let holdout = &args.holdout.0;
    let train_set = samples_of(traces)?;
    let mut held_out = Vec::with_capacity(holdout.len());
    for (name, files) in holdout {
        let s = samples_of(files)?;
        if s.is_empty() {
            return Err(Error(format!("held-out set {name}: no samples")));
        }
        held_out.push(s);
    }
    let sets: Vec<&[Sample]> = held_out.iter().map(Vec::as_slice).collect();
    let r = train_sets(&train_set, &sets, &cfg)?;
    std::fs::write(out, &r.model).map_err(|e| Error(format!("{out}: {e}")))?;
    let mut s = format!(
        "sched v1 model: {} bytes ({FEATURES}-{h}-{h}-{CLASSES}, model id {:#010x}) -> {out}\n\
         training samples: {} (of {}) from {} trace(s)\n",
        r.model.len(),
        cfg.model_id,
        r.train_samples,
        train_set.len(),
        traces.len(),
        h = cfg.hidden,
    );
    for ((name, files), (report, agreement)) in holdout.iter().zip(&r.sets) {
        s += &format!(
            "\n## held out: {name}, {} trace(s)\n\n\
             float/integer agreement on the held-out samples: {agreement:.3}\n{}",
            files.len(),
            report.table()
        );
    }
    Ok(s)
}

fn run_eval(args: &EvalCli) -> Result<String, Error> {
    let (path, traces) = (&args.model, &args.trace);
    let bytes = std::fs::read(path).map_err(|e| Error(format!("{path}: {e}")))?;
    let model = parse(&bytes).map_err(|e| Error(format!("{path}: {}", e.reason())))?;
    let h = model.header();
    if h.schema_id != schema::SCHED || h.schema_version != schema::SCHED_VERSION {
        return Err(Error(format!(
            "{path}: schema {} v{}, not sched v{}",
            schema::name(h.schema_id),
            h.schema_version,
            schema::SCHED_VERSION
        )));
    }
    let mlp = model
        .mlp()
        .ok_or_else(|| Error(format!("{path}: not an MLP")))?;
    let samples = samples_of(traces)?;
    let r = evaluate(&mlp, &samples)?;
    Ok(format!(
        "sched v1 model {path} ({} bytes) on {} trace(s)\n{}",
        bytes.len(),
        traces.len(),
        r.table()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `lrn sched ARGS` through the command line's parser.
    fn parse(args: &[&str]) -> SchedCommand {
        let mut all = vec!["sched"];
        all.extend_from_slice(args);
        match crate::cli::tests::parse(&all) {
            Ok(crate::cli::Command::Sched(c)) => c,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn holdout_sets_follow_the_order_of_the_options() {
        let SchedCommand::Train(a) = parse(&[
            "train",
            "--trace",
            "t1",
            "--holdout-trace",
            "a",
            "--holdout-set",
            "x",
            "--holdout-trace",
            "b",
            "--trace",
            "t2",
            "--holdout-trace=c",
            "--holdout-set",
            "held-out",
            "--holdout-trace",
            "d",
            "--holdout-set",
            "unused",
            "--seed",
            "3",
            "--out",
            "m",
        ]) else {
            panic!("not train")
        };
        let set = |n: &str, f: &[&str]| (n.to_string(), f.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            a.holdout,
            HoldoutSets(vec![set("held-out", &["a", "d"]), set("x", &["b", "c"])])
        );
        assert_eq!(a.trace, ["t1", "t2"]);
        let defaults = TrainConfig::default();
        assert_eq!(
            (a.seed, a.epochs, a.out.as_str()),
            (3, defaults.fit.epochs, "m")
        );
        let SchedCommand::Train(a) = parse(&[
            "train",
            "--trace",
            "t",
            "--holdout-trace",
            "h",
            "--out",
            "m",
        ]) else {
            panic!("not train")
        };
        assert_eq!(
            a.holdout,
            HoldoutSets(vec![set(DEFAULT_HOLDOUT_SET, &["h"])])
        );
        assert_eq!(a.seed, defaults.seed);
    }

    #[test]
    fn synth_eval_and_import_arguments() {
        let SchedCommand::Synth(a) = parse(&["synth", "--out", "o"]) else {
            panic!("not synth")
        };
        let d = SynthConfig::default();
        assert_eq!((a.seed, a.tasks, a.seconds), (d.seed, d.tasks, d.seconds));
        let SchedCommand::Synth(a) = parse(&[
            "synth",
            "--seed",
            "9",
            "--tasks",
            "100000",
            "--seconds",
            "3600",
            "--out",
            "o",
        ]) else {
            panic!("not synth")
        };
        assert_eq!((a.seed, a.tasks, a.seconds), (9, 100_000, 3600));
        let SchedCommand::Eval(a) =
            parse(&["eval", "--trace", "a", "--model", "m", "--trace", "-"])
        else {
            panic!("not eval")
        };
        assert_eq!(
            (a.model.as_str(), a.trace.as_slice()),
            ("m", &["a".to_string(), "-".into()][..])
        );
        let SchedCommand::Import(a) = parse(&[
            "import",
            "--tracefs",
            "-",
            "--comm",
            "x",
            "--comm",
            "y z",
            "--out",
            "o",
        ]) else {
            panic!("not import")
        };
        assert_eq!(
            (a.tracefs.as_str(), a.comm.len(), a.out.as_str()),
            ("-", 2, "o")
        );
    }

    #[test]
    fn class_ranges_read_well() {
        assert_eq!(class_range(0), "< 200 µs");
        assert_eq!(class_range(1), "200 µs to 1 ms");
        assert_eq!(class_range(3), "4 ms to 16 ms");
        assert_eq!(class_range(4), ">= 16 ms");
    }

    #[test]
    fn equalization_keeps_the_function_and_evens_the_ranges() {
        let mut rng = Rng::new(9);
        let mut net = init_net(&[4, 6, 5, 3], &mut rng);
        for l in &mut net.layers {
            l.bias.iter_mut().for_each(|b| *b = rng.unit() - 0.5);
        }
        // One hidden unit with a huge outgoing weight and tiny incoming ones.
        net.layers[1].weights[2] = 40.0;
        net.layers[0].weights[2 * 4..3 * 4]
            .iter_mut()
            .for_each(|w| *w *= 0.01);
        let xs: Vec<[i8; 4]> = (0..50)
            .map(|k| core::array::from_fn(|i| ((k * 37 + i * 11) % 256) as u8 as i8))
            .collect();
        let before: Vec<Vec<f64>> = xs.iter().map(|x| net.logits(x)).collect();
        let range = |w: &[f64]| w.iter().fold(0f64, |m, v| m.max(v.abs()));
        assert!(range(&net.layers[1].weights) >= 40.0);
        for _ in 0..EQUALIZE_ROUNDS {
            equalize(&mut net);
        }
        for (x, b) in xs.iter().zip(&before) {
            for (u, v) in net.logits(x).iter().zip(b) {
                assert!((u - v).abs() < 1e-9, "{u} vs {v}");
            }
        }
        assert!(
            range(&net.layers[1].weights) < 10.0,
            "{:?}",
            net.layers[1].weights
        );
    }

    #[test]
    fn the_simulated_cpus_never_run_two_tasks_at_once() {
        // Per CPU there is no CPU id in the trace, but at any time at most CPUS tasks run.
        let ev = synth(&SynthConfig {
            seed: 5,
            tasks: 12,
            seconds: 2,
        });
        let mut running = std::collections::HashSet::new();
        let mut max = 0;
        for e in &ev {
            match e.kind {
                Kind::Run => assert!(running.insert(e.pid)),
                Kind::Stop { .. } => assert!(running.remove(&e.pid)),
                _ => {}
            }
            max = max.max(running.len());
        }
        assert!(max <= CPUS && max > 0);
    }
}
