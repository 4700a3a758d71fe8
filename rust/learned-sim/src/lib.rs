// SPDX-License-Identifier: GPL-2.0

//! What only the host runs: the classic replacement policies that `lrn` compares the
//! kernel's policy with (exact against libCacheSim), the simulator-only ranker, and the
//! readers of recorded traces.
//!
//! The kernel module never compiles this crate; what it runs is `learned-core`. These
//! policies implement `learned_core::cache::Policy` over its slot store, so they and the
//! kernel's policy replay the same traces in the same harness. Like `learned-core`, this code
//! is `no_std`, allocation-free and integer-only (its tests excepted): the same rules keep the
//! comparison exact and the reference policies checkable against the C library.

#![no_std]
#![forbid(unsafe_code)]

pub mod arc;
pub mod belady;
pub mod clock;
pub mod fifo;
pub mod lirs;
pub mod lru;
pub mod onelist;
pub mod ranker;
pub mod s3fifo;
pub mod sched_trace;
pub mod sieve;
pub mod trace;

#[cfg(test)]
mod testutil;
