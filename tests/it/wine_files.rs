//! The file actions against Wine's msiexec, every file and folder on C: compared after `/i`
//! and after `/x`: the package's files in nested folders, an empty CreateFolder folder,
//! DuplicateFile copies (into another folder, and beside the source under a new name),
//! RemoveFile rows that delete a file and an empty folder the machine holds at install, a
//! named file at uninstall, and a wildcard that Wine deletes nothing for. What Wine leaves:
//! the folders above the removed components' folders, and a folder emptied only by
//! RemoveFolders after RemoveFiles looked at it.

use crate::support::wine::{Windows, WinePrefix};
use crate::support::wixl_package;
use crate::verify_wine::{
    assert_install_agrees, assert_uninstall_agrees, predict, profile_for, run_query, schedule,
};
use msikit::simulate::profile::ProfileFile;
use msikit::simulate::{CommandLine, Prediction};
use std::path::{Path, PathBuf};

/// The fixture package, with its two source files written beside the WiX.
fn package(dir: &Path) -> Option<PathBuf> {
    std::fs::write(dir.join("tool.txt"), "tool").unwrap();
    std::fs::write(dir.join("data.txt"), "data").unwrap();
    wixl_package("files-and-folders", dir)
}

/// The machine's files the RemoveFile rows name, in the prefix and the profile alike.
const HELD: &[&str] = &[
    r"C:\Old\old.txt",
    r"C:\Old\keep.txt",
    r"C:\Old\remove.me",
    r"C:\Old\stale.log",
];

/// (FileKey, Component_, FileName or "" for none, DirProperty, InstallMode).
const REMOVE_FILES: &[(&str, &str, &str, &str, i32)] = &[
    ("RmOld", "Tool", "old.txt", "OLDDIR", 1),
    ("RmEmpty", "Tool", "", "OLDEMPTY", 1),
    ("RmLater", "Data", "remove.me", "OLDDIR", 2),
    ("RmLogs", "Data", "*.log", "OLDDIR", 3),
];

