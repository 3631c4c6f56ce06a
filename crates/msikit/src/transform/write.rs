//! The transform writer: a [`DatabaseDiff`](super::diff::DatabaseDiff) as the streams of a
//! compound file whose root CLSID says "transform".
//!
//! A row stream is a run of records, each a 16-bit mask and then cells, row by row (not
//! column by column as in a database):
//! - an insert has mask `columns << 8 | 1` and every cell;
//! - an update has the bits `1 << column` of the changed columns (never bit 0, the insert
//!   flag) and holds the key cells and the changed cells, in column order; a change bit 0 or
//!   16 and up cannot name is written as a delete and a whole-row insert;
//! - a delete has mask 0 and the key cells.
//!
//! Cells are encoded as in a database (2-byte integers +0x8000, 4-byte ones XOR 0x8000_0000,
//! 0 for null) with string ids into the transform's own pool, 2 bytes wide or 3 when it holds
//! 65,535 strings or more. A stream cell stores 1 and its data travels as a stream of the
//! transform named as in the database (`Binary.Logo`). An added table is a `_Tables` insert
//! and one `_Columns` insert per column, a column appended to a table a `_Columns` insert, a
//! dropped table a `_Tables` delete; all are applied before any row.

use super::diff::{self, key_columns, DatabaseDiff, RowChange};
use super::TRANSFORM_CLSID;
use super::{char_count, property, ErrorConditions, GenerateError, Revision, Validation};
use crate::compound;
use crate::database::encode::{property_set, Property, StringPool, SUMMARY_STREAM};
use crate::format::schema::ColumnKind;
use crate::format::summary::id;
use crate::format::{encode_stream_name, table_stream_name, Codepage};
use crate::read::{Column, Database, Value};
use std::collections::BTreeMap;

/// A transform's bytes, and what of the difference it could not carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub bytes: Vec<u8>,
    /// Streams outside every table (cabinets…) that differ: a transform carries table rows
    /// and their stream cells only.
    pub not_carried: Vec<String>,
    /// Tables the transform changes (rows, columns, added or dropped), by name.
    pub changed_tables: Vec<String>,
}

