//! Static checks over any read package, each with a stable ID, a severity and a one-line
//! explanation: Windows Installer validation rules modelled on the ICE suite, and rules of
//! this project's own for silent, per-machine deployment that no ICE has.

pub mod gpo;
mod names;
pub mod system_binaries;
pub mod upgrade;

use crate::condition::{self, Operand};
use crate::format::bits::action_type::{
    COMMIT, EXE_IN_DIRECTORY, IN_SCRIPT, KIND_MASK, NO_IMPERSONATE, ROLLBACK, SET_DIRECTORY,
    SET_PROPERTY,
};
use crate::format::bits::ComponentAttributes;
use crate::format::row::Table;
use crate::format::schema::{self, SequenceAction};
use crate::format::Cell;
use crate::package::{ColumnInfo, ColumnType, PackageView, TableView};
use crate::read::{Input, StreamData};
use crate::sign::trust::TrustPolicy;
use crate::sign::{self, SignatureError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A rule of the catalogue: one value with its id, severity, explanation and check.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub explanation: &'static str,
    #[serde(skip)]
    pub check: Check,
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// The tables, summary and streams.
    Package(fn(&PackageView, &mut Vec<Finding>)),
    /// The package's bytes and embedded files: signatures, which need a trust policy, and
    /// cabinets (`check_signatures`).
    Signatures,
    /// The package (second) against the release it replaces (first): `verify --baseline`
    /// (`upgrade::check_upgrade`).
    Baseline(fn(&PackageView, &PackageView, &mut Vec<Finding>)),
}

/// One problem a rule found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The row the finding is about; absent for findings about the whole package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<RowLocation>,
}

/// A table row: the table's name and the row's primary key (key columns joined by `/`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RowLocation {
    pub table: String,
    pub row: String,
}

const fn error(id: &'static str, explanation: &'static str, check: Check) -> Rule {
    Rule {
        id,
        severity: Severity::Error,
        explanation,
        check,
    }
}

const fn warning(id: &'static str, explanation: &'static str, check: Check) -> Rule {
    Rule {
        id,
        severity: Severity::Warning,
        explanation,
        check,
    }
}

use Check::{Package as Tables, Signatures};

pub const ICE03: Rule = error(
    "ICE03",
    "every cell matches its column's type, length, nullability and category (GUID, Identifier…), and every foreign key names an existing row", Tables(column_types_and_keys));
pub const ICE08: Rule = error(
    "ICE08",
    "no two components share a ComponentId GUID",
    Tables(duplicate_component_guids),
);
pub const ICE09: Rule = warning(
    "ICE09",
    "components installing into SystemFolder/System64Folder are permanent",
    Tables(permanent_system_components),
);
pub const ICE12: Rule = error(
    "ICE12",
    "type 35 custom actions come after CostFinalize; type 51 actions setting a Directory come before it", Tables(directory_action_placement));
pub const ICE57: Rule = error(
    "ICE57",
    "no component mixes per-user (HKCU) and per-machine data",
    Tables(per_user_and_per_machine_mix),
);
pub const ICE61: Rule = error(
    "ICE61",
    "Upgrade rows have a version range, and an upper-case ActionProperty listed in SecureCustomProperties", Tables(upgrade_table));
pub const ICE77: Rule = error(
    "ICE77",
    "deferred custom actions are sequenced between InstallInitialize and InstallFinalize",
    Tables(deferred_action_placement),
);
pub const ICE80: Rule = error(
    "ICE80",
    "64-bit components and 64-bit folders only in a package whose Template says x64",
    Tables(bitness_against_template),
);
pub const PROPERTIES: Rule = error(
    "PROPERTIES",
    "ProductCode, ProductLanguage, Manufacturer, ProductVersion and ProductName are set (UpgradeCode too, for upgrades)", Tables(required_properties));
pub const SUMMARY: Rule = error(
    "SUMMARY",
    "summary information has a package code, a Template platform and a page count of 200+ for 64-bit (500+ for Arm64)", Tables(summary_properties));
pub const CODEPAGE: Rule = warning(
    "CODEPAGE",
    "database and summary codepage are 1252 or neutral (0): Windows rejects some others",
    Tables(codepages),
);
pub const CONDITION_SYNTAX: Rule = error(
    "CONDITION",
    "every condition (launch, component, feature, sequence) is valid condition syntax",
    Tables(condition_syntax),
);
pub const VERSIONNT_1000: Rule = error(
    "SSPR001",
    "a condition compares VersionNT to 1000 or more, which never holds: msiexec reports 603 on Windows 10 and 11", Tables(versionnt_1000));
pub const UI_ONLY: Rule = error(
    "SSPR002",
    "an action the install needs is only in InstallUISequence, which a silent (/qn) install skips",
    Tables(ui_only_actions),
);
pub const SILENT_REBOOT: Rule = error(
    "SSPR003",
    "ScheduleReboot/ForceReboot without REBOOT=ReallySuppress restarts a /qn install's machine without warning", Tables(silent_reboot));
pub const DEFERRED_ROLLBACK: Rule = warning(
    "SSPR004",
    "a deferred custom action has no rollback custom action sequenced before it",
    Tables(deferred_rollback),
);
pub const DEFERRED_IMPERSONATE: Rule = error(
    "SSPR005",
    "a deferred custom action in a per-machine package impersonates the user (no 0x800 no-impersonate bit), so it cannot change the machine", Tables(deferred_impersonate));
pub const ACCIDENTAL_FORMATTING: Rule = warning(
    "SSPR006",
    "a Registry value looks literal but Windows Installer will expand its `[...]` or read its leading `#` as a type", Tables(accidental_formatting));
