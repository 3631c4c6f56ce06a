//! What the file actions do to the machine's folders and files, in the execute sequence's
//! order: RemoveFiles (RemoveFile rows, then at uninstall the package's files and folders),
//! RemoveFolders and CreateFolders (the CreateFolder table), InstallFiles, DuplicateFiles and
//! RemoveDuplicateFiles (the DuplicateFile table). Read from Wine's `dlls/msi` and measured:
//! - RemoveFile rows delete a file (a null FileName: the folder, when empty) of a component
//!   being installed (InstallMode 1), removed (2) or either (3), never of a permanent one. Wine
//!   hands a wildcard name to DeleteFile as it is, so it deletes nothing; Windows deletes the
//!   matching files.
//! - Uninstall on Wine removes, after the removed components' files, the empty folders under
//!   each removed component's Directory (children first, never its parents), leaving
//!   CreateFolder's folders to RemoveFolders; so a parent such as `Program Files\Vendor`, and
//!   a folder emptied only by a later RemoveFolders, stay. Windows is predicted to remove every
//!   folder the install made once it is empty (not confirmed on Windows).

use super::disk::{folder_of, Disk};
use super::ini::IniValues;
use super::profile::Installer;
use super::{FileWrite, Leftover, Prediction, Session, SimulationError};
use crate::format::bits::{ComponentAttributes, RemoveFileMode};
use crate::format::names::long_name;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A folder the install makes, and the component it makes it for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FolderWrite {
    /// With a trailing backslash.
    pub path: String,
    pub component: String,
}

/// A file or folder the machine held that a RemoveFile row deletes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileRemoval {
    /// A folder ends with a backslash.
    pub path: String,
    pub at_uninstall: bool,
    pub component: String,
}

/// A file MoveFiles makes, for its component; `source` when it was moved, not copied.
struct Move<'r> {
    path: String,
    component: &'r str,
    source: Option<String>,
}

/// The install's effect on the file system, kept for the uninstall session.
pub(super) struct InstalledFiles<'p> {
    disk: Disk<'p>,
    /// Whether InstallFiles ran (so the package's files are on the disk).
    files_installed: bool,
    ini: IniValues,
    /// INI files WriteIniValues made (lower-cased paths).
    ini_files_made: BTreeSet<String>,
    /// Files MoveFiles moved or copied (lower-cased paths).
    moved_files: BTreeSet<String>,
}

