//! The upgrade rules (`verify --baseline`) on pairs of releases our builder makes from a
//! configuration and a changed one; where a mistake is one our builder cannot make (a 4th
//! version field, a kept package code, a moved RemoveExistingProducts), the newer release's
//! tables are changed the way another tool would have written them. Each rule's test fails
//! without the rule.

use crate::verify::tests::read::{package_bytes_with, settings_with};
use crate::verify::tests::rules::SITE_ACTIONS;
use msikit::format::Cell;
use msikit::package::{self as read, PackageView};
use msikit::rules::upgrade::check_upgrade;
use msikit::rules::Finding;
use msikit::simulate::upgrade::{simulate_upgrade, Removal, UpgradePrediction};
use msikit::simulate::LaunchOutcome;

fn release(extra: &str, version: &str, target: &str) -> PackageView {
    let mut settings = settings_with(extra);
    settings.product.version = msikit::format::ProductVersion::parse(version).unwrap();
    read::read(&package_bytes_with(&settings, target)).unwrap()
}

/// 1.0.0 and 1.1.0 of one configuration for `target`.
fn releases(extra: &str, target: &str) -> (PackageView, PackageView) {
    (
        release(extra, "1.0.0", target),
        release(extra, "1.1.0", target),
    )
}

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.id).collect()
}

/// Sets `column` of the rows of `table` whose first cell is `key` (every row for `None`).
fn set(view: &mut PackageView, table: &str, key: Option<&str>, column: &str, value: Cell) {
    let table = view.tables.get_mut(table).unwrap();
    let index = table.column(column).unwrap();
    let mut found = false;
    for row in &mut table.rows {
        if key.is_none_or(|key| row[0] == Cell::Str(key.into())) {
            row[index] = value.clone();
            found = true;
        }
    }
    assert!(found, "no row {key:?} in {}", table.name);
}

fn text(value: &str) -> Cell {
    Cell::Str(value.into())
}

#[test]
fn consecutive_releases_of_our_packages_pass_every_upgrade_rule() {
    for target in ["win10-x64", "win7-x64", "win81-x86"] {
        let (old, new) = releases(SITE_ACTIONS, target);
        assert_eq!(check_upgrade(&old, &new), Vec::new(), "{target}");
    }
}

#[test]
fn a_kept_component_guid_with_another_key_path_or_other_files_is_upg001() {
    let (old, mut new) = releases("", "win7-x64");
    let component = new.tables["File"].rows[0][1].clone();
    let Cell::Str(component) = component else {
        panic!("File.Component_")
    };
    set(
        &mut new,
        "File",
        None,
        "FileName",
        text("RENAMED.DLL|Renamed.dll"),
    );
    let findings = check_upgrade(&old, &new);
    assert_eq!(ids(&findings), ["UPG001"], "{findings:#?}");
    assert!(findings[0].message.contains("Renamed.dll"), "{findings:#?}");
    set(
        &mut new,
        "Component",
        Some(&component),
        "KeyPath",
        text("Other"),
    );
    assert!(check_upgrade(&old, &new)[0].message.contains("key path"));
}

