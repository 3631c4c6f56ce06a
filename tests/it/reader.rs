//! The toolkit's own reader (`msikit::read`) against msiinfo (msitools, whose database code
//! comes from Wine's msi.dll) on real packages: every target we build, with and without the
//! payload and the proxy custom action, and what wixl builds from the `.wxs` fixtures and
//! benches. Every table (columns, types, keys, rows), every stream and the summary
//! information must read as msiinfo reads them.

use crate::support::{build_target, payload, require, run, stderr, stdout, wixl_package};
use msikit::read::{Database, Table, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn msiinfo(args: &[&str], msi: &Path) -> Vec<u8> {
    let mut command = Command::new("msiinfo");
    // `msiinfo export` writes a table's streams into a folder named after the table, in its
    // current folder: that is the package's own (temporary) folder, never the checkout.
    command
        .arg(args[0])
        .arg(msi)
        .args(&args[1..])
        .env("TZ", "UTC")
        .current_dir(msi.parent().unwrap());
    let output = run(&mut command);
    assert!(
        output.status.success(),
        "msiinfo {args:?} {}: {}",
        msi.display(),
        stderr(&output)
    );
    output.stdout
}

fn msiinfo_text(args: &[&str], msi: &Path) -> String {
    String::from_utf8(msiinfo(args, msi)).expect("msiinfo writes UTF-8")
}

/// Reads `msi` with our reader and checks every table, stream and summary property against
/// msiinfo's view of it.
fn assert_reads_as_msiinfo_reads(msi: &Path) {
    let bytes = std::fs::read(msi).unwrap();
    let database =
        msikit::read::read(&bytes).unwrap_or_else(|error| panic!("{}: {error}", msi.display()));
    let what = msi.file_name().unwrap().to_string_lossy().into_owned();
    let mut their_tables: Vec<String> = msiinfo_text(&["tables"], msi)
        .lines()
        .filter(|name| !["_SummaryInformation", "_ForceCodepage"].contains(name))
        .map(str::to_string)
        .collect();
    their_tables.sort();
    let mut our_tables: Vec<String> = database
        .tables
        .iter()
        .map(|table| table.name.clone())
        .collect();
    our_tables.sort();
    assert_eq!(our_tables, their_tables, "{what}: tables");
    for table in &database.tables {
        let theirs = msiinfo_text(&["export", &table.name], msi);
        assert_same_export(
            &idt(table),
            &theirs,
            &format!("{what}: table {}", table.name),
        );
    }
    assert_same_streams(&database, msi, &what);
    let summary = database
        .summary
        .as_ref()
        .expect("a summary information stream");
    assert_eq!(
        suminfo(summary),
        msiinfo_text(&["suminfo"], msi),
        "{what}: summary information"
    );
}

/// Compares line by line, so that a difference names its row. msiinfo (and msidump) write
/// a cell's line feeds as they are, where the archive format (and our writer) stores them as
/// character 25 (Archive File Format, "Control Character Translation"): a bare LF in theirs
/// is read as that. Our packages' CustomActionData holds line feeds; nothing holds tabs or CRs.
pub(crate) fn assert_same_export(ours: &str, theirs: &str, what: &str) {
    let theirs = theirs
        .split("\r\n")
        .map(|line| line.replace('\n', "\u{19}"))
        .collect::<Vec<_>>()
        .join("\r\n");
    let (ours, theirs): (Vec<&str>, Vec<&str>) =
        (ours.split("\r\n").collect(), theirs.split("\r\n").collect());
    for (index, (our_line, their_line)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(our_line, their_line, "{what}, line {}", index + 1);
    }
    assert_eq!(ours.len(), theirs.len(), "{what}: line count");
}

/// A table as `msiinfo export` writes it (the IDT format), by the toolkit's writer that
/// `inspect --table` uses.
pub(crate) fn idt(table: &Table) -> String {
    // Our packages and wixl's hold ASCII only, so no codepage reaches the text.
    msikit::read::idt::idt(table, 0)
}

fn assert_same_streams(database: &Database, msi: &Path, what: &str) {
    let mut theirs: Vec<String> = msiinfo_text(&["streams"], msi)
        .lines()
        .map(str::to_string)
        .collect();
    theirs.sort();
    let ours: Vec<String> = database.streams.keys().cloned().collect();
    assert_eq!(ours, theirs, "{what}: streams");
    for (name, data) in &database.streams {
        if name.starts_with('\u{5}') {
            continue; // property sets and signatures: msiinfo extracts only database streams
        }
        assert!(
            msiinfo(&["extract", name], msi) == data.load().unwrap().as_ref(),
            "{what}: stream {name} differs"
        );
    }
}

/// The summary as `msiinfo suminfo` prints it (times in UTC).
fn suminfo(summary: &msikit::read::Summary) -> String {
    let mut text = String::new();
    let mut line = |label: &str, value: Option<String>| {
        if let Some(value) = value {
            text.push_str(&format!("{label}: {value}\n"));
        }
    };
    let number = |value: Option<i32>| value.map(|n| format!("{n} ({n:x})"));
    line("Title", summary.title.clone());
    line("Subject", summary.subject.clone());
    line("Author", summary.author.clone());
    line("Keywords", summary.keywords.clone());
    line("Comments", summary.comments.clone());
    line("Template", summary.template.clone());
    line("Last author", summary.last_author.clone());
    line("Revision number (UUID)", summary.revision.clone());
    line("Created", summary.created.map(ctime));
    line("Last saved", summary.last_saved.map(ctime));
    line("Version", number(summary.page_count));
    line("Source", number(summary.word_count));
    line("Application", summary.creating_application.clone());
    line("Security", number(summary.security));
    text
}

/// A FILETIME as C's `ctime` writes it in UTC: `Tue Dec  1 20:48:03 2026`.
fn ctime(filetime: u64) -> String {
    let seconds = (filetime / 10_000_000) as i64 - 11_644_473_600;
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {day:2} {:02}:{:02}:{:02} {year}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn our_packages_for_every_target_read_as_msiinfo_reads_them() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for target in ["win10-x64", "win10-x86", "win11-x64"] {
        assert_reads_as_msiinfo_reads(&build_target(None, target, dir.path()));
    }
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    for package in built_packages(&config, &dir.path().join("with-payload")) {
        assert_reads_as_msiinfo_reads(&package);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn our_packages_with_the_proxy_custom_action_read_as_msiinfo_reads_them() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = crate::custom_actions::proxy_config(
        dir.path(),
        "machine",
        Some("proxy.contoso.com:8080"),
        "",
    ) else {
        return;
    };
    for package in built_packages(&config, &dir.path().join("out")) {
        let bytes = std::fs::read(&package).unwrap();
        let database = msikit::read::read(&bytes).unwrap();
        let binary = database.table("Binary").expect("a Binary table");
        assert!(binary.rows.iter().all(
            |row| matches!(&row[1], Value::Stream(name) if database.streams.contains_key(name))
        ));
        assert_reads_as_msiinfo_reads(&package);
    }
}

pub(crate) fn built_packages(config: &Path, out: &Path) -> Vec<PathBuf> {
    let output = run(crate::support::sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--json"));
    assert!(output.status.success(), "build: {}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let packages: Vec<PathBuf> = report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| PathBuf::from(entry["file"].as_str().unwrap()))
        .collect();
    assert!(packages.len() > 1, "{report}");
    packages
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn wixl_packages_read_as_msiinfo_reads_them() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for fixture in [
        "launch-condition",
        "registry-per-machine",
        "residue-not-installed",
        "uninstall-blocked",
        "versionnt-1000",
    ] {
        let Some(msi) = wixl_package(fixture, dir.path()) else {
            return;
        };
        assert_reads_as_msiinfo_reads(&msi);
    }
    // The benches' peers: a policy package, and a credential-provider package with a cabinet.
    std::fs::write(
        dir.path().join("payload.dll"),
        b"MZ not really a DLL; wixl only packs it".repeat(300),
    )
    .unwrap();
    for (bench, defines) in [
        ("policy", vec![]),
        ("credprov", vec!["-D", "Payload=payload.dll"]),
    ] {
        let source = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches")
            .join(format!("{bench}.wxs"));
        let msi = dir.path().join(format!("{bench}.msi"));
        crate::support::wixl_build(dir.path(), &source, "x64", &defines, &msi);
        assert_reads_as_msiinfo_reads(&msi);
    }
}

/// Every file `cabextract` extracts from `cabinet` (written to a folder under `dir`), by name.
fn cabextract(cabinet: &[u8], dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let input = dir.join("input.cab");
    std::fs::write(&input, cabinet).unwrap();
    let out = dir.join("cabextract");
    let output = run(Command::new("cabextract")
        .arg("-q")
        .arg("-d")
        .arg(&out)
        .arg(&input));
    assert!(output.status.success(), "cabextract: {}", stderr(&output));
    std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// Our cabinet reader gives exactly the files cabextract extracts.
fn assert_cabinet_reads_as_cabextract_reads_it(cabinet: &[u8], dir: &Path) -> usize {
    let ours: std::collections::BTreeMap<String, Vec<u8>> =
        msikit::read::cabinet::extract_all(cabinet, 1 << 30)
            .unwrap_or_else(|error| panic!("our cabinet reader: {error}"))
            .into_iter()
            .map(|(file, data)| (file.name, data))
            .collect();
    let theirs = cabextract(cabinet, dir);
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (name, data) in &theirs {
        assert!(&ours[name] == data, "{name} differs from cabextract's");
    }
    ours.len()
}

/// Text and pseudo-random bytes of `size`, so that blocks both compress and do not.
fn mixed_content(size: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..size)
        .map(|index| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            if index % 5000 < 3000 {
                b"registry value; "[index % 16]
            } else {
                (state >> 56) as u8
            }
        })
        .collect()
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn cabinets_our_builder_and_gcab_write_read_as_cabextract_reads_them() {
    if !require("cabextract") || !require("gcab") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<(String, Vec<u8>)> = vec![
        ("SsprTestCredProv.dll".into(), mixed_content(300_000, 1)),
        ("empty.txt".into(), Vec::new()),
        ("small.txt".into(), b"one line\r\n".to_vec()),
        ("exactly-one-block.bin".into(), mixed_content(32 * 1024, 2)),
    ];
    let sources: Vec<(&str, msikit::source::FileSource)> = files
        .iter()
        .map(|(name, data)| {
            (
                name.as_str(),
                msikit::source::FileSource::Memory(std::sync::Arc::new(data.clone())),
            )
        })
        .collect();
    let references: Vec<(&str, &msikit::source::FileSource)> = sources
        .iter()
        .map(|(name, source)| (*name, source))
        .collect();
    let ours = msikit::cab::build(&references, 1_700_000_000).unwrap();
    let ours_dir = dir.path().join("ours");
    std::fs::create_dir(&ours_dir).unwrap();
    assert_eq!(
        assert_cabinet_reads_as_cabextract_reads_it(&ours, &ours_dir),
        files.len()
    );

    let sources_dir = dir.path().join("sources");
    std::fs::create_dir(&sources_dir).unwrap();
    for (name, data) in &files {
        std::fs::write(sources_dir.join(name), data).unwrap();
    }
    let gcab_file = dir.path().join("gcab.cab");
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let output = run(Command::new("gcab")
        .current_dir(&sources_dir)
        .args(["-c", "-z", "-n"])
        .arg(&gcab_file)
        .args(&names));
    assert!(output.status.success(), "gcab: {}", stderr(&output));
    let gcab_dir = dir.path().join("gcab");
    std::fs::create_dir(&gcab_dir).unwrap();
    let gcab_cabinet = std::fs::read(&gcab_file).unwrap();
    assert_eq!(
        assert_cabinet_reads_as_cabextract_reads_it(&gcab_cabinet, &gcab_dir),
        files.len()
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_cabinets_embedded_in_our_credential_provider_packages_read_as_cabextract_reads_them() {
    if !require("cabextract") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(config) = payload::config(dir.path(), &[]) else {
        return;
    };
    let mut cabinets = 0;
    for (index, package) in built_packages(&config, &dir.path().join("out"))
        .iter()
        .enumerate()
    {
        let bytes = std::fs::read(package).unwrap();
        let database = msikit::read::read(&bytes).unwrap();
        for (name, data) in database
            .streams
            .iter()
            .filter(|(name, _)| name.ends_with(".cab"))
        {
            let work = dir.path().join(format!("{index}-{name}"));
            std::fs::create_dir(&work).unwrap();
            assert_eq!(
                assert_cabinet_reads_as_cabextract_reads_it(&data.load().unwrap(), &work),
                1,
                "{name}"
            );
            cabinets += 1;
        }
    }
    assert!(cabinets >= 2, "{cabinets} cabinets");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn packages_osslsigncode_signed_read_as_msiinfo_reads_them() {
    if !require("msiinfo") || !require("osslsigncode") {
        return;
    }
    let Some(pki) = crate::support::pki::TestPki::new() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let unsigned = build_target(None, "win10-x64", dir.path());
    for (name, options, streams) in [
        ("signed.msi", vec![], vec!["\u{5}DigitalSignature"]),
        (
            "signed-dse.msi",
            vec!["-add-msi-dse"],
            vec!["\u{5}DigitalSignature", "\u{5}MsiDigitalSignatureEx"],
        ),
    ] {
        let signed = dir.path().join(name);
        crate::signing::osslsigncode_sign_with(&pki, &unsigned, &signed, &options);
        assert_reads_as_msiinfo_reads(&signed);
        let bytes = std::fs::read(&signed).unwrap();
        let database = msikit::read::read(&bytes).unwrap();
        for stream in streams {
            assert!(
                database
                    .streams
                    .get(stream)
                    .is_some_and(|data| !data.is_empty()),
                "{name}: no {stream:?}"
            );
        }
    }
}
