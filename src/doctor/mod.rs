//! `doctor`: will SSPR at the Windows sign-in screen work on this machine, and which package
//! fits it? The PowerShell script (`script`) collects a [`report::MachineReport`] on the
//! machine; the reader takes that JSON, or a `reg export` file (`regfile`), and turns it into
//! findings (`findings`) and a package choice made by the same launch simulation that
//! checks the packages (`msikit::simulate`).

pub mod findings;
pub mod regfile;
pub mod report;
pub mod script;
pub mod settings;

use crate::bind::BindOptions;
use crate::compile::{compile_to_bytes, Inputs};
use crate::config::Settings;
use crate::target::{self, Processor, Target};
use findings::{Finding, OsFacts, Severity};
use msikit::simulate::profile::{Installer, MachineFacts, MachineProfile};
use msikit::simulate::{LaunchOutcome, SimulationError};
use report::MachineReport;
use serde::Serialize;

/// Why a file is neither the script's report nor a registry export.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("not a doctor report: {0}")]
    NotAReport(serde_json::Error),
    #[error("schema `{found}` is not `{expected}`: regenerate the script with this sspr-msi")]
    OtherSchema {
        found: String,
        expected: &'static str,
    },
    #[error(transparent)]
    RegFile(#[from] regfile::RegFileError),
}

/// Why one target's package could not be judged against the machine.
#[derive(Debug, thiserror::Error)]
enum LaunchError {
    #[error("cannot model the package: {0}")]
    Compile(crate::error::Error),
    #[error(transparent)]
    Read(#[from] msikit::package::ReadError),
    #[error("{0:?}")]
    Simulation(SimulationError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// No blocker, no warning: SSPR at sign-in should work once the package is installed.
    Ready,
    /// Warnings to review, nothing known to break SSPR.
    Review,
    /// At least one blocker.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    pub os: OsFacts,
    pub package: PackageFit,
    /// Blockers first, then warnings, then information.
    pub findings: Vec<Finding>,
    /// Settings a partial `reg export` did not include.
    pub not_collected: Vec<String>,
}

/// Which package of the matrix installs on the machine, decided by simulating every target's
/// launch conditions on the machine's own values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageFit {
    /// The targets whose launch conditions pass (two when the architecture is unknown).
    pub targets: Vec<String>,
    pub explanation: String,
}

/// Reads a doctor JSON document or `reg export` file and diagnoses it; a file that is
/// neither is an input error.
pub fn diagnose_file(
    path: &std::path::Path,
    settings: &Settings,
) -> crate::error::Result<Diagnosis> {
    let text = crate::textfile::read(path)?;
    let report =
        read_report(&text).map_err(|error| crate::error::Error::input(path, error.to_string()))?;
    Ok(diagnose(&report, settings))
}

/// Reads a doctor JSON document or a `reg export` file (already decoded to text).
pub fn read_report(text: &str) -> Result<MachineReport, ReportError> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let report: MachineReport =
            serde_json::from_str(trimmed).map_err(ReportError::NotAReport)?;
        if report.schema != report::SCHEMA {
            return Err(ReportError::OtherSchema {
                found: report.schema,
                expected: report::SCHEMA,
            });
        }
        Ok(report)
    } else {
        Ok(regfile::parse(text)?)
    }
}

pub fn diagnose(report: &MachineReport, settings: &Settings) -> Diagnosis {
    let os = OsFacts::read(report);
    let package = package_fit(&os, settings);
    let mut findings = findings::settings_findings(report, &os);
    if !os.tells_package() {
        findings.insert(0, version_unknown(&package));
    } else if package.targets.is_empty() && os.family.is_some() {
        findings.insert(
            0,
            Finding {
                id: "no_package_fits".into(),
                severity: Severity::Blocker,
                setting: describe_os(&os),
                why: package.explanation.clone(),
                fix: "Run SSPR at sign-in on a supported client edition (Windows 7 to 11, Pro, \
                      Enterprise or Education; Windows 10 1803 or later), or change `[policy]` \
                      in the configuration if this machine should be accepted."
                    .into(),
            },
        );
    }
    let not_collected = findings::not_collected(report);
    // What was not exported cannot be called ready: "cannot tell" is for review.
    let verdict = match findings.iter().map(|f| f.severity).min() {
        Some(Severity::Blocker) => Verdict::Blocked,
        Some(Severity::Warning) => Verdict::Review,
        _ if !not_collected.is_empty() => Verdict::Review,
        _ => Verdict::Ready,
    };
    Diagnosis {
        verdict,
        os,
        package,
        findings,
        not_collected,
    }
}

/// Missing data is "cannot tell" (a warning to review), never a blocker.
fn version_unknown(package: &PackageFit) -> Finding {
    Finding {
        id: "windows_version_unknown".into(),
        severity: Severity::Warning,
        setting: r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion".into(),
        why: package.explanation.clone(),
        fix:
            "Export that key with the others (or run the preflight script), then run doctor again."
                .into(),
    }
}

fn describe_os(os: &OsFacts) -> String {
    format!(
        "{} (CurrentVersion {}, build {}, EditionID {}, {})",
        os.product_name.as_deref().unwrap_or("Windows"),
        os.version_nt
            .map_or("?".to_string(), |v| format!("{}.{}", v / 100, v % 100)),
        os.build.map_or("?".to_string(), |b| b.to_string()),
        os.edition.as_deref().unwrap_or("?"),
        os.architecture.as_deref().unwrap_or("architecture unknown"),
    )
}

