//! AppSearch: each row sets its property to what its signature's search finds. A signature
//! is looked for as Windows Installer does, through CompLocator, then RegLocator, then
//! IniLocator, then DrLocator, the first that finds something winning; a Signature row names
//! the file to find and what it must match (versions, sizes, languages), and without one the
//! search looks for a folder.
//!
//! The profile's files and folders are the machine's file system (the standard folders
//! always exist). What no profile holds is noted, not guessed: a file's creation time
//! (MinDate, MaxDate), wildcards in a Signature's file name, a component's key path on a
//! machine with installed products. Wine's `dlls/msi` and Windows agree on what is modelled
//! here (Wine's `tests/package.c` AppSearch cases run on Windows); a file search through a
//! registry or INI value checks the file's version only, never its size or languages.

use super::disk::{folder_of, Disk};
use super::profile::{ProfileFile, ProfileValue};
use super::{
    leading_number, locator_root, profile, redirect_to_wow6432node, with_backslash, Session,
};
use crate::format::bits::LocatorType;
use crate::format::names::long_name;
use crate::format::schema::{IniLocator, RegLocator, Signature};
use crate::format::RegistryRoot;
use crate::formatted::deformat;

/// What a search found (`Ok(None)`: nothing), or why it cannot be predicted.
type Search = Result<Option<String>, String>;

/// DrLocator parents nest no deeper: a cycle would recurse for ever.
const MAX_PARENTS: usize = 16;
/// No folder on a profile is deeper (a path is at most MAX_PATH long).
const MAX_DEPTH: i32 = 130;

/// What a Signature row asks of a file.
struct Wanted {
    file: String,
    min_version: Option<u64>,
    max_version: Option<u64>,
    min_size: u32,
    max_size: u32,
    languages: Vec<u16>,
}

impl Wanted {
    fn of(row: &Signature) -> Result<Wanted, String> {
        if row.min_date.is_some() || row.max_date.is_some() {
            return Err(format!(
                "Signature `{}` compares file dates, which a profile does not hold",
                row.signature
            ));
        }
        let file = long_name(&row.file_name).to_string();
        if file.contains(['*', '?']) {
            return Err(format!(
                "Signature `{}` names `{file}` with wildcards: which file matches depends on the folder's listing",
                row.signature
            ));
        }
        let size = |size: Option<i32>| size.map_or(0, |size| size as u32);
        Ok(Wanted {
            file,
            min_version: row.min_version.as_deref().map(packed_version),
            max_version: row.max_version.as_deref().map(packed_version),
            min_size: size(row.min_size),
            max_size: size(row.max_size),
            languages: row
                .languages
                .as_deref()
                .unwrap_or("")
                .split(',')
                .filter(|id| !id.trim().is_empty())
                .map(|id| leading_number(id) as u16)
                .collect(),
        })
    }

    /// A file a folder search found: sizes, then versions and languages, as Windows checks them.
    fn matched_by(&self, file: &ProfileFile) -> bool {
        if (self.min_size != 0 && file.size < self.min_size)
            || (self.max_size != 0 && file.size > self.max_size)
        {
            return false;
        }
        let versioned =
            self.min_version.is_some_and(|v| v != 0) || self.max_version.is_some_and(|v| v != 0);
        if !versioned {
            return true;
        }
        let Some(version) = file.version.as_deref().map(packed_version) else {
            return false;
        };
        self.version_within(version)
            && self
                .languages
                .iter()
                .all(|id| *id == 0 || file.languages.contains(id))
    }

    /// A zero bound is no bound.
    fn version_within(&self, version: u64) -> bool {
        let min = self.min_version.unwrap_or(0);
        let max = self.max_version.unwrap_or(0);
        version >= min && (max == 0 || version <= max)
    }
}

/// `a.b.c.d` as one number, each field read as Windows Installer reads it (a leading number).
fn packed_version(text: &str) -> u64 {
    let mut fields = text.split('.').map(|field| leading_number(field) as u16);
    (0..4).fold(0u64, |packed, _| {
        (packed << 16) | u64::from(fields.next().unwrap_or(0))
    })
}

fn is_full_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
        || path.starts_with(r"\\")
}

