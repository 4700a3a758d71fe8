// SPDX-License-Identifier: GPL-2.0

//! `lrn sched import`: ftrace's text output (`/sys/kernel/tracing/trace` of Linux 6.12, the
//! default `nop` tracer with its default options) into learned-core's sched trace format
//! ([`learned_sim::sched_trace`]).
//!
//! # Input
//!
//! One event per line, as ftrace prints it:
//!
//! ```text
//!             sh-85      [001] d..2.   12.345678: sched_switch: prev_comm=sh prev_pid=85 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
//!         <idle>-0       [000] dNh2.   12.345700: sched_waking: comm=lo-sched pid=90 prio=120 target_cpu=000
//! ```
//!
//! The task and pid on the left are the CPU's current task, not the event's subject, and are
//! not read (a comm may hold blanks and dashes). The line is read from the CPU column `[NNN]`
//! on: the latency column (`irq-info`, absent when that option is off), the timestamp
//! (seconds, a dot and 1 to 9 digits of fraction: `trace_clock` `mono`, `local`, `global`,
//! `boot`, ... all print that way) and the event's name and fields. Blank lines, the `#`
//! header and `CPU:N [LOST K EVENTS]` lines are not events; events other than the four
//! below are counted and skipped; any other line is malformed: counted, and its number and
//! reason kept for the report. Nothing in the input makes the import fail or panic.
//!
//! # Mapping
//!
//! | ftrace event | sched trace |
//! |---|---|
//! | `sched_waking`, `sched_wakeup_new` | `w` for `pid`; arg 1 when the latency column's third character is `h`, `H`, `s`, `z` or `Z` (the waker ran in hard or soft interrupt or NMI context) |
//! | `sched_switch` | `s` for `prev_pid` (arg 1, voluntary, unless `prev_state` is `R` or `R+`: the task was still runnable, so it was preempted), then `r` for `next_pid` |
//! | `sched_process_exit` | `x` for `pid` (a trailing `group_dead=` is accepted) |
//!
//! Pid 0 (the idle tasks) is skipped. The switch that takes an exited task off its CPU
//! (after `x`, `prev_state=Z`) is dropped: the task is gone. With `--comm NAME` (repeatable),
//! only the events whose subject's comm (`prev_comm`, `next_comm` or `comm`) is one of the
//! names are kept, per event: a task forked by a shell becomes `lo-sched` at its exec, and
//! its events from then on are kept (its first burst is then partial, which the replay
//! ignores, as it ignores any burst whose start it did not see). The output is ordered by
//! time (stably).

use std::collections::HashSet;

use learned_sim::sched_trace::{decimal, Event, Kind};

use crate::sched::{format_trace, read_input};
use crate::Error;

/// Why a line is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineError {
    /// No `[CPU] [FLAGS] SECONDS.FRACTION: NAME:` prefix.
    NoEvent,
    /// The timestamp is not seconds, a dot and 1 to 9 digits (or it overflows).
    BadTime,
    /// A known event whose fields do not parse.
    BadFields,
}

impl LineError {
    /// A short reason.
    pub const fn reason(self) -> &'static str {
        match self {
            Self::NoEvent => "not an ftrace event line",
            Self::BadTime => "bad timestamp",
            Self::BadFields => "bad fields for the event",
        }
    }
}

/// The subject of an event and its comm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject<'a> {
    /// Its comm (as printed, at most 15 bytes in the kernel).
    pub comm: &'a [u8],
    /// Its pid.
    pub pid: u32,
}

