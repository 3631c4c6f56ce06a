//! The long names inside Directory and File name columns (`short|long`, `target:source`).

/// DefaultDir `target:source`, each `SHORT~1|Long Name`: the long target name.
pub fn long_target_dir(default_dir: &str) -> &str {
    long_name(default_dir.split(':').next().unwrap_or(default_dir))
}

/// `SHORT~1.EXT|Long Name.ext` → the long name (a name without `|` is its own long name).
pub fn long_name(name: &str) -> &str {
    name.rsplit('|').next().unwrap_or(name)
}

/// `SHORT~1.EXT|Long Name.ext` → the short name (a name without `|` is its own short name).
pub fn short_name(name: &str) -> &str {
    name.split('|').next().unwrap_or(name)
}

/// DefaultDir `target:source` → the source part, `short|long` (the target when there is none).
pub fn source_dir(default_dir: &str) -> &str {
    default_dir.rsplit(':').next().unwrap_or(default_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_long_target_name_is_read_from_every_form() {
        assert_eq!(long_target_dir("CONTOS~1|Contoso IT"), "Contoso IT");
        assert_eq!(long_target_dir("TGT~1|Target:SRC~1|Source"), "Target");
        assert_eq!(long_target_dir("."), ".");
        assert_eq!(
            long_name("SSPRTE~1.DLL|SsprTestCredProv.dll"),
            "SsprTestCredProv.dll"
        );
        assert_eq!(long_name("x.dll"), "x.dll");
    }

    #[test]
    fn the_source_part_and_the_short_form_are_read_from_every_form() {
        assert_eq!(source_dir("TGT~1|Target:SRC~1|Source"), "SRC~1|Source");
        assert_eq!(source_dir("APP~1|Contoso App"), "APP~1|Contoso App");
        assert_eq!(short_name("SRC~1|Source"), "SRC~1");
        assert_eq!(short_name("Source"), "Source");
    }
}
