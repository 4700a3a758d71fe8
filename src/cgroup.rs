// SPDX-License-Identifier: GPL-2.0

//! A held cgroup v2 and its memory limits, through a thin C shim (`shim/cgroup.c`): 6.12's
//! Rust has no cgroup abstraction. A policy resolves a path once, when its knob is written, and
//! from then on acts on the cgroup it holds, never on a path (which names another cgroup in
//! another namespace, or after an rmdir and mkdir).

use kernel::error::to_result;
use kernel::prelude::*;
use kernel::str::CString;

use crate::warn::warn_ratelimited;

/// `struct cgroup`, opaque here.
#[repr(C)]
pub(crate) struct RawCgroup {
    _private: [u8; 0],
}

extern "C" {
    fn lo_cgroup_get(
        path: *const kernel::ffi::c_char,
        out: *mut *mut RawCgroup,
    ) -> kernel::ffi::c_int;
    fn lo_cgroup_put(cgrp: *mut RawCgroup);
    fn lo_cgroup_dying(cgrp: *mut RawCgroup) -> bool;
    fn lo_cgroup_has_current(cgrp: *mut RawCgroup) -> bool;
    fn lo_memcg_limits(
        cgrp: *mut RawCgroup,
        high: *mut u64,
        max: *mut u64,
        usage: *mut u64,
    ) -> kernel::ffi::c_int;
    fn lo_memcg_set_high(cgrp: *mut RawCgroup, pages: u64) -> kernel::ffi::c_int;
    fn lo_memcg_reclaim(cgrp: *mut RawCgroup, pages: u64) -> u64;
    fn lo_memcg_file_pages(cgrp: *mut RawCgroup, pages: *mut u64) -> kernel::ffi::c_int;
    fn lo_pages_max() -> u64;
}

/// The longest cgroup path the sizer takes.
pub(crate) const MAX_PATH: usize = 255;

/// A write to a policy's `cgroup` knob, named `knob` in warnings: `Ok(None)` for `none`,
/// else the cgroup v2 at the path written (like `/bench`), resolved once, here, in the
/// writer's cgroup namespace; the policy then acts on the cgroup it holds. A malformed path
/// (not absolute, too long, not UTF-8, with white space) and the root cgroup (`/`: nobody may
/// limit it) are refused with `EINVAL`, a missing cgroup with the lookup's error, each with
/// one warning. Process context.
pub(crate) fn parse_knob(knob: &str, input: &[u8]) -> Result<Option<Cgroup>> {
    let refuse = || {
        warn_ratelimited!(
            "{}: write refused: expected a cgroup v2 path below the root like /bench (at most {} bytes) or none\n",
            knob,
            MAX_PATH
        );
        EINVAL
    };
    let text = core::str::from_utf8(input).map_err(|_| refuse())?;
    let path = text.strip_suffix('\n').unwrap_or(text);
    if path == "none" {
        return Ok(None);
    }
    if !path.starts_with('/')
        || path.trim_end_matches('/').is_empty()
        || path.len() > MAX_PATH
        || path.bytes().any(|b| b.is_ascii_whitespace() || b == 0)
    {
        return Err(refuse());
    }
    Cgroup::lookup(path)
        .inspect_err(|e| {
            warn_ratelimited!(
                "{}: write refused: no cgroup {} below the root ({:?})\n",
                knob,
                path,
                e
            );
        })
        .map(Some)
}

/// A cgroup's memory limits and usage, in pages.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// `memory.high` ([`pages_max`] for "max").
    pub(crate) high: u64,
    /// `memory.max` (likewise).
    pub(crate) max: u64,
    /// Memory charged now.
    pub(crate) usage: u64,
}

/// The page count that means "max" (no limit).
pub(crate) fn pages_max() -> u64 {
    // SAFETY: no arguments, no state.
    unsafe { lo_pages_max() }
}

