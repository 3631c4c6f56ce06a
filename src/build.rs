//! `build`: settings → one package per target → files in the output folder.
//! Every payload is checked and every package written (and signed) under a temporary name
//! before any package gets its final name.

use crate::bind::BindOptions;
use crate::compile::{compile, Compiled, Inputs};
use crate::config::ProxyMode;
use crate::config::Settings;
use crate::error::{ConfigError, ConfigProblem, Error, Result};
use crate::model;
use crate::package;
use crate::payload::{self, CheckedPayload, PayloadSpec, PayloadTrust, Trust};
use crate::target::{Arch, Target};
use msikit::cab;
use msikit::sign::trust::TrustPolicy;
use msikit::sign::{self, credentials::Credentials};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Used when `SOURCE_DATE_EPOCH` is not set: 2024-01-01T00:00:00Z.
pub const DEFAULT_TIMESTAMP: u64 = 1_704_067_200;

/// What one build wrote.
#[derive(Debug, Clone, Serialize)]
pub struct BuiltPackage {
    pub target: String,
    pub file: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub product_code: String,
    pub upgrade_code: String,
    pub package_code: String,
    pub version: String,
    /// Subject of the certificate the package is signed with, if it is.
    pub signed_by: Option<String>,
    /// The embedded credential-provider DLL, for Windows 7/8/8.1 packages.
    pub payload: Option<PayloadReport>,
    /// Every PE the package embeds: the credential provider (File table), the proxy
    /// custom-action DLL and configured custom actions' files (Binary table).
    pub embedded: Vec<EmbeddedPe>,
    /// About the signature (a small RSA key; ECDSA where Windows' acceptance is unconfirmed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PayloadReport {
    pub file: PathBuf,
    pub sha256: String,
    pub file_version: Option<String>,
    pub trust: Trust,
}

/// One PE a package embeds, and what it is there for.
#[derive(Debug, Clone, Serialize)]
pub struct EmbeddedPe {
    /// `credential_provider`, `proxy_custom_action` or `custom_action`.
    pub role: &'static str,
    /// The table that holds it: `File` (installed) or `Binary` (run by a custom action).
    pub table: &'static str,
    #[serde(flatten)]
    pub file: PayloadReport,
}

impl EmbeddedPe {
    /// `NAME (TABLE, ROLE): TRUST, sha256 DIGEST`, for the text report.
    pub fn describe(&self) -> String {
        let name = self
            .file
            .file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy();
        let trust = match &self.file.trust {
            Trust::Verified(signer) => format!("signed by {}", signer.subject),
            Trust::UnsignedAllowed => "unsigned (allowed for test builds)".into(),
        };
        format!(
            "{name} ({}, {}): {trust}, sha256 {}",
            self.table, self.role, self.file.sha256
        )
    }
}

/// Where the timestamps in the package come from.
pub fn timestamp_from_environment() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(_) => Ok(DEFAULT_TIMESTAMP),
        Ok(text) => text.trim().parse::<u64>().map_err(|_| {
            Error::from(ConfigError {
                file: "<environment>".into(),
                line: None,
                key: Some("SOURCE_DATE_EPOCH".into()),
                problem: ConfigProblem::Malformed,
                message: format!("expected whole seconds since 1970-01-01, found `{text}`"),
            })
        }),
    }
}

/// How to build, beyond what the configuration and the checked inputs say.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions<'a> {
    pub out_dir: &'a Path,
    pub timestamp: u64,
    pub signing: Option<&'a Credentials>,
    /// Called (from any of the build's threads) as each package is written.
    pub progress: Option<fn()>,
}

/// The files a build embeds, checked (`check_inputs`), for the targets it builds.
pub struct CheckedInputs {
    targets: Vec<Target>,
    payloads: BTreeMap<Arch, CheckedPayload>,
    custom_action_files: BTreeMap<Arch, CustomActionFiles>,
    /// What the caller should tell the user (unsigned payloads packaged on request).
    pub warnings: Vec<String>,
}

