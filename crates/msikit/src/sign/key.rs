//! Signing keys behind one trait: whatever holds the private key (a file, a token, a remote
//! service) is given the to-be-signed bytes and returns the raw signature, and names its
//! algorithm. The PKCS#7 around it is built the same way for every key.

use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ID_SHA_256, ID_SHA_384, SHA_256_WITH_RSA_ENCRYPTION,
};
use der::asn1::ObjectIdentifier;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use sha2::{Digest, Sha256, Sha384};
use spki::AlgorithmIdentifierOwned;
use std::sync::Arc;

/// The signature algorithms signatures are made with. RSA keys sign with SHA-256 whatever
/// their size (what signtool and osslsigncode do by default); ECDSA keys with the digest of
/// their curve's strength.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    /// RSA PKCS#1 v1.5 with SHA-256; `bits` is the modulus size.
    RsaSha256 {
        bits: usize,
    },
    EcdsaP256Sha256,
    EcdsaP384Sha384,
}

impl SignatureAlgorithm {
    /// The digest of the signed attributes (and of the content they name).
    pub fn digest_oid(self) -> ObjectIdentifier {
        match self {
            SignatureAlgorithm::RsaSha256 { .. } | SignatureAlgorithm::EcdsaP256Sha256 => {
                ID_SHA_256
            }
            SignatureAlgorithm::EcdsaP384Sha384 => ID_SHA_384,
        }
    }

    pub fn digest_name(self) -> &'static str {
        match self.digest_oid() {
            oid if oid == ID_SHA_384 => "SHA-384",
            _ => "SHA-256",
        }
    }

    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self.digest_oid() {
            oid if oid == ID_SHA_384 => Sha384::digest(data).to_vec(),
            _ => Sha256::digest(data).to_vec(),
        }
    }

    pub fn digest_algorithm(self) -> AlgorithmIdentifierOwned {
        AlgorithmIdentifierOwned {
            oid: self.digest_oid(),
            parameters: None,
        }
    }

    /// The SignerInfo's signature algorithm. RSA's carries an explicit NULL parameter, as the
    /// `rsa` crate (and openssl) write it: earlier signatures are byte-identical.
    pub fn signature_algorithm(self) -> AlgorithmIdentifierOwned {
        let (oid, parameters) = match self {
            SignatureAlgorithm::RsaSha256 { .. } => {
                (SHA_256_WITH_RSA_ENCRYPTION, Some(der::asn1::Null.into()))
            }
            SignatureAlgorithm::EcdsaP256Sha256 => (ECDSA_WITH_SHA_256, None),
            SignatureAlgorithm::EcdsaP384Sha384 => (ECDSA_WITH_SHA_384, None),
        };
        AlgorithmIdentifierOwned { oid, parameters }
    }

    /// A short name for messages and reports: `RSA-3072 SHA-256`, `ECDSA P-256 SHA-256`.
    pub fn describe(self) -> String {
        match self {
            SignatureAlgorithm::RsaSha256 { bits } => format!("RSA-{bits} SHA-256"),
            SignatureAlgorithm::EcdsaP256Sha256 => "ECDSA P-256 SHA-256".into(),
            SignatureAlgorithm::EcdsaP384Sha384 => "ECDSA P-384 SHA-384".into(),
        }
    }

    pub fn is_ecdsa(self) -> bool {
        !matches!(self, SignatureAlgorithm::RsaSha256 { .. })
    }

    /// RSA signatures are as long as the modulus; ECDSA's DER length varies by a few bytes.
    pub fn fixed_signature_len(self) -> Option<usize> {
        match self {
            SignatureAlgorithm::RsaSha256 { bits } => Some(bits.div_ceil(8)),
            _ => None,
        }
    }
}

/// A private key, wherever it lives.
pub trait SigningKey: Send + Sync {
    fn algorithm(&self) -> SignatureAlgorithm;

    /// The raw signature over `to_be_signed` (hashed here with the algorithm's digest): for RSA
    /// the modulus-sized PKCS#1 v1.5 block, for ECDSA the DER `Ecdsa-Sig-Value`.
    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, super::SigningError>;

    /// The public key (DER SubjectPublicKeyInfo) when the key source knows it without
    /// signing; otherwise the certificate is checked against a probe signature.
    fn public_key_der(&self) -> Option<Vec<u8>> {
        None
    }
}

/// The smallest RSA key signed with at all, and the smallest one signed without a warning
/// (CA/Browser Forum code-signing requirements since June 2023).
pub const RSA_MIN_BITS: usize = 2048;
pub const RSA_RECOMMENDED_BITS: usize = 3072;
/// The largest RSA key: the `rsa` crate that verifies signatures stops there.
pub const RSA_MAX_BITS: usize = 4096;

