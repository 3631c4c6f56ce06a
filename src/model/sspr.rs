//! The built-in SSPR packages: settings + target in, package model out.

use super::{
    stable_guid, Component, Feature, Package, Product, RegistryData, RegistryRoot, RegistryValue,
};
use crate::config::{ExtraRegistryValue, Settings};
use crate::target::Target;

pub const POLICY_KEY: &str = r"SOFTWARE\Policies\Microsoft\AzureADAccount";
pub const POLICY_VALUE: &str = "AllowPasswordReset";

/// The package for one target.
pub fn package(settings: &Settings, target: Target) -> Package {
    let product = product(settings, target);
    let win64 = target.arch.is_64bit();
    let mut components = Vec::new();
    if target.family.uses_policy() && settings.policy.allow_password_reset {
        components.push(policy_component(win64));
    }
    components.extend(extra_registry_components(&settings.extra_registry, target));
    let mut launch_conditions = target.launch_conditions(&settings.policy.detection);
    launch_conditions.sort_by(|a, b| a.condition.cmp(&b.condition));
    Package {
        target,
        feature: Feature {
            id: "SSPR".to_string(),
            title: settings.product.name.clone(),
            description: product.comments.clone(),
        },
        downgrade_message: "A newer version of [ProductName] is already installed; uninstall it \
                            first to install version [ProductVersion]."
            .to_string(),
        product,
        components,
        searches: target.searches(),
        launch_conditions,
        properties: vec![
            ("ARPNOMODIFY".to_string(), "1".to_string()),
            ("ARPNOREPAIR".to_string(), "1".to_string()),
        ],
    }
}

fn product(settings: &Settings, target: Target) -> Product {
    let product = &settings.product;
    let name = target.name();
    let upgrade_code = stable_guid(product.upgrade_code, &["target", &name]);
    let version = product.version.to_string();
    Product {
        name: format!("{} ({})", product.name, target.label()),
        manufacturer: product.manufacturer.clone(),
        version: product.version,
        comments: product.comments.clone(),
        product_code: stable_guid(upgrade_code, &["product-code", &version]),
        upgrade_code,
        language: 1033,
    }
}

fn policy_component(win64: bool) -> Component {
    let value = RegistryValue {
        id: "AllowPasswordReset".to_string(),
        root: RegistryRoot::LocalMachine,
        key: POLICY_KEY.to_string(),
        name: Some(POLICY_VALUE.to_string()),
        data: RegistryData::Dword(1),
    };
    Component::for_registry("SsprPolicy", win64, vec![value])
}

fn extra_registry_components(values: &[ExtraRegistryValue], target: Target) -> Vec<Component> {
    values
        .iter()
        .enumerate()
        .filter(|(_, value)| value.targets.is_empty() || value.targets.contains(&target))
        .map(|(index, value)| {
            let id = format!("ExtraRegistry{}", index + 1);
            let registry = RegistryValue {
                id: id.clone(),
                root: value.root,
                key: value.key.clone(),
                name: value.name.clone(),
                data: value.data.clone(),
            };
            Component::for_registry(&id, target.arch.is_64bit(), vec![registry])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    #[test]
    fn policy_package_writes_allow_password_reset_in_a_64bit_component() {
        let settings = Settings::embedded_default().unwrap();
        let package = package(&settings, Target::from_name("win10-x64").unwrap());
        assert_eq!(package.components.len(), 1);
        let component = &package.components[0];
        assert!(component.win64);
        assert_eq!(component.registry[0].data, RegistryData::Dword(1));
        assert_eq!(component.registry[0].key, POLICY_KEY);
    }

    #[test]
    fn codes_are_per_target_and_per_version_but_components_are_shared() {
        let settings = Settings::embedded_default().unwrap();
        let win10 = package(&settings, Target::from_name("win10-x64").unwrap());
        let win11 = package(&settings, Target::from_name("win11-x64").unwrap());
        let win10_x86 = package(&settings, Target::from_name("win10-x86").unwrap());
        assert_ne!(win10.product.upgrade_code, win11.product.upgrade_code);
        assert_ne!(win10.product.product_code, win11.product.product_code);
        assert_eq!(win10.components[0].guid, win11.components[0].guid);
        assert_ne!(win10.components[0].guid, win10_x86.components[0].guid);
        let mut newer = settings.clone();
        newer.product.version = crate::model::ProductVersion::parse("1.1.0").unwrap();
        let win10_newer = package(&newer, Target::from_name("win10-x64").unwrap());
        assert_eq!(win10.product.upgrade_code, win10_newer.product.upgrade_code);
        assert_ne!(win10.product.product_code, win10_newer.product.product_code);
    }
}
