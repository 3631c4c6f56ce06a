//! Typed rows: one struct per table layout, converted to cells for the encoder and from cells
//! for the readers, so no code builds a row by position or reads a column by its name.
//!
//! Reading is lenient on purpose: a stranger's package may break the schema (an integer where
//! text belongs, a null in a required column, a column missing). A cell that does not fit reads
//! as the field's empty value, so a rule still sees the rest of the row.

use super::bits::{
    ComponentAttributes, FileAttributes, LocatorType, RemoveFileMode, UpgradeAttributes,
};
use super::column::{ColumnSchema, TableSchema};
use super::Cell;
use std::marker::PhantomData;

/// A field type a cell converts to and from.
pub trait Value: Sized {
    fn into_cell(self) -> Cell;
    /// The field for `cell`; a cell of the wrong kind gives the empty value.
    fn from_cell(cell: &Cell) -> Self;
}

impl Value for String {
    fn into_cell(self) -> Cell {
        Cell::Str(self)
    }
    fn from_cell(cell: &Cell) -> Self {
        match cell {
            Cell::Str(text) => text.clone(),
            _ => String::new(),
        }
    }
}

impl Value for i32 {
    fn into_cell(self) -> Cell {
        Cell::Int(self)
    }
    fn from_cell(cell: &Cell) -> Self {
        match cell {
            Cell::Int(value) => *value,
            _ => 0,
        }
    }
}

/// A nullable column: `None` is the null cell.
impl<T: Value> Value for Option<T> {
    fn into_cell(self) -> Cell {
        self.map_or(Cell::Null, Value::into_cell)
    }
    fn from_cell(cell: &Cell) -> Self {
        match cell {
            Cell::Null => None,
            Cell::Str(_) | Cell::Int(_) => Some(T::from_cell(cell)),
        }
    }
}

/// One table layout's row.
pub trait Row: Sized {
    /// The columns, in table order; field `n` of the struct is column `n`.
    const COLUMNS: &'static [ColumnSchema];
    fn into_cells(self) -> Vec<Cell>;
    /// The row from its cells, asked for in column order.
    fn from_cells<'a>(next: impl FnMut() -> &'a Cell) -> Self;
}

/// A table whose rows are `R`: its name and (through `R`) its columns.
#[derive(Debug)]
pub struct Table<R> {
    pub schema: TableSchema,
    row: PhantomData<fn() -> R>,
}

impl<R: Row> Table<R> {
    pub const fn new(name: &'static str) -> Self {
        Table {
            schema: TableSchema {
                name,
                columns: R::COLUMNS,
            },
            row: PhantomData,
        }
    }

    pub const fn name(&self) -> &'static str {
        self.schema.name
    }

    /// Reads rows laid out in another column order (a package's own `_Columns`): each of `R`'s
    /// columns is found once by name; one the table lacks reads as null.
    pub fn reader<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> RowReader<R> {
        let names: Vec<&str> = names.into_iter().collect();
        RowReader {
            positions: R::COLUMNS
                .iter()
                .map(|column| names.iter().position(|name| *name == column.name))
                .collect(),
            row: PhantomData,
        }
    }
}

/// Converts rows of one table layout to `R`, the column positions looked up once.
pub struct RowReader<R> {
    positions: Vec<Option<usize>>,
    row: PhantomData<fn() -> R>,
}

impl<R: Row> RowReader<R> {
    pub fn read(&self, cells: &[Cell]) -> R {
        let mut positions = self.positions.iter();
        R::from_cells(|| {
            positions
                .next()
                .copied()
                .flatten()
                .and_then(|index| cells.get(index))
                .unwrap_or(&Cell::Null)
        })
    }
}

/// Reads rows already in `R`'s column order (a database this crate built).
pub fn read_row<R: Row>(cells: &[Cell]) -> R {
    let mut cells = cells.iter();
    R::from_cells(|| cells.next().unwrap_or(&Cell::Null))
}

/// Defines row structs with their columns: each field names its type and its column schema.
macro_rules! rows {
    ($(
        $(#[$meta:meta])*
        pub struct $row:ident {
            $( $(#[$field_meta:meta])* $field:ident : $ty:ty = $column:expr ),* $(,)?
        }
    )*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $row {
            $( $(#[$field_meta])* pub $field: $ty ),*
        }

        impl $crate::format::row::Row for $row {
            const COLUMNS: &'static [ColumnSchema] = &[$($column),*];
            fn into_cells(self) -> Vec<Cell> {
                vec![$($crate::format::row::Value::into_cell(self.$field)),*]
            }
            fn from_cells<'a>(mut next: impl FnMut() -> &'a Cell) -> Self {
                // Struct expressions evaluate their fields in the order written: column order.
                $row { $($field: $crate::format::row::Value::from_cell(next())),* }
            }
        }
    )*};
}
pub(crate) use rows;

/// `Value` for attribute bits: an integer cell, unnamed bits kept.
macro_rules! flag_values {
    ($($flags:ty),*) => {$(
        impl $crate::format::row::Value for $flags {
            fn into_cell(self) -> Cell {
                Cell::Int(self.bits())
            }
            fn from_cell(cell: &Cell) -> Self {
                Self::from_bits_retain(i32::from_cell(cell))
            }
        }
    )*};
}
flag_values!(
    ComponentAttributes,
    FileAttributes,
    LocatorType,
    RemoveFileMode,
    UpgradeAttributes
);
