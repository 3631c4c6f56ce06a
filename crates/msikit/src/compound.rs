//! Compound files (the container an MSI is): every stream read out (through our bounded
//! reader, `read::compound`), or written into a fresh version-3 file. Rewriting the whole
//! file, rather than patching it, leaves no unused sectors behind: a signature added or
//! replaced that way is all the file holds.
//!
//! `write_v3` writes a file whose streams all sit in the root storage (every MSI this tool
//! builds or signs) in one pass to any `Write`; `Streams::write_v3` does the same for any tree
//! of sub-storages (embedded transforms). The `cfb` crate is only a test oracle.

use crate::read::compound::{CompoundFile, EntryKind};
use std::collections::BTreeMap;
use std::io::Write;
use uuid::Uuid;

/// A compound file's content: the root storage CLSID and every stream by path (`/name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streams {
    pub root_clsid: Uuid,
    /// Sorted by path.
    pub streams: Vec<(String, Vec<u8>)>,
}

impl Streams {
    /// Every stream of the compound file `bytes`, through our bounded reader.
    pub fn read(bytes: &[u8]) -> std::io::Result<Streams> {
        let file = CompoundFile::parse(bytes)?;
        let mut streams = file
            .entries()
            .iter()
            .filter(|entry| entry.kind == EntryKind::Stream)
            .map(|entry| {
                let path = format!("/{}", entry.path.join("/"));
                Ok((path, file.read(entry)?.into_owned()))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        streams.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Streams {
            root_clsid: file.root_clsid(),
            streams,
        })
    }

    /// A fresh version-3 compound file (512-byte sectors). Sub-storages (embedded
    /// transforms) are made from the paths, with nil CLSIDs and no times or state bits.
    pub fn write_v3(&self) -> std::io::Result<Vec<u8>> {
        let nodes = self.nodes()?;
        let mut bytes = Vec::with_capacity(tree_size(&nodes) as usize);
        write_tree(self.root_clsid, &nodes, &mut bytes)?;
        Ok(bytes)
    }

    /// The directory below the root: each storage before what is in it, then the streams in
    /// path order. When every stream is in the root, node `i` is stream `i`, as `write_v3`
    /// (the function) numbers them.
    fn nodes(&self) -> std::io::Result<Vec<Node<'_>>> {
        let mut nodes = Vec::with_capacity(self.streams.len());
        let mut storages: BTreeMap<&str, u32> = BTreeMap::new();
        for (path, data) in &self.streams {
            let relative = path.strip_prefix('/').unwrap_or(path);
            let mut parent = ROOT_ID;
            let mut end = 0;
            let parts: Vec<&str> = relative.split('/').collect();
            let (name, storage_names) = parts.split_last().expect("split yields one part");
            for storage in storage_names {
                end += storage.len() + 1;
                let storage_path = &relative[..end - 1];
                parent = match storages.get(storage_path) {
                    Some(&id) => id,
                    None => {
                        nodes.push(Node::storage(storage, parent));
                        let id = nodes.len() as u32;
                        storages.insert(storage_path, id);
                        id
                    }
                };
            }
            nodes.push(Node::stream(name, parent, data));
        }
        check_names(&nodes)?;
        Ok(nodes)
    }

    /// Every stream by name, when all of them are in the root storage.
    pub fn root_streams(&self) -> Option<Vec<RootStream<'_>>> {
        self.streams
            .iter()
            .map(|(path, data)| {
                let name = path.strip_prefix('/').filter(|name| !name.contains('/'))?;
                Some((name, data.as_slice()))
            })
            .collect()
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

/// A stream of the root storage to write: its compound-file name (for an MSI, already
/// encoded) and content.
pub type RootStream<'a> = (&'a str, &'a [u8]);

pub mod directory;

pub use directory::SIGNATURE;
use directory::{
    DirEntry, ObjectType, DIR_ENTRY, ENDOFCHAIN, FREESECT, HEADER_DIFAT, MINI_SECTOR,
    MINI_STREAM_CUTOFF, NOSTREAM, SECTOR,
};
const IDS_PER_SECTOR: usize = SECTOR / 4;
const FATSECT: u32 = 0xFFFF_FFFD;
const DIFSECT: u32 = 0xFFFF_FFFC;

/// The directory id of the root storage; node `i` has id `i + 1`.
const ROOT_ID: u32 = 0;

/// An entry below the root to write: a stream, or a storage (which has no data).
struct Node<'a> {
    name: &'a str,
    /// The directory id of the storage it is in.
    parent: u32,
    data: &'a [u8],
    is_storage: bool,
}

