//! The built-in SSPR packages: settings + target (+ the checked payload for Windows 7/8/8.1)
//! in, package model out.

use super::{
    stable_guid, Component, Directory, Feature, File, KeyPath, LaunchCondition, Package, Product,
    RegistryData, RegistryRoot, RegistryValue, GUID_NAMESPACE, PROGRAM_FILES_32, PROGRAM_FILES_64,
};
use crate::config::{ExtraRegistryValue, Settings, Tls12Mode};
use crate::payload::CheckedPayload;
use crate::target::Target;
use std::collections::BTreeMap;

pub const POLICY_KEY: &str = r"SOFTWARE\Policies\Microsoft\AzureADAccount";
pub const POLICY_VALUE: &str = "AllowPasswordReset";

pub const CREDENTIAL_PROVIDER_CLSID: &str = "{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}";
pub const CREDENTIAL_PROVIDERS_KEY: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\Credential Providers";
pub const EVENT_SOURCE: &str = "AADPasswordResetCredentialProvider";
pub const EVENT_SOURCE_KEY: &str =
    r"SYSTEM\CurrentControlSet\Services\EventLog\Application\AADPasswordResetCredentialProvider";
pub const SCHANNEL_TLS12_CLIENT_KEY: &str =
    r"SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";
pub const WINHTTP_KEY: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp";
/// TLS 1.1 + TLS 1.2.
pub const WINHTTP_PROTOCOLS: u32 = 0xA00;
/// Admins set this on the msiexec command line to turn on verbose logging.
pub const ENABLE_LOGGING_PROPERTY: &str = "ENABLELOGGING";
pub const DLL_FILE_ID: &str = "SsprCredentialProviderDll";
pub const INSTALL_FOLDER: &str = "INSTALLFOLDER";
const MANUFACTURER_FOLDER: &str = "ManufacturerFolder";

/// The checked files one target's package embeds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// The credential-provider DLL (Windows 7/8/8.1 targets).
    pub credential_provider: Option<&'a CheckedPayload>,
    /// The proxy custom-action DLL, when a proxy mode is set.
    pub proxy_dll: Option<&'a CheckedPayload>,
    /// Configured custom actions' files, by config key.
    pub binaries: Option<&'a BTreeMap<String, CheckedPayload>>,
}

impl<'a> Inputs<'a> {
    pub fn credential_provider(payload: Option<&'a CheckedPayload>) -> Self {
        Inputs {
            credential_provider: payload,
            ..Inputs::default()
        }
    }
}

/// Whether `target`'s package carries the credential-provider DLL (Windows 7, 8 and 8.1);
/// Windows 10 and 11 get the registry policy instead.
pub fn embeds_credential_provider(target: Target) -> bool {
    !crate::target::uses_policy(target.family)
}

/// The package for one target, from the checked files it embeds.
pub fn package(settings: &Settings, target: Target, inputs: Inputs) -> Package {
    let product = product(settings, target);
    let win64 = target.arch.is_64bit();
    let mut package = Package {
        target,
        feature: Feature {
            id: "SSPR".to_string(),
            title: settings.product.name.clone(),
            description: product.comments.clone(),
        },
        downgrade_message: "A newer version of [ProductName] is already installed; uninstall it \
                            first to install version [ProductVersion]."
            .to_string(),
        product,
        components: Vec::new(),
        searches: super::detection::searches(&target),
        launch_conditions: super::detection::launch_conditions(&target, &settings.policy.detection),
        properties: vec![
            ("ARPNOMODIFY".to_string(), "1".to_string()),
            ("ARPNOREPAIR".to_string(), "1".to_string()),
        ],
        directories: Vec::new(),
        request_reboot: false,
        secure_properties: Vec::new(),
        actions: Default::default(),
    };
    if !embeds_credential_provider(target) {
        if settings.policy.allow_password_reset {
            package.components.push(policy_component(win64));
        }
    } else if let Some(payload) = inputs.credential_provider {
        add_credential_provider(&mut package, settings, payload);
    }
    package
        .components
        .extend(extra_registry_components(&settings.extra_registry, target));
    if let Some(dll) = inputs.proxy_dll {
        super::proxy::add(&mut package, settings, dll);
    }
    if let Some(binaries) = inputs.binaries {
        super::configured::add_actions(&mut package, &settings.custom_actions, binaries);
    }
    super::configured::add_properties(&mut package, &settings.properties);
    package
        .launch_conditions
        .sort_by(|a, b| a.condition.cmp(&b.condition));
    package
}

