//! Reads any MSI (ours, WiX's, wixl's, a vendor's) back into a generic view: every table with
//! its columns and rows, the summary information and the streams. Rules and the simulator
//! work on this view only, so they judge a package by its bytes, never by how it was built.
//!
//! Malformed input is an error, never a panic: the `msi` crate unwraps values it assumes
//! well-formed (e.g. `_Columns` rows in `Package::open`), so every call into it runs under
//! `catch_unwind` and a panic there becomes [`ReadError::Malformed`].

use crate::format::Cell;
use std::collections::BTreeMap;
use std::io::{Cursor, Read};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

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

/// How a column stores its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColumnType {
    Int16,
    Int32,
    /// A string with its maximum length (0 = unlimited).
    Str(usize),
    Binary,
}

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

/// The summary information stream's properties that verification needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SummaryView {
    pub codepage: i32,
    pub title: Option<String>,
    pub subject: Option<String>,
    pub author: Option<String>,
    pub keywords: Vec<String>,
    pub comments: Option<String>,
    /// The platform half of Template (`Intel`, `x64`, `Arm64`…), when present.
    pub platform: Option<String>,
    /// Language tags of Template's language half (e.g. `en-US` for 1033).
    pub languages: Vec<String>,
    /// Revision number: the package code.
    pub package_code: Option<String>,
    pub page_count: Option<i32>,
    pub word_count: Option<i32>,
    pub creating_application: Option<String>,
}

/// A whole package as read from its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageView {
    pub database_codepage: i32,
    pub summary: SummaryView,
    pub tables: BTreeMap<String, TableView>,
    /// Binary streams beside the tables (cabinets, Binary table data), by name.
    pub streams: BTreeMap<String, Vec<u8>>,
    /// `\005DigitalSignature` is present (not checked for validity here).
    pub has_signature: bool,
}

/// Row cells of one column in a table, looked up by column name.
pub struct RowRef<'a> {
    table: &'a TableView,
    cells: &'a [Cell],
}

impl<'a> RowRef<'a> {
    /// The cell of column `name`, or `Null` when the table has no such column.
    pub fn get(&self, name: &str) -> &'a Cell {
        self.table
            .column(name)
            .and_then(|index| self.cells.get(index))
            .unwrap_or(&Cell::Null)
    }

    /// The text of column `name`; empty for null, integers or a missing column.
    pub fn text(&self, name: &str) -> &'a str {
        match self.get(name) {
            Cell::Str(text) => text,
            _ => "",
        }
    }

    /// The integer of column `name`, if it holds one.
    pub fn int(&self, name: &str) -> Option<i32> {
        match self.get(name) {
            Cell::Int(value) => Some(*value),
            _ => None,
        }
    }
}

impl PackageView {
    /// Rows of `table` (none when the package has no such table).
    pub fn rows<'a>(&'a self, table: &str) -> impl Iterator<Item = RowRef<'a>> + 'a {
        self.tables
            .get(table)
            .into_iter()
            .flat_map(|table| table.rows.iter().map(move |cells| RowRef { table, cells }))
    }

    /// A Property table value.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.rows("Property")
            .find(|row| row.text("Property") == name)
            .map(|row| row.text("Value"))
    }

    /// Whether the Template says the package is 64-bit.
    pub fn is_64bit(&self) -> bool {
        matches!(
            self.summary.platform.as_deref(),
            Some("x64" | "Intel64" | "Arm64" | "AMD64")
        )
    }
}

/// Reads an MSI from its bytes.
///
/// # Errors
/// A [`ReadError`] naming what is wrong: not a compound file, not an installer database, a
/// table or stream that cannot be read.
pub fn read(bytes: &[u8]) -> Result<PackageView, ReadError> {
    guarded("opening the package", || read_unguarded(bytes))?
}

/// Runs `work`, turning a panic inside the `msi`/`cfb` crates into an error.
pub(crate) fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Result<T, ReadError> {
    // The default hook would print a panic we handle; silence it meanwhile. The hook is
    // process-wide, so concurrent reads take turns, or one could restore another's silence.
    static HOOK_SWAP: Mutex<()> = Mutex::new(());
    let _turn = HOOK_SWAP
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    panic::set_hook(hook);
    result.map_err(|payload| {
        let detail = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        ReadError::Malformed(format!("{what}: inconsistent internal tables ({detail})"))
    })
}

fn read_unguarded(bytes: &[u8]) -> Result<PackageView, ReadError> {
    check_compound_file(bytes)?;
    let mut package = msi::Package::open(Cursor::new(bytes)).map_err(classify_open_error)?;
    let summary = summary_view(package.summary_info());
    let table_names: Vec<String> = package
        .tables()
        .map(|table| table.name().to_string())
        .filter(|name| name != "_Tables" && name != "_Columns")
        .collect();
    let mut tables = BTreeMap::new();
    for name in table_names {
        let table = read_table(&mut package, &name)?;
        tables.insert(name, table);
    }
    attach_foreign_keys(&mut tables);
    let stream_names: Vec<String> = package.streams().collect();
    let mut streams = BTreeMap::new();
    for name in stream_names {
        let data = read_stream(&mut package, &name)?;
        streams.insert(name, data);
    }
    Ok(PackageView {
        database_codepage: package.database_codepage().id(),
        summary,
        tables,
        streams,
        has_signature: package.has_digital_signature(),
    })
}

