//! The PowerShell script `doctor --script` writes, read without PowerShell, against what the
//! packages themselves write and search for as msiinfo reads their Registry and RegLocator
//! tables: every value a package decides on or changes must be one the script collects.

use crate::support::{msiinfo_rows, payload, require, run, sspr_msi, stderr, stdout};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Values the packages write that say nothing about whether SSPR at sign-in works: the
/// event source of the credential provider's own log, and its logging switch.
const NOT_DIAGNOSED: &[&str] = &["EventMessageFile", "TypesSupported", "EnableLogging"];

/// msidbComponentAttributes64bit.
const COMPONENT_64BIT: i32 = 256;
/// msidbLocatorType64bit.
const LOCATOR_64BIT: i32 = 16;
const HKLM: &str = "2";

/// The PowerShell single-quoted literals of `line`, as PowerShell reads them (`''` is `'`).
fn single_quoted_literals(line: &str) -> Vec<String> {
    let mut literals = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut text = String::new();
        loop {
            match chars.next() {
                Some('\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                    text.push('\'');
                }
                Some('\'') => break,
                Some(c) => text.push(c),
                None => panic!("unterminated literal in {line}"),
            }
        }
        literals.push(text);
    }
    literals
}

/// The literals of each line of the script's `$variable = @(` … `)` array.
fn array_items(script: &str, variable: &str) -> Vec<Vec<String>> {
    let start = format!("${variable} = @(\n");
    let (_, rest) = script
        .split_once(&start)
        .unwrap_or_else(|| panic!("no {start}"));
    let (block, _) = rest.split_once("\n)").expect("the array's closing line");
    block.lines().map(single_quoted_literals).collect()
}

/// Every package of the default configuration, with TLS 1.2 written (`enable`) and searched
/// for (`require`).
fn every_package(dir: &Path) -> Option<Vec<PathBuf>> {
    let mut packages = Vec::new();
    for tls12 in ["enable", "require"] {
        let folder = dir.join(tls12);
        std::fs::create_dir_all(&folder).unwrap();
        let replacement = format!("tls12 = \"{tls12}\"");
        let config = payload::config(&folder, &[("tls12 = \"enable\"", &replacement)])?;
        let output = run(sspr_msi()
            .arg("build")
            .arg("--config")
            .arg(&config)
            .arg("--out")
            .arg(folder.join("out"))
            .arg("--json"));
        assert!(output.status.success(), "{}", stderr(&output));
        let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for package in report["packages"].as_array().unwrap() {
            packages.push(PathBuf::from(package["file"].as_str().unwrap()));
        }
    }
    Some(packages)
}

/// `HKEY_LOCAL_MACHINE\key` as a 64-bit program (the script) sees what a 32-bit view reads.
fn as_64bit_program_sees(key: &str, view64: bool) -> String {
    let shared = key.starts_with(r"SOFTWARE\Policies\") || !key.starts_with(r"SOFTWARE\");
    match view64 || shared {
        true => format!(r"HKEY_LOCAL_MACHINE\{key}"),
        false => format!(r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\{}", &key[9..]),
    }
}

/// (key, name) of every HKLM value `msi` writes or searches for, as the script names them.
fn values_the_package_uses(msi: &Path) -> BTreeSet<(String, String)> {
    let x64 = msi.to_string_lossy().contains("-x64-");
    let components_64bit: BTreeSet<String> = msiinfo_rows(msi, "Component")
        .into_iter()
        .filter(|row| row[3].parse::<i32>().unwrap() & COMPONENT_64BIT != 0)
        .map(|row| row[0].clone())
        .collect();
    let written = msiinfo_rows(msi, "Registry")
        .into_iter()
        .filter(|row| row[1] == HKLM && !NOT_DIAGNOSED.contains(&row[3].as_str()))
        .map(|row| {
            let view64 = !x64 || components_64bit.contains(&row[5]);
            (as_64bit_program_sees(&row[2], view64), row[3].clone())
        });
    let searched = msiinfo_rows(msi, "RegLocator")
        .into_iter()
        .filter(|row| row[1] == HKLM)
        .map(|row| {
            let view64 = !x64 || row[4].parse::<i32>().unwrap() & LOCATOR_64BIT != 0;
            (as_64bit_program_sees(&row[2], view64), row[3].clone())
        });
    written.chain(searched).collect()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_script_reads_every_value_the_packages_write_or_search_for() {
    if !require("msiinfo") {
        return;
    }
    let output = run(sspr_msi().args(["doctor", "--script"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let script = stdout(&output);
    assert!(script.starts_with("# SSPR at sign-in preflight"));
    assert!(script.contains("param([string]$OutFile = '')"));
    assert!(script.contains("dsregcmd"));
    assert!(script.contains("reg.exe load 'HKU\\Default'"));
    let queried: BTreeSet<(String, String)> = array_items(&script, "settings")
        .into_iter()
        .map(|pair| match &pair[..] {
            [key, name] => (key.clone(), name.clone()),
            other => panic!("not a (key, name) pair: {other:?}"),
        })
        .collect();
    let listed: Vec<String> = array_items(&script, "listedKeys").concat();
    // A listed key's subkeys are reported with their default value.
    let reported = |(key, name): &(String, String)| {
        queried.contains(&(key.clone(), name.clone()))
            || name.is_empty()
                && listed.iter().any(|parent| {
                    key.strip_prefix(&format!("{parent}\\"))
                        .is_some_and(|subkey| !subkey.contains('\\'))
                })
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(packages) = every_package(dir.path()) else {
        return;
    };
    assert_eq!(packages.len(), 2 * sspr_msi::target::ALL.len());
    let mut used = BTreeSet::new();
    for msi in &packages {
        used.extend(values_the_package_uses(msi));
    }
    let missing: Vec<_> = used.iter().filter(|value| !reported(value)).collect();
    assert_eq!(
        missing,
        Vec::<&(String, String)>::new(),
        "values the script does not read"
    );
    // What a package decides on is among them: the build, TLS 1.2 in both views, the policy.
    for (key, name) in [
        (
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
            "CurrentBuildNumber",
        ),
        (
            r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp",
            "DefaultSecureProtocols",
        ),
        (
            r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\AzureADAccount",
            "AllowPasswordReset",
        ),
    ] {
        assert!(
            used.contains(&(key.to_string(), name.to_string())),
            "{key} {name}: {used:?}"
        );
    }
}

#[test]
fn powershell_literals_are_read_as_powershell_reads_them() {
    assert_eq!(
        single_quoted_literals("    @('HKEY_X\\It''s', 'Name'),"),
        ["HKEY_X\\It's", "Name"]
    );
    assert_eq!(single_quoted_literals("''''"), ["'"]);
}
