//! Windows 7/8/8.1 credential-provider packages: payload checks before packaging, and the
//! package read back by msitools, gcab and cabextract.

use crate::support::payload::{self, dll, payload_replacements, sha256_of};
use crate::support::{build_target, config_file, msiinfo_rows, require, run, sspr_msi, stderr};
use std::path::Path;
use std::process::Command;

/// Builds with `config` and expects exit 4 with `message` and nothing written.
fn assert_payload_refused(config: &Path, target: &str, message: &str) {
    let out = config.parent().unwrap().join("out");
    let output = run(sspr_msi()
        .args(["build", "--target", target, "--out"])
        .arg(&out)
        .arg("--config")
        .arg(config));
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(4), "{text}");
    assert!(text.contains(message), "expected `{message}` in: {text}");
    assert!(
        text.contains("credential_provider.payload."),
        "the message names the config key: {text}"
    );
    assert!(
        !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing may be written"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn wrong_architecture_dll_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(built) = payload::built() else {
        return;
    };
    // The x86 DLL where the x64 one belongs, pinned to its own hash.
    let swapped = payload_replacements(&dll(built, "x86"), &dll(built, "x64"), None);
    let swapped: Vec<(&str, &str)> = swapped
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let config = config_file(dir.path(), &swapped);
    assert_payload_refused(&config, "win7-x64", "wrong architecture");
    assert_payload_refused(&config, "win7-x86", "0x8664 (x64)");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn hash_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(built) = payload::built() else {
        return;
    };
    let zeros = "0".repeat(64);
    let pins = payload_replacements(
        &dll(built, "x64"),
        &dll(built, "x86"),
        Some((&zeros, &zeros)),
    );
    let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let config = config_file(dir.path(), &pins);
    assert_payload_refused(
        &config,
        "win81-x64",
        &format!(
            "SHA-256 mismatch: the configuration pins {zeros} but the file has {}",
            sha256_of(&dll(built, "x64"))
        ),
    );
}

#[test]
fn missing_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.dll");
    let pins = payload_replacements(&missing, &missing, Some((&"a".repeat(64), &"a".repeat(64))));
    let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let config = config_file(dir.path(), &pins);
    assert_payload_refused(&config, "win8-x64", "cannot read the payload");
}

