//! Signing keys beyond RSA-2048: RSA-3072/4096 and ECDSA P-256/P-384 from PEM (PKCS#8,
//! PKCS#1, SEC1) and PKCS#12, each result verified by osslsigncode and by our own verifier;
//! keys refused or warned about, with the reason; chains listing a certificate twice.

use crate::support::pki::TestPki;
use crate::support::{build_target, require, run, sspr_msi, stderr, stdout};
use msikit::sign::msi;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A test PKI and a win10-x64 package to sign, or `None` (outside CI) when openssl or
/// osslsigncode is missing.
pub(crate) fn fixture() -> Option<(TestPki, tempfile::TempDir, PathBuf)> {
    let pki = TestPki::new()?;
    if !require("osslsigncode") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let unsigned = build_target(None, "win10-x64", dir.path());
    Some((pki, dir, unsigned))
}

fn sign(input: &Path, output: &Path, certificate: &Path, key: &Path) -> Output {
    run(sspr_msi()
        .arg("sign")
        .arg(input)
        .arg("--out")
        .arg(output)
        .arg("--cert")
        .arg(certificate)
        .arg("--key")
        .arg(key))
}

/// osslsigncode and `sspr-msi verify --trust-anchor` both accept `signed` as signed under
/// the test CA.
pub(crate) fn assert_verified(pki: &TestPki, signed: &Path) {
    let output = run(Command::new("osslsigncode")
        .arg("verify")
        .arg("-CAfile")
        .arg(pki.file("ca.pem"))
        .arg("-in")
        .arg(signed));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        output.status.success() && text.contains("Signature verification: ok"),
        "osslsigncode: {text}"
    );
    let ours = run(sspr_msi()
        .arg("verify")
        .arg(signed)
        .arg("--trust-anchor")
        .arg(pki.file("ca.pem")));
    assert!(ours.status.success(), "verify: {}", stdout(&ours));
    let signer = msi::verify(&std::fs::read(signed).unwrap(), &pki.policy("ca.pem")).unwrap();
    assert!(signer.subject.contains("Contoso"), "{signer:?}");
}

