// SPDX-License-Identifier: GPL-2.0

//! A policy's model slot: a `.lmod` file written from user space to `<policy>/model`,
//! validated whole, then swapped in atomically for the readers.
//!
//! Writers (process context) reassemble the file under a mutex and validate it completely:
//! format, checksum, kind, feature schema and, where the policy fixes it, shape. Only then is
//! the active model replaced, through RCU: readers take no lock and no reference count, and see
//! the old model or the new one, never a mix; the old one is freed after a grace period. A
//! refused file gets an errno and one warning line, and the previous model stays active.
//!
//! An upload belongs to the open file whose write at offset 0 started it, which the slot keeps
//! a reference on: another file's write meanwhile gets `EBUSY` (never mixed into it), and a
//! write at a non-zero offset with no upload pending gets `EINVAL`. sysfs tells nobody when
//! a file is closed, so a file cut at a page multiple (`head -c 4096 m.lmod > model`) is
//! accepted by write(2); the slot notices that its writer has closed the file at the next
//! read of `model_info` or the next write to `model`, whichever comes first, and then drops
//! the upload, frees its buffer, counts it in `uploads_incomplete`, sets `last_upload` to
//! `incomplete` and logs one warning. `none` aborts a pending upload and unloads the model.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::new_mutex;
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::time::Ktime;

use crate::learned_core::model::format::{self, Header, Kind, ParseError, MAX_FILE_LEN};
use crate::learned_core::model::memo::ClassMemo;
use crate::learned_core::model::mlp::{argmax, Mlp, MAX_INPUTS, MAX_OUTPUTS};
use crate::learned_core::text::TextBuf;
use crate::learned_core::upload::{Step, Upload, UploadError};
use crate::policy::PolicyId;
use crate::rcu::{RcuArc, ReadGuard};
use crate::sysfs::{HeldFile, Writer};
use crate::warn::warn_ratelimited;

/// What a slot accepts: one model kind for one feature schema version.
#[derive(Clone, Copy)]
pub(crate) struct Expect {
    /// The model kind.
    pub(crate) kind: Kind,
    /// The feature schema id (`learned_core::model::schema`).
    pub(crate) schema_id: u16,
    /// The schema version.
    pub(crate) schema_version: u16,
    /// An MLP's input count, if the policy fixes it (the number of features it computes).
    pub(crate) inputs: Option<usize>,
    /// An MLP's output count, if the policy fixes it.
    pub(crate) outputs: Option<usize>,
}

/// A validated model, immutable once loaded.
pub(crate) struct LoadedModel {
    /// The file, exactly as validated.
    bytes: KVec<u8>,
    header: Header,
    loaded_at: Ktime,
    inferences: AtomicU64,
    /// The answers of this model, remembered (`learned_core::model::memo`): it lives and dies
    /// with the model, so it never answers for another one.
    memo: ClassMemo,
}

/// What one inference returned.
#[derive(Clone, Copy)]
pub(crate) enum Answer {
    /// MLP: the predicted class and the output logits.
    Class {
        class: usize,
        logits: [i32; MAX_OUTPUTS],
        outputs: usize,
    },
    /// PLA: the predicted position and the window `[lo, hi]` to search.
    Position { pos: u64, lo: u64, hi: u64 },
}

