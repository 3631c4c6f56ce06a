//! What the simulator is told about this project's proxy DLL (`payload/customaction`): the
//! effects of its entry points follow from their CustomActionData. Any other program is
//! opaque to the simulator and reported as unsimulated.

use crate::model::RegistryRoot;
use msikit::formatted::deformat::WrittenData;
use msikit::simulate::{ActionEffect, ActionModel, DllCall, RegistryWrite, Simulator};

/// The simulator with the proxy DLL's semantics.
pub fn simulator() -> Simulator<'static> {
    Simulator {
        actions: &ProxyDll,
        source: None,
    }
}

/// The proxy DLL's entry points as an [`ActionModel`].
pub struct ProxyDll;

impl ActionModel for ProxyDll {
    fn knows(&self, entry: &str) -> bool {
        KnownEntry::of(entry).is_some()
    }

    fn run(&self, call: &DllCall<'_>) -> ActionEffect {
        let data = || {
            call.properties
                .get(call.action)
                .cloned()
                .unwrap_or_default()
        };
        let values = |data: &str| {
            proxy_values(data, call.action)
                .map_err(|problem| format!("its CustomActionData {problem}"))
        };
        match KnownEntry::of(call.entry) {
            Some(KnownEntry::ValidateProxyServer) => {
                let valid = call
                    .properties
                    .get(crate::model::proxy::SERVER_PROPERTY)
                    .is_some_and(|server| crate::config::validate_proxy_server(server).is_ok());
                let value = if valid { "1" } else { "" };
                ActionEffect::SetProperties(vec![(
                    crate::model::proxy::VALID_PROPERTY.into(),
                    value.into(),
                )])
            }
            Some(KnownEntry::Apply) => {
                values(&data()).map_or_else(ActionEffect::Fails, ActionEffect::Writes)
            }
            Some(KnownEntry::Remove) => {
                values(&data()).map_or_else(ActionEffect::Fails, ActionEffect::Restores)
            }
            Some(KnownEntry::UndoApply) | None => ActionEffect::Nothing,
        }
    }
}

/// The proxy DLL's entry points and what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownEntry {
    /// Sets the private property to 1 when PROXYSERVER is `host:port`.
    ValidateProxyServer,
    /// Records earlier values, writes the data's values.
    Apply,
    /// Puts the earlier values back.
    UndoApply,
    /// Puts the earlier values back where they are still what Apply wrote.
    Remove,
}

impl KnownEntry {
    pub fn of(entry: &str) -> Option<KnownEntry> {
        Some(match entry {
            crate::model::proxy::ENTRY_VALIDATE => KnownEntry::ValidateProxyServer,
            crate::model::proxy::ENTRY_APPLY => KnownEntry::Apply,
            crate::model::proxy::ENTRY_UNDO_APPLY => KnownEntry::UndoApply,
            crate::model::proxy::ENTRY_REMOVE => KnownEntry::Remove,
            _ => return None,
        })
    }
}

/// Where the Default profile's values land in the simulation's key names: a hive that is only
/// mounted while the action runs.
pub const DEFAULT_PROFILE_ROOT: &str = r"<Default profile NTUSER.DAT>";

/// A CustomActionData record outside the proxy DLL's grammar (it fails the install on it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyDataError {
    #[error("record `{0}` has no `=`")]
    NoEquals(String),
    #[error("unknown record `{0}`")]
    UnknownRecord(String),
    #[error("`{0}`: not a DWORD")]
    NotADword(String),
    #[error("`{0}` before any key=")]
    BeforeKey(String),
    #[error("no hive= record first")]
    HiveAfterValue,
    #[error("has no hive= record")]
    NoHive,
}

