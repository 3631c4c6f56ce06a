//! The cabinet reader against the `cab` crate (what it writes and reads, ours reads the same),
//! then hostile cabinets: truncations, byte flips, overlapping files, declared bombs, blocks
//! that inflate to more than they declare, bad checksums.

use super::cabinet::{extract, extract_all, Chunk};
use super::testing::peak_allocation;
use super::{Place, ReadError};
use std::io::{Cursor, Read, Write};

/// Text and pseudo-random bytes, so that blocks both compress and do not.
fn content(size: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..size)
        .map(|index| {
            if index % 3000 < 1500 {
                b"The quick brown fox jumps over the lazy dog. "[index % 45]
            } else {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            }
        })
        .collect()
}

/// A cabinet the cab crate writes: an MSZIP folder of four files (one empty, one spanning
/// several blocks) and an uncompressed folder of one.
fn cab_crate_cabinet() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let files = vec![
        ("first.txt".to_string(), content(1000, 1)),
        ("empty.dat".to_string(), Vec::new()),
        ("large.bin".to_string(), content(200_000, 2)),
        ("last.txt".to_string(), content(40_000, 3)),
        ("stored.bin".to_string(), content(50_000, 4)),
    ];
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for (name, _) in &files[..4] {
        folder.add_file(name.clone());
    }
    builder
        .add_folder(cab::CompressionType::None)
        .add_file(files[4].0.clone());
    (written(builder, &files), files)
}

