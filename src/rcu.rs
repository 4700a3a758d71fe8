// SPDX-License-Identifier: GPL-2.0

//! Read-copy-update for a published `Arc`: readers take no lock and no reference count.
//!
//! A reader opens a [`ReadGuard`] (an RCU read-side critical section: it must not sleep) and
//! reads the current value through it; the reference lives no longer than the guard. A
//! writer publishes a new value with [`RcuArc::replace`], which waits for a grace period, so
//! every reader that could still see the old value is done, before handing it back.

use core::marker::PhantomData;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::sync::{Arc, ArcBorrow};

extern "C" {
    fn lo_rcu_read_lock();
    fn lo_rcu_read_unlock();
    fn lo_synchronize_rcu();
}

/// An RCU read-side critical section, from creation to drop. Do not sleep while holding it.
pub(crate) struct ReadGuard {
    /// Neither `Send` nor `Sync`: the section belongs to this CPU and task.
    _not_send: PhantomData<*mut ()>,
}

impl ReadGuard {
    /// Enters a read-side critical section.
    pub(crate) fn new() -> Self {
        // SAFETY: `rcu_read_lock` may be called from any context; `drop` pairs it.
        unsafe { lo_rcu_read_lock() };
        Self {
            _not_send: PhantomData,
        }
    }
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        // SAFETY: `new` entered the section this ends, on this task (the guard is `!Send`).
        unsafe { lo_rcu_read_unlock() };
    }
}

/// An optional `Arc<T>` published to RCU readers.
///
/// INVARIANT: `ptr` is null or comes from `Arc::into_raw` and owns that reference.
pub(crate) struct RcuArc<T> {
    ptr: AtomicPtr<T>,
    /// Send and Sync exactly when `Arc<T>` is.
    _owns: PhantomData<Arc<T>>,
}

impl<T> RcuArc<T> {
    /// Nothing published.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(ptr::null_mut()),
            _owns: PhantomData,
        }
    }

    /// The published value, valid while `guard` lives.
    pub(crate) fn read<'g>(&self, _guard: &'g ReadGuard) -> Option<&'g T> {
        // Acquire pairs with the release in `replace`: the pointee is initialised.
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: non-null `p` comes from `Arc::into_raw` (type invariant). A writer that
        // unpublishes it waits for a grace period before releasing its reference, and this
        // read-side section (`_guard`) outlives the returned borrow, so the `T` stays alive.
        unsafe { p.as_ref() }
    }

    /// A new reference to the published value, which then outlives `guard`.
    pub(crate) fn read_arc(&self, _guard: &ReadGuard) -> Option<Arc<T>> {
        // Acquire pairs with the release in `replace`, as in `read`.
        let p = self.ptr.load(Ordering::Acquire);
        if p.is_null() {
            return None;
        }
        // The reference `p` owns is released only after a grace period, which `_guard` holds
        // off: the count stays above zero while the borrow below takes a new reference.
        // SAFETY: `p` comes from `Arc::into_raw` (type invariant) and is alive (above).
        let borrow = unsafe { ArcBorrow::from_raw(p) };
        Some(borrow.into())
    }

    /// Publishes `new` and returns the previous value once no reader can still see it.
    /// Waits for an RCU grace period when there was one: process context only.
    pub(crate) fn replace(&self, new: Option<Arc<T>>) -> Option<Arc<T>> {
        let new = new.map_or(ptr::null_mut(), |a| Arc::into_raw(a).cast_mut());
        // INVARIANT: `new` is null or an owned `Arc::into_raw` pointer.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if old.is_null() {
            return None;
        }
        // SAFETY: `synchronize_rcu` is called from process context (documented requirement).
        unsafe { lo_synchronize_rcu() };
        // SAFETY: `old` came from `Arc::into_raw` (type invariant) and, now unpublished and
        // past a grace period, is referenced by no reader: its reference is ours to take back.
        Some(unsafe { Arc::from_raw(old) })
    }
}

impl<T> Drop for RcuArc<T> {
    fn drop(&mut self) {
        drop(self.replace(None));
    }
}
