//! Same inputs, byte-identical packages: whatever the folder, clock or time zone.

use crate::support::{payload, require, run, sspr_msi, stderr};
use std::path::Path;
use std::process::Command;

fn build_all(command: &mut Command, dir: &Path) -> Vec<(String, Vec<u8>)> {
    let output = run(command.args(["build", "--out", "dist"]).current_dir(dir));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir.join("dist"))
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn builds_in_different_folders_time_zones_and_clocks_are_byte_identical() {
    if !require("faketime") {
        return;
    }
    let first_dir = tempfile::tempdir().unwrap();
    let second_dir = tempfile::tempdir().unwrap();
    let Some(()) = payload::stage_for_default_config(first_dir.path()) else {
        return;
    };
    payload::stage_for_default_config(second_dir.path());
    let first = build_all(sspr_msi().env("TZ", "UTC"), first_dir.path());
    let mut later = Command::new("faketime");
    later
        .arg("2031-07-04 23:59:59")
        .arg(env!("CARGO_BIN_EXE_sspr-msi"))
        .env("TZ", "Pacific/Kiritimati");
    let second = build_all(&mut later, second_dir.path());
    assert_eq!(first.len(), sspr_msi::target::ALL.len());
    assert_eq!(first, second);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn source_date_epoch_sets_the_summary_times() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win10-x64", "--out"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", "1000000000"));
    assert!(output.status.success());
    let msi = dir.path().join("sspr-win10-x64-1.0.0.msi");
    let info = run(Command::new("msiinfo")
        .arg("suminfo")
        .arg(&msi)
        .env("TZ", "UTC"));
    let text = String::from_utf8_lossy(&info.stdout);
    // 1,000,000,000 s after the epoch is 2001-09-09 01:46:40 UTC.
    assert!(text.contains("Created: Sun Sep  9 01:46:40 2001"), "{text}");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_package_is_the_same_built_alone_or_with_the_whole_matrix() {
    // A build reuses cabinets and empty table sets across its packages: what else is in the
    // build must not show in any package's bytes.
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = payload::stage_for_default_config(dir.path()) else {
        return;
    };
    let matrix = build_all(&mut sspr_msi(), dir.path());
    for target in ["win7-x64", "win81-x86", "win10-x64"] {
        let alone = tempfile::tempdir().unwrap();
        let output = run(sspr_msi()
            .args(["build", "--target", target, "--out"])
            .arg(alone.path())
            .current_dir(dir.path()));
        assert!(output.status.success(), "{}", stderr(&output));
        let name = format!("sspr-{target}-1.0.0.msi");
        let bytes = std::fs::read(alone.path().join(&name)).unwrap();
        assert!(matrix.contains(&(name, bytes)), "{target} differs");
    }
}
