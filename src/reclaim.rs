// SPDX-License-Identifier: GPL-2.0

//! The eviction policy's place in reclaim: the kernel's reclaim hook
//! (`patches/0001-mm-vmscan-reclaim-hook.patch`) asks, for each inactive file folio it
//! considers, what to do with it, telling us what it would do itself; [`crate::evict`]
//! answers. On a kernel without the patch the module still loads and `evict` reports itself
//! unsupported.

use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

use crate::evict::RawFolio;
use crate::knobs::Knobs;
use crate::policy::PolicyId;

/// `struct lo_reclaim_hook`, opaque here.
#[repr(C)]
struct RawHook {
    _opaque: [u8; 0],
}

extern "C" {
    fn lo_reclaim_hook_register(
        ctx: *const c_void,
        verdict: unsafe extern "C" fn(*const c_void, *mut RawFolio, u64, u64, u32) -> u32,
        insert: unsafe extern "C" fn(*const c_void, *mut RawFolio, u64, u64) -> bool,
        out: *mut *mut RawHook,
    ) -> kernel::ffi::c_int;
    fn lo_reclaim_hook_unregister(hook: *mut RawHook);
}

/// The registered hook; dropping it unregisters, waiting for reclaimers in the callbacks.
///
/// # Invariants
///
/// `hook` is registered with `verdict`, `insert` and `ctx`, an `Arc<Knobs>` from
/// `into_foreign` that this value owns until `drop` has unregistered the hook.
struct Registered {
    hook: NonNull<RawHook>,
    ctx: *const c_void,
}

impl Drop for Registered {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant); after this no reclaimer is in a callback.
        unsafe { lo_reclaim_hook_unregister(self.hook.as_ptr()) };
        // SAFETY: `ctx` came from `into_foreign` (type invariant) and no callback uses it
        // any more.
        drop(unsafe { <Arc<Knobs> as ForeignOwnable>::from_foreign(self.ctx) });
    }
}

/// The eviction policy in reclaim, if the kernel has the hook.
pub(crate) struct ReclaimHook {
    registered: Option<Registered>,
    knobs: Arc<Knobs>,
}

// SAFETY: `Registered` holds an `Arc<Knobs>` and a registration that any task may drop.
unsafe impl Send for ReclaimHook {}
// SAFETY: no `&self` method.
unsafe impl Sync for ReclaimHook {}

impl ReclaimHook {
    /// Registers the eviction policy with reclaim, if the kernel has the hook.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        let ctx = knobs.clone().into_foreign();
        let mut hook = core::ptr::null_mut();
        // SAFETY: `ctx` is an `Arc<Knobs>`, released only once the hook is unregistered,
        // and `verdict` and `insert` are written for it.
        let ret = unsafe { lo_reclaim_hook_register(ctx, verdict, insert, &mut hook) };
        let registered = match (ret, NonNull::new(hook)) {
            // INVARIANT: registered just now with `ctx`.
            (0, Some(hook)) => Some(Registered { hook, ctx }),
            _ => {
                // SAFETY: from `into_foreign` above; nothing calls back with it.
                drop(unsafe { <Arc<Knobs> as ForeignOwnable>::from_foreign(ctx) });
                pr_info!("evict: this kernel has no reclaim hook ({ret}): evict is unsupported\n");
                None
            }
        };
        knobs
            .evict()
            .hooked
            .store(registered.is_some(), Ordering::Relaxed);
        Self { registered, knobs }
    }
}

impl Drop for ReclaimHook {
    fn drop(&mut self) {
        if let Some(r) = self.registered.take() {
            drop(r);
            self.knobs.evict().hooked.store(false, Ordering::Relaxed);
        }
    }
}

/// Reclaim's question for `folio`, page `index` of the mapping at `owner`. Runs under
/// `rcu_read_lock()` with the folio locked: no sleeping, no allocation, bounded work.
///
/// # Safety
///
/// `ctx` must be the registration's `Arc<Knobs>` (`into_foreign`), in a callback of the
/// registered hook; `folio` must be the folio reclaim asks about, locked for the call.
unsafe extern "C" fn verdict(
    ctx: *const c_void,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
    kernel: u32,
) -> u32 {
    // SAFETY: by the function's safety requirements, `Registered` holds the `Arc` until no
    // callback runs.
    let knobs = unsafe { <Arc<Knobs> as ForeignOwnable>::borrow(ctx) };
    // SAFETY: a live, locked folio for this call (the function's safety requirements), as
    // `RawFolio`'s invariant asks; the reference does not outlive the call.
    let Some(folio) = (unsafe { folio.as_ref() }) else {
        return 0;
    };
    let enabled = knobs.policy(PolicyId::Evict).enabled();
    knobs.evict().verdict(
        knobs.slot(PolicyId::Evict),
        enabled,
        folio,
        owner,
        index,
        kernel,
    )
}

/// Whether new file folio `folio`, page `index` of the mapping at `owner`, goes to the
/// inactive tail. Runs in `lru_add()` under the LRU lock with interrupts off; the folio is
/// not on an LRU list yet, so its memory cgroup stays put: no sleeping, no locks, bounded
/// work.
///
/// # Safety
///
/// `ctx` must be the registration's `Arc<Knobs>` (`into_foreign`), in a callback of the
/// registered hook; `folio` must be the folio being added, its memory cgroup stable for the
/// call.
unsafe extern "C" fn insert(
    ctx: *const c_void,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
) -> bool {
    // SAFETY: by the function's safety requirements, `Registered` holds the `Arc` until no
    // callback runs.
    let knobs = unsafe { <Arc<Knobs> as ForeignOwnable>::borrow(ctx) };
    // SAFETY: a live folio whose memory cgroup is stable for this call (the function's
    // safety requirements), which is what `RawFolio`'s invariant needs; the reference does
    // not outlive the call.
    let Some(folio) = (unsafe { folio.as_ref() }) else {
        return false;
    };
    let enabled = knobs.policy(PolicyId::Evict).enabled();
    knobs.evict().insert_cold(enabled, folio, owner, index)
}
