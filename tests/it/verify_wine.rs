//! The simulator's predictions against what Wine's msiexec really does: for our packages
//! and for packages wixl builds from `tests/fixtures/wxs/`, on every Wine Windows version,
//! whether it installs, which registry values it writes (where, with which data), which
//! files it copies, and what is left after `/x`. A disagreement fails the test.

use crate::support::wine::{MsiexecRun, PrefixSnapshot, Windows, WinePrefix};
use crate::support::{build_target, payload, with_component_condition, wixl_package};
use msikit::formatted::deformat::WrittenData;
use msikit::package as read;
use msikit::simulate::profile::{self, MachineProfile};
use msikit::simulate::source::FolderBeside;
use msikit::simulate::{CommandLine, LaunchOutcome, Prediction, RegistryWrite};
use sspr_msi::model::RegistryRoot;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub(crate) const ALL_WINDOWS: [Windows; 5] = [
    Windows::Win7,
    Windows::Win8,
    Windows::Win81,
    Windows::Win10,
    Windows::Win11,
];

/// The simulator profile that matches what each Wine prefix reports (measured: Wine's
/// prefixes carry `CurrentMajorVersionNumber` 6 before win10, win10 is build 18362, and
/// none has an `EditionID`).
pub(crate) fn profile_for(windows: Windows) -> MachineProfile {
    let name = match windows {
        Windows::Win7 => "wine-win7",
        Windows::Win8 => "wine-win8",
        Windows::Win81 => "wine-win81",
        Windows::Win10 => "wine-win10",
        Windows::Win11 => "wine-win11",
    };
    profile::by_name(name).unwrap()
}

/// What `verify --simulate` predicts: msiexec reads source media from the package's folder.
pub(crate) fn predict(
    msi: &Path,
    profile: &MachineProfile,
    command_line: &CommandLine,
) -> Prediction {
    let package = read::read(&std::fs::read(msi).unwrap()).unwrap();
    sspr_msi::verify::custom::simulator()
        .with_source(&FolderBeside::of(msi))
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
    hive_key_of(write.physical_key(true))
}

fn hive_key_of((root, key): (RegistryRoot, String)) -> String {
    let hive = match root {
        RegistryRoot::LocalMachine => "system.reg:",
        RegistryRoot::CurrentUser => "user.reg:",
        other => panic!("no Wine hive for {other:?}"),
    };
    format!("{hive}{key}").to_ascii_lowercase()
}

