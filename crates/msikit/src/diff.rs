//! A semantic difference of two packages of any origin: tables row by row ([`crate::compare`]),
//! summary information field by field, streams and cabinet files by digest (and version),
//! the signature by signer and verdict; and, when all of that is equal but the bytes are not,
//! what in the compound file's layout differs (the reproducibility promise: two builds of one
//! configuration are byte-identical, and this says where two that are not part).

use crate::compare::{self, TableDifference};
use crate::inspect::{self, Inspection, SignatureCheck, SummaryField};
use crate::read::{self, compound::CompoundFile, ReadError, Table, Value};
use crate::sign::trust::TrustPolicy;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// What to leave out of the comparison.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Hide what every release changes: see [`VERSION_CODES`].
    pub ignore_version_codes: bool,
}

/// What `--ignore-version-codes` hides, for the README and `--help`: every table cell and
/// summary property whose whole value is the package's own ProductCode, package code
/// (summary RevisionNumber) or ProductVersion compares as that name, so that
/// `Property.ProductCode`, the summary's RevisionNumber, `Upgrade` rows whose
/// VersionMin/VersionMax is the package's own version and any other cell holding exactly one
/// of the three are equal across releases. GUIDs compare without regard to case.
pub const VERSION_CODES: &str = "ProductCode, PackageCode (summary RevisionNumber) and \
    ProductVersion: any table cell or summary property whose whole value is the package's \
    own one of these";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageDiff {
    /// The two files are the same bytes.
    pub identical_bytes: bool,
    /// The database codepages, when they differ.
    pub codepage: Option<(u32, u32)>,
    pub tables: Vec<TableDifference>,
    pub summary: Vec<FieldChange>,
    /// Data streams (not the summary or signature streams) that differ by digest.
    pub streams: Vec<Change<inspect::StreamDigest>>,
    pub storages: Vec<Change<String>>,
    /// Cabinet files that differ, by `cabinet/key`.
    pub cabinet_files: Vec<Change<CabinetFile>>,
    /// The package signature, when its signer, timestamp or verdict differs.
    pub signature: Option<Change<SignatureSummary>>,
    /// When nothing above differs but the bytes do: where the compound files part.
    pub layout: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub name: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// One thing as each side has it (`None`: that side has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub name: String,
    pub old: Option<T>,
    pub new: Option<T>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CabinetFile {
    pub size: u64,
    pub sha256: String,
    pub file_version: Option<String>,
    pub pe_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureSummary {
    pub status: inspect::SignatureStatus,
    pub signer: Option<String>,
    pub thumbprint: Option<String>,
    pub timestamp: Option<String>,
}

impl PackageDiff {
    /// Nothing semantic differs (the bytes may still, see `layout`).
    pub fn is_equal(&self) -> bool {
        self.codepage.is_none()
            && self.tables.is_empty()
            && self.summary.is_empty()
            && self.streams.is_empty()
            && self.storages.is_empty()
            && self.cabinet_files.is_empty()
            && self.signature.is_none()
    }

    /// One line per kind of difference, for the verdict: "tables equal; summary CreateTime
    /// differs; stream X differs".
    pub fn explanation(&self) -> Vec<String> {
        if self.identical_bytes {
            return vec!["the files are byte-identical".into()];
        }
        let mut lines = Vec::new();
        match self.tables.len() {
            0 => lines.push("tables equal".to_string()),
            count => {
                let names: Vec<&str> = self.tables.iter().map(|t| t.table.as_str()).collect();
                lines.push(format!("{count} tables differ: {}", names.join(", ")));
            }
        }
        if let Some((old, new)) = self.codepage {
            lines.push(format!("database codepage differs ({old} → {new})"));
        }
        for field in &self.summary {
            lines.push(format!("summary {} differs", field.name));
        }
        for stream in &self.streams {
            lines.push(format!("stream {} differs", stream.name));
        }
        for storage in &self.storages {
            lines.push(format!("storage {} differs", storage.name));
        }
        if !self.cabinet_files.is_empty() {
            lines.push(format!("{} cabinet files differ", self.cabinet_files.len()));
        }
        if self.signature.is_some() {
            lines.push("the signature differs".into());
        }
        lines.extend(self.layout.iter().cloned());
        lines
    }
}

/// Compares `old` with `new`.
///
/// # Errors
/// A [`ReadError`] of either side, tagged with `which` (0 = old, 1 = new).
pub fn diff(
    old: &[u8],
    new: &[u8],
    options: DiffOptions,
) -> Result<PackageDiff, (usize, ReadError)> {
    // Signatures are compared by signer and verdict; who must be trusted is not the question.
    let policy = TrustPolicy::default();
    let sides = [old, new].map(|bytes| -> Result<_, ReadError> {
        Ok((
            read::read(bytes)?,
            inspect::inspect(read::Input::Bytes(bytes), &policy)?,
        ))
    });
    let [old_side, new_side] = sides;
    let (old_database, old_view) = old_side.map_err(|e| (0, e))?;
    let (new_database, new_view) = new_side.map_err(|e| (1, e))?;
    let (mut old_tables, mut old_summary) = (old_database.tables.clone(), old_view.summary.clone());
    let (mut new_tables, mut new_summary) = (new_database.tables.clone(), new_view.summary.clone());
    if options.ignore_version_codes {
        hide_version_codes(&mut old_tables, &mut old_summary);
        hide_version_codes(&mut new_tables, &mut new_summary);
    }
    let mut difference = PackageDiff {
        identical_bytes: old == new,
        codepage: (old_view.codepage != new_view.codepage)
            .then_some((old_view.codepage, new_view.codepage)),
        tables: compare::compare_tables(&old_tables, &new_tables),
        summary: summary_changes(&old_summary, &new_summary),
        streams: changes(&data_streams(&old_view), &data_streams(&new_view)),
        storages: changes(&storage_set(&old_view), &storage_set(&new_view)),
        cabinet_files: changes(&cabinet_files(&old_view), &cabinet_files(&new_view)),
        signature: signature_change(&old_view, &new_view),
        layout: Vec::new(),
    };
    if difference.is_equal() && !difference.identical_bytes {
        difference.layout = layout_differences(old, new);
    }
    Ok(difference)
}

/// Every cell and summary value equal to the package's own ProductCode, package code or
/// ProductVersion, replaced by that name.
fn hide_version_codes(tables: &mut [Table], summary: &mut [SummaryField]) {
    let property = |name: &str| -> Option<String> {
        let table = tables.iter().find(|t| t.name == "Property")?;
        table.rows.iter().find_map(|row| match row.as_slice() {
            [Value::Str(key), Value::Str(value), ..] if key == name => Some(value.clone()),
            _ => None,
        })
    };
    let package_code = summary
        .iter()
        .find(|field| field.name == "RevisionNumber")
        .map(|field| field.value.clone());
    let codes: Vec<(String, &str)> = [
        (property("ProductCode"), "[ProductCode]"),
        (package_code, "[PackageCode]"),
        (property("ProductVersion"), "[ProductVersion]"),
    ]
    .into_iter()
    .filter_map(|(value, name)| Some((value?.to_ascii_uppercase(), name)))
    .filter(|(value, _)| !value.is_empty())
    .collect();
    let placeholder = |text: &str| {
        let upper = text.to_ascii_uppercase();
        codes
            .iter()
            .find(|(value, _)| *value == upper)
            .map(|(_, name)| name.to_string())
    };
    for table in tables.iter_mut() {
        for cell in table.rows.iter_mut().flatten() {
            if let Value::Str(text) = cell {
                if let Some(name) = placeholder(text) {
                    *text = name;
                }
            }
        }
    }
    for field in summary.iter_mut() {
        if let Some(name) = placeholder(&field.value) {
            field.value = name;
        }
    }
}

fn summary_changes(old: &[SummaryField], new: &[SummaryField]) -> Vec<FieldChange> {
    let by_name = |fields: &[SummaryField]| -> BTreeMap<&'static str, String> {
        fields.iter().map(|f| (f.name, f.value.clone())).collect()
    };
    let (old_fields, new_fields) = (by_name(old), by_name(new));
    // In the order the properties have, not alphabetical.
    let mut names: Vec<&'static str> = old.iter().chain(new).map(|f| f.name).collect();
    let mut seen = BTreeSet::new();
    names.retain(|name| seen.insert(*name));
    names
        .into_iter()
        .filter_map(|name| {
            let (before, after) = (old_fields.get(name).cloned(), new_fields.get(name).cloned());
            (before != after).then_some(FieldChange {
                name,
                old: before,
                new: after,
            })
        })
        .collect()
}

/// What differs between two maps by name.
fn changes<T: Clone + PartialEq>(
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
) -> Vec<Change<T>> {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|name| old.get(*name) != new.get(*name))
        .map(|name| Change {
            name: name.clone(),
            old: old.get(name).cloned(),
            new: new.get(name).cloned(),
        })
        .collect()
}

