//! Our packages read back by tools we did not write: msiinfo, msidump, osslsigncode.

use crate::reader::{assert_same_export, idt};
use crate::support::{
    build_target, config_with_registry, msiinfo_rows, require, run, stderr, stdout,
};
use std::path::Path;
use std::process::Command;

fn suminfo(msi: &Path) -> String {
    let output = run(Command::new("msiinfo").arg("suminfo").arg(msi));
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output)
}

fn property(msi: &Path, name: &str) -> Option<String> {
    msiinfo_rows(msi, "Property")
        .into_iter()
        .find(|row| row[0] == name)
        .map(|row| row[1].clone())
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn summary_information_is_complete_for_x64_and_x86() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (target, template) in [
        ("win10-x64", "x64;1033"),
        ("win11-x64", "x64;1033"),
        ("win10-x86", "Intel;1033"),
    ] {
        let msi = build_target(None, target, dir.path());
        let info = suminfo(&msi);
        for expected in [
            format!("Template: {template}"),
            "Version: 200".to_string(),
            "Source: 2".to_string(),
            "Title: Installation Database".to_string(),
            "Author: Contoso IT".to_string(),
            "Subject: Entra SSPR at Windows sign-in".to_string(),
            "Comments: Enables Microsoft Entra".to_string(),
            "Application: sspr-msi".to_string(),
            "Security: 2".to_string(),
        ] {
            assert!(
                info.contains(&expected),
                "{target}: no `{expected}` in\n{info}"
            );
        }
        let revision = info
            .lines()
            .find_map(|l| l.strip_prefix("Revision number (UUID): "))
            .unwrap();
        assert_eq!(revision.len(), 38, "{info}");
        assert_ne!(
            Some(revision.to_string()),
            property(&msi, "ProductCode"),
            "package code must differ from product code"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn required_properties_and_per_machine_install() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let required = msikit::rules::REQUIRED_PROPERTIES;
    for &name in required.iter().chain(&["UpgradeCode"]) {
        assert!(
            property(&msi, name).is_some_and(|v| !v.is_empty()),
            "{name}"
        );
    }
    assert_eq!(property(&msi, "ALLUSERS").as_deref(), Some("1"));
    assert_eq!(property(&msi, "ProductVersion").as_deref(), Some("1.0.0"));
    assert_eq!(property(&msi, "ProductLanguage").as_deref(), Some("1033"));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn policy_value_is_a_dword_in_a_64bit_component() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for (target, bit64) in [("win10-x64", true), ("win10-x86", false)] {
        let msi = build_target(None, target, dir.path());
        let registry = msiinfo_rows(&msi, "Registry");
        let row = registry
            .iter()
            .find(|r| r[3] == "AllowPasswordReset")
            .expect("AllowPasswordReset row");
        assert_eq!(row[1], "2", "HKLM");
        assert_eq!(row[2], r"SOFTWARE\Policies\Microsoft\AzureADAccount");
        assert_eq!(row[4], "#1");
        for component in msiinfo_rows(&msi, "Component") {
            let attributes: i32 = component[3].parse().unwrap();
            assert_eq!(attributes & 256 != 0, bit64, "{target} {component:?}");
        }
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn os_detection_reads_the_registry_not_version_nt_alone() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win11-x64", dir.path());
    let locators = msiinfo_rows(&msi, "RegLocator");
    let major = locators
        .iter()
        .find(|r| r[3] == "CurrentMajorVersionNumber")
        .unwrap();
    assert_eq!(major[2], r"SOFTWARE\Microsoft\Windows NT\CurrentVersion");
    assert_eq!(major[4], "18", "raw value (2) from the 64-bit view (16)");
    let conditions: Vec<String> = msiinfo_rows(&msi, "LaunchCondition")
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(
        conditions
            .iter()
            .any(|c| c.contains("SSPR_WINBUILD >= 22000")),
        "{conditions:?}"
    );
    assert!(
        conditions.iter().all(|c| !c.contains("1000")),
        "{conditions:?}"
    );
    let sequence = msiinfo_rows(&msi, "InstallExecuteSequence");
    let at = |action: &str| {
        sequence
            .iter()
            .find(|r| r[0] == action)
            .map(|r| r[2].parse::<i32>().unwrap())
            .unwrap()
    };
    assert!(at("AppSearch") < at("LaunchConditions"));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msidump_dumps_every_table_as_msiinfo_exports_it_and_our_reader_reads_it() {
    if !require("msidump") || !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let dump = dir.path().join("dump");
    std::fs::create_dir(&dump).unwrap();
    // msidump runs `msiinfo export` in its current folder, which gets a table's streams.
    let output = run(Command::new("msidump")
        .arg("-t")
        .arg("-d")
        .arg(&dump)
        .arg(&msi)
        .current_dir(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let tables = run(Command::new("msiinfo").arg("tables").arg(&msi));
    let mut expected: Vec<String> = stdout(&tables)
        .lines()
        .map(|table| format!("{table}.idt"))
        .collect();
    expected.sort();
    let mut dumped: Vec<String> = std::fs::read_dir(&dump)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    dumped.sort();
    assert_eq!(dumped, expected);
    let bytes = std::fs::read(&msi).unwrap();
    let database = msikit::read::read(&bytes).unwrap();
    for table in &database.tables {
        let dumped = std::fs::read_to_string(dump.join(format!("{}.idt", table.name))).unwrap();
        let exported = run(Command::new("msiinfo")
            .arg("export")
            .arg(&msi)
            .arg(&table.name)
            .current_dir(dir.path()));
        assert_eq!(dumped, stdout(&exported), "table {}", table.name);
        assert_same_export(&idt(table), &dumped, &format!("table {}", table.name));
    }
    // The tables SSPR needs are among them, with rows.
    for table in [
        "Property",
        "Registry",
        "Component",
        "LaunchCondition",
        "AppSearch",
    ] {
        assert!(
            database
                .tables
                .iter()
                .any(|t| t.name == table && !t.rows.is_empty()),
            "{table}"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn osslsigncode_can_open_the_compound_file() {
    if !require("osslsigncode") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let output = run(Command::new("osslsigncode")
        .arg("verify")
        .arg("-in")
        .arg(&msi));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    // Unsigned, so verification fails, but only after the file was read as an MSI.
    assert!(text.contains("MSI file has no signature"), "{text}");
    assert!(
        !text.contains("mini sector") && !text.contains("Unrecognized file type"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn literal_registry_strings_are_escaped_in_the_table() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let extra = "[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\nname = \"Literal\"\ntype = \"string\"\nvalue = \"#[x]{y}\"\n";
    let config = config_with_registry(dir.path(), extra);
    let msi = build_target(Some(&config), "win10-x64", dir.path());
    let registry = msiinfo_rows(&msi, "Registry");
    let row = registry.iter().find(|r| r[3] == "Literal").unwrap();
    assert_eq!(row[4], r"##[\[]x[\]][\{]y[\}]");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn arm64_packages_are_arm64_templates_for_installer_5_with_64bit_components() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for target in ["win10-arm64", "win11-arm64"] {
        let msi = build_target(None, target, dir.path());
        let info = suminfo(&msi);
        assert!(info.contains("Template: Arm64;1033"), "{target}: {info}");
        assert!(info.contains("Version: 500"), "{target}: {info}");
        assert!(
            info.contains(&format!("Keywords: Installer; SSPR; {target}")),
            "{info}"
        );
        let components = msiinfo_rows(&msi, "Component");
        assert!(!components.is_empty(), "{target}");
        for component in components {
            let attributes: i32 = component[3].parse().unwrap();
            assert_ne!(attributes & 256, 0, "{target}: {component:?} is not 64-bit");
        }
        // The OS searches read the 64-bit view (RegLocator type 2 | 16).
        for locator in msiinfo_rows(&msi, "RegLocator") {
            assert_eq!(locator[4], "18", "{target}: {locator:?}");
        }
    }
}
