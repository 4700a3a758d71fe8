// SPDX-License-Identifier: GPL-2.0

//! A registered process's address space: the MMU notifier on it and the exact page-table
//! walk (`shim/vindex.c`).

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::ffi::c_int;
use kernel::prelude::*;

use super::abi::NOT_PRESENT;

mod ffi {
    use super::*;

    /// `struct lo_vindex_mm`, opaque to Rust.
    #[repr(C)]
    pub(super) struct LoVindexMm {
        _opaque: [u8; 0],
    }

    /// `struct file`, opaque to Rust.
    #[repr(C)]
    pub(crate) struct File {
        _opaque: [u8; 0],
    }

    pub(super) type PageFn =
        unsafe extern "C" fn(ctx: *mut c_void, vpn: u64, pfn: u64, nr: u64) -> c_int;

    extern "C" {
        pub(super) fn lo_vindex_mm_register(
            file: *mut File,
            pid: i32,
            session: *const c_void,
            out: *mut *mut LoVindexMm,
        ) -> c_int;
        pub(super) fn lo_vindex_mm_unregister(m: *mut LoVindexMm);
        pub(super) fn lo_vindex_mm_enter(m: *mut LoVindexMm) -> bool;
        pub(super) fn lo_vindex_mm_exit(m: *mut LoVindexMm);
        pub(super) fn lo_vindex_mm_lock(m: *mut LoVindexMm) -> c_int;
        pub(super) fn lo_vindex_mm_unlock(m: *mut LoVindexMm);
        pub(super) fn lo_vindex_walk(
            m: *mut LoVindexMm,
            start: u64,
            end: u64,
            page: PageFn,
            ctx: *mut c_void,
        ) -> c_int;
        pub(super) fn lo_vindex_translate_one(m: *mut LoVindexMm, addr: u64) -> u64;
    }
}

pub(crate) use ffi::File as RawFile;

/// The open file of the device an ioctl came through, for the length of that ioctl: whose
/// opener's credentials a registration is checked against.
///
/// INVARIANT: `raw` is a live `struct file` for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct IoctlFile<'a> {
    raw: NonNull<ffi::File>,
    _file: PhantomData<&'a ffi::File>,
}

impl IoctlFile<'_> {
    /// Wraps the file an ioctl came through.
    ///
    /// # Safety
    ///
    /// `raw` must be a `struct file` that stays live for the returned value's lifetime (an
    /// ioctl's own file does, until the ioctl returns).
    pub(crate) unsafe fn from_raw(raw: NonNull<ffi::File>) -> Self {
        // INVARIANT: by the function's safety requirements.
        Self {
            raw,
            _file: PhantomData,
        }
    }
}

/// An MMU notifier on a process's mm, calling the session's notifier callbacks.
///
/// INVARIANT: `raw` was returned by `lo_vindex_mm_register` and is unregistered only in
/// `drop`.
pub(crate) struct Notifier {
    raw: NonNull<ffi::LoVindexMm>,
}

// SAFETY: the shim's notifier may be used and unregistered from any thread.
unsafe impl Send for Notifier {}
// SAFETY: every shim function taking it is safe to call concurrently.
unsafe impl Sync for Notifier {}

impl Notifier {
    /// Registers a notifier on the mm of `pid` whose callbacks get `session`, for the caller
    /// of an ioctl on `file`: `/proc/PID/pagemap`'s rule, checked now. Fails with `EPERM` if
    /// `file`'s opener lacks `CAP_SYS_ADMIN`, `ESRCH` if there is no such process or it has
    /// no mm (a kernel thread), `EACCES` if the caller may not ptrace-read it
    /// (`PTRACE_MODE_READ_FSCREDS`).
    ///
    /// # Safety
    ///
    /// `session` must stay valid for the notifier callbacks of `shim/vindex.c`'s ops until the
    /// returned `Notifier` is dropped.
    pub(crate) unsafe fn register(
        file: IoctlFile<'_>,
        pid: i32,
        session: *const c_void,
    ) -> Result<Self> {
        let mut raw = core::ptr::null_mut();
        // SAFETY: `file` is live (its type invariant); `raw` is a valid out pointer; the
        // caller keeps `session` valid.
        kernel::error::to_result(unsafe {
            ffi::lo_vindex_mm_register(file.raw.as_ptr(), pid, session, &mut raw)
        })?;
        // INVARIANT: registered just now.
        NonNull::new(raw).map(|raw| Self { raw }).ok_or(EINVAL)
    }

