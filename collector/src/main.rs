use clap::Parser;
use std::process::ExitCode;
use tenpoint_collector::cli::{Cli, run};

fn main() -> ExitCode {
    run(Cli::parse())
}
