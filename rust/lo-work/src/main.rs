// SPDX-License-Identifier: GPL-2.0

//! `lo-work`: prepare, run and trace the benchmarks' file-read workloads.
//! See the library (`src/lib.rs`) for the workloads themselves.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use lo_work::{
    files, files_of, memory_over_time, oracle_trace, phase_ends, prepare_files, run_accesses,
    Access, Accesses, FileSpec, RandomReads, Replay, Workload, DEFAULT_SEED,
};

const USAGE: &str = "\
usage: lo-work prepare DIR --mib N [--work W[,W...]] [--replay TRACE]
       lo-work run WORKLOAD DIR --mib N [--seed S] [--replay TRACE] [--ra-knob READ_AHEAD_KB]
                   [--disk-stat /sys/block/vda/stat] [--memcg CGROUP_DIR]
       lo-work trace WORKLOAD --mib N [--seed S] [--replay TRACE] --out FILE
  WORKLOAD: scan loop zipf lru phases replay; N: the memory limit in MiB the workloads are
    sized for (not needed by replay alone)
  replay reads the oracleGeneral trace TRACE (--replay, required with it): one 4 KiB page of
    replay.dat per distinct object, in order of first appearance, read in trace order (object
    sizes ignored; --mib and --seed change nothing)
  prepare writes the data files (of every workload but replay, or of --work), each fsynced
  run issues 4 KiB preads and prints `work: workload=W pages=P ms=T`; files read at random
    get POSIX_FADV_RANDOM, or, where the kernel lacks fadvise, are opened while the device's
    read_ahead_kb (--ra-knob, e.g. /sys/block/vda/queue/read_ahead_kb) is 0; with
    --disk-stat and --memcg it also prints one line per phase: `phase: workload=W phase=K
    reads=R disk_reads=D ms=T mem_mib_ms=X mean_mib=Y settle_ms=S` (disk reads from the
    stat file, memory.current of the cgroup sampled every 256 reads: its integral in MiB*ms,
    its mean, and when it last moved out of 10% of its value at the phase's end); a stat
    file that cannot be read fails the run
  trace writes the same page sequence as a libCacheSim oracleGeneral trace (no file I/O)";

struct Args {
    positional: Vec<String>,
    mib: Option<u64>,
    seed: u64,
    out: Option<String>,
    ra_knob: Option<String>,
    work: Option<Vec<Work>>,
    disk_stat: Option<String>,
    memcg: Option<String>,
    replay: Option<String>,
}

/// A workload named on the command line: a generated one, or the replay of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Generated(Workload),
    Replay,
}

impl Work {
    fn name(self) -> &'static str {
        match self {
            Work::Generated(w) => w.name(),
            Work::Replay => "replay",
        }
    }
}

fn parse_work(s: &str) -> Result<Work, String> {
    if s == Work::Replay.name() {
        return Ok(Work::Replay);
    }
    Workload::parse(s)
        .map(Work::Generated)
        .ok_or_else(|| format!("unknown workload {s:?} (scan, loop, zipf, lru, phases, replay)"))
}

fn parse_args(args: &[String]) -> Result<Args, String> {
    let mut a = Args {
        positional: Vec::new(),
        mib: None,
        seed: DEFAULT_SEED,
        out: None,
        ra_knob: None,
        work: None,
        disk_stat: None,
        memcg: None,
        replay: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |name: &str, v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: not a non-negative integer: {v:?}"))
        };
        match arg.as_str() {
            "--mib" => {
                let n = number("--mib", value("--mib")?)?;
                if n == 0 {
                    return Err("--mib must be at least 1".into());
                }
                a.mib = Some(n);
            }
            "--seed" => a.seed = number("--seed", value("--seed")?)?,
            "--out" => a.out = Some(value("--out")?),
            "--ra-knob" => a.ra_knob = Some(value("--ra-knob")?),
            "--disk-stat" => a.disk_stat = Some(value("--disk-stat")?),
            "--memcg" => a.memcg = Some(value("--memcg")?),
            "--replay" => a.replay = Some(value("--replay")?),
            "--work" => {
                a.work = Some(
                    value("--work")?
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(parse_work)
                        .collect::<Result<_, _>>()?,
                )
            }
            "-h" | "--help" => return Err(String::new()),
            s if s.starts_with("--") => return Err(format!("unknown option {s:?}")),
            s => a.positional.push(s.to_string()),
        }
    }
    Ok(a)
}

