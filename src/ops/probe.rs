//! `probe`: does the site answer where it must not? From outside (the
//! camera ports of the site's public address), and through the tunnel as
//! one peer (exactly the policy).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::audit::Format;
use crate::error::{Error, Result};
use crate::host::nat;
use crate::model::name::PeerName;
use crate::model::net::unreachable_kind;
use crate::model::port::{PortSpec, Proto};
use crate::model::vendor::Catalog;
use crate::probe::{self, Answer};
use crate::store::SiteDir;
use crate::targets::context::Context;
use crate::targets::exported::Exported;

/// The ports the port-forwarding guides installers follow use.
const GUIDE_PORTS: &[u16] = &[
    80, 443, 554, 8000, 8080, 8081, 8200, 8201, 34567, 37777, 37778,
];

/// Ports of one forward's range that are probed at most.
const RANGE_LIMIT: u16 = 32;

/// What to probe from outside.
#[derive(Debug, Clone)]
pub struct Outside {
    /// The host; the site's endpoint when `None`.
    pub host: Option<String>,
    /// Router configs (anything `audit` reads) whose forwards' external
    /// ports are probed too.
    pub from: Vec<(PathBuf, Option<Format>)>,
    /// More ports (moved ones).
    pub ports: Vec<PortSpec>,
    /// How long one port may take.
    pub timeout: Duration,
}

/// One port's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `554/tcp`.
    pub port: PortSpec,
    /// What uses it, for people.
    pub uses: String,
    /// What it said.
    pub answer: Answer,
}

/// What the outside probe found.
#[derive(Debug, Clone, Serialize)]
pub struct OutsideReport {
    /// The host as given.
    pub host: String,
    /// The address probed.
    pub ip: IpAddr,
    /// Every port, in port order.
    pub ports: Vec<Row>,
    /// Whether any camera port answers.
    pub exposed: bool,
    /// Why the address cannot stand for the internet's view: carrier-grade
    /// NAT or private space, reachable from nowhere else.
    pub unreachable: Option<String>,
}

/// What uses each port, from the presets and the scanners' list.
fn uses() -> BTreeMap<PortSpec, String> {
    let catalog = Catalog::get();
    let mut by: BTreeMap<PortSpec, Vec<String>> = BTreeMap::new();
    for v in &catalog.vendors {
        for k in &v.ports {
            by.entry(k.port)
                .or_default()
                .push(format!("{} {}", v.name, k.service));
        }
    }
    for s in &catalog.scanner_ports {
        by.entry(s.port).or_default().insert(0, s.what.clone());
    }
    by.into_iter()
        .map(|(p, mut u)| {
            u.dedup();
            let more = u.len().saturating_sub(4);
            u.truncate(4);
            let s = u.join(", ");
            (
                p,
                if more > 0 {
                    format!("{s} (+{more})")
                } else {
                    s
                },
            )
        })
        .collect()
}

/// Probes the site's public address (or `req.host`) from here.
pub fn outside(dir: &SiteDir, req: &Outside) -> Result<OutsideReport> {
    let site = if dir.exists() {
        let _lock = dir.lock_shared()?;
        Some(dir.load()?)
    } else {
        None
    };
    let host = match (&req.host, &site) {
        (Some(h), _) => h.clone(),
        (None, Some(s)) => s.endpoint.host.to_string(),
        (None, None) => {
            return Err(Error::Conflict(format!(
                "give the HOST to probe: there is no site in {} to take its endpoint from",
                dir.root().display()
            )));
        }
    };
    let ip = probe::resolve(&host)?;
    let in_lan = match (ip, &site) {
        (IpAddr::V4(a), Some(s)) => s.lan.contains(&a),
        _ => false,
    };
    let what = if in_lan {
        Some("in the site's LAN")
    } else if nat::is_own_address(ip) {
        Some("an address of this host")
    } else {
        None
    };
    if let Some(what) = what {
        return Err(Error::Conflict(format!(
            "{host} ({ip}) is {what}: packets from here never pass the router's port forwards, so a probe from here cannot tell what the internet reaches; run this from another network, e.g. a phone's hotspot"
        )));
    }
    let mut ports: BTreeSet<PortSpec> = req.ports.iter().copied().collect();
    for p in GUIDE_PORTS {
        ports.insert(PortSpec {
            port: *p,
            proto: Proto::Tcp,
        });
    }
    let catalog = Catalog::get();
    ports.extend(
        catalog
            .vendors
            .iter()
            .flat_map(|v| v.ports.iter().map(|k| k.port)),
    );
    ports.extend(catalog.scanner_ports.iter().map(|s| s.port));
    if let Some(s) = &site {
        ports.extend(
            s.cameras
                .iter()
                .flat_map(crate::model::camera::Camera::ports),
        );
    }
    for (path, format) in &req.from {
        let parsed = super::audit::read(path, *format, false)?;
        for f in parsed.forwards.iter().filter(|f| f.enabled) {
            let Some(r) = f.external else { continue };
            for port in r.start..=r.end.min(r.start.saturating_add(RANGE_LIMIT - 1)) {
                for proto in [Proto::Tcp, Proto::Udp] {
                    if f.proto.covers(proto) {
                        ports.insert(PortSpec { port, proto });
                    }
                }
            }
        }
    }
    let ports: Vec<PortSpec> = ports.into_iter().collect();
    let answers = probe::ask_all(ip, &ports, req.timeout);
    let uses = uses();
    let rows: Vec<Row> = ports
        .iter()
        .zip(answers)
        .map(|(p, answer)| Row {
            port: *p,
            uses: uses.get(p).cloned().unwrap_or_else(|| {
                "in port-forwarding guides, forwarded (--from) or given (--port)".into()
            }),
            answer,
        })
        .collect();
    let unreachable = unreachable_kind(ip).map(|what| {
        format!(
            "{host} is {ip}, a {what} address that the internet cannot reach: probe from outside says nothing about it; behind carrier-grade NAT phones need a relay (camvpn site set --relay HOST)"
        )
    });
    Ok(OutsideReport {
        unreachable,
        host,
        ip,
        exposed: rows.iter().any(|r| r.answer == Answer::Open),
        ports: rows,
    })
}

