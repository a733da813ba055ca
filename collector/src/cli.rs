//! The `tenpoint` command line. Every flag of a long-running command can also come from the
//! environment, so a container needs no arguments.

use crate::sites;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "tenpoint",
    version,
    about = "Self-hosted website feedback: NPS, CSAT, CES and GAP surveys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate site config files (or folders of them); print every problem and exit 1 if any.
    Check {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the JSON Schema of site configs, for editors (`"$schema"` in a config).
    Schema,
}

pub fn run(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Schema => {
            print!("{}", tenpoint_shared::config::schema_json_text());
            ExitCode::SUCCESS
        }
    }
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let files = match sites::expand(paths) {
        Ok(f) => f,
        Err((p, e)) => {
            eprintln!("{}: cannot read: {e}", p.display());
            return ExitCode::FAILURE;
        }
    };
    let loaded = sites::load(&files);
    let mut out = std::io::stdout().lock();
    // A closed stdout (say, piped to `head`) must not turn a result into a panic.
    let _ = write!(out, "{}", sites::Report(&loaded.errors));
    for (site, (file, cfg)) in &loaded.sites {
        let enabled = cfg.surveys.iter().filter(|s| s.enabled).count();
        let _ = writeln!(
            out,
            "{}: ok (site \"{site}\", {enabled} of {} surveys enabled)",
            file.display(),
            cfg.surveys.len()
        );
    }
    if loaded.is_ok() {
        ExitCode::SUCCESS
    } else {
        let n: usize = loaded
            .errors
            .iter()
            .map(|(_, e)| match e {
                sites::SiteFileError::Invalid(errs) => errs.0.len(),
                _ => 1,
            })
            .sum();
        eprintln!("{n} problem{} found", if n == 1 { "" } else { "s" });
        ExitCode::FAILURE
    }
}
