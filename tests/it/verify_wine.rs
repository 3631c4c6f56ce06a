//! The simulator's predictions against what Wine's msiexec really does: for our packages
//! and for packages wixl builds from `tests/fixtures/wxs/`, on every Wine Windows version,
//! whether it installs, which registry values it writes (where, with which data), which
//! files it copies, and what is left after `/x`. A disagreement fails the test.

use crate::support::wine::{Windows, WinePrefix, FATAL_ERROR};
use crate::support::{build_target, payload, with_component_condition, wixl_package};
use msikit::formatted::deformat::WrittenData;
use msikit::package as read;
use msikit::simulate::profile::{self, MachineProfile};
use msikit::simulate::{CommandLine, LaunchOutcome, Prediction, RegistryWrite};
use sspr_msi::model::RegistryRoot;
use std::collections::BTreeSet;
use std::path::Path;

const ALL_WINDOWS: [Windows; 5] = [
    Windows::Win7,
    Windows::Win8,
    Windows::Win81,
    Windows::Win10,
    Windows::Win11,
];

/// The simulator profile that matches what each Wine prefix reports (measured: Wine's
/// prefixes carry `CurrentMajorVersionNumber` 6 before win10, win10 is build 18362, and
/// none has an `EditionID`).
fn profile_for(windows: Windows) -> MachineProfile {
    let name = match windows {
        Windows::Win7 => "wine-win7",
        Windows::Win8 => "wine-win8",
        Windows::Win81 => "wine-win81",
        Windows::Win10 => "wine-win10",
        Windows::Win11 => "wine-win11",
    };
    profile::by_name(name).unwrap()
}

fn predict(msi: &Path, profile: &MachineProfile, command_line: &CommandLine) -> Prediction {
    let package = read::read(&std::fs::read(msi).unwrap()).unwrap();
    sspr_msi::verify::custom::simulator()
        .simulate(&package, profile, command_line)
        .unwrap()
}

/// Registry keys Windows Installer (and Wine) keep for their own bookkeeping (product
/// registration, Add/Remove Programs, component reference counts): not the package's writes.
const INSTALLER_BOOKKEEPING: &[&str] = &[
    r"system.reg:software\microsoft\windows\currentversion\installer",
    r"system.reg:software\microsoft\windows\currentversion\uninstall",
    r"system.reg:software\classes\installer",
    r"system.reg:software\wow6432node\microsoft\windows\currentversion\uninstall",
    r"user.reg:software\microsoft\installer",
    // Written by winedbg when some Wine process crashes (seen once under load): Wine's, not
    // the package's.
    r"user.reg:software\wine\winedbg",
];

fn is_bookkeeping(key: &str) -> bool {
    INSTALLER_BOOKKEEPING
        .iter()
        .any(|prefix| key == *prefix || key.starts_with(&format!("{prefix}\\")))
}

/// The hive key (as `values_added_since` spells it) where a write lands on a 64-bit prefix.
fn hive_key(write: &RegistryWrite) -> String {
    let (root, key) = write.physical_key(true);
    let hive = match root {
        RegistryRoot::LocalMachine => "system.reg:",
        RegistryRoot::CurrentUser => "user.reg:",
        other => panic!("no Wine hive for {other:?}"),
    };
    format!("{hive}{key}").to_ascii_lowercase()
}

/// The value line Wine writes into its hive file for `write`, if it is a value.
fn hive_line(write: &RegistryWrite) -> Option<String> {
    let quote = |text: &str| text.replace('\\', r"\\").replace('"', "\\\"");
    let name = match &write.name {
        Some(name) => format!("\"{}\"", quote(name)),
        None => "@".into(),
    };
    let data = match &write.data {
        WrittenData::String(text) => format!("\"{}\"", quote(text)),
        WrittenData::ExpandString(text) => format!("str(2):\"{}\"", quote(text)),
        WrittenData::MultiString(items) => {
            let joined: String = items
                .iter()
                .map(|item| format!("{}\\0", quote(item)))
                .collect();
            format!("str(7):\"{joined}\"")
        }
        WrittenData::Dword(value) => format!("dword:{:08x}", *value as u32),
        WrittenData::Binary(bytes) => {
            let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
            format!("hex:{}", hex.join(","))
        }
        WrittenData::KeyOnly | WrittenData::KeyKept => return None,
    };
    Some(format!("{name}={data}"))
}

