//! Predicts what Windows Installer does with any package on a machine profile, silently
//! (`/qn`: only InstallExecuteSequence runs): AppSearch → LaunchConditions → feature and
//! component selection → the registry values and files of install → what uninstall
//! removes, and what it leaves (permanent components apart from accidental residue).
//!
//! Modelled: AppSearch (`search`: registry, INI and folder searches of the profile's
//! registry, files and folders, matched against the Signature table), launch conditions and
//! their messages, feature selection (`selection`: levels, the Condition table,
//! INSTALLLEVEL, ADDLOCAL and REMOVE, FollowParent), component conditions (re-evaluated at
//! uninstall, as Wine does), the permanent attribute and unmanaged (null GUID) components, the Registry table (every Formatted form, `-1` roots,
//! the 64-bit attribute and WOW6432Node), the File table into resolved Directory paths.
//! Custom actions: property and directory sets, and DLL entry points an [`ActionModel`]
//! describes (a product knows its own DLLs); rollback actions do not run in a successful
//! install. Type 19 errors, ForceReboot, ScheduleReboot and REBOOT decide msiexec's exit
//! code, as Windows or (for [`profile::Installer::Wine`] profiles) as Wine does. InstallFiles
//! fails on source media missing from beside the package ([`source`]), when told the folder.
//! The profile's installed products (`related`: FindRelatedProducts, RemoveExistingProducts,
//! 1638, maintenance), the Environment table (`environment`), the RemoveRegistry table
//! (`removal`), and the file actions over the profile's files and folders (`file_actions`:
//! CreateFolder, DuplicateFile, RemoveFile, the folders install makes and uninstall leaves). Not modelled (listed in [`Prediction::unsimulated`] when a package uses them):
//! other custom actions, the searches `search` names, what
//! removing a related product leaves, ADDSOURCE, REINSTALL and ADVERTISE.

mod disk;
mod environment;
mod file_actions;
mod ini;
pub mod platform;
pub mod profile;
mod related;
mod removal;
mod search;
mod selection;
mod services;
mod shared_dlls;
pub mod source;
mod tables;
pub mod upgrade;

use crate::condition::{self, ConditionError, InstallState, MapEnvironment};
use crate::format::bits::action_type;
use crate::format::bits::{ComponentAttributes, UpgradeAttributes};
use crate::format::names::{long_name, long_target_dir};
use crate::format::schema::CustomAction;
use crate::format::RegistryRoot;
use crate::formatted::deformat::{self, References, WrittenData};
use crate::package::PackageView;
use profile::MachineProfile;
use serde::Serialize;
use source::SourceFolder;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tables::Tables;

pub use file_actions::{FileRemoval, FolderWrite};
pub use ini::IniChange;

/// Whether the package would install, which launch conditions refuse it, or which action
/// stops it. In JSON a tagged object: `{"result": "installs"}`, `{"result": "refused",
/// "messages": […]}`, `{"result": "stopped", "action": …, "message": …}`, `{"result":
/// "suspended", "action": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum LaunchOutcome {
    Installs,
    /// Refused before any action (1633, 1620) or by LaunchConditions (1603).
    Refused {
        messages: Vec<String>,
    },
    /// An action ended the install with an error (1603): a type 19 custom action with its
    /// message, or InstallFiles missing a source file beside the package.
    Stopped {
        action: String,
        message: String,
    },
    /// Wine's ForceReboot: the install stops there, incomplete (1604).
    Suspended {
        action: String,
    },
}

impl LaunchOutcome {
    /// What msiexec exits with for this outcome, before any reboot is counted.
    pub fn exit_code(&self) -> u32 {
        match self {
            LaunchOutcome::Installs => 0,
            LaunchOutcome::Refused { messages } => match messages.as_slice() {
                [only] if only == platform::UNSUPPORTED_PLATFORM => 1633,
                [only] if only.starts_with(platform::INVALID_PACKAGE) => 1620,
                [only] if only.starts_with(platform::WINE_INVALID_TEMPLATE) => 1636,
                [only] if only.starts_with(platform::UNSUPPORTED_LANGUAGE) => 1623,
                [only] if only == NOT_INSTALLED => 1605,
                [only] if only.starts_with(ANOTHER_VERSION) => 1638,
                _ => FATAL_ERROR,
            },
            LaunchOutcome::Stopped { .. } => FATAL_ERROR,
            LaunchOutcome::Suspended { .. } => INSTALL_SUSPENDED,
        }
    }
}

/// Windows' answer to `/x` of a product that is not installed.
const NOT_INSTALLED: &str =
    "This action is only valid for products that are currently installed (1605)";

/// Windows Installer's (and Wine's, measured) answer to `/i` of another package of a product
/// that is installed: the same ProductCode under another package code.
const ANOTHER_VERSION: &str = "Another version of this product is already installed";

const MAINTENANCE: &str = "the product is installed from this very package: `/i` is a maintenance session, which without ADDLOCAL, REMOVE or REINSTALL changes nothing (predicted so, not simulated further)";

const FATAL_ERROR: u32 = 1603;
const FUNCTION_FAILED: u32 = 1627;

const NOT_REGISTERED: &str = "the install failed before RegisterProduct, so Wine keeps what it wrote but registers no product: `/x` is not predicted";
const INSTALL_SUSPENDED: u32 = 1604;
const REBOOT_INITIATED: u32 = 1641;
const REBOOT_REQUIRED: u32 = 3010;

/// A condition in the package that is not valid condition syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} row `{row}`: condition `{condition}`: {error}")]
pub struct SimulationError {
    pub table: &'static str,
    pub row: String,
    pub condition: String,
    pub error: ConditionError,
}

/// One registry value (or key) RemoveRegistryValues deletes at install.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RegistryRemoval {
    pub root: RegistryRoot,
    pub view64: bool,
    pub key: String,
    /// `None`: the key's default value (unless `whole_key`).
    pub name: Option<String>,
    /// The Name `-`: the key with all its values and subkeys.
    pub whole_key: bool,
    pub component: String,
}

/// One registry value (or key) install writes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct RegistryWrite {
    pub root: RegistryRoot,
    /// Written through the 64-bit view (a 64-bit component on 64-bit Windows).
    pub view64: bool,
    pub key: String,
    /// `None`: the key's default value.
    pub name: Option<String>,
    pub data: WrittenData,
    pub component: String,
}

impl RegistryWrite {
    /// Where the value lands on `profile`: HKCR as HKLM\SOFTWARE\Classes (per-machine),
    /// and the 32-bit view under WOW6432Node for keys Windows redirects.
    pub fn physical_key(&self, profile_is_64bit: bool) -> (RegistryRoot, String) {
        physical_key(self.root, &self.key, self.view64, profile_is_64bit)
    }

    /// `HKLM\KEY [NAME]` for reports.
    pub fn display_key(&self) -> String {
        let view = if self.view64 { "" } else { " (32-bit view)" };
        match &self.name {
            Some(name) => format!(r"{}\{} [{name}]{view}", self.root.short_name(), self.key),
            None => format!(r"{}\{} [(default)]{view}", self.root.short_name(), self.key),
        }
    }
}

impl RegistryRemoval {
    /// Where the deleted value or key is on a machine (see [`RegistryWrite::physical_key`]).
    pub fn physical_key(&self, profile_is_64bit: bool) -> (RegistryRoot, String) {
        physical_key(self.root, &self.key, self.view64, profile_is_64bit)
    }

    /// `HKLM\KEY [NAME]`, or `HKLM\KEY (the key and its subkeys)`, for reports.
    pub fn display_key(&self) -> String {
        let view = if self.view64 { "" } else { " (32-bit view)" };
        let what = match (&self.name, self.whole_key) {
            (_, true) => " (the key and its subkeys)".to_string(),
            (Some(name), false) => format!(" [{name}]"),
            (None, false) => " [(default)]".to_string(),
        };
        format!(r"{}\{}{what}{view}", self.root.short_name(), self.key)
    }
}

/// HKCR as HKLM\SOFTWARE\Classes (per-machine), and the 32-bit view under WOW6432Node for
/// keys Windows redirects.
fn physical_key(
    root: RegistryRoot,
    key: &str,
    view64: bool,
    profile_is_64bit: bool,
) -> (RegistryRoot, String) {
    let (root, key) = match root {
        RegistryRoot::ClassesRoot => (
            RegistryRoot::LocalMachine,
            format!(r"SOFTWARE\Classes\{key}"),
        ),
        other => (other, key.to_string()),
    };
    if !profile_is_64bit || view64 || root != RegistryRoot::LocalMachine {
        return (root, key);
    }
    (root, redirect_to_wow6432node(&key))
}

/// Keys the 32-bit view shares with the 64-bit one (Windows 7 and later; Wine agrees).
const SHARED_SOFTWARE_KEYS: &[&str] = &[r"software\policies", r"software\wow6432node"];

