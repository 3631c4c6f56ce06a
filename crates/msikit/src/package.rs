//! Reads any MSI (ours, WiX's, wixl's, a vendor's) back into a generic view: every table with
//! its columns and rows, the summary information and the streams. Rules and the simulator
//! work on this view only, so they judge a package by its bytes, never by how it was built.
//!
//! The bytes are read by [`crate::read`], which never panics and checks every length against
//! the real data before allocating; its errors name the stream and the offset.

use crate::format::row::{Row, Table};
use crate::format::schema::{self, ColumnKind};
use crate::format::Cell;
use crate::read::{self, Input, StreamData};
use std::collections::BTreeMap;

/// Why a file could not be read as an MSI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("not a compound file (an MSI is an OLE compound document): {0}")]
    NotCompoundFile(String),
    #[error("not a Windows Installer package: {0}")]
    NotInstallerPackage(String),
    #[error("malformed package: {0}")]
    Malformed(String),
    #[error("table `{table}` cannot be read: {message}")]
    Table { table: String, message: String },
    #[error("stream `{stream}` cannot be read: {message}")]
    Stream { stream: String, message: String },
}

/// How a column stores its values: the format's own column kinds.
pub type ColumnType = ColumnKind;

/// One column as the package's `_Columns` and `_Validation` tables describe it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ColumnInfo {
    pub name: String,
    pub column_type: ColumnType,
    pub nullable: bool,
    pub primary_key: bool,
    /// The `_Validation` category (e.g. `Identifier`, `Formatted`), when present.
    pub category: Option<String>,
    /// `(table, 1-based column)` this column refers to, from `_Validation` (the `msi` crate
    /// keeps that to itself, so it is read from the `_Validation` rows).
    pub foreign_key: Option<(String, i32)>,
}

/// One table: columns and rows, in the package's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableView {
    pub name: String,
    pub columns: Vec<ColumnInfo>,
    pub rows: Vec<Vec<Cell>>,
}

impl TableView {
    /// The index of a column by name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }
}

/// A whole package as read from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageView {
    pub database_codepage: i32,
    /// Empty when the package has no summary information stream.
    pub summary: read::Summary,
    pub tables: BTreeMap<String, TableView>,
    /// Binary streams beside the tables (cabinets, Binary table data), by name; large ones
    /// of a package read from a file stay there ([`open`]).
    pub streams: BTreeMap<String, StreamData<'static>>,
    /// `\005DigitalSignature` is present (not checked for validity here).
    pub has_signature: bool,
}

impl PackageView {
    /// Rows of `table` as typed rows (none when the package has no such table), each column
    /// found by its name in the package's own `_Columns`.
    pub fn rows<'a, R: Row + 'a>(&'a self, table: &Table<R>) -> impl Iterator<Item = R> + 'a {
        self.tables
            .get(table.name())
            .map(|view| {
                (
                    view,
                    table.reader(view.columns.iter().map(|c| c.name.as_str())),
                )
            })
            .into_iter()
            .flat_map(|(view, reader)| view.rows.iter().map(move |cells| reader.read(cells)))
    }

    /// A Property table value.
    pub fn property(&self, name: &str) -> Option<String> {
        self.rows(&schema::PROPERTY)
            .find(|row| row.property == name)
            .map(|row| row.value)
    }

    /// Whether the Template says the package is 64-bit.
    pub fn is_64bit(&self) -> bool {
        matches!(
            self.summary.platform(),
            Some("x64" | "Intel64" | "Arm64" | "AMD64")
        )
    }
}

/// Reads an MSI from its bytes.
///
/// # Errors
/// A [`ReadError`] naming what is wrong: not a compound file, not an installer database, a
/// table or stream that cannot be read (with the offset).
pub fn read(bytes: &[u8]) -> Result<PackageView, ReadError> {
    check_compound_file(bytes)?;
    from_database(read::read(bytes).map_err(classify)?)
}

/// [`read`] over any input: from a file, the tables are read and large streams left there
/// until they are used, so memory holds the tables, not the package.
pub fn open(input: Input<'static>) -> Result<PackageView, ReadError> {
    let start = input
        .bytes_at(0, input.len().min(512) as usize)
        .map_err(|error| ReadError::Malformed(error.to_string()))?;
    check_compound_file(&start)?;
    from_database(read::open(input).map_err(classify)?)
}

/// The view of a database already read (and perhaps transformed, [`crate::transform`]).
///
/// # Errors
/// [`ReadError::NotInstallerPackage`] when the root storage is not an installer package's.
pub fn from_database(database: read::Database<'_>) -> Result<PackageView, ReadError> {
    if database.root_clsid != INSTALLER_CLSID {
        return Err(ReadError::NotInstallerPackage(format!(
            "the root storage's CLSID is {{{}}}, not an installer package's {{{}}}",
            database.root_clsid.hyphenated(),
            INSTALLER_CLSID.hyphenated()
        )));
    }
    // Moved, not copied: a package's tables are most of what reading it holds.
    let mut tables: BTreeMap<String, TableView> = database
        .tables
        .into_iter()
        .filter(|table| table.name != "_Tables" && table.name != "_Columns")
        .map(|table| (table.name.clone(), table_view(table)))
        .collect();
    attach_validation(&mut tables);
    let has_signature = database.streams.contains_key(SIGNATURE_STREAM);
    let streams = database
        .streams
        .into_iter()
        // The summary and the signatures are not the package's data streams.
        .filter(|(name, _)| !name.starts_with('\u{5}'))
        .map(|(name, data)| (name, data.into_owned()))
        .collect();
    Ok(PackageView {
        database_codepage: database.codepage as i32,
        summary: database.summary.unwrap_or_default(),
        tables,
        streams,
        has_signature,
    })
}

const SIGNATURE_STREAM: &str = "\u{5}DigitalSignature";

/// The root storage's CLSID in an installer package; transforms and patches have others.
const INSTALLER_CLSID: uuid::Uuid =
    uuid::Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);

