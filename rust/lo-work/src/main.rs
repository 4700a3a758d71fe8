// SPDX-License-Identifier: GPL-2.0

//! `lo-work`: prepare, run and trace the benchmarks' file-read workloads.
//! See the library (`src/lib.rs`) for the workloads themselves; the command line is parsed by
//! clap from [`Cli`], whose doc comments are the `--help` text.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

use lo_work::{
    files, files_of, memory_over_time, oracle_trace, phase_ends, prepare_files, run_accesses,
    Access, Accesses, FileSpec, RandomReads, Replay, Workload, DEFAULT_SEED,
};

/// Prepares, runs and traces the benchmarks' file-read workloads.
///
/// WORKLOAD (and each W of --work) is one of: scan loop zipf lru phases replay. The first five
/// are generated from --seed S and sized for N, the memory limit in MiB (--mib N, not needed
/// by replay alone).
///
/// replay reads the oracleGeneral trace TRACE (--replay, required with it): one 4 KiB page of
/// replay.dat per distinct object, in order of first appearance, read in trace order (object
/// sizes ignored; --mib and --seed change nothing).
///
/// `lo-work COMMAND --help` tells more of each command.
#[derive(Parser, Debug, PartialEq, Eq)]
#[command(
    name = "lo-work",
    verbatim_doc_comment,
    args_override_self = true,
    arg_required_else_help = true
)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The commands of `lo-work`.
#[derive(Subcommand, Debug, PartialEq, Eq)]
enum Command {
    /// Writes the data files of the workloads, each fsynced.
    ///
    /// The files of every workload but replay, or of the workloads of --work. Prints
    /// `prepare: W[,W...][ for --mib N]: M MiB in DIR`, then one
    /// `prepare: created FILE pages=P` per file.
    #[command(verbatim_doc_comment)]
    Prepare(PrepareArgs),
    /// Reads a workload from its data files; prints `work: workload=W pages=P ms=T`.
    ///
    /// run issues 4 KiB preads (each page checked against what prepare wrote); files read at
    /// random get POSIX_FADV_RANDOM, or, where the kernel lacks fadvise, are opened while the
    /// device's read_ahead_kb (--ra-knob, e.g. /sys/block/vda/queue/read_ahead_kb) is 0.
    ///
    /// With --disk-stat and --memcg it also prints one line per phase (phases has several, every
    /// other workload one):
    ///   phase: workload=W phase=K reads=R disk_reads=D ms=T mem_mib_ms=X mean_mib=Y settle_ms=S
    /// (disk reads from the stat file, memory.current of the cgroup sampled every 256 reads: its
    /// integral in MiB*ms, its mean, and when it last moved out of 10% of its value at the
    /// phase's end); a stat file that cannot be read fails the run.
    #[command(verbatim_doc_comment)]
    Run(RunArgs),
    /// Writes a workload's page sequence as a libCacheSim oracleGeneral trace (no file I/O).
    ///
    /// The page sequence run reads, computed without reading. Prints
    /// `trace: workload=W requests=R objects=O out=FILE` (O: the distinct pages).
    #[command(verbatim_doc_comment)]
    Trace(TraceArgs),
    /// Prints lo-work's completion script for SHELL (e.g. `lo-work completions bash`).
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell to complete in.
        shell: Shell,
    },
}

/// When `--mib` is required: the argument `arg` names a generated workload (any but replay).
fn needs_mib(arg: &'static str) -> [(&'static str, &'static str); Workload::ALL.len()] {
    Workload::ALL.map(|w| (arg, w.name()))
}

/// `prepare DIR --mib N [--work W[,W...]] [--replay TRACE]`.
#[derive(Args, Debug, PartialEq, Eq)]
struct PrepareArgs {
    /// The directory the data files are written into (it must exist).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The memory limit in MiB the files are sized for (not needed by --work replay).
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_mib,
        allow_negative_numbers = true,
        required_unless_present = "work",
        required_if_eq_any = needs_mib("work")
    )]
    mib: Option<u64>,
    /// The workloads whose files are written, comma-separated (default: all but replay).
    #[arg(
        long,
        value_name = "W[,W...]",
        value_delimiter = ',',
        action = ArgAction::Set,
        value_parser = WorkEntryParser
    )]
    work: Option<Vec<Option<Work>>>,
    /// The oracleGeneral trace of replay (required when --work names replay).
    #[arg(long, value_name = "TRACE", required_if_eq("work", Work::Replay.name()))]
    replay: Option<PathBuf>,
}

