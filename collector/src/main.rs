use clap::Parser;
use std::process::ExitCode;
use tenpoint_collector::cli::{Cli, run};

/// jemalloc, with its background thread, rather than the system allocator: after a flood of a
/// thousand slow connections glibc's malloc kept 40 to 80 MB that the connections had freed
/// (it returns only the top of each heap), for as long as the process ran. jemalloc's
/// background thread gives freed pages back within seconds, even while the server is idle.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    run(Cli::parse())
}
