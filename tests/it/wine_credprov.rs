//! Windows 7/8/8.1 credential-provider packages installed and removed for real by Wine's
//! msiexec, with a COM client proving the registration works.

use crate::support::build_target;
use crate::support::payload;
use crate::support::wine::{Windows, WinePrefix, FATAL_ERROR};
use std::path::{Path, PathBuf};

const CLSID: &str = "{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}";
const INSTALLED_DLL: &str =
    r"C:\Program Files\Contoso IT\Entra SSPR at Windows sign-in\SsprTestCredProv.dll";
const PROVIDER_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\Credential Providers\{86D2F0AC-2171-46CF-9998-4E33B3D7FD4F}";
const EVENT_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\AADPasswordResetCredentialProvider";
const SUCCESS_REBOOT_REQUIRED: i32 = 3010;
/// What the permanent TLS 1.2 components write (lower case); uninstall leaves it on purpose,
/// and Windows Installer keeps those components registered to the system client.
const PERMANENT_MARKS: &[&str] = &["tls 1.2", "winhttp"];

/// A package for `target` built from the default configuration with the test payload
/// pinned, after `extra` replacements.
fn package(target: &str, dir: &Path, extra: &[(&str, &str)]) -> Option<PathBuf> {
    let folder = dir.join(target);
    std::fs::create_dir_all(&folder).unwrap();
    let config = payload::config(&folder, extra)?;
    Some(build_target(Some(&config), target, &folder))
}

/// What the COM client prints. A run that prints nothing (Wine failing to start it on a
/// loaded machine) says nothing about the class, so it is retried.
fn client(prefix: &WinePrefix) -> String {
    let exe = payload::built().unwrap().join("x64/cocreate_client.exe");
    let mut printed = String::new();
    for _ in 0..3 {
        let output = prefix.wine(&[&crate::support::wine::windows_path(&exe)]);
        printed = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !printed.is_empty() {
            break;
        }
    }
    printed
}

