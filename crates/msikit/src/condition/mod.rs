//! Parser and evaluator for the Windows Installer condition language.
//!
//! Conditions guard launch checks (`LaunchCondition.Condition`), sequence-table
//! actions and components (`Component.Condition`). [`parse`] turns one into an [`Expr`]
//! for static analysis (lint rules walk [`Expr::comparisons`]); [`evaluate`]
//! answers it against an [`Environment`] the way msi.dll would, for
//! verification and install simulation.
//!
//! Semantics follow Microsoft's "Conditional Statement Syntax" page and Wine's
//! `dlls/msi/cond.y` (whose test suite is checked against Windows), with these
//! deliberate differences from Wine:
//! - Logical operators bind as Microsoft documents, tightest first: NOT, AND,
//!   OR, XOR, EQV, IMP. Wine gives OR, XOR, EQV and IMP one shared level.
//! - Tabs and line breaks are whitespace; Wine accepts only spaces.
//! - `~` has no effect on integer comparisons; Wine makes `~<<` and `~>>`
//!   between integers always false.
//! - A property value counts as an integer only if it fits in 32 bits; Wine
//!   wraps larger values around.

use std::collections::BTreeMap;
use std::fmt;

/// What a condition can read: properties, environment variables, component and feature states.
pub trait Environment {
    /// A property value; `None` and `Some("")` both mean "not set".
    fn property(&self, name: &str) -> Option<String>;
    /// An environment variable (`%NAME`); `None` and `Some("")` both mean "not set".
    fn env_var(&self, name: &str) -> Option<String>;
    /// `(installed, action)` of a component (`?Name`, `$Name`); `None` if there is no such component.
    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)>;
    /// `(installed, action)` of a feature (`!Name`, `&Name`); `None` if there is no such feature.
    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)>;
}

/// An installed or requested state of a component or feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallState {
    /// `INSTALLSTATE_UNKNOWN` (-1): no action, or not known.
    Unknown,
    /// `INSTALLSTATE_ADVERTISED` (1): advertised (features only).
    Advertised,
    /// `INSTALLSTATE_ABSENT` (2): not present.
    Absent,
    /// `INSTALLSTATE_LOCAL` (3): on the local computer.
    Local,
    /// `INSTALLSTATE_SOURCE` (4): run from the source.
    Source,
}

impl InstallState {
    /// The `INSTALLSTATE_*` number that a condition compares against.
    #[must_use]
    pub fn value(self) -> i32 {
        match self {
            InstallState::Unknown => -1,
            InstallState::Advertised => 1,
            InstallState::Absent => 2,
            InstallState::Local => 3,
            InstallState::Source => 4,
        }
    }
}

/// Why a condition could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    /// What is wrong, e.g. `expected ')' to close the '(' at byte 0, found end of condition`.
    pub message: String,
    /// Byte offset into the condition where the problem was found.
    pub offset: usize,
}

impl ConditionError {
    fn new(offset: usize, message: impl Into<String>) -> Self {
        ConditionError {
            message: message.into(),
            offset,
        }
    }
}

impl fmt::Display for ConditionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid condition at byte {}: {}",
            self.offset, self.message
        )
    }
}

impl std::error::Error for ConditionError {}

/// An [`Environment`] backed by plain maps, for tests and the install simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapEnvironment {
    /// Property values by case-sensitive name.
    pub properties: BTreeMap<String, String>,
    /// Environment variables; looked up ignoring ASCII case, as on Windows.
    pub env: BTreeMap<String, String>,
    /// `(installed, action)` states by component name.
    pub components: BTreeMap<String, (InstallState, InstallState)>,
    /// `(installed, action)` states by feature name.
    pub features: BTreeMap<String, (InstallState, InstallState)>,
}

impl Environment for MapEnvironment {
    fn property(&self, name: &str) -> Option<String> {
        self.properties.get(name).cloned()
    }

    /// Windows environment variable names ignore case; an exact match wins.
    fn env_var(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .or_else(|| {
                self.env
                    .iter()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| value)
            })
            .cloned()
    }

    fn component_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.components.get(name).copied()
    }

    fn feature_state(&self, name: &str) -> Option<(InstallState, InstallState)> {
        self.features.get(name).copied()
    }
}

mod eval;
mod lex;
mod parse;
mod syntax;
#[cfg(test)]
mod tests;

pub use eval::evaluate;
pub use parse::parse;
pub use syntax::{CompareOp, Expr, LogicalOp, Operand, Relation};