impl Session<'_> {
    pub(super) fn app_search(&mut self) {
        // The rows belong to the tables, not the session, so the session can take results.
        let tables = self.tables;
        if tables.app_searches.is_empty() {
            return;
        }
        let system = Disk::of_machine(self.profile);
        for search in &tables.app_searches {
            let (property, signature) = (&search.property, &search.signature);
            match self.find(&system, signature, 0) {
                Ok(Some(value)) => {
                    self.env.properties.insert(property.clone(), value);
                }
                Ok(None) => {}
                Err(note) => {
                    self.notes.insert(format!("AppSearch `{property}`: {note}"));
                }
            }
        }
    }

    /// What the searches for `signature` find, in Windows Installer's order.
    fn find(&self, system: &Disk, signature: &str, parents: usize) -> Search {
        let tables = self.tables;
        let wanted = tables
            .signatures
            .get(signature)
            .map(Wanted::of)
            .transpose()?;
        let wanted = wanted.as_ref();
        if tables.comp_locators.contains_key(signature) && !self.profile.products.is_empty() {
            return Err(format!(
                "CompLocator `{signature}` looks for an installed component: the profile lists products, not their components"
            ));
        }
        if let Some(locator) = tables.reg_locators.get(signature) {
            if let Some(found) = self.registry_search(system, locator, wanted)? {
                return Ok(Some(found));
            }
        }
        if let Some(locator) = tables.ini_locators.get(signature) {
            if let Some(found) = self.ini_search(system, locator, wanted)? {
                return Ok(Some(found));
            }
        }
        match tables.dr_locators.get(signature) {
            Some(_) => self.directory_search(system, signature, wanted, parents),
            None => Ok(None),
        }
    }

    /// A RegLocator row: the raw value, or the file or folder it names.
    fn registry_search(
        &self,
        system: &Disk,
        locator: &RegLocator,
        wanted: Option<&Wanted>,
    ) -> Search {
        let Some(value) = self.registry_value(locator)? else {
            return Ok(None);
        };
        let kind = locator.locator_type.map_or(0, |kind| kind.bits()) & LocatorType::KIND_MASK;
        if kind == LocatorType::RAW.bits() {
            return Ok(Some(value.as_search_result()));
        }
        let ProfileValue::String(text) = value else {
            return Err(format!(
                "RegLocator `{}` reads a DWORD as a path",
                locator.signature
            ));
        };
        // A quoted path (`"C:\x\app.exe" /arg`) counts by its quoted part.
        let path = text
            .split_once('"')
            .and_then(|(_, rest)| rest.split_once('"'))
            .map_or(text.as_str(), |(quoted, _)| quoted);
        self.search_path(system, kind, path, wanted)
    }

    /// The value a RegLocator row reads, from the view it reads.
    fn registry_value(&self, locator: &RegLocator) -> Result<Option<&ProfileValue>, String> {
        let references = self.references();
        let Some(root) = locator_root(locator.root) else {
            return Err(format!("unknown root {}", locator.root));
        };
        let key = deformat::deformat(&locator.key, &references).to_ascii_lowercase();
        let name = deformat::deformat(locator.name.as_deref().unwrap_or(""), &references)
            .to_ascii_lowercase();
        // A 32-bit search on 64-bit Windows reads WOW6432Node (Wine redirects it too); Windows
        // profiles give CurrentVersion once, for both views, Wine's give each view its own.
        let view64 = locator
            .locator_type
            .is_some_and(|kind| kind.contains(LocatorType::WIN64));
        let wine = self.on_wine();
        let key = match self.profile.is_64bit && !view64 && root == RegistryRoot::LocalMachine {
            true if key != profile::CURRENT_VERSION || wine => {
                redirect_to_wow6432node(&key).to_ascii_lowercase()
            }
            _ => key,
        };
        Ok(self.profile.registry.get(&(root, key, name)))
    }

    /// An IniLocator row: a value of an INI file (in the Windows folder unless a full path).
    fn ini_search(&self, system: &Disk, locator: &IniLocator, wanted: Option<&Wanted>) -> Search {
        // Wine passes the column as it is, `short|long` included; Windows reads the long name.
        let name = match self.on_wine() {
            true => locator.file_name.as_str(),
            false => long_name(&locator.file_name),
        };
        let path = match is_full_path(name) {
            true => name.to_string(),
            false => format!(r"C:\Windows\{name}"),
        };
        let value = system.profile_file(&path).and_then(|file| {
            let section = file.ini.get(&locator.section.to_lowercase())?;
            section.get(&locator.key.to_lowercase())
        });
        let Some(value) = value.filter(|value| !value.is_empty()) else {
            return Ok(None);
        };
        let kind = locator.locator_type.map_or(0, |kind| kind.bits()) & LocatorType::KIND_MASK;
        if kind == LocatorType::RAW.bits() {
            return Ok(Some(ini_field(value, locator.field.unwrap_or(0))));
        }
        self.search_path(system, kind, value, wanted)
    }

    /// A path a registry or INI value holds: the folder searched (kind 0), or the file.
    fn search_path(&self, system: &Disk, kind: i32, path: &str, wanted: Option<&Wanted>) -> Search {
        if kind == LocatorType::FILE_NAME.bits() {
            return Ok(file_at(system, path, wanted));
        }
        Ok(search_folder(system, wanted, path, 0))
    }

    /// A DrLocator row: its Path, under its parent's result when it has a Parent.
    fn directory_search(
        &self,
        system: &Disk,
        signature: &str,
        wanted: Option<&Wanted>,
        parents: usize,
    ) -> Search {
        let Some(locator) = self.tables.dr_locators.get(signature) else {
            return Ok(None);
        };
        let parent = match locator.parent.as_deref().filter(|p| !p.is_empty()) {
            None => None,
            Some(_) if parents >= MAX_PARENTS => {
                return Err(format!(
                    "DrLocator `{signature}`: parents nest deeper than {MAX_PARENTS} (a cycle?)"
                ))
            }
            Some(parent) => match self.find(system, parent, parents + 1)? {
                Some(found) => Some(found),
                None => return Ok(None),
            },
        };
        let path = locator.path.as_deref().unwrap_or("");
        let expanded = deformat::deformat(long_name(path), &self.references());
        let path = match parent {
            Some(parent) if system.profile_file(&parent).is_some() => {
                format!("{}{expanded}", with_backslash(folder_of(&parent)))
            }
            Some(parent) => format!("{parent}{expanded}"),
            None => expanded,
        };
        let depth = locator.depth.unwrap_or(0);
        Ok(search_folder(system, wanted, &with_backslash(&path), depth))
    }
}

