// SPDX-License-Identifier: GPL-2.0

//! The tasks by pid: a bounded open-addressing hash table over slots the caller provides
//! (the kernel allocates them once; host tests use arrays or `Vec`s).
//!
//! # Probing
//!
//! A pid's *window* is the [`PROBE`] slots from its home slot on (wrapping around; the whole
//! table if it is smaller), the home slot being the pid's hash (learned-core's `mix64`)
//! scaled to the table by a multiply and a shift (no division). A pid lives in its window
//! or nowhere, so every lookup, insertion and removal examines at most [`PROBE`] slots.
//!
//! # Deletion: tombstones
//!
//! A slot is empty (never used since the table was made), deleted (a tombstone), or
//! occupied. A lookup walks its window and stops at the first *empty* slot: an insertion
//! takes the first empty or deleted slot of the window, so no occupied slot has an empty slot
//! before it in its window, and stopping there misses nothing. Removal leaves a tombstone,
//! which keeps that invariant, and insertions reuse tombstones. Tombstones never lengthen a
//! lookup beyond the window: at worst (a table that has seen much churn) a lookup reads all
//! [`PROBE`] slots.
//!
//! # Eviction
//!
//! When a window has no free slot, an insertion evicts the least recently seen
//! ([`Slot::last_seen`]) occupant whose slice the kernel has not changed
//! ([`Slot::applied`] `==` [`NONE`]): a task with a changed slice must keep its slot until
//! the kernel has restored its slice, or the kernel would lose track of it. If every occupant
//! of the window has a changed slice, the insertion fails and is counted
//! ([`TableStats::full`]).

use super::super::hash::mix64;
use super::task::Task;
use super::{NONE, PROBE};

/// A slot's state: never used.
const EMPTY: u8 = 0;
/// A slot's state: a task lives here.
const USED: u8 = 1;
/// A slot's state: a task was removed (a tombstone).
const DELETED: u8 = 2;

/// One task's slot (136 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// The pid, nonzero when used.
    pid: u32,
    /// [`EMPTY`], [`USED`] or [`DELETED`].
    state: u8,
    /// The class whose slice the policy wants the task to have, [`NONE`] for the default
    /// slice.
    pub want: u8,
    /// The class whose slice the kernel applied to the task, [`NONE`] when the task has its
    /// default slice. A slot with a class applied is never evicted.
    pub applied: u8,
    /// When the task's last event was seen, ns.
    pub last_seen: u64,
    /// The task's start time (the kernel's `task_struct::start_time`), which tells a task
    /// from a later one with the same pid; 0 until the caller sets it.
    pub start: u64,
    /// The task's slice before the kernel applied a class, ns (0: the default slice).
    pub orig_ns: u64,
    /// [`Task::bursts`] when the policy last predicted for the task: a new burst since
    /// calls for a new prediction.
    pub predicted_bursts: u32,
    /// The task's history.
    pub task: Task,
}

impl Slot {
    /// An unused slot (fill the caller's array with it).
    pub const EMPTY: Slot = Slot {
        pid: 0,
        state: EMPTY,
        want: NONE,
        applied: NONE,
        last_seen: 0,
        start: 0,
        orig_ns: 0,
        predicted_bursts: 0,
        task: Task::EMPTY,
    };

    /// The pid of the task in the slot, 0 if the slot is unused.
    pub fn pid(&self) -> u32 {
        if self.state == USED {
            self.pid
        } else {
            0
        }
    }

    /// Whether a task lives in the slot.
    #[cfg(any(test, feature = "host"))]
    pub fn used(&self) -> bool {
        self.state == USED
    }

    fn fresh(pid: u32, now: u64) -> Self {
        Slot {
            pid,
            state: USED,
            last_seen: now,
            ..Slot::EMPTY
        }
    }
}

