//! Authenticode's PKCS#7: a SignedData whose content is an `SpcIndirectDataContent` (what is
//! signed: a SIP-specific blob and the digest of the file), built and checked here for MSI
//! and PE alike.

use super::key::{self, Placeholder, RawSignature, SignatureAlgorithm, SigningKey};
use super::public_key;
use super::trust::TrustPolicy;
use super::{SignatureError, Signer, SigningError};
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
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};
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
) -> Result<Vec<u8>, SigningError> {
    if credentials.timestamp_urls.is_empty() {
        if let Some(signed) = credentials.signature_template.sign(content, credentials)? {
            return Ok(signed);
        }
    }
    build(content, credentials)
}

/// One signer's templates, one per signature length: RSA signatures have one length, ECDSA's
/// DER signatures two or three (70 to 72 bytes for P-256, rarely fewer). Each is made the
/// first time a signature of its length is (`None` inside when it cannot be).
#[derive(Default)]
pub(crate) struct Templates {
    by_length: Mutex<BTreeMap<usize, Option<Arc<Template>>>>,
}

/// The placeholder length of the first ECDSA template, whose signed attributes every
/// signature of the signer signs (they do not depend on the signature's length).
const FIRST_ECDSA_PLACEHOLDER: usize = 72;

impl Templates {
    /// `content` signed by patching a template; `None` when no template fits (another
    /// signed blob than the first one, or placeholders not found once): the builder signs.
    fn sign(
        &self,
        content: &SpcIndirectDataContent,
        credentials: &Credentials,
    ) -> Result<Option<Vec<u8>>, SigningError> {
        let key = credentials.key.as_ref();
        let file_digest = content.message_digest.digest.as_bytes();
        let first_length = key
            .algorithm()
            .fixed_signature_len()
            .unwrap_or(FIRST_ECDSA_PLACEHOLDER);
        let Some(first) = self.get(first_length, content, credentials) else {
            return Ok(None);
        };
        let with_digests = first.with_digests(file_digest)?;
        let signature = key.sign(&first.to_be_signed(&with_digests))?;
        if signature.len() == first_length {
            return first.with_signature(with_digests, &signature).map(Some);
        }
        let Some(template) = self.get(signature.len(), content, credentials) else {
            return Ok(None);
        };
        let with_digests = template.with_digests(file_digest)?;
        template.with_signature(with_digests, &signature).map(Some)
    }

    fn get(
        &self,
        signature_length: usize,
        content: &SpcIndirectDataContent,
        credentials: &Credentials,
    ) -> Option<Arc<Template>> {
        let mut by_length = self.by_length.lock().unwrap_or_else(|e| e.into_inner());
        by_length
            .entry(signature_length)
            .or_insert_with(|| {
                Template::new(&content.data, credentials, signature_length).map(Arc::new)
            })
            .clone()
            .filter(|template| template.data == content.data)
    }

    /// How many templates were made, and how many could be: for the tests.
    #[cfg(test)]
    fn made(&self) -> (usize, usize) {
        let by_length = self.by_length.lock().unwrap();
        (by_length.values().flatten().count(), by_length.len())
    }
}

