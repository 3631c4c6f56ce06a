//! `sspr-msi diff A.msi B.msi`: the toolkit's [`msikit::diff`] of two files, as text or
//! JSON.

use super::{read_file, unreadable};
use crate::error::Result;
use msikit::compare::{Presence, TableDifference};
use msikit::diff::{Change, DiffOptions, PackageDiff};
use std::fmt::Write;
use std::path::Path;

/// Compares the packages at `old` and `new`.
///
/// # Errors
/// [`crate::error::Error::Input`] naming the file that cannot be read or is not an
/// installer database.
pub fn diff_files(old: &Path, new: &Path, options: DiffOptions) -> Result<PackageDiff> {
    let (old_bytes, new_bytes) = (read_file(old)?, read_file(new)?);
    msikit::diff::diff(&old_bytes, &new_bytes, options).map_err(|(side, error)| {
        let path = if side == 0 { old } else { new };
        unreadable(path, error)
    })
}

/// The difference as text: the verdict line first, then each difference.
pub fn render_text(difference: &PackageDiff) -> String {
    let verdict = if difference.is_equal() {
        "equal"
    } else {
        "different"
    };
    let mut text = format!("{verdict}: {}\n", difference.explanation().join("; "));
    for table in &difference.tables {
        render_table(table, &mut text);
    }
    for field in &difference.summary {
        let _ = writeln!(
            text,
            "summary {}: {} → {}",
            field.name,
            shown(&field.old),
            shown(&field.new)
        );
    }
    for stream in &difference.streams {
        render_change(
            stream,
            |s| format!("{} bytes, sha256 {}", s.size, s.sha256),
            &mut text,
        );
    }
    for file in &difference.cabinet_files {
        render_change(
            file,
            |f| {
                format!(
                    "{} bytes, version {}, sha256 {}",
                    f.size,
                    f.file_version
                        .as_deref()
                        .or(f.pe_version.as_deref())
                        .unwrap_or("-"),
                    f.sha256
                )
            },
            &mut text,
        );
    }
    if let Some(signature) = &difference.signature {
        render_change(
            signature,
            |s| {
                format!(
                    "{:?}, signer {}, timestamp {}",
                    s.status,
                    s.signer.as_deref().unwrap_or("-"),
                    s.timestamp.as_deref().unwrap_or("none")
                )
            },
            &mut text,
        );
    }
    text
}

fn render_table(table: &TableDifference, text: &mut String) {
    let presence = match table.presence {
        Presence::Added => "table added",
        Presence::Removed => "table removed",
        Presence::Changed => "table",
    };
    let _ = writeln!(text, "{presence} {}:", table.table);
    if let Some((old, new)) = &table.columns {
        let _ = writeln!(text, "  columns: {} → {}", old.join(", "), new.join(", "));
    }
    for (sign, rows) in [("+", &table.added), ("-", &table.removed)] {
        for row in rows {
            let cells: Vec<String> = row
                .cells
                .iter()
                .map(|(column, value)| format!("{column}={}", shown(value)))
                .collect();
            let _ = writeln!(
                text,
                "  {sign} [{}] {}",
                row.key.join(", "),
                cells.join(" ")
            );
        }
    }
    for row in &table.changed {
        for cell in &row.cells {
            let _ = writeln!(
                text,
                "  ~ [{}] {}: {} → {}",
                row.key.join(", "),
                cell.column,
                shown(&cell.old),
                shown(&cell.new)
            );
        }
    }
}

fn render_change<T>(change: &Change<T>, describe: impl Fn(&T) -> String, text: &mut String) {
    let side = |value: &Option<T>| value.as_ref().map_or("(none)".to_string(), &describe);
    let _ = writeln!(
        text,
        "{}:\n  - {}\n  + {}",
        change.name.replace('\u{5}', "\\005"),
        side(&change.old),
        side(&change.new)
    );
}

/// A cell in backquotes, its control characters (CustomActionData's line feeds) escaped so
/// that one cell stays on one line.
fn shown(value: &Option<String>) -> String {
    match value {
        Some(text) if text.contains(char::is_control) => {
            format!("`{}`", text.escape_debug())
        }
        Some(text) => format!("`{text}`"),
        None => "null".into(),
    }
}
