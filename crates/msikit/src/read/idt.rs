//! A table as a text archive file (`.idt`, the format `MsiDatabaseExport`, msidb, Orca and
//! `msiinfo export` write, and `MsiDatabaseImport`/`msibuild -i` read): column names, column
//! definitions (`s72`, `L0`, `i2`, `V0`…), the table name with its primary keys, then one line
//! per row, every line ended by CR LF and cells separated by tabs.
//!
//! Control characters inside cells are translated as msi.dll's export translates them
//! (Archive File Format: HT→16, LF→25, CR→17, FF→24, BS→27), so a cell never breaks a line;
//! msiinfo writes them untranslated, which only differs for cells that hold them. A table
//! with non-ASCII text gets the database codepage in front of its third line, as the format
//! asks; the file is UTF-8. A stream cell holds the stream's name (`Binary.Logo`), as msiinfo
//! writes it.

use super::{Column, ColumnKind, Table, Value};

/// The `.idt` text of `table`; `codepage` is the database's (0: neutral).
pub fn idt(table: &Table, codepage: u32) -> String {
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let definitions: Vec<String> = table.columns.iter().map(definition).collect();
    let rows: Vec<String> = table
        .rows
        .iter()
        .map(|row| row.iter().map(cell).collect::<Vec<_>>().join("\t"))
        .collect();
    let mut heading: Vec<String> = Vec::new();
    if rows.iter().any(|row| !row.is_ascii()) {
        heading.push(codepage.to_string());
    }
    heading.push(table.name.clone());
    heading.extend(
        table
            .columns
            .iter()
            .filter(|column| column.primary_key)
            .map(|column| column.name.clone()),
    );
    let mut text = String::new();
    for line in [names.join("\t"), definitions.join("\t"), heading.join("\t")]
        .iter()
        .chain(&rows)
    {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text
}

/// A column definition: the letter says the kind (`s` string, `l` localizable string, `i`
/// integer, `v` stream), upper case when the column takes nulls; the number is its size.
pub fn definition(column: &Column) -> String {
    let (letter, size) = match column.kind {
        ColumnKind::Int16 => ('i', 2),
        ColumnKind::Int32 => ('i', 4),
        ColumnKind::Str(length) if column.localizable => ('l', length),
        ColumnKind::Str(length) => ('s', length),
        ColumnKind::Binary => ('v', 0),
    };
    let letter = if column.nullable {
        letter.to_ascii_uppercase()
    } else {
        letter
    };
    format!("{letter}{size}")
}

fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Int(number) => number.to_string(),
        Value::Str(text) | Value::Stream(text) => text.chars().map(translate).collect(),
    }
}

/// A control character as the archive format stores it.
fn translate(c: char) -> char {
    match c {
        '\t' => '\u{10}',
        '\n' => '\u{19}',
        '\r' => '\u{11}',
        '\u{c}' => '\u{18}',
        '\u{8}' => '\u{1b}',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, kind: ColumnKind, nullable: bool, primary_key: bool) -> Column {
        Column {
            name: name.into(),
            kind,
            nullable,
            primary_key,
            localizable: false,
            type_bits: 0,
        }
    }

    #[test]
    fn header_lines_give_names_definitions_and_keys() {
        let table = Table {
            name: "Registry".into(),
            columns: vec![
                column("Registry", ColumnKind::Str(72), false, true),
                column("Root", ColumnKind::Int16, false, false),
                column("Value", ColumnKind::Str(0), true, false),
                column("Size", ColumnKind::Int32, true, false),
            ],
            rows: vec![vec![
                Value::Str("R1".into()),
                Value::Int(2),
                Value::Null,
                Value::Int(-7),
            ]],
        };
        assert_eq!(
            idt(&table, 1252),
            "Registry\tRoot\tValue\tSize\r\ns72\ti2\tS0\tI4\r\nRegistry\tRegistry\r\nR1\t2\t\t-7\r\n"
        );
    }

    #[test]
    fn control_characters_are_translated_and_non_ascii_names_the_codepage() {
        let table = Table {
            name: "Property".into(),
            columns: vec![
                column("Property", ColumnKind::Str(72), false, true),
                column("Value", ColumnKind::Str(0), false, false),
            ],
            rows: vec![vec![
                Value::Str("P".into()),
                Value::Str("a\tb\r\nc é".into()),
            ]],
        };
        let text = idt(&table, 1252);
        assert!(
            text.ends_with("1252\tProperty\tProperty\r\nP\ta\u{10}b\u{11}\u{19}c é\r\n"),
            "{text:?}"
        );
    }
}
