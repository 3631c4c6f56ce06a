//! Keys on PKCS#11 tokens and HSMs (SoftHSM, YubiKey, SafeNet, cloud HSMs' PKCS#11 modules),
//! named by RFC 7512 URIs. The private key never leaves the token: it is given the
//! to-be-signed bytes (or their digest) and returns the signature.

use super::certificates::{load_certificates, CredentialsError};
use super::key::{self, SignatureAlgorithm, SigningKey};
use super::signed_data::Credentials;
use super::SigningError;
use const_oid::db::rfc5912::{SECP_256_R_1, SECP_384_R_1};
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::asn1::ObjectIdentifier;
use der::Decode;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use x509_cert::Certificate;

/// What an RFC 7512 `pkcs11:` URI names (the attributes sspr-msi uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    pub token: Option<String>,
    pub serial: Option<String>,
    pub object: Option<String>,
    pub id: Option<Vec<u8>>,
    pub module_path: Option<PathBuf>,
    /// `pin-value`: accepted, never shown (see `Display`).
    pub pin_value: Option<String>,
}

/// Whether `text` is a PKCS#11 URI rather than a file name.
pub fn is_uri(text: &str) -> bool {
    text.starts_with("pkcs11:")
}

impl Pkcs11Uri {
    /// Parses `pkcs11:token=…;object=…;id=%01?module-path=…&pin-value=…`.
    pub fn parse(text: &str) -> Result<Pkcs11Uri, Pkcs11Error> {
        let rest = text
            .strip_prefix("pkcs11:")
            .ok_or_else(|| Pkcs11Error::Uri("a PKCS#11 URI begins with `pkcs11:`".into()))?;
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Pkcs11Uri::default();
        for (name, value) in attributes(path, ';')? {
            match name.as_str() {
                "token" => uri.token = Some(text_value(&name, value)?),
                "serial" => uri.serial = Some(text_value(&name, value)?),
                "object" => uri.object = Some(text_value(&name, value)?),
                "id" => uri.id = Some(value),
                // Narrow the search no further than the token does; accepted for URIs that
                // other tools print.
                "type"
                | "manufacturer"
                | "model"
                | "library-description"
                | "library-manufacturer"
                | "library-version"
                | "slot-description"
                | "slot-id"
                | "slot-manufacturer" => {}
                other => {
                    return Err(Pkcs11Error::Uri(format!(
                        "unknown PKCS#11 URI attribute `{other}`"
                    )))
                }
            }
        }
        for (name, value) in attributes(query, '&')? {
            match name.as_str() {
                "module-path" => uri.module_path = Some(text_value(&name, value)?.into()),
                "pin-value" => uri.pin_value = Some(text_value(&name, value)?),
                "module-name" | "pin-source" => {
                    return Err(Pkcs11Error::Uri(format!(
                        "the PKCS#11 URI query `{name}` is not supported"
                    )))
                }
                other => {
                    return Err(Pkcs11Error::Uri(format!(
                        "unknown PKCS#11 URI query `{other}`"
                    )))
                }
            }
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err(Pkcs11Error::Uri(
                "the PKCS#11 URI names no key: give `object=` or `id=`".into(),
            ));
        }
        Ok(uri)
    }
}

/// The URI without its query, so that a `pin-value` is never shown in a message.
impl std::fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        let fields = [
            ("token", &self.token),
            ("serial", &self.serial),
            ("object", &self.object),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                parts.push(format!("{name}={value}"));
            }
        }
        if let Some(id) = &self.id {
            parts.push(format!(
                "id={}",
                id.iter().map(|b| format!("%{b:02x}")).collect::<String>()
            ));
        }
        write!(f, "pkcs11:{}", parts.join(";"))
    }
}

/// `name=value` pairs split by `separator`, percent-decoded.
fn attributes(text: &str, separator: char) -> Result<Vec<(String, Vec<u8>)>, Pkcs11Error> {
    text.split(separator)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').ok_or_else(|| {
                Pkcs11Error::Uri(format!("`{part}` in the PKCS#11 URI is not name=value"))
            })?;
            Ok((name.to_ascii_lowercase(), percent_decode(value)?))
        })
        .collect()
}

fn percent_decode(text: &str) -> Result<Vec<u8>, Pkcs11Error> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            let hex = text
                .get(at + 1..at + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    Pkcs11Error::Uri(
                        "a `%` in the PKCS#11 URI is not followed by two hex digits".into(),
                    )
                })?;
            decoded.push(hex);
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    Ok(decoded)
}

