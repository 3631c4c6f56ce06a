//! The Group Policy software-installation check set: what a computer-assigned package needs,
//! since it installs at startup, as LocalSystem, before anyone signs in and perhaps before the
//! network is up. With SSPR002 (nothing only in the UI sequence), SSPR003 (no restart without
//! `REBOOT=ReallySuppress`) and SSPR005 (deferred actions do not impersonate) these rules make
//! the set; `verify` runs them on every package.
//!
//! The rule values are in the catalogue (`super::RULES`); their checks are here.

use super::{warning, Check, Finding, Rule};
use crate::format::bits::action_type::{KIND_MASK, SET_DIRECTORY, SET_PROPERTY};
use crate::package::PackageView;
use std::collections::BTreeMap;

pub const PER_USER: Rule = warning(
    "GPO001",
    "the package is not per-machine (ALLUSERS is neither 1 nor 2, or MSIINSTALLPERUSER is 1): assigned to a computer, it installs into the SYSTEM account's profile",
    Check::Package(per_machine),
);
pub const USER_PROFILE: Rule = warning(
    "GPO002",
    "the package writes HKCU or into a per-user folder (AppData, Documents, Temp…): at startup no user is signed in, so the data lands in the SYSTEM account's profile",
    Check::Package(user_profile),
);
pub const NETWORK_AT_STARTUP: Rule = warning(
    "GPO003",
    "a custom action names a network location (a UNC path or a URL): at startup the network may not be up yet, and LocalSystem reaches it as the computer account",
    Check::Package(network),
);

/// Folders that stay per-user even in a per-machine install.
pub const PER_USER_FOLDERS: &[&str] = &[
    "AppDataFolder",
    "LocalAppDataFolder",
    "PersonalFolder",
    "FavoritesFolder",
    "MyPicturesFolder",
    "NetHoodFolder",
    "PrintHoodFolder",
    "RecentFolder",
    "SendToFolder",
    "TempFolder",
];

/// Registry table root of HKEY_CURRENT_USER.
const HKCU: i32 = 1;

fn per_machine(package: &PackageView, findings: &mut Vec<Finding>) {
    let all_users = package.property("ALLUSERS").unwrap_or("");
    if !matches!(all_users, "1" | "2") {
        findings.push(PER_USER.finding(format!("ALLUSERS is `{all_users}`")));
    } else if package.property("MSIINSTALLPERUSER") == Some("1") {
        findings.push(PER_USER.finding("MSIINSTALLPERUSER is 1"));
    }
}

fn user_profile(package: &PackageView, findings: &mut Vec<Finding>) {
    for row in package.rows("Registry") {
        if row.int("Root") == Some(HKCU) {
            findings.push(USER_PROFILE.finding(format!(
                "Registry row `{}` writes HKCU\\{}",
                row.text("Registry"),
                row.text("Key")
            )));
        }
    }
    for component in components_under(package, PER_USER_FOLDERS) {
        findings.push(USER_PROFILE.finding(format!(
            "component `{component}` installs into a per-user folder"
        )));
    }
}

fn network(package: &PackageView, findings: &mut Vec<Finding>) {
    for row in package.rows("CustomAction") {
        let kind = row.int("Type").unwrap_or(0) & KIND_MASK;
        // Property and directory sets only compute text; an error message (19) only shows it.
        if matches!(kind, SET_PROPERTY | SET_DIRECTORY | 19) {
            continue;
        }
        let names_network = [row.text("Source"), row.text("Target")]
            .iter()
            .any(|text| text.contains("\\\\") || text.contains("://"));
        if names_network {
            findings.push(NETWORK_AT_STARTUP.finding(format!(
                "custom action `{}` names a network location",
                row.text("Action")
            )));
        }
    }
}

/// The components whose folder is, or lies under, one of `folders` (Directory table keys).
/// Each folder's parent is looked up in a map built once; the walk up stops after as many
/// steps as there are folders, so a hostile Directory table with a cycle cannot loop.
pub fn components_under(package: &PackageView, folders: &[&str]) -> Vec<String> {
    let parents: BTreeMap<&str, &str> = package
        .rows("Directory")
        .map(|row| (row.text("Directory"), row.text("Directory_Parent")))
        .collect();
    package
        .rows("Component")
        .filter(|component| {
            let mut directory = component.text("Directory_");
            for _ in 0..=parents.len() {
                if folders.contains(&directory) {
                    return true;
                }
                match parents.get(directory) {
                    Some(&next) if !next.is_empty() && next != directory => directory = next,
                    _ => return false,
                }
            }
            false
        })
        .map(|component| component.text("Component").to_string())
        .collect()
}
