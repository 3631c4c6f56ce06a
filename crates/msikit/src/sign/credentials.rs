//! The signing certificate chain and private key, from PEM files or a PKCS#12 bundle, or any
//! other `SigningKey`.

use super::certificates::{error, read};
pub use super::certificates::{load_certificates, CredentialsError};
use super::key::{self, KeyError, SigningKey};
pub use super::signed_data::Credentials;
use super::signed_data::{refuse_sha1, without_duplicates};
use rsa::pkcs1::DecodeRsaPrivateKey;
use std::path::Path;
use std::sync::Arc;
use x509_cert::der::Decode;
use x509_cert::Certificate;

/// Where the signing identity comes from, as the command line names it.
#[derive(Debug, Clone, Default)]
pub struct SigningSource {
    pub certificate: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    pub pkcs12: Option<std::path::PathBuf>,
    /// Name of the environment variable holding the PKCS#12 password (never the password
    /// itself, which would show in process listings and CI logs).
    pub password_env: Option<String>,
    pub timestamp_urls: Vec<String>,
    /// Intermediate certificates (PEM) to embed after the leaf.
    pub cert_chain: Option<std::path::PathBuf>,
    pub msi_dse: bool,
    /// The PKCS#11 module (shared library) for a `key` that is a `pkcs11:` URI.
    pub pkcs11_module: Option<std::path::PathBuf>,
    /// Name of the environment variable holding the token's PIN.
    pub pin_env: Option<String>,
    /// A program that signs: to-be-signed bytes on stdin, raw signature on stdout (needs
    /// `certificate`).
    pub signer_command: Option<String>,
}

impl SigningSource {
    /// Whether any option was given that `load` reads or refuses (the password variable alone
    /// is neither).
    pub fn requested(&self) -> bool {
        self.certificate.is_some()
            || self.key.is_some()
            || self.pkcs12.is_some()
            || !self.timestamp_urls.is_empty()
            || self.cert_chain.is_some()
            || self.msi_dse
            || self.pkcs11_module.is_some()
            || self.signer_command.is_some()
    }

    /// The key names a PKCS#11 object rather than a file.
    fn pkcs11_uri(&self) -> Option<&str> {
        let key = self.key.as_ref()?.to_str()?;
        super::pkcs11::is_uri(key).then_some(key)
    }

    /// The value of the environment variable `name`, which must be set.
    fn secret(name: &Option<String>, what: &str) -> Result<Option<String>, CredentialsError> {
        let Some(name) = name else { return Ok(None) };
        std::env::var(name).map(Some).map_err(|_| CredentialsError {
            path: "<command line>".into(),
            message: format!("environment variable {name} ({what}) is not set"),
        })
    }

    /// `None` when nothing was asked for; an error when the options do not fit together.
    pub fn load(&self) -> Result<Option<Credentials>, CredentialsError> {
        if !self.requested() {
            return Ok(None);
        }
        let usage = |message: &str| CredentialsError {
            path: "<command line>".into(),
            message: message.into(),
        };
        let credentials = match (&self.certificate, &self.key, &self.pkcs12) {
            (certificate, Some(_), None) if self.pkcs11_uri().is_some() => {
                let pin = Self::secret(&self.pin_env, "the token PIN")?;
                super::pkcs11::credentials(
                    self.pkcs11_uri().unwrap_or_default(),
                    certificate.as_deref(),
                    self.pkcs11_module.as_deref(),
                    pin.as_deref(),
                )?
            }
            (Some(certificate), None, None) if self.signer_command.is_some() => {
                let chain = load_certificates(certificate)?;
                let command = self.signer_command.as_deref().unwrap_or_default();
                let key = super::detached::CommandKey::new(command, &chain[0])
                    .map_err(|message| error(certificate, message))?;
                Credentials::with_key(chain, Arc::new(key))
                    .map_err(|message| error(certificate, message.to_string()))?
            }
            _ if self.signer_command.is_some() => {
                return Err(usage(
                    "--signer-command needs --cert, and no --key or --pkcs12",
                ))
            }
            _ if self.pkcs11_module.is_some() => {
                return Err(usage("--pkcs11-module needs --key pkcs11:…"))
            }
            (None, None, None) => {
                return Err(usage("a timestamp server needs signing credentials"))
            }
            (Some(certificate), Some(key), None) => Credentials::from_pem_files(certificate, key)?,
            (None, None, Some(bundle)) => {
                let password = Self::secret(&self.password_env, "the PKCS#12 password")?;
                Credentials::from_pkcs12(bundle, &password.unwrap_or_default())?
            }
            _ => {
                return Err(usage(
                    "give either a certificate and a key (PEM), or a PKCS#12 bundle",
                ))
            }
        };
        self.finish(credentials).map(Some)
    }

