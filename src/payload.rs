//! Payload checks: before a PE file is packaged it must exist, match its pinned SHA-256, be a
//! DLL for the target's machine type, and carry a trusted Authenticode signature. Every
//! failure is a clear error and stops the build.

use crate::error::{Error, Result};
use crate::target::Arch;
use md5::{Digest, Md5};
use msikit::hex::sha256_hex;
use msikit::sign::trust::TrustPolicy;
use msikit::sign::{self, SignatureError, Signer};
use msikit::source::FileSource;
use std::path::{Path, PathBuf};

const IMAGE_FILE_DLL: u16 = 0x2000;
const MACHINE_I386: u16 = 0x014c;
const MACHINE_AMD64: u16 = 0x8664;
const MACHINE_ARM64: u16 = 0xaa64;

/// A payload as the release engineer pinned it in the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadSpec {
    /// The config key that names it, for error messages.
    pub config_key: String,
    pub path: PathBuf,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    pub kind: PeKind,
}

/// Which kind of PE file a payload must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeKind {
    Dll,
    Exe,
}

/// A payload that passed every check. Its bytes are not kept: the package reads them again
/// from `source`, which checks they are still the bytes checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPayload {
    pub path: PathBuf,
    pub source: FileSource,
    pub arch: Arch,
    /// `major.minor.build.revision` from the version resource, when it has one.
    pub file_version: Option<String>,
    /// The version resource's language (LCID), when it has one.
    pub language: Option<u16>,
    /// How far the signature was checked.
    pub trust: Trust,
    /// The MsiFileHash row's four parts (an MD5 of the file as little-endian i32s), for an
    /// unversioned file only (Windows Installer compares a versioned one by its version),
    /// computed once here rather than once per package.
    pub msi_file_hash: Option<[i32; 4]>,
}

/// What is known about the payload's Authenticode signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trust {
    /// Signed, and every check passed.
    Verified(Signer),
    /// Not signed, packaged anyway because unsigned payloads were allowed (test builds).
    UnsignedAllowed,
}

/// How payload signatures are judged.
#[derive(Debug, Clone, Default)]
pub struct PayloadTrust {
    pub policy: TrustPolicy,
    pub allow_unsigned: bool,
}

