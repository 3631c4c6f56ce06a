//! The package as intent: product identity, components and what they install, searches and
//! launch conditions. No MSI table types here: `bind` turns this into tables.

pub mod action;
pub mod configured;
pub mod detection;
pub mod proxy;
pub mod sspr;

use crate::target::Target;
use msikit::source::FileSource;
use uuid::Uuid;

pub use crate::config::GUID_NAMESPACE;
pub use msikit::format::{stable_guid, ProductVersion};
pub use msikit::phase::Phase;

/// What Add/Remove Programs and the upgrade logic know the product by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub manufacturer: String,
    pub version: ProductVersion,
    pub comments: String,
    pub product_code: Uuid,
    pub upgrade_code: Uuid,
    /// LCID of the product, e.g. 1033.
    pub language: u16,
}

pub use msikit::format::RegistryRoot;
pub use msikit::formatted::RegistryData;

/// One registry value a component writes, and removes on uninstall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryValue {
    pub id: String,
    pub root: RegistryRoot,
    pub key: String,
    /// `None` writes the key's default value.
    pub name: Option<String>,
    pub data: RegistryData,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPath {
    Registry(String),
    File(String),
}

/// A folder the package installs into, below a standard folder or another `Directory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub id: String,
    pub parent: String,
    /// The folder's (long) name.
    pub name: String,
}

/// Standard folders Windows Installer resolves itself.
pub const PROGRAM_FILES_64: &str = "ProgramFiles64Folder";
pub const PROGRAM_FILES_32: &str = "ProgramFilesFolder";

/// A file the package installs, from the embedded cabinet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub id: String,
    /// The installed file name.
    pub name: String,
    pub source: FileSource,
    /// `a.b.c.d` from the PE version resource; unversioned files get a hash row instead.
    pub version: Option<String>,
    pub language: Option<u16>,
    /// MD5 of the file as four little-endian i32s, for unversioned files only.
    pub hash: Option<[i32; 4]>,
}

/// The unit Windows Installer installs, counts references to and removes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Component {
    pub id: String,
    pub guid: Uuid,
    pub directory: String,
    /// Writes the 64-bit registry view and 64-bit folders.
    pub win64: bool,
    /// Left on the machine at uninstall (other software depends on it).
    pub permanent: bool,
    pub key_path: KeyPath,
    pub registry: Vec<RegistryValue>,
    pub files: Vec<File>,
    /// Installed only when this condition holds at install time.
    pub condition: Option<String>,
    /// Folders (Directory ids) removed at uninstall when this component goes and they are empty.
    pub remove_empty_folders: Vec<String>,
}

impl Component {
    /// A component that writes registry values, keyed on the first; its GUID depends on what
    /// it writes (root, key, name, view), so every package that writes the same value shares
    /// the component and Windows Installer's reference count keeps it until the last goes.
    pub fn for_registry(id: &str, win64: bool, registry: Vec<RegistryValue>) -> Component {
        let first = &registry[0];
        let view = if win64 { "64" } else { "32" };
        let guid = stable_guid(
            GUID_NAMESPACE,
            &[
                "registry-component",
                view,
                first.root.short_name(),
                &first.key.to_ascii_lowercase(),
                &first.name.clone().unwrap_or_default().to_ascii_lowercase(),
            ],
        );
        Component {
            id: id.to_string(),
            guid,
            directory: TARGET_DIR.to_string(),
            win64,
            permanent: false,
            key_path: KeyPath::Registry(first.id.clone()),
            registry,
            files: Vec::new(),
            condition: None,
            remove_empty_folders: Vec::new(),
        }
    }
}

pub const TARGET_DIR: &str = "TARGETDIR";

/// A registry value read at install time into a property (AppSearch), raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySearch {
    pub property: String,
    pub root: RegistryRoot,
    pub key: String,
    pub name: String,
    /// Read the 64-bit view (only meaningful on 64-bit Windows).
    pub win64: bool,
}

/// A condition that must hold for the install to go on, and what to say when it does not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchCondition {
    pub condition: String,
    pub message: String,
}

impl LaunchCondition {
    /// `condition`, waived when the product is already installed, so that uninstall and
    /// repair still work after the machine changed (an OS upgrade, say).
    pub fn unless_installed(condition: &str, message: String) -> Self {
        LaunchCondition {
            condition: format!("Installed OR ({condition})"),
            message,
        }
    }
}

/// The one feature every component belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    pub id: String,
    pub title: String,
    pub description: String,
}

/// A whole package, for one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub target: Target,
    pub product: Product,
    pub feature: Feature,
    pub components: Vec<Component>,
    pub searches: Vec<RegistrySearch>,
    pub launch_conditions: Vec<LaunchCondition>,
    /// Extra public properties, e.g. Add/Remove Programs settings.
    pub properties: Vec<(String, String)>,
    /// Refuse to install over a newer version, with this message.
    pub downgrade_message: String,
    pub directories: Vec<Directory>,
    /// Ask for a reboot after install (msiexec exits 3010) without ever rebooting by itself.
    pub request_reboot: bool,
    /// Public properties an admin may set on the msiexec command line; passed to the
    /// elevated part of a per-machine install.
    pub secure_properties: Vec<String>,
    pub actions: action::Actions,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_within_windows_installer_limits() {
        assert_eq!(ProductVersion::parse("1.2.3").unwrap().to_string(), "1.2.3");
        assert_eq!(ProductVersion::parse("255.255.65535").unwrap().build, 65535);
        for bad in ["1.2", "1.2.3.4", "256.0.0", "1.x.0", "", "1.2.-3", "1.2.+3"] {
            assert!(ProductVersion::parse(bad).is_err(), "{bad}");
        }
        assert!(ProductVersion::parse("1.10.0").unwrap() > ProductVersion::parse("1.9.9").unwrap());
    }

    #[test]
    fn guids_are_stable_and_distinct() {
        let a = stable_guid(GUID_NAMESPACE, &["a", "bc"]);
        assert_eq!(a, stable_guid(GUID_NAMESPACE, &["a", "bc"]));
        assert_ne!(a, stable_guid(GUID_NAMESPACE, &["ab", "c"]));
        let text = msikit::format::guid_text(a);
        assert_eq!(text.len(), 38);
        assert_eq!(text, text.to_ascii_uppercase());
    }
}