impl<'a> Node<'a> {
    fn stream(name: &'a str, parent: u32, data: &'a [u8]) -> Node<'a> {
        Node {
            name,
            parent,
            data,
            is_storage: false,
        }
    }

    fn storage(name: &'a str, parent: u32) -> Node<'a> {
        Node {
            name,
            parent,
            data: &[],
            is_storage: true,
        }
    }
}

fn root_nodes<'a>(streams: &[RootStream<'a>]) -> Vec<Node<'a>> {
    streams
        .iter()
        .map(|&(name, data)| Node::stream(name, ROOT_ID, data))
        .collect()
}

/// The most UTF-16 code units a directory entry's name holds (32 with the NUL).
pub const MAX_NAME_UNITS: usize = 31;

/// A name the directory can hold: 1 to 31 UTF-16 code units, no `/`.
fn check_names(nodes: &[Node]) -> std::io::Result<()> {
    for node in nodes {
        let name = node.name;
        if name.is_empty() || name.contains('/') || name.encode_utf16().count() > MAX_NAME_UNITS {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{name:?} is not a compound-file name"),
            ));
        }
    }
    Ok(())
}

/// The size in bytes of the version-3 file `write_v3` writes for these streams.
pub fn v3_size(streams: &[RootStream]) -> u64 {
    tree_size(&root_nodes(streams))
}

fn tree_size(nodes: &[Node]) -> u64 {
    ((1 + Layout::new(nodes).total_sectors) * SECTOR) as u64
}

/// Writes a version-3 compound file (512-byte sectors) holding `streams` in the root storage
/// (whose CLSID is `root_clsid`), front to back in one pass: every size is known up front, so
/// nothing is seeked, buffered whole or copied, and a stream as large as a cabinet goes from
/// its one copy in memory straight to `out`. The layout is fixed by the streams alone (large
/// streams, the mini stream, mini FAT, directory, FAT, DIFAT, in that order; no timestamps),
/// so the same streams give the same bytes.
pub fn write_v3(root_clsid: Uuid, streams: &[RootStream], out: impl Write) -> std::io::Result<()> {
    let nodes = root_nodes(streams);
    check_names(&nodes)?;
    write_tree(root_clsid, &nodes, out)
}

/// `write_v3` for any tree of storages and streams.
fn write_tree(root_clsid: Uuid, streams: &[Node], mut out: impl Write) -> std::io::Result<()> {
    let layout = Layout::new(streams);
    out.write_all(&layout.header())?;
    let zeros = [0u8; SECTOR];
    for &index in &layout.large {
        let data = streams[index].data;
        out.write_all(data)?;
        out.write_all(&zeros[..padding(data.len(), SECTOR)])?;
    }
    for &index in &layout.small {
        let data = streams[index].data;
        out.write_all(data)?;
        out.write_all(&zeros[..padding(data.len(), MINI_SECTOR)])?;
    }
    let mini_bytes = layout.mini_sectors * MINI_SECTOR;
    out.write_all(&zeros[..padding(mini_bytes, SECTOR)])?;
    // Mini FAT: one chain per small stream, in order.
    let mut mini_fat = Vec::with_capacity(layout.mini_fat_sectors * SECTOR);
    for &index in &layout.small {
        push_chain(
            &mut mini_fat,
            sectors(streams[index].data.len(), MINI_SECTOR),
        );
    }
    pad_ids(&mut mini_fat);
    out.write_all(&mini_fat)?;
    out.write_all(&layout.directory(root_clsid, streams))?;
    // FAT: the chains of the large streams, the mini stream, mini FAT and directory, then the
    // FAT's and DIFAT's own sectors.
    let mut fat = Vec::with_capacity(layout.fat_sectors * SECTOR);
    for &index in &layout.large {
        push_chain(&mut fat, sectors(streams[index].data.len(), SECTOR));
    }
    for count in [
        layout.mini_stream_sectors,
        layout.mini_fat_sectors,
        layout.directory_sectors,
    ] {
        push_chain(&mut fat, count);
    }
    for _ in 0..layout.fat_sectors {
        fat.extend_from_slice(&FATSECT.to_le_bytes());
    }
    for _ in 0..layout.difat_sectors {
        fat.extend_from_slice(&DIFSECT.to_le_bytes());
    }
    pad_ids(&mut fat);
    out.write_all(&fat)?;
    // DIFAT sectors: the FAT sector numbers the header has no room for, 127 a sector, each
    // sector ending with the next one's number.
    let mut difat = Vec::with_capacity(layout.difat_sectors * SECTOR);
    let overflow: Vec<u32> = (HEADER_DIFAT..layout.fat_sectors)
        .map(|i| (layout.fat_start + i) as u32)
        .collect();
    for (k, chunk) in overflow.chunks(IDS_PER_SECTOR - 1).enumerate() {
        for id in chunk {
            difat.extend_from_slice(&id.to_le_bytes());
        }
        for _ in chunk.len()..IDS_PER_SECTOR - 1 {
            difat.extend_from_slice(&FREESECT.to_le_bytes());
        }
        let next = if k + 1 < layout.difat_sectors {
            (layout.difat_start + k + 1) as u32
        } else {
            ENDOFCHAIN
        };
        difat.extend_from_slice(&next.to_le_bytes());
    }
    out.write_all(&difat)?;
    Ok(())
}

