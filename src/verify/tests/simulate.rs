//! The simulator on this project's packages: each target installs only on its machines.

use msikit::format::RegistryRoot;
use msikit::formatted::deformat::WrittenData;
use msikit::simulate::profile::MachineProfile;

fn simulate(
    package: &PackageView,
    profile: &MachineProfile,
) -> Result<Prediction, SimulationError> {
    crate::verify::custom::simulator().simulate(package, profile, &CommandLine::default())
}
use crate::target::{self, Target};
use crate::verify::tests::read::package_bytes;
use msikit::package as read;
use msikit::package::PackageView;
use msikit::simulate::profile;
use msikit::simulate::*;
use std::collections::BTreeMap;

/// The targets each profile should accept: its own, and on Windows on Arm the emulated one
/// Windows Installer lets through (x86 on Windows 10, x64 on Windows 11).
fn expected_targets(profile: &str) -> &'static [&'static str] {
    match profile {
        "win7-x86" => &["win7-x86"],
        "win7-x64" => &["win7-x64"],
        "win8-x86" => &["win8-x86"],
        "win8-x64" => &["win8-x64"],
        "win81-x86" => &["win81-x86"],
        "win81-x64" => &["win81-x64"],
        "win10-22h2-x86" => &["win10-x86"],
        "win10-22h2-x64" => &["win10-x64"],
        "win10-22h2-arm64" => &["win10-arm64", "win10-x86"],
        "win11-x64" => &["win11-x64"],
        "win11-arm64" => &["win11-arm64", "win11-x64"],
        // Too old (1709), Home edition, Server: nothing applies.
        _ => &[],
    }
}

fn read_target(target: &str) -> PackageView {
    read::read(&package_bytes(target)).unwrap()
}

#[test]
fn every_target_installs_only_on_its_own_machines() {
    for &target in target::ALL {
        let package = read_target(&target.name());
        for profile in profile::built_in()
            .iter()
            .filter(|p| !p.name.starts_with("wine-"))
        {
            let outcome = crate::verify::custom::simulator()
                .launch(&package, profile)
                .unwrap();
            let should_install = expected_targets(&profile.name).contains(&&*target.name());
            assert_eq!(
                outcome == LaunchOutcome::Installs,
                should_install,
                "{target} on {}: {outcome:?}",
                profile.name
            );
        }
    }
}

#[test]
fn windows_installer_refuses_packages_for_another_processor_before_any_condition() {
    let refused_by_platform = |target: &str, machine: &str| {
        let outcome = crate::verify::custom::simulator()
            .launch(&read_target(target), &profile::by_name(machine).unwrap())
            .unwrap();
        matches!(&outcome, LaunchOutcome::Refused { messages }
            if messages.len() == 1 && messages[0].contains("(1633)"))
    };
    // Windows 10 on Arm has no x64 emulation.
    assert!(refused_by_platform("win10-x64", "win10-22h2-arm64"));
    assert!(refused_by_platform("win11-x64", "win10-22h2-arm64"));
    for machine in [
        "win10-22h2-x64",
        "win11-x64",
        "win10-22h2-x86",
        "server2019-x64",
    ] {
        assert!(refused_by_platform("win10-arm64", machine), "{machine}");
        assert!(refused_by_platform("win11-arm64", machine), "{machine}");
    }
    // Same processor, other Windows: a launch condition names the package that fits.
    let outcome = crate::verify::custom::simulator()
        .launch(
            &read_target("win10-arm64"),
            &profile::by_name("win11-arm64").unwrap(),
        )
        .unwrap();
    assert!(
        matches!(&outcome, LaunchOutcome::Refused { messages } if messages.iter().any(|m| m.contains("Windows 11 needs win11-arm64"))),
        "{outcome:?}"
    );
}

#[test]
fn refusals_explain_themselves() {
    let win10 = read_target(&Target::from_name("win10-x64").unwrap().name());
    let outcome = crate::verify::custom::simulator()
        .launch(&win10, &profile::by_name("win10-22h2-home-x64").unwrap())
        .unwrap();
    assert!(
        matches!(&outcome, LaunchOutcome::Refused { messages } if messages.len() == 1 && messages[0].contains("Home edition")),
        "{outcome:?}"
    );
    let outcome = crate::verify::custom::simulator()
        .launch(&win10, &profile::by_name("server2019-x64").unwrap())
        .unwrap();
    assert!(
        matches!(&outcome, LaunchOutcome::Refused { messages } if messages.iter().any(|m| m.contains("Windows Server"))),
        "{outcome:?}"
    );
}