pub const UNSIGNED_PACKAGE: Rule = warning(
    "SSPR007",
    "the package has no Authenticode signature (\\005DigitalSignature)",
    Tables(unsigned_package),
);
pub const UNSIGNED_PE: Rule = warning(
    "SSPR008",
    "an embedded EXE/DLL (cabinet file or Binary row) has no Authenticode signature",
    Signatures,
);

pub const CABINET: Rule = error(
    "CABINET",
    "every embedded cabinet reads: its structures fit the stream, its blocks inflate to their sizes with good checksums, and no two files overlap",
    Signatures,
);
pub const BAD_SIGNATURE: Rule = error(
    "SSPR009",
    "the package's Authenticode signature does not verify: changed after signing, malformed, or (with --trust-anchor) not from a trusted code-signing certificate", Signatures);
pub const BAD_PE_SIGNATURE: Rule = error(
    "SSPR010",
    "an embedded EXE/DLL carries an Authenticode signature that does not verify",
    Signatures,
);
pub const UNCHECKED_SIGNER: Rule = warning(
    "SSPR011",
    "the signature is intact, but who signed it was not checked: give --trust-anchor",
    Signatures,
);
pub const CUSTOM_ACTION_DATA: Rule = error(
    "SSPR012",
    "a deferred custom action's CustomActionData is set after the action or under another condition, so the action reads nothing", Tables(custom_action_data));
pub const WOW64_TOOL: Rule = warning(
    "SSPR013",
    "a 64-bit package starts a program from SystemFolder (SysWOW64 on 64-bit Windows): its registry writes land in WOW6432Node; use System64Folder", Tables(wow64_tools));
pub const PHASELESS_DEFERRED: Rule = warning(
    "SSPR014",
    "a deferred custom action has no condition on Installed, REMOVE, REINSTALL or UPGRADINGPRODUCTCODE, so it runs at install, repair and uninstall alike", Tables(phaseless_deferred));
pub const INSECURE_PUBLIC_PROPERTY: Rule = warning(
    "SSPR015",
    "a public property that custom actions or launch conditions read is not in SecureCustomProperties: an admin's PROPERTY=value on the command line does not reach the elevated install", Tables(insecure_public_properties));

/// Every rule, in report order.
pub const RULES: &[Rule] = &[
    ICE03,
    ICE08,
    ICE09,
    ICE12,
    ICE57,
    ICE61,
    ICE77,
    ICE80,
    PROPERTIES,
    SUMMARY,
    CODEPAGE,
    CONDITION_SYNTAX,
    VERSIONNT_1000,
    UI_ONLY,
    SILENT_REBOOT,
    DEFERRED_ROLLBACK,
    DEFERRED_IMPERSONATE,
    ACCIDENTAL_FORMATTING,
    UNSIGNED_PACKAGE,
    UNSIGNED_PE,
    CABINET,
    BAD_SIGNATURE,
    BAD_PE_SIGNATURE,
    UNCHECKED_SIGNER,
    CUSTOM_ACTION_DATA,
    WOW64_TOOL,
    PHASELESS_DEFERRED,
    INSECURE_PUBLIC_PROPERTY,
    system_binaries::WRITABLE_SYSTEM_BINARY,
    gpo::PER_USER,
    gpo::USER_PROFILE,
    gpo::NETWORK_AT_STARTUP,
    upgrade::BROKEN_COMPONENT,
    upgrade::REMOVED_COMPONENT,
    upgrade::FOURTH_FIELD,
    upgrade::UPGRADE_CODE,
    upgrade::PACKAGE_CODE,
    upgrade::REMOVE_EXISTING_PRODUCTS,
    upgrade::NO_DOWNGRADE_REFUSAL,
    upgrade::UNINSTALL_DURING_UPGRADE,
];

impl Rule {
    /// A finding of this rule.
    pub fn finding(&self, message: impl Into<String>) -> Finding {
        Finding {
            id: self.id,
            severity: self.severity,
            message: message.into(),
            location: None,
        }
    }

    /// A finding of this rule about row `row` of `table`.
    pub fn finding_at(
        &self,
        table: &str,
        row: impl Into<String>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            location: Some(RowLocation {
                table: table.to_string(),
                row: row.into(),
            }),
            ..self.finding(message)
        }
    }

    /// The rule's short PascalCase name (`DuplicateComponentGuid`).
    pub fn name(&self) -> &'static str {
        names::rule_name(self.id)
    }
}

/// Runs every rule over `package`; findings sorted by rule and message.
pub fn check(package: &PackageView) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in RULES {
        if let Check::Package(run) = rule.check {
            run(package, &mut findings);
        }
    }
    findings.sort_by_key(|finding| {
        let order = RULES.iter().position(|rule| rule.id == finding.id);
        (order, finding.message.clone())
    });
    findings.dedup();
    findings
}

fn column_types_and_keys(package: &PackageView, findings: &mut Vec<Finding>) {
    for table in package.tables.values() {
        let categories: Vec<Option<crate::format::Category>> = table
            .columns
            .iter()
            .map(|column| column_category(&table.name, column))
            .collect();
        for (row_index, row) in table.rows.iter().enumerate() {
            for ((column, cell), category) in table.columns.iter().zip(row).zip(&categories) {
                let problem = cell_problem(column.column_type, column.nullable, cell)
                    .or_else(|| category_problem(*category, cell));
                if let Some(problem) = problem {
                    findings.push(ICE03.finding_at(
                        &table.name,
                        row_key(table, row),
                        format!(
                            "{}.{} row {}: {problem}",
                            table.name,
                            column.name,
                            row_index + 1
                        ),
                    ));
                }
            }
        }
        dangling_keys(package, table, findings);
    }
}

