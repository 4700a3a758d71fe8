// SPDX-License-Identifier: GPL-2.0

//! An open-addressing index from 64-bit keys to slot numbers over caller memory (`&mut [u32]`
//! buckets), with linear probing and backward-shift deletion (no tombstones).
//!
//! The index stores only slot numbers; the keys live in the caller's slots and are read back
//! through a `key_of` function passed to each call, so the index borrows nothing else. Keys
//! are hashed with [`crate::hash::mix64`] after xoring in a salt derived from a seed; the bucket is
//! chosen by the hash's high 32 bits (SHARDS samples on its low bits, so the sampled keys
//! still spread evenly).
//!
//! Cost: expected `O(1)` probes per operation at the load factor [`Index::buckets_for`] gives
//! (at most 1/2); the worst case, keys chosen against the seed, is a probe of every bucket.
//! Seed each instance from a random source where keys can be chosen by an adversary.

use super::{mix64, Error};

/// The "no slot" marker in buckets.
pub const NIL: u32 = u32::MAX;

/// The buckets of an index and its seed.
pub struct Index<'a> {
    buckets: &'a mut [u32],
    /// Xored into keys before mixing: the seed, mixed, so that seeds differing in a few low
    /// bits still give unrelated hashes of a contiguous range of keys.
    salt: u64,
}

impl<'a> Index<'a> {
    /// The number of buckets to give an index of `slots` slots: the smallest power of two at
    /// least twice as large (0 for 0, and `usize::MAX` when that does not exist).
    pub const fn buckets_for(slots: usize) -> usize {
        if slots == 0 {
            return 0;
        }
        match slots.checked_mul(2) {
            Some(n) => match n.checked_next_power_of_two() {
                Some(p) => p,
                None => usize::MAX,
            },
            None => usize::MAX,
        }
    }

    /// An empty index over `buckets` (all are cleared) for up to `slots` slots, hashing with
    /// `seed`. Needs more buckets than slots (so every probe meets an empty bucket) and at most
    /// 2^32 buckets.
    pub fn new(buckets: &'a mut [u32], slots: usize, seed: u64) -> Result<Self, Error> {
        let mut ix = Self::resume(buckets, slots, seed)?;
        ix.clear();
        Ok(ix)
    }

    /// The index over `buckets` as a previous [`Index::new`] with the same arguments left
    /// it.
    pub fn resume(buckets: &'a mut [u32], slots: usize, seed: u64) -> Result<Self, Error> {
        if buckets.len() <= slots || buckets.len() as u64 > 1 << 32 {
            return Err(Error::StorageTooSmall);
        }
        Ok(Self {
            buckets,
            salt: Self::salt_for(seed),
        })
    }

    /// Empties the index.
    pub fn clear(&mut self) {
        for b in self.buckets.iter_mut() {
            *b = NIL;
        }
    }

    /// The hash of `key` under this index's seed (the estimators sample on its low bits):
    /// `mix64(key ^ mix64(seed + 0x9e3779b97f4a7c15))`.
    pub fn hash(&self, key: u64) -> u64 {
        mix64(key ^ self.salt)
    }

    /// The salt [`Self::hash`] xors into keys, for an index made with `seed`.
    pub fn salt_for(seed: u64) -> u64 {
        mix64(seed.wrapping_add(0x9e37_79b9_7f4a_7c15))
    }

    /// The home bucket of a key with hash `h`: its high 32 bits scaled to the bucket count.
    fn home(&self, h: u64) -> usize {
        // len <= 2^32 (checked at construction), so the product fits in 64 bits.
        (((h >> 32) * self.buckets.len() as u64) >> 32) as usize
    }

    fn step(&self, pos: usize) -> usize {
        let next = pos.saturating_add(1);
        if next >= self.buckets.len() {
            0
        } else {
            next
        }
    }

    /// The bucket holding `key` (whose hash is `h`) and its slot.
    fn probe(
        &self,
        key: u64,
        h: u64,
        key_of: &impl Fn(u32) -> Option<u64>,
    ) -> Option<(usize, u32)> {
        let mut pos = self.home(h);
        for _ in 0..self.buckets.len() {
            let s = *self.buckets.get(pos)?;
            if s == NIL {
                return None;
            }
            if key_of(s) == Some(key) {
                return Some((pos, s));
            }
            pos = self.step(pos);
        }
        None
    }

    /// The slot of `key` (whose hash is `h`), if indexed.
    pub fn find(&self, key: u64, h: u64, key_of: impl Fn(u32) -> Option<u64>) -> Option<u32> {
        self.probe(key, h, &key_of).map(|(_, s)| s)
    }