fn redirect_to_wow6432node(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    if SHARED_SOFTWARE_KEYS
        .iter()
        .any(|shared| lower == *shared || lower.starts_with(&format!("{shared}\\")))
    {
        return key.to_string();
    }
    if let Some(rest) = lower
        .strip_prefix(r"software\classes\")
        .map(|_| &key[r"software\classes\".len()..])
    {
        return format!(r"SOFTWARE\Classes\WOW6432Node\{rest}");
    }
    match lower.strip_prefix(r"software\") {
        Some(_) => format!(r"SOFTWARE\WOW6432Node\{}", &key[r"software\".len()..]),
        None => key.to_string(),
    }
}

/// One file install copies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FileWrite {
    pub path: String,
    pub component: String,
}

/// Something uninstall leaves on the machine, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Leftover {
    pub item: String,
    pub reason: String,
    pub component: String,
}

/// The whole prediction for one package on one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Prediction {
    pub profile: String,
    pub outcome: LaunchOutcome,
    /// What `msiexec /i … /qn` exits with: the outcome's code, or 3010/1641 for a reboot.
    pub exit_code: u32,
    /// What `/x` does after the install: `None` when nothing was installed.
    pub uninstall: Option<LaunchOutcome>,
    pub uninstall_exit_code: Option<u32>,
    pub registry: Vec<RegistryWrite>,
    /// What install deletes first (RemoveRegistry); uninstall does not put it back.
    pub registry_removed: Vec<RegistryRemoval>,
    /// Shared between the predictions of one package that copy the same files (most
    /// profiles do), so many profiles of a package of many files hold one list.
    pub files: Arc<Vec<FileWrite>>,
    /// The folders install makes, each once, for the first component that needs it.
    pub folders: Vec<FolderWrite>,
    /// What the machine held that RemoveFile rows delete, at install or uninstall.
    pub files_removed: Vec<FileRemoval>,
    /// The INI values install writes and removes, then those uninstall removes, in order.
    pub ini_changes: Vec<IniChange>,
    /// Left by design: components marked permanent.
    pub permanent: Vec<Leftover>,
    /// Left by accident: what uninstall should have removed.
    pub residue: Vec<Leftover>,
    /// Parts of the package the simulation cannot predict, so the prediction may be incomplete.
    pub unsimulated: Vec<String>,
    /// Installed products (the profile's) that RemoveExistingProducts removes.
    pub removes_products: Vec<String>,
}

/// A DLL custom action the simulator is about to run, for an [`ActionModel`] to describe.
pub struct DllCall<'a> {
    /// `CustomAction.Action`: deferred actions read their CustomActionData under this name.
    pub action: &'a str,
    /// The entry point (`CustomAction.Target`).
    pub entry: &'a str,
    /// The session's properties when the action runs.
    pub properties: &'a BTreeMap<String, String>,
}

/// What a DLL custom action does, as far as the simulation can see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionEffect {
    /// Sets these properties.
    SetProperties(Vec<(String, String)>),
    /// Writes these registry values.
    Writes(Vec<RegistryWrite>),
    /// Puts these values back to what they were before the install.
    Restores(Vec<RegistryWrite>),
    /// Nothing a profile shows.
    Nothing,
    /// Fails the install, for this reason.
    Fails(String),
}

/// What a product knows of its own DLL entry points: the simulator cannot run a DLL, so it
/// asks. An entry point no model knows is listed as unsimulated.
pub trait ActionModel: Sync {
    fn knows(&self, entry: &str) -> bool;
    fn run(&self, call: &DllCall<'_>) -> ActionEffect;
}

/// Knows no DLL: every DLL action is unsimulated.
pub struct NoDlls;

impl ActionModel for NoDlls {
    fn knows(&self, _: &str) -> bool {
        false
    }
    fn run(&self, _: &DllCall<'_>) -> ActionEffect {
        ActionEffect::Nothing
    }
}

/// Properties given on the msiexec command line, for `/i` and for `/x` (each session starts
/// afresh: what `/i` was given is forgotten at `/x` unless the package saves it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandLine {
    pub install: BTreeMap<String, String>,
    pub uninstall: BTreeMap<String, String>,
}

/// The install simulator, with what it knows of DLL custom actions and, when it is told,
/// of the files beside the package.
#[derive(Clone, Copy)]
pub struct Simulator<'m> {
    pub actions: &'m dyn ActionModel,
    /// Without it, source media are not checked (and the prediction says so).
    pub source: Option<&'m dyn SourceFolder>,
}

impl Default for Simulator<'static> {
    fn default() -> Self {
        Simulator {
            actions: &NoDlls,
            source: None,
        }
    }
}

impl<'m> Simulator<'m> {
    /// This simulator, checking the package's source media in `folder`.
    pub fn with_source(self, folder: &'m dyn SourceFolder) -> Self {
        Simulator {
            source: Some(folder),
            ..self
        }
    }

    /// Whether `package` would install on `profile` (AppSearch, then LaunchConditions).
    ///
    /// # Errors
    /// A [`SimulationError`] when a condition in the package is not valid syntax.
    pub fn launch(
        &self,
        package: &PackageView,
        profile: &MachineProfile,
    ) -> Result<LaunchOutcome, SimulationError> {
        let tables = Tables::read(package);
        Session::new(package, &tables, profile, &BTreeMap::new(), self.actions).search_and_check()
    }

    /// Predicts install and uninstall of `package` on `profile` with `command_line`.
    ///
    /// # Errors
    /// A [`SimulationError`] when a condition in the package is not valid syntax.
    pub fn simulate(
        &self,
        package: &PackageView,
        profile: &MachineProfile,
        command_line: &CommandLine,
    ) -> Result<Prediction, SimulationError> {
        self.simulate_tables(package, &Tables::read(package), profile, command_line)
    }

    /// [`simulate`](Self::simulate) on each of `profiles`, in their order, reading the
    /// package's tables once for all of them.
    pub fn simulate_each(
        &self,
        package: &PackageView,
        profiles: &[MachineProfile],
        command_line: &CommandLine,
    ) -> Vec<Result<Prediction, SimulationError>> {
        let tables = Tables::read(package);
        let file_lists = FileLists::default();
        let simulate = |part: &[MachineProfile]| -> Vec<_> {
            part.iter()
                .map(|profile| {
                    let mut prediction =
                        self.simulate_tables(package, &tables, profile, command_line)?;
                    file_lists.share(&mut prediction.files);
                    Ok(prediction)
                })
                .collect()
        };
        // Profiles are independent: each core takes a share of them.
        let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        let share = profiles.len().div_ceil(cores.max(1)).max(1);
        if share >= profiles.len() {
            return simulate(profiles);
        }
        let (first, rest) = profiles.split_at(share);
        std::thread::scope(|scope| {
            let workers: Vec<_> = rest
                .chunks(share)
                .map(|part| scope.spawn(move || simulate(part)))
                .collect();
            // This thread takes a share too: its allocator arena already holds the memory
            // the reading freed, where a new thread would take a new arena.
            let mut predictions = simulate(first);
            for worker in workers {
                let part = worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                predictions.extend(part);
            }
            predictions
        })
    }

    fn simulate_tables(
        &self,
        package: &PackageView,
        tables: &Tables,
        profile: &MachineProfile,
        command_line: &CommandLine,
    ) -> Result<Prediction, SimulationError> {
        let mut install = Session::new(
            package,
            tables,
            profile,
            &command_line.install,
            self.actions,
        );
        let outcome = install.search_and_check()?;
        let mut prediction = Prediction {
            profile: profile.name.clone(),
            exit_code: outcome.exit_code(),
            outcome: outcome.clone(),
            uninstall: None,
            uninstall_exit_code: None,
            registry: Vec::new(),
            registry_removed: Vec::new(),
            files: Arc::default(),
            folders: Vec::new(),
            files_removed: Vec::new(),
            ini_changes: Vec::new(),
            permanent: Vec::new(),
            residue: Vec::new(),
            unsimulated: install.unsimulated("install"),
            removes_products: Vec::new(),
        };
        if outcome != LaunchOutcome::Installs {
            return Ok(prediction);
        }
        if install.maintenance() {
            // Measured on Wine: exit 0, and the values already there are all it writes.
            prediction.unsimulated.push(MAINTENANCE.into());
            return Ok(prediction);
        }
        let installed = install.select_components()?;
        let registered = install.installs_a_feature();
        let installed_set: BTreeSet<&str> = installed.iter().map(String::as_str).collect();
        prediction.registry_removed = install.registry_removals(&installed_set)?;
        prediction.registry = install.registry_writes(&installed_set)?;
        let variables = install.environment_writes(&installed_set)?;
        prediction.registry.extend(variables);
        let installed_features = install.features_installing();
        let features_on: BTreeSet<&str> = installed_features.iter().map(String::as_str).collect();
        let counts = install.shared_dll_counts(&installed_set, &features_on)?;
        prediction.registry.extend(counts);
        let services = install.service_writes(&installed_set)?;
        prediction.registry.extend(services);
        let deleted_services = install.service_removals(&installed_set)?;
        prediction.registry_removed.extend(deleted_services);
        let mut files = install.file_writes(&installed_set)?;
        let on_disk = install.install_file_actions(&installed_set, &mut files, &mut prediction)?;
        install.note_unsimulated_moves(&installed_set)?;
        prediction.files = Arc::new(files);
        install.look_for_sources(self.source, &installed_set);
        let mut effects = ActionEffects::default();
        let ending = install.run_custom_actions(Span::AfterLaunchConditions, &mut effects);
        prediction.registry.extend(effects.writes);
        prediction.unsimulated = install.unsimulated("install");
        prediction.removes_products = std::mem::take(&mut install.removed_products);
        prediction.exit_code = install.exit_code(&ending);
        if let Some(stop) = ending.stop {
            prediction.outcome = stop.outcome.clone();
            if install.stops_mid_script(&stop) {
                prediction.unsimulated.push(NOT_REGISTERED.into());
                return Ok(prediction);
            }
            let keeps = install.keeps_changes(&stop);
            if !keeps {
                prediction.registry.clear();
                prediction.registry_removed.clear();
                prediction.files = Arc::default();
                prediction.folders.clear();
                prediction.files_removed.clear();
                prediction.ini_changes.clear();
            }
            install.add_resume_entry(&stop, &mut prediction);
            if !keeps {
                return Ok(prediction);
            }
        }
        let mut uninstall = Session::new(
            package,
            tables,
            profile,
            &command_line.uninstall,
            self.actions,
        );
        let installs = Installed {
            components: &installed,
            features: &installed_features,
            registered,
        };
        uninstall.uninstall(&installs, on_disk, &mut prediction)?;
        Ok(prediction)
    }
}

