//! `sync`: the whole desired site in one declarative spec, for provisioning
//! tools (Ansible, scripts). The spec is checked entirely before anything is
//! written; then the site is created or converged to it — cameras and peers
//! added, changed and removed, existing peers keeping their keys and
//! addresses — in one atomic write, and nothing is written when the site
//! already matches.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde::{Deserialize, Serialize};

use super::apply::{self, ApplyRequest};
use super::camera::NewCamera;
use super::peer::{PeerSettings, admit, stage_keys};
use super::render::{self, RenderRequest};
use super::site::{self, NewSite};
use super::{Change, Notices};
use crate::error::{Error, Result};
use crate::host::Event;
use crate::model::endpoint::Endpoint;
use crate::model::interface::InterfaceName;
use crate::model::mac::MacAddr;
use crate::model::name::{CameraName, PeerName};
use crate::model::peer::Access;
use crate::model::site::{Firewall, Platform};
use crate::store::{Batch, SiteDir};
use crate::targets::PeerFiles;
use crate::targets::templates::Templates;

/// A camera of the spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    /// Its name.
    pub name: CameraName,
    /// Its LAN address.
    pub ip: Ipv4Addr,
    /// Its vendor preset (default: generic; an existing camera keeps its own).
    #[serde(default)]
    pub vendor: Option<String>,
    /// Its MAC address (IPv6 closed by MAC).
    #[serde(default)]
    pub mac: Option<MacAddr>,
}

impl CameraSpec {
    /// The camera to add (vendor preset: generic when the spec names none).
    fn new_camera(&self) -> NewCamera {
        NewCamera {
            mac: self.mac,
            ..NewCamera::new(
                self.name.clone(),
                self.ip,
                self.vendor.clone().unwrap_or_else(|| "generic".into()),
            )
        }
    }
}

/// A peer of the spec.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSpec {
    /// Its name.
    pub name: PeerName,
    /// The cameras it may reach; omitted: every camera.
    #[serde(default)]
    pub cameras: Option<Vec<CameraName>>,
}

impl PeerSpec {
    /// The cameras it may reach.
    fn access(&self) -> Access {
        self.cameras.clone().map_or(Access::All, Access::Only)
    }
}

/// The whole desired site.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The router platform.
    pub platform: Platform,
    /// Where phones reach the router.
    pub endpoint: Endpoint,
    /// The WAN interface (default as for `init`).
    #[serde(default)]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface (default as for `init`).
    #[serde(default)]
    pub lan_if: Option<InterfaceName>,
    /// The tunnel subnet (fixed once the site exists).
    #[serde(default)]
    pub subnet: Option<Ipv4Net>,
    /// The cameras' LAN (fixed once the site exists).
    #[serde(default)]
    pub lan: Option<Ipv4Net>,
    /// The WireGuard port (fixed once the site exists).
    #[serde(default)]
    pub listen_port: Option<u16>,
    /// The firewall backend on Linux.
    #[serde(default)]
    pub firewall: Option<Firewall>,
    /// DNS servers for peers.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// A relay (`HOST[:PORT]`) for a router behind carrier-grade NAT.
    #[serde(default)]
    pub relay: Option<Endpoint>,
    /// The cameras.
    #[serde(default)]
    pub cameras: Vec<CameraSpec>,
    /// The peers.
    #[serde(default)]
    pub peers: Vec<PeerSpec>,
}

/// Reads a spec (JSON) from `path` (`-`: standard input). A bad spec is an
/// input error naming the field (`cameras[1].ip`) and what is wrong.
pub fn read_spec(path: &Path) -> Result<Spec> {
    let text = super::read_text(path)?;
    let de = &mut serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let refused = refused_value(&text, e.path());
        let inner = e.into_inner();
        Error::File {
            path: super::input_name(path),
            message: if field == "." {
                format!(
                    "{inner} (the spec is a JSON object: platform, endpoint, cameras, peers, ...)"
                )
            } else {
                match refused {
                    Some(v) => format!("{field} = {v}: {inner}"),
                    None => format!("{field}: {inner}"),
                }
            },
        }
    })
}

/// The scalar value at `path` in the JSON `text`, as written there: an error
/// about `cameras[1].ip` then names the address it refused.
fn refused_value(text: &str, path: &serde_path_to_error::Path) -> Option<String> {
    use serde_path_to_error::Segment;
    let mut v = &serde_json::from_str::<serde_json::Value>(text).ok()?;
    for seg in path {
        v = match seg {
            Segment::Seq { index } => v.get(*index)?,
            Segment::Map { key } => v.get(key)?,
            _ => return None,
        };
    }
    (!v.is_object() && !v.is_array()).then(|| v.to_string())
}

/// What a sync changed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Changes {
    /// Added, by name.
    pub added: Vec<String>,
    /// Changed, by name.
    pub changed: Vec<String>,
    /// Removed, by name.
    pub removed: Vec<String>,
}

