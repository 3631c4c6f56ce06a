//! A database's tables and summary information as the compound-file streams Windows
//! Installer reads: one stream per table (column by column, rows sorted), the string pool
//! (`_StringPool`, `_StringData`), the system tables `_Tables`, `_Columns` and `_Validation`
//! (derived from `schema`, as the msi crate derives them), and `\u{5}SummaryInformation`.
//!
//! The msi crate writes the same format, but each table it creates or fills is read back and
//! rewritten whole: encoding here, in one pass, took a matrix build's table writing from about
//! 5 ms to a fraction of one. The crate still reads every package back in the tests and in
//! `verify`, so a mistake here is caught by an independent reader (msitools and Wine too).

use super::{Database, EncodeError, Summary};
use crate::format::bits::ColumnType;
use crate::format::schema::{self, ColumnKind, ColumnSchema};
use crate::format::{table_stream_name, Category, Cell, Codepage};
use rustc_hash::FxHasher;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// The stream holding the summary information (not a table: its name is not encoded).
pub const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

const CODEPAGE: Codepage = Codepage::WINDOWS_1252;
const LONG_STRING_REFS: u32 = 0x8000_0000;

/// A column as the system tables describe it.
struct Column {
    name: &'static str,
    kind: ColumnKind,
    category: Option<Category>,
    primary_key: bool,
    nullable: bool,
    localizable: bool,
    range: Option<(i32, i32)>,
    foreign_key: Option<(&'static str, i32)>,
    set: Option<String>,
}

impl Column {
    fn from_schema(column: &ColumnSchema) -> Column {
        Column {
            name: column.name,
            kind: column.kind,
            category: column.category,
            primary_key: column.primary_key,
            nullable: column.nullable,
            localizable: column.localizable,
            range: None,
            foreign_key: column.foreign_key,
            set: None,
        }
    }

    fn new(name: &'static str, kind: ColumnKind) -> Column {
        Column {
            name,
            kind,
            category: None,
            primary_key: false,
            nullable: false,
            localizable: false,
            range: None,
            foreign_key: None,
            set: None,
        }
    }

    /// The `_Columns` table's `Type`.
    fn bits(&self) -> i32 {
        let (kind, length) = match self.kind {
            ColumnKind::Int16 => (ColumnType::NONBINARY, 2),
            ColumnKind::Int32 => (ColumnType::empty(), 4),
            ColumnKind::Str(length) => (ColumnType::STRING | ColumnType::NONBINARY, length as i32),
            // A stream column: its data is the stream `Table.Key`.
            ColumnKind::Binary => (ColumnType::STRING, 0),
        };
        let mut bits = ColumnType::VALID | kind;
        bits.set(ColumnType::LOCALIZABLE, self.localizable);
        bits.set(ColumnType::NULLABLE, self.nullable);
        bits.set(ColumnType::PRIMARY_KEY, self.primary_key);
        bits.bits() | length
    }

    /// Why `cell` cannot be stored in this column, if it cannot (the checks the msi crate
    /// makes on insert).
    fn refuses(&self, value: Value) -> Option<CellProblem> {
        match (value, self.kind) {
            (Value::Null, _) if self.nullable => None,
            (Value::Null, _) => Some(CellProblem::Null),
            (Value::Int(value), ColumnKind::Int16 | ColumnKind::Int32) => {
                let (min, max) = match self.kind {
                    ColumnKind::Int16 => (i32::from(i16::MIN) + 1, i32::from(i16::MAX)),
                    _ => (i32::MIN + 1, i32::MAX),
                };
                let (min, max) = self
                    .range
                    .map_or((min, max), |(a, b)| (a.max(min), b.min(max)));
                (value < min || value > max).then_some(CellProblem::OutOfRange(value))
            }
            (Value::Str(text), ColumnKind::Str(length)) => {
                // Bytes bound characters: counted only when the bytes are too many.
                if length > 0 && text.len() > length && text.chars().count() > length {
                    return Some(CellProblem::TooLong {
                        text: text.to_string(),
                        length,
                    });
                }
                match self.category {
                    Some(category) if !category.accepts(text) => Some(CellProblem::NotInCategory {
                        text: text.to_string(),
                        category,
                    }),
                    _ => None,
                }
            }
            (Value::Str(_), ColumnKind::Binary) => None,
            _ => Some(CellProblem::WrongType),
        }
    }
}

/// Why a column refuses a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CellProblem {
    #[error("null in a column that is not nullable")]
    Null,
    #[error("{0} is out of range")]
    OutOfRange(i32),
    #[error("{text:?} is longer than {length} characters")]
    TooLong { text: String, length: usize },
    #[error("{text:?} is not a valid {category}")]
    NotInCategory { text: String, category: Category },
    #[error("a value of the wrong type")]
    WrongType,
}

