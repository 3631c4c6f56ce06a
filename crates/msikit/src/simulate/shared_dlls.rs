//! Shared DLL reference counts (`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\SharedDLLs`,
//! a DWORD named by the file's path, in the component's view), which ProcessComponents keeps
//! for a component whose key path is a file when it has the SharedDllRefCount attribute
//! (0x8) or the machine already counts its key file:
//! - Wine (`dlls/msi/action.c`, measured): the count goes up by one for each feature being
//!   installed that holds the component, down by one for each being removed, and is written
//!   for every file of the component, the key file's with one more for a permanent component;
//!   a count that reaches 0 is deleted. A component its condition keeps off counts all the
//!   same, in the key's default value (it has no path).
//! - Windows: the key file's count goes up by one (the Component table page; not confirmed).

use super::profile::{Installer, ProfileValue};
use super::{RegistryWrite, Session, SimulationError};
use crate::format::bits::ComponentAttributes;
use crate::format::RegistryRoot;
use crate::formatted::deformat::{References, WrittenData};
use std::collections::{BTreeMap, BTreeSet};

pub(super) const SHARED_DLLS: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\SharedDLLs";

/// Per component: how many of `features` hold it, and its files.
type ByComponent<'t> = (
    BTreeMap<&'t str, u32>,
    BTreeMap<&'t str, Vec<&'t crate::format::schema::File>>,
);

fn index<'t>(tables: &'t super::tables::Tables, features: &BTreeSet<&str>) -> ByComponent<'t> {
    let mut holders: BTreeMap<&str, u32> = BTreeMap::new();
    for row in &tables.feature_components {
        if features.contains(row.feature.as_str()) {
            *holders.entry(row.component.as_str()).or_default() += 1;
        }
    }
    let mut files: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for file in &tables.files {
        files.entry(file.component.as_str()).or_default().push(file);
    }
    (holders, files)
}

impl Session<'_> {
    /// The counts ProcessComponents writes for the `installed` components of the
    /// `features` being installed.
    pub(super) fn shared_dll_counts(
        &self,
        installed: &BTreeSet<&str>,
        features: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryWrite>, SimulationError> {
        if !self.runs("ProcessComponents")? {
            return Ok(Vec::new());
        }
        let tables = self.tables;
        let references = self.references();
        let mut writes = Vec::new();
        // The first component whose counts Wine writes (and so makes the key, whatever the counts).
        let mut opened_by: Option<(&str, bool)> = None;
        // Built on the first counted component: holders and files per component.
        let mut by_component = None;
        for component in &tables.components {
            let name = component.component.as_str();
            let attributes = component.attributes;
            let installs = installed.contains(name);
            let key_file = component
                .key_path
                .as_deref()
                .filter(|key| tables.file(key).is_some());
            if (!installs && self.profile.installer == Installer::Windows)
                || component.component_id.is_none()
                || key_file.is_none()
                || attributes.intersects(
                    ComponentAttributes::REGISTRY_KEY_PATH | ComponentAttributes::ODBC_DATA_SOURCE,
                )
            {
                continue;
            }
            // Wine resolves no path for a component its condition keeps off (measured, seed 2):
            // its counts land in the key's default value.
            let key_file = key_file
                .filter(|_| installs)
                .and_then(|key| references.file_path(key));
            let view64 = self.component_is_64bit(name);
            let held = self.shared_dll_count(key_file.as_deref().unwrap_or(""), view64);
            if held == 0 && !attributes.contains(ComponentAttributes::SHARED_DLL_REF_COUNT) {
                continue;
            }
            opened_by.get_or_insert((name, view64));
            let count = |path: Option<String>, count: u32| RegistryWrite {
                root: RegistryRoot::LocalMachine,
                view64,
                key: SHARED_DLLS.into(),
                name: path,
                data: WrittenData::Dword(count as i32),
                component: name.to_string(),
            };
            let permanent = u32::from(attributes.contains(ComponentAttributes::PERMANENT));
            if self.profile.installer == Installer::Windows {
                writes.push(count(key_file, held + 1));
                continue;
            }
            let (holders, files) = by_component.get_or_insert_with(|| index(tables, features));
            let total = held + holders.get(name).copied().unwrap_or(0);
            if let Some(key_file) = &key_file {
                for file in files.get(name).into_iter().flatten() {
                    let Some(path) = references.file_path(&file.file) else {
                        continue;
                    };
                    if !path.eq_ignore_ascii_case(key_file) && total > 0 {
                        writes.push(count(Some(path), total));
                    }
                }
            }
            if total + permanent > 0 {
                writes.push(count(key_file, total + permanent));
            }
        }
        // Wine makes the key even for a count of 0, and deleting the counts at uninstall
        // leaves it (measured).
        let opened_by = opened_by.filter(|_| self.profile.installer == Installer::Wine);
        if let Some((component, view64)) = opened_by.filter(|_| !self.holds_counts()) {
            writes.push(RegistryWrite {
                root: RegistryRoot::LocalMachine,
                view64,
                key: SHARED_DLLS.into(),
                name: None,
                data: WrittenData::KeyKept,
                component: component.to_string(),
            });
        }
        Ok(writes)
    }

    /// Whether the machine has the SharedDLLs key (a value in it), in either view.
    fn holds_counts(&self) -> bool {
        let keys = [
            SHARED_DLLS.to_string(),
            super::redirect_to_wow6432node(SHARED_DLLS),
        ];
        let keys = keys.map(|key| key.to_lowercase());
        self.profile
            .registry
            .keys()
            .any(|(root, key, _)| *root == RegistryRoot::LocalMachine && keys.contains(key))
    }

    /// The count the machine holds for `path`, in the view a component of `view64` reads.
    fn shared_dll_count(&self, path: &str, view64: bool) -> u32 {
        let key = match self.profile.is_64bit && !view64 {
            true => super::redirect_to_wow6432node(SHARED_DLLS),
            false => SHARED_DLLS.to_string(),
        };
        let at = (
            RegistryRoot::LocalMachine,
            key.to_lowercase(),
            path.to_lowercase(),
        );
        match self.profile.registry.get(&at) {
            Some(ProfileValue::Dword(count)) => *count,
            _ => 0,
        }
    }
}
