//! The built-in machine profiles and TOML profile files.

use crate::verify::profile_file::parse_profile_file;
use msikit::format::RegistryRoot;
use msikit::simulate::profile::*;

#[test]
fn a_profile_file_extends_a_built_in_profile() {
    let text = r#"
[[profile]]
name = "kiosk"
base = "win10-22h2-x64"
description = "Kiosk fleet"
properties = { MsiNTProductType = "1" }

[[profile.registry]]
key = 'HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
name = "EditionID"
string = "Core"

[[profile]]
name = "bare"
arch = "x86"
"#;
    let profiles = parse_profile_file(text, "fleet.toml").unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(profiles[0].name, "kiosk");
    assert!(profiles[0].is_64bit);
    assert_eq!(
        profiles[0].registry[&(
            RegistryRoot::LocalMachine,
            CURRENT_VERSION.to_string(),
            "editionid".to_string()
        )],
        ProfileValue::String("Core".into())
    );
    assert!(!profiles[1].is_64bit && profiles[1].registry.is_empty());
}

#[test]
fn a_profile_file_lists_installed_products() {
    let text = r#"
[[profile]]
name = "fleet-with-v1"
base = "win11-x64"

[[profile.product]]
product_code = "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A70}"
upgrade_code = "{8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E50}"
version = "1.0.0"
language = 1033
"#;
    let profiles = parse_profile_file(text, "fleet.toml").unwrap();
    assert_eq!(
        profiles[0].products,
        [InstalledProduct {
            product_code: "{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A70}".into(),
            upgrade_code: Some("{8C1D2E3F-4A5B-4C6D-8E7F-9A0B1C2D3E50}".into()),
            version: "1.0.0".into(),
            language: 1033,
            package_code: None,
        }]
    );
    assert!(by_name("win11-x64").unwrap().products.is_empty());
}

#[test]
fn a_profile_file_lists_files_and_folders_for_searches() {
    let text = r#"
[[profile]]
name = "tools"
base = "wine-win10"
folders = ['D:\Data\']

[[profile.file]]
path = 'C:\Tools\app.exe'
size = 4096
version = "2.1.0.7"
languages = [1033]

[[profile.file]]
path = 'C:\Windows\fabrikam.ini'
ini = { Paths = { Home = 'C:\Tools' } }
"#;
    let profiles = parse_profile_file(text, "fleet.toml").unwrap();
    let profile = &profiles[0];
    assert_eq!(profile.folders, [r"D:\Data"]);
    assert_eq!(
        profile.files[0],
        ProfileFile {
            path: r"C:\Tools\app.exe".into(),
            size: 4096,
            version: Some("2.1.0.7".into()),
            languages: vec![1033],
            ini: Default::default(),
        }
    );
    assert_eq!(profile.files[1].ini["paths"]["home"], r"C:\Tools");
}

#[test]
fn profile_file_errors_name_file_line_and_key() {
    let cases = [
        ("[[profile]]\nname = \"x\"\nbase = \"win99\"\n", 3, "profile.base", "unknown built-in profile `win99`"),
        ("[[profile]]\nname = \"x\"\narch = \"arm\"\n", 3, "profile.arch", "expected `x86`, `x64` or `arm64`"),
        ("[[profile]]\nname = \"x\"\n", 2, "profile.arch", "needs `base"),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.registry]]\nkey = 'HKXX\\A'\nname = \"n\"\ndword = 1\n",
            5,
            "profile.registry.key",
            "expected `HKLM",
        ),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.registry]]\nkey = 'HKLM\\A'\nname = \"n\"\ndword = -1\n",
            7,
            "profile.registry.dword",
            "not a 32-bit",
        ),
        ("[[profile]]\nname = \"x\"\nbogus = 1\n", 3, "profile.bogus", "unknown field"),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.product]]\nproduct_code = \"{3b2e6c1a-5d4f-4c7b-9a8e-1f2d3c4b5a70}\"\nversion = \"1.0\"\n",
            5,
            "profile.product.product_code",
            "expected an upper-case `{",
        ),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.product]]\nproduct_code = \"{3B2E6C1A-5D4F-4C7B-9A8E-1F2D3C4B5A70}\"\nversion = \"one\"\n",
            6,
            "profile.product.version",
            "expected `major.minor.build`",
        ),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.file]]\npath = 'Tools\\app.exe'\n",
            5,
            "profile.file.path",
            "expected a full path",
        ),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\nfolders = ['C:\\a\\..\\b']\n",
            4,
            "profile.folders",
            "no `.` or `..`",
        ),
        (
            "[[profile]]\nname = \"x\"\narch = \"x64\"\n[[profile.file]]\npath = 'C:\\a.exe'\nversion = \"v2\"\n",
            6,
            "profile.file.version",
            "expected a file version",
        ),
    ];
    for (text, line, key, message) in cases {
        let error = parse_profile_file(text, "fleet.toml").unwrap_err();
        assert_eq!(error.file, "fleet.toml");
        assert_eq!(error.line.map(|(line, _)| line), Some(line), "{error}");
        assert_eq!(error.key.as_deref(), Some(key), "{error}");
        assert!(error.message.contains(message), "{error}");
    }
}

#[test]
fn wine_profiles_match_what_wine_prefixes_report() {
    let win81 = by_name("wine-win81").unwrap();
    let major = (
        RegistryRoot::LocalMachine,
        CURRENT_VERSION.to_string(),
        "currentmajorversionnumber".to_string(),
    );
    assert_eq!(win81.registry[&major], ProfileValue::Dword(6));
    let win10 = by_name("wine-win10").unwrap();
    assert_eq!(win10.registry[&major], ProfileValue::Dword(10));
    assert_eq!(win10.properties["VersionNT"], "603");
}
