//! Command-line arguments and printing; no logic of its own.

use clap::ValueEnum;
mod generated;
mod progress;
pub mod signals;
pub mod terminal;

use clap::{Parser, Subcommand};
use msikit::sign;
use sspr_msi::build::{self, BuiltPackage};
use sspr_msi::config::{self, Settings};
use sspr_msi::error::{ConfigError, ConfigProblem, Error, Result};
use sspr_msi::target::{self, Target};
use sspr_msi::verify::format::{self as verify_format, ReportFormat};
use sspr_msi::verify::report::{self, VerifyOptions};
use sspr_msi::{doctor, explain, release};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use terminal::{document, summary};

#[derive(Debug, Parser)]
#[command(
    name = "sspr-msi",
    version,
    about = "Build Windows Installer packages that enable Microsoft Entra SSPR at the Windows sign-in screen",
    after_help = network_help()
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print no summaries or warnings (errors, and documents such as --json, still are).
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Colour the error and warning labels: auto = when stderr is a terminal and NO_COLOR
    /// is not set.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto"
    )]
    color: terminal::ColorChoice,
}

/// The endpoints per cloud, the proxy modes and the exit codes, for `--help`: made from
/// their catalogues, so the help cannot drift from what the tool does.
fn network_help() -> String {
    let mut help = String::from(
        "Network: the reset flow's temporary account must reach, through proxies and antivirus,\n",
    );
    for cloud in config::Cloud::ALL {
        let endpoints = cloud.endpoints().join(", ");
        help.push_str(&format!(
            "  {} ([cloud] name = \"{}\"): {endpoints}\n",
            cloud.name(),
            cloud.name()
        ));
    }
    help.push_str(
        "  It cannot use a proxy that needs user authentication: set [proxy] mode = \"machine\" \
         (ProxySettingsPerUser = 0\n  and the machine proxy) or \"default-profile\" (the Default user \
         profile's proxy); admins give the proxy at install\n  time with PROXYSERVER=host:port. The \
         bundle's README.txt (sspr-msi release) lists the hosts for your cloud.\n\nExit codes:",
    );
    let codes: Vec<String> = sspr_msi::error::exit_code::ALL
        .iter()
        .map(|(code, meaning)| format!("{code} {meaning}"))
        .collect();
    // Wrapped to stay within a 120-column terminal.
    let mut width = "Exit codes:".len();
    for (index, code) in codes.iter().enumerate() {
        let end = if index + 1 == codes.len() { '.' } else { ',' };
        let piece = format!(" {code}{end}");
        if width + piece.len() > 110 {
            help.push_str("\n ");
            width = 1;
        }
        width += piece.len();
        help.push_str(&piece);
    }
    help
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build the packages (the embedded default configuration unless --config is given).
    Build {
        #[command(flatten)]
        args: BuildArgs,
        /// Also write the release bundle OUT/sspr-<version>.zip.
        #[arg(long)]
        bundle: bool,
    },
    /// Build, then bundle every package with checksums, manifest, admin README, .reg and
    /// Intune files into OUT/sspr-<version>.zip (what `build` does when asked to bundle).
    Release(BuildArgs),
    /// Sign an MSI package (Authenticode, SHA-256), replacing any earlier signature.
    Sign {
        /// The package to sign.
        file: PathBuf,
        /// Write the signed package here instead of replacing FILE.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        signing: SigningArgs,
        #[command(flatten)]
        detached: DetachedArgs,
    },
    /// Write the default configuration to a file for editing (`-`: to stdout).
    Init {
        /// Where to write it; its folder must exist.
        #[arg(default_value = "sspr-msi.toml")]
        file: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Print the `sha256 = "…"` line that pins FILE (a payload or custom-action DLL) in the
    /// configuration.
    Pin {
        /// The file to pin.
        file: PathBuf,
    },
    /// List the targets (OS family × architecture) this tool knows.
    Targets,
    /// Print a shell completion script (e.g. `sspr-msi completions bash > /etc/bash_completion.d/sspr-msi`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `sspr-msi man | man -l -`.
    Man,
    /// Check MSI packages (ours or anyone's) statically and, with --simulate, predict their
    /// silent install and uninstall on machine profiles. Exit 1 when problems are found.
    Verify {
        /// The packages to verify.
        #[arg(required = true, value_name = "FILE.msi")]
        files: Vec<PathBuf>,
        /// Print the report as JSON (the same as --format json).
        #[arg(long)]
        json: bool,
        /// The report's format.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<ReportFormat>,
        /// Write the report to FILE (atomically) instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Simulate install and uninstall on machine profiles (all built-in ones by default).
        #[arg(long)]
        simulate: bool,
        /// Simulate on this built-in profile (repeatable; implies --simulate).
        #[arg(long = "profile", value_name = "NAME")]
        profiles: Vec<String>,
        /// Add the profiles of this TOML file (repeatable; implies --simulate).
        #[arg(long = "profile-file", value_name = "FILE")]
        profile_files: Vec<PathBuf>,
        /// Certificates (PEM) the package's and embedded PEs' signatures must chain to
        /// (repeatable); without it, signatures are checked but not who made them.
        #[arg(long = "trust-anchor", value_name = "PEM")]
        trust_anchors: Vec<PathBuf>,
        /// Apply this transform (.mst) before checking and simulating (repeatable, applied
        /// in order, as msiexec TRANSFORMS=a.mst;b.mst); `:NAME` is one the package embeds
        /// (TRANSFORMS=:NAME). An invalid one exits 4.
        #[arg(long = "transform", value_name = "FILE.mst|:NAME")]
        transforms: Vec<PathBuf>,
        /// The release these packages replace: also run the upgrade rules (UPG001-UPG008)
        /// against it.
        #[arg(long, value_name = "OLD.msi")]
        baseline: Option<PathBuf>,
    },
    /// Show what a package (ours or anyone's) holds: summary information, tables with row
    /// counts, streams with SHA-256, cabinet files with versions and signers, the signature.
    Inspect {
        /// The package.
        file: PathBuf,
        /// Print only this table, as an .idt archive file (what msibuild -i and Orca import).
        #[arg(long, value_name = "NAME", conflicts_with = "json")]
        table: Option<String>,
        /// Print everything as JSON.
        #[arg(long)]
        json: bool,
        /// Certificates (PEM) signatures must chain to (repeatable).
        #[arg(long = "trust-anchor", value_name = "PEM")]
        trust_anchors: Vec<PathBuf>,
    },
    /// Semantic difference of two packages: rows by primary key, summary, streams and cabinet
    /// files by digest, the signature; why two builds are not byte-identical. Exit 1 when
    /// they differ.
    Diff {
        /// The older package.
        old: PathBuf,
        /// The newer package.
        new: PathBuf,
        /// Hide what every release changes: any cell or summary value that is the package's
        /// own ProductCode, package code or ProductVersion.
        #[arg(long)]
        ignore_version_codes: bool,
        /// Print the difference as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write a transform (.mst): BASE.msi --set PROPERTY=VALUE… sets Property rows (the
    /// admin's PROXYSERVER, ENABLELOGGING, REBOOT); --diff OLD.msi NEW.msi carries every
    /// table difference. Apply it with msiexec /i BASE.msi TRANSFORMS=FILE.mst.
    Transform(TransformArgs),
    /// Will SSPR at sign-in work on a machine? `--script` prints the PowerShell preflight
    /// script; FILE is its JSON output or a `reg export` file. Exit 1 when a blocker is found.
    Doctor {
        /// The script's JSON, or a `.reg` export (UTF-16LE as Windows writes it, or UTF-8).
        #[arg(required_unless_present = "script")]
        file: Option<PathBuf>,
        /// Print the PowerShell (2.0+) script that collects the JSON on the machine.
        #[arg(long, conflicts_with_all = ["file", "json"])]
        script: bool,
        /// Print the diagnosis as JSON.
        #[arg(long)]
        json: bool,
        /// Decide the fitting package with this configuration's `[policy]` (default: embedded).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Explain a verbose msiexec log (`/l*v`): outcome, exit code, first failing action,
    /// message, what to do.
    Explain {
        /// The log (UTF-16LE as Windows writes it, or ANSI/UTF-8 as Wine writes it).
        file: PathBuf,
        /// Print the explanation as JSON.
        #[arg(long)]
        json: bool,
        /// The package the log is about: a refusal then names the launch conditions that
        /// failed (Wine's msiexec does not log their messages).
        #[arg(long, value_name = "FILE")]
        msi: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct TransformArgs {
    /// The package the transform customizes.
    #[arg(
        value_name = "BASE.msi",
        required_unless_present = "diff",
        conflicts_with = "diff"
    )]
    base: Option<PathBuf>,
    /// Set a property (repeatable): an existing Property row is updated, a new name added.
    #[arg(long = "set", value_name = "PROPERTY=VALUE", value_parser = parse_setting,
          required_unless_present = "diff")]
    settings: Vec<(String, String)>,
    /// Write the transform from OLD.msi to NEW.msi instead.
    #[arg(long, num_args = 2, value_names = ["OLD.msi", "NEW.msi"], conflicts_with = "settings")]
    diff: Option<Vec<PathBuf>>,
    /// Where to write the transform (atomically); with --embed, the package.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Write BASE.msi (OLD.msi with --diff) to --out with the transform embedded as its
    /// sub-storage NAME, which msiexec applies with TRANSFORMS=:NAME. Refused for a signed
    /// package: embed first, then sign.
    #[arg(long, value_name = "NAME")]
    embed: Option<String>,
}

/// `NAME=VALUE`, NAME an MSI identifier and VALUE not empty (a Property row cannot be empty).
fn parse_setting(text: &str) -> std::result::Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not PROPERTY=VALUE"))?;
    msikit::transform::check_setting(name, value).map_err(|error| error.to_string())?;
    Ok((name.to_string(), value.to_string()))
}

