//! The one list of registry values `doctor` looks at. The PowerShell script is generated from
//! it and the reader interprets what the script (or a `reg export`) found with it, so the two
//! cannot drift apart.

use crate::model::sspr::{
    CREDENTIAL_PROVIDERS_KEY, POLICY_KEY, POLICY_VALUE, SCHANNEL_TLS12_CLIENT_KEY, WINHTTP_KEY,
};
use crate::target::CURRENT_VERSION_KEY;

/// The hives `doctor` reads, named as `reg export` writes them, so a value read from a `.reg`
/// file and one reported by the script have the same identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hive {
    LocalMachine,
    Users,
}

impl Hive {
    pub fn name(self) -> &'static str {
        match self {
            Hive::LocalMachine => "HKEY_LOCAL_MACHINE",
            Hive::Users => "HKEY_USERS",
        }
    }
}

const POLICIES_SYSTEM: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System";
const WINLOGON: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon";
/// What a 32-bit program reads as `WINHTTP_KEY`, named explicitly so the 64-bit script and a
/// `reg export` see it.
const WINHTTP_WOW64: &str =
    r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp";
const PROXY_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
/// Where the source document's `reg load "hku\Default" …NTUSER.DAT` puts the Default profile.
pub const DEFAULT_PROFILE: &str = "Default";
const DEFAULT_PROFILE_INTERNET_SETTINGS: &str =
    r"Default\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings";
const PRODUCT_OPTIONS: &str = r"SYSTEM\CurrentControlSet\Control\ProductOptions";
const ENVIRONMENT: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager\Environment";

/// `HIVE\path` as `reg export` writes it.
pub fn full_key(hive: Hive, path: &str) -> String {
    format!("{}\\{path}", hive.name())
}

/// The Credential Providers key, whose subkeys are the registered credential providers.
pub fn credential_providers_key() -> String {
    full_key(Hive::LocalMachine, CREDENTIAL_PROVIDERS_KEY)
}

/// Keys whose subkeys (not values) are listed.
pub fn listed_keys() -> Vec<String> {
    vec![credential_providers_key()]
}

/// Why `doctor` reads a value; the reader's rules are keyed by [`RegistrySetting::id`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// What Windows this is (version, build, edition, product type, architecture).
    OsFact,
    /// A setting the source document says interferes with SSPR at sign-in.
    Interferes,
    /// TLS 1.2, which the Windows 7/8/8.1 credential provider needs.
    Tls,
    Proxy,
    /// Whether SSPR at sign-in is already turned on.
    SsprPresent,
}

/// One registry value `doctor` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrySetting {
    /// Stable name used in findings, `--json` output and tests.
    pub id: &'static str,
    pub hive: Hive,
    /// The key below the hive.
    pub path: &'static str,
    pub name: &'static str,
    pub purpose: Purpose,
}

impl RegistrySetting {
    /// The full key, `HKEY_…\path`.
    pub fn key(&self) -> String {
        full_key(self.hive, self.path)
    }
}

const fn setting(
    id: &'static str,
    path: &'static str,
    name: &'static str,
    purpose: Purpose,
) -> RegistrySetting {
    RegistrySetting {
        id,
        hive: Hive::LocalMachine,
        path,
        name,
        purpose,
    }
}

/// A proxy value of the Default user profile, the template of the temporary reset account.
const fn default_profile_proxy(id: &'static str, name: &'static str) -> RegistrySetting {
    RegistrySetting {
        id,
        hive: Hive::Users,
        path: DEFAULT_PROFILE_INTERNET_SETTINGS,
        name,
        purpose: Purpose::Proxy,
    }
}

/// Every value the script collects and the reader knows.
#[rustfmt::skip]
pub const SETTINGS: &[RegistrySetting] = &[
    setting("product_name", CURRENT_VERSION_KEY, "ProductName", Purpose::OsFact),
    setting("current_version", CURRENT_VERSION_KEY, "CurrentVersion", Purpose::OsFact),
    setting("major_version", CURRENT_VERSION_KEY, "CurrentMajorVersionNumber", Purpose::OsFact),
    setting("build", CURRENT_VERSION_KEY, "CurrentBuildNumber", Purpose::OsFact),
    setting("display_version", CURRENT_VERSION_KEY, "DisplayVersion", Purpose::OsFact),
    setting("release_id", CURRENT_VERSION_KEY, "ReleaseId", Purpose::OsFact),
    setting("edition", CURRENT_VERSION_KEY, "EditionID", Purpose::OsFact),
    setting("product_type", PRODUCT_OPTIONS, "ProductType", Purpose::OsFact),
    setting("architecture", ENVIRONMENT, "PROCESSOR_ARCHITECTURE", Purpose::OsFact),
    setting("hide_fast_user_switching", POLICIES_SYSTEM, "HideFastUserSwitching", Purpose::Interferes),
    setting("dont_display_last_user_name", POLICIES_SYSTEM, "DontDisplayLastUserName", Purpose::Interferes),
    setting("require_smart_card", POLICIES_SYSTEM, "scforceoption", Purpose::Interferes),
    setting("enable_lua", POLICIES_SYSTEM, "EnableLUA", Purpose::Interferes),
    setting("disable_cad", POLICIES_SYSTEM, "DisableCAD", Purpose::Interferes),
    setting("no_lock_screen", r"SOFTWARE\Policies\Microsoft\Windows\Personalization", "NoLockScreen", Purpose::Interferes),
    setting("block_non_admin_user_install", r"SOFTWARE\Policies\Microsoft\Windows\Appx", "BlockNonAdminUserInstall", Purpose::Interferes),
    setting("disable_lock_screen_app_notifications", r"SOFTWARE\Policies\Microsoft\Windows\System", "DisableLockScreenAppNotifications", Purpose::Interferes),
    setting("shell", WINLOGON, "Shell", Purpose::Interferes),
    setting("tls12_client_enabled", SCHANNEL_TLS12_CLIENT_KEY, "Enabled", Purpose::Tls),
    setting("tls12_client_disabled_by_default", SCHANNEL_TLS12_CLIENT_KEY, "DisabledByDefault", Purpose::Tls),
    setting("winhttp_default_secure_protocols", WINHTTP_KEY, "DefaultSecureProtocols", Purpose::Tls),
    setting("winhttp_wow64_default_secure_protocols", WINHTTP_WOW64, "DefaultSecureProtocols", Purpose::Tls),
    setting("proxy_settings_per_user", PROXY_POLICY, "ProxySettingsPerUser", Purpose::Proxy),
    default_profile_proxy("default_profile_proxy_enable", "ProxyEnable"),
    default_profile_proxy("default_profile_proxy_server", "ProxyServer"),
    setting("allow_password_reset", POLICY_KEY, POLICY_VALUE, Purpose::SsprPresent),
];

