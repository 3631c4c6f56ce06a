//! Detached and remote signing: the to-be-signed bytes handed out and signed by
//! `openssl pkeyutl`, a signer command, a package's signature exported and attached to a
//! rebuilt package; osslsigncode and our verifier check every result.

use crate::signing_keys::{assert_refused, assert_verified, fixture, KEYS};
use crate::support::pki::TestPki;
use crate::support::{build_target, run, sspr_msi, stderr};
use std::path::{Path, PathBuf};
use std::process::Output;

fn sign(args: &[&std::ffi::OsStr]) -> Output {
    run(sspr_msi().arg("sign").args(args))
}

fn succeed(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

/// `sign UNSIGNED --cert CERTIFICATE OPTION VALUE --out OUT`.
fn sign_with(
    unsigned: &Path,
    certificate: &Path,
    option: &str,
    value: impl AsRef<std::ffi::OsStr>,
    out: &Path,
) -> Output {
    run(sspr_msi()
        .arg("sign")
        .arg(unsigned)
        .arg("--cert")
        .arg(certificate)
        .arg(option)
        .arg(value)
        .arg("--out")
        .arg(out))
}

fn sign_with_key_file(unsigned: &Path, certificate: &Path, key: &Path, out: &Path) {
    succeed(sign_with(unsigned, certificate, "--key", key, out));
}

/// The PKI's RSA-3072, P-256 and P-384 signers, with the digest `openssl pkeyutl` signs each
/// with.
fn signers(pki: &TestPki) -> Vec<(&'static str, &'static str)> {
    pki.signer_with_key("rsa3072", KEYS[0].1);
    pki.signer_with_key("p256", KEYS[2].1);
    pki.signer_with_key("p384", KEYS[3].1);
    vec![
        ("rsa3072", "sha256"),
        ("p256", "sha256"),
        ("p384", "sha384"),
    ]
}

/// `openssl pkeyutl -sign` of `input` with the PKI's `name.key`, hashing with `digest`.
fn pkeyutl(pki: &TestPki, name: &str, digest: &str, input: &Path, output: &Path) {
    let key = pki.file(&format!("{name}.key"));
    pki.openssl(&[
        "pkeyutl",
        "-sign",
        "-rawin",
        "-digest",
        digest,
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
        "-out",
        output.to_str().unwrap(),
    ]);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn digest_out_then_signature_in_signs_what_osslsigncode_and_we_verify() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let before = std::fs::read(&unsigned).unwrap();
    for (name, digest) in signers(&pki) {
        let certificate = pki.file(&format!("{name}.pem"));
        let tbs = dir.path().join(format!("{name}.tbs"));
        succeed(sign(&[
            unsigned.as_ref(),
            "--cert".as_ref(),
            certificate.as_ref(),
            "--digest-out".as_ref(),
            tbs.as_ref(),
        ]));
        assert_eq!(
            std::fs::read(&unsigned).unwrap(),
            before,
            "--digest-out changed the package"
        );
        let bytes = std::fs::read(&tbs).unwrap();
        assert_eq!(bytes[0], 0x31, "the signed attributes are a DER SET");
        let description: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join(format!("{name}.tbs.json"))).unwrap(),
        )
        .unwrap();
        let expected_digest = match digest {
            "sha384" => {
                let output = run(std::process::Command::new("openssl")
                    .args(["dgst", "-sha384", "-r"])
                    .arg(&tbs));
                crate::support::stdout(&output)
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_ascii_uppercase()
            }
            _ => msikit::hex::sha256_hex(&bytes).to_ascii_uppercase(),
        };
        assert_eq!(
            description["digest"],
            expected_digest.as_str(),
            "{description}"
        );
        assert_eq!(
            description["digest_algorithm"],
            if digest == "sha384" {
                "SHA-384"
            } else {
                "SHA-256"
            }
        );
        let signature = dir.path().join(format!("{name}.sig"));
        pkeyutl(&pki, name, digest, &tbs, &signature);
        let signed = dir.path().join(format!("{name}.msi"));
        succeed(sign_with(
            &unsigned,
            &certificate,
            "--signature-in",
            &signature,
            &signed,
        ));
        assert_verified(&pki, &signed);
        if name == "rsa3072" {
            // RSA PKCS#1 v1.5 is deterministic: the same bytes as signing with the key file.
            let direct = dir.path().join("direct.msi");
            let key = pki.file("rsa3072.key");
            sign_with_key_file(&unsigned, &certificate, &key, &direct);
            assert_eq!(
                std::fs::read(&direct).unwrap(),
                std::fs::read(&signed).unwrap()
            );
        }
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_signature_of_other_bytes_is_refused() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    signers(&pki);
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"not the signed attributes").unwrap();
    let signature = dir.path().join("other.sig");
    pkeyutl(&pki, "p256", "sha256", &other, &signature);
    let out = dir.path().join("never.msi");
    let certificate = pki.file("p256.pem");
    let result = sign_with(&unsigned, &certificate, "--signature-in", &signature, &out);
    assert_refused(
        &result,
        &out,
        "the given signature does not verify over this package's signed attributes",
    );
}

