// SPDX-License-Identifier: GPL-2.0

//! The `lrn train` and `lrn eval` command lines.

use crate::evalrun::run_eval;
use crate::train::{run_train, Sampler, TrainConfig};
use crate::{parse_size, CacheSize, Error, Format};

/// Usage of `train` and `eval`.
pub const USAGE: &str = "       lrn train --trace PATH [--trace PATH]... --format oracleGeneral|csv|txt [--train-frac F] [--cache-size SIZE] [--seed S] [--sampler ranker|linux] [--model-id HEX] --out FILE
         (trains the evict model on the first F of each trace, default 0.5, from a replay at
          SIZE, default 256MiB, labels from the next accesses; deterministic. Sampler ranker
          (default): the ranker's candidates in an LRU replay; linux: the pages Linux's
          reclaim offers the kernel hook, as in the kernel module)
       lrn eval --trace PATH --format oracleGeneral|csv|txt --model FILE [--holdout F] [--cache-size SIZE]... --out DIR
         (miss ratios of lru, lirs, s3fifo, belady and the ranker on the last F of the trace,
          default 0.5; writes DIR/eval.md and DIR/eval.svg)";

/// `--flag value` pairs, in order.
fn flags(args: &[String]) -> Result<Vec<(&str, &str)>, Error> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if !flag.starts_with("--") {
            return Err(Error(format!("unexpected argument {flag:?}\n{USAGE}")));
        }
        let value = it
            .next()
            .ok_or_else(|| Error(format!("{flag} needs a value\n{USAGE}")))?;
        out.push((flag.as_str(), value.as_str()));
    }
    Ok(out)
}

fn fraction(v: &str) -> Result<f64, Error> {
    match v.parse::<f64>() {
        Ok(f) if f > 0.0 && f < 1.0 => Ok(f),
        _ => Err(Error(format!("{v:?} is not a fraction between 0 and 1"))),
    }
}

fn required<T>(v: Option<T>, what: &str) -> Result<T, Error> {
    v.ok_or_else(|| Error(format!("missing {what}\n{USAGE}")))
}

/// Runs `lrn train ARGS`.
pub fn train(args: &[String]) -> Result<String, Error> {
    let (mut traces, mut format, mut out) = (Vec::new(), None, None);
    let mut cfg = TrainConfig::default();
    for (flag, value) in flags(args)? {
        match flag {
            "--trace" => traces.push(value.to_string()),
            "--sampler" => cfg.sampler = Sampler::parse(value)?,
            "--model-id" => {
                cfg.model_id = u32::from_str_radix(value.trim_start_matches("0x"), 16)
                    .map_err(|_| Error(format!("bad model id {value:?} (hex)")))?
            }
            "--format" => format = Some(Format::parse(value)?),
            "--out" => out = Some(value),
            "--train-frac" => {
                cfg.train_frac = match value.parse::<f64>() {
                    Ok(f) if f == 1.0 => f,
                    _ => fraction(value)?,
                }
            }
            "--cache-size" => cfg.cache_size = parse_size(value)?,
            "--seed" => {
                cfg.seed = value
                    .parse()
                    .map_err(|_| Error(format!("bad seed {value:?}")))?
            }
            _ => return Err(Error(format!("unknown option {flag}\n{USAGE}"))),
        }
    }
    if traces.is_empty() {
        return Err(Error(format!("missing --trace\n{USAGE}")));
    }
    run_train(
        &traces,
        required(format, "--format")?,
        &cfg,
        required(out, "--out")?,
    )
}

/// Runs `lrn eval ARGS`.
pub fn eval(args: &[String]) -> Result<String, Error> {
    let (mut trace, mut format, mut model, mut out) = (None, None, None, None);
    let mut holdout = 0.5;
    let mut sizes: Vec<CacheSize> = Vec::new();
    for (flag, value) in flags(args)? {
        match flag {
            "--trace" => trace = Some(value),
            "--format" => format = Some(Format::parse(value)?),
            "--model" => model = Some(value),
            "--out" => out = Some(value),
            "--holdout" => holdout = fraction(value)?,
            "--cache-size" => sizes.push(parse_size(value)?),
            _ => return Err(Error(format!("unknown option {flag}\n{USAGE}"))),
        }
    }
    let out = required(out, "--out")?;
    std::fs::create_dir_all(out).map_err(|e| Error(format!("cannot create {out}: {e}")))?;
    run_eval(
        required(trace, "--trace")?,
        required(format, "--format")?,
        required(model, "--model")?,
        holdout,
        &sizes,
        out,
    )
}
