//! Model → MSI tables and summary information, in ordered passes. No pass writes bytes:
//! the result is a `Database` value that `package` serialises, tests dump, and whose
//! content digest becomes the package code.

pub mod actions;
pub mod names;

use crate::error::Result;
use crate::model::{self, KeyPath, Package, RegistryRoot};
use msikit::cab;
use msikit::database::{Database, Summary};
use msikit::format::bits::{
    ComponentAttributes, FileAttributes, LocatorType, RemoveFileMode, UpgradeAttributes,
};
use msikit::format::schema;
use msikit::formatted;
use msikit::source::FileSource;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// What the binder needs beyond the model.
#[derive(Debug, Clone)]
pub struct BindOptions {
    pub timestamp: u64,
    pub creating_application: String,
}

/// Properties set by FindRelatedProducts for the major upgrade.
pub const UPGRADE_FOUND_PROPERTY: &str = "SSPR_OLDER_VERSION_FOUND";
pub const NEWER_FOUND_PROPERTY: &str = "SSPR_NEWER_VERSION_FOUND";

/// The embedded cabinet's stream name; the Media table names it with a leading `#`.
pub const CABINET_STREAM: &str = "sspr.cab";

/// Runs every pass, in order, taking the cabinet from `cabinets` when an earlier package of
/// the same build embedded the same files. Fails only when a file to embed cannot be read as
/// it was checked (or on a bug).
pub fn bind(
    package: &Package,
    options: &BindOptions,
    cabinets: &mut cab::Cache,
) -> Result<Database> {
    let mut db = Database {
        tables: BTreeMap::new(),
        streams: BTreeMap::new(),
        summary: summary(package, options),
    };
    for table in schema::TABLES {
        db.tables.insert(table.name, Vec::new());
    }
    bind_properties(package, &mut db);
    bind_directories(package, &mut db);
    bind_feature_and_components(package, &mut db);
    bind_files_and_cabinet(package, options, cabinets, &mut db)?;
    bind_registry(package, &mut db);
    bind_searches(package, &mut db);
    bind_launch_conditions(package, &mut db);
    bind_upgrade(package, &mut db);
    bind_sequences(package, &mut db);
    actions::bind(&package.actions, &mut db)?;
    db.tables.retain(|_, rows| !rows.is_empty());
    db.summary.package_code = model::stable_guid(
        model::GUID_NAMESPACE,
        &[
            "package-code",
            &msikit::hex::sha256_hex(&db.content_digest()),
        ],
    );
    Ok(db)
}

fn bind_properties(package: &Package, db: &mut Database) {
    let product = &package.product;
    let mut secure = vec![
        UPGRADE_FOUND_PROPERTY.to_string(),
        NEWER_FOUND_PROPERTY.to_string(),
    ];
    secure.extend(package.secure_properties.iter().cloned());
    let mut properties = vec![
        (
            "ProductCode".to_string(),
            msikit::format::guid_text(product.product_code),
        ),
        (
            "UpgradeCode".to_string(),
            msikit::format::guid_text(product.upgrade_code),
        ),
        ("ProductName".to_string(), product.name.clone()),
        ("Manufacturer".to_string(), product.manufacturer.clone()),
        ("ProductVersion".to_string(), product.version.to_string()),
        ("ProductLanguage".to_string(), product.language.to_string()),
        ("ALLUSERS".to_string(), "1".to_string()),
        ("SecureCustomProperties".to_string(), secure.join(";")),
        // Never reboot by itself, even under /qn: ask with exit code 3010 instead.
        ("REBOOT".to_string(), "ReallySuppress".to_string()),
    ];
    properties.extend(package.properties.iter().cloned());
    properties.sort();
    for (name, value) in properties {
        db.insert(
            &schema::PROPERTY,
            schema::Property {
                property: name,
                value,
            },
        );
    }
}

fn bind_directories(package: &Package, db: &mut Database) {
    db.insert(
        &schema::DIRECTORY,
        schema::Directory {
            directory: model::TARGET_DIR.into(),
            parent: None,
            default_dir: "SourceDir".into(),
        },
    );
    // Standard folders (ProgramFiles64Folder, …) are the parents the package does not define.
    let standard: BTreeSet<&str> = package
        .directories
        .iter()
        .map(|d| d.parent.as_str())
        .chain(actions::directories(&package.actions))
        .filter(|parent| !package.directories.iter().any(|d| d.id == *parent))
        .collect();
    for folder in standard {
        db.insert(
            &schema::DIRECTORY,
            schema::Directory {
                directory: folder.into(),
                parent: Some(model::TARGET_DIR.into()),
                default_dir: ".".into(),
            },
        );
    }
    let mut short_names = names::ShortNames::default();
    for directory in &package.directories {
        let name = short_names.name_in(&directory.parent, &directory.name);
        db.insert(
            &schema::DIRECTORY,
            schema::Directory {
                directory: directory.id.clone(),
                parent: Some(directory.parent.clone()),
                default_dir: name,
            },
        );
    }
}