impl LoadedModel {
    /// The model as an MLP, if it is one. Count what is run with [`Self::count_inference`].
    pub(crate) fn mlp(&self) -> Option<Mlp<'_>> {
        // As in `infer`: validated at load time, cannot fail.
        format::parse_validated(&self.bytes).ok()?.mlp()
    }

    /// The memo of this model's answers.
    pub(crate) fn memo(&self) -> &ClassMemo {
        &self.memo
    }

    /// Counts one inference run outside [`Self::infer`].
    pub(crate) fn count_inference(&self) {
        self.inferences.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs the model on `input`: int8 features for an MLP, one key for a PLA. A refused
    /// input is not counted as an inference; the error says why it was refused.
    fn infer(&self, input: &[i32]) -> core::result::Result<Answer, &'static str> {
        // The bytes passed `format::parse` (checksum included) at load time and never change:
        // re-deriving the typed view skips the checksum and cannot fail.
        let model = format::parse_validated(&self.bytes).map_err(|_| "the model cannot run")?;
        let answer = if let Some(mlp) = model.mlp() {
            if input.len() != mlp.inputs() {
                return Err("not as many values as the model has inputs");
            }
            let mut features = [0i8; MAX_INPUTS];
            let features = features
                .get_mut(..input.len())
                .ok_or("not as many values as the model has inputs")?;
            for (f, &v) in features.iter_mut().zip(input) {
                *f = i8::try_from(v).map_err(|_| "an MLP input outside int8 (-128..=127)")?;
            }
            let mut logits = [0i32; MAX_OUTPUTS];
            let outputs = mlp
                .infer(features, &mut logits)
                .map_err(|_| "not as many values as the model has inputs")?;
            let class = argmax(logits.get(..outputs).unwrap_or_default());
            Answer::Class {
                class,
                logits,
                outputs,
            }
        } else {
            let pla = model.pla().ok_or("the model cannot run")?;
            let [key] = input else {
                return Err("a PLA takes exactly one key");
            };
            let key = u64::try_from(*key).map_err(|_| "a PLA key is never negative")?;
            let p = pla.predict(key);
            Answer::Position {
                pos: p.pos,
                lo: p.lo,
                hi: p.hi,
            }
        };
        self.inferences.fetch_add(1, Ordering::Relaxed);
        Ok(answer)
    }
}

/// How the last upload to a slot ended.
#[derive(Clone, Copy)]
enum Outcome {
    /// No upload has ended yet.
    None,
    /// The file was complete and valid, and became the active model.
    Loaded,
    /// The file was refused with an errno to its writer.
    Refused,
    /// Its writer closed the file before the declared length had arrived.
    Incomplete,
    /// `none` was written while it was pending.
    Aborted,
}

impl Outcome {
    fn name(self) -> &'static str {
        match self {
            Outcome::None => "none",
            Outcome::Loaded => "loaded",
            Outcome::Refused => "refused",
            Outcome::Incomplete => "incomplete",
            Outcome::Aborted => "aborted",
        }
    }
}

/// The upload in progress, the buffer it fills and the open file it belongs to.
///
/// # Invariants
///
/// `owner` is `Some` exactly while `upload` is pending; `buf` is empty whenever `upload` is
/// not pending (it is allocated by the write that starts an upload, and freed when it ends).
struct Staging {
    upload: Upload,
    buf: KVVec<u8>,
    owner: Option<HeldFile>,
    /// Uploads dropped because their writer closed the file before they were complete.
    incomplete: u64,
    last: Outcome,
}

impl Staging {
    /// Ends the pending upload, if any: frees the buffer and lets go of the file. Returns how
    /// far it had got (bytes received, length declared).
    fn end(&mut self) -> Option<(usize, Option<usize>)> {
        // INVARIANT: nothing is pending, no owner, no buffer.
        self.buf = KVVec::new();
        self.owner = None;
        self.upload.abort()
    }
}

/// What `model_info` says about uploads.
struct UploadStatus {
    pending: bool,
    received: usize,
    expected: usize,
    buffer: usize,
    incomplete: u64,
    last: Outcome,
}

/// One policy's model slot.
#[pin_data]
pub(crate) struct ModelSlot {
    policy: PolicyId,
    expect: Expect,
    #[pin]
    staging: Mutex<Staging>,
    active: RcuArc<LoadedModel>,
    /// The answer of the last write to `infer`, for reading it back.
    #[pin]
    last_answer: Mutex<Option<Answer>>,
    loads: AtomicU64,
    rejects: AtomicU64,
}

/// The total length a `.lmod` file declares, once its header has arrived.
fn declared_len(bytes: &[u8]) -> Option<Result<usize, UploadError>> {
    format::declared_len(bytes).map(|r| {
        r.map_err(|e| match e {
            ParseError::BadMagic => UploadError::BadHeader,
            _ => UploadError::TooLarge,
        })
    })
}

impl ModelSlot {
    /// An empty slot for `policy`, accepting `expect`.
    pub(crate) fn new(policy: PolicyId, expect: Expect) -> impl PinInit<Self> {
        pin_init!(Self {
            policy,
            expect,
            staging <- new_mutex!(Staging {
                upload: Upload::new(),
                buf: KVVec::new(),
                owner: None,
                incomplete: 0,
                last: Outcome::None,
            }),
            active: RcuArc::new(),
            last_answer <- new_mutex!(None),
            loads: AtomicU64::new(0),
            rejects: AtomicU64::new(0),
        })
    }