/// Checks every file `targets` (or the settings' own list when empty) embed, before `build`
/// (the command line does it while it loads the signing key). `allow_unsigned_payloads`
/// packages unsigned payloads (test builds only), with a warning and a record in the report.
pub fn check_inputs(
    settings: &Settings,
    targets: &[Target],
    allow_unsigned_payloads: bool,
) -> Result<CheckedInputs> {
    let targets = if targets.is_empty() {
        &settings.targets[..]
    } else {
        targets
    };
    let trust = payload_trust(settings, allow_unsigned_payloads)?;
    let mut warnings = Vec::new();
    Ok(CheckedInputs {
        payloads: check_payloads(settings, targets, &trust, &mut warnings)?,
        custom_action_files: check_custom_action_files(settings, targets, &trust, &mut warnings)?,
        targets: targets.to_vec(),
        warnings,
    })
}

impl CheckedInputs {
    /// How many packages the build will write.
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }
}

/// Builds the packages `inputs` were checked for into the output folder.
pub fn build(
    settings: &Settings,
    inputs: CheckedInputs,
    options: BuildOptions,
) -> Result<Vec<BuiltPackage>> {
    let shared = Shared {
        settings,
        options,
        staging: package::StagingFolder::create(options.out_dir)?,
        bind_options: BindOptions {
            timestamp: options.timestamp,
            creating_application: format!("sspr-msi {}", env!("CARGO_PKG_VERSION")),
        },
        payloads: inputs.payloads,
        custom_action_files: inputs.custom_action_files,
    };
    // Each package goes to a temporary file as soon as it is serialised, so memory holds the
    // cabinets (one per architecture) and no package; the files get their names only once
    // every package is written, so a failure for one target writes nothing at all (the
    // staging folder is removed). They are renamed one by one: a set is complete once the
    // command has succeeded (with --bundle, once the bundle, written last, exists).
    stage_on_two_threads(&shared, &inputs.targets)?
        .into_iter()
        .map(|(built, file)| {
            file.persist()?;
            Ok(built)
        })
        .collect()
}

/// What every package of one build reads.
struct Shared<'a> {
    settings: &'a Settings,
    options: BuildOptions<'a>,
    /// Every package is written here first, then renamed into `options.out_dir`.
    staging: std::sync::Arc<package::StagingFolder>,
    bind_options: BindOptions,
    /// Checked, and read again (streamed into the cabinet) by the packages that embed them.
    payloads: BTreeMap<Arch, CheckedPayload>,
    custom_action_files: BTreeMap<Arch, CustomActionFiles>,
}

/// The checked files one architecture's custom actions embed.
#[derive(Default)]
struct CustomActionFiles {
    proxy_dll: Option<CheckedPayload>,
    /// Configured custom actions' files, by config key.
    binaries: BTreeMap<String, CheckedPayload>,
}

type StagedPackage = (BuiltPackage, package::Staged);

/// Stages the packages on two threads (the machines this runs on have two cores or more; more
/// threads than the 9 packages' RSA signatures and cabinets could keep busy gain nothing) that
/// take the next target in order, each package's cabinet shared through its architecture's
/// cache: the matrix's packages split evenly, which grouping by architecture (5 x64, 4 x86)
/// did not. The cabinets stream their payloads from disk, so memory holds the cabinets (about
/// twice the largest payload with two architectures), never the payloads. Packages come back
/// in `targets` order; on failure, the first failing target's error (after a failure no
/// further target is started).
fn stage_on_two_threads(shared: &Shared, targets: &[Target]) -> Result<Vec<StagedPackage>> {
    let cabinets: BTreeMap<Arch, Mutex<cab::Cache>> = targets
        .iter()
        .map(|target| (target.arch, Mutex::default()))
        .collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut staged = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(&target) = targets.get(index) else {
                break;
            };
            let payload = shared
                .payloads
                .get(&target.arch)
                .filter(|_| model::sspr::embeds_credential_provider(target));
            match shared.stage(target, payload, &cabinets[&target.arch]) {
                Ok(package) => {
                    staged.push((index, package));
                    if let Some(progress) = shared.options.progress {
                        progress();
                    }
                }
                Err(error) => {
                    failed.store(true, Ordering::Relaxed);
                    return Err((index, error));
                }
            }
        }
        Ok(staged)
    };
    let results = std::thread::scope(|scope| {
        let helper = scope.spawn(work);
        let own = work();
        let helper = helper
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        [own, helper]
    });
    collect_staged(results, targets.len())
}

