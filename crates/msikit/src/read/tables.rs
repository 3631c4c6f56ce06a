//! Tables: the schema in `_Tables` and `_Columns`, then each table's stream.
//!
//! A table stream is column-major: every row's cell of the first column, then of the second,
//! and so on. Cells are 2-byte integers (stored +0x8000), 4-byte integers (stored XOR
//! 0x8000_0000), string ids of 2 bytes (3 with long string references), and 2-byte stream
//! flags; 0 is null in all of them. A stream column's data is the stream named after the
//! table and the row's primary key (`Binary.Logo`). The row count is the stream's size over
//! the row's width, so decoding is linear in the stream.

use super::error::{Place, ReadError, Result};
use super::strings::StringPool;
use crate::format::bits::ColumnType;
pub use crate::format::schema::ColumnKind;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

/// One table: its columns in order and its rows as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
}

/// A column as `_Columns` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    pub nullable: bool,
    pub primary_key: bool,
    pub localizable: bool,
    /// The `_Columns` Type word as stored, for anything the fields above do not say.
    pub type_bits: u16,
}

/// One cell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Value {
    Null,
    Int(i32),
    Str(String),
    /// The decoded name of the row's stream (`Binary.Logo`); the stream itself is among the
    /// database's streams under that name, if the package has it.
    Stream(String),
}

/// The bytes a cell of `kind` takes in a table stream.
fn width(kind: ColumnKind, ref_size: usize) -> usize {
    match kind {
        ColumnKind::Int16 | ColumnKind::Binary => 2,
        ColumnKind::Int32 => 4,
        ColumnKind::Str(_) => ref_size,
    }
}

impl Value {
    /// The text a primary key cell contributes to a stream name.
    fn key_text(&self) -> Cow<'_, str> {
        match self {
            Value::Null => Cow::Borrowed(""),
            Value::Int(number) => Cow::Owned(number.to_string()),
            Value::Str(text) | Value::Stream(text) => Cow::Borrowed(text),
        }
    }
}

/// Every table `_Tables` lists, from the table streams by decoded name (a table with no
/// stream has no rows).
pub(crate) fn read_tables(
    streams: &BTreeMap<String, Cow<'_, [u8]>>,
    pool: &StringPool,
) -> Result<Vec<Table>> {
    let stream = |name: &str| streams.get(name).map_or(&[][..], |data| data.as_ref());
    let missing = |name: &str| {
        ReadError::new(
            Place::Table(name.into()),
            0,
            "the stream is missing: not an installer database",
        )
    };
    if !streams.contains_key("_Tables") {
        return Err(missing("_Tables"));
    }
    if !streams.contains_key("_Columns") {
        return Err(missing("_Columns"));
    }
    let names = decode_rows("_Tables", &[ColumnKind::Str(64)], stream("_Tables"), pool)?;
    let columns_rows = decode_rows(
        "_Columns",
        &[
            ColumnKind::Str(64),
            ColumnKind::Int16,
            ColumnKind::Str(64),
            ColumnKind::Int16,
        ],
        stream("_Columns"),
        pool,
    )?;
    let mut schema = schema_by_table(&columns_rows, pool.ref_size())?;
    let mut seen = BTreeSet::new();
    let mut tables = Vec::with_capacity(names.len());
    for (index, row) in names.iter().enumerate() {
        let offset = (index * pool.ref_size()) as u64;
        let Value::Str(name) = &row[0] else {
            return Err(ReadError::new(
                Place::Table("_Tables".into()),
                offset,
                "a table with no name",
            ));
        };
        if !seen.insert(name.clone()) {
            return Err(ReadError::new(
                Place::Table("_Tables".into()),
                offset,
                format!("{name:?} is listed twice"),
            ));
        }
        let columns = schema.remove(name).unwrap_or_default();
        if columns.is_empty() {
            return Err(ReadError::new(
                Place::Table("_Columns".into()),
                0,
                format!("table {name:?} has no columns"),
            ));
        }
        let kinds: Vec<ColumnKind> = columns.iter().map(|column| column.kind).collect();
        let mut rows = decode_rows(name, &kinds, stream(name), pool)?;
        name_streams(name, &columns, &mut rows);
        tables.push(Table {
            name: name.clone(),
            columns,
            rows,
        });
    }
    Ok(tables)
}

