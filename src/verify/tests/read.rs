//! The reader on the packages this project builds: every table, row and summary property.

use crate::bind::BindOptions;
use crate::config::Settings;
use crate::model::sspr;
use crate::payload::{CheckedPayload, Trust};
use crate::target::Target;
use msikit::package::*;
use std::io::Cursor;

/// Our package for `target` as MSI bytes, built from the embedded default configuration;
/// credential-provider targets get a stand-in DLL (the payload checks are not under test).
pub fn package_bytes(target: &str) -> Vec<u8> {
    package_bytes_with(&Settings::embedded_default().unwrap(), target)
}

/// The embedded default with the proxy, custom actions and properties of `extra` (TOML).
pub fn settings_with(extra: &str) -> Settings {
    let product = "[product]\nname = \"P\"\nmanufacturer = \"M\"\nversion = \"1.0.0\"\n";
    let parsed = crate::config::parse(&format!("{product}{extra}"), "test.toml").unwrap();
    Settings {
        proxy: parsed.proxy,
        custom_actions: parsed.custom_actions,
        properties: parsed.properties,
        cloud: parsed.cloud,
        ..Settings::embedded_default().unwrap()
    }
}

/// Like `package_bytes`, from `settings`; every embedded DLL is a stand-in.
pub fn package_bytes_with(settings: &Settings, target: &str) -> Vec<u8> {
    let options = BindOptions {
        timestamp: 0,
        creating_application: "test".into(),
    };
    let target = Target::from_name(target).unwrap();
    let stand_in = |name: &str| CheckedPayload {
        path: name.into(),
        source: msikit::source::FileSource::Memory(std::sync::Arc::new(b"MZ stand-in".to_vec())),
        arch: target.arch,
        file_version: Some("1.0.0.0".into()),
        language: Some(1033),
        trust: Trust::UnsignedAllowed,
        msi_file_hash: None,
    };
    let (payload, proxy_dll) = (
        stand_in("SsprCredentialProvider.dll"),
        stand_in("SsprProxyCA.dll"),
    );
    let binaries: std::collections::BTreeMap<String, CheckedPayload> = settings
        .custom_action_files_for(target)
        .unwrap()
        .into_iter()
        .map(|spec| (spec.config_key.clone(), stand_in("action.dll")))
        .collect();
    let inputs = sspr::Inputs {
        credential_provider: Some(&payload),
        proxy_dll: Some(&proxy_dll)
            .filter(|_| settings.proxy.mode != crate::config::ProxyMode::None),
        binaries: Some(&binaries),
    };
    crate::compile::compile_to_bytes(settings, target, inputs, &options).unwrap()
}

#[test]
fn reads_back_every_table_row_and_the_summary_we_wrote() {
    let bytes = package_bytes("win10-x64");
    let view = read(&bytes).unwrap();
    assert_eq!(view.database_codepage, 1252);
    assert_eq!(view.summary.platform(), Some("x64"));
    assert!(
        view.summary.keyword_list().contains(&"win10-x64"),
        "{:?}",
        view.summary.keywords
    );
    assert!(view.is_64bit());
    assert_eq!(view.property("ALLUSERS").as_deref(), Some("1"));
    let registry = &view.tables["Registry"];
    assert_eq!(registry.columns[0].name, "Registry");
    assert!(registry.columns[0].primary_key);
    assert_eq!(
        registry.columns[registry.column("Component_").unwrap()].foreign_key,
        Some(("Component".to_string(), 1))
    );
    assert!(view
        .rows(&msikit::format::schema::REGISTRY)
        .any(|row| row.name.as_deref() == Some("AllowPasswordReset")
            && row.value.as_deref() == Some("#1")));
    assert!(!view.has_signature);
}

#[test]
fn input_that_is_not_a_compound_file_is_refused_by_name() {
    for bytes in [&b""[..], b"MZ\x90\x00 not an msi", &[0u8; 4096]] {
        assert!(matches!(read(bytes), Err(ReadError::NotCompoundFile(_))));
    }
}

/// Reads `bytes` and proves the reader returned instead of panicking.
fn read_without_panic(bytes: &[u8], what: &str) -> Result<PackageView, ReadError> {
    std::panic::catch_unwind(|| read(bytes))
        .unwrap_or_else(|_| panic!("the reader panicked on {what}"))
}

#[test]
fn truncated_packages_give_errors_never_panics() {
    let bytes = package_bytes("win10-x64");
    let mut errors = 0;
    for length in (0..bytes.len()).step_by(97).chain([bytes.len() - 1]) {
        if read_without_panic(&bytes[..length], &format!("{length} bytes")).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0, "no truncation was noticed");
}

#[test]
fn flipped_bytes_give_errors_or_a_view_never_panics() {
    let bytes = package_bytes("win7-x64");
    let mut errors = 0;
    for offset in (0..bytes.len()).step_by(7) {
        for mask in [0xFF, 0x10] {
            let mut mangled = bytes.clone();
            mangled[offset] ^= mask;
            let what = format!("byte {offset} ^ {mask:#x}");
            errors += usize::from(read_without_panic(&mangled, &what).is_err());
        }
    }
    // Flips in the header, FAT, directory, string pool and tables are noticed (flips inside
    // a cabinet or a string's text are not the reader's to notice).
    assert!(errors > 100, "only {errors} flips were noticed");
}

/// Reads `bytes` on another thread and fails the test if that takes more than 20 s.
fn read_within_deadline(bytes: Vec<u8>, what: String) -> Result<PackageView, ReadError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(read(&bytes));
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(20))
        .unwrap_or_else(|_| panic!("the reader hung (or panicked) on {what}"))
}

#[test]
fn sector_chains_that_loop_give_errors_never_hangs() {
    let bytes = package_bytes("win10-x64");
    // Version 3: 512-byte sectors; the first FAT sector's number is at 0x4C.
    let sector_size = 512;
    let fat_sector = u32::from_le_bytes(bytes[0x4C..0x50].try_into().unwrap()) as usize;
    let fat_offset = (fat_sector + 1) * sector_size;
    let mut looped = 0;
    for entry in 0..sector_size / 4 {
        let at = fat_offset + entry * 4;
        let next = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if next >= 0xFFFF_FFFA {
            continue; // free, end of chain or a FAT/DIFAT marker: no chain to loop
        }
        let mut mangled = bytes.clone();
        mangled[at..at + 4].copy_from_slice(&(entry as u32).to_le_bytes());
        let _ = read_within_deadline(mangled, format!("FAT entry {entry} pointing to itself"));
        looped += 1;
    }
    assert!(looped > 5, "only {looped} chains looped");
}

#[test]
fn a_compound_file_without_installer_tables_is_refused() {
    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
    file.create_stream("/hello").unwrap();
    let bytes = file.into_inner().into_inner();
    let error = read(&bytes).unwrap_err();
    assert!(
        matches!(
            error,
            ReadError::NotInstallerPackage(_) | ReadError::Malformed(_)
        ),
        "{error}"
    );
}