/// A cell as the encoder sees it: strings borrowed from the database or the schema, so that
/// the system tables (most of a package's cells) allocate no string of their own.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value<'a> {
    Null,
    Int(i32),
    Str(&'a str),
}

impl<'a> From<&'a Cell> for Value<'a> {
    fn from(cell: &'a Cell) -> Value<'a> {
        match cell {
            Cell::Null => Value::Null,
            Cell::Int(value) => Value::Int(*value),
            Cell::Str(text) => Value::Str(text),
        }
    }
}

/// A table to encode: its name, columns and rows (row after row, `columns.len()` values
/// each).
struct Table<'a> {
    name: &'static str,
    columns: &'a [Column],
    values: Vec<Value<'a>>,
    /// Whether the rows come from the database and must be checked against the columns (the
    /// system tables are derived here from the schema).
    checked: bool,
}

impl<'a> Table<'a> {
    fn rows(&self) -> std::slice::ChunksExact<'_, Value<'a>> {
        self.values.chunks_exact(self.columns.len().max(1))
    }
}

fn validation_columns() -> Vec<Column> {
    let categories: Vec<&str> = Category::ALL.iter().map(|c| c.name()).collect();
    let id = |name, length| Column {
        category: Some(Category::Identifier),
        ..Column::new(name, ColumnKind::Str(length))
    };
    let text = |name| Column {
        category: Some(Category::Text),
        nullable: true,
        ..Column::new(name, ColumnKind::Str(255))
    };
    let int = |name, kind, range| Column {
        nullable: true,
        range: Some(range),
        ..Column::new(name, kind)
    };
    vec![
        Column {
            primary_key: true,
            ..id("Table", 32)
        },
        Column {
            primary_key: true,
            ..id("Column", 32)
        },
        Column {
            set: Some("Y;N".into()),
            ..Column::new("Nullable", ColumnKind::Str(4))
        },
        int("MinValue", ColumnKind::Int32, (-0x7fff_ffff, 0x7fff_ffff)),
        int("MaxValue", ColumnKind::Int32, (-0x7fff_ffff, 0x7fff_ffff)),
        Column {
            nullable: true,
            ..id("KeyTable", 255)
        },
        int("KeyColumn", ColumnKind::Int16, (1, 32)),
        Column {
            nullable: true,
            set: Some(categories.join(";")),
            ..Column::new("Category", ColumnKind::Str(32))
        },
        text("Set"),
        text("Description"),
    ]
}

/// The `_Validation` rows describing `columns` of `table`, appended to `values`.
fn push_validation_rows<'a>(
    table: &'static str,
    columns: &'a [Column],
    category_names: &'a [(Category, String)],
    values: &mut Vec<Value<'a>>,
) {
    for column in columns {
        let (min, max) = match column.range {
            Some((min, max)) => (Value::Int(min), Value::Int(max)),
            None => (Value::Null, Value::Null),
        };
        let (key_table, key_column) = match column.foreign_key {
            Some((table, column)) => (Value::Str(table), Value::Int(column)),
            None => (Value::Null, Value::Null),
        };
        let category = column.category.map_or(Value::Null, |category| {
            let name = category_names.iter().find(|(c, _)| *c == category);
            name.map_or(Value::Null, |(_, name)| Value::Str(name))
        });
        values.extend([
            Value::Str(table),
            Value::Str(column.name),
            Value::Str(if column.nullable { "Y" } else { "N" }),
            min,
            max,
            key_table,
            key_column,
            category,
            column.set.as_deref().map_or(Value::Null, Value::Str),
            Value::Null,
        ]);
    }
}

/// The string pool: each distinct string once, with how many cells refer to it (shared with
/// the transform writer, whose pool is its own).
pub(crate) struct StringPool<'a> {
    ids: HashMap<&'a str, u32, BuildHasherDefault<FxHasher>>,
    /// By id - 1.
    strings: Vec<(&'a str, u32)>,
}