/// The streams that hold data: not the summary (compared by field) nor the signatures.
fn data_streams(view: &Inspection) -> BTreeMap<String, inspect::StreamDigest> {
    view.streams
        .iter()
        .filter(|stream| !stream.name.starts_with('\u{5}'))
        .map(|stream| (stream.name.clone(), stream.clone()))
        .collect()
}

fn storage_set(view: &Inspection) -> BTreeMap<String, String> {
    view.storages
        .iter()
        .map(|name| (name.clone(), name.clone()))
        .collect()
}

fn cabinet_files(view: &Inspection) -> BTreeMap<String, CabinetFile> {
    view.cabinets
        .iter()
        .flat_map(|cabinet| {
            cabinet.files.iter().map(move |file| {
                (
                    format!("{}/{}", cabinet.stream, file.key),
                    CabinetFile {
                        size: file.size,
                        sha256: file.sha256.clone(),
                        file_version: file.file_version.clone(),
                        pe_version: file.pe_version.clone(),
                    },
                )
            })
        })
        .collect()
}

fn signature_summary(check: &SignatureCheck) -> SignatureSummary {
    let details = check.details.as_ref();
    SignatureSummary {
        status: check.status,
        signer: details.map(|d| d.signer.subject.clone()),
        thumbprint: details.map(|d| d.signer.thumbprint.clone()),
        timestamp: details.and_then(|d| d.timestamp.clone()),
    }
}