/// The transform that turns `base` into `target`, with these validation flags and error
/// conditions in its summary information.
pub fn generate(
    base: &Database<'_>,
    target: &Database<'_>,
    validation: Validation,
    errors: ErrorConditions,
) -> Result<Generated, GenerateError> {
    if base.codepage != target.codepage {
        return Err(GenerateError::Unsupported(format!(
            "the databases' codepages differ ({} and {}): a transform cannot change it",
            base.codepage, target.codepage
        )));
    }
    let difference = diff::diff(base, target);
    refuse_unsupported(&difference)?;
    let codepage = u16::try_from(base.codepage)
        .map(Codepage)
        .map_err(|_| GenerateError::Unsupported(format!("codepage {}", base.codepage)))?;
    let mut records = Records::default();
    for table in &difference.removed_tables {
        records.dropped_table(&table.name);
    }
    for table in &difference.added_tables {
        records.added_table(&table.name, &table.columns);
    }
    for change in &difference.tables {
        let first = change.table.columns.len() - change.added_columns.len();
        records.added_columns(&change.table.name, first, change.added_columns);
    }
    for table in &difference.added_tables {
        for row in &table.rows {
            records.insert(&table.name, &table.columns, row, target)?;
        }
    }
    for change in &difference.tables {
        let (name, columns) = (&change.table.name, &change.table.columns);
        for row in &change.rows {
            match row {
                RowChange::Inserted(row) => records.insert(name, columns, row, target)?,
                RowChange::Deleted(row) => records.delete(name, columns, row),
                RowChange::Updated { row, changed } => {
                    records.update(name, columns, row, changed, target)?
                }
            }
        }
    }
    let changed_tables: Vec<String> = (records.tables.keys().map(String::as_str))
        .filter(|name| !matches!(*name, "_Tables" | "_Columns"))
        .chain(difference.removed_tables.iter().map(|t| t.name.as_str()))
        .chain(difference.tables.iter().map(|t| t.table.name.as_str()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(str::to_string)
        .collect();
    let summary = summary_information(base, target, validation, errors);
    let bytes = records.into_file(codepage, summary)?;
    Ok(Generated {
        bytes,
        not_carried: difference.streams,
        changed_tables,
    })
}

fn refuse_unsupported(difference: &DatabaseDiff<'_>) -> Result<(), GenerateError> {
    if let Some(name) = difference.changed_schemas.first() {
        return Err(GenerateError::Unsupported(format!(
            "table {name} has columns in the base database that the target lacks, reorders or retypes: a transform can only append columns"
        )));
    }
    for change in &difference.tables {
        if key_columns(&change.table.columns).is_empty() {
            return Err(GenerateError::Unsupported(format!(
                "table {} has no primary key, so its rows cannot be addressed",
                change.table.name
            )));
        }
    }
    Ok(())
}

/// One cell of a record before string ids have their final width.
#[derive(Debug, Clone, Copy)]
enum Cell {
    /// A 2- or 4-byte value, already offset.
    Fixed { value: u32, width: usize },
    /// A string id (0: null).
    Id(u32),
}

/// The records of every table stream, the transform's string pool and the stream cells'
/// data, gathered before the string reference width is known.
#[derive(Default)]
struct Records<'d> {
    tables: BTreeMap<String, Vec<(u16, Vec<Cell>)>>,
    pool: Option<StringPool<'d>>,
    streams: BTreeMap<String, Vec<u8>>,
}

impl<'d> Records<'d> {
    fn id(&mut self, text: &'d str) -> u32 {
        self.pool
            .get_or_insert_with(|| StringPool::with_capacity(64))
            .intern(text)
    }

    fn push(&mut self, table: &str, mask: u16, cells: Vec<Cell>) {
        self.tables
            .entry(table.to_string())
            .or_default()
            .push((mask, cells));
    }

    /// A `_Tables` delete: the table goes, with its columns and rows.
    fn dropped_table(&mut self, name: &'d str) {
        let id = self.id(name);
        self.push("_Tables", 0, vec![Cell::Id(id)]);
    }

    /// `_Tables` and `_Columns` inserts for a new table.
    fn added_table(&mut self, name: &'d str, columns: &'d [Column]) {
        let id = self.id(name);
        self.push("_Tables", insert_mask(1), vec![Cell::Id(id)]);
        self.added_columns(name, 0, columns);
    }

    /// `_Columns` inserts for `columns`, numbered from `first + 1`: existing rows hold null
    /// in them.
    fn added_columns(&mut self, name: &'d str, first: usize, columns: &'d [Column]) {
        for (index, column) in columns.iter().enumerate() {
            let cells = vec![
                Cell::Id(self.id(name)),
                int16((first + index) as i32 + 1),
                Cell::Id(self.id(&column.name)),
                int16(i32::from(column.type_bits as i16)),
            ];
            self.push("_Columns", insert_mask(4), cells);
        }
    }

    fn insert(
        &mut self,
        table: &'d str,
        columns: &'d [Column],
        row: &'d [Value],
        target: &Database<'_>,
    ) -> Result<(), GenerateError> {
        let count = u8::try_from(columns.len()).map_err(|_| {
            GenerateError::Unsupported(format!(
                "table {table} has {} columns, more than a record can hold",
                columns.len()
            ))
        })?;
        let all: Vec<usize> = (0..columns.len()).collect();
        let cells = self.cells(table, columns, row, &all, target)?;
        self.push(table, insert_mask(count), cells);
        Ok(())
    }

    fn update(
        &mut self,
        table: &'d str,
        columns: &'d [Column],
        row: &'d [Value],
        changed: &[usize],
        target: &Database<'_>,
    ) -> Result<(), GenerateError> {
        if changed.iter().any(|&c| c == 0 || c >= 16) {
            // No mask bit names the column: the row goes and comes back whole. (An insert of
            // an existing row would be an ADDEXISTINGROW error for Windows Installer.)
            self.delete(table, columns, row);
            return self.insert(table, columns, row, target);
        }
        let mask = changed.iter().fold(0u16, |mask, &c| mask | (1 << c));
        let present: Vec<usize> = (0..columns.len())
            .filter(|&c| columns[c].primary_key || changed.contains(&c))
            .collect();
        let cells = self.cells(table, columns, row, &present, target)?;
        self.push(table, mask, cells);
        Ok(())
    }

    fn delete(&mut self, table: &'d str, columns: &'d [Column], row: &'d [Value]) {
        let keys = key_columns(columns);
        let cells = keys
            .iter()
            .map(|&c| self.cell(&columns[c], &row[c]))
            .collect();
        self.push(table, 0, cells);
    }

    /// The cells of `present` columns of `row`; stream cells bring their data along.
    fn cells(
        &mut self,
        table: &str,
        columns: &'d [Column],
        row: &'d [Value],
        present: &[usize],
        target: &Database<'_>,
    ) -> Result<Vec<Cell>, GenerateError> {
        let mut cells = Vec::with_capacity(present.len());
        for &c in present {
            if let (ColumnKind::Binary, value) = (columns[c].kind, &row[c]) {
                let Value::Stream(name) = value else {
                    return Err(GenerateError::Unsupported(format!(
                        "table {table}, column {}: a null stream cell cannot be carried (Windows Installer opens the row's stream)",
                        columns[c].name
                    )));
                };
                let data = target.streams.get(name).ok_or_else(|| {
                    GenerateError::Unsupported(format!(
                        "table {table}: the row's stream {name:?} is missing from the target database"
                    ))
                })?;
                let data = data.load().map_err(|error| {
                    GenerateError::Unsupported(format!("table {table}: stream {name:?}: {error}"))
                })?;
                self.streams.insert(name.clone(), data.into_owned());
            }
            cells.push(self.cell(&columns[c], &row[c]));
        }
        Ok(cells)
    }

    fn cell(&mut self, column: &Column, value: &'d Value) -> Cell {
        match (column.kind, value) {
            (ColumnKind::Binary, Value::Stream(_)) => Cell::Fixed { value: 1, width: 2 },
            (_, Value::Null) if matches!(column.kind, ColumnKind::Str(_)) => Cell::Id(0),
            (ColumnKind::Int32, Value::Null) => Cell::Fixed { value: 0, width: 4 },
            (_, Value::Null) => Cell::Fixed { value: 0, width: 2 },
            (ColumnKind::Int32, Value::Int(number)) => Cell::Fixed {
                value: (*number as u32) ^ 0x8000_0000,
                width: 4,
            },
            (_, Value::Int(number)) => int16(*number),
            (_, Value::Str(text) | Value::Stream(text)) => Cell::Id(self.id(text)),
        }
    }

    /// The compound file: string pool, row streams, stream cells' data, summary.
    fn into_file(self, codepage: Codepage, summary: Vec<u8>) -> Result<Vec<u8>, GenerateError> {
        let pool = self.pool.unwrap_or_else(|| StringPool::with_capacity(0));
        let long_refs = pool.needs_long_refs();
        let (string_pool, string_data) = pool.encode_in(codepage, long_refs)?;
        let mut streams: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        streams.insert(table_stream_name("_StringPool"), string_pool);
        streams.insert(table_stream_name("_StringData"), string_data);
        for (table, records) in &self.tables {
            streams.insert(table_stream_name(table), encode_records(records, long_refs));
        }
        for (name, data) in self.streams {
            let encoded = encode_stream_name(&name).ok_or_else(|| {
                GenerateError::Unsupported(format!("{name:?} is not a valid stream name"))
            })?;
            streams.insert(encoded, data);
        }
        streams.insert(SUMMARY_STREAM.to_string(), summary);
        let roots: Vec<compound::RootStream> = streams
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_slice()))
            .collect();
        let mut bytes = Vec::with_capacity(compound::v3_size(&roots) as usize);
        compound::write_v3(TRANSFORM_CLSID, &roots, &mut bytes)
            .map_err(|error| GenerateError::Unsupported(error.to_string()))?;
        Ok(bytes)
    }
}

