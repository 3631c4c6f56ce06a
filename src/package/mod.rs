//! Writing packages and other outputs to disk, atomically: a temporary file beside the
//! destination, then a rename. The bytes come from `msikit::database` (tables, string pool and
//! summary information, written as a version-3 compound file with the database's own streams
//! going from their one copy in memory straight into the output file).

use crate::error::{Error, Result};
use msikit::database::Database;
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    Ok(msikit::database::to_bytes(db)?)
}

pub use msikit::database::Contents;

/// `db`'s streams, ready to be written.
pub fn contents(db: &Database) -> Result<Contents<'_>> {
    Ok(msikit::database::contents(db)?)
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
}
