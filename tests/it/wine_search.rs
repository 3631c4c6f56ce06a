//! AppSearch's file-system searches against Wine's msiexec: DrLocator (a folder, a file
//! `Depth` levels down, a Parent's result, a Signature's sizes and versions), RegLocator and
//! IniLocator values taken as a file or a folder, an INI value's fields, and a CompLocator on
//! a machine with nothing installed. Each property found is written to the registry, so the
//! harness compares what Wine found with what the simulator predicts from a profile that lists
//! the same files. Not checked here: a Signature's Languages (Wine's own PE files are the only
//! versioned ones at hand, and their languages are not the test's to choose).

use crate::support::wine::{Windows, WinePrefix};
use crate::support::wixl_package;
use crate::verify_wine::{
    assert_install_agrees, assert_uninstall_agrees, predict, profile_for, run_query, schedule,
};
use msikit::format::RegistryRoot;
use msikit::simulate::profile::{ProfileFile, ProfileValue};
use msikit::simulate::CommandLine;
use std::path::Path;

/// Columns of a row as (name, SQL value), only those that are not null.
type Columns = &'static [(&'static str, &'static str)];

/// (Signature, FileName, the columns given besides as SQL: MinVersion, MaxVersion, MinSize).
const SIGNATURES: &[(&str, &str, Columns)] = &[
    ("SigApp", "app.exe", &[("MinVersion", "'1.0'")]),
    ("SigTooNew", "app.exe", &[("MaxVersion", "'1.0'")]),
    ("SigTooSmall", "readme.txt", &[("MinSize", "1000")]),
    ("SigReadme", "readme.txt", &[("MinSize", "50")]),
    ("SigDeep", "deep.txt", &[]),
    ("SigDeepShallow", "deep.txt", &[]),
    ("SigRegApp", "ignored.exe", &[("MinVersion", "'1.0'")]),
];

/// (Signature_, the columns given as SQL: Parent, Path, Depth).
const DR_LOCATORS: &[(&str, Columns)] = &[
    ("SigApp", &[("Path", r"'C:\Tools'"), ("Depth", "0")]),
    ("SigTooNew", &[("Path", r"'C:\Tools'"), ("Depth", "0")]),
    ("SigTooSmall", &[("Path", r"'C:\Tools'"), ("Depth", "0")]),
    ("SigReadme", &[("Path", "'Tools'"), ("Depth", "0")]),
    ("SigDeep", &[("Path", r"'C:\Tools'"), ("Depth", "1")]),
    ("SigDeepShallow", &[("Path", r"'C:\Tools'"), ("Depth", "0")]),
    ("DirTools", &[("Path", r"'C:\Tools'")]),
    ("DirChild", &[("Parent", "'DirTools'"), ("Path", "'Sub'")]),
    ("DirMissing", &[("Path", r"'C:\Nowhere'")]),
];

/// (Signature_, Key's value name, Type): HKLM\SOFTWARE\Fabrikam\Search.
const REG_LOCATORS: &[(&str, &str, i32)] = &[
    ("SigRegApp", "App", 0x11),
    ("RegTools", "Tools", 0x10),
    ("RegApp32", "App", 0x01),
];

/// (Signature_, Section, Key, Field, Type): C:\windows\fabrikam.ini.
const INI_LOCATORS: &[(&str, &str, &str, i32, i32)] = &[
    ("IniList", "Paths", "List", 2, 2),
    ("IniWhole", "Paths", "List", 0, 2),
    ("IniHome", "Paths", "Home", 0, 0),
    ("IniAbsent", "Paths", "Nothing", 0, 2),
];

