//! Certificates read from files, and the error that names the file: what every key source
//! (files, PKCS#12, PKCS#11 tokens, signer commands) loads its chain with.

use std::path::Path;
use x509_cert::Certificate;

/// Why credentials could not be loaded; names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CredentialsError> {
    std::fs::read(path).map_err(|e| error(path, format!("cannot read: {e}")))
}

pub(crate) fn error(path: &Path, message: impl Into<String>) -> CredentialsError {
    CredentialsError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Every certificate in a PEM file, in order.
pub fn load_certificates(path: &Path) -> Result<Vec<Certificate>, CredentialsError> {
    let text = read(path)?;
    let certificates = Certificate::load_pem_chain(&text)
        .map_err(|e| error(path, format!("not PEM certificates: {e}")))?;
    if certificates.is_empty() {
        return Err(error(path, "no certificate in the file"));
    }
    Ok(certificates)
}
