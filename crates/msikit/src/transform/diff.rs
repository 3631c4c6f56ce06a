//! The table-level difference of two databases: tables added and removed, tables whose
//! columns changed, and for every other table the rows inserted, deleted and updated (by
//! primary key, with the changed columns). A stream cell counts as changed when its stream's
//! bytes differ. Streams no table cell names (cabinets) are compared by content on their own.
//!
//! The transform writer encodes this; a semantic `diff` command can report it as it is.

use crate::read::{Column, Database, Table, Value};
use std::collections::{BTreeMap, BTreeSet};

/// What differs between a base database and a target database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDiff<'a> {
    /// Tables only the target has, whole.
    pub added_tables: Vec<&'a Table>,
    /// Tables only the base has.
    pub removed_tables: Vec<&'a Table>,
    /// Tables both have whose columns differ other than by columns appended at the end
    /// (names, order or types), by name.
    pub changed_schemas: Vec<String>,
    /// Tables both have with the same columns, or the target's with columns appended, and
    /// different rows or columns, by name.
    pub tables: Vec<TableDiff<'a>>,
    /// Streams that no table cell names, added, removed or changed, by name (summary
    /// information and signatures, `\u{5}…`, left out).
    pub streams: Vec<String>,
}

/// The row changes of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDiff<'a> {
    /// The target's table (its columns are the base's, then `added_columns`).
    pub table: &'a Table,
    /// Columns only the target has, at the end of its columns (none are primary keys).
    pub added_columns: &'a [Column],
    /// In primary-key order; a base row's cell in an added column counts as null.
    pub rows: Vec<RowChange<'a>>,
}

/// One row's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowChange<'a> {
    /// A row only the target has.
    Inserted(&'a [Value]),
    /// A row only the base has.
    Deleted(&'a [Value]),
    /// A row both have by key, with the indices of the columns whose values differ.
    Updated {
        row: &'a [Value],
        changed: Vec<usize>,
    },
}

impl DatabaseDiff<'_> {
    /// Whether the two databases' tables and streams are the same.
    pub fn is_empty(&self) -> bool {
        self.added_tables.is_empty()
            && self.removed_tables.is_empty()
            && self.changed_schemas.is_empty()
            && self.tables.is_empty()
            && self.streams.is_empty()
    }
}

/// The indices of a table's primary key columns.
pub fn key_columns(columns: &[Column]) -> Vec<usize> {
    (0..columns.len())
        .filter(|&c| columns[c].primary_key)
        .collect()
}

/// A row's primary key cells.
pub fn key_of(row: &[Value], keys: &[usize]) -> Vec<Value> {
    keys.iter().map(|&k| row[k].clone()).collect()
}

/// The difference from `base` to `target`.
pub fn diff<'a>(base: &'a Database<'_>, target: &'a Database<'_>) -> DatabaseDiff<'a> {
    let tables_of = |db: &'a Database<'_>| -> BTreeMap<&'a str, &'a Table> {
        db.tables
            .iter()
            .filter(|table| table.name != "_Tables" && table.name != "_Columns")
            .map(|table| (table.name.as_str(), table))
            .collect()
    };
    let (old, new) = (tables_of(base), tables_of(target));
    let mut result = DatabaseDiff {
        added_tables: new
            .iter()
            .filter(|(name, _)| !old.contains_key(*name))
            .map(|(_, table)| *table)
            .collect(),
        removed_tables: old
            .iter()
            .filter(|(name, _)| !new.contains_key(*name))
            .map(|(_, table)| *table)
            .collect(),
        changed_schemas: Vec::new(),
        tables: Vec::new(),
        streams: untracked_streams(base, target),
    };
    for (name, table) in &new {
        let Some(before) = old.get(name) else {
            continue;
        };
        let Some(added_columns) = appended_columns(&before.columns, &table.columns) else {
            result.changed_schemas.push(name.to_string());
            continue;
        };
        let rows = row_changes(before, table, base, target);
        if !rows.is_empty() || !added_columns.is_empty() {
            result.tables.push(TableDiff {
                table,
                added_columns,
                rows,
            });
        }
    }
    result
}

/// The columns `after` has past the end of `before`'s, when `before`'s are its first ones
/// and none of the new ones is a primary key (a transform can add columns, not change them).
fn appended_columns<'a>(before: &[Column], after: &'a [Column]) -> Option<&'a [Column]> {
    let kept = after.get(..before.len())?;
    let same = kept
        .iter()
        .zip(before)
        .all(|(x, y)| x.name == y.name && x.type_bits == y.type_bits);
    let added = &after[before.len()..];
    (same && added.iter().all(|column| !column.primary_key)).then_some(added)
}

fn row_changes<'a>(
    before: &'a Table,
    after: &'a Table,
    base: &Database<'_>,
    target: &Database<'_>,
) -> Vec<RowChange<'a>> {
    // A table without a primary key is keyed by all its columns: rows come and go whole.
    let mut keys = key_columns(&after.columns);
    if keys.is_empty() {
        keys = (0..after.columns.len()).collect();
    }
    let index = |table: &'a Table| -> BTreeMap<Vec<Value>, &'a [Value]> {
        table
            .rows
            .iter()
            .map(|row| (key_of(row, &keys), row.as_slice()))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    let all_keys: BTreeSet<&Vec<Value>> = old.keys().chain(new.keys()).collect();
    let mut changes = Vec::new();
    for key in all_keys {
        match (old.get(key), new.get(key)) {
            (None, Some(row)) => changes.push(RowChange::Inserted(row)),
            (Some(row), None) => changes.push(RowChange::Deleted(row)),
            (Some(was), Some(row)) => {
                let changed: Vec<usize> = (0..row.len())
                    .filter(|&c| {
                        let was = was.get(c).unwrap_or(&Value::Null);
                        !same_cell(was, &row[c], base, target)
                    })
                    .collect();
                if !changed.is_empty() {
                    changes.push(RowChange::Updated { row, changed });
                }
            }
            (None, None) => {}
        }
    }
    changes
}

/// Equal values; for stream cells, equal stream bytes too.
fn same_cell(was: &Value, now: &Value, base: &Database<'_>, target: &Database<'_>) -> bool {
    match (was, now) {
        (Value::Stream(a), Value::Stream(b)) => {
            a == b && base.streams.get(a) == target.streams.get(b)
        }
        _ => was == now,
    }
}

/// The names of the streams no stream cell of either database names, that one has and the
/// other has not, or that differ.
fn untracked_streams(base: &Database<'_>, target: &Database<'_>) -> Vec<String> {
    let named: BTreeSet<&str> = [base, target]
        .iter()
        .flat_map(|db| db.tables.iter())
        .flat_map(|table| table.rows.iter().flatten())
        .filter_map(|value| match value {
            Value::Stream(name) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let names: BTreeSet<&String> = base.streams.keys().chain(target.streams.keys()).collect();
    names
        .into_iter()
        .filter(|name| !name.starts_with('\u{5}') && !named.contains(name.as_str()))
        .filter(|name| base.streams.get(*name) != target.streams.get(*name))
        .cloned()
        .collect()
}
