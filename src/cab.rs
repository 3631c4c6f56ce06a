//! Embedded cabinets: MSZIP, one folder, fixed timestamps, so the same files give the same
//! bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Cabinets already built during one build, by content. The credential-provider packages of
/// one architecture embed the same payload: compressing it once per package was a quarter of a
/// matrix build's instructions (callgrind), and most of its time with large payloads.
#[derive(Debug, Default)]
pub struct Cache {
    built: Vec<Built>,
}

#[derive(Debug)]
struct Built {
    files: Vec<(String, Arc<Vec<u8>>)>,
    timestamp: u64,
    cabinet: Arc<Vec<u8>>,
}

impl Built {
    fn holds(&self, files: &[(&str, &Arc<Vec<u8>>)], timestamp: u64) -> bool {
        self.timestamp == timestamp
            && self.files.len() == files.len()
            && self
                .files
                .iter()
                .zip(files)
                .all(|((name, data), (other, other_data))| {
                    // The packages share the payload's bytes: comparing pointers is enough then.
                    name == other && (Arc::ptr_eq(data, other_data) || data == *other_data)
                })
    }
}

impl Cache {
    /// The cabinet holding `files`, built now or earlier in this build.
    pub fn get_or_build(
        &mut self,
        files: &[(&str, &Arc<Vec<u8>>)],
        timestamp: u64,
    ) -> std::io::Result<Arc<Vec<u8>>> {
        if let Some(built) = self.built.iter().find(|b| b.holds(files, timestamp)) {
            return Ok(built.cabinet.clone());
        }
        let slices: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
        let cabinet = Arc::new(build(&slices, timestamp)?);
        self.built.push(Built {
            files: files
                .iter()
                .map(|(n, d)| (n.to_string(), Arc::clone(d)))
                .collect(),
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

/// A cabinet holding `files` (name in the cabinet, content), in order: one MSZIP folder, every
/// file dated `timestamp`. Written here rather than by the cab crate (which reads them back in
/// the tests) for the compression level; the layout is the crate's.
pub fn build(files: &[(&str, &[u8])], timestamp: u64) -> std::io::Result<Vec<u8>> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    build_on(files, timestamp, workers.min(8))
}

/// `build` on up to `workers` threads (the bytes do not depend on it).
fn build_on(files: &[(&str, &[u8])], timestamp: u64, workers: usize) -> std::io::Result<Vec<u8>> {
    let too_large = || std::io::Error::other("the files are too large for one cabinet");
    let total: usize = files.iter().map(|(_, data)| data.len()).sum();
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
    for (name, data) in files {
        let size = u32::try_from(data.len()).map_err(|_| too_large())?;
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
    // The folder's bytes (the files one after another) in segments of whole 32 KiB blocks,
    // compressed on several threads and appended in order.
    let segments = total.div_ceil(SEGMENT);
    let workers = workers.min(segments);
    if workers <= 1 {
        for index in 0..segments {
            cabinet.extend_from_slice(&compress_segment(files, index, total)?);
        }
    } else {
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|scope| -> std::io::Result<()> {
            let (sender, receiver) = std::sync::mpsc::channel();
            for _ in 0..workers {
                let (sender, next) = (sender.clone(), &next);
                scope.spawn(move || loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if index >= segments {
                        break;
                    }
                    let result = compress_segment(files, index, total);
                    let failed = result.is_err();
                    if sender.send((index, result)).is_err() || failed {
                        break;
                    }
                });
            }
            drop(sender);
            // Segments are taken in order, so few wait here for an earlier one.
            let mut waiting = BTreeMap::new();
            let mut appended = 0;
            for (index, result) in receiver {
                waiting.insert(index, result?);
                while let Some(segment) = waiting.remove(&appended) {
                    cabinet.extend_from_slice(&segment);
                    appended += 1;
                }
            }
            if appended == segments {
                Ok(())
            } else {
                Err(std::io::Error::other(
                    "a cabinet segment was not compressed",
                ))
            }
        })?;
    }
    let size = u32::try_from(cabinet.len()).map_err(|_| too_large())?;
    cabinet[8..12].copy_from_slice(&size.to_le_bytes());
    Ok(cabinet)
}

/// The CFDATA blocks of segment `index` (bytes `index * SEGMENT..` of the folder, whole blocks
/// of 32 KiB): a deflate compressor of its own runs across its blocks (each block may refer to
/// the previous 32 KiB), each block ending on a byte boundary. A segment's first block refers
/// to nothing before it, which MSZIP allows: segments compress independently, and the cabinet
/// is the same whatever the number of threads.
fn compress_segment(
    files: &[(&str, &[u8])],
    index: usize,
    total: usize,
) -> std::io::Result<Vec<u8>> {
    let start = index * SEGMENT;
    let end = (start + SEGMENT).min(total);
    // The segment's bytes, gathered across file boundaries (copied only when it spans files).
    let mut gathered = Vec::new();
    let mut offset = 0;
    let mut data: &[u8] = &[];
    for (_, file) in files {
        let (from, to) = (start.max(offset), end.min(offset + file.len()));
        if from < to {
            let part = &file[from - offset..to - offset];
            if data.is_empty() && gathered.is_empty() && to - from == end - start {
                data = part;
                break;
            }
            gathered.extend_from_slice(part);
        }
        offset += file.len();
    }
    if data.is_empty() {
        data = &gathered;
    }
    let mut compressor = flate2::Compress::new(flate2::Compression::new(LEVEL), false);
    let mut compressed = Vec::with_capacity(BLOCK + BLOCK / 2);
    let mut out = Vec::with_capacity(data.len() + data.len() / 64 + 64);
    for (number, block) in data.chunks(BLOCK).enumerate() {
        let last = start + number * BLOCK + block.len() == total;
        mszip_block(&mut compressor, block, last, &mut compressed)?;
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
) -> std::io::Result<()> {
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
            .map_err(|e| std::io::Error::other(format!("MSZIP compression failed: {e}")))?;
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
            let ours = build(&files, 1_704_067_201).unwrap();
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
        let bytes = build(files, 1_704_067_200).unwrap();
        assert_eq!(bytes, build(files, 1_704_067_200).unwrap());
        let cabinet = assert_holds(bytes, files);
        let entry = cabinet.get_file_entry("a.dll").unwrap();
        assert_eq!(entry.datetime().unwrap().year(), 2024);
    }

    #[test]
    fn segments_compressed_on_threads_give_the_same_cabinet() {
        // Three files across segment boundaries (256 KiB), compressible and not.
        let text: Vec<u8> = (0..1_500_000u32)
            .map(|i| b"abcdefghij"[(i % 7 + i % 3) as usize])
            .collect();
        let noise: Vec<u8> = (0..1_200_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let files: &[(&str, &[u8])] = &[("a", &text), ("b", &noise[..1000]), ("c", &noise)];
        let one = build_on(files, 0, 1).unwrap();
        assert_eq!(one, build_on(files, 0, 3).unwrap());
        assert_holds(one, files);
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
        let payload = Arc::new(b"payload".to_vec());
        let copy = Arc::new(b"payload".to_vec());
        let other = Arc::new(b"other".to_vec());
        let mut cache = Cache::default();
        let first = cache.get_or_build(&[("a.dll", &payload)], 0).unwrap();
        let again = cache.get_or_build(&[("a.dll", &copy)], 0).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "equal content is built once");
        for (files, timestamp) in [
            (&[("a.dll", &other)], 0),
            (&[("b.dll", &payload)], 0),
            (&[("a.dll", &payload)], 1_704_067_200),
        ] {
            let cabinet = cache.get_or_build(files, timestamp).unwrap();
            let files: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
            assert_eq!(*cabinet, build(&files, timestamp).unwrap());
        }
        assert_eq!(cache.built.len(), 4);
    }

    #[test]
    fn timestamps_outside_the_dos_range_are_clamped() {
        assert_eq!(dos_datetime(0).year(), 1980);
        assert_eq!(dos_datetime(u64::MAX).year(), 2107);
    }
}