    /// `credentials` with what the options add to any key: intermediates, timestamp servers,
    /// MsiDigitalSignatureEx.
    pub fn finish(&self, credentials: Credentials) -> Result<Credentials, CredentialsError> {
        let mut chain = credentials.chain.clone();
        if let Some(path) = &self.cert_chain {
            chain.extend(load_certificates(path)?);
            refuse_sha1(&chain).map_err(|message| error(path, message.to_string()))?;
        }
        Ok(Credentials {
            chain: without_duplicates(chain),
            timestamp_urls: self.timestamp_urls.clone(),
            msi_dse: self.msi_dse,
            ..credentials
        })
    }
}

impl Credentials {
    /// A PEM certificate file (leaf first, intermediates after) and a PEM private key: PKCS#8
    /// `PRIVATE KEY` (RSA or EC), PKCS#1 `RSA PRIVATE KEY` or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Credentials, CredentialsError> {
        let chain = load_certificates(certificate)?;
        let key_text = String::from_utf8(read(key)?).map_err(|_| error(key, "not a PEM file"))?;
        let signing_key = pem_key(&key_text).map_err(|message| error(key, message))?;
        Credentials::with_key(chain, signing_key)
            .map_err(|message| error(certificate, message.to_string()))
    }

    /// A PKCS#12 (`.pfx`/`.p12`) bundle holding the key and its certificate chain.
    pub fn from_pkcs12(path: &Path, password: &str) -> Result<Credentials, CredentialsError> {
        let store = p12_keystore::KeyStore::from_pkcs12(&read(path)?, password, Default::default())
            .map_err(|e| {
                error(
                    path,
                    format!("cannot open the PKCS#12 bundle (wrong password?): {e}"),
                )
            })?;
        let (_, chain) = store
            .private_key_chain()
            .ok_or_else(|| error(path, "no private key with a certificate in the bundle"))?;
        let signing_key = key::from_pkcs8_der(chain.key().as_der())
            .map_err(|message| error(path, format!("the key in the bundle: {message}")))?;
        let certificates = chain
            .certs()
            .iter()
            .map(|cert| Certificate::from_der(cert.as_der()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(path, format!("bad certificate in the bundle: {e}")))?;
        Credentials::with_key(certificates, signing_key)
            .map_err(|message| error(path, message.to_string()))
    }
}

/// The private key of a PEM file: the first block whose label names one.
fn pem_key(text: &str) -> Result<Arc<dyn SigningKey>, KeyError> {
    let begin = text
        .match_indices("-----BEGIN ")
        .map(|(at, _)| &text[at..])
        .find(|block| {
            block
                .lines()
                .next()
                .is_some_and(|l| l.contains("PRIVATE KEY"))
        })
        .ok_or(KeyError::NoPemKey)?;
    let (label, der) = der::pem::decode_vec(begin.as_bytes())
        .map_err(|e| KeyError::UnreadablePem(e.to_string()))?;
    match label {
        "PRIVATE KEY" => key::from_pkcs8_der(&der),
        "RSA PRIVATE KEY" => {
            let rsa = rsa::RsaPrivateKey::from_pkcs1_der(&der)
                .map_err(|e| KeyError::UnreadableRsaPem(e.to_string()))?;
            Ok(Arc::new(key::RsaKey::new(rsa)?))
        }
        "EC PRIVATE KEY" => key::EcdsaKey::from_sec1_pem(begin)
            .map(|key| Arc::new(key) as Arc<dyn SigningKey>)
            .ok_or(KeyError::UnsupportedSec1Curve),
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::EncryptedPem),
        other => Err(KeyError::UnsupportedPemBlock {
            label: other.to_string(),
        }),
    }
}