impl<'a> StringPool<'a> {
    /// A pool for up to `strings` distinct strings without growing.
    pub(crate) fn with_capacity(strings: usize) -> StringPool<'a> {
        StringPool {
            ids: HashMap::with_capacity_and_hasher(strings, Default::default()),
            strings: Vec::with_capacity(strings),
        }
    }

    pub(crate) fn intern(&mut self, text: &'a str) -> u32 {
        let next = self.strings.len() as u32 + 1;
        let id = *self.ids.entry(text).or_insert(next);
        if id == next {
            self.strings.push((text, 0));
        }
        self.strings[id as usize - 1].1 += 1;
        id
    }

    /// Whether ids need 3 bytes in table streams.
    pub(crate) fn needs_long_refs(&self) -> bool {
        self.strings.len() >= usize::from(u16::MAX)
    }

    /// `_StringPool` and `_StringData`.
    fn encode(&self, long_refs: bool) -> Result<(Vec<u8>, Vec<u8>), EncodeError> {
        self.encode_in(CODEPAGE, long_refs)
    }

    /// `_StringPool` and `_StringData`, the strings in `codepage`.
    pub(crate) fn encode_in(
        &self,
        codepage: Codepage,
        long_refs: bool,
    ) -> Result<(Vec<u8>, Vec<u8>), EncodeError> {
        let mut header = u32::from(codepage.0);
        if long_refs {
            header |= LONG_STRING_REFS;
        }
        let mut pool = Vec::with_capacity(4 + 4 * self.strings.len());
        pool.extend_from_slice(&header.to_le_bytes());
        let mut data = Vec::new();
        for (text, references) in &self.strings {
            let start = data.len();
            if text.is_ascii() {
                // ASCII is the same in code page 1252.
                data.extend_from_slice(text.as_bytes());
            } else {
                data.extend_from_slice(&codepage.encode(text));
            }
            let length = data.len() - start;
            let references = u16::try_from(*references)
                .map_err(|_| EncodeError::TooManyReferences(text.to_string()))?;
            match u16::try_from(length) {
                Ok(length) => pool.extend_from_slice(&length.to_le_bytes()),
                // A longer string: length 0, then the length in the next 4 bytes.
                Err(_) => pool.extend_from_slice(&0u16.to_le_bytes()),
            }
            pool.extend_from_slice(&references.to_le_bytes());
            if length > usize::from(u16::MAX) {
                pool.extend_from_slice(&(length as u32).to_le_bytes());
            }
        }
        Ok((pool, data))
    }
}

/// `_Tables`' and `_Columns`' columns.
fn system_columns() -> (Vec<Column>, Vec<Column>) {
    let tables = vec![Column {
        primary_key: true,
        ..Column::new("Name", ColumnKind::Str(64))
    }];
    let columns = vec![
        Column {
            primary_key: true,
            ..Column::new("Table", ColumnKind::Str(64))
        },
        Column {
            primary_key: true,
            ..Column::new("Number", ColumnKind::Int16)
        },
        Column::new("Name", ColumnKind::Str(64)),
        Column::new("Type", ColumnKind::Int16),
    ];
    (tables, columns)
}

/// A table the system tables describe: its name, columns, and the database's rows (none for
/// `_Validation`, whose rows are made here).
type Described<'a> = (&'static str, Vec<Column>, Option<&'a [Vec<Cell>]>);