fn run_transform(args: TransformArgs) -> Result<()> {
    use sspr_msi::transform_command;
    use transform_command::Output;
    let out = match &args.embed {
        Some(name) => Output::EmbeddedIn {
            package: &args.out,
            name,
        },
        None => Output::Transform(&args.out),
    };
    let written = match (&args.diff, &args.base) {
        (Some(files), _) => transform_command::diff(&files[0], &files[1], out)?,
        (None, Some(base)) => transform_command::set_properties(base, &args.settings, out)?,
        (None, None) => unreachable!("clap requires BASE.msi or --diff"),
    };
    let tables = &written.generated.changed_tables;
    for stream in &written.generated.not_carried {
        terminal::warning(&format!(
            "stream {stream:?} differs; a transform carries table rows and their streams only, not this one"
        ));
    }
    let changed = if tables.is_empty() {
        "none".to_string()
    } else {
        tables.join(", ")
    };
    summary(&format!(
        "wrote {} (tables changed: {changed})\n",
        written.out.display()
    ))
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
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
    #[command(flatten)]
    signing: SigningArgs,
    /// Package payloads that carry no Authenticode signature (test builds only: warns,
    /// and the build report records it).
    #[arg(long)]
    allow_unsigned_payloads: bool,
}

/// `sign` without the key at hand: each is a mode of its own.
#[derive(Debug, clap::Args)]
#[group(multiple = false)]
struct DetachedArgs {
    /// Write the bytes to sign (DER of the signed attributes) to FILE, and how to sign them
    /// to FILE.json; needs --cert. The package is not changed.
    #[arg(long, value_name = "FILE", requires = "certificate")]
    digest_out: Option<PathBuf>,
    /// Sign with a raw signature made elsewhere over the --digest-out bytes; needs --cert.
    #[arg(long, value_name = "SIG", requires = "certificate")]
    signature_in: Option<PathBuf>,
    /// Save the signed package's PKCS#7 to FILE (e.g. PKG.sig). The package is not changed.
    #[arg(long, value_name = "FILE")]
    export_signature: Option<PathBuf>,
    /// Put the PKCS#7 saved by --export-signature on this (rebuilt, unsigned) package.
    #[arg(long, value_name = "SIG")]
    attach: Option<PathBuf>,
}