/// One of the four events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sched<'a> {
    /// `sched_waking` or `sched_wakeup_new`.
    Wake(Subject<'a>),
    /// `sched_switch`; `preempted`: `prev_state` was `R` or `R+`.
    Switch {
        /// The task switched out.
        prev: Subject<'a>,
        /// It was still runnable.
        preempted: bool,
        /// The task switched in.
        next: Subject<'a>,
    },
    /// `sched_process_exit`.
    Exit(Subject<'a>),
}

/// What one line of the trace is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line<'a> {
    /// Blank, or the `#` header.
    Blank,
    /// `CPU:N [LOST K EVENTS]`: K events the ring buffer overwrote.
    Lost(u64),
    /// Another event (its name).
    Other(&'a [u8]),
    /// One of the four.
    Event {
        /// The timestamp, ns.
        t_ns: u64,
        /// The latency column said hard or soft interrupt (or NMI) context.
        irq: bool,
        /// The event.
        sched: Sched<'a>,
    },
}

fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_blank(b)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&b| !is_blank(b))
        .map_or(start, |e| e + 1);
    s.get(start..end.max(start)).unwrap_or_default()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// `SECONDS.FRACTION` (1 to 9 digits of fraction) in ns.
fn timestamp(s: &[u8]) -> Option<u64> {
    let dot = s.iter().position(|&b| b == b'.')?;
    let (secs, frac) = (s.get(..dot)?, s.get(dot + 1..)?);
    if frac.is_empty() || frac.len() > 9 {
        return None;
    }
    let mut f = decimal(frac)?;
    for _ in frac.len()..9 {
        f *= 10;
    }
    decimal(secs)?.checked_mul(1_000_000_000)?.checked_add(f)
}

/// The next blank-separated token of `s` from `at`: `(token, position after it)`.
fn token(s: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = s.get(at..)?;
    let start = at + rest.iter().position(|&b| !is_blank(b))?;
    let tail = s.get(start..)?;
    let len = tail.iter().position(|&b| is_blank(b)).unwrap_or(tail.len());
    Some((tail.get(..len)?, start + len))
}

/// `comm=C pid=P ...` with `comm_key` = `comm=` (the comm may hold blanks, so the pid is
/// found from the right of `pid_key`, e.g. ` pid=`).
fn subject<'a>(s: &'a [u8], comm_key: &[u8], pid_key: &[u8]) -> Option<Subject<'a>> {
    let rest = s.strip_prefix(comm_key)?;
    let p = rfind(rest, pid_key)?;
    let comm = rest.get(..p)?;
    let (pid, _) = token(rest, p + pid_key.len())?;
    let pid = u32::try_from(decimal(pid)?).ok()?;
    Some(Subject { comm, pid })
}

/// The fields of `sched_switch`.
fn switch(fields: &[u8]) -> Option<Sched<'_>> {
    let arrow = find(fields, b" ==> next_comm=")?;
    let (left, right) = (fields.get(..arrow)?, fields.get(arrow + 5..)?);
    let prev = subject(left, b"prev_comm=", b" prev_pid=")?;
    let st = rfind(left, b" prev_state=")?;
    let (state, _) = token(left, st + b" prev_state=".len())?;
    let next = subject(right, b"next_comm=", b" next_pid=")?;
    Some(Sched::Switch {
        prev,
        preempted: matches!(state, b"R" | b"R+"),
        next,
    })
}

/// Parses one line of ftrace's text output (see the module documentation).
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, LineError> {
    let line = trim(line);
    if line.is_empty() || line.first() == Some(&b'#') {
        return Ok(Line::Blank);
    }
    if line.starts_with(b"CPU:") {
        if let Some(p) = find(line, b"[LOST ") {
            let (n, _) = token(line, p + 6).ok_or(LineError::NoEvent)?;
            return decimal(n).map(Line::Lost).ok_or(LineError::NoEvent);
        }
    }
    // The first "[digits]" followed by the latency column (optional), the timestamp and the
    // event's name: the task's comm on the left may hold anything, even brackets.
    let mut bad_time = false;
    for (i, _) in line.iter().enumerate().filter(|(_, &b)| b == b'[') {
        match event_at(line, i) {
            Ok(Some(l)) => return Ok(l),
            Ok(None) => {}
            Err(LineError::BadTime) => bad_time = true,
            Err(e) => return Err(e),
        }
    }
    Err(if bad_time {
        LineError::BadTime
    } else {
        LineError::NoEvent
    })
}

