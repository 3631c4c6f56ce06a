//! Machine profiles: what Windows Installer sees on a given Windows version and architecture
//! (its properties, and the registry values packages search for): built-in ones for every
//! target, `wine-…` ones that match what Wine 8's prefixes report (measured), and the data a
//! fleet's own profiles (read by the product from its profile files) are made of.

use crate::format::RegistryRoot;
use crate::windows::{OsFamily, Processor, WINDOWS10_FIRST_BUILD, WINDOWS11_FIRST_BUILD};
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

/// A product Windows Installer has registered on the machine, as FindRelatedProducts and
/// the installed-product check read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InstalledProduct {
    /// `{GUID}`: the product's ProductCode.
    pub product_code: String,
    pub upgrade_code: Option<String>,
    /// ProductVersion (`major.minor.build`; a 4th field is ignored).
    pub version: String,
    /// ProductLanguage (a LANGID).
    pub language: u32,
    /// The package code of the package it was installed from, when known.
    pub package_code: Option<String>,
}

/// A file on the machine, as AppSearch's file and INI searches see it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProfileFile {
    /// The full path (`C:\Tools\app.exe`), spelled as the machine spells it.
    pub path: String,
    pub size: u32,
    /// The version resource's file version (`a.b.c.d`); `None` for a file without one.
    pub version: Option<String>,
    /// The version resource's languages (LANGIDs).
    pub languages: Vec<u16>,
    /// An INI file's values: section → key → value, section and key lower-cased.
    pub ini: BTreeMap<String, BTreeMap<String, String>>,
}

/// Whose Windows Installer runs the package: where Wine's `dlls/msi` and Windows differ
/// (reboots, failures after InstallFinalize), a profile predicts its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Installer {
    #[default]
    Windows,
    Wine,
}

/// One machine as Windows Installer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineProfile {
    pub name: String,
    pub description: String,
    pub installer: Installer,
    /// 64-bit Windows (x64 or ARM64).
    pub is_64bit: bool,
    pub processor: Processor,
    pub properties: BTreeMap<String, String>,
    /// (root, key lower-cased, value name lower-cased) → value. On 64-bit machines these
    /// are the 64-bit view; `SOFTWARE\Microsoft\Windows NT\CurrentVersion` reads the same
    /// from both views.
    pub registry: BTreeMap<(RegistryRoot, String, String), ProfileValue>,
    /// Products already installed (none on the built-in profiles).
    pub products: Vec<InstalledProduct>,
    /// Files on the machine (none on the built-in profiles).
    pub files: Vec<ProfileFile>,
    /// Folders besides the standard ones and those holding `files`: full paths.
    pub folders: Vec<String>,
}

struct Spec {
    name: &'static str,
    description: &'static str,
    version_nt: u32,
    build: u32,
    processor: Processor,
    product_type: u32,
    /// `EditionID`; Wine's prefixes have none.
    edition: Option<&'static str>,
    /// Wine's prefixes: `CurrentMajorVersionNumber` is 6 on win8 and win81 (real Windows
    /// 7/8/8.1 and Wine's win7 have no such value).
    wine: bool,
}

pub const CURRENT_VERSION: &str = r"software\microsoft\windows nt\currentversion";

