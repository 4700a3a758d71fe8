// SPDX-License-Identifier: GPL-2.0

//! `/dev/learned_os_vindex`: the misc device (`shim/vindex.c`) and its callbacks, which hand
//! each open file's ioctls and MMU notifier events to its [`Session`].

use core::ffi::c_void;

use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

use super::abi;
use super::mm::{IoctlFile, RawFile};
use super::session::Session;
use super::Count;
use crate::knobs::Knobs;
use crate::warn::warn_ratelimited;

/// `struct lo_vindex_ops`.
#[repr(C)]
struct Ops {
    open: unsafe extern "C" fn(ctx: *const c_void, session: *mut *mut c_void) -> c_int,
    close: unsafe extern "C" fn(session: *mut c_void),
    register_range: unsafe extern "C" fn(
        s: *const c_void,
        reg: *const abi::Register,
        file: *mut RawFile,
    ) -> c_int,
    translate: unsafe extern "C" fn(s: *const c_void, tr: *mut abi::Translate) -> c_int,
    stats: unsafe extern "C" fn(s: *const c_void, st: *mut abi::Stats) -> c_int,
    unregister: unsafe extern "C" fn(s: *const c_void) -> c_int,
    bad_ioctl: unsafe extern "C" fn(s: *const c_void, cmd: c_uint) -> c_int,
    invalidate_start: unsafe extern "C" fn(s: *const c_void, start: u64, end: u64),
    invalidate_end: unsafe extern "C" fn(s: *const c_void, start: u64, end: u64),
    release: unsafe extern "C" fn(s: *const c_void),
}

/// `struct lo_vindex_device`, opaque here.
#[repr(C)]
struct RawDevice {
    _opaque: [u8; 0],
}

extern "C" {
    fn lo_vindex_device_register(
        ops: *const Ops,
        ctx: *const c_void,
        out: *mut *mut RawDevice,
    ) -> c_int;
    fn lo_vindex_device_deregister(dev: *mut RawDevice);
}

static OPS: Ops = Ops {
    open,
    close,
    register_range,
    translate,
    stats,
    unregister,
    bad_ioctl,
    invalidate_start,
    invalidate_end,
    release,
};

/// The registered device; dropping it removes it.
///
/// # Invariants
///
/// `dev` is registered with `OPS` and `ctx`, an `Arc<Knobs>` from `into_foreign` that this
/// value owns until `drop` has removed the device.
pub(crate) struct Device {
    dev: core::ptr::NonNull<RawDevice>,
    ctx: *const c_void,
}

// SAFETY: the device may be removed from any task; `ctx` is an `Arc<Knobs>`, which is `Send`.
unsafe impl Send for Device {}
// SAFETY: no `&self` method.
unsafe impl Sync for Device {}

impl Device {
    /// Creates `/dev/learned_os_vindex` for `knobs` (`EBUSY` if one exists already).
    pub(crate) fn register(knobs: Arc<Knobs>) -> Result<Self> {
        let ctx = knobs.into_foreign();
        let mut dev = core::ptr::null_mut();
        // SAFETY: `OPS` is static and its callbacks match the shim's; `ctx` is an
        // `Arc<Knobs>` (what `open` borrows), released only once the device is gone.
        let ret = unsafe { lo_vindex_device_register(&OPS, ctx, &mut dev) };
        match kernel::error::to_result(ret)
            .and_then(|()| core::ptr::NonNull::new(dev).ok_or(EINVAL))
        {
            // INVARIANT: registered just now with `OPS` and `ctx`.
            Ok(dev) => Ok(Self { dev, ctx }),
            Err(e) => {
                // SAFETY: from `into_foreign` above, and no device calls back with it.
                drop(unsafe { <Arc<Knobs> as ForeignOwnable>::from_foreign(ctx) });
                Err(e)
            }
        }
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // SAFETY: registered (the type invariant). Open files hold the module, so none is
        // left once it unloads, and no callback runs after this.
        unsafe { lo_vindex_device_deregister(self.dev.as_ptr()) };
        // SAFETY: `ctx` came from `into_foreign` (the type invariant), and no callback can
        // use it any more.
        drop(unsafe { <Arc<Knobs> as ForeignOwnable>::from_foreign(self.ctx) });
    }
}

