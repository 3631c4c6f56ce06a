//! Reviewing packages of any origin: `inspect` (what one package holds) and `diff` (what
//! changed between two), over the toolkit's `inspect` and `compare`. Each reads its files
//! here, so that an unreadable one is an input error (exit 4), and renders its own text.

pub mod diff;
pub mod inspect;

use crate::error::{Error, Result};
use std::path::Path;

/// A package's bytes, or an input error naming the file.
fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|error| Error::input(path, format!("cannot read: {error}")))
}

/// The reader's verdict on a file that is not a readable package.
fn unreadable(path: &Path, error: impl std::fmt::Display) -> Error {
    Error::input(path, format!("not a readable installer database: {error}"))
}

#[cfg(test)]
mod tests {
    use crate::verify::tests::read::package_bytes;
    use msikit::diff::{diff, DiffOptions};
    use msikit::sign::trust::TrustPolicy;

    #[test]
    fn mangled_packages_give_errors_or_reports_never_panics() {
        let bytes = package_bytes("win7-x64");
        let policy = TrustPolicy::default();
        for offset in (0..bytes.len()).step_by(41) {
            let mut mangled = bytes.clone();
            mangled[offset] ^= 0xFF;
            let outcome = std::panic::catch_unwind(|| {
                let _ = msikit::inspect::inspect(msikit::read::Input::Bytes(&mangled), &policy);
                let _ = diff(&bytes, &mangled, DiffOptions::default());
            });
            assert!(outcome.is_ok(), "a panic on byte {offset} flipped");
        }
    }
}
