//! The Group Policy software-installation check set: what a computer-assigned package needs,
//! since it installs at startup, as LocalSystem, before anyone signs in and perhaps before the
//! network is up. With SSPR002 (nothing only in the UI sequence), SSPR003 (no restart without
//! `REBOOT=ReallySuppress`) and SSPR005 (deferred actions do not impersonate) these rules make
//! the set; `verify` runs them on every package.
//!
//! The rule values are in the catalogue (`super::RULES`); their checks are here.

use super::{warning, Check, Finding, Rule};
use crate::format::bits::action_type::{KIND_MASK, SET_DIRECTORY, SET_PROPERTY};
use crate::format::schema;
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
    let all_users = package.property("ALLUSERS").unwrap_or_default();
    if !matches!(all_users.as_str(), "1" | "2") {
        findings.push(PER_USER.finding(format!("ALLUSERS is `{all_users}`")));
    } else if package.property("MSIINSTALLPERUSER").as_deref() == Some("1") {
        findings.push(PER_USER.finding("MSIINSTALLPERUSER is 1"));
    }
}

fn user_profile(package: &PackageView, findings: &mut Vec<Finding>) {
    for row in package.rows(&schema::REGISTRY) {
        if row.root == HKCU {
            findings.push(USER_PROFILE.finding_at(
                "Registry",
                row.registry.as_str(),
                format!("Registry row `{}` writes HKCU\\{}", row.registry, row.key),
            ));
        }
    }
    for component in components_under(package, PER_USER_FOLDERS) {
        findings.push(USER_PROFILE.finding_at(
            "Component",
            component.as_str(),
            format!("component `{component}` installs into a per-user folder"),
        ));
    }
}

fn network(package: &PackageView, findings: &mut Vec<Finding>) {
    for row in package.rows(&schema::CUSTOM_ACTION) {
        let kind = row.action_type & KIND_MASK;
        // Property and directory sets only compute text; an error message (19) only shows it.
        if matches!(kind, SET_PROPERTY | SET_DIRECTORY | 19) {
            continue;
        }
        let names_network = [&row.source, &row.target]
            .into_iter()
            .flatten()
            .any(|text| text.contains("\\\\") || text.contains("://"));
        if names_network {
            findings.push(NETWORK_AT_STARTUP.finding_at(
                "CustomAction",
                row.action.as_str(),
                format!("custom action `{}` names a network location", row.action),
            ));
        }
    }
}

/// The components whose folder is, or lies under, one of `folders` (Directory table keys).
/// Each folder's parent is looked up in a map built once; the walk up stops after as many
/// steps as there are folders, so a hostile Directory table with a cycle cannot loop.
pub fn components_under(package: &PackageView, folders: &[&str]) -> Vec<String> {
    let parents: BTreeMap<String, String> = package
        .rows(&schema::DIRECTORY)
        .map(|row| (row.directory, row.parent.unwrap_or_default()))
        .collect();
    package
        .rows(&schema::COMPONENT)
        .filter(|component| {
            let mut directory = component.directory.as_str();
            for _ in 0..=parents.len() {
                if folders.contains(&directory) {
                    return true;
                }
                match parents.get(directory).map(String::as_str) {
                    Some(next) if !next.is_empty() && next != directory => directory = next,
                    _ => return false,
                }
            }
            false
        })
        .map(|component| component.component)
        .collect()
}
