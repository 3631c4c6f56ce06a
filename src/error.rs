//! Typed errors, and the exit code each kind maps to (documented in README.md).

mod config_problem;

pub use config_problem::ConfigProblem;
use std::fmt;
use std::path::PathBuf;

/// The documented exit codes of the `sspr-msi` command.
pub mod exit_code {
    pub const SUCCESS: i32 = 0;
    /// `verify` found problems (error findings, installs outside the target, residue, a
    /// signature that does not verify).
    pub const PROBLEMS: i32 = 1;
    /// Command-line usage error (clap's own code).
    pub const USAGE: i32 = 2;
    /// The configuration is invalid.
    pub const CONFIG: i32 = 3;
    /// An input file (payload, certificate, MSI to read) is missing or unacceptable.
    pub const INPUT: i32 = 4;
    /// An output could not be written.
    pub const OUTPUT: i32 = 5;
    /// A bug in sspr-msi.
    pub const INTERNAL: i32 = 70;
    /// Ended by SIGHUP, SIGINT (Ctrl-C) or SIGTERM (128 + the signal, as shells report it),
    /// after removing what was staged.
    pub const HANGUP: i32 = 129;
    pub const INTERRUPTED: i32 = 130;
    pub const TERMINATED: i32 = 143;

    /// Every code with its short meaning, for `--help` (README's table says more).
    pub const ALL: [(i32, &str); 10] = [
        (SUCCESS, "ok"),
        (PROBLEMS, "problems found (verify, doctor, explain)"),
        (USAGE, "usage"),
        (CONFIG, "configuration"),
        (INPUT, "input"),
        (OUTPUT, "output"),
        (INTERNAL, "internal error"),
        (HANGUP, "hangup"),
        (INTERRUPTED, "interrupted"),
        (TERMINATED, "terminated"),
    ];
}

/// A configuration problem, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file name, or `<embedded default>`.
    pub file: String,
    /// 1-based line and column, when the problem has a place.
    pub line: Option<(usize, usize)>,
    /// The dotted key the problem is about, when known.
    pub key: Option<String>,
    /// Its kind, whose stable id precedes the message.
    pub problem: ConfigProblem,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, column)) = self.line {
            write!(f, ":{line}:{column}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}: {}", self.problem.id(), self.message)
    }
}

/// Every problem found in one configuration, in file order; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(Vec<ConfigError>);

impl ConfigErrors {
    /// The errors sorted by their place (those without a line last), or `None` for none.
    pub fn in_file_order(mut errors: Vec<ConfigError>) -> Option<ConfigErrors> {
        errors.sort_by_key(|error| error.line.unwrap_or((usize::MAX, usize::MAX)));
        (!errors.is_empty()).then_some(ConfigErrors(errors))
    }

    /// The first problem in the file.
    pub fn first(&self) -> &ConfigError {
        &self.0[0]
    }

    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }
}

impl From<ConfigError> for ConfigErrors {
    fn from(error: ConfigError) -> Self {
        ConfigErrors(vec![error])
    }
}

/// One line per problem, each with the `config error:` prefix.
impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "config error: {error}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Config(ConfigErrors),
    #[error("input error: {path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("internal error: {0}")]
    Internal(String),
    /// Options that do not fit together, found after clap parsed them (`--cert` without
    /// `--key`).
    #[error("usage error: {0}")]
    Usage(String),
    #[error("verification found {0} problem(s)")]
    Problems(usize),
    /// `doctor` found a blocker, or `explain` a failed installation.
    #[error("{path}: {message}")]
    CheckFailed { path: PathBuf, message: String },
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => exit_code::CONFIG,
            Error::Input { .. } => exit_code::INPUT,
            Error::Output { .. } => exit_code::OUTPUT,
            Error::Internal(_) => exit_code::INTERNAL,
            Error::Usage(_) => exit_code::USAGE,
            Error::Problems(_) | Error::CheckFailed { .. } => exit_code::PROBLEMS,
        }
    }

    pub fn input(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            message: message.into(),
        }
    }

    pub fn output(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Output {
            path: path.into(),
            source,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Error::Config(error.into())
    }
}

impl From<ConfigErrors> for Error {
    fn from(errors: ConfigErrors) -> Self {
        Error::Config(errors)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

impl From<msikit::database::EncodeError> for Error {
    fn from(error: msikit::database::EncodeError) -> Self {
        Error::Internal(format!("writing MSI tables: {error}"))
    }
}

impl From<msikit::source::Error> for Error {
    fn from(error: msikit::source::Error) -> Self {
        match error {
            msikit::source::Error::Input { path, message } => Error::Input { path, message },
            msikit::source::Error::Internal(message) => Error::Internal(message),
        }
    }
}