impl<'a> Session<'a> {
    /// Runs install's file actions; adds the copies to `files` and the folders made and
    /// files deleted to `prediction`.
    pub(super) fn install_file_actions(
        &self,
        installed: &BTreeSet<&str>,
        files: &mut Vec<FileWrite>,
        prediction: &mut Prediction,
    ) -> Result<InstalledFiles<'a>, SimulationError> {
        let mut disk = Disk::of_machine(self.profile);
        let mut folders = Vec::new();
        let mut files_installed = false;
        let mut ini = IniValues::of_profile(self.profile);
        let mut ini_files_made = BTreeSet::new();
        let mut moved_files = BTreeSet::new();
        for action in self.file_actions()? {
            match action {
                "RemoveFiles" => {
                    let removed = self.remove_file_rows(&mut disk, installed, false);
                    prediction.files_removed.extend(removed);
                }
                "CreateFolders" => {
                    for row in &self.tables.create_folders {
                        if !installed.contains(row.component.as_str()) {
                            continue;
                        }
                        if let Some(path) = self.directory_path(&row.directory, 0) {
                            let made = disk.create_folder(&path);
                            folders.extend(made_for(made, &row.component));
                        }
                    }
                }
                "InstallFiles" => {
                    files_installed = true;
                    for file in files.iter() {
                        let made = disk.add_package_file(folder_of(&file.path));
                        folders.extend(made_for(made, &file.component));
                    }
                }
                "DuplicateFiles" => {
                    let copies = self.duplicates(installed, files_installed);
                    if !copies.is_empty() {
                        files.reserve_exact(copies.len());
                    }
                    for (copy, component) in copies {
                        folders.extend(made_for(disk.add_file(&copy), component));
                        files.push(FileWrite {
                            path: copy,
                            component: component.to_string(),
                        });
                    }
                }
                "MoveFiles" => {
                    let (moves, made) = self.move_files(&mut disk, installed);
                    folders.extend(made);
                    for Move {
                        path,
                        component,
                        source,
                    } in moves
                    {
                        let made = disk.add_file(&path);
                        folders.extend(made_for(made, component));
                        moved_files.insert(path.to_lowercase());
                        if let Some(source) = source {
                            prediction.files_removed.push(FileRemoval {
                                path: source,
                                at_uninstall: false,
                                component: component.to_string(),
                            });
                        }
                        files.push(FileWrite {
                            path,
                            component: component.to_string(),
                        });
                    }
                }
                "WriteIniValues" | "RemoveIniValues" => {
                    let writes = action == "WriteIniValues";
                    let (changes, made) =
                        self.write_ini_values(&mut disk, &mut ini, installed, writes);
                    prediction.ini_changes.extend(changes);
                    for file in made {
                        folders.extend(made_for(
                            disk.create_folder(folder_of(&file.path)),
                            &file.component,
                        ));
                        ini_files_made.insert(file.path.to_lowercase());
                        files.push(file);
                    }
                }
                _ => {}
            }
        }
        if files.windows(2).any(|pair| pair[0] > pair[1]) {
            files.sort_unstable();
        }
        prediction.folders = folders;
        Ok(InstalledFiles {
            disk,
            files_installed,
            ini,
            ini_files_made,
            moved_files,
        })
    }

    /// Runs uninstall's file actions for the `removed` components; lists as residue what
    /// the install made and the uninstall leaves, beyond what `prediction` already leaves.
    pub(super) fn uninstall_file_actions(
        &self,
        mut state: InstalledFiles<'_>,
        installed: &[String],
        removed: &BTreeSet<&str>,
        prediction: &mut Prediction,
    ) -> Result<(), SimulationError> {
        let removable: BTreeSet<&str> = removed
            .iter()
            .copied()
            .filter(|component| !self.is_permanent(component))
            .collect();
        // Wine walks the folders of every component REMOVE=ALL marks absent, installed or not
        // (measured, differential seed 335).
        let mut wine_roots = removable.clone();
        wine_roots.extend(self.absent_but_never_installed(installed)?);
        let mut files_removed = false;
        for action in self.file_actions()? {
            match action {
                "RemoveDuplicateFiles" => {
                    for (copy, _) in self.duplicates(removed, state.files_installed) {
                        state.disk.delete_file(&copy);
                    }
                }
                "RemoveFiles" => {
                    let deleted = self.remove_file_rows(&mut state.disk, removed, true);
                    prediction.files_removed.extend(deleted);
                    files_removed = state.files_installed;
                    for file in prediction.files.iter() {
                        if removable.contains(file.component.as_str()) {
                            state.disk.remove_package_file(folder_of(&file.path));
                        }
                    }
                    if self.profile.installer == Installer::Wine {
                        self.remove_component_folders(&mut state.disk, &wine_roots, false);
                    }
                }
                "RemoveIniValues" => {
                    let changes = self.remove_ini_values(&mut state.ini, removed);
                    prediction.ini_changes.extend(changes);
                }
                "RemoveFolders" if self.profile.installer == Installer::Wine => {
                    self.remove_component_folders(&mut state.disk, &wine_roots, true);
                }
                _ => {}
            }
        }
        if self.profile.installer == Installer::Windows && files_removed {
            for folder in state.disk.created_folders() {
                state.disk.remove_folder_if_empty(&folder);
            }
        }
        self.list_file_residue(&state, &removable, files_removed, prediction);
        Ok(())
    }

    /// Components a feature holds that the install did not put on the machine but whose
    /// condition holds at uninstall: REMOVE=ALL marks them absent too.
    fn absent_but_never_installed(
        &self,
        installed: &[String],
    ) -> Result<BTreeSet<&'a str>, SimulationError> {
        let tables = self.tables;
        let installed: BTreeSet<&str> = installed.iter().map(String::as_str).collect();
        // A feature of level 0 is disabled, at uninstall too (Wine reads the Feature table's
        // level under REMOVE=ALL): its components are not marked absent (seed 1).
        let enabled: BTreeSet<&str> = tables
            .features
            .iter()
            .filter(|feature| feature.level > 0)
            .map(|feature| feature.feature.as_str())
            .collect();
        let mut absent = BTreeSet::new();
        for row in &tables.feature_components {
            let name = row.component.as_str();
            if installed.contains(name)
                || absent.contains(name)
                || !enabled.contains(row.feature.as_str())
            {
                continue;
            }
            let Some(component) = tables.component(name) else {
                continue;
            };
            let condition = component.condition.as_deref().unwrap_or("");
            if component.component_id.is_some()
                && !self.is_permanent(name)
                && self.check("Component", name, condition)?
            {
                absent.insert(name);
            }
        }
        Ok(absent)
    }

    /// Notes the MoveFile rows of installed components whose effect is not simulated: a
    /// folder moved, or files named with wildcards.
    pub(super) fn note_unsimulated_moves(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<(), SimulationError> {
        if !self.runs("MoveFiles")? {
            return Ok(());
        }
        let tables = self.tables;
        for row in &tables.move_files {
            if !installed.contains(row.component.as_str()) {
                continue;
            }
            let key = &row.file_key;
            match row.source_name.as_deref().filter(|name| !name.is_empty()) {
                None => {
                    self.notes
                        .insert(format!("MoveFile `{key}` moves a folder: not simulated"));
                }
                Some(name) if name.contains(['*', '?']) => {
                    self.notes.insert(format!(
                        "MoveFile `{key}` names `{name}` with wildcards: which files match depends on the folder's listing, not simulated"
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// MoveFiles for the `installed` components: the files made, and the folders made. Only a file of the
    /// machine's named without wildcards (the others are noted); DestFolder is made even when
    /// the source is missing (Wine).
    fn move_files(
        &self,
        disk: &mut Disk,
        installed: &BTreeSet<&str>,
    ) -> (Vec<Move<'a>>, Vec<FolderWrite>) {
        const MOVE: i32 = 1;
        let references = self.references();
        let folder = |property: &str| {
            super::deformat::References::property(&references, property)
                .filter(|folder| !folder.is_empty())
        };
        let mut moved = Vec::new();
        let mut folders = Vec::new();
        for row in &self.tables.move_files {
            if !installed.contains(row.component.as_str()) {
                continue;
            }
            let (Some(source_folder), Some(dest_folder)) = (
                row.source_folder.as_deref().and_then(folder),
                folder(&row.dest_folder),
            ) else {
                continue;
            };
            let Some(source_name) = row
                .source_name
                .as_deref()
                .filter(|name| !name.is_empty() && !name.contains(['*', '?']))
            else {
                continue;
            };
            let source = format!("{}{source_name}", super::with_backslash(&source_folder));
            let name = row.dest_name.as_deref().map_or(source_name, long_name);
            let dest = format!("{}{name}", super::with_backslash(&dest_folder));
            folders.extend(made_for(disk.create_folder(&dest_folder), &row.component));
            if disk.profile_file(&source).is_none() {
                continue;
            }
            let moves = row.options == MOVE;
            if moves {
                disk.delete_file(&source);
            }
            moved.push(Move {
                path: dest,
                component: row.component.as_str(),
                source: moves.then_some(source),
            });
        }
        (moved, folders)
    }

    /// The file actions the execute sequence runs, in order.
    fn file_actions(&self) -> Result<Vec<&'a str>, SimulationError> {
        const FILE_ACTIONS: [&str; 9] = [
            "MoveFiles",
            "RemoveIniValues",
            "WriteIniValues",
            "RemoveDuplicateFiles",
            "RemoveFiles",
            "RemoveFolders",
            "CreateFolders",
            "InstallFiles",
            "DuplicateFiles",
        ];
        let mut actions = Vec::new();
        for (action, condition) in &self.tables.execute {
            if FILE_ACTIONS.contains(&action.as_str())
                && self.check("InstallExecuteSequence", action, condition)?
            {
                actions.push(action.as_str());
            }
        }
        Ok(actions)
    }

    fn is_permanent(&self, component: &str) -> bool {
        self.tables
            .component(component)
            .is_some_and(|row| row.attributes.contains(ComponentAttributes::PERMANENT))
    }

    /// The DuplicateFile rows of `components` whose source file is installed: (copy, component).
    fn duplicates(
        &self,
        components: &BTreeSet<&str>,
        files_installed: bool,
    ) -> Vec<(String, &'a str)> {
        let tables = self.tables;
        let mut copies = Vec::new();
        for row in &tables.duplicate_files {
            if !files_installed || !components.contains(row.component.as_str()) {
                continue;
            }
            let Some(source) = tables.file(&row.file) else {
                continue;
            };
            let references = self.references();
            let Some(source_path) =
                super::deformat::References::file_path(&references, &source.file)
            else {
                continue;
            };
            let name = row
                .dest_name
                .as_deref()
                .map_or(long_name(&source.file_name), long_name);
            let folder = match row.dest_folder.as_deref() {
                None | Some("") => Some(folder_of(&source_path).to_string()),
                Some(id) => super::deformat::References::property(&references, id),
            };
            if let Some(folder) = folder.filter(|folder| !folder.is_empty()) {
                let copy = format!("{}{name}", super::with_backslash(&folder));
                copies.push((copy, row.component.as_str()));
            }
        }
        copies
    }

    /// Runs the RemoveFile rows of `components` for this session; returns what they deleted
    /// that the machine held before the install.
    fn remove_file_rows(
        &self,
        disk: &mut Disk,
        components: &BTreeSet<&str>,
        at_uninstall: bool,
    ) -> Vec<FileRemoval> {
        let mode = match at_uninstall {
            true => RemoveFileMode::ON_UNINSTALL,
            false => RemoveFileMode::ON_INSTALL,
        };
        let references = self.references();
        let mut deleted = Vec::new();
        for row in &self.tables.remove_files {
            let component = row.component.as_str();
            if !components.contains(component)
                || !row.install_mode.intersects(mode)
                || self.is_permanent(component)
            {
                continue;
            }
            let Some(folder) =
                super::deformat::References::property(&references, &row.dir_property)
                    .filter(|folder| !folder.is_empty())
            else {
                continue;
            };
            let folder = super::with_backslash(&folder);
            let targets = match row.file_name.as_deref().map(long_name) {
                None | Some("") => {
                    if disk.remove_folder_if_empty(&folder) == Some(true) {
                        deleted.push((folder.clone(), component));
                    }
                    continue;
                }
                Some(name) if name.contains(['*', '?']) => match self.profile.installer {
                    Installer::Wine => Vec::new(),
                    Installer::Windows => disk.files_matching(&folder, name),
                },
                Some(name) => vec![format!("{folder}{name}")],
            };
            for path in targets {
                if disk.delete_file(&path) == Some(true) {
                    deleted.push((path, component));
                }
            }
        }
        deleted
            .into_iter()
            .map(|(path, component)| FileRemoval {
                path,
                at_uninstall,
                component: component.to_string(),
            })
            .collect()
    }

    /// Wine's RemoveFiles (`persistent` false) and RemoveFolders (true): for each removed
    /// component, the empty folders under its Directory, children first.
    fn remove_component_folders(
        &self,
        disk: &mut Disk,
        removable: &BTreeSet<&str>,
        persistent: bool,
    ) {
        let tables = self.tables;
        let made_by_create_folder: BTreeSet<&str> = tables
            .create_folders
            .iter()
            .map(|row| row.directory.as_str())
            .collect();
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (id, row) in &tables.directories {
            if let Some(parent) = row.parent.as_deref().filter(|parent| parent != id) {
                children.entry(parent).or_default().push(id);
            }
        }
        let roots: Vec<&str> = match persistent {
            false => tables
                .components
                .iter()
                .filter(|row| removable.contains(row.component.as_str()))
                .map(|row| row.directory.as_str())
                .collect(),
            true => tables
                .create_folders
                .iter()
                .filter(|row| removable.contains(row.component.as_str()))
                .map(|row| row.directory.as_str())
                .collect(),
        };
        // A folder's fate is settled once its subtree has been walked (children first, and
        // nothing else is removed meanwhile), so each is walked once: linear in the table.
        let mut seen = BTreeSet::new();
        for root in roots {
            for id in children_first(root, &children, &mut seen) {
                if made_by_create_folder.contains(id) != persistent {
                    continue;
                }
                if let Some(path) = self.directory_path(id, 0) {
                    disk.remove_folder_if_empty(&path);
                }
            }
        }
    }

    /// Residue the file actions leave: the package's files when RemoveFiles does not run,
    /// copies RemoveDuplicateFiles did not delete, and folders the install made that stay.
    fn list_file_residue(
        &self,
        state: &InstalledFiles,
        removable: &BTreeSet<&str>,
        files_removed: bool,
        prediction: &mut Prediction,
    ) {
        let listed: BTreeSet<String> = prediction
            .permanent
            .iter()
            .chain(&prediction.residue)
            .map(|leftover| leftover.item.to_lowercase())
            .collect();
        let disk = &state.disk;
        let mut left = Vec::new();
        for file in prediction.files.iter() {
            if !removable.contains(file.component.as_str())
                || listed.contains(&file.path.to_lowercase())
            {
                continue;
            }
            let lower = file.path.to_lowercase();
            let reason = if state.ini_files_made.contains(&lower) {
                "an INI file the install made: uninstall takes its keys out and leaves the file"
            } else if state.moved_files.contains(&lower) {
                "a file MoveFiles moved or copied: uninstall does not remove it"
            } else if !files_removed || disk.file_exists(&file.path) {
                "the uninstall sequence does not remove it (RemoveFiles or RemoveDuplicateFiles does not run)"
            } else {
                continue;
            };
            left.push(Leftover {
                item: file.path.clone(),
                reason: reason.into(),
                component: file.component.clone(),
            });
        }
        let made_for: BTreeMap<String, &str> = prediction
            .folders
            .iter()
            .map(|folder| (folder.path.to_lowercase(), folder.component.as_str()))
            .collect();
        for folder in disk.created_folders() {
            let lower = folder.to_lowercase();
            if listed.contains(&lower) {
                continue;
            }
            let reason = match (disk.holds_anything(&folder), self.profile.installer) {
                (true, _) => "a folder the install made that still holds what uninstall leaves",
                (false, Installer::Wine) => "an empty folder the install made and uninstall leaves: Wine removes only the empty folders under a removed component's folder, CreateFolder's at RemoveFolders, never their parents",
                (false, Installer::Windows) => "an empty folder the install made: the uninstall sequence does not run RemoveFiles",
            };
            left.push(Leftover {
                item: folder,
                reason: reason.into(),
                component: made_for.get(&lower).copied().unwrap_or("").to_string(),
            });
        }
        prediction.residue.extend(left);
        prediction.residue.sort();
    }
}

/// The folders `made`, as made for `component`.
fn made_for(made: Vec<String>, component: &str) -> impl Iterator<Item = super::FolderWrite> + '_ {
    made.into_iter().map(move |path| FolderWrite {
        path,
        component: component.to_string(),
    })
}

/// The Directory ids under `root` and `root` itself not yet `seen`, each child before its
/// parent (a hostile table's cycles and depth cost no stack).
fn children_first<'t>(
    root: &'t str,
    children: &BTreeMap<&'t str, Vec<&'t str>>,
    seen: &mut BTreeSet<&'t str>,
) -> Vec<&'t str> {
    let mut order = Vec::new();
    let mut stack = vec![(root, false)];
    while let Some((id, expanded)) = stack.pop() {
        if expanded {
            order.push(id);
            continue;
        }
        if !seen.insert(id) {
            continue;
        }
        stack.push((id, true));
        for child in children.get(id).into_iter().flatten().rev() {
            stack.push((child, false));
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::super::profile::{self, ProfileFile};
    use super::super::{CommandLine, Simulator};
    use super::*;
    use crate::format::schema;
    use crate::formatted::deformat::WrittenData;
    use crate::package::PackageView;

    /// The sample package with a file in `C:\Vendor\Deep\` (no component in `Vendor`),
    /// `actions` scheduled, and `remove` (RemoveFile rows of its component: name, mode) over
    /// `C:\Old\`.
    fn deep_file(remove: &[(&str, i32)], actions: &[(&str, i32)]) -> PackageView {
        let mut db = crate::database::tests::sample("Intel");
        for (directory, parent) in [("Vendor", "TARGETDIR"), ("Deep", "Vendor")] {
            db.insert(
                &schema::DIRECTORY,
                schema::Directory {
                    directory: directory.into(),
                    parent: Some(parent.into()),
                    default_dir: directory.into(),
                },
            );
        }
        db.insert(
            &schema::COMPONENT,
            schema::Component {
                component: "DeepFile".into(),
                component_id: Some("{8E3C2A5B-0000-4000-8000-0000000000DF}".into()),
                directory: "Deep".into(),
                attributes: ComponentAttributes::empty(),
                condition: None,
                key_path: Some("Deep.txt".into()),
            },
        );
        db.insert(
            &schema::FEATURE_COMPONENTS,
            schema::FeatureComponent {
                feature: "Main".into(),
                component: "DeepFile".into(),
            },
        );
        db.insert(
            &schema::FILE,
            schema::File {
                file: "Deep.txt".into(),
                component: "DeepFile".into(),
                file_name: "deep.txt".into(),
                file_size: 1,
                version: None,
                language: None,
                attributes: None,
                sequence: 1,
            },
        );
        db.insert(
            &schema::PROPERTY,
            schema::Property {
                property: "OLDDIR".into(),
                value: r"C:\Old\".into(),
            },
        );
        for (n, (name, mode)) in remove.iter().enumerate() {
            db.insert(
                &schema::REMOVE_FILE,
                schema::RemoveFile {
                    file_key: format!("Rm{n}"),
                    component: "DeepFile".into(),
                    file_name: Some(name.to_string()),
                    dir_property: "OLDDIR".into(),
                    install_mode: RemoveFileMode::from_bits_retain(*mode),
                },
            );
        }
        super::super::tests::schedule(&mut db, actions);
        crate::package::read(&crate::database::to_bytes(&db).unwrap()).unwrap()
    }

    const FILE_ACTIONS: &[(&str, i32)] = &[("RemoveFiles", 3500), ("InstallFiles", 4000)];

    fn predict(package: &PackageView, name: &str, held: &[&str]) -> Prediction {
        let mut profile = profile::by_name(name).unwrap();
        for path in held {
            profile.files.push(ProfileFile {
                path: path.to_string(),
                ..ProfileFile::default()
            });
        }
        Simulator::default()
            .simulate(package, &profile, &CommandLine::default())
            .unwrap()
    }

    fn items(leftovers: &[Leftover]) -> Vec<&str> {
        leftovers
            .iter()
            .map(|leftover| leftover.item.as_str())
            .collect()
    }

    #[test]
    fn wine_leaves_the_folders_above_a_component_and_windows_none() {
        let package = deep_file(&[], FILE_ACTIONS);
        let wine = predict(&package, "wine-win10", &[]);
        let made: Vec<&str> = wine.folders.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(made, [r"C:\Vendor\", r"C:\Vendor\Deep\"]);
        assert_eq!(items(&wine.residue), [r"C:\Vendor\"], "{:#?}", wine.residue);
        let windows = predict(&package, "win10-22h2-x64", &[]);
        assert!(
            !items(&windows.residue)
                .iter()
                .any(|item| item.starts_with(r"C:\Vendor")),
            "{:#?}",
            windows.residue
        );
    }

    #[test]
    fn a_wildcard_removal_deletes_on_windows_and_not_on_wine() {
        let package = deep_file(&[("*.log", 1), ("named.txt", 2)], FILE_ACTIONS);
        let held = [
            r"C:\Old\a.log",
            r"C:\Old\b.LOG",
            r"C:\Old\named.txt",
            r"C:\Old\c.txt",
        ];
        let removed = |prediction: &Prediction| -> Vec<(String, bool)> {
            let removals = prediction.files_removed.iter();
            removals.map(|r| (r.path.clone(), r.at_uninstall)).collect()
        };
        let windows = predict(&package, "win10-22h2-x64", &held);
        assert_eq!(
            removed(&windows),
            [
                (r"C:\Old\a.log".to_string(), false),
                (r"C:\Old\b.LOG".to_string(), false),
                (r"C:\Old\named.txt".to_string(), true)
            ]
        );
        let wine = predict(&package, "wine-win10", &held);
        assert_eq!(removed(&wine), [(r"C:\Old\named.txt".to_string(), true)]);
    }

    #[test]
    fn without_remove_files_uninstall_leaves_the_files_and_a_service_with_no_delete_row() {
        let actions = [("InstallFiles", 4000), ("InstallServices", 5800)];
        let mut package = deep_file(&[], &actions);
        let service = schema::ServiceInstall {
            service_install: "Svc".into(),
            name: "Svc".into(),
            display_name: None,
            service_type: 16,
            start_type: 2,
            error_control: 1,
            load_order_group: None,
            dependencies: None,
            start_name: None,
            password: None,
            arguments: None,
            component: "DeepFile".into(),
            description: None,
        };
        super::super::tests::with_read_table(
            &mut package,
            &schema::SERVICE_INSTALL,
            [service].into_iter(),
        );
        let prediction = predict(&package, "wine-win10", &[]);
        let left = items(&prediction.residue);
        assert!(
            prediction
                .files
                .iter()
                .all(|f| left.contains(&f.path.as_str())),
            "{:#?}",
            prediction.residue
        );
        // The service's values are written, and stay: no ServiceControl row deletes it.
        let service = r"HKLM\System\CurrentControlSet\Services\Svc";
        let image = prediction
            .registry
            .iter()
            .find(|write| write.name.as_deref() == Some("ImagePath"))
            .expect("ImagePath written");
        assert_eq!(
            image.data,
            WrittenData::String(r"C:\Vendor\Deep\deep.txt".into())
        );
        assert!(
            left.iter().any(|item| item.starts_with(service)),
            "{:#?}",
            prediction.residue
        );
    }

    #[test]
    fn children_come_before_their_parent_and_a_cycle_ends() {
        let mut children: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        children.insert("App", vec!["Data", "Empty"]);
        children.insert("Data", vec!["Deep", "App"]);
        let mut seen = BTreeSet::new();
        assert_eq!(
            children_first("App", &children, &mut seen),
            ["Deep", "Data", "Empty", "App"]
        );
        assert!(children_first("Data", &children, &mut seen).is_empty());
    }
}
