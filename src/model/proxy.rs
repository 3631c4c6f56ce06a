//! The source document's proxy workarounds as custom actions of the proxy DLL
//! (`payload/customaction`): it records what was there, writes the proxy, and puts the
//! earlier values back at uninstall or rollback. Both modes work the same way; only the hive
//! differs (HKLM, or the Default profile's NTUSER.DAT loaded for the duration of the step).

use super::action::{Binary, CheckAction, DeferredAction, Program, Step};
use super::{
    Component, LaunchCondition, Package, RegistryData, RegistryRoot, RegistrySearch, RegistryValue,
};
use crate::config::{ProxyMode, Settings};
use crate::payload::CheckedPayload;
use msikit::formatted::escape_literal;
use msikit::phase::Phase;

pub const SERVER_PROPERTY: &str = "PROXYSERVER";
pub const BYPASS_PROPERTY: &str = "PROXYBYPASS";
/// Set to 1 by the DLL's `SsprValidateProxyServer` when PROXYSERVER is `host:port`; private, so no
/// command line can set it and skip the check.
pub const VALID_PROPERTY: &str = "SsprProxyServerValid";
/// What the installed product wrote, read back at uninstall (the command line is gone then).
pub const INSTALLED_SERVER_PROPERTY: &str = "SsprInstalledProxyServer";
pub const INSTALLED_BYPASS_PROPERTY: &str = "SsprInstalledProxyBypass";
pub const BINARY_ID: &str = "SsprProxyCA";
pub const APPLY_ACTION: &str = "SsprProxyApply";
pub const REMOVE_ACTION: &str = "SsprProxyRemove";
pub const VALIDATE_ACTION: &str = "SsprValidateProxy";

pub const MACHINE_POLICY_KEY: &str =
    r"SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
pub const INTERNET_SETTINGS_KEY: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings";

/// The DLL's entry points (exported undecorated).
pub const ENTRY_APPLY: &str = "SsprRegistryApply";
pub const ENTRY_UNDO_APPLY: &str = "SsprRegistryUndoApply";
pub const ENTRY_REMOVE: &str = "SsprRegistryRemove";
pub const ENTRY_VALIDATE: &str = "SsprValidateProxyServer";

