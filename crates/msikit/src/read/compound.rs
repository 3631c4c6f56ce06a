//! A compound-file (OLE CFB, [MS-CFB]) reader over bytes in memory or a file read at
//! positions, for files from anyone.
//!
//! Every length a file states is checked against the file's real size before anything is
//! allocated, every sector chain is walked at most once per sector the table has (a cycle is
//! an error, never a hang), the directory tree is walked with an explicit stack and a visited
//! mark per entry, and storages nest at most [`MAX_DEPTH`] deep. Errors name the structure or
//! stream and the byte offset.

use super::error::{Place, ReadError, Result};
use super::input::{FileStream, Input, Run, StreamData};
use std::borrow::Cow;
use uuid::Uuid;

use crate::compound::directory::{
    DirEntry, ObjectType, DIR_ENTRY as ENTRY_SIZE, ENDOFCHAIN as END_OF_CHAIN,
    HEADER_DIFAT as HEADER_DIFAT_ENTRIES, HEADER_DIFAT_OFFSET, MINI_SECTOR as MINI_SECTOR_SIZE,
    NOSTREAM as NO_ENTRY, SECTOR as HEADER_SIZE, SIGNATURE,
};
/// Sector numbers above this are markers (DIFAT, FAT, end of chain, free), never sectors.
const MAX_REGULAR_SECTOR: u32 = 0xFFFF_FFFA;
const MINI_STREAM_CUTOFF: u64 = 4096;
/// How deep storages may nest. Windows Installer uses one level (embedded transforms and
/// nested installs); the bound keeps path building linear on crafted files.
pub const MAX_DEPTH: usize = 32;

/// Streams at least this long, in a file, stay there until they are read
/// ([`CompoundFile::stream`]).
pub const LEFT_IN_FILE: u64 = 1 << 20;

/// A parsed compound file: its directory and allocation tables, with stream data read on
/// demand from its input.
#[derive(Debug)]
pub struct CompoundFile<'a> {
    input: Input<'a>,
    sector_size: usize,
    fat: Vec<u32>,
    /// Each FAT sector, to say where in the file a bad FAT entry is.
    fat_sectors: Vec<u32>,
    /// The directory's sectors, to say where in the file a bad entry is.
    directory_sectors: Vec<u32>,
    mini_fat: Vec<u32>,
    mini_stream: Vec<u8>,
    /// The root storage (an empty path).
    root: Entry,
    /// Every storage and stream below the root, sorted by path.
    entries: Vec<Entry>,
}

/// A storage or stream below the root storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Names from the root's child down to this entry.
    pub path: Vec<String>,
    pub kind: EntryKind,
    /// A storage's CLSID (nil for streams and most storages).
    pub clsid: Uuid,
    /// A stream's size in bytes (0 for storages).
    pub size: u64,
    /// The directory's user-defined flags, which the MSI signature's metadata hash covers.
    pub state_bits: u32,
    /// FILETIMEs (100-nanosecond intervals since 1601), 0 when not set.
    pub created: u64,
    pub modified: u64,
    start: u32,
    /// Where the directory entry is in the file.
    offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    Storage,
    Stream,
}

struct Header {
    version: u16,
    sector_size: usize,
    fat_sector_count: u32,
    first_directory_sector: u32,
    first_mini_fat_sector: u32,
    mini_fat_sector_count: u32,
    first_difat_sector: u32,
    difat_sector_count: u32,
    /// The first FAT sectors, which the header itself lists.
    header_difat: Vec<u32>,
}