/// Where everything goes, in sectors after the header.
struct Layout {
    /// Indexes of the streams stored in sectors, and in the mini stream, in write order.
    large: Vec<usize>,
    small: Vec<usize>,
    /// First (mini) sector of each stream, by index.
    start: Vec<u32>,
    mini_sectors: usize,
    mini_stream_start: usize,
    mini_stream_sectors: usize,
    mini_fat_start: usize,
    mini_fat_sectors: usize,
    directory_start: usize,
    directory_sectors: usize,
    fat_start: usize,
    fat_sectors: usize,
    difat_start: usize,
    difat_sectors: usize,
    total_sectors: usize,
}

impl Layout {
    fn new(streams: &[Node]) -> Layout {
        let mut start = vec![ENDOFCHAIN; streams.len()];
        let (mut large, mut small) = (Vec::new(), Vec::new());
        let mut next = 0;
        for (index, data) in streams.iter().map(|node| node.data).enumerate() {
            if data.len() >= MINI_STREAM_CUTOFF {
                start[index] = next as u32;
                next += sectors(data.len(), SECTOR);
                large.push(index);
            }
        }
        let mut mini_sectors = 0;
        for (index, data) in streams.iter().map(|node| node.data).enumerate() {
            if !data.is_empty() && data.len() < MINI_STREAM_CUTOFF {
                start[index] = mini_sectors as u32;
                mini_sectors += sectors(data.len(), MINI_SECTOR);
                small.push(index);
            }
        }
        let mini_stream_start = next;
        let mini_stream_sectors = sectors(mini_sectors * MINI_SECTOR, SECTOR);
        let mini_fat_start = mini_stream_start + mini_stream_sectors;
        let mini_fat_sectors = sectors(mini_sectors * 4, SECTOR);
        let directory_start = mini_fat_start + mini_fat_sectors;
        let directory_sectors = sectors((1 + streams.len()) * DIR_ENTRY, SECTOR);
        let fat_start = directory_start + directory_sectors;
        let before_fat = fat_start;
        // The FAT covers itself and the DIFAT: grow both until they cover everything.
        let (mut fat_sectors, mut difat_sectors) = (0, 0);
        loop {
            let fat = sectors((before_fat + fat_sectors + difat_sectors) * 4, SECTOR);
            let difat = sectors(fat.saturating_sub(HEADER_DIFAT) * 4, SECTOR - 4);
            if (fat, difat) == (fat_sectors, difat_sectors) {
                break;
            }
            (fat_sectors, difat_sectors) = (fat, difat);
        }
        Layout {
            large,
            small,
            start,
            mini_sectors,
            mini_stream_start,
            mini_stream_sectors,
            mini_fat_start,
            mini_fat_sectors,
            directory_start,
            directory_sectors,
            fat_start,
            fat_sectors,
            difat_start: fat_start + fat_sectors,
            difat_sectors,
            total_sectors: fat_start + fat_sectors + difat_sectors,
        }
    }