/// The signing identity: PEM certificate + key, or a PKCS#12 bundle.
#[derive(Debug, clap::Args)]
struct SigningArgs {
    /// Signing certificate chain (PEM, leaf first).
    #[arg(long = "sign-cert", visible_alias = "cert", value_name = "PEM")]
    certificate: Option<PathBuf>,
    /// Private key of the certificate: a PEM file (RSA 2048-4096 bits, or ECDSA P-256/P-384),
    /// or a PKCS#11 URI (`pkcs11:token=…;object=…`) with --pkcs11-module.
    #[arg(long = "sign-key", visible_alias = "key", value_name = "PEM")]
    key: Option<PathBuf>,
    /// PKCS#12 bundle (.pfx/.p12) with the key and its chain, instead of --cert/--key.
    #[arg(long = "sign-pkcs12", visible_alias = "pkcs12", value_name = "FILE")]
    pkcs12: Option<PathBuf>,
    /// Environment variable that holds the PKCS#12 password.
    #[arg(
        long = "sign-password-env",
        visible_alias = "password-env",
        value_name = "VAR"
    )]
    password_env: Option<String>,
    /// PKCS#11 module (shared library) of the token a `pkcs11:` key is on.
    #[arg(
        long = "sign-pkcs11-module",
        visible_alias = "pkcs11-module",
        value_name = "LIB"
    )]
    pkcs11_module: Option<PathBuf>,
    /// Environment variable that holds the token's PIN.
    #[arg(long = "sign-pin-env", visible_alias = "pin-env", value_name = "VAR")]
    pin_env: Option<String>,
    /// Sign by running this command (through `sh -c`): the bytes to sign on its stdin, the
    /// raw signature on its stdout; needs --cert.
    #[arg(long, value_name = "CMD", requires = "certificate")]
    signer_command: Option<String>,
    /// RFC 3161 time-stamping authority (http URL) that countersigns each signature
    /// (repeatable: tried in order, each 3 times); without it, signing is deterministic.
    #[arg(long = "timestamp-url", value_name = "URL")]
    timestamp_urls: Vec<String>,
    /// Intermediate certificates (PEM) to embed after the signing certificate.
    #[arg(
        long = "sign-cert-chain",
        visible_alias = "cert-chain",
        value_name = "PEM"
    )]
    cert_chain: Option<PathBuf>,
    /// Also write \005MsiDigitalSignatureEx (a hash of the streams' names and sizes, as
    /// signtool writes by default).
    #[arg(long = "sign-msi-dse", visible_alias = "msi-dse")]
    msi_dse: bool,
}

