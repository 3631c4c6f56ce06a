//! The release bundle: contents checked with unzip, sha256sum and iconv, and byte-identical
//! bundles from builds in other folders, time zones and clock times.

use crate::support::pki::TestPki;
use crate::support::{payload, require, run, sspr_msi, stderr, stdout};
use std::path::Path;
use std::process::Command;

/// `sspr-msi release` (signed with `pki` when given) in `dir`, under `wrapper` (e.g. faketime).
fn release(dir: &Path, pki: Option<&TestPki>, wrapper: &[&str], tz: &str) -> Vec<u8> {
    payload::stage_for_default_config(dir).expect("payload");
    let mut command = match wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(env!("CARGO_BIN_EXE_sspr-msi"));
            c
        }
        None => sspr_msi(),
    };
    // The .intunewin keys are random unless SOURCE_DATE_EPOCH is set (then derived from the
    // content): reproducible bundles need it. 1704067200 is the default timestamp.
    command
        .arg("release")
        .current_dir(dir)
        .env("TZ", tz)
        .env("SOURCE_DATE_EPOCH", "1704067200");
    if let Some(pki) = pki {
        command
            .arg("--sign-cert")
            .arg(pki.file("signer.pem"))
            .arg("--sign-key")
            .arg(pki.file("signer.key"));
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("bundle: dist/sspr-1.0.0.zip"),
        "{}",
        stdout(&output)
    );
    std::fs::read(dir.join("dist/sspr-1.0.0.zip")).unwrap()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn bundle_holds_packages_checksums_manifest_readme_reg_and_intune_files() {
    if !require("unzip") || !require("sha256sum") || !require("iconv") {
        return;
    }
    let Some(pki) = TestPki::new() else { return };
    if payload::built().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    release(dir.path(), Some(&pki), &[], "UTC");
    let unpacked = dir.path().join("unpacked");
    let output = run(Command::new("unzip")
        .arg("-q")
        .arg(dir.path().join("dist/sspr-1.0.0.zip"))
        .arg("-d")
        .arg(&unpacked));
    assert!(output.status.success(), "{}", stderr(&output));
    let check = run(Command::new("sha256sum")
        .arg("-c")
        .arg("SHA256SUMS")
        .current_dir(&unpacked));
    assert!(check.status.success(), "{}", stdout(&check));
    assert_eq!(
        stdout(&check).matches(": OK").count(),
        sspr_msi::target::ALL.len()
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(unpacked.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest["signing_certificate"]["subject"]
        .as_str()
        .unwrap()
        .contains("Contoso Code Signing"));
    let packages = manifest["packages"].as_array().unwrap();
    assert_eq!(packages.len(), sspr_msi::target::ALL.len());
    for package in packages {
        let file = package["file"].as_str().unwrap();
        assert_eq!(
            package["sha256"],
            msikit::hex::sha256_hex(&std::fs::read(unpacked.join(file)).unwrap()),
            "{file}"
        );
        for key in [
            "target",
            "os",
            "architecture",
            "product_code",
            "upgrade_code",
            "package_code",
            "size",
            "signed_by",
        ] {
            assert!(!package[key].is_null(), "{file}: {key}");
        }
        let is_credential_provider = !package["target"].as_str().unwrap().starts_with("win1");
        assert_eq!(
            package["payload"]["sha256"].is_string(),
            is_credential_provider,
            "{file}"
        );
    }

    let readme = std::fs::read_to_string(unpacked.join("README.txt")).unwrap();
    assert!(
        readme.contains("msiexec /i sspr-win7-x64-1.0.0.msi /qn"),
        "{readme}"
    );
    assert!(
        readme.contains("msiexec /x sspr-win11-x64-1.0.0.msi /qn"),
        "{readme}"
    );
    assert!(readme.contains("3010"), "{readme}");
    let reg = run(Command::new("iconv")
        .args(["-f", "UTF-16", "-t", "UTF-8"])
        .arg(unpacked.join("sspr-policy-windows10-11.reg")));
    let reg = stdout(&reg);
    assert!(
        reg.starts_with("Windows Registry Editor Version 5.00"),
        "{reg}"
    );
    assert!(reg.contains("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\AzureADAccount]\r\n\"AllowPasswordReset\"=dword:00000001"), "{reg}");
    let csv = std::fs::read_to_string(unpacked.join("sspr-policy-intune.csv")).unwrap();
    assert!(
        csv.contains(
            "./Device/Vendor/MSFT/Policy/Config/Authentication/AllowAadPasswordReset,Integer,1"
        ),
        "{csv}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn signed_bundles_are_byte_identical_across_folders_clocks_and_time_zones() {
    if !require("faketime") {
        return;
    }
    let Some(pki) = TestPki::new() else { return };
    if payload::built().is_none() {
        return;
    }
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = release(first.path(), Some(&pki), &[], "UTC");
    let b = release(
        second.path(),
        Some(&pki),
        &["faketime", "2030-02-03 04:05:06"],
        "Asia/Kathmandu",
    );
    assert!(a == b, "bundles differ");
    for target in sspr_msi::target::ALL {
        let name = format!("dist/sspr-{target}-1.0.0.msi");
        assert_eq!(
            std::fs::read(first.path().join(&name)).unwrap(),
            std::fs::read(second.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}
