//! A column as the format defines it: how it stores its value, its `_Validation` category,
//! key and null flags. Tables (`schema`) and typed rows (`row`) are built from these.

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

pub(super) const fn col(
    name: &'static str,
    kind: ColumnKind,
    category: Option<Category>,
) -> ColumnSchema {
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
    pub(super) const fn key(mut self) -> Self {
        self.primary_key = true;
        self
    }
    pub(super) const fn null(mut self) -> Self {
        self.nullable = true;
        self
    }
    pub(super) const fn loc(mut self) -> Self {
        self.localizable = true;
        self
    }
    pub(super) const fn refs(mut self, table: &'static str, column: i32) -> Self {
        self.foreign_key = Some((table, column));
        self
    }
}
