//! MSI signatures: the `\u{5}DigitalSignature` stream holds a PKCS#7 signature over the
//! content of every other stream, in the order osslsigncode and Windows hash them.

use super::signed_data;
use super::signed_data::Credentials;
use super::trust::TrustPolicy;
use super::{SignatureCheck, SignatureError, Signer};
use crate::compound::{RootStream, Streams};
use crate::read::compound::{CompoundFile, Entry, EntryKind};
use crate::read::{Input, ReadError};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Sequence};
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use uuid::Uuid;

pub const SIGNATURE_STREAM: &str = "/\u{5}DigitalSignature";
pub const SIGNATURE_EX_STREAM: &str = "/\u{5}MsiDigitalSignatureEx";

/// `SPC_SIPINFO_OBJID`: the signed blob is an SpcSipInfo naming the MSI SIP.
const SPC_SIPINFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.30");
/// The MSI SIP, {000C10F1-0000-0000-C000-000000000046}, as its GUID bytes.
const MSI_SIP: [u8; 16] = [
    0xf1, 0x10, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46,
];

#[derive(Sequence)]
struct SpcSipInfo {
    version: i32,
    sip: OctetString,
    reserved1: i32,
    reserved2: i32,
    reserved3: i32,
    reserved4: i32,
    reserved5: i32,
}

