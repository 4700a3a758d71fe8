// SPDX-License-Identifier: GPL-2.0

//! The module's delayed work items, through the C shim (`shim/work.c`: 6.12's Rust has no
//! delayed work): one per [`WorkId`], each with one callback for the module's lifetime.

use core::ffi::c_void;

extern "C" {
    fn lo_work_init(id: u32, ctx: *const c_void, f: unsafe extern "C" fn(*const c_void));
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

/// Sets the callback of work `id`: `f(ctx)` in process context, which may sleep. Calls for a
/// work item not set up yet do nothing.
///
/// # Safety
///
/// `ctx` must stay valid for `f` until [`cancel`] for `id` has returned and nothing schedules
/// the work again.
pub(crate) unsafe fn init(id: WorkId, ctx: *const c_void, f: unsafe extern "C" fn(*const c_void)) {
    // SAFETY: the caller keeps `ctx` valid for `f` as long as the work can run.
    unsafe { lo_work_init(id as u32, ctx, f) };
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