/// Every thread's packages in `targets` order; on failure, the first failing target's error.
fn collect_staged(
    results: impl IntoIterator<Item = std::result::Result<Vec<(usize, StagedPackage)>, (usize, Error)>>,
    count: usize,
) -> Result<Vec<StagedPackage>> {
    let mut staged = Vec::with_capacity(count);
    let mut first_error: Option<(usize, Error)> = None;
    for result in results {
        match result {
            Ok(mut packages) => staged.append(&mut packages),
            Err((index, error)) if first_error.as_ref().is_none_or(|(i, _)| index < *i) => {
                first_error = Some((index, error))
            }
            Err(_) => {}
        }
    }
    if let Some((_, error)) = first_error {
        return Err(error);
    }
    staged.sort_by_key(|(index, _)| *index);
    Ok(staged.into_iter().map(|(_, package)| package).collect())
}

impl Shared<'_> {
    /// Writes `target`'s package under a temporary name beside its final path.
    fn stage(
        &self,
        target: Target,
        payload: Option<&CheckedPayload>,
        cabinets: &Mutex<cab::Cache>,
    ) -> Result<StagedPackage> {
        let (settings, options) = (self.settings, self.options);
        let files = self.custom_action_files.get(&target.arch);
        let inputs = Inputs {
            credential_provider: payload,
            proxy_dll: files.and_then(|files| files.proxy_dll.as_ref()),
            binaries: files.map(|files| &files.binaries),
        };
        let Compiled {
            package,
            database: db,
        } = self.compile(settings, target, inputs, cabinets)?;
        let file = options.out_dir.join(file_name(settings, target));
        let mut contents = package::contents(&db)?;
        if let Some(credentials) = options.signing {
            // Signed from the streams in memory: the digest needs no file written and read back.
            let signature_streams = sign::msi::signature_streams(
                contents.root_clsid(),
                &contents.streams(),
                credentials,
            )
            // A timestamp server that cannot be reached is the usual cause: an input
            // problem.
            .map_err(|e| Error::input(file_name(settings, target), format!("cannot sign: {e}")))?;
            for (name, data) in signature_streams {
                contents.insert(name, data);
            }
        }
        // Straight into the file (buffered): the cabinet is never copied into a package in
        // memory, so memory holds one copy of it, whatever the number of packages.
        let (staged, written) =
            package::Staged::write_in(&self.staging, &file, |out| contents.write(out))?;
        let built = BuiltPackage {
            target: target.name(),
            file,
            size: written.size,
            sha256: msikit::hex::hex(&written.sha256),
            product_code: msikit::format::guid_text(package.product.product_code),
            upgrade_code: msikit::format::guid_text(package.product.upgrade_code),
            package_code: msikit::format::guid_text(db.summary.package_code),
            version: package.product.version.to_string(),
            signed_by: options.signing.map(|c| sign::trust::subject(c.leaf())),
            payload: payload.map(PayloadReport::of),
            embedded: embedded_pes(payload, files),
            warnings: options
                .signing
                .map(|c| crate::sign_warnings::for_target(c, target))
                .unwrap_or_default(),
        };
        Ok((built, staged))
    }

    /// `target`'s package, its cabinet taken from (or added to) `cabinets`.
    fn compile(
        &self,
        settings: &Settings,
        target: Target,
        inputs: Inputs<'_>,
        cabinets: &Mutex<cab::Cache>,
    ) -> Result<Compiled> {
        // Held while binding only: the first package of an architecture builds its cabinet.
        let mut cabinets = cabinets.lock().unwrap_or_else(|e| e.into_inner());
        compile(settings, target, inputs, &self.bind_options, &mut cabinets).map_err(|error| {
            match error {
                Error::Internal(message) => Error::Internal(format!("binding {target}: {message}")),
                // A payload that changed since its check, or cannot be read again.
                error => error,
            }
        })
    }
}

