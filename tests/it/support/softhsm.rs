//! A SoftHSM2 token per test (its own configuration file and token folder, found through
//! `SOFTHSM2_CONF`), with keys and certificates of the test PKI imported by `softhsm2-util`
//! and `pkcs11-tool`, as a release engineer would put them on a real token.

use super::pki::TestPki;
use super::{require, run, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const LABEL: &str = "sspr-test";
pub const PIN: &str = "4711";
const SO_PIN: &str = "0815";

pub struct Token {
    _dir: tempfile::TempDir,
    pub conf: PathBuf,
}

impl Token {
    /// A fresh token; `settings` are extra softhsm2.conf lines (e.g. `slots.mechanisms = …`).
    /// `None` outside CI when SoftHSM2 or opensc's pkcs11-tool is missing.
    pub fn new(settings: &str) -> Option<Token> {
        if !require("softhsm2-util") || !require("pkcs11-tool") {
            return None;
        }
        assert!(
            Path::new(MODULE).exists(),
            "{MODULE} (apt-get install softhsm2)"
        );
        let dir = tempfile::tempdir().unwrap();
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).unwrap();
        let conf = dir.path().join("softhsm2.conf");
        let text = format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n{settings}\n",
            tokens.display()
        );
        std::fs::write(&conf, text).unwrap();
        let token = Token { _dir: dir, conf };
        token.succeed(Command::new("softhsm2-util").args([
            "--init-token",
            "--free",
            "--label",
            LABEL,
            "--pin",
            PIN,
            "--so-pin",
            SO_PIN,
        ]));
        Some(token)
    }

    /// `command` with this token's configuration.
    pub fn with_conf<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command.env("SOFTHSM2_CONF", &self.conf)
    }

    fn succeed(&self, command: &mut Command) {
        let output = run(self.with_conf(command));
        assert!(output.status.success(), "{command:?}: {}", stderr(&output));
    }

    /// Imports the PKI's `name.key` (PKCS#8 PEM) as a private key labelled `name` with CKA_ID
    /// `id` (hex), and, when `with_certificate`, `name.pem` beside it with the same id.
    pub fn import(&self, pki: &TestPki, name: &str, id: &str, with_certificate: bool) {
        self.succeed(
            Command::new("softhsm2-util")
                .arg("--import")
                .arg(pki.file(&format!("{name}.key")))
                .args(["--token", LABEL, "--label", name, "--id", id, "--pin", PIN]),
        );
        if with_certificate {
            let der = pki.file(&format!("{name}.der"));
            pki.openssl(&[
                "x509",
                "-in",
                &format!("{name}.pem"),
                "-outform",
                "DER",
                "-out",
                &format!("{name}.der"),
            ]);
            self.succeed(
                Command::new("pkcs11-tool")
                    .args([
                        "--module",
                        MODULE,
                        "--token-label",
                        LABEL,
                        "--login",
                        "--pin",
                        PIN,
                    ])
                    .arg("--write-object")
                    .arg(der)
                    .args(["--type", "cert", "--id", id, "--label", name]),
            );
        }
    }
}
