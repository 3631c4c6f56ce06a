//! The configuration: TOML in, validated typed settings out. Every error names the file,
//! the line and the key, and says what was expected.

mod actions;
mod raw;

pub use actions::{
    validate_proxy_server, ActionKind, Cloud, CustomActionSettings, ProxyMode, ProxySettings,
    PublicProperty,
};

use crate::error::{ConfigError, ConfigErrors, ConfigProblem as Problem};
use crate::payload::{PayloadSpec, PeKind};
use crate::target::Arch;
use crate::target::{DetectionPolicy, Target};
use msikit::format::schema::{ColumnKind, TableSchema, REGISTRY};
use msikit::format::{stable_guid, ProductVersion, RegistryRoot};
use msikit::formatted::RegistryData;
use raw::{RawBuild, RawConfig, RawCredentialProvider, RawProduct, RawRegistryValue};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;
use uuid::Uuid;

/// Root of every GUID this tool derives; never change it, or every derived code changes.
pub const GUID_NAMESPACE: Uuid = Uuid::from_u128(0x5d1f_7c1e_8a0b_4f0e_9c5e_2b7a_53c1_d0a9);

/// The configuration compiled into the binary: `sspr-msi build` with no `--config`.
pub const DEFAULT_CONFIG: &str = include_str!("../../templates/default.toml");
pub const DEFAULT_CONFIG_NAME: &str = "<embedded default>";

/// ProductName holds at most 63 characters; " (Windows 8.1 32-bit (x86))" takes 27 of them.
const MAX_PRODUCT_NAME: usize = 36;
/// The manufacturer names the install folder and registry keys: 64 keeps
/// `C:\Program Files (x86)\MANUFACTURER\PRODUCT\file.dll` and `SOFTWARE\MANUFACTURER\PRODUCT\…`
/// well inside Windows' 260-character paths and the Registry table's 255-character keys.
const MAX_MANUFACTURER: usize = 64;
/// Windows Installer's string pool counts at most 65,535 references to one string, and one
/// entry can name the same string three times (key, name and value) besides its folder's.
const MAX_REGISTRY_VALUES: usize = 20_000;

/// Validated settings for a build.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub product: ProductSettings,
    pub targets: Vec<Target>,
    /// Output file name with `{target}`, `{version}` placeholders.
    pub file_name: String,
    pub policy: PolicySettings,
    pub extra_registry: Vec<ExtraRegistryValue>,
    pub credential_provider: CredentialProviderSettings,
    pub cloud: Cloud,
    pub proxy: ProxySettings,
    pub custom_actions: Vec<CustomActionSettings>,
    pub properties: Vec<PublicProperty>,
    /// The configuration's file name (or `<embedded default>`), for messages.
    pub source: String,
}

/// How the Windows 7/8/8.1 packages handle TLS 1.2, which SSPR needs enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls12Mode {
    /// Refuse to install unless SCHANNEL and WinHTTP already enable TLS 1.2.
    Require,
    /// Write the SCHANNEL and WinHTTP settings (permanent: other software relies on them).
    Enable,
    Ignore,
}

/// The Windows 7/8/8.1 credential-provider packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProviderSettings {
    pub friendly_name: String,
    pub enable_logging: bool,
    pub tls12: Tls12Mode,
    /// Ask for a reboot after install (exit 3010), never rebooting by itself.
    pub request_reboot: bool,
    pub payloads: BTreeMap<Arch, PayloadSpec>,
    pub payload_trust: PayloadTrustSettings,
}

/// What payload signatures must chain to, and whether unsigned payloads pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayloadTrustSettings {
    /// PEM files of trusted certificates (resolved like payload paths).
    pub anchors: Vec<std::path::PathBuf>,
    pub expected_signer: Option<String>,
    pub expected_thumbprint: Option<String>,
    /// For test payloads only: unsigned payloads are packaged with a warning.
    pub allow_unsigned: bool,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSettings {
    pub name: String,
    pub manufacturer: String,
    pub version: ProductVersion,
    pub comments: String,
    /// The product line's upgrade code; each target derives its own from it.
    pub upgrade_code: Uuid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicySettings {
    pub allow_password_reset: bool,
    pub detection: DetectionPolicy,
}

/// A registry value the release engineer adds to the packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraRegistryValue {
    pub root: RegistryRoot,
    pub key: String,
    pub name: Option<String>,
    pub data: RegistryData,
    /// Targets that get it; empty = all.
    pub targets: Vec<Target>,
}

impl Settings {
    pub fn embedded_default() -> Result<Settings, ConfigErrors> {
        parse(DEFAULT_CONFIG, DEFAULT_CONFIG_NAME)
    }

