// SPDX-License-Identifier: GPL-2.0

//! The conventional range structure the learned index is measured against: the same runs,
//! in the kernel's red-black tree (`kernel::rbtree`, one node per run, keyed by the run's
//! last page so that a lower-bound search finds the only run that can hold a page).
//!
//! A session builds one only when a translation asks for it (`LO_VINDEX_VIA_RBTREE`), from
//! the runs of the learned index it is built with; it answers only while that index has
//! lost no page to an invalidation (see `session`), so its answers are exactly as coherent.

use kernel::bindings;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::learned_core::vindex::Run;

/// A red-black tree of runs, keyed by their last page.
pub(super) struct RunTree {
    tree: RBTree<u64, Run>,
    nodes: u64,
}

impl RunTree {
    /// The tree of `runs` (sorted, disjoint). Allocates a node per run: may sleep.
    pub(super) fn build(runs: &[Run]) -> Result<Self> {
        let mut tree = RBTree::new();
        let mut nodes = 0u64;
        for r in runs.iter().filter(|r| !r.is_empty()) {
            let node = RBTreeNode::new(r.end() - 1, *r, GFP_KERNEL)?;
            if tree.insert(node).is_some() {
                // Runs are disjoint, so their last pages are distinct.
                return Err(EINVAL);
            }
            nodes += 1;
        }
        Ok(Self { tree, nodes })
    }

    /// The nodes (runs) in the tree.
    pub(super) fn nodes(&self) -> u64 {
        self.nodes
    }

    /// The bytes the tree takes: a slab object per node, of the size the allocator rounds a
    /// node (links, key and value) up to.
    pub(super) fn bytes(&self) -> u64 {
        let node = core::mem::size_of::<bindings::rb_node>()
            + core::mem::size_of::<u64>()
            + core::mem::size_of::<Run>();
        // SAFETY: `kmalloc_size_roundup` only computes a size; it may be called anywhere.
        let slab = unsafe { bindings::kmalloc_size_roundup(node) };
        self.nodes.saturating_mul(slab as u64)
    }

    /// Looks up `vpns[i]` into `out[i]`, like `VIndex::lookup_batch`: a page inside the run
    /// that answered the page before it is answered from that run. Returns the answers found.
    pub(super) fn lookup_batch(&mut self, vpns: &[u64], out: &mut [Option<u64>]) -> u64 {
        let mut found = 0u64;
        let mut last: Option<Run> = None;
        for (&vpn, slot) in vpns.iter().zip(out.iter_mut()) {
            let mut pfn = last.and_then(|r| r.translate(vpn));
            if pfn.is_none() {
                // The run with the smallest last page at or above `vpn`: the only candidate.
                last = self.tree.cursor_lower_bound(&vpn).map(|c| *c.current().1);
                pfn = last.and_then(|r| r.translate(vpn));
            }
            found += u64::from(pfn.is_some());
            *slot = pfn;
        }
        found
    }
}
