//! What the collected values mean for SSPR at sign-in: one finding per problem, with the
//! source document's reason and the fix, and a verdict.

use super::report::{MachineReport, Observed, RegistryData};
use super::settings::{self, by_id, credential_providers_key, Purpose, RegistrySetting};
use crate::model::sspr::CREDENTIAL_PROVIDER_CLSID;
use crate::target::{OsFamily, Processor, WINDOWS10_FIRST_BUILD, WINDOWS11_FIRST_BUILD};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// SSPR at sign-in will not work until this is fixed.
    Blocker,
    /// May break SSPR, or needs a decision.
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// A setting id from `doctor::settings`, or a rule name.
    pub id: String,
    pub severity: Severity,
    /// The exact setting: key, value and what was found.
    pub setting: String,
    /// Why it matters, quoting the source document where it says.
    pub why: String,
    pub fix: String,
}

/// Quotes from "Enable Microsoft Entra self-service password reset at the Windows sign-in
/// screen" (tested to appear there verbatim).
pub mod quote {
    pub const WINDOWS10_LIST: &str = "The following settings are known to interfere with the ability to use and reset passwords on Windows 10 devices:";
    pub const LOCK_SCREEN_NOTIFICATIONS: &str =
        "If lock screen notifications are turned off, Reset password won't work.";
    pub const HIDE_FAST_USER_SWITCHING: &str = "HideFastUserSwitching is set to enabled or 1";
    pub const DONT_DISPLAY_LAST_USER_NAME: &str = "DontDisplayLastUserName is set to enabled or 1";
    pub const NO_LOCK_SCREEN: &str = "NoLockScreen is set to enabled or 1";
    pub const BLOCK_NON_ADMIN_USER_INSTALL: &str =
        "BlockNonAdminUserInstall is set to enabled or 1";
    pub const LOST_MODE: &str = "EnableLostMode is set on the device";
    pub const CUSTOM_SHELL: &str = "Explorer.exe is replaced with a custom shell";
    pub const SMART_CARD: &str = "Interactive logon: Require smart card is set to enabled or 1";
    pub const UAC: &str =
        "Disabling UAC via modification of EnableLUA registry key is known to cause issues.";
    pub const THIRD_PARTY: &str =
        "Some third party credential providers are known to cause problems with this feature.";
    pub const COMBINATION: &str =
        "The combination of the following specific three settings can cause this feature to not work.";
    pub const COMBINATION_CAD: &str = "Interactive logon: Do not require CTRL+ALT+DEL = Disabled (only for Windows 10 version 1710 and earlier)";
    pub const COMBINATION_NOTIFICATIONS: &str = "DisableLockScreenAppNotifications = 1 or Enabled";
    pub const COMBINATION_HOME: &str = "Windows SKU is Home edition";
    pub const TLS12: &str = "TLS 1.2 must be enabled, not just set to auto negotiate.";
    pub const PROXY: &str = "When a proxy is configured for user authentication, it may fail with the error \"Something went wrong. Please, try again later.\" This is because the local user account is not authorized to use the authenticated proxy.";
    pub const HYBRID: &str = "Microsoft Entra hybrid joined machines must have network connectivity line of sight to a domain controller to use the new password and update cached credentials.";

    /// Every quote, for the test that finds each one in the document.
    pub const ALL: &[&str] = &[
        WINDOWS10_LIST,
        LOCK_SCREEN_NOTIFICATIONS,
        HIDE_FAST_USER_SWITCHING,
        DONT_DISPLAY_LAST_USER_NAME,
        NO_LOCK_SCREEN,
        BLOCK_NON_ADMIN_USER_INSTALL,
        LOST_MODE,
        CUSTOM_SHELL,
        SMART_CARD,
        UAC,
        THIRD_PARTY,
        COMBINATION,
        COMBINATION_CAD,
        COMBINATION_NOTIFICATIONS,
        COMBINATION_HOME,
        TLS12,
        PROXY,
        HYBRID,
    ];
}

/// The last Windows 10 build the three-setting combination affects: "version 1710 and
/// earlier" (there is no 1710 release; 1709 is build 16299).
pub const COMBINATION_LAST_BUILD: u32 = 16299;