/// The event whose CPU column opens at `line[open]`, `Ok(None)` when that is no CPU column.
fn event_at(line: &[u8], open: usize) -> Result<Option<Line<'_>>, LineError> {
    let Some(rest) = line.get(open + 1..) else {
        return Ok(None);
    };
    let Some(close) = rest.iter().position(|&b| b == b']') else {
        return Ok(None);
    };
    if decimal(rest.get(..close).unwrap_or_default()).is_none() {
        return Ok(None);
    }
    let after = open + 1 + close + 1;
    if !line.get(after).is_some_and(|&b| is_blank(b)) {
        return Ok(None);
    }
    let Some((first, end1)) = token(line, after) else {
        return Ok(None);
    };
    // The latency column, unless the first token is already the timestamp.
    let (flags, ts, end) = if first.last() == Some(&b':') {
        (&b""[..], first, end1)
    } else {
        let Some((ts, end2)) = token(line, end1) else {
            return Ok(None);
        };
        (first, ts, end2)
    };
    let Some(ts) = ts.strip_suffix(b":") else {
        return Ok(None);
    };
    let Some((name, end)) = token(line, end) else {
        return Ok(None);
    };
    let Some(name) = name.strip_suffix(b":") else {
        return Ok(None);
    };
    if name.is_empty() || !name.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_') {
        return Ok(None);
    }
    let t_ns = timestamp(ts).ok_or(LineError::BadTime)?;
    let irq = matches!(flags.get(2), Some(b'h' | b'H' | b's' | b'z' | b'Z'));
    let fields = trim(line.get(end..).unwrap_or_default());
    let sched = match name {
        b"sched_switch" => switch(fields),
        b"sched_waking" | b"sched_wakeup_new" => {
            subject(fields, b"comm=", b" pid=").map(Sched::Wake)
        }
        b"sched_process_exit" => subject(fields, b"comm=", b" pid=").map(Sched::Exit),
        other => return Ok(Some(Line::Other(other))),
    };
    let sched = sched.ok_or(LineError::BadFields)?;
    Ok(Some(Line::Event { t_ns, irq, sched }))
}

/// What [`import`] saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportStats {
    /// Lines read.
    pub lines: u64,
    /// Blank and header lines.
    pub blank: u64,
    /// Events of other kinds.
    pub other: u64,
    /// Events the ring buffer lost (the sum of the `[LOST K EVENTS]` lines' K).
    pub lost: u64,
    /// `[LOST ...]` lines.
    pub lost_lines: u64,
    /// Malformed lines.
    pub malformed: u64,
    /// The first few malformed lines: (line number, reason).
    pub first_malformed: Vec<(u64, &'static str)>,
    /// Subjects (one per `w`, `x`, and two per switch) skipped: pid 0.
    pub idle: u64,
    /// Subjects skipped: not of the `--comm` names.
    pub other_comm: u64,
    /// Switches out of exited tasks, dropped.
    pub after_exit: u64,
    /// Events written, per kind: `w`, `r`, `s` voluntary, `s` preempted, `x`.
    pub kinds: [u64; 5],
    /// Distinct pids written.
    pub tasks: u64,
}

impl ImportStats {
    /// Events written.
    pub fn events(&self) -> u64 {
        self.kinds.iter().sum()
    }

    /// The report `lrn sched import` prints.
    pub fn summary(&self) -> String {
        let [w, r, s1, s0, x] = self.kinds;
        let mut s = format!(
            "{} events of {} tasks (w {w}, r {r}, s voluntary {s1}, s preempted {s0}, x {x}) from {} lines\n\
             skipped: {} blank or header lines, {} other events, {} pid 0, {} of other comms, \
             {} switches after exit, {} malformed lines\n",
            self.events(),
            self.tasks,
            self.lines,
            self.blank,
            self.other,
            self.idle,
            self.other_comm,
            self.after_exit,
            self.malformed,
        );
        for (n, why) in &self.first_malformed {
            s += &format!("  line {n}: {why}\n");
        }
        if self.lost_lines > 0 {
            s += &format!(
                "the ring buffer lost {} events ({} [LOST] lines)\n",
                self.lost, self.lost_lines
            );
        }
        s
    }
}

