//! Machine profiles: what Windows Installer sees on a given Windows version and architecture
//! (its properties, and the registry values packages search for): built-in ones for every
//! target, `wine-…` ones that match what Wine 8's prefixes report (measured), and user-written
//! TOML profile files for a fleet's real machines.

use crate::config;
use crate::error::ConfigError;
use crate::model::RegistryRoot;
use crate::target::{OsFamily, WINDOWS10_FIRST_BUILD, WINDOWS11_FIRST_BUILD};
use std::collections::BTreeMap;

/// A registry value as a RegLocator raw search returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileValue {
    Dword(u32),
    String(String),
}

impl ProfileValue {
    /// The property value a raw (type 2) RegLocator search produces.
    pub fn as_search_result(&self) -> String {
        match self {
            ProfileValue::Dword(value) => format!("#{value}"),
            ProfileValue::String(text) if text.starts_with('#') => format!("#{text}"),
            ProfileValue::String(text) => text.clone(),
        }
    }
}

/// One machine as Windows Installer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineProfile {
    pub name: String,
    pub description: String,
    pub is_64bit: bool,
    pub properties: BTreeMap<String, String>,
    /// (root, key lower-cased, value name lower-cased) → value. On 64-bit machines these
    /// are the 64-bit view; `SOFTWARE\Microsoft\Windows NT\CurrentVersion` reads the same
    /// from both views.
    pub registry: BTreeMap<(RegistryRoot, String, String), ProfileValue>,
}

struct Spec {
    name: &'static str,
    description: &'static str,
    version_nt: u32,
    build: u32,
    is_64bit: bool,
    product_type: u32,
    /// `EditionID`; Wine's prefixes have none.
    edition: Option<&'static str>,
    /// Wine's prefixes: `CurrentMajorVersionNumber` is 6 before Windows 10 (real Windows
    /// 7/8/8.1 have no such value).
    wine: bool,
}

const CURRENT_VERSION: &str = r"software\microsoft\windows nt\currentversion";

const SPECS: &[Spec] = &[
    Spec {
        name: "win7-x86",
        description: "Windows 7 SP1 Enterprise, 32-bit",
        version_nt: 601,
        build: 7601,
        is_64bit: false,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win7-x64",
        description: "Windows 7 SP1 Enterprise, 64-bit",
        version_nt: 601,
        build: 7601,
        is_64bit: true,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win8-x86",
        description: "Windows 8 Pro, 32-bit",
        version_nt: 602,
        build: 9200,
        is_64bit: false,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win8-x64",
        description: "Windows 8 Pro, 64-bit",
        version_nt: 602,
        build: 9200,
        is_64bit: true,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win81-x86",
        description: "Windows 8.1 Pro, 32-bit",
        version_nt: 603,
        build: 9600,
        is_64bit: false,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win81-x64",
        description: "Windows 8.1 Pro, 64-bit",
        version_nt: 603,
        build: 9600,
        is_64bit: true,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win10-1709-x64",
        description: "Windows 10 1709 Enterprise (build 16299), 64-bit",
        version_nt: 603,
        build: 16299,
        is_64bit: true,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-x86",
        description: "Windows 10 22H2 Enterprise (build 19045), 32-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: false,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-x64",
        description: "Windows 10 22H2 Enterprise (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: true,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-home-x64",
        description: "Windows 10 22H2 Home (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: true,
        product_type: 1,
        edition: Some("Core"),
        wine: false,
    },
    Spec {
        name: "win11-x64",
        description: "Windows 11 23H2 Enterprise (build 22631), 64-bit",
        version_nt: 603,
        build: 22631,
        is_64bit: true,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "server2019-x64",
        description: "Windows Server 2019 (build 17763)",
        version_nt: 603,
        build: 17763,
        is_64bit: true,
        product_type: 3,
        edition: Some("ServerStandard"),
        wine: false,
    },
    Spec {
        name: "wine-win7",
        description: "Wine 8 prefix, `winecfg -v win7` (64-bit)",
        version_nt: 601,
        build: 7601,
        is_64bit: true,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win8",
        description: "Wine 8 prefix, `winecfg -v win8` (64-bit)",
        version_nt: 602,
        build: 9200,
        is_64bit: true,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win81",
        description: "Wine 8 prefix, `winecfg -v win81` (64-bit)",
        version_nt: 603,
        build: 9600,
        is_64bit: true,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win10",
        description: "Wine 8 prefix, `winecfg -v win10` (build 18362, 64-bit)",
        version_nt: 603,
        build: 18362,
        is_64bit: true,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win11",
        description: "Wine 8 win10 prefix with CurrentBuildNumber 22631 (64-bit)",
        version_nt: 603,
        build: 22631,
        is_64bit: true,
        product_type: 1,
        edition: None,
        wine: true,
    },
];

