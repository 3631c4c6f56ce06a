//! Feature selection against Wine's msiexec: levels and INSTALLLEVEL, the Condition table,
//! FollowParent, and ADDLOCAL and REMOVE on the command line, which replace all of that but
//! the parents' levels; and what `/x` (REMOVE=ALL, under the same rules) leaves installed.

use crate::support::wine::{Windows, WinePrefix};
use crate::support::wixl_package;
use crate::verify_wine::{
    assert_install_agrees, assert_uninstall_agrees, predict, profile_for, run_query,
};
use msikit::simulate::CommandLine;
use std::collections::{BTreeMap, BTreeSet};

/// A command line, and the features whose values the prediction should hold.
type Case = (
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const CASES: &[Case] = &[
    // Levels: Optional raised by its Condition, Follower after Core. `/x` leaves Optional:
    // under REMOVE=ALL, Wine reads no Condition row, and its level is 0.
    (&[], &["Core", "Follower", "Optional"]),
    // A listed feature of any level installs; its child stays off under a parent above
    // INSTALLLEVEL, listed or not.
    (&[("ADDLOCAL", "Extra,ExtraChild")], &["Extra"]),
    // `/x`, at INSTALLLEVEL 1 again, leaves ExtraChild: its parent is above it.
    (
        &[("ADDLOCAL", "Extra,ExtraChild"), ("INSTALLLEVEL", "3")],
        &["Extra", "ExtraChild"],
    ),
    // ALL is every feature of level above 0, the Condition table unread; REMOVE takes Core
    // back, and Follower with it.
    (&[("ADDLOCAL", "ALL"), ("REMOVE", "Core")], &["Extra"]),
    // REMOVE alone on a first install: the features are chosen, and none is.
    (&[("REMOVE", "Core")], &[]),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn features_are_chosen_by_level_or_by_addlocal_and_remove_as_wine_chooses() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("feature-selection", dir.path()) else {
        return;
    };
    run_query(
        &msi,
        "UPDATE `Feature` SET `Attributes` = 2 WHERE `Feature` = 'Follower'",
    );
    run_query(
        &msi,
        "CREATE TABLE `Condition` (`Feature_` CHAR(38) NOT NULL, `Level` SHORT NOT NULL, \
         `Condition` CHAR(255) PRIMARY KEY `Feature_`, `Level`)",
    );
    run_query(
        &msi,
        "INSERT INTO `Condition` (`Feature_`, `Level`, `Condition`) VALUES ('Optional', 1, '1')",
    );
    let profile = profile_for(Windows::Win10);
    for (properties, features) in CASES {
        // A fresh prefix each: `/x` of the first case leaves a feature, and the product, behind.
        let Some(prefix) = WinePrefix::new(Windows::Win10) else {
            return;
        };
        let before = prefix.snapshot();
        let install: BTreeMap<String, String> = properties
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        let command_line = CommandLine {
            install,
            ..CommandLine::default()
        };
        let prediction = predict(&msi, &profile, &command_line);
        let written: BTreeSet<&str> = prediction
            .registry
            .iter()
            .filter_map(|write| write.name.as_deref())
            .collect();
        let context = format!("features for {properties:?}");
        let expected: BTreeSet<&str> = features.iter().copied().collect();
        assert_eq!(written, expected, "{context}: {prediction:#?}");
        assert_install_agrees(&prefix, &msi, &command_line, &prediction, &before, &context);
        assert_uninstall_agrees(&prefix, &msi, &prediction, &before, &context);
    }
}
