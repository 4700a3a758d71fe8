// SPDX-License-Identifier: GPL-2.0

//! The sysfs ABI: `/sys/kernel/learned_os/` and one directory per policy.
//!
//! File by file, with bounds, defaults and errors: `docs/ABI/testing/sysfs-kernel-learned_os`
//! (the kselftest `test_load.sh` checks the loaded tree against it).
//!
//! ```text
//! /sys/kernel/learned_os/version              ro  module version, e.g. "0.1.0"
//! /sys/kernel/learned_os/<policy>/enabled     rw  0 or 1
//! /sys/kernel/learned_os/<policy>/stats       ro  one "key value" per line
//! /sys/kernel/learned_os/<policy>/model       wo  a .lmod file, or "none" to unload
//! /sys/kernel/learned_os/<policy>/model_info  ro  the active model, "key value" per line
//! /sys/kernel/learned_os/<policy>/infer       rw  write inputs, read the active model's answer
//! /sys/kernel/learned_os/evict/guard_window      rw  overrides per judged guard window
//! /sys/kernel/learned_os/evict/guard_margin_pct  rw  allowed excess cost, % of the window
//! /sys/kernel/learned_os/evict/guard_retry       rw  page accesses in fallback after a trip
//! /sys/kernel/learned_os/evict/max_keeps         rw  keeps per page between its accesses
//! /sys/kernel/learned_os/evict/cgroup            rw  the cgroup v2 it acts in (none: nowhere)
//! /sys/kernel/learned_os/evict/insert            rw  where new pages go: stock, cold or duel
//! /sys/kernel/learned_os/sizer/cgroup        rw  the cgroup v2 to size (a path like /bench)
//! /sys/kernel/learned_os/sizer/goal          rw  target hit ratio, per mille (0: knee rule)
//! /sys/kernel/learned_os/sizer/margin        rw  shortfall from the goal that meets it
//! /sys/kernel/learned_os/sizer/cost_weight   rw  the knee rule's memory price
//! /sys/kernel/learned_os/sizer/min           rw  smallest memory.high, bytes
//! /sys/kernel/learned_os/sizer/max           rw  largest memory.high, bytes
//! /sys/kernel/learned_os/sizer/interval_ms   rw  decision period
//! /sys/kernel/learned_os/vindex/epsilon      rw  the VA index's segment error bound
//! /sys/kernel/learned_os/sched/cgroup        rw  only tasks in this cgroup v2 (or none: all)
//! /sys/kernel/learned_os/sched/interval_ms   rw  period of the work that applies slices
//! /sys/kernel/learned_os/sched/window_ms     rw  length of a guard window
//! /sys/kernel/learned_os/sched/guard_margin_ppm   rw  allowed p99 latency excess (< 0: a gain)
//! /sys/kernel/learned_os/sched/guard_trip_after   rw  worse windows in a row that trip it
//! /sys/kernel/learned_os/sched/guard_min_samples  rw  latencies a window needs to be judged
//! ```

use kernel::c_str;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};

use crate::evict::{Evict, EvictKnob, EvictMem};
use crate::kapi::workqueue::{impl_has_delayed_work, Queue};
use crate::learned_core::model::mlp::MAX_INPUTS;
use crate::learned_core::text::TextBuf;
use crate::learned_core::{self, knob};
use crate::model_slot::ModelSlot;
use crate::policy::{Policy, PolicyId};
use crate::sched::{Sched, SchedKnob, SchedMem};
use crate::sizer::{Sizer, SizerKnob, SizerMem};
use crate::sysfs::{self, File, Handler, Kind, Writer};
use crate::vindex::Vindex;
use crate::warn::warn_ratelimited;

/// Directory id of `/sys/kernel/learned_os` itself; a policy's is its index plus one.
const ROOT_DIR: u32 = 0;

