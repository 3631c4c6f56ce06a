//! The part of the bundle's README.txt that says which file serves which deployment channel,
//! with the exact steps for each; every channel file of the bundle is named in it.

use super::facts::PackageFacts;
use super::{configmgr, gpo, intune, provenance, winget};
use crate::config::Settings;

pub fn text(packages: &[PackageFacts], settings: &Settings) -> String {
    let mut text = String::from(
        "\nWhich file serves which deployment channel\n\
         ==========================================\n\n",
    );
    text.push_str(&intune_section(packages, settings));
    text.push_str(&gpo_section(packages));
    text.push_str(&configmgr_section(packages));
    text.push_str(&winget_section(packages, settings));
    text.push_str(&supply_chain_section(packages));
    text
}

fn intune_section(packages: &[PackageFacts], settings: &Settings) -> String {
    let mut text = String::from(
        "Intune, Win32 app (Intune delivers Win32 apps to Windows 10 1607 and later):\n\
         \x20 1. Intune admin center > Apps > Windows > Add > Windows app (Win32) > select the package's .intunewin.\n\
         \x20    Or through Microsoft Graph: POST /deviceAppManagement/mobileApps with the package's win32LobApp.json\n\
         \x20    as the body, then upload IntuneWinPackage/Contents/IntunePackage.intunewin from the .intunewin into a\n\
         \x20    content version and commit it with the keys, IV, MAC and digest of its Detection.xml.\n\
         \x20 2. Program: the install and uninstall command lines below; install behavior System; device restart\n\
         \x20    behavior: determine behavior based on return codes (0, 1707 success; 3010 soft reboot; 1641 hard reboot;\n\
         \x20    1618 retry).\n\
         \x20 3. Requirements: the architecture, the minimum Windows release, and the registry rule on CurrentBuildNumber.\n\
         \x20 4. Detection: MSI product code, product version greater than or equal to the package's.\n\
         \x20 5. Assign it as Required to device groups.\n",
    );
    for package in packages {
        let app = intune::win32_lob_app(package, settings).is_some();
        text.push_str(&format!(
            "  {}: {}{}\n    install:   msiexec /i \"{}\" /qn\n    uninstall: msiexec /x {} /qn\n",
            package.target.name(),
            intune::intunewin_name(package),
            if app {
                format!(", {}", intune::app_json_path(package))
            } else {
                " (Windows 7/8/8.1: no Graph body, Intune cannot deliver to these systems)"
                    .to_string()
            },
            package.file_name,
            package.product_code,
        ));
    }
    text.push_str(
        "  Note: a .intunewin's Detection.xml holds the keys that decrypt it, as IntuneWinAppUtil's does; the\n\
         \x20 encryption protects the content in Intune's storage, not in this bundle.\n\n\
         Intune policy without an MSI (Windows 10/11):\n\
         \x20 Settings catalog: POST /deviceManagement/configurationPolicies with intune/sspr-policy-settings-catalog.json\n\
         \x20 (Authentication > Allow Aad Password Reset = Allow), or a custom profile from sspr-policy-intune.csv.\n\n",
    );
    text
}

fn gpo_section(packages: &[PackageFacts]) -> String {
    let files: Vec<String> = packages.iter().map(|p| p.file_name.clone()).collect();
    format!(
        "Group Policy, software installation (computer-assigned):\n\
         \x20 1. Copy the packages to a share the computer accounts can read (Domain Computers: share and NTFS read).\n\
         \x20 2. Group Policy Management Editor > Computer Configuration > Policies > Software Settings > Software\n\
         \x20    installation > New > Package > \\\\server\\share\\<package> > Assigned. One GPO per target, with a WMI filter\n\
         \x20    on Win32_OperatingSystem (BuildNumber, OSArchitecture); a package on the wrong machine refuses to install.\n\
         \x20 3. Transforms (.mst) attach only now, at assignment (Advanced > Modifications); they cannot be changed later\n\
         \x20    without reassigning the package.\n\
         \x20 4. The package installs at the next start, before sign-in, as SYSTEM.\n\
         \x20 Packages: {}\n\n\
         Group Policy, settings:\n\
         \x20 Administrative template: copy {admx} to \\\\<domain>\\SYSVOL\\<domain>\\Policies\\PolicyDefinitions\\ and\n\
         \x20 {adml} to its en-US\\ folder; then Computer Configuration > Policies > Administrative Templates >\n\
         \x20 Microsoft Entra SSPR at sign-in. EnableLogging is not under Software\\Policies: set it Disabled before\n\
         \x20 unlinking, and apply it only to Windows 7/8/8.1 machines with the credential provider.\n\
         \x20 Preferences: {prefs} holds the same values as registry items; copy it into the GPO's\n\
         \x20 Machine\\Preferences\\Registry\\ folder in SYSVOL.\n\n",
        files.join(", "),
        admx = gpo::ADMX_PATH,
        adml = gpo::ADML_PATH,
        prefs = gpo::PREFERENCES_PATH,
    )
}

fn configmgr_section(packages: &[PackageFacts]) -> String {
    let mut text = String::from(
        "Configuration Manager:\n\
         \x20 1. Copy the packages to the content share.\n\
         \x20 2. In a ConfigMgr PowerShell session (site drive selected) run the package's script with\n\
         \x20    -ContentShare \\\\server\\share: it creates the application and its Windows Installer deployment type,\n\
         \x20    detected by product code and version, installed for the system, hidden.\n\
         \x20 3. Distribute the content and deploy the application to a device collection.\n\
         \x20 Exit codes: configmgr/exit-codes.csv (3010 is a soft reboot).\n",
    );
    for package in packages {
        text.push_str(&format!(
            "  {}: {}\n",
            package.target.name(),
            configmgr::script_path(package)
        ));
    }
    text.push('\n');
    text
}

fn winget_section(packages: &[PackageFacts], settings: &Settings) -> String {
    let mut text = format!(
        "winget (Windows 10 1809 and later; the Windows 10/11 packages):\n\
         \x20 1. Publish the packages at an https address and replace {} in the installer\n\
         \x20    manifests' InstallerUrl with it.\n\
         \x20 2. Either add the manifest folders to a private winget source, or on one machine, as administrator:\n\
         \x20    winget settings --enable LocalManifestFiles\n\
         \x20    winget install --manifest <folder> --scope machine --silent\n",
        winget::DOWNLOAD_URL_PLACEHOLDER
    );
    for package in packages
        .iter()
        .filter(|p| crate::target::uses_policy(p.target.family))
    {
        text.push_str(&format!(
            "  {}: {}\n",
            package.target.name(),
            winget::folder(package, settings)
        ));
    }
    text.push('\n');
    text
}

fn supply_chain_section(packages: &[PackageFacts]) -> String {
    let mut text = format!(
        "Supply chain:\n\
         \x20 {}: in-toto Statement v1, SLSA Provenance v1 (every MSI and input by SHA-256).\n\
         \x20 CycloneDX 1.6 SBOMs:\n",
        provenance::PATH
    );
    for package in packages {
        text.push_str(&format!("    {}\n", super::sbom::path(package)));
    }
    text
}