    /// Pins the address space for walks; `None` once the process has exited.
    pub(crate) fn enter(&self) -> Option<Walker<'_>> {
        // SAFETY: `raw` is registered (the type invariant).
        // INVARIANT: entered just now.
        unsafe { ffi::lo_vindex_mm_enter(self.raw.as_ptr()) }.then_some(Walker { mm: self })
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // SAFETY: registered (the type invariant), and unregistered only here. No `Walker`
        // borrows `self` any more.
        unsafe { ffi::lo_vindex_mm_unregister(self.raw.as_ptr()) };
    }
}

/// The address space, pinned for exact walks.
///
/// INVARIANT: `lo_vindex_mm_enter` succeeded for `mm`, and `drop` ends it.
pub(crate) struct Walker<'a> {
    mm: &'a Notifier,
}

impl Walker<'_> {
    /// Takes the mm's mmap lock for reading, for walks. The caller must not fault on this mm
    /// (no user copies) while it holds the result. Fails with `EINTR` on a fatal signal.
    pub(crate) fn lock(&self) -> Result<Locked<'_>> {
        // SAFETY: the address space is pinned (the type invariant).
        kernel::error::to_result(unsafe { ffi::lo_vindex_mm_lock(self.mm.raw.as_ptr()) })?;
        // INVARIANT: locked just now.
        Ok(Locked { mm: self.mm })
    }
}

/// The pinned address space with its mmap lock held for reading: the exact walk.
///
/// INVARIANT: `lo_vindex_mm_enter` and `lo_vindex_mm_lock` succeeded for `mm`, and `drop`
/// unlocks it (the [`Walker`] it borrows from keeps it entered).
pub(crate) struct Locked<'a> {
    mm: &'a Notifier,
}

impl Locked<'_> {
    /// The frame the page at `addr` maps to, if it is present. Bounded work.
    pub(crate) fn translate(&self, addr: u64) -> Option<u64> {
        // SAFETY: the address space is pinned and locked (the type invariant).
        let pfn = unsafe { ffi::lo_vindex_translate_one(self.mm.raw.as_ptr(), addr) };
        (pfn != NOT_PRESENT).then_some(pfn)
    }

    /// Calls `page(vpn, pfn, nr)` for every present stretch of `[start, end)`, in address
    /// order, until it fails. May sleep; fails with `EINTR` on a fatal signal.
    pub(crate) fn walk<F>(&self, start: u64, end: u64, mut page: F) -> Result
    where
        F: FnMut(u64, u64, u64) -> Result,
    {
        /// # Safety
        ///
        /// `ctx` must point to an `F` that nothing else uses during the call.
        unsafe extern "C" fn trampoline<F>(ctx: *mut c_void, vpn: u64, pfn: u64, nr: u64) -> c_int
        where
            F: FnMut(u64, u64, u64) -> Result,
        {
            // SAFETY: `ctx` is the `&mut F` passed to `lo_vindex_walk` below, which calls
            // this only while it runs.
            let page = unsafe { &mut *ctx.cast::<F>() };
            kernel::error::from_result(|| page(vpn, pfn, nr).map(|()| 0))
        }
        // SAFETY: the address space is pinned and locked (the type invariant); `ctx` is
        // `page`, of the type the trampoline is instantiated for, and outlives the call.
        kernel::error::to_result(unsafe {
            ffi::lo_vindex_walk(
                self.mm.raw.as_ptr(),
                start,
                end,
                trampoline::<F>,
                core::ptr::from_mut(&mut page).cast(),
            )
        })
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // SAFETY: locked (the type invariant), and unlocked only here.
        unsafe { ffi::lo_vindex_mm_unlock(self.mm.raw.as_ptr()) };
    }
}

impl Drop for Walker<'_> {
    fn drop(&mut self) {
        // SAFETY: entered (the type invariant), and ended only here.
        unsafe { ffi::lo_vindex_mm_exit(self.mm.raw.as_ptr()) };
    }
}
