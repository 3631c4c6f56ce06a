//! Authenticode's PKCS#7: a SignedData whose content is an `SpcIndirectDataContent` (what is
//! signed: a SIP-specific blob and the digest of the file), built and checked here for MSI
//! and PE alike.

use super::credentials::Credentials;
use super::key::{Placeholder, RawSignature, SignatureAlgorithm, SigningKey};
use super::trust::TrustPolicy;
use super::{SignatureError, Signer};
use authenticode::{
    AuthenticodeSignature, DigestInfo, SpcAttributeTypeAndOptionalValue, SpcIndirectDataContent,
    SPC_INDIRECT_DATA_OBJID,
};
use cms::builder::{SignedDataBuilder, SignerInfoBuilder};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{EncapsulatedContentInfo, SignedData, SignerIdentifier};
use const_oid::db::rfc5911::{ID_MESSAGE_DIGEST, ID_SIGNED_DATA};
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Tag};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use std::ops::Range;
use std::sync::Arc;
use x509_cert::attr::Attribute;
use x509_cert::Certificate;

const SPC_SP_OPUS_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.12");
const SPC_STATEMENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.11");
const SPC_INDIVIDUAL_SP_KEY_PURPOSE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.21");

fn sha256_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    }
}

/// What is signed: `value` (of type `value_type`) and the SHA-256 `digest` of the file.
pub(super) fn indirect_data(
    value_type: ObjectIdentifier,
    value: Any,
    digest: &[u8],
) -> Result<SpcIndirectDataContent, der::Error> {
    Ok(SpcIndirectDataContent {
        data: SpcAttributeTypeAndOptionalValue { value_type, value },
        message_digest: DigestInfo {
            digest_algorithm: sha256_algorithm(),
            digest: OctetString::new(digest)?,
        },
    })
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, der::Error> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}

/// A DER PKCS#7 ContentInfo signing `content` with `credentials` (RSA PKCS#1 v1.5 SHA-256,
/// or ECDSA). No signing time is added, so the same key and content always give the same
/// bytes (ECDSA signatures are RFC 6979 deterministic).
pub(super) fn sign(
    content: &SpcIndirectDataContent,
    credentials: &Credentials,
) -> Result<Vec<u8>, String> {
    let key = credentials.key.as_ref();
    if credentials.timestamp_urls.is_empty() && key.algorithm().fixed_signature_len().is_some() {
        let template = credentials
            .signature_template
            .get_or_init(|| Template::new(&content.data, credentials).map(Arc::new));
        if let Some(template) = template.as_ref().filter(|t| t.data == content.data) {
            return template.sign(content.message_digest.digest.as_bytes(), key);
        }
    }
    build(content, credentials)
}

/// `content` signed through the CMS builder, then timestamped when asked for.
fn build(content: &SpcIndirectDataContent, credentials: &Credentials) -> Result<Vec<u8>, String> {
    let algorithm = credentials.key.algorithm();
    let placeholder = vec![0; algorithm.fixed_signature_len().unwrap_or(0)];
    let mut signed = unsigned(content, credentials, placeholder)?;
    let signature = credentials.key.sign(&to_be_signed(&signed)?)?;
    with_signer(&mut signed, |signer| {
        signer.signature = OctetString::new(signature).map_err(|e| e.to_string())?;
        Ok(())
    })?;
    if !credentials.timestamp_urls.is_empty() {
        add_timestamp(&mut signed, &credentials.timestamp_urls)?;
    }
    encode(&signed)
}

