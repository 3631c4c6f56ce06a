//! Random but valid packages for the differential campaign, one per seed: the same seed always
//! gives the same package. A case is WiX for wixl (product, folders, components, files, a
//! registry search) plus SQL that msibuild runs on the result for what wixl cannot write
//! (registry rows of every shape, component and feature conditions, launch conditions), and the
//! properties `/i` is given.

use std::fmt::Write as _;

/// One generated case.
pub struct RandomPackage {
    pub seed: u64,
    pub x64: bool,
    pub wxs: String,
    /// Source files the WiX names, with their contents.
    pub files: Vec<(String, String)>,
    /// msibuild `-q` queries, in order.
    pub queries: Vec<String>,
    /// `NAME=value` for `msiexec /i`.
    pub install_properties: Vec<(String, String)>,
}

/// SplitMix64: small, seedable and the same everywhere.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The properties conditions and values use; P0–P2 are the package's own.
const PROPERTIES: &[&str] = &[
    "P0",
    "P1",
    "P2",
    "FOUND",
    "VersionNT",
    "VersionNT64",
    "Installed",
    "REMOVE",
    "MsiNTProductType",
    "UNSET",
];
const VALUES: &[&str] = &[
    "0", "1", "3", "7", "10", "601", "\"a\"", "\"B\"", "\"ab\"", "\"10\"",
];
const COMPARISONS: &[&str] = &["=", "<>", "<", ">", "<=", ">=", "~=", "><", "<<", ">>"];
const JOINS: &[&str] = &["AND", "OR", "AND", "OR", "XOR", "EQV", "IMP"];
const OWN_VALUES: &[&str] = &["0", "1", "3", "7", "10", "a", "B", "ab"];

fn condition(random: &mut Random, depth: usize) -> String {
    let choice = if depth >= 2 {
        random.below(3)
    } else {
        random.below(6)
    };
    match choice {
        0 => random.pick(PROPERTIES).to_string(),
        1 | 2 => format!(
            "{} {} {}",
            random.pick(PROPERTIES),
            random.pick(COMPARISONS),
            random.pick(VALUES)
        ),
        3 => format!("NOT {}", condition(random, depth + 1)),
        4 => format!("({})", condition(random, depth + 1)),
        _ => format!(
            "{} {} {}",
            condition(random, depth + 1),
            random.pick(JOINS),
            condition(random, depth + 1)
        ),
    }
}

/// Registry rows of every shape the Registry table allows: (Root, Name, Value); `None` is null.
fn registry_row(random: &mut Random) -> (i32, Option<String>, Option<String>) {
    let root = *random.pick(&[-1, 0, 1, 2, 2, 2]);
    let name = match random.below(8) {
        0 => None,
        1 => Some("+".to_string()),
        2 => Some("*".to_string()),
        3 => Some("-".to_string()),
        n => Some(format!("v{n}")),
    };
    let value = match random.below(9) {
        0 => None,
        1 => Some("plain".to_string()),
        2 => Some("[P0] and [P1]".to_string()),
        3 => Some("#42".to_string()),
        4 => Some("#[P0]".to_string()),
        5 => Some("#x0A0B".to_string()),
        6 => Some("#%%SystemRoot%\\[P2]".to_string()),
        7 => Some("a[~]b[~][P0]".to_string()),
        _ => Some("[~]tail".to_string()),
    };
    (root, name, value)
}

