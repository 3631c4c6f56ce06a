//! The transform reader: applies a `.mst` to a database read by [`crate::read`], as Windows
//! Installer does (`_Tables`, then `_Columns`, then every other table stream), and refuses a
//! transform that is not one, whose records do not fit the tables, whose lengths run past
//! their stream, or whose validation flags say it is for another product, version, language
//! or platform. Every error names the stream and the byte offset in it. Nothing is sized by
//! a length field before that length was checked against the stream's real size.
//!
//! Conflicts (an insert of an existing row, an update or delete of a missing one, an added
//! table that exists) are errors unless the transform's error conditions suppress them; then
//! an insert replaces the row and a missing row is skipped.

use super::diff::{key_columns, key_of};
use super::{property, ErrorConditions, Revision, Validation, TRANSFORM_CLSID};
use crate::format::schema::ColumnKind;
use crate::format::summary::split_template;
use crate::read::compound::{CompoundFile, EntryKind};
use crate::read::strings::StringPool;
use crate::read::Input;
use crate::read::{
    decode_stream_name, Column, Database, Place, ReadError, StreamData, Table, Value,
};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Applies `transform` (the bytes of a `.mst`) to `db`. On an error `db` may be half changed:
/// apply to a copy when the original is still needed.
pub fn apply(db: &mut Database<'_>, transform: &[u8]) -> Result<(), ReadError> {
    let file = CompoundFile::parse(transform)?;
    check_clsid(file.root_clsid(), "the root storage")?;
    apply_storage(db, &file, &[])
}

/// Applies the transform a package embeds as its sub-storage `name`, as
/// `msiexec TRANSFORMS=:name` does (multi-language packages carry theirs so, `:1031`).
pub fn apply_embedded(
    db: &mut Database<'_>,
    package: Input<'_>,
    name: &str,
) -> Result<(), ReadError> {
    let file = CompoundFile::open(package)?;
    let storage = (file.entries().iter())
        .find(|entry| {
            entry.path.len() == 1
                && entry.kind == EntryKind::Storage
                && decode_stream_name(&entry.path[0]).0 == name
        })
        .ok_or_else(|| {
            let reason = format!("the package embeds no transform {name:?} (no such sub-storage)");
            ReadError::new(Place::Directory, 0, reason)
        })?;
    // Copying a transform into a package (the `_Storages` table) keeps its CLSID or sets none.
    if !storage.clsid.is_nil() {
        check_clsid(storage.clsid, &format!("sub-storage {name:?}"))?;
    }
    apply_storage(db, &file, &storage.path)
}

fn check_clsid(clsid: uuid::Uuid, whose: &str) -> Result<(), ReadError> {
    if clsid == TRANSFORM_CLSID {
        return Ok(());
    }
    let reason = format!(
        "{whose}'s CLSID is {{{}}}, not a transform's {{{}}}",
        clsid.hyphenated(),
        TRANSFORM_CLSID.hyphenated()
    );
    Err(ReadError::new(Place::Directory, 0, reason))
}

/// Applies the transform whose streams are the children of the storage at `storage`.
fn apply_storage(
    db: &mut Database<'_>,
    file: &CompoundFile<'_>,
    storage: &[String],
) -> Result<(), ReadError> {
    let mut tables = BTreeMap::new();
    let mut streams = BTreeMap::new();
    let children = (file.entries().iter())
        .filter(|e| e.path.len() == storage.len() + 1 && e.path.starts_with(storage));
    for entry in children {
        if entry.kind != EntryKind::Stream {
            continue;
        }
        let (name, is_table) = decode_stream_name(entry.path.last().expect("a child"));
        let data = file.read(entry)?;
        if is_table { &mut tables } else { &mut streams }.insert(name, data);
    }
    let required = |name: &str| {
        tables
            .get(name)
            .map(|d: &Cow<[u8]>| d.as_ref())
            .ok_or_else(|| {
                ReadError::new(
                    Place::Stream(name.into()),
                    0,
                    "the transform has no string pool",
                )
            })
    };
    let pool = StringPool::parse(required("_StringPool")?, required("_StringData")?)?;
    let summary = streams
        .get(crate::read::SUMMARY_INFORMATION)
        .map(|data| crate::read::summary::parse(data))
        .transpose()?
        .unwrap_or_default();
    let flags = summary.char_count.unwrap_or(0) as u32;
    let errors = ErrorConditions::from_bits_retain(flags as u16);
    check_applicable(
        db,
        &summary,
        Validation::from_bits_retain((flags >> 16) as u16),
    )?;
    let mut applier = Applier {
        db,
        pool: &pool,
        streams: &streams,
        errors,
    };
    let empty: &[u8] = &[];
    let stream = |name: &str| tables.get(name).map_or(empty, |d| d.as_ref());
    applier.tables_stream(stream("_Tables"))?;
    applier.columns_stream(stream("_Columns"))?;
    for (name, data) in &tables {
        if !matches!(
            name.as_str(),
            "_Tables" | "_Columns" | "_StringPool" | "_StringData"
        ) {
            applier.table_stream(name, data)?;
        }
    }
    Ok(())
}

