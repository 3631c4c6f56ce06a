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

/// The win10-x64 package with `actions` (name, type, source, target, sequence, condition)
/// scheduled in its execute sequence; a name without a type (0) is a standard action.
fn with_actions(actions: Vec<crate::verify::tests::rules::ActionRow>) -> PackageView {
    use crate::verify::tests::rules::{add_row, custom_actions};
    let mut package = read_target("win10-x64");
    let (custom, standard): (Vec<_>, Vec<_>) = actions.into_iter().partition(|row| row.1 != 0);
    custom_actions(custom)(&mut package);
    for (name, _, _, _, sequence, _) in standard {
        let row = vec![
            name.into(),
            msikit::format::Cell::Null,
            msikit::format::Cell::Int(sequence),
        ];
        add_row(&mut package, "InstallExecuteSequence", row);
    }
    package
}

fn simulate_with(package: &PackageView, profile: &str, properties: &[(&str, &str)]) -> Prediction {
    let install = properties
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let command_line = CommandLine {
        install,
        ..Default::default()
    };
    crate::verify::custom::simulator()
        .simulate(package, &profile::by_name(profile).unwrap(), &command_line)
        .unwrap()
}

/// msiexec command-line properties: (name, value).
type Properties = &'static [(&'static str, &'static str)];

const WINDOWS: &str = "win10-22h2-x64";
const WINE: &str = "wine-win10";
const REALLY_SUPPRESS: Properties = &[("REBOOT", "ReallySuppress")];
/// Our packages set `REBOOT=ReallySuppress` (SSPR003); an empty value on the command line
/// takes it away.
const NOT_SUPPRESSED: Properties = &[("REBOOT", "")];

#[test]
fn schedule_reboot_exits_1641_on_windows_unless_suppressed_and_3010_on_wine_always() {
    let package = with_actions(vec![("ScheduleReboot", 0, "", "", 6700, None)]);
    let cases: &[(&str, Properties, u32)] = &[
        (WINDOWS, NOT_SUPPRESSED, 1641),
        (WINDOWS, REALLY_SUPPRESS, 3010),
        (WINDOWS, &[("REBOOT", "S")], 3010),
        (WINE, NOT_SUPPRESSED, 3010),
        (WINE, REALLY_SUPPRESS, 3010),
    ];
    for (profile, properties, code) in cases {
        let prediction = simulate_with(&package, profile, properties);
        assert_eq!(prediction.outcome, LaunchOutcome::Installs, "{profile}");
        assert_eq!(prediction.exit_code, *code, "{profile} {properties:?}");
        assert!(!prediction.registry.is_empty(), "{profile}");
        // /x runs the unconditioned ScheduleReboot again, under the package's own
        // REBOOT=ReallySuppress (the command line's is gone): 3010 on both.
        assert_eq!(prediction.uninstall_exit_code, Some(3010), "{profile}");
    }
}

#[test]
fn force_reboot_suspends_wine_before_the_script_and_restarts_windows() {
    let package = with_actions(vec![("ForceReboot", 0, "", "", 6500, None)]);
    for properties in [NOT_SUPPRESSED, REALLY_SUPPRESS] {
        let wine = simulate_with(&package, WINE, properties);
        let suspended = LaunchOutcome::Suspended {
            action: "ForceReboot".into(),
        };
        assert_eq!((wine.outcome, wine.exit_code), (suspended, 1604));
        // The script never ran: only the RunOnce value that would resume the install.
        let keys: Vec<&str> = wine.registry.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, [r"SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce"]);
        assert_eq!(wine.permanent.len(), 1);
        assert_eq!(wine.uninstall, None);
    }
    let windows = simulate_with(&package, WINDOWS, NOT_SUPPRESSED);
    assert_eq!(
        (windows.outcome, windows.exit_code),
        (LaunchOutcome::Installs, 1641)
    );
    assert!(windows
        .unsimulated
        .iter()
        .any(|note| note.contains("ForceReboot")));
    let suppressed = simulate_with(&package, WINDOWS, REALLY_SUPPRESS);
    assert_eq!(suppressed.exit_code, 3010);
    assert!(!suppressed.registry.is_empty());
}

