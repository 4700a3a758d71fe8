// SPDX-License-Identifier: GPL-2.0

//! The eviction policy's place in reclaim: the kernel's reclaim hook
//! (`patches/0001-mm-vmscan-reclaim-hook.patch`) asks, for each inactive file folio it
//! considers, what to do with it, telling us what it would do itself; [`crate::evict`]
//! answers. On a kernel without the patch the module still loads and `evict` reports itself
//! unsupported.

use core::ffi::c_void;
use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::evict::RawFolio;
use crate::knobs::Knobs;
use crate::policy::PolicyId;

extern "C" {
    fn lo_reclaim_hook_register(
        ctx: *const c_void,
        cb: unsafe extern "C" fn(*const c_void, *mut RawFolio, u64, u64, u32) -> u32,
        insert: unsafe extern "C" fn(*const c_void, *mut RawFolio, u64, u64) -> bool,
    ) -> kernel::ffi::c_int;
    fn lo_reclaim_hook_unregister();
}

/// The registered hook; dropping it unregisters, waiting for reclaimers in the callback.
///
/// INVARIANT: when `registered`, the hook calls `verdict` and `insert` with a pointer to
/// `*knobs`.
pub(crate) struct ReclaimHook {
    registered: bool,
    knobs: Arc<Knobs>,
}

impl ReclaimHook {
    /// Registers the eviction policy with reclaim, if the kernel has the hook.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        let ctx = core::ptr::from_ref::<Knobs>(&knobs).cast();
        // SAFETY: `ctx` points to the `Knobs` this `ReclaimHook` keeps alive until `drop`
        // has unregistered the hook, and `verdict` and `insert` are written for exactly that
        // type.
        let ret = unsafe { lo_reclaim_hook_register(ctx, verdict, insert) };
        let registered = ret == 0;
        if registered {
            knobs.evict().hooked.store(true, Ordering::Relaxed);
        } else {
            pr_info!("evict: this kernel has no reclaim hook ({ret}): evict is unsupported\n");
        }
        // INVARIANT: registered with `ctx` = `&*knobs` exactly when `ret == 0`.
        Self { registered, knobs }
    }
}

impl Drop for ReclaimHook {
    fn drop(&mut self) {
        if self.registered {
            // SAFETY: registered (type invariant); after this returns no reclaimer is in
            // `verdict`, so `self.knobs` may go.
            unsafe { lo_reclaim_hook_unregister() };
            self.knobs.evict().hooked.store(false, Ordering::Relaxed);
        }
    }
}

/// Reclaim's question for `folio`, page `index` of the mapping at `owner`. Runs under
/// `rcu_read_lock()` with the folio locked: no sleeping, no allocation, bounded work.
///
/// # Safety
///
/// `ctx` must point to the live `Knobs` given at registration; `folio` must be the folio
/// reclaim asks about, locked for the call.
unsafe extern "C" fn verdict(
    ctx: *const c_void,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
    kernel: u32,
) -> u32 {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { &*ctx.cast::<Knobs>() };
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
/// `ctx` must point to the live `Knobs` given at registration; `folio` must be the folio
/// being added, its memory cgroup stable for the call.
unsafe extern "C" fn insert(
    ctx: *const c_void,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
) -> bool {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { &*ctx.cast::<Knobs>() };
    // SAFETY: a live folio whose memory cgroup is stable for this call (the function's
    // safety requirements), which is what `RawFolio`'s invariant needs; the reference does
    // not outlive the call.
    let Some(folio) = (unsafe { folio.as_ref() }) else {
        return false;
    };
    let enabled = knobs.policy(PolicyId::Evict).enabled();
    knobs.evict().insert_cold(enabled, folio, owner, index)
}
