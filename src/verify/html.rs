//! `verify --format html`: one self-contained page (inline CSS, no script, nothing fetched)
//! with the package × profile matrix coloured by outcome, each cell's details (values
//! written, residue, messages) in a `<details>` element, and each package's findings and
//! signatures. Every string from a package is escaped.

use super::markup::escape;
use super::report::{PackageReport, ProfileResult, VerifyReport};
use super::text::{outcome_words, signature_line};
use msikit::formatted::deformat::WrittenData;
use msikit::simulate::Prediction;
use std::fmt::Write;

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top;text-align:left}\
th{background:#eee}\
td.installs{background:#c8efc8}td.refused{background:#e4e4e4}\
td.unexpected,td.residue{background:#f7b4b4}td.none{background:#fff}\
td.error{color:#a00;font-weight:bold}td.warning{color:#a60}\
details summary{cursor:pointer}code{font-size:12px;word-break:break-all}\
ul{margin:.2em 0;padding-left:1.2em}";

/// The report as an HTML page.
pub fn render(report: &VerifyReport) -> String {
    let mut out =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<title>sspr-msi verify</title>\n<style>{STYLE}</style>\n</head>\n<body>"
    );
    let summary = &report.summary;
    let _ = writeln!(
        out,
        "<h1>sspr-msi verify</h1>\n<p id=\"summary\">{} packages, {} errors, {} warnings, {} problems</p>",
        summary.packages, summary.errors, summary.warnings, summary.problems
    );
    render_matrix(report, &mut out);
    for (index, package) in report.packages.iter().enumerate() {
        render_package(index, package, &mut out);
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// Profile names in the order they first appear.
fn profile_names(report: &VerifyReport) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for result in report.packages.iter().flat_map(|p| &p.simulations) {
        let name = result.prediction.profile.as_str();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

fn render_matrix(report: &VerifyReport, out: &mut String) {
    let profiles = profile_names(report);
    if profiles.is_empty() {
        out.push_str("<p>No simulation (give --simulate or --profile).</p>\n");
        return;
    }
    out.push_str("<h2>Package × profile</h2>\n<table id=\"matrix\">\n<tr><th>package</th>");
    for profile in &profiles {
        let _ = write!(out, "<th>{}</th>", escape(profile));
    }
    out.push_str("</tr>\n");
    for (index, package) in report.packages.iter().enumerate() {
        let _ = write!(
            out,
            "<tr><th><a href=\"#package-{index}\">{}</a><br>{}</th>",
            escape(&package.file.display().to_string()),
            escape(package.target.as_deref().unwrap_or("unknown target"))
        );
        for profile in &profiles {
            match package
                .simulations
                .iter()
                .find(|r| r.prediction.profile == *profile)
            {
                Some(result) => render_cell(result, out),
                None => out.push_str("<td class=\"none\">—</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}

/// The cell's class: what colours it.
fn cell_class(result: &ProfileResult) -> &'static str {
    if result.unexpected_install {
        "unexpected"
    } else if !result.prediction.residue.is_empty() {
        "residue"
    } else if result.prediction.outcome == msikit::simulate::LaunchOutcome::Installs {
        "installs"
    } else {
        "refused"
    }
}

fn render_cell(result: &ProfileResult, out: &mut String) {
    let (outcome, message) = outcome_words(result);
    let prediction = &result.prediction;
    let _ = write!(
        out,
        "<td class=\"{}\"><b>{outcome}</b><details><summary>details</summary>",
        cell_class(result)
    );
    if !message.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(&message));
    }
    render_written(prediction, out);
    out.push_str("</details></td>");
}

fn render_written(prediction: &Prediction, out: &mut String) {
    let values: Vec<String> = prediction
        .registry
        .iter()
        .map(|write| format!("{} = {}", write.display_key(), shown(&write.data)))
        .collect();
    let files: Vec<String> = prediction.files.iter().map(|f| f.path.clone()).collect();
    let leftover = |items: &[msikit::simulate::Leftover]| -> Vec<String> {
        items
            .iter()
            .map(|l| format!("{} ({})", l.item, l.reason))
            .collect()
    };
    for (title, items) in [
        ("values written", values),
        ("files", files),
        ("permanent", leftover(&prediction.permanent)),
        ("residue", leftover(&prediction.residue)),
        ("not simulated", prediction.unsimulated.clone()),
    ] {
        if items.is_empty() {
            continue;
        }
        let _ = write!(out, "<p>{title}:</p><ul>");
        for item in items {
            let _ = write!(out, "<li><code>{}</code></li>", escape(&item));
        }
        out.push_str("</ul>");
    }
}

fn shown(data: &WrittenData) -> String {
    match data {
        WrittenData::String(text) => format!("\"{text}\""),
        WrittenData::ExpandString(text) => format!("expand \"{text}\""),
        WrittenData::MultiString(items) => format!("multi {items:?}"),
        WrittenData::Dword(value) => format!("dword {value}"),
        WrittenData::Binary(bytes) => format!("binary {}", msikit::hex::hex(bytes)),
        WrittenData::KeyOnly => "(key)".to_string(),
        WrittenData::KeyKept => "(key, kept at uninstall)".to_string(),
    }
}

fn render_package(index: usize, package: &PackageReport, out: &mut String) {
    let _ = writeln!(
        out,
        "<h2 id=\"package-{index}\">{}</h2>\n<p>target {}, platform {}</p>",
        escape(&package.file.display().to_string()),
        escape(package.target.as_deref().unwrap_or("unknown")),
        escape(package.platform.as_deref().unwrap_or("missing"))
    );
    if !package.signatures.is_empty() {
        out.push_str("<ul class=\"signatures\">");
        for signature in &package.signatures {
            let _ = write!(out, "<li>{}</li>", escape(&signature_line(signature)));
        }
        out.push_str("</ul>\n");
    }
    if package.findings.is_empty() {
        out.push_str("<p>No findings.</p>\n");
        return;
    }
    out.push_str("<table class=\"findings\">\n<tr><th>severity</th><th>rule</th><th>where</th><th>message</th></tr>\n");
    for finding in &package.findings {
        let severity = format!("{:?}", finding.severity).to_lowercase();
        let place = finding
            .location
            .as_ref()
            .map(|row| format!("{}/{}", row.table, row.row))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "<tr><td class=\"{severity}\">{severity}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(finding.id),
            escape(&place),
            escape(&finding.message)
        );
    }
    out.push_str("</table>\n");
}
