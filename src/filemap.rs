// SPDX-License-Identifier: GPL-2.0

//! The page cache's events, from its tracepoints (`mm_filemap_add_to_page_cache`,
//! `mm_filemap_delete_from_page_cache`, `mm_filemap_get_pages`, `mm_filemap_fault`, found by
//! name through a C shim), fed to the eviction policy's access history and, for accesses, to
//! the sizer's miss-ratio curve.

use core::ffi::c_void;
use core::sync::atomic::Ordering;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::evict::{Event, RawFolio};
use crate::knobs::Knobs;

extern "C" {
    fn lo_filemap_probes_register(
        ctx: *const c_void,
        cb: unsafe extern "C" fn(*const c_void, u32, *mut RawFolio, u64, u64, u64),
    ) -> kernel::ffi::c_int;
    fn lo_filemap_probes_unregister();
}

/// The registered probes; dropping them unregisters and waits for probes in flight.
///
/// INVARIANT: when `registered`, the probes call `event` with a pointer to `*knobs`.
pub(crate) struct FilemapProbes {
    registered: bool,
    knobs: Arc<Knobs>,
}

impl FilemapProbes {
    /// Registers the probes. Without the tracepoints the history stays empty and every
    /// verdict falls back to the kernel's.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        let ctx = core::ptr::from_ref::<Knobs>(&knobs).cast();
        // SAFETY: `ctx` points to the `Knobs` kept alive by `self` until `drop` has
        // unregistered the probes; `event` is written for that type.
        let ret = unsafe { lo_filemap_probes_register(ctx, event) };
        let registered = ret == 0;
        if registered {
            knobs.evict().probed.store(true, Ordering::Relaxed);
        } else {
            pr_warn!("evict: page-cache tracepoints unavailable ({ret}): no access history\n");
        }
        // INVARIANT: registered with `ctx` = `&*knobs` exactly when `ret == 0`.
        Self { registered, knobs }
    }
}

impl Drop for FilemapProbes {
    fn drop(&mut self) {
        if self.registered {
            // SAFETY: registered (type invariant); once this returns no probe runs, so
            // `self.knobs` may go.
            unsafe { lo_filemap_probes_unregister() };
            self.knobs.evict().probed.store(false, Ordering::Relaxed);
        }
    }
}

/// A page-cache event. Runs in the tracepoint's context (preemption off, possibly with the
/// page cache's lock held and interrupts off): no sleeping, bounded work. With neither the
/// eviction policy scoped to a cgroup nor the sizer running, both return at once, having
/// written nothing.
///
/// # Safety
///
/// `ctx` must point to the live `Knobs` given at registration; `folio` must be null or the
/// folio the event is about, locked for the call.
unsafe extern "C" fn event(
    ctx: *const c_void,
    ev: u32,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
    nr: u64,
) {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { &*ctx.cast::<Knobs>() };
    // SAFETY: null or a live, locked folio for this call (the function's safety
    // requirements), as `RawFolio`'s invariant asks; the reference does not outlive the call.
    let folio = unsafe { folio.as_ref() };
    if let Some(ev) = Event::from_u32(ev) {
        knobs.evict().on_event(ev, folio, owner, index, nr);
        if ev == Event::Access {
            knobs.sizer().on_access(owner, index, nr);
        }
    }
}
