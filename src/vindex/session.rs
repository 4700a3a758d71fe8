// SPDX-License-Identifier: GPL-2.0

//! One open `/dev/learned_os_vindex`: a registration, its index, and the translations.
//!
//! # Coherence
//!
//! The index lives under `shared`, a spinlock that the MMU notifier takes too. The
//! notifier's `invalidate_range_start` removes the range from the index
//! ([`VIndex::invalidate`]) before the kernel changes the page tables, bumps `seq`, and
//! counts the invalidation as `active` until its `invalidate_range_end`. So:
//! - **Lookups.** A learned answer is read under `shared`, so it comes from an index that
//!   every invalidation which started before the lookup has already trimmed: it is never a
//!   translation invalidated before the lookup started. Everything else is answered by the
//!   exact walk, which reads the page tables as they are.
//! - **Builds.** A build walks the page tables without `shared` held, so a concurrent
//!   invalidation could change a page the walk has already recorded. A build starts only
//!   with no invalidation `active`, remembers `seq`, and installs its index only if `seq` is
//!   unchanged and nothing is `active` by then (the pattern of `mmu_interval_read_retry()`);
//!   otherwise it is thrown away and the walk answers until a later build succeeds.
//! - **Exit.** The notifier's `release` drops the index; translations then fail with
//!   `ESRCH`.
//!
//! Indexes rebuild lazily: at a translation, when there is none, when invalidation removed
//! pages from it, when the walk found a present page of the range the index does not know,
//! or when `epsilon` changed.
//!
//! # Over the run limit
//!
//! A range that needs more than [`MAX_RUNS`] runs gets no index: the build's first (counting)
//! walk finds that and stops there. The session remembers it ([`OverLimit`]) and tries no
//! build, at any translation, until invalidations in the range could have brought it under
//! the limit: a page's mapping change merges at most three runs into one, so each
//! invalidated page counts the excess down by two. Meanwhile every address is answered by
//! the exact per-address walk (bounded work each), and `vindex/stats` counts `over_limit`
//! and `builds_skipped`. Pages faulted in later are not seen (faults call no notifier): at
//! most one run merge each, they can bring the range under the limit only in contrived
//! layouts, and re-registering retries.
//!
//! # Baselines
//!
//! A translation may ask for its index answers from a conventional structure over the same
//! runs (`LO_VINDEX_VIA_*`): binary search over the runs array, which invalidation trims in
//! place like the learned index, or a red-black tree of the runs ([`RunTree`]), built with
//! the index once a translation asked for one. The tree is not trimmed: it answers only
//! while its index has lost no page to an invalidation (then its runs are the index's), and
//! is rebuilt with the index after that.

use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::uaccess::UserSlice;
use kernel::{new_mutex, new_spinlock};

use super::abi::{self, Path, MAX_BATCH, NOT_PRESENT, NO_REBUILD, VIA_RBTREE, VIA_SEARCH};
use super::mm::{IoctlFile, Notifier, Walker};
use super::tree::RunTree;
use super::{Count, Footprint};
use crate::knobs::Knobs;
use crate::learned_core::vindex::{Run, RunBuilder, Segment, VIndex, VIndexState};
use crate::policy::PolicyId;
use crate::warn::warn_ratelimited;

/// Addresses translated per copy from and to user memory.
const CHUNK: usize = 512;
/// The most runs an index may take (16 MiB); a larger mapping is answered by the walk.
const MAX_RUNS: usize = 1 << 20;
/// Builds tried per translation before the walk answers alone.
const BUILD_TRIES: u32 = 3;
/// Page size bits.
const PAGE_SHIFT: u32 = 12;
/// The highest end of a registered range: the top of the largest x86-64 user address space
/// (5-level paging). The walk stops at the real one.
const MAX_ADDR: u64 = 1 << 57;

