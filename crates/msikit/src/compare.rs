//! Table-level difference of two databases: rows matched by primary key (the `_Columns` key
//! bits of each side's own schema), cells matched by column name, so that two packages from
//! different builders (or with a column added) still compare row by row. Stream cells
//! compare by the stream's name; the streams themselves are compared by digest elsewhere.

use crate::read::{Table, Value};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// How one table differs; tables that are equal have none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableDifference {
    pub table: String,
    /// `added`/`removed` for a table only one side has, else `changed`.
    pub presence: Presence,
    /// Column names and definitions (`s72`, `I2`…) of each side, when they differ.
    pub columns: Option<(Vec<String>, Vec<String>)>,
    pub added: Vec<KeyedRow>,
    pub removed: Vec<KeyedRow>,
    pub changed: Vec<ChangedRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Added,
    Removed,
    Changed,
}

/// A row by its primary key, with every cell as `column = value` (`None`: null).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyedRow {
    pub key: Vec<String>,
    pub cells: Vec<(String, Option<String>)>,
}

/// A row both sides have, with the cells that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangedRow {
    pub key: Vec<String>,
    pub cells: Vec<CellChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CellChange {
    pub column: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A cell as text (`None`: null); a stream cell is its stream's name.
pub fn cell_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Int(number) => Some(number.to_string()),
        Value::Str(text) | Value::Stream(text) => Some(text.clone()),
    }
}

/// Every table that differs between `old` and `new`, by name.
pub fn compare_tables(old: &[Table], new: &[Table]) -> Vec<TableDifference> {
    let by_name = |tables: &[Table]| -> BTreeMap<String, Table> {
        tables.iter().map(|t| (t.name.clone(), t.clone())).collect()
    };
    let (old, new) = (by_name(old), by_name(new));
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| match (old.get(name), new.get(name)) {
            (Some(old), Some(new)) => compare_table(old, new),
            (None, Some(new)) => Some(whole_table(new, Presence::Added)),
            (Some(old), None) => Some(whole_table(old, Presence::Removed)),
            (None, None) => None,
        })
        .collect()
}

/// The difference of two versions of one table, `None` when they are equal.
pub fn compare_table(old: &Table, new: &Table) -> Option<TableDifference> {
    let (old_rows, new_rows) = (keyed_rows(old), keyed_rows(new));
    let mut difference = TableDifference {
        table: new.name.clone(),
        presence: Presence::Changed,
        columns: (schema(old) != schema(new)).then(|| (schema(old), schema(new))),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for (key, cells) in &new_rows {
        match old_rows.get(key) {
            None => difference.added.push(keyed(key, cells)),
            Some(old_cells) => {
                let changes = cell_changes(old_cells, cells);
                if !changes.is_empty() {
                    difference.changed.push(ChangedRow {
                        key: key.clone(),
                        cells: changes,
                    });
                }
            }
        }
    }
    for (key, cells) in &old_rows {
        if !new_rows.contains_key(key) {
            difference.removed.push(keyed(key, cells));
        }
    }
    let equal = difference.columns.is_none()
        && difference.added.is_empty()
        && difference.removed.is_empty()
        && difference.changed.is_empty();
    (!equal).then_some(difference)
}

type Cells = BTreeMap<String, Option<String>>;

/// Each column as `name definition`, in order.
fn schema(table: &Table) -> Vec<String> {
    table
        .columns
        .iter()
        .map(|column| format!("{} {}", column.name, crate::read::idt::definition(column)))
        .collect()
}

/// Rows by primary key (the whole row for a table without one), each as column → text.
fn keyed_rows(table: &Table) -> BTreeMap<Vec<String>, Cells> {
    let keys: Vec<usize> = match table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, column)| column.primary_key)
        .map(|(index, _)| index)
        .collect::<Vec<_>>()
    {
        keys if keys.is_empty() => (0..table.columns.len()).collect(),
        keys => keys,
    };
    table
        .rows
        .iter()
        .map(|row| {
            let key = keys
                .iter()
                .map(|&index| row.get(index).and_then(cell_text).unwrap_or_default())
                .collect();
            let cells = table
                .columns
                .iter()
                .zip(row)
                .map(|(column, value)| (column.name.clone(), cell_text(value)))
                .collect();
            (key, cells)
        })
        .collect()
}

fn keyed(key: &[String], cells: &Cells) -> KeyedRow {
    KeyedRow {
        key: key.to_vec(),
        cells: cells.iter().map(|(c, v)| (c.clone(), v.clone())).collect(),
    }
}

/// The cells that differ, over the columns of both sides (a missing column reads as null).
fn cell_changes(old: &Cells, new: &Cells) -> Vec<CellChange> {
    let columns: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    columns
        .into_iter()
        .filter_map(|column| {
            let (before, after) = (
                old.get(column).cloned().flatten(),
                new.get(column).cloned().flatten(),
            );
            (before != after).then(|| CellChange {
                column: column.clone(),
                old: before,
                new: after,
            })
        })
        .collect()
}

fn whole_table(table: &Table, presence: Presence) -> TableDifference {
    let rows: Vec<KeyedRow> = keyed_rows(table)
        .iter()
        .map(|(key, cells)| keyed(key, cells))
        .collect();
    let (added, removed) = match presence {
        Presence::Removed => (Vec::new(), rows),
        _ => (rows, Vec::new()),
    };
    TableDifference {
        table: table.name.clone(),
        presence,
        columns: None,
        added,
        removed,
        changed: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Column, ColumnKind};

    fn property_table(rows: &[(&str, &str)]) -> Table {
        let column = |name: &str, primary_key| Column {
            name: name.into(),
            kind: ColumnKind::Str(72),
            nullable: false,
            primary_key,
            localizable: false,
            type_bits: 0,
        };
        Table {
            name: "Property".into(),
            columns: vec![column("Property", true), column("Value", false)],
            rows: rows
                .iter()
                .map(|(k, v)| vec![Value::Str(k.to_string()), Value::Str(v.to_string())])
                .collect(),
        }
    }

    #[test]
    fn rows_are_matched_by_primary_key_whatever_their_order() {
        let old = property_table(&[("A", "1"), ("B", "2"), ("C", "3")]);
        let new = property_table(&[("D", "4"), ("C", "3"), ("A", "one")]);
        let difference = compare_table(&old, &new).unwrap();
        assert_eq!(difference.added[0].key, vec!["D"]);
        assert_eq!(difference.removed[0].key, vec!["B"]);
        assert_eq!(
            difference.changed,
            vec![ChangedRow {
                key: vec!["A".into()],
                cells: vec![CellChange {
                    column: "Value".into(),
                    old: Some("1".into()),
                    new: Some("one".into()),
                }],
            }]
        );
        let reordered = property_table(&[("C", "3"), ("B", "2"), ("A", "1")]);
        assert_eq!(compare_table(&old, &reordered), None);
    }

    #[test]
    fn a_table_only_one_side_has_lists_its_rows() {
        let table = property_table(&[("A", "1")]);
        let differences = compare_tables(&[], std::slice::from_ref(&table));
        assert_eq!(differences[0].presence, Presence::Added);
        assert_eq!(differences[0].added.len(), 1);
        let differences = compare_tables(&[table], &[]);
        assert_eq!(differences[0].presence, Presence::Removed);
    }
}
