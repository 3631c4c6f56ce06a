//! Embedded cabinets: MSZIP, one folder, fixed timestamps, so the same files give the same
//! bytes.

use crate::source::{Error, FileSource, Result, SourceReader};
use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex};

/// Cabinets already built during one build, by content. The credential-provider packages of
/// one architecture embed the same payload: compressing it once per package was a quarter of a
/// matrix build's instructions (callgrind), and most of its time with large payloads.
#[derive(Debug, Default)]
pub struct Cache {
    built: Vec<Built>,
}

#[derive(Debug)]
struct Built {
    files: Vec<Identity>,
    timestamp: u64,
    cabinet: Arc<Vec<u8>>,
}

/// A file in a cabinet by what it holds: name in the cabinet, size and SHA-256. The sources
/// are checked against the last two as they are read, so equal identities give equal bytes.
type Identity = (String, u64, String);

fn identities(files: &[(&str, &FileSource)]) -> Vec<Identity> {
    files
        .iter()
        .map(|(name, source)| {
            (
                name.to_string(),
                source.size(),
                source.sha256().into_owned(),
            )
        })
        .collect()
}

impl Cache {
    /// The cabinet holding `files`, built now or earlier in this build.
    pub fn get_or_build(
        &mut self,
        files: &[(&str, &FileSource)],
        timestamp: u64,
    ) -> Result<Arc<Vec<u8>>> {
        let wanted = identities(files);
        if let Some(built) = self
            .built
            .iter()
            .find(|b| b.timestamp == timestamp && b.files == wanted)
        {
            return Ok(built.cabinet.clone());
        }
        let cabinet = Arc::new(build(files, timestamp)?);
        self.built.push(Built {
            files: wanted,
            timestamp,
            cabinet: cabinet.clone(),
        });
        Ok(cabinet)
    }
}

/// Deflate level of the MSZIP blocks. The cab crate compresses at 9; 6 made the test DLL's
/// cabinet 11 bytes (0.1 %) larger and took a fifth of the time (zlib), and on incompressible
/// payloads level 9 only spends time: a 100 MB payload's cabinet was most of a matrix build.
const LEVEL: u32 = 6;
/// Uncompressed bytes per CFDATA block (the format's maximum).
const BLOCK: usize = 0x8000;
/// Uncompressed bytes compressed as one piece, on one thread (8 blocks): a 100 MB payload's
/// cabinet was most of a matrix build's time on one core. Small pieces keep the buffers in
/// flight small (1 MiB pieces: 10 % more peak memory at 100 MB payloads).
const SEGMENT: usize = 8 * BLOCK;
/// Segments read but not yet appended, per compressing thread: enough to keep every thread
/// busy while the files are read, few enough that memory holds the cabinet and not the files.
const IN_FLIGHT_PER_WORKER: usize = 2;

/// A cabinet holding `files` (name in the cabinet, content), in order: one MSZIP folder, every
/// file dated `timestamp`. The files are read front to back once, each checked against its
/// size and SHA-256 (`SourceReader::finish`). Written here rather than by the cab crate (which
/// reads them back in the tests) for the compression level; the layout is the crate's.
pub fn build(files: &[(&str, &FileSource)], timestamp: u64) -> Result<Vec<u8>> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    build_on(files, timestamp, workers.min(8))
}

