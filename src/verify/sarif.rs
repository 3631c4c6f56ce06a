//! `verify --format sarif`: the report as a SARIF 2.1.0 log, which code-scanning dashboards
//! read. The rule catalogue becomes the driver's rules, each finding a result located in the
//! package file and, where the rule knows it, at a table row (a logical location); the
//! simulation's problems (an install outside the target, residue) are results of two rules
//! of their own.

use super::report::{PackageReport, VerifyReport};
use msikit::rules::{Finding, Rule, Severity};
use serde_json::{json, Value};
use std::path::Path;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Problems the simulation finds, which no static rule of the catalogue reports.
const UNEXPECTED_INSTALL: (&str, &str, &str) = (
    "SIM001",
    "InstallOutsideTarget",
    "the package installs on a machine profile its own target (Windows family and architecture) excludes",
);
const RESIDUE: (&str, &str, &str) = (
    "SIM002",
    "UninstallResidue",
    "uninstall leaves something behind that the package did not mark permanent",
);

/// The report as a pretty-printed SARIF log.
pub fn render(report: &VerifyReport) -> String {
    let mut rules: Vec<Value> = report.rules.iter().map(catalogue_rule).collect();
    rules.extend([UNEXPECTED_INSTALL, RESIDUE].map(simulation_rule));
    let artifacts: Vec<Value> = report
        .packages
        .iter()
        .map(|package| json!({ "location": { "uri": file_uri(&package.file) } }))
        .collect();
    let mut results = Vec::new();
    for (index, package) in report.packages.iter().enumerate() {
        results.extend(package_results(report.rules, package, index));
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "sspr-msi",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "artifacts": artifacts,
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&log).expect("SARIF serialises")
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn catalogue_rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.name(),
        "shortDescription": { "text": rule.explanation },
        "help": { "text": rule.explanation },
        "defaultConfiguration": { "level": level(rule.severity) },
    })
}

fn simulation_rule((id, name, text): (&str, &str, &str)) -> Value {
    json!({
        "id": id,
        "name": name,
        "shortDescription": { "text": text },
        "help": { "text": text },
        "defaultConfiguration": { "level": "error" },
    })
}

fn package_results(catalogue: &[Rule], package: &PackageReport, artifact: usize) -> Vec<Value> {
    let uri = file_uri(&package.file);
    let physical = json!({ "artifactLocation": { "uri": uri, "index": artifact } });
    let mut results: Vec<Value> = package
        .findings
        .iter()
        .map(|finding| finding_result(catalogue, finding, &physical))
        .collect();
    let rule_count = catalogue.len();
    for result in &package.simulations {
        let profile = &result.prediction.profile;
        if result.unexpected_install {
            results.push(simulation_result(
                (UNEXPECTED_INSTALL.0, rule_count),
                format!("installs on profile `{profile}`, outside the package's target"),
                &physical,
                profile,
            ));
        }
        for leftover in &result.prediction.residue {
            results.push(simulation_result(
                (RESIDUE.0, rule_count + 1),
                format!(
                    "profile `{profile}`: uninstall leaves {} ({})",
                    leftover.item, leftover.reason
                ),
                &physical,
                profile,
            ));
        }
    }
    results
}

fn finding_result(catalogue: &[Rule], finding: &Finding, physical: &Value) -> Value {
    let mut location = json!({ "physicalLocation": physical });
    if let Some(row) = &finding.location {
        location["logicalLocations"] = json!([{
            "name": row.row,
            "fullyQualifiedName": format!("{}/{}", row.table, row.row),
            "kind": "object",
        }]);
    }
    let mut result = json!({
        "ruleId": finding.id,
        "level": level(finding.severity),
        "message": { "text": finding.message },
        "locations": [location],
    });
    if let Some(index) = catalogue.iter().position(|rule| rule.id == finding.id) {
        result["ruleIndex"] = json!(index);
    }
    result
}

fn simulation_result(
    (id, index): (&str, usize),
    message: String,
    physical: &Value,
    profile: &str,
) -> Value {
    json!({
        "ruleId": id,
        "ruleIndex": index,
        "level": "error",
        "message": { "text": message },
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{ "name": profile, "kind": "profile" }],
        }],
    })
}

/// The file as a URI reference: relative paths stay relative (as dashboards resolve them
/// against the checkout), absolute ones become `file://` URIs; anything outside the
/// unreserved characters and `/` is percent-encoded.
pub fn file_uri(file: &Path) -> String {
    let text = file.to_string_lossy().replace('\\', "/");
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte))
            }
            other => encoded.push_str(&format!("%{other:02X}")),
        }
    }
    match encoded.starts_with('/') {
        true => format!("file://{encoded}"),
        false => encoded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::report::{verify, VerifyOptions};
    use crate::verify::tests::read::package_bytes;

    #[test]
    fn an_install_outside_the_target_is_a_result_of_its_own_rule_at_the_profile() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("win10-x64.msi");
        std::fs::write(&file, package_bytes("win10-x64")).unwrap();
        // msiexec reports Windows 8 where the package's searches see Windows 10.
        let profiles = dir.path().join("fleet.toml");
        std::fs::write(
            &profiles,
            "[[profile]]\nname = \"odd\"\nbase = \"win10-22h2-x64\"\n\
             properties = { VersionNT = \"602\", VersionNT64 = \"602\" }\n",
        )
        .unwrap();
        let options = VerifyOptions {
            simulate: true,
            profile_files: vec![profiles],
            ..VerifyOptions::default()
        };
        let report = verify(&[file], &options).unwrap();
        let log: Value = serde_json::from_str(&render(&report)).unwrap();
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        let outside = results.iter().find(|r| r["ruleId"] == "SIM001").unwrap();
        let index = outside["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "SIM001");
        assert_eq!(
            outside["locations"][0]["logicalLocations"][0]["name"],
            "odd"
        );
        assert_eq!(outside["level"], "error");
    }

    #[test]
    fn file_uris_are_relative_or_file_urls_and_percent_encoded() {
        assert_eq!(file_uri(Path::new("dist/a b.msi")), "dist/a%20b.msi");
        assert_eq!(
            file_uri(Path::new("/builds/x#1.msi")),
            "file:///builds/x%231.msi"
        );
    }
}