fn product(settings: &Settings, target: Target) -> Product {
    let product = &settings.product;
    let name = target.name();
    let upgrade_code = stable_guid(product.upgrade_code, &["target", &name]);
    let version = product.version.to_string();
    Product {
        name: format!("{} ({})", product.name, target.label()),
        manufacturer: product.manufacturer.clone(),
        version: product.version,
        comments: product.comments.clone(),
        product_code: stable_guid(upgrade_code, &["product-code", &version]),
        upgrade_code,
        language: 1033,
    }
}

fn value(
    id: &str,
    root: RegistryRoot,
    key: &str,
    name: Option<&str>,
    data: RegistryData,
) -> RegistryValue {
    RegistryValue {
        id: id.to_string(),
        root,
        key: key.to_string(),
        name: name.map(str::to_string),
        data,
    }
}

fn policy_component(win64: bool) -> Component {
    let allow = value(
        "AllowPasswordReset",
        RegistryRoot::LocalMachine,
        POLICY_KEY,
        Some(POLICY_VALUE),
        RegistryData::Dword(1),
    );
    Component::for_registry("SsprPolicy", win64, vec![allow])
}

fn add_credential_provider(package: &mut Package, settings: &Settings, payload: &CheckedPayload) {
    let provider = &settings.credential_provider;
    let win64 = package.target.arch.is_64bit();
    let program_files = if win64 {
        PROGRAM_FILES_64
    } else {
        PROGRAM_FILES_32
    };
    package.directories = vec![
        Directory {
            id: MANUFACTURER_FOLDER.into(),
            parent: program_files.into(),
            name: settings.product.manufacturer.clone(),
        },
        Directory {
            id: INSTALL_FOLDER.into(),
            parent: MANUFACTURER_FOLDER.into(),
            name: settings.product.name.clone(),
        },
    ];
    package
        .components
        .push(file_component(settings, payload, program_files, win64));
    package
        .components
        .push(registration_component(settings, win64));
    package.components.push(verbose_logging_component(win64));
    package
        .secure_properties
        .push(ENABLE_LOGGING_PROPERTY.to_string());
    if provider.enable_logging {
        package
            .properties
            .push((ENABLE_LOGGING_PROPERTY.to_string(), "1".to_string()));
    }
    package.launch_conditions.push(LaunchCondition::unless_installed(
        &format!("NOT {ENABLE_LOGGING_PROPERTY} OR {ENABLE_LOGGING_PROPERTY} = \"0\" OR {ENABLE_LOGGING_PROPERTY} = \"1\""),
        format!("{ENABLE_LOGGING_PROPERTY} must be 0 or 1; it was [{ENABLE_LOGGING_PROPERTY}]."),
    ));
    match provider.tls12 {
        Tls12Mode::Enable => package.components.extend(tls12_components(win64)),
        Tls12Mode::Require => require_tls12(package),
        Tls12Mode::Ignore => {}
    }
    package.request_reboot = provider.request_reboot;
}

/// COM, credential-provider and event-source registration, apart from the file so that
/// its component can live in the manufacturer folder: Wine removes a removed component's
/// folder, and with it the empty folders below, but not the parents.
fn registration_component(settings: &Settings, win64: bool) -> Component {
    let friendly = || RegistryData::String(settings.credential_provider.friendly_name.clone());
    let clsid_key = format!(r"CLSID\{CREDENTIAL_PROVIDER_CLSID}");
    let inproc_key = format!(r"{clsid_key}\InprocServer32");
    let provider_key = format!(r"{CREDENTIAL_PROVIDERS_KEY}\{CREDENTIAL_PROVIDER_CLSID}");
    let dll_path = |expand| RegistryData::FilePath {
        file: DLL_FILE_ID.to_string(),
        expand,
    };
    let (hkcr, hklm) = (RegistryRoot::ClassesRoot, RegistryRoot::LocalMachine);
    let apartment = RegistryData::String("Apartment".into());
    let registry = vec![
        value(
            "ClsidInprocServer",
            hkcr,
            &inproc_key,
            None,
            dll_path(false),
        ),
        value(
            "ClsidThreadingModel",
            hkcr,
            &inproc_key,
            Some("ThreadingModel"),
            apartment,
        ),
        value("ClsidName", hkcr, &clsid_key, None, friendly()),
        value(
            "CredentialProviderName",
            hklm,
            &provider_key,
            None,
            friendly(),
        ),
        value(
            "EventMessageFile",
            hklm,
            EVENT_SOURCE_KEY,
            Some("EventMessageFile"),
            dll_path(true),
        ),
        value(
            "EventTypesSupported",
            hklm,
            EVENT_SOURCE_KEY,
            Some("TypesSupported"),
            RegistryData::Dword(7),
        ),
    ];
    let mut component = Component::for_registry("CredentialProviderRegistration", win64, registry);
    component.directory = MANUFACTURER_FOLDER.to_string();
    component
}

