//! The command line. `args` holds the raw arguments as clap parses them; each command has its
//! own module that turns them into the validated plan of the stage it drives, runs it, prints
//! the result and chooses the exit code. No module outside `cli/` imports clap.

mod analyse;
pub mod args;
mod export;
mod findings;
mod keygen;
mod output;
mod query;
mod report;
mod retention;
mod sample;
mod sample_catalog;
mod scan;
mod verify;
mod worker;

use std::path::Path;

use clap::Parser;

pub use args::{Cli, Command};

use crate::config::Config;
use crate::exit_codes;

/// Parses the process arguments, runs the command, and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit_codes::USAGE
            } else {
                exit_codes::OK
            };
        }
    };
    match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Sample(a) => sample::run(a),
        Command::SampleCatalog(a) => sample_catalog::run(a),
        Command::Findings(a) => findings::run(a),
        Command::Query(a) => query::run(a),
        Command::Retention(a) => retention::run(a),
        Command::Report(a) => report::run(a),
        Command::Export(a) => export::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Analyse(a) => analyse::run(a),
        Command::Worker(a) => worker::run(a),
        Command::Keygen(a) => keygen::run(a),
    }
}

/// The configuration file (defaults without one) and its time zone; on failure the message is
/// printed under the command's name and the usage exit code returned.
fn config_and_zone(command: &str, file: Option<&Path>) -> Result<(Config, chrono_tz::Tz), i32> {
    let config = file
        .map(Config::load)
        .transpose()
        .map_err(|e| {
            eprintln!("recaudit {command}: {e}");
            exit_codes::USAGE
        })?
        .unwrap_or_default();
    let tz = config.zone().map_err(|e| {
        eprintln!("recaudit {command}: {e}");
        exit_codes::USAGE
    })?;
    Ok((config, tz))
}

/// The chain options of a committing command.
fn chain_options(a: &args::ChainArgs, restart: bool) -> crate::chain::Options {
    crate::chain::Options {
        budget: a.chain_budget,
        restart,
        sign_key: a.sign_key.clone(),
        anchor: a.anchor.clone(),
    }
}

/// `--threads`, or the number of CPUs.
fn threads_or_cpus(threads: Option<usize>) -> usize {
    threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// Bytes for people: `512 B`, `1.5 MiB`.
pub fn human_bytes(b: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < units.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{b:.0} B")
    } else {
        format!("{v:.1} {}", units[i])
    }
}
