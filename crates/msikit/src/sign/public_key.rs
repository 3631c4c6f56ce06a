//! Checking a signature with a certificate's public key, RSA or ECDSA (P-256, P-384).

use super::trust::{rsa_public_key, subject, verify_rsa};
use super::SignatureError;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION,
    SECP_256_R_1, SECP_384_R_1,
};
use der::asn1::ObjectIdentifier;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use x509_cert::Certificate;

/// Verifies `signed` (DER) against `signature` made with `certificate`'s key under `algorithm`
/// (the signature algorithm identifier's OID).
pub fn verify(
    certificate: &Certificate,
    algorithm: &ObjectIdentifier,
    signed: &[u8],
    signature: &[u8],
    what: &str,
) -> Result<(), SignatureError> {
    let key_info = &certificate.tbs_certificate.subject_public_key_info;
    match key_info.algorithm.oid {
        oid if oid == RSA_ENCRYPTION => verify_rsa(
            &rsa_public_key(certificate)?,
            algorithm,
            signed,
            signature,
            what,
        ),
        oid if oid == ID_EC_PUBLIC_KEY => {
            let curve = named_curve(certificate);
            let point = key_info.subject_public_key.raw_bytes();
            let prehash = ecdsa_prehash(algorithm, signed)
                .ok_or_else(|| unsupported(format!("{what} signed with {algorithm}")))?;
            let bad = |e: signature::Error| SignatureError::BadSignature(format!("{what}: {e}"));
            match curve {
                Some(curve) if curve == SECP_256_R_1 => {
                    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?;
                    let signature = p256::ecdsa::Signature::from_der(signature).map_err(bad)?;
                    key.verify_prehash(&prehash, &signature).map_err(bad)
                }
                Some(curve) if curve == SECP_384_R_1 => {
                    let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(bad)?;
                    let signature = p384::ecdsa::Signature::from_der(signature).map_err(bad)?;
                    key.verify_prehash(&prehash, &signature).map_err(bad)
                }
                _ => Err(unsupported(format!(
                    "EC public key of `{}` (only P-256 and P-384 are supported)",
                    subject(certificate)
                ))),
            }
        }
        _ => Err(unsupported(format!(
            "public key of `{}` (only RSA and ECDSA are supported)",
            subject(certificate)
        ))),
    }
}

/// The named curve of `certificate`'s EC key (its algorithm parameters).
pub(super) fn named_curve(certificate: &Certificate) -> Option<ObjectIdentifier> {
    let algorithm = &certificate
        .tbs_certificate
        .subject_public_key_info
        .algorithm;
    algorithm
        .parameters
        .as_ref()?
        .decode_as::<ObjectIdentifier>()
        .ok()
}

fn unsupported(what: String) -> SignatureError {
    SignatureError::UnsupportedAlgorithm(what)
}

/// The digest an ECDSA signature algorithm signs; `None` for any other algorithm (SHA-1
/// among them).
fn ecdsa_prehash(algorithm: &ObjectIdentifier, signed: &[u8]) -> Option<Vec<u8>> {
    match *algorithm {
        a if a == ECDSA_WITH_SHA_256 => Some(Sha256::digest(signed).to_vec()),
        a if a == ECDSA_WITH_SHA_384 => Some(Sha384::digest(signed).to_vec()),
        a if a == ECDSA_WITH_SHA_512 => Some(Sha512::digest(signed).to_vec()),
        _ => None,
    }
}