/// File, MsiFileHash and Media rows, and the cabinet holding every file (named by its key).
fn bind_files_and_cabinet(
    package: &Package,
    options: &BindOptions,
    cabinets: &mut cab::Cache,
    db: &mut Database,
) -> Result<()> {
    let mut cabinet_files: Vec<(&str, &FileSource)> = Vec::new();
    let mut short_names = names::ShortNames::default();
    for component in &package.components {
        for file in &component.files {
            let sequence = cabinet_files.len() as i32 + 1;
            let name = short_names.name_in(&component.directory, &file.name);
            db.insert(
                &schema::FILE,
                schema::File {
                    file: file.id.clone(),
                    component: component.id.clone(),
                    file_name: name,
                    file_size: file.source.size() as i32,
                    version: file.version.clone(),
                    language: file
                        .version
                        .as_ref()
                        .and(file.language)
                        .map(|l| l.to_string()),
                    attributes: Some(FileAttributes::VITAL),
                    sequence,
                },
            );
            if let Some([part1, part2, part3, part4]) = file.hash {
                let hash = schema::MsiFileHash {
                    file: file.id.clone(),
                    options: 0,
                    part1,
                    part2,
                    part3,
                    part4,
                };
                db.insert(&schema::MSI_FILE_HASH, hash);
            }
            cabinet_files.push((&file.id, &file.source));
        }
        for folder in &component.remove_empty_folders {
            let key = format!("Remove{folder}");
            db.insert(
                &schema::REMOVE_FILE,
                schema::RemoveFile {
                    file_key: key,
                    component: component.id.clone(),
                    file_name: None,
                    dir_property: folder.clone(),
                    install_mode: RemoveFileMode::ON_UNINSTALL,
                },
            );
        }
    }
    if cabinet_files.is_empty() {
        return Ok(());
    }
    let cabinet = cabinets.get_or_build(&cabinet_files, options.timestamp)?;
    db.insert(
        &schema::MEDIA,
        schema::Media {
            disk_id: 1,
            last_sequence: cabinet_files.len() as i32,
            disk_prompt: None,
            cabinet: Some(format!("#{CABINET_STREAM}")),
            volume_label: None,
            source: None,
        },
    );
    db.streams.insert(CABINET_STREAM.to_string(), cabinet);
    Ok(())
}

fn bind_feature_and_components(package: &Package, db: &mut Database) {
    let feature = &package.feature;
    db.insert(
        &schema::FEATURE,
        schema::Feature {
            feature: feature.id.clone(),
            parent: None,
            title: Some(feature.title.clone()),
            description: Some(feature.description.clone()),
            display: Some(1),
            level: 1,
            directory: Some(model::TARGET_DIR.into()),
            attributes: 0,
        },
    );
    for component in &package.components {
        let mut attributes = ComponentAttributes::empty();
        attributes.set(ComponentAttributes::WIN64, component.win64);
        attributes.set(ComponentAttributes::PERMANENT, component.permanent);
        let key_path = match &component.key_path {
            KeyPath::Registry(id) => {
                attributes |= ComponentAttributes::REGISTRY_KEY_PATH;
                id
            }
            KeyPath::File(id) => id,
        };
        db.insert(
            &schema::COMPONENT,
            schema::Component {
                component: component.id.clone(),
                component_id: Some(msikit::format::guid_text(component.guid)),
                directory: component.directory.clone(),
                attributes,
                condition: component.condition.clone(),
                key_path: Some(key_path.clone()),
            },
        );
        db.insert(
            &schema::FEATURE_COMPONENTS,
            schema::FeatureComponent {
                feature: feature.id.clone(),
                component: component.id.clone(),
            },
        );
    }
}

/// The Registry/RegLocator `Root` column.
fn root_number(root: RegistryRoot) -> i32 {
    match root {
        RegistryRoot::ClassesRoot => 0,
        RegistryRoot::CurrentUser => 1,
        RegistryRoot::LocalMachine => 2,
        RegistryRoot::Users => 3,
    }
}

