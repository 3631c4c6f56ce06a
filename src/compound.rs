//! Compound files (the container an MSI is): every stream read out, or written into a
//! fresh version-3 file. Rewriting the whole file, rather than patching it, leaves no unused
//! sectors behind: a signature added or replaced that way is all the file holds.

use std::io::{Cursor, Read, Seek, Write};
use uuid::Uuid;

/// A compound file's content: the root storage CLSID and every stream by path (`/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streams {
    pub root_clsid: Uuid,
    /// Sorted by path.
    pub streams: Vec<(String, Vec<u8>)>,
}

impl Streams {
    pub fn read(bytes: &[u8]) -> std::io::Result<Streams> {
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes))?;
        let root_clsid = *file.root_entry().clsid();
        let mut paths: Vec<String> = file
            .walk()
            .filter(|entry| entry.is_stream())
            .map(|entry| entry.path().to_string_lossy().into_owned())
            .collect();
        paths.sort();
        let streams = paths
            .into_iter()
            .map(|path| {
                let mut data = Vec::new();
                file.open_stream(&path)?.read_to_end(&mut data)?;
                Ok((path, data))
            })
            .collect::<std::io::Result<_>>()?;
        Ok(Streams {
            root_clsid,
            streams,
        })
    }

    /// A fresh version-3 compound file (512-byte sectors), streams in sorted order.
    pub fn write_v3(&self) -> std::io::Result<Vec<u8>> {
        let mut file =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))?;
        file.set_storage_clsid("/", self.root_clsid)?;
        for (path, data) in &self.streams {
            create_parents(&mut file, path)?;
            file.create_stream(path)?.write_all(data)?;
        }
        file.flush()?;
        Ok(file.into_inner().into_inner())
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.streams
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, data)| data.as_slice())
    }

    pub fn remove(&mut self, path: &str) {
        self.streams.retain(|(p, _)| p != path);
    }

    pub fn insert(&mut self, path: &str, data: Vec<u8>) {
        self.remove(path);
        self.streams.push((path.to_string(), data));
        self.streams.sort_by(|a, b| a.0.cmp(&b.0));
    }
}

/// Sub-storages (rare in MSIs: embedded transforms) are recreated on the way.
fn create_parents<F: Read + Write + Seek>(
    file: &mut cfb::CompoundFile<F>,
    path: &str,
) -> std::io::Result<()> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut storage = String::new();
    for part in &parts[..parts.len().saturating_sub(1)] {
        storage.push('/');
        storage.push_str(part);
        if !file.exists(&storage) {
            file.create_storage(&storage)?;
        }
    }
    Ok(())
}
