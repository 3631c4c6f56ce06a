//! An in-toto Statement v1 with a SLSA Provenance v1 predicate for the release: the inputs
//! (configuration, payloads and embedded binaries by digest, tool version,
//! `SOURCE_DATE_EPOCH`) and the outputs (every MSI; signed ones also by their digest before
//! signing).

use super::facts::PackageFacts;
use super::BundleInputs;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const PATH: &str = "provenance.intoto.json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const PREDICATE_TYPE: &str = "https://slsa.dev/provenance/v1";
const BUILD_TYPE: &str = "urn:x-sspr-msi:release:v1";
const BUILDER_ID: &str = "urn:x-sspr-msi:builder";

pub fn statement(inputs: &BundleInputs, packages: &[PackageFacts]) -> Result<Value> {
    let settings = inputs.settings;
    let subject: Vec<Value> = packages
        .iter()
        .map(|p| json!({"name": p.file_name, "digest": {"sha256": p.sha256}}))
        .collect();
    let mut byproducts = Vec::new();
    for package in packages {
        if let Some(digest) = &package.unsigned_sha256 {
            byproducts.push(json!({
                "name": format!("{} (before signing)", package.file_name),
                "digest": {"sha256": digest},
            }));
        }
    }
    Ok(json!({
        "_type": STATEMENT_TYPE,
        "subject": subject,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "configuration": settings.source,
                    "targets": packages.iter().map(|p| p.target.name()).collect::<Vec<_>>(),
                    "sourceDateEpoch": inputs.timestamp,
                    "signed": inputs.signing.is_some(),
                },
                "resolvedDependencies": resolved_dependencies(inputs, packages)?,
            },
            "runDetails": {
                "builder": {
                    "id": BUILDER_ID,
                    "version": {"sspr-msi": env!("CARGO_PKG_VERSION")},
                },
                "metadata": {"invocationId": format!("sspr-msi release {}", inputs.timestamp)},
                "byproducts": byproducts,
            },
        },
    }))
}

/// The configuration and every file the packages embed from outside (payload DLLs, Binary
/// rows), by digest, once each.
fn resolved_dependencies(inputs: &BundleInputs, packages: &[PackageFacts]) -> Result<Vec<Value>> {
    let mut dependencies: BTreeMap<String, String> = BTreeMap::new();
    dependencies.insert(
        format!("configuration:{}", inputs.settings.source),
        msikit::hex::sha256_hex(&configuration_bytes(&inputs.settings.source)?),
    );
    // Named by architecture too: the x86 and x64 payloads usually share a file name.
    for (package, built) in packages.iter().zip(inputs.packages) {
        let arch = package.architecture();
        if let Some(payload) = &built.payload {
            dependencies.insert(
                format!("payload:{arch}/{}", super::file_name(&payload.file)),
                payload.sha256.clone(),
            );
        }
        for (name, digest) in &package.binary_digests {
            dependencies.insert(format!("binary:{arch}/{name}"), digest.clone());
        }
    }
    Ok(dependencies
        .into_iter()
        .map(|(name, digest)| json!({"name": name, "digest": {"sha256": digest}}))
        .collect())
}

/// The configuration's text: the embedded default, or the file it was read from.
fn configuration_bytes(source: &str) -> Result<Vec<u8>> {
    if source == crate::config::DEFAULT_CONFIG_NAME {
        return Ok(crate::config::DEFAULT_CONFIG.as_bytes().to_vec());
    }
    std::fs::read(source).map_err(|e| Error::input(source, format!("cannot read: {e}")))
}
