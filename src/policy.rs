// SPDX-License-Identifier: GPL-2.0

//! The learned policies and the run-time state of their knobs.

use core::fmt;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use kernel::c_str;
use kernel::str::CStr;

use crate::learned_core::model::format::Kind;
use crate::learned_core::model::schema;
use crate::learned_core::text::TextBuf;
use crate::learned_core::{sched, sizer};
use crate::model_slot::Expect;

/// A learned policy; each has a directory under `/sys/kernel/learned_os/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PolicyId {
    /// Learned page-eviction ranker in reclaim.
    Evict,
    /// Learned buffer-cache sizer.
    Sizer,
    /// Learned VA→PA range index.
    Vindex,
    /// Learned CPU-burst prediction for the scheduler.
    Sched,
}

impl PolicyId {
    /// Every policy, in directory order.
    pub(crate) const ALL: [PolicyId; 4] = [Self::Evict, Self::Sizer, Self::Vindex, Self::Sched];

    /// The policy's directory name.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            Self::Evict => c_str!("evict"),
            Self::Sizer => c_str!("sizer"),
            Self::Vindex => c_str!("vindex"),
            Self::Sched => c_str!("sched"),
        }
    }

    /// The policy's position in [`PolicyId::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The model kind and feature schema the policy's model slot accepts.
    pub(crate) fn model_expect(self) -> Expect {
        let (kind, schema_id, schema_version, inputs, outputs) = match self {
            // The eviction hook computes its 8 features and scores with any output count (it
            // reads the first); a model of another input count it would never run.
            Self::Evict => (
                Kind::Mlp,
                schema::EVICT,
                schema::EVICT_VERSION,
                Some(usize::from(schema::EVICT_INPUTS)),
                None,
            ),
            Self::Sizer => (
                Kind::Mlp,
                schema::SIZER,
                schema::SIZER_VERSION,
                Some(sizer::FEATURES),
                Some(sizer::CLASSES),
            ),
            Self::Vindex => (
                Kind::Pla,
                schema::VINDEX,
                schema::VINDEX_VERSION,
                None,
                None,
            ),
            Self::Sched => (
                Kind::Mlp,
                schema::SCHED,
                schema::SCHED_VERSION,
                Some(sched::FEATURES),
                Some(sched::CLASSES),
            ),
        };
        Expect {
            kind,
            schema_id,
            schema_version,
            inputs,
            outputs,
        }
    }

    /// The policy at `index` in [`PolicyId::ALL`].
    pub(crate) fn from_index(index: usize) -> Option<Self> {
        Self::ALL.get(index).copied()
    }
}

/// Knob state of one policy. Every field is atomic: sysfs readers and writers on any CPU
/// see consistent values without a lock, and the hot paths read `enabled` lock-free.
pub(crate) struct Policy {
    enabled: AtomicBool,
    /// Times `enabled` actually changed value.
    transitions: AtomicU64,
    /// Writes refused as invalid, on any of the policy's knobs.
    rejected_writes: AtomicU64,
}

impl Policy {
    /// A disabled policy with zeroed statistics.
    pub(crate) const fn new() -> Self {
        Self {
            enabled: AtomicBool::new(false),
            transitions: AtomicU64::new(0),
            rejected_writes: AtomicU64::new(0),
        }
    }

    /// Whether the learned policy is on.
    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire)
    }

    /// Turns the learned policy on or off.
    pub(crate) fn set_enabled(&self, on: bool) {
        if self.enabled.swap(on, Ordering::AcqRel) != on {
            self.transitions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a refused write to one of the policy's knobs.
    pub(crate) fn count_rejected_write(&self) {
        self.rejected_writes.fetch_add(1, Ordering::Relaxed);
    }

    /// Writes the policy's `stats` file: one `key value` per line.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> fmt::Result {
        out.kv("enabled", u8::from(self.enabled()))?;
        out.kv("transitions", self.transitions.load(Ordering::Relaxed))?;
        out.kv(
            "rejected_writes",
            self.rejected_writes.load(Ordering::Relaxed),
        )
    }
}
