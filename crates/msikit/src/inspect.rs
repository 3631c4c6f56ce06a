//! What a package holds, for a reviewer: summary information, every table with its row
//! count, every stream with its size and SHA-256, each cabinet's files (size, digest, File
//! table version, the PE version resource and the Authenticode signer) and the package's own
//! signature with its chain, timestamp and verdict. Works on any package; the verdicts are
//! those of [`crate::sign::msi::verify`] and [`crate::sign::pe::verify`], the same `verify`
//! reports.

use crate::format::schema;
use crate::hex::{hex, stream_sha256_hex};
use crate::read::{self, ReadError};
use crate::sign::details::{self, SignatureDetails};
use crate::sign::trust::TrustPolicy;
use crate::sign::{self, SignatureError, Signer};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Everything `inspect` shows about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The string pool's codepage (0: neutral).
    pub codepage: u32,
    pub summary: Vec<SummaryField>,
    pub tables: Vec<TableCount>,
    /// Every stream of the root storage that is not a table, by name.
    pub streams: Vec<StreamDigest>,
    /// Sub-storages (embedded transforms, nested installs), by name.
    pub storages: Vec<String>,
    pub cabinets: Vec<Cabinet>,
    /// `None` when the package has no `\005DigitalSignature`.
    pub signature: Option<SignatureCheck>,
}

/// One summary property, as text (times in UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryField {
    pub name: &'static str,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCount {
    pub name: String,
    pub columns: usize,
    pub rows: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StreamDigest {
    pub name: String,
    pub size: u64,
    pub sha256: String,
}

/// One embedded cabinet and its files, in the cabinet's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cabinet {
    pub stream: String,
    pub files: Vec<CabinetEntry>,
    /// Why the cabinet could not be read, when it could not (then `files` is empty).
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CabinetEntry {
    /// The name in the cabinet: the File table's key.
    pub key: String,
    /// The File table's long file name, when the table has the key.
    pub file_name: Option<String>,
    pub size: u64,
    pub sha256: String,
    /// The File table's Version column.
    pub file_version: Option<String>,
    /// The PE's VS_FIXEDFILEINFO file version, for PE images that have one.
    pub pe_version: Option<String>,
    /// The Authenticode signature, for PE images that carry one.
    pub signature: Option<SignatureCheck>,
    /// The file is a PE image (EXE/DLL).
    pub is_pe: bool,
}

/// A signature's details and whether it verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureCheck {
    /// `None` when the signature is too malformed to name its signer.
    pub details: Option<SignatureDetails>,
    pub status: SignatureStatus,
    /// What failed, for any status but `verified`.
    pub problem: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    /// Content, signature and chain (to a given trust anchor) all verify.
    Verified,
    /// Content and signature verify; without trust anchors the signer was not checked.
    Intact,
    /// Something fails: changed content, a bad signature, an untrusted or expired signer.
    Invalid,
}

const SIGNATURE: &str = "\u{5}DigitalSignature";

/// What a cabinet's files may add up to before `inspect` stops inflating it.
const MAX_CABINET_BYTES: u64 = 16 << 30;

/// Inspects a package (its bytes, or its file read at positions: cabinets and other large
/// streams are hashed and inflated a piece at a time); `policy` says whom signatures must
/// chain to.
pub fn inspect(input: read::Input<'_>, policy: &TrustPolicy) -> Result<Inspection, ReadError> {
    let database = read::open(input.clone())?;
    let files = file_rows(&database);
    let cabinets = database
        .streams
        .iter()
        .filter(|(_, data)| data.starts_with(b"MSCF"))
        .map(|(name, data)| cabinet(name, data, &files, policy))
        .collect();
    let signature = database
        .streams
        .get(SIGNATURE)
        .map(|pkcs7| -> Result<_, ReadError> {
            Ok(check(
                details::of_pkcs7(&read::load(pkcs7, SIGNATURE)?),
                sign::msi::check_input(input, policy).result,
                policy,
            ))
        });
    let signature = signature.transpose()?;
    let streams = database
        .streams
        .iter()
        .map(|(name, data)| {
            let sha256 =
                stream_sha256_hex(data).map_err(|error| read::unreadable_stream(name, error))?;
            Ok(StreamDigest {
                name: name.clone(),
                size: data.len(),
                sha256,
            })
        })
        .collect::<Result<_, ReadError>>()?;
    Ok(Inspection {
        codepage: database.codepage,
        summary: database
            .summary
            .as_ref()
            .map(summary_fields)
            .unwrap_or_default(),
        tables: database
            .tables
            .iter()
            .map(|table| TableCount {
                name: table.name.clone(),
                columns: table.columns.len(),
                rows: table.rows.len(),
            })
            .collect(),
        streams,
        storages: database.storages.keys().cloned().collect(),
        cabinets,
        signature,
    })
}

