// SPDX-License-Identifier: GPL-2.0

//! The `lrn` binary: output shapes, size parsing, trace formats and error exits.

use std::process::Output;

mod common;
use common::{lrn, tmpdir};

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts a clean failure: non-zero exit, a message on stderr, no panic, nothing on stdout.
fn assert_fails(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, stderr: {err}");
    assert!(err.contains(needle), "stderr {err:?} lacks {needle:?}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(o.stdout.is_empty(), "stdout: {}", stdout(o));
}

const TXT: &str = "1\n2\n3\n1\n4\n2\n1\n3\n";

#[test]
fn json_line_shape_with_object_count() {
    let dir = tmpdir("json");
    let path = dir.join("t.txt");
    std::fs::write(&path, TXT).unwrap();
    let p = path.to_str().unwrap();
    let o = lrn(&[
        "sim",
        "--trace",
        p,
        "--format",
        "txt",
        "--policy",
        "lru",
        "--cache-size",
        "3",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out,
        "{\"policy\":\"lru\",\"cache_size\":3,\"requests\":8,\"misses\":6,\"miss_ratio\":0.750000}\n"
    );
    assert_eq!(out.lines().count(), 1);
    // Belady on the same trace: 5 misses (1 2 3 compulsory, then 4 and the final 3).
    let o = lrn(&[
        "sim",
        "--trace",
        p,
        "--format",
        "txt",
        "--policy",
        "belady",
        "--cache-size",
        "3",
        "--json",
    ]);
    assert!(stdout(&o).contains("\"misses\":5,"), "{}", stdout(&o));
    // Every implemented policy prints one JSON object with the five keys.
    for policy in [
        "lru", "fifo", "clock", "sieve", "arc", "s3fifo", "lirs", "belady",
    ] {
        let o = lrn(&[
            "sim",
            "--trace",
            p,
            "--format",
            "txt",
            "--policy",
            policy,
            "--cache-size",
            "100",
            "--json",
        ]);
        assert!(o.status.success(), "{policy}: {}", stderr(&o));
        let line = stdout(&o);
        let line = line.trim_end();
        assert!(line.starts_with('{') && line.ends_with('}') && !line.contains('\n'));
        for key in [
            "\"policy\":",
            "\"cache_size\":100,",
            "\"requests\":8,",
            "\"misses\":",
            "\"miss_ratio\":",
        ] {
            assert!(line.contains(key), "{policy}: {line} lacks {key}");
        }
        // A cache larger than the trace only takes the 4 compulsory misses.
        assert!(line.contains("\"misses\":4,"), "{policy}: {line}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn table_csv_and_oracle_general() {
    let dir = tmpdir("formats");
    let csv = dir.join("t.csv");
    // 3 objects of 600 bytes with a 1 KB (1000 B) cache: only one fits at a time.
    std::fs::write(
        &csv,
        "time,obj_id,obj_size\n0,1,600\n1,1,600\n2,2,600\n3,1,600\n",
    )
    .unwrap();
    let o = lrn(&[
        "sim",
        "--trace",
        csv.to_str().unwrap(),
        "--format",
        "csv",
        "--policy",
        "fifo",
        "--cache-size",
        "1KB",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(lines[0].starts_with("policy") && lines[0].contains("miss_ratio"));
    assert!(
        lines[1].starts_with("fifo") && lines[1].contains("1000 B"),
        "{out}"
    );
    assert!(
        lines[1].split_whitespace().any(|f| f == "3"),
        "3 misses: {out}"
    );

    // A two-request oracleGeneral trace: the same 4 KiB object twice.
    let mut bin = Vec::new();
    for (ts, next) in [(0u32, 1i64), (1, -1)] {
        bin.extend_from_slice(&ts.to_le_bytes());
        bin.extend_from_slice(&42u64.to_le_bytes());
        bin.extend_from_slice(&4096u32.to_le_bytes());
        bin.extend_from_slice(&next.to_le_bytes());
    }
    let og = dir.join("t.bin");
    std::fs::write(&og, &bin).unwrap();
    let o = lrn(&[
        "sim",
        "--trace",
        og.to_str().unwrap(),
        "--format",
        "oracleGeneral",
        "--policy",
        "belady",
        "--cache-size",
        "4KiB",
        "--json",
    ]);
    assert_eq!(
        stdout(&o),
        "{\"policy\":\"belady\",\"cache_size\":4096,\"requests\":2,\"misses\":1,\"miss_ratio\":0.500000}\n"
    );
    // 100 B is smaller than the object: both requests miss.
    let o = lrn(&[
        "sim",
        "--trace",
        og.to_str().unwrap(),
        "--format",
        "oracleGeneral",
        "--policy",
        "lru",
        "--cache-size",
        "100B",
        "--json",
    ]);
    assert!(stdout(&o).contains("\"misses\":2,"), "{}", stdout(&o));

    // A truncated record is a format error.
    std::fs::write(&og, &bin[..30]).unwrap();
    let o = lrn(&[
        "sim",
        "--trace",
        og.to_str().unwrap(),
        "--format",
        "oracleGeneral",
        "--policy",
        "lru",
        "--cache-size",
        "1GiB",
    ]);
    assert_fails(&o, "truncated");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn errors_exit_non_zero_without_panicking() {
    let dir = tmpdir("errors");
    let path = dir.join("t.txt");
    std::fs::write(&path, TXT).unwrap();
    let p = path.to_str().unwrap();
    let missing = dir.join("nope.bin");
    let m = missing.to_str().unwrap();
    let base = |policy: &'static str, size: &'static str, fmt: &'static str| {
        vec![
            "sim",
            "--trace",
            p,
            "--format",
            fmt,
            "--policy",
            policy,
            "--cache-size",
            size,
        ]
    };
    assert_fails(
        &lrn(&[
            "sim",
            "--trace",
            m,
            "--format",
            "oracleGeneral",
            "--policy",
            "lru",
            "--cache-size",
            "1GiB",
        ]),
        "cannot read trace",
    );
    assert_fails(&lrn(&base("lru", "3", "xml")), "unknown trace format");
    assert_fails(&lrn(&base("lru", "12XB", "txt")), "bad cache size");
    assert_fails(&lrn(&base("lru", "MiB", "txt")), "bad cache size");
    assert_fails(&lrn(&base("nosuch", "3", "txt")), "unknown policy");
    for policy in ["learned", "ranker", "linux-learned"] {
        let mut no_model = base(policy, "3", "txt");
        no_model.extend(["--model", "/nonexistent/evict.lmod"]);
        assert_fails(&lrn(&no_model), "cannot read model");
    }
    // A txt trace with a non-numeric id, and a csv without an obj_id column.
    std::fs::write(&path, "1\nabc\n").unwrap();
    assert_fails(&lrn(&base("lru", "3", "txt")), "bad object id");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    assert_fails(&lrn(&base("lru", "3", "csv")), "obj_id");
    // Usage errors are clap's: the missing options listed, the command named, the usage.
    assert_fails(
        &lrn(&["sim", "--trace", p]),
        "required arguments were not provided:\n  --format",
    );
    assert_fails(&lrn(&["bogus"]), "unrecognized subcommand 'bogus'");
    assert_fails(&lrn(&[]), "Usage: lrn <COMMAND>");
    std::fs::remove_dir_all(dir).ok();
}
