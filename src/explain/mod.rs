//! `explain`: what a verbose msiexec log (`/l*v`) says happened, and what to do about it.
//! Windows writes the log in UTF-16LE and records the exit code; Wine's msiexec writes it in
//! ANSI without the code, so the outcome is then inferred from the actions' return values
//! (and Wine logs a refusing LaunchConditions as "Return value 0", not 3).

pub mod codes;
mod custom_actions;
pub mod package;

use crate::bind::NEWER_FOUND_PROPERTY;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Succeeded,
    SucceededRestartRequired,
    RefusedByLaunchCondition,
    Failed,
    Cancelled,
    /// The log ends before the installation does (truncated, or msiexec was killed).
    Incomplete,
}

/// Where the exit code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeSource {
    /// The log states it (Windows: "MainEngineThread is returning N").
    Logged,
    /// Worked out from the actions' return values (Wine's logs state no code).
    Inferred,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub outcome: Outcome,
    pub exit_code: Option<u32>,
    pub exit_code_source: Option<CodeSource>,
    pub meaning: String,
    pub product: Option<String>,
    /// `install` or `uninstall`.
    pub operation: String,
    /// The first action that returned 3 (or, under Wine, the LaunchConditions that returned 0).
    pub failing_action: Option<String>,
    /// A custom action's own error code ("CustomAction X returned actual error code N").
    pub custom_action_error: Option<String>,
    /// Launch-condition and error messages found in the log.
    pub messages: Vec<String>,
    /// Windows Installer error numbers the log names (1925, 2203, …), with their meaning.
    pub errors: Vec<String>,
    /// What the product's custom action logged about refusing or failing.
    pub custom_action_log: Vec<String>,
    pub what_to_do: Vec<String>,
}

impl Explanation {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Succeeded | Outcome::SucceededRestartRequired
        )
    }
}

/// What the log lines say, before interpretation.
#[derive(Debug, Default)]
struct LogFacts {
    properties: BTreeMap<String, String>,
    /// (action, return value), in log order; the top-level INSTALL included.
    ended: Vec<(String, u32)>,
    started: Vec<String>,
    logged_code: Option<u32>,
    custom_action_error: Option<String>,
    messages: Unique<String>,
    error_numbers: Unique<u32>,
    custom_action_log: Unique<String>,
    /// From `Product: NAME -- message` lines, when no ProductName property is logged.
    product_in_messages: Option<String>,
    saw_installer_lines: bool,
}

/// Items in the order first seen, each once: a set beside the list keeps a log with 100,000
/// distinct messages linear (issue 20 item 9: `Vec::contains` on every line was quadratic).
#[derive(Debug, Default)]
struct Unique<T> {
    items: Vec<T>,
    seen: std::collections::BTreeSet<T>,
}

impl<T: Ord + Clone> Unique<T> {
    fn push(&mut self, item: T) {
        if self.seen.insert(item.clone()) {
            self.items.push(item);
        }
    }
}

/// Reads and explains a log file; a file that is not a verbose log is an input error. With
/// `msi`, the package that was installed, a refusal names the launch conditions that failed.
pub fn explain_file(
    path: &std::path::Path,
    msi: Option<&std::path::Path>,
) -> crate::error::Result<Explanation> {
    let text = crate::textfile::read(path)?;
    let mut facts =
        log_facts(&text).map_err(|error| crate::error::Error::input(path, error.to_string()))?;
    if let Some(msi) = msi {
        let refusals = package::refusing_launch_conditions(msi, &facts.properties)
            .map_err(|error| crate::error::Error::input(msi, error.to_string()))?;
        for message in refusals {
            facts.messages.push(message);
        }
    }
    Ok(interpret(facts))
}

/// The text has no line of a verbose Windows Installer log: nothing in it to explain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a verbose Windows Installer log (no `Action start` lines): log with msiexec /l*v FILE"
)]
pub struct NotALog;

/// Explains a log (already decoded to text). An error means the text is not a verbose
/// Windows Installer log at all.
pub fn explain(text: &str) -> Result<Explanation, NotALog> {
    log_facts(text).map(interpret)
}

fn log_facts(text: &str) -> Result<LogFacts, NotALog> {
    let facts = read_facts(text);
    if facts.saw_installer_lines {
        Ok(facts)
    } else {
        Err(NotALog)
    }
}

