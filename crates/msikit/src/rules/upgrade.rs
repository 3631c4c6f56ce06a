//! Upgrade lints: a new release judged against the one it replaces (`verify NEW --baseline
//! OLD`). Windows Installer finds the old product by UpgradeCode and version, removes it with
//! RemoveExistingProducts, and keeps or removes each resource by its component's GUID: these
//! rules catch the mistakes that break that chain, so files go missing or the upgrade is not
//! detected at all.
//!
//! The rule values are in the catalogue (`super::RULES`); their checks are here.

use super::{error, warning, Check, Finding, Rule};
use crate::format::bits::action_type::KIND_MASK;
use crate::format::bits::UpgradeAttributes;
use crate::format::schema;
use crate::package::PackageView;
use std::collections::{BTreeMap, BTreeSet};

pub const BROKEN_COMPONENT: Rule = error(
    "UPG001",
    "a component keeps its GUID while its key path, folder or files changed (the component rules): an upgrade that keeps the GUID keeps the old resources and misses the new ones",
    Check::Baseline(broken_components),
);
pub const REMOVED_COMPONENT: Rule = error(
    "UPG002",
    "a component of the baseline is gone while its GUID lives on under another component, or is gone from a minor update (same ProductCode): its resources are left behind or removed by the wrong owner",
    Check::Baseline(removed_components),
);
pub const FOURTH_FIELD: Rule = error(
    "UPG003",
    "ProductVersion changed only in its 4th field, which Windows Installer ignores: the upgrade is not detected",
    Check::Baseline(fourth_field_only),
);
pub const UPGRADE_CODE: Rule = error(
    "UPG004",
    "UpgradeCode changed: the new release does not find the old one, and both stay installed",
    Check::Baseline(upgrade_code_changed),
);
pub const PACKAGE_CODE: Rule = error(
    "UPG005",
    "the package code (summary RevisionNumber) is the baseline's while the content differs: Windows takes them for the same package and uses the cached one",
    Check::Baseline(package_code_kept),
);
pub const REMOVE_EXISTING_PRODUCTS: Rule = error(
    "UPG006",
    "RemoveExistingProducts is where upgrades lose files: outside the places the Windows Installer documentation allows (between InstallValidate and InstallInitialize, right after InstallInitialize, right after InstallExecute(Again), after InstallFinalize), or late (after InstallExecute/InstallFinalize) while component rules are broken",
    Check::Baseline(remove_existing_products),
);
pub const NO_DOWNGRADE_REFUSAL: Rule = warning(
    "UPG007",
    "a downgrade is not refused: the package is older than the baseline, or has no OnlyDetect Upgrade row for newer versions of its UpgradeCode whose property a launch condition or a type 19 custom action refuses",
    Check::Baseline(downgrade_refusal),
);
pub const UNINSTALL_DURING_UPGRADE: Rule = warning(
    "UPG008",
    "an uninstall-time custom action (its condition reads REMOVE) does not exclude UPGRADINGPRODUCTCODE: it also runs when a newer release removes this one",
    Check::Baseline(uninstall_actions),
);

/// Component name → (GUID upper case, directory, key path, long file names).
type Components = BTreeMap<String, (String, String, Option<String>, BTreeSet<String>)>;

fn components(package: &PackageView) -> Components {
    let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in package.rows(&schema::FILE) {
        let long_name = crate::format::names::long_name(&file.file_name).to_string();
        files.entry(file.component).or_default().insert(long_name);
    }
    package
        .rows(&schema::COMPONENT)
        .filter_map(|row| {
            let guid = row.component_id?.to_ascii_uppercase();
            let own_files = files.remove(&row.component).unwrap_or_default();
            Some((
                row.component,
                (guid, row.directory, row.key_path, own_files),
            ))
        })
        .collect()
}

/// GUID → component name, for the GUIDs `components` lists.
fn by_guid(components: &Components) -> BTreeMap<&str, &str> {
    components
        .iter()
        .map(|(name, (guid, ..))| (guid.as_str(), name.as_str()))
        .collect()
}

/// The component-rule breaks: (GUID, what changed) for every GUID both releases use.
fn component_rule_breaks(old: &PackageView, new: &PackageView) -> Vec<String> {
    let (old_components, new_components) = (components(old), components(new));
    let new_by_guid = by_guid(&new_components);
    let mut breaks = Vec::new();
    for (old_name, (guid, old_dir, old_key, old_files)) in &old_components {
        let Some(new_name) = new_by_guid.get(guid.as_str()) else {
            continue;
        };
        let (_, new_dir, new_key, new_files) = &new_components[*new_name];
        let mut changed = Vec::new();
        if old_key != new_key {
            changed.push(format!(
                "key path `{}` → `{}`",
                old_key.as_deref().unwrap_or(""),
                new_key.as_deref().unwrap_or("")
            ));
        }
        if old_dir != new_dir {
            changed.push(format!("folder `{old_dir}` → `{new_dir}`"));
        }
        if old_files != new_files {
            let list = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
            changed.push(format!(
                "files [{}] → [{}]",
                list(old_files),
                list(new_files)
            ));
        }
        if !changed.is_empty() {
            breaks.push(format!(
                "component `{old_name}` ({guid}) keeps its GUID as `{new_name}`: {}",
                changed.join("; ")
            ));
        }
    }
    breaks
}

