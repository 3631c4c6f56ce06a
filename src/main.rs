//! `sspr-msi`: run the command, map its error to the documented exit code.

mod cli;

use sspr_msi::error::Error;

fn main() {
    cli::signals::exit_cleanly_on_signals();
    let cli = cli::Cli::parse_with_color();
    if let Err(error) = cli::run(cli) {
        match &error {
            // A configuration may have several problems: one prefixed line each.
            Error::Config(errors) => errors
                .iter()
                .for_each(|problem| cli::terminal::error(&format!("config error: {problem}"))),
            _ => cli::terminal::error(&error.to_string()),
        }
        std::process::exit(error.exit_code());
    }
}
