//! `sign`'s detached modes, from files to files: hand out the bytes to sign, take a
//! signature made elsewhere, save a package's signature and put it back on a rebuilt
//! package. Each returns the line to print.

use crate::error::{Error, Result};
use crate::package::write_atomically;
use msikit::sign::credentials::{load_certificates, Credentials};
use msikit::sign::detached::{self, GivenSignature};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))
}

/// Where the JSON description of `--digest-out FILE` goes: `FILE.json`.
pub fn description_path(digest_out: &Path) -> PathBuf {
    let mut name = digest_out.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// Writes the DER of the signed attributes that signing `package` as `certificate` signs to
/// `digest_out`, and what the signer must do with them to `digest_out.json` (with
/// MsiDigitalSignatureEx when `msi_dse`: give `--msi-dse` again with `--signature-in`).
pub fn digest_out(
    package: &Path,
    certificate: &Path,
    digest_out: &Path,
    msi_dse: bool,
) -> Result<String> {
    let chain = load_certificates(certificate).map_err(|e| Error::input(&e.path, e.message))?;
    let to_be_signed = detached::to_be_signed(&read(package)?, chain, msi_dse)
        .map_err(|message| Error::input(package, message.to_string()))?;
    let description = serde_json::to_string_pretty(&to_be_signed).expect("serialises") + "\n";
    write_atomically(digest_out, &to_be_signed.bytes)?;
    let description_file = description_path(digest_out);
    write_atomically(&description_file, description.as_bytes())?;
    Ok(format!(
        "wrote {} ({} bytes to sign with {}) and {}",
        digest_out.display(),
        to_be_signed.bytes.len(),
        to_be_signed.signature_algorithm,
        description_file.display()
    ))
}

/// Credentials whose signature is the one in `signature` (made over `digest_out`'s bytes).
pub fn given_signature(certificate: &Path, signature: &Path) -> Result<Credentials> {
    let chain = load_certificates(certificate).map_err(|e| Error::input(&e.path, e.message))?;
    let key = GivenSignature::new(&chain[0], read(signature)?)
        .map_err(|message| Error::input(certificate, message))?;
    Credentials::with_key(chain, Arc::new(key))
        .map_err(|message| Error::input(certificate, message.to_string()))
}

/// Saves the PKCS#7 of the signed `package` to `signature`.
pub fn export_signature(package: &Path, signature: &Path) -> Result<String> {
    let pkcs7 = detached::export_signature(&read(package)?)
        .map_err(|message| Error::input(package, message))?;
    write_atomically(signature, &pkcs7)?;
    Ok(format!(
        "wrote {} ({} bytes)",
        signature.display(),
        pkcs7.len()
    ))
}

/// Puts the PKCS#7 in `signature` on `package`, written to `out`.
pub fn attach(package: &Path, signature: &Path, out: &Path) -> Result<String> {
    let attached = detached::attach_signature(&read(package)?, &read(signature)?)
        .map_err(|message| Error::input(signature, message))?;
    write_atomically(out, &attached)?;
    Ok(format!(
        "signed {} (signature from {})",
        out.display(),
        signature.display()
    ))
}