/// The distinct file lists of one package's predictions so far.
#[derive(Default)]
struct FileLists(std::sync::Mutex<Vec<Arc<Vec<FileWrite>>>>);

impl FileLists {
    /// Replaces `files` by an equal list seen before, or remembers it.
    fn share(&self, files: &mut Arc<Vec<FileWrite>>) {
        let mut seen = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match seen.iter().find(|list| **list == *files) {
            Some(list) => *files = list.clone(),
            None => seen.push(files.clone()),
        }
    }
}

/// An action that ended a session's execute sequence early.
#[derive(Debug)]
struct Stop {
    outcome: LaunchOutcome,
    /// InstallFinalize had run the script before it: what it wrote may stay.
    after_finalize: bool,
}

/// How a session's execute sequence ended, past what the actions wrote.
#[derive(Debug, Default)]
struct Ending {
    stop: Option<Stop>,
    scheduled_reboot: bool,
    /// Windows' ForceReboot: a restart during the install, which then resumes.
    forced_reboot: bool,
}

/// What the modelled custom actions of one session did.
#[derive(Debug, Default)]
struct ActionEffects {
    writes: Vec<RegistryWrite>,
    /// Values a removal action put back (to what was there before the install).
    restored: Vec<RegistryWrite>,
}

/// Which custom actions a pass runs, relative to LaunchConditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Span {
    BeforeLaunchConditions,
    AfterLaunchConditions,
}

/// The installer's state while it runs one package on one profile.
struct Session<'a> {
    package: &'a PackageView,
    tables: &'a Tables,
    profile: &'a MachineProfile,
    actions: &'a dyn ActionModel,
    env: MapEnvironment,
    notes: BTreeSet<String>,
    /// What InstallFiles would not find beside the package.
    missing_sources: Vec<String>,
    /// The installed products RemoveExistingProducts removes.
    removed_products: Vec<String>,
    /// The Environment row WriteEnvironmentStrings fails on.
    unreadable_environment_row: Option<String>,
}

impl<'a> Session<'a> {
    fn new(
        package: &'a PackageView,
        tables: &'a Tables,
        profile: &'a MachineProfile,
        command_line: &BTreeMap<String, String>,
        actions: &'a dyn ActionModel,
    ) -> Self {
        let mut env = MapEnvironment::default();
        for row in &tables.properties {
            env.properties
                .insert(row.property.clone(), row.value.clone());
        }
        env.properties.extend(profile.properties.clone());
        for hidden in platform::hidden_properties(package.summary.platform(), profile) {
            env.properties.remove(*hidden);
        }
        env.properties.extend(standard_folders(profile));
        // A silent install (UILevel 2) by an administrator, as deployment tools run it.
        for (name, value) in [("UILevel", "2"), ("AdminUser", "1"), ("Privileged", "1")] {
            env.properties.insert(name.into(), value.into());
        }
        env.properties.extend(command_line.clone());
        Session {
            package,
            tables,
            profile,
            actions,
            env,
            notes: BTreeSet::new(),
            missing_sources: Vec::new(),
            removed_products: Vec::new(),
            unreadable_environment_row: None,
        }
    }

    /// Finds what the install of `installed` would read from beside the package and not find
    /// in `folder`; without a folder, notes what it would read.
    fn look_for_sources(&mut self, folder: Option<&dyn SourceFolder>, installed: &BTreeSet<&str>) {
        let installer = self.profile.installer;
        let missing = |folder| {
            source::missing_sources(self.package, self.tables, installed, installer, folder)
        };
        match folder {
            Some(folder) => self.missing_sources = missing(folder),
            None => {
                let outside = missing(&source::NothingBeside);
                if !outside.is_empty() {
                    self.notes.insert(format!(
                        "source media not checked: the install reads {} from beside the package",
                        source::listed(&outside)
                    ));
                }
            }
        }
    }

    /// InstallFiles fails on a source it cannot find, and the install rolls back.
    fn sources_missing(&self) -> Option<LaunchOutcome> {
        if self.missing_sources.is_empty() {
            return None;
        }
        Some(LaunchOutcome::Stopped {
            action: "InstallFiles".into(),
            message: format!(
                "source files not found beside the package: {}",
                source::listed(&self.missing_sources)
            ),
        })
    }

    fn runs(&self, action: &str) -> Result<bool, SimulationError> {
        let sequence = &self.tables.execute;
        let Some((_, condition)) = sequence.iter().find(|(name, _)| name == action) else {
            return Ok(false);
        };
        self.check("InstallExecuteSequence", action, condition)
    }

    fn check(&self, table: &'static str, row: &str, text: &str) -> Result<bool, SimulationError> {
        condition::evaluate(text, &self.env).map_err(|error| SimulationError {
            table,
            row: row.to_string(),
            condition: text.to_string(),
            error,
        })
    }

    fn search_and_check(&mut self) -> Result<LaunchOutcome, SimulationError> {
        if let Some(note) = platform::unknown_language(&self.package.summary) {
            self.notes.insert(note);
        }
        if let Some(refusal) = platform::refusal(&self.package.summary, self.profile) {
            // Windows Installer itself refuses before any action runs (1633, 1620).
            return Ok(LaunchOutcome::Refused {
                messages: vec![refusal],
            });
        }
        if let Some(refusal) = self.another_version_installed() {
            return Ok(LaunchOutcome::Refused {
                messages: vec![refusal],
            });
        }
        if self.maintenance() {
            self.env.properties.insert("Installed".into(), "1".into());
        }
        if self.runs("AppSearch")? {
            self.app_search();
        }
        let ending =
            self.run_custom_actions(Span::BeforeLaunchConditions, &mut ActionEffects::default());
        if let Some(stop) = ending.stop {
            return Ok(stop.outcome);
        }
        if !self.runs("LaunchConditions")? {
            return Ok(LaunchOutcome::Installs);
        }
        let mut messages = Vec::new();
        for row in &self.tables.launch_conditions {
            let condition = &row.condition;
            if !self.check("LaunchCondition", condition, condition)? {
                messages.push(deformat::deformat(&row.description, &self.references()));
            }
        }
        Ok(if messages.is_empty() {
            LaunchOutcome::Installs
        } else {
            LaunchOutcome::Refused { messages }
        })
    }

    /// What this session (`install` or `uninstall`) could not simulate: its notes, and each
    /// custom action it would run that is not modelled (one whose condition is false here
    /// does not run, so the prediction does not depend on it).
    fn unsimulated(&self, session: &str) -> Vec<String> {
        let mut notes = self.notes.clone();
        for (_, action, condition) in self.sequenced_custom_actions() {
            let runs = condition::evaluate(condition, &self.env).unwrap_or(true);
            if runs && self.modelled(action).is_none() {
                let name = &action.action;
                let kind = action.action_type;
                notes.insert(format!(
                    "custom action `{name}` is not simulated: the {session} depends on what it does (type {kind})"
                ));
            }
        }
        notes.into_iter().collect()
    }

    /// Custom actions in the execute sequence, in order: (whether before LaunchConditions, row,
    /// condition).
    fn sequenced_custom_actions(&self) -> Vec<(bool, &'a CustomAction, &'a str)> {
        let tables = self.tables;
        let mut actions = Vec::new();
        for (index, (action, condition)) in tables.execute.iter().enumerate() {
            if let Some(row) = tables.custom_actions.get(action) {
                let before_launch_conditions = index < tables.after_launch_conditions;
                actions.push((before_launch_conditions, row, condition.as_str()));
            }
        }
        actions
    }

    /// Runs the modelled actions of `span` whose conditions hold, in sequence order: custom
    /// actions, and the reboots and type 19 errors that decide how the sequence ends. A
    /// condition that does not parse makes the action not run (verify reports its syntax).
    fn run_custom_actions(&mut self, span: Span, effects: &mut ActionEffects) -> Ending {
        let tables = self.tables;
        let mut ending = Ending::default();
        let mut finalized = false;
        for (index, (name, condition)) in tables.execute.iter().enumerate() {
            let before_launch_conditions = index < tables.after_launch_conditions;
            if before_launch_conditions != (span == Span::BeforeLaunchConditions)
                || !condition::evaluate(condition, &self.env).unwrap_or(false)
            {
                continue;
            }
            let stop = match name.as_str() {
                "InstallFinalize" => {
                    finalized = true;
                    None
                }
                "ScheduleReboot" => {
                    ending.scheduled_reboot = true;
                    None
                }
                "ForceReboot" => self.force_reboot(&mut ending),
                "InstallFiles" => self.sources_missing(),
                "WriteEnvironmentStrings" => self.environment_failure(),
                "FindRelatedProducts" => {
                    self.find_related_products();
                    None
                }
                "RemoveExistingProducts" => {
                    self.remove_existing_products();
                    None
                }
                _ => match tables.custom_actions.get(name) {
                    Some(action) => self.run_custom_action(action, effects),
                    None => None,
                },
            };
            if let Some(outcome) = stop {
                ending.stop = Some(Stop {
                    outcome,
                    after_finalize: finalized,
                });
                break;
            }
        }
        ending
    }

