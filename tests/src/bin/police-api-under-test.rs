//! The `police-api` command line, built inside this package so that its integration tests
//! can run it as a separate process (`CARGO_BIN_EXE_police-api-under-test`), e.g. to
//! `kill -9` an import in the middle of a file.

use clap::Parser;

fn main() -> std::process::ExitCode {
    police_api::cli::run(police_api::cli::Cli::parse())
}
