//! The IniFile and RemoveIniFile tables: WriteIniValues at install and RemoveIniValues at
//! uninstall (and, for RemoveIniFile, at install). A row names a file (its long name) in the
//! folder of its DirProperty (a Directory id or a property holding a path; the Windows
//! folder without one); Section, Key and Value are Formatted. Read from Wine's `dlls/msi`
//! and measured:
//! - Action 0 writes the value, 1 only where the key has none, and 3 (add a tag to a
//!   comma-separated list) nothing on Wine; Windows adds the tag (not confirmed).
//! - A file is written only into a folder that exists, and created when absent.
//! - Uninstall removes the key of every action 0 and 1 row of a removed component, a key the
//!   install did not write included; the section line and the file stay.
//! - RemoveIniFile's action 2 removes the key at install (4, a tag, nothing on Wine).

use super::disk::Disk;
use super::profile::Installer;
use super::{FileWrite, Session};
use crate::format::names::long_name;
use crate::formatted::deformat::{self, References};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A value an INI file gets (`value` set) or loses (`None`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct IniChange {
    pub path: String,
    pub section: String,
    pub key: String,
    pub value: Option<String>,
    pub at_uninstall: bool,
    pub component: String,
}

const ADD_LINE: i32 = 0;
const CREATE_LINE: i32 = 1;
const REMOVE_LINE: i32 = 2;
const ADD_TAG: i32 = 3;

/// The INI values on the machine: (path, section, key), lower-cased, → value.
#[derive(Default)]
pub(super) struct IniValues(BTreeMap<(String, String, String), String>);

impl IniValues {
    pub fn of_profile(profile: &super::profile::MachineProfile) -> IniValues {
        let mut values = BTreeMap::new();
        for file in &profile.files {
            for (section, keys) in &file.ini {
                for (key, value) in keys {
                    let at = (file.path.to_lowercase(), section.clone(), key.clone());
                    values.insert(at, value.clone());
                }
            }
        }
        IniValues(values)
    }

    fn get(&self, change: &IniChange) -> Option<&String> {
        self.0.get(&Self::at(change))
    }

    fn at(change: &IniChange) -> (String, String, String) {
        (
            change.path.to_lowercase(),
            change.section.to_lowercase(),
            change.key.to_lowercase(),
        )
    }

    fn apply(&mut self, change: &IniChange) {
        match &change.value {
            Some(value) => self.0.insert(Self::at(change), value.clone()),
            None => self.0.remove(&Self::at(change)),
        };
    }
}

/// One row of either table, formatted.
struct Row<'r> {
    path: Option<String>,
    section: String,
    key: String,
    value: String,
    action: i32,
    component: &'r str,
}

