// SPDX-License-Identifier: GPL-2.0

//! sysfs directories whose files are implemented by a Rust [`Handler`].
//!
//! The C shim (`shim/sysfs.c`) owns the kobjects and attributes; this file owns their
//! lifetime and turns the shim's raw callbacks into calls on a shared handler.
//!
//! Every write, to any file of a [`Tree`], needs `CAP_SYS_ADMIN` in the initial user
//! namespace, whatever the file's mode: the mode is checked when the file is opened (`EACCES`),
//! the capability here, when it is written (`EPERM`), before the handler sees a byte.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::error::from_result;
use kernel::ffi::{c_char, c_int};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

use crate::learned_core::text::TextBuf;

mod ffi {
    use super::*;

    /// `struct lo_sysfs_dir`, opaque to Rust.
    #[repr(C)]
    pub(super) struct LoSysfsDir {
        _opaque: [u8; 0],
    }

    /// `struct file`, opaque to Rust.
    #[repr(C)]
    pub(super) struct RawFile {
        _opaque: [u8; 0],
    }

    pub(super) type ShowFn = unsafe extern "C" fn(
        ctx: *const c_void,
        dir_id: u32,
        file_id: u32,
        buf: *mut u8,
        size: usize,
    ) -> isize;
    pub(super) type StoreFn = unsafe extern "C" fn(
        ctx: *const c_void,
        dir_id: u32,
        file_id: u32,
        buf: *const u8,
        len: usize,
    ) -> isize;
    pub(super) type WriteBinFn = unsafe extern "C" fn(
        ctx: *const c_void,
        dir_id: u32,
        file_id: u32,
        filp: *mut RawFile,
        buf: *const u8,
        offset: i64,
        len: usize,
    ) -> isize;

    extern "C" {
        pub(super) fn lo_sysfs_dir_create(
            parent: *mut LoSysfsDir,
            name: *const c_char,
            ctx: *const c_void,
            dir_id: u32,
            show: ShowFn,
            store: StoreFn,
            write_bin: WriteBinFn,
            out: *mut *mut LoSysfsDir,
        ) -> c_int;
        pub(super) fn lo_sysfs_file_create(
            dir: *mut LoSysfsDir,
            name: *const c_char,
            mode: u16,
            file_id: u32,
        ) -> c_int;
        pub(super) fn lo_sysfs_bin_file_create(
            dir: *mut LoSysfsDir,
            name: *const c_char,
            mode: u16,
            file_id: u32,
        ) -> c_int;
        pub(super) fn lo_sysfs_dir_destroy(dir: *mut LoSysfsDir);
        pub(super) fn lo_sysfs_file_get(filp: *mut RawFile);
        pub(super) fn lo_sysfs_file_put(filp: *mut RawFile);
        pub(super) fn lo_sysfs_file_shared(filp: *mut RawFile) -> bool;
    }
}

/// The open file a chunk of a binary write came through, for the duration of the callback.
///
/// # Invariants
///
/// `raw` is a `struct file` that stays alive for `'a` (the write in progress holds it).
pub(crate) struct Writer<'a> {
    raw: NonNull<ffi::RawFile>,
    _call: PhantomData<&'a ()>,
}

impl Writer<'_> {
    /// Keeps this open file: its identity (and memory) stays valid until the result is dropped.
    pub(crate) fn hold(&self) -> HeldFile {
        // SAFETY: `raw` is alive (type invariant), so a reference may be taken on it.
        unsafe { ffi::lo_sysfs_file_get(self.raw.as_ptr()) };
        // INVARIANT: the reference just taken is the one the `HeldFile` owns.
        HeldFile { raw: self.raw }
    }

    /// Whether this is the open file `held` keeps.
    pub(crate) fn is(&self, held: &HeldFile) -> bool {
        // `held` keeps its file alive, so no other file can have its address meanwhile.
        self.raw == held.raw
    }
}

/// A reference on an open file of a binary attribute, kept across callbacks.
///
/// # Invariants
///
/// `raw` is a `struct file` on which this object owns one reference.
pub(crate) struct HeldFile {
    raw: NonNull<ffi::RawFile>,
}

// SAFETY: a file reference may be used and dropped (`fput`) from any thread.
unsafe impl Send for HeldFile {}
// SAFETY: `&HeldFile` only reads the file's reference count.
unsafe impl Sync for HeldFile {}

impl HeldFile {
    /// Whether every descriptor of the file is closed: only this reference is left, so
    /// nothing can write through it any more. (A sysfs binary file has no release callback:
    /// this is how its last close is seen, afterwards.)
    pub(crate) fn closed(&self) -> bool {
        // SAFETY: `raw` is alive: this object holds a reference on it (type invariant).
        !unsafe { ffi::lo_sysfs_file_shared(self.raw.as_ptr()) }
    }
}