/// The registry values a CustomActionData text for Apply/Remove names, attributed to `action`.
///
/// # Errors
/// The record that is not part of the grammar (the DLL fails the install on it too).
pub fn proxy_values(data: &str, action: &str) -> Result<Vec<RegistryWrite>, ProxyDataError> {
    let (mut hive, mut view64, mut key) = (None, false, None::<String>);
    let mut values = Vec::new();
    for record in data.split('\n').map(|r| r.trim_end_matches('\r')) {
        if record.is_empty() {
            continue;
        }
        let (field, value) = record
            .split_once('=')
            .ok_or_else(|| ProxyDataError::NoEquals(record.to_string()))?;
        match field {
            "hive" if value == "machine" || value == "default-profile" => hive = Some(value),
            "view" if value == "64" || value == "32" => view64 = value == "64",
            "backup" => {}
            "key" => key = Some(value.to_string()),
            _ => {
                let (kind, name) = field
                    .split_once(':')
                    .ok_or_else(|| ProxyDataError::UnknownRecord(record.to_string()))?;
                let data = match kind {
                    "dword" => WrittenData::Dword(
                        value
                            .parse::<u32>()
                            .map_err(|_| ProxyDataError::NotADword(record.to_string()))?
                            as i32,
                    ),
                    "sz" => WrittenData::String(value.to_string()),
                    _ => return Err(ProxyDataError::UnknownRecord(record.to_string())),
                };
                let key = key
                    .as_ref()
                    .ok_or_else(|| ProxyDataError::BeforeKey(record.to_string()))?;
                let hive = hive.ok_or(ProxyDataError::HiveAfterValue)?;
                let (root, key) = if hive == "machine" {
                    (RegistryRoot::LocalMachine, key.clone())
                } else {
                    (
                        RegistryRoot::Users,
                        format!(r"{DEFAULT_PROFILE_ROOT}\{key}"),
                    )
                };
                values.push(RegistryWrite {
                    root,
                    view64,
                    key,
                    name: Some(name.to_string()),
                    data,
                    component: format!("custom action {action}"),
                });
            }
        }
    }
    if hive.is_none() {
        return Err(ProxyDataError::NoHive);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ProxyMode;
    use crate::model::proxy::custom_action_data;

    #[test]
    fn the_data_the_binder_writes_reads_back_as_the_values_it_names() {
        let data = custom_action_data(
            ProxyMode::Machine,
            true,
            r"SOFTWARE\C\P\ProxyBackup",
            "p:8080",
            None,
        );
        let values = proxy_values(&data, "Apply").unwrap();
        let names: Vec<(&str, Option<&str>)> = values
            .iter()
            .map(|v| (v.key.as_str(), v.name.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                (
                    crate::model::proxy::MACHINE_POLICY_KEY,
                    Some("ProxySettingsPerUser")
                ),
                (
                    crate::model::proxy::INTERNET_SETTINGS_KEY,
                    Some("ProxyEnable")
                ),
                (
                    crate::model::proxy::INTERNET_SETTINGS_KEY,
                    Some("ProxyServer")
                ),
            ]
        );
        assert!(values
            .iter()
            .all(|v| v.view64 && v.root == RegistryRoot::LocalMachine));
        assert_eq!(values[2].data, WrittenData::String("p:8080".into()));
        let profile = custom_action_data(
            ProxyMode::DefaultProfile,
            false,
            "B",
            "p:1",
            Some("<local>".into()),
        );
        let values = proxy_values(&profile, "Apply").unwrap();
        assert!(values
            .iter()
            .all(|v| v.root == RegistryRoot::Users && v.key.starts_with(DEFAULT_PROFILE_ROOT)));
        assert_eq!(values.len(), 3);
    }

    #[test]
    fn records_outside_the_grammar_are_errors() {
        for bad in [
            "view=64",
            "hive=machine\nsz:A=b",
            "hive=machine\nkey=K\nqword:A=1",
            "hive=machine\nkey=K\ndword:A=x",
            "junk",
        ] {
            assert!(proxy_values(bad, "A").is_err(), "{bad}");
        }
    }
}
