//! Custom actions → Binary, CustomAction and sequence rows. Types, conditions and sequence
//! numbers come from here only, so every deferred action is no-impersonate, has its rollback
//! scheduled just before it, and gets its CustomActionData from a set action just before
//! each of the two.

use crate::model::action::{Actions, DeferredAction, Program, SetTarget, Step};
use msikit::database::Database;
use msikit::format::bits::action_type::{
    CONTINUE, DLL_IN_BINARY, EXE_IN_BINARY, EXE_IN_DIRECTORY, IN_SCRIPT, NO_IMPERSONATE, ROLLBACK,
    SET_DIRECTORY, SET_PROPERTY,
};
use msikit::format::row::Table;
use msikit::format::schema;
use msikit::phase::Phase;

/// Where each group of actions goes in the sequences. Checks and property sets run after
/// AppSearch (50) and before LaunchConditions (100), so launch conditions see their results;
/// directory sets after CostFinalize (1000, ICE12); install-side deferred actions after
/// WriteRegistryValues (5000), so they see what the package wrote; removal-side ones after
/// RemoveRegistryValues (2600) and before RemoveFiles (3500), so earlier values they put back
/// stay and installed files are still there.
const CHECKS_FROM: i32 = 60;
const PROPERTY_SETS_FROM: i32 = 70;
const DIRECTORY_SETS_FROM: i32 = 1010;
const INSTALL_SIDE_FROM: i32 = 5100;
const REMOVAL_SIDE_FROM: i32 = 2700;
/// Sequence numbers per deferred action: rollback data, rollback, data, action.
const DEFERRED_STRIDE: i32 = 10;

/// The name of a deferred action's rollback, and of the set action that gives `action` its
/// CustomActionData. Dots cannot appear in configured ids, so these never collide.
pub fn rollback_name(action: &str) -> String {
    format!("{action}.Rollback")
}
pub fn data_setter_name(action: &str) -> String {
    format!("{action}.Data")
}

/// The condition under which an action runs in `phases`, with the extra `condition`.
pub fn phase_condition(phases: &[Phase], condition: Option<&str>) -> String {
    let parts: Vec<String> = phases
        .iter()
        .map(|phase| phase.condition(super::UPGRADE_FOUND_PROPERTY))
        .collect();
    let phases = match parts.as_slice() {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|part| format!("({part})"))
            .collect::<Vec<_>>()
            .join(" OR "),
    };
    match condition {
        Some(extra) => format!("({phases}) AND ({extra})"),
        None => phases,
    }
}

pub(super) fn bind(actions: &Actions, db: &mut Database) -> crate::error::Result<()> {
    for binary in &actions.binaries {
        let stream = format!("Binary.{}", binary.id);
        db.insert(
            &schema::BINARY,
            schema::Binary {
                name: binary.id.clone(),
                data: stream.clone(),
            },
        );
        db.streams.insert(stream, binary.source.read_all()?);
    }
    for (index, check) in actions.checks.iter().enumerate() {
        let row = action_row(&check.id, DLL_IN_BINARY, &check.binary, Some(&check.entry));
        db.insert(&schema::CUSTOM_ACTION, row);
        both_sequences(db, &check.id, None, CHECKS_FROM + index as i32);
    }
    let (mut properties, mut directories) = (0, 0);
    for set in &actions.sets {
        let (kind, source, sequence) = match &set.target {
            SetTarget::Property(name) => {
                properties += 1;
                (SET_PROPERTY, name, PROPERTY_SETS_FROM + properties - 1)
            }
            SetTarget::Directory(name) => {
                directories += 1;
                (SET_DIRECTORY, name, DIRECTORY_SETS_FROM + directories - 1)
            }
        };
        db.insert(
            &schema::CUSTOM_ACTION,
            action_row(&set.id, kind, source, Some(&set.value)),
        );
        both_sequences(db, &set.id, set.condition.as_deref(), sequence);
    }
    let (mut install_side, mut removal_side) = (INSTALL_SIDE_FROM, REMOVAL_SIDE_FROM);
    for action in &actions.deferred {
        let next = if action.phases.iter().all(|p| p.removes()) {
            &mut removal_side
        } else {
            &mut install_side
        };
        bind_deferred(action, *next, db);
        *next += DEFERRED_STRIDE;
    }
    Ok(())
}

