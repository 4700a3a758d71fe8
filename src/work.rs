// SPDX-License-Identifier: GPL-2.0

//! The module's delayed work items, through the C shim (`shim/work.c`: 6.12's Rust has no
//! delayed work): one per [`WorkId`], each with one callback for the module's lifetime, all on
//! the module's own unbound [`Queue`].

use core::ffi::c_void;
use core::ptr::NonNull;

use kernel::prelude::*;

/// `struct workqueue_struct`, opaque here.
#[repr(C)]
struct RawQueue {
    _private: [u8; 0],
}

extern "C" {
    fn lo_workqueue_alloc() -> *mut RawQueue;
    fn lo_workqueue_destroy(wq: *mut RawQueue);
    fn lo_work_init(
        id: u32,
        wq: *mut RawQueue,
        ctx: *const c_void,
        f: unsafe extern "C" fn(*const c_void),
    );
    fn lo_work_schedule(id: u32, ms: kernel::ffi::c_uint);
    fn lo_work_kick(id: u32);
    fn lo_work_cancel(id: u32);
}

/// `enum lo_work_id`: which work item.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum WorkId {
    /// The buffer-cache sizer's decisions.
    Sizer = 0,
    /// The scheduler policy's slice updates.
    Sched = 1,
}

/// The module's workqueue: unbound, so that a work item that reclaims memory for a while
/// holds up no other user of the system workqueue; dropping it waits for what is queued.
///
/// # Invariants
///
/// `ptr` is a workqueue this value allocated and destroys when dropped.
pub(crate) struct Queue {
    ptr: NonNull<RawQueue>,
}

// SAFETY: a workqueue may be queued on and destroyed from any task.
unsafe impl Send for Queue {}
// SAFETY: `Queue` has no `&self` methods; the pointer is only handed to `init`.
unsafe impl Sync for Queue {}

impl Queue {
    /// Allocates the queue (`ENOMEM`).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: no arguments; the result is owned by the caller.
        let ptr = NonNull::new(unsafe { lo_workqueue_alloc() }).ok_or(ENOMEM)?;
        // INVARIANT: allocated just now.
        Ok(Self { ptr })
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: allocated by `new` (type invariant) and not used after this.
        unsafe { lo_workqueue_destroy(self.ptr.as_ptr()) };
    }
}

/// Sets the callback of work `id`: `f(ctx)` in process context on `queue`, which may sleep.
/// Calls for a work item not set up yet do nothing.
///
/// # Safety
///
/// `ctx` must stay valid for `f`, and `queue` must live, until [`cancel`] for `id` has
/// returned and nothing schedules the work again.
pub(crate) unsafe fn init(
    id: WorkId,
    queue: &Queue,
    ctx: *const c_void,
    f: unsafe extern "C" fn(*const c_void),
) {
    // SAFETY: the caller keeps `ctx` valid for `f`, and `queue` alive, as long as the work
    // can run.
    unsafe { lo_work_init(id as u32, queue.ptr.as_ptr(), ctx, f) };
}

/// Runs work `id` once, `ms` milliseconds from now, unless it is already pending.
pub(crate) fn schedule(id: WorkId, ms: u32) {
    // SAFETY: any id and delay are valid; an uninitialized work is ignored.
    unsafe { lo_work_schedule(id as u32, ms) };
}

/// Runs work `id` as soon as possible, pending or not. Any context.
pub(crate) fn kick(id: WorkId) {
    // SAFETY: as in `schedule`.
    unsafe { lo_work_kick(id as u32) };
}

/// Cancels work `id` and waits for a running callback (which may re-arm it: it is cancelled
/// all the same). Process context.
pub(crate) fn cancel(id: WorkId) {
    // SAFETY: as in `schedule`.
    unsafe { lo_work_cancel(id as u32) };
}