/// A signer script as a KMS client would be: to-be-signed bytes on stdin, signature out.
fn signer_script(pki: &TestPki, dir: &Path, name: &str, digest: &str) -> PathBuf {
    let script = dir.join(format!("sign-{name}.sh"));
    let key = pki.file(&format!("{name}.key"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\nin=$(mktemp)\ntrap 'rm -f \"$in\"' EXIT\ncat > \"$in\"\nopenssl pkeyutl -sign -rawin -digest {digest} -inkey '{}' -in \"$in\"\n",
            key.display()
        ),
    )
    .unwrap();
    script
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_signer_command_signs_for_sign_and_build() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    for (name, digest) in signers(&pki) {
        let script = signer_script(&pki, dir.path(), name, digest);
        let command = format!("sh '{}'", script.display());
        let certificate = pki.file(&format!("{name}.pem"));
        let signed = dir.path().join(format!("{name}.msi"));
        succeed(sign_with(
            &unsigned,
            &certificate,
            "--signer-command",
            &command,
            &signed,
        ));
        assert_verified(&pki, &signed);
    }
    let script = signer_script(&pki, dir.path(), "p256", "sha256");
    let output = succeed(run(sspr_msi()
        .arg("build")
        .args([
            "--target",
            "win10-x64",
            "--target",
            "win11-x64",
            "--json",
            "--out",
        ])
        .arg(dir.path().join("built"))
        .arg("--sign-cert")
        .arg(pki.file("p256.pem"))
        .arg("--signer-command")
        .arg(format!("sh '{}'", script.display()))));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    for package in report["packages"].as_array().unwrap() {
        assert_verified(&pki, Path::new(package["file"].as_str().unwrap()));
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_failing_signer_command_is_exit_4_quoting_its_error() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let out = dir.path().join("never.msi");
    let certificate = pki.file("signer.pem");
    let failing = sign_with(
        &unsigned,
        &certificate,
        "--signer-command",
        "echo 'KMS: access denied' >&2; exit 3",
        &out,
    );
    assert_refused(&failing, &out, "KMS: access denied");
    // A signer with another key: its first signature (the probe) is checked with the
    // certificate, before any package is signed.
    signers(&pki);
    let script = signer_script(&pki, dir.path(), "rsa3072", "sha256");
    let command = format!("sh '{}'", script.display());
    let wrong = sign_with(&unsigned, &certificate, "--signer-command", &command, &out);
    assert_refused(
        &wrong,
        &out,
        "returned a signature that does not verify with the certificate's key",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_exported_signature_attached_to_a_rebuilt_package_gives_the_same_signed_bytes() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    signers(&pki);
    let certificate = pki.file("rsa3072.pem");
    let key = pki.file("rsa3072.key");
    let signed = dir.path().join("released.msi");
    sign_with_key_file(&unsigned, &certificate, &key, &signed);
    let sig = dir.path().join("released.msi.sig");
    succeed(sign(&[
        signed.as_ref(),
        "--export-signature".as_ref(),
        sig.as_ref(),
    ]));
    // Anyone rebuilds from the same sources (no key), then attaches the released signature.
    let rebuilt_dir = dir.path().join("rebuilt");
    let rebuilt = build_target(None, "win10-x64", &rebuilt_dir);
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&unsigned).unwrap()
    );
    succeed(sign(&[rebuilt.as_ref(), "--attach".as_ref(), sig.as_ref()]));
    assert_eq!(
        std::fs::read(&rebuilt).unwrap(),
        std::fs::read(&signed).unwrap()
    );
    assert_verified(&pki, &rebuilt);
    // The signature of one package does not go on another.
    let other = build_target(None, "win11-x64", &dir.path().join("other"));
    let out = dir.path().join("never.msi");
    let refused = sign(&[
        other.as_ref(),
        "--attach".as_ref(),
        sig.as_ref(),
        "--out".as_ref(),
        out.as_ref(),
    ]);
    assert_refused(&refused, &out, "the signature is for another package");
    let unsigned_export = sign(&[
        unsigned.as_ref(),
        "--export-signature".as_ref(),
        out.as_ref(),
    ]);
    assert_refused(&unsigned_export, &out, "the package is not signed");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn the_bundle_manifest_records_the_unsigned_and_the_signed_digest() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    if !crate::support::require("unzip") {
        return;
    }
    let out = dir.path().join("release");
    succeed(run(sspr_msi()
        .arg("build")
        .args(["--target", "win10-x64", "--bundle", "--json", "--out"])
        .arg(&out)
        .arg("--sign-cert")
        .arg(pki.file("signer.pem"))
        .arg("--sign-key")
        .arg(pki.file("signer.key"))));
    let zip = out.join("sspr-1.0.0.zip");
    let manifest = succeed(run(std::process::Command::new("unzip")
        .arg("-p")
        .arg(&zip)
        .arg("manifest.json")));
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let package = &manifest["packages"][0];
    let signed = out.join(package["file"].as_str().unwrap());
    let sha256 = |path: &Path| msikit::hex::sha256_hex(&std::fs::read(path).unwrap());
    assert_eq!(package["sha256"], sha256(&signed).as_str(), "{package}");
    // The unsigned digest is the one of a build without a key: what `--attach` takes.
    assert_eq!(
        package["unsigned_sha256"],
        sha256(&unsigned).as_str(),
        "{package}"
    );
    assert_ne!(package["unsigned_sha256"], package["sha256"]);
}
