//! Signing where the key is out of reach: the to-be-signed bytes handed out (`--digest-out`)
//! and the raw signature taken back (`--signature-in`), a program that signs on stdin and
//! stdout (`--signer-command`, for any KMS's command-line client), and a package's PKCS#7
//! saved and put back on a rebuilt unsigned package (`--export-signature`, `--attach`).
//!
//! Every path goes through the same PKCS#7 code as a key file: the bytes handed out are
//! the ones a key would have been given.

use super::key::{self, KeyError, SignatureAlgorithm, SigningKey};
use super::msi::{self, SIGNATURE_EX_STREAM, SIGNATURE_STREAM};
use super::signed_data::Credentials;
use super::{SignatureError, SigningError};
use crate::compound::Streams;
use const_oid::db::rfc5912::{ID_EC_PUBLIC_KEY, RSA_ENCRYPTION, SECP_256_R_1, SECP_384_R_1};
use der::Encode;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use x509_cert::Certificate;

/// The signature algorithm `certificate`'s key signs with (RSA sizes checked as for keys).
pub fn algorithm_of(certificate: &Certificate) -> Result<SignatureAlgorithm, KeyError> {
    let info = &certificate.tbs_certificate.subject_public_key_info;
    match info.algorithm.oid {
        oid if oid == RSA_ENCRYPTION => {
            use rsa::traits::PublicKeyParts;
            let public = super::public_key::rsa_public_key(certificate)
                .map_err(|e| KeyError::UnreadableCertificateKey(e.to_string()))?;
            let bits = public.n().bits();
            key::check_rsa_bits(bits)?;
            Ok(SignatureAlgorithm::RsaSha256 { bits })
        }
        oid if oid == ID_EC_PUBLIC_KEY => match super::public_key::named_curve(certificate) {
            Some(curve) if curve == SECP_256_R_1 => Ok(SignatureAlgorithm::EcdsaP256Sha256),
            Some(curve) if curve == SECP_384_R_1 => Ok(SignatureAlgorithm::EcdsaP384Sha384),
            _ => Err(KeyError::CertificateCurve),
        },
        other => Err(KeyError::CertificateAlgorithm {
            algorithm: other.to_string(),
        }),
    }
}

/// The certificate's own public key, so `Credentials::with_key` needs no probe signature
/// (which a detached signature cannot give).
fn spki_of(certificate: &Certificate) -> Option<Vec<u8>> {
    certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .ok()
}

/// What `--digest-out` hands to the remote signer, beside the bytes themselves.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ToBeSigned {
    /// The DER of the signed attributes: what the key signs (hashing it itself).
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub algorithm: SignatureAlgorithm,
    /// How to sign: the digest to apply and the signature format to return.
    pub signature_algorithm: String,
    pub digest_algorithm: &'static str,
    /// The digest of `bytes`, hex: for services that sign a digest (KMS `--message-type
    /// DIGEST`, Key Vault, Cloud KMS).
    pub digest: String,
    /// What `--signature-in` accepts.
    pub signature_format: &'static str,
    /// SHA-256 of the signing certificate, upper-case hex.
    pub certificate_sha256: String,
}

/// Records what it is asked to sign, and answers with a placeholder of the right length.
struct Capture {
    algorithm: SignatureAlgorithm,
    public: Option<Vec<u8>>,
    message: Mutex<Option<Vec<u8>>>,
}

impl SigningKey for Capture {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, SigningError> {
        *self.message.lock().unwrap_or_else(|e| e.into_inner()) = Some(to_be_signed.to_vec());
        Ok(vec![0; self.algorithm.fixed_signature_len().unwrap_or(8)])
    }

    fn public_key_der(&self) -> Option<Vec<u8>> {
        self.public.clone()
    }
}

