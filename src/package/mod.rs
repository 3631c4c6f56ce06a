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
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    Writer::default().to_bytes(db)
}

/// Serialises databases, many in one build. Each `create_table` of the msi crate reads and
/// rewrites its whole `_Columns` and `_Validation` tables, so creating a package's tables cost
/// more than filling them (half of a matrix build's instructions, callgrind): the writer creates
/// each set of tables once and starts every package that has that set from a copy.
#[derive(Debug, Default)]
pub struct Writer {
    /// Empty packages (codepage set, tables created, no rows) as v4 bytes, by table names.
    empty_packages: BTreeMap<Vec<&'static str>, Vec<u8>>,
}

impl Writer {
    /// Serialises `db` to MSI bytes.
    pub fn to_bytes(&mut self, db: &Database) -> Result<Vec<u8>> {
        let v4 = self
            .write_v4(db)
            .map_err(|e| Error::Internal(format!("writing MSI tables: {e}")))?;
        repack_as_v3(v4).map_err(|e| Error::Internal(format!("repacking the compound file: {e}")))
    }

    fn write_v4(&mut self, db: &Database) -> std::io::Result<Vec<u8>> {
        let names: Vec<&'static str> = db.tables.keys().copied().collect();
        let empty = match self.empty_packages.entry(names) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let bytes = empty_package(entry.key())?;
                entry.insert(bytes)
            }
        };
        let mut package = Package::open(Cursor::new(empty.clone()))?;
        write_summary(package.summary_info_mut(), &db.summary);
        for (name, rows) in &db.tables {
            let columns = schema::table(name).map_or(&[][..], |table| table.columns);
            let rows = rows
                .iter()
                .map(|row| row.iter().zip(columns).map(to_msi_value).collect())
                .collect();
            package.insert_rows(Insert::into(*name).rows(rows))?;
        }
        for (name, data) in &db.streams {
            package.write_stream(name)?.write_all(data)?;
        }
        package.flush()?;
        Ok(package.into_inner()?.into_inner())
    }
}

/// A package with the database codepage and `tables` created, and no rows.
fn empty_package(tables: &[&'static str]) -> std::io::Result<Vec<u8>> {
    let mut package = Package::create(PackageType::Installer, Cursor::new(Vec::new()))?;
    package.set_database_codepage(CodePage::Windows1252);
    for name in tables {
        let table = schema::table(name)
            .ok_or_else(|| std::io::Error::other(format!("no schema for table {name}")))?;
        package.create_table(
            table.name,
            table.columns.iter().map(|c| c.to_msi_column()).collect(),
        )?;
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

fn to_msi_value((cell, column): (&Cell, &schema::ColumnSchema)) -> Value {
    if column.kind == schema::ColumnKind::Binary {
        // The cell names the stream, which `db.streams` carries.
        return Value::Binary;
    }
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

/// A file written under a temporary name beside `path`; `persist` renames it to `path`, and
/// dropping it instead removes it.
#[derive(Debug)]
pub struct Staged {
    temporary: tempfile::NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// Writes `bytes` to a temporary file in `path`'s folder (created when missing).
    pub fn new(path: &Path, bytes: &[u8]) -> Result<Staged> {
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
        Ok(Staged {
            temporary,
            path: path.to_path_buf(),
        })
    }

    /// Renames the file to its final path. The rename is what keeps readers from ever seeing a
    /// partial file; there is no fsync before it (nor in wixl, cargo or the linkers): it cost
    /// more wall-clock time than any other step of a matrix build, and a power cut during a
    /// build is answered by building again.
    pub fn persist(self) -> Result<()> {
        let path = self.path;
        self.temporary
            .persist(&path)
            .map_err(|e| Error::output(&path, e.error))?;
        Ok(())
    }
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// a reader (or an interrupted build) never sees a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    Staged::new(path, bytes)?.persist()
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

    #[test]
    fn a_staged_file_that_is_not_persisted_is_removed() {
        let folder = tempfile::tempdir().unwrap();
        drop(Staged::new(&folder.path().join("out.msi"), b"bytes").unwrap());
        assert!(std::fs::read_dir(folder.path()).unwrap().next().is_none());
    }

    #[test]
    fn a_writer_gives_each_package_the_bytes_it_gets_alone() {
        let settings = crate::config::Settings::embedded_default().unwrap();
        let db = |target: &str| {
            let target = crate::target::Target::from_name(target).unwrap();
            let package = crate::model::sspr::package(&settings, target, Default::default());
            let options = crate::bind::BindOptions {
                timestamp: 0,
                creating_application: "test".into(),
            };
            crate::bind::bind(&package, &options).unwrap()
        };
        let mut writer = Writer::default();
        let targets = ["win10-x64", "win11-x64", "win10-x86", "win10-x64"];
        for target in targets {
            let db = db(target);
            assert_eq!(
                writer.to_bytes(&db).unwrap(),
                to_bytes(&db).unwrap(),
                "{target}"
            );
        }
    }
}