/// A range found to need more runs than [`MAX_RUNS`]: no build is tried until this is gone.
#[derive(Clone, Copy)]
struct OverLimit {
    /// The registered range, in pages.
    first: u64,
    last: u64,
    /// How many runs more than the limit it needed, less twice the pages of the range
    /// invalidated since (nonzero).
    excess: u64,
}

/// A built index and the memory it lives in.
struct Index {
    runs: KVVec<Run>,
    segs: KVVec<Segment>,
    state: VIndexState,
    footprint: Footprint,
    /// The baseline tree of the same runs, if a translation asked for one.
    tree: Option<RunTree>,
    /// An invalidation removed pages from the index since the build: the tree, which is
    /// not trimmed, must not answer.
    trimmed: bool,
}

/// Where a translation's index answers come from (`LO_VINDEX_VIA_*`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Learned,
    Search,
    Tree,
}

impl Index {
    /// The index over its memory. `None` only if the state no longer fits it, which
    /// cannot happen: the state was taken from an index over this very memory.
    fn view(&mut self) -> Option<VIndex<'_>> {
        VIndex::resume(&mut self.runs, &mut self.segs, self.state).ok()
    }
}

/// What the notifier shares with the translations.
struct Shared {
    index: Option<Index>,
    /// Bumped by every invalidation start (and by the release).
    seq: u64,
    /// Invalidations started and not yet ended.
    active: u32,
    /// The process has exited.
    released: bool,
    /// The registration is ending: a `release` now is the unregistration's, not an exit.
    closing: bool,
    /// The walk found a present page of the range that the index does not know.
    unknown: bool,
    /// Invalidations that removed pages from this registration's index.
    invalidations: u64,
    /// A translation asked for the baseline tree: builds make one.
    want_tree: bool,
    /// The range needs more runs than an index may take: no build is tried meanwhile.
    over_limit: Option<OverLimit>,
}

impl Shared {
    const fn new() -> Self {
        Self {
            index: None,
            seq: 0,
            active: 0,
            released: false,
            closing: false,
            unknown: false,
            invalidations: 0,
            want_tree: false,
            over_limit: None,
        }
    }

    /// Forgets that the range is over the run limit, keeping the shared gauge right.
    fn clear_over_limit(&mut self, knobs: &Knobs) {
        if self.over_limit.take().is_some() {
            knobs.vindex().set_over_limit(false);
        }
    }
}

/// A registered range of a process.
struct Registration {
    notifier: Notifier,
    start: u64,
    end: u64,
}

/// Per-registration counts and the buffers of one chunk of a translation.
struct ChunkBuffers {
    rebuilds: u64,
    learned: u64,
    walked: u64,
    not_present: u64,
    /// Addresses in and frames out, as user bytes; page numbers; answers; paths.
    bytes_in: KVec<u8>,
    bytes_out: KVec<u8>,
    vpns: KVec<u64>,
    answers: KVec<Option<u64>>,
    paths: KVec<u8>,
}

impl ChunkBuffers {
    fn new() -> Result<Self> {
        Ok(Self {
            rebuilds: 0,
            learned: 0,
            walked: 0,
            not_present: 0,
            bytes_in: KVec::from_elem(0u8, CHUNK * 8, GFP_KERNEL)?,
            bytes_out: KVec::from_elem(0u8, CHUNK * 8, GFP_KERNEL)?,
            vpns: KVec::from_elem(0u64, CHUNK, GFP_KERNEL)?,
            answers: KVec::from_elem(None, CHUNK, GFP_KERNEL)?,
            paths: KVec::from_elem(0u8, CHUNK, GFP_KERNEL)?,
        })
    }

    fn reset_counts(&mut self) {
        self.rebuilds = 0;
        self.learned = 0;
        self.walked = 0;
        self.not_present = 0;
    }
}

/// The state only ioctls touch, serialized per open file.
struct IoctlState {
    reg: Option<Registration>,
    work: ChunkBuffers,
}

