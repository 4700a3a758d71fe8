// SPDX-License-Identifier: GPL-2.0

//! Helpers shared by the tests that run the `lrn` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A fresh temporary directory for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("lrn-test-{}-{name}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the `lrn` binary with `args`.
pub fn lrn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lrn"))
        .args(args)
        .output()
        .expect("run lrn")
}