    /// The active model, if any, valid while `guard` lives. Lock-free: for the hot paths.
    pub(crate) fn current<'g>(&self, guard: &'g ReadGuard) -> Option<&'g LoadedModel> {
        self.active.read(guard)
    }

    fn reject(&self, why: &str, err: Error) -> Error {
        self.rejects.fetch_add(1, Ordering::Relaxed);
        warn_ratelimited!(
            "{}/model: refused: {}; the previous model stays active\n",
            self.policy.name(),
            why
        );
        err
    }

    /// Drops the pending upload if its writer has closed the file: counted, reported in
    /// `model_info` and logged once, nothing loaded.
    fn reap_abandoned(&self, st: &mut Staging) {
        if !st.owner.as_ref().is_some_and(HeldFile::closed) {
            return;
        }
        if let Some((received, expected)) = st.end() {
            st.incomplete += 1;
            st.last = Outcome::Incomplete;
            match expected {
                Some(total) => warn_ratelimited!(
                    "{}/model: upload cut short at {} of {} bytes, nothing loaded\n",
                    self.policy.name(),
                    received,
                    total
                ),
                None => warn_ratelimited!(
                    "{}/model: upload cut short at {} bytes, in its header, nothing loaded\n",
                    self.policy.name(),
                    received
                ),
            }
        }
    }

    /// Takes one chunk of a write to `<policy>/model` through the open file `writer`.
    pub(crate) fn write_chunk(&self, writer: &Writer<'_>, offset: u64, data: &[u8]) -> Result {
        let mut guard = self.staging.lock();
        let st = &mut *guard;
        self.reap_abandoned(st);
        if offset == 0 && matches!(data, b"none" | b"none\n") {
            if let Some((received, _)) = st.end() {
                st.last = Outcome::Aborted;
                pr_info!(
                    "{}: upload aborted by 'none' after {} bytes\n",
                    self.policy.name(),
                    received
                );
            }
            drop(guard);
            if self.active.replace(None).is_some() {
                pr_info!("{}: model unloaded, fallback only\n", self.policy.name());
            }
            return Ok(());
        }
        if st.owner.as_ref().is_some_and(|owner| !writer.is(owner)) {
            // Never mixed into the pending upload, which stays as it was.
            return Err(self.reject("another open file's upload is in progress", EBUSY));
        }
        // A write that neither starts nor continues an upload is refused, but is no upload.
        let upload = offset == 0 || st.upload.pending();
        if offset == 0 && st.buf.is_empty() {
            st.buf = KVVec::from_elem(0u8, MAX_FILE_LEN, GFP_KERNEL)?;
        }
        let step = st
            .upload
            .write(&mut st.buf, offset, data, PAGE_SIZE, declared_len);
        let res = match step {
            Ok(Step::Partial) => {
                if st.owner.is_none() {
                    // INVARIANT: the upload is pending, and now has its owner.
                    st.owner = Some(writer.hold());
                }
                return Ok(());
            }
            Ok(Step::Complete(len)) => self.commit(st.buf.get(..len).unwrap_or_default()),
            Err(e @ UploadError::TooLarge) => Err(self.reject(e.reason(), EFBIG)),
            Err(e) => Err(self.reject(e.reason(), EINVAL)),
        };
        if upload {
            st.last = if res.is_ok() {
                Outcome::Loaded
            } else {
                Outcome::Refused
            };
        }
        // Done, one way or the other: give the buffer and the file back.
        st.end();
        res
    }

    /// The uploads' state, after dropping an abandoned one.
    fn upload_status(&self) -> UploadStatus {
        let mut st = self.staging.lock();
        self.reap_abandoned(&mut st);
        UploadStatus {
            pending: st.upload.pending(),
            received: st.upload.received(),
            expected: st.upload.expected().unwrap_or(0),
            buffer: st.buf.len(),
            incomplete: st.incomplete,
            last: st.last,
        }
    }

    /// Validates a complete file and makes it the active model.
    fn commit(&self, bytes: &[u8]) -> Result {
        let parsed = format::parse(bytes).map_err(|e| self.reject(e.reason(), EINVAL))?;
        let header = parsed.header();
        let expect = self.expect;
        if header.kind != expect.kind {
            return Err(self.reject("wrong model kind for this policy", EINVAL));
        }
        if header.schema_id != expect.schema_id || header.schema_version != expect.schema_version {
            return Err(self.reject("wrong feature schema for this policy", EINVAL));
        }
        if let Some(m) = parsed.mlp() {
            if expect.inputs.is_some_and(|n| m.inputs() != n) {
                return Err(self.reject(
                    "model inputs do not match the features the policy computes",
                    EINVAL,
                ));
            }
            if expect.outputs.is_some_and(|n| m.outputs() != n) {
                return Err(self.reject(
                    "model outputs do not match the classes the policy reads",
                    EINVAL,
                ));
            }
        }
        let mut copy = KVec::with_capacity(bytes.len(), GFP_KERNEL)?;
        copy.extend_from_slice(bytes, GFP_KERNEL)?;
        let model = Arc::new(
            LoadedModel {
                bytes: copy,
                header,
                loaded_at: Ktime::ktime_get(),
                inferences: AtomicU64::new(0),
                memo: ClassMemo::new(),
            },
            GFP_KERNEL,
        )?;
        // The old model comes back once no reader can see it, and is freed here.
        drop(self.active.replace(Some(model)));
        self.loads.fetch_add(1, Ordering::Relaxed);
        pr_info!(
            "{}: loaded model id {} ({} bytes, crc32 {:#010x})\n",
            self.policy.name(),
            header.model_id,
            bytes.len(),
            header.crc
        );
        Ok(())
    }

    /// Runs the active model on `input` and remembers the answer for [`Self::show_answer`].
    /// Without a model: `ENOENT`; an input the model cannot take: `EINVAL` and one warning,
    /// the last answer unchanged.
    pub(crate) fn infer(&self, input: &[i32]) -> Result {
        let answer = {
            let guard = ReadGuard::new();
            self.current(&guard).ok_or(ENOENT)?.infer(input)
        };
        let answer = answer.map_err(|why| {
            warn_ratelimited!("{}/infer: write refused: {}\n", self.policy.name(), why);
            EINVAL
        })?;
        // Outside the read-side section: taking the mutex may sleep.
        *self.last_answer.lock() = Some(answer);
        Ok(())
    }

    /// Writes the last answer: `<class> <logit>...` or `<pos> <lo> <hi>`, or `none`.
    pub(crate) fn show_answer(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        use core::fmt::Write;
        match *self.last_answer.lock() {
            None => out.line("none"),
            Some(Answer::Class {
                class,
                logits,
                outputs,
            }) => {
                write!(out, "{class}")?;
                for l in logits.get(..outputs).unwrap_or_default() {
                    write!(out, " {l}")?;
                }
                out.push(b"\n")
            }
            Some(Answer::Position { pos, lo, hi }) => out.line(format_args!("{pos} {lo} {hi}")),
        }
    }

    /// Writes `model_info`: one `key value` per line.
    pub(crate) fn write_info(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        // First, and outside the read-side section: taking the mutex may sleep.
        let up = self.upload_status();
        let guard = ReadGuard::new();
        match self.current(&guard) {
            None => out.kv("loaded", 0)?,
            Some(m) => {
                let h = m.header;
                out.kv("loaded", 1)?;
                out.kv("id", h.model_id)?;
                out.kv("kind", h.kind.name())?;
                out.kv("schema_id", h.schema_id)?;
                out.kv("schema_version", h.schema_version)?;
                out.kv("size", m.bytes.len())?;
                out.kv("crc32", format_args!("{:#010x}", h.crc))?;
                out.kv("loaded_at_ms", m.loaded_at.to_ms())?;
                out.kv("inferences", m.inferences.load(Ordering::Relaxed))?;
            }
        }
        out.kv("loads", self.loads.load(Ordering::Relaxed))?;
        out.kv("rejects", self.rejects.load(Ordering::Relaxed))?;
        out.kv("upload_pending", u8::from(up.pending))?;
        out.kv("upload_received", up.received)?;
        out.kv("upload_expected", up.expected)?;
        out.kv("upload_buffer_bytes", up.buffer)?;
        out.kv("uploads_incomplete", up.incomplete)?;
        out.kv("last_upload", up.last.name())
    }

    /// Adds the slot's counters to the policy's `stats`.
    pub(crate) fn write_stats(&self, out: &mut TextBuf<'_>) -> core::fmt::Result {
        out.kv(
            "model_loaded",
            u8::from(self.current(&ReadGuard::new()).is_some()),
        )?;
        out.kv("model_loads", self.loads.load(Ordering::Relaxed))?;
        out.kv("model_rejects", self.rejects.load(Ordering::Relaxed))
    }
}