/// The cabinet `builder` writes, the files it lists holding `files`' contents in order.
fn written(builder: cab::CabinetBuilder, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = builder.build(Cursor::new(Vec::new())).unwrap();
    let mut contents = files.iter();
    while let Some(mut file) = writer.next_file().unwrap() {
        file.write_all(&contents.next().unwrap().1).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn a_cabinet_the_cab_crate_writes_reads_as_the_cab_crate_reads_it() {
    let (bytes, files) = cab_crate_cabinet();
    let ours = extract_all(&bytes, u64::MAX).unwrap();
    let mut theirs = cab::Cabinet::new(Cursor::new(&bytes)).unwrap();
    assert_eq!(ours.len(), files.len());
    for ((file, data), (name, original)) in ours.iter().zip(&files) {
        assert_eq!(&file.name, name);
        let mut their_data = Vec::new();
        theirs
            .read_file(name)
            .unwrap()
            .read_to_end(&mut their_data)
            .unwrap();
        assert!(data == &their_data && data == original, "{name} differs");
        let entry = theirs.get_file_entry(name).unwrap();
        assert_eq!(file.size, entry.uncompressed_size());
        assert_eq!(file.attributes & 0x80 != 0, entry.is_name_utf());
    }
}

#[test]
fn a_cabinet_of_one_folder_per_file_gives_every_file_its_own_bytes() {
    let files: Vec<(String, Vec<u8>)> = (0..300)
        .map(|index| (format!("f{index}.bin"), content(100 + index, index as u32)))
        .collect();
    let mut builder = cab::CabinetBuilder::new();
    for (name, _) in &files {
        builder
            .add_folder(cab::CompressionType::MsZip)
            .add_file(name.clone());
    }
    let bytes = written(builder, &files);
    let ours = extract_all(&bytes, u64::MAX).unwrap();
    assert_eq!(ours.len(), files.len());
    for ((file, data), (name, original)) in ours.iter().zip(&files) {
        assert_eq!((&file.name, data), (name, original));
        assert_eq!(file.folder_offset, 0, "{name} starts its own folder");
    }
}

#[test]
fn bytes_arrive_in_order_in_chunks_of_at_most_a_block_then_each_file_ends() {
    let (bytes, files) = cab_crate_cabinet();
    let mut events: Vec<(usize, Option<usize>)> = Vec::new();
    extract(&bytes, u64::MAX, |index, _, chunk| match chunk {
        Chunk::Data(data) => events.push((index, Some(data.len()))),
        Chunk::End => events.push((index, None)),
    })
    .unwrap();
    assert!(events
        .iter()
        .all(|(_, size)| size.is_none_or(|size| size <= 32 * 1024)));
    let ends: Vec<usize> = events
        .iter()
        .filter(|(_, size)| size.is_none())
        .map(|(index, _)| *index)
        .collect();
    assert_eq!(ends, [0, 1, 2, 3, 4]);
    for (index, (_, original)) in files.iter().enumerate() {
        let delivered: usize = events
            .iter()
            .filter(|(i, _)| *i == index)
            .filter_map(|(_, size)| *size)
            .sum();
        assert_eq!(delivered, original.len());
    }
}

/// A cabinet of one MSZIP folder made of `blocks` (each compressed on its own) holding
/// `files` (name, folder offset, size), without checksums.
fn crafted(blocks: &[Vec<u8>], files: &[(&str, u32, u32)]) -> Vec<u8> {
    let data: Vec<Vec<u8>> = blocks
        .iter()
        .map(|block| {
            let mut encoder =
                flate2::write::DeflateEncoder::new(b"CK".to_vec(), flate2::Compression::default());
            encoder.write_all(block).unwrap();
            encoder.finish().unwrap()
        })
        .collect();
    let names: usize = files.iter().map(|(name, _, _)| 16 + name.len() + 1).sum();
    let files_offset = 36 + 8;
    let data_offset = files_offset + names;
    let total = data_offset + data.iter().map(|block| 8 + block.len()).sum::<usize>();
    let mut out = b"MSCF".to_vec();
    for word in [0, total as u32, 0, files_offset as u32, 0] {
        out.extend(word.to_le_bytes());
    }
    out.extend([3, 1]);
    for half in [1u16, files.len() as u16, 0, 0, 0] {
        out.extend(half.to_le_bytes());
    }
    out.extend((data_offset as u32).to_le_bytes());
    out.extend((blocks.len() as u16).to_le_bytes());
    out.extend(1u16.to_le_bytes());
    for (name, offset, size) in files {
        out.extend(size.to_le_bytes());
        out.extend(offset.to_le_bytes());
        out.extend([0u8; 8]);
        out.extend(name.as_bytes());
        out.push(0);
    }
    for (block, original) in data.iter().zip(blocks) {
        out.extend(0u32.to_le_bytes());
        out.extend((block.len() as u16).to_le_bytes());
        out.extend((original.len() as u16).to_le_bytes());
        out.extend(block);
    }
    out
}

fn cabinet_error(bytes: &[u8], max_bytes: u64) -> ReadError {
    let (result, peak) = peak_allocation(|| extract(bytes, max_bytes, |_, _, _| {}).map(|_| ()));
    assert!(peak < (1 << 20), "{peak} bytes allocated");
    let error = result.unwrap_err();
    assert_eq!(error.place, Place::Cabinet);
    error
}

#[test]
fn files_sharing_one_zero_filled_folder_are_refused_before_inflating() {
    let zeros = vec![vec![0u8; 32 * 1024]; 32];
    let entries: Vec<(String, u32, u32)> = (0..64).map(|n| (format!("f{n}"), 0, 1 << 20)).collect();
    let files: Vec<(&str, u32, u32)> = entries
        .iter()
        .map(|(name, offset, size)| (name.as_str(), *offset, *size))
        .collect();
    let error = cabinet_error(&crafted(&zeros, &files), u64::MAX);
    assert!(
        error.reason.contains("overlaps the file before it"),
        "{error}"
    );
}

#[test]
fn a_zero_filled_bomb_is_stopped_by_the_callers_cap_and_streams_in_little_memory() {
    // 16 MiB of zeros in a cabinet of about 40 KiB.
    let zeros = vec![vec![0u8; 32 * 1024]; 512];
    let bytes = crafted(&zeros, &[("zeros", 0, 16 << 20)]);
    assert!(bytes.len() < 64 * 1024, "{}", bytes.len());
    let error = cabinet_error(&bytes, 1 << 20);
    assert!(
        error
            .reason
            .contains("declare 16777216 bytes, more than the 1048576 allowed"),
        "{error}"
    );
    let mut delivered = 0u64;
    let (result, peak) = peak_allocation(|| {
        extract(&bytes, 16 << 20, |_, _, chunk| {
            if let Chunk::Data(data) = chunk {
                assert!(data.iter().all(|&byte| byte == 0));
                delivered += data.len() as u64;
            }
        })
    });
    result.unwrap();
    assert_eq!(delivered, 16 << 20);
    assert!(peak < (1 << 20), "{peak} bytes allocated to stream 16 MiB");
}

#[test]
fn a_block_inflating_to_more_than_it_declares_is_an_error() {
    let mut bytes = crafted(&[vec![7u8; 1000]], &[("a", 0, 900)]);
    // The block's declared inflated size, 1000, becomes 900 (the header, one folder, one
    // file named "a", then the block).
    let block_header = 36 + 8 + 16 + 2;
    bytes[block_header + 6..block_header + 8].copy_from_slice(&900u16.to_le_bytes());
    let error = cabinet_error(&bytes, u64::MAX);
    assert!(error.reason.contains("not the 900 declared"), "{error}");
}

#[test]
fn a_file_past_its_folder_and_a_bad_checksum_are_errors() {
    let bytes = crafted(&[vec![1u8; 100]], &[("a", 50, 51)]);
    let error = cabinet_error(&bytes, u64::MAX);
    assert!(
        error
            .reason
            .contains("ends at byte 101, the folder holds 100"),
        "{error}"
    );
    let mut bytes = crafted(&[vec![1u8; 100]], &[("a", 0, 100)]);
    let block_header = 36 + 8 + 16 + 2;
    bytes[block_header..block_header + 4].copy_from_slice(&0x1234_5678u32.to_le_bytes());
    let error = cabinet_error(&bytes, u64::MAX);
    assert!(error.reason.contains("checksum 0x12345678"), "{error}");
}

#[test]
fn every_truncation_and_byte_flip_of_a_cabinet_is_files_or_an_error() {
    let (small, _) = cab_crate_cabinet();
    let read = |input: &[u8], what: &str| {
        let outcome =
            std::panic::catch_unwind(|| extract(input, 1 << 24, |_, _, _| {}).map(|_| ()));
        assert!(outcome.is_ok(), "{what}: the cabinet reader panicked");
    };
    let start = std::time::Instant::now();
    // Every length through the structures (the first 400 bytes), then every 97th.
    for length in (0..400).chain((400..small.len()).step_by(97)) {
        read(&small[..length], &format!("truncated to {length}"));
    }
    let mut mutated = small.clone();
    // Every byte of the structures and the first block's start, then every 211th.
    for offset in (0..600).chain((600..small.len()).step_by(211)) {
        for flip in [0xFF, 0x01] {
            mutated[offset] ^= flip;
            read(&mutated, &format!("byte {offset} ^ {flip:#x}"));
            mutated[offset] ^= flip;
        }
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn thousands_of_random_multi_byte_mutations_of_a_cabinet_are_files_or_errors() {
    let (cabinet, _) = cab_crate_cabinet();
    let mut mutations = super::testing::Mutations(0xCAB0_5EED_0000_0001);
    let start = std::time::Instant::now();
    let rounds = super::testing::mutation_rounds(2000);
    for round in 0..rounds {
        let mutated = mutations.mutate(&cabinet);
        let outcome =
            std::panic::catch_unwind(|| extract(&mutated, 1 << 24, |_, _, _| {}).map(|_| ()));
        assert!(
            outcome.is_ok(),
            "mutation round {round}: the cabinet reader panicked"
        );
    }
    assert!(
        start.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        start.elapsed()
    );
}

/// A 3 MiB MSZIP cabinet of 30 files, alone in a compound file written to `dir`, and the files.
fn cabinet_in_a_package_file(
    dir: &std::path::Path,
) -> (std::path::PathBuf, Vec<(String, Vec<u8>)>) {
    let files: Vec<(String, Vec<u8>)> = (0..30)
        .map(|n| (format!("f{n}.bin"), content(100_000 + n * 10, n as u32 + 7)))
        .collect();
    let mut builder = cab::CabinetBuilder::new();
    let folder = builder.add_folder(cab::CompressionType::MsZip);
    for (name, _) in &files {
        folder.add_file(name.clone());
    }
    let cabinet = written(builder, &files);
    assert!(cabinet.len() as u64 > super::compound::LEFT_IN_FILE);
    let mut package = Vec::new();
    crate::compound::write_v3(uuid::Uuid::nil(), &[("disk1.cab", &cabinet)], &mut package).unwrap();
    let path = dir.join("package.msi");
    std::fs::write(&path, package).unwrap();
    (path, files)
}

fn left_in_file(path: &std::path::Path) -> super::StreamData<'static> {
    let file = super::compound::CompoundFile::open(super::Input::open(path).unwrap()).unwrap();
    let stream = file.stream(file.find(&["disk1.cab"]).unwrap()).unwrap();
    assert!(matches!(stream, super::StreamData::File(_)), "{stream:?}");
    stream
}

#[test]
fn a_cabinet_left_in_its_package_file_extracts_as_in_memory_holding_only_a_few_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let (path, files) = cabinet_in_a_package_file(dir.path());
    let stream = left_in_file(&path);
    let (listed, peak) = peak_allocation(|| {
        let mut sizes = vec![0usize; files.len()];
        let listed = extract(&stream, u64::MAX, |index, _, chunk| {
            if let Chunk::Data(bytes) = chunk {
                sizes[index] += bytes.len();
            }
        });
        (listed.unwrap(), sizes)
    });
    assert!(peak < 512 << 10, "extracting held {peak} bytes at its peak");
    let expected: Vec<usize> = files.iter().map(|(_, data)| data.len()).collect();
    assert_eq!(listed.1, expected);
    let from_file = extract_all(&stream, u64::MAX).unwrap();
    let in_memory = extract_all(stream.load().unwrap().as_ref(), u64::MAX).unwrap();
    assert_eq!(from_file, in_memory);
    for ((file, data), (name, content)) in from_file.iter().zip(&files) {
        assert_eq!(&file.name, name);
        assert!(data == content, "{name}");
    }
}

#[test]
fn a_package_file_cut_short_after_it_was_opened_gives_errors_not_short_reads() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = cabinet_in_a_package_file(dir.path());
    let stream = left_in_file(&path);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(1 << 20).unwrap();
    let error = stream.load().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::UnexpectedEof, "{error}");
    assert!(stream.for_each_chunk(|_| {}).is_err());
    let error = extract(&stream, u64::MAX, |_, _, _| {}).unwrap_err();
    assert!(
        error.to_string().contains("reading the cabinet failed"),
        "{error}"
    );
}