impl Changes {
    fn any(&self) -> bool {
        !(self.added.is_empty() && self.changed.is_empty() && self.removed.is_empty())
    }
}

/// What `sync` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Synced {
    /// Whether anything in the site changed.
    pub changed: bool,
    /// Whether the site was created.
    pub created: bool,
    /// Site settings that changed.
    pub settings: Vec<String>,
    /// Cameras.
    pub cameras: Changes,
    /// Peers.
    pub peers: Changes,
}

fn fixed<T: PartialEq + std::fmt::Display>(field: &str, want: Option<&T>, have: &T) -> Result<()> {
    match want {
        Some(w) if w != have => Err(Error::Conflict(format!(
            "{field}: the site has {have}, the spec {w}; it cannot change on an existing site (peers keep their addresses): create a new site to change it"
        ))),
        _ => Ok(()),
    }
}

/// Creates the site of `spec`, or converges the existing one to it; with
/// `dry_run`, checks everything and tells what would change, writing nothing.
pub fn sync(dir: &SiteDir, spec: &Spec, dry_run: bool) -> Result<Synced> {
    if !dir.exists() {
        return create(dir, spec, dry_run);
    }
    let _lock = dir.lock(false)?;
    let have = dir.load()?;
    if spec.platform != have.platform {
        return Err(Error::Conflict(format!(
            "platform: the site is for {}, the spec for {}; move a site with export --secrets and import --platform",
            have.platform, spec.platform
        )));
    }
    fixed("subnet", spec.subnet.as_ref(), &have.subnet)?;
    fixed("lan", spec.lan.as_ref(), &have.lan)?;
    fixed("listen_port", spec.listen_port.as_ref(), &have.listen_port)?;

    let mut want = have.clone();
    let mut out = Synced::default();
    let mut batch = Batch::new();
    let mut setting = |name: &str, differs: bool| {
        if differs {
            out.settings.push(name.to_owned());
        }
    };
    setting("endpoint", want.endpoint != spec.endpoint);
    want.endpoint = spec.endpoint.clone();
    if let Some(w) = &spec.wan_if {
        setting("wan_if", want.wan_if.as_ref() != Some(w));
        want.wan_if = Some(w.clone());
    }
    if let Some(l) = &spec.lan_if {
        setting("lan_if", &want.lan_if != l);
        want.lan_if = l.clone();
    }
    if let Some(f) = spec.firewall {
        setting("firewall", want.firewall != f);
        want.firewall = f;
    }
    setting("dns", want.dns != spec.dns);
    want.dns.clone_from(&spec.dns);
    let relay = match &spec.relay {
        Some(e) => Change::Set(e.clone()),
        None => Change::Reset,
    };
    setting(
        "relay",
        site::change_relay(dir, &mut batch, &mut want, relay)?,
    );

    // Cameras: the spec's, in the spec's order; existing ones keep what the
    // spec does not say (ports, internet).
    want.cameras.clear();
    for c in &spec.cameras {
        match have.cameras.iter().find(|h| h.name == c.name) {
            Some(h) => {
                want.check_new_camera_name(&c.name)?;
                let mut cam = h.clone();
                cam.ip = c.ip;
                if let Some(v) = &c.vendor {
                    cam.vendor.clone_from(v);
                }
                if c.mac.is_some() {
                    cam.mac = c.mac;
                }
                if cam != *h {
                    out.cameras.changed.push(c.name.to_string());
                }
                want.cameras.push(cam);
            }
            None => {
                out.cameras.added.push(c.name.to_string());
                c.new_camera().add_to(&mut want)?;
            }
        }
    }
    for h in &have.cameras {
        if !spec.cameras.iter().any(|c| c.name == h.name) {
            out.cameras.removed.push(h.name.to_string());
        }
    }

    // Peers: existing ones keep keys and addresses; their camera lists are
    // the spec's.
    want.peers
        .retain(|p| spec.peers.iter().any(|s| s.name == p.name));
    for p in &have.peers {
        if !spec.peers.iter().any(|s| s.name == p.name) {
            out.peers.removed.push(p.name.to_string());
            dir.stage_peer_removal(&mut batch, &p.name);
        }
    }
    let mut new_peers = Vec::new();
    for s in &spec.peers {
        if let Some(p) = want.peers.iter_mut().find(|p| p.name == s.name) {
            let a = s.access();
            if p.cameras != a {
                out.peers.changed.push(s.name.to_string());
                p.cameras = a;
            }
        } else {
            out.peers.added.push(s.name.to_string());
            let settings = PeerSettings {
                cameras: s.access(),
                ..PeerSettings::default()
            };
            new_peers.extend(admit(
                &mut want,
                vec![s.name.clone()],
                &settings,
                None,
                None,
            )?);
        }
    }
    want.validate().map_err(Error::from)?;
    out.changed = !out.settings.is_empty() || out.cameras.any() || out.peers.any();
    if out.changed && !dry_run {
        stage_keys(dir, &mut batch, &new_peers)?;
        dir.stage_site(&mut batch, &want)?;
        batch.commit()?;
    }
    Ok(out)
}