impl<'a> Session<'a> {
    /// A row formatted: (FileName, DirProperty, [Section, Key, Value]).
    fn ini_row<'r>(
        &self,
        (file_name, dir_property, texts): (&str, Option<&str>, [&str; 3]),
        action: i32,
        component: &'r str,
    ) -> Row<'r> {
        let references = self.references();
        let folder = match dir_property.filter(|property| !property.is_empty()) {
            Some(property) => references.property(property),
            None => references.property("WindowsFolder"),
        };
        let path = folder
            .filter(|folder| !folder.is_empty())
            .map(|folder| format!("{}{}", super::with_backslash(&folder), long_name(file_name)));
        let [section, key, value] = texts.map(|text| deformat::deformat(text, &references));
        Row {
            path,
            section,
            key,
            value,
            action,
            component,
        }
    }

    /// WriteIniValues and RemoveIniFile at install: the changes, and the INI files made
    /// (new files, for the prediction's file list).
    pub(super) fn write_ini_values(
        &self,
        disk: &mut Disk,
        values: &mut IniValues,
        installed: &BTreeSet<&str>,
        writes: bool,
    ) -> (Vec<IniChange>, Vec<FileWrite>) {
        let tables = self.tables;
        let mut changes = Vec::new();
        let mut made = Vec::new();
        let installs = |component: &str| installed.contains(component);
        let rows: Vec<Row> = match writes {
            true => tables
                .ini_files
                .iter()
                .filter(|row| installs(&row.component))
                .map(|row| {
                    let texts = [row.section.as_str(), &row.key, &row.value];
                    let fields = (row.file_name.as_str(), row.dir_property.as_deref(), texts);
                    self.ini_row(fields, row.action, &row.component)
                })
                .collect(),
            false => tables
                .remove_ini_files
                .iter()
                .filter(|row| installs(&row.component))
                .map(|row| {
                    let value = row.value.as_deref().unwrap_or("");
                    let texts = [row.section.as_str(), &row.key, value];
                    let fields = (row.file_name.as_str(), row.dir_property.as_deref(), texts);
                    self.ini_row(fields, row.action, &row.component)
                })
                .collect(),
        };
        for row in rows {
            let Some(path) = row.path.clone() else {
                continue;
            };
            let mut change = IniChange {
                path: path.clone(),
                section: row.section.clone(),
                key: row.key.clone(),
                value: None,
                at_uninstall: false,
                component: row.component.to_string(),
            };
            change.value = match (row.action, writes) {
                (ADD_LINE, true) => Some(row.value.clone()),
                (CREATE_LINE, true) if values.get(&change).is_none_or(String::is_empty) => {
                    Some(row.value.clone())
                }
                (ADD_TAG, true) if self.profile.installer == Installer::Windows => Some(with_tag(
                    values.get(&change).map(String::as_str),
                    &row.value,
                )),
                (REMOVE_LINE, false) if values.get(&change).is_some() => None,
                _ => continue,
            };
            if change.value.is_some() && !disk.file_exists(&path) {
                // WritePrivateProfileString makes the file, never its folder.
                if !disk.folder_exists(super::disk::folder_of(&path)) {
                    continue;
                }
                disk.add_file(&path);
                made.push(FileWrite {
                    path: path.clone(),
                    component: row.component.to_string(),
                });
            }
            values.apply(&change);
            changes.push(change);
        }
        (changes, made)
    }

    /// RemoveIniValues at uninstall: the keys of the removed components' rows.
    pub(super) fn remove_ini_values(
        &self,
        values: &mut IniValues,
        removed: &BTreeSet<&str>,
    ) -> Vec<IniChange> {
        let mut changes = Vec::new();
        for row in &self.tables.ini_files {
            if !removed.contains(row.component.as_str()) {
                continue;
            }
            let texts = [row.section.as_str(), &row.key, &row.value];
            let fields = (row.file_name.as_str(), row.dir_property.as_deref(), texts);
            let row = self.ini_row(fields, row.action, &row.component);
            let Some(path) = row.path else {
                continue;
            };
            let mut change = IniChange {
                path,
                section: row.section,
                key: row.key,
                value: None,
                at_uninstall: true,
                component: row.component.to_string(),
            };
            let held = values.get(&change).cloned();
            match (row.action, self.profile.installer, held) {
                (ADD_LINE | CREATE_LINE, _, Some(_)) => {}
                (ADD_TAG, Installer::Windows, Some(list)) => {
                    let kept = without_tag(&list, &row.value);
                    change.value = (!kept.is_empty()).then_some(kept);
                }
                _ => continue,
            }
            values.apply(&change);
            changes.push(change);
        }
        changes
    }
}

/// `list` (comma-separated) with `tag` added unless it holds it.
fn with_tag(list: Option<&str>, tag: &str) -> String {
    match list.filter(|list| !list.is_empty()) {
        None => tag.to_string(),
        Some(list) if list.split(',').any(|item| item.trim() == tag) => list.to_string(),
        Some(list) => format!("{list},{tag}"),
    }
}

fn without_tag(list: &str, tag: &str) -> String {
    let kept: Vec<&str> = list.split(',').filter(|item| item.trim() != tag).collect();
    kept.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_added_once_and_taken_out_alone() {
        assert_eq!(with_tag(None, "x"), "x");
        assert_eq!(with_tag(Some("a,b"), "x"), "a,b,x");
        assert_eq!(with_tag(Some("a, x"), "x"), "a, x");
        assert_eq!(without_tag("a,x,b", "x"), "a,b");
        assert_eq!(without_tag("x", "x"), "");
    }
}
