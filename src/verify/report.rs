//! `sspr-msi verify`: reads each package, runs the static rules and (on request) the
//! simulation over a set of profiles, and judges the result against the package's own
//! target, so that the command line only parses and prints.

use crate::error::{ConfigError, ConfigProblem, Error, Result};
use crate::target::Target;
use msikit::package as read;
use msikit::read::Input;
use msikit::rules::{self, Finding, Severity, SignatureReport};
use msikit::sign::trust::TrustPolicy;
use msikit::simulate::profile::{self, MachineProfile};
use msikit::simulate::source::FolderBeside;
use msikit::simulate::upgrade::{simulate_upgrade, UpgradePrediction};
use msikit::simulate::{platform, LaunchOutcome, Prediction};
use serde::{Serialize, Serializer};
use std::path::{Path, PathBuf};

/// What the user asked `verify` to do.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    pub simulate: bool,
    /// Built-in profile names; empty with `simulate` = every built-in profile.
    pub profiles: Vec<String>,
    /// TOML profile files (their profiles are added to the set).
    pub profile_files: Vec<PathBuf>,
    /// PEM files of certificates that package and embedded PE signatures must chain to.
    pub trust_anchors: Vec<PathBuf>,
    /// Transforms (`.mst`) applied to every package, in order, before it is checked.
    pub transforms: Vec<PathBuf>,
    /// The previous release: each package is also checked against it (the upgrade rules).
    pub baseline: Option<PathBuf>,
    /// Called as each file is verified.
    pub progress: Option<fn()>,
}

/// One package × profile cell of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileResult {
    #[serde(flatten)]
    pub prediction: Prediction,
    /// Installing here contradicts the package's target (wrong Windows family or architecture).
    pub unexpected_install: bool,
}

/// Everything verify learned about one package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub file: PathBuf,
    /// The target the package names in its summary Keywords (ours), if any.
    pub target: Option<String>,
    /// Template's platform.
    pub platform: Option<String>,
    pub findings: Vec<Finding>,
    /// Every signature checked: the package's own and each embedded PE's.
    pub signatures: Vec<SignatureReport>,
    pub simulations: Vec<ProfileResult>,
    /// With a baseline and `--simulate`: the upgrade from the baseline on each profile.
    pub upgrades: Vec<UpgradePrediction>,
}

impl PackageReport {
    /// Problems that make `verify` fail: error findings, unexpected installs, residue.
    pub fn problem_count(&self) -> usize {
        let errors = self
            .findings
            .iter()
            .filter(|finding| finding.severity == Severity::Error)
            .count();
        let simulated = self
            .simulations
            .iter()
            .filter(|result| result.unexpected_install || !result.prediction.residue.is_empty())
            .count();
        let lost = self
            .upgrades
            .iter()
            .filter(|upgrade| !upgrade.lost.is_empty())
            .count();
        errors + simulated + lost
    }
}

/// The whole report: every format (text, JSON, SARIF, JUnit, HTML) renders this one model.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub packages: Vec<PackageReport>,
    /// The files that could not be read as MSI packages (the others are still verified).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<UnreadableFile>,
    #[serde(serialize_with = "rule_catalogue")]
    pub rules: &'static [rules::Rule],
    pub summary: Summary,
}

/// The counts the text report's last line and CI dashboards show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub packages: usize,
    pub errors: usize,
    pub warnings: usize,
    /// Error findings, unexpected installs and residue: `verify` exits 1 when not 0.
    pub problems: usize,
}

/// A file given to `verify` that is missing, not an MSI, or truncated (an input error).
#[derive(Debug, Clone, Serialize)]
pub struct UnreadableFile {
    pub file: PathBuf,
    /// Why, without the path.
    pub message: String,
}

impl VerifyReport {
    pub fn problem_count(&self) -> usize {
        self.packages.iter().map(PackageReport::problem_count).sum()
    }

    fn summarise(packages: Vec<PackageReport>, unreadable: Vec<UnreadableFile>) -> Self {
        let severities = || {
            packages
                .iter()
                .flat_map(|p| &p.findings)
                .map(|f| f.severity)
        };
        let summary = Summary {
            packages: packages.len(),
            errors: severities().filter(|s| *s == Severity::Error).count(),
            warnings: severities().filter(|s| *s == Severity::Warning).count(),
            problems: packages.iter().map(PackageReport::problem_count).sum(),
        };
        VerifyReport {
            packages,
            unreadable,
            rules: rules::RULES,
            summary,
        }
    }
}

/// The catalogue with each rule's name, which the toolkit keeps beside it.
fn rule_catalogue<S: Serializer>(
    catalogue: &[rules::Rule],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Entry<'a> {
        id: &'a str,
        name: &'a str,
        severity: Severity,
        explanation: &'a str,
    }
    serializer.collect_seq(catalogue.iter().map(|rule| Entry {
        id: rule.id,
        name: rule.name(),
        severity: rule.severity,
        explanation: rule.explanation,
    }))
}