impl SigningArgs {
    fn source(&self) -> sign::credentials::SigningSource {
        sign::credentials::SigningSource {
            certificate: self.certificate.clone(),
            key: self.key.clone(),
            pkcs12: self.pkcs12.clone(),
            password_env: self.password_env.clone(),
            timestamp_urls: self.timestamp_urls.clone(),
            cert_chain: self.cert_chain.clone(),
            msi_dse: self.msi_dse,
            pkcs11_module: self.pkcs11_module.clone(),
            pin_env: self.pin_env.clone(),
            signer_command: self.signer_command.clone(),
        }
    }

    fn load(&self) -> Result<Option<sign::credentials::Credentials>> {
        load_signing(&self.source())
    }
}

impl Cli {
    /// The parsed command line; clap's own help and usage errors follow `--color` too.
    pub fn parse_with_color() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let color = match terminal::color_asked(std::env::args_os()) {
            Some(terminal::ColorChoice::Always) => clap::ColorChoice::Always,
            Some(terminal::ColorChoice::Never) => clap::ColorChoice::Never,
            // Auto: clap's own detection, which respects NO_COLOR.
            _ => clap::ColorChoice::Auto,
        };
        let mut command = Cli::command().color(color);
        let matches = command.get_matches_mut();
        Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.format(&mut command).exit())
    }
}

/// Where a signing option error is about the options themselves.
const COMMAND_LINE: &str = "<command line>";

fn load_signing(
    source: &sign::credentials::SigningSource,
) -> Result<Option<sign::credentials::Credentials>> {
    source.load().map_err(credentials_error)
}

/// Options that do not fit together are a usage error (exit 2); a file that does not do is
/// an input error (exit 4).
fn credentials_error(error: sign::credentials::CredentialsError) -> Error {
    if error.path == COMMAND_LINE {
        Error::Usage(error.message)
    } else {
        Error::input(&error.path, error.message)
    }
}

