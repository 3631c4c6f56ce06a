//! Deployment channels in the release bundle, each read by a reader sspr-msi did not write:
//! `.intunewin` files opened by a Python decryptor written from the published format
//! (`tests/fixtures/channels/intunewin_open.py`, Python's `cryptography`), their
//! Detection.xml and the Graph app bodies compared with what `msiinfo` reads from the MSI.

use crate::support::{
    msiinfo_rows, payload, require, require_python_module, run, sspr_msi, stderr, stdout,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const SOURCE_DATE_EPOCH: &str = "1700000000";

/// `sspr-msi release ARGS` in `dir` (`SOURCE_DATE_EPOCH` when `epoch`), unpacked by `unzip`
/// into `dir/unpacked`.
fn release_unpacked_with<S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: &[S],
    epoch: Option<&str>,
) -> PathBuf {
    payload::stage_for_default_config(dir).expect("payload");
    let mut command = sspr_msi();
    command.arg("release").args(args).current_dir(dir);
    match epoch {
        Some(epoch) => command.env("SOURCE_DATE_EPOCH", epoch),
        None => command.env_remove("SOURCE_DATE_EPOCH"),
    };
    let output = run(&mut command);
    assert!(output.status.success(), "{}", stderr(&output));
    let unpacked = dir.join("unpacked");
    let output = run(Command::new("unzip")
        .arg("-q")
        .arg(dir.join("dist/sspr-1.0.0.zip"))
        .arg("-d")
        .arg(&unpacked));
    assert!(output.status.success(), "{}", stderr(&output));
    unpacked
}

/// An unsigned release of the default configuration.
fn release_unpacked(dir: &Path, epoch: Option<&str>) -> PathBuf {
    release_unpacked_with::<&str>(dir, &[], epoch)
}

/// One bundle built under `SOURCE_DATE_EPOCH`, shared by the tests that only read it; `None`
/// when a tool is missing outside CI.
fn bundle() -> Option<&'static Path> {
    static BUNDLE: OnceLock<Option<PathBuf>> = OnceLock::new();
    BUNDLE
        .get_or_init(|| {
            if !require("unzip") || !require("msiinfo") || payload::built().is_none() {
                return None;
            }
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("channels-bundle");
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Some(release_unpacked(&dir, Some(SOURCE_DATE_EPOCH)))
        })
        .as_deref()
}

/// The bundle's MSIs, sorted.
fn msis(bundle: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(bundle)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "msi"))
        .collect();
    files.sort();
    assert_eq!(files.len(), sspr_msi::target::ALL.len());
    files
}

/// What msiinfo reads from a package: Property table, package code, whether
/// InstallExecuteSequence schedules a reboot, and the Template.
struct MsiinfoFacts {
    properties: BTreeMap<String, String>,
    package_code: String,
    template: String,
    schedules_reboot: bool,
}

fn msiinfo_facts(msi: &Path) -> MsiinfoFacts {
    let properties = msiinfo_rows(msi, "Property")
        .into_iter()
        .filter(|row| row.len() == 2)
        .map(|row| (row[0].clone(), row[1].clone()))
        .collect();
    let suminfo = run(Command::new("msiinfo").arg("suminfo").arg(msi));
    assert!(suminfo.status.success(), "{}", stderr(&suminfo));
    let suminfo = stdout(&suminfo);
    let field = |prefix: &str| {
        suminfo
            .lines()
            .find_map(|line| line.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("msiinfo suminfo has no {prefix}: {suminfo}"))
            .trim()
            .to_string()
    };
    MsiinfoFacts {
        properties,
        package_code: field("Revision number (UUID):"),
        template: field("Template:"),
        schedules_reboot: msiinfo_rows(msi, "InstallExecuteSequence")
            .iter()
            .any(|row| row[0] == "ScheduleReboot" || row[0] == "ForceReboot"),
    }
}