    fn header(&self) -> [u8; SECTOR] {
        let mut header = [0u8; SECTOR];
        let mut put = |offset: usize, bytes: &[u8]| {
            header[offset..offset + bytes.len()].copy_from_slice(bytes)
        };
        put(0, &SIGNATURE);
        put(24, &0x003Eu16.to_le_bytes()); // minor version
        put(26, &3u16.to_le_bytes()); // major version
        put(28, &0xFFFEu16.to_le_bytes()); // little-endian
        put(30, &9u16.to_le_bytes()); // 512-byte sectors
        put(32, &6u16.to_le_bytes()); // 64-byte mini sectors
        put(44, &(self.fat_sectors as u32).to_le_bytes());
        put(48, &(self.directory_start as u32).to_le_bytes());
        put(56, &(MINI_STREAM_CUTOFF as u32).to_le_bytes());
        put(
            60,
            &chain_start(self.mini_fat_start, self.mini_fat_sectors).to_le_bytes(),
        );
        put(64, &(self.mini_fat_sectors as u32).to_le_bytes());
        put(
            68,
            &chain_start(self.difat_start, self.difat_sectors).to_le_bytes(),
        );
        put(72, &(self.difat_sectors as u32).to_le_bytes());
        for i in 0..HEADER_DIFAT {
            let id = if i < self.fat_sectors {
                (self.fat_start + i) as u32
            } else {
                FREESECT
            };
            put(76 + 4 * i, &id.to_le_bytes());
        }
        header
    }

    /// The root entry, then one entry per node (entry `i + 1` is `nodes[i]`), each storage's
    /// children as a balanced binary search tree in the compound-file name order.
    fn directory(&self, root_clsid: Uuid, nodes: &[Node]) -> Vec<u8> {
        let mut links = vec![(NOSTREAM, NOSTREAM, false); nodes.len()];
        let mut children: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (index, node) in nodes.iter().enumerate() {
            children.entry(node.parent).or_default().push(index);
        }
        let mut child_of = vec![NOSTREAM; 1 + nodes.len()];
        for (storage, mut order) in children {
            order.sort_by_cached_key(|&index| name_key(nodes[index].name));
            let full_levels = usize::BITS - (order.len() + 1).leading_zeros() - 1;
            child_of[storage as usize] = link_subtree(&order, 0, full_levels, &mut links);
        }
        let mut directory = vec![0u8; self.directory_sectors * SECTOR];
        let mini_stream_bytes = (self.mini_sectors * MINI_SECTOR) as u64;
        let root_entry = DirEntry {
            name: "Root Entry".into(),
            object_type: ObjectType::Root,
            red: false,
            child: child_of[ROOT_ID as usize],
            clsid: root_clsid,
            start: chain_start(self.mini_stream_start, self.mini_stream_sectors),
            size: mini_stream_bytes,
            ..DirEntry::unused()
        };
        root_entry.encode(&mut directory[..DIR_ENTRY]);
        for (index, node) in nodes.iter().enumerate() {
            let (left, right, red) = links[index];
            let entry = if node.is_storage {
                // A storage's start and size are zero ([MS-CFB] 2.6.3).
                DirEntry {
                    name: node.name.to_string(),
                    object_type: ObjectType::Storage,
                    red,
                    left,
                    right,
                    child: child_of[index + 1],
                    start: 0,
                    ..DirEntry::unused()
                }
            } else {
                DirEntry {
                    name: node.name.to_string(),
                    object_type: ObjectType::Stream,
                    red,
                    left,
                    right,
                    start: self.start[index],
                    size: node.data.len() as u64,
                    ..DirEntry::unused()
                }
            };
            let offset = (index + 1) * DIR_ENTRY;
            entry.encode(&mut directory[offset..offset + DIR_ENTRY]);
        }
        for unused in directory.chunks_mut(DIR_ENTRY).skip(1 + nodes.len()) {
            DirEntry::unused().encode(unused);
        }
        directory
    }
}

