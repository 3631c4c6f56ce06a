//! The ServiceInstall and ServiceControl tables as the registry values the service control
//! manager keeps (`HKLM\System\CurrentControlSet\Services\<Name>`). Read from Wine's
//! `dlls/msi` and measured on Wine 8:
//! - InstallServices registers each service of an installed component whose key path is a
//!   file (boot and system start types are skipped): Type, Start, ErrorControl (without the
//!   vital flag), ImagePath (the key file, then the Arguments), DisplayName, ObjectName
//!   (StartName, else `LocalSystem`), Group, Description; Wine adds PreshutdownTimeout
//!   (180000) and writes ImagePath as a string, Windows as an expandable one (not confirmed).
//! - DeleteServices deletes the service's key at install for event 0x8 and at uninstall for
//!   0x80; without such a row uninstall leaves the service.
//! - StopServices changes nothing a profile shows (no service runs there); StartServices'
//!   outcome depends on the program, so it is listed as unsimulated.

use super::profile::Installer;
use super::{Leftover, Prediction, RegistryRemoval, RegistryWrite, Session, SimulationError};
use crate::format::RegistryRoot;
use crate::formatted::deformat::{self, References, WrittenData};
use std::collections::{BTreeMap, BTreeSet};

const SERVICES_KEY: &str = r"System\CurrentControlSet\Services";
const DELETE_AT_INSTALL: i32 = 0x8;
const DELETE_AT_UNINSTALL: i32 = 0x80;
const START_EVENTS: i32 = 0x1 | 0x10;
const VITAL: i32 = 0x8000;
const BOOT_START: i32 = 0;
const SYSTEM_START: i32 = 1;

