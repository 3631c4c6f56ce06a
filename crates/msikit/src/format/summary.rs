//! The summary information stream's format ([MS-OLEPS] property set, Windows Installer SDK
//! "Summary Information Stream Property Set"): property ids, value types and the text forms
//! of Template and Keywords, for the encoder and the reader alike.

use uuid::Uuid;

/// The section of the property set that holds the summary properties.
pub const FMTID: Uuid = Uuid::from_u128(0xF29F85E0_4FF9_1068_AB91_08002B27B3D9);

/// Property ids.
pub mod id {
    pub const CODEPAGE: u32 = 1;
    pub const TITLE: u32 = 2;
    pub const SUBJECT: u32 = 3;
    pub const AUTHOR: u32 = 4;
    pub const KEYWORDS: u32 = 5;
    pub const COMMENTS: u32 = 6;
    /// `platform;language,language…`
    pub const TEMPLATE: u32 = 7;
    pub const LAST_AUTHOR: u32 = 8;
    /// The package code.
    pub const REVISION: u32 = 9;
    pub const CREATED: u32 = 12;
    pub const LAST_SAVED: u32 = 13;
    /// The minimum installer version, times 100.
    pub const PAGE_COUNT: u32 = 14;
    /// Source flags (2: compressed).
    pub const WORD_COUNT: u32 = 15;
    pub const CHAR_COUNT: u32 = 16;
    pub const CREATING_APPLICATION: u32 = 18;
    pub const SECURITY: u32 = 19;
}

/// Value types (VARTYPE).
pub mod vt {
    pub const EMPTY: u32 = 0;
    pub const I2: u32 = 2;
    pub const I4: u32 = 3;
    pub const LPSTR: u32 = 30;
    pub const FILETIME: u32 = 64;
}

/// How Keywords separates its words, as Windows Installer and msitools write them.
pub const KEYWORD_SEPARATOR: &str = "; ";

/// 1970-01-01 in FILETIME units (100-nanosecond intervals since 1601-01-01).
pub const UNIX_EPOCH_FILETIME: u64 = 116_444_736_000_000_000;

/// A Unix time in seconds as a FILETIME.
pub fn filetime(unix_seconds: u64) -> u64 {
    UNIX_EPOCH_FILETIME + unix_seconds * 10_000_000
}

/// Template's text: `x64;1033`.
pub fn template(platform: &str, language: u16) -> String {
    format!("{platform};{language}")
}

/// Template's platform and language ids; either may be empty.
pub fn split_template(template: &str) -> (&str, Vec<&str>) {
    let (platform, languages) = template.split_once(';').unwrap_or((template, ""));
    let languages = languages
        .split(',')
        .filter(|language| !language.is_empty())
        .collect();
    (platform, languages)
}

/// Keywords' words, trailing blanks dropped.
pub fn split_keywords(keywords: &str) -> Vec<&str> {
    if keywords.is_empty() {
        return Vec::new();
    }
    keywords
        .split(KEYWORD_SEPARATOR)
        .map(str::trim_end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_text_round_trips() {
        assert_eq!(template("x64", 1033), "x64;1033");
        assert_eq!(split_template("x64;1033"), ("x64", vec!["1033"]));
        assert_eq!(
            split_template("Intel;1033,1031"),
            ("Intel", vec!["1033", "1031"])
        );
        assert_eq!(split_template("Arm64"), ("Arm64", vec![]));
        assert_eq!(split_template(""), ("", vec![]));
    }

    #[test]
    fn keywords_split_as_written() {
        let words = ["Installer", "SSPR", "win10-x64"];
        assert_eq!(split_keywords(&words.join(KEYWORD_SEPARATOR)), words);
        assert!(split_keywords("").is_empty());
    }
}