/// Links `sorted` (stream indexes in name order) as a subtree at `depth`, its middle entry at
/// the top, and returns that entry's directory id. Every level above the last is full, so
/// colouring the last level red (when it is not full) and the rest black is a valid red-black
/// tree, as the format asks.
fn link_subtree(
    sorted: &[usize],
    depth: u32,
    full_levels: u32,
    links: &mut [(u32, u32, bool)],
) -> u32 {
    if sorted.is_empty() {
        return NOSTREAM;
    }
    let middle = sorted.len() / 2;
    let left = link_subtree(&sorted[..middle], depth + 1, full_levels, links);
    let right = link_subtree(&sorted[middle + 1..], depth + 1, full_levels, links);
    links[sorted[middle]] = (left, right, depth >= full_levels);
    sorted[middle] as u32 + 1
}

/// The key that sorts names in the compound-file order of a storage: shorter first, then by
/// code unit once upper-cased.
fn name_key(name: &str) -> (usize, Vec<u16>) {
    let upper = |c: char| {
        let mut upper = c.to_uppercase();
        match (upper.next(), upper.next()) {
            (Some(u), None) => u,
            _ => c,
        }
    };
    let mut units = Vec::with_capacity(name.len());
    let mut buffer = [0u16; 2];
    for c in name.chars() {
        units.extend_from_slice(upper(c).encode_utf16(&mut buffer));
    }
    (units.len(), units)
}

fn sectors(bytes: usize, size: usize) -> usize {
    bytes.div_ceil(size)
}

fn padding(bytes: usize, size: usize) -> usize {
    sectors(bytes, size) * size - bytes
}

fn chain_start(start: usize, count: usize) -> u32 {
    if count == 0 {
        ENDOFCHAIN
    } else {
        start as u32
    }
}

/// Appends to a FAT a chain of `count` consecutive sectors, starting at the sector its next
/// entry describes.
fn push_chain(fat: &mut Vec<u8>, count: usize) {
    let first = fat.len() / 4;
    for i in 0..count {
        let next = if i + 1 == count {
            ENDOFCHAIN
        } else {
            (first + i + 1) as u32
        };
        fat.extend_from_slice(&next.to_le_bytes());
    }
}

