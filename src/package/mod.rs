//! The only code that turns a `Database` into MSI bytes (with the `msi` crate), and the
//! only code that writes them to disk (atomically: temporary file, then rename).
//!
//! The `msi` crate writes compound-file version 4 (4,096-byte sectors), which osslsigncode
//! cannot open, and holds the whole file in memory: it writes only the tables and summary
//! information here, and the package is written as a version 3 file (512-byte sectors) by
//! `compound::write_v3`, the database's other streams (the cabinet) going from their one copy
//! in memory straight into the output file.

use crate::bind::{Cell, Database, Summary};
use crate::compound::{self, RootStream};
use crate::error::{Error, Result};
use crate::schema;
use msi::{CodePage, Insert, Package, PackageType, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::io::{BufWriter, Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};
use uuid::Uuid;

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    Writer::default().contents(db)?.to_bytes()
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

/// A package's streams, ready to be written as a compound file: the tables and summary
/// information (small, written by the msi crate) and the database's own streams (a cabinet can
/// be most of the package), borrowed, never copied.
#[derive(Debug)]
pub struct Contents<'a> {
    root_clsid: Uuid,
    /// By compound-file name (encoded as Windows Installer encodes stream names).
    streams: BTreeMap<String, Cow<'a, [u8]>>,
}

impl<'a> Contents<'a> {
    /// Every stream, by compound-file name, in name order.
    pub fn streams(&self) -> Vec<RootStream<'_>> {
        self.streams
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_ref()))
            .collect()
    }

    pub fn root_clsid(&self) -> Uuid {
        self.root_clsid
    }

    /// Adds (or replaces) a stream under its compound-file name, e.g. the signature.
    pub fn insert(&mut self, name: &str, data: Vec<u8>) {
        self.streams.insert(name.to_string(), Cow::Owned(data));
    }

    /// The size of the file `write` writes.
    pub fn size(&self) -> u64 {
        compound::v3_size(&self.streams())
    }

    /// Writes the package as a compound file version 3 (512-byte sectors), the format Windows
    /// Installer itself writes and that Windows, Wine, msitools and osslsigncode all read.
    pub fn write(&self, out: impl Write) -> std::io::Result<()> {
        compound::write_v3(self.root_clsid, &self.streams(), out)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.size() as usize);
        self.write(&mut bytes)
            .map_err(|e| Error::Internal(format!("writing the compound file: {e}")))?;
        Ok(bytes)
    }
}

impl Writer {
    /// Serialises `db` to MSI bytes.
    pub fn to_bytes(&mut self, db: &Database) -> Result<Vec<u8>> {
        self.contents(db)?.to_bytes()
    }

    /// `db`'s streams: its tables and summary through the msi crate, its streams as they are.
    pub fn contents<'a>(&mut self, db: &'a Database) -> Result<Contents<'a>> {
        let internal = |e: std::io::Error| Error::Internal(format!("writing MSI tables: {e}"));
        let tables =
            compound::Streams::read(&self.write_tables(db).map_err(internal)?).map_err(internal)?;
        let mut streams = BTreeMap::new();
        for (path, data) in tables.streams {
            let name = path.trim_start_matches('/').to_string();
            streams.insert(name, Cow::Owned(data));
        }
        for (name, data) in &db.streams {
            let encoded = encode_stream_name(name).ok_or_else(|| {
                Error::Internal(format!("{name:?} is not a valid MSI stream name"))
            })?;
            streams.insert(encoded, Cow::Borrowed(data.as_slice()));
        }
        Ok(Contents {
            root_clsid: tables.root_clsid,
            streams,
        })
    }

    /// The tables and summary information (no other stream) as the msi crate writes them
    /// (compound file version 4).
    fn write_tables(&mut self, db: &Database) -> std::io::Result<Vec<u8>> {
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
            let rows = rows
                .iter()
                .map(|row| row.iter().map(to_msi_value).collect())
                .collect();
            package.insert_rows(Insert::into(*name).rows(rows))?;
        }
        package.flush()?;
        Ok(package.into_inner()?.into_inner())
    }
}

/// A stream name as Windows Installer stores it in the compound file (what the msi crate's
/// `write_stream` does): pairs of characters of `[0-9A-Za-z._]` folded into one character of
/// U+3800–U+47FF, a single one into U+4800–U+483F. `None` for a name that does not fit the
/// compound file's 31 characters, is empty, or starts with the table marker U+4840.
pub fn encode_stream_name(name: &str) -> Option<String> {
    fn digit(c: char) -> Option<u32> {
        match c {
            '0'..='9' => Some(c as u32 - '0' as u32),
            'A'..='Z' => Some(10 + c as u32 - 'A' as u32),
            'a'..='z' => Some(36 + c as u32 - 'a' as u32),
            '.' => Some(62),
            '_' => Some(63),
            _ => None,
        }
    }
    if name.is_empty() || name.starts_with('\u{4840}') {
        return None;
    }
    let mut encoded = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match (digit(c), chars.peek().copied().and_then(digit)) {
            (Some(first), Some(second)) => {
                chars.next();
                encoded.push(char::from_u32(0x3800 + (second << 6) + first)?);
            }
            (Some(first), None) => encoded.push(char::from_u32(0x4800 + first)?),
            (None, _) => encoded.push(c),
        }
    }
    (encoded.encode_utf16().count() <= 31).then_some(encoded)
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

fn to_msi_value(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(value) => Value::Int(*value),
        Cell::Str(text) => Value::Str(text.clone()),
    }
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
        Ok(Staged::write_with(path, |out| out.write_all(bytes))?.0)
    }

    /// Writes what `write` writes (buffered) to a temporary file in `path`'s folder (created
    /// when missing); returns it with the size and SHA-256 of what was written.
    pub fn write_with(
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(Staged, Written)> {
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
        let written = {
            let mut out = Hashing {
                inner: BufWriter::with_capacity(1 << 16, temporary.as_file_mut()),
                hasher: Sha256::new(),
                size: 0,
            };
            write(&mut out)
                .and_then(|()| out.inner.flush())
                .map_err(|e| Error::output(path, e))?;
            Written {
                size: out.size,
                sha256: out.hasher.finalize().into(),
            }
        };
        Ok((
            Staged {
                temporary,
                path: path.to_path_buf(),
            },
            written,
        ))
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

/// What `Staged::write_with` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub size: u64,
    pub sha256: [u8; 32],
}

/// Hashes and counts what goes through it: the report's SHA-256 without reading the file back.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
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
            let package = crate::model::sspr::package(&settings, target, None);
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
