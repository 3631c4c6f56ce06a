//! The RemoveRegistry table against Wine's msiexec: values and whole keys a machine already
//! holds, deleted when their component installs, in either view and hive, with formatted
//! keys; nothing put back at `/x`.

use crate::support::wine::{Windows, WinePrefix};
use crate::support::wixl_package;
use crate::verify_wine::{
    assert_install_agrees, assert_uninstall_agrees, predict, profile_for, run_query,
};
use msikit::simulate::CommandLine;

/// (RemoveRegistry, Root, Key, Name, Component_).
const ROWS: &[(&str, i32, &str, &str, &str)] = &[
    (
        "RemoveStale",
        2,
        r"SOFTWARE\Fabrikam\Old",
        "Stale",
        "Settings",
    ),
    (
        "RemoveTree",
        2,
        r"SOFTWARE\Fabrikam\OldTree",
        "-",
        "Settings",
    ),
    (
        "RemoveFormatted",
        2,
        r"SOFTWARE\Fabrikam\[Manufacturer]Old",
        "Gone",
        "Settings",
    ),
    (
        "RemoveAbsent",
        2,
        r"SOFTWARE\Fabrikam\Absent",
        "Nothing",
        "Settings",
    ),
    (
        "RemoveUser",
        1,
        r"Software\Fabrikam\OldUser",
        "Gone",
        "UserSettings",
    ),
    (
        "RemoveView32",
        2,
        r"SOFTWARE\Fabrikam\Old32",
        "Stale",
        "Legacy",
    ),
];

/// What the prefix holds before the install: (key, name); `Keep` values stay.
const HELD: &[(&str, &str)] = &[
    (r"HKLM\SOFTWARE\Fabrikam\Old", "Stale"),
    (r"HKLM\SOFTWARE\Fabrikam\Old", "Keep"),
    (r"HKLM\SOFTWARE\Fabrikam\OldTree", "A"),
    (r"HKLM\SOFTWARE\Fabrikam\OldTree\Sub", "B"),
    (r"HKLM\SOFTWARE\Fabrikam\FabrikamOld", "Gone"),
    (r"HKCU\Software\Fabrikam\OldUser", "Gone"),
    (r"HKLM\SOFTWARE\WOW6432Node\Fabrikam\Old32", "Stale"),
    // The 64-bit view's namesake of the 32-bit row's value stays.
    (r"HKLM\SOFTWARE\Fabrikam\Old32", "Stale"),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn remove_registry_rows_delete_what_the_machine_holds_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    run_query(
        &msi,
        "CREATE TABLE `RemoveRegistry` (`RemoveRegistry` CHAR(72) NOT NULL, \
         `Root` SHORT NOT NULL, `Key` CHAR(255) NOT NULL LOCALIZABLE, \
         `Name` CHAR(255) LOCALIZABLE, `Component_` CHAR(72) NOT NULL \
         PRIMARY KEY `RemoveRegistry`)",
    );
    for (id, root, key, name, component) in ROWS {
        run_query(
            &msi,
            &format!(
                "INSERT INTO `RemoveRegistry` (`RemoveRegistry`, `Root`, `Key`, `Name`, \
                 `Component_`) VALUES ('{id}', {root}, '{key}', '{name}', '{component}')"
            ),
        );
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    for (key, name) in HELD {
        prefix.reg_add(key, name, "REG_SZ", "held");
    }
    let none = CommandLine::default();
    let prediction = predict(&msi, &profile_for(Windows::Win10), &none);
    let removed: Vec<String> = prediction
        .registry_removed
        .iter()
        .map(|removal| removal.display_key())
        .collect();
    assert_eq!(removed.len(), ROWS.len(), "{removed:#?}");
    assert!(
        removed.contains(&r"HKLM\SOFTWARE\Fabrikam\FabrikamOld [Gone]".to_string()),
        "{removed:#?}"
    );
    assert!(
        removed.contains(&r"HKLM\SOFTWARE\Fabrikam\Old32 [Stale] (32-bit view)".to_string()),
        "{removed:#?}"
    );
    let before = prefix.snapshot();
    let context = "RemoveRegistry rows on win10";
    assert_install_agrees(&prefix, &msi, &none, &prediction, &before, context);
    // The comparison above is of sets; these say they were not both empty.
    let held = |key: &str, name: &str| prefix.reg_value(key, name, true).is_some();
    assert!(!held(r"HKLM\SOFTWARE\Fabrikam\Old", "Stale"));
    assert!(held(r"HKLM\SOFTWARE\Fabrikam\Old", "Keep"));
    assert!(!held(r"HKLM\SOFTWARE\Fabrikam\OldTree\Sub", "B"));
    assert!(!held(r"HKLM\SOFTWARE\WOW6432Node\Fabrikam\Old32", "Stale"));
    assert!(held(r"HKLM\SOFTWARE\Fabrikam\Old32", "Stale"));
    assert_uninstall_agrees(&prefix, &msi, &prediction, &before, context);
}
