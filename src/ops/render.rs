//! `render`: every artifact of the site's target, written atomically into
//! an output directory.
//!
//! Artifacts are staged into temp files in the output directory as they are
//! rendered, so that a thousand QR codes never sit in memory at once.
//! Directories are made when the first file needs them, and removed again
//! (when empty) if the render fails: a failed render changes nothing.

use std::collections::{BTreeSet, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use super::{Notices, Progress, load_secrets};
use crate::error::{Error, Result};
use crate::model::site::{Firewall, Platform, Site};
use crate::store::{self, Batch, SECRET_DIR, SiteDir, Staged, interrupt};
use crate::targets::templates::Templates;
use crate::targets::{self, Artifact, OnPeer, PeerFiles, RenderOptions, Sink, Target};

/// The record of what render wrote into an output directory, so that the
/// next render removes only camvpn's own files there.
pub const MANIFEST: &str = ".camvpn-render.json";

/// What the manifest holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// The site directory the files were rendered from.
    site: String,
    /// The target.
    target: String,
    /// Every file camvpn wrote there and has not removed since, relative to
    /// the output directory.
    files: BTreeSet<PathBuf>,
}

/// A site is known by its directory.
fn site_id(dir: &SiteDir) -> String {
    fs::canonicalize(dir.root())
        .unwrap_or_else(|_| dir.root().to_path_buf())
        .display()
        .to_string()
}

/// Whether `file` (relative to the output directory) is a file of a peer the
/// site still has, which a render without peer files (`--no-qr`,
/// `--no-peers`) leaves as it was.
fn of_live_peer(site: &Site, file: &Path) -> bool {
    let (Ok(name), Some(stem)) = (
        file.strip_prefix("peers"),
        file.file_stem().and_then(|s| s.to_str()),
    ) else {
        return false;
    };
    name.parent() == Some(Path::new(""))
        && (stem == "index" || site.peers.iter().any(|p| p.name.as_str() == stem))
}

/// The files of the last render here that stay (those of live peers that
/// this render did not write) plus those written now; the others of the
/// last render are removed in `batch`. Files camvpn did not write are never
/// touched; another site's are left with a warning.
fn carried_over(
    dir: &SiteDir,
    site: &Site,
    req: &RenderRequest,
    target: Target,
    written: &HashSet<PathBuf>,
    batch: &mut Batch,
    notices: &mut Notices,
) -> BTreeSet<PathBuf> {
    let mut files: BTreeSet<PathBuf> = written.iter().cloned().collect();
    let path = req.out.join(MANIFEST);
    let Ok(text) = fs::read(&path) else {
        return files;
    };
    let Ok(old) = serde_json::from_slice::<Manifest>(&text) else {
        notices.warn(format!(
            "{} is not a record camvpn can read: no earlier file there is removed",
            path.display()
        ));
        return files;
    };
    if old.site != site_id(dir) {
        notices.warn(format!(
            "{} holds files camvpn rendered for another site ({}): they are left as they were, and this site's files are now among them; render each site into a directory of its own",
            req.out.display(),
            old.site
        ));
        return files;
    }
    if old.target != target.to_string() {
        notices.warn(format!(
            "{} held this site's {} files: removing those not rendered for {target}",
            req.out.display(),
            old.target
        ));
    }
    for f in old.files.into_iter().filter(|f| !written.contains(f)) {
        let full = req.out.join(&f);
        if f.is_absolute() || f.components().any(|c| c == std::path::Component::ParentDir) {
            continue;
        }
        if of_live_peer(site, &f) {
            if full.exists() {
                files.insert(f);
            }
        } else if full.exists() {
            let why = if f.starts_with("peers") {
                "no such peer any more"
            } else {
                "not rendered any more"
            };
            notices.note(format!("removing {} ({why})", full.display()));
            batch.remove(full);
        }
    }
    files
}

/// What to render, and where.
#[derive(Clone)]
pub struct RenderRequest {
    /// The output directory.
    pub out: PathBuf,
    /// The target; the site's platform when `None`.
    pub target: Option<Target>,
    /// Only this firewall backend (Linux).
    pub firewall: Option<Firewall>,
    /// Which files of each peer.
    pub peer_files: PeerFiles,
    /// The router's current UCI configs (OpenWrt).
    pub uci_dir: PathBuf,
    /// The most the DD-WRT script may write into nvram (`None`: the
    /// default).
    pub nvram_budget: Option<usize>,
    /// Told how many peers there are, and of each one rendered.
    pub progress: Option<Arc<dyn Progress>>,
    /// Called with each path as it is written (`--verbose`).
    pub on_file: Option<fn(&Path)>,
}

/// What a render wrote.
pub struct Rendered {
    /// The target rendered.
    pub target: Target,
    /// How many files were written.
    pub files: usize,
    /// Files removed, warnings about key files.
    pub notices: Notices,
}