fn broken_components(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    for message in component_rule_breaks(old, new) {
        findings.push(BROKEN_COMPONENT.finding(message));
    }
}

fn removed_components(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let (old_components, new_components) = (components(old), components(new));
    let new_by_guid = by_guid(&new_components);
    let same_product = old.property("ProductCode").map(|c| c.to_ascii_uppercase())
        == new.property("ProductCode").map(|c| c.to_ascii_uppercase());
    for (name, (guid, ..)) in &old_components {
        if new_components.contains_key(name) {
            continue;
        }
        match new_by_guid.get(guid.as_str()) {
            Some(other) => findings.push(REMOVED_COMPONENT.finding(format!(
                "component `{name}` is gone, but its GUID {guid} lives on as component `{other}`"
            ))),
            None if same_product => findings.push(REMOVED_COMPONENT.finding(format!(
                "component `{name}` ({guid}) is gone from a minor update (the ProductCode is the baseline's): its resources stay behind"
            ))),
            None => {}
        }
    }
}

/// A version's numeric fields (`1.2.3.4` → [1, 2, 3, 4]); `None` when one is not a number.
fn fields(version: &str) -> Option<Vec<u32>> {
    version
        .trim()
        .split('.')
        .map(|field| field.parse().ok())
        .collect()
}

/// The first three fields, padded with zeros: what Windows Installer compares.
fn compared(version: &[u32]) -> [u32; 3] {
    let field = |index: usize| version.get(index).copied().unwrap_or(0);
    [field(0), field(1), field(2)]
}

fn product_versions(old: &PackageView, new: &PackageView) -> Option<(Vec<u32>, Vec<u32>)> {
    Some((
        fields(&old.property("ProductVersion")?)?,
        fields(&new.property("ProductVersion")?)?,
    ))
}

fn fourth_field_only(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let Some((before, after)) = product_versions(old, new) else {
        return;
    };
    if before != after && compared(&before) == compared(&after) {
        findings.push(FOURTH_FIELD.finding(format!(
            "ProductVersion {} → {}: equal in major.minor.build",
            join(&before),
            join(&after)
        )));
    }
}