    /// The profile's installed product with this package's ProductCode, installed from
    /// another package (or from one whose package code the profile does not give): refused
    /// before any action, 1638.
    fn another_version_installed(&self) -> Option<String> {
        let code = self.env.properties.get("ProductCode")?;
        let installed = self.installed_product(code)?;
        let ours = self.package.summary.package_code();
        let same_package = installed
            .package_code
            .as_deref()
            .is_some_and(|theirs| ours.is_some_and(|ours| ours.eq_ignore_ascii_case(theirs)));
        (!same_package).then(|| {
            format!(
                "{ANOTHER_VERSION}: {code}, version {} (1638)",
                installed.version
            )
        })
    }

    /// This very package is installed: `/i` is a maintenance session (`Installed` set).
    fn maintenance(&self) -> bool {
        let code = self.env.properties.get("ProductCode");
        code.and_then(|code| self.installed_product(code)).is_some()
    }

    fn installed_product(&self, code: &str) -> Option<&'a profile::InstalledProduct> {
        let products = &self.profile.products;
        products
            .iter()
            .find(|product| product.product_code.eq_ignore_ascii_case(code))
    }

    /// Sets each Upgrade row's ActionProperty to the installed products it finds. Like the
    /// installer, it does nothing in a session of an installed product.
    fn find_related_products(&mut self) {
        if self.env.properties.contains_key("Installed") {
            return;
        }
        let installer = self.profile.installer;
        for row in &self.tables.upgrades {
            for product in &self.profile.products {
                if related::finds(row, product, installer) {
                    let property = &row.action_property;
                    let list = self.env.properties.get(property).map_or("", String::as_str);
                    let list = related::appended(list, &product.product_code);
                    self.env.properties.insert(property.clone(), list);
                }
            }
        }
    }

    /// Names the products RemoveExistingProducts removes: those in the ActionProperty of an
    /// Upgrade row that does not only detect. What they leave is not known from a profile.
    fn remove_existing_products(&mut self) {
        for row in &self.tables.upgrades {
            if row.attributes.contains(UpgradeAttributes::ONLY_DETECT) {
                continue;
            }
            let found = self.env.properties.get(&row.action_property);
            for product in found.into_iter().flat_map(|list| list.split(';')) {
                if !product.is_empty() && !self.removed_products.iter().any(|p| p == product) {
                    self.removed_products.push(product.to_string());
                }
            }
        }
        for product in &self.removed_products {
            self.notes.insert(format!(
                "RemoveExistingProducts removes the installed product {product}: what it leaves is not simulated (`verify --baseline` predicts it from the old package)"
            ));
        }
    }

    /// Wine suspends the install at ForceReboot; Windows restarts (unless `REBOOT=R…`) and
    /// resumes the install after the restart, which is predicted as if it ran through.
    fn force_reboot(&mut self, ending: &mut Ending) -> Option<LaunchOutcome> {
        if self.on_wine() {
            return Some(LaunchOutcome::Suspended {
                action: "ForceReboot".into(),
            });
        }
        ending.forced_reboot = true;
        if self.reboot_mode() != Some('R') {
            self.notes.insert(
                "ForceReboot restarts Windows during the install (1641), which resumes after the restart: predicted as if it ran through".into(),
            );
        }
        None
    }

    /// The first letter of `REBOOT`, which is all Windows Installer reads of it.
    fn reboot_mode(&self) -> Option<char> {
        let value = self.env.properties.get("REBOOT")?;
        value.chars().next().map(|first| first.to_ascii_uppercase())
    }

    /// Runs one custom action if it is modelled; a type 19 action stops the sequence.
    fn run_custom_action(
        &mut self,
        action: &CustomAction,
        effects: &mut ActionEffects,
    ) -> Option<LaunchOutcome> {
        let effect = self.modelled(action)?;
        let name = &action.action;
        let entry = action.target.as_deref().unwrap_or("");
        let target = deformat::deformat(entry, &self.references());
        match effect {
            Modelled::Set => {
                let source = action.source.clone().unwrap_or_default();
                self.env.properties.insert(source, target);
            }
            Modelled::Stop => {
                return Some(LaunchOutcome::Stopped {
                    action: name.clone(),
                    message: target,
                })
            }
            Modelled::Dll => {
                let call = DllCall {
                    action: name,
                    entry,
                    properties: &self.env.properties,
                };
                match self.actions.run(&call) {
                    ActionEffect::SetProperties(set) => self.env.properties.extend(set),
                    ActionEffect::Writes(values) => effects.writes.extend(values),
                    ActionEffect::Restores(values) => effects.restored.extend(values),
                    ActionEffect::Nothing => {}
                    ActionEffect::Fails(problem) => {
                        self.notes
                            .insert(format!("custom action `{name}` fails: {problem}"));
                    }
                }
            }
            Modelled::NotRun => {}
        }
        None
    }

    /// A suspended install leaves a RunOnce value that resumes it at the next start (Wine
    /// writes it, measured; the restart that would run it never comes).
    fn add_resume_entry(&self, stop: &Stop, prediction: &mut Prediction) {
        let LaunchOutcome::Suspended { action } = &stop.outcome else {
            return;
        };
        let product_code = self.env.properties.get("ProductCode");
        let Some(packed) = product_code.and_then(|code| packed_guid(code)) else {
            return;
        };
        let component = format!("{action} resume");
        let write = RegistryWrite {
            root: RegistryRoot::LocalMachine,
            view64: self.profile.is_64bit,
            key: r"SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce".into(),
            name: Some(packed.clone()),
            data: WrittenData::String(format!(r#"C:\windows\system32\MsiExec.exe /@ "{packed}""#)),
            component: component.clone(),
        };
        prediction.permanent.push(Leftover {
            item: write.display_key(),
            reason: format!("{action} suspended the install: this resumes it after a restart"),
            component,
        });
        prediction.registry.push(write);
    }

    /// Whether what the install wrote stays after `stop`: only past InstallFinalize, which
    /// has run the script by then, and (measured) never under Wine after a type 19 action.
    /// Wine runs the script up to a standard action that fails and keeps what it wrote,
    /// without registering the product (measured for WriteEnvironmentStrings).
    fn stops_mid_script(&self, stop: &Stop) -> bool {
        let failed = |action: &str| action == "WriteEnvironmentStrings";
        self.on_wine()
            && matches!(&stop.outcome, LaunchOutcome::Stopped { action, .. } if failed(action))
    }

    fn keeps_changes(&self, stop: &Stop) -> bool {
        let wine_rolls_back =
            self.on_wine() && matches!(stop.outcome, LaunchOutcome::Stopped { .. });
        stop.after_finalize && !wine_rolls_back
    }

    /// msiexec's exit code for a session that got past LaunchConditions.
    fn exit_code(&self, ending: &Ending) -> u32 {
        if let Some(stop) = &ending.stop {
            return match &stop.outcome {
                // Wine ends the install with the failed action's own error (measured).
                _ if self.stops_mid_script(stop) => FUNCTION_FAILED,
                outcome => outcome.exit_code(),
            };
        }
        let reboot = self.reboot_mode();
        let restart_needed = match self.profile.installer {
            // Wine never restarts, and ignores REBOOT (measured).
            profile::Installer::Wine => {
                return if ending.scheduled_reboot {
                    REBOOT_REQUIRED
                } else {
                    0
                }
            }
            profile::Installer::Windows => {
                ending.forced_reboot || ending.scheduled_reboot || reboot == Some('F')
            }
        };
        // Windows under /qn restarts by itself unless REBOOT suppresses it: `R` every restart,
        // `S` those at the end (not ForceReboot's).
        let suppressed = match reboot {
            Some('R') => true,
            Some('S') => !ending.forced_reboot,
            _ => false,
        };
        match (restart_needed, suppressed) {
            (false, _) => 0,
            (true, true) => REBOOT_REQUIRED,
            (true, false) => REBOOT_INITIATED,
        }
    }

    fn modelled(&self, action: &CustomAction) -> Option<Modelled> {
        let kind = action.action_type;
        if kind & action_type::IN_SCRIPT != 0
            && kind & (action_type::ROLLBACK | action_type::COMMIT) != 0
        {
            return Some(Modelled::NotRun);
        }
        let entry = action.target.as_deref().unwrap_or("");
        match kind & action_type::KIND_MASK {
            action_type::SET_PROPERTY | action_type::SET_DIRECTORY => Some(Modelled::Set),
            action_type::ERROR_MESSAGE => Some(Modelled::Stop),
            action_type::DLL_IN_BINARY if self.actions.knows(entry) => Some(Modelled::Dll),
            _ => None,
        }
    }

    fn references(&self) -> SessionReferences<'_> {
        SessionReferences { session: self }
    }

    /// Components install puts on the machine: those of enabled features whose condition holds.
    fn select_components(&mut self) -> Result<Vec<String>, SimulationError> {
        let features = self.enabled_features()?;
        for property in selection::Requested::unfollowed(&self.env.properties) {
            self.notes.insert(format!(
                "{property} is not simulated: the features it lists are predicted as not installed"
            ));
        }
        let tables = self.tables;
        let chosen: BTreeSet<&str> = tables
            .feature_components
            .iter()
            .filter(|row| features.contains(&row.feature))
            .map(|row| row.component.as_str())
            .collect();
        let mut installed = Vec::new();
        for component in &tables.components {
            let name = component.component.as_str();
            let condition = component.condition.as_deref().unwrap_or("");
            if chosen.contains(name) && self.check("Component", name, condition)? {
                installed.push(name.to_string());
            }
        }
        let feature_names = tables.features.iter().map(|row| row.feature.as_str());
        self.env.features = install_states(feature_names, |name| features.contains(name));
        let component_names = tables.components.iter().map(|row| row.component.as_str());
        let installed_set: BTreeSet<&str> = installed.iter().map(String::as_str).collect();
        self.env.components = install_states(component_names, |name| installed_set.contains(name));
        Ok(installed)
    }

    /// Whether [`select_components`](Self::select_components) put a feature on the machine:
    /// a product with none is not registered.
    fn installs_a_feature(&self) -> bool {
        self.env
            .features
            .values()
            .any(|(_, action)| *action == InstallState::Local)
    }

    /// Whether this session is Wine's msiexec rather than Windows Installer.
    /// The features this session puts on the machine.
    fn features_installing(&self) -> BTreeSet<String> {
        self.env
            .features
            .iter()
            .filter(|(_, (_, action))| *action == InstallState::Local)
            .map(|(feature, _)| feature.clone())
            .collect()
    }

    fn on_wine(&self) -> bool {
        self.profile.installer == profile::Installer::Wine
    }

    /// Features this install puts on the machine. Without ADDLOCAL or REMOVE: those whose
    /// level (after the Condition table) is between 1 and INSTALLLEVEL. With either, only
    /// those ADDLOCAL lists (any level above 0; the Condition table is not read), less those
    /// REMOVE lists. Either way under parents whose level is between 1 and INSTALLLEVEL, and a
    /// child marked FollowParent takes its parent's state (Wine's `dlls/msi/action.c`).
    fn enabled_features(&self) -> Result<BTreeSet<String>, SimulationError> {
        let install_level = self.install_level();
        let requested = selection::Requested::from_properties(&self.env.properties);
        let levels = self.feature_levels(requested.is_none())?;
        let tree = selection::FeatureTree::new(&self.tables.features, &levels, install_level);
        Ok(tree.installed(requested.as_ref()))
    }

    fn install_level(&self) -> i32 {
        match self.env.properties.get("INSTALLLEVEL") {
            // Wine reads it with wcstol (measured: `ab` is 0, and nothing installs).
            Some(level) if self.on_wine() => leading_number(level),
            Some(level) => level.trim().parse().unwrap_or(1),
            None => 1,
        }
    }

    /// Each feature's level: the Feature table's, changed by the Condition table's rows whose
    /// condition holds when `read_conditions`.
    fn feature_levels(
        &self,
        read_conditions: bool,
    ) -> Result<BTreeMap<&'a str, i32>, SimulationError> {
        let tables = self.tables;
        let mut levels: BTreeMap<&str, i32> = tables
            .features
            .iter()
            .map(|row| (row.feature.as_str(), row.level))
            .collect();
        if read_conditions {
            for row in &tables.feature_conditions {
                let condition = row.condition.as_deref().unwrap_or("");
                if self.check("Condition", &row.feature, condition)? {
                    if let Some(level) = levels.get_mut(row.feature.as_str()) {
                        *level = row.level;
                    }
                }
            }
        }
        Ok(levels)
    }

    /// The installed features `/x` leaves, with the reason. Wine: REMOVE=ALL takes the
    /// features of a level above 0 under parents between 1 and INSTALLLEVEL, the Condition
    /// table unread (measured). Windows: those of a level above 0 after the Condition table,
    /// which it reads in the uninstall session (documented for level 0 only).
    fn features_kept_at_uninstall(
        &self,
        installed: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, SimulationError> {
        let wine = self.on_wine();
        let levels = self.feature_levels(!wine)?;
        let removed = match selection::Requested::from_properties(&self.env.properties) {
            Some(requested) if wine => {
                let tree = selection::FeatureTree::new(
                    &self.tables.features,
                    &levels,
                    self.install_level(),
                );
                tree.removed(&requested)
            }
            _ => levels
                .iter()
                .filter(|(_, level)| **level > 0)
                .map(|(feature, _)| feature.to_string())
                .collect(),
        };
        let why = match wine {
            true => "Wine's REMOVE=ALL takes only features of a level above 0 (the Condition table unread) under parents between 1 and INSTALLLEVEL",
            false => "REMOVE=ALL takes only features of a level above 0 after the Condition table",
        };
        Ok(installed
            .iter()
            .filter(|feature| !removed.contains(*feature))
            .map(|feature| {
                let level = levels.get(feature.as_str()).copied().unwrap_or(0);
                let reason = format!("feature `{feature}` (level {level}) stays installed: {why}");
                (feature.clone(), reason)
            })
            .collect())
    }

    /// Whether root -1 (HKMU) is HKLM: a per-machine install.
    fn per_machine(&self) -> bool {
        self.env
            .properties
            .get("ALLUSERS")
            .is_some_and(|value| value == "1")
    }

    fn component_is_64bit(&self, name: &str) -> bool {
        self.profile.is_64bit
            && self
                .tables
                .component(name)
                .is_some_and(|row| row.attributes.contains(ComponentAttributes::WIN64))
    }

    fn registry_writes(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryWrite>, SimulationError> {
        if !self.runs("WriteRegistryValues")? {
            return Ok(Vec::new());
        }
        let per_machine = self.per_machine();
        let wine = self.on_wine();
        let dialect = match wine {
            true => deformat::Dialect::Wine,
            false => deformat::Dialect::Windows,
        };
        let references = self.references();
        let mut writes: Vec<RegistryWrite> = self
            .tables
            .registry
            .iter()
            .filter(|row| installed.contains(row.component.as_str()))
            .filter_map(|row| {
                let root = registry_root(row.root, per_machine)?;
                let value = row.value.as_deref();
                // `+`, `-` and `*` on a row without a value create or delete the key; any
                // other row without a value writes an empty string (Wine's `dlls/msi`, checked
                // under Wine), to the default value when the name is null too.
                let special = value.is_none().then_some(row.name.as_deref()).flatten();
                let key_named = matches!(row.name.as_deref(), Some("+" | "*"));
                let data = match special {
                    // `-` deletes the key at uninstall and writes nothing at install.
                    Some("-") => return None,
                    Some("*") => WrittenData::KeyOnly,
                    Some("+") => WrittenData::KeyKept,
                    // Windows reads `+` and `*` as special only without a value; Wine never
                    // writes a value of those names, only the key (measured).
                    _ if key_named && wine => WrittenData::KeyOnly,
                    _ => deformat::registry_data(Some(value.unwrap_or("")), &references, dialect),
                };
                let name = match row.name.as_deref() {
                    _ if matches!(data, WrittenData::KeyOnly | WrittenData::KeyKept) => None,
                    Some(name) if !name.is_empty() => Some(deformat::deformat(name, &references)),
                    _ => None,
                };
                Some(RegistryWrite {
                    root,
                    view64: self.component_is_64bit(&row.component),
                    key: registry_key(&row.key, &references),
                    name,
                    data,
                    component: row.component.clone(),
                })
            })
            .collect();
        writes.sort();
        Ok(writes)
    }

    fn file_writes(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<FileWrite>, SimulationError> {
        if !self.runs("InstallFiles")? {
            return Ok(Vec::new());
        }
        // Each directory resolved once: many components share one.
        let mut folders: BTreeMap<&str, Option<String>> = BTreeMap::new();
        let mut files: Vec<FileWrite> = Vec::new();
        for row in &self.tables.files {
            if !installed.contains(row.component.as_str()) {
                continue;
            }
            let Some(component) = self.tables.component(&row.component) else {
                continue;
            };
            let folder = folders
                .entry(component.directory.as_str())
                .or_insert_with(|| self.directory_path(&component.directory, 0));
            if let Some(folder) = folder {
                let name = long_name(&row.file_name);
                // Exact-sized: a prediction keeps every path for the whole report.
                let mut path = String::with_capacity(folder.len() + name.len());
                path.push_str(folder);
                path.push_str(name);
                files.push(FileWrite {
                    path,
                    component: row.component.clone(),
                });
            }
        }
        files.sort();
        // Kept for the whole report: no growth slack.
        files.shrink_to_fit();
        Ok(files)
    }

    /// Uninstall (`REMOVE=ALL`, `Installed` set): what stays, permanent or not.
    /// `registered`: the install put at least one feature on the machine, so the product is
    /// installed. Otherwise Windows refuses `/x` (1605), and Wine (measured) runs it as a new
    /// session with nothing installed and `Installed` unset.
    fn uninstall(
        &mut self,
        installs: &Installed,
        on_disk: file_actions::InstalledFiles<'_>,
        prediction: &mut Prediction,
    ) -> Result<(), SimulationError> {
        let (installed, registered) = (installs.components, installs.registered);
        if !registered && !self.on_wine() {
            let outcome = LaunchOutcome::Refused {
                messages: vec![NOT_INSTALLED.into()],
            };
            prediction.uninstall_exit_code = Some(outcome.exit_code());
            prediction.uninstall = Some(outcome);
            return Ok(());
        }
        if registered {
            self.env.properties.insert("Installed".into(), "1".into());
        }
        self.env.properties.insert("REMOVE".into(), "ALL".into());
        let was = match registered {
            true => InstallState::Local,
            false => InstallState::Absent,
        };
        for feature in &self.tables.features {
            self.env
                .features
                .insert(feature.feature.clone(), (was, InstallState::Absent));
        }
        for component in installed {
            self.env.components.insert(
                component.clone(),
                (InstallState::Local, InstallState::Absent),
            );
        }
        let outcome = self.search_and_check()?;
        prediction.uninstall_exit_code = Some(outcome.exit_code());
        prediction.uninstall = Some(outcome.clone());
        if outcome != LaunchOutcome::Installs {
            leave_all(prediction, &not_removed_because(&outcome));
            return Ok(());
        }
        let mut effects = ActionEffects::default();
        let ending = self.run_custom_actions(Span::AfterLaunchConditions, &mut effects);
        prediction.uninstall_exit_code = Some(self.exit_code(&ending));
        if let Some(stop) = ending.stop {
            prediction.uninstall = Some(stop.outcome.clone());
            if !self.keeps_changes(&stop) {
                leave_all(prediction, &not_removed_because(&stop.outcome));
                return Ok(());
            }
        }
        for note in self.unsimulated("uninstall") {
            if !prediction.unsimulated.contains(&note) {
                prediction.unsimulated.push(note);
            }
        }
        residue_of_actions(prediction, &effects);
        let mut items =
            ComponentItems::of(&prediction.registry, &prediction.files, &prediction.folders);
        let mut kept_components = BTreeSet::new();
        let kept_features = self.features_kept_at_uninstall(installs.features)?;
        let kept_by_feature: BTreeMap<&str, &String> = self
            .tables
            .feature_components
            .iter()
            .filter_map(|row| {
                let reason = kept_features.get(&row.feature)?;
                Some((row.component.as_str(), reason))
            })
            .collect();
        for component in installed {
            let Some(row) = self.tables.component(component) else {
                continue;
            };
            let condition = row.condition.as_deref().unwrap_or("");
            let left = if row.attributes.contains(ComponentAttributes::PERMANENT) {
                Some((true, "permanent component".to_string()))
            } else if row.component_id.is_none() {
                Some((
                    false,
                    "component without a GUID is never registered, so never removed".into(),
                ))
            } else if let Some(reason) = kept_by_feature.get(component.as_str()) {
                Some((false, reason.to_string()))
            } else if !self.check("Component", component, condition)? {
                Some((
                    false,
                    format!(
                        "component condition `{condition}` is false at uninstall (Wine re-evaluates it and keeps the component)"
                    ),
                ))
            } else {
                None
            };
            if let Some((permanent, reason)) = left {
                kept_components.insert(component.as_str());
                let list = if permanent {
                    &mut prediction.permanent
                } else {
                    &mut prediction.residue
                };
                list.extend(items.take(component, &reason));
            }
        }
        let kept_variables = self.environment_kept(&prediction.registry)?;
        let kept_variables = kept_variables
            .into_iter()
            .filter(|kept| items.holds(&kept.component));
        prediction.permanent.extend(kept_variables);
        // Components removed: their `+` keys stay all the same.
        let kept_keys: Vec<Leftover> = prediction
            .registry
            .iter()
            .filter(|write| write.data == WrittenData::KeyKept)
            .filter(|write| items.holds(&write.component))
            .map(|write| Leftover {
                item: write.display_key(),
                reason: if write.key == shared_dlls::SHARED_DLLS {
                    "Wine makes the SharedDLLs key for the counts, and uninstall leaves it".into()
                } else {
                    "a `+` row creates the key and uninstall leaves it".into()
                },
                component: write.component.clone(),
            })
            .collect();
        prediction.permanent.extend(kept_keys);
        prediction.permanent.sort();
        drop(items);
        let removed: BTreeSet<&str> = installed
            .iter()
            .map(String::as_str)
            .filter(|component| !kept_components.contains(component))
            .collect();
        self.services_left(&removed, prediction)?;
        self.uninstall_file_actions(on_disk, installed, &removed, prediction)
    }

    /// The folder a Directory id resolves to, with a trailing backslash.
    fn directory_path(&self, id: &str, depth: usize) -> Option<String> {
        if let Some(value) = self.env.properties.get(id).filter(|v| !v.is_empty()) {
            return Some(with_backslash(value));
        }
        if id == "TARGETDIR" || depth > 64 {
            return Some(r"C:\".into());
        }
        let row = self.tables.directories.get(id)?;
        let parent = row.parent.as_deref().unwrap_or("");
        let base = if parent.is_empty() || parent == id {
            r"C:\".to_string()
        } else {
            self.directory_path(parent, depth + 1)?
        };
        let name = long_target_dir(&row.default_dir);
        Some(if name == "." || name.is_empty() {
            base
        } else {
            format!(r"{base}{name}\")
        })
    }
}

/// What an install put on the machine, for the uninstall session.
struct Installed<'i> {
    components: &'i [String],
    features: &'i BTreeSet<String>,
    registered: bool,
}

/// Values custom actions wrote at install that no action puts back at uninstall.
fn residue_of_actions(prediction: &mut Prediction, effects: &ActionEffects) {
    let restored: BTreeSet<_> = effects
        .restored
        .iter()
        .map(|restored| {
            (
                restored.root,
                restored.view64,
                &restored.key,
                &restored.name,
            )
        })
        .collect();
    for write in &prediction.registry {
        let Some(action) = write.component.strip_prefix("custom action ") else {
            continue;
        };
        if !restored.contains(&(write.root, write.view64, &write.key, &write.name)) {
            prediction.residue.push(Leftover {
                item: write.display_key(),
                reason: format!(
                    "written by custom action `{action}`; no action puts it back at uninstall"
                ),
                component: write.component.clone(),
            });
        }
    }
}

/// How the simulator treats a custom action row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modelled {
    /// Type 51 or 35: sets a property (or directory) to its formatted target.
    Set,
    /// A DLL entry point the action model knows.
    Dll,
    /// Type 19: ends the install with its message.
    Stop,
    /// Rollback and commit actions: not run by an install that succeeds.
    NotRun,
}

/// `(installed, action)` for a first install: absent, and going local when `chosen`.
fn install_states<'n>(
    names: impl Iterator<Item = &'n str>,
    chosen: impl Fn(&str) -> bool,
) -> BTreeMap<String, (InstallState, InstallState)> {
    names
        .map(|name| {
            let action = if chosen(name) {
                InstallState::Local
            } else {
                InstallState::Unknown
            };
            (name.to_string(), (InstallState::Absent, action))
        })
        .collect()
}

/// The prediction's items (registry values, files) grouped by component once, so leaving
/// each of many components costs its own items only. Borrowed: only what is left is copied.
struct ComponentItems<'p> {
    /// Sorted by component, each component's items in the order they were written: one
    /// allocation, not one per component.
    items: Vec<(&'p str, Cow<'p, str>)>,
    taken: BTreeSet<&'p str>,
}