const SPECS: &[Spec] = &[
    Spec {
        name: "win7-x86",
        description: "Windows 7 SP1 Enterprise, 32-bit",
        version_nt: 601,
        build: 7601,
        processor: Processor::X86,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win7-x64",
        description: "Windows 7 SP1 Enterprise, 64-bit",
        version_nt: 601,
        build: 7601,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win8-x86",
        description: "Windows 8 Pro, 32-bit",
        version_nt: 602,
        build: 9200,
        processor: Processor::X86,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win8-x64",
        description: "Windows 8 Pro, 64-bit",
        version_nt: 602,
        build: 9200,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win81-x86",
        description: "Windows 8.1 Pro, 32-bit",
        version_nt: 603,
        build: 9600,
        processor: Processor::X86,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win81-x64",
        description: "Windows 8.1 Pro, 64-bit",
        version_nt: 603,
        build: 9600,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Professional"),
        wine: false,
    },
    Spec {
        name: "win10-1709-x64",
        description: "Windows 10 1709 Enterprise (build 16299), 64-bit",
        version_nt: 603,
        build: 16299,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-x86",
        description: "Windows 10 22H2 Enterprise (build 19045), 32-bit",
        version_nt: 603,
        build: 19045,
        processor: Processor::X86,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-x64",
        description: "Windows 10 22H2 Enterprise (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-home-x64",
        description: "Windows 10 22H2 Home (build 19045), 64-bit",
        version_nt: 603,
        build: 19045,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Core"),
        wine: false,
    },
    Spec {
        name: "win11-x64",
        description: "Windows 11 23H2 Enterprise (build 22631), 64-bit",
        version_nt: 603,
        build: 22631,
        processor: Processor::X64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win10-22h2-arm64",
        description: "Windows 10 22H2 Enterprise on Arm (build 19045), ARM64: runs x86 code only",
        version_nt: 603,
        build: 19045,
        processor: Processor::Arm64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "win11-arm64",
        description:
            "Windows 11 23H2 Enterprise on Arm (build 22631), ARM64: runs x86 and x64 code",
        version_nt: 603,
        build: 22631,
        processor: Processor::Arm64,
        product_type: 1,
        edition: Some("Enterprise"),
        wine: false,
    },
    Spec {
        name: "server2019-x64",
        description: "Windows Server 2019 (build 17763)",
        version_nt: 603,
        build: 17763,
        processor: Processor::X64,
        product_type: 3,
        edition: Some("ServerStandard"),
        wine: false,
    },
    Spec {
        name: "wine-win7",
        description: "Wine 8 prefix, `winecfg -v win7` (64-bit)",
        version_nt: 601,
        build: 7601,
        processor: Processor::X64,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win8",
        description: "Wine 8 prefix, `winecfg -v win8` (64-bit)",
        version_nt: 602,
        build: 9200,
        processor: Processor::X64,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win81",
        description: "Wine 8 prefix, `winecfg -v win81` (64-bit)",
        version_nt: 603,
        build: 9600,
        processor: Processor::X64,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win10",
        description: "Wine 8 prefix, `winecfg -v win10` (build 18362, 64-bit)",
        version_nt: 603,
        build: 18362,
        processor: Processor::X64,
        product_type: 1,
        edition: None,
        wine: true,
    },
    Spec {
        name: "wine-win11",
        description: "Wine 8 win10 prefix with CurrentBuildNumber 22631 (64-bit)",
        version_nt: 603,
        build: 22631,
        processor: Processor::X64,
        product_type: 1,
        edition: None,
        wine: true,
    },
];

impl MachineProfile {
    /// The Windows family this machine runs, from `VersionNT` and `CurrentBuildNumber`
    /// (`VersionNT` alone cannot tell 8.1 from 10 and 11).
    pub fn os_family(&self) -> Option<OsFamily> {
        match (self.properties.get("VersionNT")?.as_str(), self.build()) {
            ("601", _) => Some(OsFamily::Win7),
            ("602", _) => Some(OsFamily::Win8),
            ("603", Some(build)) if build >= WINDOWS11_FIRST_BUILD => Some(OsFamily::Win11),
            ("603", Some(build)) if build >= WINDOWS10_FIRST_BUILD => Some(OsFamily::Win10),
            ("603", _) => Some(OsFamily::Win81),
            _ => None,
        }
    }
}

impl MachineProfile {
    /// `CurrentBuildNumber`, when the profile has it.
    pub fn build(&self) -> Option<u32> {
        match self.registry.get(&(
            RegistryRoot::LocalMachine,
            CURRENT_VERSION.to_string(),
            "currentbuildnumber".to_string(),
        )) {
            Some(ProfileValue::String(text)) => text.parse::<u32>().ok(),
            _ => None,
        }
    }

