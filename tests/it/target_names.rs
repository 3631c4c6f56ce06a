//! Every message that names a package names one that exists (issue 17: the win11-x64 package
//! once told 32-bit machines to "use the win11-x86 package"): the launch conditions of every
//! default package as msiinfo reads them, `doctor` on every fixture machine, and the exit-code
//! advice `explain` gives.

use crate::support::{msiinfo_rows, require, run, sspr_msi, stderr, stdout};
use sspr_msi::target::Target;
use std::path::Path;

/// The `winN-arch` words of `text`.
fn target_names(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|word| {
            word.strip_prefix("win").is_some_and(|rest| {
                rest.starts_with(|c: char| c.is_ascii_digit()) && rest.contains('-')
            })
        })
        .collect()
}

fn assert_names_only_targets(what: &str, text: &str) {
    for name in target_names(text) {
        assert!(
            Target::from_name(name).is_some(),
            "{what} names `{name}`, which is no target: {text}"
        );
    }
}

#[test]
fn the_word_finder_finds_a_target_that_does_not_exist() {
    assert_eq!(
        target_names("64-bit Windows: use the win11-x86 package (win10 is not a name)."),
        ["win11-x86"]
    );
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn every_launch_condition_message_names_only_targets_that_exist() {
    if !require("msiinfo") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(()) = crate::support::payload::stage_for_default_config(dir.path()) else {
        return;
    };
    let out = dir.path().join("dist");
    let output = run(sspr_msi()
        .arg("build")
        .arg("--out")
        .arg(&out)
        .current_dir(dir.path()));
    assert!(output.status.success(), "{}", stderr(&output));
    let mut packages = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let msi = entry.unwrap().path();
        let rows = msiinfo_rows(&msi, "LaunchCondition");
        assert!(!rows.is_empty(), "{}", msi.display());
        for row in rows {
            assert_names_only_targets(&msi.display().to_string(), &row[1]);
        }
        packages += 1;
    }
    assert_eq!(packages, sspr_msi::target::ALL.len());
}

#[test]
fn doctor_on_every_fixture_machine_names_only_targets_that_exist() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/doctor");
    let mut machines = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let file = entry.unwrap().path();
        if !file.extension().is_some_and(|e| e == "reg" || e == "json") {
            continue;
        }
        let output = run(sspr_msi().arg("doctor").arg(&file));
        assert_names_only_targets(&file.display().to_string(), &stdout(&output));
        machines += 1;
    }
    assert!(machines > 20, "{machines} fixtures");
}

#[test]
fn explain_advice_names_only_targets_that_exist() {
    for code in sspr_msi::explain::codes::KNOWN_CODES {
        assert_names_only_targets(&code.code.to_string(), code.what_to_do);
        assert_names_only_targets(&code.code.to_string(), code.meaning);
    }
}