/// The column's `_Validation` category, or this tool's schema's for tables it knows (wixl
/// writes no `_Validation`).
fn column_category(table: &str, column: &ColumnInfo) -> Option<crate::format::Category> {
    column
        .category
        .as_deref()
        .and_then(|category| category.parse().ok())
        .or_else(|| {
            let schema = crate::format::schema::table(table)?;
            schema
                .columns
                .iter()
                .find(|c| c.name == column.name)?
                .category
        })
}

/// A string that breaks its category's syntax (GUID, Identifier, upper case, file names…),
/// as far as the `msi` crate knows the category.
fn category_problem(category: Option<crate::format::Category>, cell: &Cell) -> Option<String> {
    match (category, cell) {
        (Some(category), Cell::Str(text)) if !category.accepts(text) => {
            Some(format!("`{text}` is not a valid {category}"))
        }
        _ => None,
    }
}

fn cell_problem(column_type: ColumnType, nullable: bool, cell: &Cell) -> Option<String> {
    match (column_type, cell) {
        (_, Cell::Null) if !nullable => Some("null in a non-nullable column".into()),
        (ColumnType::Int16 | ColumnType::Int32, Cell::Str(text)) => {
            Some(format!("`{text}` in an integer column"))
        }
        (ColumnType::Str(_), Cell::Int(value)) => Some(format!("{value} in a string column")),
        (ColumnType::Str(max), Cell::Str(text)) if max > 0 && text.chars().count() > max => {
            Some(format!(
                "{} characters where the column allows {max}",
                text.chars().count()
            ))
        }
        (ColumnType::Int16, Cell::Int(value)) if i16::try_from(*value).is_err() => {
            Some(format!("{value} does not fit a 16-bit column"))
        }
        _ => None,
    }
}

/// Foreign keys from the package's `_Validation` table, or this tool's schema for tables
/// it knows (wixl writes no `_Validation`).
fn dangling_keys(package: &PackageView, table: &TableView, findings: &mut Vec<Finding>) {
    let schema = crate::format::schema::table(&table.name);
    for (index, column) in table.columns.iter().enumerate() {
        let foreign = column.foreign_key.clone().or_else(|| {
            let schema_column = schema?.columns.iter().find(|c| c.name == column.name)?;
            schema_column
                .foreign_key
                .map(|(table, column)| (table.to_string(), column))
        });
        let Some((target, target_column)) = foreign else {
            continue;
        };
        let keys: BTreeSet<&Cell> = package
            .tables
            .get(&target)
            .map(|target| {
                let column = usize::try_from(target_column - 1).unwrap_or(0);
                target
                    .rows
                    .iter()
                    .filter_map(|row| row.get(column))
                    .collect()
            })
            .unwrap_or_default();
        for row in &table.rows {
            let Some(cell) = row.get(index).filter(|cell| **cell != Cell::Null) else {
                continue;
            };
            if !keys.contains(cell) {
                findings.push(ICE03.finding_at(
                    &table.name,
                    row_key(table, row),
                    format!(
                        "{}.{} = {} refers to no row of {target}",
                        table.name,
                        column.name,
                        show(cell)
                    ),
                ));
            }
        }
    }
}

/// A row's primary key: its key cells, joined by `/` (all cells when no column is a key).
fn row_key(table: &TableView, row: &[Cell]) -> String {
    let keys: Vec<String> = table
        .columns
        .iter()
        .zip(row)
        .filter(|(column, _)| column.primary_key)
        .map(|(_, cell)| key_text(cell))
        .collect();
    match keys.is_empty() {
        true => row.iter().map(key_text).collect::<Vec<_>>().join("/"),
        false => keys.join("/"),
    }
}

fn key_text(cell: &Cell) -> String {
    match cell {
        Cell::Null => String::new(),
        Cell::Int(value) => value.to_string(),
        Cell::Str(text) => text.clone(),
    }
}

fn show(cell: &Cell) -> String {
    match cell {
        Cell::Null => "null".into(),
        Cell::Int(value) => value.to_string(),
        Cell::Str(text) => format!("`{text}`"),
    }
}

fn duplicate_component_guids(package: &PackageView, findings: &mut Vec<Finding>) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for component in package.rows(&schema::COMPONENT) {
        let guid = component
            .component_id
            .unwrap_or_default()
            .to_ascii_uppercase();
        if guid.is_empty() {
            continue;
        }
        let name = component.component;
        if let Some(first) = seen.insert(guid.clone(), name.clone()) {
            findings.push(ICE08.finding_at(
                "Component",
                name.as_str(),
                format!("components `{first}` and `{name}` share {guid}"),
            ));
        }
    }
}

fn permanent_system_components(package: &PackageView, findings: &mut Vec<Finding>) {
    for component in package.rows(&schema::COMPONENT) {
        let directory = component.directory.as_str();
        let permanent = component
            .attributes
            .contains(ComponentAttributes::PERMANENT);
        if matches!(directory, "SystemFolder" | "System64Folder") && !permanent {
            findings.push(ICE09.finding_at(
                "Component",
                component.component.as_str(),
                format!(
                    "component `{}` installs into {directory} but is not permanent",
                    component.component
                ),
            ));
        }
    }
}

/// `(action, sequence)` of a sequence table.
fn sequence(package: &PackageView, table: &Table<SequenceAction>) -> BTreeMap<String, i32> {
    package
        .rows(table)
        .filter_map(|row| Some((row.action, row.sequence?)))
        .collect()
}