/// Per-phase numbers of a run: disk reads and the cgroup's memory over time.
struct PhaseMeter {
    name: &'static str,
    ends: Vec<u64>,
    disk_stat: PathBuf,
    memory_current: PathBuf,
    reads: u64,
    phase: usize,
    phase_start: Instant,
    disk0: u64,
    /// Samples of the phase: (µs since its start, memory.current in bytes).
    samples: Vec<(u64, u64)>,
    /// The first failed read of a stat file: the run fails with it.
    error: Option<String>,
}

impl PhaseMeter {
    /// Every this many reads, memory.current is sampled.
    const SAMPLE: u64 = 256;

    fn new(
        name: &'static str,
        ends: Vec<u64>,
        disk_stat: PathBuf,
        memcg: PathBuf,
    ) -> Result<Self, String> {
        let mut m = PhaseMeter {
            name,
            ends,
            disk_stat,
            memory_current: memcg.join("memory.current"),
            reads: 0,
            phase: 0,
            phase_start: Instant::now(),
            disk0: 0,
            samples: Vec::new(),
            error: None,
        };
        m.disk0 = m.number(&m.disk_stat.clone())?;
        m.number(&m.memory_current.clone())?;
        Ok(m)
    }

    /// The first number in the file at `path`.
    fn number(&self, path: &Path) -> Result<u64, String> {
        std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{}: no number", path.display()))
    }

