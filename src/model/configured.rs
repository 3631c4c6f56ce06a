//! The release engineer's own `[[custom_action]]` and `[[property]]` entries, for one target.

use super::action::{Binary, DeferredAction, Program, SetAction, SetTarget, Step};
use super::{LaunchCondition, Package};
use crate::config::{ActionKind, CustomActionSettings, PublicProperty};
use crate::payload::{CheckedPayload, PayloadSpec};
use crate::target::Arch;
use std::collections::BTreeMap;

/// Adds the actions that apply to the package's target. `binaries` holds the checked files
/// by config key (`custom_action.<id>.binary.<arch>`).
pub fn add_actions(
    package: &mut Package,
    configured: &[CustomActionSettings],
    binaries: &BTreeMap<String, CheckedPayload>,
) {
    let target = package.target;
    for action in configured
        .iter()
        .filter(|a| a.targets.is_empty() || a.targets.contains(&target))
    {
        let actions = &mut package.actions;
        let mut embed = |specs: &BTreeMap<Arch, PayloadSpec>| {
            let spec = &specs[&target.arch];
            actions.binaries.push(Binary {
                id: action.id.clone(),
                source: binaries[&spec.config_key].source.clone(),
            });
            action.id.clone()
        };
        let (step, rollback) = match &action.kind {
            ActionKind::BinaryDll {
                binaries: specs,
                entry,
                rollback_entry,
                data,
                rollback_data,
            } => {
                let binary = embed(specs);
                let dll = |entry: &str, data: &Option<String>| Step {
                    program: Program::BinaryDll {
                        binary: binary.clone(),
                        entry: entry.to_string(),
                    },
                    data: data.clone(),
                };
                let rollback_data = rollback_data.clone().or_else(|| data.clone());
                (dll(entry, data), dll(rollback_entry, &rollback_data))
            }
            ActionKind::BinaryExe {
                binaries: specs,
                arguments,
                rollback_arguments,
            } => {
                let binary = embed(specs);
                let exe = |arguments: &str| Step {
                    program: Program::BinaryExe {
                        binary: binary.clone(),
                        arguments: arguments.to_string(),
                    },
                    data: None,
                };
                (exe(arguments), exe(rollback_arguments))
            }
            ActionKind::InstalledExe {
                directory,
                command,
                rollback,
            } => {
                let exe = |command: &str| Step {
                    program: Program::InstalledExe {
                        directory: directory.clone(),
                        command: command.to_string(),
                    },
                    data: None,
                };
                (exe(command), exe(rollback))
            }
            ActionKind::SetProperty { property, value } => {
                actions
                    .sets
                    .push(set(action, SetTarget::Property(property.clone()), value));
                continue;
            }
            ActionKind::SetDirectory { directory, value } => {
                actions
                    .sets
                    .push(set(action, SetTarget::Directory(directory.clone()), value));
                continue;
            }
        };
        actions.deferred.push(DeferredAction {
            id: action.id.clone(),
            step,
            rollback,
            phases: action.phases.clone(),
            condition: action.condition.clone(),
            check_return: action.check_return,
        });
    }
}

fn set(action: &CustomActionSettings, target: SetTarget, value: &str) -> SetAction {
    SetAction {
        id: action.id.clone(),
        target,
        value: value.to_string(),
        condition: action.condition.clone(),
    }
}

/// Public properties: defaults, passed to the elevated part of the install, and checked by
/// launch conditions before anything is written.
pub fn add_properties(package: &mut Package, properties: &[PublicProperty]) {
    for property in properties {
        let name = &property.name;
        package.secure_properties.push(name.clone());
        if let Some(value) = &property.value {
            package.properties.push((name.clone(), value.clone()));
        }
        let condition = match (&property.valid_when, property.required) {
            (Some(valid), true) => format!("{name} AND ({valid})"),
            (Some(valid), false) => format!("NOT {name} OR ({valid})"),
            (None, true) => name.clone(),
            (None, false) => continue,
        };
        package
            .launch_conditions
            .push(LaunchCondition::unless_installed(
                &condition,
                property.message.clone(),
            ));
    }
}