pub fn by_id(id: &str) -> &'static RegistrySetting {
    SETTINGS
        .iter()
        .find(|setting| setting.id == id)
        .unwrap_or_else(|| panic!("no setting `{id}` in doctor::settings::SETTINGS"))
}

/// Credential providers that ship with Windows 7 to 11 (lower case). Anything else under the
/// Credential Providers key is third-party software, which the source document says can break
/// SSPR; an unknown CLSID is reported for review, never as a blocker.
pub const IN_BOX_CREDENTIAL_PROVIDERS: &[(&str, &str)] = &[
    (
        "{01a30791-40ae-4653-ab2e-fd210019ae88}",
        "Automatic Redeployment Credential Provider",
    ),
    (
        "{1b283861-754f-4022-ad47-a5eaaa618894}",
        "Smartcard Reader Selection Provider",
    ),
    (
        "{1ee7337f-85ac-45e2-a23c-37c753209769}",
        "Smartcard WinRT Provider",
    ),
    (
        "{2135f72a-90b5-4ed3-a7f1-8bb705ac276a}",
        "PicturePasswordLogonProvider",
    ),
    ("{25cbb996-92ed-457e-b28c-4774084bd562}", "GenericProvider"),
    (
        "{27fbdb57-b613-4af2-9d7e-4fa7a66c21ad}",
        "TrustedSignal Credential Provider",
    ),
    ("{3dd6bec0-8193-4ffe-ae25-e08e39ea4063}", "NPProvider"),
    (
        "{48b4e58d-2791-456c-9091-d524c6c706f2}",
        "Secondary Authentication Factor Credential Provider",
    ),
    (
        "{503739d0-4c5e-4cfd-b3ba-d881334f0df2}",
        "CngCredUICredentialProvider",
    ),
    (
        "{600e7adb-da3e-41a4-9225-3c0399e88c0c}",
        "CmdLineCredentialProvider",
    ),
    ("{60b78e88-ead8-445c-9cfd-0b87f74ea6cd}", "PasswordProvider"),
    (
        "{6f45dc1e-5384-457a-bc13-2cd81b0d28ed}",
        "PasswordProvider (Windows 7)",
    ),
    (
        "{8af662bf-65a0-4d0a-a540-a338a999d36f}",
        "FaceCredentialProvider",
    ),
    (
        "{8fd7e19c-3bf7-489b-a72c-846ab3678c96}",
        "Smartcard Credential Provider",
    ),
    (
        "{94596c7e-3744-41ce-893e-bbf09122f76a}",
        "Smartcard Pin Provider",
    ),
    (
        "{bec09223-b018-416d-a0ac-523971b639f5}",
        "WLIDCredentialProvider",
    ),
    (
        "{c5d7540a-cd51-453b-b22b-05305ba03f07}",
        "Cloud Experience Credential Provider",
    ),
    (
        "{c885aa15-1764-4293-b82a-0586add46b35}",
        "IrisCredentialProvider",
    ),
    ("{cb82ea12-9f71-446d-89e1-8d0924e1256e}", "PINLogonProvider"),
    (
        "{d6886603-9d2f-4eb2-b667-1971041fa96b}",
        "NGC Credential Provider",
    ),
    ("{e74e57b0-6c6d-44d5-9cda-fb2df5ed7435}", "CertCredProvider"),
    (
        "{f8a0b131-5f68-486c-8040-7e8fc3c85bb6}",
        "WLIDCredentialProvider (Windows 8)",
    ),
    (
        "{f8a1793b-7873-4046-b2a7-1f318747f427}",
        "FIDO Credential Provider",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_and_key_value_pairs_are_unique() {
        let ids: BTreeSet<_> = SETTINGS.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), SETTINGS.len());
        let places: BTreeSet<_> = SETTINGS
            .iter()
            .map(|s| (s.key().to_ascii_lowercase(), s.name.to_ascii_lowercase()))
            .collect();
        assert_eq!(places.len(), SETTINGS.len());
    }

    #[test]
    fn only_the_default_profile_lives_under_hkey_users() {
        for setting in SETTINGS {
            let in_default_profile = setting.path.starts_with(DEFAULT_PROFILE);
            assert_eq!(
                setting.hive == Hive::Users,
                in_default_profile,
                "{}",
                setting.id
            );
            assert!(!setting.path.starts_with("HKEY_"), "{}", setting.id);
        }
    }
}