/// A cgroup v2, held: it may be removed (rmdir) but its memory stays valid until dropped.
///
/// INVARIANT: `ptr` is a cgroup this value holds a reference on.
pub(crate) struct Cgroup {
    ptr: *mut RawCgroup,
    path: CString,
}

// SAFETY: a held cgroup may be used and released from any task; the shim's functions take
// their own locks (RCU) where they need them.
unsafe impl Send for Cgroup {}
// SAFETY: every method takes `&self` and calls functions safe to call concurrently.
unsafe impl Sync for Cgroup {}

impl Cgroup {
    /// The cgroup at `path` in the v2 hierarchy, as the current task's cgroup namespace sees
    /// it (as its `/proc/PID/cgroup` shows it, e.g. `/bench`): `ENOENT` if there is none,
    /// `EINVAL` for the root cgroup. Process context.
    pub(crate) fn lookup(path: &str) -> Result<Self> {
        let path = CString::try_from_fmt(format_args!("{path}"))?;
        let mut ptr = core::ptr::null_mut();
        // SAFETY: `path` is a NUL-terminated string that outlives the call; `ptr` is written
        // only on success.
        to_result(unsafe { lo_cgroup_get(path.as_char_ptr(), &mut ptr) })?;
        // INVARIANT: `lo_cgroup_get` returned a held cgroup.
        Ok(Self { ptr, path })
    }

    /// The held `struct cgroup`, for shims that take one: valid while `self` lives.
    pub(crate) fn as_raw(&self) -> *mut RawCgroup {
        self.ptr
    }

    /// The path it was looked up by, in the namespace of the task that named it.
    pub(crate) fn path(&self) -> &str {
        self.path.to_str().unwrap_or("?")
    }

    /// Whether it is being removed.
    pub(crate) fn dying(&self) -> bool {
        // SAFETY: `ptr` is held (type invariant).
        unsafe { lo_cgroup_dying(self.ptr) }
    }

    /// Whether the current task is in it or below it. Any context.
    pub(crate) fn has_current(&self) -> bool {
        // SAFETY: `ptr` is held (type invariant).
        unsafe { lo_cgroup_has_current(self.ptr) }
    }

    /// Its memory limits: `EOPNOTSUPP` if the memory controller is off for it.
    pub(crate) fn limits(&self) -> Result<Limits> {
        let (mut high, mut max, mut usage) = (0, 0, 0);
        // SAFETY: `ptr` is held (type invariant); the out pointers are valid for writes.
        to_result(unsafe { lo_memcg_limits(self.ptr, &mut high, &mut max, &mut usage) })?;
        Ok(Limits { high, max, usage })
    }

    /// Sets its `memory.high` to `pages`, as writing its `memory.high` file does before that
    /// handler reclaims: enforced from the cgroup's next charges, and [`Self::reclaim`] brings
    /// the usage down now. Takes no lock.
    pub(crate) fn set_high(&self, pages: u64) -> Result {
        // SAFETY: `ptr` is held (type invariant).
        to_result(unsafe { lo_memcg_set_high(self.ptr, pages) })
    }

    /// Reclaims up to `pages` pages from it, one bounded step; the pages reclaimed. Process
    /// context: may sleep.
    pub(crate) fn reclaim(&self, pages: u64) -> u64 {
        // SAFETY: `ptr` is held (type invariant).
        unsafe { lo_memcg_reclaim(self.ptr, pages) }
    }

    /// Its page cache, in pages (`file` of its `memory.stat`). Process context: may sleep.
    pub(crate) fn file_pages(&self) -> Result<u64> {
        let mut pages = 0;
        // SAFETY: `ptr` is held (type invariant); `pages` is valid for writes.
        to_result(unsafe { lo_memcg_file_pages(self.ptr, &mut pages) })?;
        Ok(pages)
    }
}

impl Drop for Cgroup {
    fn drop(&mut self) {
        // SAFETY: `ptr` is held (type invariant) and not used after this.
        unsafe { lo_cgroup_put(self.ptr) };
    }
}
