//! Custom actions and the proxy modes, statically: the tables tools we did not write read
//! back, our own verify and simulation, and clear refusals of unsafe or broken configuration.

use crate::support::{msiinfo_rows, payload, require, run, sspr_msi, stderr, stdout};
use std::path::{Path, PathBuf};

/// A site action that changes the machine through a tool Windows has, with its undo.
pub const SITE_ACTION: &str = r#"
[[custom_action]]
id = "TagSite"
kind = "installed-exe"
directory = "System64Folder"
command = '"[System64Folder]reg.exe" add "HKLM\SOFTWARE\Contoso SSPR Site" /v Site /d [SITE] /f /reg:64'
rollback = '"[System64Folder]reg.exe" delete "HKLM\SOFTWARE\Contoso SSPR Site" /f /reg:64'
phases = ["install", "upgrade"]
targets = ["win7-x64", "win10-x64", "win11-x64"]

[[property]]
name = "SITE"
value = "ct-main"
valid_when = 'SITE << "ct-"'
message = "SITE must start with ct-; it was [SITE]."
"#;

/// The default configuration in `dir` with the test payload pinned, `proxy.mode = mode`
/// served by the proxy DLL built here, and `extra` TOML appended. `None` outside CI when
/// mingw-w64 is missing.
pub fn proxy_config(dir: &Path, mode: &str, server: Option<&str>, extra: &str) -> Option<PathBuf> {
    let built = payload::built()?;
    let server = server.map_or(String::new(), |s| format!("server = \"{s}\"\n"));
    let mut proxy = format!("mode = \"{mode}\"\n{server}");
    for arch in ["x64", "x86"] {
        let dll = payload::proxy_dll(built, arch);
        proxy.push_str(&format!(
            "[proxy.custom_action.{arch}]\npath = '{}'\nsha256 = \"{}\"\n",
            dll.display(),
            payload::sha256_of(&dll)
        ));
    }
    proxy.push_str(extra);
    // No ARM64 proxy DLL can be built here (mingw-w64 has no ARM64 target): x86 and x64 only.
    let without_arm64 = [("\"win10-arm64\", ", ""), (", \"win11-arm64\"", "")];
    let mut replacements = vec![("mode = \"none\"\n", proxy.as_str())];
    replacements.extend(without_arm64);
    payload::config(dir, &replacements)
}

fn build(config: &Path, out: &Path, target: &str) -> std::process::Output {
    run(sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .args(["--target", target]))
}

fn built(config: &Path, out: &Path, target: &str) -> PathBuf {
    let output = build(config, out, target);
    assert!(output.status.success(), "{}", stderr(&output));
    msi_files(out)
        .into_iter()
        .find(|path| path.to_string_lossy().contains(target))
        .unwrap()
}

/// The packages in `dir`.
fn msi_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "msi"))
        .collect()
}

