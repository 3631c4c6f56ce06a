//! The compiler's front door: settings + target + the checked files it may embed → the package
//! model and its database. `build`, `doctor` and the tests all come through here, and what a
//! target embeds is decided once, by `model::sspr`.

use crate::bind::{self, BindOptions};
use crate::config::Settings;
use crate::error::Result;
use crate::model::{sspr, Package};
use crate::target::Target;
use msikit::cab;
use msikit::database::Database;

pub use crate::model::sspr::Inputs;

/// One target's package: the model (what it is for) and the database (what it holds).
#[derive(Debug)]
pub struct Compiled {
    pub package: Package,
    pub database: Database,
}

/// Compiles `target`'s package; its cabinet comes from `cabinets` when an earlier package of
/// the same build embedded the same files.
///
/// # Errors
/// A file to embed that cannot be read again as it was checked, or a bug (internal).
pub fn compile(
    settings: &Settings,
    target: Target,
    inputs: Inputs<'_>,
    options: &BindOptions,
    cabinets: &mut cab::Cache,
) -> Result<Compiled> {
    let package = sspr::package(settings, target, inputs);
    let database = bind::bind(&package, options, cabinets)?;
    Ok(Compiled { package, database })
}

/// `target`'s package as MSI bytes, for those that read it back as any package is read.
///
/// # Errors
/// As [`compile`].
pub fn compile_to_bytes(
    settings: &Settings,
    target: Target,
    inputs: Inputs<'_>,
    options: &BindOptions,
) -> Result<Vec<u8>> {
    let compiled = compile(
        settings,
        target,
        inputs,
        options,
        &mut cab::Cache::default(),
    )?;
    crate::package::to_bytes(&compiled.database)
}