fn read_facts(text: &str) -> LogFacts {
    let mut facts = LogFacts::default();
    let mut in_launch_conditions = false;
    for line in text.lines().map(|line| line.trim_end_matches('\r')) {
        if let Some(action) = action_started(line) {
            facts.saw_installer_lines = true;
            in_launch_conditions = action == "LaunchConditions";
            facts.started.push(action);
        } else if let Some((action, value)) = action_ended(line) {
            facts.saw_installer_lines = true;
            in_launch_conditions = false;
            facts.ended.push((action, value));
        } else if let Some((name, value)) = property(line) {
            facts.properties.insert(name, value);
        } else if let Some(code) = logged_exit_code(line) {
            facts.logged_code = Some(code);
        } else if let Some(rest) = line.split_once("CustomAction ").map(|(_, rest)| rest) {
            if rest.contains("returned actual error code") && facts.custom_action_error.is_none() {
                facts.custom_action_error = Some(format!("CustomAction {}", rest.trim()));
            }
        }
        if let Some(number) = error_number(line) {
            facts.error_numbers.push(number);
        }
        if facts.custom_action_log.items.len() < custom_actions::MAX_LINES {
            if let Some(said) = custom_actions::notable_line(line) {
                facts.custom_action_log.push(said);
            }
        }
        if facts.product_in_messages.is_none() {
            facts.product_in_messages = product_in_message(line);
        }
        if let Some(message) = message(line, in_launch_conditions) {
            facts.messages.push(message);
        }
    }
    facts
}

/// `Action start 12:34:56: InstallFiles.`
fn action_started(line: &str) -> Option<String> {
    let rest = line.split_once("Action start ")?.1;
    let (_, action) = rest.split_once(": ")?;
    Some(action.trim().trim_end_matches('.').to_string())
}

/// `Action ended 12:34:56: InstallFiles. Return value 3.`
fn action_ended(line: &str) -> Option<(String, u32)> {
    let rest = line.split_once("Action ended ")?.1;
    let (_, rest) = rest.split_once(": ")?;
    let (action, value) = rest.split_once(". Return value ")?;
    let value = value.trim().trim_end_matches('.').parse().ok()?;
    Some((action.trim().to_string(), value))
}

/// `Property(S): NAME = VALUE` (server side wins over client side: it is read later).
fn property(line: &str) -> Option<(String, String)> {
    let rest = line
        .strip_prefix("Property(S): ")
        .or_else(|| line.strip_prefix("Property(C): "))?;
    let (name, value) = rest.split_once(" = ")?;
    Some((name.trim().to_string(), value.to_string()))
}

