//! The MSI tables this tool writes, as data: names, columns, types, keys.
//!
//! One definition serves the writer (`database::encode` derives `_Tables`, `_Columns` and
//! `_Validation` from it) and the readers in tests and `verify`. Column layouts follow the
//! Windows Installer SDK's schema.

use super::Category;

/// How a column stores its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ColumnKind {
    Int16,
    Int32,
    /// A string with a maximum length (0 = unlimited).
    Str(usize),
    /// A stream named `Table.Key`; the cell holds that name.
    Binary,
}

impl ColumnKind {
    /// The kind `_Columns`' Type bits give, read as Wine's msi.dll reads them: a 4-byte size is
    /// a 4-byte integer even with the non-binary bit (the `msi` crate reads that rare
    /// combination as a 2-byte stream column), and sizes 0 and 1 are stored in 2 bytes.
    /// `None` for a size no cell has. The encoder writes these bits (`database::encode`).
    pub fn from_type_bits(bits: u16) -> Option<ColumnKind> {
        use super::bits::ColumnType;
        let bits = i32::from(bits);
        let length = bits & ColumnType::LENGTH_MASK;
        if bits & !ColumnType::NULLABLE.bits() == (ColumnType::STRING | ColumnType::VALID).bits() {
            return Some(ColumnKind::Binary);
        }
        if bits & ColumnType::STRING.bits() != 0 {
            return Some(ColumnKind::Str(length as usize));
        }
        match length {
            0..=2 => Some(ColumnKind::Int16),
            4 => Some(ColumnKind::Int32),
            _ => None,
        }
    }
}