fn text_value(name: &str, value: Vec<u8>) -> Result<String, Pkcs11Error> {
    String::from_utf8(value)
        .map_err(|_| Pkcs11Error::Uri(format!("the PKCS#11 URI's `{name}` is not UTF-8")))
}

/// A private key on a token, with a logged-in session to it.
pub struct Pkcs11Key {
    // Declared before `_module`: the session closes before the module is finalized.
    session: Mutex<Session>,
    key: ObjectHandle,
    algorithm: SignatureAlgorithm,
    mechanism: TokenMechanism,
    _module: Pkcs11,
}

/// How the token is asked to sign: hashing itself, or given our digest.
#[derive(Debug, Clone, Copy)]
enum TokenMechanism {
    Sha256RsaPkcs,
    /// CKM_RSA_PKCS over a DigestInfo we build (tokens without the hashing mechanism).
    RsaPkcsOverDigestInfo,
    /// CKM_ECDSA over our digest: the one ECDSA mechanism every token offers.
    EcdsaOverDigest,
}

/// Why a PKCS#11 URI or token gave no key or no signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Pkcs11Error {
    /// The URI breaks RFC 7512 or names no key.
    #[error("{0}")]
    Uri(String),
    /// The module, token, key, mechanism or stored certificate failed or is missing.
    #[error("{0}")]
    Token(String),
}

/// Opens the key `uri` names with `module` (the URI's own `module-path` when `None`),
/// logging in with `pin`. Returns it with the certificate stored beside it on the token, if
/// any (same `id`, else same label).
pub fn open(
    uri: &Pkcs11Uri,
    module: Option<&Path>,
    pin: Option<&str>,
) -> Result<(Pkcs11Key, Option<Certificate>), Pkcs11Error> {
    let module = module.or(uri.module_path.as_deref()).ok_or_else(|| {
        Pkcs11Error::Token(
            "a PKCS#11 key needs its module: give --pkcs11-module LIB (or module-path= in the URI)"
                .into(),
        )
    })?;
    let context = Pkcs11::new(module).map_err(|e| {
        Pkcs11Error::Token(format!(
            "cannot load the PKCS#11 module {}: {e}",
            module.display()
        ))
    })?;
    context
        .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
        .map_err(|e| {
            Pkcs11Error::Token({
                format!(
                    "the PKCS#11 module {} does not start: {}",
                    module.display(),
                    short(&e)
                )
            })
        })?;
    let slot = find_token(&context, uri)?;
    let session = context.open_ro_session(slot).map_err(|e| {
        Pkcs11Error::Token(format!("cannot open a session on the token: {}", short(&e)))
    })?;
    let pin = pin.map(str::to_string).or_else(|| uri.pin_value.clone());
    match pin {
        Some(pin) => session
            .login(UserType::User, Some(&AuthPin::from(pin)))
            .or_else(already_logged_in)
            .map_err(|e| Pkcs11Error::Token(login_error(e)))?,
        None => {
            let needs_login = context
                .get_token_info(slot)
                .map(|info| info.login_required())
                .unwrap_or(true);
            if needs_login {
                return Err(Pkcs11Error::Token(
                    "the token needs a PIN: give --pin-env VAR (the variable holding it)".into(),
                ));
            }
        }
    }
    let key = find_one(&session, ObjectClass::PRIVATE_KEY, uri)?;
    let algorithm = key_algorithm(&session, key)?;
    let mechanisms = context.get_mechanism_list(slot).map_err(|e| {
        Pkcs11Error::Token(format!("cannot list the token's mechanisms: {}", short(&e)))
    })?;
    let mechanism = choose_mechanism(algorithm, &mechanisms)?;
    let certificate = stored_certificate(&session, key, uri)?;
    let key = Pkcs11Key {
        session: Mutex::new(session),
        key,
        algorithm,
        mechanism,
        _module: context,
    };
    Ok((key, certificate))
}

fn already_logged_in(error: CkError) -> Result<(), CkError> {
    match error {
        CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _) => Ok(()),
        other => Err(other),
    }
}

