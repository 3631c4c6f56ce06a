//! Intermediates embedded with `--cert-chain` (osslsigncode verifies with only the root),
//! `\005MsiDigitalSignatureEx` written with `--msi-dse` (deterministic, verified by
//! osslsigncode and by us, for `sign` and `build`, and through export and attach), and
//! `--timestamp-url` given twice: the first unreachable, the second used.

use crate::signing_keys::{assert_verified, fixture};
use crate::support::{run, sspr_msi, stderr, stdout};
use msikit::compound::Streams;
use msikit::sign::msi;
use std::path::Path;
use std::process::{Command, Output};

fn succeed(output: Output) -> Output {
    assert!(output.status.success(), "{}", stderr(&output));
    output
}

fn sign(input: &Path, out: &Path, cert: &Path, key: &Path, options: &[&str]) -> Output {
    run(sspr_msi()
        .arg("sign")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--cert")
        .arg(cert)
        .arg("--key")
        .arg(key)
        .args(options))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn intermediates_from_cert_chain_let_osslsigncode_verify_with_only_the_root() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    pki.intermediate_and_leaf();
    let (cert, key) = (pki.file("chained.pem"), pki.file("chained.key"));
    let without = dir.path().join("without.msi");
    succeed(sign(&unsigned, &without, &cert, &key, &[]));
    let output = run(Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(pki.file("ca.pem"))
        .arg("-in")
        .arg(&without));
    assert!(
        !output.status.success(),
        "verified without the intermediate: {}",
        stdout(&output)
    );
    let signed = dir.path().join("chained.msi");
    let chain = pki.file("intermediate.pem");
    succeed(sign(
        &unsigned,
        &signed,
        &cert,
        &key,
        &["--cert-chain", chain.to_str().unwrap()],
    ));
    assert_verified(&pki, &signed);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn msi_dse_writes_the_metadata_hash_deterministically_for_sign_build_and_attach() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let (cert, key) = (pki.file("signer.pem"), pki.file("signer.key"));
    let signed: Vec<Vec<u8>> = ["a.msi", "b.msi"]
        .iter()
        .map(|name| {
            let out = dir.path().join(name);
            succeed(sign(&unsigned, &out, &cert, &key, &["--msi-dse"]));
            assert_verified(&pki, &out);
            std::fs::read(out).unwrap()
        })
        .collect();
    assert_eq!(signed[0], signed[1]);
    let streams = Streams::read(&signed[0]).unwrap();
    let recorded = streams.get(msi::SIGNATURE_EX_STREAM).expect("written");
    assert_eq!(
        recorded,
        msi::metadata_prehash(&signed[0]).unwrap().as_slice()
    );
    // build writes the same bytes as sign does.
    let built = dir.path().join("built");
    let output = succeed(run(sspr_msi()
        .arg("build")
        .args(["--target", "win10-x64", "--json", "--out"])
        .arg(&built)
        .arg("--sign-cert")
        .arg(&cert)
        .arg("--sign-key")
        .arg(&key)
        .arg("--sign-msi-dse")));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let file = Path::new(report["packages"][0]["file"].as_str().unwrap());
    assert_eq!(std::fs::read(file).unwrap(), signed[0]);
    // Exported and attached: the Ex stream is computed again on the rebuilt package.
    let sig = dir.path().join("a.sig");
    succeed(run(sspr_msi()
        .arg("sign")
        .arg(dir.path().join("a.msi"))
        .arg("--export-signature")
        .arg(&sig)));
    let attached = dir.path().join("attached.msi");
    succeed(run(sspr_msi()
        .arg("sign")
        .arg(&unsigned)
        .arg("--attach")
        .arg(&sig)
        .arg("--out")
        .arg(&attached)));
    assert_eq!(std::fs::read(&attached).unwrap(), signed[0]);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn timestamp_urls_are_tried_in_order() {
    let Some((pki, dir, unsigned)) = fixture() else {
        return;
    };
    let url = crate::support::tsa::start(&pki, 4);
    let signed = dir.path().join("timestamped.msi");
    let (cert, key) = (pki.file("signer.pem"), pki.file("signer.key"));
    let dead = "http://127.0.0.1:9/";
    succeed(sign(
        &unsigned,
        &signed,
        &cert,
        &key,
        &["--timestamp-url", dead, "--timestamp-url", &url],
    ));
    let output = run(Command::new("osslsigncode")
        .args(["verify", "-CAfile"])
        .arg(pki.file("ca.pem"))
        .arg("-TSA-CAfile")
        .arg(pki.file("ca.pem"))
        .arg("-in")
        .arg(&signed));
    let text = format!("{}{}", stdout(&output), stderr(&output));
    assert!(
        text.contains("Timestamp Server Signature verification: ok"),
        "{text}"
    );
    // Both unreachable: each named, with its attempts, and no package.
    let out = dir.path().join("never.msi");
    let refused = sign(
        &unsigned,
        &out,
        &cert,
        &key,
        &[
            "--timestamp-url",
            dead,
            "--timestamp-url",
            "http://127.0.0.1:7/",
        ],
    );
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let text = stderr(&refused);
    assert!(
        text.contains("timestamp server http://127.0.0.1:9/")
            && text.contains("timestamp server http://127.0.0.1:7/"),
        "{text}"
    );
    assert!(text.contains("(3 attempts)"), "{text}");
    assert!(!out.exists());
}
