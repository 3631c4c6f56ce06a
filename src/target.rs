//! The OS × architecture matrix, and how a package detects the machine it belongs on.
//!
//! Target names (`win10-x64`, …) are a public interface: scripts and configs name them.
//! `VersionNT` is 603 on Windows 8.1, 10 and 11 (msiexec is not manifested for newer
//! versions), so Windows 10/11 are told apart by registry searches, never by `VersionNT`.

use crate::model::{LaunchCondition, RegistryRoot, RegistrySearch};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsFamily {
    Win7,
    Win8,
    Win81,
    Win10,
    Win11,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86,
    X64,
}

impl Arch {
    /// The architecture in the summary information's Template property.
    pub fn template_platform(self) -> &'static str {
        match self {
            Arch::X86 => "Intel",
            Arch::X64 => "x64",
        }
    }
    pub fn is_64bit(self) -> bool {
        self == Arch::X64
    }
    pub fn label(self) -> &'static str {
        match self {
            Arch::X86 => "32-bit (x86)",
            Arch::X64 => "64-bit (x64)",
        }
    }
}

impl OsFamily {
    pub fn label(self) -> &'static str {
        match self {
            OsFamily::Win7 => "Windows 7",
            OsFamily::Win8 => "Windows 8",
            OsFamily::Win81 => "Windows 8.1",
            OsFamily::Win10 => "Windows 10",
            OsFamily::Win11 => "Windows 11",
        }
    }
    /// Windows 10 and 11 get the registry policy; older systems need the credential provider.
    pub fn uses_policy(self) -> bool {
        matches!(self, OsFamily::Win10 | OsFamily::Win11)
    }
}

/// One package target: an OS family on one architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    pub family: OsFamily,
    pub arch: Arch,
}

/// Every target, in the order builds and reports list them.
pub const ALL: &[Target] = &[
    Target::new(OsFamily::Win7, Arch::X86),
    Target::new(OsFamily::Win7, Arch::X64),
    Target::new(OsFamily::Win8, Arch::X86),
    Target::new(OsFamily::Win8, Arch::X64),
    Target::new(OsFamily::Win81, Arch::X86),
    Target::new(OsFamily::Win81, Arch::X64),
    Target::new(OsFamily::Win10, Arch::X86),
    Target::new(OsFamily::Win10, Arch::X64),
    Target::new(OsFamily::Win11, Arch::X64),
];

impl Target {
    pub const fn new(family: OsFamily, arch: Arch) -> Self {
        Target { family, arch }
    }

    pub fn name(&self) -> String {
        let arch = match self.arch {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
        };
        format!("{}-{arch}", self.family_prefix())
    }

    pub fn from_name(name: &str) -> Option<Target> {
        ALL.iter().copied().find(|target| target.name() == name)
    }

    /// All target names, for error messages and `--help`.
    pub fn known_names() -> String {
        ALL.iter().map(Target::name).collect::<Vec<_>>().join(", ")
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.family.label(), self.arch.label())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// Properties the registry searches set.
pub const MAJOR_VERSION_PROPERTY: &str = "SSPR_WINMAJOR";
pub const BUILD_PROPERTY: &str = "SSPR_WINBUILD";
pub const EDITION_PROPERTY: &str = "SSPR_WINEDITION";

pub const CURRENT_VERSION_KEY: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";

/// First build of Windows 10 (1507): Windows 8.1 reports VersionNT 603 like 10 and 11, and
/// Wine's 8.1 even has `CurrentMajorVersionNumber` (6), so the build number tells them apart.
pub const WINDOWS10_FIRST_BUILD: u32 = 10240;

/// First build of Windows 11.
pub const WINDOWS11_FIRST_BUILD: u32 = 22000;

/// What the detection may accept beyond the bare OS family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectionPolicy {
    /// Lowest accepted Windows 10 build (17134 = version 1803).
    pub min_windows10_build: u32,
    pub allow_server: bool,
    pub refuse_home_edition: bool,
}

impl Target {
    /// The registry searches the launch conditions read (64-bit view for x64 packages).
    pub fn searches(&self) -> Vec<RegistrySearch> {
        let search = |property: &str, name: &str| RegistrySearch {
            property: property.to_string(),
            root: RegistryRoot::LocalMachine,
            key: CURRENT_VERSION_KEY.to_string(),
            name: name.to_string(),
            win64: self.arch.is_64bit(),
        };
        vec![
            search(MAJOR_VERSION_PROPERTY, "CurrentMajorVersionNumber"),
            search(BUILD_PROPERTY, "CurrentBuildNumber"),
            search(EDITION_PROPERTY, "EditionID"),
        ]
    }

    /// Launch conditions that refuse every machine but this target's; each passes when the
    /// product is already installed, so uninstall and repair work after an OS upgrade.
    pub fn launch_conditions(&self, policy: &DetectionPolicy) -> Vec<LaunchCondition> {
        let me = self.name();
        let mut conditions = vec![self.architecture_condition(), self.os_condition(policy)];
        if !policy.allow_server {
            conditions.push(LaunchCondition::unless_installed(
                "MsiNTProductType = 1",
                format!("The {me} package is for client editions of Windows; this machine runs Windows Server."),
            ));
        }
        if policy.refuse_home_edition && self.family.uses_policy() {
            conditions.push(LaunchCondition::unless_installed(
                &format!("NOT ({EDITION_PROPERTY} << \"Core\")"),
                format!(
                    "The {me} package needs Windows Pro, Enterprise or Education: Home edition \
                     ([{EDITION_PROPERTY}]) cannot use self-service password reset at sign-in."
                ),
            ));
        }
        conditions
    }