fn expected_values<'w>(
    writes: impl Iterator<Item = &'w RegistryWrite>,
) -> BTreeSet<(String, String)> {
    writes
        .filter_map(|write| Some((hive_key(write), hive_line(write)?)))
        .collect()
}

/// Installs and removes `msi` on `windows` with Wine and asserts every part of the
/// simulator's prediction.
/// The code of a refusal Windows Installer makes before any action runs: 1633
/// (ERROR_INSTALL_PLATFORM_UNSUPPORTED) or 1620 (ERROR_INSTALL_PACKAGE_INVALID).
fn before_any_action(messages: &[String]) -> Option<i32> {
    use msikit::simulate::platform::{INVALID_PACKAGE, UNSUPPORTED_PLATFORM};
    match messages {
        [only] if only == UNSUPPORTED_PLATFORM => Some(1633),
        [only] if only.starts_with(INVALID_PACKAGE) => Some(1620),
        _ => None,
    }
}

fn assert_wine_agrees(windows: Windows, msi: &Path) {
    assert_wine_agrees_with(windows, msi, &CommandLine::default());
}

/// Like [`assert_wine_agrees`], with `command_line.install` properties given to `/i` (`/x`
/// gets none: msiexec's uninstall is a new session).
fn assert_wine_agrees_with(windows: Windows, msi: &Path, command_line: &CommandLine) {
    let Some(prefix) = WinePrefix::new(windows) else {
        return;
    };
    let profile = profile_for(windows);
    let prediction = predict(msi, &profile, command_line);
    let context = format!("{} on {}", msi.display(), profile.name);
    let before = prefix.registry_snapshot();

    let properties: Vec<String> = command_line
        .install
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
    let install = prefix.install(msi, &properties);
    let installed = install.exited_with(0) || install.exited_with(3010);
    match &prediction.outcome {
        LaunchOutcome::Installs => assert!(
            installed,
            "{context}: predicted an install, Wine exited {}:\n{}",
            install.status, install.log
        ),
        // Refused for its summary before any action: Wine exits 1633 or 1620 as Windows does.
        LaunchOutcome::Refused { messages } if before_any_action(messages).is_some() => {
            let code = before_any_action(messages).unwrap();
            assert!(
                install.exited_with(code),
                "{context}: predicted {code}, Wine exited {}:\n{}",
                install.status,
                install.log
            );
            assert_eq!(install.last_action_started(), None, "{context}");
        }
        LaunchOutcome::Refused { messages } => {
            assert!(
                install.exited_with(FATAL_ERROR),
                "{context}: predicted refusal ({messages:?}), Wine exited {}",
                install.status
            );
            assert_eq!(
                install.last_action_started(),
                Some("LaunchConditions"),
                "{context}"
            );
        }
    }
    let after_install = prefix.registry_snapshot();
    let written: BTreeSet<(String, String)> = after_install
        .values_added_since(&before)
        .into_iter()
        .filter(|(key, _)| !is_bookkeeping(key))
        .collect();
    assert_eq!(
        written,
        expected_values(prediction.registry.iter()),
        "{context}: values written"
    );
    for file in &prediction.files {
        assert!(
            prefix.drive_c(&file.path).is_file(),
            "{context}: {} not installed",
            file.path
        );
    }
    if !installed {
        return;
    }

    let uninstall = prefix.uninstall(msi);
    match &prediction.uninstall {
        Some(LaunchOutcome::Refused { messages }) => {
            assert!(
                uninstall.exited_with(FATAL_ERROR),
                "{context}: predicted /x refused ({messages:?}), Wine exited {}",
                uninstall.status
            );
            assert_eq!(
                uninstall.last_action_started(),
                Some("LaunchConditions"),
                "{context}"
            );
        }
        _ => assert!(
            uninstall.exited_with(0),
            "{context}: /x exited {}:\n{}",
            uninstall.status,
            uninstall.log
        ),
    }
    let after_uninstall = prefix.registry_snapshot();
    // A `+` key stays while its component goes: it does not keep the component's values.
    let kept_key_items: BTreeSet<String> = prediction
        .registry
        .iter()
        .filter(|write| write.data == WrittenData::KeyKept)
        .map(RegistryWrite::display_key)
        .collect();
    let left_components: BTreeSet<&str> = prediction
        .permanent
        .iter()
        .chain(&prediction.residue)
        .filter(|leftover| !kept_key_items.contains(&leftover.item))
        .map(|leftover| leftover.component.as_str())
        .collect();
    let predicted_left = expected_values(
        prediction
            .registry
            .iter()
            .filter(|write| left_components.contains(write.component.as_str())),
    );
    let left: BTreeSet<(String, String)> = after_uninstall
        .values_added_since(&before)
        .into_iter()
        .filter(|(key, _)| !is_bookkeeping(key))
        .collect();
    assert_eq!(left, predicted_left, "{context}: values left after /x");
    // No key is left that does not hold (or lead to) a value or a `+` key predicted to stay.
    let kept_keys: BTreeSet<String> = prediction
        .registry
        .iter()
        .filter(|write| write.data == WrittenData::KeyKept)
        .map(hive_key)
        .collect();
    for key in after_uninstall.keys_added_since(&before) {
        let leads_to_left_value = predicted_left
            .iter()
            .map(|(left_key, _)| left_key)
            .chain(&kept_keys)
            .any(|left_key| *left_key == key || left_key.starts_with(&format!("{key}\\")));
        assert!(
            is_bookkeeping(&key) || leads_to_left_value,
            "{context}: key {key} left after /x, not predicted"
        );
    }
    for file in &prediction.files {
        let stays = left_components.contains(file.component.as_str());
        assert_eq!(
            prefix.drive_c(&file.path).is_file(),
            stays,
            "{context}: {} after /x",
            file.path
        );
    }
}