/// The files the handler serves.
#[derive(Clone, Copy)]
#[repr(u32)]
enum FileId {
    Version = 0,
    Enabled = 1,
    Stats = 2,
    Model = 3,
    ModelInfo = 4,
    Infer = 5,
    GuardWindow = 6,
    GuardMarginPct = 7,
    GuardRetry = 8,
    MaxKeeps = 9,
    Cgroup = 10,
    Goal = 11,
    Margin = 12,
    CostWeight = 13,
    Min = 14,
    Max = 15,
    IntervalMs = 16,
    Epsilon = 17,
    WindowMs = 18,
    GuardMarginPpm = 19,
    GuardTripAfter = 20,
    GuardMinSamples = 21,
    Insert = 22,
}

impl FileId {
    fn from_u32(id: u32) -> Option<Self> {
        [
            Self::Version,
            Self::Enabled,
            Self::Stats,
            Self::Model,
            Self::ModelInfo,
            Self::Infer,
            Self::GuardWindow,
            Self::GuardMarginPct,
            Self::GuardRetry,
            Self::MaxKeeps,
            Self::Cgroup,
            Self::Goal,
            Self::Margin,
            Self::CostWeight,
            Self::Min,
            Self::Max,
            Self::IntervalMs,
            Self::Epsilon,
            Self::WindowMs,
            Self::GuardMarginPpm,
            Self::GuardTripAfter,
            Self::GuardMinSamples,
            Self::Insert,
        ]
        .into_iter()
        .find(|f| *f as u32 == id)
    }

    /// The `evict` knob this file is, if it is one.
    fn evict_knob(self) -> Option<EvictKnob> {
        match self {
            Self::GuardWindow => Some(EvictKnob::GuardWindow),
            Self::GuardMarginPct => Some(EvictKnob::GuardMarginPct),
            Self::GuardRetry => Some(EvictKnob::GuardRetry),
            Self::MaxKeeps => Some(EvictKnob::MaxKeeps),
            _ => None,
        }
    }

    /// The numeric `sched` knob this file is, if it is one.
    fn sched_knob(self) -> Option<SchedKnob> {
        match self {
            Self::IntervalMs => Some(SchedKnob::IntervalMs),
            Self::WindowMs => Some(SchedKnob::WindowMs),
            Self::GuardMarginPpm => Some(SchedKnob::GuardMarginPpm),
            Self::GuardTripAfter => Some(SchedKnob::GuardTripAfter),
            Self::GuardMinSamples => Some(SchedKnob::GuardMinSamples),
            _ => None,
        }
    }

    /// The numeric `sizer` knob this file is, if it is one.
    fn sizer_knob(self) -> Option<SizerKnob> {
        match self {
            Self::Goal => Some(SizerKnob::Goal),
            Self::Margin => Some(SizerKnob::Margin),
            Self::CostWeight => Some(SizerKnob::CostWeight),
            Self::Min => Some(SizerKnob::Min),
            Self::Max => Some(SizerKnob::Max),
            Self::IntervalMs => Some(SizerKnob::IntervalMs),
            _ => None,
        }
    }
}

/// A text file of the tree.
const fn text(name: &'static CStr, mode: u16, id: FileId) -> File {
    File {
        name,
        mode,
        id: id as u32,
        kind: Kind::Text,
    }
}

/// A write-only binary file of the tree.
const fn binary(name: &'static CStr, id: FileId) -> File {
    File {
        name,
        mode: 0o200,
        id: id as u32,
        kind: Kind::Binary,
    }
}

const ROOT_FILES: &[File] = &[text(c_str!("version"), 0o444, FileId::Version)];

const POLICY_FILES: &[File] = &[
    text(c_str!("enabled"), 0o644, FileId::Enabled),
    text(c_str!("stats"), 0o444, FileId::Stats),
    binary(c_str!("model"), FileId::Model),
    text(c_str!("model_info"), 0o444, FileId::ModelInfo),
    text(c_str!("infer"), 0o644, FileId::Infer),
];

/// The files only `evict` has.
const EVICT_FILES: &[File] = &[
    text(c_str!("guard_window"), 0o644, FileId::GuardWindow),
    text(c_str!("guard_margin_pct"), 0o644, FileId::GuardMarginPct),
    text(c_str!("guard_retry"), 0o644, FileId::GuardRetry),
    text(c_str!("max_keeps"), 0o644, FileId::MaxKeeps),
    text(c_str!("cgroup"), 0o644, FileId::Cgroup),
    text(c_str!("insert"), 0o644, FileId::Insert),
];

