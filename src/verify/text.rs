//! `verify`'s default report for a terminal: each package's findings, signatures and profile
//! matrix, no line wider than [`WIDTH`] columns (messages wrap under their column), and a
//! summary line at the end.

use super::report::{PackageReport, ProfileResult, VerifyReport};
use crate::textfile::terminal_safe;
use msikit::rules::{SignatureReport, SignatureStatus};
use msikit::simulate::LaunchOutcome;
use std::fmt::Write;

/// The widest line the report writes.
pub const WIDTH: usize = 120;

/// Where a finding's message starts: `  warning SSPR007    `.
const FINDING_INDENT: usize = 2 + 8 + 11;

/// Where a profile row's message starts, after the matrix's number columns.
const MATRIX_INDENT: usize = 2 + 21 + 10 + 7 + 6 + 10 + 8 + 1;

/// The whole report as text.
pub fn render(report: &VerifyReport) -> String {
    let mut out = String::new();
    for package in &report.packages {
        render_package(package, &mut out);
    }
    let summary = &report.summary;
    let line = format!(
        "summary: {}, {}, {}; {}",
        counted(summary.packages, "package"),
        counted(summary.errors, "error"),
        counted(summary.warnings, "warning"),
        counted(summary.problems, "problem"),
    );
    push_wrapped(&mut out, "", "  ", &line);
    out
}

fn counted(count: usize, noun: &str) -> String {
    match count {
        1 => format!("1 {noun}"),
        _ => format!("{count} {noun}s"),
    }
}

