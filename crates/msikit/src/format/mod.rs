//! The MSI database format, defined once for writing and reading: cells, column kinds and
//! categories, the table schemas, code pages and stream names.

mod category;
mod codepage;
pub mod schema;
mod stream_name;

pub use category::Category;
pub use codepage::Codepage;
pub use stream_name::{encode_stream_name, table_stream_name};

use uuid::Uuid;

/// One cell of a table row.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cell {
    Null,
    Int(i32),
    Str(String),
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Str(text.to_string())
    }
}
impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Str(text)
    }
}
impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Cell::Int(value)
    }
}
impl From<Option<String>> for Cell {
    fn from(value: Option<String>) -> Self {
        value.map_or(Cell::Null, Cell::Str)
    }
}

/// A GUID as Windows Installer writes it: braces, upper case.
pub fn guid_text(guid: Uuid) -> String {
    format!("{{{}}}", guid.hyphenated()).to_ascii_uppercase()
}
