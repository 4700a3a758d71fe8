// SPDX-License-Identifier: GPL-2.0

//! A raw spinlock taken with interrupts off, as a `kernel::sync::lock::Backend`.
//!
//! 6.12's `kernel::sync` has `SpinLock` (a `spinlock_t`, which sleeps on PREEMPT_RT) and
//! `Mutex`. The scheduler's tracepoints call the policy with the runqueue's raw spinlock held,
//! and wakeups come from interrupts too: the lock they take must be a raw spinlock, taken with
//! interrupts disabled (else an interrupt's wakeup on the CPU that holds it would spin
//! forever). [`IrqRawSpinLock<T>`] is that lock as a `Lock<T, Backend>`: pinned, initialized
//! in place, with a lockdep class per [`new_irq_raw_spinlock!`] site.

use kernel::bindings;
use kernel::ffi::{c_char, c_ulong, c_void};
use kernel::sync::lock::{Backend, Lock};

extern "C" {
    // `key` is a `struct lock_class_key *`, which without lockdep is an empty struct, not a
    // type Rust passes across FFI: hence `c_void`.
    fn lo_raw_spin_lock_init(
        lock: *mut bindings::raw_spinlock_t,
        name: *const c_char,
        key: *mut c_void,
    );
    fn lo_raw_spin_lock_irqsave(lock: *mut bindings::raw_spinlock_t) -> c_ulong;
    fn lo_raw_spin_unlock_irqrestore(lock: *mut bindings::raw_spinlock_t, flags: c_ulong);
}

/// `T` behind a raw spinlock taken with interrupts disabled: any context, never sleeps.
pub(crate) type IrqRawSpinLock<T> = Lock<T, IrqRawSpinLockBackend>;

/// An [`IrqRawSpinLock`] around `$inner`, named `$name`, with a lockdep class of its own.
macro_rules! new_irq_raw_spinlock {
    ($inner:expr, $name:literal $(,)?) => {
        $crate::kapi::sync::IrqRawSpinLock::new(
            $inner,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_irq_raw_spinlock;

/// The [`Backend`] of [`IrqRawSpinLock`]: `raw_spin_lock_irqsave` and its restore.
pub(crate) struct IrqRawSpinLockBackend;

// SAFETY: a `raw_spinlock_t` ensures mutual exclusion; `lock` returns the interrupt flags that
// `unlock` restores, and `relock` (the default) takes the lock the same way.
unsafe impl Backend for IrqRawSpinLockBackend {
    type State = bindings::raw_spinlock_t;
    type GuardState = c_ulong;

    unsafe fn init(ptr: *mut Self::State, name: *const c_char, key: *mut bindings::lock_class_key) {
        // SAFETY: by the trait's requirements, `ptr` is valid for writes, and `name` and `key`
        // for reads indefinitely.
        unsafe { lo_raw_spin_lock_init(ptr, name, key.cast()) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: by the trait's requirements, `ptr` points to a lock `init` initialized.
        unsafe { lo_raw_spin_lock_irqsave(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, guard_state: &Self::GuardState) {
        // SAFETY: by the trait's requirements the caller owns the lock, which it took with
        // these flags on this CPU (interrupts, and so preemption, have been off since).
        unsafe { lo_raw_spin_unlock_irqrestore(ptr, *guard_state) }
    }
}
