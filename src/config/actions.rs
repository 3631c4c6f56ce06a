//! The `[cloud]`, `[proxy]`, `[[custom_action]]` and `[[property]]` sections: validated into
//! typed settings, with every error at its file, line and key.

use super::raw::{RawCustomAction, RawPayload, RawProperty, RawProxy};
use super::Source;
use crate::error::{ConfigError, ConfigProblem as Problem};
use crate::payload::{PayloadSpec, PeKind};
use crate::target::{Arch, Target};
use msikit::format::schema::LAUNCH_CONDITION;
use msikit::phase::Phase;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// The Microsoft cloud the reset flow talks to: it decides the endpoints admins allow-list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Global,
    China,
}

impl Cloud {
    pub const ALL: [Cloud; 2] = [Cloud::Global, Cloud::China];

    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::China => "china",
        }
    }

    /// Hosts the sign-in screen's reset flow must reach through proxies and antivirus.
    pub fn endpoints(self) -> &'static [&'static str] {
        match self {
            // The source document's list for the China cloud (21Vianet).
            Cloud::China => &[
                "passwordreset.activedirectory.windowsazure.cn",
                "ajax.aspnetcdn.com",
                "ocsp.digicert.cn",
            ],
            Cloud::Global => &["passwordreset.microsoftonline.com", "ajax.aspnetcdn.com"],
        }
    }

    /// The page the temporary reset account opens.
    pub fn reset_url(self) -> &'static str {
        match self {
            Cloud::China => "https://passwordreset.activedirectory.windowsazure.cn/n/passwordreset",
            Cloud::Global => "https://passwordreset.microsoftonline.com/n/passwordreset",
        }
    }
}

/// Where the packages put the proxy the reset flow's temporary account uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyMode {
    None,
    /// `ProxySettingsPerUser = 0` plus the machine's proxy settings (HKLM).
    Machine,
    /// The Default user profile's hive, which the temporary account is created from.
    DefaultProfile,
}

impl ProxyMode {
    pub fn name(self) -> &'static str {
        match self {
            ProxyMode::None => "none",
            ProxyMode::Machine => "machine",
            ProxyMode::DefaultProfile => "default-profile",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySettings {
    pub mode: ProxyMode,
    /// The default `PROXYSERVER` (`host:port`); admins may set it on the msiexec command line.
    pub server: Option<String>,
    /// The default `PROXYBYPASS` (WinINet's ProxyOverride, e.g. `<local>;*.contoso.com`).
    pub bypass: Option<String>,
    /// The proxy custom-action DLL per architecture (`payload/build.sh` builds it).
    pub custom_action: BTreeMap<Arch, PayloadSpec>,
}

impl Default for ProxySettings {
    fn default() -> Self {
        ProxySettings {
            mode: ProxyMode::None,
            server: None,
            bypass: None,
            custom_action: BTreeMap::new(),
        }
    }
}

/// What a configured custom action runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    BinaryDll {
        binaries: BTreeMap<Arch, PayloadSpec>,
        entry: String,
        rollback_entry: String,
        data: Option<String>,
        rollback_data: Option<String>,
    },
    BinaryExe {
        binaries: BTreeMap<Arch, PayloadSpec>,
        arguments: String,
        rollback_arguments: String,
    },
    InstalledExe {
        directory: String,
        command: String,
        rollback: String,
    },
    SetProperty {
        property: String,
        value: String,
    },
    SetDirectory {
        directory: String,
        value: String,
    },
}

/// A site-specific custom action from `[[custom_action]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomActionSettings {
    pub id: String,
    pub kind: ActionKind,
    pub phases: Vec<Phase>,
    pub condition: Option<String>,
    pub check_return: bool,
    /// Targets that get it; empty = all.
    pub targets: Vec<Target>,
    /// `custom_action.<id>`, for messages.
    pub config_key: String,
}

/// A public property admins may set on the msiexec command line, validated before anything
/// is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicProperty {
    pub name: String,
    pub value: Option<String>,
    pub required: bool,
    /// A condition the value must meet (Windows Installer syntax).
    pub valid_when: Option<String>,
    pub message: String,
}

