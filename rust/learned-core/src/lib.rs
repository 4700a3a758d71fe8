// SPDX-License-Identifier: GPL-2.0

//! learned_os algorithms shared by the kernel module and the host tools.
//!
//! Everything here is `no_std`, allocation-free and integer-only, and never panics on any
//! input: the kernel module compiles these very files (through a `#[path]` module in its crate
//! root), and the host tools and tests link them as an ordinary crate. Keep it that way: no
//! floating point, no `alloc`, no indexing or arithmetic that can panic on user input.

#![no_std]
#![forbid(unsafe_code)]

/// The learned_os version, shown in `/sys/kernel/learned_os/version` and by the host tools.
pub const VERSION: &str = "0.1.0";

pub mod cache;
pub mod hash;
pub mod knob;
pub mod model;
pub mod mrc;
pub mod sched;
pub mod sizer;
pub mod text;
pub mod upload;
pub mod vindex;

#[cfg(test)]
mod tests {
    #[test]
    fn version_matches_the_crate() {
        assert_eq!(super::VERSION, env!("CARGO_PKG_VERSION"));
    }
}
