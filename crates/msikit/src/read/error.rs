//! The one error every part of the reader returns: where (which structure or stream, and the
//! byte offset in it) and why.

use std::fmt;

/// Why a package could not be read, and where.
///
/// `offset` is a byte offset in the file for what the compound-file layer finds (the header,
/// DIFAT, FAT, mini FAT and directory, and a stream whose sectors cannot be followed: there it
/// is where the bad sector number or size is), and a byte offset inside the stream for what is
/// found in a stream's content (the string pool, a table, the summary information).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{place}, byte {offset}: {reason}")]
pub struct ReadError {
    pub place: Place,
    pub offset: u64,
    pub reason: String,
}

/// The structure or stream a [`ReadError`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Header,
    Difat,
    Fat,
    MiniFat,
    Directory,
    /// A stream's data, by its name as stored (or decoded, once the MSI layer knows it).
    Stream(String),
    StringPool,
    /// A table's stream (or, for `_Tables` and `_Columns`, the schema itself).
    Table(String),
    SummaryInformation,
    /// An embedded cabinet (offsets inside it).
    Cabinet,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Header => f.write_str("compound-file header"),
            Place::Difat => f.write_str("compound-file DIFAT"),
            Place::Fat => f.write_str("compound-file FAT"),
            Place::MiniFat => f.write_str("compound-file mini FAT"),
            Place::Directory => f.write_str("compound-file directory"),
            Place::Stream(name) => write!(f, "stream {:?}", name),
            Place::StringPool => f.write_str("string pool (_StringPool/_StringData)"),
            Place::Table(name) => write!(f, "table {:?}", name),
            Place::SummaryInformation => f.write_str("summary information"),
            Place::Cabinet => f.write_str("cabinet"),
        }
    }
}

impl ReadError {
    pub(crate) fn new(place: Place, offset: u64, reason: impl Into<String>) -> ReadError {
        ReadError {
            place,
            offset,
            reason: reason.into(),
        }
    }
}

/// For callers that speak `std::io` (the signer, `compound::Streams`): the message kept whole.
impl From<ReadError> for std::io::Error {
    fn from(error: ReadError) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }
}

pub type Result<T> = std::result::Result<T, ReadError>;