/// One open file of the device.
///
/// INVARIANT: a registration's notifier has this session as its context, and is
/// unregistered (by `unregister` or `close`) before the session's last reference goes.
#[pin_data]
pub(crate) struct Session {
    knobs: Arc<Knobs>,
    #[pin]
    control: Mutex<IoctlState>,
    #[pin]
    shared: SpinLock<Shared>,
}

/// Refuses an ioctl with `err`, saying why once (rate-limited).
fn refuse(knobs: &Knobs, err: Error, why: &str) -> Error {
    knobs.vindex().count(Count::RejectedIoctls, 1);
    warn_ratelimited!("vindex: ioctl refused: {}\n", why);
    err
}

/// Why a registration's notifier was refused, for its warning.
fn register_refusal(e: Error) -> &'static str {
    if e == EPERM {
        "register: the file's opener lacks CAP_SYS_ADMIN"
    } else if e == EACCES {
        "register: ptrace read access to the process denied"
    } else if e == ESRCH {
        "register: no such process, or no address space (a kernel thread)"
    } else if e == EINTR {
        "register: interrupted"
    } else {
        "register: the notifier could not be registered"
    }
}

/// The `i`-th native-endian `u64` of `bytes` (user memory's layout), if it has one.
fn get_u64(bytes: &[u8], i: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(i * 8..i * 8 + 8)?.try_into().ok()?;
    Some(u64::from_ne_bytes(b))
}

/// Stores `v` as the `i`-th native-endian `u64` of `bytes`, if it has one.
fn put_u64(bytes: &mut [u8], i: usize, v: u64) {
    if let Some(b) = bytes.get_mut(i * 8..i * 8 + 8) {
        b.copy_from_slice(&v.to_ne_bytes());
    }
}

/// Adds `nr` pages from `vpn -> pfn` to a run builder.
fn push_pages(b: &mut RunBuilder<'_>, vpn: u64, pfn: u64, nr: u64) -> Result {
    for i in 0..nr {
        b.push(vpn.wrapping_add(i), pfn.wrapping_add(i))
            .map_err(|_| ERANGE)?;
    }
    Ok(())
}

impl Session {
    /// A session with nothing registered.
    pub(crate) fn new(knobs: Arc<Knobs>) -> Result<Arc<Self>> {
        let control = IoctlState {
            reg: None,
            work: ChunkBuffers::new()?,
        };
        Arc::pin_init(
            pin_init!(Self {
                knobs,
                control <- new_mutex!(control, "learned_os_vindex_control"),
                shared <- new_spinlock!(Shared::new(), "learned_os_vindex_shared"),
            }),
            GFP_KERNEL,
        )
    }

    /// The module's knobs.
    pub(crate) fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// `LO_VINDEX_REGISTER`, by the caller of an ioctl on `file`: its opener must have
    /// `CAP_SYS_ADMIN` (`EPERM`) and the caller must pass the ptrace read check on the
    /// process (`EACCES`), as for `/proc/PID/pagemap`.
    pub(crate) fn register(&self, reg: &abi::Register, file: IoctlFile<'_>) -> Result {
        let knobs = &*self.knobs;
        if reg.flags != 0 {
            return Err(refuse(knobs, EINVAL, "register: unknown flags"));
        }
        if reg.pid <= 0 {
            return Err(refuse(knobs, EINVAL, "register: pid must be positive"));
        }
        let page_mask = (1u64 << PAGE_SHIFT) - 1;
        if reg.start >= reg.end || (reg.start | reg.end) & page_mask != 0 || reg.end > MAX_ADDR {
            return Err(refuse(
                knobs,
                EINVAL,
                "register: range must be page aligned and non-empty",
            ));
        }
        let mut ctl = self.control.lock();
        if ctl.reg.is_some() {
            return Err(refuse(knobs, EBUSY, "register: already registered"));
        }
        self.reset_shared();
        let ctx = core::ptr::from_ref(self).cast();
        // SAFETY: the notifier's callbacks get `self`, which outlives the notifier: the
        // registration holding it is dropped by `unregister`, which `close` calls before the
        // session is freed.
        let notifier = unsafe { Notifier::register(file, reg.pid, ctx) };
        let notifier = notifier.map_err(|e| refuse(knobs, e, register_refusal(e)))?;
        ctl.reg = Some(Registration {
            notifier,
            start: reg.start,
            end: reg.end,
        });
        knobs.vindex().set_registered(true);
        Ok(())
    }