/// One (address, port) probed through the tunnel, with what the policy says.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    /// The camera's name, or `router`.
    pub target: String,
    /// Its address.
    pub ip: IpAddr,
    /// The port.
    pub port: PortSpec,
    /// Whether the policy lets the peer use it.
    pub allowed: bool,
    /// What it said.
    pub answer: Answer,
    /// `None` when answer and policy agree; else what is wrong.
    pub mismatch: Option<String>,
}

/// What `probe --as` found.
#[derive(Debug, Clone, Serialize)]
pub struct TunnelReport {
    /// The peer.
    pub peer: String,
    /// Its tunnel address.
    pub address: String,
    /// Every check.
    pub checks: Vec<Check>,
}

impl TunnelReport {
    /// The checks where the site differs from its policy.
    pub fn mismatches(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.mismatch.is_some())
    }
}

/// The site as `export` prints it: from `file`, or from the site directory
/// (its context, read back as the export it prints).
fn exported(dir: &SiteDir, file: Option<&PathBuf>) -> Result<Exported> {
    let Some(path) = file else {
        let _lock = dir.lock_shared()?;
        let site = dir.load()?;
        let ctx = serde_json::to_value(Context::new(&site, None)).expect("serializable");
        return Ok(Exported::from_value(ctx));
    };
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    Exported::from_json(&text, path)
}

/// The router's admin ports `probe --as` asks on its LAN and tunnel
/// addresses: SSH, telnet, its web pages.
pub const ROUTER_ADMIN_PORTS: [u16; 5] = [22, 23, 80, 443, 8080];

/// Probes every camera port of the site through the tunnel as `peer`, and
/// the router's own LAN and tunnel addresses on camera and admin ports, and
/// compares the answers with the policy.
pub fn as_peer(
    dir: &SiteDir,
    peer: &PeerName,
    site_file: Option<&PathBuf>,
    timeout: Duration,
) -> Result<TunnelReport> {
    let v = exported(dir, site_file)?;
    let Some(me) = v.peers.iter().find(|p| p.name == *peer) else {
        let known: Vec<&str> = v.peers.iter().map(|p| p.name.as_str()).collect();
        return Err(Error::Conflict(format!(
            "peer '{peer}' is not in the site (known: {})",
            known.join(", ")
        )));
    };
    let address = IpAddr::V4(me.address);
    let allowed: BTreeSet<(IpAddr, u16, Proto)> = v
        .policy
        .v4
        .access
        .iter()
        .filter(|g| g.peer_ip == address)
        .map(|g| (g.camera_ip, g.port, g.proto))
        .collect();
    // TCP only: through the tunnel, silence from a UDP port says nothing.
    let mut targets: Vec<(String, IpAddr, PortSpec, bool)> = Vec::new();
    let mut camera_ports: BTreeSet<PortSpec> = BTreeSet::new();
    for c in &v.cameras {
        let ip = IpAddr::V4(c.ip);
        for port in c.ports.iter().map(|p| p.spec) {
            if port.proto != Proto::Tcp {
                continue;
            }
            camera_ports.insert(port);
            let ok = allowed.contains(&(ip, port.port, Proto::Tcp));
            targets.push((c.name.to_string(), ip, port, ok));
        }
    }
    // The router itself, on its LAN address (the LAN's first host) and its
    // tunnel address: camera ports and the usual admin ports answer only
    // where the site opens them (site set --router-access).
    let opened: BTreeSet<PortSpec> = v
        .site
        .router_access
        .iter()
        .filter(|p| p.proto == Proto::Tcp)
        .copied()
        .collect();
    let mut router_ports = camera_ports.clone();
    router_ports.extend(ROUTER_ADMIN_PORTS.map(|port| PortSpec {
        port,
        proto: Proto::Tcp,
    }));
    router_ports.extend(opened.iter().copied());
    let lan = v.site.lan.hosts().next();
    let tunnel = v.site.subnet.hosts().next();
    for (what, ip) in [("router", lan), ("router (tunnel)", tunnel)] {
        let Some(ip) = ip else { continue };
        for port in &router_ports {
            let ok = opened.contains(port);
            targets.push((what.into(), IpAddr::V4(ip), *port, ok));
        }
    }
    let mut checks = Vec::with_capacity(targets.len());
    // One address at a time, its ports in parallel.
    let mut i = 0;
    while i < targets.len() {
        let ip = targets[i].1;
        let j = targets[i..]
            .iter()
            .position(|t| t.1 != ip)
            .map_or(targets.len(), |n| i + n);
        let ports: Vec<PortSpec> = targets[i..j].iter().map(|t| t.2).collect();
        for ((target, ip, port, allowed), answer) in targets[i..j]
            .iter()
            .cloned()
            .zip(probe::ask_all(ip, &ports, timeout))
        {
            let mismatch = match (allowed, answer) {
                (true, Answer::NoAnswer) => {
                    Some("the policy allows it, but nothing answers: blocked on the way".to_owned())
                }
                (false, Answer::Open) => {
                    Some("the policy does not allow it, but it answers".to_owned())
                }
                _ => None,
            };
            checks.push(Check {
                target,
                ip,
                port,
                allowed,
                answer,
                mismatch,
            });
        }
        i = j;
    }
    Ok(TunnelReport {
        peer: peer.to_string(),
        address: address.to_string(),
        checks,
    })
}