fn login_error(error: CkError) -> String {
    match error {
        CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange, _) => {
            "wrong PIN for the token".into()
        }
        CkError::Pkcs11(RvError::PinLocked, _) => "the token's PIN is locked".into(),
        CkError::Pkcs11(RvError::PinExpired, _) => "the token's PIN has expired".into(),
        other => format!("cannot log in to the token: {}", short(&other)),
    }
}

/// A PKCS#11 error in a few words: the return value's name, not the standard's paragraph.
fn short(error: &CkError) -> String {
    match error {
        CkError::Pkcs11(rv, function) => format!("{function} returned {rv:?}"),
        other => other.to_string(),
    }
}

/// The slot whose token the URI names (by label and serial), or the only token there is.
fn find_token(context: &Pkcs11, uri: &Pkcs11Uri) -> Result<cryptoki::slot::Slot, Pkcs11Error> {
    let slots = context
        .get_slots_with_token()
        .map_err(|e| Pkcs11Error::Token(format!("cannot list the PKCS#11 slots: {}", short(&e))))?;
    let mut tokens = BTreeMap::new();
    let mut found = Vec::new();
    for slot in slots {
        // SoftHSM (and some HSMs) always offer one more, uninitialized token.
        let Ok(info) = context.get_token_info(slot) else {
            continue;
        };
        if !info.token_initialized() {
            continue;
        }
        let (label, serial) = (
            info.label().trim().to_string(),
            info.serial_number().trim().to_string(),
        );
        let label_fits = uri.token.as_ref().is_none_or(|token| *token == label);
        let serial_fits = uri.serial.as_ref().is_none_or(|wanted| *wanted == serial);
        if label_fits && serial_fits {
            found.push(slot);
        }
        tokens.insert(label, serial);
    }
    let present = || {
        let names: Vec<String> = tokens.keys().map(|label| format!("`{label}`")).collect();
        match names.is_empty() {
            true => "no token is present".to_string(),
            false => format!("tokens present: {}", names.join(", ")),
        }
    };
    match found.as_slice() {
        [slot] => Ok(*slot),
        [] => Err(Pkcs11Error::Token(format!(
            "no token {} ({})",
            uri.token
                .as_deref()
                .map(|t| format!("labelled `{t}`"))
                .unwrap_or_else(|| "with that serial".into()),
            present()
        ))),
        _ => Err(Pkcs11Error::Token(format!(
            "{} tokens fit the URI: add token= or serial= ({})",
            found.len(),
            present()
        ))),
    }
}

