//! The compound-file layout ([MS-CFB]) that the writer (`compound`) and the reader
//! (`read::compound`) share: the header's constants and the 128-byte directory entry, its
//! decoder beside its encoder.

use uuid::Uuid;

/// The first eight bytes of every compound file.
pub const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
/// A version-3 sector, and the header's size in every version.
pub const SECTOR: usize = 512;
pub const MINI_SECTOR: usize = 64;
/// Streams smaller than this live in the mini stream.
pub const MINI_STREAM_CUTOFF: usize = 4096;
pub const DIR_ENTRY: usize = 128;
/// DIFAT entries in the header itself, at `HEADER_DIFAT_OFFSET`.
pub const HEADER_DIFAT: usize = 109;
pub const HEADER_DIFAT_OFFSET: usize = 0x4C;
pub const FREESECT: u32 = 0xFFFF_FFFF;
pub const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// No sibling, child or stream: the directory's null link.
pub const NOSTREAM: u32 = 0xFFFF_FFFF;
/// A name holds at most 31 UTF-16 code units and its terminator.
const NAME_BYTES: usize = 64;

/// What a directory entry is (its object type byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Unused,
    Storage,
    Stream,
    Root,
    /// A byte the format does not define; kept so the reader can say which.
    Unknown(u8),
}

impl ObjectType {
    fn from_byte(byte: u8) -> ObjectType {
        match byte {
            0 => ObjectType::Unused,
            1 => ObjectType::Storage,
            2 => ObjectType::Stream,
            5 => ObjectType::Root,
            other => ObjectType::Unknown(other),
        }
    }

    pub fn byte(self) -> u8 {
        match self {
            ObjectType::Unused => 0,
            ObjectType::Storage => 1,
            ObjectType::Stream => 2,
            ObjectType::Root => 5,
            ObjectType::Unknown(other) => other,
        }
    }
}

/// One directory entry, every field of its 128 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub object_type: ObjectType,
    /// The red-black tree colour of the entry among its siblings.
    pub red: bool,
    pub left: u32,
    pub right: u32,
    /// A storage's first child in its siblings' tree.
    pub child: u32,
    pub clsid: Uuid,
    pub state_bits: u32,
    /// FILETIMEs (100-nanosecond intervals since 1601), 0 when not set.
    pub created: u64,
    pub modified: u64,
    /// First sector (or mini sector) of a stream; of the mini stream for the root.
    pub start: u32,
    pub size: u64,
}

/// Why 128 bytes are not a directory entry: `at` is the byte inside the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    pub at: u64,
    pub reason: String,
}

impl DirEntry {
    /// A free slot: everything zero but the three links.
    pub fn unused() -> DirEntry {
        DirEntry {
            name: String::new(),
            object_type: ObjectType::Unused,
            red: true,
            left: NOSTREAM,
            right: NOSTREAM,
            child: NOSTREAM,
            clsid: Uuid::nil(),
            state_bits: 0,
            created: 0,
            modified: 0,
            start: 0,
            size: 0,
        }
    }

    /// Decodes `raw` (at least `DIR_ENTRY` bytes) from a file of major version `version`.
    pub fn decode(raw: &[u8], version: u16) -> Result<DirEntry, BadEntry> {
        if raw.len() < DIR_ENTRY {
            return Err(BadEntry {
                at: 0,
                reason: format!("{} bytes, a directory entry has {DIR_ENTRY}", raw.len()),
            });
        }
        let object_type = ObjectType::from_byte(raw[66]);
        let name = if object_type == ObjectType::Unused {
            String::new()
        } else {
            decode_name(raw)?
        };
        let size = u64_at(raw, 120);
        Ok(DirEntry {
            name,
            object_type,
            red: raw[67] == 0,
            left: u32_at(raw, 68),
            right: u32_at(raw, 72),
            child: u32_at(raw, 76),
            clsid: Uuid::from_bytes_le(raw[80..96].try_into().expect("16 bytes")),
            state_bits: u32_at(raw, 96),
            created: u64_at(raw, 100),
            modified: u64_at(raw, 108),
            start: u32_at(raw, 116),
            // Version 3 files may leave garbage in the high half ([MS-CFB] 2.6.3).
            size: if version == 3 {
                size & 0xFFFF_FFFF
            } else {
                size
            },
        })
    }

