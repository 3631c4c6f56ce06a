//! Cabinets ([MS-CAB]) read as a stream: each folder is inflated once, front to back, one
//! data block at a time, and every file's bytes go to the caller as the blocks produce them,
//! so memory holds two blocks (the block and the 32 KiB history MSZIP inflates against),
//! never a file or a folder. The input is read at positions ([`ReadAt`]), so a cabinet left
//! in its package file is never held whole either.
//!
//! Before anything is inflated, every structure is checked against the input: the header,
//! folders, files and data-block headers must lie inside it, a block inflates to at most
//! 32 KiB, a file must lie inside its folder's declared data, files of a folder must not
//! overlap (a folder shared by 64 entries is how a small cabinet becomes a large bomb), and the
//! files' declared sizes together must not exceed the cap the caller sets. A block must then
//! inflate to exactly its declared size, and a folder is inflated only as far as its last
//! file reaches. Block checksums, where a block has one, are checked.
//!
//! Supported: uncompressed and MSZIP folders in a single cabinet (what Windows Installer
//! packages embed). LZX and Quantum folders and cabinet sets spanning several files are
//! errors.

use super::error::{Place, ReadError, Result};
use super::input::ReadAt;
use flate2::{Decompress, FlushDecompress, Status};

const SIGNATURE: &[u8; 4] = b"MSCF";
const HEADER_SIZE: usize = 36;
const PREVIOUS_CABINET: u16 = 0x1;
const NEXT_CABINET: u16 = 0x2;
const RESERVE_PRESENT: u16 = 0x4;
const FOLDER_SIZE: usize = 8;
const FILE_SIZE: usize = 16;
const DATA_HEADER_SIZE: usize = 8;
/// The most a data block may inflate to, and MSZIP's history window.
const BLOCK_SIZE: usize = 32 * 1024;
/// A file name's longest form, its NUL included (CB_MAX_FILENAME).
const MAX_NAME: usize = 256;
const NAME_IS_UTF8: u16 = 0x80;

/// One file as the cabinet lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CabinetFile {
    pub name: String,
    pub size: u32,
    /// Index of the folder holding it.
    pub folder: u16,
    /// Where its bytes start in the folder's inflated data.
    pub folder_offset: u32,
    /// MS-DOS date and time.
    pub date: u16,
    pub time: u16,
    pub attributes: u16,
}

/// What the sink is told about a file: some of its bytes, in order, then its end.
#[derive(Debug, PartialEq, Eq)]
pub enum Chunk<'b> {
    Data(&'b [u8]),
    End,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    None,
    MsZip,
}

struct Folder {
    first_block: usize,
    block_count: u16,
    compression: Compression,
}

/// One data block's place in the input.
struct Block {
    header_offset: usize,
    checksum: u32,
    /// Its two size fields as stored, which the checksum covers.
    sizes: [u8; 4],
    data: std::ops::Range<usize>,
    inflated: usize,
}

/// The header's fields the data blocks need, with the folders and files.
struct Directory {
    folders: Vec<Folder>,
    files: Vec<CabinetFile>,
    /// The per-block reserve size the header states (0 without reserves).
    data_reserve: usize,
}

