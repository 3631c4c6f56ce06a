//! Stream names as Windows Installer stores them in the compound file: pairs of characters of
//! `[0-9A-Za-z._]` folded into one, so that names fit the compound file's 31 characters.

/// A stream name as Windows Installer stores it in the compound file (what the msi crate's
/// `write_stream` does). `None` for a name that does not fit the compound file's 31
/// characters, is empty, or starts with the table marker U+4840.
pub fn encode_stream_name(name: &str) -> Option<String> {
    if name.is_empty() || name.starts_with('\u{4840}') {
        return None;
    }
    let encoded = fold_stream_name(name);
    (encoded.encode_utf16().count() <= 31).then_some(encoded)
}

/// Pairs of characters of `[0-9A-Za-z._]` folded into one character of U+3800–U+47FF, a
/// single one into U+4800–U+483F; other characters kept.
fn fold_stream_name(name: &str) -> String {
    fn digit(c: char) -> Option<u32> {
        match c {
            '0'..='9' => Some(c as u32 - '0' as u32),
            'A'..='Z' => Some(10 + c as u32 - 'A' as u32),
            'a'..='z' => Some(36 + c as u32 - 'a' as u32),
            '.' => Some(62),
            '_' => Some(63),
            _ => None,
        }
    }
    let mut encoded = String::new();
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        let folded = match (digit(c), chars.peek().copied().and_then(digit)) {
            (Some(first), Some(second)) => {
                chars.next();
                0x3800 + (second << 6) + first
            }
            (Some(first), None) => 0x4800 + first,
            (None, _) => {
                encoded.push(c);
                continue;
            }
        };
        encoded.push(char::from_u32(folded).expect("U+3800..U+483F are characters"));
    }
    encoded
}

/// A table's stream name: U+4840, then the name with pairs of characters of `[0-9A-Za-z._]`
/// folded as for every stream.
pub fn table_stream_name(name: &str) -> String {
    let mut encoded = String::from('\u{4840}');
    encoded.push_str(&fold_stream_name(name));
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn stream_names_are_folded_as_the_msi_crate_folds_them() {
        for name in ["sspr.cab", "Binary.CheckTls12", "a-b", "x", "_.9Zz"] {
            let mut package = msi::Package::create(
                msi::PackageType::Installer,
                std::io::Cursor::new(Vec::new()),
            )
            .unwrap();
            package
                .write_stream(name)
                .unwrap()
                .write_all(b"data")
                .unwrap();
            package.flush().unwrap();
            let bytes = package.into_inner().unwrap().into_inner();
            let streams = crate::compound::Streams::read(&bytes).unwrap();
            let theirs: Vec<&str> = streams
                .streams
                .iter()
                .filter(|(_, data)| data == b"data")
                .map(|(path, _)| path.trim_start_matches('/'))
                .collect();
            assert_eq!(theirs, [encode_stream_name(name).unwrap()], "{name}");
        }
        assert_eq!(encode_stream_name(""), None);
        assert_eq!(encode_stream_name("\u{4840}x"), None);
        assert_eq!(encode_stream_name(&"x".repeat(63)), None);
        assert!(encode_stream_name(&"x".repeat(62)).is_some());
    }
}