/// Verifies every file; one that cannot be read or is not an MSI is listed in `unreadable`,
/// and the others are still verified.
///
/// # Errors
/// [`Error::Config`] for an unknown profile name or a bad profile file, [`Error::Input`] for
/// a trust anchor or profile file that cannot be read.
pub fn verify(files: &[PathBuf], options: &VerifyOptions) -> Result<VerifyReport> {
    let profiles = if options.simulate {
        select_profiles(options)?
    } else {
        Vec::new()
    };
    let trust = trust_policy(&options.trust_anchors)?;
    let baseline = match options.baseline.as_deref() {
        Some(path) => Some(read_view(path, open_package(path)?)?),
        None => None,
    };
    let mut packages = Vec::new();
    let mut unreadable = Vec::new();
    for file in files {
        let verified = verify_file(
            file,
            &options.transforms,
            &profiles,
            &trust,
            baseline.as_ref(),
        );
        if let Some(progress) = options.progress {
            progress();
        }
        match verified {
            Ok(package) => packages.push(package),
            Err(Error::Input { message, .. }) => unreadable.push(UnreadableFile {
                file: file.clone(),
                message,
            }),
            Err(error) => return Err(error),
        }
    }
    Ok(VerifyReport::summarise(packages, unreadable))
}

fn select_profiles(options: &VerifyOptions) -> Result<Vec<MachineProfile>> {
    let mut profiles = Vec::new();
    for name in &options.profiles {
        let found = profile::by_name(name).ok_or_else(|| {
            Error::from(ConfigError {
                file: "<command line>".into(),
                line: None,
                key: Some("--profile".into()),
                problem: ConfigProblem::UnknownName,
                message: format!(
                    "unknown profile `{name}`; built-in profiles: {}",
                    profile::known_names()
                ),
            })
        })?;
        profiles.push(found);
    }
    for path in &options.profile_files {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Error::input(path, format!("cannot read profile file: {error}")))?;
        profiles.extend(super::profile_file::parse_profile_file(
            &text,
            &path.display().to_string(),
        )?);
    }
    if profiles.is_empty() {
        profiles = profile::built_in();
    }
    Ok(profiles)
}

/// The certificates of `anchors` (PEM files) as the policy signatures must chain to.
pub fn trust_policy(anchors: &[PathBuf]) -> Result<TrustPolicy> {
    let mut policy = TrustPolicy::default();
    for path in anchors {
        let certificates = msikit::sign::credentials::load_certificates(path)
            .map_err(|e| Error::input(path, e.message))?;
        policy.anchors.extend(certificates);
    }
    Ok(policy)
}

/// The package file, read at positions: its large streams are never held whole.
fn open_package(file: &Path) -> Result<Input<'static>> {
    Input::open(file).map_err(|error| Error::input(file, error.to_string()))
}

fn read_view(file: &Path, input: Input<'static>) -> Result<read::PackageView> {
    read::open(input).map_err(|error| Error::input(file, error.to_string()))
}

fn verify_file(
    file: &Path,
    transforms: &[PathBuf],
    profiles: &[MachineProfile],
    trust: &TrustPolicy,
    baseline: Option<&read::PackageView>,
) -> Result<PackageReport> {
    let input = open_package(file)?;
    let package = match transforms {
        [] => read_view(file, input.clone())?,
        _ => transformed(file, input.clone(), transforms)?,
    };
    let target = package
        .summary
        .keyword_list()
        .into_iter()
        .find_map(|keyword| Target::from_name(keyword.trim()));
    let mut findings = rules::check(&package);
    let (signature_findings, signatures) = rules::signature_reports(&package, input, trust);
    findings.extend(signature_findings);
    if let Some(baseline) = baseline {
        findings.extend(rules::upgrade::check_upgrade(baseline, &package));
    }
    let mut simulations = Vec::new();
    let beside = FolderBeside::of(file);
    let predictions = super::custom::simulator()
        .with_source(&beside)
        .simulate_each(&package, profiles, &Default::default());
    for (profile, prediction) in profiles.iter().zip(predictions) {
        match prediction {
            Ok(prediction) => {
                let unexpected_install = prediction.outcome == LaunchOutcome::Installs
                    && !target_allows(target, &package, profile);
                simulations.push(ProfileResult {
                    prediction,
                    unexpected_install,
                });
            }
            // A condition that does not parse stops the simulation; the static rule names it.
            Err(error) => {
                if !findings.iter().any(|f| f.id == rules::CONDITION_SYNTAX.id) {
                    findings.push(rules::CONDITION_SYNTAX.finding(error.to_string()));
                }
            }
        }
    }
    findings.dedup();
    let mut upgrades = Vec::new();
    for profile in profiles.iter().filter(|_| baseline.is_some()) {
        let baseline = baseline.expect("filtered");
        // A syntax error stops it as it stops the simulation above: the rule names it.
        if let Ok(upgrade) =
            simulate_upgrade(&super::custom::simulator(), baseline, &package, profile)
        {
            upgrades.push(upgrade);
        }
    }
    Ok(PackageReport {
        file: file.to_path_buf(),
        target: target.map(|target| target.name()),
        platform: package.summary.platform().map(str::to_string),
        findings,
        signatures,
        simulations,
        upgrades,
    })
}