    /// Whether this machine runs x64 code: x64 Windows, and Windows on Arm from build 21277
    /// on (Windows 11; Windows 10 on Arm emulates x86 only).
    pub fn runs_x64_code(&self) -> bool {
        match self.processor {
            Processor::X64 => true,
            Processor::Arm64 => self
                .build()
                .is_some_and(|build| build >= FIRST_ARM64_BUILD_WITH_X64_EMULATION),
            Processor::X86 => false,
        }
    }

    /// Sets the processor, and with it whether Windows is 64-bit.
    pub fn set_processor(&mut self, processor: Processor) {
        self.processor = processor;
        self.is_64bit = processor.is_64bit();
    }
}

/// The first Windows on Arm build that runs x64 code (the VersionNT64 property's page).
pub const FIRST_ARM64_BUILD_WITH_X64_EMULATION: u32 = 21277;

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
    // Wine's win8 and win81 prefixes say 6; its fresh (win7) prefix has no such value.
    let major_version = if spec.build >= WINDOWS10_FIRST_BUILD {
        Some(10)
    } else {
        (spec.wine && spec.version_nt >= 602).then_some(6)
    };
    let facts = MachineFacts {
        version_nt: spec.version_nt,
        build: spec.build,
        major_version,
        processor: spec.processor,
        product_type: spec.product_type,
        edition: spec.edition.unwrap_or_default().to_string(),
        installer: if spec.wine {
            Installer::Wine
        } else {
            Installer::Windows
        },
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
    /// `CurrentMajorVersionNumber`: present from Windows 10 on (and 6 in Wine's older prefixes).
    pub major_version: Option<u32>,
    pub processor: Processor,
    /// `MsiNTProductType`: 1 client, 2 domain controller, 3 server.
    pub product_type: u32,
    /// `EditionID`; empty when the machine has none (Wine's prefixes).
    pub edition: String,
    pub installer: Installer,
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
        if facts.processor.is_64bit() {
            properties.insert("VersionNT64".to_string(), facts.version_nt.to_string());
        }
        // Msix64 is documented for x64 processors; Windows 11 on Arm sets it too (FireGiant's
        // WiX tutorial). No public source says Windows 10 on Arm does.
        let x64_emulation = facts.processor == Processor::Arm64
            && facts.build >= FIRST_ARM64_BUILD_WITH_X64_EMULATION;
        if facts.processor == Processor::X64 || x64_emulation {
            properties.insert("Msix64".to_string(), "6".to_string());
        }
        let mut registry = BTreeMap::new();
        for (key, build) in current_version_views(facts) {
            let mut put = |name: &str, value: ProfileValue| {
                registry.insert(
                    (
                        RegistryRoot::LocalMachine,
                        key.to_string(),
                        name.to_ascii_lowercase(),
                    ),
                    value,
                );
            };
            put(
                "CurrentBuildNumber",
                ProfileValue::String(build.to_string()),
            );
            put("CurrentBuild", ProfileValue::String(build.to_string()));
            put(
                "CurrentVersion",
                ProfileValue::String(current_version(facts)),
            );
            if !facts.edition.is_empty() {
                put("EditionID", ProfileValue::String(facts.edition.clone()));
            }
            if let Some(major) = facts.major_version {
                let minor = if major == 10 {
                    0
                } else {
                    facts.version_nt % 100
                };
                put("CurrentMajorVersionNumber", ProfileValue::Dword(major));
                put("CurrentMinorVersionNumber", ProfileValue::Dword(minor));
            }
        }
        MachineProfile {
            name: name.to_string(),
            description: description.to_string(),
            installer: facts.installer,
            is_64bit: facts.processor.is_64bit(),
            processor: facts.processor,
            properties,
            registry,
            products: Vec::new(),
            files: Vec::new(),
            folders: Vec::new(),
        }
    }
}

