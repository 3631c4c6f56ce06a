//! Which packages Windows Installer opens on a machine, by the Template's platform, and
//! what it hides from a package that runs under emulation. Windows facts: the Template
//! Summary page ("if the current platform does not match … the installer does not process
//! the package": error 1633), Windows 11 on Arm's x64 emulation (Windows 10 on Arm has x86
//! emulation only), and the VersionNT64 page (undefined for an x86 package on a machine that
//! cannot run x64 code). Wine's `dlls/msi` agrees for x86-64 hosts: an `Arm64` Template is
//! refused there with 1633.

use super::profile::MachineProfile;
use crate::windows::Processor;

/// The refusal Windows Installer reports before any action runs.
pub const UNSUPPORTED_PLATFORM: &str =
    "This installation package is not supported by this processor type (1633)";

/// Whether Windows Installer on `profile` opens a package whose Template names `platform`
/// (none or empty: Intel).
pub fn accepts(platform: Option<&str>, profile: &MachineProfile) -> bool {
    match platform.unwrap_or("") {
        "" | "Intel" => true,
        "x64" | "AMD64" => profile.runs_x64_code(),
        "Arm64" => profile.processor == Processor::Arm64,
        // Itanium: no profile is one; judged as any 64-bit Windows, as before ARM64.
        "Intel64" => profile.is_64bit,
        // "Arm" is Windows RT (32-bit ARM): no profile runs it.
        _ => false,
    }
}

/// Properties Windows Installer leaves undefined for this package on `profile`: an x86
/// package on Windows on Arm that cannot run x64 code sees no 64-bit Windows.
pub fn hidden_properties(
    platform: Option<&str>,
    profile: &MachineProfile,
) -> &'static [&'static str] {
    let x86_package = matches!(platform.unwrap_or(""), "" | "Intel");
    if x86_package && profile.processor == Processor::Arm64 && !profile.runs_x64_code() {
        &["VersionNT64", "Msix64"]
    } else {
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::profile::by_name;

    #[test]
    fn windows_10_on_arm_opens_x86_and_arm64_packages_only() {
        let machine = by_name("win10-22h2-arm64").unwrap();
        assert!(accepts(Some("Intel"), &machine));
        assert!(accepts(Some("Arm64"), &machine));
        assert!(!accepts(Some("x64"), &machine));
        assert_eq!(
            hidden_properties(Some("Intel"), &machine),
            ["VersionNT64", "Msix64"]
        );
        assert!(hidden_properties(Some("Arm64"), &machine).is_empty());
    }

    #[test]
    fn windows_11_on_arm_opens_x64_packages_too_and_hides_nothing() {
        let machine = by_name("win11-arm64").unwrap();
        assert!(accepts(Some("x64"), &machine) && accepts(Some("Arm64"), &machine));
        assert!(hidden_properties(Some("Intel"), &machine).is_empty());
        assert_eq!(
            machine.properties.get("Msix64").map(String::as_str),
            Some("6")
        );
    }

    #[test]
    fn x86_and_x64_machines_refuse_arm64_packages() {
        for name in ["win11-x64", "win10-22h2-x86", "wine-win10"] {
            let machine = by_name(name).unwrap();
            assert!(!accepts(Some("Arm64"), &machine), "{name}");
        }
        assert!(!accepts(Some("x64"), &by_name("win10-22h2-x86").unwrap()));
    }
}