impl PrepareArgs {
    /// The workloads of `--work` (empty entries, as in `scan,,loop`, skipped), or every
    /// generated one.
    fn work(&self) -> Vec<Work> {
        match &self.work {
            Some(w) => w.iter().flatten().copied().collect(),
            None => Workload::ALL.map(Work::Generated).to_vec(),
        }
    }
}

/// What picks a workload's page sequence: `WORKLOAD --mib N [--seed S] [--replay TRACE]`, the
/// same for `run` and `trace`.
#[derive(Args, Debug, PartialEq, Eq)]
struct WorkloadArgs {
    /// The workload.
    #[arg(value_name = "WORKLOAD")]
    workload: Work,
    /// The memory limit in MiB the workload is sized for (not needed by replay).
    #[arg(
        long,
        value_name = "N",
        value_parser = parse_mib,
        allow_negative_numbers = true,
        required_if_eq_any = needs_mib("workload")
    )]
    mib: Option<u64>,
    /// The seed of the access generator.
    #[arg(
        long,
        value_name = "S",
        value_parser = parse_number,
        allow_negative_numbers = true,
        default_value_t = DEFAULT_SEED
    )]
    seed: u64,
    /// The oracleGeneral trace of replay (required with it).
    #[arg(long, value_name = "TRACE", required_if_eq("workload", Work::Replay.name()))]
    replay: Option<PathBuf>,
}

/// `run WORKLOAD DIR --mib N [--seed S] [--replay TRACE] [--ra-knob READ_AHEAD_KB]
/// [--disk-stat STAT_FILE --memcg CGROUP_DIR]`.
#[derive(Args, Debug, PartialEq, Eq)]
struct RunArgs {
    /// The workload to read, and what sizes it.
    #[command(flatten)]
    work: WorkloadArgs,
    /// The directory of its data files (written by prepare).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The device's read_ahead_kb (e.g. /sys/block/vda/queue/read_ahead_kb).
    #[arg(long, value_name = "READ_AHEAD_KB")]
    ra_knob: Option<PathBuf>,
    /// The disk's stat file (e.g. /sys/block/vda/stat), with --memcg.
    #[arg(long, value_name = "STAT_FILE", requires = "memcg")]
    disk_stat: Option<PathBuf>,
    /// The run's memory cgroup, whose memory.current the phase lines sample.
    #[arg(long, value_name = "CGROUP_DIR", requires = "disk_stat")]
    memcg: Option<PathBuf>,
}

/// `trace WORKLOAD --mib N [--seed S] [--replay TRACE] --out FILE`.
#[derive(Args, Debug, PartialEq, Eq)]
struct TraceArgs {
    /// The workload to trace, and what sizes it.
    #[command(flatten)]
    work: WorkloadArgs,
    /// The trace file written.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// A non-negative integer.
fn parse_number(s: &str) -> Result<u64, String> {
    s.parse()
        .map_err(|_| "not a non-negative integer".to_string())
}

/// A memory limit in MiB: at least 1.
fn parse_mib(s: &str) -> Result<u64, String> {
    match parse_number(s)? {
        0 => Err("must be at least 1".to_string()),
        n => Ok(n),
    }
}

/// A workload named on the command line: a generated one, or the replay of a trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    /// One of the library's generated workloads.
    Generated(Workload),
    /// The requests of the trace of `--replay`.
    Replay,
}

/// Every [`Work`], in the order of `--help`: the generated workloads, then replay.
const WORKS: [Work; Workload::ALL.len() + 1] = {
    let g = Workload::ALL;
    [
        Work::Generated(g[0]),
        Work::Generated(g[1]),
        Work::Generated(g[2]),
        Work::Generated(g[3]),
        Work::Generated(g[4]),
        Work::Replay,
    ]
};

