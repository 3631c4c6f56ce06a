//! The situations an action can run in (install, upgrade, repair, uninstall, removal by an
//! upgrade), each with the condition that holds in exactly that one.

/// When an action runs. Each is one situation msiexec can be in, and no two overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// The product is installed on a machine that has no version of it.
    Install,
    /// The product is installed over an older version (a major upgrade).
    Upgrade,
    /// The installed product is repaired (`msiexec /f`, or REINSTALL set).
    Repair,
    /// The product is removed by an admin (`msiexec /x`).
    Uninstall,
    /// The product is removed because a newer version replaces it.
    UpgradeRemoval,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Install,
        Phase::Upgrade,
        Phase::Repair,
        Phase::Uninstall,
        Phase::UpgradeRemoval,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Install => "install",
            Phase::Upgrade => "upgrade",
            Phase::Repair => "repair",
            Phase::Uninstall => "uninstall",
            Phase::UpgradeRemoval => "upgrade-removal",
        }
    }

    pub fn from_name(name: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|phase| phase.name() == name)
    }

    /// Whether the phase removes the product (its actions run while it is being taken away).
    pub fn removes(self) -> bool {
        matches!(self, Phase::Uninstall | Phase::UpgradeRemoval)
    }

    /// The condition that is true in exactly this phase (in the execute sequence).
    pub fn condition(self, older_version_found: &str) -> String {
        match self {
            Phase::Install => format!("NOT Installed AND NOT {older_version_found}"),
            Phase::Upgrade => format!("NOT Installed AND {older_version_found}"),
            Phase::Repair => "Installed AND REINSTALL AND NOT REMOVE~=\"ALL\"".to_string(),
            Phase::Uninstall => "REMOVE~=\"ALL\" AND NOT UPGRADINGPRODUCTCODE".to_string(),
            Phase::UpgradeRemoval => "REMOVE~=\"ALL\" AND UPGRADINGPRODUCTCODE".to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_names_round_trip_and_sides_split() {
        for phase in Phase::ALL {
            assert_eq!(Phase::from_name(phase.name()), Some(phase));
        }
        let removing: Vec<Phase> = Phase::ALL.into_iter().filter(|p| p.removes()).collect();
        assert_eq!(removing, [Phase::Uninstall, Phase::UpgradeRemoval]);
        assert_eq!(Phase::from_name("reinstall"), None);
    }
}