fn package_fit(os: &OsFacts, settings: &Settings) -> PackageFit {
    let (Some(version_nt), Some(build)) = (os.version_nt, os.build) else {
        return PackageFit {
            targets: vec![],
            explanation: format!(
                "cannot tell which package fits: the report has no {}",
                os.missing_version_values().join(" and ")
            ),
        };
    };
    let processors = match os.processor() {
        Some(processor) => vec![processor],
        None => vec![Processor::X64, Processor::X86],
    };
    let mut targets = Vec::new();
    let mut refusals = Vec::new();
    for processor in processors {
        let facts = MachineFacts {
            version_nt,
            build,
            major_version: os.major_version,
            processor,
            product_type: os.product_type.unwrap_or(1),
            edition: os.edition.clone().unwrap_or_default(),
            installer: Installer::Windows,
        };
        let profile = MachineProfile::from_facts("this machine", &describe_os(os), &facts);
        simulate_every_target(&profile, os, settings, &mut targets, &mut refusals);
    }
    native_first(&mut targets, os.processor());
    let explanation = fit_explanation(&targets, &refusals, os.processor());
    PackageFit {
        targets,
        explanation,
    }
}

/// Adds the targets that install on `profile` to `targets`, and the reasons the target meant
/// for this machine refuses it to `refusals`.
fn simulate_every_target(
    profile: &MachineProfile,
    os: &OsFacts,
    settings: &Settings,
    targets: &mut Vec<String>,
    refusals: &mut Vec<String>,
) {
    for &target in target::ALL {
        match launch(target, settings, profile) {
            Ok(LaunchOutcome::Installs) => targets.push(target.name()),
            Ok(refused) if nominal(target, os, profile.processor) => {
                refusals.push(crate::verify::text::outcome_text(&refused).1)
            }
            Ok(_) => {}
            Err(error) => refusals.push(format!("{target}: {error}")),
        }
    }
}

/// Windows on Arm runs some x86 or x64 packages under emulation too: the native package
/// (the one to deploy) goes first.
fn native_first(targets: &mut [String], processor: Option<Processor>) {
    let is_native = |name: &String| {
        Target::from_name(name).is_some_and(|target| Some(target.arch.processor()) == processor)
    };
    targets.sort_by_key(|name| !is_native(name));
}

fn fit_explanation(
    targets: &[String],
    refusals: &[String],
    processor: Option<Processor>,
) -> String {
    match (targets, refusals.is_empty()) {
        ([], true) => "no package of the matrix is for this Windows version".to_string(),
        ([], false) => refusals.join(" "),
        (_, _) if processor.is_none() => format!(
            "{} (the report does not say whether Windows is 64-bit: PROCESSOR_ARCHITECTURE)",
            targets.join(" or ")
        ),
        ([native, emulated @ ..], _)
            if processor == Some(Processor::Arm64) && !emulated.is_empty() =>
        {
            format!(
                "{native} installs on this machine (native ARM64; {} also installs, under emulation)",
                emulated.join(", ")
            )
        }
        (_, _) => format!("{} installs on this machine", targets.join(", ")),
    }
}

/// The target meant for this OS family and processor: its refusal messages explain why
/// nothing fits (Home edition, Server, a Windows 10 build before 1803).
fn nominal(target: Target, os: &OsFacts, processor: Processor) -> bool {
    Some(target.family) == os.family && target.arch.processor() == processor
}

fn launch(
    target: Target,
    settings: &Settings,
    profile: &MachineProfile,
) -> Result<LaunchOutcome, LaunchError> {
    let options = BindOptions {
        timestamp: 0,
        creating_application: "sspr-msi doctor".into(),
    };
    // Through bytes, as `verify` sees any package: the simulation reads MSI tables.
    let bytes = compile_to_bytes(settings, target, Inputs::default(), &options)
        .map_err(LaunchError::Compile)?;
    let package = msikit::package::read(&bytes)?;
    crate::verify::custom::simulator()
        .launch(&package, profile)
        .map_err(LaunchError::Simulation)
}

/// The diagnosis as admins read it.
pub fn render_text(diagnosis: &Diagnosis) -> String {
    let mut out = String::new();
    out.push_str(&format!("machine: {}\n", describe_os(&diagnosis.os)));
    let package = if diagnosis.package.targets.is_empty() {
        format!("none — {}", diagnosis.package.explanation)
    } else {
        diagnosis.package.explanation.clone()
    };
    out.push_str(&format!("package: {package}\n\n"));
    for finding in &diagnosis.findings {
        let severity = match finding.severity {
            Severity::Blocker => "BLOCKER",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        };
        out.push_str(&format!(
            "{severity:<8} {}\n         setting: {}\n         why: {}\n         fix: {}\n\n",
            finding.id, finding.setting, finding.why, finding.fix
        ));
    }
    if !diagnosis.not_collected.is_empty() {
        out.push_str("not in the file (not checked):\n");
        for setting in &diagnosis.not_collected {
            out.push_str(&format!("  {setting}\n"));
        }
        out.push('\n');
    }
    out.push_str(&verdict_line(diagnosis));
    out
}

fn verdict_line(diagnosis: &Diagnosis) -> String {
    let count = |severity| {
        diagnosis
            .findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    };
    let (blockers, warnings) = (count(Severity::Blocker), count(Severity::Warning));
    let unchecked = match diagnosis.not_collected.len() {
        0 => String::new(),
        n => format!(" ({n} setting(s) not in the file were not checked)"),
    };
    match diagnosis.verdict {
        Verdict::Blocked => format!("verdict: BLOCKED — {blockers} blocker(s), {warnings} warning(s): SSPR at sign-in will not work until the blockers are fixed\n"),
        Verdict::Review => format!("verdict: REVIEW — no blocker, {warnings} warning(s) to review{unchecked}\n"),
        Verdict::Ready => "verdict: READY — nothing known to break SSPR at sign-in\n".to_string(),
    }
}
