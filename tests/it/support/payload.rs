//! The test credential-provider DLL and COM client, built once per test run with mingw-w64
//! by `payload/build.sh`.

use super::{require, run};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TOOLS: &[&str] = &[
    "x86_64-w64-mingw32-gcc",
    "i686-w64-mingw32-gcc",
    "x86_64-w64-mingw32-windres",
    "i686-w64-mingw32-windres",
];

/// The folder holding `{x64,x86}/SsprTestCredProv.dll` and `cocreate_client.exe`, or `None`
/// (outside CI) when mingw-w64 is missing.
pub fn built() -> Option<&'static Path> {
    if !TOOLS.iter().all(|tool| require(tool)) {
        return None;
    }
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    Some(BUILT.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("payload-build");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("payload/build.sh");
        let output = run(Command::new("bash").arg(script).arg(&out));
        assert!(
            output.status.success(),
            "payload/build.sh failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        out
    }))
}

pub fn dll(dir: &Path, arch: &str) -> PathBuf {
    dir.join(arch).join("SsprTestCredProv.dll")
}

/// The proxy custom-action DLL `payload/build.sh` builds from `payload/customaction`.
pub fn proxy_dll(dir: &Path, arch: &str) -> PathBuf {
    dir.join(arch).join("SsprProxyCA.dll")
}

pub fn sha256_of(path: &Path) -> String {
    msikit::hex::sha256_hex(&std::fs::read(path).unwrap())
}

/// Replacements for the default configuration's payload sections, pointing at `x64` and
/// `x86` DLLs pinned to the hashes given (or, when `None`, to the files' own).
pub fn payload_replacements(
    x64: &Path,
    x86: &Path,
    pins: Option<(&str, &str)>,
) -> Vec<(String, String)> {
    let (x64_pin, x86_pin) = match pins {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (sha256_of(x64), sha256_of(x86)),
    };
    let default = sspr_msi::config::DEFAULT_CONFIG;
    // Each section header with its two lines: unique, so the replacements cannot collide.
    let section = |arch: &str, path: &Path, pin: &str| {
        let header = format!("[credential_provider.payload.{arch}]");
        let start = default.find(&header).unwrap();
        let old: String = default[start..]
            .lines()
            .take(3)
            .collect::<Vec<_>>()
            .join("\n");
        (
            old,
            format!("{header}\npath = '{}'\nsha256 = \"{pin}\"", path.display()),
        )
    };
    vec![section("x64", x64, &x64_pin), section("x86", x86, &x86_pin)]
}

/// Copies the built payload to `dir/payload/build`, where the embedded default
/// configuration looks for it (relative to the current folder).
pub fn stage_for_default_config(dir: &Path) -> Option<()> {
    let built = built()?;
    for arch in ["x64", "x86"] {
        let target = dir.join("payload/build").join(arch);
        std::fs::create_dir_all(&target).unwrap();
        std::fs::copy(dll(built, arch), target.join("SsprTestCredProv.dll")).unwrap();
    }
    Some(())
}

/// A configuration file in `dir`: the default, with the payload pinned to the DLLs built
/// here, and `extra` replacements applied. `None` outside CI when mingw-w64 is missing.
pub fn config(dir: &Path, extra: &[(&str, &str)]) -> Option<PathBuf> {
    let built = built()?;
    let pins = payload_replacements(&dll(built, "x64"), &dll(built, "x86"), None);
    let mut all: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    all.extend_from_slice(extra);
    Some(super::config_file(dir, &all))
}