#[test]
fn the_policy_package_writes_its_value_and_leaves_nothing() {
    let package = read_target("win10-x64");
    let prediction = simulate(&package, &profile::by_name("win10-22h2-x64").unwrap()).unwrap();
    assert_eq!(prediction.outcome, LaunchOutcome::Installs);
    let policy: Vec<_> = prediction
        .registry
        .iter()
        .filter(|write| write.name.as_deref() == Some("AllowPasswordReset"))
        .collect();
    assert_eq!(policy.len(), 1, "{:?}", prediction.registry);
    assert_eq!(policy[0].root, RegistryRoot::LocalMachine);
    assert_eq!(policy[0].key, r"SOFTWARE\Policies\Microsoft\AzureADAccount");
    assert_eq!(policy[0].data, WrittenData::Dword(1));
    assert!(policy[0].view64);
    assert_eq!(prediction.residue, Vec::new());
    assert_eq!(prediction.permanent, Vec::new());
    assert_eq!(prediction.unsimulated, Vec::<String>::new());
}

fn proxy_package(mode: &str, server: Option<&str>, target: &str) -> PackageView {
    let server = server.map_or(String::new(), |s| format!("server = \"{s}\"\n"));
    let settings = crate::verify::tests::read::settings_with(&format!(
        "[proxy]\nmode = \"{mode}\"\n{server}[proxy.custom_action.x64]\npath = \"c.dll\"\nsha256 = \"{:064}\"\n",
        0
    ));
    read::read(&crate::verify::tests::read::package_bytes_with(
        &settings, target,
    ))
    .unwrap()
}

fn with_server(server: &str) -> CommandLine {
    CommandLine {
        install: [("PROXYSERVER".to_string(), server.to_string())].into(),
        uninstall: BTreeMap::new(),
    }
}

#[test]
fn proxy_modes_write_the_proxy_and_put_everything_back_at_uninstall() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    for (mode, root, expected) in [
        ("machine", RegistryRoot::LocalMachine, 3),
        ("default-profile", RegistryRoot::Users, 2),
    ] {
        let package = proxy_package(mode, Some("proxy:8080"), "win10-x64");
        let prediction = crate::verify::custom::simulator()
            .simulate(&package, &profile, &CommandLine::default())
            .unwrap();
        assert_eq!(prediction.outcome, LaunchOutcome::Installs, "{mode}");
        let proxy: Vec<&RegistryWrite> = prediction
            .registry
            .iter()
            .filter(|w| w.component == "custom action SsprProxyApply")
            .collect();
        assert_eq!(proxy.len(), expected, "{mode}: {proxy:?}");
        assert!(proxy.iter().all(|w| w.root == root && w.view64));
        let server = proxy
            .iter()
            .find(|w| w.name.as_deref() == Some("ProxyServer"))
            .unwrap();
        assert_eq!(server.data, WrittenData::String("proxy:8080".into()));
        let memory = prediction
            .registry
            .iter()
            .find(|w| w.name.as_deref() == Some("Server"))
            .unwrap();
        assert_eq!(memory.data, WrittenData::String("proxy:8080".into()));
        assert_eq!(prediction.residue, Vec::new(), "{mode}");
        assert_eq!(prediction.unsimulated, Vec::<String>::new(), "{mode}");
        // The admin's value from the command line wins over the default.
        let given = crate::verify::custom::simulator()
            .simulate(&package, &profile, &with_server("other:3128"))
            .unwrap();
        assert!(given
            .registry
            .iter()
            .any(|w| w.data == WrittenData::String("other:3128".into())));
    }
}