impl<'a> CompoundFile<'a> {
    /// Parses the header, allocation tables and directory of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<CompoundFile<'a>> {
        Self::open(Input::Bytes(bytes))
    }

    /// [`parse`](Self::parse) over any input: only the allocation tables, the directory and
    /// the mini stream are read now.
    pub fn open(input: Input<'a>) -> Result<CompoundFile<'a>> {
        let header_bytes = input
            .bytes_at(0, HEADER_SIZE.min(input.len() as usize))
            .map_err(|error| ReadError::new(Place::Header, 0, error.to_string()))?;
        let header = parse_header(&header_bytes)?;
        drop(header_bytes);
        let mut file = CompoundFile {
            input,
            sector_size: header.sector_size,
            fat: Vec::new(),
            fat_sectors: Vec::new(),
            directory_sectors: Vec::new(),
            mini_fat: Vec::new(),
            mini_stream: Vec::new(),
            root: Entry {
                path: Vec::new(),
                kind: EntryKind::Storage,
                clsid: Uuid::nil(),
                size: 0,
                state_bits: 0,
                created: 0,
                modified: 0,
                start: END_OF_CHAIN,
                offset: 0,
            },
            entries: Vec::new(),
        };
        file.fat_sectors = file.fat_sector_list(&header)?;
        file.fat = file.read_fat()?;
        file.directory_sectors =
            file.chain(header.first_directory_sector, 0x30, || Place::Directory)?;
        let raw_entries = file.read_directory(header.version)?;
        let root = &raw_entries[0];
        file.root = Entry {
            path: Vec::new(),
            kind: EntryKind::Storage,
            clsid: root.clsid,
            size: 0,
            state_bits: root.state_bits,
            created: root.created,
            modified: root.modified,
            start: root.start,
            offset: file.entry_offset(0) + 116,
        };
        file.mini_fat = file.read_mini_fat(&header)?;
        file.mini_stream = file
            .regular_stream(root.start, root.size, file.entry_offset(0) + 116, || {
                Place::Stream("mini stream (root entry)".into())
            })?
            .into_owned();
        file.entries = file.walk_tree(&raw_entries)?;
        Ok(file)
    }

    pub fn root_clsid(&self) -> Uuid {
        self.root.clsid
    }

    /// The root storage: an empty path, its CLSID, state bits and times.
    pub fn root(&self) -> &Entry {
        &self.root
    }

    /// 512 for a version 3 file, 4096 for version 4.
    pub fn sector_size(&self) -> usize {
        self.sector_size
    }

    /// Every storage and stream below the root, sorted by path.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The storages and streams directly in `storage` (the root, or a storage of
    /// [`entries`](Self::entries)), sorted by name.
    pub fn children<'s>(&'s self, storage: &'s Entry) -> impl Iterator<Item = &'s Entry> + 's {
        // Sorted by path, a storage's descendants follow it in one run.
        let first = self
            .entries
            .partition_point(|entry| entry.path <= storage.path);
        self.entries[first..]
            .iter()
            .take_while(move |entry| entry.path.starts_with(&storage.path))
            .filter(move |entry| entry.path.len() == storage.path.len() + 1)
    }

    /// The entry at `path` (names from the root down).
    pub fn find(&self, path: &[&str]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|entry| {
                entry
                    .path
                    .iter()
                    .map(String::as_str)
                    .cmp(path.iter().copied())
            })
            .ok()
            .map(|index| &self.entries[index])
    }

    /// A stream's data, borrowed from the file when its sectors are contiguous.
    pub fn read(&self, entry: &Entry) -> Result<Cow<'a, [u8]>> {
        let place = self.stream_place(entry)?;
        self.stream_bytes(entry, place)
    }

    /// A stream's data; one of at least [`LEFT_IN_FILE`] bytes in a file is left there, its
    /// sector chain checked now and its bytes read when they are used.
    pub fn stream(&self, entry: &Entry) -> Result<StreamData<'a>> {
        let place = self.stream_place(entry)?;
        match &self.input {
            Input::Shared(input) if entry.size >= LEFT_IN_FILE => {
                let sectors = self.stream_sectors(entry.start, entry.size, entry.offset, &place)?;
                Ok(StreamData::File(FileStream {
                    input: input.clone(),
                    runs: self.runs(&sectors, entry.size),
                    len: entry.size,
                }))
            }
            _ => self.stream_bytes(entry, place).map(StreamData::Memory),
        }
    }

    fn stream_place(&self, entry: &Entry) -> Result<impl Fn() -> Place> {
        let name = entry.path.join("/");
        let place = move || Place::Stream(name.clone());
        if entry.kind != EntryKind::Stream {
            return Err(ReadError::new(place(), 0, "is a storage, not a stream"));
        }
        Ok(place)
    }

    /// Contiguous sectors merged, the last cut to the stream's end.
    fn runs(&self, sectors: &[u32], size: u64) -> Vec<Run> {
        let sector_size = self.sector_size as u64;
        let mut runs: Vec<Run> = Vec::new();
        for (index, &sector) in sectors.iter().enumerate() {
            let stream_offset = index as u64 * sector_size;
            let len = sector_size.min(size - stream_offset);
            let file_offset = self.sector_offset(sector);
            match runs.last_mut() {
                Some(run) if run.file_offset + run.len == file_offset => run.len += len,
                _ => runs.push(Run {
                    stream_offset,
                    file_offset,
                    len,
                }),
            }
        }
        runs
    }

    fn stream_bytes(&self, entry: &Entry, place: impl Fn() -> Place) -> Result<Cow<'a, [u8]>> {
        if entry.size < MINI_STREAM_CUTOFF {
            self.mini_stream_data(entry.start, entry.size, entry.offset, place)
                .map(Cow::Owned)
        } else {
            self.regular_stream(entry.start, entry.size, entry.offset, place)
        }
    }

    /// Where sector `sector` starts in the file (sector 0 follows the header sector).
    fn sector_offset(&self, sector: u32) -> u64 {
        (u64::from(sector) + 1) * self.sector_size as u64
    }

    /// The sectors the file's bytes hold, counting a partial last one.
    fn file_sectors(&self) -> u64 {
        let size = self.sector_size as u64;
        self.input.len().saturating_sub(size).div_ceil(size)
    }

    /// Checks that `len` bytes from the start of sector `sector` are all in the file.
    fn check_in_file(&self, sector: u32, len: u64, place: impl Fn() -> Place) -> Result<u64> {
        let start = self.sector_offset(sector);
        if start + len > self.input.len() {
            return Err(ReadError::new(
                place(),
                start,
                format!(
                    "sector {sector} ends past the end of the file ({} bytes)",
                    self.input.len()
                ),
            ));
        }
        Ok(start)
    }

    /// The first `len` bytes from the start of sector `sector`, which must all be in the file.
    fn sector_bytes(
        &self,
        sector: u32,
        len: usize,
        place: impl Fn() -> Place,
    ) -> Result<Cow<'a, [u8]>> {
        let start = self.check_in_file(sector, len as u64, &place)?;
        self.input
            .bytes_at(start, len)
            .map_err(|error| ReadError::new(place(), start, error.to_string()))
    }

    fn fat_sector_list(&self, header: &Header) -> Result<Vec<u32>> {
        let count = u64::from(header.fat_sector_count);
        if count > self.file_sectors() {
            return Err(ReadError::new(
                Place::Header,
                0x2C,
                format!(
                    "{count} FAT sectors claimed, the file has only {} sectors",
                    self.file_sectors()
                ),
            ));
        }
        let count = count as usize;
        let mut list: Vec<u32> = header.header_difat[..count.min(HEADER_DIFAT_ENTRIES)].to_vec();
        let per_sector = self.sector_size / 4 - 1;
        let mut next = header.first_difat_sector;
        let mut offset = 0x44;
        let mut walked = 0u64;
        while list.len() < count {
            if next > MAX_REGULAR_SECTOR || u64::from(next) >= self.file_sectors() {
                return Err(ReadError::new(
                    Place::Difat,
                    offset,
                    format!("DIFAT sector {next:#x} is not in the file, with {} of {count} FAT sectors found", list.len()),
                ));
            }
            walked += 1;
            if walked > u64::from(header.difat_sector_count) {
                return Err(ReadError::new(
                    Place::Difat,
                    offset,
                    format!(
                        "more DIFAT sectors chained than the {} the header claims",
                        header.difat_sector_count
                    ),
                ));
            }
            let sector = self.sector_bytes(next, self.sector_size, || Place::Difat)?;
            let wanted = (count - list.len()).min(per_sector);
            list.extend((0..wanted).map(|index| le_u32(&sector, 4 * index)));
            offset = self.sector_offset(next) + 4 * per_sector as u64;
            next = le_u32(&sector, 4 * per_sector);
        }
        Ok(list)
    }

    fn read_fat(&self) -> Result<Vec<u32>> {
        let mut fat = Vec::with_capacity(self.fat_sectors.len() * self.sector_size / 4);
        for (index, &sector) in self.fat_sectors.iter().enumerate() {
            if sector > MAX_REGULAR_SECTOR {
                return Err(ReadError::new(
                    Place::Difat,
                    0,
                    format!("FAT sector {index} is the marker {sector:#x}, not a sector"),
                ));
            }
            let bytes = self.sector_bytes(sector, self.sector_size, || Place::Fat)?;
            fat.extend(bytes.chunks_exact(4).map(|word| le_u32(word, 0)));
        }
        Ok(fat)
    }

    /// Where the FAT entry for `sector` is in the file.
    fn fat_entry_offset(&self, sector: u32) -> u64 {
        let per_sector = self.sector_size / 4;
        let index = sector as usize / per_sector;
        self.fat_sectors.get(index).map_or(0, |&fat_sector| {
            self.sector_offset(fat_sector) + 4 * (sector as usize % per_sector) as u64
        })
    }

    /// The sectors of the chain starting at `start` (pointed to from byte `origin`), up to
    /// its end marker. Never longer than the FAT, so a cycle is found in linear time.
    fn chain(&self, start: u32, origin: u64, place: impl Fn() -> Place) -> Result<Vec<u32>> {
        let mut sectors = Vec::new();
        let mut current = start;
        let mut pointer = origin;
        while current != END_OF_CHAIN {
            if current > MAX_REGULAR_SECTOR || current as usize >= self.fat.len() {
                return Err(ReadError::new(
                    place(),
                    pointer,
                    format!(
                        "sector {current:#x} after {} sectors of the chain is not in the FAT",
                        sectors.len()
                    ),
                ));
            }
            if sectors.len() >= self.fat.len() {
                return Err(ReadError::new(place(), pointer, "the sector chain loops"));
            }
            sectors.push(current);
            pointer = self.fat_entry_offset(current);
            current = self.fat[current as usize];
        }
        Ok(sectors)
    }

    fn read_directory(&self, version: u16) -> Result<Vec<DirEntry>> {
        let per_sector = self.sector_size / ENTRY_SIZE;
        let mut entries = Vec::with_capacity(self.directory_sectors.len() * per_sector);
        for &sector in &self.directory_sectors {
            let bytes = self.sector_bytes(sector, self.sector_size, || Place::Directory)?;
            for (index, raw) in bytes.chunks_exact(ENTRY_SIZE).enumerate() {
                let offset = self.sector_offset(sector) + (index * ENTRY_SIZE) as u64;
                let entry = DirEntry::decode(raw, version)
                    .map_err(|bad| ReadError::new(Place::Directory, offset + bad.at, bad.reason))?;
                entries.push(entry);
            }
        }
        match entries.first() {
            Some(root) if root.object_type == ObjectType::Root => Ok(entries),
            _ => Err(ReadError::new(
                Place::Directory,
                self.entry_offset(0),
                "the first directory entry is not the root storage",
            )),
        }
    }

    fn read_mini_fat(&self, header: &Header) -> Result<Vec<u32>> {
        if header.mini_fat_sector_count == 0 || header.first_mini_fat_sector == END_OF_CHAIN {
            return Ok(Vec::new());
        }
        let sectors = self.chain(header.first_mini_fat_sector, 0x3C, || Place::MiniFat)?;
        let mut mini_fat = Vec::with_capacity(sectors.len() * self.sector_size / 4);
        for &sector in &sectors {
            let bytes = self.sector_bytes(sector, self.sector_size, || Place::MiniFat)?;
            mini_fat.extend(bytes.chunks_exact(4).map(|word| le_u32(word, 0)));
        }
        Ok(mini_fat)
    }

    /// A stream stored in regular sectors, borrowed from memory when they are contiguous.
    fn regular_stream(
        &self,
        start: u32,
        size: u64,
        origin: u64,
        place: impl Fn() -> Place,
    ) -> Result<Cow<'a, [u8]>> {
        if size == 0 {
            return Ok(Cow::Borrowed(&[]));
        }
        let sectors = self.stream_sectors(start, size, origin, &place)?;
        let runs = self.runs(&sectors, size);
        let read = |run: &Run| {
            self.input
                .bytes_at(run.file_offset, run.len as usize)
                .map_err(|error| ReadError::new(place(), run.file_offset, error.to_string()))
        };
        if let [run] = runs.as_slice() {
            return read(run);
        }
        let mut data = Vec::with_capacity(size as usize);
        for run in &runs {
            data.extend_from_slice(&read(run)?);
        }
        Ok(Cow::Owned(data))
    }

    /// The sectors holding a regular stream of `size` bytes, each checked to lie in the file.
    /// The size is checked against the file before the chain is walked or anything allocated.
    fn stream_sectors(
        &self,
        start: u32,
        size: u64,
        origin: u64,
        place: impl Fn() -> Place,
    ) -> Result<Vec<u32>> {
        if size > self.input.len() {
            return Err(ReadError::new(
                place(),
                origin,
                format!(
                    "claims {size} bytes, more than the whole file ({} bytes)",
                    self.input.len()
                ),
            ));
        }
        let mut sectors = self.chain(start, origin, &place)?;
        let sector_size = self.sector_size as u64;
        let needed = size.div_ceil(sector_size) as usize;
        if sectors.len() < needed {
            return Err(ReadError::new(
                place(),
                origin,
                format!(
                    "{size} bytes need {needed} sectors, the chain has {}",
                    sectors.len()
                ),
            ));
        }
        sectors.truncate(needed);
        for (index, &sector) in sectors.iter().enumerate() {
            let len = sector_size.min(size - index as u64 * sector_size);
            self.check_in_file(sector, len, &place)?;
        }
        Ok(sectors)
    }

    /// A stream stored in the mini stream, in 64-byte mini sectors chained by the mini FAT.
    fn mini_stream_data(
        &self,
        start: u32,
        size: u64,
        origin: u64,
        place: impl Fn() -> Place,
    ) -> Result<Vec<u8>> {
        if size == 0 {
            return Ok(Vec::new());
        }
        if size > self.mini_stream.len() as u64 {
            return Err(ReadError::new(
                place(),
                origin,
                format!(
                    "claims {size} bytes, more than the mini stream ({} bytes)",
                    self.mini_stream.len()
                ),
            ));
        }
        let size = size as usize;
        let needed = size.div_ceil(MINI_SECTOR_SIZE);
        let mut data = Vec::with_capacity(size);
        let mut current = start;
        for walked in 0..needed {
            let in_range =
                current <= MAX_REGULAR_SECTOR && (current as usize) < self.mini_fat.len();
            let begin = current as usize * MINI_SECTOR_SIZE;
            let len = (size - data.len()).min(MINI_SECTOR_SIZE);
            if !in_range || begin + len > self.mini_stream.len() {
                return Err(ReadError::new(
                    place(),
                    origin,
                    format!("mini sector {current:#x} after {walked} mini sectors is not in the mini stream"),
                ));
            }
            data.extend_from_slice(&self.mini_stream[begin..begin + len]);
            current = self.mini_fat[current as usize];
        }
        Ok(data)
    }

    /// The tree of storages and streams below the root, walked with an explicit stack; an
    /// entry reached twice (a cycle, or shared between two trees) is an error.
    fn walk_tree(&self, raw: &[DirEntry]) -> Result<Vec<Entry>> {
        let mut visited = vec![false; raw.len()];
        visited[0] = true;
        let mut entries: Vec<Entry> = Vec::new();
        // (entry id, the storage's path, from where the id was read)
        let mut stack: Vec<(u32, Vec<String>, u64)> =
            vec![(raw[0].child, Vec::new(), self.entry_offset(0) + 76)];
        while let Some((id, parent, pointer)) = stack.pop() {
            if id == NO_ENTRY {
                continue;
            }
            let index = id as usize;
            let Some(entry) = raw.get(index) else {
                return Err(ReadError::new(
                    Place::Directory,
                    pointer,
                    format!("entry {id} is past the last of {} entries", raw.len()),
                ));
            };
            if visited[index] {
                return Err(ReadError::new(
                    Place::Directory,
                    pointer,
                    format!("entry {id} is reached twice: the tree loops"),
                ));
            }
            visited[index] = true;
            let offset = self.entry_offset(id);
            let kind = match entry.object_type {
                ObjectType::Storage => EntryKind::Storage,
                ObjectType::Stream => EntryKind::Stream,
                other => {
                    let byte = other.byte();
                    return Err(ReadError::new(
                        Place::Directory,
                        offset + 66,
                        format!("entry {id} in the tree has object type {byte}, not a storage (1) or stream (2)"),
                    ));
                }
            };
            stack.push((entry.left, parent.clone(), offset + 68));
            stack.push((entry.right, parent.clone(), offset + 72));
            let mut path = parent;
            path.push(entry.name.clone());
            if kind == EntryKind::Storage {
                if path.len() >= MAX_DEPTH {
                    return Err(ReadError::new(
                        Place::Directory,
                        offset,
                        format!("storages nest deeper than {MAX_DEPTH}"),
                    ));
                }
                stack.push((entry.child, path.clone(), offset + 76));
            }
            entries.push(Entry {
                path,
                kind,
                clsid: entry.clsid,
                size: if kind == EntryKind::Stream {
                    entry.size
                } else {
                    0
                },
                state_bits: entry.state_bits,
                created: entry.created,
                modified: entry.modified,
                start: entry.start,
                offset: offset + 116,
            });
        }
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].path == pair[1].path) {
            let reason = format!("two entries are named {:?}", pair[1].path.join("/"));
            return Err(ReadError::new(
                Place::Directory,
                pair[1].offset - 116,
                reason,
            ));
        }
        Ok(entries)
    }

    /// Where directory entry `id` is in the file.
    fn entry_offset(&self, id: u32) -> u64 {
        let per_sector = (self.sector_size / ENTRY_SIZE) as u32;
        self.directory_sectors
            .get((id / per_sector) as usize)
            .map_or(0, |&sector| {
                self.sector_offset(sector) + u64::from(id % per_sector) * ENTRY_SIZE as u64
            })
    }
}