const EXECUTE: &Table<SequenceAction> = &schema::INSTALL_EXECUTE_SEQUENCE;
const UI: &Table<SequenceAction> = &schema::INSTALL_UI_SEQUENCE;

/// Every CustomAction row as (Action, Type, Source, Target), null text as empty.
fn custom_actions(package: &PackageView) -> Vec<(String, i32, String, String)> {
    package
        .rows(&schema::CUSTOM_ACTION)
        .map(|row| {
            (
                row.action,
                row.action_type,
                row.source.unwrap_or_default(),
                row.target.unwrap_or_default(),
            )
        })
        .collect()
}

fn directory_action_placement(package: &PackageView, findings: &mut Vec<Finding>) {
    let directories: BTreeSet<String> = package
        .rows(&schema::DIRECTORY)
        .map(|row| row.directory)
        .collect();
    for table in [EXECUTE, UI] {
        let order = sequence(package, table);
        let Some(&cost_finalize) = order.get("CostFinalize") else {
            continue;
        };
        for (action, kind, source, _) in custom_actions(package) {
            let Some(&position) = order.get(&action) else {
                continue;
            };
            let base = kind & KIND_MASK;
            if base == SET_DIRECTORY && position <= cost_finalize {
                findings.push(ICE12.finding_at(table.name(), action.as_str(), format!(
                    "{}: type 35 action `{action}` ({position}) runs before CostFinalize ({cost_finalize})",
                    table.name()
                )));
            }
            if base == SET_PROPERTY && directories.contains(&source) && position >= cost_finalize {
                findings.push(ICE12.finding_at(table.name(), action.as_str(), format!(
                    "{}: type 51 action `{action}` sets Directory `{source}` after CostFinalize ({cost_finalize})",
                    table.name()
                )));
            }
        }
    }
}

fn per_user_and_per_machine_mix(package: &PackageView, findings: &mut Vec<Finding>) {
    let mut roots: BTreeMap<String, BTreeSet<&'static str>> = BTreeMap::new();
    let per_machine = package.property("ALLUSERS").as_deref() == Some("1");
    for row in package.rows(&schema::REGISTRY) {
        let scope = match row.root {
            1 => "per-user",
            -1 if !per_machine => "per-user",
            _ => "per-machine",
        };
        roots.entry(row.component).or_default().insert(scope);
    }
    for (component, scopes) in roots {
        if scopes.len() > 1 {
            findings.push(ICE57.finding_at(
                "Component",
                component.as_str(),
                format!("component `{component}` writes both HKCU and per-machine registry data"),
            ));
        }
    }
}

fn upgrade_table(package: &PackageView, findings: &mut Vec<Finding>) {
    let secure = secure_properties(package);
    for row in package.rows(&schema::UPGRADE) {
        let property = row.action_property.as_str();
        let empty = |version: &Option<String>| version.as_deref().unwrap_or("").is_empty();
        if empty(&row.version_min) && empty(&row.version_max) {
            findings.push(ICE61.finding(format!(
                "Upgrade row for `{property}` has neither VersionMin nor VersionMax"
            )));
        }
        if property != property.to_ascii_uppercase() {
            findings.push(ICE61.finding(format!(
                "ActionProperty `{property}` is not upper case, so it cannot be public"
            )));
        }
        if !secure.contains(property) {
            findings.push(ICE61.finding(format!(
                "ActionProperty `{property}` is not in SecureCustomProperties, so a per-machine install loses it"
            )));
        }
    }
}

/// SecureCustomProperties, split at `;`.
fn secure_properties(package: &PackageView) -> BTreeSet<String> {
    package
        .property("SecureCustomProperties")
        .unwrap_or_default()
        .split(';')
        .map(str::to_string)
        .collect()
}

fn deferred_action_placement(package: &PackageView, findings: &mut Vec<Finding>) {
    let order = sequence(package, EXECUTE);
    let (Some(&start), Some(&end)) = (order.get("InstallInitialize"), order.get("InstallFinalize"))
    else {
        return;
    };
    for (action, kind, _, _) in custom_actions(package) {
        let Some(&position) = order.get(&action) else {
            continue;
        };
        if kind & IN_SCRIPT != 0 && !(start < position && position < end) {
            findings.push(ICE77.finding_at("InstallExecuteSequence", action.as_str(), format!(
                "deferred action `{action}` ({position}) is outside InstallInitialize ({start}) … InstallFinalize ({end})"
            )));
        }
    }
}

fn bitness_against_template(package: &PackageView, findings: &mut Vec<Finding>) {
    if package.is_64bit() {
        return;
    }
    for component in package.rows(&schema::COMPONENT) {
        if component.attributes.contains(ComponentAttributes::WIN64) {
            findings.push(ICE80.finding_at(
                "Component",
                component.component.as_str(),
                format!(
                    "component `{}` is 64-bit but the Template platform is {}",
                    component.component,
                    package.summary.platform().unwrap_or("missing")
                ),
            ));
        }
    }
    for directory in package.rows(&schema::DIRECTORY) {
        let id = directory.directory;
        if matches!(
            id.as_str(),
            "ProgramFiles64Folder" | "System64Folder" | "CommonFiles64Folder"
        ) {
            findings.push(ICE80.finding_at(
                "Directory",
                id.as_str(),
                format!("Directory `{id}` is a 64-bit folder in a 32-bit package"),
            ));
        }
    }
}

/// Properties every package needs (Windows Installer SDK, "Required Properties").
pub const REQUIRED_PROPERTIES: &[&str] = &[
    "ProductCode",
    "ProductLanguage",
    "Manufacturer",
    "ProductVersion",
    "ProductName",
];

