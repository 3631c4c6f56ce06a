//! `sspr-msi doctor`: the fixtures of healthy and broken Windows 7/8.1/10/11 machines (reg
//! exports as Windows writes them, UTF-16LE with a BOM, and the script's JSON), malformed
//! files, and the PowerShell script.

use crate::support::{require, run, sspr_msi, stderr, stdout};
use serde_json::Value;
use sspr_msi::doctor;
use sspr_msi::textfile::{decode, encode_utf16le_with_bom};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/doctor")
        .join(name)
}

/// The fixture as `reg export` writes it: UTF-16LE with a byte-order mark (the committed
/// fixtures are UTF-8 so they diff well).
fn as_windows_writes_it(name: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, encode_utf16le_with_bom(&text)).unwrap();
    path
}

fn doctor_json(file: &Path) -> (Output, Value) {
    let output = run(sspr_msi().arg("doctor").arg(file).arg("--json"));
    let json = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: {e}: {}", file.display(), stderr(&output)));
    (output, json)
}

fn ids(diagnosis: &Value, severity: &str) -> Vec<String> {
    let mut ids: Vec<String> = diagnosis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["severity"] == severity)
        .map(|finding| finding["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

struct Expected {
    fixture: &'static str,
    blockers: &'static [&'static str],
    warnings: &'static [&'static str],
    package: &'static [&'static str],
}

const fn expect(
    fixture: &'static str,
    blockers: &'static [&'static str],
    warnings: &'static [&'static str],
    package: &'static [&'static str],
) -> Expected {
    Expected {
        fixture,
        blockers,
        warnings,
        package,
    }
}

const MACHINES: &[Expected] = &[
    expect("win7-x64-healthy.reg", &[], &[], &["win7-x64"]),
    expect("win81-x64-healthy.reg", &[], &[], &["win81-x64"]),
    expect("win81-x86-healthy.reg", &[], &[], &["win81-x86"]),
    expect("win10-x64-healthy.reg", &[], &[], &["win10-x64"]),
    expect("win11-x64-healthy.reg", &[], &[], &["win11-x64"]),
    expect("win11-x64-sspr-enabled.reg", &[], &[], &["win11-x64"]),
    expect(
        "win10-hide-fast-user-switching.reg",
        &["hide_fast_user_switching"],
        &[],
        &["win10-x64"],
    ),
    expect(
        "win10-dont-display-last-user-name.reg",
        &["dont_display_last_user_name"],
        &[],
        &["win10-x64"],
    ),
    expect(
        "win10-require-smart-card.reg",
        &["require_smart_card"],
        &[],
        &["win10-x64"],
    ),
    expect("win10-uac-off.reg", &["enable_lua"], &[], &["win10-x64"]),
    expect(
        "win10-no-lock-screen.reg",
        &["no_lock_screen"],
        &[],
        &["win10-x64"],
    ),
    expect(
        "win10-block-non-admin-user-install.reg",
        &["block_non_admin_user_install"],
        &[],
        &["win10-x64"],
    ),
    expect(
        "win10-lock-screen-notifications-off.reg",
        &["disable_lock_screen_app_notifications"],
        &[],
        &["win10-x64"],
    ),
    expect("win10-custom-shell.reg", &["shell"], &[], &["win10-x64"]),
    expect(
        "win10-third-party-credential-provider.reg",
        &[],
        &["third_party_credential_provider"],
        &["win10-x64"],
    ),
    expect(
        "win10-1709-home-three-setting-combination.reg",
        &[
            "disable_lock_screen_app_notifications",
            "no_package_fits",
            "three_setting_combination",
        ],
        &[],
        &[],
    ),
    expect("win10-home.reg", &["no_package_fits"], &[], &[]),
    expect("win7-x64-uac-off.reg", &["enable_lua"], &[], &["win7-x64"]),
    expect(
        "win7-x64-no-tls12.reg",
        &[],
        &["tls12_client_enabled", "winhttp_default_secure_protocols"],
        &["win7-x64"],
    ),
    expect(
        "win7-x64-hide-fast-user-switching.reg",
        &[],
        &["hide_fast_user_switching"],
        &["win7-x64"],
    ),
    expect("win10-server-2019.reg", &["no_package_fits"], &[], &[]),
    expect(
        "win10-architecture-not-exported.reg",
        &[],
        &[],
        &["win10-x64", "win10-x86"],
    ),
    // Windows on Arm: the ARM64 package first, then the one Windows Installer runs under
    // emulation there (x86 on Windows 10, x64 on Windows 11).
    expect(
        "win10-arm64-healthy.reg",
        &[],
        &[],
        &["win10-arm64", "win10-x86"],
    ),
    expect(
        "win11-arm64-healthy.reg",
        &[],
        &[],
        &["win11-arm64", "win11-x64"],
    ),
    expect(
        "win11-arm64-healthy.json",
        &[],
        &[],
        &["win11-arm64", "win11-x64"],
    ),
    expect("win7-x86-healthy.json", &[], &[], &["win7-x86"]),
    expect("win10-x64-healthy.json", &[], &[], &["win10-x64"]),
    expect(
        "win11-x64-hybrid-no-lock-screen.json",
        &["no_lock_screen"],
        &[],
        &["win11-x64"],
    ),
    expect(
        "win81-x64-uac-off.json",
        &["enable_lua"],
        &[],
        &["win81-x64"],
    ),
];

