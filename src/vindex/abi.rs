// SPDX-License-Identifier: GPL-2.0

//! The ioctl ABI of `/dev/learned_os_vindex`, mirrored from `shim/vindex_uapi.h` (the shim
//! checks the sizes at build time, and so does this file).

/// `LO_VINDEX_NOT_PRESENT`: a translation's result for a page that is not present.
pub(crate) const NOT_PRESENT: u64 = u64::MAX;
/// `LO_VINDEX_MAX_BATCH`: the most addresses one translation takes.
pub(crate) const MAX_BATCH: u64 = 1 << 20;

/// `LO_VINDEX_VIA_SEARCH`: a translation's index answers by binary search over the runs.
pub(crate) const VIA_SEARCH: u32 = 1 << 0;
/// `LO_VINDEX_VIA_RBTREE`: a translation's index answers from a red-black tree of the runs.
pub(crate) const VIA_RBTREE: u32 = 1 << 1;
/// `LO_VINDEX_NO_REBUILD`: a translation answers from the index as it stands.
pub(crate) const NO_REBUILD: u32 = 1 << 2;

/// `enum lo_vindex_path`: which path answered an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Path {
    /// The index (a verified run): learned, or the `VIA_*` structure asked for.
    Learned = 0,
    /// The exact page-table walk found a frame.
    Walk = 1,
    /// The exact walk found no present page.
    NotPresent = 2,
}

/// `struct lo_vindex_register`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Register {
    pub(crate) pid: i32,
    pub(crate) flags: u32,
    pub(crate) start: u64,
    pub(crate) end: u64,
}

/// `struct lo_vindex_translate`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Translate {
    pub(crate) count: u64,
    pub(crate) vaddrs: u64,
    pub(crate) pfns: u64,
    pub(crate) paths: u64,
    pub(crate) flags: u32,
    pub(crate) pad: u32,
    pub(crate) learned: u64,
    pub(crate) walked: u64,
    pub(crate) not_present: u64,
}

/// `struct lo_vindex_stats`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Stats {
    pub(crate) runs: u64,
    pub(crate) segments: u64,
    pub(crate) bytes: u64,
    pub(crate) pages: u64,
    pub(crate) epsilon: u64,
    pub(crate) rebuilds: u64,
    pub(crate) invalidations: u64,
    pub(crate) learned: u64,
    pub(crate) walked: u64,
    pub(crate) not_present: u64,
    pub(crate) built: u64,
    pub(crate) released: u64,
    pub(crate) tree_nodes: u64,
    pub(crate) tree_bytes: u64,
}

const _: () = assert!(core::mem::size_of::<Register>() == 24);
const _: () = assert!(core::mem::size_of::<Translate>() == 64);
const _: () = assert!(core::mem::size_of::<Stats>() == 112);
