// SPDX-License-Identifier: GPL-2.0

//! The scheduler's events, from its tracepoints (`sched_switch`, `sched_waking`,
//! `sched_wakeup_new`, `sched_process_exit`, found by name: `kapi::tracepoint`), fed to the
//! policy's task table.

use core::ffi::c_void;

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::kapi::tracepoint::{self, Probe, Registration};
use crate::knobs::Knobs;
use crate::policy::PolicyId;

extern "C" {
    fn lo_sched_probe_switch(
        data: *mut c_void,
        preempt: bool,
        prev: *mut c_void,
        next: *mut c_void,
        prev_state: u32,
    );
    fn lo_sched_probe_waking(data: *mut c_void, p: *mut c_void);
    fn lo_sched_probe_exit(data: *mut c_void, p: *mut c_void);
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
pub(super) enum SchedEvent {
    /// The task is exiting (any task).
    Exit,
    /// Another event, of an eligible task or not.
    Other(Option<Eligible>),
}

impl SchedEvent {
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
pub(crate) struct SchedProbes {
    _probes: Option<Registration<Knobs, 4>>,
}

impl SchedProbes {
    /// Registers the probes. Without the tracepoints the policy sees no task: every task
    /// keeps its default slice.
    pub(crate) fn register(knobs: Arc<Knobs>) -> Self {
        // SAFETY: each C probe has its tracepoint's prototype, passes its `data` (the
        // registration's `Knobs`) to `learned_os_sched_event` and does not sleep.
        let probes = unsafe {
            [
                Probe::new(c_str!("sched_switch"), lo_sched_probe_switch as _),
                Probe::new(c_str!("sched_waking"), lo_sched_probe_waking as _),
                Probe::new(c_str!("sched_wakeup_new"), lo_sched_probe_waking as _),
                Probe::new(c_str!("sched_process_exit"), lo_sched_probe_exit as _),
            ]
        };
        let probes = Registration::register(probes, knobs)
            .inspect_err(|e| {
                pr_warn!("sched: scheduler tracepoints unavailable ({e:?}): default slices only\n")
            })
            .ok();
        Self { _probes: probes }
    }
}

/// A scheduler event. Runs in the tracepoint's context (the runqueue lock held, or a
/// wakeup from any context, interrupts included): no sleeping, bounded work.
///
/// # Safety
///
/// `data` must be the `data` of a probe of `SchedProbes`' registration, in the probe's call.
#[no_mangle]
unsafe extern "C" fn learned_os_sched_event(
    data: *mut c_void,
    ev: u32,
    pid: i32,
    start: u64,
    now: u64,
    flags: u32,
) {
    // SAFETY: by the function's safety requirements.
    let knobs = unsafe { tracepoint::borrow::<Knobs>(data) };
    let (Some(ev), Ok(pid)) = (SchedEvent::decode(ev, flags), u32::try_from(pid)) else {
        return;
    };
    if pid == 0 {
        return;
    }
    knobs
        .sched()
        .on_event(knobs.slot(PolicyId::Sched), ev, pid, start, now);
}
