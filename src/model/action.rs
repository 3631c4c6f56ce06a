//! Custom actions as intent: what runs, when (phases), and how it is undone. `bind` derives
//! the types, sequence numbers, conditions and CustomActionData from this, so a package can
//! only get the safe forms: machine changes deferred, no-impersonate, with a rollback first.

use msikit::source::FileSource;

/// A file embedded in the Binary table (a custom action's DLL or EXE), already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub id: String,
    pub source: FileSource,
}

/// When an action runs. Each is one situation msiexec can be in, and no two overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// The product is installed on a machine that has no version of it.
    Install,
    /// The product is installed over an older version (a major upgrade).
    Upgrade,
    /// The installed product is repaired (`msiexec /f`, or REINSTALL set).
    Repair,
    /// The product is removed by an admin (`msiexec /x`).
    Uninstall,
    /// The product is removed because a newer version replaces it.
    UpgradeRemoval,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Install,
        Phase::Upgrade,
        Phase::Repair,
        Phase::Uninstall,
        Phase::UpgradeRemoval,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Install => "install",
            Phase::Upgrade => "upgrade",
            Phase::Repair => "repair",
            Phase::Uninstall => "uninstall",
            Phase::UpgradeRemoval => "upgrade-removal",
        }
    }

    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.name() == name)
    }

    /// Whether the phase removes the product (its actions run while it is being taken away).
    pub fn removes(self) -> bool {
        matches!(self, Phase::Uninstall | Phase::UpgradeRemoval)
    }

    /// The condition that is true in exactly this phase (in the execute sequence).
    pub fn condition(self, older_version_found: &str) -> String {
        match self {
            Phase::Install => format!("NOT Installed AND NOT {older_version_found}"),
            Phase::Upgrade => format!("NOT Installed AND {older_version_found}"),
            Phase::Repair => "Installed AND REINSTALL AND NOT REMOVE~=\"ALL\"".to_string(),
            Phase::Uninstall => "REMOVE~=\"ALL\" AND NOT UPGRADINGPRODUCTCODE".to_string(),
            Phase::UpgradeRemoval => "REMOVE~=\"ALL\" AND UPGRADINGPRODUCTCODE".to_string(),
        }
    }
}

/// What a deferred step runs. Command lines and arguments are Windows Installer Formatted
/// text, expanded when the step is scheduled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Program {
    /// A function exported by a DLL in the Binary table; its input is `CustomActionData`.
    BinaryDll { binary: String, entry: String },
    /// An EXE in the Binary table, with a command-line tail.
    BinaryExe { binary: String, arguments: String },
    /// An EXE already on the machine (e.g. `[System64Folder]reg.exe`); `directory` is the
    /// Directory key Windows Installer starts it in.
    InstalledExe { directory: String, command: String },
}

/// One runnable step: the program and the CustomActionData it reads (DLLs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub program: Program,
    /// Formatted text, set as the step's CustomActionData just before it is scheduled.
    pub data: Option<String>,
}

/// A machine-changing action: deferred, no-impersonate (LocalSystem), with its rollback
/// scheduled just before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredAction {
    /// The action's name; its rollback is `{id}Rollback`.
    pub id: String,
    pub step: Step,
    pub rollback: Step,
    /// Non-empty; all install-side or all removal-side (see `Phase::removes`).
    pub phases: Vec<Phase>,
    /// An extra condition (Windows Installer syntax) that must also hold.
    pub condition: Option<String>,
    /// Fail the install (and roll back) when the step fails; otherwise ignore its result.
    pub check_return: bool,
}

/// What an immediate set action sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetTarget {
    Property(String),
    Directory(String),
}

/// An immediate action that sets a property or a directory from Formatted text. It changes
/// nothing on the machine, so it needs no rollback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetAction {
    pub id: String,
    pub target: SetTarget,
    pub value: String,
    pub condition: Option<String>,
}

/// An immediate DLL call that only reads properties and sets others (e.g. validates a public
/// property before LaunchConditions), run in both sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAction {
    pub id: String,
    pub binary: String,
    pub entry: String,
}

/// Every custom action of a package.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Actions {
    pub binaries: Vec<Binary>,
    pub checks: Vec<CheckAction>,
    pub sets: Vec<SetAction>,
    /// In the order they run within their side (install or removal).
    pub deferred: Vec<DeferredAction>,
}

/// Whether `id` is a valid action, property or binary name: an MSI identifier short enough
/// that `Set…Rollback` still fits the 72-character Action column.
pub fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && id.len() <= 50
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip_and_sides_split() {
        for phase in Phase::ALL {
            assert_eq!(Phase::from_name(phase.name()), Some(phase));
        }
        let removing: Vec<Phase> = Phase::ALL.into_iter().filter(|p| p.removes()).collect();
        assert_eq!(removing, [Phase::Uninstall, Phase::UpgradeRemoval]);
        assert_eq!(Phase::from_name("reinstall"), None);
    }

    #[test]
    fn identifiers_are_msi_names() {
        for good in ["A", "_x", "Sspr.Proxy_1"] {
            assert!(is_identifier(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a b", &"x".repeat(51)] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
