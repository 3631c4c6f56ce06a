//! The proxy modes and site custom actions installed, removed and rolled back for real by
//! Wine's msiexec, one fresh prefix per test. Every test compares the whole registry before
//! and after: values present after install, the exact earlier state after `/x`, and after a
//! forced failure (a test-only action that exits 1 after the proxy action) the exact earlier
//! state again, through the rollback actions.
//!
//! Wine cannot run two steps of the document's Default-profile sequence: its `reg.exe` has no
//! `load`/`unload`, and its prefixes have no `C:\Users\Default\NTUSER.DAT`. The proxy DLL does
//! not use `reg.exe` (it calls `RegLoadKeyW`, which Wine implements), and each test makes a
//! Wine-format hive file and points `ProfileList\Default` at it. Wine does not write a loaded
//! hive back to its file at unload, so what the DLL wrote there is checked through the DLL's
//! own read-back lines in the verbose log; the static simulator covers the values themselves
//! (`verify::simulate` tests).

use crate::custom_actions::{proxy_config, SITE_ACTION};
use crate::support::build_target;
use crate::support::wine::{MsiexecRun, PrefixSnapshot, Windows, WinePrefix, FATAL_ERROR};
use std::path::{Path, PathBuf};

const INTERNET_SETTINGS: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings";
const PROXY_POLICY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
const SITE_KEY: &str = r"HKLM\SOFTWARE\Contoso SSPR Site";

/// A test-only action that fails the install after every other install-side action.
const FORCED_FAILURE: &str = r#"
[[custom_action]]
id = "ForceFailure"
kind = "installed-exe"
directory = "System64Folder"
command = '"[System64Folder]cmd.exe" /c exit 1'
rollback = '"[System64Folder]cmd.exe" /c exit 0'
phases = ["install"]
"#;

/// The undo of `SITE_ACTION` at uninstall, so that `/x` leaves nothing.
const SITE_REMOVAL: &str = r#"
[[custom_action]]
id = "UntagSite"
kind = "installed-exe"
directory = "System64Folder"
command = '"[System64Folder]reg.exe" delete "HKLM\SOFTWARE\Contoso SSPR Site" /f /reg:64'
rollback = '"[System64Folder]reg.exe" add "HKLM\SOFTWARE\Contoso SSPR Site" /v Site /d [SITE] /f /reg:64'
phases = ["uninstall", "upgrade-removal"]
targets = ["win7-x64", "win10-x64", "win11-x64"]
"#;

/// Whether the verbose log shows `action` starting (Wine: `Action start 6:03:34: NAME.`).
fn started(log: &str, action: &str) -> bool {
    let suffix = format!(" {action}.");
    log.lines()
        .any(|line| line.starts_with("Action start") && line.trim_end().ends_with(&suffix))
}

fn proxy_log_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|line| line.contains("SsprProxyCA: "))
        .collect()
}

/// A fresh Windows 10 prefix and a win10-x64 package built for it.
struct Case {
    prefix: WinePrefix,
    msi: PathBuf,
    dir: tempfile::TempDir,
}

impl Case {
    /// The package with `proxy.mode = mode` (server proxy.contoso.com:8080) and `extra` TOML;
    /// `None` outside CI when Wine or mingw-w64 is missing.
    fn new(mode: &str, extra: &str) -> Option<Case> {
        let prefix = WinePrefix::new(Windows::Win10)?;
        let dir = tempfile::tempdir().unwrap();
        let msi = build(dir.path(), mode, extra, "1.0.0")?;
        Some(Case { prefix, msi, dir })
    }

    fn install_ok(&self, properties: &[&str]) -> MsiexecRun {
        expect_success(self.prefix.install(&self.msi, properties), "install")
    }

    fn uninstall_ok(&self) -> MsiexecRun {
        expect_success(self.prefix.uninstall(&self.msi), "uninstall")
    }

