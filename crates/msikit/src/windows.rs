//! Windows versions as installers tell them apart. `VersionNT` is 603 on Windows 8.1, 10 and
//! 11 alike (msiexec is not manifested for newer versions), so the build number decides.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OsFamily {
    Win7,
    Win8,
    Win81,
    Win10,
    Win11,
}

impl OsFamily {
    pub fn label(self) -> &'static str {
        match self {
            OsFamily::Win7 => "Windows 7",
            OsFamily::Win8 => "Windows 8",
            OsFamily::Win81 => "Windows 8.1",
            OsFamily::Win10 => "Windows 10",
            OsFamily::Win11 => "Windows 11",
        }
    }
}

/// First build of Windows 10 (1507): Windows 8.1 reports VersionNT 603 like 10 and 11, and
/// Wine's 8.1 even has `CurrentMajorVersionNumber` (6), so the build number tells them apart.
pub const WINDOWS10_FIRST_BUILD: u32 = 10240;

/// First build of Windows 11.
pub const WINDOWS11_FIRST_BUILD: u32 = 22000;

/// The processor architecture Windows runs natively on (what the Template's platform is
/// checked against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Processor {
    X86,
    X64,
    Arm64,
}

impl Processor {
    /// `PROCESSOR_ARCHITECTURE` as Windows spells it natively (`x86`, `AMD64`, `ARM64`).
    pub fn from_environment(value: &str) -> Option<Processor> {
        match value.trim().to_ascii_uppercase().as_str() {
            "X86" => Some(Processor::X86),
            "AMD64" => Some(Processor::X64),
            "ARM64" => Some(Processor::Arm64),
            _ => None,
        }
    }

    pub fn is_64bit(self) -> bool {
        self != Processor::X86
    }
}