pub fn run(cli: Cli) -> Result<()> {
    terminal::configure(cli.quiet, cli.color);
    match cli.command {
        Command::Build { args, bundle } => run_build(args, bundle),
        Command::Release(args) => run_build(args, true),
        Command::Init { file, force } => run_init(&file, force),
        Command::Pin { file } => document(&pin_line(&file)?),
        Command::Completions { shell } => document(&generated::completions(shell)),
        Command::Man => document(&generated::man_page()?),
        Command::Sign {
            file,
            out,
            signing,
            detached,
        } => {
            use sspr_msi::sign_command;
            let done = match &detached {
                DetachedArgs {
                    digest_out: Some(digest_out),
                    ..
                } => Some(sign_command::digest_out(
                    &file,
                    signing.certificate.as_deref().unwrap_or(&file),
                    digest_out,
                    signing.msi_dse,
                )?),
                DetachedArgs {
                    export_signature: Some(signature),
                    ..
                } => Some(sign_command::export_signature(&file, signature)?),
                DetachedArgs {
                    attach: Some(signature),
                    ..
                } => Some(sign_command::attach(
                    &file,
                    signature,
                    out.as_deref().unwrap_or(&file),
                )?),
                _ => None,
            };
            if let Some(line) = done {
                return summary(&format!("{line}\n"));
            }
            let credentials = match (&detached.signature_in, &signing.certificate) {
                (Some(signature), Some(certificate)) => Some(
                    signing
                        .source()
                        .finish(sign_command::given_signature(certificate, signature)?)
                        .map_err(credentials_error)?,
                ),
                _ => signing.load()?,
            };
            let credentials = credentials.ok_or_else(|| {
                Error::Usage("give --cert and --key (a file or a pkcs11: URI), or --pkcs12".into())
            })?;
            print_warnings(&credentials.warnings);
            let bytes = std::fs::read(&file)
                .map_err(|e| Error::input(&file, format!("cannot read: {e}")))?;
            let signed = sign::msi::sign(&bytes, &credentials)
                .map_err(|e| Error::input(&file, format!("cannot sign: {e}")))?;
            let target = out.unwrap_or(file);
            sspr_msi::package::write_atomically(&target, &signed)?;
            summary(&format!(
                "signed {} ({})\n",
                target.display(),
                sign::trust::subject(credentials.leaf())
            ))
        }
        Command::Verify {
            files,
            json,
            format,
            out,
            simulate,
            profiles,
            profile_files,
            trust_anchors,
            transforms,
            baseline,
        } => {
            let options = VerifyOptions {
                simulate: simulate || !profiles.is_empty() || !profile_files.is_empty(),
                profiles,
                profile_files,
                trust_anchors,
                transforms,
                baseline,
                progress: Some(progress::step),
            };
            let format = report_format(json, format);
            let bar = progress::Bar::start("verifying", files.len());
            let report = report::verify(&files, &options)?;
            drop(bar);
            let rendered = verify_format::render(&report, format);
            if let Some(path) = out {
                sspr_msi::package::write_atomically(&path, rendered.as_bytes())?;
            } else if format != ReportFormat::Text || !terminal::quiet() {
                document(&rendered)?;
            }
            verify_outcome(&report)
        }
        Command::Doctor {
            file,
            script,
            json,
            config,
        } => match file {
            Some(file) if !script => run_doctor(&file, json, config.as_deref()),
            _ => document(&doctor::script::script()),
        },
        Command::Explain { file, json, msi } => {
            let explanation = explain::explain_file(&file, msi.as_deref())?;
            print_report(&explanation, json, explain::render_text)?;
            if explanation.succeeded() {
                return Ok(());
            }
            Err(Error::CheckFailed {
                path: file,
                message: "the log shows the installation did not succeed".into(),
            })
        }
        Command::Transform(args) => run_transform(args),
        Command::Inspect {
            file,
            table,
            json,
            trust_anchors,
        } => {
            use sspr_msi::review::inspect;
            if let Some(table) = table {
                return document(&inspect::table_file(&file, &table)?);
            }
            let policy = report::trust_policy(&trust_anchors)?;
            print_report(
                &inspect::inspect_file(&file, &policy)?,
                json,
                inspect::render_text,
            )
        }
        Command::Diff {
            old,
            new,
            ignore_version_codes,
            json,
        } => {
            use sspr_msi::review::diff;
            let options = msikit::diff::DiffOptions {
                ignore_version_codes,
            };
            let difference = diff::diff_files(&old, &new, options)?;
            print_report(&difference, json, diff::render_text)?;
            if difference.is_equal() {
                return Ok(());
            }
            Err(Error::CheckFailed {
                path: new,
                message: "the packages differ".into(),
            })
        }
        Command::Targets => {
            let mut text = String::new();
            for target in target::ALL {
                let _ = writeln!(text, "{:<10} {}", target.name(), target.label());
            }
            document(&text)
        }
    }
}

