// SPDX-License-Identifier: GPL-2.0

//! A raw spinlock taken with interrupts off, around data of type `T`.
//!
//! The scheduler's tracepoints call the policy with the runqueue's raw spinlock held, and
//! wakeups come from interrupts too: the lock they take must be a raw spinlock (a
//! `spinlock_t`, all that 6.12's Rust offers, sleeps on PREEMPT_RT) and must disable
//! interrupts (else an interrupt's wakeup on the CPU holding it would spin forever). The lock
//! itself lives in the C shim.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use kernel::prelude::*;

/// The shim's `struct lo_raw_lock`.
#[repr(C)]
struct RawLock {
    _opaque: [u8; 0],
}

extern "C" {
    fn lo_raw_lock_new() -> *mut RawLock;
    fn lo_raw_lock_free(l: *mut RawLock);
    fn lo_raw_lock_irqsave(l: *mut RawLock) -> kernel::ffi::c_ulong;
    fn lo_raw_unlock_irqrestore(l: *mut RawLock, flags: kernel::ffi::c_ulong);
}

/// `T` behind a raw spinlock taken with interrupts disabled.
///
/// INVARIANT: `lock` is a live lock from `lo_raw_lock_new`, freed only by `drop`; `data` is
/// accessed only through a [`Guard`], which holds `lock`.
pub(crate) struct IrqRawLock<T> {
    lock: NonNull<RawLock>,
    data: UnsafeCell<T>,
}

// SAFETY: the lock serializes every access to `data`, from any CPU and context; `T` moves
// between them, so it must be `Send`.
unsafe impl<T: Send> Sync for IrqRawLock<T> {}
// SAFETY: the lock may be freed on any CPU; `T` must be `Send` to move with it.
unsafe impl<T: Send> Send for IrqRawLock<T> {}

impl<T> IrqRawLock<T> {
    /// `data` behind a new lock. Process context (allocates).
    pub(crate) fn new(data: T) -> Result<Self> {
        // SAFETY: no precondition; the result is checked.
        let lock = NonNull::new(unsafe { lo_raw_lock_new() }).ok_or(ENOMEM)?;
        // INVARIANT: `lock` was just created.
        Ok(Self {
            lock,
            data: UnsafeCell::new(data),
        })
    }

    /// Takes the lock, interrupts off until the guard goes. Any context; never sleeps.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        // SAFETY: `lock` is live (type invariant).
        let flags = unsafe { lo_raw_lock_irqsave(self.lock.as_ptr()) };
        Guard {
            owner: self,
            flags,
            _not_send: PhantomData,
        }
    }
}

impl<T> Drop for IrqRawLock<T> {
    fn drop(&mut self) {
        // SAFETY: `lock` is live and, with `&mut self`, not held; nothing uses it after this.
        unsafe { lo_raw_lock_free(self.lock.as_ptr()) };
    }
}

/// The lock, held; interrupts are off until it is dropped, on this CPU (so not `Send`).
pub(crate) struct Guard<'a, T> {
    owner: &'a IrqRawLock<T>,
    flags: kernel::ffi::c_ulong,
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for Guard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard holds the lock, so no other reference to the data exists.
        unsafe { &*self.owner.data.get() }
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only reference.
        unsafe { &mut *self.owner.data.get() }
    }
}

impl<T> Drop for Guard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: this guard took the lock with these flags, on this CPU (interrupts and
        // so preemption have been off since).
        unsafe { lo_raw_unlock_irqrestore(self.owner.lock.as_ptr(), self.flags) };
    }
}