fn insert_mask(columns: u8) -> u16 {
    (u16::from(columns) << 8) | 1
}

fn int16(number: i32) -> Cell {
    Cell::Fixed {
        value: u32::from((number as u16) ^ 0x8000),
        width: 2,
    }
}

fn encode_records(records: &[(u16, Vec<Cell>)], long_refs: bool) -> Vec<u8> {
    let mut data = Vec::new();
    for (mask, cells) in records {
        data.extend_from_slice(&mask.to_le_bytes());
        for cell in cells {
            match *cell {
                Cell::Fixed { value, width } => {
                    data.extend_from_slice(&value.to_le_bytes()[..width])
                }
                Cell::Id(id) => {
                    data.extend_from_slice(&id.to_le_bytes()[..2 + usize::from(long_refs)])
                }
            }
        }
    }
    data
}

/// The transform's summary information: Title `Transform`, Template the base's
/// platform;language, LastAuthor the target's, the Revision triple, the higher of the two
/// minimum installer versions, and the flags.
fn summary_information(
    base: &Database<'_>,
    target: &Database<'_>,
    validation: Validation,
    errors: ErrorConditions,
) -> Vec<u8> {
    let summary = |db: &Database<'_>| db.summary.clone().unwrap_or_default();
    let (from, to) = (summary(base), summary(target));
    let codepage = Codepage::WINDOWS_1252;
    let text = |text: &str| Property::Text(codepage.encode(text));
    let revision = Revision {
        base_product_code: property(base, "ProductCode")
            .unwrap_or_default()
            .to_string(),
        base_version: property(base, "ProductVersion")
            .unwrap_or_default()
            .to_string(),
        new_product_code: property(target, "ProductCode")
            .unwrap_or_default()
            .to_string(),
        new_version: property(target, "ProductVersion")
            .unwrap_or_default()
            .to_string(),
        // Checked against the database the transform is applied to: the base's.
        upgrade_code: property(base, "UpgradeCode")
            .or(property(target, "UpgradeCode"))
            .unwrap_or_default()
            .to_string(),
    };
    let page_count = from.page_count.max(to.page_count).unwrap_or(200);
    let properties = [
        (id::CODEPAGE, Property::I2(codepage.0 as i16)),
        (id::TITLE, text("Transform")),
        (
            id::TEMPLATE,
            text(from.template.as_deref().unwrap_or_default()),
        ),
        (
            id::LAST_AUTHOR,
            text(to.template.as_deref().unwrap_or_default()),
        ),
        (id::REVISION, text(&revision.text())),
        (id::PAGE_COUNT, Property::I4(page_count)),
        (id::CHAR_COUNT, Property::I4(char_count(validation, errors))),
    ];
    property_set(&properties)
}