/// The files only `sizer` has.
const SIZER_FILES: &[File] = &[
    text(c_str!("cgroup"), 0o644, FileId::Cgroup),
    text(c_str!("goal"), 0o644, FileId::Goal),
    text(c_str!("margin"), 0o644, FileId::Margin),
    text(c_str!("cost_weight"), 0o644, FileId::CostWeight),
    text(c_str!("min"), 0o644, FileId::Min),
    text(c_str!("max"), 0o644, FileId::Max),
    text(c_str!("interval_ms"), 0o644, FileId::IntervalMs),
];

/// The files only `vindex` has.
const VINDEX_FILES: &[File] = &[text(c_str!("epsilon"), 0o644, FileId::Epsilon)];

/// The files only `sched` has.
const SCHED_FILES: &[File] = &[
    text(c_str!("cgroup"), 0o644, FileId::Cgroup),
    text(c_str!("interval_ms"), 0o644, FileId::IntervalMs),
    text(c_str!("window_ms"), 0o644, FileId::WindowMs),
    text(c_str!("guard_margin_ppm"), 0o644, FileId::GuardMarginPpm),
    text(c_str!("guard_trip_after"), 0o644, FileId::GuardTripAfter),
    text(c_str!("guard_min_samples"), 0o644, FileId::GuardMinSamples),
];

/// Which of [`Knobs`]' delayed works: the sizer's decisions.
pub(crate) const SIZER_WORK: u64 = 0;
/// Which of [`Knobs`]' delayed works: the scheduler policy's slice updates.
pub(crate) const SCHED_WORK: u64 = 1;

impl_has_delayed_work!(impl HasDelayedWork<Knobs, SIZER_WORK> for Knobs { self.sizer.work });
impl_has_delayed_work!(impl HasDelayedWork<Knobs, SCHED_WORK> for Knobs { self.sched.work });

/// Where a sysfs callback landed.
enum Node {
    Root,
    Policy(PolicyId),
}

/// The state behind every knob of the module.
#[pin_data]
pub(crate) struct Knobs {
    policies: [Policy; PolicyId::ALL.len()],
    /// One writer at a time per policy: a write to `enabled`, to a knob or to `cgroup` holds
    /// its policy's lock from its checks to its last effect, so that the flag, the actuators
    /// it starts and stops (the sizer's work, the slices) and the knobs they read never
    /// disagree.
    #[pin]
    config: [Mutex<()>; PolicyId::ALL.len()],
    #[pin]
    slots: [ModelSlot; PolicyId::ALL.len()],
    #[pin]
    evict: Evict,
    #[pin]
    sizer: Sizer,
    vindex: Vindex,
    #[pin]
    sched: Sched,
}

impl Knobs {
    /// Every policy disabled, no model loaded; the eviction policy over `evict`, the sizer
    /// over `sizer`, the scheduler policy over `sched`; their work on `queue`.
    pub(crate) fn new(
        evict: EvictMem,
        sizer: SizerMem,
        sched: SchedMem,
        queue: &Arc<Queue>,
    ) -> impl PinInit<Self> {
        let (sizer_queue, sched_queue) = (queue.clone(), queue.clone());
        pin_init!(Self {
            policies: [const { Policy::new() }; PolicyId::ALL.len()],
            config <- kernel::init::pin_init_array_from_fn(|_| {
                new_mutex!((), "learned_os_policy_config")
            }),
            // `i` ranges over the array's indices, which are `ALL`'s.
            slots <- kernel::init::pin_init_array_from_fn(|i| {
                let id = PolicyId::ALL[i];
                ModelSlot::new(id, id.model_expect())
            }),
            evict <- Evict::new(evict),
            sizer <- Sizer::new(sizer, sizer_queue),
            vindex: Vindex::new(),
            sched <- Sched::new(sched, sched_queue),
        })
    }

