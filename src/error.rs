//! Errors of the camvpn library.
//!
//! Every error carries what a user needs to fix the problem: the value, the file,
//! the line. [`Error::is_input`] tells the command line which exit code to use:
//! input errors exit 2, and camvpn checks all input before it writes anything, so
//! an input error always means that no file was changed.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result with the library error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A value that failed validation. The message names the kind of value, what
/// is wrong with it and how to write it instead; the caller adds where it came
/// from (a flag, a line of `site.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue(pub String);

impl InvalidValue {
    /// A new validation error with the given message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for InvalidValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidValue {}

/// Everything that can go wrong in the library.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value that failed validation.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),

    /// `site.toml` (or another input file) could not be parsed or is inconsistent.
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column where known.
        message: String,
    },

    /// A key file or key value is not a WireGuard key.
    #[error("invalid key in {origin}: {reason}")]
    Key {
        /// Where the key came from: a file path or a flag.
        origin: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A file or directory that camvpn needs to read could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },

    /// A file could not be written. Not an input error: the disk, not the user.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },

    /// A named thing (peer, camera, vendor, template) does not exist.
    #[error("{kind} '{name}' is not in {place} (known: {known})")]
    NotFound {
        /// What was looked for: "peer", "camera", "vendor".
        kind: &'static str,
        /// The name given.
        name: String,
        /// Where it was looked for.
        place: &'static str,
        /// The names that do exist, comma separated, or "none".
        known: String,
    },

    /// The request conflicts with the site: a duplicate name, an existing site,
    /// an overlapping subnet, an exhausted address pool.
    #[error("{0}")]
    Conflict(String),

    /// The site is past a hard limit of a format: a QR code's bytes, a
    /// router's nvram, a subnet's addresses.
    #[error("{0}")]
    Limit(String),

    /// A template failed to render.
    #[error("template {name}: {message}")]
    Template {
        /// The template name (or file).
        name: String,
        /// The error, with the line.
        message: String,
    },

    /// Something on the host failed: a command that `apply` runs, say.
    #[error("{0}")]
    Failed(String),
}

impl Error {
    /// Whether the error is the user's input (exit 2, nothing written) rather
    /// than a failure of the host (exit 3).
    pub fn is_input(&self) -> bool {
        !matches!(self, Error::Write { .. } | Error::Failed(_))
    }

    /// A `NotFound` error listing the known names.
    pub fn not_found<I, S>(kind: &'static str, name: &str, place: &'static str, known: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: fmt::Display,
    {
        let known: Vec<String> = known.into_iter().map(|k| k.to_string()).collect();
        Error::NotFound {
            kind,
            name: name.to_owned(),
            place,
            known: if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            },
        }
    }
}
