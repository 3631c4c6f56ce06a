//! Lower-case hexadecimal, the form digests are pinned and reported in.

use sha2::{Digest, Sha256};

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// [`sha256_hex`] of a stream, read a chunk at a time.
pub fn stream_sha256_hex(data: &crate::read::StreamData) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    data.for_each_chunk(|chunk| hasher.update(chunk))?;
    Ok(hex(&hasher.finalize()))
}