/// Stages each artifact as it arrives.
struct StageSink<'a> {
    out: &'a Path,
    staged: Mutex<Vec<Staged>>,
    dirs: Mutex<Dirs>,
    on_file: Option<fn(&Path)>,
    /// Stops the render at the next file after SIGINT or SIGTERM.
    signals: Arc<interrupt::Guard>,
}

/// The directories a [`StageSink`] made, and those it knows exist.
#[derive(Default)]
struct Dirs {
    created: Vec<PathBuf>,
    ready: HashSet<PathBuf>,
}

impl StageSink<'_> {
    fn ensure_dir(&self, dir: &Path) -> Result<()> {
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        if dirs.ready.contains(dir) {
            return Ok(());
        }
        let mut missing = Vec::new();
        let mut d = Some(dir);
        while let Some(x) = d.filter(|x| !x.as_os_str().is_empty() && !x.exists()) {
            missing.push(x.to_path_buf());
            d = x.parent();
        }
        for m in missing.into_iter().rev() {
            // peers/ holds private keys; the top directory only 0600 files.
            let mode = if m == self.out { 0o755 } else { SECRET_DIR };
            store::make_dir(&m, mode)?;
            dirs.created.push(m);
        }
        dirs.ready.insert(dir.to_path_buf());
        Ok(())
    }

    fn cleanup(&self) {
        let dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        for d in dirs.created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
}

impl Sink for StageSink<'_> {
    fn put(&self, a: Artifact) -> Result<()> {
        self.signals.check()?;
        let path = self.out.join(&a.path);
        if let Some(parent) = path.parent() {
            self.ensure_dir(parent)?;
        }
        if let Some(f) = self.on_file {
            f(&path);
        }
        let staged = store::stage(&path, &a.bytes, a.mode)?;
        self.staged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(staged);
        Ok(())
    }
}

/// Renders the site into `req.out`. The files of camvpn's last render there
/// that this one does not write (a removed peer's, another target's) are
/// removed; nothing else there is touched, and nothing changes when
/// rendering fails.
pub fn render(dir: &SiteDir, req: &RenderRequest, templates: &Templates) -> Result<Rendered> {
    // Declared first, so dropped last: after the staged files.
    let signals = Arc::new(interrupt::Guard::new());
    // An existing path that is not a directory: the user's mistake.
    if req.out.exists() && !req.out.is_dir() {
        return Err(Error::File {
            path: req.out.clone(),
            message: "is not a directory: give --out a directory (it is made if missing)".into(),
        });
    }
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let mut notices = Notices::default();
    let secrets = load_secrets(dir, &site, &mut notices)?;
    let macless: Vec<&str> = site
        .cameras
        .iter()
        .filter(|c| c.mac.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !macless.is_empty() {
        // On Linux and OpenWrt, apply looks MACs up in the router's
        // neighbour table; DD-WRT has no apply.
        let hint = if site.platform == Platform::Ddwrt {
            ""
        } else {
            " (or let apply on the router look them up)"
        };
        notices.warn(format!(
            "{} without a MAC: {}; cameras pick their own IPv6 addresses, so their IPv6 is not closed; add each with: camvpn camera set NAME --mac MAC{hint}",
            crate::host::cameras(macless.len()),
            macless.join(", ")
        ));
    }
    let target = req.target.unwrap_or(Target(site.platform));
    let router = if target.0 == Platform::Openwrt {
        Some(targets::read_router_config(&req.uci_dir)?)
    } else {
        None
    };
    let options = RenderOptions {
        firewall: req.firewall,
        router,
        on_peer: req.progress.clone().map(|p| -> OnPeer {
            p.start(site.peers.len() as u64);
            Arc::new(move || p.inc())
        }),
        peer_files: req.peer_files,
        nvram_budget: req.nvram_budget,
    };
    let sink = StageSink {
        out: &req.out,
        staged: Mutex::default(),
        dirs: Mutex::default(),
        on_file: req.on_file,
        signals: Arc::clone(&signals),
    };
    let rendered = targets::render(&site, &secrets, target, templates, &options, &sink);
    let staged = std::mem::take(&mut *sink.staged.lock().unwrap_or_else(PoisonError::into_inner));
    let figures = match rendered {
        Ok(figures) => figures,
        Err(e) => {
            // Dropping the staged files removes them; then the directories.
            drop(staged);
            sink.cleanup();
            return Err(e);
        }
    };
    for f in figures {
        notices.note(f);
    }
    let mut batch = Batch::new();
    batch.extend(staged);
    let written: HashSet<PathBuf> = batch
        .paths()
        .filter_map(|p| p.strip_prefix(&req.out).ok())
        .map(Path::to_path_buf)
        .collect();
    let manifest = Manifest {
        site: site_id(dir),
        target: target.to_string(),
        files: carried_over(dir, &site, req, target, &written, &mut batch, &mut notices),
    };
    batch.extend([store::stage(
        &req.out.join(MANIFEST),
        &serde_json::to_vec_pretty(&manifest).unwrap_or_default(),
        0o644,
    )?]);
    let files = written.len();
    batch.commit()?;
    Ok(Rendered {
        target,
        files,
        notices,
    })
}
