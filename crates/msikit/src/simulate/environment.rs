//! The Environment table: what WriteEnvironmentStrings writes at install and what
//! RemoveEnvironmentStrings takes away at uninstall, as registry values (`HKCU\Environment`,
//! or `HKLM\System\CurrentControlSet\Control\Session Manager\Environment` for `*` names).
//!
//! A Name starts with any of `=` (set), `+` (set if absent), `-` (remove at uninstall), `!`
//! (remove at install when the value matches) and `*` (a system variable). A Value of
//! `[~];text` appends `text` to the variable's `;`-separated list, `text;[~]` puts it first;
//! one already in the list is not added again. Wine's `dlls/msi` and Windows differ:
//! - Wine treats `*` as "system, and removed at uninstall", and no prefix as `=` and `-`;
//!   Windows documents no prefix as set at install and removed at uninstall, the same.
//! - Wine sets a `+` variable whatever it held, and a `!` one to its Value unless it is a list
//!   change; Windows documents `+` as leaving a set variable alone and `!` as removing only.
//! - A Name that is only prefixes fails the action in Wine, which exits 1627 and keeps what
//!   the script wrote before it (measured); Windows is predicted as a rolled-back 1603 (not
//!   documented, not confirmed).

use super::profile::{Installer, MachineProfile, ProfileValue};
use super::{LaunchOutcome, Leftover, RegistryWrite, Session, SimulationError};
use crate::format::RegistryRoot;
use crate::formatted::deformat::{self, WrittenData};
use std::collections::BTreeSet;

pub(super) const USER_KEY: &str = "Environment";
pub(super) const SYSTEM_KEY: &str = r"System\CurrentControlSet\Control\Session Manager\Environment";

/// What an Environment row's Name says, past its prefixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Flags {
    pub set_absent: bool,
    pub remove_at_uninstall: bool,
    pub remove_matching: bool,
    pub system: bool,
}

/// Where a Value puts its text in the variable's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Placement {
    Replace,
    Append,
    Prefix,
}

/// The row's Name without its prefixes, and what they say; `None` when nothing is left.
pub(super) fn parse_name(name: &str) -> Option<(&str, Flags)> {
    let bare = name.trim_start_matches(['=', '+', '-', '!', '*']);
    if bare.is_empty() {
        return None;
    }
    let prefixes = &name[..name.len() - bare.len()];
    let mut flags = Flags {
        set_absent: prefixes.contains('+'),
        remove_at_uninstall: prefixes.contains(['-', '*']),
        remove_matching: prefixes.contains('!'),
        system: prefixes.contains('*'),
    };
    if prefixes.is_empty() {
        flags.remove_at_uninstall = true;
    }
    Some((bare, flags))
}

/// The Value's placement, and the Value left to format (`None`: the row sets nothing, as a
/// `[~]` with no `;` beside it does).
pub(super) fn parse_value(value: &str) -> Option<(Placement, &str)> {
    if let Some(rest) = value.strip_prefix("[~]") {
        return rest.starts_with(';').then_some((Placement::Append, rest));
    }
    match value.strip_suffix("[~]") {
        Some(head) if head.len() >= 2 && head.ends_with(';') => Some((Placement::Prefix, head)),
        Some(_) => None,
        None => Some((Placement::Replace, value)),
    }
}

/// The text a formatted Value adds to the list: before its last `;` for a prefix, after its
/// first `;` for an append.
pub(super) fn entry(formatted: &str, placement: Placement) -> &str {
    match placement {
        Placement::Replace => formatted,
        Placement::Prefix => formatted
            .rsplit_once(';')
            .map_or(formatted, |(head, _)| head),
        Placement::Append => formatted.split_once(';').map_or("", |(_, tail)| tail),
    }
}

/// Where the variable lives.
pub(super) fn location(flags: Flags) -> (RegistryRoot, &'static str) {
    match flags.system {
        true => (RegistryRoot::LocalMachine, SYSTEM_KEY),
        false => (RegistryRoot::CurrentUser, USER_KEY),
    }
}

