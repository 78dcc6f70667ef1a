use clap::Parser;

fn main() -> std::process::ExitCode {
    police_api::cli::run(police_api::cli::Cli::parse())
}