/// A string as Wine's hive files write it: `\\` and `"` escaped, a control character
/// by its letter (`\\n`…) or in octal (three digits when an octal digit follows), as Wine's
/// `dump_strW` writes them.
fn hive_escape(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::new();
    for (index, &c) in chars.iter().enumerate() {
        match c {
            '\\' => out.push_str(r"\\"),
            '"' => out.push_str("\\\""),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{b}' => out.push_str("\\v"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            c if (c as u32) < 0x20 => {
                let octal_follows = chars
                    .get(index + 1)
                    .is_some_and(|next| ('0'..='7').contains(next));
                match octal_follows {
                    true => out.push_str(&format!("\\{:03o}", c as u32)),
                    false => out.push_str(&format!("\\{:o}", c as u32)),
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The value line Wine writes into its hive file for `write`, if it is a value.
/// A value's name as a hive line starts: `"Name"` or `@` for the default value.
fn hive_name(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("\"{}\"", hive_escape(name)),
        None => "@".into(),
    }
}

fn hive_line(write: &RegistryWrite) -> Option<String> {
    let quote = hive_escape;
    let name = hive_name(write.name.as_deref());
    let data = match &write.data {
        WrittenData::String(text) => format!("\"{}\"", quote(text)),
        WrittenData::ExpandString(text) => format!("str(2):\"{}\"", quote(text)),
        WrittenData::MultiString(items) => {
            let joined: String = items.iter().map(|item| format!("{item}\0")).collect();
            format!("str(7):\"{}\"", quote(&joined))
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

/// Asserts msiexec stopped where the simulator says `outcome` ends: nowhere for an install,
/// before any action for a refusal with 1633, 1620, 1623, 1636 or 1638, at LaunchConditions for another
/// refusal, and after starting the action that stopped it otherwise.
fn assert_stopped_where_predicted(run: &MsiexecRun, outcome: &LaunchOutcome, context: &str) {
    let expected = match outcome {
        LaunchOutcome::Installs => return,
        LaunchOutcome::Refused { .. }
            if matches!(outcome.exit_code(), 1633 | 1620 | 1623 | 1636 | 1638) =>
        {
            None
        }
        LaunchOutcome::Refused { .. } => Some("LaunchConditions"),
        // Wine's rollback after a stop logs its own actions later: the stop must have started.
        LaunchOutcome::Stopped { action, .. } | LaunchOutcome::Suspended { action } => {
            let started = format!(": {action}.");
            assert!(
                run.log
                    .lines()
                    .any(|line| line.starts_with("Action start ") && line.ends_with(&started)),
                "{context}: {action} never started:\n{}",
                run.log
            );
            return;
        }
    };
    assert_eq!(
        run.last_action_started(),
        expected,
        "{context}:\n{}",
        run.log
    );
}

fn assert_exit_code(run: &MsiexecRun, predicted: u32, context: &str) {
    assert!(
        run.exited_with(predicted as i32),
        "{context}: predicted exit {predicted}, Wine exited {} (modulo 256):\n{}",
        run.status,
        run.log
    );
}

/// Installs and removes `msi` on `windows` with Wine and asserts every part of the
/// simulator's prediction: exit codes, where a failed run stopped, and the registry and files
/// after each.
fn assert_wine_agrees(windows: Windows, msi: &Path) {
    assert_wine_agrees_with(windows, msi, &CommandLine::default());
}

/// Like [`assert_wine_agrees`], with `command_line.install` properties given to `/i` (`/x`
/// gets none: msiexec's uninstall is a new session).
pub(crate) fn assert_wine_agrees_with(windows: Windows, msi: &Path, command_line: &CommandLine) {
    let Some(prefix) = WinePrefix::new(windows) else {
        return;
    };
    let profile = profile_for(windows);
    let prediction = predict(msi, &profile, command_line);
    let context = format!("{} on {}", msi.display(), profile.name);
    let before = prefix.snapshot();
    assert_install_agrees(&prefix, msi, command_line, &prediction, &before, &context);
    assert_uninstall_agrees(&prefix, msi, &prediction, &before, &context);
}

/// Installs `msi` with `command_line.install` and asserts the exit code, where a failed run
/// stopped, and the values and files written since `before`.
pub(crate) fn assert_install_agrees(
    prefix: &WinePrefix,
    msi: &Path,
    command_line: &CommandLine,
    prediction: &Prediction,
    before: &PrefixSnapshot,
    context: &str,
) {
    let properties: Vec<String> = command_line
        .install
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let properties: Vec<&str> = properties.iter().map(String::as_str).collect();
    let install = prefix.install(msi, &properties);
    assert_exit_code(&install, prediction.exit_code, context);
    assert_stopped_where_predicted(&install, &prediction.outcome, context);
    let after_install = prefix.snapshot();
    let written: BTreeSet<(String, String)> = after_install
        .values_added_since(before)
        .into_iter()
        .filter(|(key, _)| !is_bookkeeping(key))
        .collect();
    assert_eq!(
        written,
        expected_values(prediction.registry.iter()),
        "{context}: values written"
    );
    assert_eq!(
        values_removed(before, &after_install, &written),
        predicted_removed(prediction, before, &written),
        "{context}: values removed"
    );
    for file in prediction.files.iter() {
        assert!(
            prefix.drive_c(&file.path).is_file(),
            "{context}: {} not installed",
            file.path
        );
    }
    assert_eq!(
        after_install
            .files
            .difference(&before.files)
            .cloned()
            .collect::<BTreeSet<_>>(),
        predicted_made(prediction),
        "{context}: files and folders made"
    );
    assert_eq!(
        before
            .files
            .difference(&after_install.files)
            .cloned()
            .collect::<BTreeSet<_>>(),
        predicted_deleted(prediction, false),
        "{context}: files and folders deleted"
    );
    assert_ini_values(prefix, prediction, false, context);
}

/// The INI values the prediction's changes of one session leave, against the files' text.
fn assert_ini_values(prefix: &WinePrefix, prediction: &Prediction, uninstall: bool, context: &str) {
    let mut expected: BTreeMap<(String, String, String), Option<&str>> = BTreeMap::new();
    for change in &prediction.ini_changes {
        if change.at_uninstall == uninstall {
            let section = change.section.to_lowercase();
            let at = (change.path.clone(), section, change.key.to_lowercase());
            expected.insert(at, change.value.as_deref());
        }
    }
    for ((path, section, key), value) in expected {
        let text = std::fs::read_to_string(prefix.drive_c(&path)).unwrap_or_default();
        let found = ini_value(&text, &section, &key);
        assert_eq!(
            found.as_deref(),
            value,
            "{context}: [{section}] {key} in {path}"
        );
    }
}

/// A key's value in INI text, section and key compared without regard to case.
fn ini_value(text: &str, section: &str, key: &str) -> Option<String> {
    let mut current = String::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.to_lowercase();
        } else if let Some((name, value)) = line.split_once('=') {
            if current == section && name.trim().to_lowercase() == key {
                return Some(value.trim().to_string());
            }
        }
    }
    None
}

/// The files and folders install makes, lower-cased, where the snapshot looks (outside
/// `C:\windows` and `C:\users`).
fn predicted_made(prediction: &Prediction) -> BTreeSet<String> {
    let files = prediction.files.iter().map(|file| &file.path);
    let folders = prediction.folders.iter().map(|folder| &folder.path);
    files
        .chain(folders)
        .map(|path| path.to_lowercase())
        .filter(|path| in_file_snapshot(path))
        .collect()
}

fn in_file_snapshot(path: &str) -> bool {
    !path.starts_with(r"c:\windows\") && !path.starts_with(r"c:\users\")
}

/// What the machine held that the install (and with `uninstall`, the uninstall) deletes.
fn predicted_deleted(prediction: &Prediction, uninstall: bool) -> BTreeSet<String> {
    prediction
        .files_removed
        .iter()
        .filter(|removal| uninstall || !removal.at_uninstall)
        .map(|removal| removal.path.to_lowercase())
        .filter(|path| in_file_snapshot(path))
        .collect()
}

/// Values `before` held that are gone after the install, or changed by something other than
/// a write of the install (`written`).
fn values_removed(
    before: &PrefixSnapshot,
    after: &PrefixSnapshot,
    written: &BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    before
        .values_added_since(after)
        .into_iter()
        .filter(|(key, line)| !is_bookkeeping(key) && !rewritten(written, key, line))
        .collect()
}

/// The values of `before` the prediction's removals name, less those the install rewrote.
fn predicted_removed(
    prediction: &Prediction,
    before: &PrefixSnapshot,
    written: &BTreeSet<(String, String)>,
) -> BTreeSet<(String, String)> {
    let targets: Vec<(String, Option<String>)> = prediction
        .registry_removed
        .iter()
        .map(|removal| {
            let key = hive_key_of(removal.physical_key(true));
            let name = (!removal.whole_key).then(|| hive_name(removal.name.as_deref()));
            (key, name)
        })
        .collect();
    let removes = |key: &str, line: &str| {
        targets.iter().any(|(target, name)| match name {
            None => key == target || key.starts_with(&format!("{target}\\")),
            Some(name) => key == target && value_name(line) == name,
        })
    };
    before
        .values()
        .into_iter()
        .filter(|(key, line)| removes(key, line) && !rewritten(written, key, line))
        .collect()
}

/// Whether the install wrote the value this hive line names.
fn rewritten(written: &BTreeSet<(String, String)>, key: &str, line: &str) -> bool {
    written.iter().any(|(written_key, written_line)| {
        written_key == key && value_name(written_line) == value_name(line)
    })
}

/// The name part of a hive value line: `@`, or the quoted name with its escapes.
fn value_name(line: &str) -> &str {
    if line.starts_with('@') {
        return "@";
    }
    let mut escaped = false;
    for (at, c) in line.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return &line[..=at],
            _ => {}
        }
    }
    line
}

/// Removes `msi` (when the prediction says it was installed) and asserts the exit code and
/// what is left since `before`: the permanent items and the residue, nothing else.
pub(crate) fn assert_uninstall_agrees(
    prefix: &WinePrefix,
    msi: &Path,
    prediction: &Prediction,
    before: &PrefixSnapshot,
    context: &str,
) {
    let (Some(uninstall_outcome), Some(uninstall_exit)) =
        (&prediction.uninstall, prediction.uninstall_exit_code)
    else {
        return;
    };
    let uninstall = prefix.uninstall(msi);
    let context = format!("{context}, /x");
    assert_exit_code(&uninstall, uninstall_exit, &context);
    assert_stopped_where_predicted(&uninstall, uninstall_outcome, &context);
    let after_uninstall = prefix.snapshot();
    // A `+` key stays while its component goes: it does not keep the component's values.
    let kept_key_items: BTreeSet<String> = prediction
        .registry
        .iter()
        .filter(|write| write.data == WrittenData::KeyKept)
        .map(RegistryWrite::display_key)
        .collect();
    let left_items: BTreeSet<&str> = prediction
        .permanent
        .iter()
        .chain(&prediction.residue)
        .filter(|leftover| !kept_key_items.contains(&leftover.item))
        .map(|leftover| leftover.item.as_str())
        .collect();
    // A component left whole keeps its keys too; one of its values kept alone (an
    // Environment row without `-`) does not.
    let left_components = components_left_whole(prediction, &left_items);
    let predicted_left = expected_values(
        prediction
            .registry
            .iter()
            .filter(|write| left_items.contains(write.display_key().as_str())),
    );
    let left: BTreeSet<(String, String)> = after_uninstall
        .values_added_since(before)
        .into_iter()
        .filter(|(key, _)| !is_bookkeeping(key))
        .collect();
    assert_eq!(left, predicted_left, "{context}: values left after /x");
    // No key is left that does not hold (or lead to) a value or a key predicted to stay: a
    // `+` key, or any key of a component left whole (an uninstall refused, a permanent one).
    let kept_keys: BTreeSet<String> = prediction
        .registry
        .iter()
        .filter(|write| match write.data {
            WrittenData::KeyKept => true,
            WrittenData::KeyOnly => left_components.contains(write.component.as_str()),
            _ => false,
        })
        .map(hive_key)
        .collect();
    for key in after_uninstall.keys_added_since(before) {
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
    for file in prediction.files.iter() {
        let stays = left_items.contains(file.path.as_str());
        assert_eq!(
            prefix.drive_c(&file.path).is_file(),
            stays,
            "{context}: {} after /x",
            file.path
        );
    }
    let left_lower: BTreeSet<String> = left_items.iter().map(|item| item.to_lowercase()).collect();
    let predicted_left: BTreeSet<String> = predicted_made(prediction)
        .intersection(&left_lower)
        .cloned()
        .collect();
    assert_eq!(
        after_uninstall
            .files
            .difference(&before.files)
            .cloned()
            .collect::<BTreeSet<_>>(),
        predicted_left,
        "{context}: files and folders left after /x"
    );
    assert_eq!(
        before
            .files
            .difference(&after_uninstall.files)
            .cloned()
            .collect::<BTreeSet<_>>(),
        predicted_deleted(prediction, true),
        "{context}: files and folders deleted by /i and /x"
    );
    assert_ini_values(prefix, prediction, true, &context);
}

/// The components whose every value and file uninstall leaves.
fn components_left_whole<'p>(
    prediction: &'p Prediction,
    left_items: &BTreeSet<&str>,
) -> BTreeSet<&'p str> {
    let values = prediction
        .registry
        .iter()
        .filter(|write| !matches!(write.data, WrittenData::KeyOnly | WrittenData::KeyKept))
        .map(|write| (write.component.as_str(), write.display_key()));
    let files = prediction
        .files
        .iter()
        .map(|file| (file.component.as_str(), file.path.clone()));
    let mut whole: BTreeMap<&str, bool> = BTreeMap::new();
    for (component, item) in values.chain(files) {
        let left = left_items.contains(item.as_str());
        *whole.entry(component).or_insert(true) &= left;
    }
    whole.retain(|_, left| *left);
    whole.into_keys().collect()
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

/// Templates and the exit codes Wine gives them: no `;` (1636), no language the machine has
/// (1623), an empty language list and a list with one known language (installs).
const TEMPLATES: &[(&str, u32)] = &[
    ("x64", 1636),
    ("x64;9999", 1623),
    ("x64;", 0),
    ("x64;1000,1033", 0),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn templates_without_a_semicolon_or_a_known_language_are_refused_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    for (n, (template, code)) in TEMPLATES.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
            return;
        };
        let package_code = format!("{{11111111-2222-3333-4444-55555555555{n}}}");
        let output = crate::support::run(std::process::Command::new("msibuild").arg(&msi).args([
            "-s",
            "Templates",
            "Fabrikam",
            template,
            &package_code,
        ]));
        assert!(
            output.status.success(),
            "{}",
            crate::support::stderr(&output)
        );
        let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
        assert_eq!(
            prediction.exit_code, *code,
            "{template}: {:?}",
            prediction.outcome
        );
        assert_wine_agrees(Windows::Win10, &msi);
    }
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
    // `#` values that are no plain integer or hex: Wine's own reading.
    (
        "ShapeHashEmpty",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "HashEmpty",
        "#",
    ),
    (
        "ShapeHashText",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "HashText",
        "#abc",
    ),
    (
        "ShapeHashDigits",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "HashDigits",
        "#5x",
    ),
    (
        "ShapeHexEmpty",
        2,
        r"SOFTWARE\Fabrikam\Shapes",
        "HexEmpty",
        "#x",
    ),
    // With a value, `+` and `*` are ordinary names to Windows; Wine writes only the key.
    (
        "ShapePlusValued",
        2,
        r"SOFTWARE\Fabrikam\Shapes\PlusValued",
        "+",
        "valued",
    ),
    (
        "ShapeStarValued",
        2,
        r"SOFTWARE\Fabrikam\Shapes\StarValued",
        "*",
        "valued",
    ),
    (
        "ShapeMinusValued",
        2,
        r"SOFTWARE\Fabrikam\Shapes\MinusValued",
        "-",
        "valued",
    ),
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

/// The folder properties a value can name: all the simulator sets but TempFolder, which on
/// Wine is the user's (`C:\users\<user>\Temp\`).
const FOLDER_PROPERTIES: &[&str] = &[
    "ROOTDRIVE",
    "WindowsFolder",
    "SystemFolder",
    "System64Folder",
    "ProgramFilesFolder",
    "ProgramFiles64Folder",
    "CommonFilesFolder",
    "CommonFiles64Folder",
    "CommonAppDataFolder",
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn folder_properties_are_spelled_as_wine_spells_them() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    for property in FOLDER_PROPERTIES {
        run_query(
            &msi,
            &format!(
                "INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, \
                 `Component_`) VALUES ('Folder{property}', 2, 'SOFTWARE\\Fabrikam\\Folders', \
                 '{property}', '[{property}]', 'Settings')"
            ),
        );
    }
    assert_wine_agrees(Windows::Win10, &msi);
}

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
        run_query(&msi, &query);
    }
    assert_wine_agrees(Windows::Win10, &msi);
}