/// The variable's value on `profile`, when the profile gives it.
pub(super) fn existing(profile: &MachineProfile, flags: Flags, name: &str) -> Option<String> {
    let (root, key) = location(flags);
    let found =
        profile
            .registry
            .get(&(root, key.to_ascii_lowercase(), name.to_ascii_lowercase()))?;
    match found {
        ProfileValue::String(text) => Some(text.clone()),
        ProfileValue::Dword(_) => None,
    }
}

/// What installing the row leaves in the variable, from its formatted Value: `None` when it
/// does not write.
pub(super) fn written(
    installer: Installer,
    flags: Flags,
    placement: Placement,
    formatted: &str,
    existing: Option<&str>,
) -> Option<String> {
    let entry = entry(formatted, placement);
    if entry.is_empty() {
        return None;
    }
    let wine = installer == Installer::Wine;
    let Some(current) = existing.filter(|_| placement != Placement::Replace) else {
        let left_alone =
            !wine && (flags.remove_matching || (flags.set_absent && existing.is_some()));
        // Wine sets an absent variable to the formatted Value as it stands (up to the NUL
        // `[~]` becomes), so a prefix row keeps its `;` (measured).
        let whole = match (wine, placement) {
            (true, Placement::Prefix | Placement::Replace) => {
                formatted.split('\0').next().unwrap_or("")
            }
            _ => entry,
        };
        return (!left_alone).then(|| whole.to_string());
    };
    if current.split(';').any(|part| part == entry) {
        return None;
    }
    Some(match placement {
        Placement::Prefix => format!("{entry};{current}"),
        _ => format!("{current};{entry}"),
    })
}

