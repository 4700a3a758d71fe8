// SPDX-License-Identifier: GPL-2.0

//! A task of the system, held, and its EEVDF slice (through the C shim: 6.12's Rust has no
//! task lookup by pid nor `sched_setattr`).

use core::ptr::NonNull;

use kernel::error::to_result;
use kernel::prelude::*;

use crate::cgroup::{Cgroup, RawCgroup};

/// `struct task_struct`, opaque here.
#[repr(C)]
struct RawTask {
    _opaque: [u8; 0],
}

extern "C" {
    fn lo_sched_task_get(pid: i32, start_time: u64) -> *mut RawTask;
    fn lo_sched_task_put(p: *mut RawTask);
    fn lo_sched_task_slice(
        p: *mut RawTask,
        slice: *mut u64,
        custom: *mut bool,
    ) -> kernel::ffi::c_int;
    fn lo_sched_task_set_slice(p: *mut RawTask, runtime: u64) -> kernel::ffi::c_int;
    fn lo_sched_task_in_cgroup(p: *mut RawTask, cgrp: *mut RawCgroup) -> bool;
}

/// A task's slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slice {
    /// Its length, ns.
    pub(super) ns: u64,
    /// Whether it was set through `sched_setattr` (by this module or anyone), rather than the
    /// kernel's default.
    pub(super) custom: bool,
}

/// A held task.
///
/// INVARIANT: `ptr` is a task this value holds a reference on.
pub(super) struct TaskRef {
    ptr: NonNull<RawTask>,
}

impl TaskRef {
    /// The task with global pid `pid` if it is the one that started at `start` (pids are
    /// reused); `None` if it is gone. Process context.
    pub(super) fn get(pid: u32, start: u64) -> Option<Self> {
        let pid = i32::try_from(pid).ok()?;
        // SAFETY: no precondition; a non-null result is a held task.
        let ptr = NonNull::new(unsafe { lo_sched_task_get(pid, start) })?;
        // INVARIANT: `lo_sched_task_get` took the reference.
        Some(Self { ptr })
    }

    /// Its slice: `EPERM` if it is not a `SCHED_NORMAL` or `SCHED_BATCH` user task (any
    /// more).
    pub(super) fn slice(&self) -> Result<Slice> {
        let (mut ns, mut custom) = (0u64, false);
        // SAFETY: `ptr` is held (type invariant); the out pointers are valid for writes.
        to_result(unsafe { lo_sched_task_slice(self.ptr.as_ptr(), &mut ns, &mut custom) })?;
        Ok(Slice { ns, custom })
    }

    /// Sets its slice to `ns` (the kernel clamps it to 0.1..100 ms), or back to the default
    /// with 0, changing nothing else (its policy and nice value stay as the kernel holds them).
    /// May sleep.
    pub(super) fn set_slice(&self, ns: u64) -> Result {
        // SAFETY: `ptr` is held (type invariant); process context (our callers').
        to_result(unsafe { lo_sched_task_set_slice(self.ptr.as_ptr(), ns) })
    }

    /// Whether it is in `cg` or below it.
    pub(super) fn in_cgroup(&self, cg: &Cgroup) -> bool {
        // SAFETY: both are held (type invariants).
        unsafe { lo_sched_task_in_cgroup(self.ptr.as_ptr(), cg.as_raw()) }
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: `ptr` is held (type invariant), and released once, here.
        unsafe { lo_sched_task_put(self.ptr.as_ptr()) };
    }
}
