//! `verify --format junit`: the report as JUnit XML, which CI test dashboards read. A suite
//! per package; in it a test case per rule of the catalogue and per simulated profile. An
//! error finding, an install outside the target or residue is a failure carrying the
//! messages; warnings and refusals are the passing case's output, as they do not fail
//! `verify` either.

use super::markup::escape;
use super::report::{PackageReport, ProfileResult, VerifyReport};
use super::text::outcome_words;
use msikit::rules::{Finding, Rule, Severity};
use std::fmt::Write;

/// One `<testcase>`: its name, the failure (if any) and what it printed.
struct Case {
    class: String,
    name: String,
    failure: Option<(String, String)>,
    output: String,
}

/// The report as a JUnit XML document.
pub fn render(report: &VerifyReport) -> String {
    let suites: Vec<(String, Vec<Case>)> = report
        .packages
        .iter()
        .map(|package| {
            (
                package.file.display().to_string(),
                cases(report.rules, package),
            )
        })
        .collect();
    let tests: usize = suites.iter().map(|(_, cases)| cases.len()).sum();
    let failures: usize = suites.iter().map(|(_, cases)| failed(cases)).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sspr-msi verify\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\">"
    );
    for (name, cases) in &suites {
        render_suite(name, cases, &mut out);
    }
    out.push_str("</testsuites>\n");
    out
}

fn failed(cases: &[Case]) -> usize {
    cases.iter().filter(|case| case.failure.is_some()).count()
}

fn cases(catalogue: &[Rule], package: &PackageReport) -> Vec<Case> {
    let class = package.file.display().to_string();
    let mut cases: Vec<Case> = catalogue
        .iter()
        .map(|rule| rule_case(&class, rule, &package.findings))
        .collect();
    cases.extend(
        package
            .simulations
            .iter()
            .map(|result| profile_case(&class, result)),
    );
    cases
}

fn rule_case(class: &str, rule: &Rule, findings: &[Finding]) -> Case {
    let found: Vec<&Finding> = findings.iter().filter(|f| f.id == rule.id).collect();
    let lines = |severity: Severity| -> Vec<&str> {
        found
            .iter()
            .filter(|f| f.severity == severity)
            .map(|f| f.message.as_str())
            .collect()
    };
    let errors = lines(Severity::Error);
    let failure = (!errors.is_empty()).then(|| (errors[0].to_string(), errors.join("\n")));
    let output = lines(Severity::Warning)
        .iter()
        .map(|message| format!("warning: {message}\n"))
        .collect();
    Case {
        class: format!("{class}.rules"),
        name: format!("{} {}", rule.id, rule.name()),
        failure,
        output,
    }
}

fn profile_case(class: &str, result: &ProfileResult) -> Case {
    let prediction = &result.prediction;
    let (outcome, message) = outcome_words(result);
    let mut problems: Vec<String> = prediction
        .residue
        .iter()
        .map(|leftover| format!("residue: {} ({})", leftover.item, leftover.reason))
        .collect();
    if result.unexpected_install {
        problems.insert(0, "installs outside the package's target".to_string());
    }
    let failure = (!problems.is_empty()).then(|| (problems[0].clone(), problems.join("\n")));
    let mut output = format!(
        "{outcome}; {} registry values, {} files written\n",
        prediction.registry.len(),
        prediction.files.len()
    );
    if !message.is_empty() {
        let _ = writeln!(output, "{message}");
    }
    Case {
        class: format!("{class}.profiles"),
        name: prediction.profile.clone(),
        failure,
        output,
    }
}

fn render_suite(name: &str, cases: &[Case], out: &mut String) {
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        escape(name),
        cases.len(),
        failed(cases)
    );
    for case in cases {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            escape(&case.class),
            escape(&case.name)
        );
        if let Some((message, details)) = &case.failure {
            let _ = write!(
                out,
                "\n      <failure message=\"{}\" type=\"verify\">{}</failure>",
                escape(message),
                escape(details)
            );
        }
        if !case.output.is_empty() {
            let _ = write!(
                out,
                "\n      <system-out>{}</system-out>",
                escape(&case.output)
            );
        }
        let close = match case.failure.is_some() || !case.output.is_empty() {
            true => "\n    </testcase>\n",
            false => "</testcase>\n",
        };
        out.push_str(close);
    }
    out.push_str("  </testsuite>\n");
}