    /// Installs expecting a failure (1603 on Windows; Wine reports a failed custom action
    /// as 1627, ERROR_FUNCTION_FAILED).
    fn install_fails(&self, properties: &[&str]) -> MsiexecRun {
        let run = self.prefix.install(&self.msi, properties);
        assert!(
            run.exited_with(FATAL_ERROR) || run.exited_with(1627),
            "the install must fail: {}\n{}",
            run.status,
            run.log
        );
        run
    }

    fn value(&self, key: &str, name: &str) -> Option<String> {
        self.prefix.reg_value(key, name, true).map(|(_, data)| data)
    }

    fn assert_unchanged_since(&self, before: &PrefixSnapshot, why: &str) {
        assert_eq!(
            self.prefix.snapshot().changes_since(before),
            Vec::<String>::new(),
            "{why}"
        );
    }
}

fn expect_success(run: MsiexecRun, what: &str) -> MsiexecRun {
    assert!(run.exited_with(0), "{what} {}:\n{}", run.status, run.log);
    run
}

/// The win10-x64 package of `version` in `dir`.
fn build(dir: &Path, mode: &str, extra: &str, version: &str) -> Option<PathBuf> {
    let folder = dir.join(version);
    std::fs::create_dir_all(&folder).unwrap();
    let config = proxy_config(&folder, mode, Some("proxy.contoso.com:8080"), extra)?;
    let text = std::fs::read_to_string(&config).unwrap();
    let versioned = text.replacen(
        "version = \"1.0.0\"",
        &format!("version = \"{version}\""),
        1,
    );
    std::fs::write(&config, versioned).unwrap();
    Some(build_target(Some(&config), "win10-x64", &folder))
}

