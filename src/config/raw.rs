//! The serde mirror of the TOML file, nothing else: spans kept for error messages.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub product: RawProduct,
    #[serde(default)]
    pub build: RawBuild,
    #[serde(default)]
    pub policy: RawPolicy,
    #[serde(default)]
    pub registry: Vec<RawRegistryValue>,
    #[serde(default)]
    pub credential_provider: RawCredentialProvider,
    #[serde(default)]
    pub cloud: RawCloud,
    #[serde(default)]
    pub proxy: RawProxy,
    #[serde(default)]
    pub custom_action: Vec<RawCustomAction>,
    #[serde(default)]
    pub property: Vec<RawProperty>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCloud {
    pub name: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProxy {
    pub mode: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
    pub bypass: Option<Spanned<String>>,
    #[serde(default)]
    pub custom_action: std::collections::BTreeMap<String, Spanned<RawPayload>>,
}

/// Every field any kind takes; `config::actions` checks which belong to the kind.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomAction {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    pub phases: Option<Spanned<Vec<Spanned<String>>>>,
    pub condition: Option<Spanned<String>>,
    #[serde(rename = "return")]
    pub return_policy: Option<Spanned<String>>,
    pub targets: Option<Vec<Spanned<String>>>,
    pub binary: Option<Spanned<std::collections::BTreeMap<String, Spanned<RawPayload>>>>,
    pub entry: Option<Spanned<String>>,
    pub rollback_entry: Option<Spanned<String>>,
    pub data: Option<Spanned<String>>,
    pub rollback_data: Option<Spanned<String>>,
    pub arguments: Option<Spanned<String>>,
    pub rollback_arguments: Option<Spanned<String>>,
    pub directory: Option<Spanned<String>>,
    pub command: Option<Spanned<String>>,
    pub rollback: Option<Spanned<String>>,
    pub property: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProperty {
    pub name: Spanned<String>,
    pub value: Option<Spanned<String>>,
    pub required: Option<bool>,
    pub valid_when: Option<Spanned<String>>,
    pub message: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCredentialProvider {
    pub friendly_name: Option<Spanned<String>>,
    pub enable_logging: Option<bool>,
    pub tls12: Option<Spanned<String>>,
    pub reboot: Option<Spanned<String>>,
    #[serde(default)]
    pub payload: std::collections::BTreeMap<String, Spanned<RawPayload>>,
    pub trust_anchors: Option<Vec<Spanned<String>>>,
    pub expected_signer: Option<String>,
    pub expected_thumbprint: Option<Spanned<String>>,
    pub allow_unsigned_payloads: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayload {
    pub path: Spanned<String>,
    pub sha256: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    pub name: Spanned<String>,
    pub manufacturer: Spanned<String>,
    pub version: Spanned<String>,
    pub upgrade_code: Option<Spanned<String>>,
    #[serde(default)]
    pub comments: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBuild {
    pub targets: Option<Vec<Spanned<String>>>,
    pub file_name: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub allow_password_reset: Option<bool>,
    pub min_windows10_build: Option<Spanned<i64>>,
    pub allow_server: Option<bool>,
    pub refuse_home_edition: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistryValue {
    pub root: Spanned<String>,
    pub key: Spanned<String>,
    pub name: Option<Spanned<String>>,
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    pub value: Spanned<toml::Value>,
    pub targets: Option<Vec<Spanned<String>>>,
}