fn file_component(
    settings: &Settings,
    payload: &CheckedPayload,
    program_files: &str,
    win64: bool,
) -> Component {
    let name = payload.file_name();
    let view = if win64 { "64" } else { "32" };
    let product = &settings.product;
    let guid = stable_guid(
        GUID_NAMESPACE,
        &[
            "file-component",
            view,
            program_files,
            &product.manufacturer.to_lowercase(),
            &product.name.to_lowercase(),
            &name.to_lowercase(),
        ],
    );
    Component {
        id: "CredentialProvider".to_string(),
        guid,
        directory: INSTALL_FOLDER.to_string(),
        win64,
        permanent: false,
        key_path: KeyPath::File(DLL_FILE_ID.to_string()),
        registry: Vec::new(),
        files: vec![File {
            id: DLL_FILE_ID.to_string(),
            name,
            source: payload.source.clone(),
            version: payload.file_version.clone(),
            language: payload.language,
            hash: payload.msi_file_hash,
        }],
        condition: None,
        remove_empty_folders: vec![INSTALL_FOLDER.to_string(), MANUFACTURER_FOLDER.to_string()],
    }
}

fn verbose_logging_component(win64: bool) -> Component {
    let key = format!(r"{CREDENTIAL_PROVIDERS_KEY}\{CREDENTIAL_PROVIDER_CLSID}");
    let enable = value(
        "EnableLogging",
        RegistryRoot::LocalMachine,
        &key,
        Some("EnableLogging"),
        RegistryData::Dword(1),
    );
    let mut component = Component::for_registry("VerboseLogging", win64, vec![enable]);
    // Also true at uninstall: Wine re-evaluates component conditions then, and a component
    // it finds disabled would be left behind.
    component.condition = Some(format!(
        "{ENABLE_LOGGING_PROPERTY} = \"1\" OR REMOVE~=\"ALL\""
    ));
    component
}

/// Permanent: other software relies on TLS 1.2 once it is on, so uninstall leaves it.
fn tls12_components(win64: bool) -> Vec<Component> {
    let hklm = RegistryRoot::LocalMachine;
    let schannel = vec![
        value(
            "Tls12ClientEnabled",
            hklm,
            SCHANNEL_TLS12_CLIENT_KEY,
            Some("Enabled"),
            RegistryData::Dword(1),
        ),
        value(
            "Tls12ClientDisabledByDefault",
            hklm,
            SCHANNEL_TLS12_CLIENT_KEY,
            Some("DisabledByDefault"),
            RegistryData::Dword(0),
        ),
    ];
    let winhttp = |id: &str| {
        vec![value(
            id,
            hklm,
            WINHTTP_KEY,
            Some("DefaultSecureProtocols"),
            RegistryData::Dword(WINHTTP_PROTOCOLS),
        )]
    };
    let mut components = vec![
        Component::for_registry("Tls12Schannel", win64, schannel),
        Component::for_registry(
            "Tls12WinHttp",
            win64,
            winhttp("WinHttpDefaultSecureProtocols"),
        ),
    ];
    if win64 {
        // 32-bit programs read WinHTTP settings from the WOW6432Node twin.
        components.push(Component::for_registry(
            "Tls12WinHttpWow64",
            false,
            winhttp("WinHttpDefaultSecureProtocolsWow64"),
        ));
    }
    for component in &mut components {
        component.permanent = true;
    }
    components
}

/// DefaultSecureProtocols values that include TLS 1.2 (0x800) with TLS 1.1/1.0/1.3 combinations
/// admins use; a RegLocator returns DWORDs as `#n` text, so bits cannot be tested directly.
const WINHTTP_ACCEPTED: &[u32] = &[0x800, 0xA00, 0xA80, 0x2800, 0x2A00, 0x2A80];