#[test]
fn force_reboot_after_install_finalize_keeps_what_wine_wrote() {
    let package = with_actions(vec![("ForceReboot", 0, "", "", 6700, None)]);
    let wine = simulate_with(&package, WINE, &[]);
    assert_eq!(wine.exit_code, 1604);
    assert!(!wine.registry.is_empty());
    assert!(wine.uninstall.is_some(), "registered, so /x removes it");
}

#[test]
fn an_error_action_stops_the_install_with_its_formatted_message() {
    let stop = |sequence| {
        with_actions(vec![(
            "Stop",
            19,
            "",
            "Stopped by [Manufacturer]",
            sequence,
            Some("NOT Installed"),
        )])
    };
    let early = stop(1550);
    for profile in [WINDOWS, WINE] {
        let prediction = simulate_with(&early, profile, &[]);
        let LaunchOutcome::Stopped { action, message } = &prediction.outcome else {
            panic!("{profile}: {:?}", prediction.outcome);
        };
        assert_eq!(action, "Stop");
        assert!(
            message.starts_with("Stopped by ") && !message.contains('['),
            "{message}"
        );
        assert_eq!(prediction.exit_code, 1603);
        assert_eq!(prediction.registry, Vec::new(), "{profile}");
        assert_eq!(prediction.uninstall, None, "{profile}");
        assert!(!prediction
            .unsimulated
            .iter()
            .any(|note| note.contains("Stop")));
    }
    // Past InstallFinalize Windows cannot roll back; Wine (measured) leaves nothing.
    let late = stop(6700);
    let windows = simulate_with(&late, WINDOWS, &[]);
    assert_eq!(windows.exit_code, 1603);
    assert!(!windows.registry.is_empty());
    assert_eq!(
        windows.uninstall_exit_code,
        Some(0),
        "`NOT Installed` is false at /x"
    );
    let wine = simulate_with(&late, WINE, &[]);
    assert_eq!((wine.exit_code, wine.registry.len()), (1603, 0));
}

#[test]
fn reboot_force_restarts_windows_at_the_end_and_wine_ignores_it() {
    let package = read_target("win10-x64");
    let force = &[("REBOOT", "Force")];
    assert_eq!(simulate_with(&package, WINDOWS, force).exit_code, 1641);
    assert_eq!(simulate_with(&package, WINE, force).exit_code, 0);
    assert_eq!(simulate_with(&package, WINDOWS, &[]).exit_code, 0);
}

/// The win7-x64 credential-provider package with every file marked uncompressed, read from a
/// folder holding `beside` (paths with `/`).
fn simulate_uncompressed(profile: &str, beside: &[&str]) -> Prediction {
    let mut package = read_target("win7-x64");
    let files = package.tables.get_mut("File").unwrap();
    let attributes = files.column("Attributes").unwrap();
    for row in &mut files.rows {
        row[attributes] = msikit::format::Cell::Int(0x2000);
    }
    let folder = tempfile::tempdir().unwrap();
    for path in beside {
        let path = folder.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "MZ").unwrap();
    }
    let beside = source::FolderBeside::of(&folder.path().join("package.msi"));
    crate::verify::custom::simulator()
        .with_source(&beside)
        .simulate(
            &package,
            &profile::by_name(profile).unwrap(),
            &CommandLine::default(),
        )
        .unwrap()
}

fn missing_sources(prediction: &Prediction) -> Option<&str> {
    match &prediction.outcome {
        LaunchOutcome::Stopped { action, message } if action == "InstallFiles" => {
            message.strip_prefix("source files not found beside the package: ")
        }
        _ => None,
    }
}

#[test]
fn an_uncompressed_file_comes_from_the_source_tree_on_windows_and_from_beside_the_package_on_wine()
{
    const TREE: &str = "Contoso IT/Entra SSPR at Windows sign-in/SsprCredentialProvider.dll";
    const FLAT: &str = "SsprCredentialProvider.dll";
    let windows = simulate_uncompressed("win7-x64", &[FLAT]);
    assert_eq!(missing_sources(&windows), Some(&*TREE.replace('/', "\\")));
    assert_eq!(windows.exit_code, 1603);
    assert!(windows.files.is_empty() && windows.registry.is_empty());
    assert!(windows.uninstall.is_none());
    let windows = simulate_uncompressed("win7-x64", &[TREE]);
    assert_eq!(windows.outcome, LaunchOutcome::Installs);
    assert!(!windows.files.is_empty());

    let wine = simulate_uncompressed("wine-win7", &[TREE]);
    assert_eq!(missing_sources(&wine), Some(FLAT));
    let wine = simulate_uncompressed("wine-win7", &[FLAT]);
    assert_eq!(wine.outcome, LaunchOutcome::Installs);
}