fn signature_change(old: &Inspection, new: &Inspection) -> Option<Change<SignatureSummary>> {
    let (before, after) = (
        old.signature.as_ref().map(signature_summary),
        new.signature.as_ref().map(signature_summary),
    );
    (before != after).then(|| Change {
        name: "package signature".into(),
        old: before,
        new: after,
    })
}

/// Where two compound files with equal content part: the summary stream's bytes, the
/// signature streams, the directory entries (CLSIDs, times, state bits), the sector size,
/// or else only where entries and sectors are placed.
fn layout_differences(old: &[u8], new: &[u8]) -> Vec<String> {
    let (Ok(old_file), Ok(new_file)) = (CompoundFile::parse(old), CompoundFile::parse(new)) else {
        return vec!["the compound files differ".into()];
    };
    let mut found = Vec::new();
    if old_file.sector_size() != new_file.sector_size() {
        found.push(format!(
            "sector size differs ({} → {})",
            old_file.sector_size(),
            new_file.sector_size()
        ));
    }
    let entries = |file: &CompoundFile<'_>| -> BTreeMap<String, read::compound::Entry> {
        std::iter::once(file.root().clone())
            .chain(file.entries().iter().cloned())
            .map(|entry| (shown_path(&entry.path), entry))
            .collect()
    };
    let (old_entries, new_entries) = (entries(&old_file), entries(&new_file));
    for (path, old_entry) in &old_entries {
        let Some(new_entry) = new_entries.get(path) else {
            continue;
        };
        let what = if path.is_empty() {
            "root storage"
        } else {
            path
        };
        if old_entry.kind == read::compound::EntryKind::Stream {
            if let (Ok(a), Ok(b)) = (old_file.read(old_entry), new_file.read(new_entry)) {
                if a != b {
                    found.push(format!(
                        "stream {what}'s bytes differ (its content reads the same)"
                    ));
                }
            }
        }
        if old_entry.clsid != new_entry.clsid {
            found.push(format!("{what}'s CLSID differs"));
        }
        if (old_entry.created, old_entry.modified) != (new_entry.created, new_entry.modified) {
            found.push(format!("{what}'s directory-entry times differ"));
        }
        if old_entry.state_bits != new_entry.state_bits {
            found.push(format!("{what}'s state bits differ"));
        }
    }
    if found.is_empty() {
        found.push("content and directory entries equal: only the placement of entries and sectors differs".into());
    }
    found
}

/// A compound-file path with stream names decoded as Windows Installer encodes them.
fn shown_path(path: &[String]) -> String {
    path.iter()
        .map(|part| read::decode_stream_name(part).0.replace('\u{5}', "\\005"))
        .collect::<Vec<_>>()
        .join("/")
}