fn required_properties(package: &PackageView, findings: &mut Vec<Finding>) {
    for &name in REQUIRED_PROPERTIES {
        if package.property(name).is_none_or(|value| value.is_empty()) {
            findings.push(PROPERTIES.finding_at(
                "Property",
                name.to_string(),
                format!("property `{name}` is missing"),
            ));
        }
    }
    if package.rows(&schema::UPGRADE).next().is_some() && package.property("UpgradeCode").is_none()
    {
        findings.push(PROPERTIES.finding("an Upgrade table without an UpgradeCode property"));
    }
}

fn summary_properties(package: &PackageView, findings: &mut Vec<Finding>) {
    let summary = &package.summary;
    if summary.revision.is_none() {
        findings.push(SUMMARY.finding("no package code (Revision number)"));
    }
    match summary.platform() {
        Some("Intel" | "x64" | "Arm64" | "Intel64" | "AMD64") => {}
        other => findings.push(SUMMARY.finding(format!(
            "Template platform {other:?} is not Intel, x64 or Arm64"
        ))),
    }
    if package.is_64bit() && summary.page_count.unwrap_or(0) < 200 {
        findings.push(SUMMARY.finding(format!(
            "page count {:?}: a 64-bit package needs 200 or more",
            summary.page_count
        )));
    } else if summary.platform() == Some("Arm64") && summary.page_count.unwrap_or(0) < 500 {
        // Below 500 Windows Installer says the package "could not be opened".
        findings.push(SUMMARY.finding(format!(
            "page count {:?}: an Arm64 package needs 500 or more (Windows Installer 5.0)",
            summary.page_count
        )));
    }
}

fn codepages(package: &PackageView, findings: &mut Vec<Finding>) {
    let summary = &package.summary;
    // 0 = neutral; Windows rejects some non-ANSI codepages.
    for (what, codepage) in [
        ("summary", summary.codepage()),
        ("database", package.database_codepage),
    ] {
        if !matches!(codepage, 0 | 1252) {
            findings.push(
                CODEPAGE.finding(format!("{what} codepage {codepage} is not 1252 or neutral")),
            );
        }
    }
}

/// Every condition in the package, with where it is.
fn conditions(package: &PackageView) -> Vec<(String, String)> {
    let launch = package
        .rows(&schema::LAUNCH_CONDITION)
        .map(|row| ("LaunchCondition", row.description, Some(row.condition)));
    let components = package
        .rows(&schema::COMPONENT)
        .map(|row| ("Component", row.component, row.condition));
    let features = package
        .rows(&schema::CONDITION_TABLE)
        .map(|row| ("Condition", row.feature, row.condition));
    let sequences = [EXECUTE, UI].into_iter().flat_map(|table| {
        package
            .rows(table)
            .map(|row| (table.name(), row.action, row.condition))
    });
    launch
        .chain(components)
        .chain(features)
        .chain(sequences)
        .filter_map(|(table, key, condition)| {
            let condition = condition.filter(|text| !text.is_empty())?;
            Some((format!("{table} `{key}`"), condition))
        })
        .collect()
}

fn condition_syntax(package: &PackageView, findings: &mut Vec<Finding>) {
    for (place, text) in conditions(package) {
        if let Err(error) = condition::parse(&text) {
            findings.push(CONDITION_SYNTAX.finding(format!("{place}: `{text}`: {error}")));
        }
    }
}

fn versionnt_1000(package: &PackageView, findings: &mut Vec<Finding>) {
    for (place, text) in conditions(package) {
        let Ok(expr) = condition::parse(&text) else {
            continue;
        };
        for (left, _, right) in expr.comparisons() {
            let compares = |a: &Operand, b: &Operand| {
                matches!(a, Operand::Property(name) if name == "VersionNT" || name == "VersionNT64")
                    && matches!(b, Operand::Integer(value) if *value >= 1000)
            };
            if compares(left, right) || compares(right, left) {
                findings.push(VERSIONNT_1000.finding(format!("{place}: `{text}`")));
            }
        }
    }
}

/// UI-sequence actions that never change what the execute sequence does.
const UI_ONLY_ACTIONS: &[&str] = &["ExecuteAction", "DisableRollback", "ResolveSource"];

fn ui_only_actions(package: &PackageView, findings: &mut Vec<Finding>) {
    let execute = sequence(package, EXECUTE);
    let dialogs: BTreeSet<String> = package
        .rows(&schema::DIALOG)
        .map(|row| row.dialog)
        .collect();
    for action in sequence(package, UI).keys() {
        if execute.contains_key(action)
            || dialogs.contains(action)
            || UI_ONLY_ACTIONS.contains(&action.as_str())
        {
            continue;
        }
        findings.push(UI_ONLY.finding_at(
            "InstallUISequence",
            action.as_str(),
            format!("`{action}` is in InstallUISequence only; /qn skips it"),
        ));
    }
}

fn silent_reboot(package: &PackageView, findings: &mut Vec<Finding>) {
    let suppressed = package
        .property("REBOOT")
        .is_some_and(|value| value.to_ascii_uppercase().starts_with('R'));
    if suppressed {
        return;
    }
    for action in ["ScheduleReboot", "ForceReboot"] {
        if sequence(package, EXECUTE).contains_key(action) {
            findings.push(SILENT_REBOOT.finding_at(
                "InstallExecuteSequence",
                action,
                format!(
                    "`{action}` is in InstallExecuteSequence and REBOOT=ReallySuppress is not set"
                ),
            ));
        }
    }
}

