//! The one text escape for XML and HTML: the JUnit and HTML reports (a package is anyone's
//! file, so every string is escaped) and the release bundle's XML files. Characters XML 1.0
//! cannot carry at all are shown as `\u{..}` instead of making the document unreadable.

/// `text` safe inside an element or a quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_characters_xml_forbids_are_neutralised() {
        assert_eq!(
            escape("<script>alert('x&y')</script>\u{1}\u{FFFF}"),
            "&lt;script&gt;alert(&apos;x&amp;y&apos;)&lt;/script&gt;\\u{1}\\u{ffff}"
        );
    }
}
