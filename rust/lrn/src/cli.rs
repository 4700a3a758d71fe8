// SPDX-License-Identifier: GPL-2.0

//! The command line of `lrn`, parsed by clap: [`Cli`] and its subcommands, whose arguments
//! are defined next to the code they drive (`lrn sim`: [`crate::SimCli`]; `lrn mrc`:
//! [`crate::mrc::MrcCli`]; ...) and convert into that code's own configuration. Their doc
//! comments are the help (`lrn --help`, `lrn COMMAND --help`).
//!
//! Options take their value as `--key value` or `--key=value`; an option given twice keeps
//! its last value, except the repeatable ones (`--trace` of `lrn train`, `--cache-size` of
//! `lrn eval`, ...), which collect every value in order. Usage errors exit with status 2,
//! a command's own errors with status 1.

use clap::{CommandFactory, Parser, Subcommand};

use crate::Error;

/// learned_os host tool: cache simulation on learned-core's policies, the eviction corpus
/// and its evaluation, and the trainers and tools of the kernel module's models.
///
/// Every command prints its results on stdout and its errors on stderr; lrn COMMAND --help
/// describes its options.
#[derive(Debug, Parser)]
#[command(name = "lrn", args_override_self = true, arg_required_else_help = true)]
pub struct Cli {
    // The command; its help is its arguments' doc comment.
    #[command(subcommand)]
    pub(crate) command: Command,
}

// The variants have no doc comments of their own: a variant's doc comment would replace its
// arguments' (the help of the command, written next to the code it drives).
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    Sim(crate::SimCli),
    Inspect(crate::model::InspectCli),
    #[command(subcommand)]
    Model(crate::model::ModelCommand),
    BenchInfer(crate::model::BenchCli),
    Train(crate::train::TrainCli),
    Eval(crate::evalrun::EvalCli),
    Corpus(crate::corpus::CorpusCli),
    EvalEvict(crate::evict_eval::EvalEvictCli),
    Samples(crate::evict_train::SamplesCli),
    Mrc(crate::mrc::MrcCli),
    #[command(subcommand)]
    Sizer(crate::sizer::SizerCommand),
    #[command(subcommand)]
    Sched(crate::sched::SchedCommand),
    Completions(CompletionsCli),
}

/// Prints the shell completion script of lrn.
///
/// For example `lrn completions bash > ~/.local/share/bash-completion/completions/lrn`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsCli {
    /// The shell: bash, elvish, fish, powershell or zsh.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

impl CompletionsCli {
    /// The completion script.
    pub fn script(&self) -> Result<String, Error> {
        let mut out = Vec::new();
        clap_complete::generate(self.shell, &mut Cli::command(), "lrn", &mut out);
        String::from_utf8(out).map_err(|_| Error("the completion script is not UTF-8".into()))
    }
}

impl Cli {
    /// Runs the command. `Ok`: what to print on stdout; `Err`: what to print on stdout
    /// before the error (the report so far of `lrn inspect` on an invalid file, else
    /// nothing), and the error.
    pub fn run(self) -> Result<String, (String, Error)> {
        let plain = |r: Result<String, Error>| r.map_err(|e| (String::new(), e));
        match self.command {
            Command::Sim(a) => plain(crate::run_sim(&a.into_args())),
            Command::Inspect(a) => crate::model::run_inspect(&a),
            Command::Model(c) => plain(crate::model::run_model(&c)),
            Command::BenchInfer(a) => plain(crate::model::run_bench(&a)),
            Command::Train(a) => plain(a.run()),
            Command::Eval(a) => plain(a.run()),
            Command::Corpus(a) => plain(crate::corpus::run(&a)),
            Command::EvalEvict(a) => plain(crate::evict_eval::run(&a)),
            Command::Samples(a) => plain(crate::evict_train::run_samples(&a)),
            Command::Mrc(a) => plain(crate::mrc::run(&a.into_args())),
            Command::Sizer(c) => plain(crate::sizer::run(&c)),
            Command::Sched(c) => plain(crate::sched::run(&c)),
            Command::Completions(a) => plain(a.script()),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::ModelCommand;
    use crate::sizer::SizerCommand;
    use crate::CacheSize;
    use clap::error::ErrorKind;

    /// Parses `lrn ARGS`.
    pub(crate) fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("lrn").chain(args.iter().copied())).map(|c| c.command)
    }