/// Properties the built-in packages define; `[[property]]` may not redefine them.
pub const RESERVED_PROPERTIES: &[&str] = &["PROXYSERVER", "PROXYBYPASS", "ENABLELOGGING"];

const STANDARD_FOLDERS: &[&str] = &[
    "SystemFolder",
    "System64Folder",
    "WindowsFolder",
    "ProgramFilesFolder",
    "ProgramFiles64Folder",
    "CommonFilesFolder",
    "CommonFiles64Folder",
    "TempFolder",
    "INSTALLFOLDER",
];

impl Source<'_> {
    pub(super) fn cloud(&self, name: &Option<Spanned<String>>) -> Result<Cloud, ConfigError> {
        self.choice(
            name,
            "cloud.name",
            &[("global", Cloud::Global), ("china", Cloud::China)],
            Cloud::Global,
        )
    }

    pub(super) fn proxy(&self, raw: &RawProxy) -> Option<ProxySettings> {
        let mode = self.keep(self.choice(
            &raw.mode,
            "proxy.mode",
            &[
                ("none", ProxyMode::None),
                ("machine", ProxyMode::Machine),
                ("default-profile", ProxyMode::DefaultProfile),
            ],
            ProxyMode::None,
        ));
        let server = raw.server.as_ref().map(|server| {
            let text = server.get_ref().trim();
            self.keep(
                validate_proxy_server(text)
                    .map(|()| text.to_string())
                    .map_err(|error| {
                        self.error(
                            Problem::Malformed,
                            server.span(),
                            "proxy.server",
                            error.to_string(),
                        )
                    }),
            )
        });
        let bypass = raw.bypass.as_ref().map(|bypass| {
            let text = bypass.get_ref().trim();
            if text.is_empty() || text.chars().any(|c| c.is_control() || c == '|') {
                self.keep::<String>(Err(self.error(Problem::Malformed,
                    bypass.span(),
                    "proxy.bypass",
                    "expected a non-empty list like `<local>;*.contoso.com` (no `|` or control characters)",
                )))
            } else {
                Some(text.to_string())
            }
        });
        let custom_action =
            self.keep(self.binaries(&raw.custom_action, "proxy.custom_action", PeKind::Dll));
        Some(ProxySettings {
            mode: mode?,
            server: server.map_or(Some(None), |server| server.map(Some))?,
            bypass: bypass.map_or(Some(None), |bypass| bypass.map(Some))?,
            custom_action: custom_action?,
        })
    }

    /// `{ x64 = { path, sha256 }, x86 = … }` tables of pinned PE files.
    pub(super) fn binaries(
        &self,
        raw: &BTreeMap<String, Spanned<RawPayload>>,
        key: &str,
        kind: PeKind,
    ) -> Result<BTreeMap<Arch, PayloadSpec>, ConfigError> {
        // Every architecture is checked, so all of their mistakes come in one report: the
        // first is returned, the others recorded.
        let mut first_error = None;
        let specs = raw
            .iter()
            .map(|(arch_name, payload)| {
                let key = format!("{key}.{arch_name}");
                let Some(arch) = Arch::from_key(arch_name) else {
                    return Err(self.error(
                        Problem::UnknownName,
                        payload.span(),
                        &key,
                        format!("expected `x64`, `x86` or `arm64` after `{key}.`"),
                    ));
                };
                Ok((arch, self.payload_spec(payload.get_ref(), key, kind)?))
            })
            .filter_map(|spec| match spec {
                Err(error) if first_error.is_none() => {
                    first_error = Some(error);
                    None
                }
                spec => self.keep(spec),
            })
            .collect();
        match first_error {
            Some(error) => Err(error),
            None => Ok(specs),
        }
    }

    pub(super) fn custom_actions(
        &self,
        raw: &[RawCustomAction],
    ) -> Vec<Option<CustomActionSettings>> {
        let mut seen = BTreeSet::new();
        raw.iter()
            .map(|entry| {
                let action = self.custom_action(entry);
                let id = entry.id.get_ref().trim();
                if !seen.insert(id.to_ascii_lowercase()) {
                    return self.keep(Err(self.error(
                        Problem::Duplicate,
                        entry.id.span(),
                        "custom_action.id",
                        format!("`{id}` is used by two custom actions"),
                    )));
                }
                action
            })
            .collect()
    }

    fn custom_action(&self, raw: &RawCustomAction) -> Option<CustomActionSettings> {
        let id = self.keep(self.action_id(raw))?;
        let key = format!("custom_action.{id}");
        let kind = self.keep(self.action_kind(raw, &key));
        // Which phases and return policies apply depends on the kind: unchecked without one.
        let set_action = kind.as_ref().map(|kind| {
            matches!(
                kind,
                ActionKind::SetProperty { .. } | ActionKind::SetDirectory { .. }
            )
        });
        let phases =
            set_action.and_then(|set_action| self.keep(self.phases(raw, &key, set_action)));
        let condition = match &raw.condition {
            Some(condition) => self
                .keep(self.condition(condition, &format!("{key}.condition")))
                .map(Some),
            None => Some(None),
        };
        let check_return =
            set_action.and_then(|set_action| self.keep(self.return_policy(raw, &key, set_action)));
        let targets = match &raw.targets {
            Some(names) => self.keep(self.targets(names, &format!("{key}.targets"))),
            None => Some(Vec::new()),
        };
        let (kind, targets) = (kind?, targets?);
        let uses_install_folder = matches!(
            &kind,
            ActionKind::InstalledExe { directory, .. } | ActionKind::SetDirectory { directory, .. }
                if directory == "INSTALLFOLDER"
        );
        if uses_install_folder
            && (targets.is_empty() || targets.iter().any(|t| crate::target::uses_policy(t.family)))
        {
            return self.keep(Err(self.error(Problem::Conflict,
                raw.directory.as_ref().map_or(raw.id.span(), Spanned::span),
                &format!("{key}.directory"),
                "INSTALLFOLDER exists only in the Windows 7/8/8.1 packages: list only their targets in `targets`",
            )));
        }
        Some(CustomActionSettings {
            id,
            kind,
            phases: phases?,
            condition: condition?,
            check_return: check_return?,
            targets,
            config_key: key,
        })
    }

    fn action_id(&self, raw: &RawCustomAction) -> Result<String, ConfigError> {
        let id = raw.id.get_ref().trim().to_string();
        if !is_identifier(&id) || id.contains('.') || id.starts_with("Sspr") {
            return Err(self.error(Problem::Malformed,
                raw.id.span(),
                "custom_action.id",
                "expected a name of letters, digits and `_` (at most 50, starting with a letter; `Sspr…` is reserved for built-in actions)",
            ));
        }
        Ok(id)
    }

    fn return_policy(
        &self,
        raw: &RawCustomAction,
        key: &str,
        set_action: bool,
    ) -> Result<bool, ConfigError> {
        let check_return = self.choice(
            &raw.return_policy,
            &format!("{key}.return"),
            &[("check", true), ("ignore", false)],
            true,
        )?;
        if let Some(policy) = raw.return_policy.as_ref().filter(|_| set_action) {
            return Err(self.unexpected(policy, key, "return"));
        }
        Ok(check_return)
    }

    fn action_kind(&self, raw: &RawCustomAction, key: &str) -> Result<ActionKind, ConfigError> {
        let allowed: &[&str] = match raw.kind.get_ref().as_str() {
            "binary-dll" => &["binary", "entry", "rollback_entry", "data", "rollback_data"],
            "binary-exe" => &["binary", "arguments", "rollback_arguments"],
            "installed-exe" => &["directory", "command", "rollback"],
            "set-property" => &["property", "value"],
            "set-directory" => &["directory", "value"],
            other => {
                return Err(self.error(Problem::UnknownName,
                    raw.kind.span(),
                    &format!("{key}.kind"),
                    format!("unknown kind `{other}`; expected binary-dll, binary-exe, installed-exe, set-property or set-directory"),
                ))
            }
        };
        let fields: [(&str, Option<std::ops::Range<usize>>); 12] = [
            ("binary", raw.binary.as_ref().map(Spanned::span)),
            ("entry", raw.entry.as_ref().map(Spanned::span)),
            (
                "rollback_entry",
                raw.rollback_entry.as_ref().map(Spanned::span),
            ),
            ("data", raw.data.as_ref().map(Spanned::span)),
            (
                "rollback_data",
                raw.rollback_data.as_ref().map(Spanned::span),
            ),
            ("arguments", raw.arguments.as_ref().map(Spanned::span)),
            (
                "rollback_arguments",
                raw.rollback_arguments.as_ref().map(Spanned::span),
            ),
            ("directory", raw.directory.as_ref().map(Spanned::span)),
            ("command", raw.command.as_ref().map(Spanned::span)),
            ("rollback", raw.rollback.as_ref().map(Spanned::span)),
            ("value", raw.value.as_ref().map(Spanned::span)),
            ("property", raw.property.as_ref().map(Spanned::span)),
        ];
        for (field, span) in fields {
            if let Some(span) = span.filter(|_| !allowed.contains(&field)) {
                return Err(self.error(
                    Problem::NotApplicable,
                    span,
                    &format!("{key}.{field}"),
                    format!(
                        "`{field}` does not belong to a `{}` action (it takes {})",
                        raw.kind.get_ref(),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        let required = |value: &Option<Spanned<String>>, field: &str, why: &str| {
            let full_key = format!("{key}.{field}");
            match value {
                Some(text) => self.non_empty(text, &full_key),
                None => Err(self.error(
                    Problem::Incomplete,
                    raw.kind.span(),
                    &full_key,
                    format!("a `{}` action needs `{field}`{why}", raw.kind.get_ref()),
                )),
            }
        };
        let rollback_why = " (every deferred action that changes the machine needs its undo: it runs when a later step fails)";
        let binaries = |kind: PeKind| match &raw.binary {
            Some(table) => {
                let binaries = self.binaries(table.get_ref(), &format!("{key}.binary"), kind)?;
                if binaries.is_empty() {
                    return Err(self.error(Problem::Empty,
                        table.span(),
                        &format!("{key}.binary"),
                        "list the file per architecture: binary.x64 / binary.x86 = { path, sha256 }",
                    ));
                }
                Ok(binaries)
            }
            None => Err(self.error(
                Problem::Incomplete,
                raw.kind.span(),
                &format!("{key}.binary"),
                "needs `binary.x64` / `binary.x86` = { path, sha256 }",
            )),
        };
        let formatted =
            |value: &Option<Spanned<String>>, field: &str| -> Result<Option<String>, ConfigError> {
                value
                    .as_ref()
                    .map(|text| self.formatted(text, &format!("{key}.{field}")))
                    .transpose()
            };
        Ok(match raw.kind.get_ref().as_str() {
            "binary-dll" => ActionKind::BinaryDll {
                binaries: binaries(PeKind::Dll)?,
                entry: self.entry(required(&raw.entry, "entry", "")?, raw, key, "entry")?,
                rollback_entry: self.entry(
                    required(&raw.rollback_entry, "rollback_entry", rollback_why)?,
                    raw,
                    key,
                    "rollback_entry",
                )?,
                data: formatted(&raw.data, "data")?,
                rollback_data: formatted(&raw.rollback_data, "rollback_data")?,
            },
            "binary-exe" => ActionKind::BinaryExe {
                binaries: binaries(PeKind::Exe)?,
                arguments: formatted(&raw.arguments, "arguments")?.unwrap_or_default(),
                rollback_arguments: formatted(&raw.rollback_arguments, "rollback_arguments")?
                    .ok_or_else(|| {
                        self.error(
                            Problem::Incomplete,
                            raw.kind.span(),
                            &format!("{key}.rollback_arguments"),
                            format!(
                                "a `binary-exe` action needs `rollback_arguments`{rollback_why}"
                            ),
                        )
                    })?,
            },
            "installed-exe" => {
                required(&raw.command, "command", "")?;
                required(&raw.rollback, "rollback", rollback_why)?;
                ActionKind::InstalledExe {
                    directory: self.directory(raw, key)?,
                    command: formatted(&raw.command, "command")?.unwrap_or_default(),
                    rollback: formatted(&raw.rollback, "rollback")?.unwrap_or_default(),
                }
            }
            "set-property" => {
                let property = required(&raw.property, "property", "")?;
                if !is_identifier(&property) {
                    return Err(self.error(
                        Problem::Malformed,
                        raw.property.as_ref().unwrap().span(),
                        &format!("{key}.property"),
                        "expected a property name (letters, digits, `_`)",
                    ));
                }
                required(&raw.value, "value", "")?;
                ActionKind::SetProperty {
                    property,
                    value: formatted(&raw.value, "value")?.unwrap_or_default(),
                }
            }
            _ => {
                required(&raw.value, "value", "")?;
                ActionKind::SetDirectory {
                    directory: self.directory(raw, key)?,
                    value: formatted(&raw.value, "value")?.unwrap_or_default(),
                }
            }
        })
    }

    fn entry(
        &self,
        entry: String,
        raw: &RawCustomAction,
        key: &str,
        field: &str,
    ) -> Result<String, ConfigError> {
        if is_identifier(&entry) && !entry.contains('.') {
            return Ok(entry);
        }
        let span = match field {
            "entry" => raw.entry.as_ref(),
            _ => raw.rollback_entry.as_ref(),
        };
        Err(self.error(
            Problem::Malformed,
            span.map(Spanned::span).unwrap_or(raw.kind.span()),
            &format!("{key}.{field}"),
            "expected the name of a function the DLL exports",
        ))
    }

    fn directory(&self, raw: &RawCustomAction, key: &str) -> Result<String, ConfigError> {
        let full_key = format!("{key}.directory");
        let Some(directory) = &raw.directory else {
            return Err(self.error(
                Problem::Incomplete,
                raw.kind.span(),
                &full_key,
                format!(
                    "a `{}` action needs `directory` (one of {})",
                    raw.kind.get_ref(),
                    STANDARD_FOLDERS.join(", ")
                ),
            ));
        };
        if !STANDARD_FOLDERS.contains(&directory.get_ref().as_str()) {
            return Err(self.error(
                Problem::UnknownName,
                directory.span(),
                &full_key,
                format!("expected one of {}", STANDARD_FOLDERS.join(", ")),
            ));
        }
        Ok(directory.get_ref().clone())
    }

    fn phases(
        &self,
        raw: &RawCustomAction,
        key: &str,
        set_action: bool,
    ) -> Result<Vec<Phase>, ConfigError> {
        let full_key = format!("{key}.phases");
        let Some(names) = &raw.phases else {
            if set_action {
                return Ok(Vec::new());
            }
            return Err(self.error(Problem::Incomplete,
                raw.id.span(),
                &full_key,
                "say when it runs: phases = [\"install\", \"upgrade\", \"repair\"] or [\"uninstall\", \"upgrade-removal\"]",
            ));
        };
        if set_action {
            return Err(self.unexpected(names, key, "phases"));
        }
        let mut phases = Vec::new();
        for name in names.get_ref() {
            let phase = Phase::from_name(name.get_ref()).ok_or_else(|| {
                let all: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
                self.error(
                    Problem::UnknownName,
                    name.span(),
                    &full_key,
                    format!(
                        "unknown phase `{}`; expected {}",
                        name.get_ref(),
                        all.join(", ")
                    ),
                )
            })?;
            if !phases.contains(&phase) {
                phases.push(phase);
            }
        }
        if phases.is_empty() {
            return Err(self.error(
                Problem::Empty,
                names.span(),
                &full_key,
                "list at least one phase",
            ));
        }
        if phases.iter().any(|p| p.removes()) && phases.iter().any(|p| !p.removes()) {
            return Err(self.error(Problem::Conflict,
                names.span(),
                &full_key,
                "one action runs either while the product is installed (install, upgrade, repair) or while it is removed (uninstall, upgrade-removal), not both: make two actions",
            ));
        }
        phases.sort();
        Ok(phases)
    }

    fn unexpected<T>(&self, value: &Spanned<T>, key: &str, field: &str) -> ConfigError {
        self.error(Problem::NotApplicable,
            value.span(),
            &format!("{key}.{field}"),
            format!("set-property and set-directory actions run immediately in both sequences: `{field}` does not apply"),
        )
    }

    /// A Windows Installer condition, checked by the same parser `verify` uses.
    fn condition(&self, text: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let condition = self.non_empty(text, key)?;
        msikit::condition::parse(&condition).map_err(|error| {
            self.error(
                Problem::InvalidCondition,
                text.span(),
                key,
                format!("not a valid Windows Installer condition: {error}"),
            )
        })?;
        if condition.chars().count() > 255 {
            return Err(self.error(Problem::TooLong, text.span(), key, "at most 255 characters"));
        }
        Ok(condition)
    }

    /// Formatted text (`[PROPERTY]` references): brackets and braces must balance.
    fn formatted(&self, text: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let value = text.get_ref().clone();
        let mut depth: i32 = 0;
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // `[\c]` is one escaped character, whatever `c` is.
                '[' if chars.peek() == Some(&'\\') => {
                    chars.nth(1);
                    if chars.next() != Some(']') {
                        depth = -1;
                        break;
                    }
                }
                '[' => depth += 1,
                ']' => depth -= 1,
                _ => {}
            }
            if depth < 0 {
                break;
            }
        }
        if depth != 0 {
            return Err(self.error(Problem::InvalidCondition,
                text.span(),
                key,
                "unbalanced `[` `]`: this is Windows Installer Formatted text (`[PROPERTY]` expands a property, `[\\[]` is a literal `[`)",
            ));
        }
        Ok(value)
    }

    pub(super) fn properties(&self, raw: &[RawProperty]) -> Vec<Option<PublicProperty>> {
        let mut seen = BTreeSet::new();
        raw.iter()
            .map(|entry| -> Result<PublicProperty, ConfigError> {
                let name = entry.name.get_ref().trim().to_string();
                let key = format!("property.{name}");
                let public = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && name.starts_with(|c: char| c.is_ascii_uppercase());
                if !public || name.len() > 50 {
                    return Err(self.error(Problem::Malformed,
                        entry.name.span(),
                        "property.name",
                        "a public property (one msiexec accepts on its command line) is named in capitals, digits and `_`, starting with a letter",
                    ));
                }
                if RESERVED_PROPERTIES.contains(&name.as_str()) || !seen.insert(name.clone()) {
                    return Err(self.error(Problem::Duplicate,
                        entry.name.span(),
                        "property.name",
                        format!("`{name}` is already defined (built-in: {})", RESERVED_PROPERTIES.join(", ")),
                    ));
                }
                let valid_when = match &entry.valid_when {
                    Some(condition) => Some(self.condition(condition, &format!("{key}.valid_when"))?),
                    None => None,
                };
                let message = match &entry.message {
                    Some(message) => {
                        let message_key = format!("{key}.message");
                        self.fits_column(message, &LAUNCH_CONDITION.schema, "Description", &message_key)?;
                        self.non_empty(message, &message_key)?
                    }
                    None => format!("{name} is missing or invalid; it was \"[{name}]\"."),
                };
                if let Some(value) = entry.value.as_ref().filter(|v| v.get_ref().is_empty()) {
                    return Err(self.error(Problem::Empty,
                        value.span(),
                        &format!("{key}.value"),
                        "a default cannot be empty (Windows Installer has no empty properties): leave `value` out",
                    ));
                }
                Ok(PublicProperty {
                    value: entry.value.as_ref().map(|v| v.get_ref().clone()),
                    required: entry.required.unwrap_or(false),
                    valid_when,
                    message,
                    name,
                })
            })
            .map(|property| self.keep(property))
            .collect()
    }

    fn payload_spec(
        &self,
        payload: &RawPayload,
        key: String,
        kind: PeKind,
    ) -> Result<PayloadSpec, ConfigError> {
        let sha256 = payload.sha256.get_ref().trim().to_ascii_lowercase();
        if sha256.len() != 64 || !sha256.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(self.error(
                Problem::Malformed,
                payload.sha256.span(),
                &format!("{key}.sha256"),
                format!(
                    "expected 64 hexadecimal digits (the file's SHA-256; `sspr-msi pin {}` prints the line)",
                    payload.path.get_ref()
                ),
            ));
        }
        let path = self.non_empty(&payload.path, &format!("{key}.path"))?;
        Ok(PayloadSpec {
            path: crate::payload::resolve(&path, self.config_dir),
            config_key: key,
            sha256,
            kind,
        })
    }
}

/// Why a text is not a `host:port` proxy address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expected `host:port` (e.g. proxy.contoso.com:8080): {}", self.why())]
pub enum ProxyServerError {
    NoPort,
    HostLength,
    HostCharacter(char),
    Port,
}

impl ProxyServerError {
    fn why(self) -> String {
        match self {
            ProxyServerError::NoPort => "no `:port`".into(),
            ProxyServerError::HostLength => {
                "the host is empty or longer than 253 characters".into()
            }
            ProxyServerError::HostCharacter(bad) => format!("`{bad}` cannot appear in a host name"),
            ProxyServerError::Port => "the port must be a number from 1 to 65535".into(),
        }
    }
}

/// `host:port` with a host of letters, digits, `.`, `-`, `_` and a port from 1 to 65535: the
/// same rule the proxy custom action applies to `PROXYSERVER` at install time.
pub fn validate_proxy_server(text: &str) -> Result<(), ProxyServerError> {
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(ProxyServerError::NoPort);
    };
    if host.is_empty() || host.len() > 253 {
        return Err(ProxyServerError::HostLength);
    }
    if let Some(bad) = host
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return Err(ProxyServerError::HostCharacter(bad));
    }
    let digits = !port.is_empty() && port.chars().all(|c| c.is_ascii_digit());
    match port.parse::<u16>() {
        Ok(number) if digits && number > 0 && !port.starts_with('0') => Ok(()),
        _ => Err(ProxyServerError::Port),
    }
}