/// Runs one SQL `query` on `msi` with msibuild (msitools), not with our writer.
pub(crate) fn run_query(msi: &Path, query: &str) {
    let output = crate::support::run(
        std::process::Command::new("msibuild")
            .arg(msi)
            .arg("-q")
            .arg(query),
    );
    assert!(
        output.status.success(),
        "{query}: {}",
        crate::support::stderr(&output)
    );
}

pub(crate) fn schedule(msi: &Path, action: &str, condition: &str, sequence: u32) {
    run_query(
        msi,
        &format!(
            "INSERT INTO `InstallExecuteSequence` (`Action`, `Condition`, `Sequence`) \
             VALUES ('{action}', '{condition}', {sequence})"
        ),
    );
}

/// Actions that end a silent install early or with a restart code, added to a wixl package
/// with msibuild: (what, [(action, type 19 message or "", condition, sequence)], /i
/// properties). InstallFinalize is at 6600.
type Ending = (
    &'static str,
    &'static [(&'static str, &'static str, &'static str, u32)],
    &'static [&'static str],
);

const ENDINGS: &[Ending] = &[
    ("ScheduleReboot", &[("ScheduleReboot", "", "", 6700)], &[]),
    (
        "ScheduleReboot, REBOOT=ReallySuppress",
        &[("ScheduleReboot", "", "", 6700)],
        &["REBOOT=ReallySuppress"],
    ),
    (
        "ForceReboot before InstallFinalize",
        &[("ForceReboot", "", "", 6500)],
        &[],
    ),
    (
        "ForceReboot after InstallFinalize",
        &[("ForceReboot", "", "", 6700)],
        &[],
    ),
    (
        "type 19 before InstallFinalize",
        &[("Stop", "Stopped by [Manufacturer]", "NOT Installed", 1550)],
        &[],
    ),
    (
        "type 19 after InstallFinalize",
        &[("Stop", "Stopped by [Manufacturer]", "NOT Installed", 6700)],
        &[],
    ),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_on_reboots_and_error_actions() {
    if !crate::support::require("msibuild") {
        return;
    }
    for (what, actions, properties) in ENDINGS {
        let dir = tempfile::tempdir().unwrap();
        let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
            return;
        };
        for (action, message, condition, sequence) in *actions {
            if !message.is_empty() {
                run_query(
                    &msi,
                    &format!(
                        "INSERT INTO `CustomAction` (`Action`, `Type`, `Source`, `Target`) \
                         VALUES ('{action}', 19, '', '{message}')"
                    ),
                );
            }
            schedule(&msi, action, condition, *sequence);
        }
        let install = properties
            .iter()
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap();
                (name.to_string(), value.to_string())
            })
            .collect();
        let command_line = CommandLine {
            install,
            ..Default::default()
        };
        eprintln!("{what}");
        assert_wine_agrees_with(Windows::Win10, &msi, &command_line);
    }
}

