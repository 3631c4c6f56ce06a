//! The package a log belongs to, for what the log leaves out: Wine's msiexec (and Windows
//! under some UI levels) does not log a refusing launch condition's message, but the package's
//! LaunchCondition table and the properties the log lists give it back.

use msikit::condition::{self, MapEnvironment};
use msikit::format::schema;
use msikit::formatted::deformat::{deformat, PropertiesOnly};
use std::collections::BTreeMap;
use std::path::Path;

/// Why the package named with `--msi` cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("cannot open the package: {0}")]
    Unreadable(#[from] std::io::Error),
    #[error("cannot open the package: {0}")]
    NotAPackage(#[from] msikit::package::ReadError),
}

/// The launch conditions of `msi` that are false with `properties` (the log's final values),
/// as the messages Windows Installer shows for them; a condition this tool cannot evaluate is
/// reported as such rather than failing the whole explanation.
pub fn refusing_launch_conditions(
    msi: &Path,
    properties: &BTreeMap<String, String>,
) -> Result<Vec<String>, PackageError> {
    let bytes = std::fs::read(msi)?;
    let package = msikit::package::read(&bytes)?;
    let environment = MapEnvironment {
        properties: properties.clone(),
        ..Default::default()
    };
    let mut messages = Vec::new();
    for row in package.rows(&schema::LAUNCH_CONDITION) {
        match condition::evaluate(&row.condition, &environment) {
            Ok(true) => {}
            Ok(false) => messages.push(deformat(&row.description, &PropertiesOnly(properties))),
            Err(error) => messages.push(format!(
                "launch condition `{}` could not be evaluated ({error:?}); its message: {}",
                row.condition, row.description
            )),
        }
    }
    Ok(messages)
}
