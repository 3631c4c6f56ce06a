//! The signing certificate chain and private key, from PEM files or a PKCS#12 bundle.

use super::signed_data::Template;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use x509_cert::der::Decode;
use x509_cert::Certificate;

/// A signing identity: the leaf certificate first, then any intermediates.
#[derive(Clone)]
pub struct Credentials {
    pub chain: Vec<Certificate>,
    pub(crate) key: RsaPrivateKey,
    /// The same key for ring, which signs about 4 times faster (`None` when ring refuses the
    /// key, e.g. below 2,048 bits: `key` signs then).
    pub(crate) fast_key: Option<Arc<ring::rsa::KeyPair>>,
    /// An RFC 3161 time-stamping authority (http URL) to countersign each signature.
    pub timestamp_url: Option<String>,
    /// Made at the first signature, for every later one (`None` inside when it cannot be).
    pub(crate) signature_template: Arc<OnceLock<Option<Arc<Template>>>>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// Why credentials could not be loaded; names the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CredentialsError> {
    std::fs::read(path).map_err(|e| error(path, format!("cannot read: {e}")))
}

fn error(path: &Path, message: impl Into<String>) -> CredentialsError {
    CredentialsError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Where the signing identity comes from, as the command line names it.
#[derive(Debug, Clone, Default)]
pub struct SigningSource {
    pub certificate: Option<std::path::PathBuf>,
    pub key: Option<std::path::PathBuf>,
    pub pkcs12: Option<std::path::PathBuf>,
    /// Name of the environment variable holding the PKCS#12 password (never the password
    /// itself, which would show in process listings and CI logs).
    pub password_env: Option<String>,
    pub timestamp_url: Option<String>,
}

impl SigningSource {
    /// Whether any option was given that `load` reads or refuses (the password variable alone
    /// is neither).
    pub fn requested(&self) -> bool {
        self.certificate.is_some()
            || self.key.is_some()
            || self.pkcs12.is_some()
            || self.timestamp_url.is_some()
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
            (None, None, None) => {
                return Err(usage("a timestamp server needs signing credentials"))
            }
            (Some(certificate), Some(key), None) => Credentials::from_pem_files(certificate, key)?,
            (None, None, Some(bundle)) => {
                let password = match &self.password_env {
                    Some(name) => std::env::var(name).map_err(|_| {
                        usage(&format!(
                            "environment variable {name} (the PKCS#12 password) is not set"
                        ))
                    })?,
                    None => String::new(),
                };
                Credentials::from_pkcs12(bundle, &password)?
            }
            _ => {
                return Err(usage(
                    "give either a certificate and a key (PEM), or a PKCS#12 bundle",
                ))
            }
        };
        Ok(Some(Credentials {
            timestamp_url: self.timestamp_url.clone(),
            ..credentials
        }))
    }
}

impl Credentials {
    /// A PEM certificate file (leaf first, intermediates after) and a PEM RSA key
    /// (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`).
    pub fn from_pem_files(certificate: &Path, key: &Path) -> Result<Credentials, CredentialsError> {
        let chain = load_certificates(certificate)?;
        let key_text = String::from_utf8(read(key)?).map_err(|_| error(key, "not a PEM file"))?;
        let key = RsaPrivateKey::from_pkcs8_pem(&key_text)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&key_text))
            .map_err(|e| error(key, format!("not an unencrypted RSA private key in PEM ({e}); only RSA keys are supported")))?;
        Credentials::new(chain, key).map_err(|message| error(certificate, message))
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
        let key = RsaPrivateKey::from_pkcs8_der(chain.key().as_der())
            .map_err(|e| error(path, format!("the key is not RSA ({e})")))?;
        let certificates = chain
            .certs()
            .iter()
            .map(|cert| Certificate::from_der(cert.as_der()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| error(path, format!("bad certificate in the bundle: {e}")))?;
        Credentials::new(certificates, key).map_err(|message| error(path, message))
    }

    fn new(chain: Vec<Certificate>, key: RsaPrivateKey) -> Result<Credentials, String> {
        let leaf = chain.first().ok_or("no certificate")?;
        let public = super::trust::rsa_public_key(leaf).map_err(|e| e.to_string())?;
        if public != key.to_public_key() {
            return Err("the private key does not belong to the first certificate".into());
        }
        let fast_key = key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| ring::rsa::KeyPair::from_der(der.as_bytes()).ok())
            .map(Arc::new);
        Ok(Credentials {
            chain,
            key,
            fast_key,
            timestamp_url: None,
            signature_template: Arc::default(),
        })
    }

    pub fn leaf(&self) -> &Certificate {
        &self.chain[0]
    }
}

/// Every certificate in a PEM file, in order.
pub fn load_certificates(path: &Path) -> Result<Vec<Certificate>, CredentialsError> {
    let text = read(path)?;
    let certificates = Certificate::load_pem_chain(&text)
        .map_err(|e| error(path, format!("not PEM certificates: {e}")))?;
    if certificates.is_empty() {
        return Err(error(path, "no certificate in the file"));
    }
    Ok(certificates)
}
