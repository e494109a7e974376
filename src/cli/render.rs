//! `camvpn render`.

use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

use anyhow::Result;
use camvpn::store::{Batch, SECRET_DIR, SiteDir};
use camvpn::targets::{self, RenderOptions, Target};

use super::args::RenderArgs;
use super::{Out, Outcome, load_secrets};

/// Files camvpn writes into `peers/`; others there are left alone.
const PEER_FILE_EXTENSIONS: &[&str] = &["conf", "png", "svg", "html"];

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
        on_peer: Some(std::sync::Arc::new(move || tick.inc(1))),
    };
    let artifacts = targets::render(&site, &secrets, target, &templates, &options)?;
    bar.finish_and_clear();

    let mut batch = Batch::new();
    let mut dirs: Vec<PathBuf> = vec![a.out.clone()];
    for art in &artifacts {
        if let Some(parent) = art.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            dirs.push(a.out.join(parent));
        }
    }
    dirs.dedup();
    for d in dirs {
        // peers/ holds private keys; the top directory only holds secrets in 0600 files.
        let mode = if d == a.out { 0o755 } else { SECRET_DIR };
        batch.dir(d, mode);
    }
    let written: HashSet<PathBuf> = artifacts.iter().map(|art| a.out.join(&art.path)).collect();
    for art in artifacts {
        out.detail(format!("writing {}", a.out.join(&art.path).display()));
        batch.write(a.out.join(&art.path), art.bytes, art.mode);
    }
    // A removed peer's config and QR code must not linger next to the live ones.
    if let Ok(entries) = fs::read_dir(a.out.join("peers")) {
        for e in entries.flatten() {
            let path = e.path();
            let ours = path
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| PEER_FILE_EXTENSIONS.contains(&x));
            if ours && !written.contains(&path) {
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