impl MachineProfile {
    /// The Windows family this machine runs, from `VersionNT` and `CurrentBuildNumber`
    /// (`VersionNT` alone cannot tell 8.1 from 10 and 11).
    pub fn os_family(&self) -> Option<OsFamily> {
        let build = match self.registry.get(&(
            RegistryRoot::LocalMachine,
            CURRENT_VERSION.to_string(),
            "currentbuildnumber".to_string(),
        )) {
            Some(ProfileValue::String(text)) => text.parse::<u32>().ok(),
            _ => None,
        };
        match (self.properties.get("VersionNT")?.as_str(), build) {
            ("601", _) => Some(OsFamily::Win7),
            ("602", _) => Some(OsFamily::Win8),
            ("603", Some(build)) if build >= WINDOWS11_FIRST_BUILD => Some(OsFamily::Win11),
            ("603", Some(build)) if build >= WINDOWS10_FIRST_BUILD => Some(OsFamily::Win10),
            ("603", _) => Some(OsFamily::Win81),
            _ => None,
        }
    }
}

/// Every built-in profile.
pub fn built_in() -> Vec<MachineProfile> {
    SPECS.iter().map(profile_from).collect()
}

pub fn by_name(name: &str) -> Option<MachineProfile> {
    SPECS
        .iter()
        .find(|spec| spec.name == name)
        .map(profile_from)
}

fn profile_from(spec: &Spec) -> MachineProfile {
    // msiexec is not manifested for Windows 10: it reports 8.1's VersionNT and build.
    let windows_build = if spec.version_nt == 603 {
        9600
    } else {
        spec.build
    };
    let mut properties = BTreeMap::from([
        ("VersionNT".to_string(), spec.version_nt.to_string()),
        ("WindowsBuild".to_string(), windows_build.to_string()),
        (
            "MsiNTProductType".to_string(),
            spec.product_type.to_string(),
        ),
        ("Intel".to_string(), "6".to_string()),
    ]);
    if spec.is_64bit {
        properties.insert("VersionNT64".to_string(), spec.version_nt.to_string());
        properties.insert("Msix64".to_string(), "6".to_string());
    }
    let mut registry = BTreeMap::new();
    let mut put = |name: &str, value: ProfileValue| {
        registry.insert(
            (
                RegistryRoot::LocalMachine,
                CURRENT_VERSION.to_string(),
                name.to_ascii_lowercase(),
            ),
            value,
        );
    };
    put(
        "CurrentBuildNumber",
        ProfileValue::String(spec.build.to_string()),
    );
    if let Some(edition) = spec.edition {
        put("EditionID", ProfileValue::String(edition.to_string()));
    }
    if spec.build >= 10240 {
        put("CurrentMajorVersionNumber", ProfileValue::Dword(10));
    } else if spec.wine {
        put("CurrentMajorVersionNumber", ProfileValue::Dword(6));
    }
    MachineProfile {
        name: spec.name.to_string(),
        description: spec.description.to_string(),
        is_64bit: spec.is_64bit,
        properties,
        registry,
    }
}

