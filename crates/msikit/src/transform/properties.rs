//! The database an admin's `PROPERTY=VALUE` settings make of a base: an existing Property row
//! takes the new value, a new name becomes a new row. Diffed against the base, that is the
//! site transform.

use super::GenerateError;
use crate::format::Category;
use crate::read::{Database, Value};

/// Why `name = value` cannot be a Property row, if it cannot: the name must be an MSI
/// identifier, and the value not empty.
pub fn check_setting(name: &str, value: &str) -> Result<(), GenerateError> {
    if !Category::Identifier.accepts(name) {
        return Err(GenerateError::Property(format!(
            "{name:?} is not a property name (an MSI identifier: a letter or _, then letters, digits, _ or .)"
        )));
    }
    if value.is_empty() {
        return Err(GenerateError::Property(format!(
            "{name}: a Property row cannot hold an empty value (Windows Installer treats an unset property as empty)"
        )));
    }
    Ok(())
}

/// `base` with each `(name, value)` set in its Property table, in order.
pub fn set_properties<'a>(
    base: &Database<'a>,
    settings: &[(String, String)],
) -> Result<Database<'a>, GenerateError> {
    let mut target = base.clone();
    let table = target
        .tables
        .iter_mut()
        .find(|table| table.name == "Property")
        .ok_or_else(|| GenerateError::Property("the database has no Property table".into()))?;
    let column = |name: &str| {
        table
            .columns
            .iter()
            .position(|c| c.name == name)
            .ok_or_else(|| {
                GenerateError::Property(format!("the Property table has no {name} column"))
            })
    };
    let (key, value_column) = (column("Property")?, column("Value")?);
    let width = table.columns.len();
    for (name, value) in settings {
        check_setting(name, value)?;
        let existing = table
            .rows
            .iter_mut()
            .find(|row| matches!(&row[key], Value::Str(key) if key == name));
        match existing {
            Some(row) => row[value_column] = Value::Str(value.clone()),
            None => {
                let mut row = vec![Value::Null; width];
                row[key] = Value::Str(name.clone());
                row[value_column] = Value::Str(value.clone());
                table.rows.push(row);
            }
        }
    }
    Ok(target)
}
