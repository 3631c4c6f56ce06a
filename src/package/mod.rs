//! Writing packages and other outputs to disk, atomically: a file in a staging folder beside
//! the destination, then a rename. The bytes come from `msikit::database` (tables, string pool and
//! summary information, written as a version-3 compound file with the database's own streams
//! going from their one copy in memory straight into the output file).

use crate::error::{Error, Result};
use msikit::database::Database;
use sha2::{Digest, Sha256};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Serialises a database to MSI bytes.
pub fn to_bytes(db: &Database) -> Result<Vec<u8>> {
    Ok(msikit::database::to_bytes(db)?)
}

pub use msikit::database::Contents;

/// `db`'s streams, ready to be written.
pub fn contents(db: &Database) -> Result<Contents<'_>> {
    Ok(msikit::database::contents(db)?)
}

mod staging;

pub use staging::{remove_active as remove_active_staging, StagingFolder};

/// A file written in a staging folder inside its destination's folder; `persist` renames it
/// to the destination, and dropping it instead removes it.
#[derive(Debug)]
pub struct Staged {
    staged: PathBuf,
    path: PathBuf,
    /// Kept until every file staged in it is renamed or dropped.
    _folder: Arc<StagingFolder>,
}

impl Staged {
    /// Writes `bytes` to a staging folder in `path`'s folder (created when missing).
    pub fn new(path: &Path, bytes: &[u8]) -> Result<Staged> {
        Ok(Staged::write_with(path, |out| out.write_all(bytes))?.0)
    }

    /// Writes what `write` writes (buffered) to a staging folder of its own in `path`'s
    /// folder (created when missing); returns it with the size and SHA-256 of what was
    /// written.
    pub fn write_with(
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(Staged, Written)> {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        Staged::write_in(&StagingFolder::create(folder)?, path, write)
    }

    /// Like [`Staged::write_with`], in a staging folder shared by several files (a build's
    /// packages). The file is created with the umask's permissions, as any build tool's
    /// output: the rename keeps them.
    pub fn write_in(
        folder: &Arc<StagingFolder>,
        path: &Path,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    ) -> Result<(Staged, Written)> {
        refuse_to_replace_other_than_a_file(path)?;
        let staged = Staged {
            staged: folder.place_for(path),
            path: path.to_path_buf(),
            _folder: Arc::clone(folder),
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged.staged)
            .map_err(|e| Error::output(path, e))?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            size: 0,
        };
        write(&mut out)
            .and_then(|()| out.inner.flush())
            .map_err(|e| Error::output(path, e))?;
        let written = Written {
            size: out.size,
            sha256: out.hasher.finalize().into(),
        };
        Ok((staged, written))
    }

    /// Renames the file to its final path. The rename is what keeps readers from ever seeing a
    /// partial file; there is no fsync before it (nor in wixl, cargo or the linkers). An fsync
    /// only matters after a power cut or kernel crash, which also ends the build (and the CI
    /// job) that wrote the file: the build is run again, and gives the same bytes. What fsync
    /// would cost is measured in benches/RESULTS.md ("fsync").
    pub fn persist(self) -> Result<()> {
        refuse_to_replace_other_than_a_file(&self.path)?;
        std::fs::rename(&self.staged, &self.path).map_err(|e| Error::output(&self.path, e))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        // Gone already when persisted; the folder removes itself with its last file.
        let _ = std::fs::remove_file(&self.staged);
    }
}

/// `--out` and FILE arguments are followed through symlinked folders (the user's choice),
/// but a destination name that is a directory, a symlink, a FIFO or a device is never
/// replaced: only a regular file (a package an earlier run wrote) is.
fn refuse_to_replace_other_than_a_file(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if !metadata.file_type().is_file() => Err(Error::output(
            path,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!(
                    "it exists and is {}, not a regular file: refusing to replace it",
                    kind_of(&metadata.file_type())
                ),
            ),
        )),
        _ => Ok(()),
    }
}

fn kind_of(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_block_device() || kind.is_char_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
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

/// Writes `bytes` to `path` through a staging folder beside it and a rename, so
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
