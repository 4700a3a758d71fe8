// SPDX-License-Identifier: GPL-2.0

//! `lrn sched`: synthetic traces, the replay into samples, training and evaluation.

use std::collections::HashMap;

use learned_core::sched::features::{features, level_us};
use learned_core::sched::Task;
use learned_sim::sched_trace::{parse_line, Kind};
use lrn::sched::{self, replay, Sample, SynthConfig, TrainConfig};

mod common;
use common::{lrn, tmpdir};

/// Runs `lrn sched synth` for 8 tasks: writes `dir/name` from `seed` over `seconds`.
fn synth(dir: &std::path::Path, name: &str, seed: &str, seconds: &str) {
    let out = dir.join(name);
    let o = lrn(&[
        "sched",
        "synth",
        "--seed",
        seed,
        "--tasks",
        "8",
        "--seconds",
        seconds,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

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
    for (name, seed) in [("a", "3"), ("b", "3"), ("c", "4")] {
        synth(&dir, name, seed, "2");
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
        synth(&dir, name, seed, "3");
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

/// ftrace's text output as Linux 6.12 prints it: two lo-sched tasks forked by a shell
/// (pid 50: woken by its timer, preempted once; pid 51: a churn child that exits), other
/// tasks around them, the header, a lost-events line and a broken line.
const FTRACE: &str = "# tracer: nop
#
# entries-in-buffer/entries-written: 18/18   #P:2
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
 record-sched.sh-45      [000] d..3.     2.000000: sched_wakeup_new: comm=record-sched.sh pid=50 prio=120 target_cpu=001
          <idle>-0       [001] d..2.     2.000020: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=record-sched.sh next_pid=50 next_prio=120
        lo-sched-50      [001] d..2.     2.001000: sched_switch: prev_comm=lo-sched prev_pid=50 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
          <idle>-0       [001] d.h2.     2.003000: sched_waking: comm=lo-sched pid=50 prio=120 target_cpu=001
          <idle>-0       [001] d..2.     2.003010: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=lo-sched next_pid=50 next_prio=120
        lo-sched-50      [001] d..2.     2.003110: sched_switch: prev_comm=lo-sched prev_pid=50 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
          <idle>-0       [001] dNh2.     2.005000: sched_waking: comm=lo-sched pid=50 prio=120 target_cpu=001
          <idle>-0       [001] d..2.     2.005010: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=lo-sched next_pid=50 next_prio=120
        lo-sched-50      [001] dN.2.     2.006010: sched_switch: prev_comm=lo-sched prev_pid=50 prev_prio=120 prev_state=R+ ==> next_comm=kworker/1:1 next_pid=30 next_prio=120
     kworker/1:1-30      [001] d..2.     2.006100: sched_switch: prev_comm=kworker/1:1 prev_pid=30 prev_prio=120 prev_state=I ==> next_comm=lo-sched next_pid=50 next_prio=120
CPU:0 [LOST 2 EVENTS]
        lo-sched-50      [001] d..2.     2.007100: sched_switch: prev_comm=lo-sched prev_pid=50 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
        lo-sched-50      [000] d..3.     2.004000: sched_wakeup_new: comm=lo-sched pid=51 prio=120 target_cpu=000
        lo-sched-51      [000] .....     2.004500: sched_process_exit: comm=lo-sched pid=51 prio=120 group_dead=1
        lo-sched-51      [000] d..2.     2.004510: sched_switch: prev_comm=lo-sched prev_pid=51 prev_prio=120 prev_state=Z ==> next_comm=swapper/0 next_pid=0 next_prio=120
        lo-sched-50      [001] d..2. 2.0071
";

#[test]
fn import_converts_ftrace_text() {
    let dir = tmpdir("sched-import");
    let path = |n: &str| dir.join(n).to_str().unwrap().to_string();
    std::fs::write(path("trace"), FTRACE).unwrap();
    let gz = std::process::Command::new("gzip")
        .args(["-k", "-n", &path("trace")])
        .status()
        .unwrap();
    assert!(gz.success());
    for input in ["trace", "trace.gz"] {
        let o = lrn(&[
            "sched",
            "import",
            "--tracefs",
            &path(input),
            "--comm",
            "lo-sched",
            "--out",
            &path("out"),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let report = String::from_utf8_lossy(&o.stdout);
        assert!(
            report.contains(
                "11 events of 2 tasks (w 3, r 3, s voluntary 3, s preempted 1, x 1) from 28 lines"
            ),
            "{report}"
        );
        assert!(report.contains("1 malformed lines"), "{report}");
        assert!(
            report.contains("line 28: not an ftrace event line"),
            "{report}"
        );
        assert!(report.contains("lost 2 events"), "{report}");
        assert!(report.contains("1 switches after exit"), "{report}");
        let out = std::fs::read_to_string(path("out")).unwrap();
        assert_eq!(
            out,
            "2001000000 50 s 1\n2003000000 50 w 1\n2003010000 50 r 0\n2003110000 50 s 1\n\
             2004000000 51 w 0\n2004500000 51 x 0\n2005000000 50 w 1\n2005010000 50 r 0\n\
             2006010000 50 s 0\n2006100000 50 r 0\n2007100000 50 s 1\n"
        );
        // The output is a trace the replay reads: pid 50's bursts are 100 µs, then 1 ms +
        // 1 ms (one preemption); the first, partial one does not count.
        let events = sched::load_trace(&path("out")).unwrap();
        assert_eq!(events.len(), 11);
        assert!(
            replay(&events).is_empty(),
            "2 bursts: features, no label yet"
        );
    }
    // A file with no event of the comm is an error that says what it saw.
    let o = lrn(&[
        "sched",
        "import",
        "--tracefs",
        &path("trace"),
        "--comm",
        "nobody",
        "--out",
        &path("none"),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no events imported") && err.contains("of other comms"),
        "{err}"
    );
    // Missing arguments are usage errors, a corrupt gzip file an error.
    let o = lrn(&["sched", "import", "--out", &path("x")]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("were not provided:\n  --tracefs"));
    std::fs::write(path("bad.gz"), [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
    let o = lrn(&[
        "sched",
        "import",
        "--tracefs",
        &path("bad.gz"),
        "--out",
        &path("x"),
    ]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("gzip -dc failed"));
}

#[test]
fn train_reports_each_held_out_set_and_reads_gzip() {
    let dir = tmpdir("sched-sets");
    let path = |n: &str| dir.join(n).to_str().unwrap().to_string();
    for (name, seed) in [("t1", "1"), ("h1", "9"), ("h2", "10")] {
        synth(&dir, name, seed, "3");
    }
    let gz = std::process::Command::new("gzip")
        .args(["-n", &path("h2")])
        .status()
        .unwrap();
    assert!(gz.success());
    let o = lrn(&[
        "sched",
        "train",
        "--trace",
        &path("t1"),
        "--holdout-set",
        "first",
        "--holdout-trace",
        &path("h1"),
        "--holdout-set",
        "second",
        "--holdout-trace",
        &path("h2.gz"),
        "--epochs",
        "2",
        "--out",
        &path("m"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8(o.stdout).unwrap();
    let first = out.find("## held out: first, 1 trace(s)").expect(&out);
    let second = out.find("## held out: second, 1 trace(s)").expect(&out);
    assert!(first < second);
    // Each set's tables are what eval prints for its traces alone.
    for (trace, part) in [
        (path("h1"), &out[first..second]),
        (path("h2.gz"), &out[second..]),
    ] {
        let o = lrn(&["sched", "eval", "--model", &path("m"), "--trace", &trace]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let eval = String::from_utf8(o.stdout).unwrap();
        let tail = |s: &str| s[s.find("| class |").unwrap()..].trim_end().to_string();
        assert_eq!(tail(part), tail(&eval));
    }
}