/// One column of a table schema.
#[derive(Debug, Clone, Copy)]
pub struct ColumnSchema {
    pub name: &'static str,
    pub kind: ColumnKind,
    pub category: Option<Category>,
    pub primary_key: bool,
    pub nullable: bool,
    pub localizable: bool,
    pub foreign_key: Option<(&'static str, i32)>,
}

/// A table: its name and columns in order.
#[derive(Debug)]
pub struct TableSchema {
    pub name: &'static str,
    pub columns: &'static [ColumnSchema],
}

const fn col(name: &'static str, kind: ColumnKind, category: Option<Category>) -> ColumnSchema {
    ColumnSchema {
        name,
        kind,
        category,
        primary_key: false,
        nullable: false,
        localizable: false,
        foreign_key: None,
    }
}

impl ColumnSchema {
    const fn key(mut self) -> Self {
        self.primary_key = true;
        self
    }
    const fn null(mut self) -> Self {
        self.nullable = true;
        self
    }
    const fn loc(mut self) -> Self {
        self.localizable = true;
        self
    }
    const fn refs(mut self, table: &'static str, column: i32) -> Self {
        self.foreign_key = Some((table, column));
        self
    }
}

use Category as C;
use ColumnKind::{Int16 as I2, Int32 as I4, Str as S};

const ID: Option<Category> = Some(C::Identifier);
const TEXT: Option<Category> = Some(C::Text);
const FORMATTED: Option<Category> = Some(C::Formatted);
const CONDITION: Option<Category> = Some(C::Condition);
const GUID: Option<Category> = Some(C::Guid);
const REGPATH: Option<Category> = Some(C::RegPath);
const NONE: Option<Category> = None;

pub const PROPERTY: TableSchema = TableSchema {
    name: "Property",
    columns: &[
        col("Property", S(72), ID).key(),
        col("Value", S(0), TEXT).loc(),
    ],
};

pub const DIRECTORY: TableSchema = TableSchema {
    name: "Directory",
    columns: &[
        col("Directory", S(72), ID).key(),
        col("Directory_Parent", S(72), ID)
            .null()
            .refs("Directory", 1),
        col("DefaultDir", S(255), Some(C::DefaultDir)).loc(),
    ],
};

pub const FEATURE: TableSchema = TableSchema {
    name: "Feature",
    columns: &[
        col("Feature", S(38), ID).key(),
        col("Feature_Parent", S(38), ID).null().refs("Feature", 1),
        col("Title", S(64), TEXT).null().loc(),
        col("Description", S(255), TEXT).null().loc(),
        col("Display", I2, NONE).null(),
        col("Level", I2, NONE),
        col("Directory_", S(72), Some(C::UpperCase))
            .null()
            .refs("Directory", 1),
        col("Attributes", I2, NONE),
    ],
};

pub const COMPONENT: TableSchema = TableSchema {
    name: "Component",
    columns: &[
        col("Component", S(72), ID).key(),
        col("ComponentId", S(38), GUID).null(),
        col("Directory_", S(72), ID).refs("Directory", 1),
        col("Attributes", I2, NONE),
        col("Condition", S(255), CONDITION).null(),
        col("KeyPath", S(72), ID).null(),
    ],
};

pub const FEATURE_COMPONENTS: TableSchema = TableSchema {
    name: "FeatureComponents",
    columns: &[
        col("Feature_", S(38), ID).key().refs("Feature", 1),
        col("Component_", S(72), ID).key().refs("Component", 1),
    ],
};

pub const REGISTRY: TableSchema = TableSchema {
    name: "Registry",
    columns: &[
        col("Registry", S(72), ID).key(),
        col("Root", I2, NONE),
        col("Key", S(255), REGPATH).loc(),
        col("Name", S(255), FORMATTED).null().loc(),
        col("Value", S(0), FORMATTED).null().loc(),
        col("Component_", S(72), ID).refs("Component", 1),
    ],
};

pub const REG_LOCATOR: TableSchema = TableSchema {
    name: "RegLocator",
    columns: &[
        col("Signature_", S(72), ID).key(),
        col("Root", I2, NONE),
        col("Key", S(255), REGPATH),
        col("Name", S(255), FORMATTED).null(),
        col("Type", I2, NONE).null(),
    ],
};

pub const APP_SEARCH: TableSchema = TableSchema {
    name: "AppSearch",
    columns: &[
        col("Property", S(72), ID).key(),
        col("Signature_", S(72), ID).key(),
    ],
};

pub const LAUNCH_CONDITION: TableSchema = TableSchema {
    name: "LaunchCondition",
    columns: &[
        col("Condition", S(255), CONDITION).key(),
        col("Description", S(255), FORMATTED).loc(),
    ],
};

pub const UPGRADE: TableSchema = TableSchema {
    name: "Upgrade",
    columns: &[
        col("UpgradeCode", S(38), GUID).key(),
        col("VersionMin", S(20), TEXT).key().null(),
        col("VersionMax", S(20), TEXT).key().null(),
        col("Language", S(255), Some(C::Language)).key().null(),
        col("Attributes", I4, NONE).key(),
        col("Remove", S(255), FORMATTED).null(),
        col("ActionProperty", S(72), Some(C::UpperCase)),
    ],
};

const SEQUENCE_COLUMNS: &[ColumnSchema] = &[
    col("Action", S(72), ID).key(),
    col("Condition", S(255), CONDITION).null(),
    col("Sequence", I2, NONE).null(),
];

pub const INSTALL_EXECUTE_SEQUENCE: TableSchema = TableSchema {
    name: "InstallExecuteSequence",
    columns: SEQUENCE_COLUMNS,
};

pub const INSTALL_UI_SEQUENCE: TableSchema = TableSchema {
    name: "InstallUISequence",
    columns: SEQUENCE_COLUMNS,
};

pub const FILE: TableSchema = TableSchema {
    name: "File",
    columns: &[
        col("File", S(72), ID).key(),
        col("Component_", S(72), ID).refs("Component", 1),
        col("FileName", S(255), Some(C::Filename)).loc(),
        col("FileSize", I4, NONE),
        col("Version", S(72), Some(C::Version)).null(),
        col("Language", S(20), Some(C::Language)).null(),
        col("Attributes", I2, NONE).null(),
        col("Sequence", I2, NONE),
    ],
};

pub const MEDIA: TableSchema = TableSchema {
    name: "Media",
    columns: &[
        col("DiskId", I2, NONE).key(),
        col("LastSequence", I2, NONE),
        col("DiskPrompt", S(64), TEXT).null().loc(),
        col("Cabinet", S(255), Some(C::Cabinet)).null(),
        col("VolumeLabel", S(32), TEXT).null(),
        col("Source", S(72), Some(C::Property)).null(),
    ],
};

pub const MSI_FILE_HASH: TableSchema = TableSchema {
    name: "MsiFileHash",
    columns: &[
        col("File_", S(72), ID).key().refs("File", 1),
        col("Options", I2, NONE),
        col("HashPart1", I4, NONE),
        col("HashPart2", I4, NONE),
        col("HashPart3", I4, NONE),
        col("HashPart4", I4, NONE),
    ],
};

pub const REMOVE_FILE: TableSchema = TableSchema {
    name: "RemoveFile",
    columns: &[
        col("FileKey", S(72), ID).key(),
        col("Component_", S(72), ID).refs("Component", 1),
        col("FileName", S(255), Some(C::WildCardFilename))
            .null()
            .loc(),
        col("DirProperty", S(72), ID),
        col("InstallMode", I2, NONE),
    ],
};

pub const BINARY: TableSchema = TableSchema {
    name: "Binary",
    columns: &[
        col("Name", S(72), ID).key(),
        col("Data", ColumnKind::Binary, Some(C::Binary)),
    ],
};

/// `Target` is Formatted text of any length: CustomActionData often exceeds 255 characters.
pub const CUSTOM_ACTION: TableSchema = TableSchema {
    name: "CustomAction",
    columns: &[
        col("Action", S(72), ID).key(),
        col("Type", I2, NONE),
        col("Source", S(72), Some(C::CustomSource)).null(),
        col("Target", S(0), FORMATTED).null(),
    ],
};

/// Every table this tool can write, in the order they are created.
pub const TABLES: &[&TableSchema] = &[
    &PROPERTY,
    &DIRECTORY,
    &FEATURE,
    &COMPONENT,
    &FEATURE_COMPONENTS,
    &FILE,
    &MEDIA,
    &MSI_FILE_HASH,
    &REMOVE_FILE,
    &REGISTRY,
    &REG_LOCATOR,
    &APP_SEARCH,
    &LAUNCH_CONDITION,
    &UPGRADE,
    &BINARY,
    &CUSTOM_ACTION,
    &INSTALL_EXECUTE_SEQUENCE,
    &INSTALL_UI_SEQUENCE,
];

/// The schema of a table by name.
pub fn table(name: &str) -> Option<&'static TableSchema> {
    TABLES.iter().copied().find(|table| table.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_primary_key_and_unique_name() {
        for table in TABLES {
            assert!(
                table.columns.iter().any(|c| c.primary_key),
                "{}",
                table.name
            );
            assert_eq!(super::table(table.name).map(|t| t.name), Some(table.name));
        }
    }

    #[test]
    fn foreign_keys_point_at_known_tables() {
        for table in TABLES {
            for column in table.columns {
                if let Some((target, _)) = column.foreign_key {
                    assert!(
                        super::table(target).is_some(),
                        "{}.{}",
                        table.name,
                        column.name
                    );
                }
            }
        }
    }
}