fn row<'r>(rows: &'r [Vec<String>], name: &str) -> &'r Vec<String> {
    rows.iter()
        .find(|row| row[0] == name)
        .unwrap_or_else(|| panic!("no row `{name}` in {rows:?}"))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msiinfo_reads_deferred_no_impersonate_actions_with_rollbacks_before_them() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = proxy_config(dir.path(), "machine", Some("proxy:8080"), SITE_ACTION) else {
        return;
    };
    let msi = built(&config, dir.path(), "win10-x64");
    let actions = msiinfo_rows(&msi, "CustomAction");
    let deferred_dll = 1 | 0x400 | 0x800;
    assert_eq!(row(&actions, "SsprProxyApply")[1], deferred_dll.to_string());
    assert_eq!(
        row(&actions, "SsprProxyApply.Rollback")[1],
        (deferred_dll | 0x100).to_string()
    );
    assert_eq!(row(&actions, "SsprProxyApply")[2], "SsprProxyCA");
    assert_eq!(row(&actions, "SsprProxyApply")[3], "SsprRegistryApply");
    assert_eq!(row(&actions, "SsprProxyRemove")[3], "SsprRegistryRemove");
    assert_eq!(
        row(&actions, "TagSite")[1],
        (34 | 0x400 | 0x800).to_string()
    );
    assert_eq!(row(&actions, "TagSite")[2], "System64Folder");
    assert_eq!(row(&actions, "SsprValidateProxy")[1], "1");
    let sequence = msiinfo_rows(&msi, "InstallExecuteSequence");
    let at = |name: &str| row(&sequence, name)[2].parse::<i32>().unwrap();
    for action in ["SsprProxyApply", "TagSite"] {
        let rollback = format!("{action}.Rollback");
        assert!(at(&rollback) < at(action), "{action}");
        assert!(at("InstallInitialize") < at(&rollback) && at(action) < at("InstallFinalize"));
        assert!(
            at(action) > at("WriteRegistryValues"),
            "{action} after the package's own writes"
        );
    }
    assert!(
        at("SsprProxyApply") < at("TagSite"),
        "built-in actions first"
    );
    assert!(at("SsprProxyRemove") > at("RemoveRegistryValues"));
    assert!(at("SsprValidateProxy") < at("LaunchConditions"));
    assert_eq!(
        row(&sequence, "SsprProxyApply")[1],
        row(&sequence, "SsprProxyApply.Data")[1]
    );
    assert!(row(&sequence, "SsprProxyRemove")[1].contains("REMOVE~=\"ALL\""));
    let ui = msiinfo_rows(&msi, "InstallUISequence");
    row(&ui, "SsprValidateProxy");
    let streams = stdout(&run(std::process::Command::new("msiinfo")
        .arg("streams")
        .arg(&msi)));
    assert!(
        streams
            .lines()
            .any(|line| line.trim() == "Binary.SsprProxyCA"),
        "{streams}"
    );
    let secure = msiinfo_rows(&msi, "Property")
        .into_iter()
        .find(|row| row[0] == "SecureCustomProperties")
        .unwrap();
    for public in ["PROXYSERVER", "PROXYBYPASS", "SITE"] {
        assert!(
            secure[1].split(';').any(|p| p == public),
            "{public}: {secure:?}"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn verify_finds_no_problem_and_simulates_the_proxy_on_every_target() {
    let dir = tempfile::tempdir().unwrap();
    for mode in ["machine", "default-profile"] {
        let out = dir.path().join(mode);
        std::fs::create_dir_all(&out).unwrap();
        let Some(config) = proxy_config(&out, mode, Some("proxy:8080"), SITE_ACTION) else {
            return;
        };
        let output = run(sspr_msi()
            .arg("build")
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(&out));
        assert!(output.status.success(), "{}", stderr(&output));
        let packages = msi_files(&out);
        assert_eq!(packages.len(), 9);
        let output = run(sspr_msi()
            .arg("verify")
            .arg("--simulate")
            .arg("--json")
            .args(&packages));
        let report = stdout(&output);
        assert!(
            output.status.success(),
            "{mode}: {report}{}",
            stderr(&output)
        );
        assert!(
            report.contains("custom action SsprProxyApply"),
            "{mode}: the simulation shows the proxy values"
        );
        // The site's reg.exe call is opaque to the simulation, and says so; the proxy DLL is not.
        assert!(
            report.contains("custom action `TagSite` is not simulated"),
            "{report}"
        );
        assert!(!report.contains("custom action `Sspr"), "{report}");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn unsafe_or_broken_action_configuration_is_refused_with_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("rollback = '\"[System64Folder]reg.exe\" delete \"HKLM\\SOFTWARE\\Contoso SSPR Site\" /f /reg:64'\n", "", "custom_action.TagSite.rollback"),
        ("phases = [\"install\", \"upgrade\"]", "phases = [\"install\", \"uninstall\"]", "custom_action.TagSite.phases"),
        ("valid_when = 'SITE << \"ct-\"'", "valid_when = 'SITE << '", "property.SITE.valid_when"),
    ];
    for (from, to, key) in cases {
        let extra = SITE_ACTION.replacen(from, to, 1);
        assert_ne!(extra, SITE_ACTION, "{from}");
        let Some(config) = proxy_config(dir.path(), "machine", None, &extra) else {
            return;
        };
        let output = build(&config, dir.path(), "win10-x64");
        assert_eq!(output.status.code(), Some(3), "{key}: {}", stderr(&output));
        let message = stderr(&output);
        assert!(
            message.contains(&format!("{}:", config.display())),
            "{message}"
        );
        assert!(message.contains(key), "{key}: {message}");
    }
    assert_eq!(msi_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_proxy_mode_without_its_dll_or_with_a_wrong_pin_builds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[("mode = \"none\"", "mode = \"machine\"")])
    else {
        return;
    };
    let output = build(&config, dir.path(), "win10-x64");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("proxy.custom_action.x64"),
        "{}",
        stderr(&output)
    );
    let Some(config) = proxy_config(dir.path(), "machine", None, "") else {
        return;
    };
    let text = std::fs::read_to_string(&config).unwrap();
    let pin = payload::sha256_of(&payload::proxy_dll(payload::built().unwrap(), "x64"));
    let (before, section) = text.split_at(text.find("[proxy.custom_action.x64]").unwrap());
    let wrong = format!("{before}{}", section.replacen(&pin, &"0".repeat(64), 1));
    std::fs::write(&config, wrong).unwrap();
    let output = build(&config, dir.path(), "win10-x64");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("SHA-256 mismatch"),
        "{}",
        stderr(&output)
    );
    assert_eq!(msi_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_proxy_mode_for_an_arm64_target_needs_an_arm64_dll_under_its_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = proxy_config(dir.path(), "machine", None, "") else {
        return;
    };
    let output = build(&config, dir.path(), "win11-arm64");
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("proxy.custom_action.arm64")
            && stderr(&output).contains("leave win11-arm64 out of `build.targets`"),
        "{}",
        stderr(&output)
    );
    // An x64 DLL pinned under the arm64 key is refused by its PE machine type.
    let x64_dll = payload::proxy_dll(payload::built().unwrap(), "x64");
    let arm64_section = format!(
        "[proxy.custom_action.arm64]\npath = '{}'\nsha256 = \"{}\"\n",
        x64_dll.display(),
        payload::sha256_of(&x64_dll)
    );
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}\n{arm64_section}")).unwrap();
    let output = build(&config, dir.path(), "win11-arm64");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("proxy.custom_action.arm64") && stderr(&output).contains("0xaa64"),
        "{}",
        stderr(&output)
    );
    assert_eq!(msi_files(dir.path()), Vec::<PathBuf>::new());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn help_and_the_admin_readme_list_the_clouds_endpoints() {
    let help = stdout(&run(sspr_msi().arg("--help")));
    for cloud in [
        sspr_msi::config::Cloud::Global,
        sspr_msi::config::Cloud::China,
    ] {
        for host in cloud.endpoints() {
            assert!(help.contains(host), "--help lacks {host}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = proxy_config(dir.path(), "default-profile", Some("proxy:8080"), "") else {
        return;
    };
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen("name = \"global\"", "name = \"china\"", 1),
    )
    .unwrap();
    let settings = sspr_msi::config::Settings::load(&config).unwrap();
    let readme = sspr_msi::release::network_section(&settings);
    for host in [
        "passwordreset.activedirectory.windowsazure.cn",
        "ajax.aspnetcdn.com",
        "ocsp.digicert.cn",
    ] {
        assert!(readme.contains(host), "{readme}");
    }
    assert!(
        readme.contains("PROXYSERVER=host:port") && readme.contains("Default"),
        "{readme}"
    );
}

/// A `binary-exe` and a `binary-dll` action whose files are the payloads built here.
pub fn binary_actions(exe: &Path, dll: &Path) -> String {
    let pin = |path: &Path| payload::sha256_of(path);
    format!(
        r#"
[[custom_action]]
id = "RunTool"
kind = "binary-exe"
binary.x64 = {{ path = '{exe}', sha256 = "{exe_pin}" }}
arguments = "--site [SITE]"
rollback_arguments = "--undo"
phases = ["install"]
targets = ["win10-x64"]

[[custom_action]]
id = "SiteHook"
kind = "binary-dll"
binary.x64 = {{ path = '{dll}', sha256 = "{dll_pin}" }}
entry = "SsprRegistryApply"
rollback_entry = "SsprRegistryUndoApply"
data = "hive=machine\nview=64\nbackup=SOFTWARE\\Contoso SSPR Hook\\Backup\nkey=SOFTWARE\\Contoso SSPR Hook\nsz:Site=[SITE]"
phases = ["install", "upgrade"]
targets = ["win10-x64"]
"#,
        exe = exe.display(),
        exe_pin = pin(exe),
        dll = dll.display(),
        dll_pin = pin(dll),
    )
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn embedded_exe_and_dll_actions_are_checked_payloads_with_their_data() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(built_dir) = payload::built() else {
        return;
    };
    let exe = built_dir.join("x64/cocreate_client.exe");
    let dll = payload::proxy_dll(built_dir, "x64");
    let extra = format!("{SITE_ACTION}{}", binary_actions(&exe, &dll));
    let Some(config) = proxy_config(dir.path(), "none", None, &extra) else {
        return;
    };
    let msi = built(&config, dir.path(), "win10-x64");
    let actions = msiinfo_rows(&msi, "CustomAction");
    assert_eq!(row(&actions, "RunTool")[1], (2 | 0x400 | 0x800).to_string());
    assert_eq!(row(&actions, "RunTool")[3], "--site [SITE]");
    assert_eq!(row(&actions, "RunTool.Rollback")[3], "--undo");
    assert_eq!(
        row(&actions, "SiteHook")[1],
        (1 | 0x400 | 0x800).to_string()
    );
    assert_eq!(row(&actions, "SiteHook.Data")[2], "SiteHook");
    assert_eq!(
        row(&actions, "SiteHook.Rollback.Data")[2],
        "SiteHook.Rollback"
    );
    let streams = stdout(&run(std::process::Command::new("msiinfo")
        .arg("streams")
        .arg(&msi)));
    for stream in ["Binary.RunTool", "Binary.SiteHook"] {
        assert!(
            streams.lines().any(|line| line.trim() == stream),
            "{stream}: {streams}"
        );
    }
    // The file named as an EXE must be one: a DLL is refused before anything is written.
    let swapped = format!("{SITE_ACTION}{}", binary_actions(&dll, &dll));
    let out = dir.path().join("swapped");
    let Some(config) = proxy_config(&out_dir(&out), "none", None, &swapped) else {
        return;
    };
    let output = build(&config, &out, "win10-x64");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("not an EXE"),
        "{}",
        stderr(&output)
    );
}

