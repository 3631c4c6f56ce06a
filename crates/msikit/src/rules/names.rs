//! Each rule's short name (PascalCase, as SARIF's `reportingDescriptor.name` wants), beside
//! the catalogue so that reports never derive it from the explanation.

/// The name of the rule with `id`; an id without one keeps the id as its name, and a test
/// fails on it.
pub fn rule_name(id: &str) -> &'static str {
    match id {
        "ICE03" => "ColumnTypesAndKeys",
        "ICE08" => "DuplicateComponentGuid",
        "ICE09" => "SystemComponentNotPermanent",
        "ICE12" => "DirectoryActionPlacement",
        "ICE57" => "PerUserAndPerMachineMix",
        "ICE61" => "UpgradeTable",
        "ICE77" => "DeferredActionPlacement",
        "ICE80" => "BitnessAgainstTemplate",
        "PROPERTIES" => "RequiredProperties",
        "SUMMARY" => "SummaryInformation",
        "CODEPAGE" => "Codepage",
        "CONDITION" => "ConditionSyntax",
        "SSPR001" => "VersionNtComparedTo1000",
        "SSPR002" => "UiSequenceOnlyAction",
        "SSPR003" => "SilentReboot",
        "SSPR004" => "DeferredActionWithoutRollback",
        "SSPR005" => "DeferredActionImpersonates",
        "SSPR006" => "AccidentalFormatting",
        "SSPR007" => "UnsignedPackage",
        "SSPR008" => "UnsignedEmbeddedPe",
        "CABINET" => "CabinetIntegrity",
        "SSPR009" => "BadPackageSignature",
        "SSPR010" => "BadEmbeddedPeSignature",
        "SSPR011" => "UncheckedSigner",
        "SSPR012" => "CustomActionDataTiming",
        "SSPR013" => "Wow64SystemFolderTool",
        "SSPR014" => "PhaselessDeferredAction",
        "SSPR015" => "InsecurePublicProperty",
        "SSPR016" => "SystemBinaryInWritableFolder",
        "UPG001" => "ComponentRulesBroken",
        "UPG002" => "ComponentRemovedGuidKept",
        "UPG003" => "VersionChangedOnlyInFourthField",
        "UPG004" => "UpgradeCodeChanged",
        "UPG005" => "PackageCodeReused",
        "UPG006" => "RemoveExistingProductsPlacement",
        "UPG007" => "DowngradeNotRefused",
        "UPG008" => "UninstallActionRunsOnUpgrade",
        "GPO001" => "PerUserPackage",
        "GPO002" => "UserProfileData",
        "GPO003" => "NetworkAtStartup",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_catalogue_has_a_distinct_name() {
        let mut names = std::collections::BTreeSet::new();
        for rule in super::super::RULES {
            let name = rule_name(rule.id);
            assert!(
                !name.is_empty(),
                "rule {} has no name in rules/names.rs",
                rule.id
            );
            assert!(names.insert(name), "two rules are named {name}");
        }
    }
}
