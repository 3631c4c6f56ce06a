//! The machine's file system as the simulator sees it: the profile's files and folders, the
//! standard folders, and what an install adds and a removal takes away. Paths compare without
//! regard to case, as Windows compares them, and keep the spelling that created them.
//!
//! The package's own files are counted per folder, not kept one by one: a package of 20,000
//! files costs a counter per folder here, the list being the prediction's.

use super::profile::{MachineProfile, ProfileFile};
use std::collections::BTreeMap;

pub(super) struct Disk<'p> {
    /// Every folder (no trailing backslash), lower-cased.
    folders: BTreeMap<String, Folder>,
    /// Files other than the package's: the profile's, and copies the install makes.
    files: BTreeMap<String, OtherFile<'p>>,
}

struct Folder {
    spelled: String,
    /// The package's files in it.
    package_files: usize,
    /// Made by this install, not on the machine before.
    created: bool,
}

struct OtherFile<'p> {
    spelled: String,
    profile: Option<&'p ProfileFile>,
}

fn key(path: &str) -> String {
    path.trim_end_matches('\\').to_lowercase()
}

impl<'p> Disk<'p> {
    pub fn new<'s>(
        profile: &'p MachineProfile,
        standard_folders: impl Iterator<Item = &'s str>,
    ) -> Disk<'p> {
        let mut disk = Disk {
            folders: BTreeMap::new(),
            files: BTreeMap::new(),
        };
        for file in &profile.files {
            let state = OtherFile {
                spelled: file.path.clone(),
                profile: Some(file),
            };
            disk.files.insert(key(&file.path), state);
            disk.create_folder(folder_of(&file.path));
        }
        for folder in &profile.folders {
            disk.create_folder(folder);
        }
        for folder in standard_folders {
            disk.create_folder(folder);
        }
        for folder in disk.folders.values_mut() {
            folder.created = false;
        }
        disk
    }

    /// The machine `profile` describes: its files and folders, and the folders Windows
    /// Installer names for it.
    pub fn of_machine(profile: &'p MachineProfile) -> Disk<'p> {
        let standard = super::standard_folders(profile);
        Disk::new(profile, standard.iter().map(|(_, path)| path.as_str()))
    }

    /// Makes `folder` and every folder above it; returns those it made, topmost first.
    pub fn create_folder(&mut self, folder: &str) -> Vec<String> {
        let mut made = Vec::new();
        let mut folder = folder.trim_end_matches('\\');
        while !folder.is_empty() && !self.folders.contains_key(&key(folder)) {
            made.push(format!("{folder}\\"));
            let state = Folder {
                spelled: folder.to_string(),
                package_files: 0,
                created: true,
            };
            self.folders.insert(key(folder), state);
            folder = folder.rsplit_once('\\').map_or("", |(parent, _)| parent);
        }
        made.reverse();
        made
    }

    pub fn folder_exists(&self, path: &str) -> bool {
        self.folders.contains_key(&key(path))
    }

    /// A file of the profile's, with what searches match it against.
    pub fn profile_file(&self, path: &str) -> Option<&'p ProfileFile> {
        self.files.get(&key(path))?.profile
    }

    pub fn file_exists(&self, path: &str) -> bool {
        self.files.contains_key(&key(path))
    }

    /// Puts one of the package's files in `folder`; returns the folders it made.
    pub fn add_package_file(&mut self, folder: &str) -> Vec<String> {
        let made = self.create_folder(folder);
        if let Some(state) = self.folders.get_mut(&key(folder)) {
            state.package_files += 1;
        }
        made
    }

    pub fn remove_package_file(&mut self, folder: &str) {
        if let Some(state) = self.folders.get_mut(&key(folder)) {
            state.package_files = state.package_files.saturating_sub(1);
        }
    }

    /// Writes a file that is not the package's (a copy); returns the folders it made.
    pub fn add_file(&mut self, path: &str) -> Vec<String> {
        let made = self.create_folder(folder_of(path));
        let state = OtherFile {
            spelled: path.to_string(),
            profile: None,
        };
        self.files.insert(key(path), state);
        made
    }

    /// Deletes a file that is not the package's: `Some(true)` when it was the machine's.
    pub fn delete_file(&mut self, path: &str) -> Option<bool> {
        Some(self.files.remove(&key(path))?.profile.is_some())
    }

    /// Removes `folder` when it holds nothing, as RemoveDirectory does: `Some(true)` when it
    /// was the machine's, not this install's.
    pub fn remove_folder_if_empty(&mut self, folder: &str) -> Option<bool> {
        let folder = key(folder);
        self.folders.get(&folder)?;
        if self.holds_anything(&folder) {
            return None;
        }
        self.folders.remove(&folder).map(|state| !state.created)
    }

    /// The files (not the package's) directly in `folder` whose names match `pattern`
    /// (`*` and `?`, without regard to case).
    pub fn files_matching(&self, folder: &str, pattern: &str) -> Vec<String> {
        let prefix = format!("{}\\", key(folder));
        let pattern = pattern.to_lowercase();
        self.files
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter(|(key, _)| {
                let name = &key[prefix.len()..];
                !name.contains('\\') && wildcard_match(&pattern, name)
            })
            .map(|(_, file)| file.spelled.clone())
            .collect()
    }

    /// Whether `folder` holds a file or folder.
    pub fn holds_anything(&self, folder: &str) -> bool {
        let folder = key(folder);
        if self
            .folders
            .get(&folder)
            .is_some_and(|state| state.package_files > 0)
        {
            return true;
        }
        let prefix = format!("{folder}\\");
        let under = |key: &String| key.starts_with(&prefix);
        self.folders
            .range(prefix.clone()..)
            .next()
            .is_some_and(|(k, _)| under(k))
            || self
                .files
                .range(prefix.clone()..)
                .next()
                .is_some_and(|(k, _)| under(k))
    }

    /// The folders this install made that still exist, deepest first.
    pub fn created_folders(&self) -> Vec<String> {
        let mut made: Vec<String> = self
            .folders
            .values()
            .filter(|state| state.created)
            .map(|state| format!("{}\\", state.spelled))
            .collect();
        made.sort_by_key(|path| std::cmp::Reverse(path.matches('\\').count()));
        made
    }

    /// The folders directly in `folder`, in the case-insensitive order NTFS lists them.
    pub fn subfolders(&self, folder: &str) -> Vec<String> {
        let prefix = format!("{}\\", key(folder));
        self.folders
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter(|(key, _)| !key[prefix.len()..].contains('\\'))
            .filter_map(|(_, state)| state.spelled.rsplit('\\').next().map(str::to_string))
            .collect()
    }
}

