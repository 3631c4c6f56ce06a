//! A database's tables and summary information as the compound-file streams Windows
//! Installer reads: one stream per table (column by column, rows sorted), the string pool
//! (`_StringPool`, `_StringData`), the system tables `_Tables`, `_Columns` and `_Validation`
//! (derived from `schema`, as the msi crate derives them), and `\u{5}SummaryInformation`.
//!
//! The msi crate writes the same format, but each table it creates or fills is read back and
//! rewritten whole: encoding here, in one pass, took a matrix build's table writing from about
//! 5 ms to a fraction of one. The crate still reads every package back in the tests and in
//! `verify`, so a mistake here is caught by an independent reader (msitools and Wine too).

use crate::bind::{Cell, Database, Summary};
use crate::schema::{self, ColumnKind, ColumnSchema};
use msi::{Category, CodePage};
use std::collections::HashMap;

/// The stream holding the summary information (not a table: its name is not encoded).
pub const SUMMARY_STREAM: &str = "\u{5}SummaryInformation";

const CODEPAGE: CodePage = CodePage::Windows1252;
const LONG_STRING_REFS: u32 = 0x8000_0000;

const COL_VALID: i32 = 0x100;
const COL_LOCALIZABLE: i32 = 0x200;
const COL_NONBINARY: i32 = 0x400;
const COL_STRING: i32 = 0x800;
const COL_NULLABLE: i32 = 0x1000;
const COL_PRIMARY_KEY: i32 = 0x2000;

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
        let mut bits = COL_VALID
            | match self.kind {
                ColumnKind::Int16 => 0x2 | COL_NONBINARY,
                ColumnKind::Int32 => 0x4,
                ColumnKind::Str(length) => COL_STRING | COL_NONBINARY | length as i32,
                // A stream column: its data is the stream `Table.Key`.
                ColumnKind::Binary => COL_STRING,
            };
        if self.localizable {
            bits |= COL_LOCALIZABLE;
        }
        if self.nullable {
            bits |= COL_NULLABLE;
        }
        if self.primary_key {
            bits |= COL_PRIMARY_KEY;
        }
        bits
    }

    /// Why `cell` cannot be stored in this column, if it cannot (the checks the msi crate
    /// makes on insert).
    fn refuses(&self, cell: &Cell) -> Option<String> {
        match (cell, self.kind) {
            (Cell::Null, _) if self.nullable => None,
            (Cell::Null, _) => Some("null in a column that is not nullable".into()),
            (Cell::Int(value), ColumnKind::Int16 | ColumnKind::Int32) => {
                let (min, max) = match self.kind {
                    ColumnKind::Int16 => (i32::from(i16::MIN) + 1, i32::from(i16::MAX)),
                    _ => (i32::MIN + 1, i32::MAX),
                };
                let (min, max) = self
                    .range
                    .map_or((min, max), |(a, b)| (a.max(min), b.min(max)));
                (*value < min || *value > max).then(|| format!("{value} is out of range"))
            }
            (Cell::Str(text), ColumnKind::Str(length)) => {
                if length > 0 && text.chars().count() > length {
                    return Some(format!("{text:?} is longer than {length} characters"));
                }
                match self.category {
                    Some(category) if !category.validate(text) => {
                        Some(format!("{text:?} is not a valid {category}"))
                    }
                    _ => None,
                }
            }
            (Cell::Str(_), ColumnKind::Binary) => None,
            _ => Some("a value of the wrong type".into()),
        }
    }
}

/// A table to encode: its name, columns and rows.
struct Table<'a> {
    name: &'static str,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
    /// Rows borrowed from the database (the system tables own theirs).
    borrowed: Option<&'a [Vec<Cell>]>,
}

impl Table<'_> {
    fn rows(&self) -> &[Vec<Cell>] {
        self.borrowed.unwrap_or(&self.rows)
    }
}

