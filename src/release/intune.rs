//! Intune: the Win32 app package (`.intunewin`, as IntuneWinAppUtil writes it), the Graph
//! `win32LobApp` body that uploads it, and the Settings Catalog policy for Windows 10/11.
//!
//! `.intunewin` layout: an outer ZIP of stored entries holding
//! `IntuneWinPackage/Contents/IntunePackage.intunewin` (the encrypted content) and
//! `IntuneWinPackage/Metadata/Detection.xml` (keys, digest and the MSI's identity). The
//! content is a deflated ZIP of the MSI, encrypted with AES-256-CBC (PKCS#7) and laid out as
//! `HMAC-SHA256(mac key, IV ‖ ciphertext) ‖ IV ‖ ciphertext`.

use super::facts::PackageFacts;
use super::xml::escape;
use crate::error::{Error, Result};
use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

type Aes256CbcEncryptor = cbc::Encryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

pub const CONTENT_ENTRY: &str = "IntuneWinPackage/Contents/IntunePackage.intunewin";
pub const DETECTION_ENTRY: &str = "IntuneWinPackage/Metadata/Detection.xml";
/// The IntuneWinAppUtil version whose output this mirrors (Detection.xml's ToolVersion).
const TOOL_VERSION: &str = "1.8.6.0";
pub const SETTINGS_CATALOG_PATH: &str = "intune/sspr-policy-settings-catalog.json";
pub const SETTINGS_CATALOG_ID: &str =
    "device_vendor_msft_policy_config_authentication_allowaadpasswordreset";

/// Where the content keys come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// Fresh random keys: the default.
    Random,
    /// Derived from the plaintext, so a `SOURCE_DATE_EPOCH` build is byte-reproducible. No
    /// secret is lost: Detection.xml carries the keys beside the ciphertext either way.
    FromContent,
}

impl KeySource {
    pub fn from_environment() -> KeySource {
        if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
            KeySource::FromContent
        } else {
            KeySource::Random
        }
    }
}

struct ContentKeys {
    encryption: [u8; 32],
    mac: [u8; 32],
    iv: [u8; 16],
}

impl ContentKeys {
    fn new(source: KeySource, plaintext: &[u8]) -> Result<ContentKeys> {
        let mut keys = ContentKeys {
            encryption: [0; 32],
            mac: [0; 32],
            iv: [0; 16],
        };
        match source {
            KeySource::Random => {
                for buffer in [
                    &mut keys.encryption[..],
                    &mut keys.mac[..],
                    &mut keys.iv[..],
                ] {
                    getrandom::getrandom(buffer)
                        .map_err(|e| Error::Internal(format!("no random numbers: {e}")))?;
                }
            }
            KeySource::FromContent => {
                let digest = Sha256::digest(plaintext);
                let derive = |label: &str| -> [u8; 32] {
                    let mut mac = HmacSha256::new_from_slice(&digest).expect("HMAC takes any key");
                    mac.update(label.as_bytes());
                    mac.finalize().into_bytes().into()
                };
                keys.encryption = derive("sspr-msi intunewin encryption key");
                keys.mac = derive("sspr-msi intunewin mac key");
                keys.iv
                    .copy_from_slice(&derive("sspr-msi intunewin iv")[..16]);
            }
        }
        Ok(keys)
    }
}