    /// `LO_VINDEX_UNREGISTER`.
    pub(crate) fn unregister(&self) -> Result {
        let mut ctl = self.control.lock();
        if ctl.reg.is_none() {
            return Err(refuse(&self.knobs, EINVAL, "unregister: not registered"));
        }
        self.unregister_locked(&mut ctl);
        Ok(())
    }

    /// Ends the registration, if any: the notifier is gone when this returns.
    fn unregister_locked(&self, ctl: &mut IoctlState) {
        let Some(reg) = ctl.reg.take() else {
            return;
        };
        self.shared.lock().closing = true;
        // Unregisters the notifier (calling its `release` if the process still runs): no
        // callback runs after this.
        drop(reg);
        self.reset_shared();
        ctl.work.reset_counts();
        self.knobs.vindex().set_registered(false);
    }

    /// Ends everything before the file goes away.
    pub(crate) fn close(&self) {
        self.unregister_locked(&mut self.control.lock());
    }

    /// Puts `shared` back to nothing registered, freeing what it held.
    fn reset_shared(&self) {
        let old = {
            let mut sh = self.shared.lock();
            sh.clear_over_limit(&self.knobs);
            core::mem::replace(&mut *sh, Shared::new())
        };
        self.drop_index(old.index);
    }

    /// Frees an index taken out of `shared` (never under the spinlock: it may sleep).
    fn drop_index(&self, index: Option<Index>) {
        if let Some(ix) = index {
            self.knobs.vindex().account(&ix.footprint, false);
        }
    }

    /// `LO_VINDEX_STATS`.
    pub(crate) fn stats(&self, st: &mut abi::Stats) -> Result {
        let ctl = self.control.lock();
        if ctl.reg.is_none() {
            return Err(refuse(&self.knobs, EINVAL, "stats: not registered"));
        }
        st.rebuilds = ctl.work.rebuilds;
        st.learned = ctl.work.learned;
        st.walked = ctl.work.walked;
        st.not_present = ctl.work.not_present;
        let mut sh = self.shared.lock();
        st.invalidations = sh.invalidations;
        st.released = u64::from(sh.released);
        if let Some(ix) = sh.index.as_mut() {
            if let Some(t) = ix.tree.as_ref() {
                st.tree_nodes = t.nodes();
                st.tree_bytes = t.bytes();
            }
            if let Some(v) = ix.view() {
                let s = v.stats();
                st.runs = s.runs as u64;
                st.segments = s.segments as u64;
                st.bytes = v.memory_bytes() as u64;
                st.pages = s.pages;
                st.epsilon = u64::from(v.epsilon());
                st.built = 1;
            }
        }
        Ok(())
    }

    /// Whether the index should be rebuilt before translating (and can be); with `lazy`
    /// (`LO_VINDEX_NO_REBUILD`), only if there is none. Never while the range is known to be
    /// over the run limit (counted as a skipped build).
    fn wants_build(&self, lazy: bool) -> bool {
        let vx = self.knobs.vindex();
        let eps = vx.epsilon();
        let mut sh = self.shared.lock();
        if sh.released || sh.active > 0 {
            return false;
        }
        if sh.over_limit.is_some() {
            drop(sh);
            vx.count(Count::BuildsSkipped, 1);
            return false;
        }
        let (unknown, want_tree) = (sh.unknown, sh.want_tree);
        let Some(ix) = sh.index.as_mut() else {
            return true;
        };
        if lazy {
            return false;
        }
        let no_tree = want_tree && ix.tree.is_none();
        match ix.view() {
            None => true,
            Some(v) => unknown || no_tree || v.needs_rebuild() || v.epsilon() != eps,
        }
    }