#[test]
fn every_fixture_machine_gets_its_blockers_warnings_and_package() {
    let dir = tempfile::tempdir().unwrap();
    for expected in MACHINES {
        let file = if expected.fixture.ends_with(".reg") {
            as_windows_writes_it(expected.fixture, dir.path())
        } else {
            fixture(expected.fixture)
        };
        let (output, diagnosis) = doctor_json(&file);
        let name = expected.fixture;
        assert_eq!(
            ids(&diagnosis, "blocker"),
            expected.blockers,
            "{name} blockers"
        );
        assert_eq!(
            ids(&diagnosis, "warning"),
            expected.warnings,
            "{name} warnings"
        );
        assert_eq!(
            diagnosis["package"]["targets"],
            serde_json::json!(expected.package),
            "{name} package"
        );
        // A setting the file leaves out cannot be called ready.
        let complete = diagnosis["not_collected"].as_array().unwrap().is_empty();
        let (verdict, code) = match (expected.blockers.is_empty(), expected.warnings.is_empty()) {
            (false, _) => ("blocked", 1),
            (true, true) if complete => ("ready", 0),
            (true, _) => ("review", 0),
        };
        assert_eq!(diagnosis["verdict"], verdict, "{name} verdict");
        assert_eq!(
            output.status.code(),
            Some(code),
            "{name} exit code: {}",
            stderr(&output)
        );
    }
}

#[test]
fn a_finding_names_the_setting_quotes_the_document_and_gives_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let file = as_windows_writes_it("win10-hide-fast-user-switching.reg", dir.path());
    let output = run(sspr_msi().arg("doctor").arg(&file));
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("BLOCKER  hide_fast_user_switching"), "{text}");
    assert!(text.contains(r"setting: HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\HideFastUserSwitching = 1"), "{text}");
    assert!(text.contains("why: \"The following settings are known to interfere with the ability to use and reset passwords on Windows 10 devices:\" — \"HideFastUserSwitching is set to enabled or 1\""), "{text}");
    assert!(
        text.contains(
            "fix: Set the policy \"Hide entry points for Fast User Switching\" to Disabled"
        ),
        "{text}"
    );
    assert!(
        text.contains("package: win10-x64 installs on this machine"),
        "{text}"
    );
    assert!(text.contains("verdict: BLOCKED — 1 blocker(s)"), "{text}");
    assert!(stderr(&output).contains("blocked"), "{}", stderr(&output));
}