    /// The state of `id`.
    pub(crate) fn policy(&self, id: PolicyId) -> &Policy {
        // `PolicyId::index` is below `ALL.len()`, the array's length.
        &self.policies[id.index()]
    }

    /// The eviction policy's state.
    pub(crate) fn evict(&self) -> &Evict {
        &self.evict
    }

    /// The sizer's state.
    pub(crate) fn sizer(&self) -> &Sizer {
        &self.sizer
    }

    /// The scheduler policy's state.
    pub(crate) fn sched(&self) -> &Sched {
        &self.sched
    }

    /// The VA index's shared state.
    pub(crate) fn vindex(&self) -> &Vindex {
        &self.vindex
    }

    /// The model slot of `id`.
    pub(crate) fn slot(&self, id: PolicyId) -> &ModelSlot {
        // As in `policy`.
        &self.slots[id.index()]
    }

    fn node(dir: u32) -> Result<Node> {
        if dir == ROOT_DIR {
            return Ok(Node::Root);
        }
        let index = usize::try_from(dir - 1).map_err(|_| EINVAL)?;
        PolicyId::from_index(index).map(Node::Policy).ok_or(EINVAL)
    }
}

fn dir_id(policy: PolicyId) -> u32 {
    // At most four policies: the index always fits.
    policy.index() as u32 + 1
}

/// Creates `/sys/kernel/learned_os/` for `knobs`; dropping the result removes it.
pub(crate) fn register(knobs: Arc<Knobs>) -> Result<sysfs::Tree<Knobs>> {
    let mut tree = sysfs::Tree::new(c_str!("learned_os"), ROOT_DIR, &[ROOT_FILES], knobs)?;
    for policy in PolicyId::ALL {
        let extra = match policy {
            PolicyId::Evict => EVICT_FILES,
            PolicyId::Sizer => SIZER_FILES,
            PolicyId::Vindex => VINDEX_FILES,
            PolicyId::Sched => SCHED_FILES,
        };
        tree.add_dir(policy.name(), dir_id(policy), &[POLICY_FILES, extra])?;
    }
    Ok(tree)
}

impl Handler for Knobs {
    fn show(&self, dir: u32, file: u32, out: &mut TextBuf<'_>) -> Result {
        let written = match (Self::node(dir)?, FileId::from_u32(file).ok_or(EINVAL)?) {
            (Node::Root, FileId::Version) => out.line(learned_core::VERSION),
            (Node::Policy(p), FileId::Enabled) => out.line(u8::from(self.policy(p).enabled())),
            (Node::Policy(p), FileId::Stats) => self
                .policy(p)
                .write_stats(out)
                .and_then(|()| self.slot(p).write_stats(out))
                .and_then(|()| match p {
                    PolicyId::Evict => self.evict.write_stats(out),
                    PolicyId::Sizer => self.sizer.write_stats(out),
                    PolicyId::Vindex => self.vindex.write_stats(out),
                    PolicyId::Sched => self.sched.write_stats(out),
                }),
            (Node::Policy(p), FileId::ModelInfo) => self.slot(p).write_info(out),
            (Node::Policy(p), FileId::Infer) => self.slot(p).show_answer(out),
            (Node::Policy(PolicyId::Evict), FileId::Cgroup) => self.evict.show_cgroup(out),
            (Node::Policy(PolicyId::Evict), FileId::Insert) => self.evict.show_insert(out),
            (Node::Policy(PolicyId::Evict), f) => match f.evict_knob() {
                Some(k) => out.line(self.evict.knob(k)),
                None => return Err(EINVAL),
            },
            (Node::Policy(PolicyId::Sizer), FileId::Cgroup) => self.sizer.show_cgroup(out),
            (Node::Policy(PolicyId::Sizer), f) => match f.sizer_knob() {
                Some(k) => out.line(self.sizer.knob(k)),
                None => return Err(EINVAL),
            },
            (Node::Policy(PolicyId::Vindex), FileId::Epsilon) => self.vindex.show_epsilon(out),
            (Node::Policy(PolicyId::Sched), FileId::Cgroup) => self.sched.show_cgroup(out),
            (Node::Policy(PolicyId::Sched), f) => match f.sched_knob() {
                Some(k) => out.line(self.sched.knob(k)),
                None => return Err(EINVAL),
            },
            _ => return Err(EINVAL),
        };
        written.map_err(|_| EFBIG)
    }