impl<'p> ComponentItems<'p> {
    fn of(
        registry: &'p [RegistryWrite],
        files: &'p [FileWrite],
        folders: &'p [FolderWrite],
    ) -> ComponentItems<'p> {
        let registry_items = registry
            .iter()
            .filter(|write| write.data != WrittenData::KeyOnly)
            .map(|write| (write.component.as_str(), Cow::Owned(write.display_key())));
        let file_items = files
            .iter()
            .map(|file| (file.component.as_str(), Cow::Borrowed(file.path.as_str())));
        let folder_items = folders.iter().map(|folder| {
            (
                folder.component.as_str(),
                Cow::Borrowed(folder.path.as_str()),
            )
        });
        let mut items: Vec<_> = registry_items
            .chain(file_items)
            .chain(folder_items)
            .collect();
        items.sort_by_key(|(component, _)| *component);
        ComponentItems {
            items,
            taken: BTreeSet::new(),
        }
    }

    fn of_component(&self, component: &str) -> &[(&'p str, Cow<'p, str>)] {
        let start = self.items.partition_point(|(c, _)| *c < component);
        let end = self.items.partition_point(|(c, _)| *c <= component);
        &self.items[start..end]
    }

    /// Whether `component` has items not yet taken.
    fn holds(&self, component: &str) -> bool {
        !self.taken.contains(component) && !self.of_component(component).is_empty()
    }

    /// The components with items not yet taken.
    fn components(&self) -> Vec<&'p str> {
        let mut components: Vec<&'p str> = self.items.iter().map(|(c, _)| *c).collect();
        components.dedup();
        components.retain(|component| !self.taken.contains(component));
        components
    }

    /// The items of `component`, left for `reason` (each component's items once).
    fn take(&mut self, component: &str, reason: &str) -> Vec<Leftover> {
        let start = self.items.partition_point(|(c, _)| *c < component);
        let Some(&(name, _)) = self.items.get(start).filter(|(c, _)| *c == component) else {
            return Vec::new();
        };
        if !self.taken.insert(name) {
            return Vec::new();
        }
        self.of_component(component)
            .iter()
            .map(|(_, item)| Leftover {
                item: item.to_string(),
                reason: reason.to_string(),
                component: component.to_string(),
            })
            .collect()
    }
}

