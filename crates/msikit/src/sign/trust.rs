//! Whom to trust: certificate chains up to configured anchors, the code-signing usage, the
//! validity period, and an optional expected signer.

use super::{SignatureError, Signer};
use const_oid::db::rfc5280::ID_KP_CODE_SIGNING;
use const_oid::db::rfc5912::{
    ID_CE_EXT_KEY_USAGE, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use sha2::{Digest, Sha256};
use signature::Verifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::Certificate;

/// Certificates a signature must chain to, and optionally the one signer to accept.
#[derive(Debug, Clone, Default)]
pub struct TrustPolicy {
    pub anchors: Vec<Certificate>,
    /// Accept only a signer whose subject contains this text (e.g. `CN=Contoso`).
    pub expected_subject: Option<String>,
    /// Accept only a signer with this SHA-1 or SHA-256 thumbprint (hex, any case).
    pub expected_thumbprint: Option<String>,
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

pub fn describe(certificate: &Certificate) -> Signer {
    let der = certificate.to_der().unwrap_or_default();
    Signer {
        subject: subject(certificate),
        issuer: certificate.tbs_certificate.issuer.to_string(),
        thumbprint: hex(&sha1_digest(&der)),
        sha256: hex(&Sha256::digest(&der)),
    }
}

fn sha1_digest(bytes: &[u8]) -> Vec<u8> {
    sha1::Sha1::digest(bytes).to_vec()
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

fn has_code_signing_usage(certificate: &Certificate) -> bool {
    let extensions = certificate
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or(&[]);
    extensions
        .iter()
        .filter(|extension| extension.extn_id == ID_CE_EXT_KEY_USAGE)
        .filter_map(|extension| ExtendedKeyUsage::from_der(extension.extn_value.as_bytes()).ok())
        .any(|usage| usage.0.contains(&ID_KP_CODE_SIGNING))
}

fn check_validity(
    certificate: &Certificate,
    now: std::time::SystemTime,
) -> Result<(), SignatureError> {
    let validity = &certificate.tbs_certificate.validity;
    let (from, to) = (
        validity.not_before.to_system_time(),
        validity.not_after.to_system_time(),
    );
    if now < from || now > to {
        return Err(SignatureError::Expired(format!(
            "`{}` is valid from {} to {}",
            subject(certificate),
            validity.not_before,
            validity.not_after
        )));
    }
    Ok(())
}

impl TrustPolicy {
    /// Checks the signer certificate `leaf` and builds its chain from `pool` (the
    /// certificates the signature carries) up to an anchor.
    pub fn check(
        &self,
        leaf: &Certificate,
        pool: &[Certificate],
    ) -> Result<Signer, SignatureError> {
        let now = std::time::SystemTime::now();
        let signer = describe(leaf);
        if !has_code_signing_usage(leaf) {
            return Err(SignatureError::NotCodeSigning(signer.subject));
        }
        self.check_expected(&signer)?;
        let mut current = leaf.clone();
        for _ in 0..8 {
            check_validity(&current, now)?;
            if self.anchors.iter().any(|anchor| anchor == &current) {
                return Ok(signer);
            }
            let issuer = self
                .anchors
                .iter()
                .chain(pool)
                .find(|candidate| {
                    candidate.tbs_certificate.subject == current.tbs_certificate.issuer
                        && *candidate != &current
                })
                .ok_or_else(|| {
                    SignatureError::Untrusted(format!(
                        "no trusted issuer `{}` for `{}`",
                        current.tbs_certificate.issuer,
                        subject(&current)
                    ))
                })?;
            let tbs = current
                .tbs_certificate
                .to_der()
                .map_err(|e| SignatureError::Malformed(e.to_string()))?;
            let what = format!("certificate `{}`", subject(&current));
            super::public_key::verify(
                issuer,
                &current.signature_algorithm.oid,
                &tbs,
                current.signature.raw_bytes(),
                &what,
            )
            .map_err(|e| SignatureError::Untrusted(e.to_string()))?;
            if self.anchors.iter().any(|anchor| anchor == issuer) {
                check_validity(issuer, now)?;
                return Ok(signer);
            }
            current = issuer.clone();
        }
        Err(SignatureError::Untrusted(
            "certificate chain too long".into(),
        ))
    }

    fn check_expected(&self, signer: &Signer) -> Result<(), SignatureError> {
        if let Some(expected) = &self.expected_subject {
            if !signer.subject.contains(expected.as_str()) {
                return Err(SignatureError::WrongSigner(format!(
                    "signed by `{}`, expected a subject containing `{expected}`",
                    signer.subject
                )));
            }
        }
        if let Some(expected) = &self.expected_thumbprint {
            let expected = expected.replace([' ', ':'], "").to_ascii_uppercase();
            if expected != signer.thumbprint && expected != signer.sha256 {
                return Err(SignatureError::WrongSigner(format!(
                    "signed by thumbprint {}, expected {expected}",
                    signer.thumbprint
                )));
            }
        }
        Ok(())
    }
}