/// What the registry says about the OS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OsFacts {
    #[serde(rename = "windows", serialize_with = "family_label")]
    pub family: Option<OsFamily>,
    pub product_name: Option<String>,
    pub version_nt: Option<u32>,
    pub build: Option<u32>,
    pub major_version: Option<u32>,
    pub edition: Option<String>,
    /// `MsiNTProductType`: 1 client, 2 domain controller, 3 server.
    pub product_type: Option<u32>,
    /// `PROCESSOR_ARCHITECTURE`: AMD64, x86, ARM64.
    pub architecture: Option<String>,
}

fn family_label<S: serde::Serializer>(
    family: &Option<OsFamily>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&family.map(OsFamily::label), serializer)
}

impl OsFacts {
    pub fn read(report: &MachineReport) -> OsFacts {
        let text = |id: &str| value(report, by_id(id)).map(RegistryData::as_text);
        let number = |id: &str| value(report, by_id(id)).and_then(RegistryData::as_dword);
        let major_version = number("major_version");
        let version_nt = text("current_version")
            .and_then(|v| version_nt(&v))
            .or_else(|| version_nt_from_major(major_version));
        let build = text("build").and_then(|b| b.trim().parse().ok());
        let product_type = text("product_type").map(|t| match t.to_ascii_lowercase().as_str() {
            "winnt" => 1,
            "lanmannt" => 2,
            _ => 3,
        });
        OsFacts {
            family: family(version_nt, major_version, build),
            product_name: text("product_name"),
            version_nt,
            build,
            major_version,
            edition: text("edition"),
            product_type,
            architecture: text("architecture"),
        }
    }

    /// Whether the report has what choosing a package needs: the version and the build.
    pub fn tells_package(&self) -> bool {
        self.version_nt.is_some() && self.build.is_some()
    }

    /// The registry values choosing a package needs that the report lacks.
    pub fn missing_version_values(&self) -> Vec<&'static str> {
        let mut missing = Vec::new();
        if self.version_nt.is_none() {
            missing.push("CurrentVersion (nor CurrentMajorVersionNumber)");
        }
        if self.build.is_none() {
            missing.push("CurrentBuildNumber");
        }
        missing
    }

    pub fn is_home_edition(&self) -> bool {
        self.edition
            .as_deref()
            .is_some_and(|e| e.starts_with("Core"))
    }

    /// The processor `PROCESSOR_ARCHITECTURE` names (x86, AMD64, ARM64), or unknown.
    pub fn processor(&self) -> Option<Processor> {
        Processor::from_environment(self.architecture.as_deref()?)
    }

    /// 64-bit, 32-bit, or unknown.
    pub fn is_64bit(&self) -> Option<bool> {
        self.processor().map(Processor::is_64bit)
    }
}

fn value<'a>(report: &'a MachineReport, setting: &RegistrySetting) -> Option<&'a RegistryData> {
    match report.observe(setting) {
        Observed::Value(data) => Some(data),
        _ => None,
    }
}

/// `CurrentVersion` `6.1` → 601.
fn version_nt(current_version: &str) -> Option<u32> {
    let (major, minor) = current_version.trim().split_once('.')?;
    Some(major.parse::<u32>().ok()? * 100 + minor.parse::<u32>().ok()?)
}

/// Windows 10 and 11 keep `CurrentVersion` at `6.3`, and msiexec reports that as VersionNT, so
/// an export with only `CurrentMajorVersionNumber` = 10 still tells it.
fn version_nt_from_major(major: Option<u32>) -> Option<u32> {
    (major? >= 10).then_some(603)
}

fn family(version_nt: Option<u32>, major: Option<u32>, build: Option<u32>) -> Option<OsFamily> {
    if major == Some(10) || build.is_some_and(|b| b >= WINDOWS10_FIRST_BUILD) {
        return Some(if build? >= WINDOWS11_FIRST_BUILD {
            OsFamily::Win11
        } else {
            OsFamily::Win10
        });
    }
    match version_nt? {
        601 => Some(OsFamily::Win7),
        602 => Some(OsFamily::Win8),
        603 => Some(OsFamily::Win81),
        _ => None,
    }
}

/// A setting from the document's list: when it is set to `bad`, SSPR breaks.
struct InterferingSetting {
    id: &'static str,
    bad: Bad,
    quote: &'static str,
    /// Whether the document lists it under Windows 10 only (the list), or for every version
    /// (the general limitations).
    windows10_list: bool,
    fix: &'static str,
}

enum Bad {
    Dword(u32),
    ShellOtherThanExplorer,
}

