//! The documents the commands write, each checked by a reader nobody here wrote: every JSON
//! document against its schema in `docs/schema/` (Python `jsonschema`), SARIF against the
//! SARIF 2.1.0 schema Microsoft's npm package ships, JUnit XML with `junitparser` and
//! `xmllint`, and the HTML page in a headless Chromium (DOM and screenshot).

use crate::support::{
    build_target, in_ci, pki::TestPki, require, require_python_module, run, sspr_msi, stderr,
    stdout, wixl_package,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repository() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file `scripts/test.sh` installs under `target/`; `None` (a failure in CI) when absent.
fn installed(relative: &str) -> Option<PathBuf> {
    let path = repository().join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "{} is missing: scripts/test.sh installs it",
        path.display()
    );
    eprintln!(
        "SKIPPED: {} is missing (scripts/test.sh installs it)",
        path.display()
    );
    None
}

fn verify(args: &[&str], files: &[&Path]) -> Output {
    run(sspr_msi().arg("verify").args(args).args(files))
}

/// Runs `python3 tests/fixtures/reports/SCRIPT args…` and returns its output.
fn python(script: &str, args: &[&Path], pythonpath: Option<&Path>) -> Output {
    let mut command = Command::new("python3");
    command
        .arg(repository().join("tests/fixtures/reports").join(script))
        .args(args);
    if let Some(path) = pythonpath {
        command.env("PYTHONPATH", path);
    }
    run(&mut command)
}

/// Fails with the validator's messages unless every document matches `schema`.
fn assert_valid(schema: &Path, documents: &[&Path]) {
    let output = python("validate_json.py", &[&[schema], documents].concat(), None);
    assert!(
        output.status.success(),
        "{} rejects them:\n{}{}",
        schema.display(),
        stdout(&output),
        stderr(&output)
    );
}

fn save(dir: &Path, name: &str, output: &Output) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, &output.stdout).unwrap();
    path
}

fn schema(name: &str) -> PathBuf {
    repository().join(format!("docs/schema/{name}.schema.json"))
}