#[test]
fn without_its_folder_a_package_that_reads_sources_beside_it_says_they_were_not_checked() {
    let mut package = read_target("win7-x64");
    let media = package.tables.get_mut("Media").unwrap();
    let cabinet = media.column("Cabinet").unwrap();
    media.rows[0][cabinet] = "outside.cab".into();
    let prediction = simulate(&package, &profile::by_name("win7-x64").unwrap()).unwrap();
    assert_eq!(prediction.outcome, LaunchOutcome::Installs);
    assert!(
        prediction.unsimulated.contains(
            &"source media not checked: the install reads outside.cab (1 file) from beside the package"
                .to_string()
        ),
        "{:?}",
        prediction.unsimulated
    );
}

#[test]
fn a_plus_or_star_name_with_a_value_is_a_value_name_on_windows_and_only_a_key_on_wine() {
    use msikit::format::Cell;
    let mut package = read_target("win10-x64");
    let registry = package.tables.get_mut("Registry").unwrap();
    let component = registry.rows[0][registry.column("Component_").unwrap()].clone();
    for (id, name) in [("PlusValued", "+"), ("StarValued", "*")] {
        let key = format!(r"SOFTWARE\Fabrikam\{id}");
        let row = vec![
            id.into(),
            Cell::Int(2),
            key.as_str().into(),
            name.into(),
            "valued".into(),
            component.clone(),
        ];
        crate::verify::tests::rules::add_row(&mut package, "Registry", row);
    }
    let written = |profile: &str| -> Vec<(Option<String>, WrittenData)> {
        simulate_with(&package, profile, &[])
            .registry
            .into_iter()
            .filter(|write| write.key.starts_with(r"SOFTWARE\Fabrikam\"))
            .map(|write| (write.name, write.data))
            .collect()
    };
    let valued = WrittenData::String("valued".into());
    assert_eq!(
        written(WINDOWS),
        vec![
            (Some("+".into()), valued.clone()),
            (Some("*".into()), valued)
        ]
    );
    assert_eq!(
        written(WINE),
        vec![(None, WrittenData::KeyOnly), (None, WrittenData::KeyOnly)]
    );
}

#[test]
fn a_custom_action_the_simulator_cannot_run_is_listed_for_the_session_it_runs_in() {
    let package = with_actions(vec![
        (
            "AtInstall",
            1,
            "Bin",
            "Install",
            4000,
            Some("NOT Installed"),
        ),
        (
            "AtUninstall",
            1,
            "Bin",
            "Remove",
            4001,
            Some(r#"REMOVE~="ALL""#),
        ),
        ("Never", 1, "Bin", "Never", 4002, Some("0")),
    ]);
    let prediction = simulate_with(&package, WINDOWS, &[]);
    let listed: Vec<&str> = prediction
        .unsimulated
        .iter()
        .map(String::as_str)
        .filter(|note| note.starts_with("custom action"))
        .collect();
    assert_eq!(
        listed,
        [
            "custom action `AtInstall` is not simulated: the install depends on what it does (type 1)",
            "custom action `AtUninstall` is not simulated: the uninstall depends on what it does (type 1)",
        ]
    );
}

#[test]
fn an_install_that_puts_no_feature_on_the_machine_leaves_no_product_to_uninstall() {
    let mut package = read_target("win10-x64");
    let features = package.tables.get_mut("Feature").unwrap();
    let level = features.column("Level").unwrap();
    for row in &mut features.rows {
        row[level] = msikit::format::Cell::Int(4);
    }
    let windows = simulate_with(&package, WINDOWS, &[]);
    assert_eq!(windows.outcome, LaunchOutcome::Installs);
    assert!(windows.registry.is_empty() && windows.files.is_empty());
    assert_eq!(windows.uninstall_exit_code, Some(1605));
    // Wine runs the /x as a new session, `Installed` unset (seed 153 of the campaign).
    let wine = simulate_with(&package, WINE, &[]);
    assert_ne!(wine.uninstall_exit_code, Some(1605));
}