fn run_doctor(file: &std::path::Path, json: bool, config: Option<&std::path::Path>) -> Result<()> {
    let settings = match config {
        Some(path) => Settings::load(path)?,
        None => Settings::embedded_default()?,
    };
    let diagnosis = doctor::diagnose_file(file, &settings)?;
    print_report(&diagnosis, json, doctor::render_text)?;
    if diagnosis.verdict == doctor::Verdict::Blocked {
        let see = if json {
            "the blocker findings in the JSON"
        } else {
            "the blockers above"
        };
        return Err(Error::CheckFailed {
            path: file.to_path_buf(),
            message: format!("SSPR at sign-in is blocked on this machine (see {see})"),
        });
    }
    Ok(())
}

/// `--json` is `--format json`: both may be given only when they agree (else a usage error,
/// exit 2, as clap gives).
fn report_format(json: bool, format: Option<ReportFormat>) -> ReportFormat {
    match (json, format) {
        (true, None | Some(ReportFormat::Json)) => ReportFormat::Json,
        (true, Some(other)) => {
            let name = other
                .to_possible_value()
                .map_or_else(String::new, |value| value.get_name().to_string());
            <Cli as clap::CommandFactory>::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("--json is --format json; it cannot go with --format {name}"),
                )
                .exit()
        }
        (false, format) => format.unwrap_or_default(),
    }
}

fn print_report<T: serde::Serialize>(
    report: &T,
    json: bool,
    render_text: fn(&T) -> String,
) -> Result<()> {
    if json {
        document(&json_document(report))
    } else {
        document(&sspr_msi::textfile::terminal_safe(&render_text(report)))
    }
}

/// A report as pretty JSON, one document with its final newline.
fn json_document<T: serde::Serialize>(report: &T) -> String {
    sspr_msi::document::to_json(report) + "\n"
}

/// `verify`'s exit: the worst outcome over all files. A file that cannot be read (exit 4)
/// is worse than problems found in one that can (exit 1): every unreadable file is named,
/// the last one by the returned error.
fn verify_outcome(report: &report::VerifyReport) -> Result<()> {
    let problems = report.problem_count();
    let Some((last, others)) = report.unreadable.split_last() else {
        return match problems {
            0 => Ok(()),
            problems => Err(Error::Problems(problems)),
        };
    };
    if problems > 0 {
        terminal::error(&Error::Problems(problems).to_string());
    }
    for unreadable in others {
        terminal::error(&Error::input(&unreadable.file, unreadable.message.clone()).to_string());
    }
    Err(Error::input(&last.file, last.message.clone()))
}

/// `init`: the default configuration, to FILE (whose folder must exist: a typo in it should
/// not create folders) or, for `-`, to stdout.
fn run_init(file: &Path, force: bool) -> Result<()> {
    if file == Path::new("-") {
        return document(config::DEFAULT_CONFIG);
    }
    let folder = file.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(folder) = folder.filter(|folder| !folder.is_dir()) {
        return Err(Error::output(
            file,
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "folder {} does not exist (create it first)",
                    folder.display()
                ),
            ),
        ));
    }
    if file.exists() && !force {
        return Err(Error::output(
            file,
            std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "file exists (use --force to overwrite)",
            ),
        ));
    }
    sspr_msi::package::write_atomically(file, config::DEFAULT_CONFIG.as_bytes())?;
    summary(&format!("wrote {}\n", file.display()))
}

