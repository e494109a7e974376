//! `camvpn render`.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Result;
use camvpn::store::{self, Batch, SECRET_DIR, SiteDir, Staged};
use camvpn::targets::{self, Artifact, PeerFiles, RenderOptions, Sink, Target};

use super::args::RenderArgs;
use super::{Out, Outcome, load_secrets};

/// Files camvpn writes into `peers/`; others there are left alone.
const PEER_FILE_EXTENSIONS: &[&str] = &["conf", "png", "svg", "html"];

/// Stages every artifact into a temp file in the output directory as it is
/// rendered, so that a thousand QR codes never sit in memory at once.
/// Directories are made when the first file needs them, and removed again
/// (when empty) if the render fails: a failed render changes nothing.
struct StageSink<'a> {
    out: &'a Path,
    staged: Mutex<Vec<Staged>>,
    dirs: Mutex<Dirs>,
    verbose: bool,
}

/// The directories a [`StageSink`] made, and those it knows exist.
#[derive(Default)]
struct Dirs {
    created: Vec<PathBuf>,
    ready: HashSet<PathBuf>,
}

impl StageSink<'_> {
    fn ensure_dir(&self, dir: &Path) -> camvpn::Result<()> {
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
    fn put(&self, a: Artifact) -> camvpn::Result<()> {
        let path = self.out.join(&a.path);
        if let Some(parent) = path.parent() {
            self.ensure_dir(parent)?;
        }
        if self.verbose {
            eprintln!("writing {}", path.display());
        }
        let staged = store::stage(&path, &a.bytes, a.mode)?;
        self.staged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(staged);
        Ok(())
    }
}

pub fn run(dir: &SiteDir, a: &RenderArgs, out: &Out) -> Result<Outcome> {
    let templates = out.templates()?;
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let secrets = load_secrets(dir, &site, out)?;
    let target = a.target.unwrap_or(Target(site.platform));
    let router = if target.0 == camvpn::site::Platform::Openwrt {
        Some(targets::read_router_config(&a.uci_dir)?)
    } else {
        None
    };
    let bar = out.progress(site.peers.len() as u64, "rendering peers");
    let tick = bar.clone();
    let options = RenderOptions {
        firewall: a.firewall.map(Into::into),
        router,
        on_peer: Some(Arc::new(move || tick.inc(1))),
        peer_files: if a.no_peers {
            PeerFiles::None
        } else if a.no_qr {
            PeerFiles::ConfigOnly
        } else {
            PeerFiles::All
        },
    };
    let sink = StageSink {
        out: &a.out,
        staged: Mutex::default(),
        dirs: Mutex::default(),
        verbose: out.verbose(),
    };
    let rendered = targets::render(&site, &secrets, target, &templates, &options, &sink);
    bar.finish_and_clear();
    let staged = std::mem::take(&mut *sink.staged.lock().unwrap_or_else(PoisonError::into_inner));
    if let Err(e) = rendered {
        // Dropping the staged files removes them; then the directories.
        drop(staged);
        sink.cleanup();
        return Err(e.into());
    }
    let mut batch = Batch::new();
    batch.extend(staged);
    let written: HashSet<PathBuf> = batch.paths().map(Path::to_path_buf).collect();
    // A removed peer's config and QR code must not linger next to the live
    // ones; with --no-qr the images and pages of live peers stay.
    if let Ok(entries) = fs::read_dir(a.out.join("peers")) {
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
                out.note(format!(
                    "removing {} (no such peer any more)",
                    path.display()
                ));
                batch.remove(path);
            }
        }
    }
    let count = written.len();
    batch.commit()?;
    out.note(format!(
        "rendered {count} files for {target} into {}",
        a.out.display()
    ));
    Ok(Outcome::Done)
}