/// Fills the last sector of a FAT or mini FAT with free entries.
fn pad_ids(ids: &mut Vec<u8>) {
    while !ids.len().is_multiple_of(SECTOR) {
        ids.extend_from_slice(&FREESECT.to_le_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    fn round_trip(streams: &[(String, Vec<u8>)]) {
        let clsid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);
        let root: Vec<RootStream> = streams
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_slice()))
            .collect();
        let mut bytes = Vec::new();
        write_v3(clsid, &root, &mut bytes).unwrap();
        assert_eq!(bytes.len() as u64, v3_size(&root));
        let mut again = Vec::new();
        write_v3(clsid, &root, &mut again).unwrap();
        assert_eq!(bytes, again, "the same streams give the same bytes");
        let read = Streams::read(&bytes).unwrap();
        assert_eq!(read.root_clsid, clsid);
        let mut expected: Vec<(String, Vec<u8>)> = streams
            .iter()
            .map(|(n, d)| (format!("/{n}"), d.clone()))
            .collect();
        expected.sort();
        assert_eq!(read.streams, expected);
        // Every name is found by the cfb crate's own tree search.
        let mut file = cfb::CompoundFile::open(Cursor::new(&bytes)).unwrap();
        assert_eq!(file.version(), cfb::Version::V3);
        for (name, data) in streams {
            let mut content = Vec::new();
            file.open_stream(format!("/{name}"))
                .unwrap()
                .read_to_end(&mut content)
                .unwrap();
            assert_eq!(&content, data, "{name}");
        }
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    #[test]
    fn streams_of_every_size_class_read_back() {
        let sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 70_000];
        let streams: Vec<(String, Vec<u8>)> = sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| (format!("s{i}"), pattern(len, i as u8)))
            .collect();
        round_trip(&streams);
        round_trip(&[]);
    }

    #[test]
    fn many_streams_and_msi_style_names_read_back() {
        let mut streams: Vec<(String, Vec<u8>)> = (0..57)
            .map(|i| {
                (
                    format!("Name{}", "x".repeat(i % 9)) + &i.to_string(),
                    pattern(i * 37, 1),
                )
            })
            .collect();
        streams.push(("\u{5}SummaryInformation".into(), pattern(400, 2)));
        streams.push(("\u{4840}\u{3f3f}\u{4177}".into(), pattern(10, 3)));
        streams.push(("lower".into(), pattern(5, 4)));
        streams.push(("LOWEs".into(), pattern(5, 5)));
        round_trip(&streams);
    }

    #[test]
    fn a_file_whose_fat_outgrows_the_header_gets_difat_sectors() {
        // 109 FAT sectors address 109 × 128 sectors of 512 bytes (about 7.1 MB).
        let streams = vec![
            ("big".to_string(), pattern(8_000_000, 7)),
            ("small".to_string(), pattern(100, 8)),
        ];
        let layout = Layout::new(&root_nodes(&[
            ("big", &streams[0].1),
            ("small", &streams[1].1),
        ]));
        assert!(layout.difat_sectors > 0);
        round_trip(&streams);
    }

    #[test]
    fn sub_storages_are_written_and_read_back_by_cfb_and_our_reader() {
        let clsid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);
        let mut streams = Streams {
            root_clsid: clsid,
            streams: Vec::new(),
        };
        streams.insert("/\u{5}SummaryInformation", pattern(400, 1));
        streams.insert("/cab", pattern(9000, 2));
        streams.insert("/#Transform1/\u{5}SummaryInformation", pattern(300, 3));
        streams.insert("/#Transform1/big", pattern(5000, 4));
        streams.insert("/#Transform1/Nested/deep", pattern(70, 5));
        streams.insert("/#Transform1/Nested/empty", Vec::new());
        for i in 0..12 {
            streams.insert(&format!("/#T{i}/s"), pattern(i * 10, 6));
        }
        let bytes = streams.write_v3().unwrap();
        assert_eq!(bytes, streams.write_v3().unwrap(), "deterministic");
        assert_eq!(Streams::read(&bytes).unwrap(), streams);
        let mut file = cfb::CompoundFile::open(Cursor::new(&bytes)).unwrap();
        assert_eq!(file.version(), cfb::Version::V3);
        assert_eq!(*file.root_entry().clsid(), clsid);
        assert!(file.is_storage("/#Transform1/Nested"));
        let storages = file.walk().filter(|entry| entry.is_storage()).count();
        assert_eq!(
            storages,
            1 + 2 + 12,
            "the root, #Transform1, Nested and #T0..#T11"
        );
        for (path, data) in &streams.streams {
            let mut content = Vec::new();
            file.open_stream(path)
                .unwrap()
                .read_to_end(&mut content)
                .unwrap();
            assert_eq!(&content, data, "{path}");
        }
    }

    #[test]
    fn bad_names_in_sub_storages_are_refused() {
        for path in ["/a//b", "/a/", &format!("/{}/s", "x".repeat(32))] {
            let streams = Streams {
                root_clsid: Uuid::nil(),
                streams: vec![(path.to_string(), vec![1])],
            };
            assert!(streams.write_v3().is_err(), "{path}");
        }
    }

    #[test]
    fn the_tree_is_a_balanced_red_black_tree() {
        for count in [1usize, 2, 3, 4, 5, 7, 8, 20] {
            let order: Vec<usize> = (0..count).collect();
            let mut links = vec![(NOSTREAM, NOSTREAM, false); count];
            let full_levels = usize::BITS - (count + 1).leading_zeros() - 1;
            let root = link_subtree(&order, 0, full_levels, &mut links);
            // Returns the black height, checking that a red node has black children.
            fn black_height(id: u32, links: &[(u32, u32, bool)], parent_red: bool) -> usize {
                if id == NOSTREAM {
                    return 1;
                }
                let (left, right, red) = links[id as usize - 1];
                assert!(!(red && parent_red), "two reds in a row");
                let (l, r) = (
                    black_height(left, links, red),
                    black_height(right, links, red),
                );
                assert_eq!(l, r, "black heights differ");
                l + usize::from(!red)
            }
            black_height(root, &links, true);
        }
    }
}