/// The configuration line that pins `file`'s content.
fn pin_line(file: &Path) -> Result<String> {
    let bytes = std::fs::read(file).map_err(|e| Error::input(file, format!("cannot read: {e}")))?;
    Ok(format!(
        "sha256 = \"{}\"\n",
        msikit::hex::sha256_hex(&bytes)
    ))
}

fn run_build(args: BuildArgs, bundle: bool) -> Result<()> {
    // The signing key is read and checked on another thread while the configuration and the
    // payloads are (each about a third of a millisecond); its errors still come first.
    let source = args.signing.source();
    let (signing, checked) = std::thread::scope(|scope| {
        let signing = source
            .requested()
            .then(|| scope.spawn(|| load_signing(&source)));
        let checked = load_and_check(&args);
        let signing = match signing {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            None => Ok(None),
        };
        (signing, checked)
    });
    let signing = signing?;
    let (settings, inputs, timestamp) = checked?;
    let options = build::BuildOptions {
        out_dir: &args.out,
        timestamp,
        signing: signing.as_ref(),
        progress: Some(progress::step),
    };
    let bar = progress::Bar::start("building", inputs.target_count());
    let built = build::build(&settings, inputs, options)?;
    drop(bar);
    let bundle = if bundle {
        let inputs = release::BundleInputs {
            settings: &settings,
            packages: &built,
            signing: signing.as_ref(),
            timestamp,
        };
        Some(release::write_bundle(&inputs, &args.out)?)
    } else {
        None
    };
    print_built(&built, bundle.as_deref(), args.json)
}

/// The settings, the checked payloads for the targets asked for, and the timestamp.
fn load_and_check(args: &BuildArgs) -> Result<(Settings, build::CheckedInputs, u64)> {
    let settings = match &args.config {
        Some(path) => Settings::load(path)?,
        None => Settings::embedded_default()?,
    };
    let targets = parse_targets(&args.targets)?;
    let timestamp = build::timestamp_from_environment()?;
    let inputs = build::check_inputs(&settings, &targets, args.allow_unsigned_payloads)?;
    print_warnings(&inputs.warnings);
    Ok((settings, inputs, timestamp))
}

fn parse_targets(names: &[String]) -> Result<Vec<Target>> {
    names
        .iter()
        .map(|name| {
            Target::from_name(name).ok_or_else(|| {
                Error::from(ConfigError {
                    file: "<command line>".into(),
                    line: None,
                    key: Some("--target".into()),
                    problem: ConfigProblem::UnknownName,
                    message: format!(
                        "unknown target `{name}`; known targets: {}",
                        Target::known_names()
                    ),
                })
            })
        })
        .collect()
}

/// Warnings go to stderr, so that `--json` output stays one document.
fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        terminal::warning(warning);
    }
}

fn print_built(built: &[BuiltPackage], bundle: Option<&Path>, json: bool) -> Result<()> {
    // The key's own warnings are the same for every package: said once.
    let mut said = std::collections::BTreeSet::new();
    for warning in built.iter().flat_map(|package| &package.warnings) {
        if said.insert(warning) {
            print_warnings(std::slice::from_ref(warning));
        }
    }
    if json {
        #[derive(serde::Serialize)]
        struct BuildDocument<'a> {
            packages: &'a [BuiltPackage],
            bundle: Option<&'a std::path::Path>,
        }
        let report = BuildDocument {
            packages: built,
            bundle,
        };
        return document(&json_document(&report));
    }
    let mut text = format!(
        "{:<10} {:<40} {:>8}  {:<38}  sha256\n",
        "target", "file", "size", "product code"
    );
    for package in built {
        let _ = writeln!(
            text,
            "{:<10} {:<40} {:>8}  {:<38}  {}",
            package.target,
            package.file.display(),
            package.size,
            package.product_code,
            package.sha256
        );
        for pe in &package.embedded {
            let _ = writeln!(text, "  embeds {}", pe.describe());
        }
    }
    if let Some(bundle) = bundle {
        let _ = writeln!(text, "bundle: {}", bundle.display());
    }
    summary(&text)
}
