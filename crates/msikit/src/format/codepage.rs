//! The code pages a database and its summary information store text in.

/// A Windows code page, by its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codepage(pub u16);

impl Codepage {
    /// Western European (Windows), the code page Windows Installer's own packages use.
    pub const WINDOWS_1252: Codepage = Codepage(1252);
    pub const UTF8: Codepage = Codepage(65001);

    fn encoding(self) -> Option<&'static encoding_rs::Encoding> {
        match self.0 {
            // 0 is the neutral code page: ASCII text, read as 1252 by Windows.
            0 | 1252 => Some(encoding_rs::WINDOWS_1252),
            65001 => Some(encoding_rs::UTF_8),
            number => codepage::to_encoding(number),
        }
    }

    /// `text` in this code page; a character it cannot hold becomes `?`, as Windows'
    /// WideCharToMultiByte writes it.
    pub fn encode(self, text: &str) -> Vec<u8> {
        if text.is_ascii() {
            return text.as_bytes().to_vec();
        }
        let encoding = self.encoding().unwrap_or(encoding_rs::WINDOWS_1252);
        let mut encoder = encoding.new_encoder();
        let mut out = Vec::with_capacity(text.len());
        let mut buffer = [0u8; 1024];
        let mut rest = text;
        loop {
            let (result, read, written) =
                encoder.encode_from_utf8_without_replacement(rest, &mut buffer, true);
            out.extend_from_slice(&buffer[..written]);
            rest = &rest[read..];
            match result {
                encoding_rs::EncoderResult::InputEmpty => return out,
                encoding_rs::EncoderResult::OutputFull => {}
                encoding_rs::EncoderResult::Unmappable(_) => out.push(b'?'),
            }
        }
    }

    /// `bytes` read in this code page (malformed sequences become U+FFFD); `None` for a code
    /// page this reader does not know.
    pub fn decode(self, bytes: &[u8]) -> Option<String> {
        if bytes.is_ascii() {
            return Some(String::from_utf8_lossy(bytes).into_owned());
        }
        let (text, _, _) = self.encoding()?.decode(bytes);
        Some(text.into_owned())
    }

    /// Whether this reader can decode text of this code page.
    pub fn is_known(self) -> bool {
        self.encoding().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_windows_does() {
        assert_eq!(
            Codepage::WINDOWS_1252.encode("¿Qué pasa?"),
            b"\xbfQu\xe9 pasa?"
        );
        assert_eq!(Codepage::WINDOWS_1252.encode("a\u{4e2d}b"), b"a?b");
        assert_eq!(Codepage::UTF8.encode("é"), "é".as_bytes());
        assert_eq!(
            Codepage::WINDOWS_1252.decode(b"\xbfQu\xe9").as_deref(),
            Some("¿Qué")
        );
        assert_eq!(Codepage(1).decode(b"\xff"), None);
    }
}
