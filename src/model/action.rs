//! Custom actions as intent: what runs, when (phases), and how it is undone. `bind` derives
//! the types, sequence numbers, conditions and CustomActionData from this, so a package can
//! only get the safe forms: machine changes deferred, no-impersonate, with a rollback first.

use msikit::phase::Phase;
use msikit::source::FileSource;

/// A file embedded in the Binary table (a custom action's DLL or EXE), already checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub id: String,
    pub source: FileSource,
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
