//! Windows Installer's Formatted text, both ways: registry data → the Registry table's
//! `Value` column (here), and Formatted strings read back (`deformat`).
//!
//! This is the one place that escapes literal text: Windows Installer expands `[...]` and
//! `{...}` and reads a leading `#` as a type prefix, so a literal value must escape them.

pub mod deformat;

/// The data of a registry value, as the admin means it (literal text, not MSI Formatted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryData {
    String(String),
    ExpandString(String),
    MultiString(Vec<String>),
    Dword(u32),
    Binary(Vec<u8>),
    /// The installed path of one of the package's files, as a string or expandable string.
    FilePath {
        file: String,
        expand: bool,
    },
    /// Text Windows Installer formats at install time, e.g. `[PROPERTY]`.
    Formatted(String),
}

/// Escapes literal text so Windows Installer writes it unchanged: `[`, `]`, `{`, `}` become
/// `[\[]`, `[\]]`, `[\{]`, `[\}]`.
pub fn escape_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '[' | ']' | '{' | '}' => {
                escaped.push_str("[\\");
                escaped.push(character);
                escaped.push(']');
            }
            _ => escaped.push(character),
        }
    }
    escaped
}

/// The Registry table `Value` for `data`.
pub fn registry_value(data: &RegistryData) -> String {
    match data {
        // A leading `#` is a type prefix; `##` means "a string starting with #".
        RegistryData::String(text) if text.starts_with('#') => format!("#{}", escape_literal(text)),
        RegistryData::String(text) => escape_literal(text),
        RegistryData::ExpandString(text) => format!("#%{}", escape_literal(text)),
        RegistryData::MultiString(items) => {
            let items: Vec<String> = items.iter().map(|item| escape_literal(item)).collect();
            format!("[~]{}[~]", items.join("[~]"))
        }
        // Windows Installer reads `#n` as a signed 32-bit integer.
        RegistryData::Dword(value) => format!("#{}", *value as i32),
        RegistryData::Binary(bytes) => {
            let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
            format!("#x{hex}")
        }
        RegistryData::FilePath {
            file,
            expand: false,
        } => format!("[#{file}]"),
        RegistryData::FilePath { file, expand: true } => format!("#%[#{file}]"),
        RegistryData::Formatted(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use RegistryData::*;

    #[test]
    fn registry_values_are_encoded_by_type() {
        let cases: &[(RegistryData, &str)] = &[
            (String("plain text".into()), "plain text"),
            (String("#[x]{y}".into()), "##[\\[]x[\\]][\\{]y[\\}]"),
            (String("a#b".into()), "a#b"),
            (String("##".into()), "###"),
            (String("[ProductName]".into()), "[\\[]ProductName[\\]]"),
            (String("[~]".into()), "[\\[]~[\\]]"),
            (ExpandString("%SystemRoot%\\x".into()), "#%%SystemRoot%\\x"),
            (
                MultiString(vec!["a".into(), "[b]".into()]),
                "[~]a[~][\\[]b[\\]][~]",
            ),
            (Dword(1), "#1"),
            (Dword(0xA00), "#2560"),
            (Dword(u32::MAX), "#-1"),
            (Binary(vec![0x0a, 0xff]), "#x0AFF"),
            (
                FilePath {
                    file: "Dll".into(),
                    expand: false,
                },
                "[#Dll]",
            ),
            (
                FilePath {
                    file: "Dll".into(),
                    expand: true,
                },
                "#%[#Dll]",
            ),
            (Formatted("[PROXY]".into()), "[PROXY]"),
        ];
        for (data, expected) in cases {
            assert_eq!(registry_value(data), *expected, "{data:?}");
        }
    }
}