#[test]
fn a_removed_component_whose_guid_lives_on_is_upg002() {
    let (old, mut new) = releases("", "win10-x64");
    let Cell::Str(first) = new.tables["Component"].rows[0][0].clone() else {
        panic!("Component.Component")
    };
    set(
        &mut new,
        "Component",
        Some(&first),
        "Component",
        text("Renamed"),
    );
    let findings = check_upgrade(&old, &new);
    assert_eq!(ids(&findings), ["UPG002"], "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("lives on as component `Renamed`"));

    // Gone from a minor update (the baseline's ProductCode kept).
    let (old, mut new) = releases("", "win10-x64");
    let product_code = old.property("ProductCode").unwrap();
    set(
        &mut new,
        "Property",
        Some("ProductCode"),
        "Value",
        text(&product_code),
    );
    new.tables.get_mut("Component").unwrap().rows.clear();
    let findings = check_upgrade(&old, &new);
    assert!(ids(&findings).contains(&"UPG002"), "{findings:#?}");
}

#[test]
fn a_version_changed_in_its_fourth_field_only_is_upg003() {
    let old = release("", "1.0.0", "win10-x64");
    let mut new = old.clone();
    set(
        &mut new,
        "Property",
        Some("ProductVersion"),
        "Value",
        text("1.0.0.7"),
    );
    new.summary.revision = Some("{00000000-0000-0000-0000-000000000001}".into());
    let findings = check_upgrade(&old, &new);
    assert!(ids(&findings).contains(&"UPG003"), "{findings:#?}");
    let (old, new) = releases("", "win10-x64");
    assert!(!ids(&check_upgrade(&old, &new)).contains(&"UPG003"));
}

#[test]
fn a_changed_upgrade_code_is_upg004() {
    let (old, mut new) = releases("", "win10-x64");
    set(
        &mut new,
        "Property",
        Some("UpgradeCode"),
        "Value",
        text("{11111111-2222-3333-4444-555555555555}"),
    );
    assert!(ids(&check_upgrade(&old, &new)).contains(&"UPG004"));
}

#[test]
fn a_kept_package_code_with_other_content_is_upg005() {
    let (old, mut new) = releases("", "win10-x64");
    new.summary.revision = old.summary.revision.clone();
    assert_eq!(ids(&check_upgrade(&old, &new)), ["UPG005"]);
    // The same package twice is not a finding.
    assert_eq!(check_upgrade(&old, &old), Vec::new());
}

#[test]
fn remove_existing_products_where_upgrades_lose_files_is_upg006() {
    let (old, new) = releases("", "win7-x64");
    let moved = |sequence: i32| {
        let mut moved = new.clone();
        set(
            &mut moved,
            "InstallExecuteSequence",
            Some("RemoveExistingProducts"),
            "Sequence",
            Cell::Int(sequence),
        );
        moved
    };
    // Between InstallFiles (4000) and WriteRegistryValues: inside the script, not allowed.
    assert_eq!(ids(&check_upgrade(&old, &moved(4500))), ["UPG006"]);
    // Before InstallValidate (1400): not allowed either.
    assert_eq!(ids(&check_upgrade(&old, &moved(1300))), ["UPG006"]);
    // Between InstallValidate and InstallInitialize (1500), and after InstallFinalize: fine.
    assert_eq!(check_upgrade(&old, &moved(1450)), Vec::new());
    assert_eq!(check_upgrade(&old, &moved(6700)), Vec::new());
    // Late, while a component rule is broken: the removal deletes the shared file.
    let mut broken = moved(6700);
    set(
        &mut broken,
        "File",
        None,
        "FileName",
        text("RENAMED.DLL|Renamed.dll"),
    );
    assert_eq!(ids(&check_upgrade(&old, &broken)), ["UPG001", "UPG006"]);
}

#[test]
fn a_release_that_does_not_refuse_a_downgrade_is_upg007() {
    let (old, mut new) = releases("", "win10-x64");
    new.tables
        .get_mut("LaunchCondition")
        .unwrap()
        .rows
        .retain(|row| !matches!(&row[0], Cell::Str(c) if c.contains("SSPR_NEWER_VERSION_FOUND")));
    let findings = check_upgrade(&old, &new);
    assert_eq!(ids(&findings), ["UPG007"], "{findings:#?}");
    assert!(findings[0]
        .message
        .contains("SSPR_NEWER_VERSION_FOUND finds newer versions"));
    // Older than the baseline and without the refusal: said so.
    let findings = check_upgrade(&release("", "2.0.0", "win10-x64"), &new);
    assert!(
        findings[0].message.contains("older than the baseline"),
        "{findings:#?}"
    );
    // With the refusal, installing the older one over the newer is refused: no finding.
    let (newer, older) = releases("", "win10-x64");
    assert_eq!(check_upgrade(&older, &newer), Vec::new());
}

#[test]
fn an_uninstall_action_that_also_runs_at_upgrade_is_upg008() {
    let (old, mut new) = releases(SITE_ACTIONS, "win10-x64");
    let hook = new
        .rows(&msikit::format::schema::INSTALL_EXECUTE_SEQUENCE)
        .find(|row| row.action.starts_with("Hook"))
        .unwrap()
        .action;
    set(
        &mut new,
        "InstallExecuteSequence",
        Some(&hook),
        "Condition",
        text("REMOVE~=\"ALL\""),
    );
    let findings = check_upgrade(&old, &new);
    assert_eq!(ids(&findings), ["UPG008"], "{findings:#?}");
    assert!(findings[0].message.contains(&hook));
}

fn upgrade_on(old: &PackageView, new: &PackageView, profile: &str) -> UpgradePrediction {
    let profile = msikit::simulate::profile::by_name(profile).unwrap();
    simulate_upgrade(&crate::verify::custom::simulator(), old, new, &profile).unwrap()
}

#[test]
fn the_simulated_upgrade_of_our_releases_loses_and_leaves_nothing() {
    let (old, new) = releases("", "win7-x64");
    let upgrade = upgrade_on(&old, &new, "win7-x64");
    assert_eq!(upgrade.outcome, Some(LaunchOutcome::Installs));
    assert_eq!(upgrade.removal, Removal::Early);
    assert!(!upgrade.written_twice.is_empty(), "{upgrade:#?}");
    assert_eq!(
        (upgrade.lost.len(), upgrade.left.len()),
        (0, 0),
        "{upgrade:#?}"
    );
}

#[test]
fn a_late_removal_after_a_guid_change_loses_what_both_releases_write() {
    let (old, mut new) = releases("", "win7-x64");
    set(
        &mut new,
        "Component",
        None,
        "ComponentId",
        text("{0F0F0F0F-1111-2222-3333-444444444444}"),
    );
    let early = upgrade_on(&old, &new, "win7-x64");
    assert!(early.lost.is_empty(), "{early:#?}");
    set(
        &mut new,
        "InstallExecuteSequence",
        Some("RemoveExistingProducts"),
        "Sequence",
        Cell::Int(6700),
    );
    let late = upgrade_on(&old, &new, "win7-x64");
    assert_eq!(late.removal, Removal::Late);
    let lost: Vec<&str> = late.lost.iter().map(|lost| lost.item.as_str()).collect();
    assert!(
        lost.iter()
            .any(|item| item.ends_with(r"\SsprCredentialProvider.dll")),
        "{late:#?}"
    );
    // Without RemoveExistingProducts the baseline stays, with everything it wrote.
    new.tables
        .get_mut("InstallExecuteSequence")
        .unwrap()
        .rows
        .retain(|row| row[0] != text("RemoveExistingProducts"));
    let kept = upgrade_on(&old, &new, "win7-x64");
    assert_eq!(kept.removal, Removal::None);
    assert!(kept.lost.is_empty());
}