/// Checks the transform's validation flags against the database it is applied to.
fn check_applicable(
    db: &Database<'_>,
    summary: &crate::read::Summary,
    flags: Validation,
) -> Result<(), ReadError> {
    let refuse = |reason: String| Err(ReadError::new(Place::SummaryInformation, 0, reason));
    let (platform, languages) = split_template(summary.template.as_deref().unwrap_or_default());
    let db_template = db.summary.as_ref().and_then(|s| s.template.as_deref());
    if flags.contains(Validation::PLATFORM) {
        let (db_platform, _) = split_template(db_template.unwrap_or_default());
        if !db_platform.eq_ignore_ascii_case(platform) {
            return refuse(format!(
                "the transform is for platform {platform:?} (validation flag PLATFORM), the database's is {db_platform:?}"
            ));
        }
    }
    if flags.contains(Validation::LANGUAGE) {
        let db_language = property(db, "ProductLanguage").unwrap_or_default();
        if let Some(language) = languages.first() {
            if *language != db_language {
                return refuse(format!(
                    "the transform is for language {language} (validation flag LANGUAGE), the database's ProductLanguage is {db_language:?}"
                ));
            }
        }
    }
    let wants_revision = flags.intersects(
        Validation::PRODUCT
            | Validation::UPGRADE_CODE
            | Validation::MAJOR_VERSION
            | Validation::MINOR_VERSION
            | Validation::UPDATE_VERSION,
    );
    if !wants_revision {
        return Ok(());
    }
    let text = summary.revision.as_deref().unwrap_or_default();
    let Some(revision) = Revision::parse(text) else {
        return refuse(format!(
            "the validation flags need the Revision number {{ProductCode}}version;{{ProductCode}}version;{{UpgradeCode}}, it is {text:?}"
        ));
    };
    let check = |flag: Validation, name: &str, wanted: &str| {
        let actual = property(db, name).unwrap_or_default();
        if flags.contains(flag) && !actual.eq_ignore_ascii_case(wanted) {
            let reason = format!(
                "the transform is for {name} {wanted} (validation flag {}), the database's is {actual:?}",
                flag_names(flag)
            );
            return Err(ReadError::new(Place::SummaryInformation, 0, reason));
        }
        Ok(())
    };
    check(
        Validation::PRODUCT,
        "ProductCode",
        &revision.base_product_code,
    )?;
    check(
        Validation::UPGRADE_CODE,
        "UpgradeCode",
        &revision.upgrade_code,
    )?;
    check_version(
        property(db, "ProductVersion").unwrap_or_default(),
        &revision.base_version,
        flags,
    )
    .or_else(refuse)
}

/// The version fields the flags compare (major; major.minor; major.minor.build), related as
/// they ask (equal when no relation flag is set).
fn check_version(actual: &str, base: &str, flags: Validation) -> Result<(), String> {
    let fields = if flags.contains(Validation::UPDATE_VERSION) {
        3
    } else if flags.contains(Validation::MINOR_VERSION) {
        2
    } else if flags.contains(Validation::MAJOR_VERSION) {
        1
    } else {
        return Ok(());
    };
    let numbers = |text: &str| -> Vec<u32> {
        let mut parts: Vec<u32> = text
            .split('.')
            .map(|p| p.trim().parse().unwrap_or(0))
            .collect();
        parts.resize(fields, 0);
        parts.truncate(fields);
        parts
    };
    let order = numbers(actual).cmp(&numbers(base));
    use std::cmp::Ordering::*;
    let relations = [
        (Validation::NEW_LESS_BASE_VERSION, order == Less),
        (Validation::NEW_LESS_EQUAL_BASE_VERSION, order != Greater),
        (Validation::NEW_GREATER_EQUAL_BASE_VERSION, order != Less),
        (Validation::NEW_GREATER_BASE_VERSION, order == Greater),
        (Validation::NEW_EQUAL_BASE_VERSION, order == Equal),
    ];
    let asked: Vec<&(Validation, bool)> = relations
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .collect();
    let holds = match asked.first() {
        Some((_, holds)) => *holds,
        None => order == Equal,
    };
    if holds {
        return Ok(());
    }
    Err(format!(
        "the database's ProductVersion {actual:?} does not stand to the transform's base version {base:?} as its validation flags ({}) ask",
        flag_names(flags)
    ))
}

