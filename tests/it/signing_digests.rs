//! The two MSI signature digests we compute from our own compound-file reader, against the
//! ones osslsigncode computes (`osslsigncode verify` prints them) on packages osslsigncode
//! signed: a built package, and one with a sub-storage (an embedded transform, written with
//! the cfb crate) whose entries carry state bits, a CLSID and times.

use crate::signing::{osslsigncode_sign_with, osslsigncode_verify, sign_as_with};
use crate::support::pki::TestPki;
use crate::support::{build_target, require};
use msikit::sign::msi;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

/// The hex value osslsigncode prints after `label` (upper case, perhaps followed by
/// `MISMATCH!!!`), or `None`.
fn printed_digest(text: &str, label: &str) -> Option<Vec<u8>> {
    let line = text.lines().find(|line| line.starts_with(label))?;
    let hex = line.split(':').nth(1)?.split_whitespace().next()?;
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Adds to `file` a sub-storage `#SubTransform` (a nested storage inside it) with the cfb
/// crate, which stamps storages with the current time; state bits and a CLSID set besides.
fn add_a_sub_storage(file: &Path) {
    let mut file = cfb::open_rw(file).unwrap();
    file.create_storage("/#SubTransform").unwrap();
    file.create_storage("/#SubTransform/Nested").unwrap();
    file.create_stream("/#SubTransform/\u{5}SummaryInformation")
        .unwrap()
        .write_all(&[7; 300])
        .unwrap();
    file.create_stream("/#SubTransform/Nested/large")
        .unwrap()
        .write_all(&vec![9; 10_000])
        .unwrap();
    let clsid = uuid::Uuid::from_u128(0x000C_1082_0000_0000_C000_0000_0000_0046);
    file.set_storage_clsid("/#SubTransform", clsid).unwrap();
    file.set_state_bits("/#SubTransform", 0x55).unwrap();
    file.set_state_bits("/#SubTransform/Nested/large", 0x1234)
        .unwrap();
    let when = UNIX_EPOCH + Duration::from_secs(1_650_000_000);
    file.set_created_time("/#SubTransform/Nested", when)
        .unwrap();
    file.flush().unwrap();
}

/// The digests osslsigncode calculates for `signed` are ours: the metadata pre-hash and the
/// signed digest begun with it when it has an MsiDigitalSignatureEx stream, else the content
/// digest. osslsigncode prints them whether or not the signature still matches.
fn assert_osslsigncode_calculates_our_digests(signed: &Path, ca: &Path) {
    let text = osslsigncode_verify(signed, ca).1;
    let bytes = std::fs::read(signed).unwrap();
    let calculated_ex = printed_digest(&text, "Calculated MsiDigitalSignatureEx");
    let expected_digest = match &calculated_ex {
        Some(theirs) => {
            let prehash = msi::metadata_prehash(&bytes).unwrap();
            assert_eq!(theirs, &prehash, "{text}");
            msi::signed_digest(&bytes, Some(&prehash)).unwrap()
        }
        None => msi::content_digest(&bytes).unwrap(),
    };
    assert_eq!(
        Some(expected_digest),
        printed_digest(&text, "Calculated DigitalSignature"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn our_content_digest_and_metadata_prehash_are_osslsigncodes() {
    let Some(pki) = TestPki::new() else { return };
    if !require("osslsigncode") {
        return;
    }
    let ca = pki.file("ca.pem");
    let dir = tempfile::tempdir().unwrap();
    let built = build_target(None, "win10-x64", dir.path());
    for (name, options) in [("dse", &["-add-msi-dse"][..]), ("plain", &[][..])] {
        let signed = dir.path().join(format!("{name}.msi"));
        osslsigncode_sign_with(&pki, &built, &signed, options);
        let (ok, text) = osslsigncode_verify(&signed, &ca);
        assert!(ok, "{text}");
        assert_eq!(
            text.contains("Calculated MsiDigitalSignatureEx"),
            name == "dse",
            "{text}"
        );
        assert_osslsigncode_calculates_our_digests(&signed, &ca);
        // A sub-storage added after signing: the signature no longer matches, and both
        // digests cover the storage (osslsigncode 2.9 cannot sign such a file itself: it
        // writes its signature streams into the sub-storage).
        add_a_sub_storage(&signed);
        let (ok, text) = osslsigncode_verify(&signed, &ca);
        assert!(!ok, "{text}");
        assert_osslsigncode_calculates_our_digests(&signed, &ca);
    }
}
/// A package with a sub-storage that we sign, with and without MsiDigitalSignatureEx, verifies
/// with osslsigncode, which calculates the digests we signed.
#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn our_signature_on_a_package_with_a_sub_storage_verifies_with_osslsigncode() {
    let Some(pki) = TestPki::new() else { return };
    if !require("osslsigncode") {
        return;
    }
    let ca = pki.file("ca.pem");
    let dir = tempfile::tempdir().unwrap();
    let unsigned = build_target(None, "win10-x64", dir.path());
    add_a_sub_storage(&unsigned);
    for (name, options) in [("dse", &["--msi-dse"][..]), ("plain", &[][..])] {
        let signed = dir.path().join(format!("{name}.msi"));
        sign_as_with(&pki, "signer", &unsigned, &signed, options);
        let (ok, text) = osslsigncode_verify(&signed, &ca);
        assert!(ok, "{text}");
        assert_osslsigncode_calculates_our_digests(&signed, &ca);
    }
}