    /// Builds the index of `[start, end)` from the page tables and installs it, unless
    /// invalidations keep racing with the walk. `Ok(true)` when an index was installed. Fails
    /// only with `EINTR` (a fatal signal); any other failure leaves no new index, and the walk
    /// answers (a range over the run limit is remembered: see [`OverLimit`]).
    fn build(&self, walker: &Walker<'_>, start: u64, end: u64) -> Result<bool> {
        let vx = self.knobs.vindex();
        for _ in 0..BUILD_TRIES {
            match self.try_build(walker, start, end) {
                Ok(true) => {
                    vx.count(Count::Rebuilds, 1);
                    return Ok(true);
                }
                Ok(false) => vx.count(Count::RebuildsRaced, 1),
                Err(e) if e == EINTR => return Err(e),
                Err(_) => {
                    vx.count(Count::RebuildFailures, 1);
                    return Ok(false);
                }
            }
        }
        Ok(false)
    }

    /// One build: `Ok(false)` if it raced with an invalidation (or none may start now).
    fn try_build(&self, walker: &Walker<'_>, start: u64, end: u64) -> Result<bool> {
        let (seq, want_tree) = {
            let sh = self.shared.lock();
            if sh.active > 0 || sh.released {
                return Ok(false);
            }
            (sh.seq, sh.want_tree)
        };
        // Count the runs, then fill them; pages faulted in between may need a few more.
        let mut counter = RunBuilder::new(&mut []);
        walker.lock()?.walk(start, end, |vpn, pfn, nr| {
            push_pages(&mut counter, vpn, pfn, nr)
        })?;
        let needed = counter.runs_needed();
        if needed > MAX_RUNS {
            return self.mark_over_limit(seq, start, end, needed - MAX_RUNS);
        }
        let cap = needed + needed / 8 + 16;
        let mut runs = KVVec::from_elem(Run::EMPTY, cap, GFP_KERNEL)?;
        let mut builder = RunBuilder::new(&mut runs);
        walker.lock()?.walk(start, end, |vpn, pfn, nr| {
            push_pages(&mut builder, vpn, pfn, nr)
        })?;
        let pages = builder.pages();
        let n = builder.finish().map_err(|_| EAGAIN)?;
        let eps = self.knobs.vindex().epsilon();
        let n_segs = VIndex::segments_for(runs.get(..n).ok_or(EINVAL)?, eps).map_err(|_| EINVAL)?;
        let mut segs = KVVec::from_elem(Segment::default(), n_segs, GFP_KERNEL)?;
        let state = VIndex::build(&mut runs, n, &mut segs, eps)
            .map_err(|_| EINVAL)?
            .state();
        let tree = match want_tree {
            true => Some(RunTree::build(runs.get(..n).ok_or(EINVAL)?)?),
            false => None,
        };
        let footprint = Footprint {
            runs: n as u64,
            segments: n_segs as u64,
            bytes: VIndex::bytes_for(n, n_segs) as u64,
            bytes_allocated: VIndex::bytes_for(cap, n_segs) as u64,
            pages,
        };
        let new = Index {
            runs,
            segs,
            state,
            footprint,
            tree,
            trimmed: false,
        };
        let mut sh = self.shared.lock();
        if sh.seq != seq || sh.active > 0 || sh.released {
            drop(sh);
            drop(new);
            return Ok(false);
        }
        sh.unknown = false;
        let old = sh.index.replace(new);
        drop(sh);
        self.knobs.vindex().account(&footprint, true);
        self.drop_index(old);
        Ok(true)
    }