/// The package with each transform applied in order (as `msiexec TRANSFORMS=a.mst;b.mst`).
fn transformed(
    file: &Path,
    package: Input<'static>,
    transforms: &[PathBuf],
) -> Result<read::PackageView> {
    let input = |error: &dyn std::fmt::Display| Error::input(file, error.to_string());
    let mut database = msikit::read::open(package.clone()).map_err(|error| input(&error))?;
    for path in transforms {
        let not_applied =
            |error| Error::input(path, format!("not applied to {}: {error}", file.display()));
        // `:name`, as in `TRANSFORMS=:name`, is a transform the package embeds.
        if let Some(name) = path.to_str().and_then(|text| text.strip_prefix(':')) {
            msikit::transform::apply_embedded(&mut database, package.clone(), name)
                .map_err(not_applied)?;
            continue;
        }
        let transform =
            std::fs::read(path).map_err(|error| Error::input(path, error.to_string()))?;
        msikit::transform::apply(&mut database, &transform).map_err(not_applied)?;
    }
    read::from_database(database).map_err(|error| input(&error))
}

/// Whether a package for `target` (or, for a foreign package, of that Template platform) may
/// install on `profile`: same Windows family, and the target's architecture or the emulation
/// Windows on Arm runs it under ([`Target::serves`]). Policy refusals within the family (too
/// old a build, Home edition, Server) are the package's own choice and not judged.
fn target_allows(
    target: Option<Target>,
    package: &read::PackageView,
    profile: &MachineProfile,
) -> bool {
    match target {
        Some(target) => profile
            .os_family()
            .is_some_and(|family| target.serves(family, profile.processor)),
        None => platform::accepts(package.summary.platform(), profile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::tests::read::package_bytes;

    fn write_package(dir: &Path, target: &str) -> PathBuf {
        let path = dir.join(format!("{target}.msi"));
        std::fs::write(&path, package_bytes(target)).unwrap();
        path
    }

    #[test]
    fn our_packages_have_no_problems_on_any_built_in_profile() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> = crate::target::ALL
            .iter()
            .map(|target| write_package(dir.path(), &target.name()))
            .collect();
        let options = VerifyOptions {
            simulate: true,
            ..VerifyOptions::default()
        };
        let report = verify(&files, &options).unwrap();
        assert_eq!(report.problem_count(), 0, "{report:#?}");
        let win10 = &report.packages[7];
        assert_eq!(win10.target.as_deref(), Some("win10-x64"));
        assert_eq!(win10.simulations.len(), profile::built_in().len());
    }

    #[test]
    fn an_install_outside_the_target_is_a_problem() {
        let dir = tempfile::tempdir().unwrap();
        let file = write_package(dir.path(), "win10-x64");
        // A machine the package's registry searches take for Windows 10, whose msiexec
        // reports Windows 8: the package installs where its target says it must not.
        let profiles = dir.path().join("fleet.toml");
        std::fs::write(
            &profiles,
            "[[profile]]\nname = \"odd\"\nbase = \"win10-22h2-x64\"\n\
             properties = { VersionNT = \"602\", VersionNT64 = \"602\" }\n",
        )
        .unwrap();
        let options = VerifyOptions {
            simulate: true,
            profiles: vec!["win10-22h2-x64".into()],
            profile_files: vec![profiles],
            ..VerifyOptions::default()
        };
        let report = verify(&[file], &options).unwrap();
        let results = &report.packages[0].simulations;
        assert!(!results[0].unexpected_install);
        assert!(results[1].unexpected_install, "{results:#?}");
        assert_eq!(report.problem_count(), 1);
    }

    #[test]
    fn unknown_profiles_and_unreadable_files_are_clear_errors() {
        let options = VerifyOptions {
            simulate: true,
            profiles: vec!["win99".into()],
            ..VerifyOptions::default()
        };
        let error = verify(&[], &options).unwrap_err();
        assert_eq!(error.exit_code(), crate::error::exit_code::CONFIG);
        assert!(
            error.to_string().contains("unknown profile `win99`"),
            "{error}"
        );
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.msi");
        std::fs::write(&junk, b"not an msi").unwrap();
        let missing = dir.path().join("missing.msi");
        // Each unreadable file is listed; the others are still verified.
        let report = verify(&[junk.clone(), missing.clone()], &VerifyOptions::default()).unwrap();
        assert!(report.packages.is_empty());
        let files: Vec<_> = report.unreadable.iter().map(|u| &u.file).collect();
        assert_eq!(files, [&junk, &missing]);
        let message = &report.unreadable[0].message;
        assert!(message.contains("not a compound file"), "{message}");
    }
}