/// Deferred (in-script) actions that are neither rollback nor commit, in the execute
/// sequence: (action, type, whether a rollback action comes before it).
fn deferred_script_actions(package: &PackageView) -> Vec<(String, i32, bool)> {
    let order = sequence(package, EXECUTE);
    let actions = custom_actions(package);
    let mut deferred = Vec::new();
    for (action, kind, _, _) in &actions {
        let Some(&position) = order.get(action) else {
            continue;
        };
        if kind & IN_SCRIPT == 0 || kind & (ROLLBACK | COMMIT) != 0 {
            continue;
        }
        let has_rollback = actions.iter().any(|(other, other_kind, _, _)| {
            other_kind & (IN_SCRIPT | ROLLBACK) == IN_SCRIPT | ROLLBACK
                && order.get(other).is_some_and(|&at| at < position)
        });
        deferred.push((action.clone(), *kind, has_rollback));
    }
    deferred
}

fn deferred_rollback(package: &PackageView, findings: &mut Vec<Finding>) {
    for (action, _, has_rollback) in deferred_script_actions(package) {
        if !has_rollback {
            findings.push(DEFERRED_ROLLBACK.finding_at(
                "CustomAction",
                action.as_str(),
                format!("deferred action `{action}` has no rollback action before it"),
            ));
        }
    }
}

fn deferred_impersonate(package: &PackageView, findings: &mut Vec<Finding>) {
    if package.property("ALLUSERS").as_deref() != Some("1") {
        return;
    }
    for (action, kind, _) in deferred_script_actions(package) {
        if kind & NO_IMPERSONATE == 0 {
            findings.push(DEFERRED_IMPERSONATE.finding_at(
                "CustomAction",
                action.as_str(),
                format!("deferred action `{action}` (type {kind}) impersonates the user"),
            ));
        }
    }
}

/// The execute sequence's (position, condition) of `action`.
fn scheduled(package: &PackageView, action: &str) -> Option<(i32, String)> {
    package
        .rows(EXECUTE)
        .find(|row| row.action == action)
        .and_then(|row| Some((row.sequence?, row.condition.unwrap_or_default())))
}

fn custom_action_data(package: &PackageView, findings: &mut Vec<Finding>) {
    let actions = custom_actions(package);
    let deferred: BTreeSet<&str> = actions
        .iter()
        .filter(|(_, kind, _, _)| kind & IN_SCRIPT != 0)
        .map(|(action, _, _, _)| action.as_str())
        .collect();
    for (setter, kind, target, _) in &actions {
        if kind & KIND_MASK != SET_PROPERTY || !deferred.contains(target.as_str()) {
            continue;
        }
        let (Some((set_at, set_when)), Some((runs_at, runs_when))) =
            (scheduled(package, setter), scheduled(package, target))
        else {
            continue;
        };
        if set_at >= runs_at {
            findings.push(CUSTOM_ACTION_DATA.finding_at("CustomAction", setter.as_str(), format!(
                "`{setter}` ({set_at}) sets the data of `{target}` ({runs_at}) only after it is scheduled"
            )));
        } else if set_when.trim() != runs_when.trim() {
            findings.push(CUSTOM_ACTION_DATA.finding_at(
                "CustomAction",
                setter.as_str(),
                format!("`{setter}` runs when `{set_when}` but `{target}` when `{runs_when}`"),
            ));
        }
    }
}

fn wow64_tools(package: &PackageView, findings: &mut Vec<Finding>) {
    if !package.is_64bit() {
        return;
    }
    for (action, kind, source, target) in custom_actions(package) {
        let exe_in_system = kind & KIND_MASK == EXE_IN_DIRECTORY && source == "SystemFolder";
        if exe_in_system || target.trim_start_matches('"').starts_with("[SystemFolder]") {
            findings.push(WOW64_TOOL.finding_at(
                "CustomAction",
                action.as_str(),
                format!("`{action}` starts `{target}` from SystemFolder"),
            ));
        }
    }
}

/// Properties whose presence tells the phases apart.
const PHASE_PROPERTIES: &[&str] = &["Installed", "REMOVE", "REINSTALL", "UPGRADINGPRODUCTCODE"];

fn phaseless_deferred(package: &PackageView, findings: &mut Vec<Finding>) {
    for (action, kind, _, _) in custom_actions(package) {
        if kind & IN_SCRIPT == 0 || kind & (ROLLBACK | COMMIT) != 0 {
            continue;
        }
        let Some((_, condition)) = scheduled(package, &action) else {
            continue;
        };
        let phased = crate::condition::parse(&condition).is_ok_and(|expr| {
            expr.properties()
                .iter()
                .any(|name| PHASE_PROPERTIES.contains(&name.as_str()))
        });
        if !phased {
            findings.push(PHASELESS_DEFERRED.finding_at(
                "CustomAction",
                action.as_str(),
                format!("`{action}` runs when `{condition}`"),
            ));
        }
    }
}

fn insecure_public_properties(package: &PackageView, findings: &mut Vec<Finding>) {
    let secure = secure_properties(package);
    // Set by the package itself at install time, not by an admin.
    let derived: BTreeSet<String> = package
        .rows(&schema::APP_SEARCH)
        .map(|row| row.property)
        .chain(
            package
                .rows(&schema::UPGRADE)
                .map(|row| row.action_property),
        )
        .chain(
            package
                .rows(&schema::CUSTOM_ACTION)
                .filter_map(|row| row.source),
        )
        .collect();
    let mut read = BTreeSet::new();
    for row in package.rows(&schema::CUSTOM_ACTION) {
        if row.action_type & KIND_MASK == SET_PROPERTY {
            read.extend(bracketed_names(row.target.as_deref().unwrap_or("")));
        }
    }
    for row in package.rows(&schema::LAUNCH_CONDITION) {
        if let Ok(expr) = crate::condition::parse(&row.condition) {
            read.extend(expr.properties());
        }
    }
    for name in read {
        let public = name.chars().any(|c| c.is_ascii_uppercase())
            && !name.chars().any(|c| c.is_ascii_lowercase());
        if public
            && !secure.contains(&name)
            && !derived.contains(&name)
            && !is_standard_property(&name)
        {
            findings.push(INSECURE_PUBLIC_PROPERTY.finding_at("Property", name.as_str(), format!(
                "`{name}` is read by a custom action or launch condition but is not in SecureCustomProperties"
            )));
        }
    }
}

