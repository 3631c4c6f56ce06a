//! RFC 3161 timestamps: a time-stamping authority countersigns the signature, so it stays
//! valid after the signing certificate expires. Plain HTTP: the response is itself signed.

use super::SigningError;
use const_oid::db::rfc5912::ID_SHA_256;
use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifier;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

/// Attempts per authority before the next is tried: a busy public TSA often answers the
/// second request.
const ATTEMPTS: u32 = 3;

/// The first token any of `urls` gives, each tried `ATTEMPTS` times (with a short pause)
/// in order; the error lists every authority's last failure.
pub fn request_first(urls: &[String], signature: &[u8]) -> Result<Vec<u8>, SigningError> {
    let mut failures = Vec::new();
    for url in urls {
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            match request(url, signature) {
                Ok(token) => return Ok(token),
                Err(error) => last = error.to_string(),
            }
            if attempt < ATTEMPTS {
                std::thread::sleep(std::time::Duration::from_millis(250 * u64::from(attempt)));
            }
        }
        failures.push(format!("{last} ({ATTEMPTS} attempts)"));
    }
    Err(SigningError::Timestamp(match failures.len() {
        0 => "no timestamp server given".into(),
        _ => format!("no timestamp server answered: {}", failures.join("; ")),
    }))
}

/// Asks the authority at `url` to timestamp `signature` (the signer's signature value) and
/// returns the timestamp token (a DER ContentInfo).
pub fn request(url: &str, signature: &[u8]) -> Result<Vec<u8>, SigningError> {
    let request = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: ID_SHA_256,
                parameters: None,
            },
            hashed_message: OctetString::new(Sha256::digest(signature).to_vec())
                .map_err(|e| SigningError::Timestamp(e.to_string()))?,
        },
        req_policy: None,
        nonce: None,
        cert_req: true,
        extensions: None,
    };
    let body = request
        .to_der()
        .map_err(|e| SigningError::Timestamp(e.to_string()))?;
    let response = ureq::post(url)
        .header("Content-Type", "application/timestamp-query")
        .send(&body[..])
        .map_err(|e| SigningError::Timestamp(format!("timestamp server {url}: {e}")))?;
    let bytes = response
        .into_body()
        .read_to_vec()
        .map_err(|e| SigningError::Timestamp(format!("timestamp server {url}: {e}")))?;
    let reply = TimeStampResp::from_der(&bytes).map_err(|e| {
        SigningError::Timestamp(format!(
            "timestamp server {url} sent no RFC 3161 reply: {e}"
        ))
    })?;
    use cmpv2::status::PkiStatus;
    if !matches!(
        reply.status.status,
        PkiStatus::Accepted | PkiStatus::GrantedWithMods
    ) {
        return Err(SigningError::Timestamp(format!(
            "timestamp server {url} refused: {:?}",
            reply.status.status
        )));
    }
    let token = reply
        .time_stamp_token
        .ok_or_else(|| SigningError::Timestamp(format!("timestamp server {url} sent no token")))?;
    token
        .to_der()
        .map_err(|e| SigningError::Timestamp(e.to_string()))
}