#[test]
fn a_bad_or_missing_proxy_server_refuses_the_install_before_anything_is_written() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    let package = proxy_package("machine", Some("proxy:8080"), "win10-x64");
    for bad in ["proxy", "http://proxy:80", "proxy:99999", "proxy:80;x"] {
        let prediction = crate::verify::custom::simulator()
            .simulate(&package, &profile, &with_server(bad))
            .unwrap();
        let LaunchOutcome::Refused { messages } = &prediction.outcome else {
            panic!("{bad} installs");
        };
        assert!(
            messages[0].contains(&format!("it was \"{bad}\"")),
            "{messages:?}"
        );
        assert!(prediction.registry.is_empty());
    }
    let unset = proxy_package("default-profile", None, "win10-x64");
    assert!(matches!(
        crate::verify::custom::simulator()
            .simulate(&unset, &profile, &CommandLine::default())
            .unwrap()
            .outcome,
        LaunchOutcome::Refused { .. }
    ));
    let given = crate::verify::custom::simulator()
        .simulate(&unset, &profile, &with_server("p:1"))
        .unwrap();
    assert_eq!(given.outcome, LaunchOutcome::Installs);
}

#[test]
fn a_proxy_value_nothing_removes_is_residue() {
    let mut package = proxy_package("machine", Some("proxy:8080"), "win10-x64");
    let table = package.tables.get_mut("InstallExecuteSequence").unwrap();
    table
        .rows
        .retain(|row| row[0] != msikit::format::Cell::from("SsprProxyRemove"));
    let prediction = simulate(&package, &profile::by_name("win10-22h2-x64").unwrap()).unwrap();
    assert_eq!(prediction.residue.len(), 3, "{:?}", prediction.residue);
    assert!(prediction.residue[0].reason.contains("SsprProxyApply"));
}

#[test]
fn a_refused_install_writes_nothing() {
    let package = read_target("win10-x64");
    let prediction = simulate(&package, &profile::by_name("win7-x64").unwrap()).unwrap();
    assert!(matches!(prediction.outcome, LaunchOutcome::Refused { .. }));
    assert!(prediction.registry.is_empty() && prediction.residue.is_empty());
}

#[test]
fn the_32_bit_view_lands_under_wow6432node_except_shared_keys() {
    let write = |root, key: &str| RegistryWrite {
        root,
        view64: false,
        key: key.into(),
        name: None,
        data: WrittenData::KeyOnly,
        component: "c".into(),
    };
    let cases = [
        (
            RegistryRoot::LocalMachine,
            r"SOFTWARE\Vendor",
            r"SOFTWARE\WOW6432Node\Vendor",
        ),
        (
            RegistryRoot::LocalMachine,
            r"SOFTWARE\Policies\X",
            r"SOFTWARE\Policies\X",
        ),
        (
            RegistryRoot::ClassesRoot,
            r"CLSID\{X}",
            r"SOFTWARE\Classes\WOW6432Node\CLSID\{X}",
        ),
        (
            RegistryRoot::LocalMachine,
            r"SYSTEM\CurrentControlSet",
            r"SYSTEM\CurrentControlSet",
        ),
    ];
    for (root, key, expected) in cases {
        assert_eq!(write(root, key).physical_key(true).1, expected, "{key}");
        assert_eq!(
            write(root, key).physical_key(false).1,
            if root == RegistryRoot::ClassesRoot {
                format!(r"SOFTWARE\Classes\{key}")
            } else {
                key.to_string()
            }
        );
    }
}

