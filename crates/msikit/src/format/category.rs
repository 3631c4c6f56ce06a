//! `_Validation` column categories: what syntax a string column's values must have.

use std::fmt;
use std::str::FromStr;

/// A `_Validation.Category`, as the Windows Installer SDK names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Text,
    UpperCase,
    LowerCase,
    Integer,
    DoubleInteger,
    Number,
    TimeDate,
    Identifier,
    Property,
    Filename,
    WildCardFilename,
    Path,
    Paths,
    AnyPath,
    DefaultDir,
    RegPath,
    Formatted,
    FormattedSddlText,
    Template,
    Condition,
    Guid,
    Version,
    Language,
    Binary,
    CustomSource,
    Cabinet,
    Shortcut,
}

impl Category {
    /// Every category, in the order `_Validation`'s own Category column lists them.
    pub const ALL: [Category; 27] = [
        Category::Text,
        Category::UpperCase,
        Category::LowerCase,
        Category::Integer,
        Category::DoubleInteger,
        Category::Number,
        Category::TimeDate,
        Category::Identifier,
        Category::Property,
        Category::Filename,
        Category::WildCardFilename,
        Category::Path,
        Category::Paths,
        Category::AnyPath,
        Category::DefaultDir,
        Category::RegPath,
        Category::Formatted,
        Category::FormattedSddlText,
        Category::Template,
        Category::Condition,
        Category::Guid,
        Category::Version,
        Category::Language,
        Category::Binary,
        Category::CustomSource,
        Category::Cabinet,
        Category::Shortcut,
    ];

    /// The name `_Validation` stores.
    pub fn name(self) -> &'static str {
        match self {
            Category::Text => "Text",
            Category::UpperCase => "UpperCase",
            Category::LowerCase => "LowerCase",
            Category::Integer => "Integer",
            Category::DoubleInteger => "DoubleInteger",
            Category::Number => "Number",
            Category::TimeDate => "TimeDate",
            Category::Identifier => "Identifier",
            Category::Property => "Property",
            Category::Filename => "Filename",
            Category::WildCardFilename => "WildCardFilename",
            Category::Path => "Path",
            Category::Paths => "Paths",
            Category::AnyPath => "AnyPath",
            Category::DefaultDir => "DefaultDir",
            Category::RegPath => "RegPath",
            Category::Formatted => "Formatted",
            Category::FormattedSddlText => "FormattedSDDLText",
            Category::Template => "Template",
            Category::Condition => "Condition",
            Category::Guid => "GUID",
            Category::Version => "Version",
            Category::Language => "Language",
            Category::Binary => "Binary",
            Category::CustomSource => "CustomSource",
            Category::Cabinet => "Cabinet",
            Category::Shortcut => "Shortcut",
        }
    }

    /// Whether `text` has this category's syntax. Categories whose syntax depends on other
    /// tables (Formatted, Condition, paths) accept any text here.
    pub fn accepts(self, text: &str) -> bool {
        match self {
            Category::UpperCase => !text.chars().any(|c| c.is_ascii_lowercase()),
            Category::LowerCase => !text.chars().any(|c| c.is_ascii_uppercase()),
            Category::Integer => text.parse::<i16>().is_ok(),
            Category::DoubleInteger | Category::Number => text.parse::<i32>().is_ok(),
            Category::Identifier => is_identifier(text),
            Category::Property => is_identifier(text.strip_prefix('%').unwrap_or(text)),
            Category::Guid => is_guid(text),
            Category::Version => {
                text.split('.').count() <= 4 && text.split('.').all(|p| p.parse::<u16>().is_ok())
            }
            Category::Language => text.split(',').all(|part| part.parse::<u16>().is_ok()),
            Category::Cabinet => match text.strip_prefix('#') {
                Some(stream) => is_identifier(stream),
                None => is_short_file_name(text),
            },
            _ => true,
        }
    }
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}

/// `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` in upper case.
fn is_guid(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) else {
        return false;
    };
    inner.len() == 36
        && inner.char_indices().all(|(index, c)| match index {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_digit() || ('A'..='F').contains(&c),
        })
}

/// An 8.3 name: up to eight characters, then optionally a dot and up to three.
fn is_short_file_name(text: &str) -> bool {
    let (stem, extension) = text.rsplit_once('.').unwrap_or((text, ""));
    !stem.is_empty() && stem.len() <= 8 && extension.len() <= 3
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no `_Validation` category.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category {0:?}")]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(name: &str) -> Result<Category, UnknownCategory> {
        let alias = match name {
            "Guid" => Some(Category::Guid),
            "FormattedSddlText" => Some(Category::FormattedSddlText),
            _ => None,
        };
        alias
            .or_else(|| Category::ALL.into_iter().find(|c| c.name() == name))
            .ok_or_else(|| UnknownCategory(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for category in Category::ALL {
            assert_eq!(category.name().parse::<Category>(), Ok(category));
        }
        assert_eq!("Guid".parse::<Category>(), Ok(Category::Guid));
        assert!("Nonsense".parse::<Category>().is_err());
    }

    #[test]
    fn syntax_checks() {
        let cases: &[(Category, &str, bool)] = &[
            (Category::Identifier, "_Ok.1", true),
            (Category::Identifier, "1abc", false),
            (Category::Identifier, "a-b", false),
            (Category::Property, "%PATH", true),
            (
                Category::Guid,
                "{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}",
                true,
            ),
            (
                Category::Guid,
                "{86d2f0ac-2171-46cf-9998-4e33b3d7fd4f}",
                false,
            ),
            (
                Category::Guid,
                "86D2F0AC-2171-46CF-9998-4E33B3D7FD4F",
                false,
            ),
            (Category::Version, "1.2.3.4", true),
            (Category::Version, "1.2.3.4.5", false),
            (Category::Version, "1.70000", false),
            (Category::Language, "1033,1031", true),
            (Category::UpperCase, "ABC_1", true),
            (Category::UpperCase, "AbC", false),
            (Category::Cabinet, "#sspr.cab", true),
            (Category::Cabinet, "disk1.cab", true),
            (Category::Cabinet, "toolongname.cab", false),
            (Category::Integer, "70000", false),
            (Category::Text, "anything [at] all", true),
        ];
        for (category, text, accepted) in cases {
            assert_eq!(category.accepts(text), *accepted, "{category} {text:?}");
        }
    }
}
