//! Operations: one function per use case, the layer every front end calls.
//!
//! Each operation takes the site directory and a validated request (model
//! types only, never the argument parser's), takes the site's lock, does all
//! its checks before its first write, and returns what it did for the caller
//! to print: the binary's command line is one caller, a provisioning tool or
//! a test driving the library is another. Operations print nothing; what a
//! person should know comes back as [`Notices`].

pub mod adopt;
pub mod apply;
pub mod audit;
pub mod camera;
pub mod export;
pub mod import;
pub mod peer;
#[cfg(feature = "laptop")]
pub mod probe;
pub mod render;
pub mod site;
pub mod status;
pub mod sync;

use crate::error::{Error, Result};
use crate::model::site::Site;
use crate::store::{Secrets, SiteDir};

/// What an operation tells the person who ran it, in the order it happened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Notices(pub Vec<Notice>);

/// One thing an operation tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A line for people (hidden with `--quiet`).
    Note(String),
    /// A warning, always shown.
    Warning(String),
}

impl Notices {
    /// Adds a note.
    pub fn note(&mut self, msg: impl Into<String>) {
        self.0.push(Notice::Note(msg.into()));
    }

    /// Adds a warning.
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.0.push(Notice::Warning(msg.into()));
    }

    /// Adds the notices of `other` after these.
    pub fn extend(&mut self, other: Notices) {
        self.0.extend(other.0);
    }
}

/// A change to one optional setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Set it.
    Set(T),
    /// Unset it (back to the default: the site's, the vendor's).
    Reset,
}

impl<T> Change<T> {
    /// From a flag that sets the value and one that resets it.
    pub fn from_flags(value: Option<T>, reset: bool) -> Self {
        match (value, reset) {
            (Some(v), _) => Change::Set(v),
            (None, true) => Change::Reset,
            (None, false) => Change::Keep,
        }
    }

    /// Applies the change to `setting`.
    pub fn apply(self, setting: &mut Option<T>) {
        match self {
            Change::Keep => {}
            Change::Set(v) => *setting = Some(v),
            Change::Reset => *setting = None,
        }
    }
}

/// Told how much work an operation has and how far it got (a progress bar).
pub trait Progress: Send + Sync {
    /// Work of `total` items starts.
    fn start(&self, total: u64);
    /// One more item is done.
    fn inc(&self);
}

/// Changes the site under its lock: `change` edits it in memory, then it is
/// validated and saved. Nothing is written when either fails.
fn modify<T>(dir: &SiteDir, change: impl FnOnce(&mut Site) -> Result<T>) -> Result<(Site, T)> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    let value = change(&mut site)?;
    site.validate().map_err(Error::from)?;
    dir.save(&site)?;
    Ok((site, value))
}

/// The text of `path`, or of standard input for `-`.
fn read_text(path: &std::path::Path) -> Result<String> {
    let read = if path == std::path::Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
    } else {
        std::fs::read_to_string(path)
    };
    read.map_err(|source| Error::Read {
        path: input_name(path),
        source,
    })
}

/// How errors name an input read by [`read_text`]: `-` is standard input.
fn input_name(path: &std::path::Path) -> std::path::PathBuf {
    if path == std::path::Path::new("-") {
        "standard input".into()
    } else {
        path.to_path_buf()
    }
}

/// Loads the secrets of `site`, moving the warnings about their files (modes
/// too open) into `notices`.
fn load_secrets(dir: &SiteDir, site: &Site, notices: &mut Notices) -> Result<Secrets> {
    let mut secrets = dir.load_secrets(site)?;
    for w in std::mem::take(&mut secrets.warnings) {
        notices.warn(w);
    }
    Ok(secrets)
}
