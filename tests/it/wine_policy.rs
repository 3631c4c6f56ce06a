//! Windows 10/11 policy packages installed and removed for real by Wine's msiexec, one
//! fresh prefix per test.

use crate::support::wine::{Windows, WinePrefix, FATAL_ERROR, UNINSTALL_KEY};
use crate::support::{build_target, config_file, config_with_registry};
use std::path::{Path, PathBuf};

const POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\AzureADAccount";

fn package(target: &str, dir: &Path) -> PathBuf {
    build_target(None, target, dir)
}

fn policy_value(prefix: &WinePrefix) -> Option<(String, String)> {
    prefix.reg_value(POLICY_KEY, "AllowPasswordReset", true)
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win10_x64_installs_silently_and_uninstalls_without_residue() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let msi = package("win10-x64", dir.path());
    let before = prefix.snapshot();

    let install = prefix.install(&msi, &[]);
    assert!(
        install.exited_with(0),
        "install exit {}:\n{}",
        install.status,
        install.log
    );
    assert_eq!(
        policy_value(&prefix),
        Some(("REG_DWORD".into(), "0x1".into()))
    );
    // SOFTWARE\Policies is shared between the registry views, so WOW6432Node redirection
    // is checked on a redirected key in `literal_strings_land_in_the_registry_unexpanded`.
    let product_code = crate::support::msiinfo_rows(&msi, "Property")
        .into_iter()
        .find(|r| r[0] == "ProductCode")
        .unwrap()[1]
        .clone();
    let arp = format!(r"{UNINSTALL_KEY}\{product_code}");
    assert_eq!(
        prefix.reg_value(&arp, "DisplayName", true).unwrap().1,
        "Entra SSPR at Windows sign-in (Windows 10 64-bit (x64))"
    );
    assert_eq!(
        prefix.reg_value(&arp, "Publisher", true).unwrap().1,
        "Contoso IT"
    );
    assert_eq!(
        prefix.reg_value(&arp, "DisplayVersion", true).unwrap().1,
        "1.0.0"
    );

    let uninstall = prefix.uninstall(&msi);
    assert!(
        uninstall.exited_with(0),
        "uninstall exit {}:\n{}",
        uninstall.status,
        uninstall.log
    );
    assert_eq!(policy_value(&prefix), None);
    assert_eq!(
        prefix.snapshot().changes_since(&before),
        Vec::<String>::new(),
        "residue after /x"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_unrelated_value_under_azureadaccount_survives_install_and_uninstall() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let msi = package("win10-x64", dir.path());
    prefix.reg_add(POLICY_KEY, "SomethingElse", "REG_SZ", "keep me");
    let before = prefix.snapshot();
    assert!(prefix.install(&msi, &[]).exited_with(0));
    assert_eq!(
        prefix
            .reg_value(POLICY_KEY, "SomethingElse", true)
            .unwrap()
            .1,
        "keep me"
    );
    assert!(prefix.uninstall(&msi).exited_with(0));
    assert_eq!(
        prefix
            .reg_value(POLICY_KEY, "SomethingElse", true)
            .unwrap()
            .1,
        "keep me"
    );
    assert_eq!(policy_value(&prefix), None);
    assert_eq!(
        prefix.snapshot().changes_since(&before),
        Vec::<String>::new()
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win11_x64_installs_on_build_22631_and_win10_x64_is_refused_there() {
    let Some(prefix) = WinePrefix::new(Windows::Win11) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    prefix.assert_refused(
        &package("win10-x64", dir.path()),
        "Windows 11 needs win11-x64",
    );
    let win11 = package("win11-x64", dir.path());
    let install = prefix.install(&win11, &[]);
    assert!(install.exited_with(0), "{}", install.log);
    assert!(
        install.log.contains("SSPR_WINBUILD = 22631"),
        "{}",
        install.log
    );
    assert_eq!(
        policy_value(&prefix),
        Some(("REG_DWORD".into(), "0x1".into()))
    );
    assert!(prefix.uninstall(&win11).exited_with(0));
    assert_eq!(policy_value(&prefix), None);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn win11_x64_is_refused_on_windows_10() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    prefix.assert_refused(
        &package("win11-x64", dir.path()),
        "Windows 11, build 22000 or later",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn policy_packages_are_refused_on_windows_7_and_8_1() {
    let dir = tempfile::tempdir().unwrap();
    let packages = [
        package("win10-x64", dir.path()),
        package("win11-x64", dir.path()),
    ];
    for windows in [Windows::Win7, Windows::Win81] {
        let Some(prefix) = WinePrefix::new(windows) else {
            return;
        };
        for msi in &packages {
            prefix.assert_refused(msi, "This machine reports VersionNT [VersionNT]");
        }
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn x86_package_is_refused_on_64bit_windows_and_points_to_x64() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    prefix.assert_refused(
        &package("win10-x86", dir.path()),
        "install the win10-x64 package instead",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_newer_version_upgrades_in_place_and_an_older_one_is_refused() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let build = |version: &str| {
        let folder = dir.path().join(version);
        std::fs::create_dir_all(&folder).unwrap();
        let config = config_file(
            &folder,
            &[("version = \"1.0.0\"", &format!("version = \"{version}\""))],
        );
        build_target(Some(&config), "win10-x64", &folder)
    };
    let (old, new) = (build("1.0.0"), build("1.1.0"));
    let before = prefix.snapshot();
    assert!(prefix.install(&old, &[]).exited_with(0));
    let upgrade = prefix.install(&new, &[]);
    assert!(upgrade.exited_with(0), "{}", upgrade.log);
    assert!(
        upgrade.log.contains("SSPR_OLDER_VERSION_FOUND"),
        "the upgrade must find 1.0.0:\n{}",
        upgrade.log
    );

    let installed = prefix.installed_versions("Entra SSPR at Windows sign-in");
    assert_eq!(
        installed,
        ["1.1.0"],
        "exactly one product after the upgrade"
    );
    assert_eq!(
        policy_value(&prefix),
        Some(("REG_DWORD".into(), "0x1".into()))
    );

    let downgrade = prefix.install(&old, &[]);
    assert!(
        downgrade.exited_with(FATAL_ERROR),
        "installing 1.0.0 over 1.1.0 must fail: {}",
        downgrade.log
    );
    assert_eq!(
        prefix.installed_versions("Entra SSPR at Windows sign-in"),
        ["1.1.0"]
    );

    assert!(prefix.uninstall(&new).exited_with(0));
    assert_eq!(
        prefix.snapshot().changes_since(&before),
        Vec::<String>::new()
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn literal_strings_land_in_the_registry_unexpanded() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let values = [
        ("Literal", "string", "\"#[x]{y}\""),
        (
            "Brackets",
            "string",
            "\"[ProductName] {braces} [~] [\\\\x]\"",
        ),
        ("Expand", "expand_string", "\"%SystemRoot%\\\\[x]\""),
        ("Multi", "multi_string", "[\"#one\", \"[two]\"]"),
        ("Number", "dword", "4294967295"),
        ("Bytes", "binary", "\"00ff10\""),
    ];
    let extra: String = values
        .iter()
        .map(|(name, kind, value)| format!("[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso\\SSPR'\nname = \"{name}\"\ntype = \"{kind}\"\nvalue = {value}\n"))
        .collect();
    let config = config_with_registry(dir.path(), &extra);
    let msi = build_target(Some(&config), "win10-x64", dir.path());
    let before = prefix.snapshot();
    let install = prefix.install(&msi, &[]);
    assert!(install.exited_with(0), "{}", install.log);
    let key = r"HKLM\SOFTWARE\Contoso\SSPR";
    let read = |name: &str| {
        prefix
            .reg_value(key, name, true)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(read("Literal"), ("REG_SZ".into(), "#[x]{y}".into()));
    assert_eq!(
        read("Brackets"),
        ("REG_SZ".into(), r"[ProductName] {braces} [~] [\x]".into())
    );
    assert_eq!(
        read("Expand"),
        ("REG_EXPAND_SZ".into(), r"%SystemRoot%\[x]".into())
    );
    assert_eq!(
        read("Multi"),
        ("REG_MULTI_SZ".into(), r"#one\0[two]".into())
    );
    assert_eq!(read("Number"), ("REG_DWORD".into(), "0xffffffff".into()));
    assert_eq!(read("Bytes"), ("REG_BINARY".into(), "00FF10".into()));
    assert!(
        !prefix.key_exists(r"HKLM\SOFTWARE\Wow6432Node\Contoso", true),
        "a 64-bit package must write the 64-bit view"
    );
    assert!(prefix.uninstall(&msi).exited_with(0));
    assert_eq!(
        prefix.snapshot().changes_since(&before),
        Vec::<String>::new()
    );
}

/// What Wine's `dlls/msi` does with an `Arm64` Template on an x86-64 host: the package is
/// refused before any action runs (1633, ERROR_INSTALL_PLATFORM_UNSUPPORTED), as x64
/// Windows refuses it. Wine cannot run the ARM64 install itself; the simulator models that.
#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn arm64_packages_are_refused_on_x64_before_any_action_and_write_nothing() {
    const PLATFORM_UNSUPPORTED: i32 = 1633;
    let dir = tempfile::tempdir().unwrap();
    for (target, windows) in [
        ("win10-arm64", Windows::Win10),
        ("win11-arm64", Windows::Win11),
    ] {
        let Some(prefix) = WinePrefix::new(windows) else {
            return;
        };
        let msi = package(target, dir.path());
        let before = prefix.snapshot();
        let install = prefix.install(&msi, &[]);
        assert!(
            install.exited_with(PLATFORM_UNSUPPORTED),
            "{target}: expected 1633, got {}:\n{}",
            install.status,
            install.log
        );
        assert_eq!(
            install.last_action_started(),
            None,
            "{target}: {}",
            install.log
        );
        assert_eq!(policy_value(&prefix), None, "{target}");
        assert_eq!(
            prefix.snapshot().changes_since(&before),
            Vec::<String>::new(),
            "{target}: a refused package changes nothing"
        );
    }
}