#[test]
fn permanent_tls_values_are_listed_apart_from_residue() {
    let package = read_target("win7-x64");
    let prediction = simulate(&package, &profile::by_name("win7-x64").unwrap()).unwrap();
    assert_eq!(prediction.outcome, LaunchOutcome::Installs);
    assert_eq!(prediction.residue, Vec::new());
    let permanent: Vec<&str> = prediction
        .permanent
        .iter()
        .map(|l| l.item.as_str())
        .collect();
    assert_eq!(permanent.len(), 4, "{permanent:?}");
    assert!(permanent.iter().any(|item| item.ends_with("[Enabled]")));
    assert!(prediction.files[0]
        .path
        .ends_with(r"\SsprCredentialProvider.dll"));
    assert!(prediction.files[0].path.starts_with(r"C:\Program Files\"));
}

/// The logging component with its `REMOVE~="ALL"` clause taken out, switched on.
fn logging_package(keep_remove_clause: bool) -> PackageView {
    let mut package = read_target("win7-x64");
    let components = package.tables.get_mut("Component").unwrap();
    let condition = components.column("Condition").unwrap();
    for row in &mut components.rows {
        if let msikit::format::Cell::Str(text) = &mut row[condition] {
            if text.contains("REMOVE") && !keep_remove_clause {
                *text = text.replace(r#" OR REMOVE~="ALL""#, "");
            }
        }
    }
    package
}

#[test]
fn a_component_condition_false_at_uninstall_is_residue() {
    let profile = profile::by_name("win7-x64").unwrap();
    let command_line = CommandLine {
        install: BTreeMap::from([("ENABLELOGGING".into(), "1".into())]),
        uninstall: BTreeMap::new(),
    };
    let with_clause = crate::verify::custom::simulator()
        .simulate(&logging_package(true), &profile, &command_line)
        .unwrap();
    assert_eq!(with_clause.residue, Vec::new());
    assert!(with_clause
        .registry
        .iter()
        .any(|write| write.name.as_deref() == Some("EnableLogging")));
    // ENABLELOGGING is not passed again at uninstall, so without the clause the
    // condition is false then.
    let without = crate::verify::custom::simulator()
        .simulate(&logging_package(false), &profile, &command_line)
        .unwrap();
    assert_eq!(without.residue.len(), 1, "{:?}", without.residue);
    assert!(without.residue[0].item.contains("EnableLogging"));
    assert!(without.residue[0].reason.contains("false at uninstall"));
}

fn set_cell(package: &mut PackageView, table: &str, column: &str, value: msikit::format::Cell) {
    let table = package.tables.get_mut(table).unwrap();
    let index = table.column(column).unwrap();
    for row in &mut table.rows {
        row[index] = value.clone();
    }
}

#[test]
fn feature_levels_decide_what_installs() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    let mut package = read_target("win10-x64");
    set_cell(&mut package, "Feature", "Level", 0.into());
    let disabled = crate::verify::custom::simulator()
        .simulate(&package, &profile, &CommandLine::default())
        .unwrap();
    assert_eq!(disabled.outcome, LaunchOutcome::Installs);
    assert!(disabled.registry.is_empty(), "{:?}", disabled.registry);
    set_cell(&mut package, "Feature", "Level", 3.into());
    assert!(crate::verify::custom::simulator()
        .simulate(&package, &profile, &CommandLine::default())
        .unwrap()
        .registry
        .is_empty());
    let command_line = CommandLine {
        install: BTreeMap::from([("INSTALLLEVEL".into(), "3".into())]),
        uninstall: BTreeMap::new(),
    };
    let raised = crate::verify::custom::simulator()
        .simulate(&package, &profile, &command_line)
        .unwrap();
    assert_eq!(raised.registry.len(), 1, "{:?}", raised.registry);
}

#[test]
fn a_false_component_condition_keeps_the_component_out() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    let mut package = read_target("win10-x64");
    set_cell(
        &mut package,
        "Component",
        "Condition",
        "VersionNT >= 1000".into(),
    );
    assert!(crate::verify::custom::simulator()
        .simulate(&package, &profile, &CommandLine::default())
        .unwrap()
        .registry
        .is_empty());
}

#[test]
fn an_action_missing_from_the_execute_sequence_does_nothing_under_qn() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    let mut package = read_target("win10-x64");
    package
        .tables
        .get_mut("InstallExecuteSequence")
        .unwrap()
        .rows
        .retain(|row| row[0] != "WriteRegistryValues".into());
    assert!(crate::verify::custom::simulator()
        .simulate(&package, &profile, &CommandLine::default())
        .unwrap()
        .registry
        .is_empty());
}

#[test]
fn bad_condition_syntax_is_an_error_naming_its_row() {
    let profile = profile::by_name("win10-22h2-x64").unwrap();
    let mut package = read_target("win10-x64");
    set_cell(&mut package, "Component", "Condition", "(VersionNT".into());
    let error = crate::verify::custom::simulator()
        .simulate(&package, &profile, &CommandLine::default())
        .unwrap_err();
    assert_eq!(error.table, "Component");
    assert!(error.to_string().contains("(VersionNT"), "{error}");
}