/// `PRODUCT | UPGRADE_CODE`, as the flags are named in the SDK without their prefix.
fn flag_names(flags: Validation) -> String {
    let names: Vec<&str> = flags.iter_names().map(|(name, _)| name).collect();
    names.join(" | ")
}

/// What applying needs at hand.
struct Applier<'x, 'a> {
    db: &'x mut Database<'a>,
    pool: &'x StringPool,
    streams: &'x BTreeMap<String, Cow<'x, [u8]>>,
    errors: ErrorConditions,
}

/// One record of a row stream: its mask and the column of each cell.
struct Record {
    offset: usize,
    mask: u16,
    values: Vec<(usize, Value)>,
}

impl Applier<'_, '_> {
    /// `_Tables` records: an insert adds an empty table, a delete drops one.
    fn tables_stream(&mut self, data: &[u8]) -> Result<(), ReadError> {
        let columns = [system_column("Name", ColumnKind::Str(64), true)];
        for record in records("_Tables", &columns, data, self.pool, &|_| false)? {
            let Some((_, Value::Str(name))) = record.values.first() else {
                return Err(fail("_Tables", record.offset, "a table with no name"));
            };
            let exists = self.db.tables.iter().position(|t| &t.name == name);
            match (record.mask, exists) {
                (0, Some(index)) => {
                    self.db.tables.remove(index);
                }
                (0, None) if self.errors.contains(ErrorConditions::DELETE_MISSING_TABLE) => {}
                (0, None) => {
                    let reason = format!("drops table {name}, which the database does not have");
                    return Err(fail("_Tables", record.offset, reason));
                }
                (_, Some(_)) if self.errors.contains(ErrorConditions::ADD_EXISTING_TABLE) => {}
                (_, Some(_)) => {
                    let reason = format!("adds table {name}, which the database has");
                    return Err(fail("_Tables", record.offset, reason));
                }
                (_, None) => self.db.tables.push(Table {
                    name: name.clone(),
                    columns: Vec::new(),
                    rows: Vec::new(),
                }),
            }
        }
        Ok(())
    }

    /// `_Columns` inserts: a column added to a table (a null Number means the next one).
    fn columns_stream(&mut self, data: &[u8]) -> Result<(), ReadError> {
        let columns = [
            system_column("Table", ColumnKind::Str(64), true),
            system_column("Number", ColumnKind::Int16, true),
            system_column("Name", ColumnKind::Str(64), false),
            system_column("Type", ColumnKind::Int16, false),
        ];
        for record in records("_Columns", &columns, data, self.pool, &|_| false)? {
            let cell = |index: usize| {
                record
                    .values
                    .iter()
                    .find(|(c, _)| *c == index)
                    .map(|(_, v)| v)
            };
            let (Some(Value::Str(table)), Some(Value::Str(name)), Some(Value::Int(bits))) =
                (cell(0), cell(2), cell(3))
            else {
                return Err(fail(
                    "_Columns",
                    record.offset,
                    "a column record needs Table, Name and Type",
                ));
            };
            if record.mask & 1 == 0 {
                let reason = "only column inserts are supported (a transform cannot drop or retype a column)";
                return Err(fail("_Columns", record.offset, reason));
            }
            let Some(target) = self.db.tables.iter_mut().find(|t| &t.name == table) else {
                let reason =
                    format!("adds a column to table {table}, which the database does not have");
                return Err(fail("_Columns", record.offset, reason));
            };
            let number = match cell(1) {
                Some(Value::Int(number)) => *number,
                _ => target.columns.len() as i32 + 1,
            };
            if number != target.columns.len() as i32 + 1 {
                let reason = format!(
                    "column {name} of table {table} is numbered {number}; the table has {} columns",
                    target.columns.len()
                );
                return Err(fail("_Columns", record.offset, reason));
            }
            let bits = *bits as u16;
            let kind = ColumnKind::from_type_bits(bits).ok_or_else(|| {
                fail(
                    "_Columns",
                    record.offset,
                    format!("column {table}.{name} has type {bits:#06x}, a size no cell has"),
                )
            })?;
            target.columns.push(Column {
                name: name.clone(),
                kind,
                nullable: bits & 0x1000 != 0,
                primary_key: bits & 0x2000 != 0,
                localizable: bits & 0x0200 != 0,
                type_bits: bits,
            });
            for row in &mut target.rows {
                row.push(Value::Null);
            }
        }
        Ok(())
    }