    /// Parses `lrn LINE`, split at blanks; it must parse.
    fn parsed(line: &str) -> Command {
        let args: Vec<&str> = line.split_whitespace().collect();
        parse(&args).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    /// The error kind of `lrn ARGS`, which must not parse.
    fn rejected(args: &[&str]) -> ErrorKind {
        match parse(args) {
            Ok(c) => panic!("{args:?} parsed: {c:?}"),
            Err(e) => e.kind(),
        }
    }

    /// Every command path of `cmd` below `prefix` (`["model", "synth"]`, ...).
    fn paths(cmd: &clap::Command, prefix: &[String], out: &mut Vec<Vec<String>>) {
        for sub in cmd.get_subcommands() {
            let mut p = prefix.to_vec();
            p.push(sub.get_name().to_string());
            out.push(p.clone());
            paths(sub, &p, out);
        }
    }

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_command_has_its_help() {
        let mut all = vec![Vec::new()];
        let mut cmd = Cli::command();
        cmd.build();
        paths(&cmd, &[], &mut all);
        all.retain(|p| !p.iter().any(|c| c == "help"));
        // The tool, its 13 commands, 3 of model, 2 of sizer and 4 of sched.
        assert_eq!(all.len(), 1 + 13 + 3 + 2 + 4, "{all:?}");
        for path in all {
            for flag in ["--help", "-h"] {
                let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
                args.push(flag);
                let e = parse(&args).expect_err("help is an early exit");
                assert_eq!(e.kind(), ErrorKind::DisplayHelp, "{args:?}");
                let text = e.render().to_string();
                assert!(text.contains("Usage: lrn"), "{args:?}: {text}");
                // A summary line above the usage, from the doc comment.
                let about = text.lines().next().unwrap_or_default();
                assert!(
                    about.len() > 10 && !about.starts_with("Usage"),
                    "{args:?}: {text}"
                );
            }
        }
        // The explanations of the former usage texts are in the long help.
        let long = |line: &str| {
            let mut args: Vec<&str> = line.split_whitespace().collect();
            args.push("--help");
            parse(&args).expect_err("help").render().to_string()
        };
        for (line, text) in [
            ("sim", "linux-learned is an older name"),
            ("sim", "(powers of 1000)"),
            ("sched", "FILE - is stdin"),
            ("sched train", "names the set of the --holdout-trace"),
            ("model infer", "the kernel's infer file"),
            ("eval-evict", "leave-one-family-out"),
            ("mrc", "Mattson"),
        ] {
            assert!(long(line).contains(text), "{line}: {text}");
        }
    }

    #[test]
    fn bad_command_lines_are_rejected() {
        use ErrorKind::*;
        for (line, kind) in [
            ("", DisplayHelpOnMissingArgumentOrSubcommand),
            ("bogus", InvalidSubcommand),
            (
                "sim --trace t --format txt --policy lru",
                MissingRequiredArgument,
            ),
            (
                "sim --trace t --format xml --policy lru --cache-size 3",
                ValueValidation,
            ),
            (
                "sim --trace t --format txt --policy mru --cache-size 3",
                ValueValidation,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 12XB",
                ValueValidation,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size",
                InvalidValue,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 3 --bogus",
                UnknownArgument,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 3 --insert hot",
                ValueValidation,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 3 --max-keeps -1",
                UnknownArgument,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 3 --json=yes",
                TooManyValues,
            ),
            (
                "sim --trace t --format txt --policy lru --cache-size 3 stray",
                UnknownArgument,
            ),
            ("inspect", MissingRequiredArgument),
            ("inspect a b", UnknownArgument),
            ("model", DisplayHelpOnMissingArgumentOrSubcommand),
            ("model train", InvalidSubcommand),
            ("model synth --kind cnn --schema 1 --out x", ValueValidation),
            ("model synth --kind mlp --out x", MissingRequiredArgument),
            (
                "model synth --kind mlp --schema 1 --hidden 70000 --out x",
                ValueValidation,
            ),
            ("model infer --model m", MissingRequiredArgument),
            (
                "model import --json j --samples s --model-id 0xzz --out o",
                ValueValidation,
            ),
            (
                "model import --json j --samples s --out o",
                MissingRequiredArgument,
            ),
            ("bench-infer --iters many", ValueValidation),
            ("train --format txt --out o", MissingRequiredArgument),
            (
                "train --trace t --format txt --train-frac 1.5 --out o",
                ValueValidation,
            ),
            (
                "train --trace t --format txt --train-frac 0 --out o",
                ValueValidation,
            ),
            (
                "train --trace t --format txt --sampler lru --out o",
                ValueValidation,
            ),
            ("train --trace t --format txt --out", InvalidValue),
            (
                "eval --trace t --format txt --model m --holdout 1 --out o",
                ValueValidation,
            ),
            (
                "eval --trace t --format txt --model m",
                MissingRequiredArgument,
            ),
            ("corpus", MissingRequiredArgument),
            ("corpus --out d extra", UnknownArgument),
            ("eval-evict --corpus c", MissingRequiredArgument),
            ("eval-evict --trace no-family --out o", ValueValidation),
            (
                "samples --corpus c --trace path-only --out o",
                ValueValidation,
            ),
            ("mrc --trace t --format txt --points 0", ValueValidation),
            ("mrc --trace t --format txt --sizes 2,1", ValueValidation),
            ("sizer", DisplayHelpOnMissingArgumentOrSubcommand),
            ("sizer train", MissingRequiredArgument),
            (
                "sizer sim --trace t --format txt --phase-ends 1,x",
                ValueValidation,
            ),
            ("sched", DisplayHelpOnMissingArgumentOrSubcommand),
            ("sched synth --tasks 0 --out o", ValueValidation),
            ("sched synth --tasks 100001 --out o", ValueValidation),
            ("sched synth --seconds 0 --out o", ValueValidation),
            ("sched synth --seconds 3601 --out o", ValueValidation),
            ("sched train --trace t --out o", MissingRequiredArgument),
            (
                "sched train --holdout-trace h --out o",
                MissingRequiredArgument,
            ),
            (
                "sched train --trace t --holdout-trace h",
                MissingRequiredArgument,
            ),
            ("sched eval --model m", MissingRequiredArgument),
            ("sched import --out o", MissingRequiredArgument),
            ("completions tcsh", InvalidValue),
        ] {
            let args: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(rejected(&args), kind, "{line}");
        }
        // An empty --out is refused by model synth.
        assert_eq!(
            rejected(&["model", "synth", "--kind", "mlp", "--schema", "1", "--out", ""]),
            InvalidValue
        );
    }

    #[test]
    fn sim_arguments() {
        let Command::Sim(a) = parsed(
            "sim --trace t.bin --format=oracleGeneral --policy linux-learned --cache-size 1000 \
             --cache-size 256MiB --json",
        ) else {
            panic!("not sim")
        };
        assert_eq!(
            a.into_args(),
            crate::SimArgs {
                trace: "t.bin".into(),
                format: crate::Format::OracleGeneral,
                policy: crate::PolicyName::Learned,
                size: CacheSize::Bytes(256 << 20),
                json: true,
                model: None,
                max_keeps: learned_core::cache::reclaim::DEFAULT_MAX_KEEPS,
                insert: learned_core::cache::insert::DEFAULT_INSERT,
            }
        );
        let Command::Sim(a) = parsed(
            "sim --policy ranker --cache-size 3 --format txt --trace t --model m.lmod \
             --max-keeps 0 --insert cold",
        ) else {
            panic!("not sim")
        };
        let a = a.into_args();
        assert_eq!(
            (a.size, a.json, a.model.as_deref(), a.max_keeps, a.insert),
            (
                CacheSize::Objects(3),
                false,
                Some("m.lmod"),
                0,
                learned_core::cache::insert::InsertRule::Cold
            )
        );
    }

    #[test]
    fn train_and_eval_arguments() {
        // Repeated traces in order, TrainConfig's defaults, hex ids with or without 0x, a
        // fraction of 1.
        let Command::Train(a) = parsed("train --trace a --trace b --format csv --out m") else {
            panic!("not train")
        };
        assert_eq!(
            (a.trace.as_slice(), a.format),
            (&["a", "b"].map(String::from)[..], crate::Format::Csv)
        );
        assert_eq!(a.config(), crate::train::TrainConfig::default());
        let Command::Train(a) = parsed(
            "train --trace a --format txt --train-frac 1 --cache-size 64MiB --seed 7 \
             --sampler linux --model-id e71c0002 --out m",
        ) else {
            panic!("not train")
        };
        let c = a.config();
        assert_eq!(
            (c.train_frac, c.cache_size, c.seed, c.sampler, c.model_id),
            (
                1.0,
                CacheSize::Bytes(64 << 20),
                7,
                crate::train::Sampler::Linux,
                0xe71c_0002
            )
        );
        let Command::Train(a) =
            parsed("train --trace a --format txt --train-frac 0.25 --model-id 0x1f --out m")
        else {
            panic!("not train")
        };
        assert_eq!((a.config().train_frac, a.config().model_id), (0.25, 0x1f));
        // Repeated sizes in order, holdout 0.5 by default.
        let Command::Eval(a) = parsed(
            "eval --trace t --format txt --model m --cache-size 10 --cache-size 1KiB --out d",
        ) else {
            panic!("not eval")
        };
        assert_eq!(
            a.cache_size,
            [CacheSize::Objects(10), CacheSize::Bytes(1024)]
        );
        assert_eq!((a.holdout, a.out.as_str()), (0.5, "d"));
    }

    #[test]
    fn model_arguments() {
        // The inputs follow the schema unless given.
        for (line, want) in [
            ("--schema 1", 8),
            ("--schema 2", 8),
            ("--schema 2 --inputs 20", 20),
        ] {
            let Command::Model(ModelCommand::Synth(a)) =
                parsed(&format!("model synth --kind mlp {line} --out o"))
            else {
                panic!("not synth")
            };
            let a = a.into_args();
            assert_eq!(
                (a.inputs, a.hidden, a.outputs, a.seed, a.keys, a.epsilon),
                (want, 32, 4, 1, 4096, 8)
            );
            assert!(!a.adversarial && a.constant.is_none() && a.out == "o");
        }
        let Command::Model(ModelCommand::Synth(a)) = parsed(
            "model synth --kind pla --schema 3 --seed 4 --keys 10 --epsilon 2 --adversarial \
             --constant 3 --out o",
        ) else {
            panic!("not synth")
        };
        let a = a.into_args();
        assert_eq!(
            (a.kind, a.schema, a.seed, a.keys, a.epsilon, a.constant),
            (learned_core::model::format::Kind::Pla, 3, 4, 10, 2, Some(3))
        );
        assert!(a.adversarial);
        // An input that starts with a minus sign is a value, not an option.
        let Command::Model(ModelCommand::Infer(a)) =
            parse(&["model", "infer", "--model", "m", "--input", "-3 17 -128"]).unwrap()
        else {
            panic!("not infer")
        };
        assert_eq!((a.model.as_str(), a.input.as_str()), ("m", "-3 17 -128"));
        let Command::Model(ModelCommand::Import(a)) =
            parsed("model import --json j --samples s --model-id 0xe71c0100 --out o")
        else {
            panic!("not import")
        };
        assert_eq!(
            (a.json.as_str(), a.samples.as_str(), a.model_id),
            ("j", "s", 0xe71c_0100)
        );
        let Command::BenchInfer(a) = parsed("bench-infer") else {
            panic!("not bench-infer")
        };
        assert_eq!((a.model, a.iters), (None, 200_000));
        let Command::Inspect(a) = parsed("inspect m.lmod") else {
            panic!("not inspect")
        };
        assert_eq!(a.file, "m.lmod");
    }

    #[test]
    fn corpus_eval_evict_and_samples_arguments() {
        let Command::Corpus(a) = parsed("corpus --out=d") else {
            panic!("not corpus")
        };
        assert_eq!(a.out, "d");
        let Command::EvalEvict(a) = parsed(
            "eval-evict --corpus c --trace real=/x/y.oracleGeneral.bin --family zipf \
             --family real --out o",
        ) else {
            panic!("not eval-evict")
        };
        let trace = |family: &str, path: &str| crate::evict_eval::FamilyTrace {
            family: family.into(),
            path: path.into(),
        };
        assert_eq!(a.trace, [trace("real", "/x/y.oracleGeneral.bin")]);
        assert_eq!(
            (a.corpus.as_deref(), a.family.as_slice()),
            (Some("c"), &["zipf", "real"].map(String::from)[..])
        );
        assert_eq!(
            (a.model, a.models, a.max_keeps, a.insert),
            (
                None,
                None,
                learned_core::cache::reclaim::DEFAULT_MAX_KEEPS,
                learned_core::cache::insert::DEFAULT_INSERT
            )
        );
        let Command::Samples(a) =
            parsed("samples --exclude a --exclude b --trace f=p=q --trace g=r --out o")
        else {
            panic!("not samples")
        };
        assert_eq!(
            (a.corpus, a.exclude.as_slice()),
            (None, &["a", "b"].map(String::from)[..])
        );
        assert_eq!(a.trace, [trace("f", "p=q"), trace("g", "r")]);
    }

    #[test]
    fn sizer_arguments() {
        // --mib's setting, the options over it; the last --phase-ends wins.
        let Command::Sizer(SizerCommand::Sim(a)) = parsed(
            "sizer sim --trace t --format oracleGeneral --mib 64 --phase-ends 1,2 \
             --phase-ends 3,4 --interval 1000 --margin 2",
        ) else {
            panic!("not sizer sim")
        };
        assert_eq!(a.phase_ends, Some(vec![3, 4]));
        let mut want = crate::sizer::SimConfig::for_mib(64);
        (want.interval, want.goal.margin_pm) = (1000, 2);
        assert_eq!(a.config(), want);
        let Command::Sizer(SizerCommand::Sim(a)) =
            parsed("sizer sim --trace t --format txt --goal 990 --age-shift 3")
        else {
            panic!("not sizer sim")
        };
        let mut want = crate::sizer::SimConfig::for_mib(32);
        (want.goal.hit_pm, want.age_shift) = (990, 3);
        assert_eq!((a.config(), a.phase_ends, a.model), (want, None, None));
        let Command::Sizer(SizerCommand::Train(a)) =
            parsed("sizer train --mib 16 --seed 5 --traces 2 --epochs 3 --out m")
        else {
            panic!("not sizer train")
        };
        let mut want = crate::sizer::TrainConfig::for_mib(16);
        (want.seed, want.traces, want.fit.epochs) = (5, 2, 3);
        assert_eq!(a.config(), want);
        let Command::Sizer(SizerCommand::Train(a)) = parsed("sizer train --out m") else {
            panic!("not sizer train")
        };
        assert_eq!(a.config(), crate::sizer::TrainConfig::for_mib(32));
    }

    #[test]
    fn completions_are_generated() {
        let Command::Completions(c) = parsed("completions bash") else {
            panic!("not completions")
        };
        let s = c.script().unwrap();
        assert!(
            s.contains("eval-evict") && s.contains("--holdout-trace"),
            "{s}"
        );
    }
}