pub(crate) const KEYS: &[(&str, &[&str])] = &[
    ("rsa3072", &["-newkey", "rsa:3072"]),
    ("rsa4096", &["-newkey", "rsa:4096"]),
    (
        "p256",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
    ),
    (
        "p384",
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    ),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn rsa_3072_4096_and_ecdsa_p256_p384_keys_sign_what_osslsigncode_and_we_verify() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    for (name, new_key) in KEYS {
        pki.signer_with_key(name, new_key);
        let signed = dir.path().join(format!("{name}.msi"));
        let result = sign(
            &unsigned,
            &signed,
            &pki.file(&format!("{name}.pem")),
            &pki.file(&format!("{name}.key")),
        );
        assert!(result.status.success(), "{name}: {}", stderr(&result));
        assert!(
            !stderr(&result).contains("warning"),
            "{name}: {}",
            stderr(&result)
        );
        assert_verified(&pki, &signed);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn ecdsa_signatures_are_deterministic() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.signer_with_key("p256", KEYS[2].1);
    let signed: Vec<Vec<u8>> = ["a.msi", "b.msi"]
        .iter()
        .map(|name| {
            let out = dir.path().join(name);
            let result = sign(
                &unsigned,
                &out,
                &pki.file("p256.pem"),
                &pki.file("p256.key"),
            );
            assert!(result.status.success(), "{}", stderr(&result));
            std::fs::read(out).unwrap()
        })
        .collect();
    assert_eq!(signed[0], signed[1]);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn sec1_ec_and_pkcs1_rsa_pem_keys_are_read() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.signer_with_key("p256", KEYS[2].1);
    pki.signer_with_key("rsa3072", KEYS[0].1);
    // `openssl ecparam -genkey` style: an EC PARAMETERS block, then EC PRIVATE KEY.
    pki.openssl(&["ec", "-in", "p256.key", "-out", "p256.sec1"]);
    pki.openssl(&["ecparam", "-name", "prime256v1", "-out", "params.pem"]);
    let sec1 = format!(
        "{}{}",
        std::fs::read_to_string(pki.file("params.pem")).unwrap(),
        std::fs::read_to_string(pki.file("p256.sec1")).unwrap()
    );
    assert!(sec1.contains("BEGIN EC PRIVATE KEY"), "{sec1}");
    std::fs::write(pki.file("p256.sec1"), sec1).unwrap();
    pki.openssl(&[
        "rsa",
        "-in",
        "rsa3072.key",
        "-traditional",
        "-out",
        "rsa3072.pkcs1",
    ]);
    for (certificate, key) in [("p256", "p256.sec1"), ("rsa3072", "rsa3072.pkcs1")] {
        let signed = dir.path().join(format!("{key}.msi"));
        let result = sign(
            &unsigned,
            &signed,
            &pki.file(&format!("{certificate}.pem")),
            &pki.file(key),
        );
        assert!(result.status.success(), "{key}: {}", stderr(&result));
        assert_verified(&pki, &signed);
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_ecdsa_key_in_a_pkcs12_bundle_signs() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.signer_with_key("p384", KEYS[3].1);
    pki.openssl(&[
        "pkcs12",
        "-export",
        "-in",
        "p384.pem",
        "-inkey",
        "p384.key",
        "-certfile",
        "ca.pem",
        "-out",
        "p384.p12",
        "-passout",
        "pass:s3cret",
    ]);
    let signed = dir.path().join("p12.msi");
    let result = run(sspr_msi()
        .arg("sign")
        .arg(&unsigned)
        .arg("--out")
        .arg(&signed)
        .arg("--pkcs12")
        .arg(pki.file("p384.p12"))
        .args(["--password-env", "P12_PASSWORD"])
        .env("P12_PASSWORD", "s3cret"));
    assert!(result.status.success(), "{}", stderr(&result));
    assert_verified(&pki, &signed);
}

/// `sign` must fail with exit 4, saying `expected`, and write nothing.
pub(crate) fn assert_refused(result: &Output, out: &Path, expected: &str) {
    assert_eq!(result.status.code(), Some(4), "{}", stderr(result));
    assert!(stderr(result).contains(expected), "{}", stderr(result));
    assert!(!out.exists());
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn rsa_keys_below_2048_and_above_4096_bits_are_refused_with_their_size() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.signer_with_key("rsa1024", &["-newkey", "rsa:1024"]);
    let out = dir.path().join("refused.msi");
    let small = sign(
        &unsigned,
        &out,
        &pki.file("rsa1024.pem"),
        &pki.file("rsa1024.key"),
    );
    assert_refused(&small, &out, "RSA-1024 key: too weak to sign with");
    // Made once (8192-bit keys take a minute to generate); refused by its size before it is
    // matched with a certificate.
    let large_key =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys/rsa8192-throwaway.key");
    let large = sign(&unsigned, &out, &pki.file("signer.pem"), &large_key);
    assert_refused(
        &large,
        &out,
        "RSA-8192 key: keys above 4096 bits are not supported",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_rsa_2048_key_signs_with_a_warning() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let signed = dir.path().join("signed.msi");
    let result = sign(
        &unsigned,
        &signed,
        &pki.file("signer.pem"),
        &pki.file("signer.key"),
    );
    assert!(result.status.success(), "{}", stderr(&result));
    assert!(
        stderr(&result).contains("warning: the signing key is RSA-2048"),
        "{}",
        stderr(&result)
    );
    assert_verified(&pki, &signed);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_certificate_signed_with_sha1_and_a_key_of_another_certificate_are_refused() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.signer_with_key("p256", KEYS[2].1);
    pki.openssl(&[
        "x509",
        "-req",
        "-sha1",
        "-in",
        "p256.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "3",
        "-extfile",
        "p256.ext",
        "-out",
        "sha1.pem",
    ]);
    let out = dir.path().join("out.msi");
    let sha1 = sign(
        &unsigned,
        &out,
        &pki.file("sha1.pem"),
        &pki.file("p256.key"),
    );
    assert_refused(&sha1, &out, "is signed with SHA-1");
    let mismatch = sign(
        &unsigned,
        &out,
        &pki.file("signer.pem"),
        &pki.file("p256.key"),
    );
    assert_refused(&mismatch, &out, "does not belong to the first certificate");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_chain_that_lists_a_certificate_twice_signs_without_a_panic() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let read = |name: &str| std::fs::read_to_string(pki.file(name)).unwrap();
    let chain = dir.path().join("chain.pem");
    let twice = [
        read("signer.pem"),
        read("ca.pem"),
        read("ca.pem"),
        read("signer.pem"),
    ];
    std::fs::write(&chain, twice.concat()).unwrap();
    let signed = dir.path().join("signed.msi");
    let result = sign(&unsigned, &signed, &chain, &pki.file("signer.key"));
    assert!(result.status.success(), "{}", stderr(&result));
    assert_verified(&pki, &signed);
    let build = run(sspr_msi()
        .arg("build")
        .args(["--target", "win10-x64", "--out"])
        .arg(dir.path().join("built"))
        .arg("--sign-cert")
        .arg(&chain)
        .arg("--sign-key")
        .arg(pki.file("signer.key")));
    assert!(build.status.success(), "{}", stderr(&build));
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn build_warns_when_ecdsa_signs_a_windows_7_8_or_81_package() {
    let Some((pki, dir, _)) = fixture() else {
        return;
    };
    let Some(config) = crate::support::payload::config(dir.path(), &[]) else {
        return;
    };
    pki.signer_with_key("p256", KEYS[2].1);
    let output = run(sspr_msi()
        .arg("build")
        .arg("--config")
        .arg(&config)
        .args([
            "--target",
            "win7-x64",
            "--target",
            "win81-x86",
            "--target",
            "win10-x64",
        ])
        .arg("--out")
        .arg(dir.path().join("out"))
        .arg("--json")
        .arg("--sign-cert")
        .arg(pki.file("p256.pem"))
        .arg("--sign-key")
        .arg(pki.file("p256.key")));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for package in report["packages"].as_array().unwrap() {
        let target = package["target"].as_str().unwrap();
        let warned = package["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|w| w.as_str().unwrap().contains("ECDSA")));
        assert_eq!(warned, target != "win10-x64", "{target}: {package}");
        assert_verified(&pki, Path::new(package["file"].as_str().unwrap()));
    }
    assert!(
        stderr(&output).contains("win7-x64 is signed with ECDSA P-256"),
        "{}",
        stderr(&output)
    );
}