    pub fn load(path: &Path) -> Result<Settings, ConfigErrors> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError {
            file: file.clone(),
            line: None,
            key: None,
            problem: Problem::Unreadable,
            message: format!("cannot read the file: {error}"),
        })?;
        parse_in(
            &text,
            &file,
            path.parent().map(|dir| {
                if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                }
            }),
        )
    }
}

/// Parses and validates a configuration text; `file` names it in errors. Relative payload
/// paths are taken from the current folder.
pub fn parse(text: &str, file: &str) -> Result<Settings, ConfigErrors> {
    parse_in(text, file, None)
}

/// Like `parse`, with relative payload paths taken from `config_dir`.
pub fn parse_in(
    text: &str,
    file: &str,
    config_dir: Option<&Path>,
) -> Result<Settings, ConfigErrors> {
    let source = Source {
        text,
        file,
        config_dir,
        errors: RefCell::default(),
    };
    let (raw, mut errors) = read_shape(text, file)?;
    match source.validate(raw) {
        Ok(settings) if errors.is_empty() => Ok(settings),
        Ok(_) => Err(ConfigErrors::in_file_order(errors).expect("not empty")),
        Err(found) => {
            errors.extend(found.iter().cloned());
            Err(ConfigErrors::in_file_order(errors).expect("not empty"))
        }
    }
}

/// At most this many shape errors (unknown keys, wrong types) are collected: each costs a
/// parse of the whole file.
const MAX_SHAPE_ERRORS: usize = 20;

/// The TOML as `RawConfig`, and the shape errors met on the way. Serde stops at the first
/// unknown key or wrong type, so its line is blanked (spaces, so every offset stays) and the
/// text read again, up to [`MAX_SHAPE_ERRORS`] times. A syntax error or a missing key stops
/// the reading: what follows cannot be trusted, or no line can be blanked.
fn read_shape(text: &str, file: &str) -> Result<(RawConfig, Vec<ConfigError>), ConfigErrors> {
    let mut errors: Vec<ConfigError> = Vec::new();
    let mut current = text.to_string();
    loop {
        let error = match toml::from_str::<RawConfig>(&current) {
            Ok(raw) => return Ok((raw, errors)),
            Err(error) => error,
        };
        let found = toml_error(&current, file, &error);
        // A key gone missing after a blanked line is that line's doing, not a new problem.
        let consequence = found.problem == Problem::MissingKey && !errors.is_empty();
        let span = error.span().filter(|span| {
            matches!(found.problem, Problem::UnknownKey | Problem::WrongType)
                && errors.len() + 1 < MAX_SHAPE_ERRORS
                && !errors.contains(&found)
                && !is_table_header(&current, span.start)
        });
        if !consequence {
            errors.push(found);
        }
        let Some(span) = span else {
            errors.dedup();
            return Err(ConfigErrors::in_file_order(errors).expect("not empty"));
        };
        blank_line_at(&mut current, span.start);
    }
}

/// Whether the line holding `offset` is a `[table]` header: blanking one would move its keys
/// into the table before it.
fn is_table_header(text: &str, offset: usize) -> bool {
    let offset = floor_char_boundary(text, offset);
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    text[start..].trim_start().starts_with('[')
}

/// Replaces the line holding `offset` with as many spaces as it has bytes.
fn blank_line_at(text: &mut String, offset: usize) {
    let offset = floor_char_boundary(text, offset);
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let spaces = " ".repeat(end - start);
    text.replace_range(start..end, &spaces);
}

struct Source<'a> {
    text: &'a str,
    file: &'a str,
    config_dir: Option<&'a Path>,
    /// The problems found so far, for the one report of them all.
    errors: RefCell<Vec<ConfigError>>,
}

