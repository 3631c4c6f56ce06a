//! Command-line arguments and printing; no logic of its own.

use clap::{Parser, Subcommand};
use sspr_msi::build::{self, BuiltPackage};
use sspr_msi::config::{self, Settings};
use sspr_msi::error::{ConfigError, Error, Result};
use sspr_msi::target::{self, Target};
use sspr_msi::verify::report::{self, PackageReport, VerifyOptions, VerifyReport};
use sspr_msi::verify::simulate::LaunchOutcome;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "sspr-msi",
    version,
    about = "Build Windows Installer packages that enable Microsoft Entra SSPR at the Windows sign-in screen"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the packages (the embedded default configuration unless --config is given).
    Build {
        /// Configuration file (TOML); see `sspr-msi init`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Output folder.
        #[arg(long, value_name = "DIR", default_value = "dist")]
        out: PathBuf,
        /// Build only this target (repeatable); default: the configuration's `build.targets`.
        #[arg(long = "target", value_name = "NAME")]
        targets: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the default configuration to a file for editing.
    Init {
        /// Where to write it.
        #[arg(default_value = "sspr-msi.toml")]
        file: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// List the targets (OS family × architecture) this tool knows.
    Targets,
    /// Check MSI packages (ours or anyone's) statically and, with --simulate, predict their
    /// silent install and uninstall on machine profiles. Exit 1 when problems are found.
    Verify {
        /// The packages to verify.
        #[arg(required = true, value_name = "FILE.msi")]
        files: Vec<PathBuf>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// Simulate install and uninstall on machine profiles (all built-in ones by default).
        #[arg(long)]
        simulate: bool,
        /// Simulate on this built-in profile (repeatable; implies --simulate).
        #[arg(long = "profile", value_name = "NAME")]
        profiles: Vec<String>,
        /// Add the profiles of this TOML file (repeatable; implies --simulate).
        #[arg(long = "profile-file", value_name = "FILE")]
        profile_files: Vec<PathBuf>,
    },
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Build {
            config,
            out,
            targets,
            json,
        } => {
            let settings = match &config {
                Some(path) => Settings::load(path)?,
                None => Settings::embedded_default()?,
            };
            let targets = parse_targets(&targets)?;
            let built = build::build(
                &settings,
                &targets,
                &out,
                build::timestamp_from_environment()?,
            )?;
            print_built(&built, json);
            Ok(())
        }
        Command::Init { file, force } => {
            if file.exists() && !force {
                return Err(Error::output(
                    &file,
                    std::io::Error::new(
                        std::io::ErrorKind::AlreadyExists,
                        "file exists (use --force to overwrite)",
                    ),
                ));
            }
            sspr_msi::package::write_atomically(&file, config::DEFAULT_CONFIG.as_bytes())?;
            println!("wrote {}", file.display());
            Ok(())
        }
        Command::Verify {
            files,
            json,
            simulate,
            profiles,
            profile_files,
        } => {
            let options = VerifyOptions {
                simulate: simulate || !profiles.is_empty() || !profile_files.is_empty(),
                profiles,
                profile_files,
            };
            let report = report::verify(&files, &options)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("verify report serialises")
                );
            } else {
                print_verify_report(&report);
            }
            match report.problem_count() {
                0 => Ok(()),
                problems => Err(Error::Problems(problems)),
            }
        }
        Command::Targets => {
            for target in target::ALL {
                println!("{:<10} {}", target.name(), target.label());
            }
            Ok(())
        }
    }
}

fn parse_targets(names: &[String]) -> Result<Vec<Target>> {
    names
        .iter()
        .map(|name| {
            Target::from_name(name).ok_or_else(|| {
                Error::Config(ConfigError {
                    file: "<command line>".into(),
                    line: None,
                    key: Some("--target".into()),
                    message: format!(
                        "unknown target `{name}`; known targets: {}",
                        Target::known_names()
                    ),
                })
            })
        })
        .collect()
}

fn print_built(built: &[BuiltPackage], json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(built).expect("build report serialises")
        );
        return;
    }
    println!(
        "{:<10} {:<40} {:>8}  {:<38}  sha256",
        "target", "file", "size", "product code"
    );
    for package in built {
        println!(
            "{:<10} {:<40} {:>8}  {:<38}  {}",
            package.target,
            package.file.display(),
            package.size,
            package.product_code,
            package.sha256
        );
    }
}

fn print_verify_report(report: &VerifyReport) {
    for package in &report.packages {
        print_package_report(package);
    }
}

fn print_package_report(package: &PackageReport) {
    println!(
        "{} (target {}, platform {})",
        package.file.display(),
        package.target.as_deref().unwrap_or("unknown"),
        package.platform.as_deref().unwrap_or("missing")
    );
    for finding in &package.findings {
        let severity = format!("{:?}", finding.severity).to_lowercase();
        println!("  {severity:<7} {:<10} {}", finding.id, finding.message);
    }
    let Some(first) = package.simulations.first() else {
        return;
    };
    for note in &first.prediction.unsimulated {
        println!("  not simulated: {note}");
    }
    println!(
        "  {:<20} {:<9} {:>6} {:>5} {:>9} {:>7}  message",
        "profile", "result", "values", "files", "permanent", "residue"
    );
    for result in &package.simulations {
        let prediction = &result.prediction;
        let (outcome, message) = match &prediction.outcome {
            LaunchOutcome::Installs if result.unexpected_install => {
                ("INSTALLS", "installs outside its target".to_string())
            }
            LaunchOutcome::Installs => ("installs", String::new()),
            LaunchOutcome::Refused { messages } => ("refused", messages.join(" | ")),
        };
        println!(
            "  {:<20} {:<9} {:>6} {:>5} {:>9} {:>7}  {message}",
            prediction.profile,
            outcome,
            prediction.registry.len(),
            prediction.files.len(),
            prediction.permanent.len(),
            prediction.residue.len()
        );
        for leftover in &prediction.residue {
            println!("      residue: {} ({})", leftover.item, leftover.reason);
        }
    }
}