impl CheckedPayload {
    /// The file name to install under (the payload's own name).
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn msi_file_hash(bytes: &[u8]) -> [i32; 4] {
    let digest = Md5::digest(bytes);
    std::array::from_fn(|i| i32::from_le_bytes(digest[i * 4..i * 4 + 4].try_into().unwrap()))
}

/// Runs every check on `spec` for a package of architecture `arch`.
pub fn check(spec: &PayloadSpec, arch: Arch, trust: &PayloadTrust) -> Result<CheckedPayload> {
    let fail = |message: String| {
        Error::input(
            &spec.path,
            // The path leads the line already: the key says which setting named it.
            format!("{}: {message}", spec.config_key),
        )
    };
    // A device (`/dev/zero`) never ends and a FIFO blocks: only regular files, and no more
    // than a cabinet holds, are read at all (issue 20 item 8).
    let metadata = std::fs::metadata(&spec.path)
        .map_err(|error| fail(format!("cannot read the payload: {error}")))?;
    if !metadata.is_file() {
        return Err(fail("not a regular file".into()));
    }
    if metadata.len() > msikit::cab::MAX_BYTES {
        return Err(fail(format!(
            "{} bytes: more than a cabinet holds ({} bytes)",
            metadata.len(),
            msikit::cab::MAX_BYTES
        )));
    }
    let bytes = std::fs::read(&spec.path)
        .map_err(|error| fail(format!("cannot read the payload: {error}")))?;
    let sha256 = sha256_hex(&bytes);
    if sha256 != spec.sha256 {
        return Err(fail(format!(
            "SHA-256 mismatch: the configuration pins {} but the file has {sha256}; \
             if this file is the one you mean to ship, update the pin",
            spec.sha256
        )));
    }
    if bytes.len() < 64 || !bytes.starts_with(b"MZ") {
        return Err(fail("not a PE file: no MZ header".into()));
    }
    let image = read_pe(&spec.path).map_err(|error| fail(error.to_string()))?;
    let expected = match arch {
        Arch::X86 => MACHINE_I386,
        Arch::X64 => MACHINE_AMD64,
        Arch::Arm64 => MACHINE_ARM64,
    };
    if image.machine != expected {
        return Err(fail(format!(
            "wrong architecture: the {} package needs a PE machine type {expected:#06x} ({}), this file is {:#06x} ({})",
            arch.label(),
            machine_name(expected),
            image.machine,
            machine_name(image.machine)
        )));
    }
    match (spec.kind, image.is_dll) {
        (PeKind::Dll, false) => {
            return Err(fail("not a DLL: the PE header lacks IMAGE_FILE_DLL".into()))
        }
        (PeKind::Exe, true) => return Err(fail("not an EXE: the PE header marks a DLL".into())),
        _ => {}
    }
    let trust = match sign::pe::verify(&bytes, &trust.policy) {
        Ok(signer) => Trust::Verified(signer),
        Err(SignatureError::Unsigned) if trust.allow_unsigned => Trust::UnsignedAllowed,
        Err(SignatureError::Unsigned) => {
            return Err(fail("not signed: every embedded PE needs a valid Authenticode signature (--allow-unsigned-payloads is for test builds only)".into()))
        }
        Err(error) => return Err(fail(format!("Authenticode check failed: {error}"))),
    };
    Ok(CheckedPayload {
        path: spec.path.clone(),
        // Most payloads have a version: an MD5 of a 100 MB one was 5 % of a matrix build.
        msi_file_hash: image.file_version.is_none().then(|| msi_file_hash(&bytes)),
        source: FileSource::Disk {
            path: spec.path.clone(),
            size: bytes.len() as u64,
            sha256,
        },
        arch,
        file_version: image.file_version,
        language: image.language,
        trust,
    })
}

fn machine_name(machine: u16) -> &'static str {
    match machine {
        MACHINE_I386 => "x86",
        MACHINE_AMD64 => "x64",
        MACHINE_ARM64 => "ARM64",
        0x01c4 => "ARMv7",
        _ => "unknown",
    }
}

struct PeFacts {
    machine: u16,
    is_dll: bool,
    file_version: Option<String>,
    language: Option<u16>,
}

/// Why a payload is not a readable PE image.
#[derive(Debug, thiserror::Error)]
enum PeError {
    #[error("cannot map the payload: {0}")]
    Unmappable(std::io::Error),
    #[error("not a PE file ({0})")]
    NotPe(pelite::Error),
}

fn read_pe(path: &Path) -> std::result::Result<PeFacts, PeError> {
    // pelite needs the image 4-byte aligned; a memory map is page-aligned.
    let map = pelite::FileMap::open(path).map_err(PeError::Unmappable)?;
    let file = pelite::PeFile::from_bytes(&map).map_err(PeError::NotPe)?;
    let header = file.file_header();
    let version = file
        .resources()
        .ok()
        .and_then(|resources| resources.version_info().ok());
    Ok(PeFacts {
        machine: header.Machine,
        is_dll: header.Characteristics & IMAGE_FILE_DLL != 0,
        file_version: version
            .and_then(|info| info.fixed())
            .map(|fixed| fixed.dwFileVersion.to_string()),
        language: version.and_then(|info| info.translation().first().map(|l| l.lang_id)),
    })
}

/// Resolves a payload path from the configuration: relative to the config file's folder,
/// or to the current folder for the embedded default.
pub fn resolve(path: &str, config_dir: Option<&Path>) -> PathBuf {
    let path = Path::new(path);
    match config_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}