fn bind_deferred(action: &DeferredAction, sequence: i32, db: &mut Database) {
    let condition = phase_condition(&action.phases, action.condition.as_deref());
    let rollback = rollback_name(&action.id);
    let steps = [
        (&rollback, &action.rollback, ROLLBACK, sequence),
        (&action.id, &action.step, 0, sequence + 2),
    ];
    for (name, step, extra, sequence) in steps {
        if let Some(data) = &step.data {
            let setter = data_setter_name(name);
            let row = action_row(&setter, SET_PROPERTY, name, Some(data));
            db.insert(&schema::CUSTOM_ACTION, row);
            execute_sequence(db, &setter, Some(&condition), sequence);
        }
        let mut kind = deferred_type(step) | extra;
        if !action.check_return {
            kind |= CONTINUE;
        }
        let (source, target) = program_source_and_target(&step.program);
        db.insert(
            &schema::CUSTOM_ACTION,
            action_row(name, kind, source, Some(target)),
        );
        execute_sequence(db, name, Some(&condition), sequence + 1);
    }
}

fn deferred_type(step: &Step) -> i32 {
    let base = match step.program {
        Program::BinaryDll { .. } => DLL_IN_BINARY,
        Program::BinaryExe { .. } => EXE_IN_BINARY,
        Program::InstalledExe { .. } => EXE_IN_DIRECTORY,
    };
    base | IN_SCRIPT | NO_IMPERSONATE
}

fn program_source_and_target(program: &Program) -> (&str, &str) {
    match program {
        Program::BinaryDll { binary, entry } => (binary, entry),
        Program::BinaryExe { binary, arguments } => (binary, arguments),
        Program::InstalledExe { directory, command } => (directory, command),
    }
}

fn action_row(name: &str, kind: i32, source: &str, target: Option<&str>) -> schema::CustomAction {
    schema::CustomAction {
        action: name.into(),
        action_type: kind,
        source: Some(source.into()),
        target: target.filter(|t| !t.is_empty()).map(str::to_string),
    }
}

fn execute_sequence(db: &mut Database, action: &str, condition: Option<&str>, sequence: i32) {
    insert_sequence(
        db,
        &schema::INSTALL_EXECUTE_SEQUENCE,
        action,
        condition,
        sequence,
    );
}

/// Immediate actions run in both sequences: `/qn` skips the UI sequence, and a full-UI
/// install must see the same results before its dialogs.
fn both_sequences(db: &mut Database, action: &str, condition: Option<&str>, sequence: i32) {
    execute_sequence(db, action, condition, sequence);
    insert_sequence(
        db,
        &schema::INSTALL_UI_SEQUENCE,
        action,
        condition,
        sequence,
    );
}

fn insert_sequence(
    db: &mut Database,
    table: &Table<schema::SequenceAction>,
    action: &str,
    condition: Option<&str>,
    sequence: i32,
) {
    let row = schema::SequenceAction {
        action: action.into(),
        condition: condition.map(str::to_string),
        sequence: Some(sequence),
    };
    db.insert(table, row);
}