fn out_dir(path: &Path) -> PathBuf {
    std::fs::create_dir_all(path).unwrap();
    path.to_path_buf()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn packages_with_custom_actions_are_deterministic_and_osslsigncode_verifies_them_signed() {
    let Some(pki) = crate::support::pki::TestPki::new() else {
        return;
    };
    if !require("osslsigncode") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = proxy_config(dir.path(), "default-profile", Some("p:8080"), SITE_ACTION)
    else {
        return;
    };
    let (a, b) = (
        out_dir(&dir.path().join("a")),
        out_dir(&dir.path().join("b")),
    );
    let first = std::fs::read(built(&config, &a, "win7-x64")).unwrap();
    let second = std::fs::read(built(&config, &b, "win7-x64")).unwrap();
    assert!(first == second, "two builds of the same inputs differ");
    let signed = dir.path().join("signed.msi");
    let output = run(sspr_msi()
        .arg("sign")
        .arg(a.join("sspr-win7-x64-1.0.0.msi"))
        .arg("--out")
        .arg(&signed)
        .arg("--cert")
        .arg(pki.file("signer.pem"))
        .arg("--key")
        .arg(pki.file("signer.key")));
    assert!(output.status.success(), "{}", stderr(&output));
    let verify = run(std::process::Command::new("osslsigncode")
        .arg("verify")
        .arg("-CAfile")
        .arg(pki.file("ca.pem"))
        .arg("-in")
        .arg(&signed));
    let text = format!("{}{}", stdout(&verify), stderr(&verify));
    assert!(
        verify.status.success() && text.contains("Signature verification: ok"),
        "{text}"
    );
}

/// The SHA-256 of the `Binary.NAME` stream as msiinfo extracts it.
fn binary_stream_sha256(msi: &Path, name: &str) -> String {
    let output = run(std::process::Command::new("msiinfo")
        .arg("extract")
        .arg(msi)
        .arg(format!("Binary.{name}")));
    assert!(output.status.success(), "{}", stderr(&output));
    msikit::hex::sha256_hex(&output.stdout)
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_build_report_and_the_manifest_list_every_embedded_pe_with_digest_and_trust() {
    if !require("msiinfo") || !require("unzip") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = proxy_config(dir.path(), "machine", Some("proxy:8080"), "") else {
        return;
    };
    let out = dir.path().join("out");
    let output = run(sspr_msi()
        .arg("release")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .args(["--target", "win7-x64", "--target", "win10-x64", "--json"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let unzip = run(std::process::Command::new("unzip")
        .arg("-p")
        .arg(out.join("sspr-1.0.0.zip"))
        .arg("manifest.json"));
    let manifest: serde_json::Value = serde_json::from_slice(&unzip.stdout).unwrap();
    for (index, target) in ["win7-x64", "win10-x64"].iter().enumerate() {
        let built = &report["packages"][index];
        assert_eq!(built["target"], *target);
        let embedded = built["embedded"].as_array().unwrap();
        let roles: Vec<&str> = embedded
            .iter()
            .map(|e| e["role"].as_str().unwrap())
            .collect();
        let expected: &[&str] = if *target == "win7-x64" {
            &["credential_provider", "proxy_custom_action"]
        } else {
            &["proxy_custom_action"]
        };
        assert_eq!(roles, expected, "{target}");
        // The digest is the one of the bytes the package holds, as msiinfo reads them.
        let proxy = embedded
            .iter()
            .find(|e| e["role"] == "proxy_custom_action")
            .unwrap();
        assert_eq!(proxy["table"], "Binary");
        let msi = Path::new(built["file"].as_str().unwrap());
        assert_eq!(
            proxy["sha256"].as_str().unwrap(),
            binary_stream_sha256(msi, "SsprProxyCA"),
            "{target}"
        );
        assert_eq!(proxy["trust"], "unsigned_allowed", "{target}");
        let listed = manifest["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["target"] == *target)
            .unwrap();
        assert_eq!(listed["embedded"].as_array().unwrap().len(), embedded.len());
        assert_eq!(
            listed["embedded"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["role"] == "proxy_custom_action")
                .unwrap()["sha256"],
            proxy["sha256"]
        );
    }
    let text = stdout(&run(sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("text"))
        .args(["--target", "win10-x64"])));
    assert!(text.contains("SsprProxyCA.dll"), "{text}");
}
