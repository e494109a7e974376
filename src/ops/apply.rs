//! `apply` and `apply --undo`: the site on this host, or off it again.

use std::path::PathBuf;

use super::{Notices, load_secrets};
use crate::error::Result;
use crate::host::{self, ApplyOptions, Event};
use crate::model::site::{Firewall, Platform};
use crate::store::SiteDir;
use crate::targets::templates::Templates;

/// How to apply.
#[derive(Debug, Clone)]
pub struct ApplyRequest {
    /// Report, change nothing.
    pub dry_run: bool,
    /// The firewall backend; the site's when `None`.
    pub firewall: Option<Firewall>,
    /// Where wg-quick configs live.
    pub wg_dir: PathBuf,
    /// The router's UCI configs (OpenWrt).
    pub uci_dir: PathBuf,
}

/// What was applied or undone.
pub struct ApplySummary {
    /// Whether the host changed (apply: as it saw; undo: assumed, outside
    /// dry runs).
    pub changed: bool,
    /// The site's platform.
    pub platform: Platform,
    /// The backend used.
    pub firewall: Firewall,
    /// The WireGuard interface.
    pub interface: String,
    /// How many peers it has.
    pub peers: usize,
    /// Warnings about key files.
    pub notices: Notices,
}

fn options(dir: &SiteDir, req: &ApplyRequest, site_firewall: Firewall) -> ApplyOptions {
    ApplyOptions {
        dry_run: req.dry_run,
        firewall: req.firewall.unwrap_or(site_firewall),
        wg_dir: req.wg_dir.clone(),
        state_file: dir.root().join("applied.json"),
        uci_dir: req.uci_dir.clone(),
    }
}

/// Puts the site on this host; `report` hears each step as it happens.
pub fn apply(
    dir: &SiteDir,
    req: &ApplyRequest,
    templates: &Templates,
    report: &mut dyn FnMut(Event),
) -> Result<ApplySummary> {
    // Writers of the site wait; apply reads it and writes only applied.json.
    let _lock = dir.lock(false)?;
    let site = dir.load()?;
    let opts = options(dir, req, site.firewall);
    let mut notices = Notices::default();
    let secrets = load_secrets(dir, &site, &mut notices)?;
    let changed = host::apply(&site, &secrets, templates, &opts, report)?;
    Ok(ApplySummary {
        changed,
        platform: site.platform,
        firewall: opts.firewall,
        interface: site.interface.to_string(),
        peers: site.peers.len(),
        notices,
    })
}

/// Takes the site off this host.
pub fn undo(
    dir: &SiteDir,
    req: &ApplyRequest,
    report: &mut dyn FnMut(Event),
) -> Result<ApplySummary> {
    let _lock = dir.lock(false)?;
    let site = dir.load()?;
    let opts = options(dir, req, site.firewall);
    host::undo(&site, &opts, report)?;
    Ok(ApplySummary {
        changed: !req.dry_run,
        platform: site.platform,
        firewall: opts.firewall,
        interface: site.interface.to_string(),
        peers: site.peers.len(),
        notices: Notices::default(),
    })
}