/// `CurrentVersion`: real Windows 10 and 11 still say 6.3; Wine's win10 prefix says 10.0.
fn current_version(facts: &MachineFacts) -> String {
    match (facts.installer, facts.major_version) {
        (Installer::Wine, Some(10)) => "10.0".to_string(),
        _ => format!("{}.{}", facts.version_nt / 100, facts.version_nt % 100),
    }
}

/// Where the `Windows NT\CurrentVersion` values are, with the build each view reports.
/// Windows: one key both views read ([`CURRENT_VERSION`]). Wine's prefixes keep a separate
/// 32-bit copy (measured): a fresh prefix (win7) has none, `winecfg -v` writes both, and the
/// tests' win11 prefix is win10's with only the 64-bit build changed.
fn current_version_views(facts: &MachineFacts) -> Vec<(&'static str, u32)> {
    let mut views = vec![(CURRENT_VERSION, facts.build)];
    if facts.installer == Installer::Wine && facts.processor.is_64bit() {
        match (facts.major_version, facts.build) {
            (None, _) => {}
            (Some(10), WINE_WIN11_BUILD) => views.push((CURRENT_VERSION_32, WINE_WIN10_BUILD)),
            (Some(_), build) => views.push((CURRENT_VERSION_32, build)),
        }
    }
    views
}

const WINE_WIN10_BUILD: u32 = 18362;
const WINE_WIN11_BUILD: u32 = 22631;

/// The 32-bit view's copy of [`CURRENT_VERSION`] on 64-bit Windows.
pub const CURRENT_VERSION_32: &str = r"software\wow6432node\microsoft\windows nt\currentversion";

/// The names of the built-in profiles, for error messages.
pub fn known_names() -> String {
    SPECS
        .iter()
        .map(|spec| spec.name)
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn empty_profile(is_64bit: bool) -> MachineProfile {
    MachineProfile {
        name: String::new(),
        description: String::new(),
        installer: Installer::Windows,
        is_64bit,
        processor: if is_64bit {
            Processor::X64
        } else {
            Processor::X86
        },
        properties: BTreeMap::new(),
        registry: BTreeMap::new(),
        products: Vec::new(),
        files: Vec::new(),
        folders: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(profile: &str, key: &str, name: &str) -> Option<String> {
        let profile = by_name(profile).unwrap();
        let key = (
            RegistryRoot::LocalMachine,
            key.to_string(),
            name.to_string(),
        );
        profile
            .registry
            .get(&key)
            .map(ProfileValue::as_search_result)
    }

    /// What the Wine templates' `system.reg` holds (measured), and real Windows' 6.3 on 10 and 11.
    #[test]
    fn current_version_is_given_per_view_as_each_machine_has_it() {
        let cases = [
            ("win10-22h2-x64", CURRENT_VERSION, "6.3"),
            ("win7-x64", CURRENT_VERSION, "6.1"),
            ("wine-win7", CURRENT_VERSION, "6.1"),
            ("wine-win8", CURRENT_VERSION_32, "6.2"),
            ("wine-win10", CURRENT_VERSION, "10.0"),
            ("wine-win10", CURRENT_VERSION_32, "10.0"),
        ];
        for (profile, key, version) in cases {
            assert_eq!(
                value(profile, key, "currentversion").as_deref(),
                Some(version),
                "{profile} {key}"
            );
        }
        assert_eq!(
            value("wine-win7", CURRENT_VERSION_32, "currentversion"),
            None
        );
        assert_eq!(
            value("win10-22h2-x64", CURRENT_VERSION_32, "currentversion"),
            None
        );
        assert_eq!(
            value("wine-win11", CURRENT_VERSION, "currentbuildnumber").as_deref(),
            Some("22631")
        );
        assert_eq!(
            value("wine-win11", CURRENT_VERSION_32, "currentbuildnumber").as_deref(),
            Some("18362")
        );
    }
}