const INTERFERING: &[InterferingSetting] = &[
    InterferingSetting {
        id: "hide_fast_user_switching",
        bad: Bad::Dword(1),
        quote: quote::HIDE_FAST_USER_SWITCHING,
        windows10_list: true,
        fix: "Set the policy \"Hide entry points for Fast User Switching\" to Disabled or Not configured (HideFastUserSwitching = 0 or absent).",
    },
    InterferingSetting {
        id: "dont_display_last_user_name",
        bad: Bad::Dword(1),
        quote: quote::DONT_DISPLAY_LAST_USER_NAME,
        windows10_list: true,
        fix: "Set \"Interactive logon: Don't display last signed-in\" to Disabled (DontDisplayLastUserName = 0).",
    },
    InterferingSetting {
        id: "require_smart_card",
        bad: Bad::Dword(1),
        quote: quote::SMART_CARD,
        windows10_list: true,
        fix: "Set \"Interactive logon: Require smart card\" to Disabled (scforceoption = 0) for the users who reset their password at sign-in.",
    },
    InterferingSetting {
        id: "enable_lua",
        bad: Bad::Dword(0),
        quote: quote::UAC,
        windows10_list: false,
        fix: "Turn UAC back on: \"User Account Control: Run all administrators in Admin Approval Mode\" = Enabled (EnableLUA = 1), then restart.",
    },
    InterferingSetting {
        id: "no_lock_screen",
        bad: Bad::Dword(1),
        quote: quote::NO_LOCK_SCREEN,
        windows10_list: true,
        fix: "Set the policy \"Do not display the lock screen\" to Disabled or Not configured (NoLockScreen = 0 or absent).",
    },
    InterferingSetting {
        id: "block_non_admin_user_install",
        bad: Bad::Dword(1),
        quote: quote::BLOCK_NON_ADMIN_USER_INSTALL,
        windows10_list: true,
        fix: "Set the policy \"Prevent non-admin users from installing packaged Windows apps\" to Disabled or Not configured (BlockNonAdminUserInstall = 0 or absent).",
    },
    InterferingSetting {
        id: "disable_lock_screen_app_notifications",
        bad: Bad::Dword(1),
        quote: quote::LOCK_SCREEN_NOTIFICATIONS,
        windows10_list: true,
        fix: "Set the policy \"Turn off app notifications on the lock screen\" to Disabled or Not configured (DisableLockScreenAppNotifications = 0 or absent).",
    },
    InterferingSetting {
        id: "shell",
        bad: Bad::ShellOtherThanExplorer,
        quote: quote::CUSTOM_SHELL,
        windows10_list: true,
        fix: "Restore the Windows shell: Winlogon Shell = explorer.exe (remove the custom shell or Shell Launcher configuration).",
    },
];

impl Bad {
    fn matches(&self, data: &RegistryData) -> bool {
        match self {
            Bad::Dword(bad) => data.as_dword() == Some(*bad),
            Bad::ShellOtherThanExplorer => {
                let shell = data.as_text().trim().to_ascii_lowercase();
                let program = shell.rsplit('\\').next().unwrap_or(&shell);
                !matches!(program, "explorer.exe" | "explorer" | "")
            }
        }
    }
}

/// `HKEY_…\Key\Name = data` as admins read it.
pub fn describe(setting: &RegistrySetting, data: Option<&RegistryData>) -> String {
    match data {
        Some(RegistryData::Number(_)) => format!(
            "{}\\{} = {}",
            setting.key(),
            setting.name,
            data.and_then(RegistryData::as_dword).unwrap_or_default()
        ),
        Some(RegistryData::Text(text)) => {
            format!("{}\\{} = \"{text}\"", setting.key(), setting.name)
        }
        None => format!("{}\\{} (not set)", setting.key(), setting.name),
    }
}

/// Every finding about the machine's settings (the package fit is decided separately).
pub fn settings_findings(report: &MachineReport, os: &OsFacts) -> Vec<Finding> {
    let mut findings = interfering(report, os);
    findings.extend(combination(report, os));
    findings.extend(credential_providers(report));
    findings.extend(tls(report, os));
    findings.extend(proxy(report));
    findings.extend(join_state(report));
    findings.extend(sspr_present(report, os));
    findings.push(Finding {
        id: "enable_lost_mode".into(),
        severity: Severity::Info,
        setting: "EnableLostMode (MDM; no registry value to read)".into(),
        why: format!("\"{}\"", quote::LOST_MODE),
        fix: "Check in Intune that Lost Mode is not turned on for this device.".into(),
    });
    findings.sort_by_key(|finding| finding.severity);
    findings
}

