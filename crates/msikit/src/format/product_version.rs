//! ProductVersion as Windows Installer compares it: `major.minor.build`.

use std::fmt;

/// `major.minor.build` with Windows Installer's limits (255.255.65535).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProductVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
}

impl ProductVersion {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(format!(
                "expected a version `major.minor.build` (e.g. 1.2.3), found `{text}`"
            ));
        }
        let field = |index: usize, max: u32| -> Result<u32, String> {
            let part = parts[index];
            match part.parse::<u32>() {
                Ok(value) if value <= max && !part.starts_with('+') => Ok(value),
                _ => Err(format!(
                    "version field `{part}` in `{text}` must be a whole number from 0 to {max} \
                     (Windows Installer compares only major.minor.build)"
                )),
            }
        };
        Ok(ProductVersion {
            major: field(0, 255)? as u8,
            minor: field(1, 255)? as u8,
            build: field(2, 65535)? as u16,
        })
    }
}

impl fmt::Display for ProductVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.build)
    }
}