/// The SignedData for `content` with every field but the signature, which is `placeholder`.
fn unsigned(
    content: &SpcIndirectDataContent,
    credentials: &Credentials,
    placeholder: Vec<u8>,
) -> Result<SignedData, String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let algorithm = credentials.key.algorithm();
    let econtent = Any::encode_from(content).map_err(|e| text(&e))?;
    let encapsulated = EncapsulatedContentInfo {
        econtent_type: SPC_INDIRECT_DATA_OBJID,
        econtent: Some(econtent),
    };
    let leaf = credentials.leaf();
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: leaf.tbs_certificate.issuer.clone(),
        serial_number: leaf.tbs_certificate.serial_number.clone(),
    });
    let placeholder = Placeholder {
        algorithm,
        signature: placeholder,
    };
    let mut signer = SignerInfoBuilder::new(
        &placeholder,
        sid,
        algorithm.digest_algorithm(),
        &encapsulated,
        None,
    )
    .map_err(|e| text(&e))?;
    let empty_opus_info = Any::new(Tag::Sequence, Vec::<u8>::new()).map_err(|e| text(&e))?;
    let statement = Any::encode_from(&vec![SPC_INDIVIDUAL_SP_KEY_PURPOSE]).map_err(|e| text(&e))?;
    signer
        .add_signed_attribute(attribute(SPC_SP_OPUS_INFO, empty_opus_info).map_err(|e| text(&e))?)
        .map_err(|e| text(&e))?;
    signer
        .add_signed_attribute(attribute(SPC_STATEMENT_TYPE, statement).map_err(|e| text(&e))?)
        .map_err(|e| text(&e))?;
    let mut builder = SignedDataBuilder::new(&encapsulated);
    builder
        .add_digest_algorithm(algorithm.digest_algorithm())
        .map_err(|e| text(&e))?;
    for certificate in &credentials.chain {
        builder
            .add_certificate(CertificateChoices::Certificate(certificate.clone()))
            .map_err(|e| text(&e))?;
    }
    builder
        .add_signer_info::<_, RawSignature>(signer)
        .map_err(|e| text(&e))?;
    let built = builder.build().map_err(|e| text(&e))?;
    // Authenticode requires SignedData version 1 whatever the content type.
    let mut signed: SignedData = built.content.decode_as().map_err(|e| text(&e))?;
    signed.version = CmsVersion::V1;
    Ok(signed)
}

/// The bytes the signer's key signs: the signed attributes as a DER SET OF (RFC 5652 5.4).
fn to_be_signed(signed: &SignedData) -> Result<Vec<u8>, String> {
    let signer = signed.signer_infos.0.iter().next().ok_or("no signer")?;
    let attributes = signer.signed_attrs.as_ref().ok_or("no signed attributes")?;
    attributes.to_der().map_err(|e| e.to_string())
}

fn encode(signed: &SignedData) -> Result<Vec<u8>, String> {
    let text = |e: der::Error| e.to_string();
    let content = Any::encode_from(signed).map_err(text)?;
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content,
    }
    .to_der()
    .map_err(text)
}

/// One signer's PKCS#7 for one kind of signed blob, with the three fields that differ from
/// file to file located: the file digest, the message digest attribute (over the content)
/// and the RSA signature (over the signed attributes). All three have fixed sizes, so every
/// other byte is the same for every file: signing a package patches them in, instead of
/// building, sorting and encoding the certificates and attributes again (which took a
/// quarter of the time of signing one package beside the RSA operation).
#[derive(Debug)]
pub(crate) struct Template {
    /// The signed blob this template is for.
    data: SpcAttributeTypeAndOptionalValue,
    algorithm: SignatureAlgorithm,
    der: Vec<u8>,
    file_digest: Range<usize>,
    /// The content octets of the SpcIndirectDataContent: what the message digest covers.
    content: Range<usize>,
    message_digest: Range<usize>,
    /// The signed attributes as they sit in the SignerInfo (`[0] IMPLICIT`): signed as a SET.
    signed_attributes: Range<usize>,
    signature: Range<usize>,
}

impl Template {
    /// Built once with placeholders that cannot occur elsewhere by chance; `None` when a
    /// placeholder is not found exactly once, or the key's signatures vary in length (then
    /// every file is signed through the builder).
    fn new(data: &SpcAttributeTypeAndOptionalValue, credentials: &Credentials) -> Option<Template> {
        let algorithm = credentials.key.algorithm();
        let file_digest = Sha256::digest(b"sspr-msi placeholder: file digest");
        let signature: Vec<u8> = Sha256::digest(b"sspr-msi placeholder: signature")
            .iter()
            .copied()
            .cycle()
            .take(algorithm.fixed_signature_len()?)
            .collect();
        let content = SpcIndirectDataContent {
            data: data.clone(),
            message_digest: DigestInfo {
                digest_algorithm: sha256_algorithm(),
                digest: OctetString::new(file_digest.as_slice()).ok()?,
            },
        };
        let der = encode(&unsigned(&content, credentials, signature.clone()).ok()?).ok()?;
        // The content octets of the SpcIndirectDataContent, after its tag and length.
        let content_any = Any::encode_from(&content).ok()?;
        let content_der = content_any.to_der().ok()?;
        let content_end = find_once(&der, &content_der)? + content_der.len();
        let content = content_end - content_any.value().len()..content_end;
        let message_digest = algorithm.digest(&der[content.clone()]);
        let signed_attributes = signed_attributes_in(&der)?;
        Some(Template {
            data: data.clone(),
            algorithm,
            file_digest: range(find_once(&der, &file_digest)?, file_digest.len()),
            content,
            message_digest: range(find_once(&der, &message_digest)?, message_digest.len()),
            signed_attributes: range(
                find_once(&der, &signed_attributes)?,
                signed_attributes.len(),
            ),
            signature: range(find_once(&der, &signature)?, signature.len()),
            der,
        })
    }