/// The settings of the document's list that the report did not include (a partial `reg export`).
pub fn not_collected(report: &MachineReport) -> Vec<String> {
    settings::SETTINGS
        .iter()
        .filter(|setting| setting.purpose != Purpose::OsFact || setting.id == "build")
        .filter(|setting| report.observe(setting) == Observed::NotCollected)
        .map(|setting| format!("{}\\{}", setting.key(), setting.name))
        .collect()
}

fn interfering(report: &MachineReport, os: &OsFacts) -> Vec<Finding> {
    let on_windows10_or_later = matches!(os.family, Some(OsFamily::Win10 | OsFamily::Win11));
    INTERFERING
        .iter()
        .filter_map(|rule| {
            let setting = by_id(rule.id);
            let data = value(report, setting).filter(|data| rule.bad.matches(data))?;
            let (severity, why) = if rule.windows10_list {
                let severity = if on_windows10_or_later {
                    Severity::Blocker
                } else {
                    Severity::Warning
                };
                (
                    severity,
                    format!("\"{}\" — \"{}\"", quote::WINDOWS10_LIST, rule.quote),
                )
            } else {
                (Severity::Blocker, format!("\"{}\"", rule.quote))
            };
            Some(Finding {
                id: rule.id.into(),
                severity,
                setting: describe(setting, Some(data)),
                why,
                fix: rule.fix.into(),
            })
        })
        .collect()
}

/// DisableCAD = 0 with lock-screen app notifications off on Home edition of Windows 10 1709
/// or earlier: the document's three-setting combination.
fn combination(report: &MachineReport, os: &OsFacts) -> Option<Finding> {
    let dword = |id: &str| value(report, by_id(id)).and_then(RegistryData::as_dword);
    let early_windows10 =
        os.family == Some(OsFamily::Win10) && os.build.is_some_and(|b| b <= COMBINATION_LAST_BUILD);
    let all_three = dword("disable_cad") == Some(0)
        && dword("disable_lock_screen_app_notifications") == Some(1)
        && os.is_home_edition();
    (early_windows10 && all_three).then(|| Finding {
        id: "three_setting_combination".into(),
        severity: Severity::Blocker,
        setting: format!(
            "{}; {}; EditionID = \"{}\"; build {}",
            describe(by_id("disable_cad"), value(report, by_id("disable_cad"))),
            describe(
                by_id("disable_lock_screen_app_notifications"),
                value(report, by_id("disable_lock_screen_app_notifications"))
            ),
            os.edition.as_deref().unwrap_or_default(),
            os.build.unwrap_or_default()
        ),
        why: format!(
            "\"{}\" \"{}\"; \"{}\"; \"{}\"",
            quote::COMBINATION,
            quote::COMBINATION_CAD,
            quote::COMBINATION_NOTIFICATIONS,
            quote::COMBINATION_HOME
        ),
        fix:
            "Break the combination: require CTRL+ALT+DEL (DisableCAD = 1) or turn lock-screen app \
              notifications back on, and update Windows 10 past 1709; Home edition cannot be \
              managed for SSPR: upgrade to Pro, Enterprise or Education."
                .into(),
    })
}

fn credential_providers(report: &MachineReport) -> Vec<Finding> {
    report
        .subkeys_of(credential_providers_key())
        .filter(|subkey| {
            let clsid = subkey.name.to_ascii_lowercase();
            clsid != CREDENTIAL_PROVIDER_CLSID.to_ascii_lowercase()
                && !settings::IN_BOX_CREDENTIAL_PROVIDERS
                    .iter()
                    .any(|(known, _)| *known == clsid)
        })
        .map(|subkey| Finding {
            id: "third_party_credential_provider".into(),
            severity: Severity::Warning,
            setting: format!(
                "{}\\{} ({})",
                credential_providers_key(),
                subkey.name,
                subkey.default.as_deref().unwrap_or("no name")
            ),
            why: format!("\"{}\"", quote::THIRD_PARTY),
            fix: "Find the software that registered this credential provider; if SSPR's link is \
                  missing or fails at sign-in, test with it removed or filtered."
                .into(),
        })
        .collect()
}

