//! Windows Installer's Formatted strings read back: what `MsiFormatRecord` makes of a
//! Registry value, a launch-condition message or a key, and how a Registry `Value` prefix
//! (`#`, `##`, `#%`, `#x`, `[~]`) chooses the value's type. The inverse of
//! `formatted`'s escaping, for any package.

use serde::Serialize;

/// What a `[...]` or `{...}` reference in a Formatted string can name.
pub trait References {
    /// `[NAME]`: a property value (`None` = not set).
    fn property(&self, name: &str) -> Option<String>;
    /// `[#FILE]` / `[!FILE]`: the installed path of a file.
    fn file_path(&self, file: &str) -> Option<String>;
    /// `[$COMPONENT]`: the folder of a component.
    fn component_folder(&self, component: &str) -> Option<String>;
    /// `[%NAME]`: an environment variable.
    fn environment(&self, name: &str) -> Option<String>;
}

/// References that know only properties: text formatted outside an install session (a
/// launch-condition message rebuilt from a log's property values).
pub struct PropertiesOnly<'a>(pub &'a std::collections::BTreeMap<String, String>);

impl References for PropertiesOnly<'_> {
    fn property(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
    fn file_path(&self, _: &str) -> Option<String> {
        None
    }
    fn component_folder(&self, _: &str) -> Option<String> {
        None
    }
    fn environment(&self, _: &str) -> Option<String> {
        None
    }
}

/// Expands every reference in `text`. `[~]` becomes NUL (the multi-string separator), `[\x]`
/// the literal `x`, and a `{...}` group vanishes when any property in it is unset, as
/// `MsiFormatRecord` does; braces without references (a GUID) stay as written.
pub fn deformat(text: &str, references: &dyn References) -> String {
    deformat_with_state(text, references, 0).0
}

/// How deep `[...]` and `{...}` may nest before the rest is kept as literal text: each level
/// rescans what it holds, so the bound keeps hostile values (`[`×32000…) linear in their
/// length and the recursion off the stack's end. Real packages nest two or three levels.
pub const MAX_NESTING: usize = 16;

/// The expansion, and whether every property reference in it was set.
fn deformat_with_state(text: &str, references: &dyn References, depth: usize) -> (String, bool) {
    if depth > MAX_NESTING {
        return (text.to_string(), true);
    }
    let mut out = String::new();
    let mut all_set = true;
    let mut rest = text;
    while let Some(start) = rest.find(['[', '{']) {
        out.push_str(&rest[..start]);
        let opener = rest.as_bytes()[start];
        let (close_open, close) = if opener == b'[' {
            (b'[', b']')
        } else {
            (b'{', b'}')
        };
        let Some(length) = matching_close(&rest[start..], close_open, close) else {
            // An unmatched bracket is literal text.
            out.push_str(&rest[start..]);
            return (out, all_set);
        };
        let inner = &rest[start + 1..start + length];
        if opener == b'[' {
            let (value, set) = reference(inner, references, depth);
            all_set &= set;
            out.push_str(&value);
        } else {
            out.push_str(&group(inner, references, depth));
        }
        rest = &rest[start + length + 1..];
    }
    out.push_str(rest);
    (out, all_set)
}

/// The byte length up to the bracket that closes the one `text` starts with.
fn matching_close(text: &str, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        // `[\x]` escapes one character, which may itself be a bracket.
        if open == b'[' && bytes[index] == b'[' && bytes.get(index + 1) == Some(&b'\\') {
            if depth == 0 && bytes.get(index + 3) == Some(&b']') {
                return Some(index + 3);
            }
            index += 3;
            continue;
        }
        if bytes[index] == open {
            depth += 1;
        } else if bytes[index] == close {
            // A close at depth 0 follows an opening `[\` that was no `[\x]` escape: unmatched.
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(index);
            }
        }
        index += 1;
    }
    None
}