fn create(dir: &SiteDir, spec: &Spec, dry_run: bool) -> Result<Synced> {
    // Peers with a camera list are added after the site exists: init's
    // peers see every camera. Both happen before anything is written.
    let req = NewSite {
        platform: spec.platform,
        interface: "wg0".parse().expect("valid"),
        endpoint: spec.endpoint.clone(),
        listen_port: spec.listen_port,
        subnet: spec
            .subnet
            .unwrap_or_else(|| "10.66.0.0/24".parse().expect("valid")),
        subnet6: None,
        lan: spec
            .lan
            .unwrap_or_else(|| "192.168.1.0/24".parse().expect("valid")),
        lan6: None,
        wan_if: spec.wan_if.clone(),
        lan_if: spec.lan_if.clone(),
        dns: spec.dns.clone(),
        mtu: None,
        keepalive: None,
        firewall: spec.firewall.unwrap_or_default(),
        camera_internet: false,
        log_drops: false,
        cameras: spec.cameras.iter().map(CameraSpec::new_camera).collect(),
        peers: Vec::new(),
        import_forwards: None,
        adopt: None,
        relay: spec.relay.clone(),
        force: false,
        dry_run,
        peer_access: spec
            .peers
            .iter()
            .map(|p| (p.name.clone(), p.access()))
            .collect(),
    };
    let created = site::create(dir, req)?;
    Ok(Synced {
        changed: true,
        created: true,
        settings: Vec::new(),
        cameras: Changes {
            added: created
                .site
                .cameras
                .iter()
                .map(|c| c.name.to_string())
                .collect(),
            ..Changes::default()
        },
        peers: Changes {
            added: created
                .site
                .peers
                .iter()
                .map(|p| p.name.to_string())
                .collect(),
            ..Changes::default()
        },
    })
}

/// Where `sync` renders by default: `out/` in the site directory.
pub fn default_out(dir: &SiteDir) -> PathBuf {
    dir.root().join("out")
}

/// `camvpn sync` whole: the spec, converged, rendered and maybe applied.
#[derive(Debug, Clone)]
pub struct Provision {
    /// The spec (a file, or `-` for standard input).
    pub spec: PathBuf,
    /// Check and tell, write nothing.
    pub dry_run: bool,
    /// Render into this directory [default: `out/` of the site].
    pub out: Option<PathBuf>,
    /// Apply on this host after rendering.
    pub apply: bool,
    /// The router's UCI configs (OpenWrt).
    pub uci_dir: PathBuf,
    /// Where wg-quick configs live (Linux, with `apply`).
    pub wg_dir: PathBuf,
}

/// What a provisioning run did.
#[derive(Debug)]
pub struct Provisioned {
    /// What changed in the site; `changed` also when the host changed.
    pub synced: Synced,
    /// Where it was rendered (or would be).
    pub rendered: PathBuf,
    /// Whether it was applied on this host.
    pub applied: bool,
    /// Whether applying changed the host.
    pub host_changed: bool,
    /// What render and apply said.
    pub notices: Notices,
}

/// Reads the spec, converges the site to it, renders it and, when asked,
/// applies it; what apply does as it goes comes through `report`.
pub fn provision(
    dir: &SiteDir,
    req: &Provision,
    templates: &Templates,
    report: &mut dyn FnMut(Event),
) -> Result<Provisioned> {
    let spec = read_spec(&req.spec)?;
    let mut synced = sync(dir, &spec, req.dry_run)?;
    let rendered = req.out.clone().unwrap_or_else(|| default_out(dir));
    let mut done = Provisioned {
        synced: Synced::default(),
        rendered,
        applied: false,
        host_changed: false,
        notices: Notices::default(),
    };
    if !req.dry_run {
        let r = render::render(
            dir,
            &RenderRequest {
                out: done.rendered.clone(),
                target: None,
                firewall: None,
                peer_files: PeerFiles::All,
                uci_dir: req.uci_dir.clone(),
                nvram_budget: None,
                progress: None,
                on_file: None,
            },
            templates,
        )?;
        done.notices.extend(r.notices);
        if req.apply {
            let a = apply::apply(
                dir,
                &ApplyRequest {
                    dry_run: false,
                    firewall: None,
                    wg_dir: req.wg_dir.clone(),
                    uci_dir: req.uci_dir.clone(),
                },
                templates,
                report,
            )?;
            done.notices.extend(a.notices);
            done.applied = true;
            done.host_changed = a.changed;
            synced.changed |= a.changed;
        }
    }
    done.synced = synced;
    Ok(done)
}