/// (Property, Signature_): every search, each property written as `<[PROPERTY]>`.
const SEARCHES: &[(&str, &str)] = &[
    ("FOUND_APP", "SigApp"),
    ("TOO_NEW", "SigTooNew"),
    ("TOO_SMALL", "SigTooSmall"),
    ("RELATIVE", "SigReadme"),
    ("DEEP", "SigDeep"),
    ("SHALLOW", "SigDeepShallow"),
    ("TOOLS", "DirTools"),
    ("CHILD", "DirChild"),
    ("MISSING", "DirMissing"),
    ("REG_APP", "SigRegApp"),
    ("REG_TOOLS", "RegTools"),
    ("REG_APP32", "RegApp32"),
    ("INI_LIST", "IniList"),
    ("INI_WHOLE", "IniWhole"),
    ("INI_HOME", "IniHome"),
    ("INI_ABSENT", "IniAbsent"),
    ("COMPONENT", "CompNone"),
];

fn insert(msi: &Path, table: &str, columns: &str, values: &str) {
    run_query(
        msi,
        &format!("INSERT INTO `{table}` ({columns}) VALUES ({values})"),
    );
}

/// A row of `key` and the non-null `columns` (msibuild's SQL has no NULL literal).
fn insert_given(msi: &Path, table: &str, key: (&str, &str), columns: &[(&str, &str)]) {
    let names: Vec<String> = std::iter::once(key.0)
        .chain(columns.iter().map(|(name, _)| *name))
        .map(|name| format!("`{name}`"))
        .collect();
    let values: Vec<&str> = std::iter::once(key.1)
        .chain(columns.iter().map(|(_, value)| *value))
        .collect();
    insert(msi, table, &names.join(", "), &values.join(", "));
}

/// `msi` with the searches above, AppSearch scheduled, and a Registry row per property.
fn with_searches(msi: &Path) {
    run_query(
        msi,
        "CREATE TABLE `DrLocator` (`Signature_` CHAR(72) NOT NULL, `Parent` CHAR(72), \
         `Path` CHAR(255), `Depth` SHORT PRIMARY KEY `Signature_`, `Parent`, `Path`)",
    );
    run_query(
        msi,
        "CREATE TABLE `IniLocator` (`Signature_` CHAR(72) NOT NULL, `FileName` CHAR(255) \
         NOT NULL, `Section` CHAR(96) NOT NULL, `Key` CHAR(128) NOT NULL, `Field` SHORT, \
         `Type` SHORT PRIMARY KEY `Signature_`)",
    );
    run_query(
        msi,
        "CREATE TABLE `CompLocator` (`Signature_` CHAR(72) NOT NULL, `ComponentId` CHAR(38) \
         NOT NULL, `Type` SHORT PRIMARY KEY `Signature_`)",
    );
    for (signature, file, columns) in SIGNATURES {
        let file = format!("'{file}'");
        let columns = [&[("FileName", file.as_str())], *columns].concat();
        insert_given(
            msi,
            "Signature",
            ("Signature", &format!("'{signature}'")),
            &columns,
        );
    }
    for (signature, columns) in DR_LOCATORS {
        insert_given(
            msi,
            "DrLocator",
            ("Signature_", &format!("'{signature}'")),
            columns,
        );
    }
    for (signature, name, kind) in REG_LOCATORS {
        insert(
            msi,
            "RegLocator",
            "`Signature_`, `Root`, `Key`, `Name`, `Type`",
            &format!(r"'{signature}', 2, 'SOFTWARE\Fabrikam\Search', '{name}', {kind}"),
        );
    }
    for (signature, section, key, field, kind) in INI_LOCATORS {
        insert(
            msi,
            "IniLocator",
            "`Signature_`, `FileName`, `Section`, `Key`, `Field`, `Type`",
            &format!("'{signature}', 'fabrikam.ini', '{section}', '{key}', {field}, {kind}"),
        );
    }
    insert(
        msi,
        "CompLocator",
        "`Signature_`, `ComponentId`, `Type`",
        "'CompNone', '{9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D}', 1",
    );
    for (property, signature) in SEARCHES {
        insert(
            msi,
            "AppSearch",
            "`Property`, `Signature_`",
            &format!("'{property}', '{signature}'"),
        );
        insert(
            msi,
            "Registry",
            "`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`",
            &format!(
                r"'Found{property}', 2, 'SOFTWARE\Fabrikam\Found', '{property}', '<[{property}]>', 'Settings'"
            ),
        );
    }
    schedule(msi, "AppSearch", "", 50);
}

