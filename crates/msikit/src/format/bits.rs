//! Attribute and type bits of the tables, as the Windows Installer SDK defines them: one
//! definition for the binder that sets them and the readers, rules and simulator that test
//! them. Cells hold `i32`; `from_cell` keeps bits this tool does not name.

use bitflags::bitflags;

bitflags! {
    /// `Component.Attributes`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ComponentAttributes: i32 {
        const SOURCE_ONLY = 0x1;
        const OPTIONAL = 0x2;
        /// The KeyPath column names a Registry row.
        const REGISTRY_KEY_PATH = 0x4;
        const SHARED_DLL_REF_COUNT = 0x8;
        /// Never removed, not even at uninstall.
        const PERMANENT = 0x10;
        const ODBC_DATA_SOURCE = 0x20;
        /// The condition is re-evaluated at reinstall.
        const TRANSITIVE = 0x40;
        const NEVER_OVERWRITE = 0x80;
        /// Writes the 64-bit registry view and 64-bit folders.
        const WIN64 = 0x100;
        const DISABLE_REGISTRY_REFLECTION = 0x200;
        const UNINSTALL_ON_SUPERSEDENCE = 0x400;
        const SHARED = 0x800;
    }
}

/// CustomAction.Type: the kind (low six bits) and the flags, as the Windows Installer SDK
/// defines them; the binder writes them and the rules and simulator read them.
pub mod action_type {
    pub const KIND_MASK: i32 = 0x3F;
    pub const DLL_IN_BINARY: i32 = 1;
    pub const EXE_IN_BINARY: i32 = 2;
    /// Stops the install with its formatted Target as the message (type 19).
    pub const ERROR_MESSAGE: i32 = 19;
    pub const EXE_IN_DIRECTORY: i32 = 34;
    pub const SET_DIRECTORY: i32 = 35;
    pub const SET_PROPERTY: i32 = 51;
    /// Ignore the program's result.
    pub const CONTINUE: i32 = 0x40;
    pub const ROLLBACK: i32 = 0x100;
    pub const COMMIT: i32 = 0x200;
    /// Deferred: runs from the install script.
    pub const IN_SCRIPT: i32 = 0x400;
    /// Runs as LocalSystem, not as the user.
    pub const NO_IMPERSONATE: i32 = 0x800;
}

bitflags! {
    /// `File.Attributes`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct FileAttributes: i32 {
        const READ_ONLY = 0x1;
        const HIDDEN = 0x2;
        const SYSTEM = 0x4;
        /// A failure to install this file fails the install.
        const VITAL = 0x200;
        const CHECKSUM = 0x400;
        const PATCH_ADDED = 0x1000;
        /// Stored uncompressed, beside the package.
        const NONCOMPRESSED = 0x2000;
        const COMPRESSED = 0x4000;
    }
}

bitflags! {
    /// `RegLocator.Type`: the kind in the low bits, then the view.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct LocatorType: i32 {
        const FILE_NAME = 0x1;
        /// The raw value: `#n` for a DWORD, the text for a string.
        const RAW = 0x2;
        /// Read the 64-bit registry view.
        const WIN64 = 0x10;
    }
}

impl LocatorType {
    /// The low bits: 0 directory, 1 file name, 2 raw value.
    pub const KIND_MASK: i32 = 0x0F;
}

bitflags! {
    /// `RemoveFile.InstallMode`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RemoveFileMode: i32 {
        const ON_INSTALL = 0x1;
        const ON_UNINSTALL = 0x2;
    }
}

bitflags! {
    /// `Upgrade.Attributes`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct UpgradeAttributes: i32 {
        const MIGRATE_FEATURES = 0x1;
        /// Find related products but do not remove them (newer-version detection).
        const ONLY_DETECT = 0x2;
        const IGNORE_REMOVE_FAILURE = 0x4;
        const VERSION_MIN_INCLUSIVE = 0x100;
        const VERSION_MAX_INCLUSIVE = 0x200;
        const LANGUAGES_EXCLUSIVE = 0x400;
    }
}

bitflags! {
    /// `_Columns.Type`: the storage kind and length in the low bits, then the flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct ColumnType: i32 {
        const VALID = 0x100;
        const LOCALIZABLE = 0x200;
        /// Not a stream column.
        const NONBINARY = 0x400;
        const STRING = 0x800;
        const NULLABLE = 0x1000;
        const PRIMARY_KEY = 0x2000;
    }
}

impl ColumnType {
    /// A string column's maximum length, or an integer column's size in bytes.
    pub const LENGTH_MASK: i32 = 0xFF;
}
