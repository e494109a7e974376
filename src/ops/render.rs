//! `render`: every artifact of the site's target, written atomically into
//! an output directory.
//!
//! Artifacts are staged into temp files in the output directory as they are
//! rendered, so that a thousand QR codes never sit in memory at once.
//! Directories are made when the first file needs them, and removed again
//! (when empty) if the render fails: a failed render changes nothing.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::{Notices, Progress, load_secrets};
use crate::error::Result;
use crate::model::site::{Firewall, Platform};
use crate::store::{self, Batch, SECRET_DIR, SiteDir, Staged};
use crate::targets::templates::Templates;
use crate::targets::{self, Artifact, OnPeer, PeerFiles, RenderOptions, Sink, Target};

/// Files camvpn writes into `peers/`; others there are left alone.
const PEER_FILE_EXTENSIONS: &[&str] = &["conf", "png", "svg", "html"];

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

/// Renders the site into `req.out`. A removed peer's files there are
/// removed too; nothing changes when rendering fails.
pub fn render(dir: &SiteDir, req: &RenderRequest, templates: &Templates) -> Result<Rendered> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let mut notices = Notices::default();
    let secrets = load_secrets(dir, &site, &mut notices)?;
    for c in site.cameras.iter().filter(|c| c.mac.is_none()) {
        notices.warn(format!(
            "camera {} has no MAC: cameras pick their own IPv6 addresses, so its IPv6 is not closed; add it with: camvpn camera set {} --mac MAC (apply on the router looks it up)",
            c.name, c.name
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
    };
    let sink = StageSink {
        out: &req.out,
        staged: Mutex::default(),
        dirs: Mutex::default(),
        on_file: req.on_file,
    };
    let rendered = targets::render(&site, &secrets, target, templates, &options, &sink);
    let staged = std::mem::take(&mut *sink.staged.lock().unwrap_or_else(PoisonError::into_inner));
    if let Err(e) = rendered {
        // Dropping the staged files removes them; then the directories.
        drop(staged);
        sink.cleanup();
        return Err(e);
    }
    let mut batch = Batch::new();
    batch.extend(staged);
    let written: HashSet<PathBuf> = batch.paths().map(Path::to_path_buf).collect();
    // A removed peer's config and QR code must not linger next to the live
    // ones; with --no-qr the images and pages of live peers stay.
    if let Ok(entries) = fs::read_dir(req.out.join("peers")) {
        let live: HashSet<String> = site.peers.iter().map(|p| p.name.to_string()).collect();
        for e in entries.flatten() {
            let path = e.path();
            let ours = path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| PEER_FILE_EXTENSIONS.contains(&x));
            let stem = path
                .file_stem()
                .and_then(|x| x.to_str())
                .unwrap_or_default();
            if ours && !written.contains(&path) && !(live.contains(stem) || stem == "index") {
                notices.note(format!(
                    "removing {} (no such peer any more)",
                    path.display()
                ));
                batch.remove(path);
            }
        }
    }
    let files = written.len();
    batch.commit()?;
    Ok(Rendered {
        target,
        files,
        notices,
    })
}