/// The Python reader's view of one `.intunewin`, its MSI unpacked into `out`.
fn open_intunewin(file: &Path, out: &Path) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/intunewin_open.py");
    let output = run(Command::new("python3").arg(script).arg(file).arg(out));
    assert!(
        output.status.success(),
        "{}: {}",
        file.display(),
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn every_msi_has_an_intunewin_that_decrypts_to_it_with_detection_xml_matching_msiinfo() {
    if !require_python_module("cryptography") {
        return;
    }
    let Some(bundle) = bundle() else { return };
    let mut reboot_flags = Vec::new();
    for msi in msis(bundle) {
        let name = name_of(&msi);
        let out = tempfile::tempdir().unwrap();
        let opened = open_intunewin(&bundle.join(format!("{name}.intunewin")), out.path());
        assert_eq!(
            opened["inner"],
            serde_json::json!([{"name": name, "deflated": true}]),
            "{name}"
        );
        assert!(
            std::fs::read(out.path().join(&name)).unwrap() == std::fs::read(&msi).unwrap(),
            "{name}: the decrypted MSI is not the bundle's"
        );
        assert_eq!(
            opened["order"],
            serde_json::json!([
                "Name",
                "UnencryptedContentSize",
                "FileName",
                "SetupFile",
                "EncryptionInfo",
                "MsiInfo"
            ]),
            "{name}"
        );
        assert_eq!(opened["FileName"], "IntunePackage.intunewin");
        assert_eq!(opened["SetupFile"], name.as_str());

        let facts = msiinfo_facts(&msi);
        let property = |key: &str| facts.properties[key].as_str();
        let info = &opened["MsiInfo"];
        assert_eq!(opened["Name"], property("ProductName"), "{name}");
        assert_eq!(info["MsiProductCode"], property("ProductCode"), "{name}");
        assert_eq!(
            info["MsiProductVersion"],
            property("ProductVersion"),
            "{name}"
        );
        assert_eq!(info["MsiUpgradeCode"], property("UpgradeCode"), "{name}");
        assert_eq!(info["MsiPublisher"], property("Manufacturer"), "{name}");
        assert_eq!(
            info["MsiPackageCode"],
            facts.package_code.as_str(),
            "{name}"
        );
        let per_machine = facts.properties.get("ALLUSERS").map(String::as_str) == Some("1");
        assert_eq!(
            info["MsiIsMachineInstall"],
            per_machine.to_string(),
            "{name}"
        );
        assert_eq!(
            info["MsiIsUserInstall"],
            (!per_machine).to_string(),
            "{name}"
        );
        assert_eq!(
            info["MsiExecutionContext"],
            if per_machine { "System" } else { "User" }
        );
        assert_eq!(
            info["MsiRequiresReboot"],
            facts.schedules_reboot.to_string(),
            "{name}"
        );
        reboot_flags.push(facts.schedules_reboot);
    }
    // Both answers occur: the credential-provider packages ask for a restart, the policy ones do not.
    assert!(reboot_flags.contains(&true) && reboot_flags.contains(&false));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn intunewin_keys_are_fresh_without_source_date_epoch_and_the_content_still_decrypts() {
    if !require("unzip") || !require_python_module("cryptography") || payload::built().is_none() {
        return;
    }
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = release_unpacked(first.path(), None);
    let b = release_unpacked(second.path(), None);
    let file = "sspr-win10-x64-1.0.0.msi.intunewin";
    let out = tempfile::tempdir().unwrap();
    let opened_a = open_intunewin(&a.join(file), &out.path().join("a"));
    let opened_b = open_intunewin(&b.join(file), &out.path().join("b"));
    for key in ["EncryptionKey", "MacKey", "InitializationVector"] {
        assert_ne!(
            opened_a["EncryptionInfo"][key], opened_b["EncryptionInfo"][key],
            "{key}"
        );
    }
    assert_eq!(
        opened_a["EncryptionInfo"]["FileDigest"],
        opened_b["EncryptionInfo"]["FileDigest"]
    );
    assert_eq!(
        std::fs::read(out.path().join("a/sspr-win10-x64-1.0.0.msi")).unwrap(),
        std::fs::read(a.join("sspr-win10-x64-1.0.0.msi")).unwrap()
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn graph_win32_lob_apps_detect_the_product_code_msiinfo_reads_and_require_the_target() {
    let Some(bundle) = bundle() else { return };
    for msi in msis(bundle) {
        let name = name_of(&msi);
        let json_file = bundle.join(format!("intune/{name}.win32LobApp.json"));
        let target = name
            .trim_start_matches("sspr-")
            .trim_end_matches("-1.0.0.msi");
        if !target.starts_with("win1") {
            // Intune delivers Win32 apps to Windows 10 1607 and later only.
            assert!(!json_file.exists(), "{name}");
            continue;
        }
        let app: Value = serde_json::from_slice(&std::fs::read(&json_file).unwrap()).unwrap();
        let facts = msiinfo_facts(&msi);
        let product_code = facts.properties["ProductCode"].as_str();
        let version = facts.properties["ProductVersion"].as_str();
        assert_eq!(app["@odata.type"], "#microsoft.graph.win32LobApp");
        assert_eq!(app["fileName"], format!("{name}.intunewin"));
        assert_eq!(app["setupFilePath"], name.as_str());
        assert_eq!(
            app["installCommandLine"],
            format!("msiexec /i \"{name}\" /qn")
        );
        assert_eq!(
            app["uninstallCommandLine"],
            format!("msiexec /x {product_code} /qn")
        );
        assert_eq!(app["installExperience"]["runAsAccount"], "system");
        match architecture_of(&facts.template) {
            // Graph's applicableArchitectures has no arm64: allowedArchitectures carries it.
            "arm64" => {
                assert_eq!(app["allowedArchitectures"], "arm64", "{name}");
                assert_eq!(app["applicableArchitectures"], "none", "{name}");
            }
            architecture => {
                assert_eq!(app["applicableArchitectures"], architecture, "{name}");
                assert!(app.get("allowedArchitectures").is_none(), "{name}");
            }
        }

        let codes: BTreeMap<u64, &str> = app["returnCodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["returnCode"].as_u64().unwrap(),
                    c["type"].as_str().unwrap(),
                )
            })
            .collect();
        let expected: BTreeMap<u64, &str> = [
            (0, "success"),
            (1707, "success"),
            (3010, "softReboot"),
            (1641, "hardReboot"),
            (1618, "retry"),
        ]
        .into();
        assert_eq!(codes, expected);

        let rules = app["rules"].as_array().unwrap();
        let detection: Vec<&Value> = rules
            .iter()
            .filter(|r| r["ruleType"] == "detection")
            .collect();
        assert_eq!(detection.len(), 1, "{name}");
        assert_eq!(
            detection[0]["@odata.type"],
            "#microsoft.graph.win32LobAppProductCodeRule"
        );
        assert_eq!(detection[0]["productCode"], product_code);
        assert_eq!(detection[0]["productVersion"], version);
        assert_eq!(detection[0]["productVersionOperator"], "greaterThanOrEqual");
        let floor = rules
            .iter()
            .find(|r| r["ruleType"] == "requirement" && r["operator"] == "greaterThanOrEqual")
            .unwrap_or_else(|| panic!("{name}: no minimum build"));
        assert_eq!(floor["valueName"], "CurrentBuildNumber");
        let minimum = if target.starts_with("win11") {
            "22000"
        } else {
            "17134"
        };
        assert_eq!(floor["comparisonValue"], minimum, "{name}");
        assert_eq!(app["msiInformation"]["productCode"], product_code);
        assert_eq!(
            app["msiInformation"]["upgradeCode"],
            facts.properties["UpgradeCode"].as_str()
        );
        assert_eq!(
            app["msiInformation"]["requiresReboot"],
            facts.schedules_reboot
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn settings_catalog_policy_sets_allow_aad_password_reset_to_1() {
    let Some(bundle) = bundle() else { return };
    let policy: Value = serde_json::from_slice(
        &std::fs::read(bundle.join("intune/sspr-policy-settings-catalog.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(policy["platforms"], "windows10");
    assert_eq!(policy["technologies"], "mdm");
    let instance = &policy["settings"][0]["settingInstance"];
    let id = "device_vendor_msft_policy_config_authentication_allowaadpasswordreset";
    assert_eq!(instance["settingDefinitionId"], id);
    assert_eq!(instance["choiceSettingValue"]["value"], format!("{id}_1"));
}

/// The winget manifest folders of the bundle: `winget/<identifier>/<version>`.
fn winget_folders(bundle: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(bundle.join("winget"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join("1.0.0"))
        .collect();
    folders.sort();
    folders
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn winget_manifests_follow_the_1_10_schema_and_name_the_codes_and_digest_msiinfo_and_sha256sum_read(
) {
    if !require_python_module("yaml") || !require("sha256sum") {
        return;
    }
    let Some(bundle) = bundle() else { return };
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/winget_check.py");
    let folders = winget_folders(bundle);
    // One manifest set per Windows 10/11 package (winget runs on Windows 10 1809 and later).
    // win10-x86, win10-x64, win10-arm64, win11-x64, win11-arm64.
    assert_eq!(folders.len(), 5, "{folders:?}");
    for folder in folders {
        let output = run(Command::new("python3").arg(&script).arg(&folder));
        assert!(
            output.status.success(),
            "{}: {}",
            folder.display(),
            stderr(&output)
        );
        let manifest: Value = serde_json::from_slice(&output.stdout).unwrap();
        let installer = &manifest["installer"];
        let url = installer["Installers"][0]["InstallerUrl"].as_str().unwrap();
        let name = url.rsplit('/').next().unwrap();
        let msi = bundle.join(name);
        let facts = msiinfo_facts(&msi);
        assert_eq!(installer["InstallerType"], "msi");
        assert_eq!(installer["Scope"], "machine");
        assert_eq!(
            installer["ProductCode"],
            facts.properties["ProductCode"].as_str()
        );
        assert_eq!(
            installer["PackageVersion"],
            facts.properties["ProductVersion"].as_str()
        );
        let entry = &installer["AppsAndFeaturesEntries"][0];
        assert_eq!(
            entry["ProductCode"],
            facts.properties["ProductCode"].as_str()
        );
        assert_eq!(
            entry["UpgradeCode"],
            facts.properties["UpgradeCode"].as_str()
        );
        assert_eq!(
            entry["DisplayName"],
            facts.properties["ProductName"].as_str()
        );
        assert_eq!(
            entry["Publisher"],
            facts.properties["Manufacturer"].as_str()
        );
        let architecture = architecture_of(&facts.template);
        assert_eq!(installer["Installers"][0]["Architecture"], architecture);
        let sum = run(Command::new("sha256sum").arg(&msi));
        let sum = stdout(&sum);
        assert_eq!(
            installer["Installers"][0]["InstallerSha256"]
                .as_str()
                .unwrap()
                .to_lowercase(),
            sum.split_whitespace().next().unwrap(),
            "{name}"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn configmgr_scripts_detect_each_package_by_its_product_code_and_map_3010_to_a_soft_reboot() {
    let Some(bundle) = bundle() else { return };
    for msi in msis(bundle) {
        let name = name_of(&msi);
        let script = std::fs::read_to_string(bundle.join(format!("configmgr/{name}.ps1"))).unwrap();
        let facts = msiinfo_facts(&msi);
        let product_code = facts.properties["ProductCode"].as_str();
        let version = facts.properties["ProductVersion"].as_str();
        assert!(
            script.contains(&format!(
                "New-CMDetectionClauseWindowsInstaller -ProductCode '{product_code}' -Value -ExpressionOperator GreaterEquals -ExpectedValue '{version}'"
            )),
            "{script}"
        );
        assert!(
            script.contains(&format!("-InstallCommand 'msiexec /i \"{name}\" /qn'")),
            "{script}"
        );
        assert!(script.contains(&format!(
            "-UninstallCommand 'msiexec /x {product_code} /qn'"
        )));
        assert!(script.contains("-InstallationBehaviorType InstallForSystem"));
        // PowerShell quoting: every single-quoted string outside comments is closed on its line (no PowerShell
        // runs here: Debian ships none).
        for line in script.lines().filter(|line| !line.starts_with('#')) {
            assert_eq!(line.matches('\'').count() % 2, 0, "{line}");
        }
    }
    let codes = std::fs::read_to_string(bundle.join("configmgr/exit-codes.csv")).unwrap();
    for row in [
        "0,Success,",
        "1707,Success,",
        "3010,Soft Reboot,",
        "1641,Hard Reboot,",
        "1618,Fast Retry,",
    ] {
        assert!(codes.contains(&format!("\r\n{row}\"")), "{row}: {codes}");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn gpo_policies_and_preferences_set_exactly_the_values_the_msis_registry_tables_write() {
    if !require("xmllint") || !require("python3") {
        return;
    }
    let Some(bundle) = bundle() else { return };
    let admx = bundle.join("gpo/PolicyDefinitions/sspr.admx");
    let adml = bundle.join("gpo/PolicyDefinitions/en-US/sspr.adml");
    let preferences = bundle.join("gpo/Machine/Preferences/Registry/Registry.xml");
    let wellformed = run(Command::new("xmllint")
        .arg("--noout")
        .args([&admx, &adml, &preferences]));
    assert!(wellformed.status.success(), "{}", stderr(&wellformed));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/gpo_check.py");
    let output = run(Command::new("python3")
        .arg(script)
        .args([&admx, &adml, &preferences]));
    assert!(output.status.success(), "{}", stderr(&output));
    let read: Value = serde_json::from_slice(&output.stdout).unwrap();

    // What the packages write, by msiinfo: (key, value name) -> data, HKLM rows only.
    let mut written: BTreeMap<(String, String), std::collections::BTreeSet<String>> =
        BTreeMap::new();
    for msi in msis(bundle) {
        for row in msiinfo_rows(&msi, "Registry") {
            if row.len() >= 5 && row[1] == "2" {
                written
                    .entry((row[2].clone(), row[3].clone()))
                    .or_default()
                    .insert(row[4].clone());
            }
        }
    }
    let policies = read["policies"].as_array().unwrap();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["valueName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["AllowPasswordReset", "EnableLogging"]);
    for policy in policies {
        let value_name = policy["valueName"].as_str().unwrap();
        // Every package that writes this value name writes it under the policy's key, with
        // the policy's enabled value.
        let keys: Vec<&(String, String)> = written
            .keys()
            .filter(|(_, name)| name == value_name)
            .collect();
        assert_eq!(keys.len(), 1, "{value_name}: {keys:?}");
        let (key, _) = keys[0];
        assert_eq!(policy["key"], key.as_str(), "{value_name}");
        let data = &written[keys[0]];
        assert_eq!(
            data.iter().collect::<Vec<_>>(),
            [&format!("#{}", policy["enabled"])],
            "{value_name}"
        );
        let preference = read["preferences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == value_name)
            .unwrap_or_else(|| panic!("{value_name}: no preference item"));
        assert_eq!(preference["hive"], "HKEY_LOCAL_MACHINE");
        assert_eq!(preference["key"], key.as_str());
        assert_eq!(preference["value"], policy["enabled"]);
        assert_eq!(preference["action"], "U");
    }
    assert_eq!(
        read["preferences"].as_array().unwrap().len(),
        policies.len()
    );
}

/// Where `scripts/test.sh` installs the Python packages that carry the published schemas
/// and definitions (PyPI cyclonedx-python-lib, in-toto-attestation, protobuf); `None` (and
/// a failure in CI) when it has not.
fn python_deps() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-deps");
    let found = dir
        .join("cyclonedx/schema/_res/bom-1.6.SNAPSHOT.schema.json")
        .exists()
        && dir.join("in_toto_attestation/v1/statement.py").exists();
    if !found {
        assert!(
            !crate::support::in_ci(),
            "{} lacks the CycloneDX schema or in-toto-attestation: scripts/test.sh installs them",
            dir.display()
        );
        eprintln!(
            "SKIPPED: {} is not set up (scripts/test.sh installs it)",
            dir.display()
        );
        return None;
    }
    Some(dir)
}

/// The SBOMs and the provenance of `bundle`, validated by `sbom_check.py`.
fn validated_sboms_and_provenance(bundle: &Path) -> Option<Value> {
    let deps = python_deps()?;
    if !require_python_module("jsonschema") {
        return None;
    }
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/sbom_check.py");
    let output = run(Command::new("python3").arg(script).arg(deps).arg(bundle));
    assert!(output.status.success(), "{}", stderr(&output));
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sboms_are_valid_cyclonedx_1_6_listing_every_embedded_file_and_binary_with_its_digest() {
    if !require("osslsigncode") {
        return;
    }
    let Some(bundle) = bundle() else { return };
    let Some(read) = validated_sboms_and_provenance(bundle) else {
        return;
    };
    for msi in msis(bundle) {
        let name = name_of(&msi);
        let bom = &read["sboms"][format!("{name}.cdx.json")];
        assert_eq!(bom["specVersion"], "1.6", "{name}");
        let root = &bom["metadata"]["component"];
        let facts = msiinfo_facts(&msi);
        assert_eq!(root["name"], facts.properties["ProductName"].as_str());
        assert_eq!(root["version"], facts.properties["ProductVersion"].as_str());
        assert_eq!(
            root["hashes"][0]["content"],
            msikit::hex::sha256_hex(&std::fs::read(&msi).unwrap())
        );

        // What msiextract unpacks is what the SBOM lists: names, digests; the File table's versions.
        let out = tempfile::tempdir().unwrap();
        let tables = stdout(&run(Command::new("msiinfo").arg("tables").arg(&msi)));
        let mut on_disk: BTreeMap<String, String> = BTreeMap::new();
        // msiextract refuses a package without a File table (the policy packages).
        let has_files = tables.lines().any(|table| table.trim() == "File");
        if has_files {
            let extracted = run(Command::new("msiextract")
                .arg("-C")
                .arg(out.path())
                .arg(&msi));
            assert!(extracted.status.success(), "{}", stderr(&extracted));
            for entry in walk(out.path()) {
                let digest = msikit::hex::sha256_hex(&std::fs::read(&entry).unwrap());
                on_disk.insert(name_of(&entry), digest);
            }
        }
        let files: BTreeMap<String, String> = bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["bom-ref"].as_str().unwrap().starts_with("file:"))
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["hashes"][0]["content"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(files, on_disk, "{name}");
        let file_rows = if has_files {
            msiinfo_rows(&msi, "File")
        } else {
            Vec::new()
        };
        let versions: BTreeMap<String, String> = file_rows
            .into_iter()
            .filter(|row| row.len() > 4 && !row[4].is_empty())
            .map(|row| {
                (
                    row[2].rsplit('|').next().unwrap().to_string(),
                    row[4].clone(),
                )
            })
            .collect();
        for component in bom["components"].as_array().unwrap() {
            let file = component["name"].as_str().unwrap();
            if let Some(version) = versions.get(file) {
                assert_eq!(component["version"], version.as_str(), "{name}: {file}");
            }
        }
        // Binary rows, as msiinfo lists their streams.
        let streams = run(Command::new("msiinfo").arg("streams").arg(&msi));
        let binaries: Vec<String> = stdout(&streams)
            .lines()
            .filter_map(|s| s.strip_prefix("Binary."))
            .map(|s| format!("binary:{s}"))
            .collect();
        for binary in &binaries {
            assert!(
                bom["components"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["bom-ref"] == binary.as_str()),
                "{name}: {binary}"
            );
        }
        // The embedded DLLs are the unsigned test payloads: osslsigncode agrees.
        for component in bom["components"].as_array().unwrap() {
            let file = component["name"].as_str().unwrap();
            let Some(path) = walk(out.path()).into_iter().find(|p| name_of(p) == file) else {
                continue;
            };
            let status = component["properties"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == "sspr-msi:authenticode:status")
                .map(|p| p["value"].as_str().unwrap().to_string())
                .unwrap();
            let verify = run(Command::new("osslsigncode")
                .arg("verify")
                .arg("-in")
                .arg(&path));
            let unsigned = !verify.status.success()
                && (stdout(&verify) + &stderr(&verify)).contains("No signature found");
            assert_eq!(status == "unsigned", unsigned, "{name}: {file}: {status}");
        }
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn provenance_is_an_in_toto_slsa_v1_statement_naming_every_msi_and_input_by_digest() {
    let Some(bundle) = bundle() else { return };
    let Some(read) = validated_sboms_and_provenance(bundle) else {
        return;
    };
    let statement = &read["provenance"];
    let subjects: BTreeMap<String, String> = statement["subject"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["digest"]["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let sums = std::fs::read_to_string(bundle.join("SHA256SUMS")).unwrap();
    let expected: BTreeMap<String, String> = sums
        .lines()
        .map(|line| {
            let (sum, file) = line.split_once("  ").unwrap();
            (file.to_string(), sum.to_string())
        })
        .collect();
    assert_eq!(subjects, expected);
    let definition = &statement["predicate"]["buildDefinition"];
    assert_eq!(
        definition["externalParameters"]["sourceDateEpoch"],
        SOURCE_DATE_EPOCH.parse::<u64>().unwrap()
    );
    let dependencies = definition["resolvedDependencies"].as_array().unwrap();
    let configuration = msikit::hex::sha256_hex(sspr_msi::config::DEFAULT_CONFIG.as_bytes());
    assert!(dependencies
        .iter()
        .any(|d| d["digest"]["sha256"] == configuration.as_str()));
    let built = payload::built().unwrap();
    for arch in ["x64", "x86"] {
        let digest = payload::sha256_of(&payload::dll(built, arch));
        assert!(
            dependencies
                .iter()
                .any(|d| d["digest"]["sha256"] == digest.as_str()
                    && d["name"].as_str().unwrap().contains(arch)),
            "{arch}: {dependencies:?}"
        );
    }
    assert_eq!(
        statement["predicate"]["runDetails"]["byproducts"],
        serde_json::json!([]),
        "unsigned: nothing before signing"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn signed_provenance_names_each_msi_before_signing_as_an_unsigned_build_writes_it() {
    if !require("unzip") || payload::built().is_none() {
        return;
    }
    let Some(pki) = crate::support::pki::TestPki::new() else {
        return;
    };
    let (signed, unsigned) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sign_args = [
        std::ffi::OsString::from("--sign-cert"),
        pki.file("signer.pem").into(),
        "--sign-key".into(),
        pki.file("signer.key").into(),
    ];
    let unpacked = release_unpacked_with(signed.path(), &sign_args, Some(SOURCE_DATE_EPOCH));
    payload::stage_for_default_config(unsigned.path()).unwrap();
    let output = run(sspr_msi()
        .arg("build")
        .current_dir(unsigned.path())
        .env("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH));
    assert!(output.status.success(), "{}", stderr(&output));

    let Some(read) = validated_sboms_and_provenance(&unpacked) else {
        return;
    };
    let byproducts = read["provenance"]["predicate"]["runDetails"]["byproducts"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(byproducts.len(), sspr_msi::target::ALL.len());
    for byproduct in byproducts {
        let name = byproduct["name"]
            .as_str()
            .unwrap()
            .trim_end_matches(" (before signing)");
        let digest = msikit::hex::sha256_hex(
            &std::fs::read(unsigned.path().join("dist").join(name)).unwrap(),
        );
        assert_eq!(byproduct["digest"]["sha256"], digest.as_str(), "{name}");
        assert_ne!(
            digest,
            msikit::hex::sha256_hex(&std::fs::read(unpacked.join(name)).unwrap())
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_bundle_readme_names_every_channel_file_with_its_steps() {
    let Some(bundle) = bundle() else { return };
    let readme = std::fs::read_to_string(bundle.join("README.txt")).unwrap();
    assert!(
        !readme.replace("\r\n", "").contains('\n'),
        "README.txt has CRLF line ends"
    );
    for file in walk(bundle) {
        let path = file
            .strip_prefix(bundle)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let is_channel_file = path.ends_with(".intunewin")
            || [
                "intune/",
                "gpo/",
                "configmgr/",
                "sbom/",
                "winget/",
                "provenance",
            ]
            .iter()
            .any(|prefix| path.starts_with(prefix));
        if !is_channel_file {
            continue;
        }
        // winget manifests are named by their folder (`winget install --manifest FOLDER`).
        let named = match path.strip_prefix("winget/") {
            Some(_) => readme.contains(path.rsplit_once('/').unwrap().0),
            None => readme.contains(&path),
        };
        assert!(named, "README.txt does not name {path}");
    }
    for step in [
        "Windows app (Win32)",
        "Software Settings > Software",
        "Assigned",
        "Advanced > Modifications",
        "PolicyDefinitions",
        "-ContentShare",
        "winget install --manifest",
        "msiexec /x {",
    ] {
        assert!(readme.contains(step), "README.txt lacks {step}");
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_signed_payload_appears_in_the_sbom_with_the_signer_osslsigncode_reads() {
    if !require("osslsigncode") || !require("unzip") || payload::built().is_none() {
        return;
    }
    let Some(pki) = crate::support::pki::TestPki::new() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let built = payload::built().unwrap();
    let sign = |arch: &str| {
        let out = dir.path().join(format!("{arch}.dll"));
        let output = run(Command::new("osslsigncode")
            .arg("sign")
            .arg("-certs")
            .arg(pki.file("signer.pem"))
            .arg("-key")
            .arg(pki.file("signer.key"))
            .args(["-h", "sha256", "-in"])
            .arg(payload::dll(built, arch))
            .arg("-out")
            .arg(&out));
        assert!(output.status.success(), "{}", stderr(&output));
        out
    };
    let (x64, x86) = (sign("x64"), sign("x86"));
    let pins = payload::payload_replacements(&x64, &x86, None);
    let trust = format!("trust_anchors = ['{}']", pki.file("ca.pem").display());
    let mut replacements: Vec<(&str, &str)> =
        pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    replacements.push(("allow_unsigned_payloads = true", &trust));
    let config = crate::support::config_file(dir.path(), &replacements);
    let args = [
        std::ffi::OsString::from("--target"),
        "win7-x64".into(),
        "--config".into(),
        config.into(),
    ];
    let unpacked = release_unpacked_with(dir.path(), &args, Some(SOURCE_DATE_EPOCH));
    let bom: Value = serde_json::from_slice(
        &std::fs::read(unpacked.join("sbom/sspr-win7-x64-1.0.0.msi.cdx.json")).unwrap(),
    )
    .unwrap();
    let dll = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["hashes"][0]["content"]
                == msikit::hex::sha256_hex(&std::fs::read(&x64).unwrap()).as_str()
        })
        .unwrap_or_else(|| panic!("the signed DLL is not in the SBOM: {bom}"));
    let property = |name: &str| {
        dll["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_string())
    };
    assert_eq!(
        property("sspr-msi:authenticode:status").as_deref(),
        Some("verified")
    );
    let verify = run(Command::new("osslsigncode")
        .arg("verify")
        .arg("-in")
        .arg(&x64)
        .arg("-CAfile")
        .arg(pki.file("ca.pem")));
    let text = stdout(&verify);
    let subject = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Subject:"))
        .unwrap_or_else(|| panic!("osslsigncode names no subject: {text}"))
        .trim()
        .to_string();
    let signer = property("sspr-msi:authenticode:signer").unwrap();
    // osslsigncode writes /C=../CN=..; compare the common name both show.
    let common_name = subject
        .rsplit("CN=")
        .next()
        .unwrap()
        .split(['/', ','])
        .next()
        .unwrap();
    assert!(signer.contains(common_name), "{signer} vs {subject}");
}

/// `microsoft-graph.d.ts` of the npm package `name` as `scripts/test.sh` installs it; `None`
/// (and a failure in CI) when it has not.
fn graph_definitions(name: &str) -> Option<PathBuf> {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/npm-deps/node_modules/@microsoft")
        .join(name)
        .join("microsoft-graph.d.ts");
    if !file.exists() {
        assert!(
            !crate::support::in_ci(),
            "{} is missing: scripts/test.sh installs it",
            file.display()
        );
        eprintln!(
            "SKIPPED: {} is missing (scripts/test.sh installs it)",
            file.display()
        );
        return None;
    }
    Some(file)
}

fn graph_check(definitions: &Path, root: &str, body: &Path) {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/channels/graph_check.py");
    let output = run(Command::new("python3")
        .arg(script)
        .arg(definitions)
        .arg(root)
        .arg(body));
    assert!(
        output.status.success(),
        "{}: {}",
        body.display(),
        stderr(&output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn graph_bodies_use_only_what_microsofts_published_graph_types_define() {
    if !require("python3") {
        return;
    }
    let Some(bundle) = bundle() else { return };
    let (Some(v1), Some(beta)) = (
        graph_definitions("microsoft-graph-types"),
        graph_definitions("microsoft-graph-types-beta"),
    ) else {
        return;
    };
    let apps: Vec<PathBuf> = walk(&bundle.join("intune"))
        .into_iter()
        .filter(|p| name_of(p).ends_with(".win32LobApp.json"))
        .collect();
    assert_eq!(apps.len(), 5);
    for app in apps {
        // v1.0's WindowsArchitecture enum lacks the arm64 its own allowedArchitectures comment
        // lists; beta's enum has it.
        let types = if name_of(&app).contains("-arm64-") {
            &beta
        } else {
            &v1
        };
        graph_check(types, "MobileApp", &app);
    }
    // The Settings Catalog is a beta API.
    graph_check(
        &beta,
        "DeviceManagementConfigurationPolicy",
        &bundle.join("intune/sspr-policy-settings-catalog.json"),
    );
}

/// The architecture Intune and winget name for the Template platform msiinfo reads.
fn architecture_of(template: &str) -> &'static str {
    match template.split(';').next() {
        Some("x64") => "x64",
        Some("Intel") => "x86",
        Some("Arm64") => "arm64",
        other => panic!("unexpected Template platform {other:?} in `{template}`"),
    }
}