/// The files and values the searches look at, put in the prefix and listed in the profile.
struct Machine {
    files: Vec<ProfileFile>,
    values: Vec<(&'static str, &'static str)>,
}

fn machine(prefix: &WinePrefix) -> Machine {
    let app = std::fs::read(prefix.drive_c(r"C:\windows\system32\msiexec.exe")).unwrap();
    let version = msikit::inspect::pe_file_version(&app).expect("Wine's msiexec has a version");
    let ini = "[Paths]\r\nList=a, b,c\r\nHome=C:\\Tools\r\n";
    let files: [(&str, Vec<u8>, Option<String>); 4] = [
        (r"C:\Tools\app.exe", app, Some(version)),
        (r"C:\Tools\readme.txt", vec![b'r'; 100], None),
        (r"C:\Tools\Sub\deep.txt", vec![b'd'; 10], None),
        (r"C:\windows\fabrikam.ini", ini.as_bytes().to_vec(), None),
    ];
    let mut listed = Vec::new();
    for (path, bytes, version) in files {
        let on_disk = prefix.drive_c(path);
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, &bytes).unwrap();
        let mut file = ProfileFile {
            path: path.into(),
            size: bytes.len() as u32,
            version,
            ..ProfileFile::default()
        };
        if path.ends_with(".ini") {
            let values = [("list", "a, b,c"), ("home", r"C:\Tools")];
            let values = values.map(|(k, v)| (k.to_string(), v.to_string()));
            file.ini
                .insert("paths".into(), values.into_iter().collect());
        }
        listed.push(file);
    }
    let values = vec![
        ("App", r#""C:\Tools\app.exe" /run"#),
        ("Tools", r"C:\Tools"),
    ];
    for (name, data) in &values {
        prefix.reg_add(r"HKLM\SOFTWARE\Fabrikam\Search", name, "REG_SZ", data);
    }
    Machine {
        files: listed,
        values,
    }
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn file_folder_registry_and_ini_searches_find_what_wine_finds() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    with_searches(&msi);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let held = machine(&prefix);
    let mut profile = profile_for(Windows::Win10);
    profile.files = held.files;
    for (name, data) in held.values {
        let key = (
            RegistryRoot::LocalMachine,
            r"software\fabrikam\search".to_string(),
            name.to_ascii_lowercase(),
        );
        profile
            .registry
            .insert(key, ProfileValue::String(data.into()));
    }
    let none = CommandLine::default();
    let prediction = predict(&msi, &profile, &none);
    assert!(
        prediction.unsimulated.is_empty(),
        "{:#?}",
        prediction.unsimulated
    );
    let found = |name: &str| {
        let write = prediction
            .registry
            .iter()
            .find(|write| write.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("{name} not written"));
        format!("{:?}", write.data)
    };
    // The comparison with Wine is of sets; these say the searches found something and not
    // everything.
    assert!(
        found("FOUND_APP").contains(r"C:\\Tools\\app.exe"),
        "{}",
        found("FOUND_APP")
    );
    assert!(
        found("DEEP").contains(r"C:\\Tools\\Sub\\deep.txt"),
        "{}",
        found("DEEP")
    );
    assert!(found("INI_LIST").contains("<b>"), "{}", found("INI_LIST"));
    assert!(found("TOO_NEW").contains("<>"), "{}", found("TOO_NEW"));
    assert!(found("SHALLOW").contains("<>"), "{}", found("SHALLOW"));
    let before = prefix.snapshot();
    let context = "AppSearch file searches on win10";
    assert_install_agrees(&prefix, &msi, &none, &prediction, &before, context);
    assert_uninstall_agrees(&prefix, &msi, &prediction, &before, context);
}
