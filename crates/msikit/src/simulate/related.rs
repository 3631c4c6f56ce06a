//! FindRelatedProducts against the products a machine profile lists: which Upgrade rows
//! find which installed products, so the ActionProperty each row names holds their product
//! codes (`;`-separated), as launch conditions, type 19 actions and RemoveExistingProducts
//! then read them.
//!
//! Versions compare as Windows Installer keeps them, `major.minor.build` in one 32-bit
//! number (8, 8 and 16 bits; a 4th field is ignored). Where Wine's `dlls/msi` and Windows
//! differ, each profile's installer decides:
//! - Language: Windows reads the column as a comma-separated list of LANGIDs; Wine reads
//!   only its leading number.
//! - Version bounds: Windows compares the numbers; Wine compares the sign of their 32-bit
//!   difference, which wraps when the major versions are 128 or more apart.

use super::leading_number;
use super::profile::{InstalledProduct, Installer};
use crate::format::bits::UpgradeAttributes;
use crate::format::schema::Upgrade;
use std::cmp::Ordering;

/// `major.minor.build` as one number: what the installer stores as a product's Version.
pub(super) fn packed_version(text: &str) -> u32 {
    let mut fields = text.split('.').map(|field| leading_number(field) as u32);
    let major = fields.next().unwrap_or(0) & 0xFF;
    let minor = fields.next().unwrap_or(0) & 0xFF;
    let build = fields.next().unwrap_or(0) & 0xFFFF;
    (major << 24) | (minor << 16) | build
}

/// How an installed version compares with a bound, as `installer` compares them.
fn compare(installed: u32, bound: u32, installer: Installer) -> Ordering {
    match installer {
        Installer::Windows => installed.cmp(&bound),
        Installer::Wine => (installed.wrapping_sub(bound) as i32).cmp(&0),
    }
}

fn in_version_range(row: &Upgrade, installed: u32, installer: Installer) -> bool {
    let inclusive = |flag| row.attributes.contains(flag);
    let above_min = row.version_min.as_deref().is_none_or(|min| {
        match compare(installed, packed_version(min), installer) {
            Ordering::Greater => true,
            Ordering::Equal => inclusive(UpgradeAttributes::VERSION_MIN_INCLUSIVE),
            Ordering::Less => false,
        }
    });
    let below_max = row.version_max.as_deref().is_none_or(|max| {
        match compare(installed, packed_version(max), installer) {
            Ordering::Less => true,
            Ordering::Equal => inclusive(UpgradeAttributes::VERSION_MAX_INCLUSIVE),
            Ordering::Greater => false,
        }
    });
    above_min && below_max
}

fn language_matches(row: &Upgrade, installed: u32, installer: Installer) -> bool {
    let list = row.language.as_deref().unwrap_or("");
    if list.is_empty() {
        return true;
    }
    let listed = match installer {
        Installer::Wine => leading_number(list) as u32 == installed,
        Installer::Windows => list
            .split(',')
            .any(|language| language.trim().parse::<u32>().ok() == Some(installed)),
    };
    listed
        != row
            .attributes
            .contains(UpgradeAttributes::LANGUAGES_EXCLUSIVE)
}

/// Whether `row` finds `product`.
pub(super) fn finds(row: &Upgrade, product: &InstalledProduct, installer: Installer) -> bool {
    product
        .upgrade_code
        .as_deref()
        .is_some_and(|code| code.eq_ignore_ascii_case(&row.upgrade_code))
        && in_version_range(row, packed_version(&product.version), installer)
        && language_matches(row, product.language, installer)
}