/// A GUID as Windows Installer packs it for registry names: each group's hex digits
/// reversed, the last two groups byte by byte (`{3B2E6C1A-5D4F-…}` → `A1C6E2B3F4D5…`).
fn packed_guid(guid: &str) -> Option<String> {
    let hex: Vec<char> = guid
        .trim_matches(|c| c == '{' || c == '}')
        .chars()
        .filter(|c| *c != '-')
        .collect();
    if hex.len() != 32 || !hex.iter().all(char::is_ascii_hexdigit) {
        return None;
    }
    let mut packed = String::with_capacity(32);
    for (start, end) in [(0, 8), (8, 12), (12, 16)] {
        packed.extend(hex[start..end].iter().rev());
    }
    for pair in hex[16..].chunks(2) {
        packed.extend(pair.iter().rev());
    }
    Some(packed.to_ascii_uppercase())
}

/// What C's `wcstol(text, NULL, 10)` reads: blanks, a sign, then digits (none: 0).
fn leading_number(text: &str) -> i32 {
    let text = text.trim_start();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |total, digit| {
            (total * 10 + i64::from(digit - b'0')).min(i64::from(i32::MAX) + 1)
        });
    let value = if negative { -magnitude } else { magnitude };
    value.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// Why an uninstall that ended as `outcome` removed nothing.
