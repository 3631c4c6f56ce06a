//! Our version-3 compound-file writer with sub-storages (embedded transforms), read back by
//! tools nobody here wrote: msitools' `msiinfo` and `msiextract` (libgsf's reader) and the
//! cfb crate.

use crate::support::{require, run, stderr, stdout};
use msikit::compound::Streams;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn msitools(tool: &str, args: &[&Path]) -> String {
    let output = run(Command::new(tool).args(args));
    assert!(output.status.success(), "{tool}: {}", stderr(&output));
    stdout(&output)
}

/// Every file below `dir`, by path relative to it, with its content.
fn files_below(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(dir).unwrap().to_path_buf();
                files.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msitools_and_cfb_read_a_package_with_sub_storages_that_we_write() {
    if !require("msiinfo") || !require("msiextract") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A package that installs files: the credential provider's, from its cabinet.
    let Some(config) = crate::support::payload::config(dir.path(), &[]) else {
        return;
    };
    let built = crate::reader::built_packages(&config, &dir.path().join("out"))
        .into_iter()
        .find(|msi| {
            let tables = msitools("msiinfo", &[Path::new("tables"), msi]);
            tables.lines().any(|table| table.trim() == "File")
        })
        .expect("a package with a File table");
    let mut streams = Streams::read(&std::fs::read(&built).unwrap()).unwrap();
    streams.insert("/#Transform1/\u{5}SummaryInformation", vec![5; 300]);
    streams.insert("/#Transform1/Nested/large", vec![6; 9000]);
    streams.insert("/#Transform2/small", vec![7; 10]);
    let nested = dir.path().join("nested.msi");
    std::fs::write(&nested, streams.write_v3().unwrap()).unwrap();

    for command in ["streams", "tables"] {
        assert_eq!(
            msitools("msiinfo", &[Path::new(command), &nested]),
            msitools("msiinfo", &[Path::new(command), &built]),
            "msiinfo {command}"
        );
    }
    let extracted = |msi: &Path, name: &str| {
        let out = dir.path().join(name);
        std::fs::create_dir(&out).unwrap();
        let output = run(Command::new("msiextract").arg("-C").arg(&out).arg(msi));
        assert!(output.status.success(), "msiextract: {}", stderr(&output));
        files_below(&out)
    };
    let theirs = extracted(&nested, "nested");
    assert!(!theirs.is_empty(), "the package installs files");
    assert_eq!(theirs, extracted(&built, "built"));

    let mut file = cfb::open(&nested).unwrap();
    assert!(file.is_storage("/#Transform1/Nested"));
    let mut large = Vec::new();
    file.open_stream("/#Transform1/Nested/large")
        .unwrap()
        .read_to_end(&mut large)
        .unwrap();
    assert_eq!(large, vec![6; 9000]);
}