/// The TOML shape of a profile file: one `[[profile]]` table per machine.
mod raw {
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use toml::Spanned;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProfileFile {
        pub profile: Vec<Profile>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Profile {
        pub name: Spanned<String>,
        #[serde(default)]
        pub description: String,
        /// A built-in profile to start from.
        pub base: Option<Spanned<String>>,
        /// `x86` or `x64`; required without `base`.
        pub arch: Option<Spanned<String>>,
        #[serde(default)]
        pub properties: BTreeMap<String, String>,
        #[serde(default)]
        pub registry: Vec<RegistryValue>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RegistryValue {
        /// `HKLM\SOFTWARE\…`: the root spelled out first.
        pub key: Spanned<String>,
        pub name: String,
        pub string: Option<String>,
        pub dword: Option<Spanned<i64>>,
    }
}

/// Reads machine profiles from a TOML profile file; `file` names it in errors.
///
/// # Errors
/// A [`ConfigError`] naming the file, line and key of the first problem.
pub fn parse_profile_file(text: &str, file: &str) -> Result<Vec<MachineProfile>, ConfigError> {
    let parsed: raw::ProfileFile =
        toml::from_str(text).map_err(|error| config::toml_error(text, file, &error))?;
    let error = |span: std::ops::Range<usize>, key: &str, message: String| {
        config::located_error(text, file, span, key, message)
    };
    let mut profiles = Vec::new();
    for entry in parsed.profile {
        let mut profile =
            match (&entry.base, &entry.arch) {
                (Some(base), _) => by_name(base.get_ref()).ok_or_else(|| {
                    error(
                        base.span(),
                        "profile.base",
                        format!(
                            "unknown built-in profile `{}`; known: {}",
                            base.get_ref(),
                            known_names()
                        ),
                    )
                })?,
                (None, Some(arch)) => empty_profile(arch.get_ref() == "x64"),
                (None, None) => return Err(error(
                    entry.name.span(),
                    "profile.arch",
                    "a profile needs `base = \"<built-in profile>\"` or `arch = \"x86\"|\"x64\"`"
                        .into(),
                )),
            };
        if let Some(arch) = &entry.arch {
            if !matches!(arch.get_ref().as_str(), "x86" | "x64") {
                return Err(error(
                    arch.span(),
                    "profile.arch",
                    format!("expected `x86` or `x64`, found `{}`", arch.get_ref()),
                ));
            }
            profile.is_64bit = arch.get_ref() == "x64";
        }
        profile.name = entry.name.get_ref().clone();
        if !entry.description.is_empty() {
            profile.description = entry.description.clone();
        }
        profile.properties.extend(entry.properties);
        for value in &entry.registry {
            let (root, key) = value
                .key
                .get_ref()
                .split_once('\\')
                .and_then(|(root, key)| Some((RegistryRoot::parse(root)?, key)))
                .ok_or_else(|| {
                    error(
                        value.key.span(),
                        "profile.registry.key",
                        format!(
                            "expected `HKLM\\…`, `HKCU\\…`, `HKCR\\…` or `HKU\\…`, found `{}`",
                            value.key.get_ref()
                        ),
                    )
                })?;
            let data = match (&value.string, &value.dword) {
                (Some(text), None) => ProfileValue::String(text.clone()),
                (None, Some(number)) => {
                    ProfileValue::Dword(u32::try_from(*number.get_ref()).map_err(|_| {
                        error(
                            number.span(),
                            "profile.registry.dword",
                            format!("{} is not a 32-bit unsigned value", number.get_ref()),
                        )
                    })?)
                }
                _ => {
                    return Err(error(
                        value.key.span(),
                        "profile.registry",
                        "give exactly one of `string = \"…\"` or `dword = N`".into(),
                    ))
                }
            };
            profile.registry.insert(
                (
                    root,
                    key.to_ascii_lowercase(),
                    value.name.to_ascii_lowercase(),
                ),
                data,
            );
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

/// The names of the built-in profiles, for error messages.
pub fn known_names() -> String {
    SPECS
        .iter()
        .map(|spec| spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn empty_profile(is_64bit: bool) -> MachineProfile {
    MachineProfile {
        name: String::new(),
        description: String::new(),
        is_64bit,
        properties: BTreeMap::new(),
        registry: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_file_extends_a_built_in_profile() {
        let text = r#"
[[profile]]
name = "kiosk"
base = "win10-22h2-x64"
description = "Kiosk fleet"
properties = { MsiNTProductType = "1" }

[[profile.registry]]
key = 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
name = "EditionID"
string = "Core"

[[profile]]
name = "bare"
arch = "x86"
"#;
        let profiles = parse_profile_file(text, "fleet.toml").unwrap();
        assert_eq!(profiles.len(), 2);
        assert_eq!(profiles[0].name, "kiosk");
        assert!(profiles[0].is_64bit);
        assert_eq!(
            profiles[0].registry[&(
                RegistryRoot::LocalMachine,
                CURRENT_VERSION.to_string(),
                "editionid".to_string()
            )],
            ProfileValue::String("Core".into())
        );
        assert!(!profiles[1].is_64bit && profiles[1].registry.is_empty());
    }

    #[test]
    fn profile_file_errors_name_file_line_and_key() {
        let cases = [
            ("[[profile]]\nname = \"x\"\nbase = \"win99\"\n", 3, "profile.base", "unknown built-in profile `win99`"),
            ("[[profile]]\nname = \"x\"\narch = \"arm\"\n", 3, "profile.arch", "expected `x86` or `x64`"),
            ("[[profile]]\nname = \"x\"\n", 2, "profile.arch", "needs `base"),
            (
                "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.registry]]\nkey = 'HKXX\\A'\nname = \"n\"\ndword = 1\n",
                5,
                "profile.registry.key",
                "expected `HKLM",
            ),
            (
                "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.registry]]\nkey = 'HKLM\\A'\nname = \"n\"\ndword = -1\n",
                7,
                "profile.registry.dword",
                "not a 32-bit",
            ),
            ("[[profile]]\nname = \"x\"\nbogus = 1\n", 3, "profile.bogus", "unknown field"),
        ];
        for (text, line, key, message) in cases {
            let error = parse_profile_file(text, "fleet.toml").unwrap_err();
            assert_eq!(error.file, "fleet.toml");
            assert_eq!(error.line.map(|(line, _)| line), Some(line), "{error}");
            assert_eq!(error.key.as_deref(), Some(key), "{error}");
            assert!(error.message.contains(message), "{error}");
        }
    }

    #[test]
    fn wine_profiles_match_what_wine_prefixes_report() {
        let win81 = by_name("wine-win81").unwrap();
        let major = (
            RegistryRoot::LocalMachine,
            CURRENT_VERSION.to_string(),
            "currentmajorversionnumber".to_string(),
        );
        assert_eq!(win81.registry[&major], ProfileValue::Dword(6));
        let win10 = by_name("wine-win10").unwrap();
        assert_eq!(win10.registry[&major], ProfileValue::Dword(10));
        assert_eq!(win10.properties["VersionNT"], "603");
    }
}