/// Why a key is not taken to sign with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "RSA-{bits} key: too weak to sign with; use at least {min} bits ({recommended} for a \
         publicly trusted certificate)",
        min = RSA_MIN_BITS,
        recommended = RSA_RECOMMENDED_BITS
    )]
    RsaTooWeak { bits: usize },
    #[error(
        "RSA-{bits} key: keys above {max} bits are not supported; use a {recommended}- or \
         {max}-bit key",
        max = RSA_MAX_BITS,
        recommended = RSA_RECOMMENDED_BITS
    )]
    RsaTooLarge { bits: usize },
    #[error("not a PKCS#8 private key")]
    NotPkcs8,
    #[error("an EC key on curve {curve}: only P-256 and P-384 are supported")]
    UnsupportedCurve { curve: String },
    #[error("an RSA key that cannot be read")]
    UnreadableRsa,
    #[error("a {algorithm} key: only RSA and ECDSA (P-256, P-384) keys are supported")]
    UnsupportedAlgorithm { algorithm: String },
    #[error("no private key in the PEM file")]
    NoPemKey,
    #[error("not a readable PEM private key ({0})")]
    UnreadablePem(String),
    #[error("not a readable RSA private key ({0})")]
    UnreadableRsaPem(String),
    #[error("an EC key not on P-256 or P-384 (the curves supported)")]
    UnsupportedSec1Curve,
    #[error(
        "an encrypted private key: give an unencrypted PEM key, or a PKCS#12 bundle with \
         --password-env"
    )]
    EncryptedPem,
    #[error("a `{label}` block is not a supported private key")]
    UnsupportedPemBlock { label: String },
    /// A certificate whose key a detached signature or token would be made with.
    #[error("{0}")]
    UnreadableCertificateKey(String),
    #[error("the certificate's EC key is not on P-256 or P-384")]
    CertificateCurve,
    #[error("the certificate's {algorithm} key is neither RSA nor ECDSA")]
    CertificateAlgorithm { algorithm: String },
}

/// For the callers that still carry errors as text (the `SigningKey` trait's `sign`).
impl From<KeyError> for String {
    fn from(error: KeyError) -> String {
        error.to_string()
    }
}

/// Refuses RSA keys below 2048 or above 4096 bits, naming the size.
pub fn check_rsa_bits(bits: usize) -> Result<(), KeyError> {
    if bits < RSA_MIN_BITS {
        return Err(KeyError::RsaTooWeak { bits });
    }
    if bits > RSA_MAX_BITS {
        return Err(KeyError::RsaTooLarge { bits });
    }
    Ok(())
}

/// An RSA key read from a file: signed by ring (about 4 times faster) when ring takes it.
pub struct RsaKey {
    key: RsaPrivateKey,
    fast_key: Option<ring::rsa::KeyPair>,
}

impl RsaKey {
    /// Refuses keys below 2048 or above 4096 bits, naming the size.
    pub fn new(key: RsaPrivateKey) -> Result<RsaKey, KeyError> {
        check_rsa_bits(key.n().bits())?;
        let fast_key = key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| ring::rsa::KeyPair::from_der(der.as_bytes()).ok());
        Ok(RsaKey { key, fast_key })
    }
}

impl SigningKey for RsaKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RsaSha256 {
            bits: self.key.n().bits(),
        }
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, super::SigningError> {
        // PKCS#1 v1.5 signatures are deterministic: both give the same bytes.
        if let Some(fast_key) = &self.fast_key {
            let mut signature = vec![0; fast_key.public().modulus_len()];
            fast_key
                .sign(
                    &ring::signature::RSA_PKCS1_SHA256,
                    &ring::rand::SystemRandom::new(),
                    to_be_signed,
                    &mut signature,
                )
                .map_err(|_| super::SigningError::Key("RSA signing failed".into()))?;
            return Ok(signature);
        }
        use signature::{SignatureEncoding, Signer};
        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
        signer
            .try_sign(to_be_signed)
            .map(|signature| signature.to_vec())
            .map_err(|e| super::SigningError::Key(format!("RSA signing failed: {e}")))
    }

    fn public_key_der(&self) -> Option<Vec<u8>> {
        use rsa::pkcs8::EncodePublicKey;
        let der = self.key.to_public_key().to_public_key_der().ok()?;
        Some(der.as_bytes().to_vec())
    }
}

/// An ECDSA key read from a file; RFC 6979 signatures, so signing stays deterministic.
pub enum EcdsaKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

impl EcdsaKey {
    /// A PKCS#8 (`PRIVATE KEY`) DER key on P-256 or P-384; `None` for anything else.
    pub fn from_pkcs8_der(der: &[u8]) -> Option<EcdsaKey> {
        use pkcs8::DecodePrivateKey;
        p256::ecdsa::SigningKey::from_pkcs8_der(der)
            .map(EcdsaKey::P256)
            .ok()
            .or_else(|| {
                p384::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map(EcdsaKey::P384)
                    .ok()
            })
    }

    /// A SEC1 (`EC PRIVATE KEY`) PEM key, as `openssl ecparam -genkey` writes it.
    pub fn from_sec1_pem(pem: &str) -> Option<EcdsaKey> {
        use p256::elliptic_curve::SecretKey;
        SecretKey::<p256::NistP256>::from_sec1_pem(pem)
            .map(|key| EcdsaKey::P256(key.into()))
            .ok()
            .or_else(|| {
                SecretKey::<p384::NistP384>::from_sec1_pem(pem)
                    .map(|key| EcdsaKey::P384(key.into()))
                    .ok()
            })
    }
}

