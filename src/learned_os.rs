// SPDX-License-Identifier: GPL-2.0

//! learned_os: small quantized integer models inside the kernel, each prediction wrapped in
//! an exact, traditional fallback.
//!
//! The crate root only lists the module's parts and wires them together at load time.

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

use kapi::workqueue::Queue;

/// The shared algorithm crate, `rust/learned-core`: the very files the host tools and tests
/// build, compiled here as a module, without its `host` feature. What the module does not use
/// is a dead-code warning, as in any module code; what only the host uses is behind `host` or
/// in the host crate `rust/learned-sim`. Its items are `pub` for the host crates, not for the
/// rest of the module, and its crate-level attributes (`#![no_std]`, ...) are inert here.
#[allow(unreachable_pub, unused_attributes)]
#[path = "../rust/learned-core/src/lib.rs"]
mod learned_core;

mod cgroup;
mod evict;
mod filemap;
mod kapi;
mod knobs;
mod model_slot;
mod policy;
mod rcu;
mod reclaim;
mod sched;
mod sizer;
mod sysfs;
mod vindex;
mod warn;

module! {
    type: LearnedOs,
    name: "learned_os",
    author: "learned_os developers",
    description: "Learned kernel policies with exact fallbacks",
    license: "GPL",
}

struct LearnedOs {
    // Dropped in order: the VA index's device goes (no file is open: they hold the module),
    // reclaim stops calling in, then the page cache's and the scheduler's events, then
    // sysfs, then the sizer stops and gives its cgroup back its memory.high, and the
    // scheduler policy's work stops and restores every slice it set; the workqueue goes with
    // the last reference to the state (`Knobs`), which holds it.
    _vindex: vindex::device::Device,
    _reclaim: reclaim::ReclaimHook,
    _filemap: filemap::FilemapProbes,
    _sched_probes: sched::probes::SchedProbes,
    _sysfs: sysfs::Tree<knobs::Knobs>,
    _sizer: sizer::SizerWork,
    _sched_work: sched::SchedWork,
}

impl kernel::Module for LearnedOs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let queue = Arc::new(Queue::new_unbound(c_str!("learned_os"))?, GFP_KERNEL)?;
        let knobs = Arc::pin_init(
            knobs::Knobs::new(
                evict::EvictMem::alloc()?,
                sizer::SizerMem::alloc()?,
                sched::SchedMem::alloc()?,
                &queue,
            ),
            GFP_KERNEL,
        )?;
        // Before sysfs: a knob write may start the sizer, which needs its work.
        let sizer = sizer::SizerWork::new(knobs.clone());
        let sched_work = sched::SchedWork::new(knobs.clone());
        let sysfs = knobs::register(knobs.clone())?;
        let filemap = filemap::FilemapProbes::register(knobs.clone());
        let sched_probes = sched::probes::SchedProbes::register(knobs.clone());
        let reclaim = reclaim::ReclaimHook::register(knobs.clone());
        let vindex = vindex::device::Device::register(knobs)?;
        pr_info!("loaded, version {}\n", learned_core::VERSION);
        Ok(Self {
            _vindex: vindex,
            _reclaim: reclaim,
            _filemap: filemap,
            _sched_probes: sched_probes,
            _sysfs: sysfs,
            _sizer: sizer,
            _sched_work: sched_work,
        })
    }
}

impl Drop for LearnedOs {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