impl Session<'_> {
    /// InstallServices' values for the `installed` components.
    pub(super) fn service_writes(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryWrite>, SimulationError> {
        if !self.runs("InstallServices")? {
            return Ok(Vec::new());
        }
        let tables = self.tables;
        let mut writes = Vec::new();
        let mut notes = Vec::new();
        for row in &tables.service_installs {
            let component = row.component.as_str();
            if !installed.contains(component)
                || row.start_type == BOOT_START
                || row.start_type == SYSTEM_START
            {
                continue;
            }
            let references = self.references();
            let Some(image) = tables
                .component(component)
                .and_then(|c| c.key_path.as_deref())
                .and_then(|key| references.file_path(key))
            else {
                continue;
            };
            let format = |text: &Option<String>| {
                text.as_deref()
                    .map(|text| deformat::deformat(text, &references))
                    .filter(|text| !text.is_empty())
            };
            let name = deformat::deformat(&row.name, &references);
            if format(&row.dependencies).is_some() {
                notes.push(format!(
                    "service `{name}`: its Dependencies (DependOnService) are not simulated"
                ));
            }
            let image_path = match format(&row.arguments) {
                Some(arguments) => format!("{image} {arguments}"),
                None => image,
            };
            let text = |value: String| match self.profile.installer {
                Installer::Wine => WrittenData::String(value),
                Installer::Windows => WrittenData::ExpandString(value),
            };
            let mut values = vec![
                ("Type", WrittenData::Dword(row.service_type)),
                ("Start", WrittenData::Dword(row.start_type)),
                (
                    "ErrorControl",
                    WrittenData::Dword(row.error_control & !VITAL),
                ),
                ("ImagePath", text(image_path)),
                (
                    "ObjectName",
                    WrittenData::String(
                        format(&row.start_name).unwrap_or_else(|| "LocalSystem".into()),
                    ),
                ),
            ];
            let optional = [
                ("DisplayName", format(&row.display_name)),
                ("Group", format(&row.load_order_group)),
                ("Description", format(&row.description)),
            ];
            for (value_name, value) in optional {
                if let Some(value) = value {
                    values.push((value_name, WrittenData::String(value)));
                }
            }
            if self.profile.installer == Installer::Wine {
                values.push(("PreshutdownTimeout", WrittenData::Dword(180_000)));
            }
            let key = format!(r"{SERVICES_KEY}\{name}");
            writes.extend(values.into_iter().map(|(value_name, data)| RegistryWrite {
                root: RegistryRoot::LocalMachine,
                view64: self.profile.is_64bit,
                key: key.clone(),
                name: Some(value_name.to_string()),
                data,
                component: component.to_string(),
            }));
        }
        self.notes.extend(notes);
        self.note_service_starts(installed)?;
        Ok(writes)
    }

    fn note_service_starts(&mut self, installed: &BTreeSet<&str>) -> Result<(), SimulationError> {
        if !self.runs("StartServices")? {
            return Ok(());
        }
        for row in &self.tables.service_controls {
            if installed.contains(row.component.as_str()) && row.event & START_EVENTS != 0 {
                self.notes.insert(format!(
                    "StartServices starts `{}`: whether its program starts is not simulated",
                    row.name
                ));
            }
        }
        Ok(())
    }

    /// The services (lower-cased name → the row's component) DeleteServices deletes for
    /// `components`: at install (event 0x8) or at uninstall (0x80).
    fn deleted_services(
        &self,
        components: &BTreeSet<&str>,
        at_uninstall: bool,
    ) -> Result<BTreeMap<String, String>, SimulationError> {
        if !self.runs("DeleteServices")? {
            return Ok(BTreeMap::new());
        }
        let event = if at_uninstall {
            DELETE_AT_UNINSTALL
        } else {
            DELETE_AT_INSTALL
        };
        let references = self.references();
        Ok(self
            .tables
            .service_controls
            .iter()
            .filter(|row| components.contains(row.component.as_str()) && row.event & event != 0)
            .map(|row| {
                let name = deformat::deformat(&row.name, &references).to_lowercase();
                (name, row.component.clone())
            })
            .collect())
    }

    /// The services (lower-cased names) InstallServices registers for `components`.
    fn installed_services(&self, components: &BTreeSet<&str>) -> BTreeSet<String> {
        let references = self.references();
        self.tables
            .service_installs
            .iter()
            .filter(|row| components.contains(row.component.as_str()))
            .map(|row| deformat::deformat(&row.name, &references).to_lowercase())
            .collect()
    }

    /// What DeleteServices deletes at install: the services the machine has.
    pub(super) fn service_removals(
        &self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryRemoval>, SimulationError> {
        let mut removals = Vec::new();
        for (name, component) in self.deleted_services(installed, false)? {
            let key = format!(r"{SERVICES_KEY}\{name}").to_lowercase();
            let held = self.profile.registry.keys().any(|(root, held, _)| {
                *root == RegistryRoot::LocalMachine
                    && (held == &key || held.starts_with(&format!("{key}\\")))
            });
            if held {
                removals.push(RegistryRemoval {
                    root: RegistryRoot::LocalMachine,
                    view64: self.profile.is_64bit,
                    key: format!(r"{SERVICES_KEY}\{name}"),
                    name: None,
                    whole_key: true,
                    component,
                });
            }
        }
        Ok(removals)
    }

    /// Lists as residue the services of `removed` components that uninstall does not delete.
    pub(super) fn services_left(
        &self,
        removed: &BTreeSet<&str>,
        prediction: &mut Prediction,
    ) -> Result<(), SimulationError> {
        let deleted = self.deleted_services(removed, true)?;
        let services = self.installed_services(removed);
        let prefix = format!("{}\\", SERVICES_KEY.to_lowercase());
        let left: Vec<Leftover> = prediction
            .registry
            .iter()
            .filter(|write| removed.contains(write.component.as_str()))
            .filter_map(|write| {
                let service = write.key.to_lowercase().strip_prefix(&prefix)?.to_string();
                let left = services.contains(&service) && !deleted.contains_key(&service);
                left.then(|| Leftover {
                    item: write.display_key(),
                    reason: "no ServiceControl row deletes the service at uninstall (event 0x80 with DeleteServices)".into(),
                    component: write.component.clone(),
                })
            })
            .collect();
        prediction.residue.extend(left);
        prediction.residue.sort();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::profile::{self, ProfileValue};
    use super::super::{CommandLine, Simulator};
    use super::*;
    use crate::format::schema;

    #[test]
    fn a_delete_at_install_removes_a_service_the_machine_has_and_only_that() {
        let mut db = crate::database::tests::sample("Intel");
        super::super::tests::schedule(&mut db, &[("DeleteServices", 2000)]);
        let mut package = crate::package::read(&crate::database::to_bytes(&db).unwrap()).unwrap();
        let control = |name: &str, event| schema::ServiceControl {
            service_control: name.into(),
            name: name.into(),
            event,
            arguments: None,
            wait: None,
            component: "Reg".into(),
        };
        let rows = [
            control("OldSvc", 0x8),
            control("Absent", 0x8),
            control("Later", 0x80),
        ];
        super::super::tests::with_read_table(
            &mut package,
            &schema::SERVICE_CONTROL,
            rows.into_iter(),
        );
        let mut machine = profile::by_name("win10-22h2-x64").unwrap();
        for name in ["oldsvc", "later"] {
            let key = format!(r"system\currentcontrolset\services\{name}");
            machine.registry.insert(
                (RegistryRoot::LocalMachine, key, "start".into()),
                ProfileValue::Dword(3),
            );
        }
        let prediction = Simulator::default()
            .simulate(&package, &machine, &CommandLine::default())
            .unwrap();
        let removed: Vec<String> = prediction
            .registry_removed
            .iter()
            .map(|r| r.key.clone())
            .collect();
        assert_eq!(removed, [r"System\CurrentControlSet\Services\oldsvc"]);
    }
}