#[test]
fn the_three_setting_combination_quotes_all_three_and_the_home_refusal_is_expanded() {
    let dir = tempfile::tempdir().unwrap();
    let file = as_windows_writes_it("win10-1709-home-three-setting-combination.reg", dir.path());
    let (_, diagnosis) = doctor_json(&file);
    let findings = diagnosis["findings"].as_array().unwrap();
    let combination = findings
        .iter()
        .find(|f| f["id"] == "three_setting_combination")
        .unwrap();
    let why = combination["why"].as_str().unwrap();
    for part in [
        "Do not require CTRL+ALT+DEL = Disabled",
        "DisableLockScreenAppNotifications = 1",
        "Windows SKU is Home edition",
    ] {
        assert!(why.contains(part), "{why}");
    }
    assert!(combination["setting"]
        .as_str()
        .unwrap()
        .contains("DisableCAD = 0"));
    let explanation = diagnosis["package"]["explanation"].as_str().unwrap();
    assert!(explanation.contains("Home edition (Core)"), "{explanation}");
    assert!(explanation.contains("build 16299"), "{explanation}");
    assert!(
        !explanation.contains('['),
        "unexpanded property: {explanation}"
    );
}

#[test]
fn the_same_machine_as_json_and_as_reg_export_gets_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let (_, from_json) = doctor_json(&fixture("win10-x64-healthy.json"));
    let (_, from_reg) = doctor_json(&as_windows_writes_it("win10-x64-healthy.reg", dir.path()));
    assert_eq!(from_json["package"], from_reg["package"]);
    assert_eq!(from_json["os"], from_reg["os"]);
    assert_eq!(ids(&from_json, "blocker"), ids(&from_reg, "blocker"));
    // The export lacks the policy keys a healthy machine does not have: they are "not checked".
    assert_eq!(from_json["not_collected"], serde_json::json!([]));
    assert!(!from_reg["not_collected"].as_array().unwrap().is_empty());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_reg_export_converted_by_iconv_and_the_json_powershell_redirects_are_read() {
    if !require("iconv") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // iconv, not our encoder, makes the UTF-16LE; the BOM is prepended as `reg export` does.
    let converted = run(Command::new("iconv")
        .args(["-f", "UTF-8", "-t", "UTF-16LE"])
        .arg(fixture("win10-uac-off.reg")));
    assert!(converted.status.success());
    let reg = dir.path().join("iconv.reg");
    std::fs::write(&reg, [&[0xFF, 0xFE][..], &converted.stdout].concat()).unwrap();
    let (_, diagnosis) = doctor_json(&reg);
    assert_eq!(ids(&diagnosis, "blocker"), ["enable_lua"]);

    // `script > doctor.json` in Windows PowerShell writes UTF-16LE with a BOM.
    let text = std::fs::read_to_string(fixture("win81-x64-uac-off.json")).unwrap();
    let json = dir.path().join("redirected.json");
    std::fs::write(&json, encode_utf16le_with_bom(&text)).unwrap();
    let (_, diagnosis) = doctor_json(&json);
    assert_eq!(ids(&diagnosis, "blocker"), ["enable_lua"]);
}

#[test]
fn malformed_files_exit_4_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let odd_utf16 = dir.path().join("odd.reg");
    std::fs::write(&odd_utf16, [0xFF, 0xFE, 0x57, 0x00, 0x69]).unwrap();
    let binary = dir.path().join("binary.reg");
    std::fs::write(&binary, [0x4D, 0x5A, 0x00, 0x01]).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            fixture("malformed/not-a-registry-export.reg"),
            "not a registry export",
        ),
        (
            fixture("malformed/truncated-hex.reg"),
            "line 4: hex data continues past the end",
        ),
        (
            fixture("malformed/bad-dword.reg"),
            "line 4: `dword:nothex` is not a DWORD",
        ),
        (fixture("malformed/truncated.json"), "not a doctor report"),
        (
            fixture("malformed/future-schema.json"),
            "schema `sspr-msi-doctor/99`",
        ),
        (
            fixture("malformed/unknown-collector.json"),
            "unknown variant `someone`",
        ),
        (odd_utf16, "odd number of bytes"),
        (binary, "not a text file"),
        (dir.path().join("missing.json"), "cannot read"),
    ];
    for (file, message) in cases {
        let output = run(sspr_msi().arg("doctor").arg(&file));
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(4), "{}: {error}", file.display());
        assert!(
            error.contains("input error") && error.contains(message),
            "{}: {error}",
            file.display()
        );
        assert!(!error.contains("panicked"), "{error}");
    }
}

