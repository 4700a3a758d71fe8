// SPDX-License-Identifier: GPL-2.0

//! The EVICT v1 ranker: training, quantization and held-out evaluation on the shared
//! reference trace (`/work/shared/traces/cloudPhysicsIO.oracleGeneral.bin`, or
//! `$LEARNED_OS_TRACE_DIR`; set `LEARNED_OS_NO_SHARED_TRACE=1` to skip when it is missing).
//!
//! `regenerate_evict_model` (ignored by default) retrains the model the way `lrn train` does,
//! says whether it equals `models/evict-ranker.lmod` (overwrites it with
//! `LEARNED_OS_WRITE_MODEL=1`), and prints the numbers of `models/evict-ranker.md`:
//!
//! ```text
//! cargo test --release -p lrn --test train -- --ignored --nocapture regenerate_evict_model
//! ```

use std::path::PathBuf;

use learned_core::cache::Request;
use learned_core::model::format::parse;
use learned_core::model::schema;
use lrn::evalrun;
use lrn::train::{self, TrainConfig};
use lrn::{CacheSize, PolicyName};

fn trace_path() -> PathBuf {
    let dir = match std::env::var_os("LEARNED_OS_TRACE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/traces"),
    };
    dir.join("cloudPhysicsIO.oracleGeneral.bin")
}

fn repo_models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models")
}

fn load() -> Option<Vec<Request>> {
    let path = trace_path();
    if !path.exists() {
        if std::env::var("LEARNED_OS_NO_SHARED_TRACE").as_deref() == Ok("1") {
            eprintln!("skipping: {} is missing", path.display());
            return None;
        }
        panic!(
            "reference trace {} is missing (set LEARNED_OS_NO_SHARED_TRACE=1 to skip)",
            path.display()
        );
    }
    Some(
        lrn::load_trace(path.to_str().unwrap(), lrn::Format::OracleGeneral)
            .unwrap_or_else(|e| panic!("cannot load the reference trace: {e}")),
    )
}

/// A small, fast configuration for tests: the first 20,000 requests, a 32 MiB cache.
fn small_config() -> TrainConfig {
    TrainConfig {
        cache_size: CacheSize::Bytes(32 << 20),
        epochs: 4,
        max_samples: 20_000,
        ..TrainConfig::default()
    }
}

#[test]
fn learned_without_model_is_exactly_lru() {
    let Some(reqs) = load() else { return };
    let distinct = lrn::distinct_objects(&reqs);
    for mib in [128u64, 512] {
        let size = CacheSize::Bytes(mib << 20);
        let lru = lrn::simulate_with(&reqs, PolicyName::Lru, size, distinct).unwrap();
        let learned = evalrun::simulate_learned(&reqs, size, None, 16).unwrap();
        assert_eq!(learned.misses, lru.misses, "{mib} MiB");
        assert_eq!(learned, lru, "{mib} MiB");
    }
    // And in objects, on the held-out half.
    let part = evalrun::holdout_part(&reqs, 0.5).unwrap();
    let size = CacheSize::Objects(1000);
    let lru = lrn::simulate(&part, PolicyName::Lru, size).unwrap();
    assert_eq!(
        evalrun::simulate_learned(&part, size, None, 32).unwrap(),
        lru
    );
}

#[test]
fn training_is_deterministic_parses_and_quantizes_well() {
    let Some(reqs) = load() else { return };
    let sub = &reqs[..20_000];
    let cfg = small_config();
    let a = train::train(sub, &cfg).unwrap();
    let b = train::train(sub, &cfg).unwrap();
    assert_eq!(
        a.model, b.model,
        "training must be byte-for-byte deterministic"
    );
    assert_eq!(a.train_requests, 10_000);
    let m = parse(&a.model).unwrap();
    let h = m.header();
    assert_eq!(
        (h.schema_id, h.schema_version),
        (schema::EVICT, schema::EVICT_VERSION)
    );
    let mlp = m.mlp().unwrap();
    assert_eq!((mlp.inputs(), mlp.outputs()), (8, 4));
    evalrun::check_model(&a.model).unwrap();
    assert!(a.agreement.samples > 100, "{}", a.summary());
    assert!(a.agreement.argmax_agree >= 0.9, "{}", a.summary());
    assert!(
        a.agreement.mean_abs_logit_diff <= 0.1 * a.agreement.mean_abs_logit,
        "{}",
        a.summary()
    );
    // A different seed gives a different model.
    let c = train::train(
        sub,
        &TrainConfig {
            seed: 7,
            ..small_config()
        },
    )
    .unwrap();
    assert_ne!(a.model, c.model);
}

