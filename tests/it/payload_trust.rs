//! Authenticode checks of the payload before packaging: test DLLs signed with osslsigncode
//! by a throwaway CA made with openssl.

use crate::support::payload::{self, dll, payload_replacements};
use crate::support::pki::TestPki;
use crate::support::{config_file, require, run, sspr_msi, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

const ALLOW_UNSIGNED: &str = "allow_unsigned_payloads = true";

struct Fixture {
    pki: TestPki,
    dir: tempfile::TempDir,
    built: &'static Path,
}

fn fixture() -> Option<Fixture> {
    if !require("osslsigncode") {
        return None;
    }
    let built = payload::built()?;
    Some(Fixture {
        pki: TestPki::new()?,
        dir: tempfile::tempdir().unwrap(),
        built,
    })
}

impl Fixture {
    /// The test DLL for `arch`, signed by `signer` (`signer` or `tls` in the test PKI).
    fn signed_dll(&self, arch: &str, signer: &str) -> PathBuf {
        let out = self.dir.path().join(format!("{arch}-{signer}.dll"));
        if out.exists() {
            return out;
        }
        let output = run(Command::new("osslsigncode")
            .arg("sign")
            .arg("-certs")
            .arg(self.pki.file(&format!("{signer}.pem")))
            .arg("-key")
            .arg(self.pki.file(&format!("{signer}.key")))
            .arg("-h")
            .arg("sha256")
            .arg("-in")
            .arg(dll(self.built, arch))
            .arg("-out")
            .arg(&out));
        assert!(output.status.success(), "{}", stderr(&output));
        out
    }

    /// A config pinning `x64` (and the signed x86 DLL), trusting `anchor`, plus `extra` lines
    /// in `[credential_provider]`.
    fn config(&self, x64: &Path, anchor: &str, extra: &str) -> PathBuf {
        let x86 = self.signed_dll("x86", "signer");
        let pins = payload_replacements(x64, &x86, None);
        let mut replacements: Vec<(&str, &str)> =
            pins.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let trust = format!(
            "trust_anchors = ['{}']\n{extra}",
            self.pki.file(anchor).display()
        );
        replacements.push((ALLOW_UNSIGNED, &trust));
        let folder = self.dir.path().join(format!(
            "cfg-{}",
            std::fs::read_dir(self.dir.path()).unwrap().count()
        ));
        std::fs::create_dir_all(&folder).unwrap();
        config_file(&folder, &replacements)
    }

    fn build(&self, config: &Path, extra_args: &[&str]) -> std::process::Output {
        let out = config.parent().unwrap().join("out");
        run(sspr_msi()
            .args(["build", "--json", "--target", "win7-x64", "--out"])
            .arg(&out)
            .arg("--config")
            .arg(config)
            .args(extra_args))
    }
}

fn assert_refused(output: &std::process::Output, message: &str) {
    assert_eq!(output.status.code(), Some(4), "{}", stderr(output));
    assert!(
        stderr(output).contains(message),
        "expected `{message}` in: {}",
        stderr(output)
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_validly_signed_payload_is_accepted_and_its_signer_reported() {
    let Some(f) = fixture() else { return };
    let config = f.config(
        &f.signed_dll("x64", "signer"),
        "ca.pem",
        "expected_signer = \"CN=Contoso Code Signing\"",
    );
    let output = f.build(&config, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let trust = &report["packages"][0]["payload"]["trust"]["verified"];
    assert!(
        trust["subject"]
            .as_str()
            .unwrap()
            .contains("Contoso Code Signing"),
        "{report}"
    );
    assert_eq!(trust["thumbprint"].as_str().unwrap().len(), 40);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn one_flipped_byte_in_the_image_is_refused() {
    let Some(f) = fixture() else { return };
    let signed = f.signed_dll("x64", "signer");
    let mut bytes = std::fs::read(&signed).unwrap();
    let middle = bytes.len() / 3;
    bytes[middle] ^= 0x01;
    let tampered = f.dir.path().join("tampered.dll");
    std::fs::write(&tampered, &bytes).unwrap();
    // Pinned to the tampered bytes, so only the signature can catch it.
    assert_refused(
        &f.build(&f.config(&tampered, "ca.pem", ""), &[]),
        "Authenticode check failed: digest mismatch",
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_signature_from_an_untrusted_ca_is_refused() {
    let Some(f) = fixture() else { return };
    let config = f.config(&f.signed_dll("x64", "signer"), "other-ca.pem", "");
    assert_refused(&f.build(&config, &[]), "untrusted signer");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_signer_without_code_signing_usage_or_the_wrong_signer_is_refused() {
    let Some(f) = fixture() else { return };
    let tls_signed = f.signed_dll("x64", "tls");
    assert_refused(
        &f.build(&f.config(&tls_signed, "ca.pem", ""), &[]),
        "lacks the code-signing extended key usage",
    );
    // No usage list at all is valid for every purpose, as on Windows.
    let no_list = f.config(&f.signed_dll("x64", "any-usage"), "ca.pem", "");
    let output = f.build(&no_list, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let config = f.config(
        &f.signed_dll("x64", "signer"),
        "ca.pem",
        "expected_thumbprint = \"0000000000000000000000000000000000000000\"",
    );
    assert_refused(&f.build(&config, &[]), "unexpected signer");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn unsigned_payloads_are_refused_unless_allowed_for_a_test_build() {
    let Some(f) = fixture() else { return };
    let config = f.config(&dll(f.built, "x64"), "ca.pem", "");
    assert_refused(&f.build(&config, &[]), "not signed");
    let allowed = f.build(&config, &["--allow-unsigned-payloads"]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(
        stderr(&allowed).contains("warning") && stderr(&allowed).contains("is not signed"),
        "{}",
        stderr(&allowed)
    );
    let report: serde_json::Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(
        report["packages"][0]["payload"]["trust"], "unsigned_allowed",
        "the report records it"
    );
}