fn assert_wine_agrees_on_every_version(msi: &Path) {
    for windows in ALL_WINDOWS {
        assert_wine_agrees(windows, msi);
    }
}

fn assert_wine_agrees_on_wixl_fixture(fixture: &str) {
    let dir = tempfile::tempdir().unwrap();
    if let Some(msi) = wixl_package(fixture, dir.path()) {
        assert_wine_agrees_on_every_version(&msi);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_the_win10_policy_package_on_every_version() {
    let dir = tempfile::tempdir().unwrap();
    assert_wine_agrees_on_every_version(&build_target(None, "win10-x64", dir.path()));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_the_win11_policy_package_on_every_version() {
    let dir = tempfile::tempdir().unwrap();
    assert_wine_agrees_on_every_version(&build_target(None, "win11-x64", dir.path()));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_the_arm64_policy_package_on_every_version() {
    let dir = tempfile::tempdir().unwrap();
    assert_wine_agrees_on_every_version(&build_target(None, "win11-arm64", dir.path()));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_the_credential_provider_packages_on_every_version() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    for target in ["win7-x64", "win81-x64"] {
        assert_wine_agrees_on_every_version(&build_target(Some(&config), target, dir.path()));
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_a_wixl_registry_package_on_every_version() {
    assert_wine_agrees_on_wixl_fixture("registry-per-machine");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_x64_package_below_installer_2_0_is_refused_with_1620_as_wine_does() {
    assert_wine_agrees_on_wixl_fixture("x64-installer-1-0");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_a_wixl_launch_condition_package_on_every_version() {
    assert_wine_agrees_on_wixl_fixture("launch-condition");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_for_a_wixl_versionnt_1000_package_on_every_version() {
    assert_wine_agrees_on_wixl_fixture("versionnt-1000");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_x86_policy_package_is_refused_by_wine_and_the_simulator_alike() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x86", dir.path());
    assert_wine_agrees(Windows::Win10, &msi);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_component_kept_at_uninstall_is_residue_for_wine_and_the_simulator_alike() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("residue-not-installed", dir.path()) else {
        return;
    };
    with_component_condition(&msi, "FirstRunOnly", "NOT Installed");
    let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
    assert_eq!(prediction.residue.len(), 1, "{prediction:#?}");
    assert!(prediction.residue[0].item.contains("[FirstRun]"));
    assert_wine_agrees(Windows::Win10, &msi);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_command_line_property_switches_a_component_on_for_wine_and_the_simulator_alike() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    let msi = build_target(Some(&config), "win8-x64", dir.path());
    let command_line = CommandLine {
        install: [("ENABLELOGGING".to_string(), "1".to_string())].into(),
        uninstall: Default::default(),
    };
    let prediction = predict(&msi, &profile_for(Windows::Win8), &command_line);
    assert!(
        prediction
            .registry
            .iter()
            .any(|write| write.name.as_deref() == Some("EnableLogging")),
        "{prediction:#?}"
    );
    assert_wine_agrees_with(Windows::Win8, &msi, &command_line);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_launch_condition_that_blocks_uninstall_leaves_everything_for_wine_and_the_simulator_alike() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("uninstall-blocked", dir.path()) else {
        return;
    };
    let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
    assert!(
        matches!(prediction.uninstall, Some(LaunchOutcome::Refused { .. })),
        "{prediction:#?}"
    );
    assert_eq!(prediction.residue.len(), 1, "{prediction:#?}");
    assert_wine_agrees(Windows::Win10, &msi);
}

/// Registry rows of every shape the Registry table allows, added to a wixl package with
/// msibuild: default values, a named row with a null value, keys alone, `+`/`-`/`*` names,
/// `#x`/`#%`/`#`/`##` values, `[~]` lists, and HKMU (root -1) under ALLUSERS=1.
const REGISTRY_SHAPES: &[(&str, i32, &str, &str, &str)] = &[
    (
        "ShapeDefault",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "",
        "default text",
    ),
    (
        "ShapeNamedNull",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "NamedNull",
        "",
    ),
    (
        "ShapeKeyOnly",
        2,
        r"SOFTWARE\Fabrikam\Shapes\KeyOnly",
        "",
        "",
    ),
    ("ShapePlus", 2, r"SOFTWARE\Fabrikam\Shapes\Plus", "+", ""),
    ("ShapeStar", 2, r"SOFTWARE\Fabrikam\Shapes\Star", "*", ""),
    ("ShapeMinus", 2, r"SOFTWARE\Fabrikam\Shapes\Minus", "-", ""),
    (
        "ShapeBinary",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "Binary",
        "#x0A0B0C",
    ),
    (
        "ShapeExpand",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "Expand",
        "#%%SystemRoot%%\\x",
    ),
    (
        "ShapeMulti",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "Multi",
        "a[~]b[~]c",
    ),
    (
        "ShapeMultiAppend",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "MultiAppend",
        "[~]x",
    ),
    (
        "ShapeHashHash",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "HashHash",
        "##5",
    ),
    ("ShapeDword", 2, r"SOFTWARE\Fabrikam\Shapes", "Dword", "#-1"),
    (
        "ShapeHkmu",
        -1,
        r"SOFTWARE\Fabrikam\Shapes\Hkmu",
        "Hkmu",
        "all users",
    ),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_on_registry_rows_of_every_shape() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    for (id, root, key, name, value) in REGISTRY_SHAPES {
        let query = format!(
            "INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) \
             VALUES ('{id}', {root}, '{key}', '{name}', '{value}', 'Settings')"
        );
        let output = crate::support::run(
            std::process::Command::new("msibuild")
                .arg(&msi)
                .arg("-q")
                .arg(&query),
        );
        assert!(
            output.status.success(),
            "{query}: {}",
            crate::support::stderr(&output)
        );
    }
    assert_wine_agrees(Windows::Win10, &msi);
}