#[test]
fn eval_rows_and_outputs() {
    let Some(reqs) = load() else { return };
    let sub = &reqs[..20_000];
    let rep = train::train(sub, &small_config()).unwrap();
    let sizes = [CacheSize::Bytes(16 << 20), CacheSize::Bytes(64 << 20)];
    let rows = evalrun::eval(sub, &rep.model, 0.5, &sizes).unwrap();
    assert_eq!(rows.len(), 2);
    for r in &rows {
        assert_eq!(r.requests, 10_000);
        // Belady (optimal for unit cost, not for byte sizes in general) has the fewest misses
        // of all on this sub-trace at these sizes.
        let belady = r.misses[3];
        for (p, &m) in evalrun::POLICIES.iter().zip(&r.misses) {
            assert!(m <= r.requests, "{p}");
            assert!(belady <= m, "{p}: belady {belady} > {m}");
        }
    }
    let md = evalrun::markdown(&rows);
    assert!(md.starts_with("| cache size | requests | lru | lirs | s3fifo | belady | ranker |"));
    assert!(md.contains("| 16 MiB | 10000 |"));
    let svg = evalrun::svg(&rows);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline").count(), 5);
    let dir = std::env::temp_dir().join(format!("lrn-eval-test-{}", std::process::id()));
    evalrun::write_outputs(&rows, dir.to_str().unwrap()).unwrap();
    assert!(dir.join("eval.md").exists() && dir.join("eval.svg").exists());
    let _ = std::fs::remove_dir_all(&dir);
    // A model of another schema is refused.
    let mut bad = rep.model.clone();
    bad[8] = 2;
    assert!(evalrun::eval(sub, &bad, 0.5, &sizes).is_err());
}

#[test]
fn shipped_model_is_an_evict_model() {
    let path = repo_models().join("evict-ranker.lmod");
    if !path.exists() {
        panic!("{} is missing: run regenerate_evict_model", path.display());
    }
    let bytes = std::fs::read(&path).unwrap();
    evalrun::check_model(&bytes).unwrap();
    let m = parse(&bytes).unwrap();
    assert_eq!(m.mlp().unwrap().inputs(), 8);
}

/// Regenerates `models/evict-ranker.lmod` exactly as `lrn train --trace PATH --format oracleGeneral
/// --train-frac 0.5 --cache-size 256MiB --out models/evict-ranker.lmod` does, and prints the numbers
/// of `lrn eval ... --holdout 0.5` (written to `target/evict-eval/`).
#[test]
#[ignore = "slow (train on the full first half): run in release when regenerating the model"]
fn regenerate_evict_model() {
    let Some(reqs) = load() else { return };
    let cfg = TrainConfig {
        train_frac: 0.5,
        cache_size: CacheSize::Bytes(256 << 20),
        ..TrainConfig::default()
    };
    let t = std::time::Instant::now();
    let rep = train::train(&reqs, &cfg).unwrap();
    println!("trained in {:.1?}\n{}", t.elapsed(), rep.summary());
    let out = repo_models().join("evict-ranker.lmod");
    if std::env::var("LEARNED_OS_WRITE_MODEL").as_deref() == Ok("1") {
        std::fs::write(&out, &rep.model).unwrap();
        println!("wrote {}", out.display());
    } else if let Ok(old) = std::fs::read(&out) {
        println!(
            "{} {} the regenerated model",
            out.display(),
            if old == rep.model {
                "equals"
            } else {
                "DIFFERS FROM"
            }
        );
    }
    let sizes: Vec<CacheSize> = evalrun::DEFAULT_SIZES_MIB
        .iter()
        .map(|m| CacheSize::Bytes(m << 20))
        .collect();
    // In-sample (the training part), for design choices: never tune on the held-out part.
    let rows = evalrun::eval(&reqs[..reqs.len() / 2], &rep.model, 1.0, &sizes).unwrap();
    println!("in-sample (training part):\n{}", evalrun::markdown(&rows));
    let rows = evalrun::eval(&reqs, &rep.model, 0.5, &sizes).unwrap();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/evict-eval");
    evalrun::write_outputs(&rows, dir.to_str().unwrap()).unwrap();
    println!("{}", evalrun::markdown(&rows));
}
