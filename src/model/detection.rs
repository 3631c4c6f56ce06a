//! How a package detects the machine it belongs on: registry searches and launch conditions
//! that refuse every machine but its target's. `VersionNT` is 603 on Windows 8.1, 10 and 11,
//! so Windows 10/11 are told apart by registry searches, never by `VersionNT`.

use super::{LaunchCondition, RegistryRoot, RegistrySearch};
use crate::target::{
    uses_policy, Arch, DetectionPolicy, OsFamily, Target, ALL, BUILD_PROPERTY, CURRENT_VERSION_KEY,
    EDITION_PROPERTY, MAJOR_VERSION_PROPERTY, WINDOWS10_FIRST_BUILD, WINDOWS11_FIRST_BUILD,
};

/// The registry searches the launch conditions read (64-bit view for x64 packages).
pub fn searches(target: &Target) -> Vec<RegistrySearch> {
    let search = |property: &str, name: &str| RegistrySearch {
        property: property.to_string(),
        root: RegistryRoot::LocalMachine,
        key: CURRENT_VERSION_KEY.to_string(),
        name: name.to_string(),
        win64: target.arch.is_64bit(),
    };
    vec![
        search(MAJOR_VERSION_PROPERTY, "CurrentMajorVersionNumber"),
        search(BUILD_PROPERTY, "CurrentBuildNumber"),
        search(EDITION_PROPERTY, "EditionID"),
    ]
}

/// Launch conditions that refuse every machine but this target's; each passes when the
/// product is already installed, so uninstall and repair work after an OS upgrade.
pub fn launch_conditions(target: &Target, policy: &DetectionPolicy) -> Vec<LaunchCondition> {
    let me = target.name();
    let mut conditions: Vec<LaunchCondition> = architecture_condition(target).into_iter().collect();
    conditions.push(os_condition(target, policy));
    if !policy.allow_server {
        conditions.push(LaunchCondition::unless_installed(
            "MsiNTProductType = 1",
            format!("The {me} package is for client editions of Windows; this machine runs Windows Server."),
        ));
    }
    if policy.refuse_home_edition && uses_policy(target.family) {
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

/// None for ARM64: Windows Installer itself refuses an `Arm64` Template on any other
/// processor (1633) before a launch condition is read, and no property tells ARM64 apart.
fn architecture_condition(target: &Target) -> Option<LaunchCondition> {
    let me = target.name();
    Some(match target.arch {
        Arch::X64 => {
            let advice = match target.sibling(Arch::X86) {
                Some(x86) => format!("use the {x86} package"),
                None => format!("{} has no 32-bit package", target.family.label()),
            };
            LaunchCondition::unless_installed(
                "VersionNT64",
                format!("The {me} package is for 64-bit Windows; this machine runs 32-bit Windows: {advice}."),
            )
        }
        Arch::X86 => {
            let advice = match target.sibling(Arch::X64) {
                Some(x64) => format!("install the {x64} package instead"),
                None => format!("{} has no 64-bit package", target.family.label()),
            };
            LaunchCondition::unless_installed(
                "NOT VersionNT64",
                format!("The {me} package is for 32-bit Windows; this machine runs 64-bit Windows: {advice}."),
            )
        }
        Arch::Arm64 => return None,
    })
}

/// The Windows 11 target a Windows 10 package points to: the same architecture, or x64
/// (there is no 32-bit Windows 11).
fn windows11_sibling(target: &Target) -> Target {
    let same_arch = Target::new(OsFamily::Win11, target.arch);
    if ALL.contains(&same_arch) {
        same_arch
    } else {
        Target::new(OsFamily::Win11, Arch::X64)
    }
}

fn os_condition(target: &Target, policy: &DetectionPolicy) -> LaunchCondition {
    let major = MAJOR_VERSION_PROPERTY;
    let build = BUILD_PROPERTY;
    let min = policy.min_windows10_build;
    let (condition, wanted) = match target.family {
        OsFamily::Win7 => ("VersionNT = 601".to_string(), "Windows 7".to_string()),
        OsFamily::Win8 => ("VersionNT = 602".to_string(), "Windows 8".to_string()),
        OsFamily::Win81 => (
            format!("VersionNT = 603 AND {build} < {WINDOWS10_FIRST_BUILD}"),
            "Windows 8.1 (Windows 10 and 11 need the win10/win11 packages)".to_string(),
        ),
        OsFamily::Win10 => (
            format!("{major} = \"#10\" AND {build} >= {min} AND {build} < {WINDOWS11_FIRST_BUILD}"),
            format!(
                "Windows 10 build {min} to {} (Windows 11 needs {})",
                WINDOWS11_FIRST_BUILD - 1,
                windows11_sibling(target)
            ),
        ),
        OsFamily::Win11 => (
            format!("{major} = \"#10\" AND {build} >= {WINDOWS11_FIRST_BUILD}"),
            format!("Windows 11, build {WINDOWS11_FIRST_BUILD} or later (Windows 10 needs a win10 package)"),
        ),
    };
    LaunchCondition::unless_installed(
        &condition,
        format!("The {} package is for {wanted}. This machine reports VersionNT [VersionNT], build [{build}].", target.name()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_condition_compares_version_nt_to_ten() {
        let policy = DetectionPolicy {
            min_windows10_build: 17134,
            allow_server: false,
            refuse_home_edition: true,
        };
        for target in ALL {
            for condition in launch_conditions(target, &policy) {
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
    fn x64_searches_read_the_64bit_view() {
        let x64 = Target::from_name("win10-x64").unwrap();
        let x86 = Target::from_name("win10-x86").unwrap();
        let arm64 = Target::from_name("win11-arm64").unwrap();
        assert!(searches(&x64).iter().all(|s| s.win64));
        assert!(searches(&arm64).iter().all(|s| s.win64));
        assert!(searches(&x86).iter().all(|s| !s.win64));
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
            for condition in launch_conditions(target, &policy) {
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
        assert!(launch_conditions(&win11, &policy)
            .iter()
            .any(|c| c.message.contains("Windows 11 has no 32-bit package")));
        let win10_arm64 = Target::from_name("win10-arm64").unwrap();
        assert!(launch_conditions(&win10_arm64, &policy)
            .iter()
            .any(|c| c.message.contains("Windows 11 needs win11-arm64")));
        let win10_x86 = Target::from_name("win10-x86").unwrap();
        assert!(launch_conditions(&win10_x86, &policy)
            .iter()
            .any(|c| c.message.contains("Windows 11 needs win11-x64")));
    }

    #[test]
    fn arm64_packages_leave_the_architecture_to_windows_installer() {
        let policy = DetectionPolicy {
            min_windows10_build: 17134,
            allow_server: false,
            refuse_home_edition: true,
        };
        for name in ["win10-arm64", "win11-arm64"] {
            let target = Target::from_name(name).unwrap();
            let conditions = launch_conditions(&target, &policy);
            assert!(
                conditions
                    .iter()
                    .all(|c| !c.condition.contains("VersionNT64")),
                "{name}"
            );
            assert_eq!(conditions.len(), 3, "{name}: OS, Server, Home");
        }
    }
}
