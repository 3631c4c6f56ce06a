//! `sspr-msi transform` and `verify --transform`, proven by tools nobody here wrote: Wine's
//! msiexec installs with `TRANSFORMS=` and the values land in its registry; Wine's msi.dll
//! (`MsiDatabaseApplyTransform`, through a small harness built with mingw-w64) applies our
//! `--diff` transforms and the result equals NEW table by table in `msiinfo export`; msiinfo
//! reads the transform's summary information. Our own applier agrees with msi.dll.
//!
//! msitools' libmsi is not among the oracles: its `libmsi_database_apply_transform` keeps one
//! byte of the 3-byte UTF-8 table marker in every table name (`strdup(name + 1)`), finds no
//! table, and refuses every transform, Windows-made or ours (msitools 0.101 to current).

use crate::custom_actions::SITE_ACTION;
use crate::support::wine::{windows_path, Windows, WinePrefix};
use crate::support::{
    build_target, config_with_registry, require, run, sspr_msi, stderr, stdout, wixl_package,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SITE_KEY: &str = r"HKLM\SOFTWARE\Contoso SSPR Site";
const FIXTURE_KEY: &str = r"HKLM\SOFTWARE\Fabrikam\VerifyFixture";
const FIXTURE_PRODUCT_CODE: &str = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A61}";
const UNINSTALL_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";

fn transform(args: &[&str], paths: &[&Path]) -> Output {
    run(sspr_msi().arg("transform").args(paths).args(args))
}

/// `sspr-msi transform BASE --set …  --out OUT`, which must succeed.
fn set(base: &Path, settings: &[&str], out: &Path) {
    let mut command = sspr_msi();
    command.arg("transform").arg(base).arg("--out").arg(out);
    for setting in settings {
        command.args(["--set", setting]);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("tables changed: Property"),
        "{}",
        stdout(&output)
    );
}

/// `sspr-msi transform --diff OLD NEW --out OUT`, which must succeed.
fn diff(old: &Path, new: &Path, out: &Path) {
    let output = run(sspr_msi()
        .args(["transform", "--diff"])
        .arg(old)
        .arg(new)
        .arg("--out")
        .arg(out));
    assert!(output.status.success(), "{}", stderr(&output));
}

/// Our win10-x64 package, and the one whose TagSite action writes `[SITE]` (default
/// `ct-main`) to the registry.
fn our_packages(dir: &Path) -> (PathBuf, PathBuf) {
    let plain_dir = dir.join("plain");
    let site_dir = dir.join("site");
    std::fs::create_dir_all(&site_dir).unwrap();
    let plain = build_target(None, "win10-x64", &plain_dir);
    let config = config_with_registry(&site_dir, SITE_ACTION);
    (plain, build_target(Some(&config), "win10-x64", &site_dir))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msiinfo_reads_the_transform_summary_information() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let mst = dir.path().join("site.mst");
    set(&msi, &["REBOOT=Force", "ENABLELOGGING=1"], &mst);
    let output = run(Command::new("msiinfo").arg("suminfo").arg(&mst));
    let info = stdout(&output);
    let product = crate::support::msiinfo_rows(&msi, "Property")
        .into_iter()
        .find(|row| row[0] == "ProductCode")
        .unwrap()[1]
        .clone();
    let upgrade = crate::support::msiinfo_rows(&msi, "Property")
        .into_iter()
        .find(|row| row[0] == "UpgradeCode")
        .unwrap()[1]
        .clone();
    assert!(info.contains("Title: Transform"), "{info}");
    assert!(info.contains("Template: x64;1033"), "{info}");
    assert!(info.contains("Last author: x64;1033"), "{info}");
    assert!(
        info.contains(&format!("{product}1.0.0;{product}1.0.0;{upgrade}")),
        "{info}"
    );
    // PRODUCT | LANGUAGE | PLATFORM | UPGRADE_CODE in the upper word, no error conditions.
    assert!(info.contains("(8070000)"), "{info}");
}

