//! Binaries Windows loads as SYSTEM, a credential provider LogonUI loads or a service, must
//! install where ordinary users cannot replace them: under Program Files, Common Files, the
//! Windows folder or System32. A folder that resolves to the drive root, ProgramData or a
//! profile lets a user who can write there swap the binary.

use super::{error, Check, Finding, Rule};
use crate::format::names::{long_name, long_target_dir};
use crate::format::schema::{self, Directory};
use crate::package::PackageView;
use std::collections::{BTreeMap, BTreeSet};

pub const WRITABLE_SYSTEM_BINARY: Rule = error(
    "SSPR016",
    "a credential provider or service binary, which Windows loads as SYSTEM, installs outside Program Files, Common Files, the Windows folder and System32: in C:\\, ProgramData or a profile, ordinary users may be able to replace it", Check::Package(writable_system_binaries));

/// Standard folders only administrators may change.
const PROTECTED_FOLDERS: &[&str] = &[
    "ProgramFilesFolder",
    "ProgramFiles64Folder",
    "CommonFilesFolder",
    "CommonFiles64Folder",
    "WindowsFolder",
    "SystemFolder",
    "System64Folder",
    "System16Folder",
    "FontsFolder",
];

/// Standard folders ordinary users can write into (ProgramData lets them create folders and
/// files), or that are theirs: named as the end of the walk rather than the drive root.
const USER_WRITABLE_FOLDERS: &[&str] = &[
    "CommonAppDataFolder",
    "AppDataFolder",
    "LocalAppDataFolder",
    "TempFolder",
    "PersonalFolder",
    "DesktopFolder",
    "WindowsVolume",
];

/// Where LogonUI finds credential providers, filters and pre-logon access providers.
const PROVIDER_KEYS: &[&str] = &[
    r"software\microsoft\windows\currentversion\authentication\credential providers\",
    r"software\microsoft\windows\currentversion\authentication\credential provider filters\",
    r"software\microsoft\windows\currentversion\authentication\plap providers\",
];

/// A binary loaded as SYSTEM: what it is, and the Directory it installs in.
struct SystemBinary {
    what: String,
    directory: String,
}

fn writable_system_binaries(package: &PackageView, findings: &mut Vec<Finding>) {
    let directories: BTreeMap<String, Directory> = package
        .rows(&schema::DIRECTORY)
        .map(|row| (row.directory.clone(), row))
        .collect();
    for binary in system_binaries(package) {
        if let Some(place) = unprotected(&binary.directory, &directories) {
            findings.push(
                WRITABLE_SYSTEM_BINARY.finding(format!("{} installs in {place}", binary.what)),
            );
        }
    }
}

fn system_binaries(package: &PackageView) -> Vec<SystemBinary> {
    let files: BTreeMap<String, schema::File> = package
        .rows(&schema::FILE)
        .map(|row| (row.file.clone(), row))
        .collect();
    let components: BTreeMap<String, schema::Component> = package
        .rows(&schema::COMPONENT)
        .map(|row| (row.component.clone(), row))
        .collect();
    let in_folder_of = |file_key: &str, what: String| {
        let file = files.get(file_key)?;
        let directory = components.get(&file.component)?.directory.clone();
        let what = format!("{what} `{}`", long_name(&file.file_name));
        Some(SystemBinary { what, directory })
    };
    let mut binaries: Vec<SystemBinary> = package
        .rows(&schema::SERVICE_INSTALL)
        .filter_map(|service| {
            let key_file = components.get(&service.component)?.key_path.clone()?;
            in_folder_of(&key_file, format!("service `{}`", service.name))
        })
        .collect();
    for (clsid, server) in provider_servers(package) {
        let what = format!("credential provider {clsid}");
        match server {
            Server::File(key) => binaries.extend(in_folder_of(&key, what)),
            Server::Directory(directory) => binaries.push(SystemBinary { what, directory }),
        }
    }
    binaries
}

/// Where a COM server's InprocServer32 points: a File (`[#F]`, `[!F]`) or a folder (`[DIR]…`).
enum Server {
    File(String),
    Directory(String),
}

/// The servers of the CLSIDs the package registers as credential providers.
fn provider_servers(package: &PackageView) -> Vec<(String, Server)> {
    let registry: Vec<schema::Registry> = package.rows(&schema::REGISTRY).collect();
    let providers: BTreeSet<String> = registry
        .iter()
        .filter(|row| matches!(row.root, -1 | 2))
        .filter_map(|row| provider_clsid(&row.key))
        .collect();
    registry
        .iter()
        .filter(|row| row.name.as_deref().unwrap_or("").is_empty())
        .filter_map(|row| {
            let clsid = inproc_server_clsid(row.root, &row.key)?;
            let server = server_reference(row.value.as_deref()?)?;
            providers.contains(&clsid).then_some((clsid, server))
        })
        .collect()
}

/// `{CLSID}` of a key under one of the provider keys, lower-cased.
fn provider_clsid(key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    PROVIDER_KEYS.iter().find_map(|prefix| {
        let clsid = key.strip_prefix(prefix)?.split('\\').next()?;
        clsid.starts_with('{').then(|| clsid.to_string())
    })
}