fn parse_header(bytes: &[u8]) -> Result<Header> {
    let fail = |offset: u64, reason: String| Err(ReadError::new(Place::Header, offset, reason));
    if bytes.len() < HEADER_SIZE {
        return fail(
            0,
            format!("{} bytes, shorter than the 512-byte header", bytes.len()),
        );
    }
    if bytes[..8] != SIGNATURE {
        return fail(
            0,
            "no compound-file signature (an MSI is an OLE compound document)".into(),
        );
    }
    let version = le_u16(bytes, 0x1A);
    let byte_order = le_u16(bytes, 0x1C);
    let sector_shift = le_u16(bytes, 0x1E);
    let mini_sector_shift = le_u16(bytes, 0x20);
    if byte_order != 0xFFFE {
        return fail(
            0x1C,
            format!("byte order mark {byte_order:#06x}, not 0xfffe"),
        );
    }
    let sector_size = match (version, sector_shift) {
        (3, 9) => 512,
        (4, 12) => 4096,
        _ => return fail(0x1A, format!("version {version} with sector shift {sector_shift} (3 with 9, or 4 with 12, expected)")),
    };
    if mini_sector_shift != 6 {
        return fail(
            0x20,
            format!("mini sector shift {mini_sector_shift}, not 6"),
        );
    }
    let cutoff = le_u32(bytes, 0x38);
    if u64::from(cutoff) != MINI_STREAM_CUTOFF {
        return fail(0x38, format!("mini stream cutoff {cutoff}, not 4096"));
    }
    Ok(Header {
        version,
        sector_size,
        fat_sector_count: le_u32(bytes, 0x2C),
        first_directory_sector: le_u32(bytes, 0x30),
        first_mini_fat_sector: le_u32(bytes, 0x3C),
        mini_fat_sector_count: le_u32(bytes, 0x40),
        first_difat_sector: le_u32(bytes, 0x44),
        difat_sector_count: le_u32(bytes, 0x48),
        header_difat: (0..HEADER_DIFAT_ENTRIES)
            .map(|index| le_u32(bytes, HEADER_DIFAT_OFFSET + 4 * index))
            .collect(),
    })
}

pub(crate) fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}