impl Source<'_> {
    fn error(
        &self,
        problem: Problem,
        span: Range<usize>,
        key: &str,
        message: impl Into<String>,
    ) -> ConfigError {
        located_error(self.text, self.file, span, key, problem, message)
    }

    fn non_empty(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let text = value.get_ref().trim();
        if text.is_empty() {
            return Err(self.error(Problem::Empty, value.span(), key, "must not be empty"));
        }
        Ok(text.to_string())
    }

    fn targets(&self, names: &[Spanned<String>], key: &str) -> Result<Vec<Target>, ConfigError> {
        let mut targets = Vec::new();
        for name in names {
            let target = Target::from_name(name.get_ref()).ok_or_else(|| {
                self.error(
                    Problem::UnknownName,
                    name.span(),
                    key,
                    format!(
                        "unknown target `{}`; known targets: {}",
                        name.get_ref(),
                        Target::known_names()
                    ),
                )
            })?;
            if targets.contains(&target) {
                return Err(self.error(
                    Problem::Duplicate,
                    name.span(),
                    key,
                    format!("target `{target}` is listed twice"),
                ));
            }
            targets.push(target);
        }
        Ok(targets)
    }

    /// Every independent part is validated even after an earlier one failed, so that one run
    /// reports every problem; `None` parts only ever come with a recorded error.
    fn validate(&self, raw: RawConfig) -> Result<Settings, ConfigErrors> {
        let product = self.product(&raw.product);
        let targets = self.keep(self.build_targets(&raw.build));
        let file_name = match &raw.build.file_name {
            Some(pattern) => self.keep(self.file_name(pattern)),
            None => Some("sspr-{target}-{version}.msi".to_string()),
        };
        let policy = self.keep(self.policy(&raw));
        if let Some(beyond) = raw.registry.get(MAX_REGISTRY_VALUES) {
            self.keep::<()>(Err(self.error(
                Problem::OutOfRange,
                beyond.key.span(),
                "registry",
                format!(
                    "at most {MAX_REGISTRY_VALUES} [[registry]] entries ({} are given): each is a \
                     component, and Windows Installer's string pool counts at most 65,535 \
                     references to one string (a shared folder, key, name or value)",
                    raw.registry.len()
                ),
            )));
        }
        let extra_registry: Vec<_> = raw
            .registry
            .iter()
            .take(MAX_REGISTRY_VALUES)
            .map(|entry| self.keep(self.registry_value(entry)))
            .collect();
        let credential_provider = self.credential_provider(&raw.credential_provider);
        let cloud = self.keep(self.cloud(&raw.cloud.name));
        let proxy = self.proxy(&raw.proxy);
        let custom_actions = self.custom_actions(&raw.custom_action);
        let properties = self.properties(&raw.property);
        let settings = (|| {
            Some(Settings {
                product: product?,
                targets: targets?,
                file_name: file_name?,
                policy: policy?,
                extra_registry: extra_registry.into_iter().collect::<Option<_>>()?,
                credential_provider: credential_provider?,
                cloud: cloud?,
                proxy: proxy?,
                custom_actions: custom_actions.into_iter().collect::<Option<_>>()?,
                properties: properties.into_iter().collect::<Option<_>>()?,
                source: self.file.to_string(),
            })
        })();
        let errors = self.errors.take();
        match (settings, ConfigErrors::in_file_order(errors)) {
            (_, Some(errors)) => Err(errors),
            (Some(settings), None) => Ok(settings),
            (None, None) => Err(self
                .error(
                    Problem::Incomplete,
                    0..0,
                    "",
                    "a part failed without naming its problem (a bug: please report it)",
                )
                .into()),
        }
    }

    /// `result`'s value, or `None` with its error recorded for the report.
    fn keep<T>(&self, result: Result<T, ConfigError>) -> Option<T> {
        result
            .map_err(|error| self.errors.borrow_mut().push(error))
            .ok()
    }

    fn product(&self, product: &RawProduct) -> Option<ProductSettings> {
        let name = self.keep(self.product_name(&product.name, "product.name"));
        let manufacturer =
            self.keep(self.product_name(&product.manufacturer, "product.manufacturer"));
        let comments = product.comments.clone().unwrap_or_default();
        if comments.chars().count() > 255 {
            self.keep::<()>(Err(self.error(
                Problem::TooLong,
                product.name.span(),
                "product.comments",
                "at most 255 characters",
            )));
        }
        let version = self.keep(ProductVersion::parse(product.version.get_ref()).map_err(
            |message| {
                self.error(
                    Problem::Malformed,
                    product.version.span(),
                    "product.version",
                    message.to_string(),
                )
            },
        ));
        let upgrade_code = match &product.upgrade_code {
            Some(code) => self.keep(parse_guid(code.get_ref()).ok_or_else(|| {
                self.error(
                    Problem::Malformed,
                    code.span(),
                    "product.upgrade_code",
                    "expected a GUID like {01234567-89AB-CDEF-0123-456789ABCDEF}",
                )
            })),
            None => match (&name, &manufacturer) {
                (Some(name), Some(manufacturer)) => Some(stable_guid(
                    GUID_NAMESPACE,
                    &["upgrade-code", manufacturer, name],
                )),
                _ => None,
            },
        };
        Some(ProductSettings {
            name: name?,
            manufacturer: manufacturer?,
            version: version?,
            comments,
            upgrade_code: upgrade_code?,
        })
    }

    /// The product name or manufacturer: both name folders under Program Files.
    fn product_name(&self, value: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let text = self.non_empty(value, key)?;
        if key == "product.name" && text.chars().count() > MAX_PRODUCT_NAME {
            return Err(self.error(Problem::TooLong, value.span(), key, format!("at most {MAX_PRODUCT_NAME} characters: the target's label is appended and Windows Installer shows at most 63")));
        }
        if key == "product.manufacturer" && text.chars().count() > MAX_MANUFACTURER {
            return Err(self.error(Problem::TooLong, value.span(), key, format!("at most {MAX_MANUFACTURER} characters: it names the install folder (C:\\Program Files\\MANUFACTURER\\PRODUCT, inside Windows' 260-character paths) and registry keys (at most 255 characters)")));
        }
        // `..` as both would install LogonUI's DLL straight into C:\ (issue 20 item 12).
        if let Some(problem) = msikit::windows_names::path_component_problem(&text) {
            return Err(self.error(Problem::ForbiddenText, value.span(), key, problem));
        }
        Ok(text)
    }

    fn build_targets(&self, build: &RawBuild) -> Result<Vec<Target>, ConfigError> {
        match &build.targets {
            Some(names) if names.is_empty() => Err(ConfigError {
                file: self.file.to_string(),
                line: None,
                key: Some("build.targets".into()),
                problem: Problem::Empty,
                message: "must list at least one target".into(),
            }),
            Some(names) => self.targets(names, "build.targets"),
            None => Ok(default_targets()),
        }
    }

    fn choice<T: Copy>(
        &self,
        value: &Option<Spanned<String>>,
        key: &str,
        choices: &[(&str, T)],
        default: T,
    ) -> Result<T, ConfigError> {
        let Some(value) = value else {
            return Ok(default);
        };
        choices
            .iter()
            .find(|(name, _)| *name == value.get_ref())
            .map(|(_, choice)| *choice)
            .ok_or_else(|| {
                let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
                self.error(
                    Problem::UnknownName,
                    value.span(),
                    key,
                    format!(
                        "expected one of {}, found `{}`",
                        names.join(", "),
                        value.get_ref()
                    ),
                )
            })
    }

    fn credential_provider(
        &self,
        raw: &RawCredentialProvider,
    ) -> Option<CredentialProviderSettings> {
        let friendly_name = match &raw.friendly_name {
            Some(name) => self.keep(self.non_empty(name, "credential_provider.friendly_name")),
            None => Some(DEFAULT_FRIENDLY_NAME.to_string()),
        };
        let tls12 = self.keep(self.choice(
            &raw.tls12,
            "credential_provider.tls12",
            &[
                ("require", Tls12Mode::Require),
                ("enable", Tls12Mode::Enable),
                ("ignore", Tls12Mode::Ignore),
            ],
            Tls12Mode::Enable,
        ));
        let request_reboot = self.keep(self.choice(
            &raw.reboot,
            "credential_provider.reboot",
            &[("request", true), ("none", false)],
            true,
        ));
        let payloads =
            self.keep(self.binaries(&raw.payload, "credential_provider.payload", PeKind::Dll));
        let payload_trust = self.keep(self.payload_trust(raw));
        Some(CredentialProviderSettings {
            friendly_name: friendly_name?,
            enable_logging: raw.enable_logging.unwrap_or(false),
            tls12: tls12?,
            request_reboot: request_reboot?,
            payloads: payloads?,
            payload_trust: payload_trust?,
        })
    }

    fn payload_trust(
        &self,
        raw: &RawCredentialProvider,
    ) -> Result<PayloadTrustSettings, ConfigError> {
        let anchors = raw.trust_anchors.iter().flatten();
        let anchors = anchors
            .map(|path| {
                Ok(crate::payload::resolve(
                    &self.non_empty(path, "credential_provider.trust_anchors")?,
                    self.config_dir,
                ))
            })
            .collect::<Result<_, ConfigError>>()?;
        let expected_thumbprint = match &raw.expected_thumbprint {
            Some(text) => {
                let hex = text.get_ref().replace([' ', ':'], "").to_ascii_uppercase();
                if !(hex.len() == 40 || hex.len() == 64)
                    || !hex.chars().all(|c| c.is_ascii_hexdigit())
                {
                    let message = "expected a SHA-1 (40 hex digits) or SHA-256 (64 hex digits) certificate thumbprint";
                    return Err(self.error(
                        Problem::Malformed,
                        text.span(),
                        "credential_provider.expected_thumbprint",
                        message,
                    ));
                }
                Some(hex)
            }
            None => None,
        };
        Ok(PayloadTrustSettings {
            anchors,
            expected_signer: raw.expected_signer.clone(),
            expected_thumbprint,
            allow_unsigned: raw.allow_unsigned_payloads.unwrap_or(false),
        })
    }

    fn file_name(&self, pattern: &Spanned<String>) -> Result<String, ConfigError> {
        let text = pattern.get_ref();
        let key = "build.file_name";
        if !text.contains("{target}") {
            return Err(self.error(
                Problem::Malformed,
                pattern.span(),
                key,
                "must contain `{target}` so that packages do not overwrite each other",
            ));
        }
        if text.contains(['/', '\\']) || !text.ends_with(".msi") {
            return Err(self.error(
                Problem::Malformed,
                pattern.span(),
                key,
                "must be a plain file name ending in `.msi` (use --out for the folder)",
            ));
        }
        Ok(text.clone())
    }

    fn policy(&self, raw: &RawConfig) -> Result<PolicySettings, ConfigError> {
        let policy = &raw.policy;
        let min_build = match &policy.min_windows10_build {
            Some(build) => match u32::try_from(*build.get_ref()) {
                Ok(value) if (10240..crate::target::WINDOWS11_FIRST_BUILD).contains(&value) => {
                    value
                }
                _ => return Err(self.error(
                    Problem::OutOfRange,
                    build.span(),
                    "policy.min_windows10_build",
                    "expected a Windows 10 build number from 10240 to 21999 (17134 = version 1803)",
                )),
            },
            None => 17134,
        };
        Ok(PolicySettings {
            allow_password_reset: policy.allow_password_reset.unwrap_or(true),
            detection: DetectionPolicy {
                min_windows10_build: min_build,
                allow_server: policy.allow_server.unwrap_or(false),
                refuse_home_edition: policy.refuse_home_edition.unwrap_or(true),
            },
        })
    }

    fn registry_value(&self, entry: &RawRegistryValue) -> Result<ExtraRegistryValue, ConfigError> {
        let root = RegistryRoot::parse(entry.root.get_ref()).ok_or_else(|| {
            self.error(
                Problem::UnknownName,
                entry.root.span(),
                "registry.root",
                "expected HKLM, HKCR, HKCU or HKU",
            )
        })?;
        let key = self.non_empty(&entry.key, "registry.key")?;
        self.fits_column(&entry.key, &REGISTRY.schema, "Key", "registry.key")?;
        if key.starts_with('\\') || key.ends_with('\\') {
            return Err(self.error(
                Problem::ForbiddenText,
                entry.key.span(),
                "registry.key",
                "must not start or end with a backslash",
            ));
        }
        let name = match &entry.name {
            Some(name) if ["+", "-", "*"].contains(&name.get_ref().as_str()) => {
                return Err(self.error(
                    Problem::ForbiddenText,
                    name.span(),
                    "registry.name",
                    "`+`, `-` and `*` are Windows Installer key commands, not value names",
                ));
            }
            Some(name) => {
                self.fits_column(name, &REGISTRY.schema, "Name", "registry.name")?;
                Some(name.get_ref().clone())
            }
            None => None,
        };
        Ok(ExtraRegistryValue {
            root,
            key,
            name,
            data: self.registry_data(entry)?,
            targets: match &entry.targets {
                Some(names) => self.targets(names, "registry.targets")?,
                None => Vec::new(),
            },
        })
    }

    /// `text` fits `table`'s `column` (its length from the table schema) and holds no NUL:
    /// found here at its line, not by the table writer as an internal error.
    pub(crate) fn fits_column(
        &self,
        text: &Spanned<String>,
        table: &TableSchema,
        column: &str,
        key: &str,
    ) -> Result<(), ConfigError> {
        let limit = table
            .columns
            .iter()
            .find(|schema| schema.name == column)
            .and_then(|schema| match schema.kind {
                ColumnKind::Str(length) if length > 0 => Some(length),
                _ => None,
            });
        let value = text.get_ref();
        if let Some(limit) = limit.filter(|&limit| value.chars().count() > limit) {
            return Err(self.error(
                Problem::TooLong,
                text.span(),
                key,
                format!(
                    "at most {limit} characters (the {} table's {column} column)",
                    table.name
                ),
            ));
        }
        if value.contains('\0') {
            return Err(self.error(
                Problem::ForbiddenText,
                text.span(),
                key,
                "must not contain a NUL character",
            ));
        }
        Ok(())
    }

    fn registry_data(&self, entry: &RawRegistryValue) -> Result<RegistryData, ConfigError> {
        let value = entry.value.get_ref();
        let bad = |problem: Problem, expected: &str| {
            self.error(
                problem,
                entry.value.span(),
                "registry.value",
                format!("for type `{}` expected {expected}", entry.kind.get_ref()),
            )
        };
        let string = || {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(Problem::WrongType, "a string"))
        };
        let data = match entry.kind.get_ref().as_str() {
            "string" => RegistryData::String(string()?),
            "expand_string" => RegistryData::ExpandString(string()?),
            "dword" => {
                let number = value
                    .as_integer()
                    .ok_or_else(|| bad(Problem::WrongType, "an integer"))?;
                RegistryData::Dword(
                    u32::try_from(number)
                        .map_err(|_| bad(Problem::OutOfRange, "an integer from 0 to 4294967295"))?,
                )
            }
            "multi_string" => {
                let items = value
                    .as_array()
                    .ok_or_else(|| bad(Problem::WrongType, "an array of strings"))?;
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|item| item.as_str().map(str::to_string))
                    .collect();
                RegistryData::MultiString(
                    strings
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| bad(Problem::WrongType, "a non-empty array of strings"))?,
                )
            }
            "binary" => RegistryData::Binary(
                parse_hex(&string()?)
                    .ok_or_else(|| bad(Problem::Malformed, "a string of hexadecimal byte pairs"))?,
            ),
            other => {
                return Err(self.error(Problem::UnknownName, entry.kind.span(), "registry.type", format!("unknown type `{other}`; expected string, expand_string, multi_string, dword or binary")));
            }
        };
        let texts: Vec<&String> = match &data {
            RegistryData::String(text) | RegistryData::ExpandString(text) => vec![text],
            RegistryData::MultiString(items) => items.iter().collect(),
            _ => Vec::new(),
        };
        if texts.iter().any(|text| text.contains('\0')) {
            // Windows reads a REG_SZ only up to its first NUL (issue 20 item 15).
            return Err(bad(
                Problem::ForbiddenText,
                "text without NUL characters (several strings: type `multi_string`)",
            ));
        }
        if matches!(&data, RegistryData::String(text) | RegistryData::ExpandString(text) if text.is_empty())
        {
            return Err(bad(
                Problem::Empty,
                "a non-empty string (Windows Installer cannot write an empty string value)",
            ));
        }
        Ok(data)
    }
}