/// A path taken as a file (RegLocator and IniLocator type 1): without a Signature, its folder.
fn file_at(system: &Disk, path: &str, wanted: Option<&Wanted>) -> Option<String> {
    let Some(wanted) = wanted else {
        let folder = with_backslash(folder_of(path));
        return system.folder_exists(&folder).then_some(folder);
    };
    let file = system.profile_file(path)?;
    // An unversioned file matches whatever versions the Signature asks for.
    let Some(version) = file.version.as_deref() else {
        return Some(path.to_string());
    };
    wanted
        .version_within(packed_version(version))
        .then(|| path.to_string())
}

/// A folder searched `depth` levels down for the wanted file, or, without a Signature, the
/// folder itself. A relative path is looked for on the fixed drives: C: on every profile.
fn search_folder(system: &Disk, wanted: Option<&Wanted>, path: &str, depth: i32) -> Option<String> {
    let path = match is_full_path(path) {
        true => path.to_string(),
        false => format!(r"C:\{path}"),
    };
    let found = match wanted {
        Some(wanted) => search_down(system, wanted, &path, depth.min(MAX_DEPTH)),
        None => system.folder_exists(&path).then(|| path.clone()),
    }?;
    Some(match system.folder_exists(&found) {
        true => with_backslash(&found),
        false => found,
    })
}

/// The wanted file in `folder`, else in its subfolders (in listing order), `depth` deep.
fn search_down(system: &Disk, wanted: &Wanted, folder: &str, depth: i32) -> Option<String> {
    if depth < 0 {
        return None;
    }
    let candidate = format!("{}{}", with_backslash(folder), wanted.file);
    if system
        .profile_file(&candidate)
        .is_some_and(|file| wanted.matched_by(file))
    {
        return Some(candidate);
    }
    system.subfolders(folder).into_iter().find_map(|sub| {
        search_down(
            system,
            wanted,
            &format!("{}{sub}", with_backslash(folder)),
            depth - 1,
        )
    })
}