#[test]
fn truncated_and_mangled_files_never_panic() {
    let reg = encode_utf16le_with_bom(
        &std::fs::read_to_string(fixture("win10-1709-home-three-setting-combination.reg")).unwrap(),
    );
    let json = std::fs::read(fixture("win11-x64-hybrid-no-lock-screen.json")).unwrap();
    let settings = sspr_msi::config::Settings::embedded_default().unwrap();
    // Every cut and one flipped byte per position is parsed; a sample is also diagnosed
    // (each diagnosis models all nine packages).
    let try_file = |bytes: &[u8], diagnose: bool| {
        let text = decode(bytes).ok();
        if let Some(Ok(report)) = text.map(|text| doctor::read_report(&text)) {
            if diagnose {
                doctor::diagnose(&report, &settings);
            }
        }
    };
    for bytes in [&reg, &json] {
        for end in 0..bytes.len() {
            try_file(&bytes[..end], end % 97 == 0);
            let mut flipped = bytes.clone();
            flipped[end] ^= 0x20;
            try_file(&flipped, end % 89 == 0);
        }
    }
}

#[test]
fn doctor_without_a_file_or_script_is_a_usage_error() {
    let output = run(sspr_msi().arg("doctor"));
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let both = run(sspr_msi().args(["doctor", "--script", "x.json"]));
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}

fn finding<'a>(diagnosis: &'a Value, id: &str) -> &'a Value {
    diagnosis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["id"] == id)
        .unwrap_or_else(|| panic!("no finding `{id}` in {diagnosis}"))
}

#[test]
fn join_state_proxy_and_sspr_presence_are_reported_as_information() {
    let (_, hybrid) = doctor_json(&fixture("win11-x64-hybrid-no-lock-screen.json"));
    let joined = finding(&hybrid, "hybrid_joined");
    assert_eq!(joined["severity"], "info");
    assert!(joined["why"]
        .as_str()
        .unwrap()
        .contains("line of sight to a domain controller"));

    // The script could not load the Default profile, and the machine policy is per machine.
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("win10-x64-healthy.json")).unwrap())
            .unwrap();
    report["default_profile_readable"] = Value::Bool(false);
    let dir = tempfile::tempdir().unwrap();
    let unreadable = dir.path().join("unreadable.json");
    std::fs::write(&unreadable, report.to_string()).unwrap();
    let (_, diagnosis) = doctor_json(&unreadable);
    let proxy = finding(&diagnosis, "proxy")["setting"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(proxy.contains("run the script as administrator"), "{proxy}");

    let key =
        r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
    report["values"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"key": key, "name": "ProxySettingsPerUser", "data": 0}));
    let per_machine = dir.path().join("per-machine.json");
    std::fs::write(&per_machine, report.to_string()).unwrap();
    let (_, diagnosis) = doctor_json(&per_machine);
    let proxy = finding(&diagnosis, "proxy");
    assert!(
        proxy["setting"]
            .as_str()
            .unwrap()
            .ends_with("ProxySettingsPerUser = 0"),
        "{proxy}"
    );
    assert!(
        proxy["fix"].as_str().unwrap().contains("first workaround"),
        "{proxy}"
    );

    let (_, enabled) = doctor_json(&as_windows_writes_it(
        "win11-x64-sspr-enabled.reg",
        dir.path(),
    ));
    let present = finding(&enabled, "sspr_present");
    assert!(
        present["setting"]
            .as_str()
            .unwrap()
            .ends_with("AllowPasswordReset = 1"),
        "{present}"
    );
    let (_, not_yet) = doctor_json(&fixture("win10-x64-healthy.json"));
    assert_eq!(
        finding(&not_yet, "sspr_present")["setting"],
        "SSPR at sign-in is not turned on yet"
    );
}

#[test]
fn exports_joined_with_copy_b_are_read_as_one_machine() {
    let dir = tempfile::tempdir().unwrap();
    // `copy /b machine.reg+appx.reg all.reg`: two UTF-16LE files, each with its BOM and header.
    let machine = std::fs::read(as_windows_writes_it("win10-x64-healthy.reg", dir.path())).unwrap();
    let appx = encode_utf16le_with_bom(
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Windows\\Appx]\r\n\
         \"BlockNonAdminUserInstall\"=dword:00000001\r\n",
    );
    let joined = dir.path().join("all.reg");
    std::fs::write(&joined, [machine, appx].concat()).unwrap();
    let (output, diagnosis) = doctor_json(&joined);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(ids(&diagnosis, "blocker"), ["block_non_admin_user_install"]);
    assert_eq!(
        diagnosis["package"]["targets"],
        serde_json::json!(["win10-x64"])
    );
}