/// The summary properties present, in property-id order.
pub fn summary_fields(summary: &read::Summary) -> Vec<SummaryField> {
    let text = |value: &Option<String>| value.clone();
    let number = |value: Option<i32>| value.map(|n| n.to_string());
    let fields = [
        ("Codepage", summary.codepage.map(|n| n.to_string())),
        ("Title", text(&summary.title)),
        ("Subject", text(&summary.subject)),
        ("Author", text(&summary.author)),
        ("Keywords", text(&summary.keywords)),
        ("Comments", text(&summary.comments)),
        ("Template", text(&summary.template)),
        ("LastAuthor", text(&summary.last_author)),
        ("RevisionNumber", text(&summary.revision)),
        ("CreateTime", summary.created.map(filetime_text)),
        ("LastSaveTime", summary.last_saved.map(filetime_text)),
        ("PageCount", number(summary.page_count)),
        ("WordCount", number(summary.word_count)),
        ("CharCount", number(summary.char_count)),
        ("AppName", text(&summary.creating_application)),
        ("Security", number(summary.security)),
    ];
    fields
        .into_iter()
        .filter_map(|(name, value)| {
            Some(SummaryField {
                name,
                value: value?,
            })
        })
        .collect()
}

/// A FILETIME as `YYYY-MM-DD HH:MM:SS UTC`, or the raw number when out of range.
fn filetime_text(filetime: u64) -> String {
    const UNIX_EPOCH_IN_FILETIME_SECONDS: i64 = 11_644_473_600;
    let seconds = (filetime / 10_000_000) as i64 - UNIX_EPOCH_IN_FILETIME_SECONDS;
    match time::OffsetDateTime::from_unix_timestamp(seconds) {
        Ok(at) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            at.year(),
            at.month() as u8,
            at.day(),
            at.hour(),
            at.minute(),
            at.second()
        ),
        Err(_) => filetime.to_string(),
    }
}

/// File key → (long file name, Version), from the File table.
fn file_rows(database: &read::Database<'_>) -> BTreeMap<String, (String, Option<String>)> {
    let Some(table) = database.table(schema::FILE.name()) else {
        return BTreeMap::new();
    };
    let index = |name: &str| table.columns.iter().position(|c| c.name == name);
    let (Some(key), Some(name), version) = (index("File"), index("FileName"), index("Version"))
    else {
        return BTreeMap::new();
    };
    let text = |value: Option<&read::Value>| match value {
        Some(read::Value::Str(text)) => Some(text.clone()),
        _ => None,
    };
    table
        .rows
        .iter()
        .filter_map(|row| {
            let key = text(row.get(key))?;
            let long_name = text(row.get(name))?
                .rsplit('|')
                .next()
                .unwrap_or_default()
                .to_string();
            Some((key, (long_name, version.and_then(|v| text(row.get(v))))))
        })
        .collect()
}