fn default_targets() -> Vec<Target> {
    crate::target::ALL.to_vec()
}

pub const DEFAULT_FRIENDLY_NAME: &str = "Microsoft Entra SSPR credential provider";

impl Settings {
    /// The payload for `target`, or a config error saying the configuration lacks it.
    pub fn payload_for(&self, target: Target) -> Result<&PayloadSpec, ConfigError> {
        self.file_for(
            &self.credential_provider.payloads,
            "credential_provider.payload",
            target,
            "installs the credential-provider DLL",
        )
    }

    /// The proxy custom-action DLL for `target`'s architecture.
    pub fn proxy_dll_for(&self, target: Target) -> Result<&PayloadSpec, ConfigError> {
        self.file_for(
            &self.proxy.custom_action,
            "proxy.custom_action",
            target,
            &format!("runs the proxy custom action (proxy.mode = \"{}\"; payload/build.sh builds SsprProxyCA.dll)", self.proxy.mode.name()),
        )
    }

    /// The files of the configured custom actions `target`'s package embeds.
    pub fn custom_action_files_for(
        &self,
        target: Target,
    ) -> Result<Vec<&PayloadSpec>, ConfigError> {
        let mut files = Vec::new();
        for action in &self.custom_actions {
            if !(action.targets.is_empty() || action.targets.contains(&target)) {
                continue;
            }
            if let ActionKind::BinaryDll { binaries, .. } | ActionKind::BinaryExe { binaries, .. } =
                &action.kind
            {
                let key = format!("{}.binary", action.config_key);
                files.push(self.file_for(binaries, &key, target, "runs this custom action")?);
            }
        }
        Ok(files)
    }

