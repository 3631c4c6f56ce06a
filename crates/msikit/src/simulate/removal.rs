//! The RemoveRegistry table: what RemoveRegistryValues deletes when a row's component is
//! installed. A Name of `-` deletes the key with its values and subkeys; any other Name (or
//! a null one: the default value) deletes that value. Microsoft's RemoveRegistry table page
//! and Wine's `dlls/msi/action.c` agree on both; uninstall puts nothing back. Wine also
//! deletes a key a value's removal leaves empty, and its parents while they are empty.

use super::{registry_key, registry_root, RegistryRemoval, Session, SimulationError};
use crate::formatted::deformat;
use std::collections::BTreeSet;

impl Session<'_> {
    /// What the `installed` components' RemoveRegistry rows delete, in table order.
    pub(super) fn registry_removals(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryRemoval>, SimulationError> {
        if !self.runs("RemoveRegistryValues")? {
            return Ok(Vec::new());
        }
        let per_machine = self.per_machine();
        let references = self.references();
        let removals = self
            .tables
            .remove_registry
            .iter()
            .filter(|row| installed.contains(row.component.as_str()))
            .filter_map(|row| {
                let root = registry_root(row.root, per_machine)?;
                let whole_key = row.name.as_deref() == Some("-");
                let name = match row.name.as_deref() {
                    Some(name) if !whole_key && !name.is_empty() => {
                        Some(deformat::deformat(name, &references))
                    }
                    _ => None,
                };
                Some(RegistryRemoval {
                    root,
                    view64: self.component_is_64bit(&row.component),
                    key: registry_key(&row.key, &references),
                    name,
                    whole_key,
                    component: row.component.clone(),
                })
            })
            .collect();
        Ok(removals)
    }
}

#[cfg(test)]
mod tests {
    use crate::database::tests::sample;
    use crate::format::schema;
    use crate::format::RegistryRoot;
    use crate::simulate::{profile, CommandLine, Simulator};

    #[test]
    fn rows_of_installed_components_delete_values_and_whole_keys_in_their_view() {
        let mut db = sample("x64");
        let rows = [
            (
                "Value",
                -1,
                r"SOFTWARE\[ProductName]\",
                Some("[ALLUSERS]x"),
                "Reg",
            ),
            ("Tree", 1, r"Software\Old", Some("-"), "Reg"),
            ("Default", 2, r"SOFTWARE\Old", None, "Reg"),
            ("Elsewhere", 2, r"SOFTWARE\Old", Some("x"), "NotInstalled"),
        ];
        super::super::tests::schedule(&mut db, &[("RemoveRegistryValues", 2600)]);
        let mut package = crate::package::read(&crate::database::to_bytes(&db).unwrap()).unwrap();
        let rows =
            rows.into_iter()
                .map(|(id, root, key, name, component)| schema::RemoveRegistry {
                    remove_registry: id.into(),
                    root,
                    key: key.into(),
                    name: name.map(Into::into),
                    component: component.into(),
                });
        super::super::tests::with_read_table(&mut package, &schema::REMOVE_REGISTRY, rows);
        let profile = profile::by_name("win10-22h2-x64").unwrap();
        let prediction = Simulator::default()
            .simulate(&package, &profile, &CommandLine::default())
            .unwrap();
        let removed: Vec<(RegistryRoot, bool, &str, Option<&str>, bool)> = prediction
            .registry_removed
            .iter()
            .map(|r| {
                (
                    r.root,
                    r.view64,
                    r.key.as_str(),
                    r.name.as_deref(),
                    r.whole_key,
                )
            })
            .collect();
        assert_eq!(
            removed,
            [
                (
                    RegistryRoot::LocalMachine,
                    true,
                    r"SOFTWARE\Sample Qué",
                    Some("1x"),
                    false
                ),
                (RegistryRoot::CurrentUser, true, r"Software\Old", None, true),
                (
                    RegistryRoot::LocalMachine,
                    true,
                    r"SOFTWARE\Old",
                    None,
                    false
                ),
            ]
        );
    }
}
