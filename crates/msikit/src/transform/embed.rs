//! Embedding a transform in a package as a sub-storage, what the `_Storages` table makes and
//! `msiexec TRANSFORMS=:name` applies (the multi-language package's `:1031`).

use super::{GenerateError, TRANSFORM_CLSID};
use crate::compound::{Streams, MAX_NAME_UNITS};
use crate::sign::msi::{SIGNATURE_EX_STREAM, SIGNATURE_STREAM};

/// `package` with `transform` as its sub-storage `name`, rewritten as a fresh compound file
/// (sub-storages it had keep their streams, not their CLSIDs or times).
pub fn embed(package: &[u8], transform: &[u8], name: &str) -> Result<Vec<u8>, GenerateError> {
    check_storage_name(name)?;
    let unsupported = |reason: String| GenerateError::Unsupported(reason);
    let io = |what: &str, error: std::io::Error| unsupported(format!("{what}: {error}"));
    let mut streams = Streams::read(package).map_err(|error| io("the package", error))?;
    let transform = Streams::read(transform).map_err(|error| io("the transform", error))?;
    if transform.root_clsid != TRANSFORM_CLSID {
        return Err(unsupported("the file to embed is not a transform".into()));
    }
    if [SIGNATURE_STREAM, SIGNATURE_EX_STREAM]
        .iter()
        .any(|path| streams.get(path).is_some())
    {
        return Err(unsupported(
            "the package is signed and embedding would break its signature: embed into the unsigned package, then sign it".into(),
        ));
    }
    let (entry, inside) = (format!("/{name}"), format!("/{name}/"));
    if (streams.streams.iter()).any(|(path, _)| path == &entry || path.starts_with(&inside)) {
        return Err(unsupported(format!(
            "the package already has an entry named {name:?}"
        )));
    }
    for (path, data) in transform.streams {
        streams.insert(&format!("{entry}{path}"), data);
    }
    streams
        .write_v3()
        .map_err(|error| io("the package with the transform", error))
}

/// A name msiexec can find after `TRANSFORMS=:`: not empty, short enough for a directory
/// entry, and without the characters that separate transforms or paths.
fn check_storage_name(name: &str) -> Result<(), GenerateError> {
    let refused = |why: &str| {
        GenerateError::Unsupported(format!("{name:?} cannot name an embedded transform: {why}"))
    };
    if name.is_empty() || name.encode_utf16().count() > MAX_NAME_UNITS {
        return Err(refused("it must have 1 to 31 characters"));
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '/' | '\\' | ':' | '!' | ';'))
    {
        return Err(refused("it holds a control character or one of / \\ : ! ;"));
    }
    Ok(())
}
