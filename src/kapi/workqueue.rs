// SPDX-License-Identifier: GPL-2.0

//! Delayed work on a workqueue of the module's own.
//!
//! 6.12's `kernel::workqueue` has work items and the system's queues, but neither delayed work
//! nor a queue a module allocates. This file is both, shaped like it: a
//! [`DelayedWork<T, ID>`] field of `T`, declared with [`impl_has_delayed_work!`], and
//! `T: DelayedWorkItem<ID>` saying what it runs. The callback finds its `T` from the C
//! `work_struct` (`container_of`), so any number of instances coexist (several in one `T`
//! with different `ID`s) and nothing is global.
//!
//! A work runs only while a [`Registration`] holds its `T`. It is born disabled
//! (`disable_delayed_work`); [`Registration::new`] enables it, and dropping the registration
//! disables it again and waits for a running callback (`disable_delayed_work_sync`). The
//! workqueue refuses to queue a disabled work, so [`DelayedWork::schedule`] and
//! [`DelayedWork::kick`] are safe from any context at any time: outside a registration they
//! do nothing.

use core::marker::PhantomData;
use core::mem::offset_of;
use core::ptr::{addr_of_mut, NonNull};

use kernel::bindings;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::{Arc, LockClassKey};
use kernel::types::Opaque;

/// Any CPU: the queues here are unbound.
const ANY_CPU: i32 = bindings::wq_misc_consts_WORK_CPU_UNBOUND as i32;

/// A workqueue the module allocated, destroyed when dropped (after what is queued on it).
///
/// # Invariants
///
/// `ptr` is a workqueue that this value allocated with `alloc_workqueue` and only it destroys.
pub(crate) struct Queue {
    ptr: NonNull<bindings::workqueue_struct>,
}

// SAFETY: a workqueue may be used and destroyed from any task.
unsafe impl Send for Queue {}
// SAFETY: every use of a workqueue through a shared reference (queueing) is thread-safe.
unsafe impl Sync for Queue {}

impl Queue {
    /// An unbound queue called `name` (`ENOMEM`): a work that reclaims memory for a while on
    /// it holds up no other user of the system's queues.
    pub(crate) fn new_unbound(name: &'static CStr) -> Result<Self> {
        // SAFETY: the format is a constant `%s` and its one argument a NUL-terminated string.
        let ptr = unsafe {
            bindings::alloc_workqueue(
                c_str!("%s").as_char_ptr(),
                bindings::wq_flags_WQ_UNBOUND,
                0,
                name.as_char_ptr(),
            )
        };
        // INVARIANT: allocated just now, destroyed only by `drop`.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // SAFETY: allocated by `new_unbound` (type invariant); no reference to it outlives
        // `self`, and `DelayedWork` keeps its queue alive through an `Arc`.
        unsafe { bindings::destroy_workqueue(self.ptr.as_ptr()) };
    }
}

/// What a [`DelayedWork<Self, ID>`] field of `Self` runs.
pub(crate) trait DelayedWorkItem<const ID: u64 = 0>:
    HasDelayedWork<Self, ID> + Send + Sync + Sized
{
    /// The callback: process context, on the work's queue; it may sleep.
    fn run(&self);
}

/// A `struct delayed_work` in a `T`, on a [`Queue`] it keeps alive.
///
/// # Invariants
///
/// `dwork` was initialized by [`DelayedWork::new`] with [`run::<T, ID>`] as its function; it
/// is enabled only while a [`Registration`] of the `T` that holds it lives.
#[pin_data(PinnedDrop)]
pub(crate) struct DelayedWork<T, const ID: u64 = 0> {
    #[pin]
    dwork: Opaque<bindings::delayed_work>,
    queue: Arc<Queue>,
    _item: PhantomData<fn(&T)>,
}

// SAFETY: the C work item may be queued, cancelled and run from any thread; it holds no `T`.
unsafe impl<T, const ID: u64> Send for DelayedWork<T, ID> {}
// SAFETY: as for `Send`: every operation on a `delayed_work` is thread-safe.
unsafe impl<T, const ID: u64> Sync for DelayedWork<T, ID> {}

