//! The release bundle: every package with its checksums, a manifest, the admin's
//! instructions, the Windows 10/11 policy as a `.reg` file and as an Intune custom-profile
//! row, in one zip whose bytes depend only on its inputs.

use crate::build::BuiltPackage;
use crate::config::{ProxyMode, ProxySettings, Settings};
use crate::error::{Error, Result};
use crate::model::proxy::custom_action_data;
use crate::model::sspr::{POLICY_KEY, POLICY_VALUE};
use crate::target::Target;
use msikit::sign::{credentials::Credentials, trust, Signer};
use serde::Serialize;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::write::SimpleFileOptions;

pub mod configmgr;
mod facts;
pub mod gpo;
mod guide;
pub mod intune;
pub mod provenance;
pub mod sbom;
pub mod winget;
mod xml;

pub const INTUNE_OMA_URI: &str =
    "./Device/Vendor/MSFT/Policy/Config/Authentication/AllowAadPasswordReset";

#[derive(Serialize)]
struct Manifest<'a> {
    product: &'a str,
    manufacturer: &'a str,
    version: String,
    built_with: String,
    source_date_epoch: u64,
    signing_certificate: Option<Signer>,
    packages: Vec<ManifestPackage<'a>>,
}

/// One package in the manifest: file names only, so the manifest does not depend on where
/// the build ran.
#[derive(Serialize)]
struct ManifestPackage<'a> {
    target: &'a str,
    os: &'static str,
    architecture: &'static str,
    file: String,
    size: u64,
    sha256: &'a str,
    /// SHA-256 of the package before it was signed (what a build without a key makes, and
    /// `sign --attach` takes): anyone can check a rebuild against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    unsigned_sha256: Option<String>,
    version: &'a str,
    product_code: &'a str,
    upgrade_code: &'a str,
    package_code: &'a str,
    signed_by: Option<&'a str>,
    payload: Option<ManifestPayload<'a>>,
    /// Every PE the package embeds, with its digest and trust.
    embedded: Vec<ManifestEmbedded<'a>>,
}

#[derive(Serialize)]
struct ManifestPayload<'a> {
    file: String,
    sha256: &'a str,
    file_version: Option<&'a str>,
    trust: &'a crate::payload::Trust,
}

#[derive(Serialize)]
struct ManifestEmbedded<'a> {
    role: &'a str,
    table: &'a str,
    #[serde(flatten)]
    file: ManifestPayload<'a>,
}

impl<'a> ManifestPayload<'a> {
    fn of(report: &'a crate::build::PayloadReport) -> Self {
        ManifestPayload {
            file: file_name(&report.file),
            sha256: &report.sha256,
            file_version: report.file_version.as_deref(),
            trust: &report.trust,
        }
    }
}

/// What goes into the bundle besides the packages.
pub struct BundleInputs<'a> {
    pub settings: &'a Settings,
    pub packages: &'a [BuiltPackage],
    pub signing: Option<&'a Credentials>,
    pub timestamp: u64,
}

/// Writes `out_dir/sspr-<version>.zip` and returns its path.
pub fn write_bundle(inputs: &BundleInputs, out_dir: &Path) -> Result<PathBuf> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for package in inputs.packages {
        let bytes = std::fs::read(&package.file)
            .map_err(|e| Error::input(&package.file, format!("cannot read: {e}")))?;
        files.push((file_name(&package.file), bytes));
    }
    files.push(("SHA256SUMS".into(), checksums(inputs.packages).into_bytes()));
    files.push(("manifest.json".into(), manifest(inputs)?));
    let (channels, guide) = channel_files(inputs)?;
    files.push(("README.txt".into(), crlf(&(admin_readme(inputs) + &guide))));
    files.push((
        "sspr-policy-windows10-11.reg".into(),
        reg_file(inputs.settings),
    ));
    files.push(("sspr-policy-intune.csv".into(), crlf(&intune_csv())));
    files.extend(channels);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let zip = zip_files(&files, inputs.timestamp)
        .map_err(|e| Error::Internal(format!("writing the bundle: {e}")))?;
    let path = out_dir.join(format!("sspr-{}.zip", inputs.settings.product.version));
    crate::package::write_atomically(&path, &zip)?;
    Ok(path)
}

/// A file of the bundle: its path in the zip and its bytes.
type BundleFile = (String, Vec<u8>);