    /// The counting walk of a build found `[start, end)` needing `excess` runs more than
    /// `MAX_RUNS`: remembers it, unless the mm changed during the walk (`Ok(false)`: raced,
    /// the count may be stale). Then fails with `E2BIG`.
    fn mark_over_limit(&self, seq: u64, start: u64, end: u64, excess: usize) -> Result<bool> {
        let mut sh = self.shared.lock();
        if sh.seq != seq || sh.active > 0 || sh.released {
            return Ok(false);
        }
        if sh.over_limit.is_none() {
            self.knobs.vindex().set_over_limit(true);
        }
        sh.over_limit = Some(OverLimit {
            first: start >> PAGE_SHIFT,
            last: end >> PAGE_SHIFT,
            // Positive: `needed` was above `MAX_RUNS`.
            excess: excess as u64,
        });
        Err(E2BIG)
    }

    /// `LO_VINDEX_TRANSLATE`.
    pub(crate) fn translate(&self, tr: &mut abi::Translate) -> Result {
        let knobs = &*self.knobs;
        let via = match tr.flags & !NO_REBUILD {
            0 => Via::Learned,
            VIA_SEARCH => Via::Search,
            VIA_RBTREE => Via::Tree,
            _ => return Err(refuse(knobs, EINVAL, "translate: unknown flags")),
        };
        if tr.pad != 0 {
            return Err(refuse(knobs, EINVAL, "translate: pad must be 0"));
        }
        if tr.count > MAX_BATCH {
            return Err(refuse(
                knobs,
                EINVAL,
                "translate: count above the batch limit",
            ));
        }
        // At most MAX_BATCH, so these fit.
        let count = tr.count as usize;
        let mut vaddrs = UserSlice::new(tr.vaddrs as usize, count * 8).reader();
        let mut pfns = UserSlice::new(tr.pfns as usize, count * 8).writer();
        let mut paths = (tr.paths != 0).then(|| UserSlice::new(tr.paths as usize, count).writer());

        let mut guard = self.control.lock();
        let IoctlState { reg, work } = &mut *guard;
        let Some(reg) = reg.as_ref() else {
            return Err(refuse(knobs, EINVAL, "translate: not registered"));
        };
        let Some(walker) = reg.notifier.enter() else {
            return Err(ESRCH);
        };
        let enabled = knobs.policy(PolicyId::Vindex).enabled();
        if enabled && via == Via::Tree {
            self.shared.lock().want_tree = true;
        }
        if enabled
            && self.wants_build(tr.flags & NO_REBUILD != 0)
            && self.build(&walker, reg.start, reg.end)?
        {
            work.rebuilds += 1;
        }

        let (mut learned, mut walked, mut absent) = (0u64, 0u64, 0u64);
        let mut unknown = false;
        let mut done = 0usize;
        while done < count {
            let n = (count - done).min(CHUNK);
            let (Some(bytes_in), Some(bytes_out), Some(vpns), Some(answers), Some(path)) = (
                work.bytes_in.get_mut(..n * 8),
                work.bytes_out.get_mut(..n * 8),
                work.vpns.get_mut(..n),
                work.answers.get_mut(..n),
                work.paths.get_mut(..n),
            ) else {
                return Err(EINVAL);
            };
            vaddrs.read_slice(bytes_in)?;
            for (i, vpn) in vpns.iter_mut().enumerate() {
                *vpn = get_u64(bytes_in, i).ok_or(EINVAL)? >> PAGE_SHIFT;
            }
            // The index answers what it knows, under the notifier's lock.
            answers.fill(None);
            if enabled {
                let mut sh = self.shared.lock();
                if let Some(ix) = sh.index.as_mut() {
                    Self::lookup(ix, via, vpns, answers);
                }
            }
            // The exact walk answers the rest, under the mmap lock (no user copy meanwhile).
            let locked = match answers.iter().any(Option::is_none) {
                true => Some(walker.lock()?),
                false => None,
            };
            for (i, ((vpn, answer), p)) in vpns
                .iter()
                .zip(answers.iter())
                .zip(path.iter_mut())
                .enumerate()
            {
                let (pfn, which) = match *answer {
                    Some(pfn) => (pfn, Path::Learned),
                    None => match locked.as_ref().and_then(|l| l.translate(vpn << PAGE_SHIFT)) {
                        Some(pfn) => {
                            let addr = vpn << PAGE_SHIFT;
                            unknown |= addr >= reg.start && addr < reg.end;
                            (pfn, Path::Walk)
                        }
                        None => (NOT_PRESENT, Path::NotPresent),
                    },
                };
                match which {
                    Path::Learned => learned += 1,
                    Path::Walk => walked += 1,
                    Path::NotPresent => absent += 1,
                }
                put_u64(bytes_out, i, pfn);
                *p = which as u8;
            }
            drop(locked);
            pfns.write_slice(bytes_out)?;
            if let Some(w) = paths.as_mut() {
                w.write_slice(path)?;
            }
            done += n;
        }
        drop(walker);
        if unknown && enabled {
            self.shared.lock().unknown = true;
        }
        work.learned += learned;
        work.walked += walked;
        work.not_present += absent;
        let vx = knobs.vindex();
        vx.count(Count::LookupsLearned, learned);
        vx.count(Count::LookupsWalk, walked);
        vx.count(Count::LookupsNotPresent, absent);
        tr.learned = learned;
        tr.walked = walked;
        tr.not_present = absent;
        Ok(())
    }

