// SPDX-License-Identifier: GPL-2.0

//! `lrn`: the learned_os host tool. See [`lrn::cli::Cli`] (or `lrn --help`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match lrn::cli::Cli::parse().run() {
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