impl Work {
    /// The name on the command line.
    fn name(self) -> &'static str {
        match self {
            Work::Generated(w) => w.name(),
            Work::Replay => "replay",
        }
    }

    /// What the workload reads, for `--help`.
    fn about(self) -> &'static str {
        match self {
            Work::Generated(Workload::Scan) => {
                "a random-read hot set polluted by a one-time sequential scan"
            }
            Work::Generated(Workload::Loop) => "a sequential loop slightly larger than memory",
            Work::Generated(Workload::Zipf) => {
                "Zipf-popular random reads over a file four times memory"
            }
            Work::Generated(Workload::Lru) => "a recency-friendly window sliding over a large file",
            Work::Generated(Workload::Phases) => {
                "a working set that grows, shrinks and moves (the sizer's benchmark)"
            }
            Work::Replay => "the requests of the oracleGeneral trace --replay TRACE",
        }
    }
}

impl ValueEnum for Work {
    fn value_variants<'a>() -> &'a [Self] {
        &WORKS
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.about()))
    }
}

/// The parser of one entry of `--work W[,W...]`: a workload, or nothing for an empty entry
/// (`scan,,loop`, a trailing comma, or `--work ''`), which the list skips.
#[derive(Clone, Copy, Debug)]
struct WorkEntryParser;

impl TypedValueParser for WorkEntryParser {
    type Value = Option<Work>;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Self::Value, clap::Error> {
        if value.is_empty() {
            return Ok(None);
        }
        clap::builder::EnumValueParser::<Work>::new()
            .parse_ref(cmd, arg, value)
            .map(Some)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(WORKS.iter().filter_map(Work::to_possible_value)))
    }
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

/// Why a command failed: its arguments (exit status 2, as clap's usage errors; clap checks
/// them all first, so these are a second line behind its rules) or at run time (1).
enum Failure {
    Usage(String),
    Run(String),
}

/// The trace of `--replay`, read and remapped.
fn load_replay(path: Option<&Path>) -> Result<Replay, Failure> {
    let path = path.ok_or_else(|| Failure::Usage("workload replay needs --replay TRACE".into()))?;
    let p = path.display();
    let bytes = std::fs::read(path).map_err(|e| Failure::Run(format!("--replay {p}: {e}")))?;
    Replay::from_oracle(&bytes).map_err(|e| Failure::Run(format!("--replay {p}: {e}")))
}

/// The `--mib` of a generated workload (which clap has required already).
fn mib(mib: Option<u64>) -> Result<u64, Failure> {
    mib.ok_or_else(|| Failure::Usage("--mib N is required".into()))
}

/// `prepare`: writes the data files.
fn prepare(a: &PrepareArgs) -> Result<(), Failure> {
    let work = a.work();
    let generated: Vec<Workload> = work
        .iter()
        .filter_map(|w| match w {
            Work::Generated(g) => Some(*g),
            Work::Replay => None,
        })
        .collect();
    let mut specs = Vec::new();
    if !generated.is_empty() {
        specs = files_of(&generated, mib(a.mib)?);
    }
    if work.contains(&Work::Replay) {
        specs.push(load_replay(a.replay.as_deref())?.file());
    }
    let total: u64 = specs.iter().map(|f| f.pages).sum();
    println!(
        "prepare: {}{}: {} MiB in {}",
        work.iter().map(|w| w.name()).collect::<Vec<_>>().join(","),
        a.mib.map_or(String::new(), |m| format!(" for --mib {m}")),
        total / lo_work::PAGES_PER_MIB,
        a.dir.display()
    );
    for (path, pages) in
        prepare_files(&a.dir, &specs).map_err(|e| Failure::Run(format!("prepare: {e}")))?
    {
        println!("prepare: created {} pages={pages}", path.display());
    }
    Ok(())
}

