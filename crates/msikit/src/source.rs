//! Where a packaged file's bytes come from. A checked payload stays on disk until its package
//! is built, and is then read front to back in chunks (memory never holds it whole): it must
//! still be the file that was checked, or the build stops.

use std::path::Path;

/// Why a packaged file's bytes could not be had.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file is missing, unreadable, too large, or changed since it was checked.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// A bug: the caller broke this module's contract.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn input(path: impl AsRef<Path>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.as_ref().to_path_buf(),
            message: message.into(),
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

/// A file's content, by where it is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    /// A checked file, read again when packaged: it must still have this size and SHA-256.
    Disk {
        path: PathBuf,
        size: u64,
        /// Lower-case hex.
        sha256: String,
    },
    /// Bytes already in memory (generated content, tests).
    Memory(Arc<Vec<u8>>),
}

impl FileSource {
    pub fn size(&self) -> u64 {
        match self {
            FileSource::Disk { size, .. } => *size,
            FileSource::Memory(bytes) => bytes.len() as u64,
        }
    }

    /// Lower-case hex SHA-256 of the content (computed for bytes in memory).
    pub fn sha256(&self) -> Cow<'_, str> {
        match self {
            FileSource::Disk { sha256, .. } => Cow::Borrowed(sha256),
            FileSource::Memory(bytes) => Cow::Owned(crate::hex::sha256_hex(bytes)),
        }
    }

    /// A reader of the content from its first byte.
    pub fn open(&self) -> Result<SourceReader<'_>> {
        let state = match self {
            FileSource::Memory(bytes) => State::Memory(bytes),
            FileSource::Disk { path, size, .. } => {
                let file = std::fs::File::open(path).map_err(|e| read_error(self, e))?;
                // A changed size is known before any byte is read.
                match file.metadata() {
                    Ok(metadata) if metadata.len() != *size => return Err(changed(self)),
                    Ok(_) => {}
                    Err(error) => return Err(read_error(self, error)),
                }
                State::Disk {
                    file,
                    hasher: Sha256::new(),
                }
            }
        };
        Ok(SourceReader {
            source: self,
            state,
            left: self.size(),
        })
    }

    /// The whole content, checked as `SourceReader::finish` checks it (shared, not copied,
    /// when already in memory).
    pub fn read_all(&self) -> Result<Arc<Vec<u8>>> {
        if let FileSource::Memory(bytes) = self {
            return Ok(Arc::clone(bytes));
        }
        let mut reader = self.open()?;
        let size = usize::try_from(self.size()).map_err(|_| changed(self))?;
        let mut bytes = vec![0; size];
        reader.read_exact(&mut bytes)?;
        reader.finish()?;
        Ok(Arc::new(bytes))
    }
}

/// Reads a `FileSource` front to back; `finish` checks that it was the file that was checked.
pub struct SourceReader<'a> {
    source: &'a FileSource,
    state: State<'a>,
    /// Bytes not read yet.
    left: u64,
}

enum State<'a> {
    Disk { file: std::fs::File, hasher: Sha256 },
    Memory(&'a [u8]),
}

impl SourceReader<'_> {
    /// Bytes not read yet.
    pub fn left(&self) -> u64 {
        self.left
    }

    /// Fills `buf` with the next bytes (`buf` is at most `left` long).
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        if buf.len() as u64 > self.left {
            return Err(Error::Internal(format!(
                "{} bytes asked of a file with {} left",
                buf.len(),
                self.left
            )));
        }
        match &mut self.state {
            State::Memory(bytes) => {
                let start = (self.source.size() - self.left) as usize;
                buf.copy_from_slice(&bytes[start..start + buf.len()]);
            }
            State::Disk { file, hasher } => {
                file.read_exact(buf).map_err(|error| match error.kind() {
                    std::io::ErrorKind::UnexpectedEof => changed(self.source),
                    _ => read_error(self.source, error),
                })?;
                hasher.update(&*buf);
            }
        }
        self.left -= buf.len() as u64;
        Ok(())
    }

    /// Checks, once every byte is read, that the file ends there and has the SHA-256 it was
    /// checked with.
    pub fn finish(self) -> Result<()> {
        if self.left != 0 {
            return Err(Error::Internal("a file was not read to its end".into()));
        }
        let State::Disk { mut file, hasher } = self.state else {
            return Ok(());
        };
        let grew = file
            .read(&mut [0])
            .map_err(|error| read_error(self.source, error))?
            > 0;
        if grew || crate::hex::hex(&hasher.finalize()) != self.source.sha256() {
            return Err(changed(self.source));
        }
        Ok(())
    }
}

fn path_of(source: &FileSource) -> PathBuf {
    match source {
        FileSource::Disk { path, .. } => path.clone(),
        FileSource::Memory(_) => PathBuf::from("<memory>"),
    }
}

fn changed(source: &FileSource) -> Error {
    Error::input(path_of(source), "the payload changed while the build ran")
}

fn read_error(source: &FileSource, error: std::io::Error) -> Error {
    Error::input(path_of(source), format!("cannot read the payload: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bytes` in a temporary file, and its source as checked now.
    fn on_disk(bytes: &[u8]) -> (tempfile::TempDir, FileSource) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("payload.dll");
        std::fs::write(&path, bytes).unwrap();
        let source = FileSource::Disk {
            path,
            size: bytes.len() as u64,
            sha256: crate::hex::sha256_hex(bytes),
        };
        (dir, source)
    }

    fn rewrite(source: &FileSource, bytes: &[u8]) {
        let FileSource::Disk { path, .. } = source else {
            unreachable!()
        };
        std::fs::write(path, bytes).unwrap();
    }

    fn assert_changed(result: Result<Arc<Vec<u8>>>) {
        match result {
            Err(Error::Input { message, .. }) => {
                assert_eq!(message, "the payload changed while the build ran")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_back_what_was_checked_in_chunks() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let (_dir, source) = on_disk(&bytes);
        assert_eq!(*source.read_all().unwrap(), bytes);
        let mut reader = source.open().unwrap();
        let mut read = vec![0; bytes.len()];
        for chunk in read.chunks_mut(30_000) {
            reader.read_exact(chunk).unwrap();
        }
        assert_eq!(reader.left(), 0);
        reader.finish().unwrap();
        assert_eq!(read, bytes);
        let memory = FileSource::Memory(Arc::new(bytes.clone()));
        assert_eq!(memory.sha256(), source.sha256());
        assert_eq!(memory.size(), source.size());
    }

    #[test]
    fn a_file_changed_since_its_check_is_refused() {
        let bytes = b"MZ checked".to_vec();
        let (_dir, source) = on_disk(&bytes);
        // Same size, other bytes: found by the SHA-256 at the end.
        rewrite(&source, b"MZ changed");
        assert_changed(source.read_all());
        // Longer or shorter: found before anything is read.
        rewrite(&source, b"MZ checked and more");
        assert_changed(source.read_all());
        rewrite(&source, b"MZ");
        assert_changed(source.read_all());
        rewrite(&source, &bytes);
        assert_eq!(*source.read_all().unwrap(), bytes);
    }

    #[test]
    fn a_missing_file_is_an_input_error() {
        let (dir, source) = on_disk(b"MZ");
        drop(dir);
        match source.read_all() {
            Err(Error::Input { message, .. }) => assert!(message.starts_with("cannot read")),
            other => panic!("{other:?}"),
        }
    }
}