fn bind_registry(package: &Package, db: &mut Database) {
    for component in &package.components {
        for value in &component.registry {
            db.insert(
                &schema::REGISTRY,
                schema::Registry {
                    registry: value.id.clone(),
                    root: root_number(value.root),
                    key: value.key.clone(),
                    name: value.name.as_deref().map(formatted::escape_literal),
                    value: Some(formatted::registry_value(&value.data)),
                    component: component.id.clone(),
                },
            );
        }
    }
}

fn bind_searches(package: &Package, db: &mut Database) {
    for search in &package.searches {
        let signature = format!("{}Search", search.property.to_ascii_lowercase());
        let mut kind = LocatorType::RAW;
        kind.set(LocatorType::WIN64, search.win64);
        db.insert(
            &schema::REG_LOCATOR,
            schema::RegLocator {
                signature: signature.clone(),
                root: root_number(search.root),
                key: search.key.clone(),
                name: Some(search.name.clone()),
                locator_type: Some(kind),
            },
        );
        db.insert(
            &schema::APP_SEARCH,
            schema::AppSearch {
                property: search.property.clone(),
                signature,
            },
        );
    }
}

fn bind_launch_conditions(package: &Package, db: &mut Database) {
    let downgrade = model::LaunchCondition::unless_installed(
        &format!("NOT {NEWER_FOUND_PROPERTY}"),
        package.downgrade_message.clone(),
    );
    for condition in package
        .launch_conditions
        .iter()
        .chain(std::iter::once(&downgrade))
    {
        db.insert(
            &schema::LAUNCH_CONDITION,
            schema::LaunchCondition {
                condition: condition.condition.clone(),
                description: condition.message.clone(),
            },
        );
    }
}

/// Major upgrade: older versions are removed in the same transaction, newer ones block.
fn bind_upgrade(package: &Package, db: &mut Database) {
    let code = msikit::format::guid_text(package.product.upgrade_code);
    let version = package.product.version.to_string();
    db.insert(
        &schema::UPGRADE,
        schema::Upgrade {
            upgrade_code: code.clone(),
            version_min: None,
            version_max: Some(version.clone()),
            language: None,
            attributes: UpgradeAttributes::MIGRATE_FEATURES,
            remove: None,
            action_property: UPGRADE_FOUND_PROPERTY.into(),
        },
    );
    db.insert(
        &schema::UPGRADE,
        schema::Upgrade {
            upgrade_code: code,
            version_min: Some(version),
            version_max: None,
            language: None,
            attributes: UpgradeAttributes::ONLY_DETECT,
            remove: None,
            action_property: NEWER_FOUND_PROPERTY.into(),
        },
    );
}

/// Standard actions and their sequence numbers. Everything the install needs is in the
/// execute sequence, so `/qn` (which skips the UI sequence) loses nothing.
const EXECUTE_SEQUENCE: &[(&str, i32, Option<&str>)] = &[
    ("FindRelatedProducts", 25, None),
    ("AppSearch", 50, None),
    ("LaunchConditions", 100, None),
    ("ValidateProductID", 700, None),
    ("CostInitialize", 800, None),
    ("FileCost", 900, None),
    ("CostFinalize", 1000, None),
    ("MigrateFeatureStates", 1200, None),
    ("InstallValidate", 1400, None),
    ("InstallInitialize", 1500, None),
    ("RemoveExistingProducts", 1501, None),
    ("ProcessComponents", 1600, None),
    ("UnpublishFeatures", 1800, None),
    ("RemoveRegistryValues", 2600, None),
    ("RemoveFiles", 3500, None),
    ("InstallFiles", 4000, None),
    ("WriteRegistryValues", 5000, None),
    ("RegisterUser", 6000, None),
    ("RegisterProduct", 6100, None),
    ("PublishFeatures", 6300, None),
    ("PublishProduct", 6400, None),
    ("InstallFinalize", 6600, None),
    ("ScheduleReboot", 6610, Some("NOT Installed")),
];

/// Actions that only belong in packages that have what they act on.
fn action_applies(action: &str, package: &Package) -> bool {
    let has_files = package.components.iter().any(|c| !c.files.is_empty());
    match action {
        "RemoveFiles" | "InstallFiles" => has_files,
        "ScheduleReboot" => package.request_reboot,
        _ => true,
    }
}

const UI_SEQUENCE: &[(&str, i32, Option<&str>)] = &[
    ("FindRelatedProducts", 25, None),
    ("AppSearch", 50, None),
    ("LaunchConditions", 100, None),
    ("ValidateProductID", 700, None),
    ("CostInitialize", 800, None),
    ("FileCost", 900, None),
    ("CostFinalize", 1000, None),
    ("MigrateFeatureStates", 1200, None),
    ("ExecuteAction", 1300, None),
];

