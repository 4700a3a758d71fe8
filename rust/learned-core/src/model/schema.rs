// SPDX-License-Identifier: GPL-2.0

//! Schema ids: what a model's inputs and outputs mean.
//!
//! The header of every model names a schema (`schema_id`, `schema_version`). The format only
//! carries the numbers; each policy that loads a model checks that the schema is the one it
//! computes features for, and refuses any other. A schema's feature list is fixed per
//! version: changing it (order, scaling, count) means a new version.

/// Page-cache eviction: an MLP scoring an eviction candidate from its access features.
pub const EVICT: u16 = 1;
/// The version of [`EVICT`] this code understands.
pub const EVICT_VERSION: u16 = 1;
/// The number of int8 inputs an [`EVICT`] v1 model takes (features defined by the policy).
pub const EVICT_INPUTS: u8 = 8;

/// Cache sizing: an MLP choosing a target size class from workload features.
pub const SIZER: u16 = 2;
/// The version of [`SIZER`] this code understands.
pub const SIZER_VERSION: u16 = 1;

/// Learned index over a sorted key space: a PLA model mapping a key to a position window.
pub const VINDEX: u16 = 3;
/// The version of [`VINDEX`] this code understands.
pub const VINDEX_VERSION: u16 = 1;

/// Scheduling hints: an MLP classifying a task from its run-time features.
pub const SCHED: u16 = 4;
/// The version of [`SCHED`] this code understands.
pub const SCHED_VERSION: u16 = 1;
/// The number of int8 inputs a [`SCHED`] v1 model takes (features defined by the policy:
/// `sched::features`).
pub const SCHED_INPUTS: u8 = 14;

/// The version of `schema_id` this code understands, or `None` for an unknown schema.
#[cfg(any(test, feature = "host"))]
pub const fn known_version(schema_id: u16) -> Option<u16> {
    match schema_id {
        EVICT => Some(EVICT_VERSION),
        SIZER => Some(SIZER_VERSION),
        VINDEX => Some(VINDEX_VERSION),
        SCHED => Some(SCHED_VERSION),
        _ => None,
    }
}

/// A short name for `schema_id`, for logs and the host tools.
#[cfg(any(test, feature = "host"))]
pub const fn name(schema_id: u16) -> &'static str {
    match schema_id {
        EVICT => "evict",
        SIZER => "sizer",
        VINDEX => "vindex",
        SCHED => "sched",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_known() {
        let ids = [EVICT, SIZER, VINDEX, SCHED];
        for (i, a) in ids.iter().enumerate() {
            assert_eq!(known_version(*a), Some(1));
            assert_ne!(name(*a), "unknown");
            for b in &ids[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(known_version(0), None);
        assert_eq!(name(99), "unknown");
    }
}
