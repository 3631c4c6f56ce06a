//! Everything the commands print goes through here: stdout through one writer that exits
//! quietly when the reader has gone (`verify … | head -1`, as ripgrep does) and turns any
//! other write error (`> /dev/full`) into exit 5; stderr with the `--quiet` and `--color`
//! choices applied.

use sspr_msi::error::{Error, Result};
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// `--color`: when to colour the `error:` and `warning:` labels on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is not set.
    Auto,
    Always,
    Never,
}

/// The `--color` value among `args`, before clap parses them (for clap's own messages).
pub fn color_asked(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<ColorChoice> {
    use clap::ValueEnum;
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let value = args.iter().enumerate().rev().find_map(|(index, arg)| {
        arg.strip_prefix("--color=")
            .map(str::to_string)
            .or_else(|| {
                (arg == "--color")
                    .then(|| args.get(index + 1).cloned())
                    .flatten()
            })
    })?;
    ColorChoice::from_str(&value, false).ok()
}

/// How this run prints, from the global options.
#[derive(Debug, Clone, Copy)]
struct Choices {
    quiet: bool,
    color: bool,
}

static CHOICES: OnceLock<Choices> = OnceLock::new();

/// Records `--quiet` and `--color` (once, before anything is printed).
pub fn configure(quiet: bool, color: ColorChoice) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    let color = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
    };
    let _ = CHOICES.set(Choices { quiet, color });
}

fn choices() -> Choices {
    *CHOICES.get_or_init(|| Choices {
        quiet: false,
        color: false,
    })
}

/// Whether `--quiet` was given: summaries and warnings are left out.
pub fn quiet() -> bool {
    choices().quiet
}

/// Writes a document the user asked for (a report, JSON, a script): printed even with
/// `--quiet`.
pub fn document(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // Whoever reads has seen enough (`| head`): not an error, and nothing more to say.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(error) => Err(Error::output("standard output", error)),
    }
}

/// Writes a summary (`wrote FILE`, the build table): left out with `--quiet`.
pub fn summary(text: &str) -> Result<()> {
    if quiet() {
        return Ok(());
    }
    document(text)
}

/// `sspr-msi: warning: …` on stderr, unless `--quiet`.
pub fn warning(message: &str) {
    if !quiet() {
        to_stderr(&label("warning", "33"), message);
    }
}

/// An error line on stderr, always printed; its label (`config error`, `input error`…),
/// when it has one, coloured.
pub fn error(text: &str) {
    match text.split_once(": ") {
        Some((kind, rest)) if kind.ends_with(" error") => to_stderr(&label(kind, "31"), rest),
        _ => to_stderr("", text),
    }
}

fn label(kind: &str, colour: &str) -> String {
    if choices().color {
        format!("\x1b[1;{colour}m{kind}\x1b[0m: ")
    } else {
        format!("{kind}: ")
    }
}

/// A closed or full stderr leaves nowhere to complain: such a write error is ignored.
fn to_stderr(label: &str, message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "sspr-msi: {label}{message}");
}