fn validation_columns() -> Vec<Column> {
    let categories = [
        Category::Text,
        Category::UpperCase,
        Category::LowerCase,
        Category::Integer,
        Category::DoubleInteger,
        Category::Number,
        Category::TimeDate,
        Category::Identifier,
        Category::Property,
        Category::Filename,
        Category::WildCardFilename,
        Category::Path,
        Category::Paths,
        Category::AnyPath,
        Category::DefaultDir,
        Category::RegPath,
        Category::Formatted,
        Category::FormattedSddlText,
        Category::Template,
        Category::Condition,
        Category::Guid,
        Category::Version,
        Category::Language,
        Category::Binary,
        Category::CustomSource,
        Category::Cabinet,
        Category::Shortcut,
    ];
    let categories: Vec<String> = categories.iter().map(Category::to_string).collect();
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

/// The `_Validation` rows describing `columns` of `table`.
fn validation_rows<'a>(
    table: &'a str,
    columns: &'a [Column],
) -> impl Iterator<Item = Vec<Cell>> + 'a {
    columns.iter().map(move |column| {
        let (min, max) = match column.range {
            Some((min, max)) => (Cell::Int(min), Cell::Int(max)),
            None => (Cell::Null, Cell::Null),
        };
        let (key_table, key_column) = match column.foreign_key {
            Some((table, column)) => (Cell::Str(table.into()), Cell::Int(column)),
            None => (Cell::Null, Cell::Null),
        };
        vec![
            Cell::Str(table.into()),
            Cell::Str(column.name.into()),
            Cell::Str(if column.nullable { "Y" } else { "N" }.into()),
            min,
            max,
            key_table,
            key_column,
            column
                .category
                .map_or(Cell::Null, |c| Cell::Str(c.to_string())),
            column.set.clone().map_or(Cell::Null, Cell::Str),
            Cell::Null,
        ]
    })
}

/// The string pool: each distinct string once, with how many cells refer to it.
#[derive(Default)]
struct StringPool<'a> {
    ids: HashMap<&'a str, u32>,
    /// By id - 1.
    strings: Vec<(&'a str, u32)>,
}

impl<'a> StringPool<'a> {
    fn intern(&mut self, text: &'a str) -> u32 {
        let next = self.strings.len() as u32 + 1;
        let id = *self.ids.entry(text).or_insert(next);
        if id == next {
            self.strings.push((text, 0));
        }
        self.strings[id as usize - 1].1 += 1;
        id
    }

    /// `_StringPool` and `_StringData`.
    fn encode(&self, long_refs: bool) -> Result<(Vec<u8>, Vec<u8>), String> {
        let mut header = CODEPAGE.id() as u32;
        if long_refs {
            header |= LONG_STRING_REFS;
        }
        let mut pool = header.to_le_bytes().to_vec();
        let mut data = Vec::new();
        for (text, references) in &self.strings {
            let bytes = CODEPAGE.encode(text);
            let references = u16::try_from(*references)
                .map_err(|_| format!("{text:?} is referred to more than 65,535 times"))?;
            match u16::try_from(bytes.len()) {
                Ok(length) => pool.extend_from_slice(&length.to_le_bytes()),
                // A longer string: length 0, then the length in the next 4 bytes.
                Err(_) => pool.extend_from_slice(&0u16.to_le_bytes()),
            }
            pool.extend_from_slice(&references.to_le_bytes());
            if bytes.len() > usize::from(u16::MAX) {
                pool.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            }
            data.extend_from_slice(&bytes);
        }
        Ok((pool, data))
    }
}