/// The plain property names `[NAME]` in Formatted text.
fn bracketed_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        let Some(end) = rest[start..].find(']') else {
            break;
        };
        let inner = &rest[start + 1..start + end];
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            names.push(inner.to_string());
        }
        rest = &rest[start + end + 1..];
    }
    names
}

/// Names a `[...]` in a Formatted value can mean on purpose.
fn known_references(package: &PackageView) -> BTreeSet<String> {
    let mut known: BTreeSet<String> = package
        .rows(&schema::PROPERTY)
        .map(|row| row.property)
        .chain(package.rows(&schema::APP_SEARCH).map(|row| row.property))
        .chain(package.rows(&schema::DIRECTORY).map(|row| row.directory))
        .chain(
            package
                .rows(&schema::CUSTOM_ACTION)
                .map(|row| row.source.unwrap_or_default()),
        )
        .collect();
    known.extend(secure_properties(package));
    known
}

fn accidental_formatting(package: &PackageView, findings: &mut Vec<Finding>) {
    let known = known_references(package);
    for row in package.rows(&schema::REGISTRY) {
        let Some(value) = row.value else {
            continue;
        };
        let problems = formatting_surprises(&value, &known);
        let shown = quoted(&value);
        for problem in problems.iter().take(MAX_FINDINGS_PER_CELL) {
            findings.push(ACCIDENTAL_FORMATTING.finding_at(
                "Registry",
                row.registry.as_str(),
                format!("Registry `{}` value `{shown}`: {problem}", row.registry),
            ));
        }
        if problems.len() > MAX_FINDINGS_PER_CELL {
            findings.push(ACCIDENTAL_FORMATTING.finding_at(
                "Registry",
                row.registry.as_str(),
                format!(
                    "Registry `{}` value `{shown}`: {} more such references",
                    row.registry,
                    problems.len() - MAX_FINDINGS_PER_CELL
                ),
            ));
        }
    }
}

/// Findings of one rule about one cell, at most: a hostile value with 25,000 references
/// would otherwise make as many findings, each quoting the whole value.
const MAX_FINDINGS_PER_CELL: usize = 3;

/// Text from the package as a finding quotes it: cut after 80 characters.
fn quoted(text: &str) -> String {
    crate::excerpt::excerpt(text, 80)
}

fn formatting_surprises(value: &str, known: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(rest) = value.strip_prefix('#') {
        let typed = rest.starts_with(['#', '%', 'x', 'X', '-', '+', '['])
            || rest.starts_with(|c: char| c.is_ascii_digit());
        if !typed {
            problems.push("starts with `#` but is no number: write `##` for a literal `#`".into());
        }
    }
    let mut rest = value;
    while let Some(start) = rest.find('[') {
        let Some(end) = rest[start..].find(']') else {
            break;
        };
        let inner = &rest[start + 1..start + end];
        let intended = inner.starts_with(['#', '!', '$', '%', '\\', '['])
            || inner == "~"
            || known.contains(inner)
            || is_standard_property(inner);
        if !intended {
            let inner = quoted(inner);
            problems.push(format!(
                "`[{inner}]` names no property of the package, so it expands to nothing: write `[\\[]{inner}[\\]]` for literal brackets"
            ));
        }
        rest = &rest[start + end + 1..];
    }
    problems
}

/// Properties Windows Installer sets itself that a value may reference on purpose.
fn is_standard_property(name: &str) -> bool {
    name.ends_with("Folder")
        || matches!(
            name,
            "ProductCode"
                | "ProductName"
                | "ProductVersion"
                | "Manufacturer"
                | "ComputerName"
                | "LogonUser"
                | "VersionNT"
                | "VersionNT64"
                | "WindowsBuild"
                | "ROOTDRIVE"
                | "TARGETDIR"
                | "SourceDir"
                | "OriginalDatabase"
                | "UserSID"
                | "Date"
                | "Time"
        )
}

fn unsigned_package(package: &PackageView, findings: &mut Vec<Finding>) {
    if !package.has_signature {
        findings.push(UNSIGNED_PACKAGE.finding("no \\005DigitalSignature stream"));
    }
}

/// Authenticode checks that need the package's bytes and a trust policy: the package's
/// own signature and every embedded PE's (Binary rows and cabinet files).
pub fn check_signatures(package: &PackageView, bytes: &[u8], policy: &TrustPolicy) -> Vec<Finding> {
    signature_reports(package, Input::Bytes(bytes), policy).0
}

/// How one signature check ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureStatus {
    /// Intact and chains to a trust anchor.
    Trusted,
    /// Intact; who signed was not checked (no trust anchor given).
    Intact,
    Unsigned,
    /// Changed after signing, malformed, or not from a trusted code-signing certificate.
    Invalid,
}

/// What the signature checks found about the package or one embedded PE.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// `package`, or the embedded PE as messages name it.
    pub subject: String,
    pub status: SignatureStatus,
    /// The certificate whose key made the signature, with the anchor it chains to.
    pub signer: Option<sign::Signer>,
    /// Why the check failed.
    pub problem: Option<String>,
}

