// SPDX-License-Identifier: GPL-2.0

//! `lrn model synth`, `lrn inspect` and `lrn bench-infer` through the binary.

mod common;
use common::{lrn, tmpdir};

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn synth_every_kind_and_schema_then_inspect() {
    let dir = tmpdir("synth");
    for (kind, schema, want) in [
        ("mlp", "1", "evict"),
        ("mlp", "2", "sizer"),
        ("pla", "3", "vindex"),
        ("mlp", "4", "sched"),
    ] {
        let out = dir.join(format!("{kind}-{schema}.lmod"));
        let o = lrn(&[
            "model",
            "synth",
            "--kind",
            kind,
            "--schema",
            schema,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        let o = lrn(&["inspect", out.to_str().unwrap()]);
        let s = text(&o.stdout);
        assert!(o.status.success(), "{}", text(&o.stderr));
        assert!(
            s.contains(want)
                && s.contains(&format!(
                    "kind:           {}",
                    if kind == "mlp" { "1 (mlp)" } else { "2 (pla)" }
                )),
            "{s}"
        );
        assert!(s.contains(", valid)") && s.ends_with("valid\n"), "{s}");
    }
    let s = text(&lrn(&["inspect", dir.join("mlp-1.lmod").to_str().unwrap()]).stdout);
    assert!(
        s.contains("8 inputs, 3 layers") && s.contains("layer 2:      32 -> 4"),
        "{s}"
    );
}

#[test]
fn synth_is_deterministic_and_honours_shape() {
    let dir = tmpdir("det");
    let run = |name: &str, seed: &str| {
        let out = dir.join(name);
        let o = lrn(&[
            "model",
            "synth",
            "--kind",
            "mlp",
            "--schema",
            "2",
            "--seed",
            seed,
            "--inputs",
            "5",
            "--hidden",
            "7",
            "--outputs",
            "3",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        std::fs::read(out).unwrap()
    };
    assert_eq!(run("a", "9"), run("b", "9"));
    assert_ne!(run("a", "9"), run("c", "10"));
    let s = text(&lrn(&["inspect", dir.join("a").to_str().unwrap()]).stdout);
    assert!(
        s.contains("5 inputs") && s.contains("5 -> 7") && s.contains("7 -> 3"),
        "{s}"
    );
}

#[test]
fn inspect_refuses_invalid_files_with_a_reason() {
    let dir = tmpdir("bad");
    let good = dir.join("good.lmod");
    let o = lrn(&[
        "model",
        "synth",
        "--kind",
        "pla",
        "--schema",
        "3",
        "--out",
        good.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let bad = dir.join("bad.lmod");
    std::fs::write(&bad, &bytes).unwrap();
    let o = lrn(&["inspect", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("CRC mismatch"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).contains("INVALID"));
    std::fs::write(&bad, b"short").unwrap();
    let o = lrn(&["inspect", bad.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("shorter than the header"));
    let o = lrn(&["inspect", dir.join("missing").to_str().unwrap()]);
    assert!(!o.status.success() && text(&o.stderr).contains("cannot read"));
    let o = lrn(&[
        "model", "synth", "--kind", "cnn", "--schema", "1", "--out", "x",
    ]);
    assert!(!o.status.success() && text(&o.stderr).contains("--kind"));
    let o = lrn(&[
        "model",
        "synth",
        "--kind",
        "mlp",
        "--schema",
        "1",
        "--inputs",
        "40",
        "--out",
        dir.join("w").to_str().unwrap(),
    ]);
    assert!(
        !o.status.success() && text(&o.stderr).contains("input count"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("panicked"));
}

#[test]
fn bench_infer_prints_numbers() {
    let o = lrn(&["bench-infer", "--iters", "2000"]);
    let s = text(&o.stdout);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        s.contains("model 8-32-32-4") && s.contains("ns/inference") && s.contains("ratio"),
        "{s}"
    );
}
