// SPDX-License-Identifier: GPL-2.0

//! The scheduler's events, from its tracepoints (`sched_switch`, `sched_waking`,
//! `sched_wakeup_new`, `sched_process_exit`, found by name through the C shim), fed to the
//! policy's task table.

use core::ffi::c_void;

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::knobs::Knobs;
use crate::policy::PolicyId;

extern "C" {
    fn lo_sched_probes_register(
        ctx: *const c_void,
        cb: unsafe extern "C" fn(*const c_void, u32, i32, u64, u64, u32),
    ) -> kernel::ffi::c_int;
    fn lo_sched_probes_unregister();
}

/// `enum lo_sched_event`.
const WAKE: u32 = 0;
const RUN: u32 = 1;
const STOP: u32 = 2;
const EXIT: u32 = 3;
/// `LO_SCHED_F_*`.
const F_VOLUNTARY: u32 = 1 << 0;
const F_IRQ: u32 = 1 << 1;
const F_ELIGIBLE: u32 = 1 << 2;

/// An event of a task the policy may touch (a `SCHED_NORMAL` or `SCHED_BATCH` user task).
#[derive(Clone, Copy)]
pub(super) enum Eligible {
    /// Woken, by an interrupt or not.
    Wake { irq: bool },
    /// Switched in.
    Run,
    /// Switched out, blocking or preempted.
    Stop { voluntary: bool },
}

/// A scheduler event.
#[derive(Clone, Copy)]
pub(super) enum Event {
    /// The task is exiting (any task).
    Exit,
    /// Another event, of an eligible task or not.
    Other(Option<Eligible>),
}

impl Event {
    /// The event the shim reported, if it knows it.
    fn decode(ev: u32, flags: u32) -> Option<Self> {
        let eligible = flags & F_ELIGIBLE != 0;
        let e = match ev {
            WAKE => Eligible::Wake {
                irq: flags & F_IRQ != 0,
            },
            RUN => Eligible::Run,
            STOP => Eligible::Stop {
                voluntary: flags & F_VOLUNTARY != 0,
            },
            EXIT => return Some(Self::Exit),
            _ => return None,
        };
        Some(Self::Other(eligible.then_some(e)))
    }

    /// The eligible event, if this is one.
    pub(super) fn eligible(self) -> Option<Eligible> {
        match self {
            Self::Other(e) => e,
            Self::Exit => None,
        }
    }
}

/// The registered probes; dropping them unregisters and waits for probes in flight.
///
/// INVARIANT: when `registered`, the probes call `event` with a pointer to `*_knobs`, which
/// this value keeps alive.
pub(crate) struct SchedProbes {
    registered: bool,
    _knobs: Arc<Knobs>,
}

impl SchedProbes {
    /// Registers the probes. Without the tracepoints the policy sees no task: every task
    /// keeps its default slice.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        let ctx = core::ptr::from_ref::<Knobs>(&knobs).cast();
        // SAFETY: `ctx` points to the `Knobs` kept alive by `self` until `drop` has
        // unregistered the probes; `event` is written for that type.
        let ret = unsafe { lo_sched_probes_register(ctx, event) };
        let registered = ret == 0;
        if !registered {
            pr_warn!("sched: scheduler tracepoints unavailable ({ret}): default slices only\n");
        }
        // INVARIANT: registered with `ctx` = `&*knobs` exactly when `ret == 0`.
        Self {
            registered,
            _knobs: knobs,
        }
    }
}

impl Drop for SchedProbes {
    fn drop(&mut self) {
        if self.registered {
            // SAFETY: registered (type invariant); once this returns no probe runs, so
            // `self._knobs` may go.
            unsafe { lo_sched_probes_unregister() };
        }
    }
}

/// A scheduler event. Runs in the tracepoint's context (the runqueue lock held, or a
/// wakeup from any context, interrupts included): no sleeping, bounded work.
///
/// # Safety
///
/// `ctx` must point to the live `Knobs` given at registration.
unsafe extern "C" fn event(
    ctx: *const c_void,
    ev: u32,
    pid: i32,
    start: u64,
    now: u64,
    flags: u32,
) {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { &*ctx.cast::<Knobs>() };
    let (Some(ev), Ok(pid)) = (Event::decode(ev, flags), u32::try_from(pid)) else {
        return;
    };
    if pid == 0 {
        return;
    }
    knobs
        .sched()
        .on_event(knobs.slot(PolicyId::Sched), ev, pid, start, now);
}
