//! TOML profile files: a fleet's real machines, as built-in profiles plus their own
//! properties and registry values, with file:line:key errors like the configuration's.

use crate::config;
use crate::error::{ConfigError, ConfigProblem};
use crate::target::Arch;
use msikit::format::{Category, RegistryRoot};
use msikit::simulate::profile::{
    by_name, empty_profile, known_names, InstalledProduct, MachineProfile, ProfileFile,
    ProfileValue,
};
use toml::Spanned;

/// The TOML shape of a profile file: one `[[profile]]` table per machine.
mod raw {
    use serde::Deserialize;
    use std::collections::BTreeMap;
    use toml::Spanned;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct ProfileFile {
        pub profile: Vec<Profile>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Profile {
        pub name: Spanned<String>,
        #[serde(default)]
        pub description: String,
        /// A built-in profile to start from.
        pub base: Option<Spanned<String>>,
        /// `x86` or `x64`; required without `base`.
        pub arch: Option<Spanned<String>>,
        #[serde(default)]
        pub properties: BTreeMap<String, String>,
        #[serde(default)]
        pub registry: Vec<RegistryValue>,
        /// Products installed on the machine.
        #[serde(default)]
        pub product: Vec<Product>,
        /// Files on the machine, for AppSearch's file and INI searches.
        #[serde(default)]
        pub file: Vec<File>,
        /// Folders on the machine besides the standard ones and those holding files.
        #[serde(default)]
        pub folders: Vec<Spanned<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct File {
        pub path: Spanned<String>,
        #[serde(default)]
        pub size: u32,
        pub version: Option<Spanned<String>>,
        #[serde(default)]
        pub languages: Vec<u16>,
        /// An INI file's values: section → key → value.
        #[serde(default)]
        pub ini: BTreeMap<String, BTreeMap<String, String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Product {
        pub product_code: Spanned<String>,
        pub upgrade_code: Option<Spanned<String>>,
        pub version: Spanned<String>,
        #[serde(default)]
        pub language: u16,
        pub package_code: Option<Spanned<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct RegistryValue {
        /// `HKLM\SOFTWARE\…`: the root spelled out first.
        pub key: Spanned<String>,
        pub name: String,
        pub string: Option<String>,
        pub dword: Option<Spanned<i64>>,
    }
}

/// Reads machine profiles from a TOML profile file; `file` names it in errors.
///
/// # Errors
/// A [`ConfigError`] naming the file, line and key of the first problem.
pub fn parse_profile_file(text: &str, file: &str) -> Result<Vec<MachineProfile>, ConfigError> {
    let parsed: raw::ProfileFile =
        toml::from_str(text).map_err(|error| config::toml_error(text, file, &error))?;
    let error =
        |problem: ConfigProblem, span: std::ops::Range<usize>, key: &str, message: String| {
            config::located_error(text, file, span, key, problem, message)
        };
    let mut profiles = Vec::new();
    for entry in parsed.profile {
        let mut profile =
            match (&entry.base, &entry.arch) {
                (Some(base), _) => by_name(base.get_ref()).ok_or_else(|| {
                    error(
                        ConfigProblem::UnknownName,
                        base.span(),
                        "profile.base",
                        format!(
                            "unknown built-in profile `{}`; known: {}",
                            base.get_ref(),
                            known_names()
                        ),
                    )
                })?,
                (None, Some(_)) => empty_profile(false),
                (None, None) => return Err(error(
                    ConfigProblem::Incomplete,
                    entry.name.span(),
                    "profile.arch",
                    "a profile needs `base = \"<built-in profile>\"` or `arch = \"x86\"|\"x64\"|\"arm64\"`"
                        .into(),
                )),
            };
        if let Some(arch) = &entry.arch {
            let processor = Arch::from_key(arch.get_ref()).ok_or_else(|| {
                error(
                    ConfigProblem::UnknownName,
                    arch.span(),
                    "profile.arch",
                    format!(
                        "expected `x86`, `x64` or `arm64`, found `{}`",
                        arch.get_ref()
                    ),
                )
            })?;
            profile.set_processor(processor.processor());
        }
        profile.name = entry.name.get_ref().clone();
        if !entry.description.is_empty() {
            profile.description = entry.description.clone();
        }
        profile.properties.extend(entry.properties);
        for value in &entry.registry {
            let (root, key) = value
                .key
                .get_ref()
                .split_once('\\')
                .and_then(|(root, key)| Some((RegistryRoot::parse(root)?, key)))
                .ok_or_else(|| {
                    error(
                        ConfigProblem::Malformed,
                        value.key.span(),
                        "profile.registry.key",
                        format!(
                            "expected `HKLM\\…`, `HKCU\\…`, `HKCR\\…` or `HKU\\…`, found `{}`",
                            value.key.get_ref()
                        ),
                    )
                })?;
            let data = match (&value.string, &value.dword) {
                (Some(text), None) => ProfileValue::String(text.clone()),
                (None, Some(number)) => {
                    ProfileValue::Dword(u32::try_from(*number.get_ref()).map_err(|_| {
                        error(
                            ConfigProblem::OutOfRange,
                            number.span(),
                            "profile.registry.dword",
                            format!("{} is not a 32-bit unsigned value", number.get_ref()),
                        )
                    })?)
                }
                _ => {
                    return Err(error(
                        ConfigProblem::Conflict,
                        value.key.span(),
                        "profile.registry",
                        "give exactly one of `string = \"…\"` or `dword = N`".into(),
                    ))
                }
            };
            profile.registry.insert(
                (
                    root,
                    key.to_ascii_lowercase(),
                    value.name.to_ascii_lowercase(),
                ),
                data,
            );
        }
        for product in &entry.product {
            profile
                .products
                .push(installed_product(product, text, file)?);
        }
        for folder in &entry.folders {
            profile
                .folders
                .push(full_path(folder, "profile.folders", text, file)?);
        }
        for entry in &entry.file {
            profile.files.push(profile_file(entry, text, file)?);
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

/// One `[[profile.product]]`: GUIDs in the upper-case braced form the registry keeps.
fn installed_product(
    product: &raw::Product,
    text: &str,
    file: &str,
) -> Result<InstalledProduct, ConfigError> {
    let malformed = |span, key: &str, message| {
        config::located_error(text, file, span, key, ConfigProblem::Malformed, message)
    };
    let guid = |field: &Spanned<String>, key: &str| match Category::Guid.accepts(field.get_ref()) {
        true => Ok(field.get_ref().clone()),
        false => Err(malformed(
            field.span(),
            key,
            format!(
                "expected an upper-case `{{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}}`, found `{}`",
                field.get_ref()
            ),
        )),
    };
    let optional_guid = |field: &Option<Spanned<String>>, key: &str| {
        field.as_ref().map(|field| guid(field, key)).transpose()
    };
    let version = &product.version;
    if !Category::Version.accepts(version.get_ref()) {
        return Err(malformed(
            version.span(),
            "profile.product.version",
            format!(
                "expected `major.minor.build`, found `{}`",
                version.get_ref()
            ),
        ));
    }
    Ok(InstalledProduct {
        product_code: guid(&product.product_code, "profile.product.product_code")?,
        upgrade_code: optional_guid(&product.upgrade_code, "profile.product.upgrade_code")?,
        version: version.get_ref().clone(),
        language: u32::from(product.language),
        package_code: optional_guid(&product.package_code, "profile.product.package_code")?,
    })
}

/// A path a profile gives: full (`C:\…`), at most MAX_PATH long, no empty or `.` parts.
fn full_path(
    path: &Spanned<String>,
    key: &str,
    text: &str,
    file: &str,
) -> Result<String, ConfigError> {
    const MAX_PATH: usize = 260;
    let spelled = path.get_ref().trim_end_matches('\\');
    let mut parts = spelled.split('\\');
    let drive = parts.next().unwrap_or("");
    let drive_ok = drive.len() == 2
        && drive.as_bytes()[0].is_ascii_alphabetic()
        && drive.as_bytes()[1] == b':';
    let parts_ok = parts.all(|part| !part.is_empty() && part != "." && part != "..");
    if drive_ok && parts_ok && spelled.len() <= MAX_PATH {
        return Ok(spelled.to_string());
    }
    Err(config::located_error(
        text,
        file,
        path.span(),
        key,
        ConfigProblem::Malformed,
        format!(
            "expected a full path such as `C:\\Tools\\app.exe` (at most {MAX_PATH} characters, no `.` or `..`), found `{}`",
            path.get_ref()
        ),
    ))
}

/// One `[[profile.file]]`: INI sections and keys lower-cased, as Windows compares them.
fn profile_file(entry: &raw::File, text: &str, file: &str) -> Result<ProfileFile, ConfigError> {
    let version = match &entry.version {
        Some(version) if !Category::Version.accepts(version.get_ref()) => {
            return Err(config::located_error(
                text,
                file,
                version.span(),
                "profile.file.version",
                ConfigProblem::Malformed,
                format!(
                    "expected a file version such as `1.2.3.4`, found `{}`",
                    version.get_ref()
                ),
            ))
        }
        version => version.as_ref().map(|version| version.get_ref().clone()),
    };
    let ini = entry
        .ini
        .iter()
        .map(|(section, values)| {
            let values = values
                .iter()
                .map(|(key, value)| (key.to_lowercase(), value.clone()))
                .collect();
            (section.to_lowercase(), values)
        })
        .collect();
    Ok(ProfileFile {
        path: full_path(&entry.path, "profile.file.path", text, file)?,
        size: entry.size,
        version,
        languages: entry.languages.clone(),
        ini,
    })
}