/// `build` on up to `workers` compressing threads (the bytes do not depend on it).
fn build_on(files: &[(&str, &FileSource)], timestamp: u64, workers: usize) -> Result<Vec<u8>> {
    let too_large = || too_large(files);
    let total = files.iter().try_fold(0usize, |total, (_, source)| {
        usize::try_from(source.size())
            .ok()
            .and_then(|size| total.checked_add(size))
    });
    let total = total.ok_or_else(too_large)?;
    let blocks = total.div_ceil(BLOCK);
    let count = u16::try_from(files.len()).map_err(|_| too_large())?;
    let block_count = u16::try_from(blocks).map_err(|_| too_large())?;
    let (date, time) = dos_bits(dos_datetime(timestamp));
    let mut cabinet = Vec::with_capacity(total + blocks * 16 + 4096);
    // CFHEADER; the cabinet's size and the first block's offset are filled in at the end.
    cabinet.extend_from_slice(b"MSCF");
    cabinet.extend_from_slice(&[0; 4]);
    cabinet.extend_from_slice(&[0; 4]); // cbCabinet
    cabinet.extend_from_slice(&[0; 4]);
    cabinet.extend_from_slice(&44u32.to_le_bytes()); // coffFiles: after this header and 1 folder
    cabinet.extend_from_slice(&[0; 4]);
    cabinet.extend_from_slice(&[3, 1]); // version 1.3
    cabinet.extend_from_slice(&1u16.to_le_bytes()); // folders
    cabinet.extend_from_slice(&count.to_le_bytes());
    cabinet.extend_from_slice(&[0; 6]); // flags, set ID, index in set
                                        // CFFOLDER
    cabinet.extend_from_slice(&[0; 4]); // coffCabStart
    cabinet.extend_from_slice(&block_count.to_le_bytes());
    cabinet.extend_from_slice(&1u16.to_le_bytes()); // MSZIP
    let mut offset = 0u32;
    for (name, source) in files {
        let size = u32::try_from(source.size()).map_err(|_| too_large())?;
        cabinet.extend_from_slice(&size.to_le_bytes());
        cabinet.extend_from_slice(&offset.to_le_bytes());
        offset = offset.checked_add(size).ok_or_else(too_large)?;
        cabinet.extend_from_slice(&0u16.to_le_bytes()); // folder
        cabinet.extend_from_slice(&date.to_le_bytes());
        cabinet.extend_from_slice(&time.to_le_bytes());
        let utf8 = if name.is_ascii() { 0 } else { 0x80 };
        cabinet.extend_from_slice(&(0x20u16 | utf8).to_le_bytes()); // archive
        cabinet.extend_from_slice(name.as_bytes());
        cabinet.push(0);
    }
    let first_block = cabinet.len() as u32;
    cabinet[36..40].copy_from_slice(&first_block.to_le_bytes());
    let mut folder = Folder {
        files: files.iter(),
        current: None,
        total,
        read: 0,
    };
    append_segments(&mut folder, workers, &mut cabinet)?;
    folder.finish()?;
    let size = u32::try_from(cabinet.len()).map_err(|_| too_large())?;
    cabinet[8..12].copy_from_slice(&size.to_le_bytes());
    Ok(cabinet)
}

/// The largest cabinet: one folder of at most 65,535 blocks of 32 KiB (2 GiB), and at most
/// 65,535 files. An input error, naming the largest file on disk: a payload too large to
/// package, not a fault of ours.
fn too_large(files: &[(&str, &FileSource)]) -> Error {
    let total: u64 = files.iter().map(|(_, source)| source.size()).sum();
    let message = format!(
        "{} files of {total} bytes in all do not fit one cabinet (at most {MAX_FILES} files and \
         {MAX_BYTES} bytes)",
        files.len()
    );
    let largest = files
        .iter()
        .filter_map(|(_, source)| match source {
            FileSource::Disk { path, size, .. } => Some((size, path)),
            FileSource::Memory(_) => None,
        })
        .max_by_key(|(size, _)| **size);
    match largest {
        Some((_, path)) => Error::input(path, message),
        None => Error::Internal(message),
    }
}

const MAX_FILES: usize = u16::MAX as usize;
/// The most one cabinet folder holds: 65,535 blocks of 32 KiB.
pub const MAX_BYTES: u64 = u16::MAX as u64 * BLOCK as u64;

/// The folder's bytes (the files one after another), read front to back in segments.
struct Folder<'a> {
    files: std::slice::Iter<'a, (&'a str, &'a FileSource)>,
    /// The file being read, until its last byte is.
    current: Option<SourceReader<'a>>,
    total: usize,
    read: usize,
}

impl Folder<'_> {
    fn segments(&self) -> usize {
        self.total.div_ceil(SEGMENT)
    }

    /// The next segment's bytes, gathered across file boundaries; each file is checked as
    /// its last byte is read.
    fn next_segment(&mut self) -> Result<Vec<u8>> {
        let mut segment = vec![0; SEGMENT.min(self.total - self.read)];
        let mut filled = 0;
        while filled < segment.len() {
            let reader = match &mut self.current {
                Some(reader) => reader,
                None => {
                    let Some((_, source)) = self.files.next() else {
                        return Err(Error::Internal("the cabinet's files ended early".into()));
                    };
                    self.current.insert(source.open()?)
                }
            };
            let take = reader.left().min((segment.len() - filled) as u64) as usize;
            reader.read_exact(&mut segment[filled..filled + take])?;
            filled += take;
            if reader.left() == 0 {
                self.current.take().map_or(Ok(()), SourceReader::finish)?;
            }
        }
        self.read += filled;
        Ok(segment)
    }

    /// Checks the files after the last byte (empty ones), once every segment is read.
    fn finish(self) -> Result<()> {
        if let Some(reader) = self.current {
            reader.finish()?;
        }
        for (_, source) in self.files {
            source.open()?.finish()?;
        }
        Ok(())
    }
}