/// Each deployment channel's files, read from the packages' own bytes, and the README part
/// that says which serves which channel.
fn channel_files(inputs: &BundleInputs) -> Result<(Vec<BundleFile>, String)> {
    let keys = intune::KeySource::from_environment();
    let mut files = vec![(
        intune::SETTINGS_CATALOG_PATH.to_string(),
        pretty_json(&intune::settings_catalog_policy(
            &inputs.settings.product.name,
        ))?,
    )];
    let mut packages = Vec::with_capacity(inputs.packages.len());
    for built in inputs.packages {
        let mut package = facts::PackageFacts::read(built)?;
        files.extend(package_files(&package, built, inputs, keys)?);
        package.shed_content();
        packages.push(package);
    }
    files.push((
        configmgr::EXIT_CODES_PATH.into(),
        crlf(&configmgr::exit_codes_csv()),
    ));
    files.extend(gpo::files(&packages, inputs.timestamp));
    files.push((
        provenance::PATH.into(),
        pretty_json(&provenance::statement(inputs, &packages)?)?,
    ));
    Ok((files, guide::text(&packages, inputs.settings)))
}

/// One package's own files in every channel.
fn package_files(
    package: &facts::PackageFacts,
    built: &BuiltPackage,
    inputs: &BundleInputs,
    keys: intune::KeySource,
) -> Result<Vec<BundleFile>> {
    let mut files = vec![
        (
            sbom::path(package),
            pretty_json(&sbom::sbom(package, built, inputs.timestamp))?,
        ),
        (
            intune::intunewin_name(package),
            intune::intunewin(package, inputs.timestamp, keys)?,
        ),
        (
            configmgr::script_path(package),
            configmgr::application_script(package).into_bytes(),
        ),
    ];
    if let Some(app) = intune::win32_lob_app(package, inputs.settings) {
        files.push((intune::app_json_path(package), pretty_json(&app)?));
    }
    for (name, text) in winget::manifests(package, inputs.settings).unwrap_or_default() {
        files.push((name, text.into_bytes()));
    }
    Ok(files)
}

fn pretty_json(value: &serde_json::Value) -> Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(value).map_err(|e| Error::Internal(e.to_string()))?;
    text.push(b'\n');
    Ok(text)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `sha256sum -c` format: hash, two spaces, file name.
fn checksums(packages: &[BuiltPackage]) -> String {
    packages
        .iter()
        .map(|p| format!("{}  {}\n", p.sha256, file_name(&p.file)))
        .collect()
}

/// SHA-256 (hex) of the signed package at `path` as it was before it was signed.
fn unsigned_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::input(path, format!("cannot read: {e}")))?;
    let unsigned = msikit::sign::detached::without_signature(&bytes)
        .map_err(|message| Error::input(path, message))?;
    Ok(msikit::hex::sha256_hex(&unsigned))
}