/// Every table of `db` (system tables included) and its summary information, as streams by
/// compound-file name.
pub fn encode(db: &Database) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut tables = Vec::new();
    for (&name, rows) in &db.tables {
        let table = schema::table(name).ok_or_else(|| format!("no schema for table {name}"))?;
        tables.push(Table {
            name: table.name,
            columns: table.columns.iter().map(Column::from_schema).collect(),
            rows: Vec::new(),
            borrowed: Some(rows),
        });
    }
    let validation = Table {
        name: "_Validation",
        columns: validation_columns(),
        rows: Vec::new(),
        borrowed: None,
    };
    tables.push(validation);
    tables.sort_by_key(|t| t.name);
    let mut system_tables = Table {
        name: "_Tables",
        columns: vec![Column {
            primary_key: true,
            ..Column::new("Name", ColumnKind::Str(64))
        }],
        rows: Vec::new(),
        borrowed: None,
    };
    let mut system_columns = Table {
        name: "_Columns",
        columns: vec![
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
        ],
        rows: Vec::new(),
        borrowed: None,
    };
    let mut validation_table_rows = Vec::new();
    for table in &tables {
        system_tables.rows.push(vec![Cell::Str(table.name.into())]);
        for (index, column) in table.columns.iter().enumerate() {
            system_columns.rows.push(vec![
                Cell::Str(table.name.into()),
                Cell::Int(index as i32 + 1),
                Cell::Str(column.name.into()),
                Cell::Int(column.bits()),
            ]);
        }
        validation_table_rows.extend(validation_rows(table.name, &table.columns));
    }
    let validation = tables
        .iter_mut()
        .find(|t| t.name == "_Validation")
        .expect("added above");
    validation.rows = validation_table_rows;
    tables.push(system_tables);
    tables.push(system_columns);

    for table in &tables {
        for row in table.rows() {
            if row.len() != table.columns.len() {
                return Err(format!(
                    "table {}: a row of {} values for {} columns",
                    table.name,
                    row.len(),
                    table.columns.len()
                ));
            }
            for (column, cell) in table.columns.iter().zip(row) {
                if let Some(why) = column.refuses(cell) {
                    return Err(format!(
                        "table {}, column {}: {why}",
                        table.name, column.name
                    ));
                }
            }
        }
    }

    // Strings get their ids in the order the tables are written, so the same tables give the
    // same pool.
    let mut pool = StringPool::default();
    let ids: Vec<Vec<Vec<u32>>> = tables
        .iter()
        .map(|table| {
            table
                .rows()
                .iter()
                .map(|row| {
                    row.iter()
                        .zip(&table.columns)
                        .map(|(cell, column)| match column.kind {
                            // The cell names the stream; the table stores 1 (as Windows
                            // Installer's own packages do), not a string.
                            ColumnKind::Binary => BINARY_PRESENT,
                            _ => cell_id(cell, &mut pool),
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    let long_refs = pool.strings.len() >= usize::from(u16::MAX);
    let mut streams = Vec::with_capacity(tables.len() + 3);
    for (table, cells) in tables.iter().zip(ids) {
        if let Some(data) = encode_table(table, cells, long_refs)? {
            streams.push((table_stream_name(table.name), data));
        }
    }
    let (string_pool, string_data) = pool.encode(long_refs)?;
    streams.push((table_stream_name("_StringPool"), string_pool));
    streams.push((table_stream_name("_StringData"), string_data));
    streams.push((SUMMARY_STREAM.to_string(), summary_information(&db.summary)));
    Ok(streams)
}

/// What a stream column stores for a row that has its stream.
const BINARY_PRESENT: u32 = 1;

/// A cell as stored: a string's id (0 for null), or an integer (not yet offset).
fn cell_id<'a>(cell: &'a Cell, pool: &mut StringPool<'a>) -> u32 {
    match cell {
        Cell::Null => 0,
        Cell::Int(value) => *value as u32,
        Cell::Str(text) => pool.intern(text),
    }
}

/// The table's stream: rows sorted by their stored values (as Windows Installer expects),
/// then written column by column. `None` for a table without rows (no stream).
fn encode_table(
    table: &Table,
    cells: Vec<Vec<u32>>,
    long_refs: bool,
) -> Result<Option<Vec<u8>>, String> {
    if cells.is_empty() {
        return Ok(None);
    }
    let rows = table.rows();
    // Stored values: strings by id, integers offset so that unsigned order is numeric order,
    // null as 0 (before every value).
    let stored: Vec<Vec<u32>> = cells
        .into_iter()
        .zip(rows)
        .map(|(ids, row)| {
            ids.into_iter()
                .zip(row)
                .zip(&table.columns)
                .map(|((id, cell), column)| match (cell, column.kind) {
                    (Cell::Int(_), ColumnKind::Int16) => u32::from((id as u16) ^ 0x8000),
                    (Cell::Int(_), _) => id ^ 0x8000_0000,
                    _ => id,
                })
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..stored.len()).collect();
    order.sort_by(|&a, &b| stored[a].cmp(&stored[b]));
    for pair in order.windows(2) {
        let key = |row: usize| -> Vec<u32> {
            table
                .columns
                .iter()
                .zip(&stored[row])
                .filter(|(column, _)| column.primary_key)
                .map(|(_, value)| *value)
                .collect()
        };
        if key(pair[0]) == key(pair[1]) {
            return Err(format!("table {}: two rows with the same key", table.name));
        }
    }
    let mut data = Vec::new();
    for (index, column) in table.columns.iter().enumerate() {
        for &row in &order {
            let value = stored[row][index];
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

/// A table's stream name: U+4840, then the name with pairs of characters of `[0-9A-Za-z._]`
/// folded as for every stream.
pub fn table_stream_name(name: &str) -> String {
    let mut encoded = String::from('\u{4840}');
    encoded.push_str(&super::fold_stream_name(name));
    encoded
}

/// The `\u{5}SummaryInformation` property set (codepage 1252).
fn summary_information(summary: &Summary) -> Vec<u8> {
    enum Value {
        I2(i16),
        I4(i32),
        Text(Vec<u8>),
        FileTime(u64),
    }
    let text = |s: &str| Value::Text(CODEPAGE.encode(s));
    // 100-nanosecond intervals since 1601-01-01.
    let time = 116_444_736_000_000_000 + summary.timestamp * 10_000_000;
    let properties: [(u32, Value); 14] = [
        (1, Value::I2(CODEPAGE.id() as i16)),
        (2, text(&summary.title)),
        (3, text(&summary.subject)),
        (4, text(&summary.author)),
        (5, text(&summary.keywords.join("; "))),
        (6, text(&summary.comments)),
        (
            7,
            text(&format!("{};{}", summary.platform, summary.language)),
        ),
        (9, text(&crate::model::msi_guid(summary.package_code))),
        (12, Value::FileTime(time)),
        (13, Value::FileTime(time)),
        (14, Value::I4(summary.page_count)),
        (15, Value::I4(summary.word_count)),
        (18, text(&summary.creating_application)),
        (19, Value::I4(summary.security)),
    ];
    let mut values = Vec::new();
    let mut offsets = Vec::new();
    let table_size = 8 + 8 * properties.len();
    for (id, value) in &properties {
        offsets.push((*id, (table_size + values.len()) as u32));
        match value {
            Value::I2(v) => {
                values.extend_from_slice(&2u32.to_le_bytes());
                values.extend_from_slice(&v.to_le_bytes());
                values.extend_from_slice(&[0, 0]);
            }
            Value::I4(v) => {
                values.extend_from_slice(&3u32.to_le_bytes());
                values.extend_from_slice(&v.to_le_bytes());
            }
            Value::Text(bytes) => {
                values.extend_from_slice(&30u32.to_le_bytes());
                values.extend_from_slice(&(bytes.len() as u32 + 1).to_le_bytes());
                values.extend_from_slice(bytes);
                values.push(0);
                while !values.len().is_multiple_of(4) {
                    values.push(0);
                }
            }
            Value::FileTime(v) => {
                values.extend_from_slice(&64u32.to_le_bytes());
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
                                                // FMTID_SummaryInformation, F29F85E0-4FF9-1068-AB91-08002B27B3D9, and the section offset.
    out.extend_from_slice(b"\xe0\x85\x9f\xf2\xf9\x4f\x68\x10\xab\x91\x08\x00\x2b\x27\xb3\xd9");
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
    use crate::bind::{BindOptions, Database};
    use msi::{Insert, Package, PackageType, Select, Value};
    use std::io::Cursor;

    fn database(target: &str) -> Database {
        let settings = crate::config::Settings::embedded_default().unwrap();
        let target = crate::target::Target::from_name(target).unwrap();
        let package = crate::model::sspr::package(&settings, target, Default::default());
        let options = BindOptions {
            timestamp: 1_704_067_200,
            creating_application: "test".into(),
        };
        crate::bind::bind(&package, &options).unwrap()
    }

    /// The same database written by the msi crate alone (how packages were written before).
    fn written_by_the_msi_crate(db: &Database) -> Vec<u8> {
        let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new())).unwrap();
        package.set_database_codepage(CodePage::Windows1252);
        for (name, rows) in &db.tables {
            let table = schema::table(name).unwrap();
            let columns = table.columns.iter().map(|c| c.to_msi_column()).collect();
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
        for target in ["win7-x64", "win81-x86", "win10-x64", "win11-x64"] {
            let db = database(target);
            let ours = crate::package::to_bytes(&db).unwrap();
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
        let mut db = database("win10-x64");
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
        let mut db = database("win10-x64");
        let rows = db.tables.get_mut("Property").unwrap();
        rows.push(rows[0].clone());
        assert!(encode(&db).unwrap_err().contains("same key"));
        let mut db = database("win10-x64");
        db.tables.get_mut("Property").unwrap()[0][0] = Cell::Null;
        assert!(encode(&db).unwrap_err().contains("not nullable"));
        let mut db = database("win10-x64");
        db.tables.get_mut("Property").unwrap()[0][0] = Cell::Str("not an identifier".into());
        assert!(encode(&db).unwrap_err().contains("Identifier"));
    }
}
