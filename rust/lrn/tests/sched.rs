// SPDX-License-Identifier: GPL-2.0

//! `lrn sched`: synthetic traces, the replay into samples, training and evaluation.

use std::collections::HashMap;

use learned_core::sched::features::{features, level_us};
use learned_core::sched::trace::{parse_line, Kind};
use learned_core::sched::Task;
use lrn::sched::{self, replay, Sample, SynthConfig, TrainConfig};

mod common;
use common::{lrn, tmpdir};

fn small(seed: u64) -> SynthConfig {
    SynthConfig {
        seed,
        tasks: 16,
        seconds: 3,
    }
}

#[test]
fn synth_is_deterministic_and_well_formed() {
    let dir = tmpdir("sched-synth");
    let path = |n: &str| dir.join(n).to_str().unwrap().to_string();
    for (name, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
        let o = lrn(&[
            "sched",
            "synth",
            "--seed",
            seed,
            "--tasks",
            "8",
            "--seconds",
            "2",
            "--out",
            &path(name),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let (a, b, c) = (read("a"), read("b"), read("c"));
    assert_eq!(a, b, "same seed, same bytes");
    assert_ne!(a, c);
    // Every line is an event in canonical form, in time order, and every task follows
    // w r (s0 r)* s1 ... and ends with x.
    let mut last_t = 0;
    let mut state: HashMap<u32, char> = HashMap::new();
    let mut kinds = HashMap::new();
    for line in a.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let e = parse_line(line).unwrap();
        assert!(e.t_ns >= last_t);
        last_t = e.t_ns;
        let prev = state.get(&e.pid).copied().unwrap_or('s');
        let next = match e.kind {
            Kind::Wake { .. } => 'w',
            Kind::Run => 'r',
            Kind::Stop { voluntary: false } => 'p',
            Kind::Stop { voluntary: true } => 's',
            Kind::Exit => 'x',
        };
        let ok = matches!(
            (prev, next),
            ('s', 'w') | ('w', 'r') | ('r', 'p') | ('p', 'r') | ('r', 's') | (_, 'x')
        );
        assert!(ok, "pid {}: {prev} then {next}", e.pid);
        assert_ne!(prev, 'x', "an event after exit");
        state.insert(e.pid, next);
        *kinds.entry(next).or_insert(0u64) += 1;
    }
    assert_eq!(state.len(), 8);
    assert!(state.values().all(|&s| s == 'x'));
    for k in ['w', 'r', 'p', 's', 'x'] {
        assert!(kinds.get(&k).copied().unwrap_or(0) > 0, "no {k} events");
    }
    // The library makes the same trace.
    let lib = sched::format_trace(&sched::synth(&SynthConfig {
        seed: 3,
        tasks: 8,
        seconds: 2,
    }));
    assert_eq!(lib.as_bytes(), &a[..]);
}

/// Two tasks: pid 7 with bursts of 100 µs, 300 µs, 2 ms (preempted once), 20 ms, then it
/// exits and its pid comes back as a new task; pid 8, first seen in the middle of a burst,
/// then bursts of 50 µs, 5 ms and 150 µs. One line is out of order in the file.
const HAND: &str = "# t pid kind arg
1000 7 w 1
1000 7 r 0
500 8 r 0
50500 8 s 1
101000 7 s 1
2101000 7 w 0
2101000 7 r 0
2401000 7 s 1
3000000 8 w 1
3000000 8 r 0
3050000 8 s 1
4401000 7 w 1
4401000 7 r 0
5401000 7 s 0

5501000 7 r 0
6501000 7 s 1
8501000 7 w 0
8501000 7 r 0
10000000 8 w 0
10000000 8 r 0
15000000 8 s 1
20000000 8 w 0
20000000 8 r 0
20150000 8 s 1
28501000 7 s 1
30501000 7 x 0
31000000 7 w 0
31000000 7 r 0
31100000 7 s 1
";

/// A fresh task through bursts `(woken and run at, CPU ns, woken from irq)`.
fn task_of(bursts: &[(u64, u64, bool)]) -> Task {
    let mut t = Task::new();
    for &(at, cpu, irq) in bursts {
        t.wake(at, irq);
        t.run(at);
        t.stop(at + cpu, true);
    }
    t
}

#[test]
fn replay_labels_a_hand_built_trace() {
    let events = sched::parse_trace(HAND.as_bytes()).unwrap();
    assert_eq!(events.len(), 29);
    let s = replay(&events);
    // A: after pid 7's 300 µs burst (its 2nd), labelled by the 2 ms one: class 2.
    // D: after pid 8's 5 ms burst (its 2nd recorded), labelled by 150 µs: class 0.
    // B: after pid 7's 2 ms burst, labelled by 20 ms: class 4. The sample after the 20 ms
    // burst is dropped at the exit, and the new pid 7 has one burst: no sample.
    let summary: Vec<(u32, u8, u8, u8)> =
        s.iter().map(|s| (s.pid, s.label, s.rule, s.last)).collect();
    assert_eq!(summary, [(7, 2, 1, 1), (8, 0, 2, 3), (7, 4, 1, 2)]);
    // The features are the task's at those points, as the kernel computes them.
    let a = task_of(&[(1_000, 100_000, true), (2_101_000, 300_000, false)]);
    assert_eq!(s[0].features, features(&a));
    assert_eq!(
        s[0].features,
        [65, 52, 0, 0, 60, 65, 52, 87, 0, 87, 0, 63, 31, 127]
    );
    let d = task_of(&[(3_000_000, 50_000, true), (10_000_000, 5_000_000, false)]);
    let mut d8 = Task::new();
    d8.run(500);
    d8.stop(50_500, true);
    for (at, cpu, irq) in [(3_000_000, 50_000, true), (10_000_000, 5_000_000, false)] {
        d8.wake(at, irq);
        d8.run(at);
        d8.stop(at + cpu, true);
    }
    assert_eq!(s[1].features, features(&d8));
    assert_ne!(
        features(&d),
        features(&d8),
        "the partial burst left its switch and sleep"
    );
    assert_eq!(s[2].features[0], level_us(2000));
    assert_eq!(s[2].features[10], 127 / 4, "1 preemption in 4 switches");
}

#[test]
fn bad_traces_are_refused_with_the_line() {
    let e = sched::parse_trace(b"1 2 w 1\n1 2 q 0\n").unwrap_err();
    assert!(e.0.contains("line 2"), "{e}");
    let dir = tmpdir("sched-bad");
    let p = dir.join("t.txt");
    std::fs::write(&p, "1 0 w 1\n").unwrap();
    let o = lrn(&[
        "sched",
        "train",
        "--trace",
        p.to_str().unwrap(),
        "--holdout-trace",
        p.to_str().unwrap(),
        "--out",
        dir.join("m").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 1: pid is not a nonzero decimal u32"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

fn samples(seeds: &[u64]) -> Vec<Sample> {
    seeds
        .iter()
        .flat_map(|&s| replay(&sched::synth(&small(s))))
        .collect()
}

#[test]
fn a_trained_model_beats_the_majority_on_held_out_traces() {
    // Many short traces: many tasks, each with its own parameters.
    let train_set = samples(&[1, 2, 3, 4, 5, 6]);
    let held_out = samples(&[101, 102]);
    assert!(train_set.len() > 10_000, "{}", train_set.len());
    let mut cfg = TrainConfig::default();
    cfg.fit.epochs = 8;
    let r = sched::train(&train_set, &held_out, &cfg).unwrap();
    let rep = &r.report;
    assert_eq!(rep.model.total(), held_out.len() as u64);
    assert!(
        rep.model.accuracy() > rep.majority + 0.15,
        "model {} vs majority {}",
        rep.model.accuracy(),
        rep.majority
    );
    assert!(rep.model.accuracy() > rep.rule.accuracy() - 0.03);
    assert!(r.agreement > 0.9, "{}", r.agreement);
    // The file is a sched v1 model the evaluator scores the same.
    let model = learned_core::model::format::parse(&r.model).unwrap();
    let h = model.header();
    assert_eq!((h.schema_id, h.schema_version), (4, 1));
    let again = sched::evaluate(&model.mlp().unwrap(), &held_out).unwrap();
    assert_eq!(again.model, rep.model);
    assert!(rep.table().contains("| majority class ("));
}

#[test]
fn training_is_deterministic_and_eval_prints_the_same_report() {
    let dir = tmpdir("sched-train");
    let path = |n: &str| dir.join(n).to_str().unwrap().to_string();
    for (name, seed) in [("t1", "1"), ("h1", "9")] {
        let o = lrn(&[
            "sched",
            "synth",
            "--seed",
            seed,
            "--tasks",
            "8",
            "--seconds",
            "3",
            "--out",
            &path(name),
        ]);
        assert!(o.status.success());
    }
    let train = |out: &str| {
        let o = lrn(&[
            "sched",
            "train",
            "--trace",
            &path("t1"),
            "--holdout-trace",
            &path("h1"),
            "--epochs",
            "2",
            "--out",
            &path(out),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let (out1, _) = (train("m1"), train("m2"));
    assert_eq!(
        std::fs::read(path("m1")).unwrap(),
        std::fs::read(path("m2")).unwrap()
    );
    let o = lrn(&[
        "sched",
        "eval",
        "--model",
        &path("m1"),
        "--trace",
        &path("h1"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let eval = String::from_utf8(o.stdout).unwrap();
    let line = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("| model (integer"))
            .unwrap()
            .to_string()
    };
    assert_eq!(line(&out1), line(&eval));
    let tail = |s: &str| s[s.find("| class |").unwrap()..].to_string();
    assert_eq!(tail(&out1), tail(&eval));
    // A model of another schema is refused.
    let other = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/sizer.lmod");
    let o = lrn(&["sched", "eval", "--model", other, "--trace", &path("h1")]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("not sched"));
}