fn reference(inner: &str, references: &dyn References, depth: usize) -> (String, bool) {
    // Nested references name the property to read: `[[NAME]]`.
    let inner = if inner.contains('[') {
        deformat_with_state(inner, references, depth + 1).0
    } else {
        inner.to_string()
    };
    if let Some(escaped) = inner.strip_prefix('\\') {
        return (escaped.chars().take(1).collect(), true);
    }
    if inner == "~" {
        return ("\0".to_string(), true);
    }
    let (value, is_property) = match inner.as_bytes().first() {
        Some(b'#' | b'!') => (references.file_path(&inner[1..]), false),
        Some(b'$') => (references.component_folder(&inner[1..]), false),
        Some(b'%') => (references.environment(&inner[1..]), false),
        _ => (references.property(&inner), true),
    };
    let set = value.as_deref().is_some_and(|value| !value.is_empty());
    (value.unwrap_or_default(), set || !is_property)
}

fn group(inner: &str, references: &dyn References, depth: usize) -> String {
    if !inner.contains('[') {
        return format!("{{{inner}}}");
    }
    let (expanded, all_set) = deformat_with_state(inner, references, depth + 1);
    if all_set {
        expanded
    } else {
        String::new()
    }
}

/// A registry value's data as Windows Installer writes it.
/// In JSON `{"type": "dword", "value": 1}`; a key-only row is `{"type": "key_only"}`
/// (`key_kept` for a `+` row).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum WrittenData {
    String(String),
    ExpandString(String),
    MultiString(Vec<String>),
    Dword(i32),
    Binary(Vec<u8>),
    /// A `*` row: creates the key at install; uninstall deletes it with everything under it.
    KeyOnly,
    /// A `+` row: creates the key at install; uninstall leaves it.
    KeyKept,
}

/// Whose reading of a `#x` or `#` value that is not plain hex or a plain integer to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Windows,
    /// Wine's `dlls/msi` (measured): a `#` value is always a DWORD of its leading digits, and
    /// an empty tail deformats to `1: ` (an empty format string's record dump).
    Wine,
}

/// What Wine deformats an empty tail to.
const WINE_EMPTY_TAIL: &str = "1: ";

/// Decodes a Registry table `Value` (null = `None`): the `#` type prefix first, then the
/// rest is deformatted.
pub fn registry_data(
    value: Option<&str>,
    references: &dyn References,
    dialect: Dialect,
) -> WrittenData {
    let Some(value) = value else {
        return WrittenData::KeyOnly;
    };
    let tail = |text: &str| match deformat(text, references) {
        empty if empty.is_empty() && dialect == Dialect::Wine => WINE_EMPTY_TAIL.to_string(),
        deformatted => deformatted,
    };
    if let Some(literal) = value.strip_prefix("##") {
        return WrittenData::String(format!("#{}", deformat(literal, references)));
    }
    if let Some(hex) = value
        .strip_prefix("#x")
        .or_else(|| value.strip_prefix("#X"))
    {
        return WrittenData::Binary(match dialect {
            Dialect::Windows => parse_hex(&deformat(hex, references)),
            Dialect::Wine => wine_hex(&tail(hex)),
        });
    }
    if let Some(text) = value.strip_prefix("#%") {
        return WrittenData::ExpandString(deformat(text, references));
    }
    if let Some(number) = value.strip_prefix('#') {
        if dialect == Dialect::Wine {
            return WrittenData::Dword(leading_integer(&tail(number)));
        }
        let number = deformat(number, references);
        return match number.trim().parse::<i64>() {
            Ok(value) => WrittenData::Dword(value as i32),
            // Not an integer: Windows Installer writes the text as a string.
            Err(_) => WrittenData::String(number),
        };
    }
    let text = deformat(value, references);
    if value.starts_with("[~]") || value.ends_with("[~]") || text.contains('\0') {
        let items = text
            .split('\0')
            .filter(|item| !item.is_empty())
            .map(str::to_string)
            .collect();
        return WrittenData::MultiString(items);
    }
    WrittenData::String(text)
}

/// An optional `-` and the digits after it, up to the first other character (none: 0),
/// wrapping as a DWORD does.
fn leading_integer(text: &str) -> i32 {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0u32, |total, digit| {
            total.wrapping_mul(10).wrapping_add(u32::from(digit - b'0'))
        });
    let value = if text.starts_with('-') {
        magnitude.wrapping_neg()
    } else {
        magnitude
    };
    value as i32
}

