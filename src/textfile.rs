//! Text files as Windows writes them: UTF-16LE with a byte-order mark (`reg export`, msiexec
//! logs on Windows), UTF-8 with or without one, or an ANSI code page (Wine's msiexec logs).

use crate::error::Error;
use std::path::Path;

/// Why bytes are not text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("contains NUL bytes but no UTF-16 byte-order mark: not a text file")]
    NulWithoutByteOrderMark,
    #[error("UTF-16 text with an odd number of bytes (truncated?)")]
    OddUtf16Length,
    #[error("invalid UTF-16: {0}")]
    InvalidUtf16(#[from] std::char::DecodeUtf16Error),
}

/// Reads and decodes a text file an admin hands in; an unreadable or undecodable file is an
/// input error naming it.
pub fn read(path: &Path) -> crate::error::Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    decode(&bytes).map_err(|error| Error::input(path, error.to_string()))
}

/// Decodes `bytes` to text. UTF-16 must be well-formed; bytes that are neither UTF-16 (by its
/// BOM) nor UTF-8 are read as Windows-1252's Latin-1 subset, which never fails, so a log
/// written in an ANSI code page is still readable.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, u16::from_le_bytes);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, u16::from_be_bytes);
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    if bytes.contains(&0) {
        return Err(DecodeError::NulWithoutByteOrderMark);
    }
    Ok(match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => bytes.iter().map(|&byte| char::from(byte)).collect(),
    })
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, DecodeError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(DecodeError::OddUtf16Length);
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    Ok(char::decode_utf16(units).collect::<Result<String, _>>()?)
}

/// UTF-16LE bytes without a byte-order mark (registry string data).
pub fn decode_utf16le(bytes: &[u8]) -> Result<String, DecodeError> {
    decode_utf16(bytes, u16::from_le_bytes)
}

/// `text` as UTF-16LE with a byte-order mark, as `reg export` and Windows' msiexec write it.
pub fn encode_utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// `text` as it may reach a terminal: control characters other than line breaks and tabs
/// (ESC, BEL, C1 controls) shown as `\u{1b}`, so a stranger's log or registry export cannot
/// retitle the window or move the cursor (issue 20 item 16).
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.contains(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_encoding_windows_and_wine_write() {
        let text = "Windows Registry Editor Version 5.00\r\n\"Name\"=\"é\"\r\n";
        assert_eq!(decode(&encode_utf16le_with_bom(text)).unwrap(), text);
        assert_eq!(decode(text.as_bytes()).unwrap(), text);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend(text.as_bytes());
        assert_eq!(decode(&bom).unwrap(), text);
        assert_eq!(decode(b"caf\xe9").unwrap(), "café");
    }

    #[test]
    fn broken_utf16_is_an_error_not_a_panic() {
        assert_eq!(
            decode(&[0xFF, 0xFE, 0x41]),
            Err(DecodeError::OddUtf16Length)
        );
        assert!(matches!(
            decode(&[0xFF, 0xFE, 0x00, 0xD8]),
            Err(DecodeError::InvalidUtf16(_))
        ));
        assert_eq!(decode(b"a\0b"), Err(DecodeError::NulWithoutByteOrderMark));
    }

    #[test]
    fn control_characters_are_shown_not_sent_to_the_terminal() {
        let title_escape = "before\u{1b}]0;owned\u{7}after\r\nnext\tcolumn";
        assert_eq!(
            terminal_safe(title_escape),
            "before\\u{1b}]0;owned\\u{7}after\\u{d}\nnext\tcolumn"
        );
        assert!(matches!(
            terminal_safe("plain\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
