//! The `verify` command over the toolkit's reader, rules and simulator: the proxy DLL's
//! semantics for the simulator (`custom`), TOML profile files, and the judgement of a
//! package against the target it names (`report`).

pub mod custom;
pub mod profile_file;
pub mod report;

#[cfg(test)]
pub(crate) mod tests;
