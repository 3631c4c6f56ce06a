//! A CycloneDX 1.6 SBOM per package: the MSI, and every file its cabinets embed and every
//! Binary row, each with its SHA-256, version and Authenticode signer, all read from the
//! package's bytes.

use super::facts::PackageFacts;
use crate::build::BuiltPackage;
use crate::payload::Trust;
use msikit::format::schema;
use msikit::sign::{trust::TrustPolicy, SignatureError};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const SPEC_VERSION: &str = "1.6";

/// Where a package's SBOM goes in the bundle.
pub fn path(package: &PackageFacts) -> String {
    format!("sbom/{}.cdx.json", package.file_name)
}

/// One embedded file or Binary row.
struct Embedded {
    bom_ref: String,
    name: String,
    table: &'static str,
    version: Option<String>,
    bytes: Vec<u8>,
}

/// The SBOM of one package (`built` is its build report entry: the payload's checked signer).
pub fn sbom(package: &PackageFacts, built: &BuiltPackage, timestamp: u64) -> Value {
    let embedded = embedded(package);
    let components: Vec<Value> = embedded.iter().map(|item| component(item, built)).collect();
    let mut properties = vec![
        property("sspr-msi:target", &package.target.name()),
        property("sspr-msi:msi:ProductCode", &package.product_code),
        property("sspr-msi:msi:UpgradeCode", &package.upgrade_code),
        property("sspr-msi:msi:PackageCode", &package.package_code),
    ];
    properties.push(match &built.signed_by {
        Some(subject) => property("sspr-msi:authenticode:signer", subject),
        None => property("sspr-msi:authenticode:status", "unsigned"),
    });
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, package.sha256.as_bytes())),
        "version": 1,
        "metadata": {
            "timestamp": rfc3339(timestamp),
            "tools": {"components": [{"type": "application", "name": "sspr-msi", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {
                "type": "application",
                "bom-ref": "package",
                "name": package.product_name,
                "version": package.product_version,
                "publisher": package.manufacturer,
                "hashes": [sha256(&package.bytes)],
                "properties": properties,
            },
        },
        "components": components,
        "dependencies": [{
            "ref": "package",
            "dependsOn": embedded.iter().map(|item| item.bom_ref.clone()).collect::<Vec<_>>(),
        }],
    })
}

/// Every cabinet file (named and versioned by its File row) and Binary row, sorted by
/// their reference.
fn embedded(package: &PackageFacts) -> Vec<Embedded> {
    let view = &package.view;
    let mut items = Vec::new();
    for (stream, data) in &view.streams {
        if let Some(name) = stream.strip_prefix("Binary.") {
            items.push(Embedded {
                bom_ref: format!("binary:{name}"),
                name: name.to_string(),
                table: "Binary",
                version: None,
                // Read from the built bytes in memory: loading cannot fail.
                bytes: data
                    .load()
                    .map(|bytes| bytes.into_owned())
                    .unwrap_or_default(),
            });
        } else if data.starts_with(b"MSCF") {
            // Our own package, just built: its cabinet reads (the reader's cap is no concern).
            let files = msikit::read::cabinet::extract_all(data, u64::MAX).unwrap_or_default();
            let rows: BTreeMap<String, schema::File> = view
                .rows(&schema::FILE)
                .map(|row| (row.file.clone(), row))
                .collect();
            for (file, bytes) in files {
                let key = file.name;
                let row = rows.get(&key);
                let name = row.map_or(key.as_str(), |row| {
                    msikit::format::names::long_name(&row.file_name)
                });
                // A version is digits and dots; otherwise the column names a companion file.
                let version = row
                    .and_then(|row| row.version.clone())
                    .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
                items.push(Embedded {
                    bom_ref: format!("file:{key}"),
                    name: name.to_string(),
                    table: "File",
                    version,
                    bytes,
                });
            }
        }
    }
    items.sort_by(|a, b| a.bom_ref.cmp(&b.bom_ref));
    items
}

fn component(item: &Embedded, built: &BuiltPackage) -> Value {
    let mut properties = vec![property("sspr-msi:msi:table", item.table)];
    properties.extend(authenticode(&item.bytes, built));
    let mut component = json!({
        "type": "file",
        "bom-ref": item.bom_ref,
        "name": item.name,
        "hashes": [sha256(&item.bytes)],
        "properties": properties,
    });
    if let Some(version) = &item.version {
        component["version"] = json!(version);
    }
    component
}

/// The signature status, and the signer when the build checked it (the credential provider
/// payload, chained to the configured anchors).
fn authenticode(bytes: &[u8], built: &BuiltPackage) -> Vec<Value> {
    if !msikit::sign::pe::is_pe(bytes) {
        return vec![property("sspr-msi:authenticode:status", "not a PE file")];
    }
    let digest = msikit::hex::sha256_hex(bytes);
    if let Some(payload) = built.payload.as_ref().filter(|p| p.sha256 == digest) {
        if let Trust::Verified(signer) = &payload.trust {
            return vec![
                property("sspr-msi:authenticode:status", "verified"),
                property("sspr-msi:authenticode:signer", &signer.subject),
                property("sspr-msi:authenticode:thumbprint", &signer.thumbprint),
            ];
        }
    }
    let status = match msikit::sign::pe::verify(bytes, &TrustPolicy::default()) {
        Ok(_) | Err(SignatureError::Untrusted(_)) => "signed (signer not checked)".to_string(),
        Err(SignatureError::Unsigned) => "unsigned".to_string(),
        Err(error) => format!("invalid: {error}"),
    };
    vec![property("sspr-msi:authenticode:status", &status)]
}

fn property(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn sha256(bytes: &[u8]) -> Value {
    json!({"alg": "SHA-256", "content": msikit::hex::sha256_hex(bytes)})
}

/// `YYYY-MM-DDTHH:MM:SSZ` (the bundle's times are whole seconds of UTC).
pub fn rfc3339(timestamp: u64) -> String {
    let seconds = i64::try_from(timestamp).unwrap_or(i64::MAX);
    let time = time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        time.year(),
        time.month() as u8,
        time.day(),
        time.hour(),
        time.minute(),
        time.second()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(super::rfc3339(1700000000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
