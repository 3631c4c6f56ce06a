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
use msikit::format::Cell;
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

/// Runs every pass, in order. Fails only when a file to embed cannot be read as it was
/// checked (or on a bug).
pub fn bind(package: &Package, options: &BindOptions) -> Result<Database> {
    bind_with_cabinets(package, options, &mut cab::Cache::default())
}

/// Like `bind`, taking the cabinet from `cabinets` when an earlier package of the same build
/// embedded the same files.
pub fn bind_with_cabinets(
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
        db.insert(&schema::PROPERTY, vec![name.into(), value.into()]);
    }
}

fn bind_directories(package: &Package, db: &mut Database) {
    db.insert(
        &schema::DIRECTORY,
        vec![model::TARGET_DIR.into(), Cell::Null, "SourceDir".into()],
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
            vec![folder.into(), model::TARGET_DIR.into(), ".".into()],
        );
    }
    let mut short_names = names::ShortNames::default();
    for directory in &package.directories {
        let name = short_names.name_in(&directory.parent, &directory.name);
        db.insert(
            &schema::DIRECTORY,
            vec![
                directory.id.as_str().into(),
                directory.parent.as_str().into(),
                name.into(),
            ],
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
                vec![
                    file.id.as_str().into(),
                    component.id.as_str().into(),
                    name.into(),
                    Cell::Int(file.source.size() as i32),
                    file.version.clone().into(),
                    file.version
                        .as_ref()
                        .and(file.language)
                        .map(|l| l.to_string())
                        .into(),
                    Cell::Int(FileAttributes::VITAL.bits()),
                    Cell::Int(sequence),
                ],
            );
            if let Some(hash) = file.hash {
                let mut row = vec![file.id.as_str().into(), Cell::Int(0)];
                row.extend(hash.map(Cell::Int));
                db.insert(&schema::MSI_FILE_HASH, row);
            }
            cabinet_files.push((&file.id, &file.source));
        }
        for folder in &component.remove_empty_folders {
            let key = format!("Remove{folder}");
            db.insert(
                &schema::REMOVE_FILE,
                vec![
                    key.into(),
                    component.id.as_str().into(),
                    Cell::Null,
                    folder.as_str().into(),
                    Cell::Int(RemoveFileMode::ON_UNINSTALL.bits()),
                ],
            );
        }
    }
    if cabinet_files.is_empty() {
        return Ok(());
    }
    let cabinet = cabinets.get_or_build(&cabinet_files, options.timestamp)?;
    db.insert(
        &schema::MEDIA,
        vec![
            Cell::Int(1),
            Cell::Int(cabinet_files.len() as i32),
            Cell::Null,
            format!("#{CABINET_STREAM}").into(),
            Cell::Null,
            Cell::Null,
        ],
    );
    db.streams.insert(CABINET_STREAM.to_string(), cabinet);
    Ok(())
}

fn bind_feature_and_components(package: &Package, db: &mut Database) {
    let feature = &package.feature;
    db.insert(
        &schema::FEATURE,
        vec![
            feature.id.as_str().into(),
            Cell::Null,
            feature.title.as_str().into(),
            feature.description.as_str().into(),
            Cell::Int(1),
            Cell::Int(1),
            model::TARGET_DIR.into(),
            Cell::Int(0),
        ],
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
            vec![
                component.id.as_str().into(),
                msikit::format::guid_text(component.guid).into(),
                component.directory.as_str().into(),
                Cell::Int(attributes.bits()),
                component.condition.clone().into(),
                key_path.as_str().into(),
            ],
        );
        db.insert(
            &schema::FEATURE_COMPONENTS,
            vec![feature.id.as_str().into(), component.id.as_str().into()],
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
                vec![
                    value.id.as_str().into(),
                    Cell::Int(root_number(value.root)),
                    value.key.as_str().into(),
                    value.name.as_deref().map(formatted::escape_literal).into(),
                    formatted::registry_value(&value.data).into(),
                    component.id.as_str().into(),
                ],
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
            vec![
                signature.as_str().into(),
                Cell::Int(root_number(search.root)),
                search.key.as_str().into(),
                search.name.as_str().into(),
                Cell::Int(kind.bits()),
            ],
        );
        db.insert(
            &schema::APP_SEARCH,
            vec![search.property.as_str().into(), signature.into()],
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
            vec![
                condition.condition.as_str().into(),
                condition.message.as_str().into(),
            ],
        );
    }
}

/// Major upgrade: older versions are removed in the same transaction, newer ones block.
fn bind_upgrade(package: &Package, db: &mut Database) {
    let code = msikit::format::guid_text(package.product.upgrade_code);
    let version = package.product.version.to_string();
    db.insert(
        &schema::UPGRADE,
        vec![
            code.as_str().into(),
            Cell::Null,
            version.as_str().into(),
            Cell::Null,
            Cell::Int(UpgradeAttributes::MIGRATE_FEATURES.bits()),
            Cell::Null,
            UPGRADE_FOUND_PROPERTY.into(),
        ],
    );
    db.insert(
        &schema::UPGRADE,
        vec![
            code.as_str().into(),
            version.as_str().into(),
            Cell::Null,
            Cell::Null,
            Cell::Int(UpgradeAttributes::ONLY_DETECT.bits()),
            Cell::Null,
            NEWER_FOUND_PROPERTY.into(),
        ],
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
                vec![
                    (*action).into(),
                    condition.map(str::to_string).into(),
                    Cell::Int(*sequence),
                ],
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
            for row in db.rows("Component") {
                let Cell::Int(attributes) = row[3] else {
                    panic!()
                };
                assert_eq!(
                    attributes & ComponentAttributes::WIN64.bits(),
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
        for table in ["InstallExecuteSequence", "InstallUISequence"] {
            let sequence_of = |action: &str| {
                db.rows(table)
                    .iter()
                    .find(|row| row[0] == Cell::from(action))
                    .map(|row| row[2].clone())
            };
            assert!(
                sequence_of("AppSearch") < sequence_of("LaunchConditions"),
                "{table}"
            );
            assert!(
                sequence_of("FindRelatedProducts") < sequence_of("LaunchConditions"),
                "{table}"
            );
        }
    }
}