/// [`check_signatures`], with a report of each signature checked.
pub fn signature_reports(
    package: &PackageView,
    input: Input<'_>,
    policy: &TrustPolicy,
) -> (Vec<Finding>, Vec<SignatureReport>) {
    let mut findings = Vec::new();
    let mut reports = Vec::new();
    if package.has_signature {
        let check = sign::msi::check_input(input, policy);
        reports.push(signature_report("package", &check, policy));
        signature_finding(
            check.result,
            &BAD_SIGNATURE,
            "package",
            policy,
            &mut findings,
        );
    } else if !policy.anchors.is_empty() {
        // Asked to check who signed: an unsigned package fails, as osslsigncode fails it.
        findings.push(BAD_SIGNATURE.finding("package: not signed"));
    }
    let mut pe_findings = Vec::new();
    for_each_embedded_pe(package, &mut findings, |what, data| {
        let check = sign::pe::check(data, policy);
        reports.push(signature_report(what, &check, policy));
        match check.result {
            Err(SignatureError::Unsigned) => {
                pe_findings.push(UNSIGNED_PE.finding(format!("{what} is an unsigned PE")))
            }
            result => signature_finding(result, &BAD_PE_SIGNATURE, what, policy, &mut pe_findings),
        }
    });
    findings.extend(pe_findings);
    (findings, reports)
}

fn signature_report(
    subject: &str,
    check: &sign::SignatureCheck,
    policy: &TrustPolicy,
) -> SignatureReport {
    let (status, signer, problem) = match &check.result {
        Ok(signer) => (SignatureStatus::Trusted, Some(signer.clone()), None),
        Err(SignatureError::Unsigned) => (SignatureStatus::Unsigned, None, None),
        Err(SignatureError::Untrusted(_)) if policy.anchors.is_empty() => {
            (SignatureStatus::Intact, check.signed_by.clone(), None)
        }
        Err(error) => (
            SignatureStatus::Invalid,
            check.signed_by.clone(),
            Some(error.to_string()),
        ),
    };
    SignatureReport {
        subject: subject.to_string(),
        status,
        signer,
        problem,
    }
}

fn signature_finding(
    result: Result<sign::Signer, SignatureError>,
    rule: &Rule,
    what: &str,
    policy: &TrustPolicy,
    findings: &mut Vec<Finding>,
) {
    match result {
        Ok(_) => {}
        // Without anchors nothing can chain: the content and signature are still checked.
        Err(SignatureError::Untrusted(_)) if policy.anchors.is_empty() => findings.push(
            UNCHECKED_SIGNER.finding(format!("{what}: signature intact; signer not checked")),
        ),
        Err(error) => findings.push(rule.finding(format!("{what}: {error}"))),
    }
}

/// Hands `visit` every PE the package embeds, named for messages, one at a time. Cabinets are
/// read once, front to back; only files that start as PE images are kept, each until it is
/// visited, and a cabinet or stream that cannot be read is a CABINET finding.
fn for_each_embedded_pe(
    package: &PackageView,
    findings: &mut Vec<Finding>,
    mut visit: impl FnMut(&str, &[u8]),
) {
    let file_names: BTreeMap<String, String> = package
        .rows(&schema::FILE)
        .map(|row| {
            let long_name = crate::format::names::long_name(&row.file_name).to_string();
            (row.file, long_name)
        })
        .collect();
    for (name, data) in &package.streams {
        if let Some(binary) = name.strip_prefix("Binary.") {
            if data.starts_with(b"MZ") {
                match data.load() {
                    Ok(bytes) if sign::pe::is_pe(&bytes) => {
                        visit(&format!("Binary `{binary}`"), &bytes)
                    }
                    Ok(_) => {}
                    Err(error) => {
                        findings.push(CABINET.finding(format!("stream `{name}`: {error}")))
                    }
                }
            }
        } else if data.starts_with(b"MSCF") {
            let result = cabinet_pes(data, |key, bytes| {
                let file = file_names.get(key).map_or(key, String::as_str);
                visit(&format!("cabinet `{name}` file `{file}`"), bytes)
            });
            if let Err(error) = result {
                findings.push(CABINET.finding(format!("cabinet `{name}`: {error}")));
            }
        }
    }
}

/// What a cabinet's files may add up to: the format's own limit (65,535 files of at most
/// 4 GiB each) is no defence, so this caps what a package may make `verify` inflate.
const MAX_CABINET_BYTES: u64 = 16 << 30;

/// The bytes a file must start with to be kept while it streams past: a PE's `MZ`.
const PE_SNIFF: usize = 2;

/// Hands `visit` each file of `cabinet` that is a PE image, by cabinet name, as soon as its
/// last byte is inflated; every other file streams past without being kept.
fn cabinet_pes(
    cabinet: &StreamData,
    mut visit: impl FnMut(&str, &[u8]),
) -> Result<(), crate::read::ReadError> {
    use crate::read::cabinet::{extract, Chunk};
    let mut kept: Vec<u8> = Vec::new();
    let mut dropped = false;
    extract(cabinet, MAX_CABINET_BYTES, |_, file, chunk| match chunk {
        Chunk::Data(bytes) if !dropped => {
            kept.extend_from_slice(bytes);
            if kept.len() >= PE_SNIFF && !kept.starts_with(b"MZ") {
                dropped = true;
                kept = Vec::new();
            }
        }
        Chunk::Data(_) => {}
        Chunk::End => {
            let bytes = std::mem::take(&mut kept);
            if !dropped && sign::pe::is_pe(&bytes) {
                visit(&file.name, &bytes);
            }
            dropped = false;
        }
    })?;
    Ok(())
}
