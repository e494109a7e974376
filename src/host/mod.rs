//! `apply`: puts a site on the Linux host it runs on.
//!
//! Order matters. The firewall is loaded first, so the tunnel never carries
//! traffic without the policy; a firewall that fails to load stops `apply`
//! before anything else changes. nftables loads are atomic (the file replaces
//! the table in one transaction); for iptables camvpn saves the rules first,
//! tests the new ones with `--test`, and restores the saved rules if any step
//! fails. Then the WireGuard config is written (0600) and the interface is
//! brought up, or, when it is up, reloaded with `wg syncconf`, which keeps
//! the sessions of peers that did not change. What `apply` changed is
//! recorded next to `site.toml`, so `--undo` can put the host back.

mod linux;
pub mod nat;
mod openwrt;
pub mod routes;
mod run;
pub mod status;

use run::Host;

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::mac::MacAddr;
use crate::model::site::{Firewall, Platform, Site};
use crate::store::Secrets;
use crate::targets::templates::Templates;
use crate::targets::{self, Artifact, PeerFiles, RenderOptions, Target};

/// What `apply` reports as it goes.
pub enum Event {
    /// A change to the host (in a dry run: a change it would make).
    Action(String),
    /// File contents, shown with --verbose and in dry runs.
    Content(String, String),
    /// Something the user should know.
    Warning(String),
    /// Output of a command that ran.
    Output(String),
}

/// Options of `apply`.
pub struct ApplyOptions {
    /// Print, do not change.
    pub dry_run: bool,
    /// The firewall backend.
    pub firewall: Firewall,
    /// Where wg-quick configs live (`/etc/wireguard`).
    pub wg_dir: PathBuf,
    /// The record of what was applied.
    pub state_file: PathBuf,
    /// The router's UCI configs (OpenWrt).
    pub uci_dir: PathBuf,
}

/// What was applied, for `--undo` and for switching backends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applied {
    /// The backend loaded.
    pub firewall: Firewall,
    /// The WireGuard interface.
    pub interface: String,
    /// The config written.
    pub wg_conf: PathBuf,
    /// The config of the tunnel to the relay, when the site has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay_conf: Option<PathBuf>,
    /// `net.ipv4.ip_forward` before camvpn first changed it.
    pub ipv4_forward_was: Option<String>,
    /// `net.ipv6.conf.all.forwarding` before camvpn first changed it.
    pub ipv6_forward_was: Option<String>,
}

fn artifact<'a>(arts: &'a [Artifact], path: &str) -> &'a Artifact {
    arts.iter()
        .find(|a| a.path == Path::new(path))
        .expect("the target renders it")
}

/// Reads the record of the last apply.
pub fn read_state(path: &Path) -> Result<Option<Applied>> {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::File {
                path: path.to_path_buf(),
                message: format!("{e}; delete it if camvpn's firewall is not loaded"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The MAC of `ip` in this host's neighbour table (`ip neigh`).
fn neighbour_mac(ip: std::net::Ipv4Addr) -> Option<MacAddr> {
    let out = Host::probe(&["ip", "-4", "neigh", "show", &ip.to_string()])?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    words.find(|w| *w == "lladdr")?;
    words.next()?.parse().ok()
}

/// "1 camera", "3 cameras".
pub(crate) fn cameras(n: usize) -> String {
    if n == 1 {
        "1 camera".to_owned()
    } else {
        format!("{n} cameras")
    }
}

/// `site` with the MACs this host's neighbour table knows for cameras that
/// have none in `site.toml`: their IPv6 is closed by MAC.
fn with_neighbour_macs(site: &Site, report: &mut dyn FnMut(Event)) -> Site {
    let mut site = site.clone();
    let mut unseen = Vec::new();
    for c in site.cameras.iter_mut().filter(|c| c.mac.is_none()) {
        match neighbour_mac(c.ip) {
            Some(m) => {
                report(Event::Warning(format!(
                    "camera {} has no MAC in site.toml; this router's neighbour table gives {m} for {}, which closes its IPv6 now; keep it with: camvpn camera set {} --mac {m}",
                    c.name, c.ip, c.name
                )));
                c.mac = Some(m);
            }
            None => unseen.push(c.name.to_string()),
        }
    }
    if !unseen.is_empty() {
        report(Event::Warning(format!(
            "{} without a MAC, and not seen by this router lately: {}; their IPv6 is not closed; add each with: camvpn camera set NAME --mac MAC",
            cameras(unseen.len()),
            unseen.join(", ")
        )));
    }
    site
}

/// Puts `site` on this host; tells whether the host changed (files,
/// forwarding, an interface brought up, the firewall's rules).
pub fn apply(
    site: &Site,
    secrets: &Secrets,
    templates: &Templates,
    opts: &ApplyOptions,
    report: &mut dyn FnMut(Event),
) -> Result<bool> {
    let site = &with_neighbour_macs(site, report);
    let router = match site.platform {
        Platform::Linux => None,
        Platform::Openwrt => Some(targets::read_router_config(&opts.uci_dir)?),
        Platform::Ddwrt => return Err(Error::Conflict(
            "DD-WRT has no camvpn on the router: render --target ddwrt, copy camvpn-ddwrt.sh to the router and run it there".into(),
        )),
    };
    // Only the router's own files: no peer configs, no QR codes.
    let arts = targets::render_to_vec(
        site,
        secrets,
        Target(site.platform),
        templates,
        &RenderOptions {
            firewall: Some(opts.firewall),
            router,
            on_peer: None,
            peer_files: PeerFiles::None,
            nvram_budget: None,
        },
    )?;
    let mut host = Host::new(opts.dry_run, report);
    match site.platform {
        Platform::Openwrt => openwrt::apply(&arts, &mut host)?,
        _ => linux::apply(site, &arts, opts, &mut host)?,
    }
    Ok(host.changed)
}

/// Takes a site off this host: the firewall, the interface, the config file,
/// and forwarding as it was before camvpn.
pub fn undo(site: &Site, opts: &ApplyOptions, report: &mut dyn FnMut(Event)) -> Result<()> {
    linux::undo(site, opts, report)
}
