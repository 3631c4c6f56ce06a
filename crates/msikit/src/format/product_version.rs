//! ProductVersion as Windows Installer compares it: `major.minor.build`.

use std::fmt;

/// `major.minor.build` with Windows Installer's limits (255.255.65535).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProductVersion {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
}

/// Why a text is not a ProductVersion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("expected a version `major.minor.build` (e.g. 1.2.3), found `{0}`")]
    NotThreeFields(String),
    #[error(
        "version field `{field}` in `{text}` must be a whole number from 0 to {max} \
         (Windows Installer compares only major.minor.build)"
    )]
    Field {
        field: String,
        text: String,
        max: u32,
    },
}

impl ProductVersion {
    pub fn parse(text: &str) -> Result<Self, VersionError> {
        let parts: Vec<&str> = text.split('.').collect();
        if parts.len() != 3 {
            return Err(VersionError::NotThreeFields(text.to_string()));
        }
        let field = |index: usize, max: u32| -> Result<u32, VersionError> {
            let part = parts[index];
            match part.parse::<u32>() {
                Ok(value) if value <= max && !part.starts_with('+') => Ok(value),
                _ => Err(VersionError::Field {
                    field: part.to_string(),
                    text: text.to_string(),
                    max,
                }),
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