/// The malformed lines [`ImportStats::first_malformed`] keeps.
const KEEP_MALFORMED: usize = 5;

/// Converts ftrace's text (see the module documentation); `comms` empty keeps every task.
pub fn import(text: &[u8], comms: &[&[u8]]) -> (Vec<Event>, ImportStats) {
    let mut st = ImportStats::default();
    let mut out = Vec::new();
    let mut exited: HashSet<u32> = HashSet::new();
    let mut pids: HashSet<u32> = HashSet::new();
    let keep = |st: &mut ImportStats, s: &Subject<'_>| {
        if s.pid == 0 {
            st.idle += 1;
            false
        } else if !comms.is_empty() && !comms.contains(&s.comm) {
            st.other_comm += 1;
            false
        } else {
            true
        }
    };
    let mut text = text;
    if text.last() == Some(&b'\n') {
        text = text.get(..text.len() - 1).unwrap_or_default();
    }
    for (k, line) in text.split(|&b| b == b'\n').enumerate() {
        st.lines += 1;
        let (t_ns, irq, sched) = match parse_line(line) {
            Ok(Line::Blank) => {
                st.blank += 1;
                continue;
            }
            Ok(Line::Lost(n)) => {
                st.lost = st.lost.saturating_add(n);
                st.lost_lines += 1;
                continue;
            }
            Ok(Line::Other(_)) => {
                st.other += 1;
                continue;
            }
            Ok(Line::Event { t_ns, irq, sched }) => (t_ns, irq, sched),
            Err(e) => {
                st.malformed += 1;
                if st.first_malformed.len() < KEEP_MALFORMED {
                    st.first_malformed.push((k as u64 + 1, e.reason()));
                }
                continue;
            }
        };
        let mut emit = |st: &mut ImportStats, pid: u32, kind: Kind, slot: usize| {
            out.push(Event { t_ns, pid, kind });
            st.kinds[slot] += 1;
            pids.insert(pid);
        };
        match sched {
            Sched::Wake(s) => {
                if keep(&mut st, &s) {
                    exited.remove(&s.pid);
                    emit(&mut st, s.pid, Kind::Wake { irq }, 0);
                }
            }
            Sched::Switch {
                prev,
                preempted,
                next,
            } => {
                if keep(&mut st, &prev) {
                    if exited.remove(&prev.pid) {
                        st.after_exit += 1;
                    } else {
                        let voluntary = !preempted;
                        let slot = if voluntary { 2 } else { 3 };
                        emit(&mut st, prev.pid, Kind::Stop { voluntary }, slot);
                    }
                }
                if keep(&mut st, &next) {
                    exited.remove(&next.pid);
                    emit(&mut st, next.pid, Kind::Run, 1);
                }
            }
            Sched::Exit(s) => {
                if keep(&mut st, &s) {
                    exited.insert(s.pid);
                    emit(&mut st, s.pid, Kind::Exit, 4);
                }
            }
        }
    }
    out.sort_by_key(|e| e.t_ns);
    st.tasks = pids.len() as u64;
    (out, st)
}

/// Converts ftrace's text output into a sched trace.
///
/// The input is /sys/kernel/tracing/trace with the events sched_switch, sched_waking,
/// sched_wakeup_new and sched_process_exit, gzip'ed or not (FILE - is stdin): the wakeups
/// become w (arg 1 from an interrupt), a switch s for the task that stops (arg 1 unless it
/// was preempted) and r for the next one, an exit x. Other events are skipped and malformed
/// lines counted. Prints what it read: events per kind, tasks, malformed lines, lost events.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportCli {
    /// The ftrace text.
    #[arg(long, value_name = "FILE")]
    pub tracefs: String,
    /// Keeps only the events of the tasks of this comm (repeatable; default every task).
    #[arg(long, value_name = "NAME")]
    pub comm: Vec<String>,
    /// The trace file to write.
    #[arg(long, value_name = "TRACE")]
    pub out: String,
}