fn join(version: &[u32]) -> String {
    version
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

fn upgrade_code_changed(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let code = |package: &PackageView| {
        package
            .property("UpgradeCode")
            .map(|c| c.to_ascii_uppercase())
    };
    let (before, after) = (code(old), code(new));
    if before.is_some() && before != after {
        findings.push(UPGRADE_CODE.finding(format!(
            "UpgradeCode {} → {}",
            before.unwrap_or_default(),
            after.as_deref().unwrap_or("(none)")
        )));
    }
}

fn package_code_kept(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let code = old.summary.package_code();
    if code.is_some()
        && code == new.summary.package_code()
        && (old.tables != new.tables || old.streams != new.streams)
    {
        findings.push(PACKAGE_CODE.finding(format!(
            "both packages have package code {} but different tables or streams",
            code.unwrap_or_default()
        )));
    }
}

fn remove_existing_products(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let order: BTreeMap<String, i32> = new
        .rows(&schema::INSTALL_EXECUTE_SEQUENCE)
        .filter_map(|row| Some((row.action, row.sequence?)))
        .collect();
    let Some(&at) = order.get("RemoveExistingProducts") else {
        return;
    };
    let position = |name: &str| order.get(name).copied();
    // The action sequenced right before RemoveExistingProducts.
    let previous = order
        .iter()
        .filter(|(name, &sequence)| sequence < at && name.as_str() != "RemoveExistingProducts")
        .max_by_key(|(_, &sequence)| sequence)
        .map(|(name, _)| name.as_str());
    let (validate, initialize, finalize) = (
        position("InstallValidate"),
        position("InstallInitialize"),
        position("InstallFinalize"),
    );
    let early = matches!((validate, initialize), (Some(v), Some(i)) if v < at && at < i);
    let after_initialize = previous == Some("InstallInitialize");
    let after_execute = matches!(previous, Some("InstallExecute" | "InstallExecuteAgain"));
    let after_finalize = finalize.is_some_and(|f| at > f);
    if !(early || after_initialize || after_execute || after_finalize) {
        findings.push(REMOVE_EXISTING_PRODUCTS.finding(format!(
            "RemoveExistingProducts ({at}) follows {}: not a place the Windows Installer allows",
            previous.unwrap_or("nothing")
        )));
        return;
    }
    let late = after_execute || after_finalize;
    let breaks = component_rule_breaks(old, new);
    if late && !breaks.is_empty() {
        findings.push(REMOVE_EXISTING_PRODUCTS.finding(format!(
            "RemoveExistingProducts ({at}) runs after the new files are installed, so removing the baseline deletes what broken components share ({} broken)",
            breaks.len()
        )));
    }
}

fn downgrade_refusal(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    let Some(problem) = refusal_problem(new) else {
        return;
    };
    let older = product_versions(old, new)
        .filter(|(before, after)| compared(after) < compared(before))
        .map(|(before, after)| {
            format!(
                "; the package ({}) is older than the baseline ({}), so installing it over the baseline downgrades it",
                join(&after),
                join(&before)
            )
        });
    findings.push(NO_DOWNGRADE_REFUSAL.finding(format!("{problem}{}", older.unwrap_or_default())));
}

/// Why `package` would not refuse to install over a newer release of its UpgradeCode, or
/// `None` when it refuses.
fn refusal_problem(package: &PackageView) -> Option<String> {
    let own_code = package.property("UpgradeCode")?.to_ascii_uppercase();
    let own_version = fields(&package.property("ProductVersion")?)?;
    // OnlyDetect rows that find this UpgradeCode at versions from this one up.
    let detecting: Vec<String> = package
        .rows(&schema::UPGRADE)
        .filter(|row| row.upgrade_code.to_ascii_uppercase() == own_code)
        .filter(|row| row.attributes.contains(UpgradeAttributes::ONLY_DETECT))
        .filter(|row| {
            let minimum = row.version_min.as_deref().and_then(fields);
            minimum.is_some_and(|minimum| compared(&minimum) >= compared(&own_version))
        })
        .map(|row| row.action_property)
        .collect();
    let reads = |condition: &str, property: &str| {
        crate::condition::parse(condition)
            .is_ok_and(|expr| expr.properties().iter().any(|name| name == property))
    };
    let error_actions: BTreeSet<String> = package
        .rows(&schema::CUSTOM_ACTION)
        .filter(|row| row.action_type & KIND_MASK == ERROR_ACTION)
        .map(|row| row.action)
        .collect();
    let refuses = |property: &String| {
        let launch = package
            .rows(&schema::LAUNCH_CONDITION)
            .any(|row| reads(&row.condition, property));
        let aborts = package
            .rows(&schema::INSTALL_EXECUTE_SEQUENCE)
            .chain(package.rows(&schema::INSTALL_UI_SEQUENCE))
            .any(|row| {
                error_actions.contains(&row.action)
                    && reads(row.condition.as_deref().unwrap_or(""), property)
            });
        launch || aborts
    };
    if detecting.iter().any(refuses) {
        return None;
    }
    Some(if detecting.is_empty() {
        "no OnlyDetect Upgrade row finds newer versions of this UpgradeCode, so a newer installed release is not refused".to_string()
    } else {
        format!(
            "{} finds newer versions, but no launch condition or type 19 action refuses on it",
            detecting.join(", ")
        )
    })
}

/// Custom action type 19: ends the install with an error message.
const ERROR_ACTION: i32 = 19;

fn uninstall_actions(old: &PackageView, new: &PackageView, findings: &mut Vec<Finding>) {
    for (package, whose) in [(new, "this package's"), (old, "the baseline's")] {
        let custom: BTreeSet<String> = package
            .rows(&schema::CUSTOM_ACTION)
            .map(|row| row.action)
            .collect();
        for row in package.rows(&schema::INSTALL_EXECUTE_SEQUENCE) {
            let condition = row.condition.unwrap_or_default();
            if !custom.contains(&row.action) {
                continue;
            }
            let properties = crate::condition::parse(&condition)
                .map(|expr| expr.properties())
                .unwrap_or_default();
            let at_uninstall = properties.iter().any(|name| name == "REMOVE");
            let excludes_upgrade = properties.iter().any(|name| name == "UPGRADINGPRODUCTCODE");
            if at_uninstall && !excludes_upgrade {
                findings.push(UNINSTALL_DURING_UPGRADE.finding(format!(
                    "{whose} `{}` runs when `{condition}`, during an upgrade's removal too",
                    row.action
                )));
            }
        }
    }
}

/// Runs every baseline rule over `new` against `old`; findings in catalogue order.
pub fn check_upgrade(old: &PackageView, new: &PackageView) -> Vec<Finding> {
    let mut findings = Vec::new();
    for rule in super::RULES {
        if let Check::Baseline(run) = rule.check {
            run(old, new, &mut findings);
        }
    }
    findings.dedup();
    findings
}
