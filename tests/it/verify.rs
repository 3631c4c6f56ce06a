//! `sspr-msi verify`: exit codes, the profile matrix, JSON, and clear refusals of bad input,
//! on our packages and on wixl-built ones.

use crate::support::{
    build_target, run, sspr_msi, stderr, stdout, with_component_condition, wixl_package,
};
use std::path::Path;

fn verify(args: &[&str], files: &[&Path]) -> std::process::Output {
    let mut command = sspr_msi();
    command.arg("verify").args(args).args(files);
    run(&mut command)
}

#[test]
fn our_package_verifies_clean_across_every_built_in_profile() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let output = verify(&["--simulate"], &[&msi]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("(target win10-x64, platform x64)"), "{text}");
    assert!(text.contains("SSPR007"), "unsigned is a warning: {text}");
    let installs: Vec<&str> = text
        .lines()
        .filter(|line| line.split_whitespace().nth(1) == Some("installs"))
        .map(|line| line.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(installs, ["win10-22h2-x64", "wine-win10"], "{text}");
    assert!(
        text.contains("Home edition"),
        "refusal messages are shown: {text}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_versionnt_1000_condition_fails_verification_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("versionnt-1000", dir.path()) else {
        return;
    };
    let output = verify(&["--profile", "win10-22h2-x64"], &[&msi]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(text.contains("SSPR001"), "{text}");
    assert!(text.contains("needs Windows 10 or later"), "{text}");
    assert!(
        stderr(&output).contains("verification found"),
        "{}",
        stderr(&output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn residue_after_uninstall_fails_verification_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("residue-not-installed", dir.path()) else {
        return;
    };
    with_component_condition(&msi, "FirstRunOnly", "NOT Installed");
    let output = verify(&["--profile", "win11-x64"], &[&msi]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(r"residue: HKLM\SOFTWARE\Fabrikam\VerifyResidue [FirstRun]"),
        "{}",
        stdout(&output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn json_report_has_findings_simulations_and_the_rule_catalogue() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    let output = verify(&["--json", "--profile", "wine-win10"], &[&msi]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let package = &report["packages"][0];
    assert_eq!(package["platform"], "x64");
    assert!(package["target"].is_null());
    let ids: Vec<&str> = package["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    // wixl writes the neutral codepage 0 (msiinfo's _ForceCodepage says so): no CODEPAGE.
    // GPO002: its HKCU value would land in the SYSTEM profile when assigned to computers.
    assert_eq!(ids, ["SSPR007", "GPO002"]);
    assert!(package["findings"][1]["message"]
        .as_str()
        .unwrap()
        .contains(r"HKCU\Software\Fabrikam\VerifyFixture"));
    let simulation = &package["simulations"][0];
    assert_eq!(simulation["profile"], "wine-win10");
    assert_eq!(
        simulation["outcome"],
        serde_json::json!({"result": "installs"})
    );
    assert_eq!(simulation["registry"].as_array().unwrap().len(), 6);
    let rules = report["rules"].as_array().unwrap();
    assert!(rules
        .iter()
        .any(|rule| rule["id"] == "ICE03" && rule["severity"] == "error"));
}

#[test]
fn bad_input_is_refused_with_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win11-x64", dir.path());
    let bytes = std::fs::read(&msi).unwrap();
    let truncated = dir.path().join("truncated.msi");
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let text = dir.path().join("text.msi");
    std::fs::write(&text, "hello").unwrap();
    for (file, message) in [
        (truncated.as_path(), "truncated.msi"),
        (text.as_path(), "not a compound file"),
        (Path::new("/nonexistent.msi"), "No such file"),
    ] {
        let output = verify(&[], &[file]);
        assert_eq!(
            output.status.code(),
            Some(4),
            "{file:?}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
    }
    let output = verify(&["--profile", "win99"], &[&msi]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("unknown profile `win99`"),
        "{}",
        stderr(&output)
    );
    let profiles = dir.path().join("fleet.toml");
    std::fs::write(&profiles, "[[profile]]\nname = \"a\"\narch = \"sparc\"\n").unwrap();
    let output = verify(&["--profile-file", profiles.to_str().unwrap()], &[&msi]);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("fleet.toml:3:8: key `profile.arch`"),
        "{}",
        stderr(&output)
    );
    let output = verify(&[], &[]);
    assert_eq!(output.status.code(), Some(2), "no file is a usage error");
}

#[test]
fn a_profile_file_adds_fleet_machines_to_the_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let profiles = dir.path().join("fleet.toml");
    std::fs::write(
        &profiles,
        "[[profile]]\nname = \"kiosk-home\"\nbase = \"win10-22h2-x64\"\n\
         [[profile.registry]]\nkey = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\n\
         name = \"EditionID\"\nstring = \"CoreN\"\n",
    )
    .unwrap();
    let output = verify(&["--profile-file", profiles.to_str().unwrap()], &[&msi]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    // The row and its message's wrapped lines, which are indented under the message column.
    let row: String = text
        .lines()
        .skip_while(|line| !line.trim_start().starts_with("kiosk-home"))
        .enumerate()
        .take_while(|(index, line)| *index == 0 || line.starts_with(&" ".repeat(40)))
        .map(|(_, line)| line.trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        row.contains("refused") && row.contains("Home edition"),
        "{row}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_unsigned_dll_in_the_cabinet_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = crate::support::payload::config(dir.path(), &[]) else {
        return;
    };
    let msi = build_target(Some(&config), "win7-x64", dir.path());
    let output = verify(&["--profile", "win7-x64"], &[&msi]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let text = stdout(&output);
    assert!(
        text.contains("SSPR008") && text.contains("file `SsprTestCredProv.dll` is an unsigned PE"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|line| line.trim_start().starts_with("win7-x64"))
        .unwrap();
    // Values, files, permanent TLS values, no residue.
    assert_eq!(
        row.split_whitespace().collect::<Vec<_>>()[1..6],
        ["installs", "10", "1", "4", "0"],
        "{row}"
    );
}

/// Issue 20 items 1 and 2: Registry values nested 32,000 deep crashed `verify --simulate` with
/// a stack overflow, and `{[`×100k hung it. Now each is read, checked and simulated.
#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn deeply_nested_formatted_values_neither_crash_nor_hang_verify() {
    let dir = tempfile::tempdir().unwrap();
    let msi = crate::support::build_target(None, "win10-x64", dir.path());
    for (index, value) in [
        format!("{}X{}", "[".repeat(32_000), "]".repeat(32_000)),
        "{[".repeat(100_000),
    ]
    .into_iter()
    .enumerate()
    {
        let hostile = dir.path().join(format!("hostile-{index}.msi"));
        std::fs::copy(&msi, &hostile).unwrap();
        let mut package = msi::open_rw(&hostile).unwrap();
        package
            .update_rows(
                msi::Update::table("Registry").set("Value", msi::Value::from(value.as_str())),
            )
            .unwrap();
        package.flush().unwrap();
        drop(package);
        let output = verify(&["--simulate", "--profile", "win10-22h2-x64"], &[&hostile]);
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "exit {:?}: {}",
            output.status,
            stderr(&output)
        );
        let rows = crate::support::msiinfo_rows(&hostile, "Registry");
        assert!(
            rows.iter().any(|row| row[4] == value),
            "the hostile value is in the package"
        );
    }
}

/// Issue 20 item 12: a credential provider or service that installs where ordinary users can
/// write (the drive root, ProgramData) lets them replace what Windows loads as SYSTEM.
#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn binaries_windows_loads_as_system_must_install_where_users_cannot_write() {
    if !crate::support::require("wixl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cp.dll"), b"MZ stand-in").unwrap();
    std::fs::write(dir.path().join("svc.exe"), b"MZ stand-in").unwrap();
    let Some(msi) = wixl_package("writable-system-binaries", dir.path()) else {
        return;
    };
    let output = verify(&["--json"], &[&msi]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let messages: Vec<&str> = report["packages"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "SSPR016")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("cp.dll") && m.contains(r"C:\)\Tools")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("svc.exe") && m.contains("[CommonAppDataFolder]")),
        "{messages:?}"
    );

    // Ours: no finding, and every file lands in the product's own Program Files folder on
    // every machine the package installs on.
    let expected = in_product_folder();
    let mut files_checked = 0;
    // The default configuration with the test payload pinned (None outside CI without mingw).
    let Some(config) = crate::support::payload::config(dir.path(), &[]) else {
        return;
    };
    for target in sspr_msi::target::ALL {
        let msi = build_target(
            Some(&config),
            &target.name(),
            &dir.path().join(target.name()),
        );
        let package = msikit::package::read(&std::fs::read(&msi).unwrap()).unwrap();
        assert!(
            !msikit::rules::check(&package)
                .iter()
                .any(|f| f.id == "SSPR016"),
            "{target}"
        );
        for profile in msikit::simulate::profile::built_in() {
            let prediction = sspr_msi::verify::custom::simulator()
                .simulate(&package, &profile, &Default::default())
                .unwrap();
            for file in prediction.files.iter() {
                assert!(
                    expected(&file.path),
                    "{target} on {}: {}",
                    profile.name,
                    file.path
                );
                files_checked += 1;
            }
        }
    }
    assert!(files_checked >= 6, "only {files_checked} files predicted");
}

/// `C:\Program Files[ (x86)]\Contoso IT\Entra SSPR at Windows sign-in\NAME`, nothing deeper.
fn in_product_folder() -> impl Fn(&str) -> bool {
    |path: &str| {
        [r"C:\Program Files\", r"C:\Program Files (x86)\"]
            .iter()
            .any(|root| {
                path.strip_prefix(root)
                    .and_then(|rest| {
                        rest.strip_prefix(r"Contoso IT\Entra SSPR at Windows sign-in\")
                    })
                    .is_some_and(|name| !name.is_empty() && !name.contains('\\'))
            })
    }
}
