//! The only code that turns a `Database` into MSI bytes, and the
//! only code that writes them to disk (atomically: temporary file, then rename).
//!
//! The tables and summary information are encoded by `tables` (the `msi` crate reads them
//! back in tests and `verify`), and the package is written as a compound file version 3
//! (512-byte sectors, which osslsigncode reads, unlike the crate's version 4) by
//! `compound::write_v3`, the database's other streams (the cabinet) going from their one copy
//! in memory straight into the output file.

use crate::bind::Database;
use crate::compound::{self, RootStream};
use crate::error::{Error, Result};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;

mod tables;

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    contents(db)?.to_bytes()
}

/// A package's streams, ready to be written as a compound file: the tables and summary
/// information (small, encoded by `tables`) and the database's own streams (a cabinet can be
/// most of the package), borrowed, never copied.
#[derive(Debug)]
pub struct Contents<'a> {
    /// By compound-file name (encoded as Windows Installer encodes stream names).
    streams: BTreeMap<String, Cow<'a, [u8]>>,
}

/// The root storage's CLSID in an installer package, {000C1084-0000-0000-C000-000000000046}.
const INSTALLER_CLSID: Uuid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);

impl<'a> Contents<'a> {
    /// Every stream, by compound-file name, in name order.
    pub fn streams(&self) -> Vec<RootStream<'_>> {
        self.streams
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_ref()))
            .collect()
    }

    pub fn root_clsid(&self) -> Uuid {
        INSTALLER_CLSID
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
        compound::write_v3(INSTALLER_CLSID, &self.streams(), out)
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.size() as usize);
        self.write(&mut bytes)
            .map_err(|e| Error::Internal(format!("writing the compound file: {e}")))?;
        Ok(bytes)
    }
}

/// `db`'s streams: its tables and summary encoded, its own streams as they are.
pub fn contents(db: &Database) -> Result<Contents<'_>> {
    let mut streams = BTreeMap::new();
    let tables =
        tables::encode(db).map_err(|e| Error::Internal(format!("writing MSI tables: {e}")))?;
    for (name, data) in tables {
        streams.insert(name, Cow::Owned(data));
    }
    for (name, data) in &db.streams {
        let encoded = encode_stream_name(name)
            .ok_or_else(|| Error::Internal(format!("{name:?} is not a valid MSI stream name")))?;
        if streams.contains_key(&encoded) {
            return Err(Error::Internal(format!("two streams named {name:?}")));
        }
        streams.insert(encoded, Cow::Borrowed(data.as_slice()));
    }
    Ok(Contents { streams })
}

/// A stream name as Windows Installer stores it in the compound file (what the msi crate's
/// `write_stream` does). `None` for a name that does not fit the compound file's 31
/// characters, is empty, or starts with the table marker U+4840.
pub fn encode_stream_name(name: &str) -> Option<String> {
    if name.is_empty() || name.starts_with('\u{4840}') {
        return None;
    }
    let encoded = fold_stream_name(name);
    (encoded.encode_utf16().count() <= 31).then_some(encoded)
}

/// Pairs of characters of `[0-9A-Za-z._]` folded into one character of U+3800–U+47FF, a
/// single one into U+4800–U+483F; other characters kept.
fn fold_stream_name(name: &str) -> String {
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
    let mut encoded = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let folded = match (digit(c), chars.peek().copied().and_then(digit)) {
            (Some(first), Some(second)) => {
                chars.next();
                0x3800 + (second << 6) + first
            }
            (Some(first), None) => 0x4800 + first,
            (None, _) => {
                encoded.push(c);
                continue;
            }
        };
        encoded.push(char::from_u32(folded).expect("U+3800..U+483F are characters"));
    }
    encoded
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
    /// partial file; there is no fsync before it (nor in wixl, cargo or the linkers). An fsync
    /// only matters after a power cut or kernel crash, which also ends the build (and the CI
    /// job) that wrote the file: the build is run again, and gives the same bytes. For that, 9
    /// fsyncs cost 0.5–0.9 ms, 10–20 % of a matrix build.
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
    fn stream_names_are_folded_as_the_msi_crate_folds_them() {
        for name in ["sspr.cab", "Binary.CheckTls12", "a-b", "x", "_.9Zz"] {
            let mut package = msi::Package::create(
                msi::PackageType::Installer,
                std::io::Cursor::new(Vec::new()),
            )
            .unwrap();
            package
                .write_stream(name)
                .unwrap()
                .write_all(b"data")
                .unwrap();
            package.flush().unwrap();
            let bytes = package.into_inner().unwrap().into_inner();
            let streams = compound::Streams::read(&bytes).unwrap();
            let theirs: Vec<&str> = streams
                .streams
                .iter()
                .filter(|(_, data)| data == b"data")
                .map(|(path, _)| path.trim_start_matches('/'))
                .collect();
            assert_eq!(theirs, [encode_stream_name(name).unwrap()], "{name}");
        }
        assert_eq!(encode_stream_name(""), None);
        assert_eq!(encode_stream_name("\u{4840}x"), None);
        assert_eq!(encode_stream_name(&"x".repeat(63)), None);
        assert!(encode_stream_name(&"x".repeat(62)).is_some());
    }
}
