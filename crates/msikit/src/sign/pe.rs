//! Authenticode signatures of PE files (the DLLs and EXEs a package embeds).

use super::signed_data;
use super::trust::TrustPolicy;
use super::{SignatureCheck, SignatureError, Signer};
use authenticode::{AttributeCertificateIterator, PeTrait};
use object::read::pe::{PeFile32, PeFile64};
use sha2::{Digest, Sha256};

/// Checks the PE image's embedded signature against its own digest and `policy`.
pub fn verify(bytes: &[u8], policy: &TrustPolicy) -> Result<Signer, SignatureError> {
    check(bytes, policy).result
}

/// [`verify`], also naming who signed when only the trust checks failed.
pub fn check(bytes: &[u8], policy: &TrustPolicy) -> SignatureCheck {
    let mut signed_by = None;
    let result = match object::FileKind::parse(bytes) {
        Ok(object::FileKind::Pe32) => PeFile32::parse(bytes)
            .map_err(malformed)
            .and_then(|pe| verify_image(&pe, policy, &mut signed_by)),
        Ok(object::FileKind::Pe64) => PeFile64::parse(bytes)
            .map_err(malformed)
            .and_then(|pe| verify_image(&pe, policy, &mut signed_by)),
        _ => Err(SignatureError::Malformed("not a PE image".into())),
    };
    SignatureCheck { signed_by, result }
}

/// Whether `bytes` is a PE image (32- or 64-bit), signed or not.
pub fn is_pe(bytes: &[u8]) -> bool {
    matches!(
        object::FileKind::parse(bytes),
        Ok(object::FileKind::Pe32 | object::FileKind::Pe64)
    )
}

fn malformed(error: impl std::fmt::Display) -> SignatureError {
    SignatureError::Malformed(error.to_string())
}

fn verify_image(
    pe: &dyn PeTrait,
    policy: &TrustPolicy,
    signed_by: &mut Option<Signer>,
) -> Result<Signer, SignatureError> {
    let signature = first_signature(pe)?;
    signed_data::require_sha256(&signature)?;
    let mut hasher = Sha256::new();
    authenticode::authenticode_digest(pe, &mut hasher).map_err(|_| malformed("PE layout"))?;
    signed_data::verify(&signature, &hasher.finalize(), policy, signed_by)
}

fn first_signature(
    pe: &dyn PeTrait,
) -> Result<authenticode::AuthenticodeSignature, SignatureError> {
    let mut certificates = AttributeCertificateIterator::new(pe)
        .map_err(|e| malformed(format!("{e:?}")))?
        .ok_or(SignatureError::Unsigned)?;
    let first = certificates
        .next()
        .ok_or(SignatureError::Unsigned)?
        .map_err(|e| malformed(format!("{e:?}")))?;
    first
        .get_authenticode_signature()
        .map_err(|e| malformed(format!("{e:?}")))
}

/// The details of the PE image's first embedded signature, verified or not.
pub fn signature_details(bytes: &[u8]) -> Result<super::details::SignatureDetails, SignatureError> {
    let details = |pe: &dyn PeTrait| {
        let signature = first_signature(pe)?;
        super::details::of_signature(&signature)
    };
    match object::FileKind::parse(bytes) {
        Ok(object::FileKind::Pe32) => details(&PeFile32::parse(bytes).map_err(malformed)?),
        Ok(object::FileKind::Pe64) => details(&PeFile64::parse(bytes).map_err(malformed)?),
        _ => Err(SignatureError::Malformed("not a PE image".into())),
    }
}
