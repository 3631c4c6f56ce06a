//! The one XML text escape the bundle's XML files (Detection.xml, ADMX/ADML, Registry.xml) use:
//! the same as the reports'.

pub use crate::verify::markup::escape;

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
