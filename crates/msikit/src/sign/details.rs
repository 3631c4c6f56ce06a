//! What a signature says about itself, whether or not it verifies: the signer, the
//! certificates it carries and the time an RFC 3161 authority countersigned it. `inspect`
//! shows these beside the verdict of [`super::msi::verify`] / [`super::pe::verify`].

use super::signed_data;
use super::{SignatureError, Signer};
use authenticode::AuthenticodeSignature;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use serde::Serialize;

/// Authenticode's RFC 3161 countersignature attribute (`szOID_RFC3161_counterSign`).
const SPC_RFC3161: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");

/// The parts of a signature a reviewer asks about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureDetails {
    /// The certificate the SignerInfo names.
    pub signer: Signer,
    /// Every certificate the signature carries, in its order.
    pub certificates: Vec<Signer>,
    /// The file digest's algorithm (OID).
    pub digest_algorithm: String,
    /// The time-stamping authority's time (RFC 3161 `genTime`), when countersigned.
    pub timestamp: Option<String>,
}

/// The details of a DER PKCS#7 Authenticode signature (an MSI's `\005DigitalSignature`).
pub fn of_pkcs7(pkcs7: &[u8]) -> Result<SignatureDetails, SignatureError> {
    of_signature(&signed_data::parse(pkcs7)?)
}

pub(super) fn of_signature(
    signature: &AuthenticodeSignature,
) -> Result<SignatureDetails, SignatureError> {
    let certificates: Vec<x509_cert::Certificate> = signature.certificates().cloned().collect();
    let leaf = signed_data::signer_certificate(signature.signer_info(), &certificates)?;
    Ok(SignatureDetails {
        signer: super::trust::describe(leaf),
        certificates: certificates.iter().map(super::trust::describe).collect(),
        digest_algorithm: signature.digest_algorithm().oid.to_string(),
        timestamp: timestamp(signature),
    })
}

/// The `genTime` of the first RFC 3161 token among the signer's unsigned attributes.
fn timestamp(signature: &AuthenticodeSignature) -> Option<String> {
    let attributes = signature.signer_info().unsigned_attrs.as_ref()?;
    let token = attributes
        .iter()
        .find(|attribute| attribute.oid == SPC_RFC3161)?
        .values
        .iter()
        .next()?;
    let content = ContentInfo::from_der(&token.to_der().ok()?).ok()?;
    let signed = SignedData::from_der(&content.content.to_der().ok()?).ok()?;
    let econtent = signed.encap_content_info.econtent?;
    let info = OctetString::from_der(&econtent.to_der().ok()?).ok()?;
    let tst = x509_tsp::TstInfo::from_der(info.as_bytes()).ok()?;
    Some(tst.gen_time.to_date_time().to_string())
}
