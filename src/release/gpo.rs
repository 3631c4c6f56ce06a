//! Group Policy: a custom ADMX/ADML pair (the Windows 10/11 policy; EnableLogging for the
//! Windows 7/8/8.1 credential provider) and a Group Policy Preferences `Registry.xml` with the
//! same values. Every key, value name and data is taken from a package's Registry table, so a
//! policy sets exactly what the MSI writes.

use super::facts::PackageFacts;
use super::xml::escape;
use crate::model::sspr::POLICY_VALUE;
use msikit::format::schema;

pub const ADMX_PATH: &str = "gpo/PolicyDefinitions/sspr.admx";
pub const ADML_PATH: &str = "gpo/PolicyDefinitions/en-US/sspr.adml";
pub const PREFERENCES_PATH: &str = "gpo/Machine/Preferences/Registry/Registry.xml";
const LOGGING_VALUE: &str = "EnableLogging";

/// One machine policy: a REG_DWORD that the packages write.
struct DwordPolicy {
    /// The ADMX policy name and the string ids derived from it.
    name: &'static str,
    display_name: &'static str,
    explanation: String,
    supported_on: &'static str,
    key: String,
    value_name: String,
    enabled: u32,
}

/// The supportedOn definitions: (id, text).
const SUPPORTED: &[(&str, &str)] = &[
    (
        "SUPPORTED_Windows10_1803",
        "At least Windows 10 version 1803 (Windows 11 included)",
    ),
    (
        "SUPPORTED_Windows7_81",
        "Windows 7, Windows 8 and Windows 8.1 with the SSPR credential provider installed",
    ),
];

/// The HKLM REG_DWORD row named `value_name` in the first package whose Registry table has
/// one: `(key, data)`.
fn machine_dword(packages: &[PackageFacts], value_name: &str) -> Option<(String, u32)> {
    packages.iter().find_map(|package| {
        package.view.rows(&schema::REGISTRY).find_map(|row| {
            let data = row.value?.strip_prefix('#')?.parse::<u32>().ok()?;
            (row.root == 2 && row.name.as_deref() == Some(value_name)).then_some((row.key, data))
        })
    })
}

fn policies(packages: &[PackageFacts]) -> Vec<DwordPolicy> {
    let mut policies = Vec::new();
    if let Some((key, enabled)) = machine_dword(packages, POLICY_VALUE) {
        policies.push(DwordPolicy {
            name: "AllowPasswordReset",
            display_name: "Allow password reset at the sign-in screen",
            explanation: format!(
                "Shows the \"Reset password\" link at the Windows 10/11 sign-in screen (Microsoft Entra self-service password reset).\n\n\
                 Enabled: writes {POLICY_VALUE} = {enabled} under HKLM\\{key}, as the Windows 10/11 packages do.\n\
                 Disabled: writes {POLICY_VALUE} = 0. Not configured: the value is removed (it lives under Software\\Policies)."
            ),
            supported_on: SUPPORTED[0].0,
            key,
            value_name: POLICY_VALUE.to_string(),
            enabled,
        });
    }
    if let Some((key, enabled)) = machine_dword(packages, LOGGING_VALUE) {
        policies.push(DwordPolicy {
            name: "EnableLogging",
            display_name: "Verbose logging of the SSPR credential provider (Windows 7/8/8.1)",
            explanation: format!(
                "Logs the SSPR credential provider's activity to the Application event log (source AADPasswordResetCredentialProvider).\n\n\
                 Enabled: writes {LOGGING_VALUE} = {enabled} under HKLM\\{key}, as msiexec ENABLELOGGING=1 does. Disabled: writes 0.\n\
                 This key is not under Software\\Policies: the value stays when the GPO no longer applies (set Disabled first)."
            ),
            supported_on: SUPPORTED[1].0,
            key,
            value_name: LOGGING_VALUE.to_string(),
            enabled,
        });
    }
    policies
}

/// `(path, bytes)` of the ADMX, the ADML and Registry.xml; none when no package writes a
/// value these policies set.
pub fn files(packages: &[PackageFacts], timestamp: u64) -> Vec<(String, Vec<u8>)> {
    let policies = policies(packages);
    if policies.is_empty() {
        return Vec::new();
    }
    vec![
        (ADMX_PATH.to_string(), admx(&policies).into_bytes()),
        (ADML_PATH.to_string(), adml(&policies).into_bytes()),
        (
            PREFERENCES_PATH.to_string(),
            registry_xml(&policies, timestamp).into_bytes(),
        ),
    ]
}

const NAMESPACE: &str = "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions";