impl Default for Slot {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// The table's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableStats {
    /// Slots.
    pub capacity: u64,
    /// Slots in use.
    pub entries: u64,
    /// Tasks inserted.
    pub inserts: u64,
    /// Tasks evicted to make room (none had a class applied).
    pub evictions: u64,
    /// Insertions refused: every slot of the window had a class applied.
    pub full: u64,
    /// Tasks removed ([`Table::remove`]).
    pub removes: u64,
    /// Calls with pid 0, refused.
    pub bad_pid: u64,
}

/// The table (see the module documentation).
///
/// INVARIANT: `entries` is the number of slots in state `USED`; no used slot has an
/// `EMPTY` slot between its pid's home slot and itself; no two used slots have the same
/// pid.
#[derive(Debug)]
pub struct Table<'a> {
    slots: &'a mut [Slot],
    stats: TableStats,
}

impl<'a> Table<'a> {
    /// A table over `slots`, which it empties. A table of no slots holds nothing (every
    /// insertion fails); slots past `u32::MAX` are not used.
    pub fn new(slots: &'a mut [Slot]) -> Self {
        for s in slots.iter_mut() {
            *s = Slot::EMPTY;
        }
        let n = slots.len().min(u32::MAX as usize);
        let slots = match slots.get_mut(..n) {
            Some(s) => s,
            None => &mut [],
        };
        Self {
            stats: TableStats {
                capacity: n as u64,
                ..TableStats::default()
            },
            slots,
        }
    }

