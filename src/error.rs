//! The library's error type. The CLI wraps it with `anyhow` context; the library never prints.

use std::path::PathBuf;

/// Everything that can go wrong in the library, as a value the caller can match on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    // The reason is in the message and not a `source`: the CLI prints the whole chain, which
    // would say "No such file or directory" twice.
    #[error("{path}: {reason}")]
    Io { path: PathBuf, reason: std::io::Error },
    /// A data directory failed validation; the problems say where and why.
    #[error("{errors} problem(s) in the data (first: {first})")]
    InvalidData { errors: usize, first: String },
    /// A mapping or configuration file is malformed.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// An argument is outside what the operation accepts.
    #[error("{0}")]
    InvalidArgument(String),
}

/// The library's `Result` alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), reason: source }
    }
}