    /// Encodes the entry into `out` (at least `DIR_ENTRY` bytes). The name must be at most
    /// 31 UTF-16 code units (the writer checks names first).
    pub fn encode(&self, out: &mut [u8]) {
        let name: Vec<u16> = self.name.encode_utf16().collect();
        for (i, unit) in name.iter().enumerate() {
            out[2 * i..2 * i + 2].copy_from_slice(&unit.to_le_bytes());
        }
        // An unused entry has no name, not even a terminator.
        let name_bytes = if name.is_empty() {
            0
        } else {
            (name.len() + 1) * 2
        };
        out[64..66].copy_from_slice(&(name_bytes as u16).to_le_bytes());
        out[66] = self.object_type.byte();
        out[67] = if self.red { 0 } else { 1 };
        out[68..72].copy_from_slice(&self.left.to_le_bytes());
        out[72..76].copy_from_slice(&self.right.to_le_bytes());
        out[76..80].copy_from_slice(&self.child.to_le_bytes());
        out[80..96].copy_from_slice(&self.clsid.to_bytes_le());
        out[96..100].copy_from_slice(&self.state_bits.to_le_bytes());
        out[100..108].copy_from_slice(&self.created.to_le_bytes());
        out[108..116].copy_from_slice(&self.modified.to_le_bytes());
        out[116..120].copy_from_slice(&self.start.to_le_bytes());
        out[120..128].copy_from_slice(&self.size.to_le_bytes());
    }
}

fn decode_name(raw: &[u8]) -> Result<String, BadEntry> {
    let name_len = usize::from(u16::from_le_bytes([raw[64], raw[65]]));
    if name_len > NAME_BYTES || name_len % 2 != 0 || name_len < 2 {
        return Err(BadEntry {
            at: 64,
            reason: format!(
                "name length {name_len} (an even count of bytes from 2 to 64 expected)"
            ),
        });
    }
    let units = raw[..name_len - 2]
        .chunks_exact(2)
        .map(|unit| u16::from_le_bytes([unit[0], unit[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|_| BadEntry {
            at: 0,
            reason: "the name is not valid UTF-16".into(),
        })
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_survives_encoding_and_decoding() {
        let entry = DirEntry {
            name: "\u{5}SummaryInformation".into(),
            object_type: ObjectType::Storage,
            red: false,
            left: 3,
            right: 9,
            child: 12,
            clsid: Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046),
            state_bits: 0xDEAD_BEEF,
            created: 0x01D0_0000_1234_5678,
            modified: 0x01D9_0000_8765_4321,
            start: 77,
            size: 0x1_0000_0010,
        };
        let mut raw = [0u8; DIR_ENTRY];
        entry.encode(&mut raw);
        assert_eq!(DirEntry::decode(&raw, 4).unwrap(), entry);
        // Version 3 keeps only the low half of the size.
        assert_eq!(DirEntry::decode(&raw, 3).unwrap().size, 0x10);
    }

    #[test]
    fn an_unused_entry_is_zero_but_its_links() {
        let mut raw = [0u8; DIR_ENTRY];
        DirEntry::unused().encode(&mut raw);
        let mut expected = [0u8; DIR_ENTRY];
        expected[68..80].fill(0xFF);
        assert_eq!(raw, expected);
        assert_eq!(DirEntry::decode(&raw, 3).unwrap(), DirEntry::unused());
    }

    #[test]
    fn bad_names_and_short_entries_are_errors() {
        let mut raw = [0u8; DIR_ENTRY];
        raw[66] = 2;
        raw[64] = 66;
        assert_eq!(DirEntry::decode(&raw, 3).unwrap_err().at, 64);
        raw[64] = 3;
        assert_eq!(DirEntry::decode(&raw, 3).unwrap_err().at, 64);
        raw[64] = 4;
        raw[0..2].copy_from_slice(&0xD800u16.to_le_bytes());
        assert!(DirEntry::decode(&raw, 3)
            .unwrap_err()
            .reason
            .contains("UTF-16"));
        assert!(DirEntry::decode(&raw[..100], 3).is_err());
    }
}
