//! The table reader's cost against the number of rows, for `benches/run.sh` to count
//! instructions with callgrind (repeatable on a loaded machine, unlike time):
//!
//!     table_rows write N FILE   # the msi crate writes a package with an N-row table
//!     table_rows read FILE      # our reader reads it (only this is measured)
//!
//! Row k's key string is `Software\Contoso\Key{k mod 60,000}`, so the string pool grows with
//! the rows up to 60,000 strings (the msi crate writes no long string references, which more
//! would need).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", rows, file] => match rows.parse() {
            Ok(rows) => write(rows, file),
            Err(_) => Err(format!("not a row count: {rows}")),
        },
        ["read", file] => read(file),
        _ => Err("usage: table_rows write N FILE | table_rows read FILE".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("table_rows: {message}");
            ExitCode::from(2)
        }
    }
}

/// Distinct key strings: below the 65,535 ids of short string references.
const DISTINCT_KEYS: usize = 60_000;

fn write(rows: usize, file: &str) -> Result<(), String> {
    use msi::{Column, Insert, Value};
    let fail = |error: std::io::Error| error.to_string();
    // The msi crate reads back what it writes: the file is opened for both.
    let out = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(file)
        .map_err(fail)?;
    let mut package = msi::Package::create(msi::PackageType::Installer, out).map_err(fail)?;
    package
        .create_table(
            "Rows",
            vec![
                Column::build("Row").primary_key().int32(),
                Column::build("Root").int16(),
                Column::build("Key").string(255),
                Column::build("Name").nullable().string(255),
                Column::build("Component_").id_string(72),
            ],
        )
        .map_err(fail)?;
    let mut insert = Insert::into("Rows");
    for row in 0..rows {
        insert = insert.row(vec![
            Value::Int(row as i32),
            Value::Int(2),
            Value::from(format!("Software\\Contoso\\Key{}", row % DISTINCT_KEYS)),
            Value::Null,
            Value::from(format!("C{}", row % 100)),
        ]);
    }
    package.insert_rows(insert).map_err(fail)?;
    package.flush().map_err(fail)
}

fn read(file: &str) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|error| error.to_string())?;
    let database = msikit::read::read(&bytes).map_err(|error| error.to_string())?;
    let rows = database.table("Rows").map_or(0, |table| table.rows.len());
    println!("{rows} rows");
    Ok(())
}