fn fixtures(folder: &str, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(repository().join("tests/fixtures").join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == extension))
            .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn every_json_document_matches_its_schema_in_docs() {
    if !require_python_module("jsonschema") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dist");
    let build = run(sspr_msi()
        .args([
            "build",
            "--json",
            "--bundle",
            "--target",
            "win10-x64",
            "--target",
            "win11-arm64",
        ])
        .arg("--out")
        .arg(&out));
    assert!(build.status.success(), "{}", stderr(&build));
    let built: Value = serde_json::from_slice(&build.stdout).unwrap();
    assert_eq!(built["schema_version"], 1);
    assert!(built["bundle"].as_str().unwrap().ends_with(".zip"));
    let build_json = save(dir.path(), "build.json", &build);
    assert_valid(&schema("build"), &[&build_json]);

    let packages: Vec<PathBuf> = built["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| PathBuf::from(package["file"].as_str().unwrap()))
        .collect();
    let files: Vec<&Path> = packages.iter().map(PathBuf::as_path).collect();
    let verified = verify(&["--json", "--simulate"], &files);
    assert_eq!(verified.status.code(), Some(0), "{}", stderr(&verified));
    let report: Value = serde_json::from_slice(&verified.stdout).unwrap();
    let cell = &report["packages"][0]["simulations"][0];
    assert_eq!(cell["outcome"]["result"], "refused", "{cell}");
    assert!(cell["outcome"]["messages"][0].is_string(), "{cell}");
    assert_eq!(report["summary"]["packages"], 2);
    assert_valid(
        &schema("verify"),
        &[&save(dir.path(), "verify.json", &verified)],
    );

    let mut documents = Vec::new();
    for (index, file) in fixtures("doctor", "reg").iter().enumerate() {
        let output = run(sspr_msi().arg("doctor").arg("--json").arg(file));
        documents.push(save(dir.path(), &format!("doctor-{index}.json"), &output));
    }
    let documents: Vec<&Path> = documents.iter().map(PathBuf::as_path).collect();
    assert!(documents.len() > 5);
    assert_valid(&schema("doctor"), &documents);

    let mut documents = Vec::new();
    for (index, file) in fixtures("explain", "log").iter().enumerate() {
        let output = run(sspr_msi().arg("explain").arg("--json").arg(file));
        documents.push(save(dir.path(), &format!("explain-{index}.json"), &output));
    }
    let documents: Vec<&Path> = documents.iter().map(PathBuf::as_path).collect();
    assert!(documents.len() > 5);
    assert_valid(&schema("explain"), &documents);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn verify_json_names_the_signer_and_the_anchor_it_chains_to() {
    let Some(pki) = TestPki::new() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--json", "--target", "win10-x64", "--out"])
        .arg(dir.path())
        .arg("--sign-cert")
        .arg(pki.file("signer.pem"))
        .arg("--sign-key")
        .arg(pki.file("signer.key")));
    assert!(output.status.success(), "{}", stderr(&output));
    let built: Value = serde_json::from_slice(&output.stdout).unwrap();
    let msi = PathBuf::from(built["packages"][0]["file"].as_str().unwrap());
    let anchor = pki.file("ca.pem");
    let trusted = verify(
        &["--json", "--trust-anchor", anchor.to_str().unwrap()],
        &[&msi],
    );
    assert_eq!(trusted.status.code(), Some(0), "{}", stdout(&trusted));
    let report: Value = serde_json::from_slice(&trusted.stdout).unwrap();
    let signature = &report["packages"][0]["signatures"][0];
    assert_eq!(signature["subject"], "package");
    assert_eq!(signature["status"], "trusted");
    let signer = &signature["signer"];
    assert!(signer["subject"]
        .as_str()
        .unwrap()
        .contains("CN=Contoso Code Signing"));
    assert!(signer["anchor"]["subject"]
        .as_str()
        .unwrap()
        .contains("CN=sspr-msi test CA"));
    // What openssl says the anchor's SHA-1 thumbprint is.
    let fingerprint = run(Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha1", "-in"])
        .arg(&anchor));
    let thumbprint = stdout(&fingerprint)
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .replace(':', "");
    assert_eq!(signer["anchor"]["thumbprint"], thumbprint.as_str());
    let text = stdout(&verify(
        &["--trust-anchor", anchor.to_str().unwrap()],
        &[&msi],
    ));
    assert!(
        text.contains("package: trusted, signed by")
            && text.contains("chains to CN=sspr-msi test CA"),
        "{text}"
    );

    let unchecked = verify(&["--json"], &[&msi]);
    let report: Value = serde_json::from_slice(&unchecked.stdout).unwrap();
    let signature = &report["packages"][0]["signatures"][0];
    assert_eq!(signature["status"], "intact");
    assert!(signature["signer"]["subject"]
        .as_str()
        .unwrap()
        .contains("Contoso Code Signing"));
    assert!(signature["signer"].get("anchor").is_none(), "{signature}");

    let other = pki.file("other-ca.pem");
    let untrusted = verify(
        &["--json", "--trust-anchor", other.to_str().unwrap()],
        &[&msi],
    );
    assert_eq!(untrusted.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&untrusted.stdout).unwrap();
    let signature = &report["packages"][0]["signatures"][0];
    assert_eq!(signature["status"], "invalid");
    assert!(
        signature["problem"].as_str().unwrap().contains("untrusted"),
        "{signature}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sarif_validates_against_the_published_sarif_2_1_0_schema() {
    if !require_python_module("jsonschema") {
        return;
    }
    let Some(sarif_schema) = installed(
        "target/npm-deps/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json",
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    let sarif = dir.path().join("report.sarif");
    let output = verify(
        &[
            "--format",
            "sarif",
            "--profile",
            "wine-win10",
            "--out",
            sarif.to_str().unwrap(),
        ],
        &[&msi],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        output.stdout.is_empty(),
        "--out takes the report off stdout"
    );
    assert_valid(&sarif_schema, &[&sarif]);
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ice03 = rules.iter().find(|rule| rule["id"] == "ICE03").unwrap();
    assert_eq!(ice03["name"], "ColumnTypesAndKeys");
    assert_eq!(ice03["defaultConfiguration"]["level"], "error");
    assert!(ice03["help"]["text"]
        .as_str()
        .unwrap()
        .contains("foreign key"));
    let results = run["results"].as_array().unwrap();
    let per_user = results
        .iter()
        .find(|result| result["ruleId"] == "GPO002")
        .unwrap();
    assert_eq!(per_user["level"], "warning");
    assert_eq!(
        rules[per_user["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "GPO002"
    );
    let location = &per_user["locations"][0];
    assert!(location["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .ends_with("registry-per-machine.msi"));
    let logical = &location["logicalLocations"][0];
    assert!(
        logical["fullyQualifiedName"]
            .as_str()
            .unwrap()
            .starts_with("Registry/"),
        "{logical}"
    );
    assert_eq!(results.len(), 2, "a result per finding: {results:#?}");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn junit_reads_in_junitparser_with_a_suite_per_package_and_failures_with_messages() {
    if !require("xmllint") || !require("python3") {
        return;
    }
    let Some(deps) = installed("target/python-deps/junitparser") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(broken) = wixl_package("versionnt-1000", dir.path()) else {
        return;
    };
    let clean = build_target(None, "win10-x64", dir.path());
    let profiles = ["--profile", "win10-22h2-x64", "--profile", "win11-x64"];
    let output = verify(
        &[&["--format", "junit"][..], &profiles].concat(),
        &[&clean, &broken],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let xml = save(dir.path(), "junit.xml", &output);
    let wellformed = run(Command::new("xmllint").arg("--noout").arg(&xml));
    assert!(wellformed.status.success(), "{}", stderr(&wellformed));
    let read = python("junit_read.py", &[&xml], deps.parent());
    assert!(read.status.success(), "{}", stderr(&read));
    let read: Value = serde_json::from_slice(&read.stdout).unwrap();
    let suites = read["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 2, "a suite per package");
    let rule_count = msikit::rules::RULES.len();
    for suite in suites {
        assert_eq!(
            suite["tests"],
            rule_count + 2,
            "a case per rule and per profile"
        );
    }
    assert_eq!(suites[0]["failures"], 0, "{}", suites[0]);
    let cases = suites[1]["cases"].as_array().unwrap();
    let sspr001 = cases
        .iter()
        .find(|case| case["name"] == "SSPR001 VersionNtComparedTo1000")
        .unwrap();
    assert!(
        sspr001["failure"].as_str().unwrap().contains("VersionNT"),
        "{sspr001}"
    );
    let profile = cases
        .iter()
        .find(|case| case["name"] == "win11-x64")
        .unwrap();
    assert!(
        profile["system_out"]
            .as_str()
            .unwrap()
            .starts_with("refused"),
        "{profile}"
    );
    assert_eq!(read["failures"], suites[1]["failures"]);
}

/// Chromium's flags for a headless run as root, offline, in a fresh profile.
fn chromium(profile: &Path) -> Command {
    let mut command = Command::new("chromium");
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()));
    command
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn html_report_renders_the_matrix_in_chromium_and_escapes_package_text() {
    if !require("chromium") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let hostile = format!(
        "{}\n[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\n\
         name = \"<script>document.title='owned'</script>\"\ntype = \"string\"\n\
         value = \"</td><script>document.body.innerHTML=''</script>\"\n",
        sspr_msi::config::DEFAULT_CONFIG
    );
    let config = dir.path().join("hostile.toml");
    std::fs::write(&config, hostile).unwrap();
    let hostile_msi = build_target(Some(&config), "win10-x64", &dir.path().join("hostile"));
    let plain = build_target(None, "win11-x64", dir.path());
    let page = dir.path().join("report.html");
    let output = verify(
        &[
            "--format",
            "html",
            "--simulate",
            "--out",
            page.to_str().unwrap(),
        ],
        &[&hostile_msi, &plain],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("&lt;script&gt;document.title"),
        "the name is shown, escaped"
    );
    assert!(
        !html.contains("<script"),
        "no script element: the page needs none"
    );

    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());
    let dom = run(chromium(profile.path()).arg("--dump-dom").arg(&url));
    assert!(dom.status.success(), "{}", stderr(&dom));
    let dom = stdout(&dom);
    assert!(!dom.contains("<script"), "no package text became markup");
    assert!(
        dom.contains("<title>sspr-msi verify</title>"),
        "the hostile script did not run"
    );
    let profiles = msikit::simulate::profile::built_in().len();
    let cells = dom.matches("<td class=\"installs\"").count()
        + dom.matches("<td class=\"refused\"").count();
    assert_eq!(cells, 2 * profiles, "every package × profile cell rendered");
    assert!(dom.contains("<td class=\"installs\""), "{dom}");
    assert!(dom.contains("<details><summary>details</summary>"));

    let png = dir.path().join("matrix.png");
    let shot = run(chromium(profile.path())
        .arg("--window-size=1600,900")
        .arg(format!("--screenshot={}", png.display()))
        .arg(&url));
    assert!(shot.status.success(), "{}", stderr(&shot));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
    assert!(
        bytes.len() > 10_000,
        "the screenshot shows a page, not a blank"
    );
}

#[test]
fn text_report_stays_within_120_columns_and_ends_with_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let profiles = dir.path().join("fleet.toml");
    std::fs::write(
        &profiles,
        format!(
            "[[profile]]\nname = \"{}\"\nbase = \"win10-22h2-x64\"\n\
             [[profile.registry]]\nkey = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\n\
             name = \"EditionID\"\nstring = \"CoreN\"\n",
            "kiosk-".repeat(30)
        ),
    )
    .unwrap();
    let output = verify(
        &["--simulate", "--profile-file", profiles.to_str().unwrap()],
        &[&msi],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    for line in text.lines() {
        assert!(
            line.chars().count() <= 120,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(
        text.contains("Home edition"),
        "long messages wrap, not vanish: {text}"
    );
    let last = text.lines().last().unwrap();
    assert_eq!(last, "summary: 1 package, 0 errors, 1 warning; 0 problems");
}

#[test]
fn json_and_format_json_are_the_same_and_must_agree() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win11-x64", dir.path());
    let json = verify(&["--json"], &[&msi]);
    let format = verify(&["--format", "json"], &[&msi]);
    let both = verify(&["--json", "--format", "json"], &[&msi]);
    assert_eq!(json.stdout, format.stdout);
    assert_eq!(json.stdout, both.stdout);
    let conflict = verify(&["--json", "--format", "sarif"], &[&msi]);
    assert_eq!(conflict.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&conflict).contains("--format sarif"),
        "{}",
        stderr(&conflict)
    );
}
