//! A throwaway PKI made with openssl at test time: a CA, a code-signing leaf, a leaf whose
//! usage list lacks code signing (`tls`), a leaf with no usage list at all (`any-usage`), an
//! unrelated CA, and a PKCS#12 bundle.

use super::{require, run};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct TestPki {
    _dir: tempfile::TempDir,
    pub dir: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let output = run(Command::new("openssl").args(args).current_dir(dir));
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn ca(dir: &Path, name: &str, subject: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.pem"),
            "-subj",
            subject,
            "-days",
            "30",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
    );
}

fn leaf(dir: &Path, name: &str, subject: &str, issuer: &str, extensions: &str) {
    leaf_with_key(
        dir,
        name,
        subject,
        issuer,
        extensions,
        &["-newkey", "rsa:2048"],
    );
}

/// A leaf whose key `openssl req` makes with `new_key` (e.g. `-newkey ec -pkeyopt …`).
fn leaf_with_key(
    dir: &Path,
    name: &str,
    subject: &str,
    issuer: &str,
    extensions: &str,
    new_key: &[&str],
) {
    std::fs::write(dir.join(format!("{name}.ext")), extensions).unwrap();
    let (key, csr) = (format!("{name}.key"), format!("{name}.csr"));
    let mut request = vec!["req"];
    request.extend_from_slice(new_key);
    request.extend_from_slice(&["-nodes", "-keyout", &key, "-out", &csr, "-subj", subject]);
    openssl(dir, &request);
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &format!("{name}.csr"),
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-CAcreateserial",
            "-out",
            &format!("{name}.pem"),
            "-days",
            "30",
            "-extfile",
            &format!("{name}.ext"),
        ],
    );
}

impl TestPki {
    /// `None` outside CI when openssl is missing.
    pub fn new() -> Option<TestPki> {
        if !require("openssl") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        ca(&path, "ca", "/CN=sspr-msi test CA");
        ca(&path, "other-ca", "/CN=Some other CA");
        leaf(
            &path,
            "signer",
            "/O=Contoso/CN=Contoso Code Signing",
            "ca",
            "extendedKeyUsage=codeSigning\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n",
        );
        leaf(
            &path,
            "tls",
            "/CN=Contoso TLS",
            "ca",
            "extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
        );
        leaf(
            &path,
            "any-usage",
            "/CN=Contoso no EKU",
            "ca",
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n",
        );
        openssl(
            &path,
            &[
                "pkcs12",
                "-export",
                "-in",
                "signer.pem",
                "-inkey",
                "signer.key",
                "-out",
                "signer.p12",
                "-passout",
                "pass:s3cret",
                "-certfile",
                "ca.pem",
            ],
        );
        Some(TestPki {
            _dir: dir,
            dir: path,
        })
    }

    /// A code-signing leaf `name` (`name.pem`, `name.key`) issued by the test CA, its key made
    /// by `openssl req` with `new_key` (e.g. `["-newkey", "rsa:3072"]`).
    pub fn signer_with_key(&self, name: &str, new_key: &[&str]) {
        leaf_with_key(
            &self.dir,
            name,
            &format!("/O=Contoso/CN=Contoso {name}"),
            "ca",
            "extendedKeyUsage=codeSigning\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n",
            new_key,
        );
    }

    /// An intermediate CA (`intermediate.pem`) issued by the test CA, and a code-signing leaf
    /// (`chained.pem`, `chained.key`, RSA-3072) issued by the intermediate.
    pub fn intermediate_and_leaf(&self) {
        leaf_with_key(
            &self.dir,
            "intermediate",
            "/CN=sspr-msi test intermediate CA",
            "ca",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
            &["-newkey", "rsa:3072"],
        );
        leaf_with_key(
            &self.dir,
            "chained",
            "/O=Contoso/CN=Contoso chained",
            "intermediate",
            "extendedKeyUsage=codeSigning\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n",
            &["-newkey", "rsa:3072"],
        );
    }

    /// Runs openssl in the PKI's folder; it must succeed.
    pub fn openssl(&self, args: &[&str]) {
        openssl(&self.dir, args);
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A trust policy anchored at `ca_file` (e.g. `ca.pem`).
    pub fn policy(&self, ca_file: &str) -> msikit::sign::trust::TrustPolicy {
        msikit::sign::trust::TrustPolicy {
            anchors: msikit::sign::credentials::load_certificates(&self.file(ca_file)).unwrap(),
            ..Default::default()
        }
    }
}