impl Drop for HeldFile {
    fn drop(&mut self) {
        // SAFETY: the reference is this object's (type invariant) and is given up once.
        // `fput` never releases the file synchronously, so this may run under a mutex.
        unsafe { ffi::lo_sysfs_file_put(self.raw.as_ptr()) };
    }
}

/// Whether the current task may write to a file of a [`Tree`]: `EPERM` without
/// `CAP_SYS_ADMIN`.
fn may_write() -> Result {
    // SAFETY: `capable` only reads the current task's credentials (and audits the check).
    if unsafe { kernel::bindings::capable(kernel::bindings::CAP_SYS_ADMIN as c_int) } {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// What a sysfs file of a [`Tree`] does; `dir` and `file` are the ids given at creation.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Writes the file's contents into `out` (one page).
    fn show(&self, dir: u32, file: u32, out: &mut TextBuf<'_>) -> Result;
    /// Applies a write of `input`, by a task with `CAP_SYS_ADMIN`. On error nothing may have
    /// changed.
    fn store(&self, dir: u32, file: u32, input: &[u8]) -> Result;
    /// Takes one chunk, at file offset `offset` of the open file `writer`, of a write to a
    /// [`Kind::Binary`] file, by a task with `CAP_SYS_ADMIN`.
    fn write_bin(
        &self,
        dir: u32,
        file: u32,
        writer: &Writer<'_>,
        offset: u64,
        data: &[u8],
    ) -> Result;
}

/// How a file is read and written.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// Text, read with `show` and written whole with `store` (at most a page).
    Text,
    /// Write-only, of any length: `write_bin` gets it a chunk at a time with offsets.
    Binary,
}

/// One file of a directory.
pub(crate) struct File {
    /// The file's name.
    pub(crate) name: &'static CStr,
    /// Its permission bits, e.g. `0o644`.
    pub(crate) mode: u16,
    /// The id passed to the handler.
    pub(crate) id: u32,
    /// Text or binary.
    pub(crate) kind: Kind,
}

/// A live sysfs directory with its files.
///
/// INVARIANT: `raw` was created by `lo_sysfs_dir_create` with `ctx` pointing to `*handler`
/// and callbacks for `T`, and is destroyed only in `drop`.
struct Dir<T: Handler> {
    raw: NonNull<ffi::LoSysfsDir>,
    handler: Arc<T>,
}

// SAFETY: `Dir` only holds the directory to destroy it; the shim's directory may be destroyed
// from any thread, and `T` is `Send + Sync`.
unsafe impl<T: Handler> Send for Dir<T> {}
// SAFETY: `&Dir` gives no access to the directory at all.
unsafe impl<T: Handler> Sync for Dir<T> {}

impl<T: Handler> Dir<T> {
    fn new(
        parent: Option<&Dir<T>>,
        name: &'static CStr,
        id: u32,
        files: &[&[File]],
        handler: Arc<T>,
    ) -> Result<Self> {
        let parent = parent.map_or(core::ptr::null_mut(), |p| p.raw.as_ptr());
        let mut raw = core::ptr::null_mut();
        // SAFETY: `parent` is null or a live directory (its `Dir`'s invariant); `name` is a
        // 'static C string; `ctx` is the handler, which the `Dir` keeps alive until after
        // the directory is destroyed, and the callbacks are instantiated for its type.
        kernel::error::to_result(unsafe {
            ffi::lo_sysfs_dir_create(
                parent,
                name.as_char_ptr(),
                core::ptr::from_ref::<T>(&handler).cast(),
                id,
                show_callback::<T>,
                store_callback::<T>,
                write_bin_callback::<T>,
                &mut raw,
            )
        })?;
        let raw = NonNull::new(raw).ok_or(EINVAL)?;
        // INVARIANT: `raw` was just created as required.
        let dir = Self { raw, handler };
        for file in files.iter().copied().flatten() {
            let create = match file.kind {
                Kind::Text => ffi::lo_sysfs_file_create,
                Kind::Binary => ffi::lo_sysfs_bin_file_create,
            };
            // SAFETY: `dir.raw` is live; `file.name` is NUL-terminated and 'static.
            kernel::error::to_result(unsafe {
                create(
                    dir.raw.as_ptr(),
                    file.name.as_char_ptr(),
                    file.mode,
                    file.id,
                )
            })?;
        }
        Ok(dir)
    }
}

impl<T: Handler> Drop for Dir<T> {
    fn drop(&mut self) {
        // SAFETY: `raw` is live (type invariant) and never used again. Once this returns no
        // callback runs, so `handler` may be released after it.
        unsafe { ffi::lo_sysfs_dir_destroy(self.raw.as_ptr()) };
    }
}

/// A directory under `/sys/kernel` with one level of subdirectories, all served by one
/// handler. Dropping it removes everything and waits for callbacks in flight.
pub(crate) struct Tree<T: Handler> {
    // Field order matters: subdirectories are dropped (removed) before their parent.
    children: KVec<Dir<T>>,
    root: Dir<T>,
}

impl<T: Handler> Tree<T> {
    /// Creates `/sys/kernel/<name>` with the files of `files`, its id being `id`.
    pub(crate) fn new(
        name: &'static CStr,
        id: u32,
        files: &[&[File]],
        handler: Arc<T>,
    ) -> Result<Self> {
        Ok(Self {
            children: KVec::new(),
            root: Dir::new(None, name, id, files, handler)?,
        })
    }

    /// Adds a subdirectory `name` with the files of `files`, its id being `id`.
    pub(crate) fn add_dir(&mut self, name: &'static CStr, id: u32, files: &[&[File]]) -> Result {
        self.children.reserve(1, GFP_KERNEL)?;
        let dir = Dir::new(Some(&self.root), name, id, files, self.root.handler.clone())?;
        self.children.push(dir, GFP_KERNEL)?;
        Ok(())
    }
}

/// # Safety
///
/// `ctx` must be the handler pointer of a live `Dir<T>`, and `buf` valid for writes of `size`
/// bytes and not otherwise accessed during the call.
unsafe extern "C" fn show_callback<T: Handler>(
    ctx: *const c_void,
    dir_id: u32,
    file_id: u32,
    buf: *mut u8,
    size: usize,
) -> isize {
    // SAFETY: by the function's safety requirements, `ctx` points to a live `T`.
    let handler = unsafe { &*ctx.cast::<T>() };
    // SAFETY: by the function's safety requirements, `buf` is ours for `size` bytes.
    let page = unsafe { core::slice::from_raw_parts_mut(buf, size) };
    let mut out = TextBuf::new(page);
    from_result(|| {
        handler.show(dir_id, file_id, &mut out)?;
        // A page length always fits in `isize`.
        Ok(out.len() as isize)
    })
}

/// # Safety
///
/// `ctx` must be the handler pointer of a live `Dir<T>`, and `buf` valid for reads of `len`
/// bytes during the call.
unsafe extern "C" fn store_callback<T: Handler>(
    ctx: *const c_void,
    dir_id: u32,
    file_id: u32,
    buf: *const u8,
    len: usize,
) -> isize {
    from_result(|| {
        may_write()?;
        // SAFETY: by the function's safety requirements, `ctx` points to a live `T`.
        let handler = unsafe { &*ctx.cast::<T>() };
        // SAFETY: by the function's safety requirements, `buf` is readable for `len` bytes.
        let input = unsafe { core::slice::from_raw_parts(buf, len) };
        handler.store(dir_id, file_id, input)?;
        // sysfs writes are at most a page, so `len` fits in `isize`.
        Ok(len as isize)
    })
}

/// # Safety
///
/// `ctx` must be the handler pointer of a live `Dir<T>`, `filp` the live open file the write
/// came through, and `buf` valid for reads of `len` bytes during the call.
unsafe extern "C" fn write_bin_callback<T: Handler>(
    ctx: *const c_void,
    dir_id: u32,
    file_id: u32,
    filp: *mut ffi::RawFile,
    buf: *const u8,
    offset: i64,
    len: usize,
) -> isize {
    from_result(|| {
        may_write()?;
        let raw = NonNull::new(filp).ok_or(EINVAL)?;
        // INVARIANT: by the function's safety requirements, the file is alive during the
        // call, which the writer does not outlive.
        let writer = Writer {
            raw,
            _call: PhantomData,
        };
        // SAFETY: by the function's safety requirements, `ctx` points to a live `T`.
        let handler = unsafe { &*ctx.cast::<T>() };
        // SAFETY: by the function's safety requirements, `buf` is readable for `len` bytes.
        let data = unsafe { core::slice::from_raw_parts(buf, len) };
        let offset = u64::try_from(offset).map_err(|_| EINVAL)?;
        handler.write_bin(dir_id, file_id, &writer, offset, data)?;
        // A chunk is at most a page, so `len` fits in `isize`.
        Ok(len as isize)
    })
}