fn manifest(inputs: &BundleInputs) -> Result<Vec<u8>> {
    let product = &inputs.settings.product;
    let packages = inputs
        .packages
        .iter()
        .map(|built| {
            let target = Target::from_name(&built.target)
                .ok_or_else(|| Error::Internal(format!("unknown target {}", built.target)))?;
            Ok(ManifestPackage {
                target: &built.target,
                os: target.family.label(),
                architecture: target.arch.key(),
                file: file_name(&built.file),
                size: built.size,
                sha256: &built.sha256,
                unsigned_sha256: match built.signed_by {
                    Some(_) => Some(unsigned_sha256(&built.file)?),
                    None => None,
                },
                version: &built.version,
                product_code: &built.product_code,
                upgrade_code: &built.upgrade_code,
                package_code: &built.package_code,
                signed_by: built.signed_by.as_deref(),
                payload: built.payload.as_ref().map(ManifestPayload::of),
                embedded: built
                    .embedded
                    .iter()
                    .map(|pe| ManifestEmbedded {
                        role: pe.role,
                        table: pe.table,
                        file: ManifestPayload::of(&pe.file),
                    })
                    .collect(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let manifest = Manifest {
        product: &product.name,
        manufacturer: &product.manufacturer,
        version: product.version.to_string(),
        built_with: format!("sspr-msi {}", env!("CARGO_PKG_VERSION")),
        source_date_epoch: inputs.timestamp,
        signing_certificate: inputs.signing.map(|c| trust::describe(c.leaf())),
        packages,
    };
    let mut text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| Error::Internal(e.to_string()))?;
    text.push(b'\n');
    Ok(text)
}

fn admin_readme(inputs: &BundleInputs) -> String {
    let product = &inputs.settings.product;
    let mut text = format!(
        "{} {} ({})\n\nEnables Microsoft Entra self-service password reset (SSPR) at the Windows sign-in screen.\n\
         Check the files first:  sha256sum -c SHA256SUMS   (PowerShell: Get-FileHash -Algorithm SHA256 FILE)\n\n\
         Install and remove silently, as an administrator (one package per machine: pick its Windows version and architecture):\n\n",
        product.name, product.version, product.manufacturer
    );
    for package in inputs.packages {
        let name = file_name(&package.file);
        let label = Target::from_name(&package.target)
            .map(|t| t.label())
            .unwrap_or_default();
        text.push_str(&format!(
            "{label}  ({})\n  install:   msiexec /i {name} /qn /l*v \"%TEMP%\\sspr-install.log\"\n",
            package.target
        ));
        if package.payload.is_some() {
            text.push_str(&format!(
                "  verbose logging on: msiexec /i {name} ENABLELOGGING=1 /qn\n"
            ));
        }
        text.push_str(&format!(
            "  uninstall: msiexec /x {name} /qn /l*v \"%TEMP%\\sspr-uninstall.log\"\n\n"
        ));
    }
    text.push_str(
        "Exit codes: 0 done; 3010 done, restart needed (Windows 7/8/8.1 packages ask for a restart and never restart by themselves);\n\
         1603 refused or failed (wrong Windows version, edition or architecture, a newer version installed, or TLS 1.2 missing:\n\
         the log names the reason); 1618 another installation is running; 1619 the package could not be opened;\n\
         1625 forbidden by policy; 1638 another version of this product is installed.\n\n\
         Windows 10/11 without installing anything: import sspr-policy-windows10-11.reg, or create an Intune custom profile\n\
         from sspr-policy-intune.csv (OMA-URI ",
    );
    text.push_str(INTUNE_OMA_URI);
    text.push_str(", Integer, 1).\n");
    text.push_str(&left_out_of_policy_files(&inputs.settings.proxy));
    text.push('\n');
    text.push_str(&network_section(inputs.settings));
    text
}

/// What the `.reg` and the Intune CSV do not carry of what the packages write.
fn left_out_of_policy_files(proxy: &ProxySettings) -> String {
    match (proxy.mode, &proxy.server) {
        (ProxyMode::None, _) => String::new(),
        (ProxyMode::Machine, Some(_)) => "The .reg also sets the machine proxy the packages write (ProxySettingsPerUser = 0, ProxyEnable, ProxyServer);\n\
             the Intune CSV does not (no policy CSP sets those values): deploy the package, or set the proxy another way.\n"
            .to_string(),
        _ => "Neither the .reg nor the Intune CSV sets the proxy the packages write (see Proxy below): deploy the package\n\
             for that, or set the proxy another way.\n"
            .to_string(),
    }
}

/// What the reset flow must reach, and how these packages set the proxy it uses.
pub fn network_section(settings: &crate::config::Settings) -> String {
    use crate::config::ProxyMode;
    let cloud = settings.cloud;
    let mut text = format!(
        "Network ({} cloud): during a reset, Windows creates a temporary local account that opens
  {}
         Allow these hosts through proxies, firewalls and antivirus URL filtering (\"Something went wrong\" otherwise):
",
        cloud.name(),
        cloud.reset_url()
    );
    for host in cloud.endpoints() {
        text.push_str(&format!("  {host}\n"));
    }
    let proxy = &settings.proxy;
    let server = proxy.server.as_deref().unwrap_or("(none: set PROXYSERVER)");
    text.push_str(&match proxy.mode {
        ProxyMode::None => "Proxy: the packages leave proxy settings alone. The temporary account cannot use a proxy that
             needs user authentication: make the proxy machine-wide (proxy.mode = \"machine\") or set it in the
             Default profile (proxy.mode = \"default-profile\").\n".to_string(),
        ProxyMode::Machine => format!(
            "Proxy (machine-wide): the packages set ProxySettingsPerUser = 0 (policy) and the machine proxy {server};
             change it at install time with PROXYSERVER=host:port (and PROXYBYPASS=list). Uninstall puts back the earlier values.\n"
        ),
        ProxyMode::DefaultProfile => format!(
            "Proxy (Default profile): the packages set ProxyEnable = 1 and ProxyServer = {server} in the Default user
             profile (found through ProfileList), which the temporary account is created from; change it at install
             time with PROXYSERVER=host:port. Uninstall puts back the earlier values.\n"
        ),
    });
    text
}

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

/// The policy as `reg import` reads it: UTF-16LE with a byte-order mark, CRLF line ends. With
/// a machine proxy it also holds the proxy values the packages write; what a `.reg` cannot
/// hold is said in a comment, never dropped silently.
fn reg_file(settings: &Settings) -> Vec<u8> {
    let mut text = format!("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\{POLICY_KEY}]\r\n\"{POLICY_VALUE}\"=dword:00000001\r\n");
    text.push_str(&proxy_reg_text(&settings.proxy));
    crate::textfile::encode_utf16le_with_bom(&text)
}

fn proxy_reg_text(proxy: &ProxySettings) -> String {
    match (proxy.mode, &proxy.server) {
        (ProxyMode::None, _) => String::new(),
        (ProxyMode::Machine, Some(server)) => {
            // The records the proxy DLL applies, so the file sets exactly what it does.
            let records =
                custom_action_data(ProxyMode::Machine, true, "", server, proxy.bypass.clone());
            records_as_reg(&records)
        }
        (ProxyMode::Machine, None) => format!("\r\n{}\r\n", PROXY_WITHOUT_SERVER),
        (ProxyMode::DefaultProfile, _) => format!("\r\n{}\r\n", PROXY_IN_DEFAULT_PROFILE),
    }
}

const PROXY_WITHOUT_SERVER: &str =
    "; Not included: the machine proxy (proxy.mode = \"machine\"). The \
    configuration names no server; the packages take it at install time (PROXYSERVER=host:port).";
const PROXY_IN_DEFAULT_PROFILE: &str = "; Not included: the Default-profile proxy (proxy.mode = \
    \"default-profile\"). It lives in C:\\Users\\Default\\NTUSER.DAT, which reg import cannot reach: \
    install the package to set it.";

/// `key=`, `dword:` and `sz:` records (payload/README.md) as `.reg` lines under HKLM.
fn records_as_reg(records: &str) -> String {
    let quoted = |text: &str| text.replace('\\', "\\\\").replace('"', "\\\"");
    let mut text = String::new();
    for record in records.lines() {
        if let Some(key) = record.strip_prefix("key=") {
            text.push_str(&format!("\r\n[HKEY_LOCAL_MACHINE\\{key}]\r\n"));
        } else if let Some((name, value)) = record
            .strip_prefix("dword:")
            .and_then(|r| r.split_once('='))
        {
            let value: u32 = value.parse().unwrap_or_default();
            text.push_str(&format!("\"{}\"=dword:{value:08x}\r\n", quoted(name)));
        } else if let Some((name, value)) =
            record.strip_prefix("sz:").and_then(|r| r.split_once('='))
        {
            text.push_str(&format!("\"{}\"=\"{}\"\r\n", quoted(name), quoted(value)));
        }
    }
    text
}

fn intune_csv() -> String {
    format!(
        "Name,Description,OMA-URI,Data type,Value\n\
         Allow password reset at sign-in,Enables Microsoft Entra SSPR at the Windows 10/11 sign-in screen,{INTUNE_OMA_URI},Integer,1\n"
    )
}

fn zip_files(files: &[(String, Vec<u8>)], timestamp: u64) -> zip::result::ZipResult<Vec<u8>> {
    zip_entries(files, timestamp, zip::CompressionMethod::Deflated)
}

/// A zip whose bytes depend only on `files` and `timestamp`: fixed order, times and modes.
fn zip_entries(
    files: &[(String, Vec<u8>)],
    timestamp: u64,
    method: zip::CompressionMethod,
) -> zip::result::ZipResult<Vec<u8>> {
    let time = zip_datetime(timestamp);
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        writer.start_file(name.as_str(), options)?;
        writer.write_all(data)?;
    }
    Ok(writer.finish()?.into_inner())
}

fn zip_datetime(timestamp: u64) -> zip::DateTime {
    let utc = msikit::cab::dos_datetime(timestamp);
    zip::DateTime::from_date_and_time(
        utc.year() as u16,
        utc.month() as u8,
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second(),
    )
    .expect("dos_datetime stays within the zip range")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxy(mode: ProxyMode, server: Option<&str>, bypass: Option<&str>) -> ProxySettings {
        ProxySettings {
            mode,
            server: server.map(String::from),
            bypass: bypass.map(String::from),
            ..ProxySettings::default()
        }
    }

    #[test]
    fn the_reg_file_carries_the_machine_proxy_or_says_what_it_leaves_out() {
        let machine = proxy_reg_text(&proxy(
            ProxyMode::Machine,
            Some("proxy:8080"),
            Some("<local>;*.contoso.com"),
        ));
        assert!(
            machine.contains("\"ProxySettingsPerUser\"=dword:00000000"),
            "{machine}"
        );
        assert!(
            machine.contains("\"ProxyEnable\"=dword:00000001"),
            "{machine}"
        );
        assert!(
            machine.contains("\"ProxyServer\"=\"proxy:8080\""),
            "{machine}"
        );
        assert!(
            machine.contains("\"ProxyOverride\"=\"<local>;*.contoso.com\""),
            "{machine}"
        );
        for unsaid in [
            proxy(ProxyMode::Machine, None, None),
            proxy(ProxyMode::DefaultProfile, Some("proxy:8080"), None),
        ] {
            let text = proxy_reg_text(&unsaid);
            assert!(text.starts_with("\r\n; Not included:"), "{text}");
            assert!(!text.contains("[HKEY"), "{text}");
        }
        assert_eq!(proxy_reg_text(&proxy(ProxyMode::None, None, None)), "");
    }
}
