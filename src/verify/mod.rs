//! The `verify` command over the toolkit's reader, rules and simulator: the proxy DLL's
//! semantics for the simulator (`custom`), TOML profile files, the judgement of a package
//! against the target it names (`report`), and that one report rendered as text, JSON,
//! SARIF, JUnit or HTML (`format`).

pub mod custom;
pub mod format;
pub mod html;
pub mod junit;
pub mod markup;
pub mod profile_file;
pub mod report;
pub mod sarif;
pub mod text;

#[cfg(test)]
pub(crate) mod tests;