/// wixl reads no CDATA: the condition as escaped text.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl RandomPackage {
    pub fn new(seed: u64) -> RandomPackage {
        let mut random = Random(seed);
        let x64 = random.chance(70);
        let installer_version = if random.chance(5) {
            100
        } else {
            *random.pick(&[200, 300, 500])
        };
        let mut wxs = String::new();
        let mut queries = Vec::new();
        let mut files = Vec::new();
        let tag = format!("{seed:012X}");
        let _ = writeln!(
            wxs,
            r#"<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{{3B2E6C1A-5D4F-4C7B-9A8E-{tag}}}" Name="Differential {seed}" Language="1033"
           Version="1.0.0" Manufacturer="Fabrikam" UpgradeCode="{{8C1D2E3F-4A5B-4C6D-8E7F-{tag}}}">
    <Package InstallerVersion="{installer_version}" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="a.cab" EmbedCab="yes"/>"#
        );
        for property in ["P0", "P1", "P2"] {
            if random.chance(80) {
                let value = random.pick(OWN_VALUES);
                let _ = writeln!(wxs, r#"    <Property Id="{property}" Value="{value}"/>"#);
            }
        }
        let searched = random.chance(50);
        if searched {
            let (key, name) = random.pick(&[
                (
                    r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                    "CurrentBuildNumber",
                ),
                (
                    r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                    "CurrentVersion",
                ),
                (
                    r"SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                    "NoSuchValue",
                ),
                (r"SOFTWARE\Fabrikam\Missing", "Anything"),
            ]);
            let win64 = if x64 && random.chance(50) {
                "yes"
            } else {
                "no"
            };
            let _ = writeln!(
                wxs,
                r#"    <Property Id="FOUND"><RegistrySearch Id="Search" Root="HKLM" Key="{key}" Name="{name}" Type="raw" Win64="{win64}"/></Property>"#
            );
        }
        // Most cases get past LaunchConditions, so that there is an install to compare.
        let launch_conditions = *random.pick(&[0, 0, 0, 0, 1, 1, 1, 2]);
        for index in 0..launch_conditions {
            let _ = writeln!(
                wxs,
                "    <Condition Message=\"launch condition {index} of [ProductName]\">{}</Condition>",
                xml_text(&condition(&mut random, 0))
            );
        }
        let components = 2 + random.below(3);
        let _ = writeln!(wxs, r#"    <Directory Id="TARGETDIR" Name="SourceDir">"#);
        let folders: &[(&str, bool)] = if x64 {
            &[
                ("ProgramFilesFolder", false),
                ("ProgramFiles64Folder", true),
            ]
        } else {
            &[("ProgramFilesFolder", false)]
        };
        let mut component_rows = Vec::new();
        // (component, its Directory, its file's id when it has one), for the file actions.
        let mut placed: Vec<(String, String, Option<String>)> = Vec::new();
        for (folder, win64) in folders {
            let _ = writeln!(wxs, r#"      <Directory Id="{folder}">"#);
            let _ = writeln!(
                wxs,
                r#"        <Directory Id="App{win64}" Name="Differential {seed}">"#
            );
            for index in 0..components {
                // Each component goes to one of the folders, at random.
                if folders.len() > 1 && (index % 2 == 1) != *win64 {
                    continue;
                }
                let id = format!("C{index}");
                let guid = format!("{{5E6F7A8B-9C0D-4E1F-A2B{index}-{tag}}}");
                let win64_attribute = if *win64 { " Win64=\"yes\"" } else { "" };
                let _ = writeln!(
                    wxs,
                    r#"          <Component Id="{id}" Guid="{guid}"{win64_attribute}>"#
                );
                let has_file = random.chance(50);
                placed.push((
                    id.clone(),
                    format!("App{win64}"),
                    has_file.then(|| format!("F{index}")),
                ));
                if has_file {
                    let name = format!("file{index}.txt");
                    let _ = writeln!(
                        wxs,
                        r#"            <File Id="F{index}" Name="{name}" Source="{name}" KeyPath="yes"/>"#
                    );
                    files.push((name, format!("file {index} of case {seed}\n")));
                } else {
                    let _ = writeln!(
                        wxs,
                        r#"            <RegistryValue Root="HKLM" Key="SOFTWARE\Differential\{seed}\{id}" Name="key" Type="string" Value="{id}" KeyPath="yes"/>"#
                    );
                }
                let _ = writeln!(wxs, "          </Component>");
                component_rows.push(id);
            }
            let _ = writeln!(wxs, "        </Directory>\n      </Directory>");
        }
        let _ = writeln!(wxs, "    </Directory>");
        let features = 1 + random.below(2);
        for feature in 0..features {
            // The first feature is usually on, the second often not.
            let levels: &[i32] = match feature {
                0 => &[1, 1, 1, 1, 1, 2, 0],
                _ => &[1, 1, 2, 3, 0],
            };
            let level = *random.pick(levels);
            let _ = writeln!(
                wxs,
                r#"    <Feature Id="Feature{feature}" Level="{level}">"#
            );
            for (index, id) in component_rows.iter().enumerate() {
                if index % features == feature {
                    let _ = writeln!(wxs, r#"      <ComponentRef Id="{id}"/>"#);
                }
            }
            let _ = writeln!(wxs, "    </Feature>");
        }
        let _ = writeln!(wxs, "  </Product>\n</Wix>");

        for id in &component_rows {
            for row in 0..random.below(4) {
                let (root, name, value) = registry_row(&mut random);
                let key = format!(r"SOFTWARE\Differential\{seed}\{id}\r{row}");
                // msibuild's SQL has no NULL literal: a null cell is a column left out.
                let mut columns = vec!["`Registry`", "`Root`", "`Key`", "`Component_`"];
                let mut values = vec![format!("'{id}r{row}'"), root.to_string(), quoted(&key)];
                values.push(format!("'{id}'"));
                for (column, cell) in [("`Name`", name), ("`Value`", value)] {
                    if let Some(text) = cell {
                        columns.push(column);
                        values.push(quoted(&text));
                    }
                }
                queries.push(format!(
                    "INSERT INTO `Registry` ({}) VALUES ({})",
                    columns.join(", "),
                    values.join(", ")
                ));
            }
            if random.chance(30) {
                queries.push(format!(
                    "UPDATE `Component` SET `Condition` = {} WHERE `Component` = '{id}'",
                    quoted(&condition(&mut random, 0))
                ));
            }
        }
        if random.chance(30) {
            queries.push(
                "CREATE TABLE `Condition` (`Feature_` CHAR(38) NOT NULL, `Level` SHORT NOT NULL, \
                 `Condition` CHAR(255) PRIMARY KEY `Feature_`, `Level`)"
                    .to_string(),
            );
            let level = *random.pick(&[0, 1, 4]);
            queries.push(format!(
                "INSERT INTO `Condition` (`Feature_`, `Level`, `Condition`) VALUES ('Feature0', {level}, {})",
                quoted(&condition(&mut random, 0))
            ));
        }
        if random.chance(20) {
            let level = *random.pick(&["1", "2", "3"]);
            queries.push(format!(
                "INSERT INTO `Property` (`Property`, `Value`) VALUES ('INSTALLLEVEL', '{level}')"
            ));
        }
        let mut install_properties = Vec::new();
        if random.chance(30) {
            let property = random.pick(&["P0", "P1", "P2", "INSTALLLEVEL"]);
            let value = random.pick(OWN_VALUES);
            install_properties.push((property.to_string(), value.to_string()));
        }
        // Drawn after everything above, so that the rest of each seed's package is what it
        // was before these were generated (README "Differential campaign").
        file_actions(&mut random, seed, &placed, &mut queries);
        folder_searches(&mut random, seed, searched, &component_rows, &mut queries);
        // Since 0ebf838, after all of the above for the same reason.
        ini_rows(&mut random, seed, &placed, &mut queries);
        services_and_counts(&mut random, seed, x64, &placed, &mut queries);
        RandomPackage {
            seed,
            x64,
            wxs,
            files,
            queries,
            install_properties,
        }
    }
}

fn schedule(queries: &mut Vec<String>, action: &str, sequence: u32) {
    queries.push(format!(
        "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) VALUES ('{action}', {sequence})"
    ));
}

/// CreateFolder, DuplicateFile and RemoveFile rows over the package's own folders and files.
fn file_actions(
    random: &mut Random,
    seed: u64,
    placed: &[(String, String, Option<String>)],
    queries: &mut Vec<String>,
) {
    let folders: Vec<&str> = placed
        .iter()
        .map(|(_, folder, _)| folder.as_str())
        .collect();
    let with_files: Vec<(&str, &str, &str)> = placed
        .iter()
        .filter_map(|(id, folder, file)| Some((id.as_str(), folder.as_str(), file.as_deref()?)))
        .collect();
    let mut targets: Vec<String> = folders.iter().map(|f| f.to_string()).collect();
    if random.chance(30) {
        let parent = random.pick(&folders);
        let (component, _, _) = random.pick(placed);
        queries.push(format!(
            "INSERT INTO `Directory` (`Directory`, `Directory_Parent`, `DefaultDir`) VALUES ('EmptyDir', '{parent}', 'Empty {seed}')"
        ));
        queries.push(format!(
            "INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES ('EmptyDir', '{component}')"
        ));
        schedule(queries, "RemoveFolders", 3600);
        schedule(queries, "CreateFolders", 3700);
        targets.push("EmptyDir".into());
    }
    if !with_files.is_empty() && random.chance(30) {
        queries.push(
            "CREATE TABLE `DuplicateFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) \
             NOT NULL, `File_` CHAR(72) NOT NULL, `DestName` CHAR(255) LOCALIZABLE, \
             `DestFolder` CHAR(72) PRIMARY KEY `FileKey`)"
                .into(),
        );
        for copy in 0..1 + random.below(2) {
            let (component, _, file) = random.pick(&with_files);
            let folder = random.chance(60).then(|| random.pick(&targets).clone());
            // A copy with neither a name nor a folder would be its source.
            let name = (folder.is_none() || random.chance(50)).then(|| format!("copy{copy}.txt"));
            let mut columns = vec!["`FileKey`", "`Component_`", "`File_`"];
            let mut values = vec![
                format!("'Dup{copy}'"),
                format!("'{component}'"),
                format!("'{file}'"),
            ];
            if let Some(name) = name {
                columns.push("`DestName`");
                values.push(quoted(&name));
            }
            if let Some(folder) = folder {
                columns.push("`DestFolder`");
                values.push(quoted(&folder));
            }
            queries.push(format!(
                "INSERT INTO `DuplicateFile` ({}) VALUES ({})",
                columns.join(", "),
                values.join(", ")
            ));
        }
        schedule(queries, "RemoveDuplicateFiles", 3400);
        schedule(queries, "DuplicateFiles", 4210);
    }
    if random.chance(30) {
        for row in 0..1 + random.below(3) {
            let (component, folder, file) = random.pick(placed);
            let mode = 1 + random.below(3);
            let name = match random.below(3) {
                0 => file.as_ref().map(|file| format!("file{}.txt", &file[1..])),
                1 => Some("*.txt".to_string()),
                _ => None,
            };
            let folder = match random.chance(70) {
                true => folder.clone(),
                false => random.pick(&targets).clone(),
            };
            let (column, value) = match name {
                Some(name) => (", `FileName`", format!(", {}", quoted(&name))),
                None => ("", String::new()),
            };
            queries.push(format!(
                "INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `DirProperty`, `InstallMode`{column}) \
                 VALUES ('Rm{row}', '{component}', '{folder}', {mode}{value})"
            ));
        }
        if with_files.is_empty() {
            schedule(queries, "RemoveFiles", 3500);
        }
    }
}

/// DrLocator folder and file searches whose result a registry value records.
fn folder_searches(
    random: &mut Random,
    seed: u64,
    searched: bool,
    components: &[String],
    queries: &mut Vec<String>,
) {
    if !random.chance(30) {
        return;
    }
    queries.push(
        "CREATE TABLE `DrLocator` (`Signature_` CHAR(72) NOT NULL, `Parent` CHAR(72), \
         `Path` CHAR(255), `Depth` SHORT PRIMARY KEY `Signature_`, `Parent`, `Path`)"
            .into(),
    );
    let paths = [
        "[WindowsFolder]".to_string(),
        "[ProgramFilesFolder]".to_string(),
        format!("[ProgramFilesFolder]Differential {seed}"),
        r"C:\Nowhere".to_string(),
        "Program Files".to_string(),
    ];
    for search in 0..1 + random.below(2) {
        let signature = format!("Dr{search}");
        let path = random.pick(&paths).clone();
        queries.push(format!(
            "INSERT INTO `DrLocator` (`Signature_`, `Path`, `Depth`) VALUES ('{signature}', {}, 0)",
            quoted(&path)
        ));
        if random.chance(40) {
            queries.push(format!(
                "INSERT INTO `Signature` (`Signature`, `FileName`) VALUES ('{signature}', 'absent{seed}.txt')"
            ));
        }
        let property = format!("FOUNDDIR{search}");
        queries.push(format!(
            "INSERT INTO `AppSearch` (`Property`, `Signature_`) VALUES ('{property}', '{signature}')"
        ));
        let component = random.pick(components);
        queries.push(format!(
            "INSERT INTO `Registry` (`Registry`, `Root`, `Key`, `Name`, `Value`, `Component_`) \
             VALUES ('Found{search}', 2, 'SOFTWARE\\Differential\\{seed}\\Found', '{property}', '<[{property}]>', '{component}')"
        ));
    }
    if !searched {
        schedule(queries, "AppSearch", 50);
    }
}

/// IniFile rows: formatted sections and values, actions 0, 1 and 3, in the Windows folder
/// or a package folder.
fn ini_rows(
    random: &mut Random,
    seed: u64,
    placed: &[(String, String, Option<String>)],
    queries: &mut Vec<String>,
) {
    if !random.chance(30) {
        return;
    }
    queries.push(
        "CREATE TABLE `IniFile` (`IniFile` CHAR(72) NOT NULL, `FileName` CHAR(255) NOT NULL \
         LOCALIZABLE, `DirProperty` CHAR(72), `Section` CHAR(96) NOT NULL LOCALIZABLE, `Key` \
         CHAR(128) NOT NULL LOCALIZABLE, `Value` CHAR(255) NOT NULL LOCALIZABLE, `Action` SHORT \
         NOT NULL, `Component_` CHAR(72) NOT NULL PRIMARY KEY `IniFile`)"
            .into(),
    );
    for row in 0..1 + random.below(3) {
        let (component, folder, _) = random.pick(placed);
        let (column, cell) = match random.chance(50) {
            true => (", `DirProperty`", format!(", '{folder}'")),
            false => ("", String::new()),
        };
        let section = random.pick(&["Main", "S[P0]"]);
        let key = random.pick(&["K0", "K1"]);
        let value = random.pick(&["v", "[P1]", "x[P2]"]);
        let action = random.pick(&[0, 0, 1, 3]);
        queries.push(format!(
            "INSERT INTO `IniFile` (`IniFile`, `FileName`, `Section`, `Key`, `Value`, `Action`, \
             `Component_`{column}) VALUES ('Ini{row}', 'diff{seed}.ini', '{section}', '{key}', \
             '{value}', {action}, '{component}'{cell})"
        ));
    }
    schedule(queries, "RemoveIniValues", 3100);
    schedule(queries, "WriteIniValues", 5100);
}

/// A service of a component whose key path is a file, deleted at uninstall or not, and the
/// SharedDllRefCount attribute on such a component.
fn services_and_counts(
    random: &mut Random,
    seed: u64,
    x64: bool,
    placed: &[(String, String, Option<String>)],
    queries: &mut Vec<String>,
) {
    let with_files: Vec<(&str, &str)> = placed
        .iter()
        .filter(|(_, _, file)| file.is_some())
        .map(|(id, folder, _)| (id.as_str(), folder.as_str()))
        .collect();
    if with_files.is_empty() {
        return;
    }
    if random.chance(20) {
        let (component, _) = random.pick(&with_files);
        let start = random.pick(&[2, 3, 4]);
        let error_control = random.pick(&[0, 1, 32769]);
        let (column, cell) = match random.chance(50) {
            true => (
                ", `DisplayName`",
                ", 'Differential [ProductName]'".to_string(),
            ),
            false => ("", String::new()),
        };
        queries.push(format!(
            "INSERT INTO `ServiceInstall` (`ServiceInstall`, `Name`, `ServiceType`, `StartType`, \
             `ErrorControl`, `Component_`{column}) VALUES ('Svc', 'DiffSvc{seed}', 16, {start}, \
             {error_control}, '{component}'{cell})"
        ));
        schedule(queries, "InstallServices", 5800);
        if random.chance(50) {
            queries.push(format!(
                "INSERT INTO `ServiceControl` (`ServiceControl`, `Name`, `Event`, `Component_`) \
                 VALUES ('SvcDelete', 'DiffSvc{seed}', 128, '{component}')"
            ));
            schedule(queries, "DeleteServices", 2000);
        }
    }
    if random.chance(20) {
        let (component, folder) = random.pick(&with_files);
        // The 64-bit folder's components are the 64-bit ones (0x100).
        let win64 = x64 && folder.ends_with("true");
        let attributes = if win64 { 0x100 | 0x8 } else { 0x8 };
        queries.push(format!(
            "UPDATE `Component` SET `Attributes` = {attributes} WHERE `Component` = '{component}'"
        ));
    }
}