    fn sign(&self, file_digest: &[u8], key: &dyn SigningKey) -> Result<Vec<u8>, String> {
        if file_digest.len() != self.file_digest.len() {
            return Err("the file digest is not SHA-256".into());
        }
        let mut der = self.der.clone();
        der[self.file_digest.clone()].copy_from_slice(file_digest);
        let message_digest = self.algorithm.digest(&der[self.content.clone()]);
        der[self.message_digest.clone()].copy_from_slice(&message_digest);
        // Signed as the DER SET OF they are (RFC 5652 5.4), not with the implicit tag.
        let mut signed_attributes = der[self.signed_attributes.clone()].to_vec();
        signed_attributes[0] = 0x31;
        let signature = key.sign(&signed_attributes)?;
        if signature.len() != self.signature.len() {
            return Err(format!(
                "the key returned a {}-byte signature where {} bytes were expected",
                signature.len(),
                self.signature.len()
            ));
        }
        der[self.signature.clone()].copy_from_slice(&signature);
        Ok(der)
    }
}

/// The SignerInfo's signed attributes as `der` holds them (`[0] IMPLICIT`).
fn signed_attributes_in(der: &[u8]) -> Option<Vec<u8>> {
    let info = ContentInfo::from_der(der).ok()?;
    let signed: SignedData = info.content.decode_as().ok()?;
    let mut attributes = to_be_signed(&signed).ok()?;
    attributes[0] = 0xa0;
    Some(attributes)
}

fn range(start: usize, len: usize) -> Range<usize> {
    start..start + len
}

/// Where `needle` starts in `haystack`, if it occurs exactly once.
fn find_once(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let mut found = haystack
        .windows(needle.len())
        .enumerate()
        .filter(|(_, window)| *window == needle)
        .map(|(at, _)| at);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Changes the (only) SignerInfo of `signed`.
fn with_signer(
    signed: &mut SignedData,
    change: impl FnOnce(&mut cms::signed_data::SignerInfo) -> Result<(), String>,
) -> Result<(), String> {
    let mut signer_infos = signed.signer_infos.0.clone().into_vec();
    change(signer_infos.first_mut().ok_or("no signer")?)?;
    signed.signer_infos =
        cms::signed_data::SignerInfos(SetOfVec::try_from(signer_infos).map_err(|e| e.to_string())?);
    Ok(())
}

/// Authenticode's RFC 3161 countersignature attribute (`szOID_RFC3161_counterSign`).
const SPC_RFC3161: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");

/// Adds the first authority's token over the signer's signature as an unsigned attribute.
fn add_timestamp(signed: &mut SignedData, urls: &[String]) -> Result<(), String> {
    with_signer(signed, |signer| {
        let text = |e: der::Error| e.to_string();
        let token = super::timestamp::request_first(urls, signer.signature.as_bytes())?;
        let attribute =
            attribute(SPC_RFC3161, Any::from_der(&token).map_err(text)?).map_err(text)?;
        signer.unsigned_attrs = Some(SetOfVec::try_from(vec![attribute]).map_err(text)?);
        Ok(())
    })
}

/// Parses a DER PKCS#7 Authenticode signature.
pub(super) fn parse(pkcs7: &[u8]) -> Result<AuthenticodeSignature, SignatureError> {
    AuthenticodeSignature::from_bytes(pkcs7).map_err(|e| SignatureError::Malformed(e.to_string()))
}

/// The digest algorithm must be SHA-256 (what sspr-msi and osslsigncode use by default).
pub(super) fn require_sha256(signature: &AuthenticodeSignature) -> Result<(), SignatureError> {
    match signature.digest_algorithm().oid {
        oid if oid == ID_SHA_256 => Ok(()),
        other => Err(SignatureError::UnsupportedAlgorithm(format!(
            "file digest {other} (only SHA-256 is supported)"
        ))),
    }
}

/// Every check of a parsed signature against the file's own digest `actual_digest`.
pub(super) fn verify(
    signature: &AuthenticodeSignature,
    actual_digest: &[u8],
    policy: &TrustPolicy,
) -> Result<Signer, SignatureError> {
    require_sha256(signature)?;
    if signature.digest() != actual_digest {
        return Err(SignatureError::DigestMismatch);
    }
    let signer_info = signature.signer_info();
    let attributes = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| SignatureError::Malformed("no signed attributes".into()))?;
    let content = signature
        .encapsulated_content()
        .ok_or_else(|| SignatureError::Malformed("no signed content".into()))?;
    let message_digest = attributes
        .iter()
        .find(|attribute| attribute.oid == ID_MESSAGE_DIGEST)
        .and_then(|attribute| attribute.values.iter().next())
        .and_then(|value| OctetString::from_der(&value.to_der().ok()?).ok())
        .ok_or_else(|| SignatureError::Malformed("no message digest attribute".into()))?;
    let content_digest = digest_with(&signer_info.digest_alg.oid, content)?;
    if message_digest.as_bytes() != content_digest.as_slice() {
        return Err(SignatureError::BadSignature(
            "the signed attributes do not match the signed content".into(),
        ));
    }
    let certificates: Vec<Certificate> = signature.certificates().cloned().collect();
    let leaf = signer_certificate(signer_info, &certificates)?;
    let signed_attributes = attributes
        .to_der()
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    super::public_key::verify(
        leaf,
        &signer_info.signature_algorithm.oid,
        &signed_attributes,
        signature.signature(),
        "the signer's signature",
    )?;
    policy.check(leaf, &certificates)
}