/// Whether `id` is a valid action, property or binary name: an MSI identifier short enough
/// that `Set…Rollback` still fits the 72-character Action column.
pub fn is_identifier(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && id.len() <= 50
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    const MINIMAL: &str =
        "[product]\nname = \"SSPR\"\nmanufacturer = \"Contoso\"\nversion = \"1.0.0\"\n";

    const TAG: &str = "[[custom_action]]\nid = \"Tag\"\nkind = \"installed-exe\"\ndirectory = \"System64Folder\"\n\
        command = '\"[System64Folder]reg.exe\" add HKLM\\SOFTWARE\\C /v T /d [SITE] /f /reg:64'\n";

    #[test]
    fn sections_parse_into_settings() {
        let text = format!(
            "{MINIMAL}[cloud]\nname = \"china\"\n[proxy]\nmode = \"default-profile\"\nserver = \"proxy:8080\"\n\
             [proxy.custom_action.x64]\npath = \"ca.dll\"\nsha256 = \"{:064}\"\n\
             {TAG}rollback = 'x'\nphases = [\"upgrade\", \"install\"]\nreturn = \"ignore\"\ncondition = 'SITE'\n\
             [[property]]\nname = \"SITE\"\nrequired = true\nvalid_when = 'SITE << \"ct-\"'\n",
            0
        );
        let settings = parse(&text, "t.toml").unwrap();
        assert_eq!(settings.cloud, Cloud::China);
        assert_eq!(settings.proxy.mode, ProxyMode::DefaultProfile);
        assert_eq!(settings.proxy.server.as_deref(), Some("proxy:8080"));
        assert!(settings.proxy.custom_action.contains_key(&Arch::X64));
        let action = &settings.custom_actions[0];
        assert_eq!(action.phases, [Phase::Install, Phase::Upgrade]);
        assert!(!action.check_return);
        assert!(
            matches!(&action.kind, ActionKind::InstalledExe { directory, .. } if directory == "System64Folder")
        );
        assert!(settings.properties[0].required);
    }

    #[test]
    fn action_mistakes_name_their_keys() {
        let cases = [
            (format!("{MINIMAL}[proxy]\nmode = \"pac\"\n"), "proxy.mode", Problem::UnknownName),
            (format!("{MINIMAL}[proxy]\nserver = \"http://p:80\"\n"), "proxy.server", Problem::Malformed),
            (format!("{MINIMAL}{TAG}phases = [\"install\"]\n"), "custom_action.Tag.rollback", Problem::Incomplete),
            (format!("{MINIMAL}{TAG}rollback = 'x'\nentry = \"E\"\nphases = [\"install\"]\n"), "custom_action.Tag.entry", Problem::NotApplicable),
            (format!("{MINIMAL}{TAG}rollback = 'x'\nphases = [\"install\", \"uninstall\"]\n"), "custom_action.Tag.phases", Problem::Conflict),
            (format!("{MINIMAL}{TAG}rollback = 'x'\nphases = [\"later\"]\n"), "custom_action.Tag.phases", Problem::UnknownName),
            (format!("{MINIMAL}{TAG}rollback = 'x'\n"), "custom_action.Tag.phases", Problem::Incomplete),
            (format!("{MINIMAL}{TAG}rollback = 'x'\nphases = [\"install\"]\ncondition = 'A AND'\n"), "custom_action.Tag.condition", Problem::InvalidCondition),
            (format!("{MINIMAL}{TAG}rollback = '[x'\nphases = [\"install\"]\n"), "custom_action.Tag.rollback", Problem::InvalidCondition),
            (format!("{MINIMAL}{TAG}rollback = 'x'\nphases = [\"install\"]\n{TAG}rollback = 'x'\nphases = [\"install\"]\n"), "custom_action.id", Problem::Duplicate),
            (format!("{MINIMAL}[[custom_action]]\nid = \"SsprX\"\nkind = \"set-property\"\n"), "custom_action.id", Problem::Malformed),
            (format!("{MINIMAL}[[custom_action]]\nid = \"D\"\nkind = \"binary-dll\"\nentry = \"E\"\nrollback_entry = \"U\"\nphases = [\"install\"]\n"), "custom_action.D.binary", Problem::Incomplete),
            (format!("{MINIMAL}[[custom_action]]\nid = \"S\"\nkind = \"set-directory\"\ndirectory = \"INSTALLFOLDER\"\nvalue = \"C:\\\\x\"\n"), "custom_action.S.directory", Problem::Conflict),
            (format!("{MINIMAL}[[property]]\nname = \"site\"\n"), "property.name", Problem::Malformed),
            (format!("{MINIMAL}[[property]]\nname = \"PROXYSERVER\"\n"), "property.name", Problem::Duplicate),
            (format!("{MINIMAL}[[property]]\nname = \"SITE\"\nvalue = \"\"\n"), "property.SITE.value", Problem::Empty),
        ];
        for (text, key, problem) in cases {
            let errors = parse(&text, "t.toml").expect_err(&text);
            assert_eq!(errors.iter().count(), 1, "{text}\n{errors}");
            let error = errors.first();
            assert_eq!(error.key.as_deref(), Some(key), "{text}\n{error}");
            assert!(error.line.is_some(), "{error}");
            assert_eq!(error.problem, problem, "{text}\n{error}");
        }
    }

    #[test]
    fn proxy_servers_are_host_and_port() {
        for good in [
            "proxy:8080",
            "proxy.contoso.com:3128",
            "10.0.0.1:80",
            "a_b-c:65535",
        ] {
            assert_eq!(validate_proxy_server(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "proxy",
            ":80",
            "proxy:",
            "proxy:0",
            "proxy:65536",
            "proxy:80a",
            "http://proxy:80",
            "proxy:+80",
            "proxy:080",
            "a b:80",
            "proxy;x:80",
            "proxy\":80",
        ] {
            assert!(validate_proxy_server(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_proxy_server("a b:80").unwrap_err().to_string(),
            "expected `host:port` (e.g. proxy.contoso.com:8080): ` ` cannot appear in a host name"
        );
        assert_eq!(
            validate_proxy_server("proxy:0"),
            Err(ProxyServerError::Port)
        );
    }

    #[test]
    fn identifiers_are_msi_names() {
        for good in ["A", "_x", "Sspr.Proxy_1"] {
            assert!(is_identifier(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a b", &"x".repeat(51)] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }
}
