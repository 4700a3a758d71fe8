// SPDX-License-Identifier: GPL-2.0

//! The page cache's events, from its tracepoints (`mm_filemap_add_to_page_cache`,
//! `mm_filemap_delete_from_page_cache`, `mm_filemap_get_pages`, `mm_filemap_fault`, found by
//! name through a C shim), fed to the eviction policy's access history and, for accesses, to
//! the sizer's miss-ratio curve.

use core::ffi::c_void;
use core::sync::atomic::Ordering;

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::evict::{PageEvent, RawFolio};
use crate::kapi::tracepoint::{self, Probe, Registration};
use crate::knobs::Knobs;

extern "C" {
    fn lo_filemap_probe_add(data: *mut c_void, folio: *mut RawFolio);
    fn lo_filemap_probe_delete(data: *mut c_void, folio: *mut RawFolio);
    fn lo_filemap_probe_get_pages(
        data: *mut c_void,
        mapping: *mut c_void,
        index: usize,
        last: usize,
    );
    fn lo_filemap_probe_fault(data: *mut c_void, mapping: *mut c_void, index: usize);
}

/// The registered probes; dropping them unregisters and waits for probes in flight.
pub(crate) struct FilemapProbes {
    probes: Option<Registration<Knobs, 4>>,
    knobs: Arc<Knobs>,
}

impl FilemapProbes {
    /// Registers the probes. Without the tracepoints the history stays empty and every
    /// verdict falls back to the kernel's.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        // SAFETY: each C probe has its tracepoint's prototype, passes its `data` (the
        // registration's `Knobs`) to `learned_os_filemap_event` and does not sleep.
        let probes = unsafe {
            [
                Probe::new(
                    c_str!("mm_filemap_add_to_page_cache"),
                    lo_filemap_probe_add as _,
                ),
                Probe::new(
                    c_str!("mm_filemap_delete_from_page_cache"),
                    lo_filemap_probe_delete as _,
                ),
                Probe::new(
                    c_str!("mm_filemap_get_pages"),
                    lo_filemap_probe_get_pages as _,
                ),
                Probe::new(c_str!("mm_filemap_fault"), lo_filemap_probe_fault as _),
            ]
        };
        let probes = match Registration::register(probes, knobs.clone()) {
            Ok(r) => {
                knobs.evict().probed.store(true, Ordering::Relaxed);
                Some(r)
            }
            Err(e) => {
                pr_warn!("evict: page-cache tracepoints unavailable ({e:?}): no access history\n");
                None
            }
        };
        Self { probes, knobs }
    }
}

impl Drop for FilemapProbes {
    fn drop(&mut self) {
        if let Some(probes) = self.probes.take() {
            // Once this returns no probe runs.
            drop(probes);
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
/// `data` must be the `data` of a probe of `FilemapProbes`' registration, in the probe's call;
/// `folio` must be null or the folio the event is about, locked for the call.
#[no_mangle]
unsafe extern "C" fn learned_os_filemap_event(
    data: *mut c_void,
    ev: u32,
    folio: *mut RawFolio,
    owner: u64,
    index: u64,
    nr: u64,
) {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { tracepoint::borrow::<Knobs>(data) };
    // SAFETY: null or a live, locked folio for this call (the function's safety
    // requirements), as `RawFolio`'s invariant asks; the reference does not outlive the call.
    let folio = unsafe { folio.as_ref() };
    if let Some(ev) = PageEvent::from_u32(ev) {
        knobs.evict().on_event(ev, folio, owner, index, nr);
        if ev == PageEvent::Access {
            knobs.sizer().on_access(owner, index, nr);
        }
    }
}
