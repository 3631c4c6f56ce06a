//! Installed products in a machine profile against Wine's msiexec with those products really
//! installed: FindRelatedProducts fills each Upgrade row's property, RemoveExistingProducts
//! removes the older release, and a launch condition on the only-detect property refuses a
//! downgrade.

use crate::support::wine::{Windows, WinePrefix};
use crate::support::{require, wixl_build};
use crate::verify_wine::{assert_install_agrees, assert_uninstall_agrees, predict, profile_for};
use msikit::simulate::profile::{InstalledProduct, MachineProfile};
use msikit::simulate::{CommandLine, LaunchOutcome};
use std::path::{Path, PathBuf};

const FIXTURE: &str = "related-products";
const UPGRADE_CODE: &str = "{8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E50}";
const OLD_CODE: &str = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A70}";
const NEW_CODE: &str = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A71}";

/// The fixture as release `version` under `product_code`, into `dir/name.msi`.
fn release(dir: &Path, name: &str, version: &str, product_code: &str) -> PathBuf {
    let wxs = format!("{FIXTURE}.wxs");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wxs");
    std::fs::copy(source.join(&wxs), dir.join(&wxs)).unwrap();
    let out = dir.join(format!("{name}.msi"));
    let version = format!("Version={version}");
    let code = format!("ProductCode={product_code}");
    wixl_build(
        dir,
        Path::new(&wxs),
        "x64",
        &["-D", &version, "-D", &code],
        &out,
    );
    out
}

/// Wine's win10 profile with `products` installed, as the prefix holds them.
fn with_installed(products: &[(&str, &str)]) -> MachineProfile {
    let mut profile = profile_for(Windows::Win10);
    profile.products = products
        .iter()
        .map(|(code, version)| InstalledProduct {
            product_code: code.to_string(),
            upgrade_code: Some(UPGRADE_CODE.into()),
            version: version.to_string(),
            language: 1033,
            package_code: None,
        })
        .collect();
    profile
}

fn older_found(prediction: &msikit::simulate::Prediction) -> Option<String> {
    prediction
        .registry
        .iter()
        .find(|write| write.name.as_deref() == Some("Older"))
        .map(|write| format!("{:?}", write.data))
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn installed_products_are_found_removed_and_refused_as_wine_does() {
    if !require("wixl") {
        return;
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let old = release(dir.path(), "old", "1.0.0", OLD_CODE);
    let new = release(dir.path(), "new", "2.0.0", NEW_CODE);
    let none = CommandLine::default();
    let clean = prefix.snapshot();

    // 1.0.0 on a machine without the product line: nothing found, nothing removed.
    let first = predict(&old, &with_installed(&[]), &none);
    assert!(first.removes_products.is_empty(), "{first:#?}");
    assert_install_agrees(
        &prefix,
        &old,
        &none,
        &first,
        &clean,
        "1.0.0 on a clean prefix",
    );

    // 2.0.0 over it finds 1.0.0 (OLDERFOUND, written to `Older`) and removes it first.
    let profile = with_installed(&[(OLD_CODE, "1.0.0")]);
    let upgrade = predict(&new, &profile, &none);
    assert_eq!(upgrade.removes_products, [OLD_CODE], "{upgrade:#?}");
    assert!(
        older_found(&upgrade).is_some_and(|data| data.contains(OLD_CODE)),
        "{upgrade:#?}"
    );
    assert_install_agrees(&prefix, &new, &none, &upgrade, &clean, "2.0.0 over 1.0.0");
    assert_eq!(
        prefix.installed_versions("Verify Fixture Related"),
        ["2.0.0"],
        "RemoveExistingProducts removed what the prediction names"
    );

    // 1.0.0 again over 2.0.0: NEWERFOUND refuses it at LaunchConditions, naming 2.0.0.
    let profile = with_installed(&[(NEW_CODE, "2.0.0")]);
    let downgrade = predict(&old, &profile, &none);
    match &downgrade.outcome {
        LaunchOutcome::Refused { messages } => {
            assert!(
                messages.iter().any(|m| m.contains(NEW_CODE)),
                "{messages:?}"
            )
        }
        outcome => panic!("a downgrade is refused, not {outcome:?}"),
    }
    let before = prefix.snapshot();
    assert_install_agrees(
        &prefix,
        &old,
        &none,
        &downgrade,
        &before,
        "1.0.0 over 2.0.0",
    );

    // Removing 2.0.0 leaves nothing of either release.
    assert_uninstall_agrees(&prefix, &new, &upgrade, &clean, "2.0.0 over 1.0.0");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn another_package_of_an_installed_product_is_refused_with_1638_and_the_same_one_changes_nothing() {
    if !require("wixl") {
        return;
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let new = release(dir.path(), "new", "2.0.0", NEW_CODE);
    // Rebuilt as 2.1.0 under the same ProductCode: wixl gives it a new package code.
    let again = release(dir.path(), "again", "2.1.0", NEW_CODE);
    let none = CommandLine::default();
    let clean = prefix.snapshot();
    let first = predict(&new, &with_installed(&[]), &none);
    assert_install_agrees(&prefix, &new, &none, &first, &clean, "2.0.0");

    let package = msikit::package::read(&std::fs::read(&new).unwrap()).unwrap();
    let mut profile = with_installed(&[(NEW_CODE, "2.0.0")]);
    profile.products[0].package_code = package.summary.package_code();
    let same = predict(&new, &profile, &none);
    assert_eq!((same.exit_code, same.registry.len()), (0, 0), "{same:#?}");
    let before = prefix.snapshot();
    assert_install_agrees(&prefix, &new, &none, &same, &before, "2.0.0 again");

    let other = predict(&again, &profile, &none);
    assert_eq!(other.exit_code, 1638, "{other:#?}");
    assert_install_agrees(
        &prefix,
        &again,
        &none,
        &other,
        &before,
        "2.1.0, 2.0.0's ProductCode",
    );
    assert_eq!(
        prefix.installed_versions("Verify Fixture Related"),
        ["2.0.0"]
    );
    assert_uninstall_agrees(&prefix, &new, &first, &clean, "2.0.0");
}