/// Field `field` of a comma-separated INI value (0: the whole value), leading spaces dropped.
fn ini_field(value: &str, field: i32) -> String {
    if field <= 0 {
        return value.to_string();
    }
    let mut rest = value;
    for _ in 1..field {
        match rest.split_once(',') {
            Some((_, next)) => rest = next.trim_start_matches(' '),
            None => break,
        }
    }
    rest.split(',').next().unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::super::profile::MachineProfile;
    use super::*;

    fn machine(files: &[(&str, u32, Option<&str>)], folders: &[&str]) -> MachineProfile {
        let mut profile = profile::empty_profile(true);
        profile.files = files
            .iter()
            .map(|(path, size, version)| ProfileFile {
                path: path.to_string(),
                size: *size,
                version: version.map(str::to_string),
                ..ProfileFile::default()
            })
            .collect();
        profile.folders = folders.iter().map(|f| f.to_string()).collect();
        profile
    }

    fn wanted(file: &str) -> Wanted {
        Wanted {
            file: file.into(),
            min_version: None,
            max_version: None,
            min_size: 0,
            max_size: 0,
            languages: Vec::new(),
        }
    }

    #[test]
    fn a_folder_search_goes_depth_levels_down_and_checks_size_and_version() {
        let profile = machine(
            &[
                (r"C:\Tools\A\deep\app.exe", 100, Some("2.0.0.0")),
                (r"C:\Tools\B\app.exe", 5, None),
            ],
            &[],
        );
        let system = Disk::new(&profile, std::iter::empty());
        let app = wanted("app.exe");
        assert_eq!(search_folder(&system, Some(&app), r"C:\Tools\", 0), None);
        assert_eq!(
            search_folder(&system, Some(&app), r"C:\Tools\", 1).as_deref(),
            Some(r"C:\Tools\B\app.exe")
        );
        let versioned = Wanted {
            min_version: Some(packed_version("1.5")),
            ..wanted("app.exe")
        };
        assert_eq!(
            search_folder(&system, Some(&versioned), r"C:\Tools\", 2).as_deref(),
            Some(r"C:\Tools\A\deep\app.exe")
        );
        let big = Wanted {
            min_size: 1000,
            ..wanted("app.exe")
        };
        assert_eq!(search_folder(&system, Some(&big), r"C:\Tools\", 5), None);
        assert_eq!(
            search_folder(&system, None, "Tools", 0).as_deref(),
            Some(r"C:\Tools\")
        );
    }

    #[test]
    fn a_value_taken_as_a_file_checks_versions_only_and_passes_unversioned_files() {
        let profile = machine(
            &[
                (r"C:\x\old.dll", 1, Some("1.0")),
                (r"C:\x\plain.txt", 1, None),
            ],
            &[],
        );
        let system = Disk::new(&profile, std::iter::empty());
        let newer = Wanted {
            min_version: Some(packed_version("2.0")),
            min_size: 50,
            ..wanted("ignored")
        };
        assert_eq!(file_at(&system, r"C:\x\old.dll", Some(&newer)), None);
        assert_eq!(
            file_at(&system, r"C:\x\plain.txt", Some(&newer)).as_deref(),
            Some(r"C:\x\plain.txt")
        );
        assert_eq!(
            file_at(&system, r"C:\x\absent.txt", None).as_deref(),
            Some(r"C:\x\")
        );
    }

    #[test]
    fn ini_fields_count_from_one_and_zero_is_the_whole_value() {
        assert_eq!(ini_field("a, b,c", 0), "a, b,c");
        assert_eq!(ini_field("a, b,c", 2), "b");
        assert_eq!(ini_field("a, b,c", 3), "c");
        assert_eq!(ini_field("a", 4), "a");
    }

    /// The sample package searching `FOUND` with these rows, writing it to the registry.
    fn searching(
        dr: &[(&str, Option<&str>, &str)],
        signatures: &[(&str, &str, Option<i32>)],
    ) -> crate::package::PackageView {
        use crate::format::schema;
        let mut db = crate::database::tests::sample("Intel");
        db.insert(
            &schema::REGISTRY,
            schema::Registry {
                registry: "Found".into(),
                root: 2,
                key: r"SOFTWARE\Found".into(),
                name: Some("Found".into()),
                value: Some("<[FOUND]>".into()),
                component: "Reg".into(),
            },
        );
        super::super::tests::schedule(&mut db, &[("AppSearch", 50), ("WriteRegistryValues", 5000)]);
        let mut package = crate::package::read(&crate::database::to_bytes(&db).unwrap()).unwrap();
        let searches = [schema::AppSearch {
            property: "FOUND".into(),
            signature: "Wanted".into(),
        }];
        super::super::tests::with_read_table(
            &mut package,
            &schema::APP_SEARCH,
            searches.into_iter(),
        );
        let dr = dr
            .iter()
            .map(|(signature, parent, path)| schema::DrLocator {
                signature: signature.to_string(),
                parent: parent.map(str::to_string),
                path: Some(path.to_string()),
                depth: Some(i32::from(i16::MAX)),
            });
        super::super::tests::with_read_table(&mut package, &schema::DR_LOCATOR, dr);
        let signatures = signatures
            .iter()
            .map(|(signature, file, min_date)| schema::Signature {
                signature: signature.to_string(),
                file_name: file.to_string(),
                min_version: None,
                max_version: None,
                min_size: None,
                max_size: None,
                min_date: *min_date,
                max_date: None,
                languages: None,
            });
        super::super::tests::with_read_table(&mut package, &schema::SIGNATURE, signatures);
        package
    }

    fn found_and_notes(
        package: &crate::package::PackageView,
        profile: &MachineProfile,
    ) -> (String, Vec<String>) {
        let prediction = super::super::Simulator::default()
            .simulate(package, profile, &super::super::CommandLine::default())
            .unwrap();
        let found = prediction
            .registry
            .iter()
            .find(|write| write.name.as_deref() == Some("Found"))
            .map(|write| format!("{:?}", write.data))
            .unwrap_or_else(|| panic!("{prediction:#?}"));
        let searches = prediction
            .unsimulated
            .into_iter()
            .filter(|note| note.starts_with("AppSearch"));
        (found, searches.collect())
    }

    #[test]
    fn a_parent_cycle_and_a_huge_depth_end_with_a_note_or_a_result() {
        let mut profile = profile::by_name("win10-22h2-x64").unwrap();
        profile.files = machine(&[(r"C:\a\b\c\d\wanted.txt", 1, None)], &[]).files;
        let cycle = searching(
            &[
                ("Wanted", Some("Other"), "x"),
                ("Other", Some("Wanted"), "y"),
            ],
            &[],
        );
        let (found, notes) = found_and_notes(&cycle, &profile);
        assert!(found.contains("<>"), "{found}");
        assert!(
            notes.iter().any(|note| note.contains("(a cycle?)")),
            "{notes:?}"
        );
        let deep = searching(
            &[("Wanted", None, r"C:\")],
            &[("Wanted", "wanted.txt", None)],
        );
        let (found, notes) = found_and_notes(&deep, &profile);
        assert!(found.contains(r"C:\\a\\b\\c\\d\\wanted.txt"), "{found}");
        assert!(notes.is_empty(), "{notes:?}");
        let dated = searching(
            &[("Wanted", None, r"C:\")],
            &[("Wanted", "wanted.txt", Some(1))],
        );
        let (found, notes) = found_and_notes(&dated, &profile);
        assert!(found.contains("<>"), "{found}");
        assert!(
            notes.iter().any(|note| note.contains("file dates")),
            "{notes:?}"
        );
    }

    #[test]
    fn languages_count_only_with_a_version_bound_and_zero_matches_any() {
        let file = ProfileFile {
            path: r"C:\x\app.dll".into(),
            version: Some("2.0.0.0".into()),
            languages: vec![1033],
            ..ProfileFile::default()
        };
        let asking = |languages: Vec<u16>, versioned: bool| Wanted {
            min_version: versioned.then(|| packed_version("1.0")),
            languages,
            ..wanted("app.dll")
        };
        assert!(asking(vec![1033], true).matched_by(&file));
        assert!(!asking(vec![1031], true).matched_by(&file));
        assert!(!asking(vec![1033, 1031], true).matched_by(&file));
        assert!(asking(vec![0], true).matched_by(&file));
        // Without a version bound Windows Installer reads no version resource at all.
        assert!(asking(vec![1031], false).matched_by(&file));
    }

    #[test]
    fn versions_pack_field_by_field() {
        assert!(packed_version("1.2.3.4") > packed_version("1.2.3"));
        assert_eq!(packed_version("2"), 2 << 48);
    }
}