/// The one object of `class` the URI names.
fn find_one(
    session: &Session,
    class: ObjectClass,
    uri: &Pkcs11Uri,
) -> Result<ObjectHandle, Pkcs11Error> {
    let mut template = vec![Attribute::Class(class)];
    if let Some(object) = &uri.object {
        template.push(Attribute::Label(object.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        template.push(Attribute::Id(id.clone()));
    }
    let found = session
        .find_objects(&template)
        .map_err(|e| Pkcs11Error::Token(format!("cannot search the token: {}", short(&e))))?;
    match found.as_slice() {
        [key] => Ok(*key),
        [] => Err(Pkcs11Error::Token(format!(
            "no private key {uri} on the token"
        ))),
        _ => Err(Pkcs11Error::Token(format!(
            "{} private keys fit {uri}: add id= to the URI",
            found.len()
        ))),
    }
}

fn attribute(
    session: &Session,
    object: ObjectHandle,
    kind: AttributeType,
) -> Result<Attribute, Pkcs11Error> {
    session
        .get_attributes(object, &[kind])
        .map_err(|e| Pkcs11Error::Token(format!("cannot read the key's {kind:?}: {}", short(&e))))?
        .into_iter()
        .next()
        .ok_or_else(|| Pkcs11Error::Token(format!("the token does not tell the key's {kind:?}")))
}

/// RSA (its size checked as for key files), or ECDSA on P-256 or P-384.
fn key_algorithm(session: &Session, key: ObjectHandle) -> Result<SignatureAlgorithm, Pkcs11Error> {
    let Attribute::KeyType(key_type) = attribute(session, key, AttributeType::KeyType)? else {
        return Err(Pkcs11Error::Token("the token gave no key type".into()));
    };
    if key_type == KeyType::RSA {
        let Attribute::Modulus(modulus) = attribute(session, key, AttributeType::Modulus)? else {
            return Err(Pkcs11Error::Token("the token gave no RSA modulus".into()));
        };
        let leading = modulus.iter().take_while(|b| **b == 0).count();
        let significant = &modulus[leading..];
        let bits = significant.len() * 8
            - significant
                .first()
                .map_or(8, |b| b.leading_zeros() as usize);
        key::check_rsa_bits(bits).map_err(|e| Pkcs11Error::Token(e.to_string()))?;
        return Ok(SignatureAlgorithm::RsaSha256 { bits });
    }
    if key_type == KeyType::EC {
        let Attribute::EcParams(params) = attribute(session, key, AttributeType::EcParams)? else {
            return Err(Pkcs11Error::Token("the token gave no EC parameters".into()));
        };
        return match ObjectIdentifier::from_der(&params) {
            Ok(curve) if curve == SECP_256_R_1 => Ok(SignatureAlgorithm::EcdsaP256Sha256),
            Ok(curve) if curve == SECP_384_R_1 => Ok(SignatureAlgorithm::EcdsaP384Sha384),
            Ok(curve) => Err(Pkcs11Error::Token(format!(
                "an EC key on curve {curve}: only P-256 and P-384 are supported"
            ))),
            Err(_) => Err(Pkcs11Error::Token(
                "an EC key on an unnamed curve: only P-256 and P-384 are supported".into(),
            )),
        };
    }
    Err(Pkcs11Error::Token(format!(
        "a {key_type} key: only RSA and ECDSA keys are supported"
    )))
}

fn choose_mechanism(
    algorithm: SignatureAlgorithm,
    offered: &[MechanismType],
) -> Result<TokenMechanism, Pkcs11Error> {
    let has = |mechanism: MechanismType| offered.contains(&mechanism);
    if algorithm.is_ecdsa() {
        return has(MechanismType::ECDSA)
            .then_some(TokenMechanism::EcdsaOverDigest)
            .ok_or_else(|| Pkcs11Error::Token("the token lacks the CKM_ECDSA mechanism".into()));
    }
    if has(MechanismType::SHA256_RSA_PKCS) {
        Ok(TokenMechanism::Sha256RsaPkcs)
    } else if has(MechanismType::RSA_PKCS) {
        Ok(TokenMechanism::RsaPkcsOverDigestInfo)
    } else {
        Err(Pkcs11Error::Token(
            "the token lacks the CKM_SHA256_RSA_PKCS and CKM_RSA_PKCS mechanisms".into(),
        ))
    }
}

/// The certificate stored with the key: same CKA_ID (what pkcs11-tool and p11-kit pair), else
/// the URI's label.
fn stored_certificate(
    session: &Session,
    key: ObjectHandle,
    uri: &Pkcs11Uri,
) -> Result<Option<Certificate>, Pkcs11Error> {
    let id = match attribute(session, key, AttributeType::Id) {
        Ok(Attribute::Id(id)) if !id.is_empty() => Some(id),
        _ => uri.id.clone(),
    };
    let mut template = vec![Attribute::Class(ObjectClass::CERTIFICATE)];
    match (id, &uri.object) {
        (Some(id), _) => template.push(Attribute::Id(id)),
        (None, Some(label)) => template.push(Attribute::Label(label.as_bytes().to_vec())),
        (None, None) => return Ok(None),
    }
    let found = session
        .find_objects(&template)
        .map_err(|e| Pkcs11Error::Token(format!("cannot search the token: {}", short(&e))))?;
    let Some(certificate) = found.first() else {
        return Ok(None);
    };
    let Attribute::Value(der) = attribute(session, *certificate, AttributeType::Value)? else {
        return Ok(None);
    };
    Certificate::from_der(&der).map(Some).map_err(|e| {
        Pkcs11Error::Token(format!("the certificate on the token cannot be read: {e}"))
    })
}

/// Credentials whose key is on a token: the chain from `certificate` (PEM, leaf first), or
/// the certificate stored beside the key when `None`.
pub fn credentials(
    uri: &str,
    certificate: Option<&Path>,
    module: Option<&Path>,
    pin: Option<&str>,
) -> Result<Credentials, CredentialsError> {
    let parsed = Pkcs11Uri::parse(uri).map_err(|message| CredentialsError {
        // The URI as given may hold a pin-value: only its start is shown.
        path: "--key pkcs11:…".into(),
        message: message.to_string(),
    })?;
    let failed = |message: String| CredentialsError {
        path: parsed.to_string(),
        message,
    };
    let (key, stored) = open(&parsed, module, pin).map_err(|e| failed(e.to_string()))?;
    let chain = match (certificate, stored) {
        (Some(path), _) => load_certificates(path)?,
        (None, Some(stored)) => vec![stored],
        (None, None) => {
            return Err(failed(
                "no certificate beside the key on the token: give --cert".into(),
            ))
        }
    };
    let path = certificate.map_or_else(|| parsed.to_string(), |p| p.display().to_string());
    Credentials::with_key(chain, Arc::new(key)).map_err(|message| CredentialsError {
        path,
        message: message.to_string(),
    })
}

/// SHA-256's DigestInfo header (RFC 8017 9.2 note 1), for CKM_RSA_PKCS.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

impl SigningKey for Pkcs11Key {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.algorithm
    }

    fn sign(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, SigningError> {
        self.sign_on_token(to_be_signed)
            .map_err(|e| SigningError::Key(e.to_string()))
    }
}

impl Pkcs11Key {
    fn sign_on_token(&self, to_be_signed: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
        let (mechanism, data) = match self.mechanism {
            TokenMechanism::Sha256RsaPkcs => (Mechanism::Sha256RsaPkcs, to_be_signed.to_vec()),
            TokenMechanism::RsaPkcsOverDigestInfo => {
                let digest = self.algorithm.digest(to_be_signed);
                (
                    Mechanism::RsaPkcs,
                    [&SHA256_DIGEST_INFO[..], &digest].concat(),
                )
            }
            TokenMechanism::EcdsaOverDigest => {
                (Mechanism::Ecdsa, self.algorithm.digest(to_be_signed))
            }
        };
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let signature = session
            .sign(&mechanism, self.key, &data)
            .map_err(|e| Pkcs11Error::Token(format!("the token did not sign: {}", short(&e))))?;
        match self.mechanism {
            // PKCS#11 gives r and s side by side; CMS wants the DER Ecdsa-Sig-Value.
            TokenMechanism::EcdsaOverDigest => ecdsa_der(self.algorithm, &signature),
            _ => Ok(signature),
        }
    }
}

fn ecdsa_der(algorithm: SignatureAlgorithm, raw: &[u8]) -> Result<Vec<u8>, Pkcs11Error> {
    let bad = |e: signature::Error| format!("the token's ECDSA signature is malformed: {e}");
    match algorithm {
        SignatureAlgorithm::EcdsaP384Sha384 => Ok(p384::ecdsa::Signature::from_slice(raw)
            .map_err(|e| Pkcs11Error::Token(bad(e)))?
            .to_der()
            .as_bytes()
            .to_vec()),
        _ => Ok(p256::ecdsa::Signature::from_slice(raw)
            .map_err(|e| Pkcs11Error::Token(bad(e)))?
            .to_der()
            .as_bytes()
            .to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_parsed_and_shown_without_their_pin() {
        let uri = Pkcs11Uri::parse(
            "pkcs11:token=My%20Token;object=signer;id=%01%a2;type=private?module-path=/lib/x.so&pin-value=1234",
        )
        .unwrap();
        assert_eq!(uri.token.as_deref(), Some("My Token"));
        assert_eq!(uri.object.as_deref(), Some("signer"));
        assert_eq!(uri.id, Some(vec![0x01, 0xa2]));
        assert_eq!(uri.module_path, Some(PathBuf::from("/lib/x.so")));
        assert_eq!(uri.pin_value.as_deref(), Some("1234"));
        let shown = uri.to_string();
        assert_eq!(shown, "pkcs11:token=My Token;object=signer;id=%01%a2");
        assert!(!shown.contains("1234"));
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        for (uri, expected) in [
            ("pkcs11:token=x", "names no key"),
            (
                "pkcs11:object=x;colour=red",
                "unknown PKCS#11 URI attribute `colour`",
            ),
            ("pkcs11:object=%zz", "two hex digits"),
            ("pkcs11:object", "not name=value"),
            (
                "pkcs11:object=x?pin-source=file:/p",
                "`pin-source` is not supported",
            ),
        ] {
            let error = Pkcs11Uri::parse(uri).unwrap_err();
            assert!(
                matches!(error, Pkcs11Error::Uri(_)) && error.to_string().contains(expected),
                "{uri}: {error}"
            );
        }
    }
}