    fn sample(&mut self) {
        match self.number(&self.memory_current) {
            Ok(bytes) => {
                let us = self.phase_start.elapsed().as_micros() as u64;
                self.samples.push((us, bytes));
            }
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// One read done.
    fn read(&mut self) {
        self.reads += 1;
        if self.reads.is_multiple_of(Self::SAMPLE) {
            self.sample();
        }
        if Some(&self.reads) == self.ends.get(self.phase) {
            self.sample();
            self.end_phase();
        }
    }

    fn end_phase(&mut self) {
        let disk = match self.number(&self.disk_stat) {
            Ok(d) => d,
            Err(e) => {
                self.error.get_or_insert(e);
                self.disk0
            }
        };
        let ms = self.phase_start.elapsed().as_millis();
        let m = memory_over_time(&self.samples);
        println!(
            "phase: workload={} phase={} reads={} disk_reads={} ms={ms} mem_mib_ms={} \
             mean_mib={} settle_ms={}",
            self.name,
            self.phase + 1,
            self.ends[self.phase] - self.phase.checked_sub(1).map_or(0, |p| self.ends[p]),
            disk.saturating_sub(self.disk0),
            m.mib_ms,
            m.mean_mib,
            m.settle_ms,
        );
        self.phase += 1;
        self.phase_start = Instant::now();
        self.disk0 = disk;
        self.samples.clear();
    }
}

/// Why a command failed: its arguments (exit status 2, usage printed) or at run time (1).
enum Failure {
    Usage(String),
    Run(String),
}

impl From<String> for Failure {
    fn from(s: String) -> Self {
        Failure::Usage(s)
    }
}

/// The trace of `--replay`, read and remapped.
fn load_replay(a: &Args) -> Result<Replay, Failure> {
    let path = a
        .replay
        .as_deref()
        .ok_or_else(|| "workload replay needs --replay TRACE".to_string())?;
    let bytes = std::fs::read(path).map_err(|e| Failure::Run(format!("--replay {path}: {e}")))?;
    Replay::from_oracle(&bytes).map_err(|e| Failure::Run(format!("--replay {path}: {e}")))
}

/// `run`: reads `accesses` from the files `specs` in `dir` and prints the `work:` line (and,
/// with --disk-stat and --memcg, a `phase:` line at each of `ends`).
fn run_command(
    a: &Args,
    name: &'static str,
    ends: Vec<u64>,
    dir: &Path,
    specs: &[FileSpec],
    accesses: impl IntoIterator<Item = Access>,
) -> Result<(), Failure> {
    let knob = a.ra_knob.as_deref().map(Path::new);
    let mut meter = match (&a.disk_stat, &a.memcg) {
        (Some(d), Some(m)) => Some(
            PhaseMeter::new(name, ends, d.into(), m.into())
                .map_err(|e| Failure::Run(format!("run: {e}")))?,
        ),
        (None, None) => None,
        _ => return Err("--disk-stat and --memcg go together".to_string().into()),
    };
    let st = run_accesses(dir, specs, accesses, knob, |_| {
        if let Some(m) = meter.as_mut() {
            m.read();
        }
    })
    .map_err(|e| Failure::Run(format!("run: {e}")))?;
    if let Some(e) = meter.and_then(|m| m.error) {
        return Err(Failure::Run(format!("run: {e}")));
    }
    match st.random {
        RandomReads::NotNeeded | RandomReads::Fadvise => {}
        RandomReads::ReadaheadOff(e) => eprintln!(
            "lo-work: posix_fadvise(POSIX_FADV_RANDOM) failed with error {e} (38: ENOSYS, \
             a kernel without CONFIG_ADVISE_SYSCALLS); random files opened with \
             read_ahead_kb 0 instead"
        ),
        RandomReads::Unavailable(e) => eprintln!(
            "lo-work: posix_fadvise(POSIX_FADV_RANDOM) failed with error {e} (38: ENOSYS, \
             a kernel without CONFIG_ADVISE_SYSCALLS); readahead stays on for random \
             reads (pass --ra-knob to turn it off)"
        ),
    }
    println!(
        "work: workload={name} pages={} ms={}",
        st.pages,
        st.elapsed.as_millis()
    );
    Ok(())
}

fn main_inner(argv: &[String]) -> Result<(), Failure> {
    let Some((cmd, rest)) = argv.split_first() else {
        return Err(Failure::Usage(String::new()));
    };
    let a = parse_args(rest)?;
    let mib = || a.mib.ok_or_else(|| "--mib N is required".to_string());
    let pos = |n: usize| -> Result<(), Failure> {
        if a.positional.len() != n {
            return Err(Failure::Usage(format!(
                "{cmd}: expected {n} positional argument(s), got {:?}",
                a.positional
            )));
        }
        Ok(())
    };
    match cmd.as_str() {
        "prepare" => {
            pos(1)?;
            let dir = Path::new(&a.positional[0]);
            let work = a
                .work
                .clone()
                .unwrap_or_else(|| Workload::ALL.map(Work::Generated).to_vec());
            let generated: Vec<Workload> = work
                .iter()
                .filter_map(|w| match w {
                    Work::Generated(g) => Some(*g),
                    Work::Replay => None,
                })
                .collect();
            let mut specs = Vec::new();
            if !generated.is_empty() {
                specs = files_of(&generated, mib()?);
            }
            if work.contains(&Work::Replay) {
                specs.push(load_replay(&a)?.file());
            }
            let total: u64 = specs.iter().map(|f| f.pages).sum();
            println!(
                "prepare: {}{}: {} MiB in {}",
                work.iter().map(|w| w.name()).collect::<Vec<_>>().join(","),
                a.mib.map_or(String::new(), |m| format!(" for --mib {m}")),
                total / lo_work::PAGES_PER_MIB,
                dir.display()
            );
            for (path, pages) in
                prepare_files(dir, &specs).map_err(|e| Failure::Run(format!("prepare: {e}")))?
            {
                println!("prepare: created {} pages={pages}", path.display());
            }
            Ok(())
        }
        "run" => {
            pos(2)?;
            let dir = Path::new(&a.positional[1]);
            match parse_work(&a.positional[0])? {
                Work::Generated(w) => {
                    let mib = mib()?;
                    let accesses = Accesses::new(w, mib, a.seed);
                    run_command(
                        &a,
                        w.name(),
                        phase_ends(w, mib),
                        dir,
                        &files(w, mib),
                        accesses,
                    )
                }
                Work::Replay => {
                    let r = load_replay(&a)?;
                    let ends = vec![r.requests()];
                    run_command(&a, "replay", ends, dir, &[r.file()], r.accesses())
                }
            }
        }
        "trace" => {
            pos(1)?;
            let w = parse_work(&a.positional[0])?;
            let out = a
                .out
                .clone()
                .ok_or_else(|| "trace: --out FILE is required".to_string())?;
            let ids: Vec<u64> = match w {
                Work::Generated(g) => Accesses::new(g, mib()?, a.seed).map(Access::id).collect(),
                Work::Replay => load_replay(&a)?.accesses().map(Access::id).collect(),
            };
            let distinct = {
                let mut s = ids.clone();
                s.sort_unstable();
                s.dedup();
                s.len()
            };
            let bytes = oracle_trace(&ids).map_err(|e| Failure::Run(format!("trace: {e}")))?;
            std::fs::write(&out, bytes).map_err(|e| Failure::Run(format!("trace: {out}: {e}")))?;
            println!(
                "trace: workload={} requests={} objects={distinct} out={out}",
                w.name(),
                ids.len()
            );
            Ok(())
        }
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    match main_inner(&argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => {
            if !e.is_empty() {
                eprintln!("lo-work: {e}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Run(e)) => {
            eprintln!("lo-work: {e}");
            ExitCode::FAILURE
        }
    }
}
