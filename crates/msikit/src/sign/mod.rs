//! Authenticode: signing MSI packages natively, and checking the signatures of MSI packages
//! and of the PE files they embed. One PKCS#7 implementation serves both directions.

pub mod certificates;
pub mod credentials;
pub mod detached;
pub mod details;
pub mod key;
pub mod msi;
pub mod pe;
pub mod pkcs11;
pub mod public_key;
pub mod timestamp;
pub mod trust;

mod signed_data;

use std::fmt;

/// Why a signature was not accepted; each says which check failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    Unsigned,
    Malformed(String),
    UnsupportedAlgorithm(String),
    /// The content no longer matches what was signed.
    DigestMismatch,
    /// An MSI's `MsiDigitalSignatureEx` no longer matches its streams' names, sizes and times.
    MetadataMismatch,
    /// The PKCS#7 signature itself does not verify with the signer's key.
    BadSignature(String),
    NotCodeSigning(String),
    Untrusted(String),
    Expired(String),
    WrongSigner(String),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Unsigned => write!(f, "not signed"),
            SignatureError::Malformed(why) => write!(f, "malformed signature: {why}"),
            SignatureError::UnsupportedAlgorithm(what) => {
                write!(f, "unsupported algorithm: {what}")
            }
            SignatureError::DigestMismatch => write!(
                f,
                "digest mismatch: the content was changed after it was signed"
            ),
            SignatureError::MetadataMismatch => write!(
                f,
                "MsiDigitalSignatureEx mismatch: stream names, sizes or times were changed after \
                 the package was signed"
            ),
            SignatureError::BadSignature(why) => write!(f, "the signature does not verify: {why}"),
            SignatureError::NotCodeSigning(subject) => write!(
                f,
                "the signer certificate `{subject}` lacks the code-signing extended key usage (its \
                 extended-key-usage list does not name code signing)"
            ),
            SignatureError::Untrusted(why) => write!(f, "untrusted signer: {why}"),
            SignatureError::Expired(why) => write!(f, "certificate not valid now: {why}"),
            SignatureError::WrongSigner(why) => write!(f, "unexpected signer: {why}"),
        }
    }
}

impl std::error::Error for SignatureError {}

/// Why a signature could not be made; the message says what refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// The key, token or signer command did not sign.
    #[error("{0}")]
    Key(String),
    /// The certificate does not fit the key, or is refused (SHA-1).
    #[error("{0}")]
    Certificate(String),
    /// No timestamp server countersigned.
    #[error("{0}")]
    Timestamp(String),
    /// The PKCS#7 structure could not be built (a bug).
    #[error("{0}")]
    Encoding(String),
}

/// Who signed, once every check passed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signer {
    pub subject: String,
    pub issuer: String,
    /// SHA-1 of the certificate, upper-case hex (what Windows shows as the thumbprint).
    pub thumbprint: String,
    pub sha256: String,
    /// The trust anchor the chain reached (absent when no anchor was asked for or reached).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Box<Signer>>,
}

/// What one signature check found: the certificate whose key made the signature (known once
/// the PKCS#7 signature itself verified, whether or not the chain is trusted) and the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    pub signed_by: Option<Signer>,
    pub result: Result<Signer, SignatureError>,
}