/// Directories the actions start programs in or set, which the Directory table must hold.
pub(super) fn directories(actions: &Actions) -> Vec<&str> {
    let started = actions
        .deferred
        .iter()
        .flat_map(|action| [&action.step, &action.rollback]);
    let started = started.filter_map(|step| match &step.program {
        Program::InstalledExe { directory, .. } => Some(directory.as_str()),
        _ => None,
    });
    let set = actions.sets.iter().filter_map(|set| match &set.target {
        SetTarget::Directory(directory) => Some(directory.as_str()),
        SetTarget::Property(_) => None,
    });
    started.chain(set).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use msikit::condition::{evaluate, MapEnvironment};

    /// The properties msiexec sets in each phase (REMOVE and REINSTALL as `/x` and `/f` do).
    fn situation(phase: Phase) -> MapEnvironment {
        let set: &[(&str, &str)] = match phase {
            Phase::Install => &[],
            Phase::Upgrade => &[(super::super::UPGRADE_FOUND_PROPERTY, "{OLD}")],
            Phase::Repair => &[("Installed", "00:00:00"), ("REINSTALL", "ALL")],
            Phase::Uninstall => &[("Installed", "00:00:00"), ("REMOVE", "ALL")],
            Phase::UpgradeRemoval => &[
                ("Installed", "00:00:00"),
                ("REMOVE", "ALL"),
                ("UPGRADINGPRODUCTCODE", "{NEW}"),
            ],
        };
        MapEnvironment {
            properties: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn each_phase_condition_holds_in_exactly_its_own_situation() {
        for phase in Phase::ALL {
            for situation_phase in Phase::ALL {
                let holds = evaluate(
                    &phase_condition(&[phase], None),
                    &situation(situation_phase),
                )
                .unwrap();
                assert_eq!(
                    holds,
                    phase == situation_phase,
                    "{phase:?} in {situation_phase:?}"
                );
            }
        }
        let install_or_upgrade = phase_condition(&[Phase::Install, Phase::Upgrade], Some("X"));
        let mut env = situation(Phase::Upgrade);
        assert!(!evaluate(&install_or_upgrade, &env).unwrap());
        env.properties.insert("X".into(), "1".into());
        assert!(evaluate(&install_or_upgrade, &env).unwrap());
        assert!(!evaluate(&install_or_upgrade, &situation(Phase::Repair)).unwrap());
    }

    #[test]
    fn deferred_actions_are_no_impersonate_with_rollback_and_data_before_them() {
        use crate::model::action::{Actions, DeferredAction};
        let dll = |entry: &str| Step {
            program: Program::BinaryDll {
                binary: "B".into(),
                entry: entry.into(),
            },
            data: Some("k=[P]".into()),
        };
        let actions = Actions {
            deferred: vec![
                DeferredAction {
                    id: "Do".into(),
                    step: dll("Do"),
                    rollback: dll("Undo"),
                    phases: vec![Phase::Install],
                    condition: None,
                    check_return: true,
                },
                DeferredAction {
                    id: "Gone".into(),
                    step: Step {
                        program: Program::InstalledExe {
                            directory: "System64Folder".into(),
                            command: "x".into(),
                        },
                        data: None,
                    },
                    rollback: dll("Back"),
                    phases: vec![Phase::Uninstall],
                    condition: None,
                    check_return: false,
                },
            ],
            ..Default::default()
        };
        let mut db = Database {
            tables: Default::default(),
            streams: Default::default(),
            summary: Default::default(),
        };
        bind(&actions, &mut db).unwrap();
        let type_of = |name: &str| {
            db.table(&schema::CUSTOM_ACTION)
                .find(|row| row.action == name)
                .map(|row| row.action_type)
        };
        let sequence_of = |name: &str| {
            db.table(&schema::INSTALL_EXECUTE_SEQUENCE)
                .find(|row| row.action == name)
                .and_then(|row| row.sequence)
        };
        assert_eq!(type_of("Do"), Some(1 | IN_SCRIPT | NO_IMPERSONATE));
        assert_eq!(
            type_of("Do.Rollback"),
            Some(1 | IN_SCRIPT | NO_IMPERSONATE | ROLLBACK)
        );
        assert_eq!(type_of("Do.Data"), Some(SET_PROPERTY));
        assert_eq!(
            type_of("Gone"),
            Some(34 | IN_SCRIPT | NO_IMPERSONATE | CONTINUE)
        );
        assert_eq!(type_of("Gone.Data"), None);
        let order = ["Do.Rollback.Data", "Do.Rollback", "Do.Data", "Do"];
        let sequences: Vec<_> = order
            .iter()
            .map(|name| sequence_of(name).unwrap())
            .collect();
        assert!(
            sequences.windows(2).all(|pair| pair[0] < pair[1]),
            "{sequences:?}"
        );
        assert!(sequence_of("Gone") < Some(3500) && sequence_of("Gone") > Some(2600));
        assert!(sequence_of("Do") > Some(5000));
    }
}
