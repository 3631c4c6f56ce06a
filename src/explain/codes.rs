//! The Windows Installer codes admins meet in a failed deployment: msiexec exit codes, and
//! the error messages a verbose log names (`Error 1925.`, `Internal Error 2203`).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// What msiexec returns to the deployment tool.
    ExitCode,
    /// A message in the log; the install then ends with an exit code (usually 1603).
    LogError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownCode {
    pub code: u32,
    pub kind: CodeKind,
    pub meaning: &'static str,
    pub what_to_do: &'static str,
}

const fn known(
    code: u32,
    kind: CodeKind,
    meaning: &'static str,
    what_to_do: &'static str,
) -> KnownCode {
    KnownCode {
        code,
        kind,
        meaning,
        what_to_do,
    }
}

/// Documented in README.md ("explain"); keep the two in step.
pub const KNOWN_CODES: &[KnownCode] = &[
    known(0, CodeKind::ExitCode, "success", "Nothing: the package is installed (or removed)."),
    known(1602, CodeKind::ExitCode, "the user cancelled the installation", "Run it again with /qn so nothing can be cancelled."),
    known(1603, CodeKind::ExitCode, "fatal error during installation", "Look at the first failing action and the messages above; a launch condition (wrong Windows version, architecture, edition, or a newer version installed) is the usual cause with these packages."),
    known(1618, CodeKind::ExitCode, "another installation is already in progress", "Wait for the other installation (Windows Update, another msiexec) to finish, then retry; deployment tools should retry 1618 later."),
    known(1619, CodeKind::ExitCode, "the installation package could not be opened", "Check the path and that the file is complete (compare its SHA-256 with SHA256SUMS)."),
    known(1620, CodeKind::ExitCode, "the installation package could not be opened (not a valid package, or unreadable)", "Check that the file is a complete MSI (compare its SHA-256 with SHA256SUMS) and that the account running msiexec can read it."),
    known(1625, CodeKind::ExitCode, "this installation is forbidden by system policy", "A policy blocks Windows Installer (DisableMSI, AppLocker or software restriction): deploy as SYSTEM with your management tool, or allow the package."),
    known(1633, CodeKind::ExitCode, "this installation package is not supported by this processor type", "Windows Installer refused the package's Template platform before any action: deploy the x86 or x64 package on Intel/AMD Windows and the arm64 one on Windows on Arm (Windows 10 on Arm cannot run x64 packages); `sspr-msi doctor` names the package that fits."),
    known(1638, CodeKind::ExitCode, "another version of this product is already installed", "Uninstall the other version first (msiexec /x), or deploy the newer package, which upgrades in place."),
    known(1641, CodeKind::ExitCode, "success; the installer started a restart", "Nothing: the machine is restarting."),
    known(3010, CodeKind::ExitCode, "success; a restart is required to finish", "Restart the machine (the source document highly recommends a reboot after installing the credential provider); deployment tools treat 3010 as success."),
    known(1925, CodeKind::LogError, "you do not have sufficient privileges to install for all users of the machine", "Run msiexec elevated (an administrator's command prompt) or as SYSTEM from the deployment tool."),
    known(2203, CodeKind::LogError, "the database could not be opened (internal error 2203)", "msiexec cannot read the package or write its temporary copy: check the path, that SYSTEM can read the share or folder, and that %TEMP% and C:\\Windows\\Installer are writable."),
];

pub fn lookup(code: u32) -> Option<&'static KnownCode> {
    KNOWN_CODES.iter().find(|known| known.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_codes_the_issue_names() {
        for code in [1603, 1618, 1625, 1638, 1925, 2203, 3010] {
            assert!(lookup(code).is_some(), "{code}");
        }
    }

    #[test]
    fn the_readme_documents_every_known_code() {
        let readme = include_str!("../../README.md");
        for known in KNOWN_CODES {
            assert!(
                readme.contains(&format!("| {} |", known.code)),
                "README.md has no table row for {}",
                known.code
            );
        }
    }
}
