// SPDX-License-Identifier: GPL-2.0

//! The shared reference trace (`cloudPhysicsIO.oracleGeneral.bin`) for the tests that use it.
//!
//! Looked up in `$LEARNED_OS_TRACE_DIR` if set, else in `shared/traces` next to the repository
//! (`/work/shared/traces` on our machines). A missing trace fails the test unless
//! `LEARNED_OS_NO_SHARED_TRACE=1`.

use std::path::PathBuf;

use learned_core::cache::Request;

/// Requests in the trace.
pub const REQUESTS: u64 = 113_872;

fn path() -> PathBuf {
    let dir = match std::env::var_os("LEARNED_OS_TRACE_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/traces"),
    };
    dir.join("cloudPhysicsIO.oracleGeneral.bin")
}

/// The reference trace, or `None` when it is missing and that is explicitly allowed.
pub fn load() -> Option<Vec<Request>> {
    let path = path();
    if !path.exists() {
        if std::env::var("LEARNED_OS_NO_SHARED_TRACE").as_deref() == Ok("1") {
            eprintln!(
                "skipping: {} is missing and LEARNED_OS_NO_SHARED_TRACE=1",
                path.display()
            );
            return None;
        }
        panic!(
            "reference trace {} is missing: provide it (see /work/shared/traces/README.md) \
             or set LEARNED_OS_NO_SHARED_TRACE=1 to skip this test explicitly",
            path.display()
        );
    }
    let reqs = lrn::load_trace(path.to_str().unwrap(), lrn::Format::OracleGeneral)
        .unwrap_or_else(|e| panic!("cannot load the reference trace: {e}"));
    assert_eq!(reqs.len() as u64, REQUESTS, "unexpected trace length");
    Some(reqs)
}
