//! The bytes every default and test configuration builds, pinned: a refactoring that changes
//! one byte of one package fails here. `SSPR_BLESS=1` rewrites the pins (say why in the commit).

use crate::custom_actions::{binary_actions, proxy_config, SITE_ACTION};
use crate::support::{payload, run, sspr_msi, stderr};
use std::collections::BTreeMap;
use std::path::Path;

const PINS: &str = "tests/fixtures/package-digests.txt";

/// `name  sha256` of every package `build` writes into `out` from `config`.
fn digests(dir: &Path, config: Option<&Path>, label: &str, into: &mut BTreeMap<String, String>) {
    let out = dir.join(label);
    let mut command = sspr_msi();
    command.args(["build", "--out"]).arg(&out).current_dir(dir);
    if let Some(config) = config {
        command.arg("--config").arg(config);
    }
    let output = run(&mut command);
    assert!(output.status.success(), "{label}: {}", stderr(&output));
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        into.insert(format!("{label}/{name}"), payload::sha256_of(&path));
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn every_default_and_test_configuration_builds_its_pinned_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = payload::stage_for_default_config(dir.path()) else {
        return;
    };
    let mut built = BTreeMap::new();
    digests(dir.path(), None, "default", &mut built);
    let built_payload = payload::built().unwrap();
    let site_binaries = binary_actions(
        &built_payload.join("x64/cocreate_client.exe"),
        &payload::proxy_dll(built_payload, "x64"),
    );
    let cases = [
        ("proxy-machine", "machine", SITE_ACTION.to_string()),
        (
            "proxy-default-profile",
            "default-profile",
            SITE_ACTION.to_string(),
        ),
        (
            "binary-actions",
            "machine",
            format!("{SITE_ACTION}{site_binaries}"),
        ),
    ];
    for (label, mode, extra) in cases {
        let case_dir = dir.path().join(format!("{label}-config"));
        std::fs::create_dir_all(&case_dir).unwrap();
        let config = proxy_config(&case_dir, mode, Some("proxy.contoso.com:8080"), &extra).unwrap();
        digests(dir.path(), Some(&config), label, &mut built);
    }
    let text: String = built
        .iter()
        .map(|(name, digest)| format!("{digest}  {name}\n"))
        .collect();
    let pins = Path::new(env!("CARGO_MANIFEST_DIR")).join(PINS);
    if std::env::var_os("SSPR_BLESS").is_some() {
        std::fs::write(&pins, &text).unwrap();
    }
    let pinned = std::fs::read_to_string(&pins).unwrap_or_default();
    assert!(
        pinned == text,
        "package bytes changed (SSPR_BLESS=1 re-pins them):\n--- pinned\n{pinned}\n--- built\n{text}"
    );
}
