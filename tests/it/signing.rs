//! MSI signing: our signatures checked by osslsigncode, osslsigncode's by ours, tampering,
//! wrong anchors, re-signing, determinism, and Wine installing a signed package.

use crate::support::pki::TestPki;
use crate::support::wine::{Windows, WinePrefix};
use crate::support::{build_target, require, run, sspr_msi, stderr, stdout};
use msikit::compound::Streams;
use msikit::sign::{msi, SignatureError};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A test PKI and a scratch folder, or `None` (outside CI) when openssl or osslsigncode is missing.
fn fixture() -> Option<(TestPki, tempfile::TempDir)> {
    let pki = TestPki::new()?;
    require("osslsigncode").then(|| (pki, tempfile::tempdir().unwrap()))
}

pub(crate) fn osslsigncode_verify(msi: &Path, ca: &Path) -> (bool, String) {
    let output = run(Command::new("osslsigncode")
        .arg("verify")
        .arg("-CAfile")
        .arg(ca)
        .arg("-in")
        .arg(msi));
    (
        output.status.success(),
        format!("{}{}", stdout(&output), stderr(&output)),
    )
}

/// `osslsigncode sign` with the test PKI's code-signing certificate, which must succeed.
fn osslsigncode_sign(pki: &TestPki, input: &Path, output: &Path) {
    osslsigncode_sign_with(pki, input, output, &[]);
}

/// `osslsigncode sign` with `options` besides the certificate, key and digest.
pub(crate) fn osslsigncode_sign_with(pki: &TestPki, input: &Path, output: &Path, options: &[&str]) {
    osslsigncode_sign_as(pki, "signer", input, output, options);
}

/// `osslsigncode sign` as the test PKI's certificate `name`, which must succeed.
fn osslsigncode_sign_as(pki: &TestPki, name: &str, input: &Path, output: &Path, options: &[&str]) {
    let result = run(Command::new("osslsigncode")
        .arg("sign")
        .args(options)
        .arg("-certs")
        .arg(pki.file(&format!("{name}.pem")))
        .arg("-key")
        .arg(pki.file(&format!("{name}.key")))
        .arg("-h")
        .arg("sha256")
        .arg("-in")
        .arg(input)
        .arg("-out")
        .arg(output));
    assert!(result.status.success(), "{}", stderr(&result));
}

/// `sspr-msi sign INPUT --out OUTPUT`, credentials still to be added.
fn sign_command(input: &Path, output: &Path) -> Command {
    let mut command = sspr_msi();
    command.arg("sign").arg(input).arg("--out").arg(output);
    command
}

/// Signs with the test PKI's code-signing certificate, which must succeed.
fn sign_with_cli(pki: &TestPki, input: &Path, output: &Path) {
    sign_as(pki, "signer", input, output);
}

/// Signs with the test PKI's certificate `name` (`signer`, `tls`), which must succeed.
fn sign_as(pki: &TestPki, name: &str, input: &Path, output: &Path) {
    sign_as_with(pki, name, input, output, &[]);
}

/// `sign_as` with more options (`--msi-dse`…).
pub(crate) fn sign_as_with(
    pki: &TestPki,
    name: &str,
    input: &Path,
    output: &Path,
    options: &[&str],
) {
    let result = run(sign_command(input, output)
        .args(options)
        .arg("--cert")
        .arg(pki.file(&format!("{name}.pem")))
        .arg("--key")
        .arg(pki.file(&format!("{name}.key"))));
    assert!(result.status.success(), "{}", stderr(&result));
}

