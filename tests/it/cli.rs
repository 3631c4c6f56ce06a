//! The command line: defaults, options, documented exit codes, clear errors.

use crate::support::{config_file, payload, run, sspr_msi, stderr, stdout};
use std::path::Path;

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn build_without_arguments_builds_the_default_matrix_into_dist() {
    let dir = tempfile::tempdir().unwrap();
    // The embedded default pins the test payload as Debian 12's mingw-w64 builds it.
    let Some(()) = payload::stage_for_default_config(dir.path()) else {
        return;
    };
    let output = run(sspr_msi().arg("build").current_dir(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut expected: Vec<String> = sspr_msi::target::ALL
        .iter()
        .map(|t| format!("sspr-{t}-1.0.0.msi"))
        .collect();
    expected.sort();
    assert_eq!(files_in(&dir.path().join("dist")), expected);
    let table = stdout(&output);
    assert!(table.starts_with("target"), "{table}");
    assert!(
        table.contains("win7-x86") && table.contains("win11-x64") && table.contains("sha256"),
        "{table}"
    );
}

#[test]
fn json_report_lists_codes_sizes_and_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--json", "--target", "win11-x64", "--out"])
        .arg(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    assert!(report["bundle"].is_null());
    let package = &report["packages"][0];
    assert_eq!(report["packages"].as_array().unwrap().len(), 1);
    assert_eq!(package["target"], "win11-x64");
    let file = Path::new(package["file"].as_str().unwrap());
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(package["size"], bytes.len() as u64);
    assert_eq!(package["sha256"], msikit::hex::sha256_hex(&bytes));
    for code in ["product_code", "upgrade_code", "package_code"] {
        assert_eq!(package[code].as_str().unwrap().len(), 38, "{code}");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn init_writes_the_default_config_which_builds_the_same_packages() {
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = payload::stage_for_default_config(dir.path()) else {
        return;
    };
    let config = dir.path().join("my.toml");
    let output = run(sspr_msi().arg("init").arg(&config));
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        sspr_msi::config::DEFAULT_CONFIG
    );
    let again = run(sspr_msi().arg("init").arg(&config));
    assert_eq!(
        again.status.code(),
        Some(5),
        "init must not overwrite without --force"
    );
    // Payload paths are relative to the config file's folder, and to the current folder for
    // the embedded default: here both are `dir`.
    let from_file = run(sspr_msi()
        .args(["build", "--json", "--out", "a", "--config", "my.toml"])
        .current_dir(dir.path()));
    let embedded = run(sspr_msi()
        .args(["build", "--json", "--out", "b"])
        .current_dir(dir.path()));
    assert!(
        from_file.status.success() && embedded.status.success(),
        "{}{}",
        stderr(&from_file),
        stderr(&embedded)
    );
    let hashes = |output: &std::process::Output| -> Vec<String> {
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        report["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sha256"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(hashes(&from_file), hashes(&embedded));
}

#[test]
fn bad_config_exits_3_naming_file_line_and_key_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(dir.path(), &[("version = \"1.0.0\"", "version = \"1.0\"")]);
    let out = dir.path().join("out");
    let output = run(sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out));
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("{}:9:", config.display())),
        "{message}"
    );
    assert!(message.contains("key `product.version`"), "{message}");
    assert!(message.contains("major.minor.build"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert!(files_in(&out).is_empty());
}

#[test]
fn every_config_mistake_is_printed_on_its_own_line_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let config = config_file(
        dir.path(),
        &[
            ("version = \"1.0.0\"", "version = \"1.0\""),
            ("min_windows10_build = 17134", "min_windows10_build = 5"),
            ("tls12 = \"enable\"", "tls12 = \"always\""),
            ("name = \"global\"", "name = \"mars\""),
            ("mode = \"none\"", "mode = \"pac\""),
        ],
    );
    let output = run(sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(dir.path().join("out")));
    assert_eq!(output.status.code(), Some(3));
    let message = stderr(&output);
    let keys: Vec<&str> = message
        .lines()
        .map(|line| {
            assert!(line.starts_with("sspr-msi: config error: "), "{message}");
            line.split('`').nth(1).unwrap_or("")
        })
        .collect();
    assert_eq!(
        keys,
        [
            "product.version",
            "policy.min_windows10_build",
            "credential_provider.tls12",
            "cloud.name",
            "proxy.mode"
        ],
        "{message}"
    );
    let text = std::fs::read_to_string(&config).unwrap();
    let line = 1 + text
        .lines()
        .position(|line| line.starts_with("min_windows10_build"))
        .unwrap();
    assert!(
        message.contains(&format!(
            "{}:{line}:23: key `policy.min_windows10_build`: CFG010: expected a Windows 10 build",
            config.display()
        )),
        "{message}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn malformed_toml_and_missing_file_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "[product\nname = \n").unwrap();
    for config in [broken, dir.path().join("absent.toml")] {
        let output = run(sspr_msi()
            .arg("build")
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(dir.path()));
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        assert!(stderr(&output).contains(&config.display().to_string()));
    }
}

#[test]
fn unknown_target_exits_3_and_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win12-x64", "--out"])
        .arg(dir.path()));
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("win10-x64, win10-arm64, win11-x64, win11-arm64"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn unwritable_output_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("file");
    std::fs::write(&not_a_folder, "x").unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win10-x64", "--out"])
        .arg(&not_a_folder));
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    let output = run(sspr_msi().args(["build", "--no-such-flag"]));
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn bad_source_date_epoch_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(sspr_msi()
        .args(["build", "--out"])
        .arg(dir.path())
        .env("SOURCE_DATE_EPOCH", "yesterday"));
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("SOURCE_DATE_EPOCH"));
}

/// Issue 20 item 12: `..` as product name and manufacturer put the credential-provider DLL in
/// `C:\`; device names and trailing dots are as bad. Each is a configuration error at its
/// line and key, and nothing is built.
#[test]
fn names_windows_treats_specially_are_refused_as_folder_names() {
    for (key, bad) in [
        ("manufacturer", ".."),
        ("manufacturer", "CON"),
        ("name", "COM1"),
        ("name", "Contoso."),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let original = if key == "name" {
            "name = \"Entra SSPR at Windows sign-in\""
        } else {
            "manufacturer = \"Contoso IT\""
        };
        let replaced = format!("{key} = \"{bad}\"");
        let config = config_file(dir.path(), &[(original, &replaced)]);
        let output = run(sspr_msi()
            .args(["build", "--target", "win10-x64", "--out"])
            .arg(dir.path().join("out"))
            .arg("--config")
            .arg(&config));
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{bad}: {error}");
        assert!(error.contains(&format!("key `product.{key}`")), "{error}");
        assert!(
            !dir.path().join("out").exists(),
            "{bad}: something was written"
        );
    }
}

/// Issue 20 items 14 and 15: a registry key or name longer than the Registry table holds
/// reached the table writer (exit 70, "internal error"), and a NUL inside a string was written
/// as is (Windows reads the value cut at it). Both are configuration errors at their key.
#[test]
fn registry_values_beyond_the_table_or_with_nul_are_configuration_errors() {
    let long_key = format!("SOFTWARE\\\\{}", "k".repeat(300));
    let cases = [
        (format!("key = '{}'\nname = \"N\"\ntype = \"string\"\nvalue = \"v\"", long_key.replace("\\\\", "\\")), "registry.key"),
        (format!("key = 'SOFTWARE\\Contoso'\nname = \"{}\"\ntype = \"string\"\nvalue = \"v\"", "n".repeat(256)), "registry.name"),
        ("key = 'SOFTWARE\\Contoso'\nname = \"N\"\ntype = \"string\"\nvalue = \"a\\u0000b\"".to_string(), "registry.value"),
        ("key = 'SOFTWARE\\Contoso'\nname = \"N\"\ntype = \"multi_string\"\nvalue = [\"a\", \"b\\u0000c\"]".to_string(), "registry.value"),
    ];
    for (entry, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        let extra = format!("[[registry]]\nroot = \"HKLM\"\n{entry}\n");
        let config = crate::support::config_with_registry(dir.path(), &extra);
        let output = run(sspr_msi()
            .args(["build", "--target", "win10-x64", "--out"])
            .arg(dir.path().join("out"))
            .arg("--config")
            .arg(&config));
        let error = stderr(&output);
        assert_eq!(output.status.code(), Some(3), "{entry}: {error}");
        assert!(error.contains(&format!("key `{key}`")), "{entry}: {error}");
    }
}

/// Issue 20 item 14: a launch-condition message over 255 characters, a manufacturer too long
/// for the install path, and more registry entries than the string pool can count reached the
/// table writer (exit 70). Each is a configuration error at its line and key, in one pass.
#[test]
fn configuration_beyond_msi_column_and_pool_limits_is_refused_at_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = format!(
        "[[property]]\nname = \"SITE\"\nvalid_when = 'SITE << \"ct-\"'\nmessage = \"{}\"\n",
        "m".repeat(256)
    );
    for index in 0..20_001 {
        extra.push_str(&format!(
            "[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso\\K{index}'\nname = \"V\"\n\
             type = \"string\"\nvalue = \"x\"\n"
        ));
    }
    let config = crate::support::config_with_registry(dir.path(), &extra);
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        "manufacturer = \"Contoso IT\"",
        &format!("manufacturer = \"{}\"", "M".repeat(65)),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let output = run(sspr_msi()
        .args(["build", "--target", "win10-x64", "--out"])
        .arg(dir.path().join("out"))
        .arg("--config")
        .arg(&config));
    let error = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{error}");
    for (key, says) in [
        ("product.manufacturer", "at most 64 characters"),
        (
            "property.SITE.message",
            "the LaunchCondition table's Description column",
        ),
        (
            "registry",
            "at most 20000 [[registry]] entries (20001 are given)",
        ),
    ] {
        let line = error
            .lines()
            .find(|line| line.contains(&format!("key `{key}`")))
            .unwrap_or_else(|| panic!("no error for {key}: {error}"));
        assert!(line.contains(says), "{line}");
        assert!(
            line.starts_with(&format!("sspr-msi: config error: {}:", config.display())),
            "{line}"
        );
    }
    assert!(!dir.path().join("out").exists());
}

/// Issue 20 item 11 for the configuration: a 5 MB line (a syntax error, an unknown key, a
/// value too long) gives a message of a few hundred bytes, never the line itself.
#[test]
fn a_huge_configuration_line_gives_a_short_message() {
    let long = "x".repeat(5_000_000);
    let cases = [
        ("[cloud]", format!("bad = \"{long}\n[cloud]")),
        ("[cloud]", format!("unknown_key = \"{long}\"\n[cloud]")),
        (
            "name = \"Entra SSPR at Windows sign-in\"",
            format!("name = \"{long}\""),
        ),
    ];
    for (original, replacement) in &cases {
        let dir = tempfile::tempdir().unwrap();
        let config = config_file(dir.path(), &[(original, replacement)]);
        let output = run(sspr_msi()
            .args(["build", "--out"])
            .arg(dir.path().join("out"))
            .arg("--config")
            .arg(&config));
        assert_eq!(output.status.code(), Some(3), "{original}");
        assert!(output.stderr.len() < 2_000, "{} bytes", output.stderr.len());
    }
}
