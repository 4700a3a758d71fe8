// SPDX-License-Identifier: GPL-2.0

//! The eviction policy's place in reclaim: the kernel's reclaim hook
//! (`patches/0001-mm-vmscan-reclaim-hook.patch`) asks, for each inactive file folio it
//! considers, what to do with it, telling us what it would do itself.
//!
//! Today every answer is the kernel's own ("no opinion"): the access history and the learned
//! verdict come next. What is here already is the plumbing and its accounting: the hook is
//! registered for as long as the module is loaded, counts what reclaim asked and which
//! source answered, and on a kernel without the patch the policy reports itself unsupported.

use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::knobs::Knobs;
use crate::learned_core::text::TextBuf;
use crate::policy::PolicyId;

extern "C" {
    fn lo_reclaim_hook_register(
        ctx: *const c_void,
        cb: unsafe extern "C" fn(*const c_void, *mut c_void, u32) -> u32,
    ) -> kernel::ffi::c_int;
    fn lo_reclaim_hook_unregister();
}

/// `enum reclaim_verdict`.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Verdict {
    /// No opinion: the kernel's verdict applies.
    Default = 0,
    Reclaim = 1,
    Keep = 2,
    Activate = 3,
}

impl Verdict {
    fn from_u32(v: u32) -> Option<Self> {
        [Self::Default, Self::Reclaim, Self::Keep, Self::Activate]
            .into_iter()
            .find(|x| *x as u32 == v)
    }
}

/// What reclaim asked and who answered; every field is updated lock-free from reclaim.
pub(crate) struct EvictStats {
    supported: AtomicBool,
    kernel_reclaim: AtomicU64,
    kernel_keep: AtomicU64,
    kernel_activate: AtomicU64,
    decisions_model: AtomicU64,
    decisions_fallback: AtomicU64,
}

impl EvictStats {
    /// Nothing asked yet; unsupported until the hook is registered.
    pub(crate) const fn new() -> Self {
        Self {
            supported: AtomicBool::new(false),
            kernel_reclaim: AtomicU64::new(0),
            kernel_keep: AtomicU64::new(0),
            kernel_activate: AtomicU64::new(0),
            decisions_model: AtomicU64::new(0),
            decisions_fallback: AtomicU64::new(0),
        }
    }

    /// Adds the counters to `evict/stats`.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.kv(
            "supported",
            u8::from(self.supported.load(Ordering::Relaxed)),
        )?;
        out.kv("kernel_verdict_reclaim", get(&self.kernel_reclaim))?;
        out.kv("kernel_verdict_keep", get(&self.kernel_keep))?;
        out.kv("kernel_verdict_activate", get(&self.kernel_activate))?;
        out.kv("decisions_model", get(&self.decisions_model))?;
        out.kv("decisions_fallback", get(&self.decisions_fallback))
    }
}

/// The registered hook; dropping it unregisters, waiting for reclaimers in the callback.
///
/// INVARIANT: when `registered`, the hook calls `verdict` with a pointer to `*knobs`.
pub(crate) struct ReclaimHook {
    registered: bool,
    knobs: Arc<Knobs>,
}

impl ReclaimHook {
    /// Registers the eviction policy with reclaim, if the kernel has the hook.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        let ctx = core::ptr::from_ref::<Knobs>(&knobs).cast();
        // SAFETY: `ctx` points to the `Knobs` this `ReclaimHook` keeps alive until `drop`
        // has unregistered the hook, and `verdict` is written for exactly that type.
        let ret = unsafe { lo_reclaim_hook_register(ctx, verdict) };
        let registered = ret == 0;
        if registered {
            knobs.evict_stats().supported.store(true, Ordering::Relaxed);
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
            self.knobs
                .evict_stats()
                .supported
                .store(false, Ordering::Relaxed);
        }
    }
}

/// Reclaim's question for one inactive file folio. Runs under `rcu_read_lock()` with the
/// folio locked: no sleeping, no allocation, constant work.
///
/// # Safety
///
/// `ctx` must point to the live `Knobs` given at registration.
unsafe extern "C" fn verdict(ctx: *const c_void, _folio: *mut c_void, kernel: u32) -> u32 {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { &*ctx.cast::<Knobs>() };
    let stats = knobs.evict_stats();
    let counter = match Verdict::from_u32(kernel) {
        Some(Verdict::Reclaim) => &stats.kernel_reclaim,
        Some(Verdict::Keep) => &stats.kernel_keep,
        Some(Verdict::Activate) => &stats.kernel_activate,
        // The kernel never asks with "no opinion"; stay out of the way if it ever does.
        Some(Verdict::Default) | None => return Verdict::Default as u32,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    if knobs.policy(PolicyId::Evict).enabled() {
        // No access history yet: the exact fallback is the kernel's own verdict.
        stats.decisions_fallback.fetch_add(1, Ordering::Relaxed);
    }
    Verdict::Default as u32
}
