//! The MSI database format, defined once for writing and reading: cells, column kinds and
//! categories, the table schemas, code pages and stream names.

pub mod bits;
mod category;
mod codepage;
mod column;
pub mod names;
mod product_version;
pub mod row;
pub mod schema;
mod stream_name;
pub mod summary;

pub use category::Category;
pub use codepage::Codepage;
pub use product_version::ProductVersion;
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

/// A GUID that depends only on `namespace` and `parts`, so rebuilds give the same codes.
pub fn stable_guid(namespace: Uuid, parts: &[&str]) -> Uuid {
    Uuid::new_v5(&namespace, parts.join("\u{1f}").as_bytes())
}

/// A GUID as Windows Installer writes it: braces, upper case.
pub fn guid_text(guid: Uuid) -> String {
    format!("{{{}}}", guid.hyphenated()).to_ascii_uppercase()
}

/// A Registry table root (the `-1` per-user-or-machine root is resolved by the installer).
/// In JSON its short name (`HKLM`), as reports show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub enum RegistryRoot {
    #[serde(rename = "HKCR")]
    ClassesRoot,
    #[serde(rename = "HKCU")]
    CurrentUser,
    #[serde(rename = "HKLM")]
    LocalMachine,
    #[serde(rename = "HKU")]
    Users,
}

impl RegistryRoot {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "HKCR" | "HKEY_CLASSES_ROOT" => Some(RegistryRoot::ClassesRoot),
            "HKCU" | "HKEY_CURRENT_USER" => Some(RegistryRoot::CurrentUser),
            "HKLM" | "HKEY_LOCAL_MACHINE" => Some(RegistryRoot::LocalMachine),
            "HKU" | "HKEY_USERS" => Some(RegistryRoot::Users),
            _ => None,
        }
    }
    pub fn short_name(self) -> &'static str {
        match self {
            RegistryRoot::ClassesRoot => "HKCR",
            RegistryRoot::CurrentUser => "HKCU",
            RegistryRoot::LocalMachine => "HKLM",
            RegistryRoot::Users => "HKU",
        }
    }
}
