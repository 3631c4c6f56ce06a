//! Which packages Windows Installer opens on a machine, by the Template's platform, and
//! what it hides from a package that runs under emulation. Windows facts: the Template
//! Summary page ("if the current platform does not match … the installer does not process
//! the package": error 1633), Windows 11 on Arm's x64 emulation (Windows 10 on Arm has x86
//! emulation only), and the VersionNT64 page (undefined for an x86 package on a machine that
//! cannot run x64 code). Wine's `dlls/msi` agrees for x86-64 hosts: an `Arm64` Template is
//! refused there with 1633.

use super::profile::{Installer, MachineProfile};
use crate::windows::Processor;

/// The refusal Windows Installer reports before any action runs.
pub const UNSUPPORTED_PLATFORM: &str =
    "This installation package is not supported by this processor type (1633)";

/// Why Windows Installer refuses to open a package (1620, an invalid package): a 64-bit
/// Template with a PageCount below the installer version its platform needs.
pub const INVALID_PACKAGE: &str = "This installation package could not be opened (1620)";

/// Wine's answer to a Template without `;` (measured; its code is that of an invalid patch).
pub const WINE_INVALID_TEMPLATE: &str = "This patch package could not be opened (1636)";

/// A Template language the machine does not have.
pub const UNSUPPORTED_LANGUAGE: &str =
    "The language of this installation package is not supported by your system (1623)";

/// Whether Windows Installer on `profile` opens a package whose Template names `platform`
/// (none or empty: Intel). A list (`x64,Intel`) is judged by its first known name, as Wine
/// reads it.
pub fn accepts(platform: Option<&str>, profile: &MachineProfile) -> bool {
    match known_platform(platform) {
        "" | "Intel" => true,
        "x64" | "AMD64" => profile.runs_x64_code(),
        "Arm64" => profile.processor == Processor::Arm64,
        // Itanium ("Intel64") and Windows RT ("Arm"): no profile runs them (Wine refuses both).
        _ => false,
    }
}

fn known_platform(platform: Option<&str>) -> &str {
    let names = platform.unwrap_or("");
    names
        .split(',')
        .map(str::trim)
        .find(|name| ["Intel", "x64", "AMD64", "Arm64", "Intel64", "Arm"].contains(name))
        .unwrap_or(names)
}

/// Why Windows Installer on `profile` refuses the package before any action runs, with its
/// error code, in Wine's order: a Template without `;` (Wine 1636, measured; Windows predicted
/// 1620, not confirmed), the Template's platform (1633), then a 64-bit Template whose
/// PageCount is below 200 for x64 (Wine's `dlls/msi` and Windows alike) or 500 for Arm64
/// (Windows Installer 5.0, the first for Arm64; Wine refuses Arm64 with 1633 before that),
/// then languages of which none is neutral (0) or a locale Windows knows (1623, measured).
pub fn refusal(summary: &crate::read::Summary, profile: &MachineProfile) -> Option<String> {
    if let Some(template) = summary.template.as_deref().filter(|t| !t.contains(';')) {
        return Some(match profile.installer {
            Installer::Wine => format!("{WINE_INVALID_TEMPLATE}: the Template `{template}` has no `;`"),
            Installer::Windows => format!(
                "{INVALID_PACKAGE}: the Template `{template}` has no `;` between platform and languages"
            ),
        });
    }
    let platform = summary.platform();
    if !accepts(platform, profile) {
        return Some(UNSUPPORTED_PLATFORM.into());
    }
    let needed = match known_platform(platform) {
        "x64" | "AMD64" => Some(("x64", 200)),
        "Arm64" => Some(("Arm64", 500)),
        _ => None,
    };
    if let Some((name, needed)) = needed {
        let page_count = summary.page_count.unwrap_or(0);
        if page_count < needed {
            return Some(format!(
                "{INVALID_PACKAGE}: an {name} package needs a PageCount (the minimum installer \
                 version) of at least {needed}; this one says {page_count}"
            ));
        }
    }
    language_refusal(summary)
}

