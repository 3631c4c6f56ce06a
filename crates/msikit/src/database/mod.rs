//! A whole MSI database as values (tables, summary information, streams) and its encoding
//! into the compound-file streams Windows Installer reads.

pub mod encode;

use crate::compound::{self, RootStream};
use crate::format::row::{read_row, Row, Table};
use crate::format::{encode_stream_name, Cell};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use uuid::Uuid;

/// Why a database cannot be encoded: a cell its column refuses, two rows with one key, a
/// stream name that does not fit. A bug in whatever built the database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("no schema for table {0}")]
    NoSchema(String),
    #[error("table {table}: a row of {values} values for {columns} columns")]
    RowWidth {
        table: &'static str,
        values: usize,
        columns: usize,
    },
    #[error("table {table}, column {column}: {problem}")]
    RefusedCell {
        table: &'static str,
        column: &'static str,
        problem: encode::CellProblem,
    },
    #[error("table {0}: two rows with the same key")]
    DuplicateKey(&'static str),
    #[error("{0:?} is referred to more than 65,535 times")]
    TooManyReferences(String),
    #[error("{0:?} is not a valid MSI stream name")]
    StreamName(String),
    #[error("two streams named {0:?}")]
    DuplicateStream(String),
}

/// The summary information stream's properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub title: String,
    pub subject: String,
    pub author: String,
    pub keywords: Vec<String>,
    pub comments: String,
    /// `Intel` or `x64`.
    pub platform: String,
    pub language: u16,
    pub package_code: Uuid,
    pub page_count: i32,
    pub word_count: i32,
    pub creating_application: String,
    pub security: i32,
    /// Seconds since the Unix epoch, for the creation and last-save times.
    pub timestamp: u64,
}

/// A whole MSI database before it becomes bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    pub tables: BTreeMap<&'static str, Vec<Vec<Cell>>>,
    /// Streams beside the tables, e.g. the embedded cabinet (shared by the packages that
    /// embed the same files).
    pub streams: BTreeMap<String, Arc<Vec<u8>>>,
    pub summary: Summary,
}

impl Database {
    /// Appends a row to `table`.
    pub fn insert<R: Row>(&mut self, table: &Table<R>, row: R) {
        self.tables
            .entry(table.name())
            .or_default()
            .push(row.into_cells());
    }

    /// The typed rows of `table`.
    pub fn table<'a, R: Row + 'a>(&'a self, table: &Table<R>) -> impl Iterator<Item = R> + 'a {
        self.rows(table.name()).iter().map(|cells| read_row(cells))
    }

    /// SHA-256 over every table row and stream (not the summary): equal content, equal digest.
    pub fn content_digest(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        for (name, data) in &self.streams {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            hasher.update((data.len() as u64).to_le_bytes());
            hasher.update(data.as_slice());
        }
        for (name, rows) in &self.tables {
            hasher.update(name.as_bytes());
            hasher.update([0]);
            for row in rows {
                for cell in row {
                    match cell {
                        Cell::Null => hasher.update([0]),
                        Cell::Int(value) => {
                            hasher.update([1]);
                            hasher.update(value.to_le_bytes());
                        }
                        Cell::Str(text) => {
                            hasher.update([2]);
                            hasher.update((text.len() as u64).to_le_bytes());
                            hasher.update(text.as_bytes());
                        }
                    }
                }
            }
        }
        hasher.finalize().into()
    }

    /// Rows of one table, for tests and dumps.
    pub fn rows(&self, table: &str) -> &[Vec<Cell>] {
        self.tables.get(table).map_or(&[], Vec::as_slice)
    }
}

/// A package's streams, ready to be written as a compound file: the tables and summary
/// information (small, encoded by `encode`) and the database's own streams (a cabinet can be
/// most of the package), borrowed, never copied.
#[derive(Debug)]
pub struct Contents<'a> {
    /// By compound-file name (encoded as Windows Installer encodes stream names).
    streams: BTreeMap<String, Cow<'a, [u8]>>,
}

/// The root storage's CLSID in an installer package, {000C1084-0000-0000-C000-000000000046}.
const INSTALLER_CLSID: Uuid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);

impl<'a> Contents<'a> {
    /// Every stream, by compound-file name, in name order.
    pub fn streams(&self) -> Vec<RootStream<'_>> {
        self.streams
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_ref()))
            .collect()
    }

    pub fn root_clsid(&self) -> Uuid {
        INSTALLER_CLSID
    }

    /// Adds (or replaces) a stream under its compound-file name, e.g. the signature.
    pub fn insert(&mut self, name: &str, data: Vec<u8>) {
        self.streams.insert(name.to_string(), Cow::Owned(data));
    }

    /// The size of the file `write` writes.
    pub fn size(&self) -> u64 {
        compound::v3_size(&self.streams())
    }

    /// Writes the package as a compound file version 3 (512-byte sectors), the format Windows
    /// Installer itself writes and that Windows, Wine, msitools and osslsigncode all read.
    pub fn write(&self, out: impl Write) -> std::io::Result<()> {
        compound::write_v3(INSTALLER_CLSID, &self.streams(), out)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.size() as usize);
        self.write(&mut bytes)
            .expect("writing into memory cannot fail");
        bytes
    }
}