impl SigningKey for EcdsaKey {
    fn algorithm(&self) -> SignatureAlgorithm {
        match self {
            EcdsaKey::P256(_) => SignatureAlgorithm::EcdsaP256Sha256,
            EcdsaKey::P384(_) => SignatureAlgorithm::EcdsaP384Sha384,
        }
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, super::SigningError> {
        use signature::Signer;
        let failed =
            |e: signature::Error| super::SigningError::Key(format!("ECDSA signing failed: {e}"));
        match self {
            EcdsaKey::P256(key) => {
                let signature: p256::ecdsa::Signature =
                    key.try_sign(to_be_signed).map_err(failed)?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
            EcdsaKey::P384(key) => {
                let signature: p384::ecdsa::Signature =
                    key.try_sign(to_be_signed).map_err(failed)?;
                Ok(signature.to_der().as_bytes().to_vec())
            }
        }
    }

    fn public_key_der(&self) -> Option<Vec<u8>> {
        use pkcs8::EncodePublicKey;
        let der = match self {
            EcdsaKey::P256(key) => key.verifying_key().to_public_key_der(),
            EcdsaKey::P384(key) => key.verifying_key().to_public_key_der(),
        };
        Some(der.ok()?.as_bytes().to_vec())
    }
}

/// A key from a PKCS#8 DER blob (PEM `PRIVATE KEY`, or the key inside a PKCS#12 bundle): RSA,
/// ECDSA P-256 or ECDSA P-384, or a message naming what it is.
pub fn from_pkcs8_der(der: &[u8]) -> Result<Arc<dyn SigningKey>, KeyError> {
    use pkcs8::DecodePrivateKey;
    if let Ok(key) = RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(Arc::new(RsaKey::new(key)?));
    }
    if let Some(key) = EcdsaKey::from_pkcs8_der(der) {
        return Ok(Arc::new(key));
    }
    Err(unsupported_pkcs8(der))
}

/// Why a PKCS#8 key was not taken: its algorithm (and curve) named.
fn unsupported_pkcs8(der: &[u8]) -> KeyError {
    use der::Decode;
    const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    let Ok(info) = pkcs8::PrivateKeyInfo::from_der(der) else {
        return KeyError::NotPkcs8;
    };
    let algorithm = info.algorithm;
    if algorithm.oid == ID_EC_PUBLIC_KEY {
        let curve = algorithm
            .parameters_oid()
            .map(|oid| oid.to_string())
            .unwrap_or_else(|_| "unnamed".into());
        return KeyError::UnsupportedCurve { curve };
    }
    if algorithm.oid == const_oid::db::rfc5912::RSA_ENCRYPTION {
        return KeyError::UnreadableRsa;
    }
    let algorithm = const_oid::db::DB
        .by_oid(&algorithm.oid)
        .map(str::to_string)
        .unwrap_or_else(|| algorithm.oid.to_string());
    KeyError::UnsupportedAlgorithm { algorithm }
}

/// What the CMS builder signs with: a placeholder of the key's algorithm. The real signature
/// is made afterwards over the signed attributes the builder encoded, so that any key source
/// (and its errors) fits, and detached signing needs no second path.
pub(super) struct Placeholder {
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
}

/// A raw signature, as the builder puts it into the SignerInfo.
pub(super) struct RawSignature(Vec<u8>);

impl spki::SignatureBitStringEncoding for RawSignature {
    fn to_bitstring(&self) -> der::Result<der::asn1::BitString> {
        der::asn1::BitString::from_bytes(&self.0)
    }
}

impl signature::Keypair for Placeholder {
    // The builder never asks for it.
    type VerifyingKey = ();

    fn verifying_key(&self) {}
}

impl spki::DynSignatureAlgorithmIdentifier for Placeholder {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(self.algorithm.signature_algorithm())
    }
}

impl signature::Signer<RawSignature> for Placeholder {
    fn try_sign(&self, _message: &[u8]) -> Result<RawSignature, signature::Error> {
        Ok(RawSignature(self.signature.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_sizes_are_refused_with_their_variant_and_the_same_text_as_before() {
        assert_eq!(check_rsa_bits(2048), Ok(()));
        assert_eq!(check_rsa_bits(4096), Ok(()));
        let weak = check_rsa_bits(1024).unwrap_err();
        assert_eq!(weak, KeyError::RsaTooWeak { bits: 1024 });
        assert_eq!(
            weak.to_string(),
            "RSA-1024 key: too weak to sign with; use at least 2048 bits (3072 for a publicly \
             trusted certificate)"
        );
        let large = check_rsa_bits(8192).unwrap_err();
        assert_eq!(
            large.to_string(),
            "RSA-8192 key: keys above 4096 bits are not supported; use a 3072- or 4096-bit key"
        );
    }

    #[test]
    fn a_blob_that_is_not_pkcs8_is_named() {
        let error = from_pkcs8_der(b"not der").err().expect("refused");
        assert_eq!(error, KeyError::NotPkcs8);
        assert_eq!(String::from(error), "not a PKCS#8 private key");
    }
}