/// The `.intunewin` of one package.
pub fn intunewin(package: &PackageFacts, timestamp: u64, source: KeySource) -> Result<Vec<u8>> {
    let plaintext = super::zip_entries(
        &[(package.file_name.clone(), package.bytes.clone())],
        timestamp,
        zip::CompressionMethod::Deflated,
    )
    .map_err(|e| Error::Internal(format!("zipping {}: {e}", package.file_name)))?;
    let keys = ContentKeys::new(source, &plaintext)?;
    let ciphertext = Aes256CbcEncryptor::new(&keys.encryption.into(), &keys.iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(&plaintext);
    let mut mac = HmacSha256::new_from_slice(&keys.mac).expect("HMAC takes any key");
    mac.update(&keys.iv);
    mac.update(&ciphertext);
    let mac: [u8; 32] = mac.finalize().into_bytes().into();

    let mut content = Vec::with_capacity(32 + 16 + ciphertext.len());
    content.extend_from_slice(&mac);
    content.extend_from_slice(&keys.iv);
    content.extend_from_slice(&ciphertext);
    let detection = detection_xml(package, &plaintext, &keys, &mac);
    super::zip_entries(
        &[
            (CONTENT_ENTRY.to_string(), content),
            (DETECTION_ENTRY.to_string(), detection.into_bytes()),
        ],
        timestamp,
        zip::CompressionMethod::Stored,
    )
    .map_err(|e| Error::Internal(format!("writing the .intunewin: {e}")))
}

fn detection_xml(
    package: &PackageFacts,
    plaintext: &[u8],
    keys: &ContentKeys,
    mac: &[u8],
) -> String {
    let flag = |value: bool| if value { "true" } else { "false" };
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<ApplicationInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ToolVersion="{TOOL_VERSION}">
  <Name>{name}</Name>
  <UnencryptedContentSize>{size}</UnencryptedContentSize>
  <FileName>IntunePackage.intunewin</FileName>
  <SetupFile>{setup}</SetupFile>
  <EncryptionInfo>
    <EncryptionKey>{key}</EncryptionKey>
    <MacKey>{mac_key}</MacKey>
    <InitializationVector>{iv}</InitializationVector>
    <Mac>{mac}</Mac>
    <ProfileIdentifier>ProfileVersion1</ProfileIdentifier>
    <FileDigest>{digest}</FileDigest>
    <FileDigestAlgorithm>SHA256</FileDigestAlgorithm>
  </EncryptionInfo>
  <MsiInfo>
    <MsiProductCode>{product_code}</MsiProductCode>
    <MsiProductVersion>{version}</MsiProductVersion>
    <MsiPackageCode>{package_code}</MsiPackageCode>
    <MsiUpgradeCode>{upgrade_code}</MsiUpgradeCode>
    <MsiExecutionContext>{context}</MsiExecutionContext>
    <MsiRequiresLogon>false</MsiRequiresLogon>
    <MsiRequiresReboot>{reboot}</MsiRequiresReboot>
    <MsiIsMachineInstall>{machine}</MsiIsMachineInstall>
    <MsiIsUserInstall>{user}</MsiIsUserInstall>
    <MsiIncludesServices>{services}</MsiIncludesServices>
    <MsiIncludesODBCDataSource>{odbc}</MsiIncludesODBCDataSource>
    <MsiContainsSystemRegistryKeys>{registry}</MsiContainsSystemRegistryKeys>
    <MsiContainsSystemFolders>{folders}</MsiContainsSystemFolders>
    <MsiPublisher>{publisher}</MsiPublisher>
  </MsiInfo>
</ApplicationInfo>
"#,
        name = escape(&package.product_name),
        size = plaintext.len(),
        setup = escape(&package.file_name),
        key = BASE64.encode(keys.encryption),
        mac_key = BASE64.encode(keys.mac),
        iv = BASE64.encode(keys.iv),
        mac = BASE64.encode(mac),
        digest = BASE64.encode(Sha256::digest(plaintext)),
        product_code = escape(&package.product_code),
        version = escape(&package.product_version),
        package_code = escape(&package.package_code),
        upgrade_code = escape(&package.upgrade_code),
        context = if package.per_machine {
            "System"
        } else {
            "User"
        },
        reboot = flag(package.requests_reboot),
        machine = flag(package.per_machine),
        user = flag(!package.per_machine),
        services = flag(package.includes_services),
        odbc = flag(package.includes_odbc),
        registry = flag(package.writes_machine_registry),
        folders = flag(package.installs_to_machine_folders),
        publisher = escape(&package.manufacturer),
    )
}

/// msiexec codes and what Intune makes of them (Intune's own defaults for an MSI).
pub const RETURN_CODES: &[(u32, &str)] = &[
    (0, "success"),
    (1707, "success"),
    (3010, "softReboot"),
    (1641, "hardReboot"),
    (1618, "retry"),
];

/// The Windows 10 release names Graph's `minimumSupportedWindowsRelease` accepts, by first build.
const WINDOWS_RELEASES: &[(u32, &str)] = &[
    (14393, "1607"),
    (15063, "1703"),
    (16299, "1709"),
    (17134, "1803"),
    (17763, "1809"),
    (18362, "1903"),
    (18363, "1909"),
    (19041, "2004"),
    (19042, "2H20"),
    (19043, "21H1"),
    (22000, "21H2"),
];

/// The newest named release at or below `build` (Intune cannot name builds between them).
fn windows_release(build: u32) -> Option<&'static str> {
    WINDOWS_RELEASES
        .iter()
        .rev()
        .find(|(first, _)| *first <= build)
        .map(|(_, name)| *name)
}