/// Earlier proxy settings an admin had: a server (to be put back) and ProxyEnable = 0.
fn earlier_settings(prefix: &WinePrefix) {
    prefix.reg_add(INTERNET_SETTINGS, "ProxyServer", "REG_SZ", "old-proxy:3128");
    prefix.reg_add(INTERNET_SETTINGS, "ProxyEnable", "REG_DWORD", "0");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn machine_proxy_is_set_and_uninstall_puts_the_earlier_values_back() {
    let Some(case) = Case::new("machine", "") else {
        return;
    };
    earlier_settings(&case.prefix);
    let before = case.prefix.snapshot();

    let install = case.install_ok(&["PROXYSERVER=proxy.example.net:3128"]);
    assert_eq!(
        case.value(PROXY_POLICY, "ProxySettingsPerUser").as_deref(),
        Some("0x0")
    );
    assert_eq!(
        case.value(INTERNET_SETTINGS, "ProxyEnable").as_deref(),
        Some("0x1")
    );
    assert_eq!(
        case.value(INTERNET_SETTINGS, "ProxyServer").as_deref(),
        Some("proxy.example.net:3128")
    );
    assert!(
        !proxy_log_lines(&install.log).is_empty(),
        "the DLL logs its steps:\n{}",
        install.log
    );

    case.uninstall_ok();
    assert_eq!(
        case.value(INTERNET_SETTINGS, "ProxyServer").as_deref(),
        Some("old-proxy:3128")
    );
    case.assert_unchanged_since(&before, "uninstall must leave exactly the earlier registry");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_failure_after_the_proxy_and_site_actions_rolls_back_to_the_exact_earlier_state() {
    let Some(case) = Case::new("machine", &format!("{SITE_ACTION}{FORCED_FAILURE}")) else {
        return;
    };
    earlier_settings(&case.prefix);
    let before = case.prefix.snapshot();
    let install = case.install_fails(&[]);
    for action in [
        "SsprProxyApply",
        "TagSite",
        "ForceFailure",
        "SsprProxyApply.Rollback",
        "TagSite.Rollback",
    ] {
        assert!(
            started(&install.log, action),
            "{action} did not run:\n{}",
            install.log
        );
    }
    case.assert_unchanged_since(
        &before,
        "rollback must restore exactly the earlier registry",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_site_action_runs_deferred_and_its_removal_at_uninstall() {
    let Some(case) = Case::new("none", &format!("{SITE_ACTION}{SITE_REMOVAL}")) else {
        return;
    };
    let before = case.prefix.snapshot();
    case.install_ok(&["SITE=ct-west"]);
    assert_eq!(
        case.value(SITE_KEY, "Site").as_deref(),
        Some("ct-west"),
        "the admin's SITE reaches the deferred action"
    );
    let wow64 = r"HKLM\SOFTWARE\WOW6432Node\Contoso SSPR Site";
    assert!(
        !case.prefix.key_exists(wow64, false),
        "a 64-bit reg.exe writes the 64-bit view"
    );
    case.uninstall_ok();
    case.assert_unchanged_since(&before, "the removal action undoes the site action");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn bad_public_property_values_are_refused_before_anything_is_written() {
    let Some(case) = Case::new("machine", SITE_ACTION) else {
        return;
    };
    for bad in [
        "PROXYSERVER=http://proxy:80",
        "PROXYSERVER=proxy",
        "PROXYSERVER=proxy:99999",
    ] {
        let run =
            case.prefix
                .assert_refused_with(&case.msi, &[bad], "PROXYSERVER must be host:port");
        // explain reads what the custom action logged, not "wrong Windows version".
        let explanation = sspr_msi::explain::explain(&run.log).unwrap();
        let advice = explanation.what_to_do.join(" ");
        assert!(advice.contains("refused PROXYSERVER"), "{bad}: {advice}");
        assert!(
            !advice.contains("another Windows version"),
            "{bad}: {advice}"
        );
    }
    case.prefix
        .assert_refused_with(&case.msi, &["SITE=west"], "SITE must start with ct-");
}

/// A Wine-format hive for the Default profile with an earlier ProxyEnable, and
/// `ProfileList\Default` pointing at its folder (as `%SystemDrive%\…`, so the DLL must expand it).
fn default_profile(prefix: &WinePrefix) -> PathBuf {
    let folder = prefix.drive_c(r"C:\users\Default");
    std::fs::create_dir_all(&folder).unwrap();
    let hive = folder.join("NTUSER.DAT");
    std::fs::write(
        &hive,
        "WINE REGISTRY Version 2\n;; All keys relative to \\\\User\\\\Default\n\n\
         [Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Internet Settings] 1700000000\n\
         \"ProxyEnable\"=dword:00000000\n",
    )
    .unwrap();
    let output = prefix.wine(&[
        "reg",
        "add",
        r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList",
        "/v",
        "Default",
        "/t",
        "REG_EXPAND_SZ",
        "/d",
        r"%SystemDrive%\users\Default",
        "/f",
        "/reg:64",
    ]);
    assert!(output.status.success(), "{output:?}");
    hive
}

const MOUNT: &str = r"HKU\SSPR_DefaultProfile";

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn default_profile_proxy_loads_the_hive_profilelist_names_and_always_unloads_it() {
    let Some(case) = Case::new("default-profile", "") else {
        return;
    };
    let hive = default_profile(&case.prefix);
    let hive_bytes = std::fs::read(&hive).unwrap();
    let before = case.prefix.snapshot();

    let install = case.install_ok(&[]);
    let lines = proxy_log_lines(&install.log).join("\n");
    assert!(
        lines
            .to_ascii_lowercase()
            .contains(r"c:\users\default\ntuser.dat"),
        "loaded from ProfileList's path:\n{lines}"
    );
    assert!(
        lines.contains(r"read back HKU\SSPR_DefaultProfile\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\ProxyServer = REG_SZ proxy.contoso.com:8080"),
        "the DLL read its value back from the loaded hive:\n{lines}"
    );
    assert!(lines.contains("unloaded"), "{lines}");
    assert!(
        !case.prefix.key_exists(MOUNT, true),
        "the hive stays mounted"
    );

    let uninstall = case.uninstall_ok();
    let lines = proxy_log_lines(&uninstall.log).join("\n");
    assert!(lines.contains("unloaded"), "{lines}");
    assert!(!case.prefix.key_exists(MOUNT, true));
    case.assert_unchanged_since(&before, "uninstall leaves the machine as it was");
    assert_eq!(
        std::fs::read(&hive).unwrap(),
        hive_bytes,
        "Wine leaves the hive file as it was"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn default_profile_rollback_unloads_the_hive_and_restores_the_machine() {
    let Some(case) = Case::new("default-profile", FORCED_FAILURE) else {
        return;
    };
    default_profile(&case.prefix);
    let before = case.prefix.snapshot();
    let install = case.install_fails(&[]);
    let lines = proxy_log_lines(&install.log);
    let unloads = lines
        .iter()
        .filter(|line| line.contains("unloaded"))
        .count();
    assert!(
        unloads >= 2,
        "apply and its rollback each unload the hive:\n{}",
        lines.join("\n")
    );
    assert!(!case.prefix.key_exists(MOUNT, true));
    case.assert_unchanged_since(&before, "rollback restores the machine");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_missing_default_profile_fails_cleanly_and_changes_nothing() {
    // A Wine prefix has no Default profile hive: the DLL must say so and change nothing.
    let Some(case) = Case::new("default-profile", "") else {
        return;
    };
    let before = case.prefix.snapshot();
    let install = case.install_fails(&[]);
    assert!(
        proxy_log_lines(&install.log)
            .iter()
            .any(|l| l.contains("Default")),
        "{}",
        install.log
    );
    assert!(!case.prefix.key_exists(MOUNT, true));
    case.assert_unchanged_since(&before, "a failed Apply changes nothing");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_upgrade_keeps_the_proxy_and_the_final_uninstall_restores_the_earliest_values() {
    let Some(case) = Case::new("machine", "") else {
        return;
    };
    let Some(new) = build(case.dir.path(), "machine", "", "1.1.0") else {
        return;
    };
    earlier_settings(&case.prefix);
    let before = case.prefix.snapshot();
    case.install_ok(&["PROXYSERVER=first.example.net:8080"]);
    expect_success(
        case.prefix
            .install(&new, &["PROXYSERVER=second.example.net:8080"]),
        "upgrade",
    );
    // Wine removes 1.0.0 in a separate `msiexec /x` process (no log here): its Remove puts
    // the earliest values back, and 1.1.0's Apply records them again as the earlier state.
    assert_eq!(
        case.prefix
            .installed_versions("Entra SSPR at Windows sign-in"),
        ["1.1.0"]
    );
    assert_eq!(
        case.value(INTERNET_SETTINGS, "ProxyServer").as_deref(),
        Some("second.example.net:8080")
    );
    expect_success(case.prefix.uninstall(&new), "uninstall");
    assert_eq!(
        case.value(INTERNET_SETTINGS, "ProxyServer").as_deref(),
        Some("old-proxy:3128")
    );
    case.assert_unchanged_since(&before, "the earliest values come back");
}

/// A site's own DLL action (the proxy DLL's generic entry points, with the site's own
/// CustomActionData), its removal, and a failing step whose result is ignored.
fn site_dll_actions(dll: &Path) -> String {
    let pin = crate::support::payload::sha256_of(dll);
    let data = r"hive=machine\nview=64\nbackup=SOFTWARE\\Contoso SSPR Hook Backup\nkey=SOFTWARE\\Contoso SSPR Hook\nsz:Site=[SITE]";
    format!(
        r#"
[[property]]
name = "SITE"
value = "ct-main"

[[custom_action]]
id = "SiteHook"
kind = "binary-dll"
binary.x64 = {{ path = '{path}', sha256 = "{pin}" }}
entry = "SsprRegistryApply"
rollback_entry = "SsprRegistryUndoApply"
data = "{data}"
phases = ["install", "upgrade"]

[[custom_action]]
id = "SiteUnhook"
kind = "binary-dll"
binary.x64 = {{ path = '{path}', sha256 = "{pin}" }}
entry = "SsprRegistryRemove"
rollback_entry = "SsprRegistryApply"
data = "{data}"
phases = ["uninstall", "upgrade-removal"]

[[custom_action]]
id = "IgnoredFailure"
kind = "installed-exe"
directory = "System64Folder"
command = '"[System64Folder]cmd.exe" /c exit 1'
rollback = '"[System64Folder]cmd.exe" /c exit 0'
phases = ["install"]
return = "ignore"
"#,
        path = dll.display()
    )
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_embedded_dll_action_reads_its_custom_action_data_and_ignored_failures_pass() {
    let Some(built) = crate::support::payload::built() else {
        return;
    };
    let dll = crate::support::payload::proxy_dll(built, "x64");
    let Some(case) = Case::new("none", &site_dll_actions(&dll)) else {
        return;
    };
    let before = case.prefix.snapshot();
    let install = case.install_ok(&["SITE=ct-north"]);
    assert!(started(&install.log, "IgnoredFailure"), "{}", install.log);
    assert_eq!(
        case.value(r"HKLM\SOFTWARE\Contoso SSPR Hook", "Site")
            .as_deref(),
        Some("ct-north"),
        "the DLL got the admin's SITE through its CustomActionData"
    );
    // Uninstall sees SITE's default, not ct-north: the DLL compares with what it recorded.
    case.uninstall_ok();
    case.assert_unchanged_since(&before, "the removal action undoes the DLL action");
}

/// The policy and proxy values (key, value line) a snapshot gained, in the keys both the
/// package and the bundle's `.reg` write.
fn policy_and_proxy_values(
    after: &PrefixSnapshot,
    before: &PrefixSnapshot,
) -> std::collections::BTreeSet<(String, String)> {
    let keys = [
        r"software\policies\microsoft\azureadaccount",
        r"software\policies\microsoft\windows\currentversion\internet settings",
        r"software\microsoft\windows\currentversion\internet settings",
    ];
    after
        .values_added_since(before)
        .into_iter()
        .filter(|(key, _)| keys.iter().any(|k| key == &format!("system.reg:{k}")))
        .collect()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_bundles_reg_file_sets_what_the_machine_proxy_package_writes() {
    let Some(case) = Case::new("machine", "") else {
        return;
    };
    let before = case.prefix.snapshot();
    case.install_ok(&[]);
    let installed = policy_and_proxy_values(&case.prefix.snapshot(), &before);
    assert!(
        installed
            .iter()
            .any(|(_, v)| v.contains("proxy.contoso.com:8080")),
        "{installed:?}"
    );

    // The release of the same configuration, its .reg imported by Wine's reg.exe.
    let out = case.dir.path().join("release");
    std::fs::create_dir_all(&out).unwrap();
    let config = proxy_config(&out, "machine", Some("proxy.contoso.com:8080"), "").unwrap();
    let release = crate::support::run(
        crate::support::sspr_msi()
            .arg("release")
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(&out)
            .args(["--target", "win10-x64"]),
    );
    assert!(
        release.status.success(),
        "{}",
        crate::support::stderr(&release)
    );
    let reg = out.join("sspr-policy-windows10-11.reg");
    std::fs::write(
        &reg,
        zip_entry(&out.join("sspr-1.0.0.zip"), "sspr-policy-windows10-11.reg"),
    )
    .unwrap();
    let imported_into = WinePrefix::new(Windows::Win10).unwrap();
    let before = imported_into.snapshot();
    let import = imported_into.wine(&[
        "reg",
        "import",
        &crate::support::wine::windows_path(&reg),
        "/reg:64",
    ]);
    assert!(import.status.success(), "{import:?}");
    let imported = policy_and_proxy_values(&imported_into.snapshot(), &before);
    assert_eq!(imported, installed);
}

/// One file of a zip, as `unzip -p` prints it.
fn zip_entry(zip: &Path, name: &str) -> Vec<u8> {
    let output = crate::support::run(
        std::process::Command::new("unzip")
            .arg("-p")
            .arg(zip)
            .arg(name),
    );
    assert!(output.status.success());
    output.stdout
}
