//! Shared DLL reference counts (`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\SharedDLLs`,
//! a DWORD named by the file's path, in the component's view), which ProcessComponents keeps
//! for a component whose key path is a file when it has the SharedDllRefCount attribute
//! (0x8) or the machine already counts its key file:
//! - Wine (`dlls/msi/action.c`, measured): the count goes up by one for each feature being
//!   installed that holds the component, down by one for each being removed, and is written
//!   for every file of the component, the key file's with one more for a permanent component;
//!   a count that reaches 0 is deleted.
//! - Windows: the key file's count goes up by one (the Component table page; not confirmed).

use super::profile::{Installer, ProfileValue};
use super::{RegistryWrite, Session, SimulationError};
use crate::format::bits::ComponentAttributes;
use crate::format::RegistryRoot;
use crate::formatted::deformat::{References, WrittenData};
use std::collections::BTreeSet;

const SHARED_DLLS: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\SharedDLLs";

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
        for component in &tables.components {
            let name = component.component.as_str();
            let attributes = component.attributes;
            if !installed.contains(name)
                || component.component_id.is_none()
                || attributes.intersects(
                    ComponentAttributes::REGISTRY_KEY_PATH | ComponentAttributes::ODBC_DATA_SOURCE,
                )
            {
                continue;
            }
            let Some(key_file) = component
                .key_path
                .as_deref()
                .and_then(|key| references.file_path(key))
            else {
                continue;
            };
            let view64 = self.component_is_64bit(name);
            let held = self.shared_dll_count(&key_file, view64);
            if held == 0 && !attributes.contains(ComponentAttributes::SHARED_DLL_REF_COUNT) {
                continue;
            }
            let count = |path: String, count: u32| RegistryWrite {
                root: RegistryRoot::LocalMachine,
                view64,
                key: SHARED_DLLS.into(),
                name: Some(path),
                data: WrittenData::Dword(count as i32),
                component: name.to_string(),
            };
            let permanent = u32::from(attributes.contains(ComponentAttributes::PERMANENT));
            if self.profile.installer == Installer::Windows {
                writes.push(count(key_file, held + 1));
                continue;
            }
            let holders = tables
                .feature_components
                .iter()
                .filter(|row| row.component == name && features.contains(row.feature.as_str()))
                .count() as u32;
            let total = held + holders;
            for file in tables.files.iter().filter(|file| file.component == name) {
                let Some(path) = references.file_path(&file.file) else {
                    continue;
                };
                if !path.eq_ignore_ascii_case(&key_file) && total > 0 {
                    writes.push(count(path, total));
                }
            }
            if total + permanent > 0 {
                writes.push(count(key_file, total + permanent));
            }
        }
        Ok(writes)
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