/// `list` (a related-products property) with `product` appended, unless it holds it.
pub(super) fn appended(list: &str, product: &str) -> String {
    if list
        .split(';')
        .any(|code| code.eq_ignore_ascii_case(product))
    {
        return list.to_string();
    }
    if list.is_empty() {
        product.to_string()
    } else {
        format!("{list};{product}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPGRADE_CODE: &str = "{6E1E42B6-2C6A-5B1B-9B9B-6D3B3E1C0A02}";

    fn row(min: Option<&str>, max: Option<&str>, language: Option<&str>, bits: i32) -> Upgrade {
        Upgrade {
            upgrade_code: UPGRADE_CODE.into(),
            version_min: min.map(Into::into),
            version_max: max.map(Into::into),
            language: language.map(Into::into),
            attributes: UpgradeAttributes::from_bits_retain(bits),
            remove: None,
            action_property: "OLDFOUND".into(),
        }
    }

    fn product(version: &str, language: u32) -> InstalledProduct {
        InstalledProduct {
            product_code: "{11111111-2222-3333-4444-555555555555}".into(),
            upgrade_code: Some(UPGRADE_CODE.to_ascii_lowercase()),
            version: version.into(),
            language,
            package_code: None,
        }
    }

    #[test]
    fn a_version_packs_into_8_8_and_16_bits_and_its_fourth_field_is_dropped() {
        assert_eq!(packed_version("1.2.3"), 0x0102_0003);
        assert_eq!(packed_version("1.2.3.4"), packed_version("1.2.3"));
        assert_eq!(packed_version("256.1.65537"), 0x0001_0001);
        assert_eq!(packed_version("2"), 0x0200_0000);
        assert_eq!(packed_version(""), 0);
    }

    #[test]
    fn bounds_are_exclusive_unless_their_attribute_makes_them_inclusive() {
        let both = Installer::Windows;
        let installed = product("1.0.0", 1033);
        assert!(!finds(&row(Some("1.0.0"), None, None, 0), &installed, both));
        assert!(finds(
            &row(Some("1.0.0"), None, None, 0x100),
            &installed,
            both
        ));
        assert!(!finds(&row(None, Some("1.0.0"), None, 0), &installed, both));
        assert!(finds(
            &row(None, Some("1.0.0"), None, 0x200),
            &installed,
            both
        ));
        assert!(finds(
            &row(Some("0.9"), Some("1.1"), None, 0),
            &installed,
            both
        ));
        assert!(!finds(
            &row(Some("1.0.1"), None, None, 0x100),
            &installed,
            both
        ));
        // A 4th field never tells versions apart.
        assert!(!finds(
            &row(Some("1.0.0.5"), None, None, 0),
            &product("1.0.0.9", 1033),
            both
        ));
        assert!(finds(&row(None, None, None, 0), &installed, both));
    }

    #[test]
    fn wine_compares_the_sign_of_the_difference_which_wraps_far_apart() {
        let installed = product("200.0.0", 1033);
        let min = row(Some("1.0.0"), None, None, 0);
        assert!(finds(&min, &installed, Installer::Windows));
        assert!(!finds(&min, &installed, Installer::Wine));
    }

    #[test]
    fn windows_reads_a_language_list_and_wine_its_first_number() {
        let german = product("1.0.0", 1031);
        let listed = row(None, None, Some("1033,1031"), 0);
        assert!(finds(&listed, &german, Installer::Windows));
        assert!(!finds(&listed, &german, Installer::Wine));
        let exclusive = row(None, None, Some("1033"), 0x400);
        assert!(finds(&exclusive, &german, Installer::Wine));
        assert!(!finds(
            &exclusive,
            &product("1.0.0", 1033),
            Installer::Windows
        ));
    }

    #[test]
    fn a_product_without_an_upgrade_code_or_with_another_is_not_found() {
        let mut other = product("1.0.0", 1033);
        other.upgrade_code = Some("{00000000-0000-0000-0000-000000000000}".into());
        assert!(!finds(&row(None, None, None, 0), &other, Installer::Wine));
        other.upgrade_code = None;
        assert!(!finds(&row(None, None, None, 0), &other, Installer::Wine));
    }

    #[test]
    fn a_product_is_appended_once() {
        assert_eq!(appended("", "{A}"), "{A}");
        assert_eq!(appended("{A}", "{B}"), "{A};{B}");
        assert_eq!(appended("{A};{B}", "{b}"), "{A};{B}");
    }
}