fn admx(policies: &[DwordPolicy]) -> String {
    let mut text = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <policyDefinitions xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" schemaVersion=\"1.0\" xmlns=\"{NAMESPACE}\">\r\n\
         \x20 <policyNamespaces>\r\n\
         \x20   <target prefix=\"sspr\" namespace=\"SsprMsi.Policies.EntraSspr\" />\r\n\
         \x20 </policyNamespaces>\r\n\
         \x20 <resources minRequiredRevision=\"1.0\" />\r\n\
         \x20 <supportedOn>\r\n\
         \x20   <definitions>\r\n"
    );
    for (id, _) in SUPPORTED {
        text.push_str(&format!(
            "      <definition name=\"{id}\" displayName=\"$(string.{id})\" />\r\n"
        ));
    }
    text.push_str(
        "    </definitions>\r\n  </supportedOn>\r\n  <categories>\r\n\
         \x20   <category name=\"EntraSspr\" displayName=\"$(string.EntraSspr)\" />\r\n\
         \x20 </categories>\r\n  <policies>\r\n",
    );
    for policy in policies {
        text.push_str(&format!(
            "    <policy name=\"{name}\" class=\"Machine\" displayName=\"$(string.{name})\" explainText=\"$(string.{name}_Help)\" key=\"{key}\" valueName=\"{value}\">\r\n\
             \x20     <parentCategory ref=\"EntraSspr\" />\r\n\
             \x20     <supportedOn ref=\"{supported}\" />\r\n\
             \x20     <enabledValue>\r\n        <decimal value=\"{enabled}\" />\r\n      </enabledValue>\r\n\
             \x20     <disabledValue>\r\n        <decimal value=\"0\" />\r\n      </disabledValue>\r\n\
             \x20   </policy>\r\n",
            name = policy.name,
            key = escape(&policy.key),
            value = escape(&policy.value_name),
            supported = policy.supported_on,
            enabled = policy.enabled,
        ));
    }
    text.push_str("  </policies>\r\n</policyDefinitions>\r\n");
    text
}

fn adml(policies: &[DwordPolicy]) -> String {
    let mut strings = vec![(
        "EntraSspr".to_string(),
        "Microsoft Entra SSPR at sign-in".to_string(),
    )];
    strings.extend(
        SUPPORTED
            .iter()
            .map(|(id, text)| (id.to_string(), text.to_string())),
    );
    for policy in policies {
        strings.push((policy.name.to_string(), policy.display_name.to_string()));
        strings.push((format!("{}_Help", policy.name), policy.explanation.clone()));
    }
    let mut text = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <policyDefinitionResources xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" revision=\"1.0\" schemaVersion=\"1.0\" xmlns=\"{NAMESPACE}\">\r\n\
         \x20 <displayName>Microsoft Entra SSPR at sign-in</displayName>\r\n\
         \x20 <description>Policies of the sspr-msi packages</description>\r\n\
         \x20 <resources>\r\n    <stringTable>\r\n"
    );
    for (id, value) in strings {
        text.push_str(&format!(
            "      <string id=\"{id}\">{}</string>\r\n",
            escape(&value).replace('\n', "&#xD;&#xA;")
        ));
    }
    text.push_str("    </stringTable>\r\n  </resources>\r\n</policyDefinitionResources>\r\n");
    text
}

/// Group Policy Preferences' registry extension: `Machine\Preferences\Registry\Registry.xml`.
fn registry_xml(policies: &[DwordPolicy], timestamp: u64) -> String {
    let changed = msikit::cab::dos_datetime(timestamp);
    let changed = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        changed.year(),
        changed.month() as u8,
        changed.day(),
        changed.hour(),
        changed.minute(),
        changed.second()
    );
    let mut text = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
         <RegistrySettings clsid=\"{A3CCFC41-DFDB-43a5-8D26-0FE8B954DA51}\">\r\n",
    );
    for policy in policies {
        let uid = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("sspr-msi gpp {}\\{}", policy.key, policy.value_name).as_bytes(),
        );
        text.push_str(&format!(
            "  <Registry clsid=\"{{9CD4B2F4-923D-47f5-A062-E897DD1DAD50}}\" name=\"{value}\" status=\"{value}\" image=\"17\" changed=\"{changed}\" uid=\"{{{uid}}}\" bypassErrors=\"1\" desc=\"{desc}\">\r\n\
             \x20   <Properties action=\"U\" displayDecimal=\"1\" default=\"0\" hive=\"HKEY_LOCAL_MACHINE\" key=\"{key}\" name=\"{value}\" type=\"REG_DWORD\" value=\"{data:08X}\" />\r\n\
             \x20 </Registry>\r\n",
            value = escape(&policy.value_name),
            desc = escape(policy.display_name),
            uid = uid.to_string().to_uppercase(),
            key = escape(&policy.key),
            data = policy.enabled,
        ));
    }
    text.push_str("</RegistrySettings>\r\n");
    text
}