/// The credential provider (Windows 7/8/8.1) needs TLS 1.2 on: SCHANNEL client enabled and
/// not disabled by default, WinHTTP defaulting to it in both registry views.
fn tls(report: &MachineReport, os: &OsFacts) -> Vec<Finding> {
    let Some(family) = os.family else {
        return Vec::new();
    };
    let needs_tls12_on = !crate::target::uses_policy(family);
    let mut checks = vec![
        TlsCheck::new("tls12_client_enabled", |v| v != 0, "1"),
        TlsCheck::new("tls12_client_disabled_by_default", |v| v == 0, "0"),
    ];
    if needs_tls12_on {
        let tls12_bit = |v: u32| v & 0x800 != 0;
        checks.push(TlsCheck::new(
            "winhttp_default_secure_protocols",
            tls12_bit,
            "0xA00",
        ));
        if os.is_64bit() != Some(false) {
            checks.push(TlsCheck::new(
                "winhttp_wow64_default_secure_protocols",
                tls12_bit,
                "0xA00",
            ));
        }
    }
    checks
        .into_iter()
        .filter_map(|TlsCheck { id, good, wanted }| {
            let setting = by_id(id);
            let observed = report.observe(setting);
            let data = match &observed {
                Observed::NotCollected => return None,
                Observed::Value(data) => Some(*data),
                Observed::Absent => None,
            };
            let dword = data.and_then(RegistryData::as_dword);
            // Windows 10/11 have TLS 1.2 on by default: only an explicit opt-out is a problem.
            let bad = match dword {
                Some(v) => !good(v),
                None => needs_tls12_on,
            };
            bad.then(|| Finding {
                id: id.into(),
                severity: Severity::Warning,
                setting: describe(setting, data),
                why: format!("\"{}\"", quote::TLS12),
                fix: format!(
                    "Set it to {wanted} (REG_DWORD). The win7/win8/win81 packages do this with \
                     tls12 = \"enable\" (the default); with \"require\" they refuse to install until it is set."
                ),
            })
        })
        .collect()
}

/// A TLS value, the test it must pass, and the value the fix sets.
struct TlsCheck {
    id: &'static str,
    good: fn(u32) -> bool,
    wanted: &'static str,
}

impl TlsCheck {
    fn new(id: &'static str, good: fn(u32) -> bool, wanted: &'static str) -> Self {
        TlsCheck { id, good, wanted }
    }
}

fn proxy(report: &MachineReport) -> Vec<Finding> {
    let per_user = value(report, by_id("proxy_settings_per_user")).and_then(RegistryData::as_dword);
    let default_enable =
        value(report, by_id("default_profile_proxy_enable")).and_then(RegistryData::as_dword);
    let default_server =
        value(report, by_id("default_profile_proxy_server")).map(RegistryData::as_text);
    let not_exported = ["proxy_settings_per_user", "default_profile_proxy_enable"]
        .iter()
        .any(|id| report.observe(by_id(id)) == Observed::NotCollected);
    let (setting, fix) = if per_user == Some(0) {
        (
            describe(by_id("proxy_settings_per_user"), Some(&RegistryData::Number(0))),
            "Proxy settings are per machine (the document's first workaround): make sure that proxy does not require user authentication for the reset endpoints.".to_string(),
        )
    } else if default_enable == Some(1) {
        (
            format!("Default profile ProxyEnable = 1, ProxyServer = \"{}\"", default_server.unwrap_or_default()),
            "The Default profile has a proxy (the document's second workaround): the temporary reset account inherits it.".to_string(),
        )
    } else if not_exported {
        // Listed under "not checked": saying "no proxy" would contradict that.
        return Vec::new();
    } else {
        let unreadable = if report.default_profile_readable == Some(false) {
            " (the Default profile could not be read: run the script as administrator)"
        } else {
            ""
        };
        (
            format!("no machine-wide proxy policy and no Default profile proxy{unreadable}"),
            "If users reach the internet through an authenticating proxy, set \"Make proxy settings per-machine (rather than per-user)\" (ProxySettingsPerUser = 0) with a machine proxy, or set ProxyEnable/ProxyServer in the Default profile (C:\\Users\\Default\\NTUSER.DAT); sspr-msi builds packages that do either ([proxy] mode = \"machine\" or \"default-profile\", PROXYSERVER=host:port at install time). Allow the reset endpoints through proxies and antivirus (sspr-msi --help lists them per cloud).".to_string(),
        )
    };
    vec![Finding {
        id: "proxy".into(),
        severity: Severity::Info,
        setting,
        why: format!("\"{}\"", quote::PROXY),
        fix,
    }]
}