fn check_compound_file(bytes: &[u8]) -> Result<(), ReadError> {
    let signature = crate::compound::SIGNATURE;
    let cut_signature = bytes.len() < 8 && signature.starts_with(bytes);
    if bytes.len() < 512 && (cut_signature || bytes.starts_with(&signature)) {
        // It begins as a compound file does: truncated, not something else.
        return Err(ReadError::NotCompoundFile(format!(
            "truncated: {} bytes, shorter than the 512-byte compound-file header",
            bytes.len()
        )));
    }
    if bytes.len() < 8 || bytes[..8] != signature {
        return Err(ReadError::NotCompoundFile(format!(
            "{} bytes without the compound-file signature D0 CF 11 E0 A1 B1 1A E1",
            bytes.len()
        )));
    }
    Ok(())
}

/// The reader's error as this view's: tables and streams by name, the rest as malformed.
fn classify(error: read::ReadError) -> ReadError {
    let message = format!("byte {}: {}", error.offset, error.reason);
    match error.place {
        // A compound file without a string pool holds no tables at all.
        read::Place::Stream(stream) if stream == "_StringPool" || stream == "_StringData" => {
            ReadError::NotInstallerPackage(format!("stream {stream:?}: {}", error.reason))
        }
        read::Place::Table(table) => ReadError::Table { table, message },
        read::Place::Stream(stream) => ReadError::Stream { stream, message },
        _ => ReadError::Malformed(error.to_string()),
    }
}

fn table_view(table: read::Table) -> TableView {
    let columns = table
        .columns
        .iter()
        .map(|column| ColumnInfo {
            name: column.name.clone(),
            column_type: column.kind,
            nullable: column.nullable,
            primary_key: column.primary_key,
            category: None,
            foreign_key: None,
        })
        .collect();
    let rows = table
        .rows
        .into_iter()
        .map(|row| {
            // A new exact-sized row: collecting in place would keep the larger `Value` slots.
            let mut cells = Vec::with_capacity(row.len());
            cells.extend(row.into_iter().map(cell));
            cells
        })
        .collect();
    TableView {
        name: table.name,
        columns,
        rows,
    }
}

/// A stream cell holds its stream's name (`Binary.Key`), as a string.
fn cell(value: read::Value) -> Cell {
    match value {
        read::Value::Null => Cell::Null,
        read::Value::Int(number) => Cell::Int(number),
        read::Value::Str(text) | read::Value::Stream(text) => Cell::Str(text),
    }
}

/// Each column's category and foreign key, from the `_Validation` rows.
fn attach_validation(tables: &mut BTreeMap<String, TableView>) {
    let Some(validation) = tables.get("_Validation").cloned() else {
        return;
    };
    let index = |name| validation.column(name);
    let (Some(table), Some(column), Some(key_table), Some(key_column), Some(category)) = (
        index("Table"),
        index("Column"),
        index("KeyTable"),
        index("KeyColumn"),
        index("Category"),
    ) else {
        return;
    };
    for row in &validation.rows {
        let (Cell::Str(table), Cell::Str(column)) = (&row[table], &row[column]) else {
            continue;
        };
        let Some(info) = tables
            .get_mut(table)
            .and_then(|view| view.columns.iter_mut().find(|info| &info.name == column))
        else {
            continue;
        };
        if let Cell::Str(category) = &row[category] {
            info.category = Some(category.clone());
        }
        if let (Cell::Str(key_table), Cell::Int(key_column)) = (&row[key_table], &row[key_column]) {
            // KeyTable may list several tables separated by `;`; the first is the usual target.
            let first = key_table.split(';').next().unwrap_or_default();
            info.foreign_key = Some((first.to_string(), *key_column));
        }
    }
}