    fn file_for<'a>(
        &self,
        files: &'a BTreeMap<Arch, PayloadSpec>,
        key: &str,
        target: Target,
        what: &str,
    ) -> Result<&'a PayloadSpec, ConfigError> {
        files.get(&target.arch).ok_or_else(|| ConfigError {
            file: self.source.clone(),
            line: None,
            key: Some(format!("{key}.{}", target.arch.key())),
            problem: Problem::Incomplete,
            message: format!(
                "the {target} package {what}: set its `path` and `sha256`, or leave {target} out of `build.targets`"
            ),
        })
    }
}

fn parse_guid(text: &str) -> Option<Uuid> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    Uuid::parse_str(inner).ok()
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || !digits.len().is_multiple_of(2) {
        return None;
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(digits.get(i..i + 2)?, 16).ok())
        .collect()
}

/// An error about the value at `span` of `key` in the TOML `text` of `file`. Shared with every
/// other TOML input (machine profiles), so all of them name file, line and key alike.
pub(crate) fn located_error(
    text: &str,
    file: &str,
    span: Range<usize>,
    key: &str,
    problem: Problem,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError {
        file: file.to_string(),
        line: Some(line_and_column(text, span.start)),
        key: Some(key.to_string()),
        problem,
        message: message.into(),
    }
}

