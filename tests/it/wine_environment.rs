//! The Environment table against Wine's msiexec: which variables WriteEnvironmentStrings
//! sets (user and system, plain, put first in a list the prefix already holds, appended to
//! and put first in absent ones), which RemoveEnvironmentStrings takes away, and a row that
//! names no variable, which fails the install. Not checked here: an entry appended to a list
//! the machine holds, whose removal Wine leaves with a trailing `;` (`a;b;c` becomes `a;b;`,
//! measured; the prediction says `a;b`).

use crate::support::wine::{Windows, WinePrefix};
use crate::support::wixl_package;
use crate::verify_wine::{
    assert_install_agrees, assert_uninstall_agrees, predict, profile_for, run_query, schedule,
};
use msikit::format::RegistryRoot;
use msikit::simulate::profile::ProfileValue;
use msikit::simulate::{CommandLine, LaunchOutcome};
use std::path::Path;

/// (Environment, Name, Value): every prefix and placement.
const ROWS: &[(&str, &str, &str)] = &[
    ("EnvHome", "FABRIKAM_HOME", "[ProgramFiles64Folder]Fabrikam"),
    ("EnvSystem", "*FABRIKAM_SYSTEM", "on"),
    ("EnvKept", "=FABRIKAM_KEPT", "stays"),
    ("EnvPrefixList", "-FABRIKAM_LIST", "z;[~]"),
    ("EnvAppendNew", "-FABRIKAM_NEW", "[~];c"),
    ("EnvPrefixNew", "-FABRIKAM_FIRST", "z;[~]"),
    ("EnvNoSemicolon", "FABRIKAM_NONE", "[~]x"),
];

/// `msi` with an Environment table of `rows` for its `Settings` component, and both
/// environment actions in its execute sequence.
fn with_environment(msi: &Path, rows: &[(&str, &str, &str)]) {
    run_query(
        msi,
        "CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, \
         `Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, \
         `Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)",
    );
    for (id, name, value) in rows {
        run_query(
            msi,
            &format!(
                "INSERT INTO `Environment` (`Environment`, `Name`, `Value`, `Component_`) \
                 VALUES ('{id}', '{name}', '{value}', 'Settings')"
            ),
        );
    }
    schedule(msi, "RemoveEnvironmentStrings", "", 3300);
    schedule(msi, "WriteEnvironmentStrings", "", 5200);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn environment_rows_set_and_remove_variables_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    with_environment(&msi, ROWS);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    // A list the machine already holds, in the prefix and in the profile alike.
    prefix.reg_add(r"HKCU\Environment", "FABRIKAM_LIST", "REG_SZ", "a;b");
    let mut profile = profile_for(Windows::Win10);
    profile.registry.insert(
        (
            RegistryRoot::CurrentUser,
            "environment".into(),
            "fabrikam_list".into(),
        ),
        ProfileValue::String("a;b".into()),
    );
    let none = CommandLine::default();
    let prediction = predict(&msi, &profile, &none);
    let variable = |name: &str| {
        prediction
            .registry
            .iter()
            .find(|write| write.name.as_deref() == Some(name))
            .map(|write| format!("{:?}", write.data))
    };
    assert!(variable("FABRIKAM_LIST").is_some_and(|data| data.contains("z;a;b")));
    // Wine keeps the `;` of a prefix row when the variable was absent (Windows: `z`).
    assert!(variable("FABRIKAM_FIRST").is_some_and(|data| data.contains("z;")));
    assert_eq!(variable("FABRIKAM_NONE"), None, "{prediction:#?}");
    assert!(prediction
        .permanent
        .iter()
        .any(|left| left.item.contains("FABRIKAM_KEPT")));
    let before = prefix.snapshot();
    let context = "environment rows on win10";
    assert_install_agrees(&prefix, &msi, &none, &prediction, &before, context);
    assert_uninstall_agrees(&prefix, &msi, &prediction, &before, context);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn an_environment_row_that_names_no_variable_fails_the_install_as_in_wine() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    with_environment(&msi, &[("EnvOnlyPrefixes", "=-", "x")]);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let none = CommandLine::default();
    let prediction = predict(&msi, &profile_for(Windows::Win10), &none);
    assert!(
        matches!(&prediction.outcome, LaunchOutcome::Stopped { action, .. } if action == "WriteEnvironmentStrings"),
        "{prediction:#?}"
    );
    // Wine exits with the action's own error, and keeps what the script wrote before it.
    assert_eq!(prediction.exit_code, 1627);
    assert!(!prediction.registry.is_empty() && prediction.uninstall.is_none());
    let before = prefix.snapshot();
    assert_install_agrees(
        &prefix,
        &msi,
        &none,
        &prediction,
        &before,
        "a row of prefixes only",
    );
}
