//! Source media: where InstallFiles reads each file from. A compressed file comes from the
//! cabinet of its Media row (embedded as a `#stream`, or a file beside the package); an
//! uncompressed one from the source tree beside the package, by the Directory table's source
//! names. A source that is not there fails the install (1603) and names what is missing.

use super::profile::Installer;
use super::tables::Tables;
use crate::format::bits::FileAttributes;
use crate::format::names::{long_name, short_name, source_dir};
use crate::format::schema::{File, Media};
use crate::package::PackageView;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What sits beside a package: the files its install reads from outside the package.
pub trait SourceFolder: Sync {
    /// Whether `relative` (names separated by `\`) exists under the package's folder.
    fn has(&self, relative: &str) -> bool;
}

/// A folder with nothing in it: what a package read without its folder can count on.
pub struct NothingBeside;

impl SourceFolder for NothingBeside {
    fn has(&self, _: &str) -> bool {
        false
    }
}

/// A package's folder on disk, matched without regard to case, as Windows matches names.
/// Each folder is listed once, however many files ask for it.
pub struct FolderBeside {
    root: PathBuf,
    listings: Mutex<HashMap<PathBuf, HashMap<String, String>>>,
}

impl FolderBeside {
    /// The folder that holds `package`.
    pub fn of(package: &Path) -> FolderBeside {
        let root = match package.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        FolderBeside {
            root,
            listings: Mutex::new(HashMap::new()),
        }
    }

    /// The real name of `name` (any case) in `folder`, listing `folder` the first time.
    fn entry(&self, folder: &Path, name: &str) -> Option<String> {
        let mut listings = self
            .listings
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let listing = listings
            .entry(folder.to_path_buf())
            .or_insert_with(|| list(folder));
        listing.get(&name.to_lowercase()).cloned()
    }
}

impl SourceFolder for FolderBeside {
    fn has(&self, relative: &str) -> bool {
        let mut path = self.root.clone();
        for name in relative.split('\\') {
            if !is_plain_name(name) {
                return false;
            }
            let Some(real) = self.entry(&path, name) else {
                return false;
            };
            path.push(real);
        }
        true
    }
}

fn list(folder: &Path) -> HashMap<String, String> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return HashMap::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .map(|name| (name.to_lowercase(), name))
        .collect()
}

/// A name that stays inside its folder: a package cannot make us look elsewhere.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', ':', '\0'])
}

/// The sources the install of `installed` components would need and not find, as shown to
/// a user (`files.cab (2 files)`, `App\a.txt`), sorted.
pub(super) fn missing_sources(
    package: &PackageView,
    tables: &Tables,
    installed: &BTreeSet<&str>,
    installer: Installer,
    folder: &dyn SourceFolder,
) -> Vec<String> {
    let flags = package.summary.word_count.unwrap_or(0);
    let media = MediaBySequence::of(&tables.media);
    let mut source_dirs = SourceDirs::new(flags & SHORT_NAMES != 0);
    // Wine reads an uncompressed file of a compressed package from beside the package, not
    // from the source tree (measured); Windows reads the tree, where WiX lays such files out.
    let flat = installer == Installer::Wine && flags & COMPRESSED != 0;
    let mut missing_cabinets: BTreeMap<String, usize> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    for file in tables
        .files
        .iter()
        .filter(|file| installed.contains(file.component.as_str()))
    {
        let cabinet = media
            .holding(file.sequence)
            .and_then(|row| row.cabinet.as_deref())
            .filter(|cabinet| !cabinet.is_empty());
        match cabinet {
            Some(cabinet) if is_compressed(file, flags) => {
                if !has_cabinet(package, folder, cabinet) {
                    *missing_cabinets
                        .entry(cabinet.trim_start_matches('#').into())
                        .or_default() += 1;
                }
            }
            _ => {
                let path = match flat {
                    true => Some(source_dirs.pick(&file.file_name).to_string()),
                    false => source_dirs.file_path(tables, file),
                };
                if !path.as_deref().is_some_and(|path| folder.has(path)) {
                    missing.insert(path.unwrap_or_else(|| file.file.clone()));
                }
            }
        }
    }
    let cabinets = missing_cabinets
        .into_iter()
        .map(|(cabinet, files)| match files {
            1 => format!("{cabinet} (1 file)"),
            _ => format!("{cabinet} ({files} files)"),
        });
    cabinets.chain(missing).collect()
}

/// At most this many sources are named in a message; a hostile package can miss 100,000.
const NAMED_AT_MOST: usize = 10;

/// `names` joined for a message, the first [`NAMED_AT_MOST`] of them and a count of the rest.
pub(super) fn listed(names: &[String]) -> String {
    let shown = names[..names.len().min(NAMED_AT_MOST)].join(", ");
    match names.len().saturating_sub(NAMED_AT_MOST) {
        0 => shown,
        rest => format!("{shown} and {rest} more"),
    }
}

/// Summary Word Count bits.
const SHORT_NAMES: i32 = 1;
const COMPRESSED: i32 = 2;

/// A file's own attribute wins over the package's default.
fn is_compressed(file: &File, flags: i32) -> bool {
    let attributes = file.attributes.unwrap_or(FileAttributes::empty());
    if attributes.contains(FileAttributes::NONCOMPRESSED) {
        false
    } else if attributes.contains(FileAttributes::COMPRESSED) {
        true
    } else {
        flags & COMPRESSED != 0
    }
}