/// The bytes a key would sign to sign `package` as the leaf of `chain` (with
/// `\u{5}MsiDigitalSignatureEx` when `msi_dse`).
pub fn to_be_signed(
    package: &[u8],
    chain: Vec<Certificate>,
    msi_dse: bool,
) -> Result<ToBeSigned, SigningError> {
    let certificate_problem = |e: &dyn std::fmt::Display| SigningError::Certificate(e.to_string());
    let leaf = chain
        .first()
        .ok_or_else(|| certificate_problem(&"no certificate"))?;
    let algorithm = algorithm_of(leaf).map_err(|e| certificate_problem(&e))?;
    let capture = Arc::new(Capture {
        algorithm,
        public: spki_of(leaf),
        message: Mutex::default(),
    });
    let mut credentials = Credentials::with_key(chain.clone(), capture.clone())?;
    credentials.msi_dse = msi_dse;
    msi::sign(package, &credentials).map_err(|e| SigningError::Encoding(e.to_string()))?;
    let bytes = capture
        .message
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or_else(|| SigningError::Encoding("nothing was signed".into()))?;
    let certificate = leaf.to_der().map_err(|e| certificate_problem(&e))?;
    Ok(ToBeSigned {
        digest: hex(&algorithm.digest(&bytes)),
        bytes,
        algorithm,
        signature_algorithm: algorithm.describe(),
        digest_algorithm: algorithm.digest_name(),
        signature_format: match algorithm.is_ecdsa() {
            true => "ECDSA: DER Ecdsa-Sig-Value, or r||s (raw, as JWS and Key Vault give it)",
            false => "RSA PKCS#1 v1.5: the modulus-sized signature block",
        },
        certificate_sha256: hex(&Sha256::digest(certificate)),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A signature made elsewhere over `to_be_signed`'s bytes: checked with the certificate when
/// it is used, so a signature of other bytes is refused, never embedded.
pub struct GivenSignature {
    certificate: Certificate,
    algorithm: SignatureAlgorithm,
    signature: Vec<u8>,
}

impl GivenSignature {
    pub fn new(certificate: &Certificate, signature: Vec<u8>) -> Result<GivenSignature, KeyError> {
        let algorithm = algorithm_of(certificate)?;
        let signature = match algorithm.is_ecdsa() {
            true => ecdsa_to_der(algorithm, signature),
            false => signature,
        };
        Ok(GivenSignature {
            certificate: certificate.clone(),
            algorithm,
            signature,
        })
    }
}

/// ECDSA signatures as r||s (JWS, Azure Key Vault) turned into DER; DER passes unchanged.
fn ecdsa_to_der(algorithm: SignatureAlgorithm, signature: Vec<u8>) -> Vec<u8> {
    let der = match algorithm {
        SignatureAlgorithm::EcdsaP384Sha384 if signature.len() == 96 => {
            p384::ecdsa::Signature::from_slice(&signature)
                .ok()
                .map(|s| s.to_der().as_bytes().to_vec())
        }
        SignatureAlgorithm::EcdsaP256Sha256 if signature.len() == 64 => {
            p256::ecdsa::Signature::from_slice(&signature)
                .ok()
                .map(|s| s.to_der().as_bytes().to_vec())
        }
        _ => None,
    };
    der.unwrap_or(signature)
}

impl SigningKey for GivenSignature {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, SigningError> {
        let oid = self.algorithm.signature_algorithm().oid;
        super::public_key::verify(&self.certificate, &oid, to_be_signed, &self.signature, "it")
            .map_err(|_| {
                SigningError::Key(
                    "the given signature does not verify over this package's signed attributes \
                     with the certificate's key: sign the --digest-out bytes of this same \
                     unsigned package and certificate"
                        .to_string(),
                )
            })?;
        Ok(self.signature.clone())
    }

    fn public_key_der(&self) -> Option<Vec<u8>> {
        spki_of(&self.certificate)
    }
}

/// A program that reads the to-be-signed bytes on stdin and writes the raw signature on
/// stdout, run through `sh -c` (so a command line with quotes works as typed).
pub struct CommandKey {
    command: String,
    algorithm: SignatureAlgorithm,
    /// Every signature the command returns is checked with it: a signer that answers with
    /// anything else fails the package instead of spoiling it.
    certificate: Certificate,
}

impl CommandKey {
    pub fn new(command: &str, certificate: &Certificate) -> Result<CommandKey, KeyError> {
        Ok(CommandKey {
            command: command.to_string(),
            algorithm: algorithm_of(certificate)?,
            certificate: certificate.clone(),
        })
    }
}

/// At most this much of a failing signer's stderr is quoted.
const QUOTED_STDERR: usize = 2000;

impl SigningKey for CommandKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.run(to_be_signed)
    }
}

impl CommandKey {
    /// Runs the command over `to_be_signed` and checks what it answers.
    fn run(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, SigningError> {
        let failed = |e: std::io::Error| format!("signer command `{}`: {e}", self.command);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| SigningError::Key(failed(e)))?;
        // Written from another thread: a signer that writes before it has read all of stdin
        // cannot deadlock against us.
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| SigningError::Key("no stdin".into()))?;
        let input = to_be_signed.to_vec();
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let output = child
            .wait_with_output()
            .map_err(|e| SigningError::Key(failed(e)))?;
        let written = writer
            .join()
            .map_err(|_| SigningError::Key("the signer's stdin writer panicked".into()))?;
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stderr);
            let quoted: String = text.trim().chars().take(QUOTED_STDERR).collect();
            return Err(SigningError::Key(format!(
                "signer command `{}` failed ({}): {quoted}",
                self.command, output.status
            )));
        }
        written.map_err(|e| SigningError::Key(failed(e)))?;
        if output.stdout.is_empty() {
            return Err(SigningError::Key(format!(
                "signer command `{}` wrote no signature",
                self.command
            )));
        }
        let signature = match self.algorithm.is_ecdsa() {
            true => ecdsa_to_der(self.algorithm, output.stdout),
            false => output.stdout,
        };
        let oid = self.algorithm.signature_algorithm().oid;
        super::public_key::verify(&self.certificate, &oid, to_be_signed, &signature, "it")
            .map_err(|_| {
                SigningError::Key({
                    format!(
                        "signer command `{}` returned a signature that does not verify with the \
                     certificate's key",
                        self.command
                    )
                })
            })?;
        Ok(signature)
    }
}

