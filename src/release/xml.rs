//! The one XML text escape the bundle's XML files (Detection.xml, ADMX/ADML, Registry.xml) use.

/// `text` safe inside an XML element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            super::escape(r#"A & B <"C"> 'D'"#),
            "A &amp; B &lt;&quot;C&quot;&gt; &apos;D&apos;"
        );
    }
}