/// `run`: reads the workload's pages and prints the `work:` line (and, with --disk-stat and
/// --memcg, a `phase:` line at the end of each phase).
fn run(a: &RunArgs) -> Result<(), Failure> {
    match a.work.workload {
        Work::Generated(w) => {
            let mib = mib(a.work.mib)?;
            let accesses = Accesses::new(w, mib, a.work.seed);
            run_accesses_of(a, w.name(), phase_ends(w, mib), &files(w, mib), accesses)
        }
        Work::Replay => {
            let r = load_replay(a.work.replay.as_deref())?;
            let ends = vec![r.requests()];
            run_accesses_of(a, "replay", ends, &[r.file()], r.accesses())
        }
    }
}

/// `run` of the workload `name`: reads `accesses` from the files `specs` in `a.dir` and
/// prints the `work:` line (and, with --disk-stat and --memcg, a `phase:` line at each of
/// `ends`).
fn run_accesses_of(
    a: &RunArgs,
    name: &'static str,
    ends: Vec<u64>,
    specs: &[FileSpec],
    accesses: impl IntoIterator<Item = Access>,
) -> Result<(), Failure> {
    let knob = a.ra_knob.as_deref();
    let mut meter = match (&a.disk_stat, &a.memcg) {
        (Some(d), Some(m)) => Some(
            PhaseMeter::new(name, ends, d.clone(), m.clone())
                .map_err(|e| Failure::Run(format!("run: {e}")))?,
        ),
        (None, None) => None,
        _ => return Err(Failure::Usage("--disk-stat and --memcg go together".into())),
    };
    let st = run_accesses(&a.dir, specs, accesses, knob, |_| {
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

/// `trace`: writes the workload's page sequence as an `oracleGeneral` trace.
fn trace(a: &TraceArgs) -> Result<(), Failure> {
    let ids: Vec<u64> = match a.work.workload {
        Work::Generated(g) => Accesses::new(g, mib(a.work.mib)?, a.work.seed)
            .map(Access::id)
            .collect(),
        Work::Replay => load_replay(a.work.replay.as_deref())?
            .accesses()
            .map(Access::id)
            .collect(),
    };
    let distinct = {
        let mut s = ids.clone();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let out = a.out.display();
    let bytes = oracle_trace(&ids).map_err(|e| Failure::Run(format!("trace: {e}")))?;
    std::fs::write(&a.out, bytes).map_err(|e| Failure::Run(format!("trace: {out}: {e}")))?;
    println!(
        "trace: workload={} requests={} objects={distinct} out={out}",
        a.work.workload.name(),
        ids.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let done = match &cli.command {
        Command::Prepare(a) => prepare(a),
        Command::Run(a) => run(a),
        Command::Trace(a) => trace(a),
        Command::Completions { shell } => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "lo-work",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(e)) => Cli::command()
            .error(ErrorKind::MissingRequiredArgument, e)
            .exit(),
        Err(Failure::Run(e)) => {
            eprintln!("lo-work: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parse of `lo-work ARGS` (split at white space).
    fn parse(args: &str) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("lo-work").chain(args.split_whitespace()))
            .map(|c| c.command)
    }

    /// The parse of `lo-work ARGS`, which must succeed.
    fn ok(args: &str) -> Command {
        parse(args).unwrap_or_else(|e| panic!("lo-work {args}: {e}"))
    }

    /// The error kind of `lo-work ARGS`, which must fail.
    fn bad(args: &str) -> ErrorKind {
        match parse(args) {
            Ok(c) => panic!("lo-work {args} parsed: {c:?}"),
            Err(e) => e.kind(),
        }
    }

    /// `p` as a path.
    fn path(p: &str) -> PathBuf {
        PathBuf::from(p)
    }

    /// The most used workload of the tests.
    const SCAN: Work = Work::Generated(Workload::Scan);
    /// A replay trace's path (never opened: these tests only parse).
    const T: &str = "/tmp/replay.oracleGeneral.bin";

    #[test]
    fn command_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn workload_names_are_the_librarys() {
        for w in WORKS {
            let parsed = Work::from_str(w.name(), false);
            assert_eq!(parsed, Ok(w));
            if let Work::Generated(g) = w {
                assert_eq!(Workload::parse(w.name()), Some(g));
            }
        }
        assert_eq!(
            WORKS[..Workload::ALL.len()],
            Workload::ALL.map(Work::Generated)
        );
    }

    #[test]
    fn prepare_as_the_scripts_call_it() {
        // scripts/guest/bench-evict.sh, with and without $REPLAYARG; README.
        assert_eq!(
            ok(&format!(
                "prepare /mnt --mib 32 --work scan,loop,zipf,lru,replay --replay {T}"
            )),
            Command::Prepare(PrepareArgs {
                dir: path("/mnt"),
                mib: Some(32),
                work: Some(
                    WORKS
                        .iter()
                        .copied()
                        .filter(|w| *w != Work::Generated(Workload::Phases))
                        .map(Some)
                        .collect()
                ),
                replay: Some(path(T)),
            })
        );
        let Command::Prepare(a) = ok("prepare /mnt --mib 32 --work scan,loop") else {
            panic!()
        };
        assert_eq!(a.work(), [SCAN, Work::Generated(Workload::Loop)]);
        assert_eq!((a.mib, a.replay), (Some(32), None));
        // scripts/guest/demo.sh, scripts/guest/bench-sizer.sh.
        let Command::Prepare(a) = ok("prepare /mnt --mib 8 --work scan") else {
            panic!()
        };
        assert_eq!(
            (a.dir.clone(), a.mib, a.work()),
            (path("/mnt"), Some(8), vec![SCAN])
        );
        let Command::Prepare(a) = ok("prepare /mnt --mib 32 --work phases") else {
            panic!()
        };
        assert_eq!(a.work(), [Work::Generated(Workload::Phases)]);
        // Every generated workload by default; replay alone needs no --mib.
        let Command::Prepare(a) = ok("prepare d --mib 2") else {
            panic!()
        };
        assert_eq!(a.work(), Workload::ALL.map(Work::Generated));
        let Command::Prepare(a) = ok(&format!("prepare d --work replay --replay {T}")) else {
            panic!()
        };
        assert_eq!((a.mib, a.work()), (None, vec![Work::Replay]));
        // Empty entries are skipped, as before (`--work "$(echo $WORK | tr ' ' ,)"`).
        let Command::Prepare(a) = ok("prepare d --mib 2 --work scan,,phases,") else {
            panic!()
        };
        assert_eq!(a.work(), [SCAN, Work::Generated(Workload::Phases)]);
        let Command::Prepare(a) = ok("prepare d --work=") else {
            panic!()
        };
        assert_eq!(a.work(), []);
        // The last of a repeated option counts.
        let Command::Prepare(a) = ok("prepare d --work zipf --mib 4 --work scan --mib 2") else {
            panic!()
        };
        assert_eq!((a.mib, a.work()), (Some(2), vec![SCAN]));
    }

    #[test]
    fn run_as_the_scripts_call_it() {
        // scripts/guest/bench-evict.sh, with $REPLAYARG, for a generated workload and replay.
        let ra = "/sys/block/vda/queue/read_ahead_kb";
        assert_eq!(
            ok(&format!(
                "run scan /mnt --mib 32 --seed 1 --replay {T} --ra-knob {ra}"
            )),
            Command::Run(RunArgs {
                work: WorkloadArgs {
                    workload: SCAN,
                    mib: Some(32),
                    seed: 1,
                    replay: Some(path(T)),
                },
                dir: path("/mnt"),
                ra_knob: Some(path(ra)),
                disk_stat: None,
                memcg: None,
            })
        );
        let Command::Run(a) = ok(&format!(
            "run replay /mnt --mib 32 --seed 7 --replay {T} --ra-knob {ra}"
        )) else {
            panic!()
        };
        assert_eq!(
            (a.work.workload, a.work.mib, a.work.seed),
            (Work::Replay, Some(32), 7)
        );
        let Command::Run(a) = ok(&format!("run lru /mnt --mib 32 --seed 1 --ra-knob {ra}")) else {
            panic!()
        };
        assert_eq!(
            (a.work.workload, a.work.replay),
            (Work::Generated(Workload::Lru), None)
        );
        // scripts/guest/demo.sh: the default seed.
        let Command::Run(a) = ok("run scan /mnt --mib 8") else {
            panic!()
        };
        assert_eq!((a.work.seed, a.ra_knob), (DEFAULT_SEED, None));
        // scripts/guest/bench-sizer.sh.
        let Command::Run(a) = ok(&format!(
            "run phases /mnt --mib 32 --ra-knob {ra} --disk-stat /sys/block/vda/stat --memcg /sys/fs/cgroup/x"
        )) else {
            panic!()
        };
        assert_eq!(a.work.workload, Work::Generated(Workload::Phases));
        assert_eq!(
            (a.disk_stat, a.memcg),
            (
                Some(path("/sys/block/vda/stat")),
                Some(path("/sys/fs/cgroup/x"))
            )
        );
        // README: replay alone, no --mib; options before the positional arguments.
        let Command::Run(a) = ok(&format!("run replay DIR --replay {T}")) else {
            panic!()
        };
        assert_eq!((a.dir, a.work.mib), (path("DIR"), None));
        let Command::Run(a) = ok("run --mib 3 --seed 2 zipf d") else {
            panic!()
        };
        assert_eq!(
            (a.work.workload, a.work.mib, a.work.seed),
            (Work::Generated(Workload::Zipf), Some(3), 2)
        );
    }

    #[test]
    fn trace_as_the_scripts_call_it() {
        // scripts/bench-evict.sh --trace, mrc-accuracy.sh, train-*-model.sh.
        assert_eq!(
            ok("trace scan --mib 32 --seed 1 --out o/scan.bin"),
            Command::Trace(TraceArgs {
                work: WorkloadArgs {
                    workload: SCAN,
                    mib: Some(32),
                    seed: 1,
                    replay: None,
                },
                out: path("o/scan.bin"),
            })
        );
        for w in WORKS.iter().take(Workload::ALL.len()) {
            let Command::Trace(a) = ok(&format!("trace {} --mib 64 --seed 1 --out x", w.name()))
            else {
                panic!()
            };
            assert_eq!(a.work.workload, *w);
        }
        let Command::Trace(a) = ok(&format!(
            "trace replay --mib 32 --seed 1 --replay {T} --out o"
        )) else {
            panic!()
        };
        assert_eq!(
            (a.work.workload, a.work.replay),
            (Work::Replay, Some(path(T)))
        );
        // scripts/bench-evict.sh's check of the trace; README.
        let Command::Trace(a) = ok(&format!("trace replay --replay {T} --out /dev/null")) else {
            panic!()
        };
        assert_eq!(
            (a.work.mib, a.work.seed, a.out),
            (None, DEFAULT_SEED, path("/dev/null"))
        );
        let Command::Trace(a) = ok("trace --mib 3 lru --out x --mib 4") else {
            panic!()
        };
        assert_eq!(a.work.mib, Some(4));
    }

    #[test]
    fn completions() {
        assert_eq!(
            ok("completions bash"),
            Command::Completions { shell: Shell::Bash }
        );
        let mut script = Vec::new();
        clap_complete::generate(Shell::Bash, &mut Cli::command(), "lo-work", &mut script);
        let script = String::from_utf8(script).unwrap();
        assert!(script.contains("--disk-stat") && script.contains("prepare"));
        assert_eq!(bad("completions"), ErrorKind::MissingRequiredArgument);
        assert_eq!(bad("completions tcsh"), ErrorKind::InvalidValue);
    }

    #[test]
    fn bad_command_lines_are_rejected() {
        use ErrorKind::*;
        for (args, kind) in [
            // No command, an unknown one, options before the command.
            ("", DisplayHelpOnMissingArgumentOrSubcommand),
            ("bogus", InvalidSubcommand),
            ("--mib 4 trace scan --out x", UnknownArgument),
            // Unknown workloads.
            ("run nope d --mib 4", InvalidValue),
            ("trace nope --mib 4 --out x", InvalidValue),
            ("prepare d --mib 4 --work scan,nope", InvalidValue),
            ("run Scan d --mib 4", InvalidValue),
            // --mib: missing, 0, not a number, without its value.
            ("run scan d", MissingRequiredArgument),
            ("trace phases --out x", MissingRequiredArgument),
            ("prepare d", MissingRequiredArgument),
            ("prepare d --work scan", MissingRequiredArgument),
            (
                &format!("prepare d --work replay,lru --replay {T}"),
                MissingRequiredArgument,
            ),
            ("trace scan --mib 0 --out x", ValueValidation),
            ("run scan d --mib x", ValueValidation),
            ("run scan d --mib -1", ValueValidation),
            ("trace scan --mib 4 --seed -1 --out x", ValueValidation),
            ("trace scan --out x --mib", InvalidValue),
            ("trace scan --mib 4 --seed x --out x", ValueValidation),
            // replay without --replay.
            ("run replay d", MissingRequiredArgument),
            ("run replay d --mib 4", MissingRequiredArgument),
            ("trace replay --out x", MissingRequiredArgument),
            (
                "prepare d --mib 4 --work scan,replay",
                MissingRequiredArgument,
            ),
            // --disk-stat and --memcg go together.
            (
                "run phases d --mib 4 --disk-stat s",
                MissingRequiredArgument,
            ),
            ("run phases d --mib 4 --memcg c", MissingRequiredArgument),
            // trace needs --out.
            ("trace scan --mib 4", MissingRequiredArgument),
            // Positional arguments: too few, too many.
            ("run scan --mib 4", MissingRequiredArgument),
            ("run scan a b --mib 4", UnknownArgument),
            ("trace", MissingRequiredArgument),
            ("trace scan loop --mib 4 --out x", UnknownArgument),
            ("prepare --mib 4", MissingRequiredArgument),
            ("prepare a b --mib 4", UnknownArgument),
            // Unknown options, and options of another command.
            ("trace scan --mib 4 --out x --bogus", UnknownArgument),
            ("prepare d --mib 4 --seed 2", UnknownArgument),
            ("run scan d --mib 4 --out x", UnknownArgument),
            ("trace scan --mib 4 --out x --ra-knob k", UnknownArgument),
        ] {
            assert_eq!(bad(args), kind, "lo-work {args}");
        }
    }

    #[test]
    fn help_keeps_the_old_usage_text() {
        for args in [
            "--help",
            "prepare --help",
            "run --help",
            "trace --help",
            "help run",
        ] {
            assert_eq!(bad(args), ErrorKind::DisplayHelp, "lo-work {args}");
        }
        let mut cmd = Cli::command();
        let mut help = cmd.render_long_help().to_string();
        for sub in ["prepare", "run", "trace"] {
            let sub = cmd.find_subcommand_mut(sub).unwrap();
            help += &sub.render_long_help().to_string();
        }
        for text in [
            "scan loop zipf lru phases replay",
            "not needed\nby replay alone",
            "one 4 KiB page of\nreplay.dat per distinct object, in order of first appearance",
            "--mib and --seed change nothing",
            "every workload but replay, or of the workloads of --work",
            "each fsynced",
            "prints `work: workload=W pages=P ms=T`",
            "POSIX_FADV_RANDOM",
            "/sys/block/vda/queue/read_ahead_kb) is 0",
            "phase: workload=W phase=K reads=R disk_reads=D ms=T mem_mib_ms=X mean_mib=Y settle_ms=S",
            "sampled every 256 reads",
            "10% of its value at the\nphase's end",
            "a stat file that cannot be read fails the run",
            "libCacheSim oracleGeneral trace (no file I/O)",
            "a random-read hot set polluted by a one-time sequential scan",
        ] {
            assert!(help.contains(text), "--help lost {text:?}:\n{help}");
        }
        assert_eq!(PhaseMeter::SAMPLE, 256);
    }
}
