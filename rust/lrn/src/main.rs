// SPDX-License-Identifier: GPL-2.0

//! `lrn`: the learned_os host tool. See [`lrn::USAGE`].

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("sim") => {}
        Some("-h" | "--help" | "help") => {
            println!("{}", lrn::USAGE);
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("lrn: unknown command {other:?}\n{}", lrn::USAGE);
            return ExitCode::from(2);
        }
        None => {
            eprintln!("{}", lrn::USAGE);
            return ExitCode::from(2);
        }
    }
    let rest = args.get(1..).unwrap_or_default();
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