/// Where the `source-media` fixture's files come from and what sits beside the package:
/// (what, files marked uncompressed, paths put beside it, the missing sources predicted).
type SourceCase = (
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
);

const SOURCE_MEDIA: &[SourceCase] = &[
    // Windows matches names without regard to case; so does Wine.
    ("an external cabinet", false, &["OUTSIDE.CAB"], &[]),
    (
        "an external cabinet that is missing",
        false,
        &[],
        &["outside.cab (2 files)"],
    ),
    // Files marked uncompressed in a compressed package: Wine reads them from beside the
    // package, not from the source tree Windows reads (the Windows profiles model the tree).
    (
        "uncompressed files beside the package",
        true,
        &["tool.txt", "data.txt"],
        &[],
    ),
    (
        "uncompressed files, one missing",
        true,
        &["tool.txt"],
        &["data.txt"],
    ),
    (
        "uncompressed files in the source tree, where Wine does not look",
        true,
        &[
            "Fabrikam Tools/tool.txt",
            "Fabrikam Tools/Data Files/data.txt",
        ],
        &["data.txt", "tool.txt"],
    ),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn simulator_matches_wine_on_source_media_beside_the_package() {
    if !crate::support::require("msibuild") || !crate::support::require("gcab") {
        return;
    }
    for (what, uncompressed, beside, missing) in SOURCE_MEDIA {
        let build = tempfile::tempdir().unwrap();
        for name in ["tool.txt", "data.txt"] {
            std::fs::write(build.path().join(name), format!("{name} from the source\n")).unwrap();
        }
        let Some(built) = wixl_package("source-media", build.path()) else {
            return;
        };
        if *uncompressed {
            run_query(&built, "UPDATE `Media` SET `Cabinet` = ''");
            run_query(&built, "UPDATE `File` SET `Attributes` = 8192");
        }
        let release = tempfile::tempdir().unwrap();
        let msi = release.path().join("source-media.msi");
        std::fs::copy(&built, &msi).unwrap();
        for path in *beside {
            put_beside(build.path(), &release.path().join(path));
        }
        let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
        let expected = match missing {
            [] => LaunchOutcome::Installs,
            _ => LaunchOutcome::Stopped {
                action: "InstallFiles".into(),
                message: format!(
                    "source files not found beside the package: {}",
                    missing.join(", ")
                ),
            },
        };
        assert_eq!(prediction.outcome, expected, "{what}");
        eprintln!("{what}");
        assert_wine_agrees(Windows::Win10, &msi);
    }
}

/// Writes `path`: a source file copied from `build`, or the cabinet gcab makes of both files,
/// each under its File key as Windows Installer looks it up.
fn put_beside(build: &Path, path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    if !name.eq_ignore_ascii_case("outside.cab") {
        std::fs::copy(build.join(name), path).unwrap();
        return;
    }
    let keyed = build.join("keyed");
    std::fs::create_dir_all(&keyed).unwrap();
    std::fs::copy(build.join("tool.txt"), keyed.join("ToolTxt")).unwrap();
    std::fs::copy(build.join("data.txt"), keyed.join("DataTxt")).unwrap();
    let output = crate::support::run(
        std::process::Command::new("gcab")
            .current_dir(&keyed)
            .args(["-c", "-z", "-n"])
            .arg(path)
            .args(["ToolTxt", "DataTxt"]),
    );
    assert!(
        output.status.success(),
        "gcab: {}",
        crate::support::stderr(&output)
    );
}