/// Reads every file of `cabinet` and hands its bytes to `sink` as they are inflated, with the
/// file's index in the list returned (each file's `Chunk::End` after its last data; the files
/// of a folder in the order of their data). `max_bytes` caps the sum of the files' sizes.
pub fn extract<R: ReadAt + ?Sized>(
    cabinet: &R,
    max_bytes: u64,
    mut sink: impl FnMut(usize, &CabinetFile, Chunk<'_>),
) -> Result<Vec<CabinetFile>> {
    let mut input = Window::new(cabinet);
    let directory = parse_directory(&mut input)?;
    let declared: u64 = directory
        .files
        .iter()
        .map(|file| u64::from(file.size))
        .sum();
    if declared > max_bytes {
        return Err(error(
            0,
            format!("its files declare {declared} bytes, more than the {max_bytes} allowed"),
        ));
    }
    let mut inflater = Decompress::new(false);
    let by_folder = members_by_folder(&directory.files, directory.folders.len());
    for (index, (folder, members)) in directory.folders.iter().zip(by_folder).enumerate() {
        let blocks = blocks(&input, folder, directory.data_reserve, index)?;
        check_members(&members, &blocks, index)?;
        inflate_folder(&input, folder, &blocks, &members, &mut inflater, &mut sink)?;
    }
    Ok(directory.files)
}

/// Each folder's files with their indexes, in the order of their data: one pass over the
/// files, so a cabinet of one folder per file costs linear time, not folders × files.
fn members_by_folder(
    files: &[CabinetFile],
    folder_count: usize,
) -> Vec<Vec<(usize, &CabinetFile)>> {
    let mut members = vec![Vec::new(); folder_count];
    for (index, file) in files.iter().enumerate() {
        // parse_file refused every file whose folder is not in the list.
        members[usize::from(file.folder)].push((index, file));
    }
    for folder in &mut members {
        folder.sort_by_key(|(_, file)| file.folder_offset);
    }
    members
}

/// Every file with its bytes, in the cabinet's order; `max_bytes` caps their sum.
pub fn extract_all<R: ReadAt + ?Sized>(
    cabinet: &R,
    max_bytes: u64,
) -> Result<Vec<(CabinetFile, Vec<u8>)>> {
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let files = extract(cabinet, max_bytes, |index, _, chunk| {
        if contents.len() <= index {
            contents.resize_with(index + 1, Vec::new);
        }
        if let Chunk::Data(bytes) = chunk {
            contents[index].extend_from_slice(bytes);
        }
    })?;
    contents.resize_with(files.len(), Vec::new);
    Ok(files.into_iter().zip(contents).collect())
}

fn error(offset: usize, reason: impl Into<String>) -> ReadError {
    ReadError::new(Place::Cabinet, offset as u64, reason)
}

/// How much the directory's small reads take from the input at once.
const WINDOW: usize = 64 * 1024;

/// The cabinet's bytes, read through a window so that the header's, folders' and files' small
/// reads do not each go to the file; data blocks are read whole, past the window.
struct Window<'r, R: ?Sized> {
    input: &'r R,
    len: usize,
    start: usize,
    bytes: Vec<u8>,
}

impl<'r, R: ReadAt + ?Sized> Window<'r, R> {
    fn new(input: &'r R) -> Self {
        Window {
            input,
            len: usize::try_from(input.len()).unwrap_or(usize::MAX),
            start: 0,
            bytes: Vec::new(),
        }
    }

    /// `len` bytes at `at`, which must all be in the cabinet.
    fn slice(&mut self, at: usize, len: usize) -> Result<&[u8]> {
        let end = self.end_of(at, len)?;
        if at < self.start || end > self.start + self.bytes.len() {
            let size = len.max(WINDOW).min(self.len - at);
            self.bytes.resize(size, 0);
            if let Err(error) = read_into(self.input, at, &mut self.bytes) {
                // A failed read leaves the window empty rather than half filled.
                self.bytes.clear();
                return Err(error);
            }
            self.start = at;
        }
        Ok(&self.bytes[at - self.start..end - self.start])
    }

    /// `buf.len()` bytes at `at` read straight into `buf`.
    fn exact(&self, at: usize, buf: &mut [u8]) -> Result<()> {
        self.end_of(at, buf.len())?;
        read_into(self.input, at, buf)
    }