fn has_cabinet(package: &PackageView, folder: &dyn SourceFolder, cabinet: &str) -> bool {
    match cabinet.strip_prefix('#') {
        Some(stream) => package.streams.contains_key(stream),
        None => folder.has(cabinet),
    }
}

/// Media rows by LastSequence: a file is on the first disk whose LastSequence reaches it.
struct MediaBySequence<'t>(Vec<&'t Media>);

impl<'t> MediaBySequence<'t> {
    fn of(rows: &'t [Media]) -> Self {
        let mut sorted: Vec<&Media> = rows.iter().collect();
        sorted.sort_by_key(|row| (row.last_sequence, row.disk_id));
        MediaBySequence(sorted)
    }

    fn holding(&self, sequence: i32) -> Option<&'t Media> {
        let at = self.0.partition_point(|row| row.last_sequence < sequence);
        self.0.get(at).copied()
    }
}

/// Each directory's path in the source tree, resolved once.
struct SourceDirs {
    short_names: bool,
    resolved: HashMap<String, String>,
}

/// A chain of Directory rows deeper than this is a loop or an attack, not a folder.
const MAX_DEPTH: usize = 64;

impl SourceDirs {
    fn new(short_names: bool) -> SourceDirs {
        SourceDirs {
            short_names,
            resolved: HashMap::new(),
        }
    }

    fn file_path(&mut self, tables: &Tables, file: &File) -> Option<String> {
        let component = tables.component(&file.component)?;
        let folder = self.folder(tables, &component.directory)?;
        let name = self.pick(&file.file_name);
        Some(format!("{folder}{name}"))
    }

    /// `directory`'s source path relative to the package's folder, ending in `\` unless empty.
    fn folder(&mut self, tables: &Tables, directory: &str) -> Option<String> {
        let mut chain = Vec::new();
        let mut id = directory;
        // Walk up to a resolved or root folder, then resolve down: linear in the chain. A
        // loop in the Directory table runs into MAX_DEPTH.
        let mut base = loop {
            if let Some(known) = self.resolved.get(id) {
                break known.clone();
            }
            let row = tables.directories.get(id)?;
            let parent = row.parent.as_deref().unwrap_or("");
            if chain.len() > MAX_DEPTH {
                return None;
            }
            chain.push(row);
            if parent.is_empty() || parent == id {
                break String::new();
            }
            id = parent;
        };
        while let Some(row) = chain.pop() {
            let is_root = row
                .parent
                .as_deref()
                .is_none_or(|p| p.is_empty() || p == row.directory);
            if !is_root {
                let name = self.pick(source_dir(&row.default_dir));
                if name != "." {
                    base = format!("{base}{name}\\");
                }
            }
            self.resolved.insert(row.directory.clone(), base.clone());
        }
        Some(base)
    }

    /// The short or the long form of a `short|long` name, as the package's flags ask.
    fn pick<'n>(&self, name: &'n str) -> &'n str {
        if self.short_names {
            short_name(name)
        } else {
            long_name(name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_the_package_match_in_any_case_and_never_leave_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("App/Sub Folder")).unwrap();
        std::fs::write(dir.path().join("App/Sub Folder/b.txt"), "b").unwrap();
        std::fs::write(dir.path().join("Files.CAB"), "cab").unwrap();
        let folder = FolderBeside::of(&dir.path().join("p.msi"));
        assert!(folder.has(r"app\SUB FOLDER\B.txt"));
        assert!(folder.has("files.cab"));
        assert!(!folder.has(r"App\Sub Folder\c.txt"));
        assert!(!folder.has(r"App\..\Files.CAB"));
        assert!(!folder.has(r"App\\Sub Folder\b.txt"));
        assert!(!folder.has("/etc/passwd"));
        assert!(!folder.has(r"C:\Files.CAB"));
    }

    #[test]
    fn a_directory_names_its_source_in_the_form_the_package_asks_for() {
        let long = SourceDirs::new(false);
        let short = SourceDirs::new(true);
        assert_eq!(long.pick("SRC~1|Source"), "Source");
        assert_eq!(short.pick("SRC~1|Source"), "SRC~1");
        assert_eq!(short.pick("Source"), "Source");
    }

    #[test]
    fn a_message_names_ten_sources_and_counts_the_rest() {
        let names: Vec<String> = (0..12).map(|n| format!("f{n}")).collect();
        assert_eq!(listed(&names[..2]), "f0, f1");
        assert_eq!(
            listed(&names),
            "f0, f1, f2, f3, f4, f5, f6, f7, f8, f9 and 2 more"
        );
    }

    #[test]
    fn a_file_is_on_the_first_disk_whose_last_sequence_reaches_it() {
        let disk = |disk_id, last_sequence| Media {
            disk_id,
            last_sequence,
            disk_prompt: None,
            cabinet: Some(format!("disk{disk_id}.cab")),
            volume_label: None,
            source: None,
        };
        let rows = [disk(2, 20), disk(1, 10)];
        let media = MediaBySequence::of(&rows);
        assert_eq!(media.holding(1).unwrap().disk_id, 1);
        assert_eq!(media.holding(10).unwrap().disk_id, 1);
        assert_eq!(media.holding(11).unwrap().disk_id, 2);
        assert!(media.holding(21).is_none());
    }
}