/// Issue 20 item 8: `path = "/dev/zero"` grew past 5.8 GB and a FIFO blocked for ever. Only
/// regular files are read; a device or a FIFO is refused before anything is read from it.
#[test]
fn devices_and_fifos_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("payload.fifo");
    let made = run(Command::new("mkfifo").arg(&fifo));
    assert!(made.status.success(), "mkfifo: {}", stderr(&made));
    for path in [Path::new("/dev/zero"), fifo.as_path()] {
        let config_dir = tempfile::tempdir().unwrap();
        let pins = payload_replacements(path, path, Some((&"a".repeat(64), &"a".repeat(64))));
        let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let config = config_file(config_dir.path(), &pins);
        assert_payload_refused(&config, "win8-x64", "not a regular file");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn non_pe_and_non_dll_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let Some(built) = payload::built() else {
        return;
    };
    let text_file = dir.path().join("notes.dll");
    std::fs::write(
        &text_file,
        "this is not a PE file at all, just some text long enough to pass a length check",
    )
    .unwrap();
    let exe = built.join("x64/cocreate_client.exe");
    for (file, message) in [(&text_file, "not a PE file"), (&exe, "not a DLL")] {
        let pins = payload_replacements(file, file, None);
        let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let config = config_file(dir.path(), &pins);
        assert_payload_refused(&config, "win7-x64", message);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_failing_payload_stops_the_whole_build() {
    let dir = tempfile::tempdir().unwrap();
    let zeros = "0".repeat(64);
    let Some(built) = payload::built() else {
        return;
    };
    let pins = payload_replacements(
        &dll(built, "x64"),
        &dll(built, "x86"),
        Some((&sha256_of(&dll(built, "x64")), &zeros)),
    );
    let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let config = config_file(dir.path(), &pins);
    let out = dir.path().join("out");
    let output = run(sspr_msi()
        .arg("build")
        .arg("--out")
        .arg(&out)
        .arg("--config")
        .arg(&config));
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        !out.exists(),
        "not even the Windows 10 packages may be written"
    );
}

#[test]
fn credential_provider_target_without_a_payload_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let default = sspr_msi::config::DEFAULT_CONFIG;
    let start = default.find("[credential_provider.payload.x64]").unwrap();
    let end = default.find("# Extra registry values").unwrap();
    let without = format!("{}{}", &default[..start], &default[end..]);
    let config = dir.path().join("c.toml");
    std::fs::write(&config, without).unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win7-x64", "--out"])
        .arg(dir.path())
        .arg("--config")
        .arg(&config));
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("credential_provider.payload.x64"),
        "{}",
        stderr(&output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn file_table_media_and_embedded_cabinet_hold_the_payload() {
    if !require("msiinfo") || !require("cabextract") || !require("gcab") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    let built = payload::built().unwrap();
    for (target, arch, folder, bit64) in [
        ("win7-x64", "x64", "ProgramFiles64Folder", true),
        ("win81-x86", "x86", "ProgramFilesFolder", false),
    ] {
        let msi = build_target(Some(&config), target, dir.path());
        let files = msiinfo_rows(&msi, "File");
        assert_eq!(files.len(), 1);
        let file = &files[0];
        let payload_bytes = std::fs::read(dll(built, arch)).unwrap();
        assert_eq!(file[2], "SSPRTE~1.DLL|SsprTestCredProv.dll");
        assert_eq!(file[3], payload_bytes.len().to_string());
        assert_eq!(file[4], "1.2.3.4", "version from the PE version resource");
        assert_eq!(file[7], "1");
        let media = msiinfo_rows(&msi, "Media");
        assert_eq!(
            (media[0][1].as_str(), media[0][3].as_str()),
            ("1", "#sspr.cab")
        );
        let directories = msiinfo_rows(&msi, "Directory");
        assert!(
            directories.iter().any(|d| d[0] == "ManufacturerFolder"
                && d[1] == folder
                && d[2].ends_with("|Contoso IT")),
            "{directories:?}"
        );
        for component in msiinfo_rows(&msi, "Component") {
            let attributes: i32 = component[3].parse().unwrap();
            // The WOW64 WinHTTP twin is 32-bit on purpose.
            let expect64 = bit64 && component[0] != "Tls12WinHttpWow64";
            assert_eq!(attributes & 256 != 0, expect64, "{target}: {component:?}");
        }
        // The cabinet stream, extracted and unpacked by tools we did not write.
        let cab = dir.path().join(format!("{target}.cab"));
        let extracted = run(Command::new("msiinfo")
            .arg("extract")
            .arg(&msi)
            .arg("sspr.cab"));
        assert!(extracted.status.success(), "{}", stderr(&extracted));
        std::fs::write(&cab, &extracted.stdout).unwrap();
        let listing = run(Command::new("gcab").arg("-t").arg(&cab));
        assert!(
            String::from_utf8_lossy(&listing.stdout).contains("SsprCredentialProviderDll"),
            "{listing:?}"
        );
        let unpacked = dir.path().join(format!("{target}-files"));
        let output = run(Command::new("cabextract")
            .arg("-q")
            .arg("-d")
            .arg(&unpacked)
            .arg(&cab));
        assert!(output.status.success(), "{}", stderr(&output));
        assert_eq!(
            std::fs::read(unpacked.join("SsprCredentialProviderDll")).unwrap(),
            payload_bytes
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn registration_points_at_the_installed_file() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    let msi = build_target(Some(&config), "win8-x64", dir.path());
    let registry = msiinfo_rows(&msi, "Registry");
    let row = |id: &str| {
        registry
            .iter()
            .find(|r| r[0] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let inproc = row("ClsidInprocServer");
    assert_eq!(
        (inproc[1].as_str(), inproc[2].as_str(), inproc[4].as_str()),
        (
            "0",
            r"CLSID\{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}\InprocServer32",
            "[#SsprCredentialProviderDll]"
        )
    );
    assert_eq!(row("ClsidThreadingModel")[4], "Apartment");
    assert_eq!(
        row("CredentialProviderName")[2],
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\Credential Providers\{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}"
    );
    assert_eq!(row("EventMessageFile")[4], "#%[#SsprCredentialProviderDll]");
    assert_eq!(row("EventTypesSupported")[4], "#7");
    assert!(registry
        .iter()
        .all(|r| r[0] != "EnableLogging" || r[5] == "VerboseLogging"));
    let components = msiinfo_rows(&msi, "Component");
    let logging = components
        .iter()
        .find(|c| c[0] == "VerboseLogging")
        .unwrap();
    assert_eq!(logging[4], "ENABLELOGGING = \"1\" OR REMOVE~=\"ALL\"");
    // Windows Installer never reboots by itself: ScheduleReboot only with REBOOT=ReallySuppress.
    let properties = msiinfo_rows(&msi, "Property");
    assert!(properties
        .iter()
        .any(|p| p[0] == "REBOOT" && p[1] == "ReallySuppress"));
    assert!(msiinfo_rows(&msi, "InstallExecuteSequence")
        .iter()
        .any(|a| a[0] == "ScheduleReboot"));
    assert!(
        properties.iter().all(|p| p[0] != "ENABLELOGGING"),
        "logging is off by default"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_unversioned_dll_gets_a_file_hash_row() {
    if !require("msiinfo") || !require("x86_64-w64-mingw32-objcopy") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(built) = payload::built() else {
        return;
    };
    let plain = dir.path().join("x64/SsprTestCredProv.dll");
    std::fs::create_dir_all(plain.parent().unwrap()).unwrap();
    let output = run(Command::new("x86_64-w64-mingw32-objcopy")
        .arg("--remove-section=.rsrc")
        .arg(dll(built, "x64"))
        .arg(&plain));
    assert!(output.status.success(), "{}", stderr(&output));
    let pins = payload_replacements(&plain, &dll(built, "x86"), None);
    let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let config = config_file(dir.path(), &pins);
    let msi = build_target(Some(&config), "win7-x64", dir.path());
    assert_eq!(
        msiinfo_rows(&msi, "File")[0][4],
        "",
        "no version without a version resource"
    );
    let hash = &msiinfo_rows(&msi, "MsiFileHash")[0];
    let md5 = run(Command::new("md5sum").arg(&plain));
    let hex = String::from_utf8_lossy(&md5.stdout)[..32].to_string();
    let parts: String = hash[2..6]
        .iter()
        .map(|part| part.parse::<i32>().unwrap().to_le_bytes())
        .flat_map(|b| b.into_iter())
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(parts, hex, "MsiFileHash holds the file's MD5");
}