fn not_removed_because(outcome: &LaunchOutcome) -> String {
    match outcome {
        LaunchOutcome::Refused { messages } => {
            format!("uninstall refused: {}", messages.join("; "))
        }
        LaunchOutcome::Stopped { action, message } => {
            format!("uninstall stopped at `{action}`: {message}")
        }
        LaunchOutcome::Suspended { action } => format!("uninstall suspended at {action}"),
        LaunchOutcome::Installs => String::new(),
    }
}

fn leave_all(prediction: &mut Prediction, reason: &str) {
    let mut items =
        ComponentItems::of(&prediction.registry, &prediction.files, &prediction.folders);
    let components = items.components();
    for component in components {
        let left = items.take(component, reason);
        prediction.residue.extend(left);
    }
    prediction.residue.sort();
}

struct SessionReferences<'s> {
    session: &'s Session<'s>,
}

impl References for SessionReferences<'_> {
    /// A property, or once CostFinalize has run (as it has for every action that formats),
    /// a Directory id's resolved folder.
    fn property(&self, name: &str) -> Option<String> {
        let property = self.session.env.properties.get(name).cloned();
        property.or_else(|| {
            self.session.tables.directories.get(name)?;
            self.session.directory_path(name, 0)
        })
    }

    fn file_path(&self, file: &str) -> Option<String> {
        let row = self.session.tables.file(file)?;
        let folder = self.component_folder(&row.component)?;
        Some(format!("{folder}{}", long_name(&row.file_name)))
    }

    fn component_folder(&self, component: &str) -> Option<String> {
        let row = self.session.tables.component(component)?;
        self.session.directory_path(&row.directory, 0)
    }

    fn environment(&self, name: &str) -> Option<String> {
        self.session.env.env.get(name).cloned()
    }
}

fn with_backslash(path: &str) -> String {
    if path.ends_with('\\') {
        path.to_string()
    } else {
        format!("{path}\\")
    }
}

fn locator_root(root: i32) -> Option<RegistryRoot> {
    match root {
        0 => Some(RegistryRoot::ClassesRoot),
        1 => Some(RegistryRoot::CurrentUser),
        2 => Some(RegistryRoot::LocalMachine),
        3 => Some(RegistryRoot::Users),
        _ => None,
    }
}

/// Registry.Root; `-1` is HKLM for a per-machine install and HKCU otherwise.
/// A Registry or RemoveRegistry row's Key, formatted; Windows Installer ignores a trailing
/// backslash (wixl writes one).
fn registry_key(key: &str, references: &SessionReferences) -> String {
    deformat::deformat(key, references)
        .trim_end_matches('\\')
        .to_string()
}

fn registry_root(root: i32, per_machine: bool) -> Option<RegistryRoot> {
    match root {
        -1 if per_machine => Some(RegistryRoot::LocalMachine),
        -1 => Some(RegistryRoot::CurrentUser),
        other => locator_root(other),
    }
}

