//! Our own reader of Windows Installer databases from anyone: compound file, string pool,
//! tables, summary information and streams, with no panics, no hangs and no allocation a
//! length field asks for before that length was checked against the real data.
//!
//! [`read`] is the front door; its parts are public for what it does not cover (the
//! sub-storages of embedded transforms through [`compound::CompoundFile`]).

pub mod cabinet;
#[cfg(test)]
mod cabinet_tests;
pub mod compound;
mod error;
pub mod idt;
pub mod input;
pub(crate) mod strings;
pub(crate) mod summary;
mod tables;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

pub use error::{Place, ReadError};
pub use summary::Summary;
pub use tables::{Column, ColumnKind, Table, Value};

use compound::{CompoundFile, EntryKind};
use error::Result;
pub use input::{Input, ReadAt, StreamData};
use std::borrow::Cow;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Marks a stream holding a table (or the string pool) rather than data.
const TABLE_MARKER: char = '\u{4840}';
pub const SUMMARY_INFORMATION: &str = "\u{5}SummaryInformation";
/// The characters stream names fold, in the order of their 6-bit codes.
const NAME_DIGITS: &[u8; 64] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz._";

/// An installer database as its bytes say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database<'a> {
    pub root_clsid: Uuid,
    /// The string pool's codepage (0: neutral).
    pub codepage: u32,
    /// `None` when the package has no summary information stream.
    pub summary: Option<Summary>,
    /// Every table `_Tables` lists, in its order.
    pub tables: Vec<Table>,
    /// Every stream of the root storage that is not a table, by decoded name (cabinets,
    /// `Binary.*` data, `\u{5}SummaryInformation`, `\u{5}DigitalSignature`…), borrowed from
    /// memory where its sectors are contiguous, left in a file when large.
    pub streams: BTreeMap<String, StreamData<'a>>,
    /// The root storage's sub-storages (embedded transforms, nested installs) by decoded name,
    /// with their CLSIDs; [`compound::CompoundFile`] reads what is inside them.
    pub storages: BTreeMap<String, Uuid>,
}

impl Database<'_> {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|table| table.name == name)
    }
}

/// Reads an installer database from the bytes of a package (or transform, or merge module).
pub fn read(bytes: &[u8]) -> std::result::Result<Database<'_>, ReadError> {
    open(Input::Bytes(bytes))
}

/// [`read`] over any input; from a file, streams of at least
/// [`compound::LEFT_IN_FILE`] bytes stay there until they are used.
pub fn open(input: Input<'_>) -> std::result::Result<Database<'_>, ReadError> {
    let file = CompoundFile::open(input)?;
    let mut table_streams = BTreeMap::new();
    let mut streams = BTreeMap::new();
    let mut storages = BTreeMap::new();
    for entry in file.entries().iter().filter(|entry| entry.path.len() == 1) {
        let (name, is_table) = decode_stream_name(&entry.path[0]);
        let duplicate = || {
            let reason = format!("two entries decode to the name {name:?}");
            ReadError::new(Place::Directory, 0, reason)
        };
        if entry.kind == EntryKind::Storage {
            if storages.insert(name.clone(), entry.clsid).is_some() {
                return Err(duplicate());
            }
            continue;
        }
        let named = |error: ReadError| match error.place {
            Place::Stream(_) => ReadError {
                place: Place::Stream(name.clone()),
                ..error
            },
            _ => error,
        };
        let is_new = if is_table {
            let data = file.read(entry).map_err(named)?;
            table_streams.insert(name.clone(), data).is_none()
        } else {
            let data = file.stream(entry).map_err(named)?;
            streams.insert(name.clone(), data).is_none()
        };
        if !is_new {
            return Err(duplicate());
        }
    }
    let pool = strings::StringPool::parse(
        required(&table_streams, "_StringPool")?,
        required(&table_streams, "_StringData")?,
    )?;
    let tables = tables::read_tables(&table_streams, &pool)?;
    let summary = streams
        .get(SUMMARY_INFORMATION)
        .map(|data| summary::parse(&load(data, SUMMARY_INFORMATION)?))
        .transpose()?;
    Ok(Database {
        root_clsid: file.root_clsid(),
        codepage: pool.codepage(),
        summary,
        tables,
        streams,
        storages,
    })
}

/// A stream's bytes, or where reading them from the file failed.
pub fn load<'d>(data: &'d StreamData<'_>, name: &str) -> Result<Cow<'d, [u8]>> {
    data.load().map_err(|error| unreadable_stream(name, error))
}

/// Reading stream `name` from its file failed.
pub fn unreadable_stream(name: &str, error: std::io::Error) -> ReadError {
    ReadError::new(Place::Stream(name.into()), 0, error.to_string())
}

fn required<'m>(streams: &'m BTreeMap<String, Cow<'_, [u8]>>, name: &str) -> Result<&'m [u8]> {
    streams.get(name).map(|data| data.as_ref()).ok_or_else(|| {
        ReadError::new(
            Place::Stream(name.into()),
            0,
            "the stream is missing: not an installer database",
        )
    })
}

/// A compound-file name decoded as Windows Installer encodes stream names: characters of
/// U+3800–U+47FF unfold to two of `[0-9A-Za-z._]`, U+4800–U+483F to one, and a leading
/// U+4840 marks a table. Returns the name and whether it was a table's.
pub fn decode_stream_name(stored: &str) -> (String, bool) {
    let (is_table, rest) = match stored.strip_prefix(TABLE_MARKER) {
        Some(rest) => (true, rest),
        None => (false, stored),
    };
    let mut name = String::with_capacity(rest.len());
    for c in rest.chars() {
        let code = c as u32;
        match code {
            0x3800..=0x47FF => {
                let folded = code - 0x3800;
                name.push(char::from(NAME_DIGITS[(folded & 0x3F) as usize]));
                name.push(char::from(NAME_DIGITS[(folded >> 6) as usize]));
            }
            0x4800..=0x483F => name.push(char::from(NAME_DIGITS[(code - 0x4800) as usize])),
            _ => name.push(c),
        }
    }
    (name, is_table)
}