/// Every table of `db` (system tables included) and its summary information, as streams by
/// compound-file name.
pub fn encode(db: &Database) -> Result<Vec<(String, Vec<u8>)>, EncodeError> {
    let mut described: Vec<Described> = Vec::new();
    for (&name, rows) in &db.tables {
        let table = schema::table(name).ok_or_else(|| EncodeError::NoSchema(name.to_string()))?;
        let columns = table.columns.iter().map(Column::from_schema).collect();
        described.push((table.name, columns, Some(rows)));
    }
    described.push(("_Validation", validation_columns(), None));
    described.sort_by_key(|(name, _, _)| *name);
    let category_names: Vec<(Category, String)> = described
        .iter()
        .flat_map(|(_, columns, _)| columns.iter().filter_map(|c| c.category))
        .fold(Vec::new(), |mut names, category| {
            if !names.iter().any(|(c, _)| *c == category) {
                names.push((category, category.to_string()));
            }
            names
        });
    let mut validation_values = Vec::new();
    let mut tables_values = Vec::new();
    let mut columns_values = Vec::new();
    for (name, columns, _) in &described {
        tables_values.push(Value::Str(name));
        for (index, column) in columns.iter().enumerate() {
            columns_values.extend([
                Value::Str(name),
                Value::Int(index as i32 + 1),
                Value::Str(column.name),
                Value::Int(column.bits()),
            ]);
        }
        push_validation_rows(name, columns, &category_names, &mut validation_values);
    }
    let (tables_columns, columns_columns) = system_columns();
    let mut tables: Vec<Table> = described
        .iter()
        .map(|(name, columns, rows)| Table {
            name,
            columns,
            values: match rows {
                Some(rows) => rows.iter().flatten().map(Value::from).collect(),
                None => std::mem::take(&mut validation_values),
            },
            checked: rows.is_some(),
        })
        .collect();
    tables.push(Table {
        name: "_Tables",
        columns: &tables_columns,
        values: tables_values,
        checked: false,
    });
    tables.push(Table {
        name: "_Columns",
        columns: &columns_columns,
        values: columns_values,
        checked: false,
    });
    for (table, (_, _, rows)) in tables.iter().zip(&described) {
        check_rows(table, rows.unwrap_or_default())?;
    }

    // Strings get their ids in the order the tables are written, so the same tables give the
    // same pool.
    let mut pool = StringPool::with_capacity(tables.iter().map(|t| t.values.len()).sum());
    let ids: Vec<Vec<u32>> = tables
        .iter()
        .map(|table| {
            table
                .values
                .iter()
                .zip(table.columns.iter().cycle())
                .map(|(value, column)| match column.kind {
                    // The cell names the stream; the table stores 1 (as Windows
                    // Installer's own packages do), not a string.
                    ColumnKind::Binary => BINARY_PRESENT,
                    _ => value_id(*value, &mut pool),
                })
                .collect()
        })
        .collect();
    let long_refs = pool.needs_long_refs();
    let mut streams = Vec::with_capacity(tables.len() + 3);
    for (table, ids) in tables.iter().zip(ids) {
        if let Some(data) = encode_table(table, ids, long_refs)? {
            streams.push((table_stream_name(table.name), data));
        }
    }
    let (string_pool, string_data) = pool.encode(long_refs)?;
    streams.push((table_stream_name("_StringPool"), string_pool));
    streams.push((table_stream_name("_StringData"), string_data));
    streams.push((SUMMARY_STREAM.to_string(), summary_information(&db.summary)));
    Ok(streams)
}

/// Every row of a database table has one value per column, each one the column accepts.
fn check_rows(table: &Table, rows: &[Vec<Cell>]) -> Result<(), EncodeError> {
    if !table.checked {
        return Ok(());
    }
    for row in rows {
        if row.len() != table.columns.len() {
            return Err(EncodeError::RowWidth {
                table: table.name,
                values: row.len(),
                columns: table.columns.len(),
            });
        }
    }
    for row in table.rows() {
        for (column, value) in table.columns.iter().zip(row) {
            if let Some(problem) = column.refuses(*value) {
                return Err(EncodeError::RefusedCell {
                    table: table.name,
                    column: column.name,
                    problem,
                });
            }
        }
    }
    Ok(())
}

/// What a stream column stores for a row that has its stream.
const BINARY_PRESENT: u32 = 1;

/// A value as stored: a string's id (0 for null), or an integer (not yet offset).
fn value_id<'a>(value: Value<'a>, pool: &mut StringPool<'a>) -> u32 {
    match value {
        Value::Null => 0,
        Value::Int(value) => value as u32,
        Value::Str(text) => pool.intern(text),
    }
}