/// A [`DelayedWork`] on `$queue` (an `Arc<Queue>`) named `$name`, with a lockdep class of its
/// own for the work and for its timer.
macro_rules! new_delayed_work {
    ($queue:expr, $name:literal) => {
        $crate::kapi::workqueue::DelayedWork::new(
            $queue,
            kernel::c_str!($name),
            kernel::static_lock_class!(),
            kernel::static_lock_class!(),
        )
    };
}
pub(crate) use new_delayed_work;

impl<T: DelayedWorkItem<ID>, const ID: u64> DelayedWork<T, ID> {
    /// A disabled work on `queue`; see [`new_delayed_work!`] for the keys.
    pub(crate) fn new(
        queue: Arc<Queue>,
        name: &'static CStr,
        work_key: &'static LockClassKey,
        timer_key: &'static LockClassKey,
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            dwork <- Opaque::ffi_init(|slot: *mut bindings::delayed_work| {
                // SAFETY: `slot` is valid for writes and pinned; this is `INIT_DELAYED_WORK`
                // (zeroed first, as a static or `kzalloc`'d one is), with `run::<T, ID>`,
                // which is written for a `work_struct` in a `DelayedWork<T, ID>` in a `T`, as
                // this one is (`HasDelayedWork`); then the work is disabled until registered.
                unsafe {
                    core::ptr::write_bytes(slot, 0, 1);
                    bindings::init_work_with_key(
                        addr_of_mut!((*slot).work),
                        Some(run::<T, ID>),
                        false,
                        name.as_char_ptr(),
                        key_ptr(work_key),
                    );
                    bindings::init_timer_key(
                        addr_of_mut!((*slot).timer),
                        Some(bindings::delayed_work_timer_fn),
                        bindings::TIMER_IRQSAFE,
                        name.as_char_ptr(),
                        key_ptr(timer_key),
                    );
                    bindings::disable_delayed_work(slot);
                }
            }),
            queue,
            _item: PhantomData,
        })
    }
}

/// The C `lock_class_key` of `key` (`LockClassKey::as_ptr` is private to the `kernel` crate).
fn key_ptr(key: &'static LockClassKey) -> *mut bindings::lock_class_key {
    // `LockClassKey` is a transparent wrapper of an `Opaque<lock_class_key>`, itself
    // transparent: the pointers are the same, and lockdep writes through it as C does.
    core::ptr::from_ref(key).cast_mut().cast()
}

impl<T, const ID: u64> DelayedWork<T, ID> {
    /// Runs the work once, `ms` milliseconds from now, unless it is pending (or disabled). Any
    /// context.
    pub(crate) fn schedule(&self, ms: u32) {
        // SAFETY: `dwork` is initialized (type invariant) and pinned in `self`; the queue is
        // alive (`self.queue`). A disabled work is not queued.
        unsafe {
            let delay = bindings::__msecs_to_jiffies(ms);
            bindings::queue_delayed_work_on(
                ANY_CPU,
                self.queue.ptr.as_ptr(),
                self.dwork.get(),
                delay,
            )
        };
    }

    /// Runs the work as soon as possible, pending or not (unless disabled). Any context,
    /// interrupts included (`mod_delayed_work_on` is irq-safe).
    pub(crate) fn kick(&self) {
        // SAFETY: as in `schedule`.
        unsafe {
            bindings::mod_delayed_work_on(ANY_CPU, self.queue.ptr.as_ptr(), self.dwork.get(), 0)
        };
    }
}

#[pinned_drop]
impl<T, const ID: u64> PinnedDrop for DelayedWork<T, ID> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `dwork` is initialized (type invariant). No registration holds the `T`
        // around `self` any more (it would keep it alive), so the work is disabled already;
        // this only makes sure that no callback runs once the memory goes.
        unsafe { bindings::disable_delayed_work_sync(self.dwork.get()) };
    }
}

