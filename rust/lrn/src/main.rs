// SPDX-License-Identifier: GPL-2.0

//! `lrn`: the learned_os host tool. See [`lrn::USAGE`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    match args.first().map(String::as_str) {
        Some("sim") => {}
        Some("inspect") => {
            return match lrn::model::run_inspect(rest) {
                Ok(out) => {
                    print!("{out}");
                    ExitCode::SUCCESS
                }
                Err((out, e)) => {
                    print!("{out}");
                    eprintln!("lrn: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Some("model") => return report(lrn::model::run_model(rest)),
        Some("bench-infer") => return report(lrn::model::run_bench(rest)),
        Some("train") => return report(lrn::cli::train(rest)),
        Some("eval") => return report(lrn::cli::eval(rest)),
        Some("corpus") => return report(lrn::corpus::run(rest)),
        Some("eval-evict") => return report(lrn::evict_eval::run(rest)),
        Some("samples") => return report(lrn::evict_train::run_samples(rest)),
        Some("mrc") => return report(lrn::mrc::run(rest)),
        Some("sizer") => return report(lrn::sizer::run(rest)),
        Some("sched") => return report(lrn::sched::run(rest)),
        Some("-h" | "--help" | "help") => {
            println!(
                "{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
                lrn::USAGE,
                lrn::corpus::USAGE,
                lrn::evict_eval::USAGE,
                lrn::evict_train::USAGE,
                lrn::model::USAGE,
                lrn::cli::USAGE,
                lrn::mrc::USAGE,
                lrn::sizer::USAGE,
                lrn::sched::USAGE
            );
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!(
                "lrn: unknown command {other:?}\n{}\n{}\n{}\n{}",
                lrn::USAGE,
                lrn::model::USAGE,
                lrn::cli::USAGE,
                lrn::mrc::USAGE
            );
            return ExitCode::from(2);
        }
        None => {
            eprintln!(
                "{}\n{}\n{}\n{}",
                lrn::USAGE,
                lrn::model::USAGE,
                lrn::cli::USAGE,
                lrn::mrc::USAGE
            );
            return ExitCode::from(2);
        }
    }
    let parsed = match lrn::parse_sim_args(rest) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lrn: {e}");
            return ExitCode::from(2);
        }
    };
    match lrn::run_sim(&parsed) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lrn: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Prints a command's output, or its error with exit status 1.
fn report(r: Result<String, lrn::Error>) -> ExitCode {
    match r {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lrn: {e}");
            ExitCode::FAILURE
        }
    }
}
