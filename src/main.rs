//! `sspr-msi`: run the command, map its error to the documented exit code.

mod cli;

use clap::Parser;
use sspr_msi::error::Error;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(error) = cli::run(cli) {
        match &error {
            // A configuration may have several problems: one prefixed line each.
            Error::Config(errors) => errors
                .iter()
                .for_each(|problem| eprintln!("sspr-msi: config error: {problem}")),
            _ => eprintln!("sspr-msi: {error}"),
        }
        std::process::exit(error.exit_code());
    }
}
