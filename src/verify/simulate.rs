//! Predicts what Windows Installer does with a package on a machine profile: AppSearch,
//! then LaunchConditions.

use super::condition::{self, MapEnvironment};
use super::profile::MachineProfile;
use crate::bind::{formatted, Cell, Database};
use crate::model::RegistryRoot;

/// Whether the package would install, or which launch conditions refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaunchOutcome {
    Installs,
    Refused { messages: Vec<String> },
}

fn text(cell: &Cell) -> &str {
    match cell {
        Cell::Str(text) => text,
        _ => "",
    }
}

fn root(cell: &Cell) -> Option<RegistryRoot> {
    match cell {
        Cell::Int(0) => Some(RegistryRoot::ClassesRoot),
        Cell::Int(1) => Some(RegistryRoot::CurrentUser),
        Cell::Int(2) => Some(RegistryRoot::LocalMachine),
        Cell::Int(3) => Some(RegistryRoot::Users),
        _ => None,
    }
}

/// Runs AppSearch (raw registry locators) and LaunchConditions for a first install.
pub fn launch(
    db: &Database,
    profile: &MachineProfile,
) -> Result<LaunchOutcome, condition::ConditionError> {
    let mut env = MapEnvironment::default();
    for row in db.rows("Property") {
        env.properties
            .insert(text(&row[0]).to_string(), text(&row[1]).to_string());
    }
    env.properties.extend(profile.properties.clone());
    for search in db.rows("AppSearch") {
        let locator = db.rows("RegLocator").iter().find(|row| row[0] == search[1]);
        let found = locator.and_then(|row| {
            let key = (
                root(&row[1])?,
                text(&row[2]).to_ascii_lowercase(),
                text(&row[3]).to_ascii_lowercase(),
            );
            profile.registry.get(&key)
        });
        if let Some(value) = found {
            env.properties
                .insert(text(&search[0]).to_string(), value.as_search_result());
        }
    }
    let mut messages = Vec::new();
    for row in db.rows("LaunchCondition") {
        if !condition::evaluate(text(&row[0]), &env)? {
            messages.push(formatted::expand(text(&row[1]), &env.properties));
        }
    }
    Ok(if messages.is_empty() {
        LaunchOutcome::Installs
    } else {
        LaunchOutcome::Refused { messages }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bind::{bind, BindOptions};
    use crate::config::Settings;
    use crate::model::sspr;
    use crate::target::{self, Target};
    use crate::verify::profile;

    /// The one target each profile should accept.
    fn expected_target(profile: &str) -> Option<&'static str> {
        match profile {
            "win7-x86" => Some("win7-x86"),
            "win7-x64" => Some("win7-x64"),
            "win8-x86" => Some("win8-x86"),
            "win8-x64" => Some("win8-x64"),
            "win81-x86" => Some("win81-x86"),
            "win81-x64" => Some("win81-x64"),
            "win10-22h2-x86" => Some("win10-x86"),
            "win10-22h2-x64" => Some("win10-x64"),
            "win11-x64" => Some("win11-x64"),
            // Too old (1709), Home edition, Server: nothing applies.
            _ => None,
        }
    }

    #[test]
    fn every_target_installs_only_on_its_own_machines() {
        let settings = Settings::embedded_default().unwrap();
        let options = BindOptions {
            timestamp: 0,
            creating_application: "test".into(),
        };
        for &target in target::ALL {
            let db = bind(&sspr::package(&settings, target, None), &options).unwrap();
            for profile in profile::built_in() {
                let outcome = launch(&db, &profile).unwrap();
                let should_install = expected_target(&profile.name) == Some(&*target.name());
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
    fn refusals_explain_themselves() {
        let settings = Settings::embedded_default().unwrap();
        let options = BindOptions {
            timestamp: 0,
            creating_application: "test".into(),
        };
        let win10 = bind(
            &sspr::package(&settings, Target::from_name("win10-x64").unwrap(), None),
            &options,
        )
        .unwrap();
        let outcome = launch(&win10, &profile::by_name("win10-22h2-home-x64").unwrap()).unwrap();
        assert!(
            matches!(&outcome, LaunchOutcome::Refused { messages } if messages.len() == 1 && messages[0].contains("Home edition")),
            "{outcome:?}"
        );
        let outcome = launch(&win10, &profile::by_name("server2019-x64").unwrap()).unwrap();
        assert!(
            matches!(&outcome, LaunchOutcome::Refused { messages } if messages.iter().any(|m| m.contains("Windows Server"))),
            "{outcome:?}"
        );
    }
}