    fn architecture_condition(&self) -> LaunchCondition {
        let me = self.name();
        match self.arch {
            Arch::X64 => {
                let advice = match self.sibling(Arch::X86) {
                    Some(x86) => format!("use the {x86} package"),
                    None => format!("{} has no 32-bit package", self.family.label()),
                };
                LaunchCondition::unless_installed(
                    "VersionNT64",
                    format!("The {me} package is for 64-bit Windows; this machine runs 32-bit Windows: {advice}."),
                )
            }
            Arch::X86 => {
                let advice = match self.sibling(Arch::X64) {
                    Some(x64) => format!("install the {x64} package instead"),
                    None => format!("{} has no 64-bit package", self.family.label()),
                };
                LaunchCondition::unless_installed(
                    "NOT VersionNT64",
                    format!("The {me} package is for 32-bit Windows; this machine runs 64-bit Windows: {advice}."),
                )
            }
        }
    }

    /// The same Windows version's target for `arch`, if the matrix has one (there is no
    /// 32-bit Windows 11).
    fn sibling(&self, arch: Arch) -> Option<Target> {
        let sibling = Target::new(self.family, arch);
        ALL.contains(&sibling).then_some(sibling)
    }

    fn family_prefix(&self) -> &'static str {
        match self.family {
            OsFamily::Win7 => "win7",
            OsFamily::Win8 => "win8",
            OsFamily::Win81 => "win81",
            OsFamily::Win10 => "win10",
            OsFamily::Win11 => "win11",
        }
    }

    fn os_condition(&self, policy: &DetectionPolicy) -> LaunchCondition {
        let major = MAJOR_VERSION_PROPERTY;
        let build = BUILD_PROPERTY;
        let min = policy.min_windows10_build;
        let (condition, wanted) = match self.family {
            OsFamily::Win7 => ("VersionNT = 601".to_string(), "Windows 7".to_string()),
            OsFamily::Win8 => ("VersionNT = 602".to_string(), "Windows 8".to_string()),
            OsFamily::Win81 => (
                format!("VersionNT = 603 AND {build} < {WINDOWS10_FIRST_BUILD}"),
                "Windows 8.1 (Windows 10 and 11 need the win10/win11 packages)".to_string(),
            ),
            OsFamily::Win10 => (
                format!("{major} = \"#10\" AND {build} >= {min} AND {build} < {WINDOWS11_FIRST_BUILD}"),
                format!("Windows 10 build {min} to {} (Windows 11 needs win11-x64)", WINDOWS11_FIRST_BUILD - 1),
            ),
            OsFamily::Win11 => (
                format!("{major} = \"#10\" AND {build} >= {WINDOWS11_FIRST_BUILD}"),
                format!("Windows 11, build {WINDOWS11_FIRST_BUILD} or later (Windows 10 needs a win10 package)"),
            ),
        };
        LaunchCondition::unless_installed(
            &condition,
            format!("The {} package is for {wanted}. This machine reports VersionNT [VersionNT], build [{build}].", self.name()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_stable() {
        let names: Vec<String> = ALL.iter().map(Target::name).collect();
        assert_eq!(
            names,
            [
                "win7-x86",
                "win7-x64",
                "win8-x86",
                "win8-x64",
                "win81-x86",
                "win81-x64",
                "win10-x86",
                "win10-x64",
                "win11-x64"
            ]
        );
        for target in ALL {
            assert_eq!(Target::from_name(&target.name()), Some(*target));
        }
        assert_eq!(Target::from_name("win11-x86"), None);
    }

    #[test]
    fn no_condition_compares_version_nt_to_ten() {
        let policy = DetectionPolicy {
            min_windows10_build: 17134,
            allow_server: false,
            refuse_home_edition: true,
        };
        for target in ALL {
            for condition in target.launch_conditions(&policy) {
                assert!(
                    !condition.condition.contains("1000"),
                    "{target}: {}",
                    condition.condition
                );
                assert!(condition.condition.starts_with("Installed OR ("));
                // LaunchCondition.Description holds at most 255 characters.
                assert!(
                    condition.message.len() <= 255,
                    "{target}: {}",
                    condition.message
                );
            }
        }
    }

    #[test]
    fn messages_name_only_targets_that_exist() {
        let policy = DetectionPolicy {
            min_windows10_build: 17134,
            allow_server: false,
            refuse_home_edition: true,
        };
        let mentioned = |message: &str| -> Vec<String> {
            message
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|word| word.starts_with("win") && word.contains('-'))
                .map(str::to_string)
                .collect()
        };
        for target in ALL {
            for condition in target.launch_conditions(&policy) {
                for name in mentioned(&condition.message) {
                    assert!(
                        Target::from_name(&name).is_some(),
                        "{target}: `{}` names {name}",
                        condition.message
                    );
                }
            }
        }
        let win11 = Target::from_name("win11-x64").unwrap();
        assert!(win11
            .launch_conditions(&policy)
            .iter()
            .any(|c| c.message.contains("Windows 11 has no 32-bit package")));
    }

    #[test]
    fn x64_searches_read_the_64bit_view() {
        let x64 = Target::from_name("win10-x64").unwrap();
        let x86 = Target::from_name("win10-x86").unwrap();
        assert!(x64.searches().iter().all(|s| s.win64));
        assert!(x86.searches().iter().all(|s| !s.win64));
    }
}