/// Children in hashing order: memcmp of the UTF-16LE names with their terminators; a name
/// that is a prefix of another sorts after it ("the longer wins").
fn hash_order(a: &str, b: &str) -> Ordering {
    let bytes = |name: &str| -> Vec<u8> {
        name.encode_utf16()
            .chain([0])
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    let (a, b) = (bytes(a), bytes(b));
    let common = a.len().min(b.len());
    a[..common].cmp(&b[..common]).then(b.len().cmp(&a.len()))
}

/// SHA-256 over every non-empty stream's content (storages recursively, each followed by its
/// CLSID), root signature streams excluded.
pub fn content_digest(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    signed_digest(bytes, None)
}

/// The digest a signature covers: `content_digest`'s, begun with the metadata pre-hash when the
/// file has an `MsiDigitalSignatureEx` stream.
pub fn signed_digest(bytes: &[u8], prehash: Option<&[u8]>) -> std::io::Result<Vec<u8>> {
    digest_of(&CompoundFile::parse(bytes)?, prehash)
}

fn digest_of(file: &CompoundFile, prehash: Option<&[u8]>) -> std::io::Result<Vec<u8>> {
    let mut hasher = Sha256::new();
    hasher.update(prehash.unwrap_or_default());
    hash_storage(file, file.root(), &mut hasher)?;
    Ok(hasher.finalize().to_vec())
}

/// SHA-256 over the directory's metadata, what `MsiDigitalSignatureEx` holds (signtool writes
/// it by default, osslsigncode with `-add-msi-dse`): for the root its CLSID and state bits;
/// for each stream its UTF-16 name, the low 32 bits of its size, state bits, creation and
/// modification times; for each storage its name, CLSID, state bits and times, then its
/// children. Children in hashing order, root signature streams left out, as osslsigncode
/// computes it.
pub fn metadata_prehash(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    Ok(prehash_of(&CompoundFile::parse(bytes)?))
}

fn prehash_of(file: &CompoundFile) -> Vec<u8> {
    let mut hasher = Sha256::new();
    prehash_storage(file, file.root(), &mut hasher);
    hasher.finalize().to_vec()
}

/// Recursion is bounded: the reader refuses storages nested deeper than `MAX_DEPTH`.
fn prehash_storage(file: &CompoundFile, storage: &Entry, hasher: &mut Sha256) {
    prehash_entry(storage, hasher);
    for child in hashed_children(file, storage) {
        match child.kind {
            EntryKind::Stream => prehash_entry(child, hasher),
            EntryKind::Storage => prehash_storage(file, child, hasher),
        }
    }
}

/// The storage's children in hashing order, the root's signature streams left out: what both
/// digests walk.
fn hashed_children<'f>(file: &'f CompoundFile, storage: &'f Entry) -> Vec<&'f Entry> {
    let in_root = storage.path.is_empty();
    let mut children: Vec<&Entry> = file
        .children(storage)
        .filter(|child| !(in_root && is_signature_stream(entry_name(child))))
        .collect();
    children.sort_by(|a, b| hash_order(entry_name(a), entry_name(b)));
    children
}

fn entry_name(entry: &Entry) -> &str {
    entry.path.last().map_or("", String::as_str)
}

/// Whether a root stream named `name` (no leading `/`) is one of the signature's own.
fn is_signature_stream(name: &str) -> bool {
    [SIGNATURE_STREAM, SIGNATURE_EX_STREAM].contains(&format!("/{name}").as_str())
}

fn prehash_entry(entry: &Entry, hasher: &mut Sha256) {
    let is_root = entry.path.is_empty();
    if !is_root {
        let name: Vec<u8> = entry_name(entry)
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        hasher.update(name);
    }
    match entry.kind {
        EntryKind::Stream => hasher.update((entry.size as u32).to_le_bytes()),
        EntryKind::Storage => hasher.update(entry.clsid.to_bytes_le()),
    }
    hasher.update(entry.state_bits.to_le_bytes());
    if !is_root {
        hasher.update(entry.created.to_le_bytes());
        hasher.update(entry.modified.to_le_bytes());
    }
}

fn hash_storage(file: &CompoundFile, storage: &Entry, hasher: &mut Sha256) -> std::io::Result<()> {
    for child in hashed_children(file, storage) {
        match child.kind {
            // A stream left in its file is hashed a chunk at a time, never held whole.
            EntryKind::Stream => file
                .stream(child)?
                .for_each_chunk(|chunk| hasher.update(chunk))?,
            EntryKind::Storage => hash_storage(file, child, hasher)?,
        }
    }
    hasher.update(storage.clsid.to_bytes_le());
    Ok(())
}

fn io_error(error: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(error.to_string())
}

/// SHA-256 over the content of `streams`, all in the root storage whose CLSID is
/// `root_clsid`, as `content_digest` computes it over the file they make: no file is written
/// or read back to sign one.
pub fn root_digest(root_clsid: Uuid, streams: &[RootStream]) -> Vec<u8> {
    root_digest_after(&[], root_clsid, streams)
}

/// `root_digest`, the hash begun with `prehash` (MsiDigitalSignatureEx's, or nothing).
fn root_digest_after(prehash: &[u8], root_clsid: Uuid, streams: &[RootStream]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(prehash);
    for (_, data) in hashed_root_streams(streams) {
        hasher.update(data);
    }
    hasher.update(root_clsid.to_bytes_le());
    hasher.finalize().to_vec()
}

/// `streams` in hashing order, the signature streams left out.
fn hashed_root_streams<'a>(streams: &'a [RootStream<'a>]) -> Vec<&'a RootStream<'a>> {
    let mut streams: Vec<&RootStream> = streams
        .iter()
        .filter(|(name, _)| !is_signature_stream(name))
        .collect();
    streams.sort_by(|a, b| hash_order(a.0, b.0));
    streams
}

/// `metadata_prehash` of the file `compound::write_v3` makes of `streams`: it writes no
/// times and no state bits, so names and sizes are all that vary.
pub fn root_prehash(root_clsid: Uuid, streams: &[RootStream]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(root_clsid.to_bytes_le());
    hasher.update(0u32.to_le_bytes());
    for (name, data) in hashed_root_streams(streams) {
        let name: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        hasher.update(name);
        hasher.update((data.len() as u32).to_le_bytes());
        // State bits, then the creation and modification times: all zero.
        hasher.update([0u8; 4 + 8 + 8]);
    }
    hasher.finalize().to_vec()
}

/// The signature streams (names without the leading `/`, contents) for a file holding
/// `streams` in its root storage: `\u{5}DigitalSignature`, and `\u{5}MsiDigitalSignatureEx`
/// first when `credentials.msi_dse` asks for it.
pub fn signature_streams(
    root_clsid: Uuid,
    streams: &[RootStream],
    credentials: &Credentials,
) -> std::io::Result<Vec<(&'static str, Vec<u8>)>> {
    let prehash = credentials
        .msi_dse
        .then(|| root_prehash(root_clsid, streams));
    let digest = root_digest_after(prehash.as_deref().unwrap_or_default(), root_clsid, streams);
    let mut signature_streams = Vec::new();
    if let Some(prehash) = prehash {
        signature_streams.push((&SIGNATURE_EX_STREAM[1..], prehash));
    }
    signature_streams.push((
        &SIGNATURE_STREAM[1..],
        signature_over(&digest, credentials)?,
    ));
    Ok(signature_streams)
}

/// The signature stream's content for a file whose content digest is `digest`.
fn signature_over(digest: &[u8], credentials: &Credentials) -> std::io::Result<Vec<u8>> {
    let sip = SpcSipInfo {
        version: 1,
        sip: OctetString::new(MSI_SIP).map_err(io_error)?,
        reserved1: 0,
        reserved2: 0,
        reserved3: 0,
        reserved4: 0,
        reserved5: 0,
    };
    let content = signed_data::indirect_data(
        SPC_SIPINFO,
        Any::encode_from(&sip).map_err(io_error)?,
        digest,
    )
    .map_err(io_error)?;
    signed_data::sign(&content, credentials).map_err(io_error)
}

/// `bytes` signed with `credentials`: any earlier signature is replaced, and the file is
/// rewritten whole, so no stale sectors of it remain.
pub fn sign(bytes: &[u8], credentials: &Credentials) -> std::io::Result<Vec<u8>> {
    let mut streams = Streams::read(bytes)?;
    streams.remove(SIGNATURE_STREAM);
    streams.remove(SIGNATURE_EX_STREAM);
    let signature_streams = match streams.root_streams() {
        Some(root) => signature_streams(streams.root_clsid, &root, credentials)?,
        // Sub-storages: hashed as the file that holds them.
        None => {
            let file = streams.write_v3()?;
            let prehash = match credentials.msi_dse {
                true => Some(metadata_prehash(&file)?),
                false => None,
            };
            let digest = signed_digest(&file, prehash.as_deref())?;
            let signature = signature_over(&digest, credentials)?;
            let ex = prehash.map(|prehash| (&SIGNATURE_EX_STREAM[1..], prehash));
            ex.into_iter()
                .chain([(&SIGNATURE_STREAM[1..], signature)])
                .collect()
        }
    };
    for (name, data) in signature_streams {
        streams.insert(&format!("/{name}"), data);
    }
    streams.write_v3()
}

/// Checks the MSI's signature: digest, PKCS#7 signature, and the signer against `policy`.
pub fn verify(bytes: &[u8], policy: &TrustPolicy) -> Result<Signer, SignatureError> {
    check(bytes, policy).result
}

/// [`verify`], also naming who signed when only the trust checks failed.
pub fn check(bytes: &[u8], policy: &TrustPolicy) -> SignatureCheck {
    check_input(Input::Bytes(bytes), policy)
}

/// [`check`] over any input: a package file's streams are hashed as they are read.
pub fn check_input(input: Input<'_>, policy: &TrustPolicy) -> SignatureCheck {
    let mut signed_by = None;
    let result = verify_into(input, policy, &mut signed_by);
    SignatureCheck { signed_by, result }
}

fn verify_into(
    input: Input<'_>,
    policy: &TrustPolicy,
    signed_by: &mut Option<Signer>,
) -> Result<Signer, SignatureError> {
    let malformed = |e: ReadError| SignatureError::Malformed(e.to_string());
    let file = CompoundFile::open(input)
        .map_err(|e| SignatureError::Malformed(format!("not a compound file: {e}")))?;
    let root_stream = |name: &str| {
        let name = name.trim_start_matches('/');
        let entry = file
            .find(&[name])
            .filter(|entry| entry.kind == EntryKind::Stream);
        entry.map(|entry| file.read(entry)).transpose()
    };
    let pkcs7 = root_stream(SIGNATURE_STREAM)
        .map_err(malformed)?
        .ok_or(SignatureError::Unsigned)?;
    let signature = signed_data::parse(&pkcs7)?;
    let prehash = match root_stream(SIGNATURE_EX_STREAM).map_err(malformed)? {
        None => None,
        Some(recorded) => {
            let computed = prehash_of(&file);
            if recorded.as_ref() != computed.as_slice() {
                return Err(SignatureError::MetadataMismatch);
            }
            Some(computed)
        }
    };
    let digest = digest_of(&file, prehash.as_deref())
        .map_err(|e| SignatureError::Malformed(e.to_string()))?;
    signed_data::verify(&signature, &digest, policy, signed_by)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::signed_data;

    #[test]
    fn the_digest_of_streams_is_the_digest_of_the_file_they_make() {
        let clsid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);
        let big = vec![7u8; 9000];
        let streams: Vec<RootStream> = vec![
            ("A", b"first"),
            ("AB", b"second"),
            ("\u{5}SummaryInformation", b"summary"),
            ("\u{4840}\u{3f3f}", b"table"),
            ("\u{5}DigitalSignature", b"left out"),
            ("cab", &big),
            ("empty", b""),
        ];
        let mut file = Vec::new();
        crate::compound::write_v3(clsid, &streams, &mut file).unwrap();
        assert_eq!(root_digest(clsid, &streams), content_digest(&file).unwrap());
        assert_eq!(
            root_prehash(clsid, &streams),
            metadata_prehash(&file).unwrap()
        );
    }

    #[test]
    fn a_package_read_from_its_file_verifies_with_its_large_stream_hashed_where_it_lies() {
        use crate::read::StreamData;
        let (_keys, credentials) = signed_data::tests::credentials();
        let clsid = Uuid::from_u128(0x000C_1084_0000_0000_C000_0000_0000_0046);
        let big: Vec<u8> = (0..3u32 << 20).map(|n| (n % 253) as u8).collect();
        let streams: Vec<RootStream> = vec![("\u{5}SummaryInformation", b"summary"), ("cab", &big)];
        let mut unsigned = Vec::new();
        crate::compound::write_v3(clsid, &streams, &mut unsigned).unwrap();
        let signed = sign(&unsigned, &credentials).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signed.msi");
        std::fs::write(&path, &signed).unwrap();
        let input = Input::open(&path).unwrap();
        let file = CompoundFile::open(input.clone()).unwrap();
        let cab = file.stream(file.find(&["cab"]).unwrap()).unwrap();
        assert!(
            matches!(cab, StreamData::File(_)),
            "{cab:?} left in the file"
        );
        let policy = TrustPolicy::default();
        let from_file = check_input(input, &policy).result;
        // Intact; with no trust anchor the signer is not trusted.
        assert!(
            matches!(from_file, Err(SignatureError::Untrusted(_))),
            "{from_file:?}"
        );
        assert_eq!(from_file, check(&signed, &policy).result);
        // One byte of the large stream changed in the file: the digest no longer matches.
        let at = signed
            .windows(8)
            .position(|w| w == &big[1000..1008])
            .unwrap();
        let mut tampered = signed.clone();
        tampered[at] ^= 1;
        std::fs::write(&path, &tampered).unwrap();
        let result = check_input(Input::open(&path).unwrap(), &policy).result;
        assert_eq!(result, Err(SignatureError::DigestMismatch));
    }

    #[test]
    fn hash_order_is_bytewise_utf16_with_longer_names_first_on_a_tie() {
        assert_eq!(hash_order("A", "B"), Ordering::Less);
        // U+0100 is 00 01 in UTF-16LE: bytewise it sorts before U+0041 (41 00).
        assert_eq!(hash_order("\u{100}", "A"), Ordering::Less);
        assert_eq!(
            hash_order("AB", "A"),
            Ordering::Greater,
            "the terminator of `A` sorts before `B`"
        );
        assert_eq!(hash_order("A", "A"), Ordering::Equal);
    }
}
