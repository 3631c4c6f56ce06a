//! What a built package says about itself, read back from its bytes: every deployment
//! channel's file (Intune, winget, ConfigMgr, SBOM) describes the MSI as Windows Installer
//! will see it, never as the builder meant it, so the two cannot disagree.

use crate::build::BuiltPackage;
use crate::error::{Error, Result};
use crate::target::Target;
use msikit::format::schema;
use msikit::package::{self as read, PackageView};
use std::collections::BTreeMap;

/// Standard folders whose contents belong to the machine, not to a user.
const MACHINE_FOLDERS: &[&str] = &[
    "ProgramFilesFolder",
    "ProgramFiles64Folder",
    "CommonFilesFolder",
    "CommonFiles64Folder",
    "CommonAppDataFolder",
    "SystemFolder",
    "System64Folder",
    "WindowsFolder",
];

/// Registry roots of the Registry table that are the machine's: HKCR, HKLM, HKU.
const MACHINE_ROOTS: &[i32] = &[0, 2, 3];

/// One package of the bundle, with what its tables and summary say.
#[derive(Debug, Clone)]
pub struct PackageFacts {
    pub target: Target,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub sha256: String,
    pub product_name: String,
    pub manufacturer: String,
    pub product_code: String,
    pub product_version: String,
    pub upgrade_code: String,
    pub package_code: String,
    /// ScheduleReboot or ForceReboot in InstallExecuteSequence: the install exits 3010.
    pub requests_reboot: bool,
    /// `ALLUSERS = 1` and no per-user choice.
    pub per_machine: bool,
    pub includes_services: bool,
    pub includes_odbc: bool,
    pub writes_machine_registry: bool,
    pub installs_to_machine_folders: bool,
    /// SHA-256 of each Binary row's data, by row name.
    pub binary_digests: BTreeMap<String, String>,
    /// For a signed package, its digest without the signature: the same streams written
    /// again, as the build wrote them before it signed.
    pub unsigned_sha256: Option<String>,
    /// Tables, summary and (until [`PackageFacts::shed_content`]) streams.
    pub view: PackageView,
}

impl PackageFacts {
    /// Reads the package the build report names.
    pub fn read(built: &BuiltPackage) -> Result<PackageFacts> {
        let bytes = std::fs::read(&built.file)
            .map_err(|e| Error::input(&built.file, format!("cannot read: {e}")))?;
        let target = Target::from_name(&built.target)
            .ok_or_else(|| Error::Internal(format!("unknown target {}", built.target)))?;
        let view = read::read(&bytes).map_err(|e| Error::input(&built.file, e.to_string()))?;
        let property = |name: &str| {
            view.property(name)
                .ok_or_else(|| Error::input(&built.file, format!("no {name} property")))
        };
        let file_name = built
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let requests_reboot = view
            .rows(&schema::INSTALL_EXECUTE_SEQUENCE)
            .any(|row| matches!(row.action.as_str(), "ScheduleReboot" | "ForceReboot"));
        let writes_machine_registry = view
            .rows(&schema::REGISTRY)
            .any(|row| MACHINE_ROOTS.contains(&row.root));
        let includes_services = has_rows(&view, "ServiceInstall");
        let includes_odbc = has_rows(&view, "ODBCDataSource");
        let installs_to_machine_folders = installs_to_machine_folders(&view);
        let binary_digests = view
            .streams
            .iter()
            .filter_map(|(stream, data)| {
                let name = stream.strip_prefix("Binary.")?;
                let digest = msikit::hex::stream_sha256_hex(data)
                    .map_err(|e| Error::input(&built.file, format!("stream {stream}: {e}")));
                Some(digest.map(|digest| (name.to_string(), digest)))
            })
            .collect::<Result<_>>()?;
        let unsigned_sha256 = if view.has_signature {
            Some(unsigned_sha256(&bytes).map_err(|e| Error::input(&built.file, e.to_string()))?)
        } else {
            None
        };
        Ok(PackageFacts {
            target,
            file_name,
            sha256: msikit::hex::sha256_hex(&bytes),
            product_name: property("ProductName")?,
            manufacturer: property("Manufacturer")?,
            product_code: property("ProductCode")?,
            product_version: property("ProductVersion")?,
            upgrade_code: property("UpgradeCode")?,
            package_code: view
                .summary
                .package_code()
                .ok_or_else(|| Error::input(&built.file, "no package code"))?,
            requests_reboot,
            per_machine: view.property("ALLUSERS").as_deref() == Some("1")
                && view.property("MSIINSTALLPERUSER").is_none(),
            includes_services,
            includes_odbc,
            writes_machine_registry,
            installs_to_machine_folders,
            binary_digests,
            unsigned_sha256,
            bytes,
            view,
        })
    }

    /// Drops the package's bytes and streams once its own files are written: the release
    /// goes on with what every package says, not with every package in memory.
    pub fn shed_content(&mut self) {
        self.bytes = Vec::new();
        self.view.streams.clear();
    }

    /// The architecture as Intune, winget and ConfigMgr name it.
    pub fn architecture(&self) -> &'static str {
        self.target.arch.key()
    }

    /// The first Windows build the package installs on (its launch conditions' floor;
    /// Windows 10's is configurable, `policy.detection.min_windows10_build`).
    pub fn minimum_build(&self, settings: &crate::config::Settings) -> u32 {
        use crate::target::OsFamily;
        match self.target.family {
            OsFamily::Win7 => 7600,
            OsFamily::Win8 => 9200,
            OsFamily::Win81 => 9600,
            OsFamily::Win10 => settings.policy.detection.min_windows10_build,
            OsFamily::Win11 => crate::target::WINDOWS11_FIRST_BUILD,
        }
    }
}

fn unsigned_sha256(bytes: &[u8]) -> std::io::Result<String> {
    let mut streams = msikit::compound::Streams::read(bytes)?;
    streams.remove(msikit::sign::msi::SIGNATURE_STREAM);
    Ok(msikit::hex::sha256_hex(&streams.write_v3()?))
}

fn has_rows(view: &PackageView, table: &str) -> bool {
    view.tables
        .get(table)
        .is_some_and(|table| !table.rows.is_empty())
}

/// Whether any component's folder lies under one of [`MACHINE_FOLDERS`].
fn installs_to_machine_folders(view: &PackageView) -> bool {
    !msikit::rules::gpo::components_under(view, MACHINE_FOLDERS).is_empty()
}
