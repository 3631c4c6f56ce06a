//! Names Windows treats specially in a path component: a folder an installer creates under
//! Program Files must not be one of them, or it resolves elsewhere (`..`) or to a device.

/// Why `name` cannot be a Windows path component, if it cannot.
pub fn path_component_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("an empty name".into());
    }
    if name.chars().all(|c| c == '.') {
        return Some(format!("`{name}` names a folder relative to its parent"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| r#"\/:*?"<>|"#.contains(*c) || c.is_control())
    {
        return Some(format!(
            "`{}` cannot appear in a Windows folder name",
            bad.escape_default()
        ));
    }
    if name.ends_with(['.', ' ']) {
        return Some("Windows drops a trailing dot or space from a folder name".into());
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if is_device_name(stem) {
        return Some(format!("`{stem}` is a device name Windows reserves"));
    }
    None
}

/// CON, PRN, AUX, NUL, COM0–9 and LPT0–9 (with the superscript digits Windows also reserves),
/// in any case.
fn is_device_name(stem: &str) -> bool {
    let upper = stem.to_ascii_uppercase();
    if matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) {
        return true;
    }
    let Some(digit) = upper
        .strip_prefix("COM")
        .or_else(|| upper.strip_prefix("LPT"))
    else {
        return false;
    };
    let mut chars = digit.chars();
    matches!(
        (chars.next(), chars.next()),
        (Some('0'..='9' | '¹' | '²' | '³'), None)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_names_are_refused_and_ordinary_ones_kept() {
        for bad in [
            "",
            ".",
            "..",
            "...",
            "CON",
            "con",
            "NUL",
            "Nul.txt",
            "COM1",
            "lpt9",
            "COM¹",
            "AUX ",
            "Contoso.",
            "Contoso ",
            "a/b",
            "a\\b",
            "a:b",
            "tab\there",
        ] {
            assert!(path_component_problem(bad).is_some(), "{bad:?}");
        }
        for good in [
            "Contoso",
            "SSPR Sign-in",
            "Contoso Ltd.x",
            "CONTOSO",
            "COM10",
            "Console",
        ] {
            assert_eq!(path_component_problem(good), None, "{good:?}");
        }
    }
}
