// SPDX-License-Identifier: GPL-2.0

//! Probes on tracepoints that a module cannot name (6.12 exports no `__tracepoint_*` symbol
//! for them, and its Rust has no tracepoint probes): found by name with
//! `for_each_kernel_tracepoint()`, registered all or nothing, and each called with the
//! registration's context as its `data`, an `Arc<T>` handed over through `ForeignOwnable`.
//! Nothing is global: any number of registrations coexist, each with its own context.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::ptr;

use kernel::bindings;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

/// `struct tracepoint`, passed by pointer only: `bindings::tracepoint` holds a field that is
/// empty on some configurations, which Rust does not pass across FFI.
#[repr(C)]
struct RawTracepoint {
    _opaque: [u8; 0],
}

extern "C" {
    fn for_each_kernel_tracepoint(
        fct: unsafe extern "C" fn(*mut RawTracepoint, *mut c_void),
        priv_: *mut c_void,
    );
    fn tracepoint_probe_register(
        tp: *mut RawTracepoint,
        probe: *mut c_void,
        data: *mut c_void,
    ) -> c_int;
    fn tracepoint_probe_unregister(
        tp: *mut RawTracepoint,
        probe: *mut c_void,
        data: *mut c_void,
    ) -> c_int;
    fn lo_tracepoint_synchronize_unregister();
}

/// A probe: the name of its tracepoint and a function of the tracepoint's prototype with the
/// registration's `data` first (`void probe(void *data, <the tracepoint's arguments>)`).
#[derive(Clone, Copy)]
pub(crate) struct Probe {
    name: &'static CStr,
    func: *mut c_void,
}

impl Probe {
    /// The probe `func` on the tracepoint `name`.
    ///
    /// # Safety
    ///
    /// `func` must be a function of `name`'s prototype, with a first argument `void *data`
    /// that it uses only as the `T` of the [`Registration<T, N>`] it is given to (through
    /// [`borrow`]), and it must not sleep (tracepoints call probes with preemption off).
    pub(crate) const unsafe fn new(name: &'static CStr, func: *mut c_void) -> Self {
        Self { name, func }
    }
}

/// The context of a probe's call: the `T` its registration holds.
///
/// # Safety
///
/// `data` must be the `data` argument of a probe of a live [`Registration<T, N>`], in that
/// probe's call.
pub(crate) unsafe fn borrow<'a, T: Send + Sync + 'static>(data: *mut c_void) -> ArcBorrow<'a, T> {
    // SAFETY: `data` comes from `Arc::<T>::into_foreign` in `Registration::register`, and the
    // registration releases it only after the probes are unregistered and none runs
    // (`tracepoint_synchronize_unregister`), so it outlives the call.
    unsafe { <Arc<T> as ForeignOwnable>::borrow(data.cast_const()) }
}

/// `N` probes, registered with an `Arc<T>` as their `data`; dropping the registration
/// unregisters them and waits until none runs before it lets the `Arc` go.
///
/// # Invariants
///
/// `data` comes from `Arc::<T>::into_foreign` and is owned by this value; `probes[..live]`
/// are registered on `tps[..live]` with `data`.
pub(crate) struct Registration<T: Send + Sync + 'static, const N: usize> {
    probes: [Probe; N],
    tps: [*mut RawTracepoint; N],
    live: usize,
    data: *const c_void,
    _ctx: PhantomData<Arc<T>>,
}

// SAFETY: the registration only holds an `Arc<T>` (through `data`) and tracepoint pointers,
// which any task may unregister; `T: Send + Sync` so the `Arc` may move.
unsafe impl<T: Send + Sync + 'static, const N: usize> Send for Registration<T, N> {}
// SAFETY: no `&self` method.
unsafe impl<T: Send + Sync + 'static, const N: usize> Sync for Registration<T, N> {}

/// What `find` looks for and fills in.
struct Lookup<'a, const N: usize> {
    probes: &'a [Probe; N],
    tps: [*mut RawTracepoint; N],
}

/// `for_each_kernel_tracepoint()`'s callback: notes `tp` if a probe wants it.
///
/// # Safety
///
/// `tp` must be a live tracepoint and `lookup` a `Lookup<N>` nothing else uses during the call.
unsafe extern "C" fn find<const N: usize>(tp: *mut RawTracepoint, lookup: *mut c_void) {
    // SAFETY: by the function's safety requirements.
    let (lookup, name) = unsafe {
        let tp_name = (*tp.cast::<bindings::tracepoint>()).name;
        (&mut *lookup.cast::<Lookup<'_, N>>(), tp_name)
    };
    if name.is_null() {
        return;
    }
    // SAFETY: a tracepoint's name is a NUL-terminated string that lives as long as it does.
    let name = unsafe { CStr::from_char_ptr(name) };
    for (p, slot) in lookup.probes.iter().zip(lookup.tps.iter_mut()) {
        if p.name.as_bytes() == name.as_bytes() {
            *slot = tp;
        }
    }
}

impl<T: Send + Sync + 'static, const N: usize> Registration<T, N> {
    /// Registers every probe of `probes` with `ctx` as its `data`: all or nothing (`ENOENT`,
    /// with a warning, if a tracepoint is missing).
    pub(crate) fn register(probes: [Probe; N], ctx: Arc<T>) -> Result<Self> {
        let mut lookup = Lookup {
            probes: &probes,
            tps: [ptr::null_mut(); N],
        };
        // SAFETY: `find::<N>` is written for a `Lookup<N>`, which lives across the call.
        unsafe { for_each_kernel_tracepoint(find::<N>, ptr::from_mut(&mut lookup).cast()) };
        let tps = lookup.tps;
        if let Some(p) = probes
            .iter()
            .zip(tps)
            .find_map(|(p, tp)| tp.is_null().then_some(p))
        {
            pr_warn!("tracepoint {} not found\n", p.name);
            return Err(ENOENT);
        }
        // INVARIANT: `data` is `ctx`, owned from here on; nothing is registered yet.
        let mut this = Self {
            probes,
            tps,
            live: 0,
            data: ctx.into_foreign(),
            _ctx: PhantomData,
        };
        while this.live < N {
            let (p, tp) = (this.probes[this.live], this.tps[this.live]);
            // SAFETY: `tp` is a live tracepoint (found above; built-in tracepoints never go),
            // and `p.func` has its prototype and expects `data` as its `T` (`Probe::new`).
            to_result(unsafe { tracepoint_probe_register(tp, p.func, this.data.cast_mut()) })?;
            // INVARIANT: one more probe registered with `data`.
            this.live += 1;
        }
        Ok(this)
    }
}

impl<T: Send + Sync + 'static, const N: usize> Drop for Registration<T, N> {
    fn drop(&mut self) {
        for (p, &tp) in self.probes.iter().zip(&self.tps).take(self.live) {
            // SAFETY: registered with these arguments (type invariant). An error (the probe
            // was not registered) leaves nothing to undo.
            let _ = unsafe { tracepoint_probe_unregister(tp, p.func, self.data.cast_mut()) };
        }
        if self.live > 0 {
            // SAFETY: no precondition; it returns once no probe unregistered above runs.
            unsafe { lo_tracepoint_synchronize_unregister() };
        }
        // SAFETY: `data` came from `into_foreign` (type invariant) and no probe can use it
        // any more.
        drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign(self.data) });
    }
}