    /// The table `slots` hold, with the counters `stats` that [`Self::stats`] returned for
    /// them: for a caller that keeps the slots and the counters between uses (the kernel,
    /// under its lock). Slots from [`Table::new`] and its operations keep the invariant;
    /// other contents make lookups miss, never panic.
    pub fn resume(slots: &'a mut [Slot], stats: TableStats) -> Self {
        let n = slots.len().min(u32::MAX as usize);
        let slots = match slots.get_mut(..n) {
            Some(s) => s,
            None => &mut [],
        };
        Self { slots, stats }
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The counters.
    pub fn stats(&self) -> TableStats {
        self.stats
    }

    /// `pid`'s home slot: its hash scaled to the table (Lemire's multiply-shift).
    fn home(&self, pid: u32) -> usize {
        // len <= u32::MAX: the product of two values below 2^32 fits in u64, and the result
        // is below len.
        (((mix64(u64::from(pid)) >> 32) * self.slots.len() as u64) >> 32) as usize
    }

    /// The slot indices of `pid`'s window, in probe order.
    fn window(&self, pid: u32) -> impl Iterator<Item = usize> {
        let len = self.slots.len();
        let home = self.home(pid);
        (0..PROBE.min(len)).map(move |k| {
            // home < len and k < len: the sum is below 2 len and wraps once at most.
            let i = home + k;
            if i >= len {
                i - len
            } else {
                i
            }
        })
    }

    /// The index of `pid`'s slot, if it is in the table.
    fn find(&self, pid: u32) -> Option<usize> {
        for i in self.window(pid) {
            let s = self.slots.get(i)?;
            match s.state {
                EMPTY => return None,
                USED if s.pid == pid => return Some(i),
                _ => {}
            }
        }
        None
    }

    /// `pid`'s slot, if it is in the table.
    pub fn get(&mut self, pid: u32) -> Option<&mut Slot> {
        if pid == 0 {
            self.stats.bad_pid = self.stats.bad_pid.saturating_add(1);
            return None;
        }
        let i = self.find(pid)?;
        self.slots.get_mut(i)
    }

    /// `pid`'s slot, marked seen at `now`, inserted (with no history) if it was not in the
    /// table; `None` for pid 0 or when the window is full of tasks with a class applied.
    pub fn get_or_insert(&mut self, pid: u32, now: u64) -> Option<&mut Slot> {
        if pid == 0 {
            self.stats.bad_pid = self.stats.bad_pid.saturating_add(1);
            return None;
        }
        let mut free = None;
        let mut victim: Option<(usize, u64)> = None;
        let mut found = None;
        for i in self.window(pid) {
            let Some(s) = self.slots.get(i) else {
                break;
            };
            match s.state {
                USED if s.pid == pid => {
                    found = Some(i);
                    break;
                }
                USED if s.applied == NONE => match victim {
                    Some((_, seen)) if seen <= s.last_seen => {}
                    _ => victim = Some((i, s.last_seen)),
                },
                USED => {}
                EMPTY => {
                    free = free.or(Some(i));
                    // Nothing of this pid lies beyond an empty slot.
                    break;
                }
                _ => free = free.or(Some(i)),
            }
        }
        if let Some(i) = found {
            let s = self.slots.get_mut(i)?;
            s.last_seen = now;
            return Some(s);
        }
        let i = match (free, victim) {
            (Some(i), _) => {
                self.stats.entries = self.stats.entries.saturating_add(1);
                i
            }
            (None, Some((i, _))) => {
                self.stats.evictions = self.stats.evictions.saturating_add(1);
                i
            }
            (None, None) => {
                self.stats.full = self.stats.full.saturating_add(1);
                return None;
            }
        };
        let s = self.slots.get_mut(i)?;
        *s = Slot::fresh(pid, now);
        self.stats.inserts = self.stats.inserts.saturating_add(1);
        Some(s)
    }

    /// Removes `pid` (the task exited) and returns its slot, so that the caller sees whether
    /// it had a class applied.
    pub fn remove(&mut self, pid: u32) -> Option<Slot> {
        if pid == 0 {
            self.stats.bad_pid = self.stats.bad_pid.saturating_add(1);
            return None;
        }
        let i = self.find(pid)?;
        let s = self.slots.get_mut(i)?;
        let old = *s;
        *s = Slot {
            state: DELETED,
            ..Slot::EMPTY
        };
        self.stats.entries = self.stats.entries.saturating_sub(1);
        self.stats.removes = self.stats.removes.saturating_add(1);
        Some(old)
    }

    /// The slot at index `i` if a task lives there: for a periodic scan in bounded chunks
    /// (`0..capacity()`).
    pub fn slot_mut(&mut self, i: usize) -> Option<&mut Slot> {
        self.slots.get_mut(i).filter(|s| s.state == USED)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::collections::HashMap;
    use std::vec;
    use std::vec::Vec;

    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(core::mem::size_of::<Slot>(), 136);
    }

    #[test]
    fn insert_get_remove() {
        let mut slots = [Slot::EMPTY; 32];
        let mut t = Table::new(&mut slots);
        assert!(t.get(7).is_none());
        let s = t.get_or_insert(7, 100).unwrap();
        assert_eq!(
            (s.pid(), s.last_seen, s.want, s.applied),
            (7, 100, NONE, NONE)
        );
        s.applied = 2;
        s.task.wake(100, true);
        assert_eq!(t.get_or_insert(7, 200).unwrap().last_seen, 200);
        assert_eq!(t.get(7).unwrap().applied, 2);
        let st = t.stats();
        assert_eq!((st.entries, st.inserts, st.capacity), (1, 1, 32));
        let old = t.remove(7).unwrap();
        assert_eq!((old.pid(), old.applied, old.last_seen), (7, 2, 200));
        assert!(t.get(7).is_none());
        assert!(t.remove(7).is_none());
        assert_eq!(t.stats().entries, 0);
        assert_eq!(t.stats().removes, 1);
        // Reinserted: a fresh history.
        let s = t.get_or_insert(7, 300).unwrap();
        assert_eq!((s.applied, s.task), (NONE, Task::EMPTY));
    }

    #[test]
    fn pid_zero_is_refused() {
        let mut slots = [Slot::EMPTY; 8];
        let mut t = Table::new(&mut slots);
        assert!(t.get_or_insert(0, 1).is_none());
        assert!(t.get(0).is_none());
        assert!(t.remove(0).is_none());
        assert_eq!(t.stats().bad_pid, 3);
        assert_eq!(t.stats().entries, 0);
        // An unused slot reads as pid 0 but is never found.
        assert_eq!(Slot::EMPTY.pid(), 0);
    }

    #[test]
    fn an_empty_table_holds_nothing() {
        let mut t = Table::new(&mut []);
        assert!(t.get_or_insert(1, 0).is_none());
        assert!(t.get(1).is_none());
        assert!(t.remove(1).is_none());
        assert!(t.slot_mut(0).is_none());
        assert_eq!(t.stats().full, 1);
    }

    #[test]
    fn a_full_window_evicts_the_least_recently_seen_without_a_class_applied() {
        // Eight slots: every pid's window is the whole table.
        let mut slots = [Slot::EMPTY; 8];
        let mut t = Table::new(&mut slots);
        for pid in 1..=8u32 {
            let s = t.get_or_insert(pid, u64::from(pid) * 10).unwrap();
            // Pids 1 and 2 (the oldest) have a class applied.
            if pid <= 2 {
                s.applied = 0;
            }
        }
        assert_eq!(t.stats().entries, 8);
        // Seeing pid 3 again makes pid 4 the least recently seen without a class applied.
        t.get_or_insert(3, 1000).unwrap();
        t.get_or_insert(9, 1001).unwrap();
        assert_eq!(t.stats().evictions, 1);
        assert!(t.get(4).is_none(), "evicted");
        for pid in [1, 2, 3, 5, 6, 7, 8, 9] {
            assert!(t.get(pid).is_some(), "{pid}");
        }
        // Apply a class to everyone: the next insertion fails, and nothing is lost.
        for i in 0..t.capacity() {
            if let Some(s) = t.slot_mut(i) {
                s.applied = 4;
            }
        }
        assert!(t.get_or_insert(10, 2000).is_none());
        assert_eq!(t.stats().full, 1);
        assert_eq!(t.stats().entries, 8);
        // Once the kernel restores one, its slot can go.
        t.get(6).unwrap().applied = NONE;
        t.get_or_insert(10, 2001).unwrap();
        assert!(t.get(6).is_none());
        assert_eq!(t.stats().evictions, 2);
    }

    #[test]
    fn tombstones_keep_later_entries_reachable() {
        // Nine pids with the same home slot 0: the first eight fill slots 0..8, all with a
        // class applied, so the ninth does not fit.
        let mut slots = [Slot::EMPTY; 16];
        let mut t = Table::new(&mut slots);
        let pids: Vec<u32> = (1..=5000).filter(|&p| t.home(p) == 0).take(9).collect();
        assert_eq!(pids.len(), 9);
        for &p in &pids[..8] {
            t.get_or_insert(p, u64::from(p)).unwrap().applied = 1;
        }
        assert!(t.get_or_insert(pids[8], 0).is_none());
        assert_eq!(t.stats().full, 1);
        // Removing the 1st, 4th and 7th leaves tombstones before the others, which are
        // still found.
        for &p in pids[..8].iter().step_by(3) {
            assert!(t.remove(p).is_some());
        }
        for (k, &p) in pids[..8].iter().enumerate() {
            assert_eq!(t.get(p).is_some(), k % 3 != 0, "{p}");
        }
        assert_eq!(t.stats().entries, 5);
        // The ninth now takes the first tombstone, and the removed ones come back into the
        // others: no eviction.
        t.get_or_insert(pids[8], 0).unwrap();
        assert_eq!(t.slot_mut(0).map(|s| s.pid()), Some(pids[8]));
        for &p in pids[..8].iter().step_by(3).skip(1) {
            assert!(t.get_or_insert(p, 0).is_some());
        }
        assert_eq!(t.stats().entries, 8);
        assert_eq!(t.stats().evictions, 0);
        for &p in &pids[1..] {
            assert!(t.get(p).is_some(), "{p}");
        }
    }

    #[test]
    fn the_scan_sees_every_used_slot() {
        let mut slots = vec![Slot::EMPTY; 64];
        let mut t = Table::new(&mut slots);
        for pid in 1..=20 {
            t.get_or_insert(pid, 0).unwrap();
        }
        t.remove(5);
        let mut seen: Vec<u32> = (0..t.capacity())
            .filter_map(|i| t.slot_mut(i).map(|s| s.pid()))
            .collect();
        seen.sort_unstable();
        let want: Vec<u32> = (1..=20).filter(|&p| p != 5).collect();
        assert_eq!(seen, want);
        assert!(t.slot_mut(64).is_none());
    }

    /// The splitmix64 generator, for the randomized test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix64(self.0)
        }
    }

    #[test]
    fn randomized_against_a_hash_map() {
        // Operations on a table with little spare room: the table must agree with a map of
        // what it holds, except for evictions, which must take only tasks with no class
        // applied, and insertions refused as full, which must happen only when the window
        // is full of tasks with a class applied.
        let mut fulls = 0;
        for (cap, pids) in [(64usize, 100u64), (61, 400), (8, 30), (3, 10)] {
            let mut slots = vec![Slot::EMPTY; cap];
            let mut t = Table::new(&mut slots);
            let mut map: HashMap<u32, (u64, u8)> = HashMap::new();
            let mut rng = Rng(cap as u64);
            for now in 1..20_000u64 {
                let pid = (rng.next() % pids) as u32 + 1;
                match rng.next() % 8 {
                    0..=3 => {
                        let before = t.stats();
                        match t.get_or_insert(pid, now) {
                            Some(s) => {
                                assert_eq!(s.pid(), pid);
                                let applied = s.applied;
                                if let Some(e) = map.get_mut(&pid) {
                                    assert_eq!(e.1, applied);
                                    e.0 = now;
                                } else {
                                    assert_eq!(applied, NONE);
                                    map.insert(pid, (now, NONE));
                                }
                            }
                            None => {
                                assert!(!map.contains_key(&pid));
                                assert_eq!(t.stats().full, before.full + 1);
                                assert!(t
                                    .window(pid)
                                    .all(|i| { t.slots[i].used() && t.slots[i].applied != NONE }));
                            }
                        }
                        if t.stats().evictions > before.evictions {
                            // Exactly one task is gone, the least recently seen one with no
                            // class applied in the new task's window.
                            let gone: Vec<u32> = map
                                .keys()
                                .copied()
                                .filter(|&p| p != pid && t.find(p).is_none())
                                .collect();
                            assert_eq!(gone.len(), 1, "{gone:?}");
                            let (seen, applied) = map.remove(&gone[0]).unwrap();
                            assert_eq!(applied, NONE, "evicted a task with a class applied");
                            for (&p, &(s, a)) in &map {
                                if p != pid
                                    && a == NONE
                                    && t.window(pid).any(|i| t.slots[i].pid == p)
                                {
                                    assert!(s >= seen, "{p} seen {s} before the victim's {seen}");
                                }
                            }
                        }
                    }
                    4 => {
                        let got = t.get(pid).map(|s| (s.last_seen, s.applied));
                        assert_eq!(got, map.get(&pid).copied());
                    }
                    5 => {
                        let got = t.remove(pid).map(|s| (s.last_seen, s.applied));
                        assert_eq!(got, map.remove(&pid));
                    }
                    _ => {
                        // The kernel applies or restores a slice.
                        let class = if rng.next() & 1 == 0 { NONE } else { 3 };
                        if let Some(s) = t.get(pid) {
                            s.applied = class;
                            map.get_mut(&pid).unwrap().1 = class;
                        }
                    }
                }
                assert_eq!(t.stats().entries, map.len() as u64);
            }
            for (&p, &(seen, applied)) in &map {
                let s = t.get(p).unwrap();
                assert_eq!((s.last_seen, s.applied), (seen, applied));
            }
            let s = t.stats();
            fulls += s.full;
            assert!(s.inserts > 0 && s.removes > 0, "{s:?}");
            if cap < pids as usize {
                assert!(s.evictions > 0, "{cap}: {s:?}");
            }
        }
        assert!(fulls > 0, "the full-window case was exercised");
    }
}
