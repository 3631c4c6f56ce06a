//! The string pool: `_StringPool` (a codepage word, then a length and reference count per
//! string) and `_StringData` (the strings' bytes, back to back, in the database codepage).
//!
//! String ids start at 1 (0 is a null cell). A string of 64 KiB or more is stored as an entry
//! of length 0 with a nonzero reference count, followed by a 4-byte entry holding its real
//! length; an entry of length 0 and count 0 is an unused id. Every length is checked against
//! `_StringData`'s real size before a string is decoded, so reading is linear in the pool.
//!
//! Codepages: 0 (neutral) and 65001 are read as UTF-8, 1250-1258, 874 and the East Asian
//! ANSI codepages (932, 936, 949, 950) through `encoding_rs`, 28591 as Latin-1 and 20127 as
//! ASCII. Bytes the codepage does not define become U+FFFD, as the `msi` crate does; any other
//! codepage is an error, since guessing would hand rules text that is not in the package.

use super::error::{Place, ReadError, Result};
use std::borrow::Cow;

const LONG_STRING_REFS: u32 = 0x8000_0000;

/// The decoded string pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StringPool {
    codepage: u32,
    long_refs: bool,
    /// String id `n` is `strings[n - 1]`.
    strings: Vec<String>,
}

impl StringPool {
    pub fn parse(pool: &[u8], data: &[u8]) -> Result<StringPool> {
        if pool.len() < 4 {
            return Err(ReadError::new(
                Place::StringPool,
                0,
                format!(
                    "_StringPool has {} bytes, fewer than its 4-byte header",
                    pool.len()
                ),
            ));
        }
        let header = u32::from_le_bytes(pool[..4].try_into().expect("4 bytes"));
        let codepage = header & !LONG_STRING_REFS;
        let decoder = Decoder::for_codepage(codepage).ok_or_else(|| {
            ReadError::new(Place::StringPool, 0, format!("unknown codepage {codepage}"))
        })?;
        let mut strings = Vec::with_capacity(pool.len() / 4);
        let mut at = 4;
        let mut data_at = 0usize;
        while at < pool.len() {
            let entry = pool
                .get(at..at + 4)
                .ok_or_else(|| truncated(at, "an entry"))?;
            let mut length = usize::from(u16::from_le_bytes([entry[0], entry[1]]));
            let refcount = u16::from_le_bytes([entry[2], entry[3]]);
            let entry_at = at;
            at += 4;
            if length == 0 && refcount != 0 {
                let long = pool
                    .get(at..at + 4)
                    .ok_or_else(|| truncated(at, "a long-string length"))?;
                length = u32::from_le_bytes(long.try_into().expect("4 bytes")) as usize;
                at += 4;
            }
            let bytes = data_at
                .checked_add(length)
                .and_then(|end| data.get(data_at..end))
                .ok_or_else(|| {
                    ReadError::new(
                        Place::StringPool,
                        entry_at as u64,
                        format!(
                            "string {} claims {length} bytes at _StringData byte {data_at}, which has {} bytes",
                            strings.len() + 1,
                            data.len()
                        ),
                    )
                })?;
            data_at += length;
            strings.push(decoder.decode(bytes).into_owned());
        }
        Ok(StringPool {
            codepage,
            long_refs: header & LONG_STRING_REFS != 0,
            strings,
        })
    }

    pub fn codepage(&self) -> u32 {
        self.codepage
    }

    /// Bytes per string reference in table streams: 2, or 3 with long string references.
    pub fn ref_size(&self) -> usize {
        if self.long_refs {
            3
        } else {
            2
        }
    }

    /// The string with id `id` (1-based); `None` for 0 or an id past the pool.
    pub fn get(&self, id: u32) -> Option<&str> {
        let index = (id as usize).checked_sub(1)?;
        self.strings.get(index).map(String::as_str)
    }

    /// The number of string ids, unused ones included.
    pub fn len(&self) -> usize {
        self.strings.len()
    }
}

fn truncated(at: usize, what: &str) -> ReadError {
    ReadError::new(
        Place::StringPool,
        at as u64,
        format!("_StringPool ends inside {what}"),
    )
}

/// How text in a given codepage becomes a `String`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decoder {
    Encoding(&'static encoding_rs::Encoding),
    Latin1,
    Ascii,
}

