// SPDX-License-Identifier: GPL-2.0

//! The sysfs ABI: `/sys/kernel/learned_os/` and one directory per policy.
//!
//! ```text
//! /sys/kernel/learned_os/version        ro  module version, e.g. "0.1.0"
//! /sys/kernel/learned_os/<policy>/enabled  rw  0 or 1
//! /sys/kernel/learned_os/<policy>/stats    ro  one "key value" per line
//! ```

use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::learned_core::{self, knob};
use crate::policy::{Policy, PolicyId};
use crate::sysfs::{self, File, Handler};
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
}

impl FileId {
    fn from_u32(id: u32) -> Option<Self> {
        [Self::Version, Self::Enabled, Self::Stats]
            .into_iter()
            .find(|f| *f as u32 == id)
    }
}

const ROOT_FILES: &[File] = &[File {
    name: c_str!("version"),
    mode: 0o444,
    id: FileId::Version as u32,
}];

const POLICY_FILES: &[File] = &[
    File {
        name: c_str!("enabled"),
        mode: 0o644,
        id: FileId::Enabled as u32,
    },
    File {
        name: c_str!("stats"),
        mode: 0o444,
        id: FileId::Stats as u32,
    },
];

/// Where a sysfs callback landed.
enum Node {
    Root,
    Policy(PolicyId),
}

/// The state behind every knob of the module.
pub(crate) struct Knobs {
    policies: [Policy; PolicyId::ALL.len()],
}

impl Knobs {
    /// Every policy disabled.
    pub(crate) fn new() -> Self {
        Self {
            policies: [const { Policy::new() }; PolicyId::ALL.len()],
        }
    }

    /// The state of `id`.
    pub(crate) fn policy(&self, id: PolicyId) -> &Policy {
        // `PolicyId::index` is below `ALL.len()`, the array's length.
        &self.policies[id.index()]
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
    let mut tree = sysfs::Tree::new(c_str!("learned_os"), ROOT_DIR, ROOT_FILES, knobs)?;
    for policy in PolicyId::ALL {
        tree.add_dir(policy.name(), dir_id(policy), POLICY_FILES)?;
    }
    Ok(tree)
}

impl Handler for Knobs {
    fn show(
        &self,
        dir: u32,
        file: u32,
        out: &mut crate::learned_core::text::TextBuf<'_>,
    ) -> Result {
        let written = match (Self::node(dir)?, FileId::from_u32(file).ok_or(EINVAL)?) {
            (Node::Root, FileId::Version) => out.line(learned_core::VERSION),
            (Node::Policy(p), FileId::Enabled) => out.line(u8::from(self.policy(p).enabled())),
            (Node::Policy(p), FileId::Stats) => self.policy(p).write_stats(out),
            _ => return Err(EINVAL),
        };
        written.map_err(|_| EFBIG)
    }

    fn store(&self, dir: u32, file: u32, input: &[u8]) -> Result {
        let (Node::Policy(id), Some(FileId::Enabled)) = (Self::node(dir)?, FileId::from_u32(file))
        else {
            return Err(EACCES);
        };
        let policy = self.policy(id);
        match knob::parse_bool(input) {
            Ok(on) => {
                policy.set_enabled(on);
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
