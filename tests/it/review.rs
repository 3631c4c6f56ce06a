//! `inspect` and `diff` on our packages and wixl's, against msiinfo, msibuild, osslsigncode
//! and the payload's own bytes.

use crate::support::pki::TestPki;
use crate::support::{
    build_target, config_with_registry, msiinfo_rows, payload, require, run, sspr_msi, stderr,
    stdout,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn msiinfo(args: &[&str], msi: &Path) -> String {
    let output = run(Command::new("msiinfo")
        .arg(args[0])
        .arg(msi)
        .args(&args[1..])
        .current_dir(msi.parent().unwrap()));
    assert!(
        output.status.success(),
        "msiinfo {args:?}: {}",
        stderr(&output)
    );
    stdout(&output)
}

fn tables(msi: &Path) -> Vec<String> {
    msiinfo(&["tables"], msi)
        .lines()
        .filter(|name| !["_SummaryInformation", "_ForceCodepage"].contains(name))
        .map(str::to_string)
        .collect()
}

fn inspect_table(msi: &Path, table: &str) -> String {
    let output = run(sspr_msi().arg("inspect").arg(msi).args(["--table", table]));
    assert!(
        output.status.success(),
        "inspect --table {table}: {}",
        stderr(&output)
    );
    stdout(&output)
}

fn inspect_json(msi: &Path, extra: &[&Path]) -> serde_json::Value {
    let mut command = sspr_msi();
    command.arg("inspect").arg(msi).arg("--json");
    for anchor in extra {
        command.arg("--trust-anchor").arg(anchor);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "inspect: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn diff(old: &Path, new: &Path, options: &[&str]) -> Output {
    run(sspr_msi().arg("diff").arg(old).arg(new).args(options))
}

/// A wixl package from generated WiX: one file (`content`) and one registry value.
fn wixl_build(dir: &Path, name: &str, content: &str, value: &str) -> Option<PathBuf> {
    wixl_release(dir, name, content, value, "1.0.0")
}

/// Like `wixl_build`, at ProductVersion `version`.
fn wixl_release(
    dir: &Path,
    name: &str,
    content: &str,
    value: &str,
    version: &str,
) -> Option<PathBuf> {
    if !require("wixl") {
        return None;
    }
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("readme.txt"), content).unwrap();
    let source = format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Review Fixture" Language="1033" Version="{version}" Manufacturer="Fabrikam"
           UpgradeCode="{{8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E42}}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine" Platform="x64"/>
    <Media Id="1" Cabinet="files.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="APPDIR" Name="Review">
          <Component Id="Docs" Guid="{{5E6F7A8B-9C0D-4E1F-A2B3-C4D5E6F7A871}}" Win64="yes">
            <File Id="Readme" Source="readme.txt" KeyPath="yes"/>
            <RegistryValue Root="HKLM" Key="SOFTWARE\Fabrikam\Review" Name="Mode" Type="string" Value="{value}"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Docs"/></Feature>
  </Product>
</Wix>"#
    );
    std::fs::write(folder.join("review.wxs"), source).unwrap();
    let out = folder.join("review.msi");
    crate::support::wixl_build(&folder, Path::new("review.wxs"), "x64", &[], &out);
    Some(out)
}