#[test]
fn property_names_that_are_not_identifiers_are_usage_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let msi = build_target(None, "win10-x64", dir.path());
    let out = dir.path().join("x.mst");
    for setting in ["1PROXY=x", "PROXY SERVER=x", "NOEQUALS", "REBOOT="] {
        let output = transform(&["--set", setting, "--out", out.to_str().unwrap()], &[&msi]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{setting}: {}",
            stderr(&output)
        );
        assert!(!out.exists(), "{setting}");
    }
    let output = transform(&["--set", "A=1", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn verify_applies_the_transform_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    let mst = dir.path().join("site.mst");
    set(&msi, &["Manufacturer=Contoso"], &mst);
    let verify = |transforms: &[&Path]| {
        let mut command = sspr_msi();
        command
            .arg("verify")
            .arg(&msi)
            .args(["--profile", "win10-22h2-x64", "--json"]);
        for transform in transforms {
            command.arg("--transform").arg(transform);
        }
        let output = run(&mut command);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    };
    // The Owner value is "[Manufacturer] IT".
    let plain = verify(&[]);
    assert!(plain.contains("\"Fabrikam IT\"") && !plain.contains("Contoso IT"));
    let transformed = verify(&[&mst]);
    assert!(
        transformed.contains("\"Contoso IT\"") && !transformed.contains("Fabrikam IT"),
        "{transformed}"
    );
    // Applied in order: the last one wins.
    let second = dir.path().join("second.mst");
    set(&msi, &["Manufacturer=Northwind"], &second);
    assert!(verify(&[&mst, &second]).contains("\"Northwind IT\""));
}

#[test]
fn verify_refuses_an_invalid_transform_with_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, site) = our_packages(dir.path());
    let junk = dir.path().join("junk.mst");
    std::fs::write(&junk, b"not a compound file").unwrap();
    // A transform made for the site package carries its ProductCode: not for another product.
    let other = dir.path().join("other.mst");
    set(&site, &["SITE=ct-branch"], &other);
    let second = build_target(None, "win11-x64", &dir.path().join("win11"));
    for (transform, message) in [
        (&junk, "compound-file header, byte 0"),
        (&plain, "not a transform's {000c1082"),
        (
            &other,
            "summary information, byte 0: the transform is for ProductCode",
        ),
    ] {
        let output = run(sspr_msi()
            .arg("verify")
            .arg(&second)
            .arg("--transform")
            .arg(transform));
        assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
        assert!(
            stderr(&output).contains(message),
            "{message}: {}",
            stderr(&output)
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn wine_installs_our_package_with_a_site_transform_and_its_value_is_in_the_registry() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_, msi) = our_packages(dir.path());
    let mst = dir.path().join("site.mst");
    set(
        &msi,
        &["SITE=ct-branch", "ARPCONTACT=Contoso Helpdesk"],
        &mst,
    );
    let install = prefix.install(&msi, &[&format!("TRANSFORMS={}", windows_path(&mst))]);
    assert!(install.exited_with(0), "{}", install.log);
    assert_eq!(
        prefix.reg_value(SITE_KEY, "Site", true),
        Some(("REG_SZ".into(), "ct-branch".into()))
    );
    let product = msikit::package::read(&std::fs::read(&msi).unwrap())
        .unwrap()
        .property("ProductCode")
        .unwrap();
    assert_eq!(
        prefix.reg_value(&format!(r"{UNINSTALL_KEY}\{product}"), "Contact", true),
        Some(("REG_SZ".into(), "Contoso Helpdesk".into()))
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn wine_installs_a_wixl_package_with_a_transform_and_its_values_are_in_the_registry() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    let mst = dir.path().join("site.mst");
    set(&msi, &["Manufacturer=Contoso", "ARPCONTACT=Helpdesk"], &mst);
    let install = prefix.install(&msi, &[&format!("TRANSFORMS={}", windows_path(&mst))]);
    assert!(install.exited_with(0), "{}", install.log);
    assert_eq!(
        prefix.reg_value(FIXTURE_KEY, "Owner", true),
        Some(("REG_SZ".into(), "Contoso IT".into()))
    );
    let uninstall = format!(r"{UNINSTALL_KEY}\{FIXTURE_PRODUCT_CODE}");
    assert_eq!(
        prefix.reg_value(&uninstall, "Publisher", true),
        Some(("REG_SZ".into(), "Contoso".into()))
    );
    assert_eq!(
        prefix.reg_value(&uninstall, "Contact", true),
        Some(("REG_SZ".into(), "Helpdesk".into()))
    );
}

/// The msi.dll harness, built with mingw-w64 into `dir`.
fn harness(dir: &Path) -> PathBuf {
    let source =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/transform/apply_transform.c");
    let exe = dir.join("apply_transform.exe");
    let output = run(Command::new("x86_64-w64-mingw32-gcc")
        .args(["-municode", "-O2", "-o"])
        .arg(&exe)
        .arg(&source)
        .arg("-lmsi"));
    assert!(output.status.success(), "{}", stderr(&output));
    exe
}

/// `msiinfo export` of every table of `msi` (header lines, then rows sorted), by table.
fn exported_tables(msi: &Path) -> Vec<(String, Vec<String>)> {
    let output = run(Command::new("msiinfo").arg("tables").arg(msi));
    let mut tables: Vec<String> = stdout(&output)
        .lines()
        .map(str::trim)
        .filter(|name| !matches!(*name, "_SummaryInformation" | "_ForceCodepage"))
        .map(str::to_string)
        .collect();
    tables.sort();
    tables
        .into_iter()
        .map(|table| {
            let output = run(Command::new("msiinfo").arg("export").arg(msi).arg(&table));
            assert!(output.status.success(), "{table}: {}", stderr(&output));
            let text = stdout(&output);
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            let mut rows = lines.split_off(3.min(lines.len()));
            rows.sort();
            lines.extend(rows);
            (table, lines)
        })
        .collect()
}

/// Our tables after our own applier, read back by our reader, for comparison with msi.dll's.
fn applied_by_us(old: &Path, mst: &Path) -> Vec<(String, Vec<Vec<msikit::read::Value>>)> {
    let bytes = std::fs::read(old).unwrap();
    let mut database = msikit::read::read(&bytes).unwrap();
    msikit::transform::apply(&mut database, &std::fs::read(mst).unwrap()).unwrap();
    sorted_rows(&database)
}

fn sorted_rows(
    database: &msikit::read::Database<'_>,
) -> Vec<(String, Vec<Vec<msikit::read::Value>>)> {
    let mut tables: Vec<_> = database
        .tables
        .iter()
        .map(|table| {
            let mut rows = table.rows.clone();
            rows.sort();
            (table.name.clone(), rows)
        })
        .collect();
    tables.sort();
    tables
}

/// msi.dll applies the transform from OLD to NEW to OLD; the result is NEW in every table,
/// and what our applier makes of OLD is what msi.dll made.
fn assert_msi_dll_makes_new_of_old(old: &Path, new: &Path, dir: &Path) {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let mst = dir.join("x.mst");
    diff(old, new, &mst);
    let out = dir.join("applied.msi");
    let exe = harness(dir);
    let output = prefix.wine(&[
        &windows_path(&exe),
        &windows_path(old),
        &windows_path(&out),
        &windows_path(&mst),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (applied, expected) = (exported_tables(&out), exported_tables(new));
    let names = |tables: &[(String, Vec<String>)]| -> Vec<String> {
        tables.iter().map(|(name, _)| name.clone()).collect()
    };
    assert_eq!(names(&applied), names(&expected));
    for ((table, got), (_, wanted)) in applied.iter().zip(&expected) {
        assert_eq!(got, wanted, "table {table}");
    }
    let by_msi_dll = std::fs::read(&out).unwrap();
    assert_eq!(
        applied_by_us(old, &mst),
        sorted_rows(&msikit::read::read(&by_msi_dll).unwrap())
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msi_dll_turns_our_package_into_the_new_one_with_our_diff_transform() {
    if !require("msiinfo") || !require("x86_64-w64-mingw32-gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The site package adds the CustomAction table, sequence rows, a property and
    // _Validation rows.
    let (plain, site) = our_packages(dir.path());
    assert_msi_dll_makes_new_of_old(&plain, &site, dir.path());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msi_dll_turns_one_wixl_package_into_another_with_our_diff_transform() {
    if !require("msiinfo") || !require("x86_64-w64-mingw32-gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (Some(old), Some(new)) = (
        wixl_package("registry-per-machine", dir.path()),
        wixl_package("launch-condition", dir.path()),
    ) else {
        return;
    };
    // Another product altogether: rows inserted, deleted and updated in most tables.
    assert_msi_dll_makes_new_of_old(&old, &new, dir.path());
}

/// A small database with a Binary row `Tool` whose stream is `tool`, and `extra` Binary rows.
fn binary_package(path: &Path, tool: &[u8], extra: &[(&str, &[u8])]) {
    use msikit::database::{Database, Summary};
    use msikit::format::schema;
    use std::sync::Arc;
    let mut db = Database {
        tables: Default::default(),
        streams: Default::default(),
        summary: Summary {
            platform: "x64".into(),
            language: 1033,
            page_count: 200,
            ..Summary::default()
        },
    };
    for (property, value) in [
        ("ProductCode", "{8E3C2A5B-0000-4000-8000-0000000000B1}"),
        ("ProductVersion", "1.0.0"),
        ("ProductLanguage", "1033"),
    ] {
        db.insert(
            &schema::PROPERTY,
            schema::Property {
                property: property.into(),
                value: value.into(),
            },
        );
    }
    for (name, data) in [("Tool", tool)].into_iter().chain(extra.iter().copied()) {
        db.insert(
            &schema::BINARY,
            schema::Binary {
                name: name.into(),
                data: name.into(),
            },
        );
        db.streams
            .insert(format!("Binary.{name}"), Arc::new(data.to_vec()));
    }
    std::fs::write(path, msikit::database::to_bytes(&db).unwrap()).unwrap();
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
/// A changed stream cell is not checked here: Wine's msi.dll keeps the old stream data on
/// commit for an existing row (masked or whole-row record alike), while it takes an added
/// row's stream. Our applier's handling of both is a unit test
/// (`msikit::transform::tests`).
fn msi_dll_takes_an_added_binary_stream_from_our_transform() {
    if !require("msiinfo") || !require("x86_64-w64-mingw32-gcc") {
        return;
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.msi"), dir.path().join("new.msi"));
    binary_package(&old, b"MZ old tool", &[]);
    binary_package(&new, b"MZ new tool, longer", &[("Helper", b"MZ helper")]);
    let mst = dir.path().join("x.mst");
    diff(&old, &new, &mst);
    let out = dir.path().join("applied.msi");
    let exe = harness(dir.path());
    let output = prefix.wine(&[
        &windows_path(&exe),
        &windows_path(&old),
        &windows_path(&out),
        &windows_path(&mst),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let helper = run(Command::new("msiinfo")
        .arg("extract")
        .arg(&out)
        .arg("Binary.Helper"));
    assert!(
        helper.status.success(),
        "Binary.Helper: {}",
        stderr(&helper)
    );
    assert_eq!(helper.stdout, b"MZ helper", "Binary.Helper");
    assert_eq!(
        crate::support::msiinfo_rows(&out, "Binary").len(),
        2,
        "Tool and Helper"
    );
}

/// Runs SQL on a database with msitools' msibuild, which opens an existing one.
fn msibuild(msi: &Path, queries: &[&str]) {
    let mut command = Command::new("msibuild");
    command.arg(msi);
    for query in queries {
        command.arg("-q").arg(query);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msi_dll_drops_a_table_and_appends_columns_from_our_transform() {
    if !require("msiinfo") || !require("msibuild") || !require("x86_64-w64-mingw32-gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.msi"), dir.path().join("new.msi"));
    binary_package(&old, b"MZ tool", &[]);
    binary_package(&new, b"MZ tool", &[]);
    msibuild(
        &old,
        &[
            "CREATE TABLE `Site` (`Key` CHAR(72) NOT NULL, `Value` CHAR(0) PRIMARY KEY `Key`)",
            "INSERT INTO `Site` (`Key`, `Value`) VALUES ('proxy', 'p1')",
            "INSERT INTO `Site` (`Key`, `Value`) VALUES ('log', 'l1')",
            "CREATE TABLE `Legacy` (`Key` CHAR(72) NOT NULL PRIMARY KEY `Key`)",
            "INSERT INTO `Legacy` (`Key`) VALUES ('old')",
        ],
    );
    // Site gains a string and an integer column; Legacy is gone.
    msibuild(
        &new,
        &[
            "CREATE TABLE `Site` (`Key` CHAR(72) NOT NULL, `Value` CHAR(0), `Note` CHAR(0), `Level` SHORT PRIMARY KEY `Key`)",
            "INSERT INTO `Site` (`Key`, `Value`, `Note`, `Level`) VALUES ('proxy', 'p2', 'moved', 3)",
            "INSERT INTO `Site` (`Key`, `Value`) VALUES ('log', 'l1')",
            "INSERT INTO `Site` (`Key`, `Value`, `Note`, `Level`) VALUES ('extra', 'e', 'new', 1)",
        ],
    );
    assert_msi_dll_makes_new_of_old(&old, &new, dir.path());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_embedded_transform_is_applied_by_wine_and_by_verify_alike() {
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    let embedded = dir.path().join("embedded.msi");
    let output = run(sspr_msi()
        .arg("transform")
        .arg(&msi)
        .args(["--set", "Manufacturer=Contoso", "--embed", "site", "--out"])
        .arg(&embedded));
    assert!(output.status.success(), "{}", stderr(&output));
    let install = prefix.install(&embedded, &["TRANSFORMS=:site"]);
    assert!(install.exited_with(0), "{}", install.log);
    // The Owner value is "[Manufacturer] IT".
    assert_eq!(
        prefix.reg_value(FIXTURE_KEY, "Owner", true),
        Some(("REG_SZ".into(), "Contoso IT".into()))
    );
    let verify = |transform: &str| {
        run(sspr_msi().arg("verify").arg(&embedded).args([
            "--profile",
            "wine-win10",
            "--json",
            "--transform",
            transform,
        ]))
    };
    let output = verify(":site");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("\"Contoso IT\""),
        "{}",
        stdout(&output)
    );
    let output = verify(":absent");
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("embeds no transform \"absent\""),
        "{}",
        stderr(&output)
    );
}