/// Whether `name` matches `pattern`, `*` any run of characters and `?` any one, in time
/// linear in their lengths' product at worst (no backtracking blow-up).
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    // matched[j]: the pattern so far matches name[..j].
    let mut matched = vec![false; name.len() + 1];
    matched[0] = true;
    for &p in &pattern {
        let mut next = vec![false; name.len() + 1];
        for j in 0..=name.len() {
            next[j] = match p {
                '*' => matched[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && matched[j - 1],
                c => j > 0 && matched[j - 1] && name[j - 1] == c,
            };
        }
        matched = next;
    }
    matched[name.len()]
}

/// The folder part of a path (`C:\a\b.txt` → `C:\a`; `C:\a\` → `C:\a`), as PathRemoveFileSpec.
pub(super) fn folder_of(path: &str) -> &str {
    match path.rsplit_once('\\') {
        Some((folder, _)) if folder.ends_with(':') => &path[..folder.len() + 1],
        Some((folder, _)) => folder,
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_goes_only_when_nothing_is_left_in_it() {
        let mut profile = super::super::profile::empty_profile(true);
        profile.files.push(ProfileFile {
            path: r"C:\Keep\held.txt".into(),
            ..ProfileFile::default()
        });
        let mut disk = Disk::new(&profile, [r"C:\Program Files\"].into_iter());
        assert_eq!(
            disk.add_package_file(r"C:\Program Files\Fab\App\"),
            [r"C:\Program Files\Fab\", r"C:\Program Files\Fab\App\"]
        );
        assert_eq!(
            disk.remove_folder_if_empty(r"C:\Program Files\Fab\App"),
            None
        );
        disk.remove_package_file(r"c:\program files\fab\app\");
        assert_eq!(disk.remove_folder_if_empty(r"C:\Program Files\Fab"), None);
        assert_eq!(
            disk.remove_folder_if_empty(r"C:\Program Files\Fab\App\"),
            Some(false)
        );
        assert_eq!(disk.created_folders(), [r"C:\Program Files\Fab\"]);
        assert_eq!(disk.remove_folder_if_empty(r"C:\Keep"), None);
        assert_eq!(
            disk.files_matching(r"C:\keep\", "*.TXT"),
            [r"C:\Keep\held.txt"]
        );
        assert!(disk.files_matching(r"C:\keep\", "h?ld.txtx").is_empty());
        assert_eq!(disk.delete_file(r"C:\KEEP\held.txt"), Some(true));
        assert_eq!(disk.remove_folder_if_empty(r"C:\Keep"), Some(true));
        assert!(disk.created_folders().iter().all(|f| !f.contains("Keep")));
    }

    #[test]
    fn wildcards_match_runs_and_single_characters() {
        assert!(wildcard_match("*.log", "run.log"));
        assert!(wildcard_match("a*b*c", "aXXbYYc"));
        assert!(!wildcard_match("a*b*c", "aXXbYY"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("?", ""));
    }

    #[test]
    fn folders_exist_above_every_file_and_listed_folder_case_blind() {
        let mut profile = super::super::profile::empty_profile(true);
        profile.files.push(ProfileFile {
            path: r"C:\Tools\Sub\app.exe".into(),
            size: 10,
            ..ProfileFile::default()
        });
        profile.folders.push(r"D:\Data\".into());
        let disk = Disk::new(&profile, [r"C:\Windows\"].into_iter());
        for folder in [
            r"c:\tools",
            r"C:\TOOLS\sub\",
            r"D:\Data",
            r"D:",
            r"C:\Windows",
        ] {
            assert!(disk.folder_exists(folder), "{folder}");
        }
        assert!(!disk.folder_exists(r"C:\Tools\app.exe"));
        assert_eq!(disk.subfolders(r"C:\tools\"), vec!["Sub".to_string()]);
        assert!(disk.created_folders().is_empty());
    }
}
