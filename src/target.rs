//! The OS × architecture matrix, and how a package detects the machine it belongs on.
//!
//! Target names (`win10-x64`, …) are a public interface: scripts and configs name them.
//! `VersionNT` is 603 on Windows 8.1, 10 and 11 (msiexec is not manifested for newer
//! versions), so Windows 10/11 are told apart by registry searches, never by `VersionNT`.

use std::fmt;

pub use msikit::windows::{OsFamily, Processor, WINDOWS10_FIRST_BUILD, WINDOWS11_FIRST_BUILD};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Arch {
    X86,
    X64,
    Arm64,
}

impl Arch {
    /// The architecture in the summary information's Template property.
    pub fn template_platform(self) -> &'static str {
        match self {
            Arch::X86 => "Intel",
            Arch::X64 => "x64",
            Arch::Arm64 => "Arm64",
        }
    }

    /// The summary's PageCount: Windows Installer 2.0 for 64-bit components, 5.0 for Arm64
    /// (an Arm64 package with less is "could not be opened").
    pub fn page_count(self) -> i32 {
        match self {
            Arch::X86 | Arch::X64 => 200,
            Arch::Arm64 => 500,
        }
    }

    pub fn is_64bit(self) -> bool {
        self != Arch::X86
    }

    /// The name in target names, configuration keys (`payload.arm64`) and the release
    /// bundle's architecture fields (Graph and winget spell them the same way).
    pub fn key(self) -> &'static str {
        match self {
            Arch::X86 => "x86",
            Arch::X64 => "x64",
            Arch::Arm64 => "arm64",
        }
    }

    pub fn from_key(key: &str) -> Option<Arch> {
        [Arch::X86, Arch::X64, Arch::Arm64]
            .into_iter()
            .find(|arch| arch.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Arch::X86 => "32-bit (x86)",
            Arch::X64 => "64-bit (x64)",
            Arch::Arm64 => "64-bit Arm (ARM64)",
        }
    }

    /// The processor a package of this architecture runs natively on.
    pub fn processor(self) -> Processor {
        match self {
            Arch::X86 => Processor::X86,
            Arch::X64 => Processor::X64,
            Arch::Arm64 => Processor::Arm64,
        }
    }
}

/// Windows 10 and 11 get the registry policy; older systems need the credential provider.
pub fn uses_policy(family: OsFamily) -> bool {
    matches!(family, OsFamily::Win10 | OsFamily::Win11)
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
    Target::new(OsFamily::Win10, Arch::Arm64),
    Target::new(OsFamily::Win11, Arch::X64),
    Target::new(OsFamily::Win11, Arch::Arm64),
];

impl Target {
    pub const fn new(family: OsFamily, arch: Arch) -> Self {
        Target { family, arch }
    }

    pub fn name(&self) -> String {
        format!("{}-{}", self.family_prefix(), self.arch.key())
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

/// What the detection may accept beyond the bare OS family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetectionPolicy {
    /// Lowest accepted Windows 10 build (17134 = version 1803).
    pub min_windows10_build: u32,
    pub allow_server: bool,
    pub refuse_home_edition: bool,
}

impl Target {
    /// The same Windows version's target for `arch`, if the matrix has one (there is no
    /// 32-bit Windows 11).
    pub fn sibling(&self, arch: Arch) -> Option<Target> {
        let sibling = Target::new(self.family, arch);
        ALL.contains(&sibling).then_some(sibling)
    }

    /// Whether this target's package is meant to install on a machine of `family` whose
    /// processor is `processor`: its own architecture, or the emulation Windows on Arm
    /// offers and Windows Installer follows. Windows 11 on Arm runs x64 packages (Msix64 is
    /// set there); Windows 10 on Arm runs only x86 code, and Windows Installer leaves
    /// `VersionNT64` undefined for x86 packages there, so `win10-x86` installs too.
    pub fn serves(&self, family: OsFamily, processor: Processor) -> bool {
        if family != self.family {
            return false;
        }
        match (self.arch, processor) {
            (arch, processor) if arch.processor() == processor => true,
            (Arch::X64, Processor::Arm64) => family == OsFamily::Win11,
            (Arch::X86, Processor::Arm64) => family != OsFamily::Win11,
            _ => false,
        }
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
                "win10-arm64",
                "win11-x64",
                "win11-arm64"
            ]
        );
        for target in ALL {
            assert_eq!(Target::from_name(&target.name()), Some(*target));
        }
        assert_eq!(Target::from_name("win11-x86"), None);
        assert_eq!(Target::from_name("win81-arm64"), None);
    }

    #[test]
    fn arm64_targets_are_arm64_packages_for_windows_installer_5() {
        let arm64 = Target::from_name("win11-arm64").unwrap();
        assert_eq!(arm64.arch.template_platform(), "Arm64");
        assert_eq!(arm64.arch.page_count(), 500);
        assert!(arm64.arch.is_64bit());
        assert_eq!(Arch::from_key("arm64"), Some(Arch::Arm64));
    }

    #[test]
    fn windows_on_arm_is_served_natively_and_through_the_emulation_it_has() {
        let serves = |name: &str, family, processor| {
            Target::from_name(name).unwrap().serves(family, processor)
        };
        use OsFamily::{Win10, Win11};
        assert!(serves("win11-arm64", Win11, Processor::Arm64));
        assert!(serves("win11-x64", Win11, Processor::Arm64));
        assert!(!serves("win11-arm64", Win11, Processor::X64));
        assert!(serves("win10-arm64", Win10, Processor::Arm64));
        assert!(serves("win10-x86", Win10, Processor::Arm64));
        assert!(!serves("win10-x64", Win10, Processor::Arm64));
        assert!(!serves("win10-arm64", Win11, Processor::Arm64));
    }
}