/// Windows: `MainEngineThread is returning 1603`, `… success or error status: 1603.`
fn logged_exit_code(line: &str) -> Option<u32> {
    let after = line
        .split_once("MainEngineThread is returning ")
        .or_else(|| line.split_once("success or error status: "))?
        .1;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `Error 1925.`, `Internal Error 2203.`, `DEBUG: Error 2203:`.
fn error_number(line: &str) -> Option<u32> {
    let after = line.split_once("Error ")?.1;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    let rest = &after[digits.len()..];
    if digits.len() == 4 && (rest.starts_with('.') || rest.starts_with(':')) {
        digits.parse().ok()
    } else {
        None
    }
}

/// `MSI (s) (..) [..]: Product: NAME -- message`.
fn product_in_message(line: &str) -> Option<String> {
    let (before, _) = line.split_once(" -- ")?;
    let name = before.split_once("Product: ")?.1.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// A message Windows Installer showed: `Product: X -- message` lines, `Error NNNN. text`
/// lines, and the plain text Windows logs inside LaunchConditions.
fn message(line: &str, in_launch_conditions: bool) -> Option<String> {
    if let Some((_, text)) = line.split_once(" -- ") {
        let text = text.trim();
        let is_summary = text.starts_with("Installation ")
            || text.starts_with("Removal ")
            || text.starts_with("Configuration ");
        return (!text.is_empty() && !is_summary).then(|| text.to_string());
    }
    let trimmed = line.trim();
    if trimmed.starts_with("Error ") && error_number(trimmed).is_some() {
        return Some(trimmed.to_string());
    }
    let plain = !trimmed.is_empty()
        && !trimmed.starts_with("MSI (")
        && !trimmed.starts_with("Action")
        && !trimmed.starts_with("Property")
        && !trimmed.starts_with("1: ")
        && !trimmed.starts_with("===");
    (in_launch_conditions && plain).then(|| trimmed.to_string())
}

fn interpret(facts: LogFacts) -> Explanation {
    let actions = judge_actions(&facts);
    let (exit_code, exit_code_source, outcome) = match facts.logged_code {
        Some(code) => (
            Some(code),
            Some(CodeSource::Logged),
            outcome_of_logged(code, actions.outcome),
        ),
        None => (
            actions.inferred_code,
            actions.inferred_code.map(|_| CodeSource::Inferred),
            actions.outcome,
        ),
    };
    Explanation {
        outcome,
        exit_code,
        exit_code_source,
        meaning: meaning(exit_code),
        product: facts
            .properties
            .get("ProductName")
            .or(facts.product_in_messages.as_ref())
            .cloned(),
        operation: operation(&facts).into(),
        failing_action: actions.failing_action,
        custom_action_error: facts.custom_action_error.clone(),
        messages: facts.messages.items.clone(),
        errors: facts
            .error_numbers
            .items
            .iter()
            .map(|&number| match codes::lookup(number) {
                Some(known) => format!("{number}: {}", known.meaning),
                None => format!("{number}"),
            })
            .collect(),
        custom_action_log: facts.custom_action_log.items.clone(),
        what_to_do: advice(&facts, outcome, exit_code),
    }
}

fn operation(facts: &LogFacts) -> &'static str {
    let removing = facts
        .properties
        .get("REMOVE")
        .is_some_and(|remove| remove.eq_ignore_ascii_case("ALL"));
    if removing {
        "uninstall"
    } else {
        "install"
    }
}

/// What the actions' return values say, whatever code the log states.
struct ActionsVerdict {
    outcome: Outcome,
    /// The exit code msiexec returns for that outcome.
    inferred_code: Option<u32>,
    failing_action: Option<String>,
}

fn judge_actions(facts: &LogFacts) -> ActionsVerdict {
    let first_failure = facts
        .ended
        .iter()
        .find(|(action, value)| *value == 3 && !is_top_level(action))
        .map(|(action, _)| action.clone());
    let top_level = facts
        .ended
        .iter()
        .rev()
        .find(|(action, _)| is_top_level(action))
        .map(|(_, value)| *value);
    let last_started = facts
        .started
        .iter()
        .rev()
        .find(|action| !is_top_level(action));
    // Wine 8 ends a refused install with LaunchConditions "Return value 0" and nothing after.
    let refused_by_launch_condition = first_failure.as_deref() == Some("LaunchConditions")
        || (first_failure.is_none()
            && top_level == Some(0)
            && last_started.is_some_and(|action| action == "LaunchConditions"));
    let restart_requested = facts
        .started
        .iter()
        .any(|action| action == "ScheduleReboot" || action == "ForceReboot");
    let (outcome, inferred_code) = match top_level {
        _ if refused_by_launch_condition => (Outcome::RefusedByLaunchCondition, Some(1603)),
        Some(1) if restart_requested => (Outcome::SucceededRestartRequired, Some(3010)),
        Some(1) => (Outcome::Succeeded, Some(0)),
        Some(2) => (Outcome::Cancelled, Some(1602)),
        Some(3) => (Outcome::Failed, Some(1603)),
        _ if first_failure.is_some() => (Outcome::Failed, Some(1603)),
        _ => (Outcome::Incomplete, None),
    };
    ActionsVerdict {
        outcome,
        inferred_code,
        failing_action: if refused_by_launch_condition {
            Some("LaunchConditions".to_string())
        } else {
            first_failure
        },
    }
}

fn meaning(exit_code: Option<u32>) -> String {
    match (exit_code, exit_code.and_then(codes::lookup)) {
        (_, Some(known)) => known.meaning.to_string(),
        (Some(_), None) => {
            "not a code this tool knows: see Windows Installer's error reference".into()
        }
        (None, None) => "the log ends before the installation finished: no exit code".into(),
    }
}

fn is_top_level(action: &str) -> bool {
    matches!(action, "INSTALL" | "ADMIN" | "ADVERTISE")
}

/// A code Windows logged overrides what the actions suggest (1618 or 1625 end the install
/// before any action runs).
fn outcome_of_logged(code: u32, inferred: Outcome) -> Outcome {
    match code {
        0 => Outcome::Succeeded,
        3010 | 1641 => Outcome::SucceededRestartRequired,
        1602 => Outcome::Cancelled,
        1603 if inferred == Outcome::RefusedByLaunchCondition => inferred,
        _ => Outcome::Failed,
    }
}

fn advice(facts: &LogFacts, outcome: Outcome, exit_code: Option<u32>) -> Vec<String> {
    let mut advice = Vec::new();
    let custom_action = custom_actions::advice(&facts.custom_action_log.items, &facts.properties);
    let blames_the_machine = custom_action.is_none();
    advice.extend(custom_action);
    if outcome == Outcome::RefusedByLaunchCondition && blames_the_machine {
        advice.push(launch_condition_advice(facts));
    }
    for number in &facts.error_numbers.items {
        if let Some(known) = codes::lookup(*number) {
            advice.push(known.what_to_do.to_string());
        }
    }
    if let Some(known) = exit_code.and_then(codes::lookup) {
        if outcome != Outcome::RefusedByLaunchCondition && blames_the_machine {
            advice.push(known.what_to_do.to_string());
        }
    }
    let mut unique = Unique::default();
    for line in advice.drain(..) {
        unique.push(line);
    }
    advice = unique.items;
    if outcome == Outcome::Incomplete {
        advice.push("Get the whole log: msiexec /i PACKAGE /qn /l*v install.log, and wait for it to finish.".into());
    }
    advice
}

fn launch_condition_advice(facts: &LogFacts) -> String {
    let property = |name: &str| facts.properties.get(name).map(String::as_str);
    if let Some(newer) = property(NEWER_FOUND_PROPERTY) {
        return format!(
            "A newer version of this product ({newer}) is installed: keep it, or uninstall it \
             first if you really mean to go back."
        );
    }
    let described: Vec<String> = [
        ("VersionNT", "VersionNT"),
        ("VersionNT64", "VersionNT64"),
        ("SSPR_WINMAJOR", "CurrentMajorVersionNumber"),
        ("SSPR_WINBUILD", "CurrentBuildNumber"),
        ("SSPR_WINEDITION", "EditionID"),
        ("MsiNTProductType", "MsiNTProductType"),
    ]
    .iter()
    .filter_map(|(name, label)| property(name).map(|value| format!("{label} {value}")))
    .collect();
    let machine = if described.is_empty() {
        String::new()
    } else {
        format!(" The machine reported: {}.", described.join(", "))
    };
    format!(
        "The package refused this machine: it is for another Windows version, architecture or \
         edition.{machine} Run `sspr-msi doctor` on the machine to find the package that fits \
         (Windows 10 builds 17134–21999 → win10, 22000 and later → win11, 8.1 → win81, \
         7 → win7; x64 on 64-bit Windows, arm64 on Windows on Arm)."
    )
}

/// The explanation as admins read it.
pub fn render_text(explanation: &Explanation) -> String {
    let mut out = String::new();
    let outcome = match explanation.outcome {
        Outcome::Succeeded => "succeeded",
        Outcome::SucceededRestartRequired => "succeeded; restart required",
        Outcome::RefusedByLaunchCondition => "refused by a launch condition",
        Outcome::Failed => "failed",
        Outcome::Cancelled => "cancelled",
        Outcome::Incomplete => "incomplete log",
    };
    let product = explanation
        .product
        .as_deref()
        .unwrap_or("(product name not in the log)");
    out.push_str(&format!(
        "{} of {product}: {outcome}\n",
        explanation.operation
    ));
    match (explanation.exit_code, explanation.exit_code_source) {
        (Some(code), Some(CodeSource::Inferred)) => out.push_str(&format!(
            "exit code: {code} ({}) — inferred from the actions: this log does not state it\n",
            explanation.meaning
        )),
        (Some(code), _) => out.push_str(&format!("exit code: {code} ({})\n", explanation.meaning)),
        (None, _) => out.push_str(&format!("exit code: unknown ({})\n", explanation.meaning)),
    }
    if let Some(action) = &explanation.failing_action {
        out.push_str(&format!("first failing action: {action}\n"));
    }
    if let Some(custom) = &explanation.custom_action_error {
        out.push_str(&format!("custom action: {custom}\n"));
    }
    for message in &explanation.messages {
        out.push_str(&format!("message: {message}\n"));
    }
    for error in &explanation.errors {
        out.push_str(&format!("error {error}\n"));
    }
    for said in &explanation.custom_action_log {
        out.push_str(&format!("custom action said: {said}\n"));
    }
    for advice in &explanation.what_to_do {
        out.push_str(&format!("what to do: {advice}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS_CUSTOM_ACTION_FAILURE: &str = "=== Verbose logging started: 11/25/2026  10:00:00  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\system32\\msiexec.exe ===\r
Action start 10:00:01: InstallInitialize.\r
Action ended 10:00:01: InstallInitialize. Return value 1.\r
Action start 10:00:01: ConfigureThing.\r
CustomAction ConfigureThing returned actual error code 1603 (note this may not be 100% accurate if translation happened inside sandbox)\r
Action ended 10:00:02: ConfigureThing. Return value 3.\r
Action ended 10:00:02: InstallFinalize. Return value 3.\r
Action ended 10:00:02: INSTALL. Return value 3.\r
Property(S): ProductName = Contoso Thing\r
MSI (s) (2C:40) [10:00:03:000]: Product: Contoso Thing -- Installation failed.\r
MSI (s) (2C:40) [10:00:03:000]: Windows Installer installed the product. Product Name: Contoso Thing. Product Version: 1.0.0. Product Language: 1033. Manufacturer: Contoso. Installation success or error status: 1603.\r
MSI (c) (A0:B4) [10:00:03:000]: MainEngineThread is returning 1603\r
=== Verbose logging stopped: 11/25/2026  10:00:03 ===\r
";

    #[test]
    fn a_failing_custom_action_is_the_first_failing_action() {
        let explanation = explain(WINDOWS_CUSTOM_ACTION_FAILURE).unwrap();
        assert_eq!(explanation.outcome, Outcome::Failed);
        assert_eq!(explanation.exit_code, Some(1603));
        assert_eq!(explanation.exit_code_source, Some(CodeSource::Logged));
        assert_eq!(
            explanation.failing_action.as_deref(),
            Some("ConfigureThing")
        );
        assert!(explanation
            .custom_action_error
            .as_deref()
            .is_some_and(|e| e.contains("ConfigureThing returned actual error code 1603")));
        assert_eq!(explanation.product.as_deref(), Some("Contoso Thing"));
    }

    /// Issue 20 item 9: 100,000 distinct messages hung explain (each line searched every
    /// message before it). Each is kept once, in order, and a repeat is dropped.
    #[test]
    fn a_log_with_100000_distinct_messages_keeps_each_once_in_order() {
        let mut log = String::from("Action start 10:00:00: INSTALL.\n");
        for index in 0..100_000 {
            log.push_str(&format!(
                "MSI (s) (2C:40): Product: Thing -- message {index}\n"
            ));
        }
        log.push_str("MSI (s) (2C:40): Product: Thing -- message 7\n");
        let explanation = explain(&log).unwrap();
        assert_eq!(explanation.messages.len(), 100_000);
        assert_eq!(explanation.messages[0], "message 0");
        assert_eq!(explanation.messages[99_999], "message 99999");
    }

    #[test]
    fn text_without_actions_is_not_a_log() {
        assert!(explain("").is_err());
        assert!(explain("hello\nworld\n").is_err());
    }

    #[test]
    fn every_truncation_and_mangling_is_explained_or_refused_without_panic() {
        let log = WINDOWS_CUSTOM_ACTION_FAILURE;
        for end in (0..log.len()).filter(|&end| log.is_char_boundary(end)) {
            let _ = explain(&log[..end]);
        }
        let mangled: String = log.chars().rev().collect();
        let _ = explain(&mangled);
        let _ = explain(&log.replace(". Return value ", ". Return value x"));
        let _ = explain(&log.replace(": ", ""));
    }

    #[test]
    fn error_numbers_are_four_digits_followed_by_a_stop_or_colon() {
        assert_eq!(
            error_number("Error 1925. You do not have sufficient privileges"),
            Some(1925)
        );
        assert_eq!(
            error_number("DEBUG: Error 2203:  Database: C:\\x.msi."),
            Some(2203)
        );
        assert_eq!(error_number("Error 19250 x"), None);
        assert_eq!(error_number("No Error here"), None);
    }
}