    /// Indexes `slot` for a key whose hash is `h` (the key must not be indexed yet); false
    /// when no bucket is free.
    pub fn insert(&mut self, slot: u32, h: u64) -> bool {
        let mut pos = self.home(h);
        for _ in 0..self.buckets.len() {
            match self.buckets.get_mut(pos) {
                Some(b) if *b == NIL => {
                    *b = slot;
                    return true;
                }
                Some(_) => pos = self.step(pos),
                None => return false,
            }
        }
        false
    }

    /// Removes `key` (whose hash is `h`); returns its slot. `key_of` must still return the
    /// key for that slot during the call.
    pub fn remove(&mut self, key: u64, h: u64, key_of: impl Fn(u32) -> Option<u64>) -> Option<u32> {
        let (mut hole, slot) = self.probe(key, h, &key_of)?;
        if let Some(b) = self.buckets.get_mut(hole) {
            *b = NIL;
        }
        // Backward-shift deletion (Knuth's algorithm R).
        let mut j = self.step(hole);
        for _ in 0..self.buckets.len() {
            let Some(&e) = self.buckets.get(j) else { break };
            if e == NIL {
                break;
            }
            let k = key_of(e).map_or(0, |x| self.home(self.hash(x)));
            // The entry at j may stay iff its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < k && k <= j
            } else {
                hole < k || k <= j
            };
            if !stays {
                if let Some(b) = self.buckets.get_mut(hole) {
                    *b = e;
                }
                if let Some(b) = self.buckets.get_mut(j) {
                    *b = NIL;
                }
                hole = j;
            }
            j = self.step(j);
        }
        Some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_inserts_and_removes_under_collisions() {
        // 3 buckets for 2 slots at a time, with keys that collide: churn many keys through.
        let mut keys = [0u64; 2];
        let mut buckets = [0u32; 3];
        let mut ix = Index::new(&mut buckets, 2, 5).unwrap();
        let mut live = [false; 2];
        for round in 0..200u64 {
            let s = (round % 2) as usize;
            if live[s] {
                let k = keys[s];
                let h = ix.hash(k);
                assert_eq!(
                    ix.remove(k, h, |i| keys.get(i as usize).copied()),
                    Some(s as u32)
                );
                assert_eq!(ix.find(k, h, |i| keys.get(i as usize).copied()), None);
                live[s] = false;
            }
            let k = round.wrapping_mul(0x1234_5678_9abc_def1) | 1;
            keys[s] = k;
            assert!(ix.insert(s as u32, ix.hash(k)));
            live[s] = true;
            for (t, _) in live.iter().enumerate().filter(|(_, &l)| l) {
                let k = keys[t];
                let got = ix.find(k, ix.hash(k), |i| keys.get(i as usize).copied());
                assert_eq!(got, Some(t as u32));
            }
        }
        assert_eq!(
            ix.find(u64::MAX, ix.hash(u64::MAX), |i| keys
                .get(i as usize)
                .copied()),
            None
        );
    }

    #[test]
    fn many_keys_and_bad_memory() {
        extern crate std;
        use std::vec;
        let n = 1000usize;
        let mut keys: std::vec::Vec<u64> = (0..n as u64).map(|i| i * 7919).collect();
        let mut buckets = vec![0u32; Index::buckets_for(n)];
        let mut ix = Index::new(&mut buckets, n, 0).unwrap();
        for (i, &k) in keys.iter().enumerate() {
            assert!(ix.insert(i as u32, ix.hash(k)));
        }
        // Remove every third key, then check every key.
        for i in (0..n).step_by(3) {
            let k = keys[i];
            assert_eq!(
                ix.remove(k, ix.hash(k), |s| keys.get(s as usize).copied()),
                Some(i as u32)
            );
        }
        for (i, &k) in keys.iter().enumerate() {
            let want = (i % 3 != 0).then_some(i as u32);
            assert_eq!(
                ix.find(k, ix.hash(k), |s| keys.get(s as usize).copied()),
                want
            );
        }
        keys.clear();
        assert_eq!(Index::buckets_for(0), 0);
        assert_eq!(Index::buckets_for(3), 8);
        assert_eq!(Index::buckets_for(usize::MAX), usize::MAX);
        let mut b = [0u32; 2];
        assert!(Index::new(&mut b, 2, 0).is_err());
        assert!(Index::new(&mut b, 1, 0).is_ok());
    }
}
