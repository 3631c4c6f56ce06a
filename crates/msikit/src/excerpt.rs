//! Input quoted in a message, cut to a readable length: a stranger's 100 MB line must not
//! become a 100 MB message.

/// `text` up to `max_chars` characters, then how long it was.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}… ({} bytes in all)", &text[..cut], text.len()),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_at_a_character_boundary_and_short_text_kept() {
        assert_eq!(excerpt("short", 80), "short");
        assert_eq!(excerpt("ééé", 2), "éé… (6 bytes in all)");
    }
}