    fn table_stream(&mut self, name: &str, data: &[u8]) -> Result<(), ReadError> {
        let Some(index) = self.db.tables.iter().position(|t| t.name == name) else {
            return Err(fail(
                name,
                0,
                format!("the transform changes table {name}, which the database does not have"),
            ));
        };
        let streams = self.streams;
        let has_stream = |stream: &str| streams.contains_key(stream);
        let columns = self.db.tables[index].columns.clone();
        let found = records(name, &columns, data, self.pool, &has_stream)?;
        let keys = key_columns(&columns);
        if keys.is_empty() && !found.is_empty() {
            return Err(fail(
                name,
                0,
                "the table has no primary key, so a record cannot name its row",
            ));
        }
        let table = &mut self.db.tables[index];
        let mut by_key: BTreeMap<Vec<Value>, usize> = table
            .rows
            .iter()
            .enumerate()
            .map(|(row, cells)| (key_of(cells, &keys), row))
            .collect();
        let mut deleted = vec![false; table.rows.len()];
        for record in found {
            let mut row = vec![Value::Null; columns.len()];
            for (column, value) in &record.values {
                row[*column] = value.clone();
            }
            let key = key_of(&row, &keys);
            let existing = by_key.get(&key).copied().filter(|&r| !deleted[r]);
            let conflict = |what: &str, suppress: ErrorConditions| {
                let reason = format!("{what} (key {key:?})");
                (!self.errors.contains(suppress)).then(|| fail(name, record.offset, reason))
            };
            match (record.mask, existing) {
                (0, Some(r)) => deleted[r] = true,
                (0, None) => {
                    if let Some(error) = conflict(
                        "deletes a row the table does not have",
                        ErrorConditions::DELETE_MISSING_ROW,
                    ) {
                        return Err(error);
                    }
                }
                (mask, Some(r)) if mask & 1 == 1 => {
                    if let Some(error) = conflict(
                        "inserts a row the table has",
                        ErrorConditions::ADD_EXISTING_ROW,
                    ) {
                        return Err(error);
                    }
                    table.rows[r] = row;
                }
                (mask, None) if mask & 1 == 1 => {
                    by_key.insert(key, table.rows.len());
                    deleted.push(false);
                    table.rows.push(row);
                }
                (_, Some(r)) => {
                    for (column, value) in record.values {
                        table.rows[r][column] = value;
                    }
                }
                (_, None) => {
                    if let Some(error) = conflict(
                        "updates a row the table does not have",
                        ErrorConditions::UPDATE_MISSING_ROW,
                    ) {
                        return Err(error);
                    }
                }
            }
        }
        let mut flags = deleted.into_iter();
        table.rows.retain(|_| !flags.next().unwrap_or(false));
        for record_stream in streams_of(table) {
            if let Some(data) = streams.get(&record_stream) {
                self.db
                    .streams
                    .insert(record_stream, StreamData::from(data.to_vec()));
            }
        }
        Ok(())
    }
}

