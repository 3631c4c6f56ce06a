//! Windows Installer's `short|long` names for the Directory and File tables.

use std::collections::BTreeSet;

/// The short names given so far, per folder: a short name must be unique in its folder.
#[derive(Debug, Default)]
pub struct ShortNames<'a> {
    taken: std::collections::BTreeMap<&'a str, BTreeSet<String>>,
}

impl<'a> ShortNames<'a> {
    /// The DefaultDir/FileName value for `long` in the folder `parent`.
    pub fn name_in(&mut self, parent: &'a str, long: &str) -> String {
        short_and_long(long, self.taken.entry(parent).or_default())
    }
}

/// `SHORT~N.EXT|Long name`, or just the name when it already is a valid 8.3 name.
/// `taken` holds the short names already used in the same folder.
pub fn short_and_long(long: &str, taken: &mut BTreeSet<String>) -> String {
    if is_short_name(long) && taken.insert(long.to_ascii_uppercase()) {
        return long.to_string();
    }
    let (stem, extension) = match long.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, clean(extension, 3)),
        _ => (long, String::new()),
    };
    let stem = clean(stem, 6);
    let stem = if stem.is_empty() {
        "_".to_string()
    } else {
        stem
    };
    for n in 1.. {
        let suffix = format!("~{n}");
        let base: String = stem.chars().take(8 - suffix.len()).collect();
        let short = if extension.is_empty() {
            format!("{base}{suffix}")
        } else {
            format!("{base}{suffix}.{extension}")
        };
        if taken.insert(short.clone()) {
            return format!("{short}|{long}");
        }
    }
    unreachable!("an unused short name always exists")
}

fn clean(text: &str, max: usize) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .map(|c| c.to_ascii_uppercase())
        .take(max)
        .collect()
}

fn is_short_name(name: &str) -> bool {
    let valid = |part: &str, max: usize| {
        !part.is_empty()
            && part.len() <= max
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    match name.split_once('.') {
        Some((stem, extension)) => valid(stem, 8) && valid(extension, 3),
        None => valid(name, 8),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_get_unique_short_names() {
        let mut taken = BTreeSet::new();
        assert_eq!(
            short_and_long("SsprTestCredProv.dll", &mut taken),
            "SSPRTE~1.DLL|SsprTestCredProv.dll"
        );
        assert_eq!(
            short_and_long("SsprTestOther.dll", &mut taken),
            "SSPRTE~2.DLL|SsprTestOther.dll"
        );
        assert_eq!(
            short_and_long("Contoso IT", &mut taken),
            "CONTOS~1|Contoso IT"
        );
        assert_eq!(short_and_long("sspr.dll", &mut taken), "sspr.dll");
        assert_eq!(
            short_and_long("Entra SSPR at Windows sign-in", &mut taken),
            "ENTRAS~1|Entra SSPR at Windows sign-in"
        );
        assert_eq!(short_and_long("...", &mut taken), "_~1|...");
    }
}
