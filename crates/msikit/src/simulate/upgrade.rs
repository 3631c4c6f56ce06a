//! A major upgrade predicted from two install predictions: the baseline (OLD) installed on a
//! profile, then the new release installed on the profile with OLD among its installed
//! products (so NEW's FindRelatedProducts finds OLD by its own Upgrade rows), then OLD
//! removed by RemoveExistingProducts (a `/x` session with UPGRADINGPRODUCTCODE set).
//!
//! Where RemoveExistingProducts sits decides what survives. Early (before InstallFiles and
//! WriteRegistryValues) OLD is gone before NEW writes anything, so NEW's items all stay. Late,
//! NEW writes first and OLD's removal then deletes every item of an OLD component whose GUID
//! NEW does not install, even where NEW has just written the same item under another GUID:
//! that item is lost. Without RemoveExistingProducts both products stay installed.

use super::{CommandLine, LaunchOutcome, Leftover, Prediction, SimulationError, Simulator};
use crate::format::schema;
use crate::package::PackageView;
use crate::simulate::profile::{InstalledProduct, MachineProfile};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// When the old product is removed, relative to the new one's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Removal {
    Early,
    Late,
    /// No RemoveExistingProducts: both products stay installed.
    None,
}

/// What upgrading from OLD to NEW leaves on one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpgradePrediction {
    pub profile: String,
    /// Whether NEW installs with OLD installed (`None`: OLD itself does not install here).
    pub outcome: Option<LaunchOutcome>,
    pub removal: Removal,
    /// Items (registry values, files) both releases write.
    pub written_twice: Vec<String>,
    /// Items NEW writes that OLD's removal deletes afterwards: missing after the upgrade.
    pub lost: Vec<Leftover>,
    /// Items of OLD that stay although NEW does not write them.
    pub left: Vec<Leftover>,
}

/// Predicts the upgrade from `old` to `new` on `profile`.
///
/// # Errors
/// A [`SimulationError`] when a condition of either package is not valid syntax.
pub fn simulate_upgrade(
    simulator: &Simulator<'_>,
    old: &PackageView,
    new: &PackageView,
    profile: &MachineProfile,
) -> Result<UpgradePrediction, SimulationError> {
    let removal = removal_of(new);
    let mut prediction = UpgradePrediction {
        profile: profile.name.clone(),
        outcome: None,
        removal,
        written_twice: Vec::new(),
        lost: Vec::new(),
        left: Vec::new(),
    };
    let mut upgrading = CommandLine::default();
    if let Some(code) = new.property("ProductCode") {
        upgrading
            .uninstall
            .insert("UPGRADINGPRODUCTCODE".into(), code);
    }
    let old_run = simulator.simulate(old, profile, &upgrading)?;
    if old_run.outcome != LaunchOutcome::Installs {
        return Ok(prediction);
    }
    let new_run =
        simulator.simulate(new, &with_installed(profile, old), &CommandLine::default())?;
    prediction.outcome = Some(new_run.outcome.clone());
    if new_run.outcome != LaunchOutcome::Installs {
        return Ok(prediction);
    }
    let (old_items, new_items) = (items(&old_run), items(&new_run));
    prediction.written_twice = old_items
        .keys()
        .filter(|item| new_items.contains_key(*item))
        .cloned()
        .collect();
    let (old_guids, new_components) = (guids(old), guids(new));
    let new_guids: BTreeSet<&String> = new_items
        .values()
        .filter_map(|component| new_components.get(component))
        .collect();
    // What OLD's removal leaves by itself: permanent components and its residue.
    let stays: BTreeMap<&str, &Leftover> = old_run
        .permanent
        .iter()
        .chain(&old_run.residue)
        .map(|leftover| (leftover.item.as_str(), leftover))
        .collect();
    for (item, component) in &old_items {
        let guid = old_guids.get(component);
        let shared = guid.is_some_and(|guid| new_guids.contains(guid));
        match (removal, new_items.contains_key(item)) {
            (Removal::None, false) => prediction.left.push(leftover(
                item,
                component,
                "the baseline stays installed: the new release has no RemoveExistingProducts",
            )),
            (Removal::Late, true) if !shared && !stays.contains_key(item.as_str()) => {
                prediction.lost.push(leftover(
                    item,
                    component,
                    "written by the new release, then deleted by the baseline's removal: its component GUID is not the new release's",
                ))
            }
            (Removal::Early | Removal::Late, false) => {
                if let Some(stayed) = stays.get(item.as_str()) {
                    prediction.left.push((*stayed).clone());
                }
            }
            _ => {}
        }
    }
    Ok(prediction)
}

fn leftover(item: &str, component: &str, reason: &str) -> Leftover {
    Leftover {
        item: item.to_string(),
        reason: reason.to_string(),
        component: component.to_string(),
    }
}

/// Where `package` removes the product it upgrades.
fn removal_of(package: &PackageView) -> Removal {
    let order: BTreeMap<String, i32> = package
        .rows(&schema::INSTALL_EXECUTE_SEQUENCE)
        .filter_map(|row| Some((row.action, row.sequence?)))
        .collect();
    let Some(&at) = order.get("RemoveExistingProducts") else {
        return Removal::None;
    };
    let first_write = ["InstallFiles", "WriteRegistryValues"]
        .iter()
        .filter_map(|action| order.get(*action).copied())
        .min();
    match first_write {
        Some(write) if at > write => Removal::Late,
        _ => Removal::Early,
    }
}

/// `profile` with `old` installed: NEW's FindRelatedProducts finds it by its Upgrade rows
/// (version range, language, only-detect), and installing NEW under OLD's ProductCode from
/// another package is refused (1638) as a plain `/i` of a minor update is.
fn with_installed(profile: &MachineProfile, old: &PackageView) -> MachineProfile {
    let mut profile = profile.clone();
    if let Some(product_code) = old.property("ProductCode") {
        let language = old.property("ProductLanguage");
        profile.products.push(InstalledProduct {
            product_code,
            upgrade_code: old.property("UpgradeCode"),
            version: old.property("ProductVersion").unwrap_or_default(),
            language: language.and_then(|l| l.parse().ok()).unwrap_or(0),
            package_code: old.summary.package_code(),
        });
    }
    profile
}

/// Every item an install writes, with the component that writes it.
fn items(prediction: &Prediction) -> BTreeMap<String, String> {
    let registry = prediction
        .registry
        .iter()
        .map(|write| (write.display_key(), write.component.clone()));
    let files = prediction
        .files
        .iter()
        .map(|file| (file.path.clone(), file.component.clone()));
    registry.chain(files).collect()
}

/// Component name → ComponentId (upper case).
fn guids(package: &PackageView) -> BTreeMap<String, String> {
    package
        .rows(&schema::COMPONENT)
        .filter_map(|row| Some((row.component, row.component_id?.to_ascii_uppercase())))
        .collect()
}
