//! Machine profiles: what Windows Installer sees on a given Windows version and architecture
//! (its properties, and the registry values packages search for).

use crate::model::RegistryRoot;
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
    edition: &'static str,
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
        edition: "Enterprise",
    },
    Spec {
        name: "win7-x64",
        description: "Windows 7 SP1 Enterprise, 64-bit",
        version_nt: 601,
        build: 7601,
        is_64bit: true,
        product_type: 1,
        edition: "Enterprise",
    },
    Spec {
        name: "win8-x86",
        description: "Windows 8 Pro, 32-bit",
        version_nt: 602,
        build: 9200,
        is_64bit: false,
        product_type: 1,
        edition: "Professional",
    },
    Spec {
        name: "win8-x64",
        description: "Windows 8 Pro, 64-bit",
        version_nt: 602,
        build: 9200,
        is_64bit: true,
        product_type: 1,
        edition: "Professional",
    },
    Spec {
        name: "win81-x86",
        description: "Windows 8.1 Pro, 32-bit",
        version_nt: 603,
        build: 9600,
        is_64bit: false,
        product_type: 1,
        edition: "Professional",
    },
    Spec {
        name: "win81-x64",
        description: "Windows 8.1 Pro, 64-bit",
        version_nt: 603,
        build: 9600,
        is_64bit: true,
        product_type: 1,
        edition: "Professional",
    },
    Spec {
        name: "win10-1709-x64",
        description: "Windows 10 1709 Enterprise (build 16299), 64-bit",
        version_nt: 603,
        build: 16299,
        is_64bit: true,
        product_type: 1,
        edition: "Enterprise",
    },
    Spec {
        name: "win10-22h2-x86",
        description: "Windows 10 22H2 Enterprise (build 19045), 32-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: false,
        product_type: 1,
        edition: "Enterprise",
    },
    Spec {
        name: "win10-22h2-x64",
        description: "Windows 10 22H2 Enterprise (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: true,
        product_type: 1,
        edition: "Enterprise",
    },
    Spec {
        name: "win10-22h2-home-x64",
        description: "Windows 10 22H2 Home (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        is_64bit: true,
        product_type: 1,
        edition: "Core",
    },
    Spec {
        name: "win11-x64",
        description: "Windows 11 23H2 Enterprise (build 22631), 64-bit",
        version_nt: 603,
        build: 22631,
        is_64bit: true,
        product_type: 1,
        edition: "Enterprise",
    },
    Spec {
        name: "server2019-x64",
        description: "Windows Server 2019 (build 17763)",
        version_nt: 603,
        build: 17763,
        is_64bit: true,
        product_type: 3,
        edition: "ServerStandard",
    },
];

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
    let facts = MachineFacts {
        version_nt: spec.version_nt,
        build: spec.build,
        major_version: (spec.build >= 10240).then_some(10),
        is_64bit: spec.is_64bit,
        product_type: spec.product_type,
        edition: spec.edition.to_string(),
    };
    MachineProfile::from_facts(spec.name, spec.description, &facts)
}

/// What a Windows machine reports about itself (registry and OS), from which Windows
/// Installer's view of it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineFacts {
    /// From `CurrentVersion` (6.1 → 601); 603 on Windows 8.1, 10 and 11.
    pub version_nt: u32,
    /// `CurrentBuildNumber`.
    pub build: u32,
    /// `CurrentMajorVersionNumber`, present from Windows 10 on.
    pub major_version: Option<u32>,
    pub is_64bit: bool,
    /// `MsiNTProductType`: 1 client, 2 domain controller, 3 server.
    pub product_type: u32,
    pub edition: String,
}

impl MachineProfile {
    pub fn from_facts(name: &str, description: &str, facts: &MachineFacts) -> MachineProfile {
        // msiexec is not manifested for Windows 10: it reports 8.1's VersionNT and build.
        let windows_build = if facts.version_nt == 603 {
            9600
        } else {
            facts.build
        };
        let mut properties = BTreeMap::from([
            ("VersionNT".to_string(), facts.version_nt.to_string()),
            ("WindowsBuild".to_string(), windows_build.to_string()),
            (
                "MsiNTProductType".to_string(),
                facts.product_type.to_string(),
            ),
            ("Intel".to_string(), "6".to_string()),
        ]);
        if facts.is_64bit {
            properties.insert("VersionNT64".to_string(), facts.version_nt.to_string());
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
            ProfileValue::String(facts.build.to_string()),
        );
        put("EditionID", ProfileValue::String(facts.edition.clone()));
        if let Some(major) = facts.major_version {
            put("CurrentMajorVersionNumber", ProfileValue::Dword(major));
        }
        MachineProfile {
            name: name.to_string(),
            description: description.to_string(),
            is_64bit: facts.is_64bit,
            properties,
            registry,
        }
    }
}