/// `content` signed through the CMS builder, then timestamped when asked for.
fn build(
    content: &SpcIndirectDataContent,
    credentials: &Credentials,
) -> Result<Vec<u8>, SigningError> {
    let algorithm = credentials.key.algorithm();
    let placeholder = vec![0; algorithm.fixed_signature_len().unwrap_or(0)];
    let mut signed = unsigned(content, credentials, placeholder)?;
    let signature = credentials.key.sign(&to_be_signed(&signed)?)?;
    with_signer(&mut signed, |signer| {
        signer.signature = OctetString::new(signature).map_err(|e| encoding(&e))?;
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
) -> Result<SignedData, SigningError> {
    let text = |e: &dyn std::fmt::Display| SigningError::Encoding(e.to_string());
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
fn to_be_signed(signed: &SignedData) -> Result<Vec<u8>, SigningError> {
    let signer = signed
        .signer_infos
        .0
        .iter()
        .next()
        .ok_or_else(|| encoding("no signer"))?;
    let attributes = signer
        .signed_attrs
        .as_ref()
        .ok_or_else(|| encoding("no signed attributes"))?;
    attributes.to_der().map_err(|e| encoding(&e))
}

fn encode(signed: &SignedData) -> Result<Vec<u8>, SigningError> {
    let text = |e: der::Error| SigningError::Encoding(e.to_string());
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
    /// Built once with placeholders (the signature's `signature_length` bytes long) that
    /// cannot occur elsewhere by chance; `None` when a placeholder is not found exactly once.
    fn new(
        data: &SpcAttributeTypeAndOptionalValue,
        credentials: &Credentials,
        signature_length: usize,
    ) -> Option<Template> {
        let algorithm = credentials.key.algorithm();
        let file_digest = Sha256::digest(b"sspr-msi placeholder: file digest");
        let signature: Vec<u8> = Sha256::digest(b"sspr-msi placeholder: signature")
            .iter()
            .copied()
            .cycle()
            .take(signature_length)
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

    /// The template with the file digest and the message digest over the content patched in.
    fn with_digests(&self, file_digest: &[u8]) -> Result<Vec<u8>, SigningError> {
        if file_digest.len() != self.file_digest.len() {
            return Err(encoding("the file digest is not SHA-256"));
        }
        let mut der = self.der.clone();
        der[self.file_digest.clone()].copy_from_slice(file_digest);
        let message_digest = self.algorithm.digest(&der[self.content.clone()]);
        der[self.message_digest.clone()].copy_from_slice(&message_digest);
        Ok(der)
    }

    /// What the key signs: the signed attributes as the DER SET OF they are (RFC 5652 5.4),
    /// not with the implicit tag they have in place.
    fn to_be_signed(&self, with_digests: &[u8]) -> Vec<u8> {
        let mut signed_attributes = with_digests[self.signed_attributes.clone()].to_vec();
        signed_attributes[0] = 0x31;
        signed_attributes
    }

    fn with_signature(&self, mut der: Vec<u8>, signature: &[u8]) -> Result<Vec<u8>, SigningError> {
        if signature.len() != self.signature.len() {
            return Err(SigningError::Key(format!(
                "the key returned a {}-byte signature where {} bytes were expected",
                signature.len(),
                self.signature.len()
            )));
        }
        der[self.signature.clone()].copy_from_slice(signature);
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
    change: impl FnOnce(&mut cms::signed_data::SignerInfo) -> Result<(), SigningError>,
) -> Result<(), SigningError> {
    let mut signer_infos = signed.signer_infos.0.clone().into_vec();
    change(
        signer_infos
            .first_mut()
            .ok_or_else(|| encoding("no signer"))?,
    )?;
    signed.signer_infos =
        cms::signed_data::SignerInfos(SetOfVec::try_from(signer_infos).map_err(|e| encoding(&e))?);
    Ok(())
}

/// Authenticode's RFC 3161 countersignature attribute (`szOID_RFC3161_counterSign`).
const SPC_RFC3161: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.3.3.1");

/// Adds the first authority's token over the signer's signature as an unsigned attribute.
fn add_timestamp(signed: &mut SignedData, urls: &[String]) -> Result<(), SigningError> {
    with_signer(signed, |signer| {
        let text = |e: der::Error| SigningError::Encoding(e.to_string());
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

/// Every check of a parsed signature against the file's own digest `actual_digest`;
/// `signed_by` learns the signer once its signature verified, before the trust checks.
pub(super) fn verify(
    signature: &AuthenticodeSignature,
    actual_digest: &[u8],
    policy: &TrustPolicy,
    signed_by: &mut Option<Signer>,
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
    *signed_by = Some(super::trust::describe(leaf));
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

pub(super) fn signer_certificate<'a>(
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

// The identity a signature is made with: the chain, the key and the templates cached for it
// (here, beside the PKCS#7 code that fills them; `credentials` loads identities from files).

/// A signing identity: the leaf certificate first, then any intermediates.
#[derive(Clone)]
pub struct Credentials {
    pub chain: Vec<Certificate>,
    pub(crate) key: Arc<dyn SigningKey>,
    /// RFC 3161 time-stamping authorities (http URLs), tried in order, to countersign each
    /// signature.
    pub timestamp_urls: Vec<String>,
    /// Also write `\u{5}MsiDigitalSignatureEx` (the directory metadata's hash, which the
    /// signed digest then begins with), as signtool does by default.
    pub msi_dse: bool,
    /// Made at the first signature of each signature length, for every later one.
    pub(crate) signature_template: Arc<Templates>,
    /// What the caller should pass on to the user (e.g. a key below the recommended size):
    /// the library prints nothing.
    pub warnings: Vec<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// `chain` (leaf first) with the private key of its leaf, wherever the key lives. A
    /// certificate listed twice is kept once; a certificate signed with SHA-1, or a key that
    /// does not belong to the leaf, is refused.
    pub fn with_key(
        chain: Vec<Certificate>,
        key: Arc<dyn SigningKey>,
    ) -> Result<Credentials, SigningError> {
        let chain = without_duplicates(chain);
        let leaf = chain
            .first()
            .ok_or_else(|| SigningError::Certificate("no certificate".into()))?;
        refuse_sha1(&chain)?;
        check_key_matches(leaf, key.as_ref())?;
        if !super::trust::allows_code_signing(leaf) {
            return Err(SigningError::Certificate(format!(
                "`{}` has an extended-key-usage list without code signing, so Windows rejects \
                 what it signs",
                super::trust::subject(leaf)
            )));
        }
        let mut warnings = Vec::new();
        if let SignatureAlgorithm::RsaSha256 { bits } = key.algorithm() {
            if bits < key::RSA_RECOMMENDED_BITS {
                warnings.push(format!(
                    "the signing key is RSA-{bits}: publicly trusted code-signing certificates \
                     need at least {} bits since June 2023",
                    key::RSA_RECOMMENDED_BITS
                ));
            }
        }
        Ok(Credentials {
            chain,
            key,
            timestamp_urls: Vec::new(),
            msi_dse: false,
            signature_template: Arc::default(),
            warnings,
        })
    }

    pub fn leaf(&self) -> &Certificate {
        &self.chain[0]
    }

    pub fn algorithm(&self) -> SignatureAlgorithm {
        self.key.algorithm()
    }
}

/// `chain` in order, each certificate once (a chain file concatenated twice is common).
pub(crate) fn without_duplicates(chain: Vec<Certificate>) -> Vec<Certificate> {
    let mut kept: Vec<Certificate> = Vec::with_capacity(chain.len());
    for certificate in chain {
        if !kept.contains(&certificate) {
            kept.push(certificate);
        }
    }
    kept
}

/// Windows stopped trusting SHA-1 code-signing certificates; a self-signed root's own
/// signature is never checked, so it may be SHA-1.
pub(crate) fn refuse_sha1(chain: &[Certificate]) -> Result<(), SigningError> {
    use const_oid::db::rfc5912::{ECDSA_WITH_SHA_224, SHA_1_WITH_RSA_ENCRYPTION};
    const ECDSA_WITH_SHA_1: der::asn1::ObjectIdentifier =
        der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
    for certificate in chain {
        let tbs = &certificate.tbs_certificate;
        let oid = certificate.signature_algorithm.oid;
        let self_signed = tbs.subject == tbs.issuer;
        if !self_signed
            && [
                SHA_1_WITH_RSA_ENCRYPTION,
                ECDSA_WITH_SHA_1,
                ECDSA_WITH_SHA_224,
            ]
            .contains(&oid)
        {
            return Err(SigningError::Certificate(format!(
                "certificate `{}` is signed with SHA-1 (or SHA-224), which Windows no longer \
                 trusts for code signing",
                tbs.subject
            )));
        }
    }
    Ok(())
}

/// The key must belong to the leaf: compared by public key when the key source tells it,
/// otherwise by a probe signature checked with the certificate.
fn check_key_matches(leaf: &Certificate, key: &dyn SigningKey) -> Result<(), SigningError> {
    let mismatch = || {
        SigningError::Certificate("the private key does not belong to the first certificate".into())
    };
    let certificate_key = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| SigningError::Certificate(e.to_string()))?;
    if let Some(public) = key.public_key_der() {
        return (public == certificate_key)
            .then_some(())
            .ok_or_else(mismatch);
    }
    let probe = b"sspr-msi: does this key belong to the certificate?";
    let signature = key.sign(probe)?;
    let algorithm = key.algorithm().signature_algorithm().oid;
    public_key::verify(leaf, &algorithm, probe, &signature, "probe").map_err(|_| mismatch())
}

/// A PKCS#7 structure that could not be built.
fn encoding(what: &(impl std::fmt::Display + ?Sized)) -> SigningError {
    SigningError::Encoding(what.to_string())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sign::credentials::Credentials;

    /// A throwaway RSA-2048 key and self-signed certificate, made by openssl.
    pub(crate) fn credentials() -> (tempfile::TempDir, Credentials) {
        credentials_with(&["-newkey", "rsa:2048"])
    }

    /// A throwaway key (`openssl req` options `new_key`) and self-signed certificate.
    fn credentials_with(new_key: &[&str]) -> (tempfile::TempDir, Credentials) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("openssl")
            .args(["req", "-x509"])
            .args(new_key)
            .args(["-nodes", "-subj", "/CN=template"])
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
    #[cfg_attr(msikit_no_openssl, ignore = "needs openssl")]
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
        assert_eq!(
            credentials.signature_template.made(),
            (1, 1),
            "one template, every placeholder found exactly once"
        );
    }

    #[test]
    #[cfg_attr(msikit_no_openssl, ignore = "needs openssl")]
    fn ecdsa_templates_give_the_bytes_the_cms_builder_gives_whatever_the_signature_length() {
        for curve in ["P-256", "P-384"] {
            let option = format!("ec_paramgen_curve:{curve}");
            let (_dir, credentials) = credentials_with(&["-newkey", "ec", "-pkeyopt", &option]);
            // Enough digests that signatures of more than one DER length occur.
            for index in 0u8..24 {
                let content = content(&Sha256::digest([index]));
                assert_eq!(
                    sign(&content, &credentials).unwrap(),
                    build(&content, &credentials).unwrap(),
                    "{curve}, digest {index}"
                );
            }
            let (made, tried) = credentials.signature_template.made();
            assert_eq!(
                made, tried,
                "{curve}: every template's placeholders found once"
            );
            assert!(made >= 2, "{curve}: {made} templates");
        }
    }

    #[test]
    #[cfg_attr(msikit_no_openssl, ignore = "needs openssl")]
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