/// `text` (made terminal-safe) after `first` on the first line and `indent` spaces on the
/// rest, wrapped at [`WIDTH`]; words longer than a line are broken.
fn push_wrapped(out: &mut String, first: &str, indent: &str, text: &str) {
    let safe = terminal_safe(text);
    let options = textwrap::Options::new(WIDTH)
        .initial_indent(first)
        .subsequent_indent(indent);
    for line in textwrap::wrap(&safe, options) {
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

fn render_package(package: &PackageReport, out: &mut String) {
    let heading = format!(
        "{} (target {}, platform {})",
        package.file.display(),
        package.target.as_deref().unwrap_or("unknown"),
        package.platform.as_deref().unwrap_or("missing")
    );
    push_wrapped(out, "", "    ", &heading);
    let indent = " ".repeat(FINDING_INDENT);
    for finding in &package.findings {
        let severity = format!("{:?}", finding.severity).to_lowercase();
        let first = format!("  {severity:<7} {:<10} ", finding.id);
        push_wrapped(out, &first, &indent, &finding.message);
    }
    for signature in &package.signatures {
        push_wrapped(
            out,
            "  signature          ",
            &indent,
            &signature_line(signature),
        );
    }
    let Some(first) = package.simulations.first() else {
        return;
    };
    for note in &first.prediction.unsimulated {
        push_wrapped(out, "  not simulated: ", "    ", note);
    }
    let _ = writeln!(
        out,
        "  {:<20} {:<9} {:>6} {:>5} {:>9} {:>7}  message",
        "profile", "result", "values", "files", "permanent", "residue"
    );
    for result in &package.simulations {
        render_profile(result, out);
    }
    render_upgrades(package, out);
}

/// The upgrade from the baseline, per profile (`verify --baseline --simulate`).
fn render_upgrades(package: &PackageReport, out: &mut String) {
    for upgrade in &package.upgrades {
        let outcome = match &upgrade.outcome {
            None => "baseline refused".to_string(),
            Some(LaunchOutcome::Installs) => "upgrades".to_string(),
            Some(other) => {
                let (word, message) = outcome_text(other);
                format!("{word}: {message}")
            }
        };
        let line = format!(
            "{outcome}; removal {:?}; written twice {}, lost {}, left {}",
            upgrade.removal,
            upgrade.written_twice.len(),
            upgrade.lost.len(),
            upgrade.left.len()
        );
        push_wrapped(
            out,
            &format!("  upgrade on {:<20} ", upgrade.profile),
            "      ",
            &line,
        );
        for (what, leftovers) in [("lost", &upgrade.lost), ("left", &upgrade.left)] {
            for leftover in leftovers {
                let text = format!("{} ({})", leftover.item, leftover.reason);
                push_wrapped(out, &format!("      {what}: "), "        ", &text);
            }
        }
    }
}

/// `package: trusted, signed by CN=…, chains to CN=…`.
pub fn signature_line(signature: &SignatureReport) -> String {
    let mut line = format!("{}: {}", signature.subject, status_word(signature.status));
    if let Some(signer) = &signature.signer {
        let _ = write!(line, ", signed by {}", signer.subject);
        match &signer.anchor {
            Some(anchor) => {
                let _ = write!(line, ", chains to {}", anchor.subject);
            }
            None if signature.status == SignatureStatus::Intact => {
                line.push_str(" (not checked: give --trust-anchor)")
            }
            None => {}
        }
    }
    if let Some(problem) = &signature.problem {
        let _ = write!(line, ": {problem}");
    }
    line
}

pub fn status_word(status: SignatureStatus) -> &'static str {
    match status {
        SignatureStatus::Trusted => "trusted",
        SignatureStatus::Intact => "intact",
        SignatureStatus::Unsigned => "unsigned",
        SignatureStatus::Invalid => "INVALID",
    }
}

/// `installs`, `refused`, `stopped`, `suspended`, or `INSTALLS` outside the package's
/// target, with the message and a restart's exit code.
pub fn outcome_words(result: &ProfileResult) -> (&'static str, String) {
    let prediction = &result.prediction;
    let (word, message) = match &prediction.outcome {
        LaunchOutcome::Installs if result.unexpected_install => {
            ("INSTALLS", "installs outside its target".to_string())
        }
        other => outcome_text(other),
    };
    let restart = match prediction.exit_code {
        3010 => "exits 3010: a restart is needed",
        1641 => "exits 1641: Windows restarts",
        _ => return (word, message),
    };
    match message.is_empty() {
        true => (word, restart.to_string()),
        false => (word, format!("{message} | {restart}")),
    }
}

/// The outcome's word and what it says.
pub fn outcome_text(outcome: &LaunchOutcome) -> (&'static str, String) {
    match outcome {
        LaunchOutcome::Installs => ("installs", String::new()),
        LaunchOutcome::Refused { messages } => ("refused", messages.join(" | ")),
        LaunchOutcome::Stopped { action, message } => {
            ("stopped", format!("at `{action}`: {message}"))
        }
        LaunchOutcome::Suspended { action } => ("suspended", format!("at {action} (1604)")),
    }
}

fn render_profile(result: &ProfileResult, out: &mut String) {
    let prediction = &result.prediction;
    let (outcome, message) = outcome_words(result);
    let row = format!(
        "  {:<20} {:<9} {:>6} {:>5} {:>9} {:>7}  ",
        prediction.profile,
        outcome,
        prediction.registry.len(),
        prediction.files.len(),
        prediction.permanent.len(),
        prediction.residue.len()
    );
    let indent = " ".repeat(MATRIX_INDENT);
    if message.is_empty() {
        push_wrapped(out, "", &indent, row.trim_end());
    } else if row.chars().count() <= MATRIX_INDENT {
        push_wrapped(out, &row, &indent, &message);
    } else {
        // A profile name too long for its column: the message goes under the row.
        push_wrapped(out, "", &indent, row.trim_end());
        push_wrapped(out, &indent, &indent, &message);
    }
    for removal in &prediction.registry_removed {
        push_wrapped(out, "      removes: ", "        ", &removal.display_key());
    }
    for removal in &prediction.files_removed {
        let when = if removal.at_uninstall {
            "at uninstall"
        } else {
            "at install"
        };
        let text = format!("{} ({when})", removal.path);
        push_wrapped(out, "      deletes: ", "        ", &text);
    }
    for leftover in &prediction.residue {
        let text = format!("{} ({})", leftover.item, leftover.reason);
        push_wrapped(out, "      residue: ", "        ", &text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_and_long_messages_wrap_under_their_column() {
        let mut out = String::new();
        let message = format!("{} and {}", "word ".repeat(40), "x".repeat(300));
        push_wrapped(&mut out, "  error   ICE03      ", &" ".repeat(21), &message);
        assert!(out.lines().count() > 3, "{out}");
        for line in out.lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        assert!(out
            .lines()
            .skip(1)
            .all(|line| line.starts_with(&" ".repeat(21))));
    }

    #[test]
    fn control_characters_from_packages_never_reach_the_terminal() {
        let mut out = String::new();
        push_wrapped(&mut out, "", "", "a\u{1b}]0;owned\u{7}b");
        assert!(!out.contains('\u{1b}'), "{out:?}");
    }
}