/// The Graph `POST /deviceAppManagement/mobileApps` body for one package's `.intunewin`, or
/// `None` for a package Intune cannot deliver (Win32 apps need Windows 10 1607 or later).
pub fn win32_lob_app(package: &PackageFacts, settings: &crate::config::Settings) -> Option<Value> {
    let minimum_build = package.minimum_build(settings);
    let release = windows_release(minimum_build)?;
    let return_codes: Vec<Value> = RETURN_CODES
        .iter()
        .map(|(code, kind)| {
            json!({"@odata.type": "#microsoft.graph.win32LobAppReturnCode", "returnCode": code, "type": kind})
        })
        .collect();
    let mut rules = vec![
        json!({
            "@odata.type": "#microsoft.graph.win32LobAppProductCodeRule",
            "ruleType": "detection",
            "productCode": package.product_code,
            "productVersionOperator": "greaterThanOrEqual",
            "productVersion": package.product_version,
        }),
        build_requirement("greaterThanOrEqual", minimum_build),
    ];
    if package.target.family == crate::target::OsFamily::Win10 {
        // The Windows 10 packages refuse Windows 11: do not offer them there.
        rules.push(build_requirement(
            "lessThan",
            crate::target::WINDOWS11_FIRST_BUILD,
        ));
    }
    let mut app = json!({
        "@odata.type": "#microsoft.graph.win32LobApp",
        "displayName": package.product_name,
        "description": format!("{} ({}): enables Microsoft Entra self-service password reset at the Windows sign-in screen.", package.product_name, package.target.name()),
        "publisher": package.manufacturer,
        "fileName": intunewin_name(package),
        "setupFilePath": package.file_name,
        "installCommandLine": format!("msiexec /i \"{}\" /qn", package.file_name),
        "uninstallCommandLine": format!("msiexec /x {} /qn", package.product_code),
        "applicableArchitectures": package.architecture(),
        "minimumSupportedWindowsRelease": release,
        "installExperience": {
            "@odata.type": "#microsoft.graph.win32LobAppInstallExperience",
            "runAsAccount": "system",
            "deviceRestartBehavior": "basedOnReturnCode",
        },
        "returnCodes": return_codes,
        "rules": rules,
        "msiInformation": {
            "productCode": package.product_code,
            "productVersion": package.product_version,
            "upgradeCode": package.upgrade_code,
            "requiresReboot": package.requests_reboot,
            "packageType": if package.per_machine { "perMachine" } else { "perUser" },
            "productName": package.product_name,
            "publisher": package.manufacturer,
        },
    });
    if package.target.arch == crate::target::Arch::Arm64 {
        // `applicableArchitectures` has no arm64; Graph documents `allowedArchitectures`
        // (null, x86, x64, arm64) for it, and then sets `applicableArchitectures` to none.
        app["applicableArchitectures"] = json!("none");
        app["allowedArchitectures"] = json!(package.architecture());
    }
    Some(app)
}

/// A requirement on the Windows build (the REG_SZ `CurrentBuildNumber`, compared as a number).
fn build_requirement(operator: &str, build: u32) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.win32LobAppRegistryRule",
        "ruleType": "requirement",
        "check32BitOn64System": false,
        "keyPath": format!("HKEY_LOCAL_MACHINE\\{}", crate::target::CURRENT_VERSION_KEY),
        "valueName": "CurrentBuildNumber",
        "operationType": "integer",
        "operator": operator,
        "comparisonValue": build.to_string(),
    })
}

/// Where the Graph body of a package goes in the bundle.
pub fn app_json_path(package: &PackageFacts) -> String {
    format!("intune/{}.win32LobApp.json", package.file_name)
}

/// `<msi file name>.intunewin`.
pub fn intunewin_name(package: &PackageFacts) -> String {
    format!("{}.intunewin", package.file_name)
}

/// The Windows 10/11 policy as a Graph Settings Catalog policy
/// (`POST /deviceManagement/configurationPolicies`).
pub fn settings_catalog_policy(product_name: &str) -> Value {
    json!({
        "name": format!("{product_name}: allow password reset at sign-in"),
        "description": "Enables Microsoft Entra self-service password reset at the Windows 10/11 sign-in screen (Authentication/AllowAadPasswordReset = 1).",
        "platforms": "windows10",
        "technologies": "mdm",
        "settings": [{
            "@odata.type": "#microsoft.graph.deviceManagementConfigurationSetting",
            "settingInstance": {
                "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                "settingDefinitionId": SETTINGS_CATALOG_ID,
                "choiceSettingValue": {
                    "@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                    "value": format!("{SETTINGS_CATALOG_ID}_1"),
                    "children": [],
                },
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_names_round_down_to_the_named_release() {
        assert_eq!(windows_release(17134), Some("1803"));
        assert_eq!(windows_release(17700), Some("1803"));
        assert_eq!(windows_release(22000), Some("21H2"));
        assert_eq!(windows_release(9600), None);
    }

    #[test]
    fn content_derived_keys_depend_on_the_content_and_random_ones_differ() {
        let a = ContentKeys::new(KeySource::FromContent, b"one").unwrap();
        let b = ContentKeys::new(KeySource::FromContent, b"one").unwrap();
        let c = ContentKeys::new(KeySource::FromContent, b"two").unwrap();
        assert_eq!((a.encryption, a.mac, a.iv), (b.encryption, b.mac, b.iv));
        assert_ne!(a.encryption, c.encryption);
        assert_ne!(a.encryption, a.mac);
        let r1 = ContentKeys::new(KeySource::Random, b"one").unwrap();
        let r2 = ContentKeys::new(KeySource::Random, b"one").unwrap();
        assert_ne!(r1.encryption, r2.encryption);
        assert_ne!(r1.iv, r2.iv);
    }
}