/// The table's stream: rows sorted by their stored values (as Windows Installer expects),
/// then written column by column. `None` for a table without rows (no stream).
fn encode_table(
    table: &Table,
    ids: Vec<u32>,
    long_refs: bool,
) -> Result<Option<Vec<u8>>, EncodeError> {
    let width = table.columns.len();
    if ids.is_empty() || width == 0 {
        return Ok(None);
    }
    // Stored values: strings by id, integers offset so that unsigned order is numeric order,
    // null as 0 (before every value).
    let stored: Vec<u32> = ids
        .into_iter()
        .zip(&table.values)
        .zip(table.columns.iter().cycle())
        .map(|((id, value), column)| match (value, column.kind) {
            (Value::Int(_), ColumnKind::Int16) => u32::from((id as u16) ^ 0x8000),
            (Value::Int(_), _) => id ^ 0x8000_0000,
            _ => id,
        })
        .collect();
    let row = |index: usize| &stored[index * width..(index + 1) * width];
    let mut order: Vec<usize> = (0..stored.len() / width).collect();
    order.sort_by(|&a, &b| row(a).cmp(row(b)));
    let same_key = |a: usize, b: usize| {
        table
            .columns
            .iter()
            .zip(row(a).iter().zip(row(b)))
            .all(|(column, (x, y))| !column.primary_key || x == y)
    };
    if order.windows(2).any(|pair| same_key(pair[0], pair[1])) {
        return Err(EncodeError::DuplicateKey(table.name));
    }
    let cell_size = match long_refs {
        true => 4,
        false => 2,
    };
    let mut data = Vec::with_capacity(stored.len() * cell_size);
    for (index, column) in table.columns.iter().enumerate() {
        for &row in &order {
            let value = stored[row * width + index];
            match column.kind {
                ColumnKind::Int16 => data.extend_from_slice(&(value as u16).to_le_bytes()),
                ColumnKind::Int32 => data.extend_from_slice(&value.to_le_bytes()),
                ColumnKind::Str(_) if long_refs => {
                    data.extend_from_slice(&value.to_le_bytes()[..3])
                }
                ColumnKind::Str(_) | ColumnKind::Binary => {
                    data.extend_from_slice(&(value as u16).to_le_bytes())
                }
            }
        }
    }
    Ok(Some(data))
}

/// One summary property's value as stored.
pub(crate) enum Property {
    I2(i16),
    I4(i32),
    /// Text already in the set's codepage.
    Text(Vec<u8>),
    FileTime(u64),
}

/// The `\u{5}SummaryInformation` property set (codepage 1252).
fn summary_information(summary: &Summary) -> Vec<u8> {
    use crate::format::summary::{self as format, id};
    use Property as Value;
    let text = |s: &str| Value::Text(CODEPAGE.encode(s));
    let time = format::filetime(summary.timestamp);
    let properties: [(u32, Value); 14] = [
        (id::CODEPAGE, Value::I2(CODEPAGE.0 as i16)),
        (id::TITLE, text(&summary.title)),
        (id::SUBJECT, text(&summary.subject)),
        (id::AUTHOR, text(&summary.author)),
        (
            id::KEYWORDS,
            text(&summary.keywords.join(format::KEYWORD_SEPARATOR)),
        ),
        (id::COMMENTS, text(&summary.comments)),
        (
            id::TEMPLATE,
            text(&format::template(&summary.platform, summary.language)),
        ),
        (
            id::REVISION,
            text(&crate::format::guid_text(summary.package_code)),
        ),
        (id::CREATED, Value::FileTime(time)),
        (id::LAST_SAVED, Value::FileTime(time)),
        (id::PAGE_COUNT, Value::I4(summary.page_count)),
        (id::WORD_COUNT, Value::I4(summary.word_count)),
        (
            id::CREATING_APPLICATION,
            text(&summary.creating_application),
        ),
        (id::SECURITY, Value::I4(summary.security)),
    ];
    property_set(&properties)
}