#[test]
fn an_arm64_machine_is_told_to_deploy_the_arm64_package() {
    let dir = tempfile::tempdir().unwrap();
    for (fixture, native, emulated) in [
        ("win10-arm64-healthy.reg", "win10-arm64", "win10-x86"),
        ("win11-arm64-healthy.reg", "win11-arm64", "win11-x64"),
    ] {
        let file = as_windows_writes_it(fixture, dir.path());
        let output = run(sspr_msi().arg("doctor").arg(&file));
        assert_eq!(
            output.status.code(),
            Some(0),
            "{fixture}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        let expected = format!(
            "package: {native} installs on this machine (native ARM64; {emulated} also installs, under emulation)"
        );
        assert!(text.contains(&expected), "{fixture}: {text}");
        assert!(text.contains("ARM64"), "{fixture}: {text}");
    }
}

/// A `reg export` of the version key alone, with these value lines.
fn version_only_export(dir: &Path, name: &str, values: &str) -> PathBuf {
    let text = format!(
        "Windows Registry Editor Version 5.00\r\n\r\n\
         [HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n{values}"
    );
    let path = dir.join(name);
    std::fs::write(&path, encode_utf16le_with_bom(&text)).unwrap();
    path
}

#[test]
fn a_partial_export_is_cannot_tell_never_a_blocker_and_nothing_unchecked_is_judged() {
    let dir = tempfile::tempdir().unwrap();
    // Windows 10 keeps CurrentVersion at 6.3; without it, the major version still tells.
    let no_current_version = version_only_export(
        dir.path(),
        "no-current-version.reg",
        "\"CurrentBuildNumber\"=\"19045\"\r\n\"CurrentMajorVersionNumber\"=dword:0000000a\r\n",
    );
    let (output, diagnosis) = doctor_json(&no_current_version);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(diagnosis["verdict"], "review", "{diagnosis}");
    assert_eq!(ids(&diagnosis, "blocker"), Vec::<String>::new());
    // No architecture value: both packages that could fit are named.
    assert_eq!(
        diagnosis["package"]["targets"],
        serde_json::json!(["win10-x64", "win10-x86"])
    );
    // The proxy and SSPR-state findings rest on values the export left out: none is given.
    let unchecked = diagnosis["not_collected"].as_array().unwrap();
    assert!(unchecked
        .iter()
        .any(|s| s.as_str().unwrap().ends_with("AllowPasswordReset")));
    for id in ["proxy", "sspr_present"] {
        assert!(
            !diagnosis["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == id),
            "{id} judged from values not in the file: {diagnosis}"
        );
    }
    let text = stdout(&run(sspr_msi().arg("doctor").arg(&no_current_version)));
    assert!(text.contains("package: win10-x64 or win10-x86"), "{text}");
    assert!(text.contains("verdict: REVIEW"), "{text}");

    // No build number: cannot tell which package fits, a warning and not a blocker.
    let no_build =
        version_only_export(dir.path(), "no-build.reg", "\"CurrentVersion\"=\"6.1\"\r\n");
    let (output, diagnosis) = doctor_json(&no_build);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(diagnosis["verdict"], "review");
    assert_eq!(ids(&diagnosis, "warning"), vec!["windows_version_unknown"]);
    assert!(
        finding(&diagnosis, "windows_version_unknown")["why"]
            .as_str()
            .unwrap()
            .contains("no CurrentBuildNumber"),
        "{diagnosis}"
    );
}

#[test]
fn with_json_the_blocked_message_does_not_point_above() {
    let dir = tempfile::tempdir().unwrap();
    let file = as_windows_writes_it("win10-hide-fast-user-switching.reg", dir.path());
    let (output, _) = doctor_json(&file);
    assert_eq!(output.status.code(), Some(1));
    assert!(!stderr(&output).contains("above"), "{}", stderr(&output));
    assert!(stderr(&output).contains("blocked"), "{}", stderr(&output));
}