fn require_tls12(package: &mut Package) {
    let win64 = package.target.arch.is_64bit();
    let search =
        |property: &str, key: &str, name: &str, win64: bool| crate::model::RegistrySearch {
            property: property.to_string(),
            root: RegistryRoot::LocalMachine,
            key: key.to_string(),
            name: name.to_string(),
            win64,
        };
    package.searches.push(search(
        "SSPR_TLS12_ENABLED",
        SCHANNEL_TLS12_CLIENT_KEY,
        "Enabled",
        win64,
    ));
    package.searches.push(search(
        "SSPR_TLS12_DISABLEDBYDEFAULT",
        SCHANNEL_TLS12_CLIENT_KEY,
        "DisabledByDefault",
        win64,
    ));
    package.launch_conditions.push(LaunchCondition::unless_installed(
        "SSPR_TLS12_ENABLED = \"#1\" AND SSPR_TLS12_DISABLEDBYDEFAULT = \"#0\"",
        format!("TLS 1.2 is not enabled: set HKLM\\{SCHANNEL_TLS12_CLIENT_KEY} Enabled = 1 and DisabledByDefault = 0 (REG_DWORD)."),
    ));
    let mut views = vec![("SSPR_WINHTTP_PROTOCOLS", win64, "")];
    if win64 {
        views.push(("SSPR_WINHTTP_PROTOCOLS32", false, " (WOW6432Node too)"));
    }
    for (property, view64, where_) in views {
        package.searches.push(search(
            property,
            WINHTTP_KEY,
            "DefaultSecureProtocols",
            view64,
        ));
        let accepted: Vec<String> = WINHTTP_ACCEPTED
            .iter()
            .map(|v| format!("{property} = \"#{v}\""))
            .collect();
        package.launch_conditions.push(LaunchCondition::unless_installed(
            &accepted.join(" OR "),
            format!("WinHTTP does not use TLS 1.2: set HKLM\\{WINHTTP_KEY}{where_} DefaultSecureProtocols = 0x00000A00 (REG_DWORD; Windows 7 needs KB3140245)."),
        ));
    }
}

fn extra_registry_components(values: &[ExtraRegistryValue], target: Target) -> Vec<Component> {
    values
        .iter()
        .enumerate()
        .filter(|(_, value)| value.targets.is_empty() || value.targets.contains(&target))
        .map(|(index, extra)| {
            let id = format!("ExtraRegistry{}", index + 1);
            let registry = value(
                &id,
                extra.root,
                &extra.key,
                extra.name.as_deref(),
                extra.data.clone(),
            );
            Component::for_registry(&id, target.arch.is_64bit(), vec![registry])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;

    fn policy_package(target: &str) -> Package {
        package(
            &Settings::embedded_default().unwrap(),
            Target::from_name(target).unwrap(),
            Inputs::default(),
        )
    }

    #[test]
    fn policy_package_writes_allow_password_reset_in_a_64bit_component() {
        let package = policy_package("win10-x64");
        assert_eq!(package.components.len(), 1);
        let component = &package.components[0];
        assert!(component.win64);
        assert_eq!(component.registry[0].data, RegistryData::Dword(1));
        assert_eq!(component.registry[0].key, POLICY_KEY);
        assert!(!package.request_reboot);
    }

    #[test]
    fn codes_are_per_target_and_per_version_but_components_are_shared() {
        let settings = Settings::embedded_default().unwrap();
        let (win10, win11, win10_x86) = (
            policy_package("win10-x64"),
            policy_package("win11-x64"),
            policy_package("win10-x86"),
        );
        assert_ne!(win10.product.upgrade_code, win11.product.upgrade_code);
        assert_ne!(win10.product.product_code, win11.product.product_code);
        assert_eq!(win10.components[0].guid, win11.components[0].guid);
        assert_ne!(win10.components[0].guid, win10_x86.components[0].guid);
        let mut newer = settings.clone();
        newer.product.version = crate::model::ProductVersion::parse("1.1.0").unwrap();
        let win10_newer = package(
            &newer,
            Target::from_name("win10-x64").unwrap(),
            Inputs::default(),
        );
        assert_eq!(win10.product.upgrade_code, win10_newer.product.upgrade_code);
        assert_ne!(win10.product.product_code, win10_newer.product.product_code);
    }

    #[test]
    fn tls12_components_are_permanent_and_cover_both_views_on_x64() {
        let x64 = tls12_components(true);
        assert!(x64.iter().all(|c| c.permanent));
        assert_eq!(
            x64.iter()
                .filter(|c| c.registry[0].key == WINHTTP_KEY)
                .map(|c| c.win64)
                .collect::<Vec<_>>(),
            [true, false]
        );
        assert_eq!(tls12_components(false).len(), 2);
    }
}