/// `data`'s digest under the SignerInfo's digest algorithm (SHA-1 refused).
fn digest_with(algorithm: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, SignatureError> {
    use const_oid::db::rfc5912::{ID_SHA_384, ID_SHA_512};
    match *algorithm {
        a if a == ID_SHA_256 => Ok(Sha256::digest(data).to_vec()),
        a if a == ID_SHA_384 => Ok(sha2::Sha384::digest(data).to_vec()),
        a if a == ID_SHA_512 => Ok(sha2::Sha512::digest(data).to_vec()),
        other => Err(SignatureError::UnsupportedAlgorithm(format!(
            "signer digest {other} (SHA-256, SHA-384 or SHA-512)"
        ))),
    }
}

fn signer_certificate<'a>(
    signer_info: &cms::signed_data::SignerInfo,
    certificates: &'a [Certificate],
) -> Result<&'a Certificate, SignatureError> {
    let SignerIdentifier::IssuerAndSerialNumber(id) = &signer_info.sid else {
        return Err(SignatureError::Malformed(
            "signer identified by key identifier".into(),
        ));
    };
    certificates
        .iter()
        .find(|c| {
            c.tbs_certificate.issuer == id.issuer
                && c.tbs_certificate.serial_number == id.serial_number
        })
        .ok_or_else(|| {
            SignatureError::Malformed("the signer's certificate is not in the signature".into())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::credentials::Credentials;

    /// A throwaway RSA-2048 key and self-signed certificate, made by openssl.
    fn credentials() -> (tempfile::TempDir, Credentials) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=template",
            ])
            .args(["-days", "2", "-keyout", "key.pem", "-out", "cert.pem"])
            .current_dir(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl runs (apt-get install openssl)");
        assert!(status.success());
        let credentials =
            Credentials::from_pem_files(&dir.path().join("cert.pem"), &dir.path().join("key.pem"))
                .unwrap();
        (dir, credentials)
    }

    fn content(digest: &[u8]) -> SpcIndirectDataContent {
        let value = Any::new(Tag::Sequence, vec![2, 1, 1]).unwrap();
        indirect_data(
            ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.30"),
            value,
            digest,
        )
        .unwrap()
    }

    #[test]
    fn the_template_gives_the_bytes_the_cms_builder_gives() {
        let (_dir, credentials) = credentials();
        for digest in [
            [0u8; 32],
            [0xff; 32],
            *Sha256::digest(b"a package").as_ref(),
        ] {
            let content = content(&digest);
            let patched = sign(&content, &credentials).unwrap();
            let built = build(&content, &credentials).unwrap();
            assert_eq!(patched, built);
        }
        let template = credentials
            .signature_template
            .get()
            .expect("made at the first signature");
        assert!(
            template.is_some(),
            "every placeholder was found exactly once"
        );
    }

    #[test]
    fn another_signed_blob_is_signed_through_the_builder() {
        let (_dir, credentials) = credentials();
        sign(&content(&[1; 32]), &credentials).unwrap();
        let other = indirect_data(
            ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.15"),
            Any::new(Tag::Sequence, Vec::<u8>::new()).unwrap(),
            &[2; 32],
        )
        .unwrap();
        let built = build(&other, &credentials).unwrap();
        assert_eq!(sign(&other, &credentials).unwrap(), built);
    }

    #[test]
    fn find_once_refuses_a_needle_found_twice() {
        assert_eq!(find_once(b"abcabd", b"abd"), Some(3));
        assert_eq!(find_once(b"abcabc", b"abc"), None);
        assert_eq!(find_once(b"abc", b"x"), None);
    }
}