impl PayloadReport {
    fn of(payload: &CheckedPayload) -> PayloadReport {
        PayloadReport {
            file: payload.path.clone(),
            sha256: payload.source.sha256().into_owned(),
            file_version: payload.file_version.clone(),
            trust: payload.trust.clone(),
        }
    }
}

/// Every PE one package embeds, in table order: File, then Binary.
fn embedded_pes(
    payload: Option<&CheckedPayload>,
    files: Option<&CustomActionFiles>,
) -> Vec<EmbeddedPe> {
    let entry = |role, table, file: &CheckedPayload| EmbeddedPe {
        role,
        table,
        file: PayloadReport::of(file),
    };
    let mut embedded: Vec<EmbeddedPe> = payload
        .map(|file| entry("credential_provider", "File", file))
        .into_iter()
        .collect();
    if let Some(files) = files {
        embedded.extend(
            files
                .proxy_dll
                .iter()
                .map(|file| entry("proxy_custom_action", "Binary", file)),
        );
        embedded.extend(
            files
                .binaries
                .values()
                .map(|file| entry("custom_action", "Binary", file)),
        );
    }
    embedded
}

/// The configured payload trust, with its anchors loaded; `allow_unsigned` adds to it.
fn payload_trust(settings: &Settings, allow_unsigned: bool) -> Result<PayloadTrust> {
    let configured = &settings.credential_provider.payload_trust;
    let mut anchors = Vec::new();
    for path in &configured.anchors {
        let certificates = sign::credentials::load_certificates(path)
            .map_err(|e| Error::input(path, e.message))?;
        anchors.extend(certificates);
    }
    Ok(PayloadTrust {
        policy: TrustPolicy {
            anchors,
            expected_subject: configured.expected_signer.clone(),
            expected_thumbprint: configured.expected_thumbprint.clone(),
        },
        allow_unsigned: allow_unsigned || configured.allow_unsigned,
    })
}

/// Checks, once per architecture, the payload every credential-provider target needs.
fn check_payloads(
    settings: &Settings,
    targets: &[Target],
    trust: &PayloadTrust,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<Arch, CheckedPayload>> {
    let mut payloads = BTreeMap::new();
    for &target in targets
        .iter()
        .filter(|t| !crate::target::uses_policy(t.family))
    {
        if payloads.contains_key(&target.arch) {
            continue;
        }
        let spec = settings.payload_for(target)?;
        payloads.insert(target.arch, check_one(spec, target.arch, trust, warnings)?);
    }
    Ok(payloads)
}

/// Checks, once per architecture, the proxy custom-action DLL and the configured custom
/// actions' files the targets' packages embed.
fn check_custom_action_files(
    settings: &Settings,
    targets: &[Target],
    trust: &PayloadTrust,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<Arch, CustomActionFiles>> {
    let mut checked: BTreeMap<Arch, CustomActionFiles> = BTreeMap::new();
    for &target in targets {
        let arch = target.arch;
        let fresh = !checked.contains_key(&arch);
        let files = checked.entry(arch).or_default();
        if fresh && settings.proxy.mode != ProxyMode::None {
            files.proxy_dll = Some(check_one(
                settings.proxy_dll_for(target)?,
                arch,
                trust,
                warnings,
            )?);
        }
        for spec in settings.custom_action_files_for(target)? {
            if !files.binaries.contains_key(&spec.config_key) {
                let file = check_one(spec, arch, trust, warnings)?;
                files.binaries.insert(spec.config_key.clone(), file);
            }
        }
    }
    Ok(checked)
}

fn check_one(
    spec: &PayloadSpec,
    arch: Arch,
    trust: &PayloadTrust,
    warnings: &mut Vec<String>,
) -> Result<CheckedPayload> {
    let checked = payload::check(spec, arch, trust)?;
    if checked.trust == Trust::UnsignedAllowed {
        warnings.push(format!(
            "{} (`{}`) is not signed; packaged only because unsigned payloads are allowed (test builds)",
            spec.config_key,
            spec.path.display()
        ));
    }
    Ok(checked)
}

fn file_name(settings: &Settings, target: Target) -> String {
    settings
        .file_name
        .replace("{target}", &target.name())
        .replace("{version}", &settings.product.version.to_string())
}