/// `{CLSID}` of `CLSID\{…}\InprocServer32` under HKCR, or `SOFTWARE\Classes\…` under HKLM.
fn inproc_server_clsid(root: i32, key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    let classes = match root {
        0 => key.as_str(),
        -1 | 2 => key.strip_prefix(r"software\classes\")?,
        _ => return None,
    };
    let clsid = classes
        .strip_prefix(r"clsid\")?
        .strip_suffix(r"\inprocserver32")?;
    Some(clsid.to_string())
}

/// `[#File]`/`[!File]` (maybe after `#%`), or `[DIRECTORY]name.dll`.
fn server_reference(value: &str) -> Option<Server> {
    let value = value.trim_start_matches("#%");
    let inner = value.strip_prefix('[')?.split(']').next()?;
    if let Some(file) = inner.strip_prefix('#').or_else(|| inner.strip_prefix('!')) {
        return Some(Server::File(file.to_string()));
    }
    Some(Server::Directory(inner.to_string()))
}

/// Where `directory` resolves when it is not under a protected folder, as `[Root]\a\b`; `None`
/// when it is. A `..` that climbs out of the protected folder counts as outside it.
fn unprotected(directory: &str, directories: &BTreeMap<String, Directory>) -> Option<String> {
    let mut names = Vec::new();
    let mut current = directory.to_string();
    let mut seen = BTreeSet::new();
    let root = loop {
        if PROTECTED_FOLDERS.contains(&current.as_str()) {
            return climbs_out(&names).then(|| place(&current, &names));
        }
        if USER_WRITABLE_FOLDERS.contains(&current.as_str()) {
            break current;
        }
        let Some(row) = directories
            .get(&current)
            .filter(|_| seen.insert(current.clone()))
        else {
            break current;
        };
        match row
            .parent
            .as_deref()
            .filter(|p| !p.is_empty() && *p != current)
        {
            Some(parent) => {
                names.push(long_target_dir(&row.default_dir).to_string());
                current = parent.to_string();
            }
            None => break current,
        }
    };
    Some(place(&root, &names))
}

/// Whether the names (innermost first) climb above where they start.
fn climbs_out(names: &[String]) -> bool {
    let mut depth = 0i32;
    for name in names.iter().rev() {
        match name.as_str() {
            ".." => depth -= 1,
            "." | "" => {}
            _ => depth += 1,
        }
        if depth < 0 {
            return true;
        }
    }
    false
}

fn place(root: &str, names: &[String]) -> String {
    let below: Vec<&str> = names
        .iter()
        .rev()
        .map(String::as_str)
        .filter(|name| *name != ".")
        .collect();
    let root = if root == "TARGETDIR" {
        "TARGETDIR (the drive root, C:\\)".to_string()
    } else {
        format!("[{root}]")
    };
    if below.is_empty() {
        root
    } else {
        format!("{root}\\{}", below.join("\\"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory(id: &str, parent: &str, default_dir: &str) -> (String, Directory) {
        (
            id.to_string(),
            Directory {
                directory: id.into(),
                parent: (!parent.is_empty()).then(|| parent.into()),
                default_dir: default_dir.into(),
            },
        )
    }

    fn tree() -> BTreeMap<String, Directory> {
        BTreeMap::from([
            directory("TARGETDIR", "", "SourceDir"),
            directory("ProgramFiles64Folder", "TARGETDIR", "."),
            directory("CommonAppDataFolder", "TARGETDIR", "."),
            directory("Vendor", "ProgramFiles64Folder", "VENDOR|Vendor"),
            directory("Escape", "Vendor", ".."),
            directory("Escape2", "Escape", ".."),
            directory("AtRoot", "TARGETDIR", "TOOLS|Tools"),
            directory("Data", "CommonAppDataFolder", "Vendor"),
            directory("Loop", "Loop2", "a"),
            directory("Loop2", "Loop", "b"),
        ])
    }

    #[test]
    fn only_folders_under_a_protected_root_are_protected() {
        let tree = tree();
        assert_eq!(unprotected("Vendor", &tree), None);
        assert_eq!(unprotected("Escape", &tree), None);
        assert_eq!(
            unprotected("Escape2", &tree).as_deref(),
            Some(r"[ProgramFiles64Folder]\Vendor\..\..")
        );
        assert_eq!(
            unprotected("AtRoot", &tree).as_deref(),
            Some(r"TARGETDIR (the drive root, C:\)\Tools")
        );
        assert_eq!(
            unprotected("Data", &tree).as_deref(),
            Some(r"[CommonAppDataFolder]\Vendor")
        );
        assert!(unprotected("Loop", &tree).is_some());
    }

    #[test]
    fn provider_registrations_are_read_in_every_root_form() {
        assert_eq!(
            provider_clsid(
                r"SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\Credential Providers\{ABC}"
            ),
            Some("{abc}".into())
        );
        assert_eq!(
            inproc_server_clsid(0, r"CLSID\{ABC}\InprocServer32"),
            Some("{abc}".into())
        );
        assert_eq!(
            inproc_server_clsid(2, r"SOFTWARE\Classes\CLSID\{ABC}\InprocServer32"),
            Some("{abc}".into())
        );
        assert_eq!(inproc_server_clsid(1, r"CLSID\{ABC}\InprocServer32"), None);
        assert!(matches!(server_reference("[#Dll]"), Some(Server::File(f)) if f == "Dll"));
        assert!(matches!(server_reference("#%[!Dll]"), Some(Server::File(f)) if f == "Dll"));
        assert!(
            matches!(server_reference("[INSTALLDIR]x.dll"), Some(Server::Directory(d)) if d == "INSTALLDIR")
        );
        assert!(server_reference(r"C:\x.dll").is_none());
    }
}