/// The stream names a table's stream cells give.
fn streams_of(table: &Table) -> Vec<String> {
    table
        .rows
        .iter()
        .flatten()
        .filter_map(|value| match value {
            Value::Stream(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn system_column(name: &str, kind: ColumnKind, primary_key: bool) -> Column {
    Column {
        name: name.into(),
        kind,
        nullable: false,
        primary_key,
        localizable: false,
        type_bits: 0,
    }
}

fn fail(table: &str, offset: usize, reason: impl Into<String>) -> ReadError {
    ReadError::new(Place::Table(table.into()), offset as u64, reason)
}

/// The bytes a cell of `kind` takes in a record.
fn width(kind: ColumnKind, ref_size: usize) -> usize {
    match kind {
        ColumnKind::Int16 | ColumnKind::Binary => 2,
        ColumnKind::Int32 => 4,
        ColumnKind::Str(_) => ref_size,
    }
}

/// Every record of a row stream; `has_stream` says whether the transform holds a stream.
fn records(
    table: &str,
    columns: &[Column],
    data: &[u8],
    pool: &StringPool,
    has_stream: &dyn Fn(&str) -> bool,
) -> Result<Vec<Record>, ReadError> {
    let ref_size = pool.ref_size();
    let mut found = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let mask_bytes = data
            .get(at..at + 2)
            .ok_or_else(|| fail(table, at, "the stream ends inside a record's mask"))?;
        let mask = u16::from_le_bytes([mask_bytes[0], mask_bytes[1]]);
        let present = present_columns(table, columns, mask, at)?;
        let size: usize = present
            .iter()
            .map(|&c| width(columns[c].kind, ref_size))
            .sum();
        let Some(cells) = data.get(at + 2..at + 2 + size) else {
            let reason = format!(
                "a record with mask {mask:#06x} needs {size} bytes after its mask; the stream has {} left",
                data.len() - at - 2
            );
            return Err(fail(table, at, reason));
        };
        let mut values = Vec::with_capacity(present.len());
        let mut cell_at = 0;
        for &c in &present {
            let bytes = width(columns[c].kind, ref_size);
            let raw = cells[cell_at..cell_at + bytes]
                .iter()
                .rev()
                .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
            let value = match columns[c].kind {
                ColumnKind::Binary => Value::Stream(String::new()),
                _ if raw == 0 => Value::Null,
                ColumnKind::Int16 => Value::Int(i32::from((raw as u16 ^ 0x8000) as i16)),
                ColumnKind::Int32 => Value::Int((raw ^ 0x8000_0000) as i32),
                ColumnKind::Str(_) => match pool.get(raw) {
                    Some(text) => Value::Str(text.to_string()),
                    None => {
                        let reason = format!(
                            "string id {raw} is not in the transform's pool of {} strings",
                            pool.len()
                        );
                        return Err(fail(table, at + 2 + cell_at, reason));
                    }
                },
            };
            values.push((c, value));
            cell_at += bytes;
        }
        name_stream_cells(table, columns, &mut values, at, has_stream)?;
        found.push(Record {
            offset: at,
            mask,
            values,
        });
        at += 2 + size;
    }
    Ok(found)
}

/// The columns a record with `mask` holds, in order.
fn present_columns(
    table: &str,
    columns: &[Column],
    mask: u16,
    at: usize,
) -> Result<Vec<usize>, ReadError> {
    if mask & 1 == 1 {
        let count = usize::from(mask >> 8);
        if count > columns.len() || count == 0 {
            let reason = format!(
                "an insert of {count} columns into a table of {}",
                columns.len()
            );
            return Err(fail(table, at, reason));
        }
        return Ok((0..count).collect());
    }
    if let Some(bit) = (columns.len()..16).find(|&bit| mask & (1 << bit) != 0) {
        let reason = format!(
            "mask {mask:#06x} names column {}; the table has {}",
            bit + 1,
            columns.len()
        );
        return Err(fail(table, at, reason));
    }
    Ok((0..columns.len())
        .filter(|&c| columns[c].primary_key || (c < 16 && mask & (1 << c) != 0))
        .collect())
}

/// Gives a record's stream cells the name `Table.Key…`, which must be a stream of the
/// transform.
fn name_stream_cells(
    table: &str,
    columns: &[Column],
    values: &mut [(usize, Value)],
    at: usize,
    has_stream: &dyn Fn(&str) -> bool,
) -> Result<(), ReadError> {
    if !values
        .iter()
        .any(|(c, _)| columns[*c].kind == ColumnKind::Binary)
    {
        return Ok(());
    }
    let mut name = table.to_string();
    for (c, value) in values.iter() {
        if columns[*c].primary_key {
            name.push('.');
            match value {
                Value::Int(number) => name.push_str(&number.to_string()),
                Value::Str(text) | Value::Stream(text) => name.push_str(text),
                Value::Null => {}
            }
        }
    }
    if !has_stream(&name) {
        let reason =
            format!("a record's stream cell names {name:?}, which the transform does not hold");
        return Err(fail(table, at, reason));
    }
    for (c, value) in values.iter_mut() {
        if columns[*c].kind == ColumnKind::Binary {
            *value = Value::Stream(name.clone());
        }
    }
    Ok(())
}
