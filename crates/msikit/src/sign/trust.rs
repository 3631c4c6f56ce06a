//! Whom to trust: certificate chains up to configured anchors, the code-signing usage, the
//! validity period, and an optional expected signer.

// Certificate keys and their signature checks live below, in `public_key`; they are
// re-exported here where callers have always found them.
pub use super::public_key::{rsa_public_key, subject, verify_rsa};
use super::{SignatureError, Signer};
use const_oid::db::rfc5280::ID_KP_CODE_SIGNING;
use const_oid::db::rfc5912::ID_CE_EXT_KEY_USAGE;
use sha2::{Digest, Sha256};
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
        anchor: None,
    }
}

/// `signer`, recording the anchor its chain reached.
fn anchored(signer: Signer, anchor: &Certificate) -> Signer {
    Signer {
        anchor: Some(Box::new(describe(anchor))),
        ..signer
    }
}

fn sha1_digest(bytes: &[u8]) -> Vec<u8> {
    sha1::Sha1::digest(bytes).to_vec()
}

/// Windows' rule: a certificate without an extended-key-usage extension is valid for every
/// purpose; one with the extension must list code signing. An unreadable extension allows none.
pub(crate) fn allows_code_signing(certificate: &Certificate) -> bool {
    let extensions = certificate
        .tbs_certificate
        .extensions
        .as_deref()
        .unwrap_or(&[]);
    let mut usages = extensions
        .iter()
        .filter(|extension| extension.extn_id == ID_CE_EXT_KEY_USAGE)
        .peekable();
    if usages.peek().is_none() {
        return true;
    }
    usages.all(|extension| {
        ExtendedKeyUsage::from_der(extension.extn_value.as_bytes())
            .is_ok_and(|usage| usage.0.contains(&ID_KP_CODE_SIGNING))
    })
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
        if !allows_code_signing(leaf) {
            return Err(SignatureError::NotCodeSigning(signer.subject));
        }
        self.check_expected(&signer)?;
        let mut current = leaf.clone();
        for _ in 0..8 {
            check_validity(&current, now)?;
            if self.anchors.iter().any(|anchor| anchor == &current) {
                return Ok(anchored(signer, &current));
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
                return Ok(anchored(signer, issuer));
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