/// Declares that `Self` has a [`DelayedWork<T, ID>`] field; see [`impl_has_delayed_work!`].
///
/// # Safety
///
/// `OFFSET` must be the offset, in `Self`, of a field of type `DelayedWork<T, ID>`.
pub(crate) unsafe trait HasDelayedWork<T, const ID: u64 = 0> {
    /// The offset of the [`DelayedWork<T, ID>`] field in `Self`.
    const OFFSET: usize;

    /// The field.
    fn delayed_work(&self) -> &DelayedWork<T, ID> {
        let base = core::ptr::from_ref(self).cast::<u8>();
        // SAFETY: by the trait's safety requirement, `OFFSET` is the offset of a field of this
        // type in `*self`, which lives as long as the reference.
        unsafe { &*base.add(Self::OFFSET).cast::<DelayedWork<T, ID>>() }
    }
}

/// Implements [`HasDelayedWork`] for a type and one of its (possibly nested) fields:
/// `impl HasDelayedWork<Knobs, 0> for Knobs { self.sizer.work }`.
macro_rules! impl_has_delayed_work {
    (impl HasDelayedWork<$t:ty, $id:tt> for $self:ty { self.$($field:ident).+ }) => {
        // SAFETY: `offset_of!` gives the offset of the field, and the function below only
        // compiles if the field has the right type.
        unsafe impl $crate::kapi::workqueue::HasDelayedWork<$t, $id> for $self {
            const OFFSET: usize = ::core::mem::offset_of!(Self, $($field).+);
        }

        const _: () = {
            fn _check(s: &$self) -> &$crate::kapi::workqueue::DelayedWork<$t, $id> {
                &s.$($field).+
            }
        };
    };
}
pub(crate) use impl_has_delayed_work;

/// The work function of every [`DelayedWork<T, ID>`].
///
/// # Safety
///
/// `work` must be the `work_struct` of a [`DelayedWork<T, ID>`] field of a live `T`, as it is
/// when the workqueue calls this: the work was initialized with this function by
/// [`DelayedWork::new`] and can only run while a [`Registration`] keeps its `T` alive.
unsafe extern "C" fn run<T: DelayedWorkItem<ID>, const ID: u64>(work: *mut bindings::work_struct) {
    let dwork_off =
        offset_of!(bindings::delayed_work, work) + offset_of!(DelayedWork<T, ID>, dwork);
    // SAFETY: `work` is in a `delayed_work`, which is `DelayedWork<T, ID>::dwork` (`Opaque` is
    // transparent), which is `T`'s field at `T::OFFSET` (by the function's safety
    // requirements): walking back by both offsets gives the live `T`.
    let item = unsafe { &*work.cast::<u8>().sub(dwork_off + T::OFFSET).cast::<T>() };
    item.run();
}

/// `item`'s [`DelayedWork<T, ID>`], enabled: it can run while this lives.
///
/// # Invariants
///
/// The work of `*item` was enabled by [`Registration::new`], and only `drop` disables it.
pub(crate) struct Registration<T: DelayedWorkItem<ID>, const ID: u64 = 0> {
    item: Arc<T>,
}

impl<T: DelayedWorkItem<ID>, const ID: u64> Registration<T, ID> {
    /// Enables `item`'s work (idle until scheduled).
    pub(crate) fn new(item: Arc<T>) -> Self {
        // SAFETY: the work is initialized (`DelayedWork`'s invariant); `item` keeps the `T`
        // that holds it alive until `drop` has disabled it and waited for its callback, which
        // is what `run` needs.
        unsafe { bindings::enable_delayed_work(item.delayed_work().dwork.get()) };
        // INVARIANT: enabled just now.
        Self { item }
    }
}

impl<T: DelayedWorkItem<ID>, const ID: u64> Drop for Registration<T, ID> {
    fn drop(&mut self) {
        // SAFETY: the work is initialized (`DelayedWork`'s invariant). After this the work is
        // neither pending nor running, and cannot be queued again: `self.item` may go.
        unsafe { bindings::disable_delayed_work_sync(self.item.delayed_work().dwork.get()) };
    }
}