    /// Where `len` bytes at `at` end, if that is inside the cabinet.
    fn end_of(&self, at: usize, len: usize) -> Result<usize> {
        at.checked_add(len)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| error(at, "the cabinet ends inside a structure"))
    }

    fn u16_at(&mut self, at: usize) -> Result<u16> {
        self.slice(at, 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32_at(&mut self, at: usize) -> Result<u32> {
        self.slice(at, 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

fn read_into<R: ReadAt + ?Sized>(input: &R, at: usize, buf: &mut [u8]) -> Result<()> {
    input
        .read_exact_at(buf, at as u64)
        .map_err(|problem| error(at, format!("reading the cabinet failed: {problem}")))
}

/// The header, folders and files, each checked to lie inside the input.
fn parse_directory<R: ReadAt + ?Sized>(cabinet: &mut Window<R>) -> Result<Directory> {
    if cabinet.len < HEADER_SIZE || cabinet.slice(0, 4)? != SIGNATURE {
        return Err(error(0, "not a cabinet (no MSCF header)"));
    }
    let declared_size = cabinet.u32_at(8)? as usize;
    if declared_size > cabinet.len {
        let reason = format!(
            "declares {declared_size} bytes, the input has {}",
            cabinet.len
        );
        return Err(error(8, reason));
    }
    let files_offset = cabinet.u32_at(16)? as usize;
    let (minor, major) = (cabinet.slice(24, 1)?[0], cabinet.slice(25, 1)?[0]);
    if major != 1 {
        return Err(error(
            24,
            format!("format version {major}.{minor}, not 1.x"),
        ));
    }
    let folder_count = cabinet.u16_at(26)?;
    let file_count = cabinet.u16_at(28)?;
    let flags = cabinet.u16_at(30)?;
    if flags & (PREVIOUS_CABINET | NEXT_CABINET) != 0 {
        return Err(error(
            30,
            "the cabinet is part of a set spanning several files",
        ));
    }
    let (mut at, folder_reserve, data_reserve) = if flags & RESERVE_PRESENT != 0 {
        let header_reserve = usize::from(cabinet.u16_at(HEADER_SIZE)?);
        let reserves = cabinet.u16_at(HEADER_SIZE + 2)?;
        (
            HEADER_SIZE + 4 + header_reserve,
            usize::from(reserves & 0xFF),
            usize::from(reserves >> 8),
        )
    } else {
        (HEADER_SIZE, 0, 0)
    };
    let folder_entry = FOLDER_SIZE + folder_reserve;
    if usize::from(folder_count) * folder_entry > cabinet.len.saturating_sub(at) {
        return Err(error(
            26,
            format!("{folder_count} folders do not fit in the cabinet"),
        ));
    }
    let mut folders = Vec::with_capacity(usize::from(folder_count));
    for _ in 0..folder_count {
        let compression = match cabinet.u16_at(at + 6)? & 0x000F {
            0 => Compression::None,
            1 => Compression::MsZip,
            2 => return Err(error(at + 6, "Quantum compression is not supported")),
            3 => return Err(error(at + 6, "LZX compression is not supported")),
            other => return Err(error(at + 6, format!("unknown compression type {other}"))),
        };
        folders.push(Folder {
            first_block: cabinet.u32_at(at)? as usize,
            block_count: cabinet.u16_at(at + 4)?,
            compression,
        });
        at += folder_entry;
    }
    // Every entry takes at least its 16 bytes and a NUL.
    if usize::from(file_count) * (FILE_SIZE + 1) > cabinet.len.saturating_sub(files_offset) {
        return Err(error(
            16,
            format!("{file_count} files do not fit in the cabinet"),
        ));
    }
    let mut files = Vec::with_capacity(usize::from(file_count));
    let mut at = files_offset;
    for _ in 0..file_count {
        let (file, next) = parse_file(cabinet, at, folder_count)?;
        files.push(file);
        at = next;
    }
    Ok(Directory {
        folders,
        files,
        data_reserve,
    })
}

/// The file entry at `at`, and where the next one starts.
fn parse_file<R: ReadAt + ?Sized>(
    cabinet: &mut Window<R>,
    at: usize,
    folder_count: u16,
) -> Result<(CabinetFile, usize)> {
    let folder = cabinet.u16_at(at + 8)?;
    if folder >= folder_count {
        let reason = if folder >= 0xFFFD {
            "a file continued from or into another cabinet".to_string()
        } else {
            format!("folder {folder} of {folder_count}")
        };
        return Err(error(at + 8, reason));
    }
    let attributes = cabinet.u16_at(at + 14)?;
    let name_at = at + FILE_SIZE;
    let window = cabinet.slice(name_at, MAX_NAME.min(cabinet.len.saturating_sub(name_at)))?;
    let Some(name_length) = window.iter().position(|&byte| byte == 0) else {
        let reason = format!("a file name with no NUL in its {MAX_NAME} bytes");
        return Err(error(name_at, reason));
    };
    let name_bytes = &window[..name_length];
    let name = match std::str::from_utf8(name_bytes) {
        Ok(name) => name.to_string(),
        // Not UTF-8 (and not flagged so): the bytes as Latin-1 keep the name readable.
        Err(_) if attributes & NAME_IS_UTF8 == 0 => {
            name_bytes.iter().map(|&b| char::from(b)).collect()
        }
        Err(_) => return Err(error(name_at, "a file name flagged UTF-8 is not UTF-8")),
    };
    let file = CabinetFile {
        name,
        size: cabinet.u32_at(at)?,
        folder,
        folder_offset: cabinet.u32_at(at + 4)?,
        date: cabinet.u16_at(at + 10)?,
        time: cabinet.u16_at(at + 12)?,
        attributes,
    };
    Ok((file, name_at + name_length + 1))
}

/// The data blocks of a folder, each checked to lie inside the input; only their headers
/// are read.
fn blocks<R: ReadAt + ?Sized>(
    cabinet: &Window<R>,
    folder: &Folder,
    data_reserve: usize,
    index: usize,
) -> Result<Vec<Block>> {
    let header = DATA_HEADER_SIZE + data_reserve;
    let count = usize::from(folder.block_count);
    if count * header > cabinet.len.saturating_sub(folder.first_block) {
        return Err(error(
            folder.first_block,
            format!("folder {index}: {count} data blocks do not fit in the cabinet"),
        ));
    }
    let mut blocks = Vec::with_capacity(count);
    let mut at = folder.first_block;
    for _ in 0..count {
        let mut fields = [0u8; DATA_HEADER_SIZE];
        cabinet.exact(at, &mut fields)?;
        let compressed = usize::from(u16::from_le_bytes([fields[4], fields[5]]));
        let inflated = usize::from(u16::from_le_bytes([fields[6], fields[7]]));
        let start = at + header;
        if start + compressed > cabinet.len {
            return Err(error(
                at + 4,
                format!("folder {index}: a data block of {compressed} bytes ends past the cabinet"),
            ));
        }
        if inflated > BLOCK_SIZE {
            return Err(error(
                at + 6,
                format!("folder {index}: a data block declares {inflated} bytes, more than 32 KiB"),
            ));
        }
        blocks.push(Block {
            header_offset: at,
            checksum: u32::from_le_bytes([fields[0], fields[1], fields[2], fields[3]]),
            sizes: [fields[4], fields[5], fields[6], fields[7]],
            data: start..start + compressed,
            inflated,
        });
        at = start + compressed;
    }
    Ok(blocks)
}

/// A folder's files must lie inside its data and must not overlap.
fn check_members(members: &[(usize, &CabinetFile)], blocks: &[Block], index: usize) -> Result<()> {
    let folder_size: u64 = blocks.iter().map(|block| block.inflated as u64).sum();
    let mut previous_end = 0u64;
    for (_, file) in members {
        let start = u64::from(file.folder_offset);
        let end = start + u64::from(file.size);
        if end > folder_size {
            let reason = format!(
                "folder {index}: file {:?} ends at byte {end}, the folder holds {folder_size}",
                file.name
            );
            return Err(error(0, reason));
        }
        if start < previous_end {
            return Err(error(
                0,
                format!(
                    "folder {index}: file {:?} overlaps the file before it",
                    file.name
                ),
            ));
        }
        previous_end = end;
    }
    Ok(())
}

/// Inflates a folder's blocks in order, as far as its last file reaches, handing each
/// file its bytes.
fn inflate_folder<R: ReadAt + ?Sized>(
    cabinet: &Window<R>,
    folder: &Folder,
    blocks: &[Block],
    members: &[(usize, &CabinetFile)],
    inflater: &mut Decompress,
    sink: &mut impl FnMut(usize, &CabinetFile, Chunk<'_>),
) -> Result<()> {
    let needed = members
        .iter()
        .map(|(_, file)| u64::from(file.folder_offset) + u64::from(file.size))
        .max();
    let Some(needed) = needed else {
        return Ok(());
    };
    let mut delivery = Delivery { members, next: 0 };
    delivery.send(0, &[], sink);
    let mut history: Vec<u8> = Vec::with_capacity(BLOCK_SIZE);
    let mut output = vec![0u8; BLOCK_SIZE + 1];
    let mut data = vec![0u8; usize::from(u16::MAX)];
    let mut position = 0u64;
    for block in blocks {
        if position >= needed {
            break;
        }
        let data = &mut data[..block.data.len()];
        cabinet.exact(block.data.start, data)?;
        check_sum(block, data)?;
        let inflated = match folder.compression {
            Compression::None if data.len() == block.inflated => &*data,
            Compression::None => {
                return Err(error(
                    block.header_offset + 4,
                    "an uncompressed block whose two sizes differ",
                ));
            }
            Compression::MsZip => {
                inflate_block(inflater, &history, data, &mut output[..block.inflated + 1])
                    .map_err(|problem| error(block.header_offset, problem.to_string()))?;
                &output[..block.inflated]
            }
        };
        delivery.send(position, inflated, sink);
        position += inflated.len() as u64;
        remember(&mut history, inflated);
    }
    if delivery.next < members.len() {
        return Err(error(
            folder.first_block,
            "the folder's data ends before its files do",
        ));
    }
    Ok(())
}

/// Keeps the last 32 KiB of output, what the next MSZIP block may refer back to.
fn remember(history: &mut Vec<u8>, inflated: &[u8]) {
    if inflated.len() >= BLOCK_SIZE {
        history.clear();
        history.extend_from_slice(&inflated[inflated.len() - BLOCK_SIZE..]);
        return;
    }
    let overflow = (history.len() + inflated.len()).saturating_sub(BLOCK_SIZE);
    history.drain(..overflow);
    history.extend_from_slice(inflated);
}

/// What is wrong with one MSZIP block.
#[derive(Debug, thiserror::Error)]
enum BlockProblem {
    #[error("an MSZIP block without its CK signature")]
    NoSignature,
    #[error("the MSZIP history is refused: {0}")]
    History(flate2::DecompressError),
    #[error("an MSZIP block does not inflate: {0}")]
    Inflate(flate2::DecompressError),
    #[error("an MSZIP block inflates to {produced} bytes or more, not the {expected} declared")]
    Size { produced: usize, expected: usize },
    #[error("an MSZIP block has data after its declared size")]
    TrailingData,
}

/// One MSZIP block: "CK", then a deflate stream that may refer back to `history`. `output` is
/// one byte longer than the block's declared size, so that more data than declared shows.
fn inflate_block(
    inflater: &mut Decompress,
    history: &[u8],
    data: &[u8],
    output: &mut [u8],
) -> std::result::Result<(), BlockProblem> {
    let expected = output.len() - 1;
    let Some(stream) = data.strip_prefix(b"CK") else {
        return Err(BlockProblem::NoSignature);
    };
    inflater.reset(false);
    if !history.is_empty() {
        inflater
            .set_dictionary(history)
            .map_err(BlockProblem::History)?;
    }
    let status = inflater
        .decompress(stream, output, FlushDecompress::Finish)
        .map_err(BlockProblem::Inflate)?;
    let produced = inflater.total_out() as usize;
    let consumed = inflater.total_in() as usize;
    match (status, produced == expected) {
        (_, false) => Err(BlockProblem::Size { produced, expected }),
        (Status::StreamEnd, true) => Ok(()),
        (_, true) if consumed == stream.len() => Ok(()),
        (_, true) => Err(BlockProblem::TrailingData),
    }
}

/// The block checksum of [MS-CAB] 2.6 over the data and the two size fields; 0 means none.
fn check_sum(block: &Block, data: &[u8]) -> Result<()> {
    if block.checksum == 0 {
        return Ok(());
    }
    let computed = checksum(&block.sizes, checksum(data, 0));
    if computed != block.checksum {
        let reason = format!(
            "data block checksum {:#010x}, computed {computed:#010x}",
            block.checksum
        );
        return Err(error(block.header_offset, reason));
    }
    Ok(())
}

fn checksum(bytes: &[u8], seed: u32) -> u32 {
    let mut words = bytes.chunks_exact(4);
    let mut sum = seed;
    for word in &mut words {
        sum ^= u32::from_le_bytes([word[0], word[1], word[2], word[3]]);
    }
    // The last one to three bytes count most significant first.
    let tail = words
        .remainder()
        .iter()
        .fold(0u32, |value, &byte| (value << 8) | u32::from(byte));
    sum ^ tail
}

/// Which file of a folder the inflated bytes go to next.
struct Delivery<'f> {
    members: &'f [(usize, &'f CabinetFile)],
    next: usize,
}

impl Delivery<'_> {
    /// Hands the bytes of `inflated` (which start at folder offset `start`) to the files they
    /// belong to, ending each file whose last byte they hold.
    fn send(
        &mut self,
        start: u64,
        inflated: &[u8],
        sink: &mut impl FnMut(usize, &CabinetFile, Chunk<'_>),
    ) {
        let end = start + inflated.len() as u64;
        while let Some(&(index, file)) = self.members.get(self.next) {
            let file_start = u64::from(file.folder_offset);
            let file_end = file_start + u64::from(file.size);
            if file_start > end || (file_start == end && file.size != 0) {
                return;
            }
            let from = file_start.max(start);
            let to = file_end.min(end);
            if to > from {
                sink(
                    index,
                    file,
                    Chunk::Data(&inflated[(from - start) as usize..(to - start) as usize]),
                );
            }
            if file_end > end {
                return;
            }
            sink(index, file, Chunk::End);
            self.next += 1;
        }
    }
}