fn install_use_and_remove(windows: Windows, target: &str) {
    let Some(prefix) = WinePrefix::new(windows) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(target, dir.path(), &[]) else {
        return;
    };
    let before = prefix.snapshot();
    assert!(
        client(&prefix).starts_with("COCREATE_FAIL hr=0x80040154"),
        "the class must not exist before install: the client printed {:?}",
        client(&prefix)
    );

    let install = prefix.install(&msi, &[]);
    assert!(
        install.exited_with(SUCCESS_REBOOT_REQUIRED),
        "install must ask for a reboot (3010), got {}:\n{}",
        install.status,
        install.log
    );
    let installed = prefix.drive_c(INSTALLED_DLL);
    let built = payload::dll(payload::built().unwrap(), "x64");
    assert_eq!(
        payload::sha256_of(&installed),
        payload::sha256_of(&built),
        "installed file = payload"
    );
    let clsid_key = format!(r"HKCR\CLSID\{CLSID}\InprocServer32");
    let inproc = prefix.wine(&["reg", "query", &clsid_key, "/ve", "/reg:64"]);
    assert!(
        String::from_utf8_lossy(&inproc.stdout).contains(INSTALLED_DLL),
        "{inproc:?}"
    );
    assert_eq!(
        prefix
            .reg_value(&clsid_key, "ThreadingModel", true)
            .unwrap()
            .1,
        "Apartment"
    );
    assert!(prefix.key_exists(PROVIDER_KEY, true));
    assert_eq!(
        prefix.reg_value(EVENT_KEY, "EventMessageFile", true),
        Some(("REG_EXPAND_SZ".into(), INSTALLED_DLL.into()))
    );
    assert_eq!(
        prefix
            .reg_value(EVENT_KEY, "TypesSupported", true)
            .unwrap()
            .1,
        "0x7"
    );
    assert_eq!(
        prefix.reg_value(PROVIDER_KEY, "EnableLogging", true),
        None,
        "logging is off by default"
    );
    // A real COM activation through the registration the package wrote.
    assert_eq!(
        client(&prefix),
        format!("COCREATE_OK hr=0x00000000 module={INSTALLED_DLL}")
    );

    let uninstall = prefix.uninstall(&msi);
    assert!(uninstall.exited_with(0), "{}", uninstall.log);
    assert!(!installed.exists());
    assert!(
        !prefix.drive_c(r"C:\Program Files\Contoso IT").exists(),
        "empty folders are removed"
    );
    let changes = prefix.snapshot().changes_since(&before);
    let (permanent, residue): (Vec<_>, Vec<_>) = changes.into_iter().partition(|c| {
        PERMANENT_MARKS
            .iter()
            .any(|mark| c.to_lowercase().contains(mark))
    });
    assert_eq!(residue, Vec::<String>::new(), "residue after /x");
    let kept = |key: &str, value: &str| {
        permanent
            .iter()
            .any(|c| c.starts_with("+ [") && c.contains(key) && c.contains(value))
    };
    assert!(
        kept(r"Schannel\\Protocols\\TLS 1.2\\Client", "Enabled"),
        "{permanent:?}"
    );
    assert!(
        kept(
            r"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\WinHttp",
            "dword:00000a00"
        ),
        "{permanent:?}"
    );
    assert!(
        kept(
            r"Software\\Wow6432Node\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\WinHttp",
            "dword:00000a00"
        ),
        "{permanent:?}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win7_x64_installs_registers_a_working_com_server_and_uninstalls() {
    install_use_and_remove(Windows::Win7, "win7-x64");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win8_x64_installs_registers_a_working_com_server_and_uninstalls() {
    install_use_and_remove(Windows::Win8, "win8-x64");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win81_x64_installs_registers_a_working_com_server_and_uninstalls() {
    install_use_and_remove(Windows::Win81, "win81-x64");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win81_package_is_refused_on_windows_10_and_11() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package("win81-x64", dir.path(), &[]) else {
        return;
    };
    for windows in [Windows::Win10, Windows::Win11] {
        let Some(prefix) = WinePrefix::new(windows) else {
            return;
        };
        prefix.assert_refused(&msi, "Windows 10 and 11 need the win10/win11 packages");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn os_specific_packages_are_refused_on_other_versions_and_x86_on_64bit() {
    let dir = tempfile::tempdir().unwrap();
    let Some(win7) = package("win7-x64", dir.path(), &[]) else {
        return;
    };
    let win81 = package("win81-x64", dir.path(), &[]).unwrap();
    let win7_x86 = package("win7-x86", dir.path(), &[]).unwrap();
    let Some(prefix) = WinePrefix::new(Windows::Win7) else {
        return;
    };
    prefix.assert_refused(&win81, "is for Windows 8.1");
    prefix.assert_refused(&win7_x86, "install the win7-x64 package instead");
    let Some(prefix) = WinePrefix::new(Windows::Win81) else {
        return;
    };
    prefix.assert_refused(&win7, "is for Windows 7");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn enablelogging_property_turns_on_verbose_logging_and_rejects_bad_values() {
    let Some(prefix) = WinePrefix::new(Windows::Win7) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package("win7-x64", dir.path(), &[]) else {
        return;
    };
    prefix.assert_refused_with(&msi, &["ENABLELOGGING=yes"], "ENABLELOGGING must be 0 or 1");
    let install = prefix.install(&msi, &["ENABLELOGGING=1"]);
    assert!(
        install.exited_with(SUCCESS_REBOOT_REQUIRED),
        "{}",
        install.log
    );
    assert_eq!(
        prefix.reg_value(PROVIDER_KEY, "EnableLogging", true),
        Some(("REG_DWORD".into(), "0x1".into()))
    );
    assert!(prefix.uninstall(&msi).exited_with(0));
    assert!(!prefix.key_exists(PROVIDER_KEY, true));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn enable_logging_in_the_config_writes_it_by_default() {
    let Some(prefix) = WinePrefix::new(Windows::Win8) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(
        "win8-x64",
        dir.path(),
        &[("enable_logging = false", "enable_logging = true")],
    ) else {
        return;
    };
    assert!(prefix
        .install(&msi, &[])
        .exited_with(SUCCESS_REBOOT_REQUIRED));
    assert_eq!(
        prefix
            .reg_value(PROVIDER_KEY, "EnableLogging", true)
            .unwrap()
            .1,
        "0x1"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn tls12_require_refuses_until_tls12_is_enabled_and_reboot_none_exits_0() {
    let Some(prefix) = WinePrefix::new(Windows::Win7) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        ("tls12 = \"enable\"", "tls12 = \"require\""),
        ("reboot = \"request\"", "reboot = \"none\""),
    ];
    let Some(msi) = package("win7-x64", dir.path(), &extra) else {
        return;
    };
    prefix.assert_refused(&msi, "TLS 1.2 is not enabled");
    let schannel = r"HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client";
    prefix.reg_add(schannel, "Enabled", "REG_DWORD", "1");
    prefix.reg_add(schannel, "DisabledByDefault", "REG_DWORD", "0");
    prefix.assert_refused(&msi, "WinHTTP does not use TLS 1.2");
    let winhttp = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp";
    prefix.reg_add(
        &format!(r"HKLM\{winhttp}"),
        "DefaultSecureProtocols",
        "REG_DWORD",
        "0xA00",
    );
    prefix.assert_refused(&msi, "(WOW6432Node too)");
    let output = prefix.wine(&[
        "reg",
        "add",
        &format!(r"HKLM\{winhttp}"),
        "/v",
        "DefaultSecureProtocols",
        "/t",
        "REG_DWORD",
        "/d",
        "0x800",
        "/f",
        "/reg:32",
    ]);
    assert!(output.status.success());
    let install = prefix.install(&msi, &[]);
    assert!(
        install.exited_with(0),
        "reboot = \"none\" must exit 0, got {}:\n{}",
        install.status,
        install.log
    );
    assert!(prefix.uninstall(&msi).exited_with(0));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_newer_credential_provider_upgrades_in_place() {
    let Some(prefix) = WinePrefix::new(Windows::Win81) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(old) = package("win81-x64", &dir.path().join("old"), &[]) else {
        return;
    };
    let new = package(
        "win81-x64",
        &dir.path().join("new"),
        &[("version = \"1.0.0\"", "version = \"1.1.0\"")],
    )
    .unwrap();
    let first = prefix.install(&old, &[]);
    assert!(
        first.exited_with(SUCCESS_REBOOT_REQUIRED),
        "{}:\n{}",
        first.status,
        first.log
    );
    let upgrade = prefix.install(&new, &[]);
    assert!(
        upgrade.exited_with(SUCCESS_REBOOT_REQUIRED),
        "{}",
        upgrade.log
    );
    assert_eq!(
        prefix.installed_versions("Entra SSPR at Windows sign-in"),
        ["1.1.0"]
    );
    assert!(
        prefix.drive_c(INSTALLED_DLL).exists(),
        "the upgrade keeps the DLL installed"
    );
    assert!(client(&prefix).starts_with("COCREATE_OK"));
    assert!(
        prefix.install(&old, &[]).exited_with(FATAL_ERROR),
        "downgrade refused"
    );
}