/// A property set ([MS-OLEPS]) with one section, the summary properties', holding
/// `properties` in the order given.
pub(crate) fn property_set(properties: &[(u32, Property)]) -> Vec<u8> {
    use crate::format::summary as format;
    use Property as Value;
    let mut values = Vec::new();
    let mut offsets = Vec::new();
    let table_size = 8 + 8 * properties.len();
    for (id, value) in properties {
        offsets.push((*id, (table_size + values.len()) as u32));
        match value {
            Value::I2(v) => {
                values.extend_from_slice(&format::vt::I2.to_le_bytes());
                values.extend_from_slice(&v.to_le_bytes());
                values.extend_from_slice(&[0, 0]);
            }
            Value::I4(v) => {
                values.extend_from_slice(&format::vt::I4.to_le_bytes());
                values.extend_from_slice(&v.to_le_bytes());
            }
            Value::Text(bytes) => {
                values.extend_from_slice(&format::vt::LPSTR.to_le_bytes());
                values.extend_from_slice(&(bytes.len() as u32 + 1).to_le_bytes());
                values.extend_from_slice(bytes);
                values.push(0);
                while !values.len().is_multiple_of(4) {
                    values.push(0);
                }
            }
            Value::FileTime(v) => {
                values.extend_from_slice(&format::vt::FILETIME.to_le_bytes());
                values.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let mut out = Vec::with_capacity(48 + table_size + values.len());
    out.extend_from_slice(&0xFFFEu16.to_le_bytes()); // byte order
    out.extend_from_slice(&0u16.to_le_bytes()); // format version
    out.extend_from_slice(&10u16.to_le_bytes()); // OS version
    out.extend_from_slice(&2u16.to_le_bytes()); // Win32
    out.extend_from_slice(&[0; 16]); // CLSID
    out.extend_from_slice(&1u32.to_le_bytes()); // one section
    out.extend_from_slice(&format::FMTID.to_bytes_le());
    out.extend_from_slice(&48u32.to_le_bytes());
    out.extend_from_slice(&((table_size + values.len()) as u32).to_le_bytes());
    out.extend_from_slice(&(properties.len() as u32).to_le_bytes());
    for (id, offset) in offsets {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&offset.to_le_bytes());
    }
    out.extend_from_slice(&values);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::tests::sample;
    use msi::{CodePage, Insert, Package, PackageType, Select, Value};
    use std::io::Cursor;

    fn database(platform: &str) -> Database {
        sample(platform)
    }

    /// The same database written by the msi crate alone (how packages were written before).
    fn written_by_the_msi_crate(db: &Database) -> Vec<u8> {
        let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new())).unwrap();
        package.set_database_codepage(CodePage::Windows1252);
        for (name, rows) in &db.tables {
            let table = schema::table(name).unwrap();
            let columns = table.columns.iter().map(to_msi_column).collect();
            package.create_table(table.name, columns).unwrap();
            let rows = rows
                .iter()
                .map(|row| {
                    row.iter()
                        .map(|cell| match cell {
                            Cell::Null => Value::Null,
                            Cell::Int(v) => Value::Int(*v),
                            Cell::Str(s) => Value::Str(s.clone()),
                        })
                        .collect()
                })
                .collect();
            package.insert_rows(Insert::into(*name).rows(rows)).unwrap();
        }
        let summary = &db.summary;
        let info = package.summary_info_mut();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(summary.timestamp);
        info.set_codepage(CodePage::Windows1252);
        info.set_title(summary.title.clone());
        info.set_subject(summary.subject.clone());
        info.set_author(summary.author.clone());
        info.set_keywords(&summary.keywords);
        info.set_comments(summary.comments.clone());
        info.set_arch(summary.platform.clone());
        info.set_languages(&[msi::LanguageId::from_id(summary.language)]);
        info.set_uuid(summary.package_code);
        info.set_page_count(summary.page_count);
        info.set_word_count(summary.word_count);
        info.set_creating_application(summary.creating_application.clone());
        info.set_doc_security(summary.security);
        info.set_creation_time(time);
        info.set_last_save_time(time);
        package.flush().unwrap();
        package.into_inner().unwrap().into_inner()
    }

    /// Every table (columns with their types, keys, categories, ranges, foreign keys; rows in
    /// stored order) and the summary information, as the msi crate reads them.
    fn read_back(bytes: &[u8]) -> Vec<String> {
        let mut package = Package::open(Cursor::new(bytes)).unwrap();
        let mut lines = Vec::new();
        let tables: Vec<(String, Vec<msi::Column>)> = package
            .tables()
            .map(|t| (t.name().to_string(), t.columns().to_vec()))
            .collect();
        for (name, columns) in tables {
            for column in &columns {
                lines.push(format!(
                    "{name}.{} {:?} key={} null={} loc={} {:?} {:?} {:?}",
                    column.name(),
                    column.coltype(),
                    column.is_primary_key(),
                    column.is_nullable(),
                    column.is_localizable(),
                    column.category(),
                    column.value_range(),
                    column.enum_values(),
                ));
            }
            // String ids differ between the two writers, and so does the stored row order.
            let mut rows: Vec<String> = package
                .select_rows(Select::table(&name))
                .unwrap()
                .map(|row| {
                    let cells: Vec<String> =
                        (0..row.len()).map(|i| format!("{}", row[i])).collect();
                    format!("{name}: {}", cells.join(" | "))
                })
                .collect();
            rows.sort();
            lines.extend(rows);
        }
        let info = package.summary_info();
        lines.push(format!(
            "{:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            info.codepage(),
            info.title(),
            info.subject(),
            info.author(),
            info.keywords(),
            info.comments(),
            info.arch(),
            info.languages(),
            info.uuid(),
            info.creating_application(),
            info.creation_time(),
            info.last_saved_time(),
            (info.page_count(), info.word_count(), info.doc_security()),
        ));
        lines
    }

    #[test]
    fn the_msi_crate_reads_back_what_it_would_have_written() {
        for target in ["x64", "Intel"] {
            let mut db = database(target);
            // The msi crate cannot insert a stream column's value as a row.
            db.tables.remove("Binary");
            db.streams.clear();
            let ours = crate::database::to_bytes(&db).unwrap();
            let theirs = written_by_the_msi_crate(&db);
            let (ours, theirs) = (read_back(&ours), read_back(&theirs));
            for (a, b) in ours.iter().zip(&theirs) {
                assert_eq!(a, b, "{target}");
            }
            assert_eq!(ours.len(), theirs.len(), "{target}");
        }
    }

    #[test]
    fn rows_are_stored_sorted_by_key_whatever_order_they_come_in() {
        let mut db = database("x64");
        db.tables.get_mut("Property").unwrap().reverse();
        let streams = encode(&db).unwrap();
        let (_, property) = streams
            .iter()
            .find(|(name, _)| *name == table_stream_name("Property"))
            .unwrap();
        let rows = db.tables["Property"].len();
        // The first column (the key) holds string ids, in ascending order.
        let keys: Vec<u16> = property[..2 * rows]
            .chunks(2)
            .map(|id| u16::from_le_bytes([id[0], id[1]]))
            .collect();
        assert!(keys.windows(2).all(|pair| pair[0] < pair[1]), "{keys:?}");
        assert!(
            streams == encode(&db).unwrap(),
            "the same tables give the same streams"
        );
    }

    #[test]
    fn invalid_cells_and_duplicate_keys_are_refused() {
        let mut db = database("x64");
        let rows = db.tables.get_mut("Property").unwrap();
        rows.push(rows[0].clone());
        assert_eq!(
            encode(&db).unwrap_err(),
            EncodeError::DuplicateKey("Property")
        );
        let mut db = database("x64");
        db.tables.get_mut("Property").unwrap()[0][0] = Cell::Null;
        let error = encode(&db).unwrap_err();
        assert!(
            matches!(
                &error,
                EncodeError::RefusedCell {
                    table: "Property",
                    column: "Property",
                    problem: CellProblem::Null
                }
            ),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "table Property, column Property: null in a column that is not nullable"
        );
        let mut db = database("x64");
        db.tables.get_mut("Property").unwrap()[0][0] = Cell::Str("not an identifier".into());
        let error = encode(&db).unwrap_err();
        assert!(
            matches!(
                &error,
                EncodeError::RefusedCell {
                    problem: CellProblem::NotInCategory {
                        category: Category::Identifier,
                        ..
                    },
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(error.to_string().contains("Identifier"), "{error}");
    }

    /// The `msi` crate's description of a schema column.
    fn to_msi_column(column: &ColumnSchema) -> msi::Column {
        let mut builder = msi::Column::build(column.name);
        if column.primary_key {
            builder = builder.primary_key();
        }
        if column.nullable {
            builder = builder.nullable();
        }
        if column.localizable {
            builder = builder.localizable();
        }
        if let Some((table, index)) = column.foreign_key {
            builder = builder.foreign_key(table, index);
        }
        if let Some(category) = column.category {
            builder = builder.category(category.name().parse().unwrap());
        }
        match column.kind {
            ColumnKind::Int16 => builder.int16(),
            ColumnKind::Int32 => builder.int32(),
            ColumnKind::Str(len) => builder.string(len),
            ColumnKind::Binary => builder.binary(),
        }
    }
}
