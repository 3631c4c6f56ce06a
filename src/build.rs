//! `build`: settings → one package per target → files in the output folder.
//! Every payload is checked and every package serialised before any file is written.

use crate::bind::{self, BindOptions};
use crate::config::Settings;
use crate::error::{ConfigError, Error, Result};
use crate::model::{self, msi_guid};
use crate::package;
use crate::payload::{self, CheckedPayload, PayloadTrust, Trust};
use crate::sign::trust::TrustPolicy;
use crate::sign::{self, credentials::Credentials};
use crate::target::{Arch, Target};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Used when `SOURCE_DATE_EPOCH` is not set: 2024-01-01T00:00:00Z.
pub const DEFAULT_TIMESTAMP: u64 = 1_704_067_200;

/// What one build wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltPackage {
    pub target: String,
    pub file: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub product_code: String,
    pub upgrade_code: String,
    pub package_code: String,
    pub version: String,
    /// Subject of the certificate the package is signed with, if it is.
    pub signed_by: Option<String>,
    /// The embedded credential-provider DLL, for Windows 7/8/8.1 packages.
    pub payload: Option<PayloadReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PayloadReport {
    pub file: PathBuf,
    pub sha256: String,
    pub file_version: Option<String>,
    pub trust: Trust,
}

/// Where the timestamps in the package come from.
pub fn timestamp_from_environment() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(DEFAULT_TIMESTAMP),
        Ok(text) => text.trim().parse::<u64>().map_err(|_| {
            Error::Config(ConfigError {
                file: "<environment>".into(),
                line: None,
                key: Some("SOURCE_DATE_EPOCH".into()),
                message: format!("expected whole seconds since 1970-01-01, found `{text}`"),
            })
        }),
    }
}

/// How to build, beyond what the configuration says.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions<'a> {
    pub out_dir: &'a Path,
    pub timestamp: u64,
    pub signing: Option<&'a Credentials>,
    /// Package unsigned payloads (test builds only), with a warning and a record in the report.
    pub allow_unsigned_payloads: bool,
}

/// Builds `targets` (or the settings' own list when empty) into the output folder.
pub fn build(
    settings: &Settings,
    targets: &[Target],
    options: BuildOptions,
) -> Result<Vec<BuiltPackage>> {
    let targets = if targets.is_empty() {
        &settings.targets[..]
    } else {
        targets
    };
    let bind_options = BindOptions {
        timestamp: options.timestamp,
        creating_application: format!("sspr-msi {}", env!("CARGO_PKG_VERSION")),
    };
    let trust = payload_trust(settings, options.allow_unsigned_payloads)?;
    let payloads = check_payloads(settings, targets, &trust)?;
    // Serialise everything first: a failure for one target writes nothing at all.
    let mut outputs = Vec::new();
    for &target in targets {
        let payload = payloads
            .get(&target.arch)
            .filter(|_| !target.family.uses_policy());
        let package = model::sspr::package(settings, target, payload);
        let db = bind::bind(&package, &bind_options)
            .map_err(|e| Error::Internal(format!("binding {target}: {e}")))?;
        let mut bytes = package::to_bytes(&db)?;
        if let Some(credentials) = options.signing {
            // A timestamp server that cannot be reached is the usual cause: an input problem.
            bytes = sign::msi::sign(&bytes, credentials).map_err(|e| {
                Error::input(file_name(settings, target), format!("cannot sign: {e}"))
            })?;
        }
        let built = BuiltPackage {
            target: target.name(),
            file: options.out_dir.join(file_name(settings, target)),
            size: bytes.len() as u64,
            sha256: model::sha256_hex(&bytes),
            product_code: msi_guid(package.product.product_code),
            upgrade_code: msi_guid(package.product.upgrade_code),
            package_code: msi_guid(db.summary.package_code),
            version: package.product.version.to_string(),
            signed_by: options.signing.map(|c| sign::trust::subject(c.leaf())),
            payload: payload.map(PayloadReport::of),
        };
        outputs.push((built, bytes));
    }
    outputs
        .into_iter()
        .map(|(built, bytes)| {
            package::write_atomically(&built.file, &bytes)?;
            Ok(built)
        })
        .collect()
}

impl PayloadReport {
    fn of(payload: &CheckedPayload) -> PayloadReport {
        PayloadReport {
            file: payload.path.clone(),
            sha256: payload.sha256.clone(),
            file_version: payload.file_version.clone(),
            trust: payload.trust.clone(),
        }
    }
}

/// The configured payload trust, with its anchors loaded; `allow_unsigned` adds to it.
fn payload_trust(settings: &Settings, allow_unsigned: bool) -> Result<PayloadTrust> {
    let configured = &settings.credential_provider.payload_trust;
    let mut anchors = Vec::new();
    for path in &configured.anchors {
        let certificates = sign::credentials::load_certificates(path)
            .map_err(|e| Error::input(path, e.message))?;
        anchors.extend(certificates);
    }
    Ok(PayloadTrust {
        policy: TrustPolicy {
            anchors,
            expected_subject: configured.expected_signer.clone(),
            expected_thumbprint: configured.expected_thumbprint.clone(),
        },
        allow_unsigned: allow_unsigned || configured.allow_unsigned,
    })
}

/// Checks, once per architecture, the payload every credential-provider target needs.
fn check_payloads(
    settings: &Settings,
    targets: &[Target],
    trust: &PayloadTrust,
) -> Result<BTreeMap<Arch, CheckedPayload>> {
    let mut payloads = BTreeMap::new();
    for &target in targets.iter().filter(|t| !t.family.uses_policy()) {
        if payloads.contains_key(&target.arch) {
            continue;
        }
        let spec = settings.payload_for(target)?;
        let checked = payload::check(spec, target.arch, trust)?;
        if checked.trust == Trust::UnsignedAllowed {
            eprintln!(
                "sspr-msi: warning: {} (`{}`) is not signed; packaged only because unsigned payloads are allowed (test builds)",
                spec.config_key,
                spec.path.display()
            );
        }
        payloads.insert(target.arch, checked);
    }
    Ok(payloads)
}

fn file_name(settings: &Settings, target: Target) -> String {
    settings
        .file_name
        .replace("{target}", &target.name())
        .replace("{version}", &settings.product.version.to_string())
}