/// Adds the proxy mode's property checks, memory and deferred actions to `package`.
pub fn add(package: &mut Package, settings: &Settings, dll: &CheckedPayload) {
    let proxy = &settings.proxy;
    if proxy.mode == ProxyMode::None {
        return;
    }
    let win64 = package.target.arch.is_64bit();
    let has_bypass = proxy.bypass.is_some();
    for (property, default) in [
        (SERVER_PROPERTY, &proxy.server),
        (BYPASS_PROPERTY, &proxy.bypass),
    ] {
        package.secure_properties.push(property.to_string());
        if let Some(value) = default {
            package
                .properties
                .push((property.to_string(), value.clone()));
        }
    }
    package.launch_conditions.push(LaunchCondition::unless_installed(
        &format!("{VALID_PROPERTY} = \"1\""),
        format!(
            "{SERVER_PROPERTY} must be host:port, e.g. msiexec /i PACKAGE.msi {SERVER_PROPERTY}=proxy.contoso.com:8080 /qn; it was \"[{SERVER_PROPERTY}]\"."
        ),
    ));
    let actions = &mut package.actions;
    actions.binaries.push(Binary {
        id: BINARY_ID.to_string(),
        source: dll.source.clone(),
    });
    actions.checks.push(CheckAction {
        id: VALIDATE_ACTION.to_string(),
        binary: BINARY_ID.to_string(),
        entry: ENTRY_VALIDATE.to_string(),
    });
    let memory_key = format!(
        r"SOFTWARE\{}\{}\Proxy",
        settings.product.manufacturer, settings.product.name
    );
    let backup_key = format!(
        r"SOFTWARE\{}\{}\ProxyBackup",
        settings.product.manufacturer, settings.product.name
    );
    package
        .components
        .push(memory_component(&memory_key, win64, has_bypass));
    for (property, name) in [
        (INSTALLED_SERVER_PROPERTY, "Server"),
        (INSTALLED_BYPASS_PROPERTY, "Bypass"),
    ]
    .into_iter()
    .take(if has_bypass { 2 } else { 1 })
    {
        package.searches.push(RegistrySearch {
            property: property.to_string(),
            root: RegistryRoot::LocalMachine,
            key: memory_key.clone(),
            name: name.to_string(),
            win64,
        });
    }
    let data = |server: &str, bypass: &str| {
        custom_action_data(
            proxy.mode,
            win64,
            &backup_key,
            &format!("[{server}]"),
            has_bypass.then(|| format!("[{bypass}]")),
        )
    };
    let installing = data(SERVER_PROPERTY, BYPASS_PROPERTY);
    let installed = data(INSTALLED_SERVER_PROPERTY, INSTALLED_BYPASS_PROPERTY);
    let step = |entry: &str, data: &str| Step {
        program: Program::BinaryDll {
            binary: BINARY_ID.to_string(),
            entry: entry.to_string(),
        },
        data: Some(data.to_string()),
    };
    actions.deferred.push(DeferredAction {
        id: APPLY_ACTION.to_string(),
        step: step(ENTRY_APPLY, &installing),
        rollback: step(ENTRY_UNDO_APPLY, &installing),
        phases: vec![Phase::Install, Phase::Upgrade],
        condition: None,
        check_return: true,
    });
    actions.deferred.push(DeferredAction {
        id: REMOVE_ACTION.to_string(),
        step: step(ENTRY_REMOVE, &installed),
        // Undoing a removal writes the installed product's values again.
        rollback: step(ENTRY_APPLY, &installed),
        phases: vec![Phase::Uninstall, Phase::UpgradeRemoval],
        condition: None,
        check_return: true,
    });
}

/// The records the DLL reads (one per line; see payload/README.md). Literal parts are
/// escaped: the whole text is Formatted, expanded when the action is scheduled.
pub fn custom_action_data(
    mode: ProxyMode,
    win64: bool,
    backup_key: &str,
    server: &str,
    bypass: Option<String>,
) -> String {
    let hive = match mode {
        ProxyMode::DefaultProfile => "default-profile",
        _ => "machine",
    };
    let mut records = vec![
        format!("hive={hive}"),
        format!("view={}", if win64 { 64 } else { 32 }),
        format!("backup={}", escape_literal(backup_key)),
    ];
    if mode == ProxyMode::Machine {
        records.push(format!("key={MACHINE_POLICY_KEY}"));
        records.push("dword:ProxySettingsPerUser=0".to_string());
    }
    records.push(format!("key={INTERNET_SETTINGS_KEY}"));
    records.push("dword:ProxyEnable=1".to_string());
    records.push(format!("sz:ProxyServer={server}"));
    if let Some(bypass) = bypass {
        records.push(format!("sz:ProxyOverride={bypass}"));
    }
    records.join("\n")
}

/// Remembers what the install wrote, for the uninstall's comparison (the WiX "remember
/// property" pattern): the values are removed with the product.
fn memory_component(key: &str, win64: bool, has_bypass: bool) -> Component {
    let value = |id: &str, name: &str, property: &str| RegistryValue {
        id: id.to_string(),
        root: RegistryRoot::LocalMachine,
        key: key.to_string(),
        name: Some(name.to_string()),
        data: RegistryData::Formatted(format!("[{property}]")),
    };
    let mut values = vec![value("ProxyServerMemory", "Server", SERVER_PROPERTY)];
    if has_bypass {
        values.push(value("ProxyBypassMemory", "Bypass", BYPASS_PROPERTY));
    }
    Component::for_registry("ProxyMemory", win64, values)
}