/// Why a signature could not be exported from, or attached to, a package.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("not a compound file: {0}")]
    NotCompoundFile(std::io::Error),
    #[error("the package is not signed")]
    Unsigned,
    /// Writing the package again (or hashing its directory) failed.
    #[error("{0}")]
    Rewrite(std::io::Error),
    #[error(
        "the signature is for another package: its digest does not match this package's \
         content (rebuild it from the same sources and configuration)"
    )]
    OtherPackage,
    #[error("the signature cannot be attached: {0}")]
    Unattachable(SignatureError),
}

/// For the callers that report errors as text.
impl From<AttachError> for String {
    fn from(error: AttachError) -> String {
        error.to_string()
    }
}

/// The PKCS#7 of a signed package (its `\u{5}DigitalSignature` stream). An
/// `\u{5}MsiDigitalSignatureEx` beside it is not saved: `attach_signature` computes it again.
pub fn export_signature(package: &[u8]) -> Result<Vec<u8>, AttachError> {
    let streams = Streams::read(package).map_err(AttachError::NotCompoundFile)?;
    streams
        .get(SIGNATURE_STREAM)
        .map(<[u8]>::to_vec)
        .ok_or(AttachError::Unsigned)
}

/// `package` as it was before it was signed: its signature streams removed, written as
/// `msi::sign` writes it (so a signed package's unsigned twin is the one a build without
/// signing writes).
pub fn without_signature(package: &[u8]) -> Result<Vec<u8>, AttachError> {
    let mut streams = Streams::read(package).map_err(AttachError::NotCompoundFile)?;
    streams.remove(SIGNATURE_STREAM);
    streams.remove(SIGNATURE_EX_STREAM);
    streams.write_v3().map_err(AttachError::Rewrite)
}

/// `package` (unsigned, or signed: the signature is replaced) with `pkcs7` as its signature,
/// written as `msi::sign` writes it, with the `\u{5}MsiDigitalSignatureEx` the signature was
/// made with, if any; refused unless `pkcs7` signs this package's content.
pub fn attach_signature(package: &[u8], pkcs7: &[u8]) -> Result<Vec<u8>, AttachError> {
    let unsigned = without_signature(package)?;
    let prehash = msi::metadata_prehash(&unsigned).map_err(AttachError::Rewrite)?;
    let mut streams = Streams::read(&unsigned).map_err(AttachError::NotCompoundFile)?;
    streams.insert(SIGNATURE_STREAM, pkcs7.to_vec());
    let plain = streams.write_v3().map_err(AttachError::Rewrite)?;
    if signs_content(&plain)? {
        return Ok(plain);
    }
    streams.insert(SIGNATURE_EX_STREAM, prehash);
    let with_ex = streams.write_v3().map_err(AttachError::Rewrite)?;
    if signs_content(&with_ex)? {
        return Ok(with_ex);
    }
    Err(AttachError::OtherPackage)
}

/// Whether the package's signature covers its content and verifies with its own certificate
/// (whom to trust is `verify`'s question, not this one's).
fn signs_content(package: &[u8]) -> Result<bool, AttachError> {
    match msi::verify(package, &super::trust::TrustPolicy::default()) {
        Ok(_)
        | Err(SignatureError::Untrusted(_))
        | Err(SignatureError::NotCodeSigning(_))
        | Err(SignatureError::Expired(_))
        | Err(SignatureError::WrongSigner(_)) => Ok(true),
        Err(SignatureError::DigestMismatch | SignatureError::MetadataMismatch) => Ok(false),
        Err(other) => Err(AttachError::Unattachable(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ecdsa_signatures_become_der_and_der_passes_unchanged() {
        use signature::Signer;
        let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let signature: p256::ecdsa::Signature = key.sign(b"signed attributes");
        let der = signature.to_der().as_bytes().to_vec();
        let raw = signature.to_bytes().to_vec();
        let algorithm = SignatureAlgorithm::EcdsaP256Sha256;
        assert_eq!(ecdsa_to_der(algorithm, raw), der);
        assert_eq!(ecdsa_to_der(algorithm, der.clone()), der);
    }
}