/// `_Columns` rows grouped by table, each table's columns in their Number order, which must
/// run 1, 2, 3… with no gap.
fn schema_by_table(rows: &[Vec<Value>], ref_size: usize) -> Result<BTreeMap<String, Vec<Column>>> {
    let mut numbered: BTreeMap<String, BTreeMap<i32, Column>> = BTreeMap::new();
    let row_width = (2 * ref_size + 4) as u64;
    for (index, row) in rows.iter().enumerate() {
        let fail = |reason: String| {
            ReadError::new(
                Place::Table("_Columns".into()),
                index as u64 * row_width,
                reason,
            )
        };
        let [Value::Str(table), Value::Int(number), Value::Str(name), Value::Int(bits)] =
            row.as_slice()
        else {
            return Err(fail(format!("row {} has a null cell", index + 1)));
        };
        let bits = *bits as u16;
        let kind = ColumnKind::from_type_bits(bits).ok_or_else(|| {
            fail(format!(
                "column {table}.{name} has type {bits:#06x}, a size no cell has"
            ))
        })?;
        let column = Column {
            name: name.clone(),
            kind,
            nullable: i32::from(bits) & ColumnType::NULLABLE.bits() != 0,
            primary_key: i32::from(bits) & ColumnType::PRIMARY_KEY.bits() != 0,
            localizable: i32::from(bits) & ColumnType::LOCALIZABLE.bits() != 0,
            type_bits: bits,
        };
        if numbered
            .entry(table.clone())
            .or_default()
            .insert(*number, column)
            .is_some()
        {
            return Err(fail(format!(
                "table {table:?} has two columns numbered {number}"
            )));
        }
    }
    numbered
        .into_iter()
        .map(|(table, columns)| {
            if let Some((position, (&number, _))) = columns
                .iter()
                .enumerate()
                .find(|(position, (&number, _))| number != *position as i32 + 1)
            {
                let reason = format!(
                    "table {table:?}: column {} is numbered {number}",
                    position + 1
                );
                return Err(ReadError::new(Place::Table("_Columns".into()), 0, reason));
            }
            Ok((table, columns.into_values().collect()))
        })
        .collect()
}

/// The rows of a column-major table stream.
fn decode_rows(
    table: &str,
    kinds: &[ColumnKind],
    bytes: &[u8],
    pool: &StringPool,
) -> Result<Vec<Vec<Value>>> {
    let place = || Place::Table(table.to_string());
    let widths: Vec<usize> = kinds
        .iter()
        .map(|&kind| width(kind, pool.ref_size()))
        .collect();
    let row_width: usize = widths.iter().sum();
    if !bytes.len().is_multiple_of(row_width) {
        let reason = format!(
            "{} bytes is not a whole number of {row_width}-byte rows",
            bytes.len()
        );
        return Err(ReadError::new(place(), bytes.len() as u64, reason));
    }
    let row_count = bytes.len() / row_width;
    let mut rows = vec![Vec::with_capacity(kinds.len()); row_count];
    let mut column_start = 0;
    for (&kind, &width) in kinds.iter().zip(&widths) {
        let column = &bytes[column_start..column_start + width * row_count];
        for (index, (cell, row)) in column.chunks_exact(width).zip(rows.iter_mut()).enumerate() {
            let raw = cell
                .iter()
                .rev()
                .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
            let value = match kind {
                _ if raw == 0 => Value::Null,
                ColumnKind::Int16 => Value::Int(i32::from((raw as u16 ^ 0x8000) as i16)),
                ColumnKind::Int32 => Value::Int((raw ^ 0x8000_0000) as i32),
                // Named once the whole row is known (`name_streams`).
                ColumnKind::Binary => Value::Stream(String::new()),
                ColumnKind::Str(_) => match pool.get(raw) {
                    Some(text) => Value::Str(text.to_string()),
                    None => {
                        let offset = (column_start + index * width) as u64;
                        let reason = format!(
                            "string id {raw} is not in the pool of {} strings",
                            pool.len()
                        );
                        return Err(ReadError::new(place(), offset, reason));
                    }
                },
            };
            row.push(value);
        }
        column_start += width * row_count;
    }
    Ok(rows)
}

/// Gives every stream cell its stream's name: the table, then each primary key, after dots.
fn name_streams(table: &str, columns: &[Column], rows: &mut [Vec<Value>]) {
    let stream_columns: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].kind == ColumnKind::Binary)
        .collect();
    if stream_columns.is_empty() {
        return;
    }
    let keys: Vec<usize> = (0..columns.len())
        .filter(|&c| columns[c].primary_key)
        .collect();
    for row in rows {
        let mut name = table.to_string();
        for &key in &keys {
            name.push('.');
            name.push_str(&row[key].key_text());
        }
        for &column in &stream_columns {
            if let Value::Stream(stream) = &mut row[column] {
                stream.clone_from(&name);
            }
        }
    }
}