impl Session<'_> {
    /// The variables WriteEnvironmentStrings sets for the `installed` components, one write
    /// per variable (a later row changes what an earlier one wrote).
    pub(super) fn environment_writes(
        &mut self,
        installed: &BTreeSet<&str>,
    ) -> Result<Vec<RegistryWrite>, SimulationError> {
        if !self.runs("WriteEnvironmentStrings")? {
            return Ok(Vec::new());
        }
        let references = self.references();
        let mut writes: Vec<RegistryWrite> = Vec::new();
        for row in &self.tables.environment {
            if !installed.contains(row.component.as_str()) {
                continue;
            }
            // The installer stops at the first row it cannot read (`environment_failure`).
            let Some((name, flags)) = parse_name(&row.name) else {
                self.unreadable_environment_row = Some(row.environment.clone());
                break;
            };
            let Some((placement, value)) = row.value.as_deref().and_then(parse_value) else {
                continue;
            };
            let formatted = deformat::deformat(value, &references);
            let (root, key) = location(flags);
            let same = |write: &RegistryWrite| {
                write.root == root
                    && write
                        .name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            };
            let earlier = writes.iter().position(same);
            let current = match earlier {
                Some(at) => match &writes[at].data {
                    WrittenData::String(text) => Some(text.clone()),
                    _ => None,
                },
                None => existing(self.profile, flags, name),
            };
            let installer = self.profile.installer;
            let Some(data) = written(installer, flags, placement, &formatted, current.as_deref())
            else {
                continue;
            };
            let write = RegistryWrite {
                root,
                view64: true,
                key: key.to_string(),
                name: Some(name.to_string()),
                data: WrittenData::String(data),
                component: row.component.clone(),
            };
            match earlier {
                Some(at) => writes[at] = write,
                None => writes.push(write),
            }
        }
        Ok(writes)
    }

    /// The stop WriteEnvironmentStrings makes at the first row of an installed component that
    /// names no variable (only prefixes: measured on Wine).
    pub(super) fn environment_failure(&self) -> Option<LaunchOutcome> {
        let row = self.unreadable_environment_row.as_ref()?;
        Some(LaunchOutcome::Stopped {
            action: "WriteEnvironmentStrings".into(),
            message: format!("Environment row `{row}` names no variable"),
        })
    }

    /// The written variables uninstall leaves although their components go: rows without
    /// `-` (or `*`), or all of them when RemoveEnvironmentStrings does not run.
    pub(super) fn environment_kept(
        &self,
        registry: &[RegistryWrite],
    ) -> Result<Vec<Leftover>, SimulationError> {
        let removes = self.runs("RemoveEnvironmentStrings")?;
        let mut kept = Vec::new();
        for row in &self.tables.environment {
            let Some((name, flags)) = parse_name(&row.name) else {
                continue;
            };
            if removes && flags.remove_at_uninstall {
                continue;
            }
            let (root, _) = location(flags);
            let written = registry.iter().find(|write| {
                write.root == root
                    && write.component == row.component
                    && write
                        .name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
            });
            let item = written.map(RegistryWrite::display_key);
            let named_already = |item: &String| kept.iter().any(|k: &Leftover| &k.item == item);
            if let Some(item) = item.filter(|item| !named_already(item)) {
                kept.push(Leftover {
                    item,
                    reason: match removes {
                        true => format!(
                            "Environment row `{}` has no `-`: uninstall leaves the variable",
                            row.environment
                        ),
                        false => "RemoveEnvironmentStrings is not in the execute sequence".into(),
                    },
                    component: row.component.clone(),
                });
            }
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_prefixes_say_when_to_set_and_remove() {
        let (name, flags) = parse_name("*-PATH").unwrap();
        assert_eq!(name, "PATH");
        assert!(flags.system && flags.remove_at_uninstall && !flags.set_absent);
        let (_, plain) = parse_name("HOME").unwrap();
        assert!(plain.remove_at_uninstall && !plain.system);
        let (_, set) = parse_name("=HOME").unwrap();
        assert!(!set.remove_at_uninstall);
        assert!(parse_name("+").is_none() && parse_name("=-!*").is_none());
    }

    #[test]
    fn a_tilde_appends_or_prefixes_only_beside_a_semicolon() {
        assert_eq!(
            parse_value("[~];C:\\x"),
            Some((Placement::Append, ";C:\\x"))
        );
        assert_eq!(
            parse_value("C:\\x;[~]"),
            Some((Placement::Prefix, "C:\\x;"))
        );
        assert_eq!(parse_value("[~]C:\\x"), None);
        assert_eq!(parse_value("C:\\x[~]"), None);
        assert_eq!(parse_value(";[~]"), None);
        assert_eq!(parse_value("plain"), Some((Placement::Replace, "plain")));
        assert_eq!(entry(";C:\\x", Placement::Append), "C:\\x");
        assert_eq!(entry("C:\\x;", Placement::Prefix), "C:\\x");
    }

    #[test]
    fn a_list_gains_the_entry_once_at_its_end_or_start() {
        let plain = Flags::default();
        let wine = Installer::Wine;
        let append = |current| written(wine, plain, Placement::Append, "\0;C:\\x", current);
        assert_eq!(append(Some("a;b")).as_deref(), Some("a;b;C:\\x"));
        assert_eq!(append(Some("a;C:\\x")), None);
        assert_eq!(append(None).as_deref(), Some("C:\\x"));
        let prefix =
            |installer, current| written(installer, plain, Placement::Prefix, "C:\\x;\0", current);
        assert_eq!(prefix(wine, Some("a")).as_deref(), Some("C:\\x;a"));
        // An absent variable: Wine writes the Value as formatted, Windows the entry.
        assert_eq!(prefix(wine, None).as_deref(), Some("C:\\x;"));
        assert_eq!(prefix(Installer::Windows, None).as_deref(), Some("C:\\x"));
    }

    #[test]
    fn wine_overwrites_a_plus_variable_and_windows_leaves_it() {
        let (_, flags) = parse_name("+HOME").unwrap();
        let write = |installer| written(installer, flags, Placement::Replace, "new", Some("old"));
        assert_eq!(write(Installer::Wine).as_deref(), Some("new"));
        assert_eq!(write(Installer::Windows), None);
        assert_eq!(
            written(Installer::Windows, flags, Placement::Replace, "new", None).as_deref(),
            Some("new")
        );
    }
}