/// The Template's languages as Windows Installer reads them (each a leading number; none:
/// neutral).
fn languages(summary: &crate::read::Summary) -> Vec<u32> {
    let ids: Vec<u32> = summary
        .languages()
        .iter()
        .map(|id| super::leading_number(id) as u32)
        .collect();
    if ids.is_empty() {
        vec![0]
    } else {
        ids
    }
}

/// 1623 when no Template language is neutral or known and none could be: each has a primary
/// language no locale has.
fn language_refusal(summary: &crate::read::Summary) -> Option<String> {
    let ids = languages(summary);
    let accepted = |id: &u32| *id == 0 || crate::lcid::is_known(*id);
    let possible = |id: &u32| accepted(id) || crate::lcid::primary_language_known(*id);
    (!ids.iter().any(possible)).then(|| {
        let listed: Vec<String> = ids.iter().map(u32::to_string).collect();
        format!("{UNSUPPORTED_LANGUAGE}: {}", listed.join(", "))
    })
}

/// A note when whether the machine accepts the Template's languages is not known: none is
/// neutral or a known locale, but one has a known primary language (`1033` is, `30729` may be).
pub fn unknown_language(summary: &crate::read::Summary) -> Option<String> {
    let ids = languages(summary);
    let accepted = ids.iter().any(|id| *id == 0 || crate::lcid::is_known(*id));
    (!accepted && language_refusal(summary).is_none()).then(|| {
        format!(
            "the Template's languages ({}) are no locale this simulator knows: whether the machine accepts them is not simulated",
            summary.languages().join(",")
        )
    })
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

    fn summary(template: &str, page_count: i32) -> crate::read::Summary {
        crate::read::Summary {
            template: Some(template.into()),
            page_count: Some(page_count),
            ..Default::default()
        }
    }

    #[test]
    fn a_64_bit_template_below_its_installer_version_is_an_invalid_package() {
        let x64 = by_name("win11-x64").unwrap();
        assert_eq!(refusal(&summary("x64;1033", 200), &x64), None);
        let refused = refusal(&summary("x64;1033", 100), &x64).unwrap();
        assert!(refused.starts_with(INVALID_PACKAGE), "{refused}");
        assert!(
            refused.contains("at least 200; this one says 100"),
            "{refused}"
        );
        // x86 packages need no version; the platform is judged first.
        assert_eq!(refusal(&summary("Intel;1033", 100), &x64), None);
        let x86 = by_name("win10-22h2-x86").unwrap();
        assert_eq!(
            refusal(&summary("x64;1033", 100), &x86).as_deref(),
            Some(UNSUPPORTED_PLATFORM)
        );
        let arm = by_name("win11-arm64").unwrap();
        assert!(refusal(&summary("Arm64;1033", 200), &arm).is_some());
        assert_eq!(refusal(&summary("Arm64;1033", 500), &arm), None);
        // A platform list is read by its first known name; Itanium runs nowhere.
        assert_eq!(refusal(&summary("Foo,x64;1033", 200), &x64), None);
        assert!(!accepts(Some("Intel64"), &x64));
    }

    #[test]
    fn a_template_without_a_semicolon_or_with_no_known_language_is_refused() {
        let wine = by_name("wine-win10").unwrap();
        let windows = by_name("win10-22h2-x64").unwrap();
        let refused = refusal(&summary("Intel", 200), &wine).unwrap();
        assert!(refused.starts_with(WINE_INVALID_TEMPLATE), "{refused}");
        let refused = refusal(&summary("Intel", 200), &windows).unwrap();
        assert!(refused.starts_with(INVALID_PACKAGE), "{refused}");
        for template in ["Intel;", "Intel;0", "Intel;1033", "Intel;1000,1031"] {
            assert_eq!(refusal(&summary(template, 200), &wine), None, "{template}");
            assert_eq!(
                unknown_language(&summary(template, 200)),
                None,
                "{template}"
            );
        }
        let refused = refusal(&summary("Intel;9999", 200), &wine).unwrap();
        assert!(refused.starts_with(UNSUPPORTED_LANGUAGE), "{refused}");
        // English (9) in a sublanguage no locale has: it may be a locale the machine has.
        assert_eq!(refusal(&summary("Intel;30729", 200), &wine), None);
        assert!(unknown_language(&summary("Intel;30729", 200)).is_some());
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
