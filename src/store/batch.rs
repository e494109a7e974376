//! Atomic writes: every file is first written to a temp file in its own
//! directory, then the file system is synced once, then the temp files are
//! renamed over their targets in the order they were added, so no reader
//! ever sees a truncated file, and a crash leaves either the old or the new
//! version of each file. Syncing once per batch rather than once per file is
//! what keeps adding a thousand peers fast.

use std::collections::BTreeSet;
use std::fs::{self, DirBuilder, File, Permissions};
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::SECRET_DIR;
use crate::error::{Error, Result};

/// How camvpn's temp files start.
const TEMP_PREFIX: &str = ".camvpn-";

/// A file written to a temp file next to its target, not yet renamed.
/// Dropped without [`Batch::commit`], the temp file is removed.
pub struct Staged {
    tmp: tempfile::TempPath,
    target: PathBuf,
}

/// Writes `bytes` to a temp file next to `path`, created with `mode` (a
/// secret is never readable by others, not even for a moment). The file is
/// closed at once, so thousands can be staged without running out of file
/// descriptors.
pub fn stage(path: &Path, bytes: &[u8], mode: u32) -> Result<Staged> {
    let werr = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(parent(path))
        .map_err(werr)?;
    // The umask may have taken bits away: then set exactly the mode asked
    // for. Knowing the umask saves a stat per file on bulk writes.
    let stripped = match umask() {
        Some(umask) => umask & mode != 0,
        None => tmp.as_file().metadata().map_err(werr)?.permissions().mode() & 0o777 != mode,
    };
    if stripped {
        tmp.as_file()
            .set_permissions(Permissions::from_mode(mode))
            .map_err(werr)?;
    }
    tmp.write_all(bytes).map_err(werr)?;
    Ok(Staged {
        tmp: tmp.into_temp_path(),
        target: path.to_path_buf(),
    })
}

/// The umask of this process, read once (from `/proc`, Linux 4.7 and
/// later: reading it with umask(2) would change it for other threads).
fn umask() -> Option<u32> {
    static UMASK: OnceLock<Option<u32>> = OnceLock::new();
    *UMASK.get_or_init(|| {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let value = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(value.trim(), 8).ok()
    })
}

/// A set of file writes and removals applied together.
#[derive(Default)]
pub struct Batch {
    staged: Vec<Staged>,
    removes: Vec<PathBuf>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates `dir` (and parents) with `mode` now, for the files to come.
    pub fn dir(&mut self, dir: impl AsRef<Path>, mode: u32) -> Result<&mut Self> {
        make_dir(dir.as_ref(), mode)?;
        Ok(self)
    }

    /// Stages `bytes` for `path` with `mode`.
    pub fn write(
        &mut self,
        path: impl AsRef<Path>,
        bytes: impl AsRef<[u8]>,
        mode: u32,
    ) -> Result<&mut Self> {
        self.staged
            .push(stage(path.as_ref(), bytes.as_ref(), mode)?);
        Ok(self)
    }

    /// Adds files staged elsewhere (by other threads).
    pub fn extend(&mut self, staged: impl IntoIterator<Item = Staged>) -> &mut Self {
        self.staged.extend(staged);
        self
    }

    /// Removes `path` (if it exists) after all writes.
    pub fn remove(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.removes.push(path.into());
        self
    }

    /// The paths written, in order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.staged.iter().map(|s| s.target.as_path())
    }

    /// Syncs each file system once, then renames every staged file over its
    /// target in order, then removes what is to be removed.
    pub fn commit(self) -> Result<()> {
        let dirs: BTreeSet<PathBuf> = self
            .staged
            .iter()
            .map(|s| parent(&s.target).to_path_buf())
            .collect();
        for d in &dirs {
            sweep_stale(d);
        }
        let mut synced = BTreeSet::new();
        for d in &dirs {
            let f = File::open(d).map_err(|source| Error::Write {
                path: d.clone(),
                source,
            })?;
            let dev = f
                .metadata()
                .map_or(0, |m| std::os::unix::fs::MetadataExt::dev(&m));
            if synced.insert(dev) {
                rustix::fs::syncfs(&f).map_err(|e| Error::Write {
                    path: d.clone(),
                    source: e.into(),
                })?;
            }
        }
        let mut touched = dirs;
        for s in self.staged {
            s.tmp.persist(&s.target).map_err(|e| Error::Write {
                path: s.target.clone(),
                source: e.error,
            })?;
        }
        for path in &self.removes {
            match fs::remove_file(path) {
                Ok(()) => {
                    touched.insert(parent(path).to_path_buf());
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(Error::Write {
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        // Make the renames themselves durable.
        for dir in touched {
            if let Ok(d) = File::open(&dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// How old a temp file of camvpn's must be to be another camvpn's that was
/// killed before it could remove it: no write takes that long.
const STALE: std::time::Duration = std::time::Duration::from_secs(300);

/// Removes camvpn's temp files in `dir` that a killed run left behind (they
/// may hold private keys of peers removed since). A backstop: camvpn
/// removes its own temp files on errors, SIGINT and SIGTERM.
pub fn sweep_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = std::time::SystemTime::now();
    for e in entries.flatten() {
        // tempfile's names: the prefix and six random characters.
        let name = e.file_name();
        let is_temp = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .is_some_and(|rest| rest.len() == 6 && rest.bytes().all(|c| c.is_ascii_alphanumeric()));
        if !is_temp {
            continue;
        }
        let stale = e
            .metadata()
            .ok()
            .filter(fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t).ok())
            .is_some_and(|age| age >= STALE);
        if stale {
            let _ = fs::remove_file(e.path());
        }
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes one file atomically with `mode` (a batch of one).
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>, mode: u32) -> Result<()> {
    let mut b = Batch::new();
    b.write(path, bytes, mode)?;
    b.commit()
}

/// Creates `dir` with `mode` (parents with the default mode); tightens the
/// mode of an existing directory.
pub fn make_dir(dir: &Path, mode: u32) -> Result<()> {
    let werr = |source| Error::Write {
        path: dir.to_path_buf(),
        source,
    };
    if let Some(p) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(p).map_err(werr)?;
    }
    match DirBuilder::new().mode(mode).create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => {
            if mode == SECRET_DIR {
                fs::set_permissions(dir, Permissions::from_mode(mode)).map_err(werr)?;
            }
            Ok(())
        }
        Err(e) => Err(werr(e)),
    }
}