/// A cabinet's files, each hashed as it streams past; PE images are kept for their version
/// resource and signature.
fn cabinet(
    stream: &str,
    data: &read::StreamData,
    files: &BTreeMap<String, (String, Option<String>)>,
    policy: &TrustPolicy,
) -> Cabinet {
    let mut hashers: BTreeMap<usize, Sha256> = BTreeMap::new();
    let mut images: BTreeMap<usize, Option<Vec<u8>>> = BTreeMap::new();
    let extracted = read::cabinet::extract(data, MAX_CABINET_BYTES, |index, _, chunk| {
        if let read::cabinet::Chunk::Data(bytes) = chunk {
            hashers.entry(index).or_default().update(bytes);
            // Only a file that starts as a PE (`MZ`) is kept whole; others are dropped
            // (`None`) as soon as their first two bytes say so.
            let image = images.entry(index).or_insert_with(|| Some(Vec::new()));
            if let Some(kept) = image {
                kept.extend_from_slice(bytes);
                if kept.len() >= 2 && !kept.starts_with(b"MZ") {
                    *image = None;
                }
            }
        }
    });
    let listed = match extracted {
        Ok(listed) => listed,
        Err(error) => {
            return Cabinet {
                stream: stream.to_string(),
                files: Vec::new(),
                error: Some(error.to_string()),
            }
        }
    };
    let entries = listed
        .iter()
        .enumerate()
        .map(|(index, file)| {
            let digest = hashers.remove(&index).unwrap_or_default().finalize();
            let image = images.remove(&index).flatten().unwrap_or_default();
            let is_pe = sign::pe::is_pe(&image);
            let row = files.get(&file.name);
            CabinetEntry {
                key: file.name.clone(),
                file_name: row.map(|(name, _)| name.clone()),
                size: u64::from(file.size),
                sha256: hex(&digest),
                file_version: row.and_then(|(_, version)| version.clone()),
                pe_version: is_pe.then(|| pe_file_version(&image)).flatten(),
                signature: is_pe.then(|| pe_signature(&image, policy)).flatten(),
                is_pe,
            }
        })
        .collect();
    Cabinet {
        stream: stream.to_string(),
        files: entries,
        error: None,
    }
}

fn pe_signature(image: &[u8], policy: &TrustPolicy) -> Option<SignatureCheck> {
    match sign::pe::verify(image, policy) {
        Err(SignatureError::Unsigned) => None,
        verdict => Some(check(sign::pe::signature_details(image), verdict, policy)),
    }
}

/// A signature's details beside its verdict, in the terms `verify` reports.
fn check(
    details: Result<SignatureDetails, SignatureError>,
    verdict: Result<Signer, SignatureError>,
    policy: &TrustPolicy,
) -> SignatureCheck {
    let (status, problem) = match verdict {
        Ok(_) => (SignatureStatus::Verified, None),
        Err(SignatureError::Untrusted(why)) if policy.anchors.is_empty() => (
            SignatureStatus::Intact,
            Some(format!("signer not checked (give trust anchors): {why}")),
        ),
        Err(error) => (SignatureStatus::Invalid, Some(error.to_string())),
    };
    SignatureCheck {
        details: details.ok(),
        status,
        problem,
    }
}

/// The file version of a PE's version resource: the VS_FIXEDFILEINFO after the
/// `VS_VERSION_INFO` key (signature 0xFEEF04BD, then the struct version, then the file
/// version's high and low words).
pub fn pe_file_version(image: &[u8]) -> Option<String> {
    let key: Vec<u8> = "VS_VERSION_INFO\0"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let start = image.windows(key.len()).position(|w| w == key.as_slice())? + key.len();
    let window = image.get(start..image.len().min(start + 8))?;
    let signature = window
        .windows(4)
        .position(|w| w == 0xFEEF_04BDu32.to_le_bytes())?;
    let at = start + signature;
    let word = |offset: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            image.get(at + offset..at + offset + 4)?.try_into().ok()?,
        ))
    };
    let (high, low) = (word(8)?, word(12)?);
    Some(format!(
        "{}.{}.{}.{}",
        high >> 16,
        high & 0xFFFF,
        low >> 16,
        low & 0xFFFF
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_file_info_after_the_version_key_gives_the_file_version() {
        let mut image = b"MZ padding".to_vec();
        image.extend(
            "VS_VERSION_INFO\0"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        image.extend([0, 0]); // alignment to 32 bits
        for word in [0xFEEF_04BDu32, 0x0001_0000, 0x0002_0003, 0x0004_0005] {
            image.extend(word.to_le_bytes());
        }
        assert_eq!(pe_file_version(&image).as_deref(), Some("2.3.4.5"));
        assert_eq!(pe_file_version(b"MZ no resource"), None);
        image.truncate(image.len() - 2);
        assert_eq!(pe_file_version(&image), None, "a cut-off structure");
    }

    #[test]
    fn filetimes_read_as_utc() {
        assert_eq!(
            filetime_text(crate::format::summary::filetime(1_700_000_000)),
            "2023-11-14 22:13:20 UTC"
        );
    }
}
