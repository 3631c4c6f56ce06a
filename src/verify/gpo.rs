//! The Group Policy software-installation check set: what a computer-assigned package needs,
//! since it installs at startup, as LocalSystem, before anyone signs in and perhaps before the
//! network is up. With SSPR002 (nothing only in the UI sequence), SSPR003 (no restart without
//! `REBOOT=ReallySuppress`) and SSPR005 (deferred actions do not impersonate) these rules make
//! the set; `verify` runs them on every package.

use super::read::PackageView;
use super::rules::{warning, Finding, Rule};
use crate::schema::action_type::{KIND_MASK, SET_DIRECTORY, SET_PROPERTY};

pub const PER_USER: Rule = warning(
    "GPO001",
    "the package is not per-machine (ALLUSERS is neither 1 nor 2, or MSIINSTALLPERUSER is 1): assigned to a computer, it installs into the SYSTEM account's profile",
);
pub const USER_PROFILE: Rule = warning(
    "GPO002",
    "the package writes HKCU or into a per-user folder (AppData, Documents, Temp…): at startup no user is signed in, so the data lands in the SYSTEM account's profile",
);
pub const NETWORK_AT_STARTUP: Rule = warning(
    "GPO003",
    "a custom action names a network location (a UNC path or a URL): at startup the network may not be up yet, and LocalSystem reaches it as the computer account",
);

/// Folders that stay per-user even in a per-machine install.
const PER_USER_FOLDERS: &[&str] = &[
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

/// Runs the set's own rules over `package`.
pub fn check(package: &PackageView, findings: &mut Vec<Finding>) {
    per_machine(package, findings);
    user_profile(package, findings);
    network(package, findings);
}

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
pub fn components_under(package: &PackageView, folders: &[&str]) -> Vec<String> {
    let parent = |directory: &str| {
        package
            .rows("Directory")
            .find(|row| row.text("Directory") == directory)
            .map(|row| row.text("Directory_Parent").to_string())
    };
    let depth_limit = package.rows("Directory").count() + 1;
    package
        .rows("Component")
        .filter(|component| {
            let mut directory = component.text("Directory_").to_string();
            // The Directory table may be hostile: a cycle must not loop for ever.
            for _ in 0..depth_limit {
                if folders.contains(&directory.as_str()) {
                    return true;
                }
                match parent(&directory) {
                    Some(next) if !next.is_empty() && next != directory => directory = next,
                    _ => return false,
                }
            }
            false
        })
        .map(|component| component.text("Component").to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::Cell;
    use crate::verify::read::{self, tests::package_bytes};

    fn findings(package: &PackageView) -> Vec<&'static str> {
        let mut found = Vec::new();
        check(package, &mut found);
        found.into_iter().map(|finding| finding.id).collect()
    }

    fn set(package: &mut PackageView, table: &str, key: &str, column: &str, value: Cell) {
        let table = package.tables.get_mut(table).unwrap();
        let (key_column, column) = (0, table.column(column).unwrap());
        let row = table
            .rows
            .iter_mut()
            .find(|row| row[key_column] == Cell::Str(key.into()))
            .unwrap();
        row[column] = value;
    }

    #[test]
    fn our_packages_pass_the_set() {
        for target in crate::target::ALL {
            let package = read::read(&package_bytes(&target.name())).unwrap();
            assert_eq!(findings(&package), Vec::<&str>::new(), "{target}");
        }
    }

    #[test]
    fn a_per_user_package_is_found() {
        let mut package = read::read(&package_bytes("win10-x64")).unwrap();
        set(
            &mut package,
            "Property",
            "ALLUSERS",
            "Value",
            Cell::Str("".into()),
        );
        assert_eq!(findings(&package), ["GPO001"]);
    }

    #[test]
    fn hkcu_and_per_user_folders_are_found() {
        let mut package = read::read(&package_bytes("win10-x64")).unwrap();
        set(
            &mut package,
            "Registry",
            "AllowPasswordReset",
            "Root",
            Cell::Int(HKCU),
        );
        assert_eq!(findings(&package), ["GPO002"]);

        let mut package = read::read(&package_bytes("win7-x64")).unwrap();
        set(
            &mut package,
            "Directory",
            "INSTALLFOLDER",
            "Directory_Parent",
            Cell::Str("AppDataFolder".into()),
        );
        assert_eq!(findings(&package), ["GPO002"]);
    }

    /// A package with every kind of custom action (none reaches the network).
    fn site_package() -> PackageView {
        let settings = read::tests::settings_with(crate::verify::rules::tests::SITE_ACTIONS);
        read::read(&read::tests::package_bytes_with(&settings, "win10-x64")).unwrap()
    }

    #[test]
    fn a_custom_action_on_a_share_is_found() {
        let mut package = site_package();
        assert_eq!(findings(&package), Vec::<&str>::new());
        let table = package.tables.get_mut("CustomAction").unwrap();
        let width = table.columns.len();
        let mut row = vec![Cell::Null; width];
        row[table.column("Action").unwrap()] = Cell::Str("FetchConfig".into());
        row[table.column("Type").unwrap()] = Cell::Int(34 | 0x400 | 0x800);
        row[table.column("Source").unwrap()] = Cell::Str("SystemFolder".into());
        row[table.column("Target").unwrap()] =
            Cell::Str(r#"cmd.exe /c copy \\server\share\site.ini "[ProgramFiles64Folder]""#.into());
        table.rows.push(row);
        assert_eq!(findings(&package), ["GPO003"]);
    }

    #[test]
    fn a_directory_cycle_ends() {
        let mut package = read::read(&package_bytes("win7-x64")).unwrap();
        let table = package.tables.get_mut("Directory").unwrap();
        let parent = table.column("Directory_Parent").unwrap();
        for row in &mut table.rows {
            row[parent] = row[0].clone();
        }
        let _ = components_under(&package, PER_USER_FOLDERS);
    }
}