fn join_state(report: &MachineReport) -> Option<Finding> {
    let field = |name: &str| {
        report
            .join
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.trim().eq_ignore_ascii_case("YES"))
    };
    let hybrid = field("AzureAdJoined")? && field("DomainJoined")?;
    hybrid.then(|| Finding {
        id: "hybrid_joined".into(),
        severity: Severity::Info,
        setting: "dsregcmd /status: AzureAdJoined = YES, DomainJoined = YES (Microsoft Entra hybrid joined)".into(),
        why: format!("\"{}\"", quote::HYBRID),
        fix: "Users must reset on the organization's network or on a VPN that reaches a domain controller.".into(),
    })
}

fn sspr_present(report: &MachineReport, os: &OsFacts) -> Option<Finding> {
    let policy = by_id("allow_password_reset");
    let policy_on = value(report, policy).and_then(RegistryData::as_dword) == Some(1);
    let provider = report
        .subkeys_of(credential_providers_key())
        .any(|subkey| subkey.name.eq_ignore_ascii_case(CREDENTIAL_PROVIDER_CLSID));
    let setting = match (policy_on, provider) {
        (true, _) => describe(policy, value(report, policy)),
        (_, true) => format!(
            "{}\\{CREDENTIAL_PROVIDER_CLSID} is registered",
            credential_providers_key()
        ),
        _ if os.family.is_some() && !sspr_state_exported(report, os) => return None,
        _ if os.family.is_some() => "SSPR at sign-in is not turned on yet".into(),
        _ => return None,
    };
    Some(Finding {
        id: "sspr_present".into(),
        severity: Severity::Info,
        setting,
        why: "Windows 10/11 need the AllowPasswordReset policy; Windows 7/8/8.1 need the SSPR credential provider.".into(),
        fix: if policy_on || provider {
            "Nothing to do: the package only needs installing where this is missing.".into()
        } else {
            "Install the package named below.".into()
        },
    })
}

/// Whether the export holds what turns SSPR on for this Windows: the policy value on 10/11,
/// the credential providers key on 7/8/8.1.
fn sspr_state_exported(report: &MachineReport, os: &OsFacts) -> bool {
    match os.family {
        Some(family) if crate::target::uses_policy(family) => {
            report.observe(by_id("allow_password_reset")) != Observed::NotCollected
        }
        _ => {
            report.collected_by != super::report::Collector::RegExport
                || report.has_key(&credential_providers_key())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_quote_is_in_the_source_document_verbatim() {
        let document = normalized(include_str!(
            "../../tests/fixtures/doctor/source-document.txt"
        ));
        for quote in quote::ALL {
            assert!(
                document.contains(&normalized(quote)),
                "not in the document: {quote}"
            );
        }
    }

    #[test]
    fn every_interfering_setting_of_the_list_has_a_rule() {
        for setting in settings::SETTINGS
            .iter()
            .filter(|s| s.purpose == Purpose::Interferes)
        {
            let ruled = INTERFERING.iter().any(|rule| rule.id == setting.id);
            assert!(
                ruled || setting.id == "disable_cad",
                "{} has no rule",
                setting.id
            );
        }
    }

    #[test]
    fn windows_versions_are_told_apart_by_version_and_build() {
        assert_eq!(family(Some(601), None, Some(7601)), Some(OsFamily::Win7));
        assert_eq!(family(Some(603), None, Some(9600)), Some(OsFamily::Win81));
        assert_eq!(
            family(Some(603), Some(10), Some(19045)),
            Some(OsFamily::Win10)
        );
        assert_eq!(
            family(Some(603), Some(10), Some(22631)),
            Some(OsFamily::Win11)
        );
        assert_eq!(family(None, None, None), None);
        assert_eq!(version_nt("6.3"), Some(603));
        assert_eq!(version_nt("six"), None);
    }

    #[test]
    fn a_custom_shell_is_anything_but_explorer() {
        let bad = Bad::ShellOtherThanExplorer;
        assert!(!bad.matches(&RegistryData::Text("explorer.exe".into())));
        assert!(!bad.matches(&RegistryData::Text("C:\\Windows\\Explorer.EXE".into())));
        assert!(bad.matches(&RegistryData::Text("C:\\Kiosk\\kiosk.exe".into())));
    }
}