/// `lrn sched import`.
pub fn run_import(args: &ImportCli) -> Result<String, Error> {
    let (input, out, comms) = (&args.tracefs, &args.out, &args.comm);
    let text = read_input(input)?;
    let names: Vec<&[u8]> = comms.iter().map(|c| c.as_bytes()).collect();
    let (events, st) = import(&text, &names);
    if events.is_empty() {
        return Err(Error(format!(
            "{input}: no events imported\n{}",
            st.summary()
        )));
    }
    std::fs::write(out, format_trace(&events)).map_err(|e| Error(format!("{out}: {e}")))?;
    Ok(format!("{}-> {out}\n", st.summary()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(comm: &'static str, pid: u32) -> Subject<'static> {
        Subject {
            comm: comm.as_bytes(),
            pid,
        }
    }

    #[test]
    fn parses_the_four_events() {
        assert_eq!(
            parse_line(b"            sh-85      [001] d..2.   12.345678: sched_switch: prev_comm=sh prev_pid=85 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120"),
            Ok(Line::Event {
                t_ns: 12_345_678_000,
                irq: false,
                sched: Sched::Switch {
                    prev: sub("sh", 85),
                    preempted: false,
                    next: sub("swapper/1", 0)
                }
            })
        );
        assert_eq!(
            parse_line(b"  <idle>-0 [000] dNh2. 12.3457: sched_waking: comm=lo-sched pid=90 prio=120 target_cpu=000\r\n"),
            Ok(Line::Event {
                t_ns: 12_345_700_000,
                irq: true,
                sched: Sched::Wake(sub("lo-sched", 90))
            })
        );
        assert_eq!(
            parse_line(b"  lo-sched-90 [001] ..... 13.000000001: sched_process_exit: comm=x pid=91 prio=120"),
            Ok(Line::Event {
                t_ns: 13_000_000_001,
                irq: false,
                sched: Sched::Exit(sub("x", 91))
            })
        );
        assert_eq!(
            parse_line(b" lo-sched-90 [001] ..... 13.5: sched_process_exit: comm=x pid=91 prio=120 group_dead=1"),
            Ok(Line::Event {
                t_ns: 13_500_000_000,
                irq: false,
                sched: Sched::Exit(sub("x", 91))
            })
        );
        assert_eq!(
            parse_line(b"  sh-85 [000] d..3. 1.000001: sched_wakeup_new: comm=sh pid=92 prio=120 target_cpu=001"),
            Ok(Line::Event {
                t_ns: 1_000_001_000,
                irq: false,
                sched: Sched::Wake(sub("sh", 92))
            })
        );
    }

    #[test]
    fn reads_the_columns_that_matter() {
        let wake = |flags: &str| {
            let l = format!(
                "  a-1 [000] {flags} 1.000000: sched_waking: comm=b pid=2 prio=120 target_cpu=000"
            );
            match parse_line(l.as_bytes()) {
                Ok(Line::Event { irq, .. }) => irq,
                other => panic!("{flags}: {other:?}"),
            }
        };
        for (flags, irq) in [
            ("d.h2.", true),
            ("dNH1.", true),
            ("..s..", true),
            ("d.z..", true),
            ("d.Z..", true),
            ("d..2.", false),
            ("dN.1.", false),
            ("Dn.2.", false),
            ("d.", false),
        ] {
            assert_eq!(wake(flags), irq, "{flags}");
        }
        // Without the latency column (options/irq-info off): never an interrupt.
        assert!(matches!(
            parse_line(b" a-1 [000] 2.5: sched_waking: comm=b pid=2 prio=120 target_cpu=000"),
            Ok(Line::Event {
                t_ns: 2_500_000_000,
                irq: false,
                ..
            })
        ));
        // prev_state: R and R+ are preemptions, anything else blocked.
        for (state, preempted) in [
            ("R", true),
            ("R+", true),
            ("S", false),
            ("D", false),
            ("D|W", false),
            ("I", false),
            ("Z", false),
        ] {
            let l = format!("  a-1 [000] d..2. 1.000000: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state={state} ==> next_comm=b next_pid=2 next_prio=120");
            match parse_line(l.as_bytes()) {
                Ok(Line::Event {
                    sched: Sched::Switch { preempted: p, .. },
                    ..
                }) => assert_eq!(p, preempted, "{state}"),
                other => panic!("{state}: {other:?}"),
            }
        }
        // Comms with blanks, dashes and brackets, on the left and in the fields.
        assert_eq!(
            parse_line(b"  Web Content-[7]-77 [003] d..2. 5.000000: sched_switch: prev_comm=Web Content prev_pid=77 prev_prio=120 prev_state=R+ ==> next_comm=a b-c next_pid=78 next_prio=120"),
            Ok(Line::Event {
                t_ns: 5_000_000_000,
                irq: false,
                sched: Sched::Switch {
                    prev: sub("Web Content", 77),
                    preempted: true,
                    next: sub("a b-c", 78)
                }
            })
        );
        // With the tgid column (options/record-tgid).
        assert!(matches!(
            parse_line(b"  a-1  (    1) [000] d..2. 1.000000: sched_waking: comm=b pid=2 prio=120 target_cpu=000"),
            Ok(Line::Event { .. })
        ));
    }

    #[test]
    fn classifies_other_lines() {
        assert_eq!(parse_line(b""), Ok(Line::Blank));
        assert_eq!(parse_line(b"   \r"), Ok(Line::Blank));
        assert_eq!(parse_line(b"# tracer: nop"), Ok(Line::Blank));
        assert_eq!(
            parse_line(b"#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION"),
            Ok(Line::Blank)
        );
        assert_eq!(
            parse_line(b"CPU:1 [LOST 1234 EVENTS]"),
            Ok(Line::Lost(1234))
        );
        assert_eq!(
            parse_line(b"  a-1 [000] d..2. 1.000000: sched_migrate_task: comm=a pid=1 prio=120 orig_cpu=0 dest_cpu=1"),
            Ok(Line::Other(b"sched_migrate_task"))
        );
        let bad: [(&[u8], LineError); 12] = [
            (b"garbage", LineError::NoEvent),
            (b"CPU:1 [LOST many EVENTS]", LineError::NoEvent),
            (b"  a-1 [000] d..2. 1.000000 sched_waking: comm=b pid=2", LineError::NoEvent),
            (b"  a-1 [0x0] d..2. 1.000000: sched_waking: comm=b pid=2", LineError::NoEvent),
            (b"  a-1 [000] d..2. 1.0000000000: sched_waking: comm=b pid=2", LineError::BadTime),
            (b"  a-1 [000] d..2. 1: sched_waking: comm=b pid=2", LineError::BadTime),
            (b"  a-1 [000] d..2. 99999999999999.000000: sched_waking: comm=b pid=2", LineError::BadTime),
            (b"  a-1 [000] d..2. 1.5: sched_waking: comm=b pid=-2 prio=1", LineError::BadFields),
            (b"  a-1 [000] d..2. 1.5: sched_waking: pid=2 prio=1", LineError::BadFields),
            (b"  a-1 [000] d..2. 1.5: sched_waking: comm=b pid=4294967296", LineError::BadFields),
            (b"  a-1 [000] d..2. 1.5: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state=S", LineError::BadFields),
            (b"  a-1 [000] d..2. 1.5: sched_process_exit: comm=a", LineError::BadFields),
        ];
        for (line, e) in bad {
            assert_eq!(
                parse_line(line),
                Err(e),
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let good = b"  <idle>-0 [000] dNh2. 12.3457: sched_switch: prev_comm=a prev_pid=1 prev_prio=120 prev_state=R+ ==> next_comm=b next_pid=2 next_prio=120";
        let alphabet = b" [].:=0123456789abcdhRS+#-_\xff\n>";
        let mut x = 7u64;
        let mut line = good.to_vec();
        let mut events = 0;
        for round in 0..50_000 {
            // Mutate a few bytes of the good line, or make up a short random one.
            if round % 2 == 0 {
                line.clear();
                line.extend_from_slice(good);
                for _ in 0..3 {
                    x = learned_core::hash::mix64(x);
                    let at = (x as usize) % line.len();
                    line[at] = alphabet[((x >> 32) as usize) % alphabet.len()];
                }
                x = learned_core::hash::mix64(x);
                line.truncate(line.len() - (x as usize) % 20);
            } else {
                x = learned_core::hash::mix64(x);
                line.clear();
                for _ in 0..(x % 64) {
                    x = learned_core::hash::mix64(x);
                    line.push(alphabet[(x as usize) % alphabet.len()]);
                }
            }
            if matches!(parse_line(&line), Ok(Line::Event { .. })) {
                events += 1;
            }
        }
        assert!(events > 500, "{events}");
        let (ev, st) = import(&line, &[]);
        assert!(ev.len() as u64 == st.events());
    }

    #[test]
    fn imports_a_small_trace() {
        let text = b"# tracer: nop
#
          sh-40      [000] d..3.     1.000000: sched_wakeup_new: comm=sh pid=41 prio=120 target_cpu=001
      <idle>-0       [001] d..2.     1.000010: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=sh next_pid=41 next_prio=120
    lo-sched-41      [001] d..2.     1.000500: sched_switch: prev_comm=lo-sched prev_pid=41 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120
      <idle>-0       [001] d.h2.     1.002000: sched_waking: comm=lo-sched pid=41 prio=120 target_cpu=001
      <idle>-0       [001] d..2.     1.002010: sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=lo-sched next_pid=41 next_prio=120
CPU:0 [LOST 3 EVENTS]
    lo-sched-41      [001] dN.2.     1.004000: sched_switch: prev_comm=lo-sched prev_pid=41 prev_prio=120 prev_state=R+ ==> next_comm=kworker/1:0 next_pid=9 next_prio=120
 kworker/1:0-9       [001] d..2.     1.004100: sched_switch: prev_comm=kworker/1:0 prev_pid=9 prev_prio=120 prev_state=I ==> next_comm=lo-sched next_pid=41 next_prio=120
this line is broken
    lo-sched-41      [001] .....     1.005000: sched_process_exit: comm=lo-sched pid=41 prio=120 group_dead=1
    lo-sched-41      [001] d..2.     1.005100: sched_switch: prev_comm=lo-sched prev_pid=41 prev_prio=120 prev_state=Z ==> next_comm=swapper/1 next_pid=0 next_prio=120
      <idle>-0       [000] d..2.     1.003000: sched_migrate_task: comm=lo-sched pid=41 prio=120 orig_cpu=1 dest_cpu=0
";
        let (ev, st) = import(text, &[b"lo-sched".as_slice()]);
        let lines: Vec<String> = ev
            .iter()
            .map(|e| {
                let mut b = [0u8; learned_sim::sched_trace::MAX_LINE];
                let n = learned_sim::sched_trace::format_event(e, &mut b);
                String::from_utf8_lossy(&b[..n]).trim_end().to_string()
            })
            .collect();
        assert_eq!(
            lines,
            [
                "1000500000 41 s 1",
                "1002000000 41 w 1",
                "1002010000 41 r 0",
                "1004000000 41 s 0",
                "1004100000 41 r 0",
                "1005000000 41 x 0",
            ]
        );
        assert_eq!(st.lines, 14);
        assert_eq!((st.blank, st.other, st.malformed), (2, 1, 1));
        assert_eq!(st.first_malformed, [(11, "not an ftrace event line")]);
        assert_eq!((st.lost, st.lost_lines), (3, 1));
        assert_eq!(st.kinds, [1, 2, 1, 1, 1]);
        assert_eq!((st.tasks, st.after_exit), (1, 1));
        // sh (the wakeup_new and the first switch in) and kworker (in and out) are other
        // comms; pid 0 is the subject four times.
        assert_eq!((st.other_comm, st.idle), (4, 4));
        // Without --comm, the shell's half of pid 41 is kept too and the kworker appears.
        let (all, st) = import(text, &[]);
        assert_eq!(all.len(), 10);
        assert_eq!(st.tasks, 2);
        assert!(
            st.summary().contains("10 events of 2 tasks"),
            "{}",
            st.summary()
        );
    }
}