    fn store(&self, dir: u32, file: u32, input: &[u8]) -> Result {
        let Node::Policy(id) = Self::node(dir)? else {
            return Err(EACCES);
        };
        // The index is below `ALL.len()`, the array's length.
        let _config = self.config[id.index()].lock();
        match FileId::from_u32(file) {
            Some(FileId::Enabled) => self.store_enabled(id, input),
            Some(FileId::Infer) => self.store_infer(id, input),
            Some(FileId::Cgroup) if id == PolicyId::Evict => self
                .evict
                .set_cgroup(input)
                .inspect_err(|_| self.policy(id).count_rejected_write()),
            Some(FileId::Insert) if id == PolicyId::Evict => self
                .evict
                .set_insert(input)
                .inspect_err(|_| self.policy(id).count_rejected_write()),
            Some(f) if id == PolicyId::Evict => match f.evict_knob() {
                Some(k) => self.evict.set_knob(k, input).inspect_err(|_| {
                    self.policy(id).count_rejected_write();
                }),
                None => Err(EACCES),
            },
            Some(f) if id == PolicyId::Sizer => {
                let enabled = self.policy(id).enabled();
                match (f, f.sizer_knob()) {
                    (FileId::Cgroup, _) => self.sizer.set_cgroup(enabled, input),
                    (_, Some(k)) => self.sizer.set_knob(enabled, k, input),
                    _ => Err(EACCES),
                }
                .inspect_err(|_| self.policy(id).count_rejected_write())
            }
            Some(f) if id == PolicyId::Sched => {
                let enabled = self.policy(id).enabled();
                match (f, f.sched_knob()) {
                    (FileId::Cgroup, _) => self.sched.set_cgroup(enabled, input),
                    (_, Some(k)) => self.sched.set_knob(k, input),
                    _ => Err(EACCES),
                }
                .inspect_err(|_| self.policy(id).count_rejected_write())
            }
            Some(FileId::Epsilon) if id == PolicyId::Vindex => self
                .vindex
                .set_epsilon(input)
                .inspect_err(|_| self.policy(id).count_rejected_write()),
            _ => Err(EACCES),
        }
    }

    fn write_bin(
        &self,
        dir: u32,
        file: u32,
        writer: &Writer<'_>,
        offset: u64,
        data: &[u8],
    ) -> Result {
        match (Self::node(dir)?, FileId::from_u32(file)) {
            (Node::Policy(id), Some(FileId::Model)) => {
                self.slot(id).write_chunk(writer, offset, data)
            }
            _ => Err(EACCES),
        }
    }
}

impl Knobs {
    fn store_infer(&self, id: PolicyId, input: &[u8]) -> Result {
        let mut values = [0i32; MAX_INPUTS];
        let n = knob::parse_i32_list(input, &mut values).map_err(|e| {
            self.policy(id).count_rejected_write();
            warn_ratelimited!("{}/infer: write refused: {}\n", id.name(), e.reason());
            EINVAL
        })?;
        self.slot(id).infer(values.get(..n).unwrap_or_default())
    }

    fn store_enabled(&self, id: PolicyId, input: &[u8]) -> Result {
        let policy = self.policy(id);
        match knob::parse_bool(input) {
            Ok(on) => {
                policy.set_enabled(on);
                if id == PolicyId::Sizer {
                    self.sizer.set_enabled(on);
                }
                if id == PolicyId::Sched {
                    self.sched.set_enabled(on);
                    self.sched.kick();
                }
                Ok(())
            }
            Err(e) => {
                policy.count_rejected_write();
                warn_ratelimited!(
                    "{}/enabled: write refused: {} (expected 0 or 1)\n",
                    id.name(),
                    e.reason()
                );
                Err(EINVAL)
            }
        }
    }
}
