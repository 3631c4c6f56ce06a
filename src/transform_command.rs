//! `sspr-msi transform`: writes a transform (`.mst`) that sets Property rows of a package (the
//! admin's `PROXYSERVER`, `ENABLELOGGING`, `REBOOT`), or one from the difference of any two
//! packages. The format is `msikit::transform`; `verify --transform` applies them.

use crate::error::{Error, Result};
use msikit::read::{self, Database};
use msikit::transform::{self, ErrorConditions, Generated, Validation};
use std::path::{Path, PathBuf};

/// What `transform` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub out: PathBuf,
    pub generated: Generated,
}

/// Where the transform goes: a `.mst` of its own, or into the base package as its
/// sub-storage of that name (`TRANSFORMS=:name`).
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    Transform(&'a Path),
    EmbeddedIn { package: &'a Path, name: &'a str },
}

/// Writes the transform that sets each `(name, value)` in `base`'s Property table.
pub fn set_properties(
    base: &Path,
    settings: &[(String, String)],
    out: Output<'_>,
) -> Result<Written> {
    let bytes = read_file(base)?;
    let database = database(base, &bytes)?;
    let target = transform::set_properties(&database, settings)
        .map_err(|error| Error::input(base, error.to_string()))?;
    write((base, &bytes), &database, &target, out)
}

/// Writes the transform that turns `old` into `new`.
pub fn diff(old: &Path, new: &Path, out: Output<'_>) -> Result<Written> {
    let (old_bytes, new_bytes) = (read_file(old)?, read_file(new)?);
    let base = database(old, &old_bytes)?;
    let target = database(new, &new_bytes)?;
    write((old, &old_bytes), &base, &target, out)
}

fn write(
    (base_path, base_bytes): (&Path, &[u8]),
    base: &Database<'_>,
    target: &Database<'_>,
    out: Output<'_>,
) -> Result<Written> {
    // Windows Installer checks these before applying: the transform lands only on the
    // product, language and platform it was made from.
    let generated = transform::generate(
        base,
        target,
        Validation::CUSTOMIZATION,
        ErrorConditions::empty(),
    )
    .map_err(|error| Error::input(base_path, error.to_string()))?;
    let out = match out {
        Output::Transform(path) => {
            crate::package::write_atomically(path, &generated.bytes)?;
            path
        }
        Output::EmbeddedIn { package, name } => {
            let bytes = transform::embed(base_bytes, &generated.bytes, name)
                .map_err(|error| Error::input(base_path, error.to_string()))?;
            crate::package::write_atomically(package, &bytes)?;
            package
        }
    };
    Ok(Written {
        out: out.to_path_buf(),
        generated,
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| Error::input(path, error.to_string()))
}

fn database<'a>(path: &Path, bytes: &'a [u8]) -> Result<Database<'a>> {
    read::read(bytes).map_err(|error| Error::input(path, error.to_string()))
}