    /// Answers what `ix` knows of `vpns` into `answers`, by the structure `via` names.
    fn lookup(ix: &mut Index, via: Via, vpns: &[u64], answers: &mut [Option<u64>]) {
        match via {
            Via::Tree if !ix.trimmed => {
                if let Some(t) = ix.tree.as_mut() {
                    t.lookup_batch(vpns, answers);
                }
            }
            // A trimmed index's tree may hold invalidated pages: the walk answers.
            Via::Tree => {}
            Via::Learned | Via::Search => {
                if let Some(v) = ix.view() {
                    match via {
                        Via::Search => v.search_batch(vpns, answers),
                        _ => v.lookup_batch(vpns, answers),
                    };
                }
            }
        }
    }

    /// The notifier's `invalidate_range_start`: `[start, end)` leaves the index now.
    pub(crate) fn invalidate_start(&self, start: u64, end: u64) {
        let vx = self.knobs.vindex();
        vx.count(Count::NotifierCalls, 1);
        let first = start >> PAGE_SHIFT;
        let last = end.saturating_add((1 << PAGE_SHIFT) - 1) >> PAGE_SHIFT;
        let mut sh = self.shared.lock();
        sh.seq = sh.seq.wrapping_add(1);
        sh.active = sh.active.saturating_add(1);
        let removed = sh
            .index
            .as_mut()
            .and_then(|ix| {
                let (removed, state) = {
                    let mut v = ix.view()?;
                    (v.invalidate(first, last), v.state())
                };
                ix.state = state;
                ix.trimmed |= removed > 0;
                Some(removed)
            })
            .unwrap_or(0);
        if let Some(ol) = sh.over_limit.as_mut() {
            let pages = last.min(ol.last).saturating_sub(first.max(ol.first));
            ol.excess = ol.excess.saturating_sub(pages.saturating_mul(2));
            if ol.excess == 0 {
                sh.clear_over_limit(&self.knobs);
            }
        }
        if removed > 0 {
            sh.invalidations += 1;
            drop(sh);
            vx.count(Count::Invalidations, 1);
            vx.count(Count::InvalidatedPages, removed);
        }
    }

    /// The notifier's `invalidate_range_end`: the page tables have changed.
    pub(crate) fn invalidate_end(&self) {
        let mut sh = self.shared.lock();
        sh.active = sh.active.saturating_sub(1);
    }

    /// The notifier's `release`: the process is exiting (or the registration ending, which
    /// calls it too); its index goes.
    pub(crate) fn release(&self) {
        let (old, exited) = {
            let mut sh = self.shared.lock();
            sh.released = true;
            sh.seq = sh.seq.wrapping_add(1);
            sh.clear_over_limit(&self.knobs);
            (sh.index.take(), !sh.closing)
        };
        if exited {
            self.knobs.vindex().count(Count::Releases, 1);
        }
        self.drop_index(old);
    }
}
