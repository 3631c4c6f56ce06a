//! The Group Policy check set on this project's packages and on each rule's mistake.

use crate::verify::tests::read::{package_bytes, package_bytes_with, settings_with};
use msikit::format::Cell;
use msikit::package::{self as read, PackageView};
use msikit::rules::gpo::{components_under, PER_USER_FOLDERS};
use msikit::rules::{Finding, RULES};

/// Registry table root of HKEY_CURRENT_USER.
const HKCU: i32 = 1;

/// What the set's own rules find.
fn check(package: &PackageView, findings: &mut Vec<Finding>) {
    for rule in RULES.iter().filter(|rule| rule.id.starts_with("GPO")) {
        if let msikit::rules::Check::Package(run) = rule.check {
            run(package, findings);
        }
    }
}

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
    let settings = settings_with(crate::verify::tests::rules::SITE_ACTIONS);
    read::read(&package_bytes_with(&settings, "win10-x64")).unwrap()
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
