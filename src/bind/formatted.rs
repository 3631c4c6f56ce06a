//! Registry data → the Registry table's `Value` column, a Windows Installer Formatted string.
//!
//! This is the one place that escapes literal text: Windows Installer expands `[...]` and
//! `{...}` and reads a leading `#` as a type prefix, so a literal value must escape them.

use crate::model::RegistryData;

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

/// What Windows Installer shows for a Formatted string (a launch-condition message): `[NAME]`
/// becomes the property's value (empty when unset) and `[\x]` the character `x`; anything
/// else is kept as written.
pub fn expand(text: &str, properties: &std::collections::BTreeMap<String, String>) -> String {
    let mut expanded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        expanded.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // `[\x]`: the escaped character may itself be `]`.
        let mut escape = after.chars();
        if let (Some('\\'), Some(escaped), Some(']')) =
            (escape.next(), escape.next(), escape.next())
        {
            expanded.push(escaped);
            rest = escape.as_str();
            continue;
        }
        let Some(close) = after.find(']') else {
            rest = &rest[open..];
            break;
        };
        let inner = &after[..close];
        if !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            expanded.push_str(properties.get(inner).map_or("", String::as_str));
        } else {
            expanded.push_str(&rest[open..open + close + 2]);
        }
        rest = &after[close + 1..];
    }
    expanded.push_str(rest);
    expanded
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

    #[test]
    fn expand_reverses_escaping_and_fills_in_properties() {
        let properties =
            std::collections::BTreeMap::from([("VersionNT".to_string(), "603".to_string())]);
        assert_eq!(
            expand("VersionNT [VersionNT], build [UNSET].", &properties),
            "VersionNT 603, build ."
        );
        let literal = "a [b] {c}";
        assert_eq!(expand(&escape_literal(literal), &properties), literal);
        assert_eq!(expand("[unclosed", &properties), "[unclosed");
        assert_eq!(expand("[~] [$Comp] é[", &properties), "[~] [$Comp] é[");
    }
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
