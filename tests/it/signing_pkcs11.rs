//! Keys on a PKCS#11 token (SoftHSM2): RSA-3072 and ECDSA P-256, the certificate given or
//! read from the token, `sign` and `build`; each result verified by osslsigncode and by us.
//! Wrong PIN, missing token, missing object, a certificate of another key and a missing
//! mechanism are each a clear exit 4 that never shows the PIN.

use crate::signing_keys::{assert_refused, assert_verified, fixture, KEYS};
use crate::support::pki::TestPki;
use crate::support::softhsm::{Token, LABEL, MODULE, PIN};
use crate::support::{run, sspr_msi, stderr};
use std::path::Path;
use std::process::Output;

fn uri(object: &str) -> String {
    format!("pkcs11:token={LABEL};object={object}")
}

/// `sspr-msi sign INPUT --out OUTPUT --key URI --pkcs11-module … --pin-env TOKEN_PIN`, the
/// PIN variable set to `pin`, with `--cert` when given.
fn sign_on_token(
    token: &Token,
    input: &Path,
    output: &Path,
    key: &str,
    certificate: Option<&Path>,
    pin: &str,
) -> Output {
    let mut command = sspr_msi();
    command
        .arg("sign")
        .arg(input)
        .arg("--out")
        .arg(output)
        .args([
            "--key",
            key,
            "--pkcs11-module",
            MODULE,
            "--pin-env",
            "TOKEN_PIN",
        ])
        .env("TOKEN_PIN", pin);
    if let Some(certificate) = certificate {
        command.arg("--cert").arg(certificate);
    }
    run(token.with_conf(&mut command))
}

/// A token holding RSA-3072 (`rsa3072`, id 01) and ECDSA P-256 (`p256`, id 02) keys of the
/// test PKI, each with its certificate; `settings` go into softhsm2.conf.
fn token_with_keys(pki: &TestPki, settings: &str) -> Option<Token> {
    let token = Token::new(settings)?;
    pki.signer_with_key("rsa3072", KEYS[0].1);
    pki.signer_with_key("p256", KEYS[2].1);
    token.import(pki, "rsa3072", "01", true);
    token.import(pki, "p256", "02", true);
    Some(token)
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn rsa_3072_and_ecdsa_p256_keys_on_a_token_sign_what_osslsigncode_and_we_verify() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let Some(token) = token_with_keys(&pki, "") else {
        return;
    };
    for name in ["rsa3072", "p256"] {
        let given = pki.file(&format!("{name}.pem"));
        for certificate in [Some(given.as_path()), None] {
            let signed = dir
                .path()
                .join(format!("{name}-{}.msi", certificate.is_some()));
            let result = sign_on_token(&token, &unsigned, &signed, &uri(name), certificate, PIN);
            assert!(result.status.success(), "{name}: {}", stderr(&result));
            assert_verified(&pki, &signed);
        }
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_token_without_the_hashing_rsa_mechanism_signs_with_ckm_rsa_pkcs() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let Some(token) = token_with_keys(&pki, "slots.mechanisms = CKM_RSA_PKCS,CKM_ECDSA") else {
        return;
    };
    let mechanisms = run(
        token.with_conf(std::process::Command::new("pkcs11-tool").args([
            "--module",
            MODULE,
            "--list-mechanisms",
        ])),
    );
    let listed = crate::support::stdout(&mechanisms);
    assert!(
        listed.contains("RSA-PKCS,") && !listed.contains("SHA256-RSA-PKCS,"),
        "{listed}"
    );
    let signed = dir.path().join("signed.msi");
    let result = sign_on_token(&token, &unsigned, &signed, &uri("rsa3072"), None, PIN);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_verified(&pki, &signed);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn build_signs_every_package_with_a_key_on_a_token() {
    let Some((pki, dir, _)) = fixture() else {
        return;
    };
    let Some(token) = token_with_keys(&pki, "") else {
        return;
    };
    let out = dir.path().join("out");
    let output = run(token.with_conf(
        sspr_msi()
            .arg("build")
            .args([
                "--target",
                "win10-x64",
                "--target",
                "win11-x64",
                "--json",
                "--out",
            ])
            .arg(&out)
            .args(["--sign-key", &uri("p256"), "--sign-pkcs11-module", MODULE])
            .args(["--sign-pin-env", "TOKEN_PIN"])
            .env("TOKEN_PIN", PIN),
    ));
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = report["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 2);
    for package in packages {
        assert!(
            package["signed_by"]
                .as_str()
                .unwrap()
                .contains("Contoso p256"),
            "{package}"
        );
        assert_verified(&pki, Path::new(package["file"].as_str().unwrap()));
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn token_problems_are_exit_4_naming_the_problem_and_never_the_pin() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let Some(token) = token_with_keys(&pki, "") else {
        return;
    };
    let out = dir.path().join("never.msi");
    let wrong_pin = "98765wrong";
    let cases: Vec<(String, Option<std::path::PathBuf>, &str, &str)> = vec![
        (uri("rsa3072"), None, wrong_pin, "wrong PIN for the token"),
        (
            format!("pkcs11:token={LABEL};object=rsa3072?pin-value={wrong_pin}"),
            None,
            wrong_pin,
            "wrong PIN for the token",
        ),
        (
            "pkcs11:token=no-such-token;object=rsa3072".into(),
            None,
            PIN,
            "no token labelled `no-such-token` (tokens present: `sspr-test`)",
        ),
        (
            uri("no-such-key"),
            None,
            PIN,
            "no private key pkcs11:token=sspr-test;object=no-such-key on the token",
        ),
        (
            uri("rsa3072"),
            Some(pki.file("signer.pem")),
            PIN,
            "the private key does not belong to the first certificate",
        ),
    ];
    for (key, certificate, pin, expected) in cases {
        let result = sign_on_token(&token, &unsigned, &out, &key, certificate.as_deref(), pin);
        assert_refused(&result, &out, expected);
        assert!(!stderr(&result).contains(wrong_pin), "{}", stderr(&result));
        assert!(!stderr(&result).contains(PIN), "{}", stderr(&result));
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn a_token_lacking_the_rsa_mechanisms_and_a_key_without_a_certificate_are_refused() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let settings = "slots.mechanisms = CKM_ECDSA";
    let Some(token) = token_with_keys(&pki, settings) else {
        return;
    };
    let out = dir.path().join("never.msi");
    let result = sign_on_token(&token, &unsigned, &out, &uri("rsa3072"), None, PIN);
    assert_refused(
        &result,
        &out,
        "the token lacks the CKM_SHA256_RSA_PKCS and CKM_RSA_PKCS mechanisms",
    );
    pki.signer_with_key("bare", KEYS[2].1);
    token.import(&pki, "bare", "03", false);
    let result = sign_on_token(&token, &unsigned, &out, &uri("bare"), None, PIN);
    assert_refused(
        &result,
        &out,
        "no certificate beside the key on the token: give --cert",
    );
    let given = pki.file("bare.pem");
    let signed = dir.path().join("bare.msi");
    let result = sign_on_token(&token, &unsigned, &signed, &uri("bare"), Some(&given), PIN);
    assert!(result.status.success(), "{}", stderr(&result));
    assert_verified(&pki, &signed);
}
