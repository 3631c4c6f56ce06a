//! The MSI tables this toolkit knows, as data: names, columns, types, keys, and a typed row
//! per table layout.
//!
//! One definition serves the writer (`database::encode` derives `_Tables`, `_Columns` and
//! `_Validation` from it, the binder fills the typed rows) and the readers (`package` reads
//! the same rows back from any package). Column layouts follow the Windows Installer SDK's
//! schema.

use super::bits::{
    ComponentAttributes, FileAttributes, LocatorType, RemoveFileMode, UpgradeAttributes,
};
use super::column::col;
pub use super::column::{ColumnKind, ColumnSchema, TableSchema};
use super::row::{rows, Table};
use super::{Category, Cell};

use Category as C;
use ColumnKind::{Int16 as I2, Int32 as I4, Str as S};

const ID: Option<Category> = Some(C::Identifier);
const TEXT: Option<Category> = Some(C::Text);
const FORMATTED: Option<Category> = Some(C::Formatted);
const CONDITION: Option<Category> = Some(C::Condition);
const GUID: Option<Category> = Some(C::Guid);
const REGPATH: Option<Category> = Some(C::RegPath);
const NONE: Option<Category> = None;

rows! {
    pub struct Property {
        property: String = col("Property", S(72), ID).key(),
        value: String = col("Value", S(0), TEXT).loc(),
    }

    pub struct Directory {
        directory: String = col("Directory", S(72), ID).key(),
        parent: Option<String> = col("Directory_Parent", S(72), ID).null().refs("Directory", 1),
        default_dir: String = col("DefaultDir", S(255), Some(C::DefaultDir)).loc(),
    }

    pub struct Feature {
        feature: String = col("Feature", S(38), ID).key(),
        parent: Option<String> = col("Feature_Parent", S(38), ID).null().refs("Feature", 1),
        title: Option<String> = col("Title", S(64), TEXT).null().loc(),
        description: Option<String> = col("Description", S(255), TEXT).null().loc(),
        display: Option<i32> = col("Display", I2, NONE).null(),
        level: i32 = col("Level", I2, NONE),
        directory: Option<String> = col("Directory_", S(72), Some(C::UpperCase))
            .null()
            .refs("Directory", 1),
        attributes: i32 = col("Attributes", I2, NONE),
    }

    pub struct Component {
        component: String = col("Component", S(72), ID).key(),
        component_id: Option<String> = col("ComponentId", S(38), GUID).null(),
        directory: String = col("Directory_", S(72), ID).refs("Directory", 1),
        attributes: ComponentAttributes = col("Attributes", I2, NONE),
        condition: Option<String> = col("Condition", S(255), CONDITION).null(),
        key_path: Option<String> = col("KeyPath", S(72), ID).null(),
    }

    pub struct FeatureComponent {
        feature: String = col("Feature_", S(38), ID).key().refs("Feature", 1),
        component: String = col("Component_", S(72), ID).key().refs("Component", 1),
    }

    pub struct Registry {
        registry: String = col("Registry", S(72), ID).key(),
        root: i32 = col("Root", I2, NONE),
        key: String = col("Key", S(255), REGPATH).loc(),
        name: Option<String> = col("Name", S(255), FORMATTED).null().loc(),
        value: Option<String> = col("Value", S(0), FORMATTED).null().loc(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }

    /// Read, never written: the registry values a package removes.
    pub struct RemoveRegistry {
        remove_registry: String = col("RemoveRegistry", S(72), ID).key(),
        root: i32 = col("Root", I2, NONE),
        key: String = col("Key", S(255), REGPATH).loc(),
        name: Option<String> = col("Name", S(255), FORMATTED).null().loc(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }

    /// Read, never written: the environment variables a package sets.
    pub struct Environment {
        environment: String = col("Environment", S(72), ID).key(),
        name: String = col("Name", S(255), TEXT).loc(),
        value: Option<String> = col("Value", S(255), FORMATTED).null().loc(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }

    pub struct RegLocator {
        signature: String = col("Signature_", S(72), ID).key(),
        root: i32 = col("Root", I2, NONE),
        key: String = col("Key", S(255), REGPATH),
        name: Option<String> = col("Name", S(255), FORMATTED).null(),
        locator_type: Option<LocatorType> = col("Type", I2, NONE).null(),
    }

    /// Read, never written: the file a search looks for, and what it must match.
    pub struct Signature {
        signature: String = col("Signature", S(72), ID).key(),
        file_name: String = col("FileName", S(255), Some(C::Filename)),
        min_version: Option<String> = col("MinVersion", S(20), TEXT).null(),
        max_version: Option<String> = col("MaxVersion", S(20), TEXT).null(),
        min_size: Option<i32> = col("MinSize", I4, NONE).null(),
        max_size: Option<i32> = col("MaxSize", I4, NONE).null(),
        min_date: Option<i32> = col("MinDate", I4, NONE).null(),
        max_date: Option<i32> = col("MaxDate", I4, NONE).null(),
        languages: Option<String> = col("Languages", S(255), Some(C::Language)).null(),
    }

    /// Read, never written: a search of the file system, from a path or a parent search.
    pub struct DrLocator {
        signature: String = col("Signature_", S(72), ID).key(),
        parent: Option<String> = col("Parent", S(72), ID).key().null(),
        path: Option<String> = col("Path", S(255), Some(C::AnyPath)).key().null(),
        depth: Option<i32> = col("Depth", I2, NONE).null(),
    }

    /// Read, never written: a search for an installed component's key path.
    pub struct CompLocator {
        signature: String = col("Signature_", S(72), ID).key(),
        component_id: String = col("ComponentId", S(38), GUID),
        locator_type: Option<LocatorType> = col("Type", I2, NONE).null(),
    }

    /// Read, never written: a search of an INI file's value.
    pub struct IniLocator {
        signature: String = col("Signature_", S(72), ID).key(),
        file_name: String = col("FileName", S(255), Some(C::Filename)),
        section: String = col("Section", S(96), TEXT),
        key: String = col("Key", S(128), TEXT),
        field: Option<i32> = col("Field", I2, NONE).null(),
        locator_type: Option<LocatorType> = col("Type", I2, NONE).null(),
    }

    pub struct AppSearch {
        property: String = col("Property", S(72), ID).key(),
        signature: String = col("Signature_", S(72), ID).key(),
    }

    pub struct LaunchCondition {
        condition: String = col("Condition", S(255), CONDITION).key(),
        description: String = col("Description", S(255), FORMATTED).loc(),
    }

    pub struct Upgrade {
        upgrade_code: String = col("UpgradeCode", S(38), GUID).key(),
        version_min: Option<String> = col("VersionMin", S(20), TEXT).key().null(),
        version_max: Option<String> = col("VersionMax", S(20), TEXT).key().null(),
        language: Option<String> = col("Language", S(255), Some(C::Language)).key().null(),
        attributes: UpgradeAttributes = col("Attributes", I4, NONE).key(),
        remove: Option<String> = col("Remove", S(255), FORMATTED).null(),
        action_property: String = col("ActionProperty", S(72), Some(C::UpperCase)),
    }

    /// A row of either sequence table.
    pub struct SequenceAction {
        action: String = col("Action", S(72), ID).key(),
        condition: Option<String> = col("Condition", S(255), CONDITION).null(),
        sequence: Option<i32> = col("Sequence", I2, NONE).null(),
    }

    pub struct File {
        file: String = col("File", S(72), ID).key(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
        file_name: String = col("FileName", S(255), Some(C::Filename)).loc(),
        file_size: i32 = col("FileSize", I4, NONE),
        version: Option<String> = col("Version", S(72), Some(C::Version)).null(),
        language: Option<String> = col("Language", S(20), Some(C::Language)).null(),
        attributes: Option<FileAttributes> = col("Attributes", I2, NONE).null(),
        sequence: i32 = col("Sequence", I2, NONE),
    }

    pub struct Media {
        disk_id: i32 = col("DiskId", I2, NONE).key(),
        last_sequence: i32 = col("LastSequence", I2, NONE),
        disk_prompt: Option<String> = col("DiskPrompt", S(64), TEXT).null().loc(),
        cabinet: Option<String> = col("Cabinet", S(255), Some(C::Cabinet)).null(),
        volume_label: Option<String> = col("VolumeLabel", S(32), TEXT).null(),
        source: Option<String> = col("Source", S(72), Some(C::Property)).null(),
    }

    pub struct MsiFileHash {
        file: String = col("File_", S(72), ID).key().refs("File", 1),
        options: i32 = col("Options", I2, NONE),
        part1: i32 = col("HashPart1", I4, NONE),
        part2: i32 = col("HashPart2", I4, NONE),
        part3: i32 = col("HashPart3", I4, NONE),
        part4: i32 = col("HashPart4", I4, NONE),
    }

    pub struct RemoveFile {
        file_key: String = col("FileKey", S(72), ID).key(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
        file_name: Option<String> = col("FileName", S(255), Some(C::WildCardFilename))
            .null()
            .loc(),
        dir_property: String = col("DirProperty", S(72), ID),
        install_mode: RemoveFileMode = col("InstallMode", I2, NONE),
    }

    /// Read, never written: an empty folder a component makes.
    pub struct CreateFolder {
        directory: String = col("Directory_", S(72), ID).key().refs("Directory", 1),
        component: String = col("Component_", S(72), ID).key().refs("Component", 1),
    }

    /// Read, never written: a copy of a package file that a component makes.
    pub struct DuplicateFile {
        file_key: String = col("FileKey", S(72), ID).key(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
        file: String = col("File_", S(72), ID).refs("File", 1),
        dest_name: Option<String> = col("DestName", S(255), Some(C::Filename)).null().loc(),
        dest_folder: Option<String> = col("DestFolder", S(72), ID).null(),
    }

    /// Read, never written: a value a component writes to an INI file.
    pub struct IniFile {
        ini_file: String = col("IniFile", S(72), ID).key(),
        file_name: String = col("FileName", S(255), Some(C::Filename)).loc(),
        dir_property: Option<String> = col("DirProperty", S(72), ID).null(),
        section: String = col("Section", S(96), FORMATTED).loc(),
        key: String = col("Key", S(128), FORMATTED).loc(),
        value: String = col("Value", S(255), FORMATTED).loc(),
        action: i32 = col("Action", I2, NONE),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }

    /// Read, never written: a value a component removes from an INI file at install.
    pub struct RemoveIniFile {
        remove_ini_file: String = col("RemoveIniFile", S(72), ID).key(),
        file_name: String = col("FileName", S(255), Some(C::Filename)).loc(),
        dir_property: Option<String> = col("DirProperty", S(72), ID).null(),
        section: String = col("Section", S(96), FORMATTED).loc(),
        key: String = col("Key", S(128), FORMATTED).loc(),
        value: Option<String> = col("Value", S(255), FORMATTED).null().loc(),
        action: i32 = col("Action", I2, NONE),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }

    /// Read, never written: a file of the machine a component moves or copies at install.
    pub struct MoveFile {
        file_key: String = col("FileKey", S(72), ID).key(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
        source_name: Option<String> = col("SourceName", S(255), TEXT).null().loc(),
        dest_name: Option<String> = col("DestName", S(255), Some(C::Filename)).null().loc(),
        source_folder: Option<String> = col("SourceFolder", S(72), ID).null(),
        dest_folder: String = col("DestFolder", S(72), ID),
        options: i32 = col("Options", I2, NONE),
    }

    pub struct Binary {
        name: String = col("Name", S(72), ID).key(),
        /// The stream's name, `Binary.<Name>`.
        data: String = col("Data", ColumnKind::Binary, Some(C::Binary)),
    }

    /// `Target` is Formatted text of any length: CustomActionData often exceeds 255 characters.
    pub struct CustomAction {
        action: String = col("Action", S(72), ID).key(),
        action_type: i32 = col("Type", I2, NONE),
        source: Option<String> = col("Source", S(72), Some(C::CustomSource)).null(),
        target: Option<String> = col("Target", S(0), FORMATTED).null(),
    }

    /// Read, never written: a feature's install level set by a condition.
    pub struct Condition {
        feature: String = col("Feature_", S(38), ID).key().refs("Feature", 1),
        level: i32 = col("Level", I2, NONE).key(),
        condition: Option<String> = col("Condition", S(255), CONDITION).null(),
    }

    /// Read, never written: the dialogs of a package's UI.
    pub struct Dialog {
        dialog: String = col("Dialog", S(72), ID).key(),
        h_centering: i32 = col("HCentering", I2, NONE),
        v_centering: i32 = col("VCentering", I2, NONE),
        width: i32 = col("Width", I2, NONE),
        height: i32 = col("Height", I2, NONE),
        attributes: Option<i32> = col("Attributes", I4, NONE).null(),
        title: Option<String> = col("Title", S(128), FORMATTED).null().loc(),
        control_first: String = col("Control_First", S(50), ID),
        control_default: Option<String> = col("Control_Default", S(50), ID).null(),
        control_cancel: Option<String> = col("Control_Cancel", S(50), ID).null(),
    }

    /// Read, never written: the services a package installs (their binary is the component's
    /// key file).
    pub struct ServiceInstall {
        service_install: String = col("ServiceInstall", S(72), ID).key(),
        name: String = col("Name", S(255), FORMATTED),
        display_name: Option<String> = col("DisplayName", S(255), FORMATTED).null().loc(),
        service_type: i32 = col("ServiceType", I4, NONE),
        start_type: i32 = col("StartType", I4, NONE),
        error_control: i32 = col("ErrorControl", I4, NONE),
        load_order_group: Option<String> = col("LoadOrderGroup", S(255), FORMATTED).null(),
        dependencies: Option<String> = col("Dependencies", S(255), FORMATTED).null(),
        start_name: Option<String> = col("StartName", S(255), FORMATTED).null(),
        password: Option<String> = col("Password", S(255), FORMATTED).null(),
        arguments: Option<String> = col("Arguments", S(255), FORMATTED).null(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
        description: Option<String> = col("Description", S(255), FORMATTED).null().loc(),
    }

    /// Read, never written: what happens to a service at install and uninstall.
    pub struct ServiceControl {
        service_control: String = col("ServiceControl", S(72), ID).key(),
        name: String = col("Name", S(255), FORMATTED).loc(),
        event: i32 = col("Event", I2, NONE),
        arguments: Option<String> = col("Arguments", S(255), FORMATTED).null().loc(),
        wait: Option<i32> = col("Wait", I2, NONE).null(),
        component: String = col("Component_", S(72), ID).refs("Component", 1),
    }
}

pub const PROPERTY: Table<Property> = Table::new("Property");
pub const DIRECTORY: Table<Directory> = Table::new("Directory");
pub const FEATURE: Table<Feature> = Table::new("Feature");
pub const COMPONENT: Table<Component> = Table::new("Component");
pub const FEATURE_COMPONENTS: Table<FeatureComponent> = Table::new("FeatureComponents");
pub const REGISTRY: Table<Registry> = Table::new("Registry");
pub const REMOVE_REGISTRY: Table<RemoveRegistry> = Table::new("RemoveRegistry");
pub const ENVIRONMENT: Table<Environment> = Table::new("Environment");
pub const REG_LOCATOR: Table<RegLocator> = Table::new("RegLocator");
pub const APP_SEARCH: Table<AppSearch> = Table::new("AppSearch");
pub const SIGNATURE: Table<Signature> = Table::new("Signature");
pub const DR_LOCATOR: Table<DrLocator> = Table::new("DrLocator");
pub const COMP_LOCATOR: Table<CompLocator> = Table::new("CompLocator");
pub const INI_LOCATOR: Table<IniLocator> = Table::new("IniLocator");
pub const LAUNCH_CONDITION: Table<LaunchCondition> = Table::new("LaunchCondition");
pub const UPGRADE: Table<Upgrade> = Table::new("Upgrade");
pub const INSTALL_EXECUTE_SEQUENCE: Table<SequenceAction> = Table::new("InstallExecuteSequence");
pub const INSTALL_UI_SEQUENCE: Table<SequenceAction> = Table::new("InstallUISequence");
pub const FILE: Table<File> = Table::new("File");
pub const MEDIA: Table<Media> = Table::new("Media");
pub const MSI_FILE_HASH: Table<MsiFileHash> = Table::new("MsiFileHash");
pub const REMOVE_FILE: Table<RemoveFile> = Table::new("RemoveFile");
pub const CREATE_FOLDER: Table<CreateFolder> = Table::new("CreateFolder");
pub const DUPLICATE_FILE: Table<DuplicateFile> = Table::new("DuplicateFile");
pub const MOVE_FILE: Table<MoveFile> = Table::new("MoveFile");
pub const INI_FILE: Table<IniFile> = Table::new("IniFile");
pub const REMOVE_INI_FILE: Table<RemoveIniFile> = Table::new("RemoveIniFile");
pub const BINARY: Table<Binary> = Table::new("Binary");
pub const CUSTOM_ACTION: Table<CustomAction> = Table::new("CustomAction");
pub const CONDITION_TABLE: Table<Condition> = Table::new("Condition");
pub const DIALOG: Table<Dialog> = Table::new("Dialog");
pub const SERVICE_INSTALL: Table<ServiceInstall> = Table::new("ServiceInstall");
pub const SERVICE_CONTROL: Table<ServiceControl> = Table::new("ServiceControl");

/// Every table this tool can write, in the order they are created.
pub const TABLES: &[&TableSchema] = &[
    &PROPERTY.schema,
    &DIRECTORY.schema,
    &FEATURE.schema,
    &COMPONENT.schema,
    &FEATURE_COMPONENTS.schema,
    &FILE.schema,
    &MEDIA.schema,
    &MSI_FILE_HASH.schema,
    &REMOVE_FILE.schema,
    &REGISTRY.schema,
    &REG_LOCATOR.schema,
    &APP_SEARCH.schema,
    &LAUNCH_CONDITION.schema,
    &UPGRADE.schema,
    &BINARY.schema,
    &CUSTOM_ACTION.schema,
    &INSTALL_EXECUTE_SEQUENCE.schema,
    &INSTALL_UI_SEQUENCE.schema,
];

/// The schema of a table by name.
pub fn table(name: &str) -> Option<&'static TableSchema> {
    TABLES.iter().copied().find(|table| table.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_primary_key_and_unique_name() {
        for table in TABLES {
            assert!(
                table.columns.iter().any(|c| c.primary_key),
                "{}",
                table.name
            );
            assert_eq!(super::table(table.name).map(|t| t.name), Some(table.name));
        }
    }

    #[test]
    fn foreign_keys_point_at_known_tables() {
        for table in TABLES {
            for column in table.columns {
                if let Some((target, _)) = column.foreign_key {
                    assert!(
                        super::table(target).is_some(),
                        "{}.{}",
                        table.name,
                        column.name
                    );
                }
            }
        }
    }
}