/// `db`'s streams: its tables and summary encoded, its own streams as they are.
pub fn contents(db: &Database) -> Result<Contents<'_>, EncodeError> {
    let mut streams = BTreeMap::new();
    let tables = encode::encode(db)?;
    for (name, data) in tables {
        streams.insert(name, Cow::Owned(data));
    }
    for (name, data) in &db.streams {
        let encoded =
            encode_stream_name(name).ok_or_else(|| EncodeError::StreamName(name.clone()))?;
        if streams.contains_key(&encoded) {
            return Err(EncodeError::DuplicateStream(name.clone()));
        }
        streams.insert(encoded, Cow::Borrowed(data.as_slice()));
    }
    Ok(Contents { streams })
}

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>, EncodeError> {
    Ok(contents(db)?.to_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::format::bits::ComponentAttributes;
    use crate::format::schema;

    /// A small database over most tables, with nulls, integers, a non-ASCII string, a 64-bit
    /// component and a Binary row with its stream: what the encoder tests and readers share.
    pub(crate) fn sample(platform: &str) -> Database {
        let mut db = Database {
            tables: BTreeMap::new(),
            streams: BTreeMap::new(),
            summary: Summary {
                title: "Installation Database".into(),
                subject: "Sample".into(),
                author: "Contoso".into(),
                keywords: vec!["Installer".into(), "sample".into()],
                comments: "Sample comments".into(),
                platform: platform.into(),
                language: 1033,
                package_code: Uuid::from_u128(0x1234),
                page_count: 200,
                word_count: 2,
                creating_application: "msikit".into(),
                security: 2,
                timestamp: 1_704_067_200,
            },
        };
        let text = |text: &str| text.to_string();
        let some = |value: &str| Some(value.to_string());
        for (property, value) in [
            ("ProductName", "Sample Qué"),
            ("ProductCode", "{8E3C2A5B-0000-4000-8000-000000000001}"),
            ("ALLUSERS", "1"),
        ] {
            db.insert(
                &schema::PROPERTY,
                schema::Property {
                    property: text(property),
                    value: text(value),
                },
            );
        }
        for (directory, parent, default_dir) in [
            ("TARGETDIR", None, "SourceDir"),
            ("INSTALLDIR", some("TARGETDIR"), "Sample"),
        ] {
            db.insert(
                &schema::DIRECTORY,
                schema::Directory {
                    directory: text(directory),
                    parent,
                    default_dir: text(default_dir),
                },
            );
        }
        db.insert(
            &schema::FEATURE,
            schema::Feature {
                feature: text("Main"),
                parent: None,
                title: some("Main"),
                description: None,
                display: Some(1),
                level: 1,
                directory: None,
                attributes: 0,
            },
        );
        db.insert(
            &schema::COMPONENT,
            schema::Component {
                component: text("Reg"),
                component_id: some("{8E3C2A5B-0000-4000-8000-000000000002}"),
                directory: text("INSTALLDIR"),
                attributes: ComponentAttributes::from_bits_retain(0x104),
                condition: None,
                key_path: some("RegValue"),
            },
        );
        db.insert(
            &schema::FEATURE_COMPONENTS,
            schema::FeatureComponent {
                feature: text("Main"),
                component: text("Reg"),
            },
        );
        for (registry, root, key, name, value) in [
            ("RegValue", 2, "SOFTWARE\\Contoso", "Enabled", some("#1")),
            ("RegKey", -1, "SOFTWARE\\Contoso\\Sub", "+", None),
        ] {
            db.insert(
                &schema::REGISTRY,
                schema::Registry {
                    registry: text(registry),
                    root,
                    key: text(key),
                    name: some(name),
                    value,
                    component: text("Reg"),
                },
            );
        }
        db.insert(
            &schema::BINARY,
            schema::Binary {
                name: text("Tool"),
                data: text("Tool"),
            },
        );
        db.insert(
            &schema::CUSTOM_ACTION,
            schema::CustomAction {
                action: text("RunTool"),
                action_type: 0xC02,
                source: some("Tool"),
                target: some("--quiet"),
            },
        );
        for (action, condition, sequence) in [
            ("InstallFinalize", None, 6600),
            ("RunTool", some("NOT Installed"), 6000),
        ] {
            db.insert(
                &schema::INSTALL_EXECUTE_SEQUENCE,
                schema::SequenceAction {
                    action: text(action),
                    condition,
                    sequence: Some(sequence),
                },
            );
        }
        db.insert(
            &schema::LAUNCH_CONDITION,
            schema::LaunchCondition {
                condition: text("VersionNT >= 601"),
                description: text("Needs Windows 7 [ProductName]"),
            },
        );
        db.streams
            .insert("Binary.Tool".into(), Arc::new(b"MZ tool".to_vec()));
        db
    }
}
