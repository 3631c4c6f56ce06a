//! The package's tables as the simulator asks them: typed rows read once, keyed rows in maps,
//! so a prediction costs time linear in the package's size (a lookup per file, never a scan).
//! Where a hostile package repeats a key, the first row wins, as a table scan would find it.

use crate::format::schema::{self, *};
use crate::package::PackageView;
use std::collections::BTreeMap;

pub(super) struct Tables {
    pub properties: Vec<Property>,
    /// Execute-sequence actions with a positive sequence number, in order, with conditions.
    pub execute: Vec<(String, String)>,
    /// Where in `execute` the actions after LaunchConditions start: at LaunchConditions, or
    /// where its standard place (100) would be in a package that has none.
    pub after_launch_conditions: usize,
    pub launch_conditions: Vec<LaunchCondition>,
    pub app_searches: Vec<AppSearch>,
    pub reg_locators: BTreeMap<String, RegLocator>,
    pub signatures: BTreeMap<String, Signature>,
    pub dr_locators: BTreeMap<String, DrLocator>,
    pub comp_locators: BTreeMap<String, CompLocator>,
    pub ini_locators: BTreeMap<String, IniLocator>,
    pub custom_actions: BTreeMap<String, CustomAction>,
    pub features: Vec<Feature>,
    pub feature_conditions: Vec<Condition>,
    pub feature_components: Vec<FeatureComponent>,
    /// In table order; `component` finds one by name.
    pub components: Vec<Component>,
    component_index: Vec<usize>,
    pub registry: Vec<Registry>,
    pub files: Vec<File>,
    file_index: Vec<usize>,
    pub directories: BTreeMap<String, Directory>,
    pub media: Vec<Media>,
    pub upgrades: Vec<Upgrade>,
    pub environment: Vec<Environment>,
    pub remove_registry: Vec<RemoveRegistry>,
    pub create_folders: Vec<CreateFolder>,
    pub duplicate_files: Vec<DuplicateFile>,
    pub move_files: Vec<MoveFile>,
    pub remove_files: Vec<RemoveFile>,
    pub ini_files: Vec<IniFile>,
    pub remove_ini_files: Vec<RemoveIniFile>,
    pub service_installs: Vec<ServiceInstall>,
    pub service_controls: Vec<ServiceControl>,
}

impl Tables {
    pub fn read(package: &PackageView) -> Tables {
        let components: Vec<Component> = package.rows(&schema::COMPONENT).collect();
        let files: Vec<File> = package.rows(&schema::FILE).collect();
        let (execute, after_launch_conditions) = execute_sequence(package);
        Tables {
            properties: package.rows(&schema::PROPERTY).collect(),
            execute,
            after_launch_conditions,
            launch_conditions: package.rows(&schema::LAUNCH_CONDITION).collect(),
            app_searches: package.rows(&schema::APP_SEARCH).collect(),
            reg_locators: first_by_key(package.rows(&schema::REG_LOCATOR), |row| {
                row.signature.clone()
            }),
            signatures: first_by_key(package.rows(&schema::SIGNATURE), |row| {
                row.signature.clone()
            }),
            dr_locators: first_by_key(package.rows(&schema::DR_LOCATOR), |row| {
                row.signature.clone()
            }),
            comp_locators: first_by_key(package.rows(&schema::COMP_LOCATOR), |row| {
                row.signature.clone()
            }),
            ini_locators: first_by_key(package.rows(&schema::INI_LOCATOR), |row| {
                row.signature.clone()
            }),
            custom_actions: first_by_key(package.rows(&schema::CUSTOM_ACTION), |row| {
                row.action.clone()
            }),
            features: package.rows(&schema::FEATURE).collect(),
            feature_conditions: package.rows(&schema::CONDITION_TABLE).collect(),
            feature_components: package.rows(&schema::FEATURE_COMPONENTS).collect(),
            component_index: index(&components, |row| &row.component),
            components,
            registry: package.rows(&schema::REGISTRY).collect(),
            file_index: index(&files, |row| &row.file),
            files,
            directories: first_by_key(package.rows(&schema::DIRECTORY), |row| {
                row.directory.clone()
            }),
            media: package.rows(&schema::MEDIA).collect(),
            upgrades: package.rows(&schema::UPGRADE).collect(),
            environment: package.rows(&schema::ENVIRONMENT).collect(),
            remove_registry: package.rows(&schema::REMOVE_REGISTRY).collect(),
            create_folders: package.rows(&schema::CREATE_FOLDER).collect(),
            duplicate_files: package.rows(&schema::DUPLICATE_FILE).collect(),
            move_files: package.rows(&schema::MOVE_FILE).collect(),
            remove_files: package.rows(&schema::REMOVE_FILE).collect(),
            ini_files: package.rows(&schema::INI_FILE).collect(),
            remove_ini_files: package.rows(&schema::REMOVE_INI_FILE).collect(),
            service_installs: package.rows(&schema::SERVICE_INSTALL).collect(),
            service_controls: package.rows(&schema::SERVICE_CONTROL).collect(),
        }
    }

    pub fn component(&self, name: &str) -> Option<&Component> {
        find(&self.components, &self.component_index, name, |row| {
            &row.component
        })
    }

    pub fn file(&self, key: &str) -> Option<&File> {
        find(&self.files, &self.file_index, key, |row| &row.file)
    }
}

/// The execute sequence in order, and where the actions after LaunchConditions start.
fn execute_sequence(package: &PackageView) -> (Vec<(String, String)>, usize) {
    const LAUNCH_CONDITIONS_SEQUENCE: i32 = 100;
    let mut actions: Vec<(i32, String, String)> = package
        .rows(&schema::INSTALL_EXECUTE_SEQUENCE)
        .filter_map(|row| {
            let sequence = row.sequence.filter(|sequence| *sequence > 0)?;
            Some((sequence, row.action, row.condition.unwrap_or_default()))
        })
        .collect();
    actions.sort();
    let split = actions
        .iter()
        .position(|(_, action, _)| action == "LaunchConditions")
        .unwrap_or_else(|| {
            actions.partition_point(|(sequence, _, _)| *sequence <= LAUNCH_CONDITIONS_SEQUENCE)
        });
    let actions = actions
        .into_iter()
        .map(|(_, action, condition)| (action, condition))
        .collect();
    (actions, split)
}

fn first_by_key<R>(
    rows: impl Iterator<Item = R>,
    key: impl Fn(&R) -> String,
) -> BTreeMap<String, R> {
    let mut map = BTreeMap::new();
    for row in rows {
        map.entry(key(&row)).or_insert(row);
    }
    map
}

/// Row positions sorted by key, equal keys in table order: a lookup is a binary search, and
/// the index costs a word per row, not a copy of every key.
fn index<R>(rows: &[R], key: impl Fn(&R) -> &String) -> Vec<usize> {
    let mut positions: Vec<usize> = (0..rows.len()).collect();
    positions.sort_by(|&a, &b| key(&rows[a]).cmp(key(&rows[b])));
    positions
}

/// The first row in table order whose key is `name`.
fn find<'r, R>(
    rows: &'r [R],
    index: &[usize],
    name: &str,
    key: impl Fn(&R) -> &String,
) -> Option<&'r R> {
    let at = index.partition_point(|&position| key(&rows[position]).as_str() < name);
    let row = &rows[*index.get(at)?];
    (key(row) == name).then_some(row)
}