/// The session behind a callback's pointer.
///
/// # Safety
///
/// `s` must be a pointer `open` stored that `close` has not released yet.
unsafe fn session<'a>(s: *const c_void) -> &'a Session {
    // SAFETY: `open` stored an `Arc<Session>`'s pointer, live until `close`.
    unsafe { &*s.cast::<Session>() }
}

/// An ioctl's result at the FFI edge: 0, or the negative errno.
fn errno(r: Result) -> c_int {
    from_result(|| r.map(|()| 0))
}

/// # Safety
///
/// `ctx` is the device's `Knobs`; `out` is valid for a write.
unsafe extern "C" fn open(ctx: *const c_void, out: *mut *mut c_void) -> c_int {
    // SAFETY: `ctx` is the `Arc<Knobs>` the `Device` handed over with `into_foreign` and
    // holds while the device exists.
    let knobs: Arc<Knobs> = unsafe { <Arc<Knobs> as ForeignOwnable>::borrow(ctx) }.into();
    from_result(|| {
        let s = Session::new(knobs)?;
        // SAFETY: `out` is valid for a write (the function's safety requirements).
        unsafe { *out = Arc::into_raw(s).cast_mut().cast() };
        Ok(0)
    })
}

/// # Safety
///
/// `s` is a session pointer `open` stored; it is not used again.
unsafe extern "C" fn close(s: *mut c_void) {
    // SAFETY: `open` made `s` with `Arc::into_raw`, and this is its last use.
    let s = unsafe { Arc::from_raw(s.cast_const().cast::<Session>()) };
    // Unregisters the notifier before the session can go.
    s.close();
}

/// # Safety
///
/// `s` as for [`session`]; `reg` valid for a read; `file` the live file the ioctl came
/// through.
unsafe extern "C" fn register_range(
    s: *const c_void,
    reg: *const abi::Register,
    file: *mut RawFile,
) -> c_int {
    from_result(|| {
        let file = core::ptr::NonNull::new(file).ok_or(EINVAL)?;
        // SAFETY: by the function's safety requirements; the ioctl's file outlives this call.
        let (s, reg, file) = unsafe { (session(s), &*reg, IoctlFile::from_raw(file)) };
        s.register(reg, file).map(|()| 0)
    })
}

/// # Safety
///
/// `s` as for [`session`]; `tr` valid for reads and writes.
unsafe extern "C" fn translate(s: *const c_void, tr: *mut abi::Translate) -> c_int {
    // SAFETY: by the function's safety requirements.
    let (s, tr) = unsafe { (session(s), &mut *tr) };
    errno(s.translate(tr))
}

/// # Safety
///
/// `s` as for [`session`]; `st` valid for writes.
unsafe extern "C" fn stats(s: *const c_void, st: *mut abi::Stats) -> c_int {
    // SAFETY: by the function's safety requirements.
    let (s, st) = unsafe { (session(s), &mut *st) };
    errno(s.stats(st))
}

/// # Safety
///
/// `s` as for [`session`].
unsafe extern "C" fn unregister(s: *const c_void) -> c_int {
    // SAFETY: by the function's safety requirements.
    errno(unsafe { session(s) }.unregister())
}

/// # Safety
///
/// `s` as for [`session`].
unsafe extern "C" fn bad_ioctl(s: *const c_void, cmd: c_uint) -> c_int {
    // SAFETY: by the function's safety requirements.
    let s = unsafe { session(s) };
    s.knobs().vindex().count(Count::RejectedIoctls, 1);
    warn_ratelimited!("vindex: unknown ioctl {:#x}\n", cmd);
    errno(Err(ENOTTY))
}

/// # Safety
///
/// `s` as for [`session`], for a live notifier of the session.
unsafe extern "C" fn invalidate_start(s: *const c_void, start: u64, end: u64) {
    // SAFETY: a registration's notifier is unregistered before its session is released.
    unsafe { session(s) }.invalidate_start(start, end);
}

/// # Safety
///
/// As for [`invalidate_start`].
unsafe extern "C" fn invalidate_end(s: *const c_void, _start: u64, _end: u64) {
    // SAFETY: as in `invalidate_start`.
    unsafe { session(s) }.invalidate_end();
}

/// # Safety
///
/// As for [`invalidate_start`].
unsafe extern "C" fn release(s: *const c_void) {
    // SAFETY: as in `invalidate_start`.
    unsafe { session(s) }.release();
}
