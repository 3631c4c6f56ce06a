//! Configuration Manager: per package, a PowerShell script (ConfigurationManager module) that
//! creates the application with a Windows Installer deployment type detected by product code
//! and version, and one table of exit codes as ConfigMgr classifies them.

use super::facts::PackageFacts;
use super::intune::RETURN_CODES;

/// ConfigMgr's name for each Intune return-code kind (the same classification).
fn configmgr_kind(intune_kind: &str) -> &'static str {
    match intune_kind {
        "success" => "Success",
        "softReboot" => "Soft Reboot",
        "hardReboot" => "Hard Reboot",
        "retry" => "Fast Retry",
        _ => "Failure",
    }
}

/// The exit-code table: `code,ConfigMgr type,meaning` (CRLF by the caller).
pub fn exit_codes_csv() -> String {
    let mut text = String::from("Exit code,ConfigMgr code type,Meaning\n");
    for (code, kind) in RETURN_CODES {
        let meaning = match code {
            0 => "installed / removed",
            1707 => "installed (Windows Installer: operation completed)",
            3010 => "installed; restart required (the Windows 7/8/8.1 packages ask for it and never restart by themselves)",
            1641 => "installed; the installer started a restart (only with REBOOT=Force)",
            1618 => "another installation is running: retried",
            _ => "",
        };
        text.push_str(&format!("{code},{},\"{meaning}\"\n", configmgr_kind(kind)));
    }
    text.push_str("1603,Failure,\"refused by a launch condition (wrong Windows version, edition or architecture, a newer version installed) or failed: read the log\"\n");
    text
}

pub const EXIT_CODES_PATH: &str = "configmgr/exit-codes.csv";

/// Where a package's script goes in the bundle.
pub fn script_path(package: &PackageFacts) -> String {
    format!("configmgr/{}.ps1", package.file_name)
}

/// The script that creates the ConfigMgr application for one package.
pub fn application_script(package: &PackageFacts) -> String {
    let quote = |text: &str| format!("'{}'", text.replace('\'', "''"));
    let name = quote(&package.product_name);
    format!(
        "# Creates the ConfigMgr application for {file} (run in a ConfigMgr PowerShell session,\r\n\
         # site drive selected). -ContentShare: the UNC folder holding {file}.\r\n\
         param([Parameter(Mandatory = $true)] [string] $ContentShare)\r\n\
         \r\n\
         # Detection: the Windows Installer product code, at this version or later.\r\n\
         $detection = New-CMDetectionClauseWindowsInstaller -ProductCode {product_code} -Value -ExpressionOperator GreaterEquals -ExpectedValue {version}\r\n\
         \r\n\
         New-CMApplication -Name {name} -Publisher {publisher} -SoftwareVersion {version} | Out-Null\r\n\
         # MSI deployment types get ConfigMgr's default exit codes: 0 and 1707 Success, 3010 Soft Reboot,\r\n\
         # 1641 Hard Reboot, 1618 Fast Retry (exit-codes.csv).\r\n\
         Add-CMMsiDeploymentType -ApplicationName {name} -DeploymentTypeName {target} `\r\n\
         \x20   -ContentLocation (Join-Path $ContentShare {file_quoted}) `\r\n\
         \x20   -InstallCommand {install} -UninstallCommand {uninstall} `\r\n\
         \x20   -ProductCode {product_code} -AddDetectionClause $detection `\r\n\
         \x20   -InstallationBehaviorType InstallForSystem -LogonRequirementType WhetherOrNotUserLoggedOn `\r\n\
         \x20   -UserInteractionMode Hidden -Force | Out-Null\r\n",
        file = package.file_name,
        file_quoted = quote(&package.file_name),
        product_code = quote(&package.product_code),
        version = quote(&package.product_version),
        publisher = quote(&package.manufacturer),
        target = quote(&package.target.name()),
        install = quote(&format!("msiexec /i \"{}\" /qn", package.file_name)),
        uninstall = quote(&format!("msiexec /x {} /qn", package.product_code)),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_intune_return_code_has_a_configmgr_row() {
        let csv = super::exit_codes_csv();
        for (code, _) in super::RETURN_CODES {
            assert!(csv.contains(&format!("\n{code},")), "{code}");
        }
        assert!(csv.contains("\n3010,Soft Reboot,\""));
        assert!(csv.contains("\n1618,Fast Retry,"));
    }
}