/// Every table's `--table` output is `msiinfo export`'s, and msibuild imports it back into
/// a copy whose export is unchanged.
fn assert_tables_export_and_import(msi: &Path) {
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("copy.msi");
    std::fs::copy(msi, &copy).unwrap();
    for table in tables(msi) {
        let ours = inspect_table(msi, &table);
        assert_eq!(ours, msiinfo(&["export", &table], msi), "table {table}");
        let idt = copy_dir.path().join(format!("{table}.idt"));
        std::fs::write(&idt, &ours).unwrap();
        let output = run(Command::new("msibuild")
            .arg(&copy)
            .arg("-i")
            .arg(&idt)
            .current_dir(copy_dir.path()));
        assert!(
            output.status.success(),
            "msibuild -i {table}: {}",
            stderr(&output)
        );
        assert_eq!(
            msiinfo(&["export", &table], &copy),
            ours,
            "table {table} after msibuild imported it"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn inspect_table_is_msiinfo_export_and_msibuild_imports_it() {
    if !require("msiinfo") || !require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let config = payload::config(dir.path(), &[]);
    // win7 packages carry the credential provider: a File table and a cabinet.
    let ours = build_target(config.as_deref(), "win7-x64", dir.path());
    assert_tables_export_and_import(&ours);
    if let Some(theirs) = wixl_build(dir.path(), "wixl", "hello\n", "quiet") {
        assert_tables_export_and_import(&theirs);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn inspect_shows_cabinet_files_and_the_signature_as_other_tools_see_them() {
    if !require("msiinfo") || !require("osslsigncode") {
        return;
    }
    let Some(pki) = TestPki::new() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    let unsigned = build_target(Some(&config), "win7-x64", dir.path());
    let signed = dir.path().join("signed.msi");
    let url = crate::support::tsa::start(&pki, 2);
    crate::signing::osslsigncode_sign_with(&pki, &unsigned, &signed, &["-ts", &url]);
    let (verified, osslsigncode) =
        crate::signing::osslsigncode_verify(&signed, &pki.file("ca.pem"));
    assert!(verified, "{osslsigncode}");

    let report = inspect_json(&signed, &[&pki.file("ca.pem")]);
    let signature = &report["signature"];
    assert_eq!(signature["status"], "verified", "{signature:#}");
    let subject = signature["details"]["signer"]["subject"].as_str().unwrap();
    assert!(subject.contains("Contoso Code Signing"), "{subject}");
    assert!(
        osslsigncode.contains("Contoso Code Signing"),
        "{osslsigncode}"
    );
    assert!(
        signature["details"]["timestamp"].is_string(),
        "the TSA's time: {signature:#}"
    );
    // Without the anchor the signature is intact but its signer unchecked, as verify says.
    assert_eq!(inspect_json(&signed, &[])["signature"]["status"], "intact");

    let built = payload::built().unwrap();
    let file = &report["cabinets"][0]["files"][0];
    assert_eq!(report["cabinets"][0]["stream"], "sspr.cab", "{report:#}");
    assert_eq!(file["file_name"], "SsprTestCredProv.dll");
    assert_eq!(
        file["sha256"],
        payload::sha256_of(&payload::dll(built, "x64"))
    );
    assert_eq!(
        file["pe_version"], "1.2.3.4",
        "payload/credprov's version resource"
    );
    assert_eq!(file["file_version"], msiinfo_rows(&signed, "File")[0][4]);
    assert!(file["is_pe"].as_bool().unwrap());
    for table in report["tables"].as_array().unwrap() {
        let name = table["name"].as_str().unwrap();
        assert_eq!(
            table["rows"].as_u64().unwrap() as usize,
            msiinfo_rows(&signed, name).len(),
            "{name}"
        );
    }
    let streams = msiinfo(&["streams"], &signed);
    for stream in report["streams"].as_array().unwrap() {
        let name = stream["name"].as_str().unwrap();
        if !name.starts_with('\u{5}') {
            assert!(streams.lines().any(|line| line == name), "{name}");
        }
    }

    // The same package, changed after signing: the signature no longer verifies.
    let mut bytes = std::fs::read(&signed).unwrap();
    let tampered = dir.path().join("tampered.msi");
    let cabinet = bytes.windows(4).position(|w| w == b"MSCF").unwrap();
    bytes[cabinet + 200] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();
    let report = inspect_json(&tampered, &[&pki.file("ca.pem")]);
    assert_eq!(report["signature"]["status"], "invalid", "{report:#}");
}

#[test]
fn two_builds_of_one_configuration_are_equal_and_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let first = build_target(None, "win10-x64", &dir.path().join("a"));
    let second = build_target(None, "win10-x64", &dir.path().join("b"));
    let output = diff(&first, &second, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("equal: the files are byte-identical"));
}

#[test]
fn a_changed_registry_value_is_named_and_version_codes_can_be_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let registry = |value: &str| {
        format!(
            "[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\nname = \"Mode\"\ntype = \"string\"\nvalue = \"{value}\"\n"
        )
    };
    let (old_dir, new_dir) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old_dir).unwrap();
    std::fs::create_dir_all(&new_dir).unwrap();
    let old_config = config_with_registry(&old_dir, &registry("quiet"));
    let new_config = config_with_registry(&new_dir, &registry("loud"));
    let text = std::fs::read_to_string(&new_config).unwrap().replacen(
        "version = \"1.0.0\"",
        "version = \"1.1.0\"",
        1,
    );
    std::fs::write(&new_config, text).unwrap();
    let old = build_target(Some(&old_config), "win10-x64", &old_dir);
    let new = build_target(Some(&new_config), "win10-x64", &new_dir);

    let output = diff(&old, &new, &["--json"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let changed_properties: Vec<&str> = table(&report, "Property")["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["key"][0].as_str().unwrap())
        .collect();
    assert!(
        changed_properties.contains(&"ProductCode"),
        "{changed_properties:?}"
    );
    assert!(
        changed_properties.contains(&"ProductVersion"),
        "{changed_properties:?}"
    );

    let output = diff(&old, &new, &["--json", "--ignore-version-codes"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let tables: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    assert_eq!(tables, ["Registry"], "{report:#}");
    let cell = &table(&report, "Registry")["changed"][0]["cells"][0];
    assert_eq!(
        (cell["old"].as_str(), cell["new"].as_str()),
        (Some("quiet"), Some("loud"))
    );
    let summary: Vec<&str> = report["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!summary.contains(&"RevisionNumber"), "{summary:?}");

    let text = stdout(&diff(&old, &new, &["--ignore-version-codes"]));
    assert!(text.contains("`quiet` → `loud`"), "{text}");
}

fn table<'r>(report: &'r serde_json::Value, name: &str) -> &'r serde_json::Value {
    report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["table"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn wixl_builds_differ_in_the_file_and_the_registry_value_only() {
    let dir = tempfile::tempdir().unwrap();
    let Some(old) = wixl_build(dir.path(), "old", "first text\n", "quiet") else {
        return;
    };
    let new = wixl_build(dir.path(), "new", "second, longer text\n", "loud").unwrap();
    let output = diff(&old, &new, &["--json", "--ignore-version-codes"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let registry = &table(&report, "Registry")["changed"][0]["cells"][0];
    assert_eq!(registry["new"], "loud");
    let file = &table(&report, "File")["changed"][0]["cells"];
    assert!(
        file.as_array()
            .unwrap()
            .iter()
            .any(|c| c["column"] == "FileSize"),
        "{file:#}"
    );
    let files = report["cabinet_files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:#?}");
    assert_eq!(files[0]["name"], "files.cab/Readme");
    assert_eq!(files[0]["new"]["size"], 20);
    assert!(
        report["tables"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| ["Registry", "File", "MsiFileHash"].contains(&t["table"].as_str().unwrap())),
        "{report:#}"
    );
}

#[test]
fn a_rewritten_package_with_equal_content_names_what_in_its_layout_differs() {
    let dir = tempfile::tempdir().unwrap();
    let original = build_target(None, "win10-x64", dir.path());
    let rewritten = dir.path().join("rewritten.msi");
    std::fs::copy(&original, &rewritten).unwrap();
    // The msi crate reads and writes the whole file back: same tables, other bytes.
    let mut package = msi::open_rw(&rewritten).unwrap();
    package.set_database_codepage(msi::CodePage::Windows1252);
    package.flush().unwrap();
    drop(package);
    assert_ne!(
        std::fs::read(&original).unwrap(),
        std::fs::read(&rewritten).unwrap()
    );
    let output = diff(&original, &rewritten, &[]);
    let text = stdout(&output);
    assert!(text.starts_with("equal: tables equal"), "{text}");
    assert_eq!(output.status.code(), Some(0), "{text}");
}

#[test]
fn an_unreadable_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let good = build_target(None, "win10-x64", dir.path());
    let junk = dir.path().join("junk.msi");
    std::fs::write(&junk, b"not an msi").unwrap();
    let output = diff(&good, &junk, &[]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("junk.msi"), "{}", stderr(&output));
    let output = run(sspr_msi().arg("inspect").arg(&junk));
    assert_eq!(output.status.code(), Some(4));
    let output = run(sspr_msi()
        .arg("inspect")
        .arg(&good)
        .args(["--table", "Nope"]));
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("no table `Nope`"),
        "{}",
        stderr(&output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn verify_with_a_baseline_runs_the_upgrade_rules_on_wixl_releases() {
    let dir = tempfile::tempdir().unwrap();
    let Some(old) = wixl_release(dir.path(), "old", "text\n", "quiet", "1.0.0.1") else {
        return;
    };
    let new = wixl_release(dir.path(), "new", "text\n", "loud", "1.0.0.2").unwrap();
    let output = run(sspr_msi()
        .arg("verify")
        .arg(&new)
        .arg("--baseline")
        .arg(&old)
        .arg("--json"));
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = report["packages"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["id"].as_str().unwrap())
        .collect();
    // The 4th field is all that changed, and wixl writes no newer-version refusal.
    assert!(ids.contains(&"UPG003"), "{ids:?}");
    assert!(ids.contains(&"UPG007"), "{ids:?}");
    assert!(!ids.contains(&"UPG004"), "{ids:?}");
    let catalogue: Vec<&str> = report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rule| rule["id"].as_str().unwrap())
        .collect();
    assert!(catalogue.contains(&"UPG008"), "{catalogue:?}");
}
