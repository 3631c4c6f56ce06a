//! The document `doctor` reads: what the PowerShell script writes as JSON, and what a
//! `reg export` file is turned into. One definition for both, so the script's output and the
//! reader cannot disagree about field names.

use super::settings::RegistrySetting;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Written by the script as `"schema"`; a reader refuses other versions.
pub const SCHEMA: &str = "sspr-msi-doctor/1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineReport {
    pub schema: String,
    pub collected_by: Collector,
    /// What WMI says about the OS (informational; decisions use the registry values).
    #[serde(default)]
    pub os: OsSummary,
    /// `dsregcmd /status` fields (`AzureAdJoined`, `DomainJoined`, …); empty before Windows 10.
    #[serde(default)]
    pub join: BTreeMap<String, String>,
    /// Keys that exist on the machine (script) or appear in the file (`reg export`).
    #[serde(default)]
    pub keys: Vec<String>,
    /// Values found; an absent value is simply not listed.
    #[serde(default)]
    pub values: Vec<RegistryValue>,
    /// Subkeys of the listed keys (the registered credential providers).
    #[serde(default)]
    pub subkeys: Vec<Subkey>,
    /// Whether `C:\Users\Default\NTUSER.DAT` could be loaded to read its proxy settings.
    #[serde(default)]
    pub default_profile_readable: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collector {
    /// `sspr-msi doctor --script`: every setting was looked at; a missing key is absent.
    Script,
    /// A `reg export` file: only the keys in the file were looked at.
    RegExport,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsSummary {
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub architecture: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryValue {
    pub key: String,
    pub name: String,
    pub data: RegistryData,
}

/// DWORDs as numbers (PowerShell reports them signed: 0xFFFFFFFF is -1), everything else
/// as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegistryData {
    Number(i64),
    Text(String),
}

impl RegistryData {
    /// The value as a DWORD, whether PowerShell wrote it signed or a `.reg` file unsigned.
    pub fn as_dword(&self) -> Option<u32> {
        match self {
            RegistryData::Number(number) => Some((*number & 0xFFFF_FFFF) as u32),
            RegistryData::Text(text) => text.trim().parse().ok(),
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            RegistryData::Number(number) => number.to_string(),
            RegistryData::Text(text) => text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subkey {
    /// The listed key the subkey is under.
    pub parent: String,
    pub name: String,
    /// The subkey's default value (a credential provider's name), when it has one.
    #[serde(default)]
    pub default: Option<String>,
}

/// Whether `doctor` knows the value of a setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed<'a> {
    Value(&'a RegistryData),
    /// The key or value does not exist on the machine.
    Absent,
    /// A `reg export` that did not include the key: nothing can be said.
    NotCollected,
}

impl MachineReport {
    pub fn observe(&self, setting: &RegistrySetting) -> Observed<'_> {
        let found = self.values.iter().find(|value| {
            value.key.eq_ignore_ascii_case(&setting.key())
                && value.name.eq_ignore_ascii_case(setting.name)
        });
        match found {
            Some(value) => Observed::Value(&value.data),
            None if self.collected_by == Collector::RegExport && !self.has_key(&setting.key()) => {
                Observed::NotCollected
            }
            None => Observed::Absent,
        }
    }

    pub fn has_key(&self, key: &str) -> bool {
        self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    pub fn subkeys_of(&self, parent: String) -> impl Iterator<Item = &Subkey> + '_ {
        self.subkeys
            .iter()
            .filter(move |subkey| subkey.parent.eq_ignore_ascii_case(&parent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_dwords_from_powershell_read_as_unsigned() {
        assert_eq!(RegistryData::Number(-1).as_dword(), Some(0xFFFF_FFFF));
        assert_eq!(RegistryData::Number(2560).as_dword(), Some(0xA00));
        assert_eq!(RegistryData::Text("1".into()).as_dword(), Some(1));
    }

    #[test]
    fn the_document_round_trips_through_json() {
        let report = MachineReport {
            schema: SCHEMA.into(),
            collected_by: Collector::Script,
            os: OsSummary::default(),
            join: BTreeMap::from([("AzureAdJoined".into(), "YES".into())]),
            keys: vec![super::super::settings::by_id("enable_lua").key()],
            values: vec![RegistryValue {
                key: super::super::settings::by_id("enable_lua").key(),
                name: "EnableLUA".into(),
                data: RegistryData::Number(0),
            }],
            subkeys: vec![],
            default_profile_readable: Some(false),
        };
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(
            serde_json::from_str::<MachineReport>(&json).unwrap(),
            report
        );
    }
}
