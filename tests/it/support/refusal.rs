//! Which launch conditions refused a package under Wine, against what the simulator says for
//! the profile that models the prefix. Wine's `/qn` log does not name the refusing condition
//! (it shows its message only in a dialog), but it lists the properties Wine computed: the
//! conditions false with those properties are the ones Wine refused on.

use msikit::format::RegistryRoot;
use msikit::simulate::profile::{self, MachineProfile, ProfileValue};
use msikit::simulate::{CommandLine, LaunchOutcome};
use std::collections::BTreeMap;
use std::path::Path;

/// A registry value a test added to its prefix with `reg add`, for the profile to have too.
#[derive(Debug, Clone)]
pub struct AddedValue {
    pub key: String,
    pub name: String,
    pub value: ProfileValue,
}

/// The final properties of a verbose log (`Property(S): NAME = VALUE`; the server side,
/// listed after the client's, wins).
fn logged_properties(log: &str) -> BTreeMap<String, String> {
    log.lines()
        .filter_map(|line| {
            let line = line.trim_end_matches('\r');
            let rest = line
                .strip_prefix("Property(C): ")
                .or_else(|| line.strip_prefix("Property(S): "))?;
            let (name, value) = rest.split_once(" = ")?;
            Some((name.to_string(), value.to_string()))
        })
        .collect()
}

/// The built-in `wine-…` profile with the values the test added to the prefix.
fn prefix_profile(profile_name: &str, added: &[AddedValue]) -> MachineProfile {
    let mut profile = profile::by_name(profile_name)
        .unwrap_or_else(|| panic!("no built-in profile {profile_name}"));
    for value in added {
        let (root, key) = value.key.split_once('\\').expect("ROOT\\key");
        let root = RegistryRoot::parse(root).expect("a registry root");
        profile.registry.insert(
            (
                root,
                key.to_ascii_lowercase(),
                value.name.to_ascii_lowercase(),
            ),
            value.value.clone(),
        );
    }
    profile
}

/// What the simulator says `msi` does on the profile with `command_line` (`NAME=VALUE`).
fn simulated_refusals(msi: &Path, profile: &MachineProfile, command_line: &[&str]) -> Vec<String> {
    let bytes = std::fs::read(msi).unwrap();
    let package = msikit::package::read(&bytes).unwrap();
    let install = command_line
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("NAME=VALUE");
            (name.to_string(), value.to_string())
        })
        .collect();
    let command_line = CommandLine {
        install,
        ..Default::default()
    };
    let prediction = sspr_msi::verify::custom::simulator()
        .simulate(&package, profile, &command_line)
        .unwrap();
    match prediction.outcome {
        LaunchOutcome::Refused { messages } => messages,
        _ => Vec::new(),
    }
}

/// Asserts the conditions false under Wine's properties are exactly those the simulator
/// refuses with on `profile_name` (plus `added`), and that one of them is the row of the
/// LaunchCondition table (as msiinfo reads it) whose message contains `message_part`.
pub fn assert_refused_as_simulated(
    msi: &Path,
    log: &str,
    profile_name: &str,
    added: &[AddedValue],
    command_line: &[&str],
    message_part: &str,
) {
    let properties = logged_properties(log);
    assert!(
        properties.contains_key("VersionNT"),
        "no properties in:\n{log}"
    );
    let under_wine =
        sspr_msi::explain::package::refusing_launch_conditions(msi, &properties).unwrap();
    let profile = prefix_profile(profile_name, added);
    let simulated = simulated_refusals(msi, &profile, command_line);
    assert_eq!(
        under_wine, simulated,
        "the conditions false under Wine's properties, against the simulation of {profile_name}"
    );
    let environment = msikit::formatted::deformat::PropertiesOnly(&properties);
    let refusing_rows: Vec<Vec<String>> = super::msiinfo_rows(msi, "LaunchCondition")
        .into_iter()
        .filter(|row| {
            let message = msikit::formatted::deformat::deformat(&row[1], &environment);
            under_wine.contains(&message)
        })
        .collect();
    assert!(
        refusing_rows
            .iter()
            .any(|row| row[1].contains(message_part)),
        "no refusing condition says `{message_part}`: {refusing_rows:?}"
    );
}