fn unsigned_package(dir: &Path) -> PathBuf {
    build_target(None, "win10-x64", dir)
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn osslsigncode_accepts_our_signature_and_we_accept_it_too() {
    let Some((pki, dir)) = fixture() else { return };
    let signed = dir.path().join("signed.msi");
    sign_with_cli(&pki, &unsigned_package(dir.path()), &signed);
    let (ok, text) = osslsigncode_verify(&signed, &pki.file("ca.pem"));
    assert!(ok && text.contains("Signature verification: ok"), "{text}");
    let bytes = std::fs::read(&signed).unwrap();
    let signer = msi::verify(&bytes, &pki.policy("ca.pem")).unwrap();
    assert!(
        signer.subject.contains("CN=Contoso Code Signing"),
        "{signer:?}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn we_accept_what_osslsigncode_signs() {
    let Some((pki, dir)) = fixture() else { return };
    let signed = dir.path().join("oss.msi");
    osslsigncode_sign(&pki, &unsigned_package(dir.path()), &signed);
    let signer = msi::verify(&std::fs::read(&signed).unwrap(), &pki.policy("ca.pem")).unwrap();
    assert!(signer.subject.contains("Contoso Code Signing"));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn any_changed_stream_breaks_the_signature_for_both_verifiers() {
    let Some((pki, dir)) = fixture() else { return };
    let signed = dir.path().join("signed.msi");
    sign_with_cli(&pki, &unsigned_package(dir.path()), &signed);
    let original = Streams::read(&std::fs::read(&signed).unwrap()).unwrap();
    let names: Vec<String> = original
        .streams
        .iter()
        .map(|(name, _)| name.clone())
        .filter(|name| name != msi::SIGNATURE_STREAM)
        .collect();
    assert!(names.len() > 5, "{names:?}");
    for name in names {
        let mut tampered = original.clone();
        let data = &mut tampered
            .streams
            .iter_mut()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1;
        let last = data.len() - 1;
        data[last] ^= 0x01;
        let path = dir.path().join("tampered.msi");
        std::fs::write(&path, tampered.write_v3().unwrap()).unwrap();
        let (ok, text) = osslsigncode_verify(&path, &pki.file("ca.pem"));
        assert!(!ok, "osslsigncode accepted a changed {name:?}: {text}");
        assert_eq!(
            msi::verify(&std::fs::read(&path).unwrap(), &pki.policy("ca.pem")),
            Err(SignatureError::DigestMismatch),
            "{name:?}"
        );
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn unsigned_and_wrongly_anchored_packages_are_refused_by_both() {
    let Some((pki, dir)) = fixture() else { return };
    let unsigned = unsigned_package(dir.path());
    let (ok, text) = osslsigncode_verify(&unsigned, &pki.file("ca.pem"));
    assert!(!ok && text.contains("MSI file has no signature"), "{text}");
    assert_eq!(
        msi::verify(&std::fs::read(&unsigned).unwrap(), &pki.policy("ca.pem")),
        Err(SignatureError::Unsigned)
    );

    let signed = dir.path().join("signed.msi");
    sign_with_cli(&pki, &unsigned, &signed);
    let (ok, text) = osslsigncode_verify(&signed, &pki.file("other-ca.pem"));
    assert!(!ok, "{text}");
    let refused = msi::verify(
        &std::fs::read(&signed).unwrap(),
        &pki.policy("other-ca.pem"),
    );
    assert!(
        matches!(refused, Err(SignatureError::Untrusted(_))),
        "{refused:?}"
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sign_and_verify_follow_windows_on_the_extended_key_usage() {
    let Some(pki) = TestPki::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let unsigned = unsigned_package(dir.path());
    let ca = pki.file("ca.pem");
    // No usage list allows every purpose; a list naming code signing allows it.
    for name in ["any-usage", "signer"] {
        let signed = dir.path().join(format!("{name}.msi"));
        sign_as(&pki, name, &unsigned, &signed);
        let (ossl_ok, text) = osslsigncode_verify(&signed, &ca);
        assert!(ossl_ok, "osslsigncode on {name}: {text}");
        let (status, ids) = verify_signature(&signed, &ca);
        assert_eq!(status, Some(0), "sspr-msi verify on {name}: {ids:?}");
    }
    // A list without code signing: `sign` refuses it, and `verify` refuses what another tool
    // signed with it.
    let refused = run(sign_command(&unsigned, &dir.path().join("tls.msi"))
        .arg("--cert")
        .arg(pki.file("tls.pem"))
        .arg("--key")
        .arg(pki.file("tls.key")));
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("without code signing"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.path().join("tls.msi").exists());
    let signed = dir.path().join("tls-by-osslsigncode.msi");
    osslsigncode_sign_as(&pki, "tls", &unsigned, &signed, &[]);
    let verdict = msi::verify(&std::fs::read(&signed).unwrap(), &pki.policy("ca.pem"));
    assert!(
        matches!(verdict, Err(SignatureError::NotCodeSigning(_))),
        "{verdict:?}"
    );
    let (status, ids) = verify_signature(&signed, &ca);
    assert_eq!(status, Some(1), "{ids:?}");
    assert!(ids.contains(&"SSPR009".to_string()), "{ids:?}");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn re_signing_replaces_the_signature_and_signing_is_deterministic() {
    let Some((pki, dir)) = fixture() else { return };
    let unsigned = unsigned_package(dir.path());
    let (once, twice, again) = (
        dir.path().join("once.msi"),
        dir.path().join("twice.msi"),
        dir.path().join("again.msi"),
    );
    sign_with_cli(&pki, &unsigned, &once);
    sign_with_cli(&pki, &once, &twice);
    sign_with_cli(&pki, &unsigned, &again);
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(
        read(&once),
        read(&again),
        "same key, same input: same bytes"
    );
    assert_eq!(
        read(&once),
        read(&twice),
        "re-signing leaves one signature and no stale sectors"
    );
    // Re-signing a package osslsigncode signed (with its signing time) also verifies.
    let oss = dir.path().join("oss.msi");
    osslsigncode_sign(&pki, &unsigned, &oss);
    let resigned = dir.path().join("resigned.msi");
    sign_with_cli(&pki, &oss, &resigned);
    assert_eq!(read(&resigned), read(&once));
    assert!(osslsigncode_verify(&resigned, &pki.file("ca.pem")).0);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn pkcs12_bundles_sign_too() {
    let Some(pki) = TestPki::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("p12.msi");
    let result = run(sign_command(&unsigned_package(dir.path()), &signed)
        .arg("--pkcs12")
        .arg(pki.file("signer.p12"))
        .arg("--password-env")
        .arg("SSPR_TEST_P12_PASSWORD")
        .env("SSPR_TEST_P12_PASSWORD", "s3cret"));
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(msi::verify(&std::fs::read(&signed).unwrap(), &pki.policy("ca.pem")).is_ok());
    let wrong = run(
        sign_command(&unsigned_package(dir.path()), &dir.path().join("x.msi"))
            .arg("--pkcs12")
            .arg(pki.file("signer.p12"))
            .arg("--password-env")
            .arg("SSPR_TEST_P12_PASSWORD")
            .env("SSPR_TEST_P12_PASSWORD", "wrong"),
    );
    assert_eq!(wrong.status.code(), Some(4), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("signer.p12"), "{}", stderr(&wrong));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn build_with_signing_signs_every_package_and_wine_installs_it() {
    let Some((pki, dir)) = fixture() else { return };
    let out = dir.path().join("out");
    let output = run(sspr_msi()
        .args([
            "build",
            "--json",
            "--target",
            "win10-x64",
            "--target",
            "win11-x64",
            "--out",
        ])
        .arg(&out)
        .arg("--sign-cert")
        .arg(pki.file("signer.pem"))
        .arg("--sign-key")
        .arg(pki.file("signer.key")));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for package in report["packages"].as_array().unwrap() {
        assert!(package["signed_by"]
            .as_str()
            .unwrap()
            .contains("Contoso Code Signing"));
        let msi = PathBuf::from(package["file"].as_str().unwrap());
        assert!(osslsigncode_verify(&msi, &pki.file("ca.pem")).0, "{msi:?}");
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let msi = out.join("sspr-win10-x64-1.0.0.msi");
    assert!(prefix.install(&msi, &[]).exited_with(0));
    assert!(prefix.uninstall(&msi).exited_with(0));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn bad_signing_inputs_are_clear_errors() {
    let Some(pki) = TestPki::new() else { return };
    let dir = tempfile::tempdir().unwrap();
    let msi = unsigned_package(dir.path());
    // Options that do not fit together are usage errors (2); files that do not fit, input
    // errors (4).
    let cases: [(&[&str], &str, i32); 3] = [
        (
            &["--cert", "signer.pem"],
            "give either a certificate and a key",
            2,
        ),
        (
            &["--cert", "signer.pem", "--key", "tls.key"],
            "does not belong",
            4,
        ),
        (
            &["--cert", "ca.key", "--key", "signer.key"],
            "not PEM certificates",
            4,
        ),
    ];
    for (args, message, code) in cases {
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                if a.ends_with(".pem") || a.ends_with(".key") {
                    pki.file(a).display().to_string()
                } else {
                    a.to_string()
                }
            })
            .collect();
        let output = run(sspr_msi().arg("sign").arg(&msi).args(&args));
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let not_msi = dir.path().join("not.msi");
    std::fs::write(&not_msi, "hello").unwrap();
    let output = run(sspr_msi()
        .arg("sign")
        .arg(&not_msi)
        .arg("--cert")
        .arg(pki.file("signer.pem"))
        .arg("--key")
        .arg(pki.file("signer.key")));
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn large_streams_are_hashed_as_osslsigncode_hashes_them() {
    let Some(pki) = TestPki::new() else { return };
    if !require("osslsigncode") {
        return;
    }
    let Some(built) = crate::support::payload::built() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // The test DLL with a 3 MiB overlay: the cabinet stream spans many regular sectors.
    let big = dir.path().join("x64/SsprTestCredProv.dll");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    let mut bytes = std::fs::read(crate::support::payload::dll(built, "x64")).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    bytes.extend((0..3 * 1024 * 1024).map(|_| {
        // xorshift: incompressible, so the cabinet stays as large as the payload.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as u8
    }));
    std::fs::write(&big, &bytes).unwrap();
    let pins = crate::support::payload::payload_replacements(
        &big,
        &crate::support::payload::dll(built, "x86"),
        None,
    );
    let pins: Vec<(&str, &str)> = pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let config = crate::support::config_file(dir.path(), &pins);
    let unsigned = build_target(Some(&config), "win7-x64", dir.path());
    assert!(std::fs::metadata(&unsigned).unwrap().len() > 1_000_000);
    let signed = dir.path().join("big-signed.msi");
    sign_with_cli(&pki, &unsigned, &signed);
    let (ok, text) = osslsigncode_verify(&signed, &pki.file("ca.pem"));
    assert!(ok, "{text}");
    assert!(msi::verify(&std::fs::read(&signed).unwrap(), &pki.policy("ca.pem")).is_ok());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn rfc3161_timestamps_from_a_configured_authority_verify_with_osslsigncode() {
    let Some(pki) = TestPki::new() else { return };
    if !require("osslsigncode") {
        return;
    }
    let url = crate::support::tsa::start(&pki, 4);
    let dir = tempfile::tempdir().unwrap();
    let signed = dir.path().join("timestamped.msi");
    let result = run(sign_command(&unsigned_package(dir.path()), &signed)
        .arg("--cert")
        .arg(pki.file("signer.pem"))
        .arg("--key")
        .arg(pki.file("signer.key"))
        .arg("--timestamp-url")
        .arg(&url));
    assert!(result.status.success(), "{}", stderr(&result));
    let output = run(Command::new("osslsigncode")
        .arg("verify")
        .arg("-CAfile")
        .arg(pki.file("ca.pem"))
        .arg("-TSA-CAfile")
        .arg(pki.file("ca.pem"))
        .arg("-in")
        .arg(&signed));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(output.status.success(), "{text}");
    assert!(
        text.contains("Timestamp Server Signature verification: ok"),
        "{text}"
    );
    assert!(msi::verify(&std::fs::read(&signed).unwrap(), &pki.policy("ca.pem")).is_ok());
    // An authority that cannot be reached is a clear error, not a silently unstamped package.
    let refused = run(
        sign_command(&unsigned_package(dir.path()), &dir.path().join("x.msi"))
            .arg("--cert")
            .arg(pki.file("signer.pem"))
            .arg("--key")
            .arg(pki.file("signer.key"))
            .arg("--timestamp-url")
            .arg("http://127.0.0.1:9/"),
    );
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr(&refused).contains("timestamp server http://127.0.0.1:9/"),
        "{}",
        stderr(&refused)
    );
    assert!(!dir.path().join("x.msi").exists());
}

/// `sspr-msi verify --trust-anchor`: exit status and the IDs of the findings it reports.
fn verify_signature(msi: &Path, ca: &Path) -> (Option<i32>, Vec<String>) {
    let output = run(sspr_msi()
        .arg("verify")
        .arg(msi)
        .arg("--trust-anchor")
        .arg(ca)
        .arg("--json"));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let ids = report["packages"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    (output.status.code(), ids)
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sspr_msi_verify_agrees_with_osslsigncode_on_good_tampered_and_unsigned_packages() {
    let Some((pki, dir)) = fixture() else { return };
    let unsigned = unsigned_package(dir.path());
    let signed = dir.path().join("signed.msi");
    sign_with_cli(&pki, &unsigned, &signed);
    let mut streams = Streams::read(&std::fs::read(&signed).unwrap()).unwrap();
    // The largest stream is the string pool: changing one character keeps the package
    // readable, so the signature is what must catch it.
    let (_, string_data) = streams
        .streams
        .iter_mut()
        .filter(|(name, _)| !name.contains("Signature"))
        .max_by_key(|(_, data)| data.len())
        .unwrap();
    let last = string_data.len() - 1;
    string_data[last] ^= 0x01;
    let tampered = dir.path().join("tampered.msi");
    std::fs::write(&tampered, streams.write_v3().unwrap()).unwrap();
    let ca = pki.file("ca.pem");
    for (msi, good) in [(&signed, true), (&tampered, false), (&unsigned, false)] {
        let (ossl_ok, text) = osslsigncode_verify(msi, &ca);
        let (status, report) = verify_signature(msi, &ca);
        assert_eq!(ossl_ok, good, "osslsigncode on {msi:?}: {text}");
        assert_eq!(
            status == Some(0),
            good,
            "sspr-msi verify on {msi:?}: {report:?}"
        );
        assert_eq!(
            report.contains(&"SSPR009".to_string()),
            !good,
            "{msi:?}: {report:?}"
        );
    }
    // Another CA: both refuse.
    assert!(!osslsigncode_verify(&signed, &pki.file("other-ca.pem")).0);
    assert_eq!(
        verify_signature(&signed, &pki.file("other-ca.pem")).0,
        Some(1)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msi_digital_signature_ex_is_checked_and_changed_metadata_is_caught_by_both_verifiers() {
    let Some((pki, dir)) = fixture() else { return };
    let (ca, policy) = (pki.file("ca.pem"), pki.policy("ca.pem"));
    // What signtool writes by default: the signed digest begins with a hash of the streams'
    // names, sizes, state bits and times, kept in MsiDigitalSignatureEx.
    let signed = dir.path().join("dse.msi");
    osslsigncode_sign_with(
        &pki,
        &unsigned_package(dir.path()),
        &signed,
        &["-add-msi-dse"],
    );
    let bytes = std::fs::read(&signed).unwrap();
    let recorded = Streams::read(&bytes).unwrap();
    let recorded = recorded
        .get(msi::SIGNATURE_EX_STREAM)
        .expect("osslsigncode wrote it");
    assert_eq!(msi::metadata_prehash(&bytes).unwrap(), recorded);
    assert!(osslsigncode_verify(&signed, &ca).0);
    assert!(msi::verify(&bytes, &policy).is_ok());
    assert_eq!(verify_signature(&signed, &ca).0, Some(0));

    // One stream's state bits changed: every stream's content is the same, its metadata not.
    let tampered = dir.path().join("tampered.msi");
    std::fs::copy(&signed, &tampered).unwrap();
    let mut file = cfb::open_rw(&tampered).unwrap();
    file.set_state_bits("/\u{5}SummaryInformation", 1).unwrap();
    file.flush().unwrap();
    drop(file);
    let bytes = std::fs::read(&tampered).unwrap();
    assert_eq!(msi::content_digest(&bytes).unwrap(), {
        msi::content_digest(&std::fs::read(&signed).unwrap()).unwrap()
    });
    let (ok, text) = osslsigncode_verify(&tampered, &ca);
    assert!(!ok, "osslsigncode accepted changed metadata: {text}");
    assert_eq!(
        msi::verify(&bytes, &policy),
        Err(SignatureError::MetadataMismatch)
    );
    let (status, report) = verify_signature(&tampered, &ca);
    assert_eq!(status, Some(1));
    assert!(report.contains(&"SSPR009".to_string()), "{report:?}");

    // Re-signing replaces both streams with a signature of our own, without the Ex stream.
    let resigned = dir.path().join("resigned.msi");
    sign_with_cli(&pki, &signed, &resigned);
    let bytes = std::fs::read(&resigned).unwrap();
    assert!(Streams::read(&bytes)
        .unwrap()
        .get(msi::SIGNATURE_EX_STREAM)
        .is_none());
    assert!(osslsigncode_verify(&resigned, &ca).0);
    assert!(msi::verify(&bytes, &policy).is_ok());
}