fn with_copies_and_removals(msi: &Path) {
    run_query(
        msi,
        "CREATE TABLE `DuplicateFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) \
         NOT NULL, `File_` CHAR(72) NOT NULL, `DestName` CHAR(255) LOCALIZABLE, \
         `DestFolder` CHAR(72) PRIMARY KEY `FileKey`)",
    );
    run_query(
        msi,
        "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`, \
         `DestFolder`) VALUES ('DupTool', 'Tool', 'ToolTxt', 'tool-copy.txt', 'CopiesFolder')",
    );
    run_query(
        msi,
        "INSERT INTO `DuplicateFile` (`FileKey`, `Component_`, `File_`, `DestName`) \
         VALUES ('DupData', 'Data', 'DataTxt', 'DATA2~1.TXT|data two.txt')",
    );
    for (key, component, name, property, mode) in REMOVE_FILES {
        let (column, value) = match name.is_empty() {
            true => (String::new(), String::new()),
            false => (", `FileName`".to_string(), format!(", '{name}'")),
        };
        run_query(
            msi,
            &format!(
                "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `DirProperty`, \
                 `InstallMode`{column}) VALUES ('{key}', '{component}', '{property}', \
                 {mode}{value})"
            ),
        );
    }
    for (property, value) in [("OLDDIR", r"C:\Old\"), ("OLDEMPTY", r"C:\Old\Empty\")] {
        run_query(
            msi,
            &format!(
                "INSERT INTO `Property` (`Property`, `Value`) VALUES ('{property}', '{value}')"
            ),
        );
    }
    schedule(msi, "RemoveDuplicateFiles", "", 3400);
    schedule(msi, "DuplicateFiles", "", 4210);
}

fn paths(items: impl Iterator<Item = String>) -> Vec<String> {
    items.collect()
}

fn check(msi: &Path, prefix: &WinePrefix, prediction: &Prediction, context: &str) {
    let none = CommandLine::default();
    let before = prefix.snapshot();
    assert_install_agrees(prefix, msi, &none, prediction, &before, context);
    assert_uninstall_agrees(prefix, msi, prediction, &before, context);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn files_and_folders_made_and_left_as_wine_does() {
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(dir.path()) else {
        return;
    };
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
    // The comparison with Wine is of sets; these say what they hold.
    let folders = paths(prediction.folders.iter().map(|f| f.path.clone()));
    assert!(
        folders.contains(&r"C:\Program Files\Fabrikam\Files And Folders\Empty\".to_string()),
        "{folders:#?}"
    );
    let left = paths(prediction.residue.iter().map(|r| r.item.clone()));
    assert_eq!(
        left,
        [
            r"C:\Program Files\Fabrikam\",
            r"C:\Program Files\Fabrikam\Files And Folders\"
        ],
        "{:#?}",
        prediction.residue
    );
    check(&msi, &prefix, &prediction, "files and folders on win10");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn copies_and_removals_of_the_machines_files_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(dir.path()) else {
        return;
    };
    with_copies_and_removals(&msi);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let mut profile = profile_for(Windows::Win10);
    for path in HELD {
        let on_disk = prefix.drive_c(path);
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, "held").unwrap();
        profile.files.push(ProfileFile {
            path: path.to_string(),
            size: 4,
            ..ProfileFile::default()
        });
    }
    std::fs::create_dir_all(prefix.drive_c(r"C:\Old\Empty")).unwrap();
    profile.folders.push(r"C:\Old\Empty".into());
    let prediction = predict(&msi, &profile, &CommandLine::default());
    let deleted = paths(prediction.files_removed.iter().map(|r| r.path.clone()));
    // Wine deletes no `*.log`: the name goes to DeleteFile as it is.
    assert_eq!(
        deleted,
        [r"C:\Old\old.txt", r"C:\Old\Empty\", r"C:\Old\remove.me"],
        "{:#?}",
        prediction.files_removed
    );
    let copies = paths(prediction.files.iter().map(|f| f.path.clone()));
    assert!(
        copies.contains(
            &r"C:\Program Files\Fabrikam\Files And Folders\Copies\tool-copy.txt".to_string()
        ) && copies.contains(
            &r"C:\Program Files\Fabrikam\Files And Folders\Data Files\data two.txt".to_string()
        ),
        "{copies:#?}"
    );
    check(&msi, &prefix, &prediction, "copies and removals on win10");
}

/// (IniFile, FileName, DirProperty or "", Section, Key, Value, Action).
const INI_ROWS: &[(&str, &str, &str, &str, &str, &str, i32)] = &[
    (
        "Owner",
        "FAB~1.INI|fabrikam.ini",
        "",
        "Main",
        "Owner",
        "[Manufacturer]",
        0,
    ),
    ("Held", "fabrikam.ini", "", "Main", "Held", "new", 1),
    (
        "Fresh",
        "fabrikam.ini",
        "",
        "[Manufacturer]",
        "Fresh",
        "yes",
        1,
    ),
    ("Tag", "fabrikam.ini", "", "Main", "Tags", "x", 3),
    ("Other", "other.ini", "INIDIR", "S", "K", "V", 0),
    ("Nowhere", "lost.ini", "NODIR", "S", "K", "V", 0),
];

fn with_ini_rows(msi: &Path) {
    run_query(
        msi,
        "CREATE TABLE `IniFile` (`IniFile` CHAR(72) NOT NULL, `FileName` CHAR(255) NOT NULL \
         LOCALIZABLE, `DirProperty` CHAR(72), `Section` CHAR(96) NOT NULL LOCALIZABLE, `Key` \
         CHAR(128) NOT NULL LOCALIZABLE, `Value` CHAR(255) NOT NULL LOCALIZABLE, `Action` SHORT \
         NOT NULL, `Component_` CHAR(72) NOT NULL PRIMARY KEY `IniFile`)",
    );
    for (id, file, folder, section, key, value, action) in INI_ROWS {
        let (column, cell) = match folder.is_empty() {
            true => (String::new(), String::new()),
            false => (", `DirProperty`".to_string(), format!(", '{folder}'")),
        };
        run_query(
            msi,
            &format!(
                "INSERT INTO `IniFile` (`IniFile`, `FileName`, `Section`, `Key`, `Value`, \
                 `Action`, `Component_`{column}) VALUES ('{id}', '{file}', '{section}', '{key}', \
                 '{value}', {action}, 'Settings'{cell})"
            ),
        );
    }
    run_query(
        msi,
        "CREATE TABLE `RemoveIniFile` (`RemoveIniFile` CHAR(72) NOT NULL, `FileName` CHAR(255) \
         NOT NULL LOCALIZABLE, `DirProperty` CHAR(72), `Section` CHAR(96) NOT NULL LOCALIZABLE, \
         `Key` CHAR(128) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, `Action` SHORT NOT \
         NULL, `Component_` CHAR(72) NOT NULL PRIMARY KEY `RemoveIniFile`)",
    );
    run_query(
        msi,
        "INSERT INTO `RemoveIniFile` (`RemoveIniFile`, `FileName`, `Section`, `Key`, `Action`, \
         `Component_`) VALUES ('Gone', 'fabrikam.ini', 'Main', 'Gone', 2, 'Settings')",
    );
    for (property, value) in [("INIDIR", r"C:\IniDir\"), ("NODIR", r"C:\NoSuchDir\")] {
        run_query(
            msi,
            &format!(
                "INSERT INTO `Property` (`Property`, `Value`) VALUES ('{property}', '{value}')"
            ),
        );
    }
    schedule(msi, "RemoveIniValues", "", 3100);
    schedule(msi, "WriteIniValues", "", 5100);
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn ini_values_written_kept_and_removed_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    with_ini_rows(&msi);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let held = "[Main]\r\nHeld=old\r\nGone=1\r\nStays=1\r\n";
    std::fs::write(prefix.drive_c(r"C:\windows\fabrikam.ini"), held).unwrap();
    std::fs::create_dir_all(prefix.drive_c(r"C:\IniDir")).unwrap();
    let mut profile = profile_for(Windows::Win10);
    let mut ini = ProfileFile {
        path: r"C:\windows\fabrikam.ini".into(),
        size: held.len() as u32,
        ..ProfileFile::default()
    };
    let values = [("held", "old"), ("gone", "1"), ("stays", "1")];
    let values = values.map(|(key, value)| (key.to_string(), value.to_string()));
    ini.ini.insert("main".into(), values.into_iter().collect());
    profile.files.push(ini);
    profile.folders.push(r"C:\IniDir".into());
    let prediction = predict(&msi, &profile, &CommandLine::default());
    let changes: Vec<String> = prediction
        .ini_changes
        .iter()
        .map(|c| format!("{} {}={:?} {}", c.section, c.key, c.value, c.at_uninstall))
        .collect();
    // Held keeps its value (action 1), Tags gets none (Wine), lost.ini's folder is missing;
    // uninstall takes Held out all the same.
    assert_eq!(
        changes,
        [
            "Main Gone=None false",
            "Main Owner=Some(\"Fabrikam\") false",
            "Fabrikam Fresh=Some(\"yes\") false",
            "S K=Some(\"V\") false",
            "Main Owner=None true",
            "Main Held=None true",
            "Fabrikam Fresh=None true",
            "S K=None true",
        ],
        "{:#?}",
        prediction.ini_changes
    );
    check(&msi, &prefix, &prediction, "INI values on win10");
    let text = std::fs::read_to_string(prefix.drive_c(r"C:\windows\fabrikam.ini")).unwrap();
    assert!(text.contains("Stays=1"), "{text}");
}

/// (ServiceInstall, Name, the other columns as SQL).
const SERVICES: &[(&str, &str, &str, &str)] = &[
    (
        "Full",
        "FabSvc",
        "`DisplayName`, `ServiceType`, `StartType`, `ErrorControl`, `Arguments`, `Description`",
        "'[ProductName] Service', 16, 3, 32769, '--run', 'Does things'",
    ),
    (
        "Plain",
        "FabPlain",
        "`ServiceType`, `StartType`, `ErrorControl`",
        "16, 4, 0",
    ),
    (
        "Boot",
        "FabBoot",
        "`ServiceType`, `StartType`, `ErrorControl`",
        "1, 0, 1",
    ),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn services_registered_and_deleted_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(dir.path()) else {
        return;
    };
    for (id, name, columns, values) in SERVICES {
        run_query(
            &msi,
            &format!(
                "INSERT INTO `ServiceInstall` (`ServiceInstall`, `Name`, `Component_`, {columns}) \
                 VALUES ('{id}', '{name}', 'Tool', {values})"
            ),
        );
    }
    run_query(
        &msi,
        "INSERT INTO `ServiceControl` (`ServiceControl`, `Name`, `Event`, `Component_`) \
         VALUES ('DeleteFull', 'FabSvc', 128, 'Tool')",
    );
    schedule(&msi, "DeleteServices", "", 2000);
    schedule(&msi, "InstallServices", "", 5800);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
    assert!(
        prediction.unsimulated.is_empty(),
        "{:#?}",
        prediction.unsimulated
    );
    let services: Vec<String> = prediction
        .registry
        .iter()
        .filter(|write| write.key.contains("Services"))
        .map(|write| write.display_key())
        .collect();
    assert_eq!(services.len(), 14, "{services:#?}");
    let left = paths(prediction.residue.iter().map(|r| r.item.clone()));
    assert!(
        left.iter().any(|item| item.contains("FabPlain"))
            && !left.iter().any(|item| item.contains("FabSvc")),
        "{left:#?}"
    );
    check(&msi, &prefix, &prediction, "services on win10");
}

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn shared_dll_counts_are_kept_as_wine_keeps_them() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = package(dir.path()) else {
        return;
    };
    // Tool counts its files; Data does too and is permanent, so its count stays at `/x`.
    for (component, flags) in [("Tool", 0x8), ("Data", 0x8 | 0x10)] {
        run_query(
            &msi,
            &format!(
                "UPDATE `Component` SET `Attributes` = {} WHERE `Component` = '{component}'",
                0x100 | flags
            ),
        );
    }
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let prediction = predict(&msi, &profile_for(Windows::Win10), &CommandLine::default());
    let counts: Vec<String> = prediction
        .registry
        .iter()
        .filter(|write| write.key.ends_with("SharedDLLs"))
        .map(|write| format!("{:?} {:?}", write.name, write.data))
        .collect();
    assert_eq!(counts.len(), 3, "{counts:#?}");
    assert!(counts.contains(&"None KeyKept".to_string()), "{counts:#?}");
    assert!(
        counts
            .iter()
            .any(|c| c.contains("data.txt") && c.contains("Dword(2)")),
        "{counts:#?}"
    );
    check(&msi, &prefix, &prediction, "shared DLL counts on win10");
}

/// (FileKey, SourceName, DestName or "", DestFolder property, Options).
const MOVES: &[(&str, &str, &str, &str, i32)] = &[
    ("Copy", "copy.txt", "", "NEWDIR", 0),
    ("Move", "move.txt", "MOVED~1.TXT|moved.txt", "NEWDIR", 1),
    ("Missing", "absent.txt", "", "OTHERDIR", 0),
];

#[test]
#[cfg_attr(
    sspr_missing_tools,
    ignore = "needs the tools scripts/test.sh installs"
)]
fn files_moved_and_copied_as_wine_does() {
    if !crate::support::require("msibuild") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(msi) = wixl_package("registry-per-machine", dir.path()) else {
        return;
    };
    run_query(
        &msi,
        "CREATE TABLE `MoveFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) NOT NULL, \
         `SourceName` CHAR(255) LOCALIZABLE, `DestName` CHAR(255) LOCALIZABLE, `SourceFolder` \
         CHAR(72), `DestFolder` CHAR(72) NOT NULL, `Options` SHORT NOT NULL PRIMARY KEY \
         `FileKey`)",
    );
    for (key, source, dest, folder, options) in MOVES {
        let (column, cell) = match dest.is_empty() {
            true => (String::new(), String::new()),
            false => (", `DestName`".to_string(), format!(", '{dest}'")),
        };
        run_query(
            &msi,
            &format!(
                "INSERT INTO `MoveFile` (`FileKey`, `Component_`, `SourceName`, `SourceFolder`, \
                 `DestFolder`, `Options`{column}) VALUES ('{key}', 'Settings', '{source}', \
                 'OLDDIR', '{folder}', {options}{cell})"
            ),
        );
    }
    let folders = [
        ("OLDDIR", r"C:\Old\"),
        ("NEWDIR", r"C:\New\"),
        ("OTHERDIR", r"C:\Other\"),
    ];
    for (property, value) in folders {
        run_query(
            &msi,
            &format!(
                "INSERT INTO `Property` (`Property`, `Value`) VALUES ('{property}', '{value}')"
            ),
        );
    }
    schedule(&msi, "MoveFiles", "", 3800);
    let Some(prefix) = WinePrefix::new(Windows::Win10) else {
        return;
    };
    let mut profile = profile_for(Windows::Win10);
    for path in [r"C:\Old\copy.txt", r"C:\Old\move.txt"] {
        let on_disk = prefix.drive_c(path);
        std::fs::create_dir_all(on_disk.parent().unwrap()).unwrap();
        std::fs::write(&on_disk, "held").unwrap();
        profile.files.push(ProfileFile {
            path: path.to_string(),
            size: 4,
            ..ProfileFile::default()
        });
    }
    let prediction = predict(&msi, &profile, &CommandLine::default());
    assert!(
        prediction.unsimulated.is_empty(),
        "{:#?}",
        prediction.unsimulated
    );
    let made = paths(prediction.files.iter().map(|f| f.path.clone()));
    assert_eq!(made, [r"C:\New\copy.txt", r"C:\New\moved.txt"], "{made:#?}");
    let deleted = paths(prediction.files_removed.iter().map(|r| r.path.clone()));
    assert_eq!(deleted, [r"C:\Old\move.txt"]);
    check(&msi, &prefix, &prediction, "MoveFile rows on win10");
}