impl Decoder {
    pub(crate) fn for_codepage(codepage: u32) -> Option<Decoder> {
        use encoding_rs as e;
        let encoding = match codepage {
            0 | 65001 => e::UTF_8,
            874 => e::WINDOWS_874,
            932 => e::SHIFT_JIS,
            936 => e::GBK,
            949 => e::EUC_KR,
            950 | 951 => e::BIG5,
            1250 => e::WINDOWS_1250,
            1251 => e::WINDOWS_1251,
            1252 => e::WINDOWS_1252,
            1253 => e::WINDOWS_1253,
            1254 => e::WINDOWS_1254,
            1255 => e::WINDOWS_1255,
            1256 => e::WINDOWS_1256,
            1257 => e::WINDOWS_1257,
            1258 => e::WINDOWS_1258,
            10000 => e::MACINTOSH,
            10007 => e::X_MAC_CYRILLIC,
            28592 => e::ISO_8859_2,
            28593 => e::ISO_8859_3,
            28594 => e::ISO_8859_4,
            28595 => e::ISO_8859_5,
            28596 => e::ISO_8859_6,
            28597 => e::ISO_8859_7,
            28598 => e::ISO_8859_8,
            // encoding_rs reads the label "iso-8859-1" as windows-1252; 28591 is exact Latin-1.
            28591 => return Some(Decoder::Latin1),
            20127 => return Some(Decoder::Ascii),
            _ => return None,
        };
        Some(Decoder::Encoding(encoding))
    }

    pub(crate) fn decode<'b>(&self, bytes: &'b [u8]) -> Cow<'b, str> {
        match self {
            Decoder::Encoding(encoding) => encoding.decode_without_bom_handling(bytes).0,
            Decoder::Latin1 => bytes
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into(),
            Decoder::Ascii => bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii() {
                        char::from(b)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect::<String>()
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(header: u32, entries: &[(u16, u16)]) -> Vec<u8> {
        let mut bytes = header.to_le_bytes().to_vec();
        for (length, refcount) in entries {
            bytes.extend(length.to_le_bytes());
            bytes.extend(refcount.to_le_bytes());
        }
        bytes
    }

    #[test]
    fn strings_are_decoded_in_the_pool_codepage() {
        let data = b"caf\xe9Name";
        let strings = StringPool::parse(&pool(1252, &[(4, 1), (4, 2)]), data).unwrap();
        assert_eq!(
            (strings.get(1), strings.get(2), strings.get(3)),
            (Some("café"), Some("Name"), None)
        );
        assert_eq!((strings.get(0), strings.ref_size()), (None, 2));
        let utf8 = StringPool::parse(
            &pool(65001 | LONG_STRING_REFS, &[(5, 1)]),
            "café".as_bytes(),
        )
        .unwrap();
        assert_eq!(
            (utf8.get(1), utf8.ref_size(), utf8.codepage()),
            (Some("café"), 3, 65001)
        );
    }

    #[test]
    fn a_long_string_takes_one_id_and_an_unused_id_is_empty() {
        let long = "x".repeat(70_000);
        let mut bytes = pool(1252, &[(0, 0), (0, 3)]);
        bytes.extend(70_000u32.to_le_bytes());
        bytes.extend(pool(0, &[(1, 1)])[4..].iter());
        let data = format!("{long}y");
        let strings = StringPool::parse(&bytes, data.as_bytes()).unwrap();
        assert_eq!(strings.len(), 3);
        assert_eq!(strings.get(1), Some(""));
        assert_eq!(strings.get(2).map(str::len), Some(70_000));
        assert_eq!(strings.get(3), Some("y"));
    }

    #[test]
    fn a_length_past_the_data_is_an_error_naming_the_entry() {
        // A long string claiming 4 GiB in a few bytes of pool: refused before any allocation.
        let mut bytes = pool(1252, &[(1, 1), (0, 1)]);
        bytes.extend(u32::MAX.to_le_bytes());
        let error = StringPool::parse(&bytes, b"a").unwrap_err();
        assert_eq!((error.place.clone(), error.offset), (Place::StringPool, 8));
        assert!(
            error
                .to_string()
                .contains("string 2 claims 4294967295 bytes"),
            "{error}"
        );
        let error = StringPool::parse(&bytes[..10], b"a").unwrap_err();
        assert!(
            error.to_string().contains("ends inside an entry"),
            "{error}"
        );
    }

    #[test]
    fn an_unknown_codepage_is_an_error() {
        let error = StringPool::parse(&pool(4242, &[]), b"").unwrap_err();
        assert_eq!(
            error.to_string(),
            "string pool (_StringPool/_StringData), byte 0: unknown codepage 4242"
        );
        assert!(StringPool::parse(b"\x01", b"").is_err());
    }
}