/// Reads the folder's segments on this thread and compresses them on up to `workers` others,
/// appending them to `cabinet` in order, with at most `IN_FLIGHT_PER_WORKER` segments per
/// thread read but not yet appended.
fn append_segments(folder: &mut Folder, workers: usize, cabinet: &mut Vec<u8>) -> Result<()> {
    let segments = folder.segments();
    let workers = workers.min(segments);
    if workers <= 1 {
        for index in 0..segments {
            let data = folder.next_segment()?;
            cabinet.extend_from_slice(&compress_segment(&data, index + 1 == segments)?);
        }
        return Ok(());
    }
    let in_flight = workers * IN_FLIGHT_PER_WORKER;
    let (work, queue) = mpsc::channel::<Segment>();
    let (done, compressed) = mpsc::channel();
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        // Owned here, so that returning early drops it and the threads stop.
        let work = work;
        for _ in 0..workers {
            let (queue, done) = (&queue, done.clone());
            scope.spawn(move || {
                while let Some((index, data)) = take(queue) {
                    // A panic becomes an error: the reader would otherwise wait for this
                    // segment forever.
                    let last = index + 1 == segments;
                    let result = std::panic::catch_unwind(|| compress_segment(&data, last))
                        .unwrap_or_else(|_| {
                            Err(Error::Internal("MSZIP compression panicked".into()))
                        });
                    if done.send((index, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        let (mut sent, mut appended) = (0, 0);
        let mut waiting = BTreeMap::new();
        while appended < segments {
            while sent < segments && sent - appended < in_flight {
                let data = folder.next_segment()?;
                work.send((sent, data))
                    .map_err(|_| Error::Internal("the MSZIP threads stopped".into()))?;
                sent += 1;
            }
            let (index, result) = compressed
                .recv()
                .map_err(|_| Error::Internal("a cabinet segment was not compressed".into()))?;
            waiting.insert(index, result?);
            while let Some(segment) = waiting.remove(&appended) {
                cabinet.extend_from_slice(&segment);
                appended += 1;
            }
        }
        Ok(())
    })
}

/// A segment's index in the folder, and its bytes.
type Segment = (usize, Vec<u8>);

/// The next segment to compress, or `None` once the reader is gone. The lock is held only
/// while waiting for it.
fn take(queue: &Mutex<mpsc::Receiver<Segment>>) -> Option<Segment> {
    let queue = queue.lock().ok()?;
    queue.recv().ok()
}

/// The CFDATA blocks of one segment (whole blocks of 32 KiB; `last`: the folder's last
/// segment): a deflate compressor of its own runs across its blocks (each block may refer to
/// the previous 32 KiB), each block ending on a byte boundary. A segment's first block refers
/// to nothing before it, which MSZIP allows: segments compress independently, and the cabinet
/// is the same whatever the number of threads.
fn compress_segment(data: &[u8], last: bool) -> Result<Vec<u8>> {
    let mut compressor = flate2::Compress::new(flate2::Compression::new(LEVEL), false);
    let mut compressed = Vec::with_capacity(BLOCK + BLOCK / 2);
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 64);
    let blocks = data.len().div_ceil(BLOCK);
    for (number, block) in data.chunks(BLOCK).enumerate() {
        let final_block = last && number + 1 == blocks;
        mszip_block(&mut compressor, block, final_block, &mut compressed)?;
        let sizes = compressed.len() as u32 | ((block.len() as u32) << 16);
        out.extend_from_slice(&(checksum(&compressed) ^ sizes).to_le_bytes());
        out.extend_from_slice(&(compressed.len() as u16).to_le_bytes());
        out.extend_from_slice(&(block.len() as u16).to_le_bytes());
        out.extend_from_slice(&compressed);
    }
    Ok(out)
}

/// One MSZIP block ("CK", then deflate data ending on a byte boundary) into `out`; stored
/// when compressing would make it larger.
fn mszip_block(
    compressor: &mut flate2::Compress,
    data: &[u8],
    last: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    out.clear();
    out.extend_from_slice(b"CK");
    let flush = if last {
        flate2::FlushCompress::Finish
    } else {
        flate2::FlushCompress::Sync
    };
    let before = compressor.total_in();
    loop {
        let consumed = (compressor.total_in() - before) as usize;
        if out.capacity() - out.len() < 64 {
            out.reserve(BLOCK);
        }
        let status = compressor
            .compress_vec(&data[consumed..], out, flush)
            .map_err(|e| Error::Internal(format!("MSZIP compression failed: {e}")))?;
        let done = (compressor.total_in() - before) as usize == data.len();
        // Finished when all input is in and the flush left room to spare in the output.
        if done && (status == flate2::Status::StreamEnd || out.capacity() > out.len()) {
            break;
        }
    }
    if !last {
        // An empty final fixed-Huffman block: each block is a deflate stream of its own.
        out.extend_from_slice(&[0x03, 0x00]);
    }
    if out.len() > data.len() + 7 {
        out.clear();
        out.extend_from_slice(b"CK");
        out.push(1); // a final stored block
        out.extend_from_slice(&(data.len() as u16).to_le_bytes());
        out.extend_from_slice(&(!(data.len() as u16)).to_le_bytes());
        out.extend_from_slice(data);
    }
    Ok(())
}

/// The CFDATA checksum (before the sizes are folded in): the data as little-endian 32-bit
/// words XORed together, a last partial word taken with its bytes reversed.
fn checksum(data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(4);
    let mut value = 0u32;
    for word in &mut words {
        value ^= u32::from_le_bytes(word.try_into().expect("4 bytes"));
    }
    let tail = words.remainder();
    let mut last = 0u32;
    for &byte in tail {
        last = (last << 8) | u32::from(byte);
    }
    value ^ last
}

/// A DOS date and time (two-second resolution, rounded up).
fn dos_bits(datetime: time::PrimitiveDateTime) -> (u16, u16) {
    let datetime = if datetime.second() % 2 == 1 {
        datetime + time::Duration::seconds(1)
    } else {
        datetime
    };
    let date = (((datetime.year() - 1980) as u16) << 9)
        | ((datetime.month() as u16) << 5)
        | u16::from(datetime.day());
    let time = (u16::from(datetime.hour()) << 11)
        | (u16::from(datetime.minute()) << 5)
        | (u16::from(datetime.second()) / 2);
    (date, time)
}

/// Cabinets and zips store DOS times, from 1980 to 2107; clamp into that range.
pub fn dos_datetime(timestamp: u64) -> time::PrimitiveDateTime {
    const FIRST: i64 = 315_532_800; // 1980-01-01T00:00:00Z
    const LAST: i64 = 4_354_819_198; // 2107-12-31T23:59:58Z
    let seconds = i64::try_from(timestamp).unwrap_or(LAST).clamp(FIRST, LAST);
    let utc = time::OffsetDateTime::from_unix_timestamp(seconds).expect("clamped into range");
    time::PrimitiveDateTime::new(utc.date(), utc.time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read, Write};
    use std::path::Path;

    /// `files`' contents as sources in memory.
    fn in_memory(files: &[(&str, &[u8])]) -> Vec<FileSource> {
        let memory = |data: &[u8]| FileSource::Memory(Arc::new(data.to_vec()));
        files.iter().map(|(_, data)| memory(data)).collect()
    }

    /// `files` written into `dir`, as sources checked now.
    fn on_disk(dir: &Path, files: &[(&str, &[u8])]) -> Vec<FileSource> {
        files
            .iter()
            .enumerate()
            .map(|(index, (_, data))| {
                let path = dir.join(format!("{index}.bin"));
                std::fs::write(&path, data).unwrap();
                FileSource::Disk {
                    path,
                    size: data.len() as u64,
                    sha256: crate::hex::sha256_hex(data),
                }
            })
            .collect()
    }

    /// The cabinet of `files` (names from `files`, contents from `sources`) on `workers`.
    fn cabinet_of(
        files: &[(&str, &[u8])],
        sources: &[FileSource],
        timestamp: u64,
        workers: usize,
    ) -> Result<Vec<u8>> {
        let named: Vec<(&str, &FileSource)> =
            files.iter().map(|(name, _)| *name).zip(sources).collect();
        build_on(&named, timestamp, workers)
    }

    fn built(files: &[(&str, &[u8])], timestamp: u64) -> Vec<u8> {
        cabinet_of(files, &in_memory(files), timestamp, 2).unwrap()
    }

    /// The cab crate's own cabinet of the same files (level 9), as the reference.
    fn built_by_the_cab_crate(files: &[(&str, &[u8])], timestamp: u64) -> Vec<u8> {
        let mut builder = cab::CabinetBuilder::new();
        let folder = builder.add_folder(cab::CompressionType::MsZip);
        for (name, _) in files {
            folder.add_file(*name).set_datetime(dos_datetime(timestamp));
        }
        let mut writer = builder.build(Cursor::new(Vec::new())).unwrap();
        let mut contents = files.iter();
        while let Some(mut file) = writer.next_file().unwrap() {
            file.write_all(contents.next().unwrap().1).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn headers_match_the_cab_crates_and_every_size_reads_back() {
        let text: Vec<u8> = (0..300_000u32)
            .flat_map(|i| format!("line {} of {}\n", i % 977, i % 13).into_bytes())
            .take(300_000)
            .collect();
        let noise: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for files in [
            vec![("a.dll", &b"hello"[..])],
            vec![("empty", &b""[..]), ("x", &b"x"[..])],
            vec![("text.txt", &text[..32_768])],
            vec![
                ("text.txt", &text[..]),
                ("noise.bin", &noise[..]),
                ("ü.dll", &text[..5]),
            ],
        ] {
            let ours = built(&files, 1_704_067_201);
            let theirs = built_by_the_cab_crate(&files, 1_704_067_201);
            // Header, folder and file entries are the same bytes; only compression differs.
            let first_block = u32::from_le_bytes(ours[36..40].try_into().unwrap()) as usize;
            assert_eq!(ours[..8], theirs[..8]);
            assert_eq!(ours[12..34], theirs[12..34]);
            assert_eq!(ours[40..first_block], theirs[40..first_block]);
            assert_holds(ours, &files);
        }
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let big: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        let files: &[(&str, &[u8])] = &[("a.dll", b"hello"), ("big.bin", &big)];
        let bytes = built(files, 1_704_067_200);
        assert_eq!(bytes, built(files, 1_704_067_200));
        let cabinet = assert_holds(bytes, files);
        let entry = cabinet.get_file_entry("a.dll").unwrap();
        assert_eq!(entry.datetime().unwrap().year(), 2024);
    }

    /// Files across segment boundaries (256 KiB), compressible and not, one empty, one exactly
    /// a segment long.
    fn golden_files() -> Vec<(&'static str, Vec<u8>)> {
        let text: Vec<u8> = (0..700_000u32)
            .map(|i| b"abcdefghij"[(i % 7 + i % 3) as usize])
            .collect();
        // xorshift: incompressible, so these blocks are stored.
        let noise = |count: usize, mut state: u32| -> Vec<u8> {
            (0..count)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    state as u8
                })
                .collect()
        };
        vec![
            ("text.txt", text),
            ("empty", Vec::new()),
            ("noise.bin", noise(300_000, 1)),
            ("five", b"hello".to_vec()),
            ("segment", noise(SEGMENT, 7)),
        ]
    }

    /// The SHA-256 of `golden_files`' cabinet built from memory, before the builder read
    /// files from disk: streaming them must not change a byte.
    const GOLDEN_SHA256: &str = "25e2b99c27ae777382255e0b2f3c680f486057aea9ac63c6ebdbc68f86d16f4d";

    #[test]
    fn streamed_from_disk_on_any_number_of_threads_gives_the_same_cabinet() {
        let golden = golden_files();
        let files: Vec<(&str, &[u8])> = golden.iter().map(|(n, d)| (*n, &d[..])).collect();
        let dir = tempfile::tempdir().unwrap();
        let disk = on_disk(dir.path(), &files);
        let memory = in_memory(&files);
        for workers in [1, 2, 3, 8] {
            for sources in [&disk, &memory] {
                let bytes = cabinet_of(&files, sources, 1_704_067_200, workers).unwrap();
                assert_eq!(crate::hex::sha256_hex(&bytes), GOLDEN_SHA256, "{workers}");
            }
        }
        let bytes = cabinet_of(&files, &disk, 1_704_067_200, 2).unwrap();
        assert_holds(bytes, &files);
    }

    #[test]
    fn empty_files_first_last_or_alone_are_read_and_checked() {
        let noise: Vec<u8> = (0..SEGMENT as u32 + 10).map(|i| (i % 253) as u8).collect();
        for files in [
            vec![("empty", &b""[..])],
            vec![("a", &b""[..]), ("b", &b""[..])],
            vec![
                ("first", &b""[..]),
                ("noise", &noise[..]),
                ("last", &b""[..]),
            ],
        ] {
            let dir = tempfile::tempdir().unwrap();
            let disk = on_disk(dir.path(), &files);
            let bytes = cabinet_of(&files, &disk, 0, 2).unwrap();
            assert_eq!(bytes, built(&files, 0));
            assert_holds(bytes, &files);
            // The last file, changed after its check, even though it adds no block.
            std::fs::write(dir.path().join(format!("{}.bin", files.len() - 1)), b"x").unwrap();
            assert_changed(cabinet_of(&files, &disk, 0, 2));
        }
    }

    #[test]
    fn a_file_changed_after_its_check_stops_the_cabinet() {
        let golden = golden_files();
        let files: Vec<(&str, &[u8])> = golden.iter().map(|(n, d)| (*n, &d[..])).collect();
        for (index, workers) in [(0, 1), (0, 2), (2, 2), (4, 3)] {
            let dir = tempfile::tempdir().unwrap();
            let disk = on_disk(dir.path(), &files);
            // Same size, one byte flipped near the end: only the SHA-256 can tell.
            let path = dir.path().join(format!("{index}.bin"));
            let mut bytes = std::fs::read(&path).unwrap();
            let at = bytes.len() - 3;
            bytes[at] ^= 1;
            std::fs::write(&path, bytes).unwrap();
            assert_changed(cabinet_of(&files, &disk, 0, workers));
            std::fs::remove_file(&path).unwrap();
            match cabinet_of(&files, &disk, 0, workers) {
                Err(Error::Input { path: named, .. }) => assert_eq!(named, path),
                other => panic!("{other:?}"),
            }
        }
    }

    fn assert_changed(result: Result<Vec<u8>>) {
        match result {
            Err(Error::Input { message, .. }) => {
                assert_eq!(message, "the payload changed while the build ran")
            }
            other => panic!("{other:?}"),
        }
    }

    /// The cabinet `bytes`, after checking that the cab crate reads `files` back from it.
    fn assert_holds(bytes: Vec<u8>, files: &[(&str, &[u8])]) -> cab::Cabinet<Cursor<Vec<u8>>> {
        let mut cabinet = cab::Cabinet::new(Cursor::new(bytes)).unwrap();
        for (name, data) in files {
            let mut read = Vec::new();
            cabinet
                .read_file(name)
                .unwrap()
                .read_to_end(&mut read)
                .unwrap();
            assert_eq!(&read, data, "{name}");
        }
        cabinet
    }

    #[test]
    fn the_cache_builds_each_content_once() {
        let dir = tempfile::tempdir().unwrap();
        let payload = FileSource::Memory(Arc::new(b"payload".to_vec()));
        let on_disk = on_disk(dir.path(), &[("a.dll", b"payload")]).remove(0);
        let other = FileSource::Memory(Arc::new(b"other".to_vec()));
        let mut cache = Cache::default();
        let first = cache.get_or_build(&[("a.dll", &payload)], 0).unwrap();
        let again = cache.get_or_build(&[("a.dll", &on_disk)], 0).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "equal content is built once");
        for (files, timestamp) in [
            (&[("a.dll", &other)], 0),
            (&[("b.dll", &payload)], 0),
            (&[("a.dll", &payload)], 1_704_067_200),
        ] {
            let cabinet = cache.get_or_build(files, timestamp).unwrap();
            assert_eq!(*cabinet, build(files, timestamp).unwrap());
        }
        assert_eq!(cache.built.len(), 4);
    }

    #[test]
    fn timestamps_outside_the_dos_range_are_clamped() {
        assert_eq!(dos_datetime(0).year(), 1980);
        assert_eq!(dos_datetime(u64::MAX).year(), 2107);
    }

    #[test]
    fn files_too_large_for_a_cabinet_are_an_input_error_naming_the_largest() {
        let disk = |name: &str, size: u64| FileSource::Disk {
            path: Path::new("/payloads").join(name),
            size,
            sha256: String::new(),
        };
        let (small, large) = (disk("small.dll", 1 << 20), disk("large.dll", MAX_BYTES));
        let files = [("small.dll", &small), ("large.dll", &large)];
        match build(&files, 0) {
            Err(Error::Input { path, message }) => {
                assert_eq!(path, Path::new("/payloads/large.dll"));
                assert!(message.contains("do not fit one cabinet"), "{message}");
            }
            other => panic!("expected an input error, got {other:?}"),
        }
    }
}