fn bind_sequences(package: &Package, db: &mut Database) {
    for (table, actions) in [
        (&schema::INSTALL_EXECUTE_SEQUENCE, EXECUTE_SEQUENCE),
        (&schema::INSTALL_UI_SEQUENCE, UI_SEQUENCE),
    ] {
        let applicable = actions
            .iter()
            .filter(|(action, _, _)| action_applies(action, package));
        for (action, sequence, condition) in applicable {
            db.insert(
                table,
                schema::SequenceAction {
                    action: (*action).into(),
                    condition: condition.map(str::to_string),
                    sequence: Some(*sequence),
                },
            );
        }
    }
}

fn summary(package: &Package, options: &BindOptions) -> Summary {
    let product = &package.product;
    Summary {
        title: "Installation Database".to_string(),
        subject: product.name.clone(),
        author: product.manufacturer.clone(),
        keywords: vec![
            "Installer".to_string(),
            "SSPR".to_string(),
            package.target.name(),
        ],
        comments: product.comments.clone(),
        platform: package.target.arch.template_platform().to_string(),
        language: product.language,
        package_code: Uuid::nil(),
        page_count: package.target.arch.page_count(),
        // Compressed source image with short file names: bit 1 (compressed).
        word_count: 2,
        creating_application: options.creating_application.clone(),
        // Read-only recommended.
        security: 2,
        timestamp: options.timestamp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::target::Target;
    use msikit::format::Cell;

    fn bound(target: &str) -> Database {
        let options = BindOptions {
            timestamp: 0,
            creating_application: "test".into(),
        };
        let target = Target::from_name(target).unwrap();
        let settings = Settings::embedded_default().unwrap();
        let inputs = Default::default();
        crate::compile::compile(&settings, target, inputs, &options, &mut Default::default())
            .unwrap()
            .database
    }

    #[test]
    fn every_row_matches_its_table_schema() {
        let db = bound("win10-x64");
        for (name, rows) in &db.tables {
            let table = schema::table(name).unwrap();
            for row in rows {
                assert_eq!(row.len(), table.columns.len(), "{name}");
                for (cell, column) in row.iter().zip(table.columns) {
                    let valid = match (cell, column.kind) {
                        (Cell::Null, _) => column.nullable,
                        (Cell::Int(_), schema::ColumnKind::Int16 | schema::ColumnKind::Int32) => {
                            true
                        }
                        (Cell::Str(text), schema::ColumnKind::Str(max)) => {
                            max == 0 || text.chars().count() <= max
                        }
                        (Cell::Str(stream), schema::ColumnKind::Binary) => {
                            db.streams.contains_key(stream)
                        }
                        _ => false,
                    };
                    assert!(valid, "{name}.{} = {cell:?}", column.name);
                }
            }
        }
    }

    #[test]
    fn x64_components_carry_the_64bit_attribute_and_x86_do_not() {
        for (target, expected) in [
            ("win10-x64", ComponentAttributes::WIN64.bits()),
            ("win11-x64", ComponentAttributes::WIN64.bits()),
            ("win10-x86", 0),
        ] {
            let db = bound(target);
            for row in db.table(&schema::COMPONENT) {
                assert_eq!(
                    row.attributes.bits() & ComponentAttributes::WIN64.bits(),
                    expected,
                    "{target}"
                );
            }
            assert_eq!(
                db.summary.platform,
                if expected != 0 { "x64" } else { "Intel" }
            );
        }
    }

    #[test]
    fn package_code_follows_content() {
        let a = bound("win10-x64");
        assert_eq!(
            a.summary.package_code,
            bound("win10-x64").summary.package_code
        );
        assert_ne!(
            a.summary.package_code,
            bound("win11-x64").summary.package_code
        );
    }

    #[test]
    fn app_search_runs_before_launch_conditions_in_both_sequences() {
        let db = bound("win11-x64");
        for table in [
            &schema::INSTALL_EXECUTE_SEQUENCE,
            &schema::INSTALL_UI_SEQUENCE,
        ] {
            let sequence_of = |action: &str| {
                db.table(table)
                    .find(|row| row.action == action)
                    .and_then(|row| row.sequence)
            };
            assert!(
                sequence_of("AppSearch") < sequence_of("LaunchConditions"),
                "{}",
                table.name()
            );
            assert!(
                sequence_of("FindRelatedProducts") < sequence_of("LaunchConditions"),
                "{}",
                table.name()
            );
        }
    }
}
