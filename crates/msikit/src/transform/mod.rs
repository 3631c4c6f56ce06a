//! Transforms (`.mst`): the difference between two installer databases, in the format Windows
//! Installer, Wine and msitools' libmsi apply (`msiexec /i x.msi TRANSFORMS=site.mst`).
//!
//! [`diff`] compares two databases read by [`crate::read`] table by table; [`generate`]
//! encodes that difference as a transform (its own string pool, one row stream per changed
//! table with insert/update/delete masks, `_Tables`/`_Columns` rows for added and dropped
//! tables and appended columns, the transform's summary information); [`set_properties`]
//! makes the database an admin's `PROPERTY=VALUE` settings give, to be diffed. [`apply`]
//! reads a transform and applies it to a database, refusing one that is malformed or that its
//! validation flags say is not for it; [`apply_embedded`] does the same for one a package
//! embeds, and [`embed`] puts one there.

pub mod apply;
pub mod diff;
mod embed;
mod properties;
#[cfg(test)]
mod tests;
mod write;

pub use apply::{apply, apply_embedded};
pub use embed::embed;
pub use properties::{check_setting, set_properties};
pub use write::{generate, Generated};

use uuid::Uuid;

/// The root storage's CLSID in a transform, {000C1082-0000-0000-C000-000000000046}.
pub const TRANSFORM_CLSID: Uuid = Uuid::from_u128(0x000C_1082_0000_0000_C000_0000_0000_0046);

bitflags::bitflags! {
    /// What the database a transform is applied to must match (`MSITRANSFORM_VALIDATE_*`),
    /// stored in the upper 16 bits of the transform's Character Count summary property.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Validation: u16 {
        const LANGUAGE = 0x0001;
        const PRODUCT = 0x0002;
        const PLATFORM = 0x0004;
        const MAJOR_VERSION = 0x0008;
        const MINOR_VERSION = 0x0010;
        const UPDATE_VERSION = 0x0020;
        const NEW_LESS_BASE_VERSION = 0x0040;
        const NEW_LESS_EQUAL_BASE_VERSION = 0x0080;
        const NEW_EQUAL_BASE_VERSION = 0x0100;
        const NEW_GREATER_EQUAL_BASE_VERSION = 0x0200;
        const NEW_GREATER_BASE_VERSION = 0x0400;
        const UPGRADE_CODE = 0x0800;
    }
}

bitflags::bitflags! {
    /// Which conflicts applying a transform ignores (`MSITRANSFORM_ERROR_*`), stored in the
    /// lower 16 bits of the Character Count summary property.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ErrorConditions: u16 {
        const ADD_EXISTING_ROW = 0x0001;
        const DELETE_MISSING_ROW = 0x0002;
        const ADD_EXISTING_TABLE = 0x0004;
        const DELETE_MISSING_TABLE = 0x0008;
        const UPDATE_MISSING_ROW = 0x0010;
        const CHANGE_CODEPAGE = 0x0020;
        const VIEW_TRANSFORM = 0x0100;
    }
}

impl Validation {
    /// What a site customization checks: same product, upgrade code, language and platform
    /// (the base's ProductCode stays, so the transform cannot land on another product).
    pub const CUSTOMIZATION: Validation = Validation::PRODUCT
        .union(Validation::UPGRADE_CODE)
        .union(Validation::LANGUAGE)
        .union(Validation::PLATFORM);
}

/// The Character Count summary property of a transform: validation flags in the upper word,
/// error conditions in the lower (Windows Installer SDK, "Character Count Summary").
fn char_count(validation: Validation, errors: ErrorConditions) -> i32 {
    ((u32::from(validation.bits()) << 16) | u32::from(errors.bits())) as i32
}

/// Why a transform cannot be written from two databases.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    /// A difference the transform format (or this writer) cannot carry.
    #[error("{0}")]
    Unsupported(String),
    /// A `PROPERTY=VALUE` setting that no Property row can hold.
    #[error("{0}")]
    Property(String),
    #[error("{0}")]
    Encode(#[from] crate::database::EncodeError),
}

/// The `{ProductCode}version;{ProductCode}version;{UpgradeCode}` triple of a transform's
/// Revision number: the base's product code and version, the updated ones, the upgrade code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub base_product_code: String,
    pub base_version: String,
    pub new_product_code: String,
    pub new_version: String,
    pub upgrade_code: String,
}

impl Revision {
    pub fn text(&self) -> String {
        format!(
            "{}{};{}{};{}",
            self.base_product_code,
            self.base_version,
            self.new_product_code,
            self.new_version,
            self.upgrade_code
        )
    }

    /// Reads the triple; `None` when the text is not of that form.
    pub fn parse(text: &str) -> Option<Revision> {
        let (base, rest) = text.split_once(';')?;
        let (new, upgrade_code) = rest.split_once(';')?;
        let code_and_version = |part: &str| {
            let end = part.find('}')?;
            part.starts_with('{')
                .then(|| (part[..=end].to_string(), part[end + 1..].to_string()))
        };
        let (base_product_code, base_version) = code_and_version(base)?;
        let (new_product_code, new_version) = code_and_version(new)?;
        // A package without an UpgradeCode leaves the last part empty.
        let (upgrade_code, rest) = match upgrade_code {
            "" => (String::new(), String::new()),
            text => code_and_version(text)?,
        };
        rest.is_empty().then_some(Revision {
            base_product_code,
            base_version,
            new_product_code,
            new_version,
            upgrade_code,
        })
    }
}

/// A Property table value of a read database.
fn property<'d>(db: &'d crate::read::Database<'_>, name: &str) -> Option<&'d str> {
    use crate::read::Value;
    let table = db.table("Property")?;
    let key = table.columns.iter().position(|c| c.name == "Property")?;
    let value = table.columns.iter().position(|c| c.name == "Value")?;
    table
        .rows
        .iter()
        .find_map(|row| match (&row[key], &row[value]) {
            (Value::Str(key), Value::Str(value)) if key == name => Some(value.as_str()),
            _ => None,
        })
}
