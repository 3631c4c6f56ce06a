//! The only code that turns a `Database` into MSI bytes (with the `msi` crate), and the
//! only code that writes them to disk (atomically: temporary file, then rename).
//!
//! The `msi` crate writes compound-file version 4 (4,096-byte sectors), which osslsigncode
//! cannot open; every stream is copied into a version 3 file (512-byte sectors), the format
//! Windows Installer itself writes, which Windows, Wine, msitools and osslsigncode all read.

use crate::bind::{Cell, Database, Summary};
use crate::error::{Error, Result};
use crate::schema;
use msi::{CodePage, Insert, Package, PackageType, Value};
use std::io::{Cursor, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    let v4 = write_v4(db).map_err(|e| Error::Internal(format!("writing MSI tables: {e}")))?;
    repack_as_v3(v4).map_err(|e| Error::Internal(format!("repacking the compound file: {e}")))
}

fn write_v4(db: &Database) -> std::io::Result<Vec<u8>> {
    let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new()))?;
    package.set_database_codepage(CodePage::Windows1252);
    write_summary(package.summary_info_mut(), &db.summary);
    for (name, rows) in &db.tables {
        let table = schema::table(name)
            .ok_or_else(|| std::io::Error::other(format!("no schema for table {name}")))?;
        package.create_table(
            table.name,
            table.columns.iter().map(|c| c.to_msi_column()).collect(),
        )?;
        let rows = rows
            .iter()
            .map(|row| row.iter().map(to_msi_value).collect())
            .collect();
        package.insert_rows(Insert::into(table.name).rows(rows))?;
    }
    for (name, data) in &db.streams {
        package.write_stream(name)?.write_all(data)?;
    }
    package.flush()?;
    Ok(package.into_inner()?.into_inner())
}

type Language = msi::LanguageId;

fn write_summary(info: &mut msi::SummaryInfo, summary: &Summary) {
    let time = UNIX_EPOCH + Duration::from_secs(summary.timestamp);
    info.set_codepage(CodePage::Windows1252);
    info.set_title(summary.title.clone());
    info.set_subject(summary.subject.clone());
    info.set_author(summary.author.clone());
    info.set_keywords(&summary.keywords);
    info.set_comments(summary.comments.clone());
    info.set_arch(summary.platform.clone());
    info.set_languages(&[Language::from_id(summary.language)]);
    info.set_uuid(summary.package_code);
    info.set_page_count(summary.page_count);
    info.set_word_count(summary.word_count);
    info.set_creating_application(summary.creating_application.clone());
    info.set_doc_security(summary.security);
    info.set_creation_time(time);
    info.set_last_save_time(time);
}

fn to_msi_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(value) => Value::Int(*value),
        Cell::Str(text) => Value::Str(text.clone()),
    }
}

/// Copies every stream, in sorted order, into a new version-3 compound file with the same
/// root CLSID.
fn repack_as_v3(v4: Vec<u8>) -> std::io::Result<Vec<u8>> {
    crate::compound::Streams::read(&v4)?.write_v3()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// a reader (or an interrupted build) never sees a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).map_err(|e| Error::output(folder, e))?;
    let mut temporary = tempfile::Builder::new()
        .prefix(".sspr-msi-")
        .suffix(".partial")
        .tempfile_in(folder)
        .map_err(|e| Error::output(folder, e))?;
    temporary
        .write_all(bytes)
        .map_err(|e| Error::output(path, e))?;
    temporary
        .as_file()
        .sync_all()
        .map_err(|e| Error::output(path, e))?;
    temporary
        .persist(path)
        .map_err(|e| Error::output(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary_file() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("out.msi");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = std::fs::read_dir(folder.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["out.msi"]);
    }
}
