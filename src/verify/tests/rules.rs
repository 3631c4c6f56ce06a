//! The static rules on this project's packages (clean) and on each rule's mistake.

use crate::verify::tests::read::package_bytes;
use msikit::format::bits::action_type::{IN_SCRIPT, NO_IMPERSONATE};
use msikit::format::Cell;
use msikit::package as read;
use msikit::package::ColumnType;
use msikit::package::PackageView;
use msikit::package::TableView;
use msikit::rules::*;

fn ids(findings: &[Finding]) -> Vec<&'static str> {
    findings.iter().map(|finding| finding.id).collect()
}

#[test]
fn our_packages_pass_every_error_rule() {
    for target in crate::target::ALL {
        let package = read::read(&package_bytes(&target.name())).unwrap();
        let errors: Vec<Finding> = check(&package)
            .into_iter()
            .filter(|finding| finding.severity == Severity::Error)
            .collect();
        assert_eq!(errors, Vec::new(), "{target}");
    }
}

/// A site's configuration with every kind of custom action and a proxy mode.
pub(crate) const SITE_ACTIONS: &str = r#"
[proxy]
mode = "machine"
server = "proxy:8080"
bypass = "<local>"
[proxy.custom_action.x64]
path = "ca64.dll"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[proxy.custom_action.x86]
path = "ca86.dll"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[proxy.custom_action.arm64]
path = "caa64.dll"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
[[custom_action]]
id = "Tag"
kind = "installed-exe"
directory = "System64Folder"
command = '"[System64Folder]reg.exe" add HKLM\SOFTWARE\C /v Site /d [SITE] /f /reg:64'
rollback = '"[System64Folder]reg.exe" delete HKLM\SOFTWARE\C /v Site /f /reg:64'
phases = ["install", "upgrade"]
targets = ["win10-x64", "win11-x64"]
[[custom_action]]
id = "Hook"
kind = "binary-dll"
binary.x64 = { path = "h.dll", sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
binary.x86 = { path = "h.dll", sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
binary.arm64 = { path = "h.dll", sha256 = "0000000000000000000000000000000000000000000000000000000000000000" }
entry = "Gone"
rollback_entry = "Back"
data = "site=[SITE]"
phases = ["uninstall"]
return = "ignore"
[[custom_action]]
id = "Derive"
kind = "set-property"
property = "SITE_UPPER"
value = "[SITE]-x"
[[property]]
name = "SITE"
value = "ct-1"
valid_when = 'SITE << "ct-"'
"#;

#[test]
fn packages_with_every_kind_of_custom_action_pass_every_rule() {
    let settings = crate::verify::tests::read::settings_with(SITE_ACTIONS);
    for target in crate::target::ALL {
        let bytes = crate::verify::tests::read::package_bytes_with(&settings, &target.name());
        let package = read::read(&bytes).unwrap();
        let findings: Vec<Finding> = check(&package)
            .into_iter()
            .filter(|finding| !["SSPR007", "SSPR008"].contains(&finding.id))
            .collect();
        assert_eq!(findings, Vec::new(), "{target}");
    }
}

#[test]
fn unsigned_packages_are_a_warning() {
    let package = read::read(&package_bytes("win10-x64")).unwrap();
    assert_eq!(ids(&check(&package)), vec!["SSPR007"]);
}

fn mutated(edit: impl FnOnce(&mut PackageView)) -> Vec<&'static str> {
    let mut package = read::read(&package_bytes("win10-x64")).unwrap();
    edit(&mut package);
    ids(&check(&package))
        .into_iter()
        .filter(|id| *id != "SSPR007")
        .collect()
}

fn set_property(package: &mut PackageView, name: &str, value: Option<&str>) {
    let table = package.tables.get_mut("Property").unwrap();
    table.rows.retain(|row| row[0] != Cell::from(name));
    if let Some(value) = value {
        table.rows.push(vec![name.into(), value.into()]);
    }
}

pub(super) fn add_row(package: &mut PackageView, table: &str, row: Vec<Cell>) {
    package.tables.get_mut(table).unwrap().rows.push(row);
}

pub(super) type Mistake = Box<dyn FnOnce(&mut PackageView)>;

fn adding(table: &'static str, row: Vec<Cell>) -> Mistake {
    Box::new(move |p| add_row(p, table, row))
}

fn setting_first_row(table: &'static str, column: &'static str, value: Cell) -> Mistake {
    Box::new(move |p| {
        let table = p.tables.get_mut(table).unwrap();
        let index = table.column(column).unwrap();
        table.rows[0][index] = value;
    })
}

/// A copy of the first row of `table` with `column` (by index) changed.
fn copying_first_row(table: &'static str, changes: Vec<(usize, Cell)>) -> Mistake {
    Box::new(move |p| {
        let table = p.tables.get_mut(table).unwrap();
        let mut copy = table.rows[0].clone();
        for (index, value) in changes {
            copy[index] = value;
        }
        table.rows.push(copy);
    })
}

/// A custom action of `kind` at `sequence` in InstallExecuteSequence.
fn custom_action(kind: i32, sequence: i32) -> Mistake {
    custom_actions(vec![("Act", kind, "TARGETDIR", "x", sequence, None)])
}

/// Custom actions (name, type, source, target, sequence, condition), all scheduled in
/// InstallExecuteSequence.
/// (name, type, source, target, sequence, condition)
pub(super) type ActionRow = (
    &'static str,
    i32,
    &'static str,
    &'static str,
    i32,
    Option<&'static str>,
);

pub(super) fn custom_actions(actions: Vec<ActionRow>) -> Mistake {
    Box::new(move |p| {
        let columns = ["Action", "Type", "Source", "Target"]
            .iter()
            .map(|name| msikit::package::ColumnInfo {
                name: name.to_string(),
                column_type: if *name == "Type" {
                    ColumnType::Int16
                } else {
                    ColumnType::Str(72)
                },
                nullable: *name == "Source" || *name == "Target",
                primary_key: *name == "Action",
                category: None,
                foreign_key: None,
            })
            .collect();
        let rows = actions
            .iter()
            .map(|(name, kind, source, target, _, _)| {
                vec![
                    (*name).into(),
                    Cell::Int(*kind),
                    (*source).into(),
                    (*target).into(),
                ]
            })
            .collect();
        p.tables.insert(
            "CustomAction".into(),
            TableView {
                name: "CustomAction".into(),
                columns,
                rows,
            },
        );
        for (name, _, _, _, sequence, condition) in &actions {
            let condition = condition.map_or(Cell::Null, Cell::from);
            add_row(
                p,
                "InstallExecuteSequence",
                vec![(*name).into(), condition, Cell::Int(*sequence)],
            );
        }
    })
}

#[test]
fn each_rule_catches_its_mistake() {
    let cases: Vec<(&str, Mistake)> = vec![
        (
            "ICE03",
            adding("FeatureComponents", vec!["SSPR".into(), "Nowhere".into()]),
        ),
        ("ICE03", adding("Property", vec!["X".into(), Cell::Int(1)])),
        (
            "ICE03",
            setting_first_row("Component", "ComponentId", "not-a-guid".into()),
        ),
        (
            "ICE03",
            adding("Property", vec!["Not an identifier".into(), "x".into()]),
        ),
        (
            "ICE08",
            copying_first_row("Component", vec![(0, "Twin".into())]),
        ),
        (
            "ICE09",
            setting_first_row("Component", "Directory_", "SystemFolder".into()),
        ),
        ("ICE12", custom_action(35, 900)),
        ("ICE12", custom_action(51, 1100)),
        (
            "ICE57",
            copying_first_row("Registry", vec![(0, "PerUser".into()), (1, Cell::Int(1))]),
        ),
        (
            "ICE61",
            setting_first_row("Upgrade", "ActionProperty", "lowerCase".into()),
        ),
        ("ICE77", custom_action(IN_SCRIPT | NO_IMPERSONATE | 1, 6700)),
        (
            "ICE80",
            Box::new(|p| p.summary.template = Some("Intel;1033".into())),
        ),
        (
            "PROPERTIES",
            Box::new(|p| set_property(p, "Manufacturer", None)),
        ),
        ("SUMMARY", Box::new(|p| p.summary.page_count = Some(100))),
        ("CODEPAGE", Box::new(|p| p.database_codepage = 65001)),
        (
            "SSPR001",
            adding(
                "LaunchCondition",
                vec!["VersionNT >= 1000".into(), "10 only".into()],
            ),
        ),
        (
            "SSPR002",
            adding(
                "InstallUISequence",
                vec!["SetupDone".into(), Cell::Null, Cell::Int(1200)],
            ),
        ),
        (
            "SSPR003",
            Box::new(|p| {
                set_property(p, "REBOOT", None);
                add_row(
                    p,
                    "InstallExecuteSequence",
                    vec!["ScheduleReboot".into(), Cell::Null, Cell::Int(6700)],
                );
            }),
        ),
        (
            "SSPR004",
            custom_action(IN_SCRIPT | NO_IMPERSONATE | 1, 5100),
        ),
        ("SSPR005", custom_action(IN_SCRIPT | 1, 5100)),
        (
            "SSPR012",
            custom_actions(vec![
                (
                    "Act",
                    IN_SCRIPT | NO_IMPERSONATE | 1,
                    "B",
                    "Entry",
                    5100,
                    Some("NOT Installed"),
                ),
                ("SetAct", 51, "Act", "k=v", 5101, Some("NOT Installed")),
            ]),
        ),
        (
            "SSPR012",
            custom_actions(vec![
                (
                    "Act",
                    IN_SCRIPT | NO_IMPERSONATE | 1,
                    "B",
                    "Entry",
                    5101,
                    Some("NOT Installed"),
                ),
                ("SetAct", 51, "Act", "k=v", 5100, Some("REMOVE~=\"ALL\"")),
            ]),
        ),
        (
            "SSPR013",
            custom_actions(vec![(
                "Reg",
                IN_SCRIPT | NO_IMPERSONATE | 34,
                "SystemFolder",
                "\"[SystemFolder]reg.exe\" add HKLM\\SOFTWARE\\X /f",
                5100,
                Some("NOT Installed"),
            )]),
        ),
        (
            "SSPR014",
            custom_action(IN_SCRIPT | NO_IMPERSONATE | 1, 5100),
        ),
        (
            "SSPR015",
            custom_actions(vec![("SetX", 51, "X", "[SITETAG]", 60, None)]),
        ),
        (
            "SSPR015",
            adding(
                "LaunchCondition",
                vec!["Installed OR SITETAG".into(), "set SITETAG".into()],
            ),
        ),
        (
            "SSPR006",
            setting_first_row(
                "Registry",
                "Value",
                "#looks literal [not a property]".into(),
            ),
        ),
    ];
    for (id, edit) in cases {
        assert!(
            RULES.iter().any(|rule| rule.id == id),
            "{id} is not in RULES"
        );
        let found = mutated(edit);
        assert!(found.contains(&id), "{id}: {found:?}");
    }
}

/// Issue 20 item 7: a value of `[]`×25000 made 25,000 findings, each quoting the whole
/// value (1.34 GB). Now a cell gives at most four, each quoting at most 80 characters of it.
#[test]
fn a_value_full_of_stray_brackets_gives_few_short_findings() {
    let mut package = read::read(&package_bytes("win10-x64")).unwrap();
    setting_first_row("Registry", "Value", "[]".repeat(25_000).into())(&mut package);
    let findings: Vec<Finding> = check(&package)
        .into_iter()
        .filter(|finding| finding.id == "SSPR006")
        .collect();
    // Three alike collapse into one (findings are deduplicated), then the count of the rest.
    assert!(findings.len() <= 4, "{findings:?}");
    assert!(findings
        .iter()
        .any(|finding| finding.message.contains("24997 more")));
    assert!(findings.iter().all(|finding| finding.message.len() < 600));
}

#[test]
fn an_arm64_package_below_installer_5_is_a_summary_error() {
    let mut package = read::read(&package_bytes("win11-arm64")).unwrap();
    assert!(!ids(&check(&package)).contains(&"SUMMARY"));
    package.summary.page_count = Some(200);
    assert!(ids(&check(&package)).contains(&"SUMMARY"));
}
