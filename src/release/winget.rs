//! winget: a multi-file manifest set (version, default locale, installer; manifest schema
//! 1.10.0) per Windows 10/11 package, for a private source or `winget install --manifest DIR`.
//!
//! Each package is its own winget package: the targets have distinct product and upgrade
//! codes, and winget chooses installers by architecture and scope, not by Windows version.

use super::facts::PackageFacts;

pub const MANIFEST_VERSION: &str = "1.10.0";
/// Where the installer is downloaded from: a placeholder the admin replaces with the share
/// the MSIs are published on (`InstallerUrl` is required and must be http or https).
pub const DOWNLOAD_URL_PLACEHOLDER: &str = "https://downloads.example.invalid/sspr";

/// The manifest set of one package as `(path in the bundle, YAML text)`, or `None` for a
/// package winget cannot install (winget runs on Windows 10 1809 and later only; the older
/// systems' packages are left out).
pub fn manifests(
    package: &PackageFacts,
    settings: &crate::config::Settings,
) -> Option<Vec<(String, String)>> {
    if !crate::target::uses_policy(package.target.family) {
        return None;
    }
    let identifier = package_identifier(settings, package.target);
    let version = &package.product_version;
    let folder = folder(package, settings);
    let header = |kind: &str| {
        format!(
            "# yaml-language-server: $schema=https://aka.ms/winget-manifest.{kind}.{MANIFEST_VERSION}.schema.json\n\
             PackageIdentifier: {}\nPackageVersion: {}\n",
            quote(&identifier),
            quote(version)
        )
    };
    let footer =
        |kind: &str| format!("ManifestType: {kind}\nManifestVersion: {MANIFEST_VERSION}\n");

    let version_manifest = format!(
        "{}DefaultLocale: en-US\n{}",
        header("version"),
        footer("version")
    );
    let locale_manifest = format!(
        "{}PackageLocale: en-US\nPublisher: {}\nPackageName: {}\nLicense: Proprietary\nShortDescription: {}\n{}",
        header("defaultLocale"),
        quote(&package.manufacturer),
        quote(&package.product_name),
        quote(&format!(
            "Enables Microsoft Entra self-service password reset at the Windows sign-in screen ({}).",
            package.target.label()
        )),
        footer("defaultLocale")
    );
    let installer_manifest = format!(
        "{header}MinimumOSVersion: 10.0.{build}.0\nInstallerType: msi\nScope: machine\n\
         InstallModes:\n- silent\n- silentWithProgress\nUpgradeBehavior: install\n\
         ProductCode: {product}\nAppsAndFeaturesEntries:\n- DisplayName: {name}\n  Publisher: {publisher}\n  \
         DisplayVersion: {version}\n  ProductCode: {product}\n  UpgradeCode: {upgrade}\n  InstallerType: msi\n\
         Installers:\n- Architecture: {arch}\n  InstallerUrl: {url}\n  InstallerSha256: {sha}\n{footer}",
        header = header("installer"),
        build = package.minimum_build(settings),
        product = quote(&package.product_code),
        name = quote(&package.product_name),
        publisher = quote(&package.manufacturer),
        version = quote(version),
        upgrade = quote(&package.upgrade_code),
        arch = package.architecture(),
        url = quote(&format!("{DOWNLOAD_URL_PLACEHOLDER}/{}", package.file_name)),
        sha = package.sha256.to_uppercase(),
        footer = footer("installer"),
    );
    Some(vec![
        (format!("{folder}/{identifier}.yaml"), version_manifest),
        (
            format!("{folder}/{identifier}.locale.en-US.yaml"),
            locale_manifest,
        ),
        (
            format!("{folder}/{identifier}.installer.yaml"),
            installer_manifest,
        ),
    ])
}

/// `Publisher.Product.target`: each part at most 32 characters, without dots or spaces.
pub fn package_identifier(
    settings: &crate::config::Settings,
    target: crate::target::Target,
) -> String {
    [
        settings.product.manufacturer.as_str(),
        settings.product.name.as_str(),
        &target.name(),
    ]
    .iter()
    .map(|part| identifier_part(part))
    .collect::<Vec<_>>()
    .join(".")
}

/// The folder of a package's manifest set in the bundle.
pub fn folder(package: &PackageFacts, settings: &crate::config::Settings) -> String {
    format!(
        "winget/{}/{}",
        package_identifier(settings, package.target),
        package.product_version
    )
}

fn identifier_part(text: &str) -> String {
    let part: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(32)
        .collect();
    if part.is_empty() {
        "Package".to_string()
    } else {
        part
    }
}

/// A YAML single-quoted scalar: nothing inside is special but the quote, written twice.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_parts_drop_what_winget_forbids_and_stay_short() {
        assert_eq!(identifier_part("Contoso IT"), "ContosoIT");
        assert_eq!(identifier_part("a.b c/d"), "abcd");
        assert_eq!(identifier_part("..."), "Package");
        assert_eq!(identifier_part(&"x".repeat(40)).len(), 32);
    }

    #[test]
    fn quoted_scalars_double_their_quotes() {
        assert_eq!(quote("it's: #1"), "'it''s: #1'");
    }
}