/// A TOML syntax or shape error, located like [`located_error`].
/// `toml` reports syntax and shape alike; a text that parses as a table is well-formed, so
/// its error is about shape, which serde words in its fixed phrases.
pub(crate) fn toml_error(text: &str, file: &str, error: &toml::de::Error) -> ConfigError {
    let span = error.span();
    let message = error.message().trim().to_string();
    let problem = if toml::from_str::<toml::Table>(text).is_err() {
        Problem::Syntax
    } else if message.starts_with("unknown field") {
        Problem::UnknownKey
    } else if message.starts_with("missing field") {
        Problem::MissingKey
    } else if message.starts_with("duplicate") {
        Problem::Duplicate
    } else {
        Problem::WrongType
    };
    let header = span
        .as_ref()
        .filter(|span| problem == Problem::UnknownKey && is_table_header(text, span.start));
    // An unknown `[table]` is a table of its own, not a field of the table above it.
    let message = match header {
        Some(_) => message.replacen("unknown field", "unknown table", 1),
        None => message,
    };
    ConfigError {
        file: file.to_string(),
        line: span.as_ref().map(|span| line_and_column(text, span.start)),
        key: span.and_then(|span| key_at(text, span.start)),
        problem,
        message,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The dotted key at a byte offset: the last `[table]` header before it plus the key on its
/// line, or the header on that line.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let before = &text[..floor_char_boundary(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    if let Some(header) = line.trim_start().strip_prefix('[') {
        // The header itself (`[prxy]`, `[[registry]]`): its own name.
        let name = header
            .split(']')
            .next()
            .unwrap_or("")
            .trim_matches('[')
            .trim();
        return (!name.is_empty()).then(|| name.to_string());
    }
    let table = before[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|header| {
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string()
        });
    let key = line
        .split_once('=')
        .map(|(key, _)| key.trim().to_string())
        .filter(|key| !key.is_empty() && !key.starts_with('#'));
    match (table, key) {
        (Some(table), Some(key)) => Some(format!("{table}.{key}")),
        (None, Some(key)) => Some(key),
        (Some(table), None) => Some(table),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one error of a configuration with one mistake: its parts depend on nothing else.
    fn error_of(text: &str) -> ConfigError {
        let errors = parse(text, "test.toml").expect_err("config should be rejected");
        assert_eq!(errors.iter().count(), 1, "{errors}");
        errors.first().clone()
    }

    const MINIMAL: &str =
        "[product]\nname = \"SSPR\"\nmanufacturer = \"Contoso\"\nversion = \"1.0.0\"\n";

    #[test]
    fn embedded_default_is_valid_and_builds_every_target() {
        let settings = Settings::embedded_default().unwrap();
        let names: Vec<String> = settings.targets.iter().map(Target::name).collect();
        assert_eq!(names.len(), crate::target::ALL.len());
        assert!(settings.policy.allow_password_reset);
    }

    #[test]
    fn minimal_config_gets_defaults_and_a_stable_upgrade_code() {
        let a = parse(MINIMAL, "a.toml").unwrap();
        let b = parse(MINIMAL, "b.toml").unwrap();
        assert_eq!(a.product.upgrade_code, b.product.upgrade_code);
        assert_eq!(a.policy.detection.min_windows10_build, 17134);
        assert_eq!(a.file_name, "sspr-{target}-{version}.msi");
    }

    #[test]
    fn wrong_type_names_file_line_and_key() {
        let error =
            error_of("[product]\nname = \"SSPR\"\nmanufacturer = \"Contoso\"\nversion = 1\n");
        assert_eq!(error.file, "test.toml");
        assert_eq!(error.line.map(|l| l.0), Some(4));
        assert_eq!(error.key.as_deref(), Some("product.version"));
        assert_eq!(error.problem, Problem::WrongType);
        assert!(
            error
                .to_string()
                .starts_with("test.toml:4:11: key `product.version`: CFG003: "),
            "{error}"
        );
    }

    #[test]
    fn unknown_key_is_rejected_with_its_place() {
        let error = error_of(&format!("{MINIMAL}colour = \"blue\"\n"));
        assert_eq!(error.line.map(|l| l.0), Some(5));
        assert_eq!(error.key.as_deref(), Some("product.colour"));
        assert_eq!(error.problem, Problem::UnknownKey);
        assert!(error.message.contains("colour"), "{}", error.message);
    }

    #[test]
    fn bad_values_name_their_keys() {
        let cases = [
            (MINIMAL.replace("1.0.0", "1.0"), "product.version", 4, Problem::Malformed),
            (MINIMAL.replace("\"SSPR\"", "\"  \""), "product.name", 2, Problem::Empty),
            (format!("{MINIMAL}upgrade_code = \"nope\"\n"), "product.upgrade_code", 5, Problem::Malformed),
            (format!("{MINIMAL}[build]\ntargets = [\"win12-x64\"]\n"), "build.targets", 6, Problem::UnknownName),
            (format!("{MINIMAL}[build]\ntargets = [\"win10-x64\", \"win10-x64\"]\n"), "build.targets", 6, Problem::Duplicate),
            (format!("{MINIMAL}[build]\nfile_name = \"a.msi\"\n"), "build.file_name", 6, Problem::Malformed),
            (format!("{MINIMAL}[policy]\nmin_windows10_build = 22000\n"), "policy.min_windows10_build", 6, Problem::OutOfRange),
            (format!("{MINIMAL}[[registry]]\nroot = \"HKXX\"\nkey = \"K\"\ntype = \"string\"\nvalue = \"v\"\n"), "registry.root", 6, Problem::UnknownName),
            (format!("{MINIMAL}[[registry]]\nroot = \"HKLM\"\nkey = \"K\"\ntype = \"dword\"\nvalue = \"v\"\n"), "registry.value", 9, Problem::WrongType),
            (format!("{MINIMAL}[[registry]]\nroot = \"HKLM\"\nkey = \"K\"\ntype = \"qword\"\nvalue = 1\n"), "registry.type", 8, Problem::UnknownName),
        ];
        for (text, key, line, problem) in cases {
            let error = error_of(&text);
            assert_eq!(error.key.as_deref(), Some(key), "{text}\n{error}");
            assert_eq!(error.line.map(|l| l.0), Some(line), "{text}\n{error}");
            assert_eq!(error.problem, problem, "{text}\n{error}");
        }
    }

    #[test]
    fn every_independent_mistake_is_reported_in_file_order() {
        let text = "[product]\nname = \"  \"\nmanufacturer = \"Contoso\"\nversion = \"1.0\"\n\
            [policy]\nmin_windows10_build = 5\n[cloud]\nname = \"mars\"\n\
            [[property]]\nname = \"site\"\n\
            [[registry]]\nroot = \"HKXX\"\nkey = \"K\"\ntype = \"string\"\nvalue = \"v\"\n";
        let errors = parse(text, "six.toml").expect_err("six mistakes");
        let places: Vec<(usize, &str)> = errors
            .iter()
            .map(|error| (error.line.unwrap().0, error.key.as_deref().unwrap()))
            .collect();
        assert_eq!(
            places,
            [
                (2, "product.name"),
                (4, "product.version"),
                (6, "policy.min_windows10_build"),
                (8, "cloud.name"),
                (10, "property.name"),
                (12, "registry.root"),
            ]
        );
        assert_eq!(errors.to_string().lines().count(), 6, "{errors}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_do_not_hide_each_other_or_later_mistakes() {
        let text = "[product]\nname = \"SSPR\"\nmanufacturer = \"Contoso\"\nversion = \"1.0.0\"\n\
            colour = \"blue\"\n[policy]\nmin_windows10_build = \"new\"\n[cloud]\nname = \"mars\"\n\
            [proxy]\nmode = 3\n";
        let errors = parse(text, "shape.toml").expect_err("four mistakes");
        let found: Vec<(usize, Problem)> = errors
            .iter()
            .map(|error| (error.line.unwrap().0, error.problem))
            .collect();
        assert_eq!(
            found,
            [
                (5, Problem::UnknownKey),
                (7, Problem::WrongType),
                (9, Problem::UnknownName),
                (11, Problem::WrongType),
            ],
            "{errors}"
        );
    }

    #[test]
    fn a_blanked_wrong_type_does_not_add_a_missing_key() {
        let errors = parse(&MINIMAL.replace("\"1.0.0\"", "1"), "t.toml").expect_err("one");
        assert_eq!(errors.iter().count(), 1, "{errors}");
        assert_eq!(errors.first().problem, Problem::WrongType);
    }

    #[test]
    fn shape_errors_are_capped() {
        let mut text = MINIMAL.to_string();
        text.push_str("[policy]\n");
        for index in 0..200 {
            text.push_str(&format!("unknown{index} = 1\n"));
        }
        let errors = parse(&text, "many.toml").expect_err("many");
        assert_eq!(errors.iter().count(), MAX_SHAPE_ERRORS, "{errors}");
    }

    #[test]
    fn syntax_error_has_a_line() {
        let error = error_of("[product\nname = 1");
        assert_eq!(error.line.map(|l| l.0), Some(1));
        assert_eq!(error.problem, Problem::Syntax);
    }

    #[test]
    fn registry_values_of_every_type_parse() {
        let text = format!(
            "{MINIMAL}[[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\nname = \"S\"\ntype = \"string\"\nvalue = \"#[x]{{y}}\"\n\
             [[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\nname = \"M\"\ntype = \"multi_string\"\nvalue = [\"a\", \"b\"]\n\
             [[registry]]\nroot = \"HKLM\"\nkey = 'SOFTWARE\\Contoso'\nname = \"B\"\ntype = \"binary\"\nvalue = \"0a ff\"\ntargets = [\"win11-x64\"]\n"
        );
        let settings = parse(&text, "t.toml").unwrap();
        assert_eq!(
            settings.extra_registry[0].data,
            RegistryData::String("#[x]{y}".into())
        );
        assert_eq!(
            settings.extra_registry[1].data,
            RegistryData::MultiString(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            settings.extra_registry[2].data,
            RegistryData::Binary(vec![0x0a, 0xff])
        );
        assert_eq!(settings.extra_registry[2].targets.len(), 1);
    }
}
