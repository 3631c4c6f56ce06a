//! Checking a signature with a certificate's public key, RSA or ECDSA (P-256, P-384).

use super::SignatureError;
use const_oid::db::rfc5912::{
    ECDSA_WITH_SHA_256, ECDSA_WITH_SHA_384, ECDSA_WITH_SHA_512, ID_EC_PUBLIC_KEY, RSA_ENCRYPTION,
    SECP_256_R_1, SECP_384_R_1, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use der::asn1::ObjectIdentifier;
use der::Encode;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use signature::Verifier;
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

pub fn rsa_public_key(certificate: &Certificate) -> Result<RsaPublicKey, SignatureError> {
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    RsaPublicKey::from_public_key_der(&spki).map_err(|_| {
        SignatureError::UnsupportedAlgorithm(format!(
            "RSA public key of `{}` cannot be read (up to 4096 bits are supported)",
            subject(certificate)
        ))
    })
}

pub fn subject(certificate: &Certificate) -> String {
    certificate.tbs_certificate.subject.to_string()
}

/// Verifies `signed` (DER) with `issuer`'s key: RSA PKCS#1 v1.5 over SHA-256/384/512.
pub fn verify_rsa(
    issuer: &RsaPublicKey,
    algorithm: &spki::ObjectIdentifier,
    signed: &[u8],
    signature: &[u8],
    what: &str,
) -> Result<(), SignatureError> {
    let bad = |e: signature::Error| SignatureError::BadSignature(format!("{what}: {e}"));
    let signature = rsa::pkcs1v15::Signature::try_from(signature).map_err(bad)?;
    match *algorithm {
        a if a == SHA_256_WITH_RSA_ENCRYPTION || a == const_oid::db::rfc5912::RSA_ENCRYPTION => {
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(issuer.clone())
                .verify(signed, &signature)
                .map_err(bad)
        }
        a if a == SHA_384_WITH_RSA_ENCRYPTION => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(issuer.clone())
                .verify(signed, &signature)
                .map_err(bad)
        }
        a if a == SHA_512_WITH_RSA_ENCRYPTION => {
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(issuer.clone())
                .verify(signed, &signature)
                .map_err(bad)
        }
        other => Err(SignatureError::UnsupportedAlgorithm(format!(
            "{what} signed with {other}"
        ))),
    }
}
