// SPDX-License-Identifier: GPL-2.0

//! Small quantized integer models: the `.lmod` file format, and the engines that run them.
//!
//! A model file is written to sysfs by user space, so [`format::parse`] validates every byte
//! before anything is run, and the engines ([`mlp`], [`pla`]) are total functions over what
//! it accepts: integer-only, allocation-free, never panicking. The byte layout is documented
//! in `models/FORMAT.md` at the top of the repository.

pub mod crc32;
pub mod features;
pub mod format;
pub mod memo;
pub mod mlp;
pub mod pla;
pub mod schema;

#[cfg(test)]
mod tests;