/// The compound-file signature: anything else is not an MSI at all.
const COMPOUND_FILE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn check_compound_file(bytes: &[u8]) -> Result<(), ReadError> {
    if bytes.len() < 512 || bytes[..8] != COMPOUND_FILE_MAGIC {
        return Err(ReadError::NotCompoundFile(format!(
            "{} bytes without the compound-file signature D0 CF 11 E0 A1 B1 1A E1",
            bytes.len()
        )));
    }
    Ok(())
}

fn classify_open_error(error: std::io::Error) -> ReadError {
    let message = error.to_string();
    if message.contains("CLSID") {
        ReadError::NotInstallerPackage(message)
    } else {
        ReadError::Malformed(message)
    }
}

fn read_table(
    package: &mut msi::Package<Cursor<&[u8]>>,
    name: &str,
) -> Result<TableView, ReadError> {
    let table_error = |message: String| ReadError::Table {
        table: name.to_string(),
        message,
    };
    let columns: Vec<ColumnInfo> = package
        .get_table(name)
        .ok_or_else(|| table_error("listed in _Tables but not readable".into()))?
        .columns()
        .iter()
        .map(column_info)
        .collect();
    let rows = package
        .select_rows(msi::Select::table(name))
        .map_err(|error| table_error(error.to_string()))?
        .map(|row| {
            let cells: Vec<Cell> = (0..row.len()).map(|index| cell(&row[index])).collect();
            (0..row.len())
                .map(|index| match &row[index] {
                    msi::Value::Binary => Cell::Str(stream_name(name, &columns, &cells)),
                    _ => cells[index].clone(),
                })
                .collect()
        })
        .collect();
    Ok(TableView {
        name: name.to_string(),
        columns,
        rows,
    })
}

fn attach_foreign_keys(tables: &mut BTreeMap<String, TableView>) {
    let Some(validation) = tables.get("_Validation").cloned() else {
        return;
    };
    let (Some(table), Some(column), Some(key_table), Some(key_column)) = (
        validation.column("Table"),
        validation.column("Column"),
        validation.column("KeyTable"),
        validation.column("KeyColumn"),
    ) else {
        return;
    };
    for row in &validation.rows {
        let (Cell::Str(table), Cell::Str(column), Cell::Str(key_table), Cell::Int(key_column)) =
            (&row[table], &row[column], &row[key_table], &row[key_column])
        else {
            continue;
        };
        let Some(info) = tables
            .get_mut(table)
            .and_then(|view| view.columns.iter_mut().find(|info| &info.name == column))
        else {
            continue;
        };
        // KeyTable may list several tables separated by `;`; the first is the usual target.
        let first = key_table.split(';').next().unwrap_or_default();
        info.foreign_key = Some((first.to_string(), *key_column));
    }
}

fn read_stream(
    package: &mut msi::Package<Cursor<&[u8]>>,
    name: &str,
) -> Result<Vec<u8>, ReadError> {
    let stream_error = |error: std::io::Error| ReadError::Stream {
        stream: name.to_string(),
        message: error.to_string(),
    };
    let mut data = Vec::new();
    package
        .read_stream(name)
        .map_err(stream_error)?
        .read_to_end(&mut data)
        .map_err(stream_error)?;
    Ok(data)
}

fn column_info(column: &msi::Column) -> ColumnInfo {
    ColumnInfo {
        name: column.name().to_string(),
        column_type: match column.coltype() {
            msi::ColumnType::Int16 => ColumnType::Int16,
            msi::ColumnType::Int32 => ColumnType::Int32,
            msi::ColumnType::Str(length) => ColumnType::Str(length),
            msi::ColumnType::Binary => ColumnType::Binary,
        },
        nullable: column.is_nullable(),
        primary_key: column.is_primary_key(),
        category: column.category().map(|category| category.to_string()),
        foreign_key: None,
    }
}

/// A binary cell's stream: `Table.Key` (keys joined by `.`), in `PackageView::streams`.
fn stream_name(table: &str, columns: &[ColumnInfo], cells: &[Cell]) -> String {
    let keys = columns
        .iter()
        .zip(cells)
        .filter(|(column, _)| column.primary_key);
    let mut name = table.to_string();
    for (_, key) in keys {
        name.push('.');
        match key {
            Cell::Str(text) => name.push_str(text),
            Cell::Int(number) => name.push_str(&number.to_string()),
            Cell::Null => {}
        }
    }
    name
}

fn cell(value: &msi::Value) -> Cell {
    match value {
        msi::Value::Null | msi::Value::Binary => Cell::Null,
        msi::Value::Int(number) => Cell::Int(*number),
        msi::Value::Str(text) => Cell::Str(text.clone()),
    }
}

fn summary_view(info: &msi::SummaryInfo) -> SummaryView {
    SummaryView {
        codepage: info.codepage().id(),
        title: info.title().map(str::to_string),
        subject: info.subject().map(str::to_string),
        author: info.author().map(str::to_string),
        keywords: info.keywords(),
        comments: info.comments().map(str::to_string),
        platform: info.arch().map(str::to_string),
        languages: info
            .languages()
            .iter()
            .map(|l| l.tag().to_string())
            .collect(),
        package_code: info
            .uuid()
            .map(|uuid| format!("{{{}}}", uuid.hyphenated()).to_ascii_uppercase()),
        page_count: info.page_count(),
        word_count: info.word_count(),
        creating_application: info.creating_application().map(str::to_string),
    }
}