/// Wine's hex: a leading `0` pads an odd length, then each pair of characters is a byte of
/// its leading hex digits (`5Z` is 5, `Z5` is 0).
fn wine_hex(text: &str) -> Vec<u8> {
    let chars: Vec<char> = text.chars().collect();
    let padded: Vec<char> = if chars.len() % 2 == 1 {
        std::iter::once('0').chain(chars).collect()
    } else {
        chars
    };
    padded
        .chunks_exact(2)
        .map(|pair| {
            let high = pair[0].to_digit(16);
            match (high, pair[1].to_digit(16)) {
                (Some(high), Some(low)) => (high << 4 | low) as u8,
                (Some(high), None) => high as u8,
                (None, _) => 0,
            }
        })
        .collect()
}

fn parse_hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|digit| (digit as char).to_digit(16).unwrap_or(0) as u8)
        .collect();
    // An odd count has an implied leading zero.
    let padded: Vec<u8> = if digits.len() % 2 == 1 {
        std::iter::once(0).chain(digits).collect()
    } else {
        digits
    };
    padded
        .chunks_exact(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_only_fills_in_properties_and_reverses_escaping() {
        let properties =
            std::collections::BTreeMap::from([("VersionNT".to_string(), "603".to_string())]);
        let references = PropertiesOnly(&properties);
        assert_eq!(
            deformat("VersionNT [VersionNT], build [UNSET].", &references),
            "VersionNT 603, build ."
        );
        let literal = "a [b] {c}";
        assert_eq!(
            deformat(&crate::formatted::escape_literal(literal), &references),
            literal
        );
    }
    use std::collections::BTreeMap;

    struct Fixed(BTreeMap<&'static str, &'static str>);

    impl References for Fixed {
        fn property(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|value| value.to_string())
        }
        fn file_path(&self, file: &str) -> Option<String> {
            (file == "dll").then(|| r"C:\Program Files\X\x.dll".to_string())
        }
        fn component_folder(&self, component: &str) -> Option<String> {
            (component == "comp").then(|| r"C:\Program Files\X\".to_string())
        }
        fn environment(&self, name: &str) -> Option<String> {
            (name == "TEMP").then(|| r"C:\Temp".to_string())
        }
    }

    fn references() -> Fixed {
        Fixed(BTreeMap::from([("P", "v"), ("NAME", "P"), ("EMPTY", "")]))
    }

    /// Measured on Wine 8 (a wixl package with these rows, installed on a win8 prefix).
    #[test]
    fn wine_reads_every_hash_value_as_a_dword_of_its_leading_digits() {
        let wine = |value| registry_data(Some(value), &references(), Dialect::Wine);
        for (value, dword) in [
            ("#", 1),
            ("#abc", 0),
            ("#5x", 5),
            ("#-", 0),
            ("#[UNSET]", 1),
            ("#[UNSET]7", 7),
            ("#-12", -12),
            ("#42", 42),
        ] {
            assert_eq!(wine(value), WrittenData::Dword(dword), "{value}");
        }
        assert_eq!(wine("#x"), WrittenData::Binary(vec![1, 0]));
        assert_eq!(wine("#x0A0B"), WrittenData::Binary(vec![10, 11]));
        assert_eq!(wine("#%"), WrittenData::ExpandString(String::new()));
        assert_eq!(wine("##"), WrittenData::String("#".into()));
        let windows = registry_data(Some("#abc"), &references(), Dialect::Windows);
        assert_eq!(windows, WrittenData::String("abc".into()));
    }

    #[test]
    fn formatted_text_expands_like_msiformatrecord() {
        let cases = [
            ("plain", "plain"),
            ("a[P]b", "avb"),
            ("[UNSET]x", "x"),
            ("[[NAME]]", "v"),
            ("[#dll]", r"C:\Program Files\X\x.dll"),
            ("[!dll]", r"C:\Program Files\X\x.dll"),
            ("[$comp]", r"C:\Program Files\X\"),
            ("[%TEMP]", r"C:\Temp"),
            (r"[\[]x[\]]", "[x]"),
            ("{86D2F0AC-2171}", "{86D2F0AC-2171}"),
            ("{a[P]b}", "avb"),
            ("{a[UNSET]b}", ""),
            ("{a[EMPTY]b}", ""),
            ("open [ bracket", "open [ bracket"),
        ];
        for (text, expected) in cases {
            assert_eq!(deformat(text, &references()), expected, "{text}");
        }
    }

    #[test]
    fn registry_prefixes_choose_the_value_type() {
        use WrittenData::*;
        let cases = [
            (Some("#1"), Dword(1)),
            (Some("#-1"), Dword(-1)),
            (Some("#4294967295"), Dword(-1)),
            (Some("##1"), String("#1".into())),
            (Some("#%[P]\\x"), ExpandString("v\\x".into())),
            (Some("#x0A00ff"), Binary(vec![0x0A, 0x00, 0xFF])),
            (Some("#xA"), Binary(vec![0x0A])),
            (
                Some("[~]a[~]b[~]"),
                MultiString(vec!["a".into(), "b".into()]),
            ),
            (Some("[#dll]"), String(r"C:\Program Files\X\x.dll".into())),
            (Some("#[P]"), String("v".into())),
            (None, KeyOnly),
        ];
        for (value, expected) in cases {
            assert_eq!(
                registry_data(value, &references(), Dialect::Windows),
                expected,
                "{value:?}"
            );
        }
    }

    #[test]
    fn reads_back_what_the_builder_escapes() {
        use crate::formatted::registry_value;
        use crate::formatted::RegistryData as Intent;
        let cases = [
            (
                Intent::String("#[x]{y} plain".into()),
                WrittenData::String("#[x]{y} plain".into()),
            ),
            (
                Intent::ExpandString("%SystemRoot%\\[a]".into()),
                WrittenData::ExpandString("%SystemRoot%\\[a]".into()),
            ),
            (
                Intent::MultiString(vec!["a".into(), "[b]".into()]),
                WrittenData::MultiString(vec!["a".into(), "[b]".into()]),
            ),
            (Intent::Dword(0xA00), WrittenData::Dword(0xA00)),
            (Intent::Dword(u32::MAX), WrittenData::Dword(-1)),
            (
                Intent::Binary(vec![1, 0xAB]),
                WrittenData::Binary(vec![1, 0xAB]),
            ),
            (
                Intent::FilePath {
                    file: "dll".into(),
                    expand: true,
                },
                WrittenData::ExpandString(r"C:\Program Files\X\x.dll".into()),
            ),
        ];
        for (intent, written) in cases {
            let formatted = registry_value(&intent);
            assert_eq!(
                registry_data(Some(&formatted), &references(), Dialect::Windows),
                written,
                "{formatted}"
            );
        }
    }

    /// Found by scripts/fuzz.sh (debug build): `[\[~]` opens with an escape that is not `[\x]`,
    /// and its `]` then took the bracket depth below zero (an overflow panic in debug builds).
    #[test]
    fn a_close_after_a_broken_escape_does_not_underflow() {
        for text in ["[\\[~]", "#x[P]{[Q]}[~][\\[~][\\[][#F]"] {
            let expanded = deformat(text, &references());
            assert!(expanded.contains("[\\["), "{text:?} became {expanded:?}");
        }
    }

    /// Issue 20 items 1 and 2: `[`×32000 … `]`×32000 overflowed the stack, and `{[`×100k took
    /// quadratic time. Both now finish at once (in a thread with a deadline, and on a small
    /// stack, as a worker thread might have).
    #[test]
    fn deep_nesting_neither_overflows_nor_takes_quadratic_time() {
        let hostile = [
            format!("{}X{}", "[".repeat(32_000), "]".repeat(32_000)),
            "{[".repeat(100_000),
            format!("{}P{}", "{[".repeat(50_000), "]}".repeat(50_000)),
            "[]".repeat(25_000),
        ];
        for text in hostile {
            let (sender, receiver) = std::sync::mpsc::channel();
            let worker = std::thread::Builder::new().stack_size(256 * 1024);
            let _ = worker.spawn(move || {
                let _ = sender.send(deformat(&text, &references()).len());
            });
            let expanded = receiver.recv_timeout(std::time::Duration::from_secs(10));
            assert!(expanded.is_ok(), "deformat did not finish (or overflowed)");
        }
    }
}