/// The standard folder properties Windows Installer sets before costing.
/// The folder properties Windows Installer sets. Wine spells its Windows folder `windows`
/// and its system folders `system32` and `syswow64` (measured); Windows as below.
fn standard_folders(profile: &MachineProfile) -> Vec<(String, String)> {
    let (windows, system32, syswow64) = match profile.installer {
        profile::Installer::Wine => (
            r"C:\windows\",
            r"C:\windows\system32\",
            r"C:\windows\syswow64\",
        ),
        profile::Installer::Windows => (
            r"C:\Windows\",
            r"C:\Windows\System32\",
            r"C:\Windows\SysWOW64\",
        ),
    };
    let (program_files, system) = if profile.is_64bit {
        (r"C:\Program Files (x86)\", syswow64)
    } else {
        (r"C:\Program Files\", system32)
    };
    let temp = format!(r"{windows}Temp\");
    let mut folders = vec![
        ("ROOTDRIVE", r"C:\"),
        ("WindowsFolder", windows),
        ("SystemFolder", system),
        ("ProgramFilesFolder", program_files),
        ("CommonAppDataFolder", r"C:\ProgramData\"),
        ("TempFolder", temp.as_str()),
    ];
    if profile.is_64bit {
        folders.extend([
            ("ProgramFiles64Folder", r"C:\Program Files\"),
            ("System64Folder", system32),
            ("CommonFiles64Folder", r"C:\Program Files\Common Files\"),
            ("CommonFilesFolder", r"C:\Program Files (x86)\Common Files\"),
        ]);
    } else {
        folders.push(("CommonFilesFolder", r"C:\Program Files\Common Files\"));
    }
    folders
        .into_iter()
        .map(|(name, path)| (name.to_string(), path.to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::{self, tests::sample};
    use crate::format::schema;

    /// The sample package with `count` more components, each with one file.
    fn package_with_files(count: usize) -> PackageView {
        let mut db = sample("Intel");
        for n in 0..count {
            db.insert(
                &schema::COMPONENT,
                schema::Component {
                    component: format!("C{n}"),
                    component_id: Some(format!("{{8E3C2A5B-0000-4000-8000-{n:012}}}")),
                    directory: "INSTALLDIR".into(),
                    attributes: ComponentAttributes::empty(),
                    condition: None,
                    key_path: Some(format!("F{n}")),
                },
            );
            db.insert(
                &schema::FEATURE_COMPONENTS,
                schema::FeatureComponent {
                    feature: "Main".into(),
                    component: format!("C{n}"),
                },
            );
            db.insert(
                &schema::FILE,
                schema::File {
                    file: format!("F{n}"),
                    component: format!("C{n}"),
                    file_name: format!("F{n}~1.TXT|file number {n}.txt"),
                    file_size: 25_000,
                    version: None,
                    language: None,
                    attributes: None,
                    sequence: n as i32 + 1,
                },
            );
        }
        schedule(&mut db, &[("RemoveFiles", 3500), ("InstallFiles", 4000)]);
        crate::package::read(&database::to_bytes(&db).unwrap()).unwrap()
    }

    /// The most bytes simulating `package` on win10-22h2-x64 holds at once, and its prediction.
    fn simulation_peak(package: &PackageView) -> (Prediction, u64) {
        let profile = profile::by_name("win10-22h2-x64").unwrap();
        let (prediction, peak) = crate::read::testing::peak_allocation(|| {
            Simulator::default().simulate(package, &profile, &CommandLine::default())
        });
        (prediction.unwrap(), peak)
    }

    #[test]
    fn simulating_many_files_holds_under_800_bytes_per_file_and_grows_linearly() {
        let (small, small_peak) = simulation_peak(&package_with_files(1_000));
        let (large, large_peak) = simulation_peak(&package_with_files(4_000));
        assert_eq!(small.files.len(), 1_000);
        assert_eq!(large.files.len(), 4_000);
        let per_file = large_peak / 4_000;
        // 735 here; 940 when items were grouped in a map and paths kept format!'s slack.
        assert!(per_file < 800, "{per_file} bytes per file at the peak");
        assert!(
            large_peak < small_peak * 9 / 2,
            "4x the files held {large_peak} bytes, against {small_peak}"
        );
    }

    const UPGRADE_CODE: &str = "{8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E50}";
    const OLD: &str = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A70}";

    /// The sample package as release 2.0.0 of a product line: older releases are found and
    /// removed, a newer one only detected and refused by a launch condition.
    fn release_two() -> PackageView {
        let mut db = sample("Intel");
        let upgrade = |min: &str, max: Option<&str>, bits, property: &str| schema::Upgrade {
            upgrade_code: UPGRADE_CODE.into(),
            version_min: Some(min.into()),
            version_max: max.map(Into::into),
            language: None,
            attributes: UpgradeAttributes::from_bits_retain(bits),
            remove: None,
            action_property: property.into(),
        };
        db.insert(
            &schema::UPGRADE,
            upgrade("1.0.0", Some("2.0.0"), 0x100, "OLDERFOUND"),
        );
        db.insert(&schema::UPGRADE, upgrade("2.0.0", None, 0x2, "NEWERFOUND"));
        let actions = [
            ("FindRelatedProducts", 25),
            ("LaunchConditions", 100),
            ("RemoveExistingProducts", 1401),
        ];
        schedule(&mut db, &actions);
        db.insert(
            &schema::LAUNCH_CONDITION,
            schema::LaunchCondition {
                condition: "NOT NEWERFOUND".into(),
                description: "A newer release is installed: [NEWERFOUND]".into(),
            },
        );
        crate::package::read(&database::to_bytes(&db).unwrap()).unwrap()
    }

    fn with_products(products: &[(&str, &str, &str)]) -> MachineProfile {
        let mut profile = profile::by_name("win10-22h2-x64").unwrap();
        profile.products = products
            .iter()
            .map(|(code, upgrade_code, version)| profile::InstalledProduct {
                product_code: code.to_string(),
                upgrade_code: Some(upgrade_code.to_string()),
                version: version.to_string(),
                language: 1033,
                package_code: None,
            })
            .collect();
        profile
    }

    fn simulate_on(profile: &MachineProfile) -> Prediction {
        Simulator::default()
            .simulate(&release_two(), profile, &CommandLine::default())
            .unwrap()
    }

    #[test]
    fn an_older_release_is_found_and_removed_by_remove_existing_products() {
        let prediction = simulate_on(&with_products(&[(OLD, UPGRADE_CODE, "1.5.0")]));
        assert_eq!(prediction.outcome, LaunchOutcome::Installs);
        assert_eq!(prediction.removes_products, [OLD]);
        assert!(prediction
            .unsimulated
            .iter()
            .any(|note| note.contains("RemoveExistingProducts removes the installed product")));
        // Nothing installed, another product line, or the 4th field only: nothing found.
        let unrelated = "{00000000-1111-2222-3333-444444444444}";
        for profile in [
            with_products(&[]),
            with_products(&[(OLD, unrelated, "1.5.0")]),
            with_products(&[(OLD, UPGRADE_CODE, "2.0.0.7")]),
        ] {
            let prediction = simulate_on(&profile);
            assert!(prediction.removes_products.is_empty(), "{prediction:#?}");
            assert_eq!(prediction.outcome, LaunchOutcome::Installs);
        }
    }

    #[test]
    fn a_newer_release_is_only_detected_and_its_launch_condition_refuses_the_downgrade() {
        let newer = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A72}";
        let prediction = simulate_on(&with_products(&[
            (OLD, UPGRADE_CODE, "1.0.0"),
            (newer, UPGRADE_CODE, "3.0.0"),
        ]));
        assert_eq!(
            prediction.outcome,
            LaunchOutcome::Refused {
                messages: vec![format!("A newer release is installed: {newer}")]
            }
        );
        assert_eq!(prediction.exit_code, 1603);
        assert!(prediction.removes_products.is_empty());
    }

    #[test]
    fn the_product_installed_from_another_package_is_1638_and_from_this_one_maintenance() {
        let package = release_two();
        let ours = "{8E3C2A5B-0000-4000-8000-000000000001}";
        let mut profile = with_products(&[(ours, UPGRADE_CODE, "1.0.0")]);
        let simulate = |profile: &MachineProfile| {
            Simulator::default()
                .simulate(&package, profile, &CommandLine::default())
                .unwrap()
        };
        let other = simulate(&profile);
        assert_eq!(other.exit_code, 1638, "{other:#?}");
        assert!(other.uninstall.is_none() && other.registry.is_empty());
        profile.products[0].package_code = package.summary.package_code();
        let same = simulate(&profile);
        assert_eq!(same.outcome, LaunchOutcome::Installs);
        assert_eq!(same.exit_code, 0);
        assert!(same.registry.is_empty() && same.uninstall.is_none());
        assert!(same.unsimulated.iter().any(|note| note == MAINTENANCE));
    }

    /// Puts `actions` (name, sequence) in the execute sequence, unconditioned.
    pub(super) fn schedule(db: &mut crate::database::Database, actions: &[(&str, i32)]) {
        for (action, sequence) in actions {
            db.insert(
                &schema::INSTALL_EXECUTE_SEQUENCE,
                schema::SequenceAction {
                    action: action.to_string(),
                    condition: None,
                    sequence: Some(*sequence),
                },
            );
        }
    }

    /// The sample package with Environment `rows` (this tool writes no such table, so it is
    /// added to the read package).
    fn with_environment(rows: &[(&str, &str, &str, &str)]) -> PackageView {
        let mut db = sample("Intel");
        let actions = [
            ("RemoveEnvironmentStrings", 3300),
            ("WriteEnvironmentStrings", 5200),
        ];
        schedule(&mut db, &actions);
        let mut package = crate::package::read(&database::to_bytes(&db).unwrap()).unwrap();
        let rows = rows
            .iter()
            .map(|(id, name, value, component)| schema::Environment {
                environment: id.to_string(),
                name: name.to_string(),
                value: Some(value.to_string()),
                component: component.to_string(),
            });
        with_read_table(&mut package, &schema::ENVIRONMENT, rows);
        package
    }

    /// Adds `table` with `rows` to a read package: for the tables this crate reads but does
    /// not write.
    pub(super) fn with_read_table<R: crate::format::row::Row>(
        package: &mut PackageView,
        table: &crate::format::row::Table<R>,
        rows: impl Iterator<Item = R>,
    ) {
        let columns = R::COLUMNS
            .iter()
            .map(|column| crate::package::ColumnInfo {
                name: column.name.into(),
                column_type: column.kind,
                nullable: column.nullable,
                primary_key: column.primary_key,
                category: None,
                foreign_key: None,
            })
            .collect();
        let view = crate::package::TableView {
            name: table.name().into(),
            columns,
            rows: rows.map(R::into_cells).collect(),
        };
        package.tables.insert(table.name().into(), view);
    }

    fn simulate_package(package: &PackageView, profile: &str) -> Prediction {
        let profile = profile::by_name(profile).unwrap();
        Simulator::default()
            .simulate(package, &profile, &CommandLine::default())
            .unwrap()
    }

    #[test]
    fn environment_rows_are_registry_writes_and_those_without_a_minus_stay() {
        let package = with_environment(&[
            ("Home", "APP_HOME", "[INSTALLDIR]", "Reg"),
            ("System", "*APP_SYSTEM", "1", "Reg"),
            ("Kept", "=APP_KEPT", "k", "Reg"),
            ("Twice", "=APP_KEPT", "[~];more", "Reg"),
        ]);
        let prediction = simulate_package(&package, "win10-22h2-x64");
        let variable = |name: &str| {
            let write = prediction
                .registry
                .iter()
                .find(|w| w.name.as_deref() == Some(name));
            write.map(|w| (w.root, w.key.clone(), w.data.clone()))
        };
        let (root, key, _) = variable("APP_SYSTEM").unwrap();
        assert_eq!(
            (root, key.as_str()),
            (RegistryRoot::LocalMachine, environment::SYSTEM_KEY)
        );
        assert_eq!(variable("APP_HOME").unwrap().0, RegistryRoot::CurrentUser);
        // A later row of the same variable changes what the earlier one wrote.
        assert_eq!(
            variable("APP_KEPT").unwrap().2,
            WrittenData::String("k;more".into())
        );
        let kept: Vec<&str> = prediction
            .permanent
            .iter()
            .map(|l| l.item.as_str())
            .collect();
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert!(kept[0].contains("APP_KEPT"));
    }

    #[test]
    fn a_row_of_prefixes_only_stops_the_install_only_for_an_installed_component() {
        let failing = with_environment(&[("Good", "=APP", "x", "Reg"), ("Bad", "=-", "x", "Reg")]);
        let wine = simulate_package(&failing, "wine-win10");
        assert_eq!(wine.exit_code, 1627);
        assert!(!wine.registry.is_empty() && wine.uninstall.is_none());
        let windows = simulate_package(&failing, "win10-22h2-x64");
        assert_eq!(windows.exit_code, 1603);
        assert!(windows.registry.is_empty());
        let elsewhere = with_environment(&[("Bad", "=-", "x", "NotInstalled")]);
        assert_eq!(simulate_package(&elsewhere, "wine-win10").exit_code, 0);
    }

    #[test]
    fn simulating_on_no_profiles_predicts_nothing_and_on_many_keeps_their_order() {
        let package = package_with_files(3);
        let simulator = Simulator::default();
        let command_line = CommandLine::default();
        assert!(simulator
            .simulate_each(&package, &[], &command_line)
            .is_empty());
        let profiles = profile::built_in();
        let names: Vec<String> = simulator
            .simulate_each(&package, &profiles, &command_line)
            .into_iter()
            .map(|prediction| prediction.unwrap().profile)
            .collect();
        let expected: Vec<String> = profiles.iter().map(|p| p.name.clone()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn a_packed_guid_is_what_windows_installer_names_a_product_by() {
        assert_eq!(
            super::packed_guid("{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A61}").as_deref(),
            Some("A1C6E2B3F4D5B7C4A9E8F1D2C3B4A516")
        );
        assert_eq!(super::packed_guid("{3B2E6C1A-5D4F}"), None);
    }

    #[test]
    fn a_number_is_read_the_way_wcstol_reads_it() {
        for (text, number) in [
            ("3", 3),
            (" 2x", 2),
            ("ab", 0),
            ("-4", -4),
            ("+5", 5),
            ("", 0),
        ] {
            assert_eq!(super::leading_number(text), number, "{text:?}");
        }
        assert_eq!(super::leading_number("99999999999"), i32::MAX);
        assert_eq!(
            super::packed_guid("{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5AZZ}"),
            None
        );
    }
}
