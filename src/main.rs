//! `sspr-msi`: run the command, map its error to the documented exit code.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(error) = cli::run(cli) {
        eprintln!("sspr-msi: {error}");
        std::process::exit(error.exit_code());
    }
}
