//! The site itself: create one, change its settings.

use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::{Ipv4Net, Ipv6Net};

use super::adopt::{self, AdoptFormat};
use super::camera::NewCamera;
use super::peer::{NewPeer, PeerSettings, admit, stage_keys};
use super::{Change, Notices};
use crate::audit::{self, Format};
use crate::error::{Error, Result};
use crate::host::routes;
use crate::model::endpoint::Endpoint;
use crate::model::interface::InterfaceName;
use crate::model::keys::PrivateKey;
use crate::model::name::{CameraName, PeerName};
use crate::model::peer::Access;
use crate::model::port::{PortSpec, Proto};
use crate::model::relay::Relay;
use crate::model::site::{DEFAULT_PORT, Firewall, Platform, Site, check_mtu};
use crate::model::vendor::Catalog;
use crate::store::{Batch, RelaySecrets, SECRET_DIR, SECRET_FILE, SiteDir, line};
use crate::targets::context::Context;

/// A site to create.
#[derive(Debug, Clone)]
pub struct NewSite {
    /// The router platform.
    pub platform: Platform,
    /// The WireGuard interface.
    pub interface: InterfaceName,
    /// Where phones reach the router.
    pub endpoint: Endpoint,
    /// The UDP port WireGuard listens on; `None`: 51820, or the next one
    /// free of the tunnels a DD-WRT dump of `import_forwards` has.
    pub listen_port: Option<u16>,
    /// The tunnel subnet.
    pub subnet: Ipv4Net,
    /// An IPv6 tunnel prefix.
    pub subnet6: Option<Ipv6Net>,
    /// The cameras' LAN.
    pub lan: Ipv4Net,
    /// The LAN's IPv6 prefix.
    pub lan6: Option<Ipv6Net>,
    /// The WAN interface; `None`: the platform's default (see [`create`]).
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface; `None`: the platform's default.
    pub lan_if: Option<InterfaceName>,
    /// DNS servers for peers.
    pub dns: Vec<IpAddr>,
    /// Tunnel MTU.
    pub mtu: Option<u16>,
    /// PersistentKeepalive for peers (0: off).
    pub keepalive: Option<u16>,
    /// Firewall backend for `apply` on Linux.
    pub firewall: Firewall,
    /// May cameras reach the internet.
    pub camera_internet: bool,
    /// Log drops.
    pub log_drops: bool,
    /// Cameras.
    pub cameras: Vec<NewCamera>,
    /// Peers, each with every camera.
    pub peers: Vec<PeerName>,
    /// A router config whose camera forwards become cameras, and its format
    /// (`None`: detected).
    pub import_forwards: Option<(PathBuf, Option<Format>)>,
    /// A WireGuard setup to take over, keys and addresses kept, and its
    /// format (`None`: told from the file).
    pub adopt: Option<(PathBuf, Option<AdoptFormat>)>,
    /// A relay phones dial instead of the router (carrier-grade NAT).
    pub relay: Option<Endpoint>,
    /// Peers with the cameras each may reach (after `peers`).
    pub peer_access: Vec<(PeerName, Access)>,
    /// Replace an existing site.
    pub force: bool,
    /// Check everything, write nothing.
    pub dry_run: bool,
}

/// A site created.
pub struct Created {
    /// The site as written.
    pub site: Site,
    /// Its peers, with their secrets.
    pub peers: Vec<NewPeer>,
    /// What was picked or imported.
    pub notices: Notices,
}

/// Creates a site: the router's key, cameras, peers. Refuses an existing
/// site unless `force`, which replaces it with new keys everywhere.
pub fn create(dir: &SiteDir, req: NewSite) -> Result<Created> {
    let mut notices = Notices::default();
    let existing = match &req.adopt {
        Some((path, format)) => {
            let text = fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            Some((path.clone(), adopt::read(path, &text, *format)?))
        }
        None => None,
    };
    let (wan_if, lan_if) = interfaces(
        req.platform,
        req.wan_if.as_ref(),
        req.lan_if.as_ref(),
        req.lan,
        &mut notices,
    );
    let mut server = PrivateKey::generate();
    // The adopted interface keeps its name where the platform names it.
    let interface = existing
        .as_ref()
        .filter(|_| req.platform != Platform::Ddwrt)
        .and_then(|(_, e)| e.interface.as_deref()?.parse().ok())
        .unwrap_or(req.interface);
    let mut site = Site {
        platform: req.platform,
        interface,
        endpoint: req.endpoint,
        listen_port: req.listen_port.unwrap_or(DEFAULT_PORT),
        subnet: req.subnet,
        subnet6: req.subnet6,
        lan: req.lan,
        lan6: req.lan6,
        wan_if,
        lan_if,
        dns: req.dns,
        mtu: req.mtu,
        keepalive: req.keepalive.filter(|k| *k > 0),
        firewall: req.firewall,
        camera_internet: req.camera_internet,
        camera_ntp: true,
        log_drops: req.log_drops,
        router_access: Vec::new(),
        server_public_key: server.public_key(),
        relay: None,
        cameras: Vec::new(),
        peers: Vec::new(),
    };
    let relay_keys = req.relay.map(|e| new_relay(&mut site, e));
    // Everything is checked before the first write.
    site.validate().map_err(Error::from)?;
    for c in req.cameras {
        c.add_to(&mut site)?;
    }
    if let Some((path, format)) = &req.import_forwards {
        import_cameras(&mut site, path, *format, &mut notices)?;
        if site.platform == Platform::Ddwrt && req.adopt.is_none() {
            dodge_tunnels(&mut site, path, req.listen_port.is_some(), &mut notices)?;
        }
    }
    site.validate().map_err(Error::from)?;
    let mut peers = Vec::new();
    if let Some((path, e)) = existing {
        let adopted = adopt::adopt(&mut site, e, &path, &mut notices)?;
        server = adopted.server;
        peers = adopted.peers;
        site.validate().map_err(Error::from)?;
    }
    peers.extend(admit(
        &mut site,
        req.peers,
        &PeerSettings::default(),
        None,
        None,
    )?);
    for (name, cameras) in req.peer_access {
        let settings = PeerSettings {
            cameras,
            ..PeerSettings::default()
        };
        peers.extend(admit(&mut site, vec![name], &settings, None, None)?);
    }
    if site.platform == Platform::Linux
        && let Some(wan) = crate::host::nat::unreachable_wan(&site)
    {
        notices.warn(wan.advice(&site));
    }
    if req.dry_run {
        return Ok(Created {
            site,
            peers,
            notices,
        });
    }
    write_new(
        dir,
        &site,
        &server,
        relay_keys.as_ref(),
        &peers,
        req.force,
        &mut notices,
    )?;
    Ok(Created {
        site,
        peers,
        notices,
    })
}

/// Writes a new site: the router's key, the peers' keys, then `site.toml`.
/// Refuses an existing site unless `force`, which replaces it and removes
/// the keys of its peers.
pub(super) fn write_new(
    dir: &SiteDir,
    site: &Site,
    server: &PrivateKey,
    relay: Option<&RelaySecrets>,
    peers: &[NewPeer],
    force: bool,
    notices: &mut Notices,
) -> Result<()> {
    if dir.exists() && !force {
        return Err(exists(dir));
    }

    let _lock = dir.lock(true)?;
    if dir.exists() && !force {
        return Err(exists(dir));
    }
    let mut batch = Batch::new();
    batch.dir(dir.keys_dir(), SECRET_DIR)?;
    batch.write(
        dir.server_key_file(),
        line(&server.to_base64()),
        SECRET_FILE,
    )?;
    stage_keys(dir, &mut batch, peers)?;
    if let Some(keys) = relay {
        dir.stage_relay_keys(&mut batch, keys)?;
    }
    dir.stage_site(&mut batch, site)?;
    if force {
        // Keys of peers of the replaced site must not outlive it.
        let written: Vec<_> = batch.paths().map(ToOwned::to_owned).collect();
        if let Ok(entries) = fs::read_dir(dir.keys_dir()) {
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
                let ours = (name.starts_with("peer-") || name.starts_with("relay"))
                    && (ext == "key" || ext == "psk");
                if ours && !written.contains(&path) {
                    batch.remove(path);
                }
            }
        }
    }
    batch.commit()?;
    if let Some(w) = site.endpoint_warning() {
        notices.warn(w);
    }
    notices.note(format!(
        "created the {} site in {}: router {} on {}, {} camera(s), {} peer(s)",
        site.platform,
        dir.root().display(),
        site.server_address(),
        site.endpoint.with_port(site.listen_port),
        site.cameras.len(),
        site.peers.len()
    ));
    Ok(())
}

fn exists(dir: &SiteDir) -> Error {
    Error::Conflict(format!(
        "a site already exists in {}; use --force to replace it (its keys go with it), or --dir for another site",
        dir.root().display()
    ))
}

/// The WAN and LAN interfaces: the request's, else the platform's defaults.
/// On Linux the defaults come from this host's routing table (init usually
/// runs on the router itself), and a note says what was picked.
pub(super) fn interfaces(
    platform: Platform,
    wan_if: Option<&InterfaceName>,
    lan_if: Option<&InterfaceName>,
    lan: Ipv4Net,
    notices: &mut Notices,
) -> (Option<InterfaceName>, InterfaceName) {
    let name = |s: &str| -> InterfaceName { s.parse().expect("valid default") };
    match platform {
        Platform::Openwrt => (
            Some(wan_if.cloned().unwrap_or_else(|| name("wan"))),
            lan_if.cloned().unwrap_or_else(|| name("lan")),
        ),
        Platform::Ddwrt => (
            wan_if.cloned(),
            lan_if.cloned().unwrap_or_else(|| name("br0")),
        ),
        Platform::Linux => {
            let table = routes::read();
            let mut pick = |given: Option<&InterfaceName>,
                            role: &str,
                            net: Ipv4Net,
                            found: &str,
                            fallback: &str,
                            missing: &str,
                            flag: &str| {
                given.cloned().unwrap_or_else(|| {
                    let (i, how) = match routes::route_iface(&table, net) {
                        Some(i) => (i, found),
                        None => (name(fallback), missing),
                    };
                    notices.note(format!(
                        "{role} interface: {i} ({how}; set {flag} if the router differs)"
                    ));
                    i
                })
            };
            let wan = pick(
                wan_if,
                "wan",
                "0.0.0.0/0".parse().expect("valid"),
                "the interface of this host's default route",
                "eth0",
                "no default route found",
                "--wan-if",
            );
            let lan = pick(
                lan_if,
                "lan",
                lan,
                "this host's route to the LAN",
                "eth1",
                "no route to the LAN found",
                "--lan-if",
            );
            (Some(wan), lan)
        }
    }
}

/// Turns the hosts that `path` forwards camera ports to into cameras. Their
/// forwarded ports become their ports: that is what the owner used.
/// The UDP ports of the enabled WireGuard tunnels in a DD-WRT dump at
/// `path` (none when it is not one), with their names.
fn tunnel_ports(path: &Path) -> Result<Vec<(String, u16)>> {
    let text = fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    let d = crate::formats::nvram::parse(&text);
    let n: u32 = d
        .get("oet_tunnels")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Ok((1..=n.min(64))
        .filter(|t| {
            d.get(&format!("oet{t}_en")) == Some("1")
                && d.get(&format!("oet{t}_proto")) == Some("2")
        })
        .filter_map(|t| {
            Some((
                format!("oet{t}"),
                d.get(&format!("oet{t}_port"))?.parse().ok()?,
            ))
        })
        .collect())
}

/// Issue 33: a tunnel of the router's own (an office link) holds its UDP
/// port, and camvpn's tunnel would not start beside it on the same one: a
/// port given with --listen-port is refused, the default moves to the next
/// free one, and either way the other tunnels are named, as they lose the
/// cameras.
fn dodge_tunnels(site: &mut Site, path: &Path, given: bool, notices: &mut Notices) -> Result<()> {
    let taken = tunnel_ports(path)?;
    if taken.is_empty() {
        return Ok(());
    }
    let holder = |port: u16| {
        taken
            .iter()
            .find(|(_, p)| *p == port)
            .map(|(n, _)| n.as_str())
    };
    let relay = site.relay.as_ref().map(Relay::tunnel_port);
    if let Some(name) = holder(site.listen_port) {
        if given {
            return Err(Error::Conflict(format!(
                "--listen-port {}: the router's WireGuard tunnel {name} in {} uses UDP {} already; give camvpn another --listen-port",
                site.listen_port,
                path.display(),
                site.listen_port
            )));
        }
        let free = (site.listen_port..=u16::MAX)
            .find(|p| holder(*p).is_none() && Some(*p) != relay)
            .ok_or_else(|| Error::Conflict("no free UDP port for WireGuard".into()))?;
        notices.note(format!(
            "the router's WireGuard tunnel {name} uses UDP {}: camvpn's listens on {free} (--listen-port to choose)",
            site.listen_port
        ));
        site.listen_port = free;
    }
    let names: Vec<&str> = taken.iter().map(|(n, _)| n.as_str()).collect();
    notices.warn(format!(
        "only the LAN and camvpn's tunnel reach the cameras: the router's other WireGuard tunnels ({}) lose access to them",
        names.join(", ")
    ));
    Ok(())
}

fn import_cameras(
    site: &mut Site,
    path: &Path,
    format: Option<Format>,
    notices: &mut Notices,
) -> Result<()> {
    let parsed = super::audit::read(path, format, false)?;
    let report = audit::analyze(&[parsed], None);
    let hosts = audit::camera_hosts(&report);
    if hosts.is_empty() {
        notices.warn(format!(
            "{} forwards no camera ports; no camera imported",
            path.display()
        ));
    }
    for (ip, findings) in hosts {
        let IpAddr::V4(ip4) = ip else {
            notices.warn(format!(
                "{ip} is IPv6 only; add it with: camvpn camera add NAME --ip IPV4 --ip6 {ip}"
            ));
            continue;
        };
        if site.cameras.iter().any(|c| c.ip == ip4) {
            continue;
        }
        if !site.is_lan_host(ip4) {
            notices.warn(format!(
                "{ip} is not a host of the LAN {}: not imported; give the site that LAN with init --lan",
                site.lan
            ));
            continue;
        }
        let mut ports: Vec<PortSpec> = Vec::new();
        for f in &findings {
            let Some(range) = f.forward.host_ports() else {
                notices.warn(format!(
                    "{ip} receives every port; give its ports with camera set --port"
                ));
                continue;
            };
            if range.end - range.start >= audit::NARROW_RANGE {
                notices.warn(format!("{ip}: the range {range} is too wide to import; add its ports with camera set --port"));
                continue;
            }
            for port in range.start..=range.end {
                for proto in [Proto::Tcp, Proto::Udp] {
                    let spec = PortSpec { port, proto };
                    if f.forward.proto.covers(proto) && !ports.contains(&spec) {
                        ports.push(spec);
                    }
                }
            }
        }
        if ports.is_empty() {
            continue;
        }
        let vendor = guess_vendor(&ports);
        let last = ip4.octets()[3];
        let mut name: CameraName = format!("cam-{last}").parse().expect("valid");
        let mut n = 2;
        while site.check_new_camera_name(&name).is_err() {
            name = format!("cam-{last}-{n}").parse().expect("valid");
            n += 1;
        }
        let listed: Vec<String> = ports.iter().map(ToString::to_string).collect();
        notices.note(format!(
            "imported camera {name} {ip4} ({vendor}: {}) from {}",
            listed.join(" "),
            findings
                .iter()
                .map(|f| format!("{}:{}", f.forward.file, f.forward.line))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        NewCamera {
            ports,
            ..NewCamera::new(name, ip4, vendor)
        }
        .add_to(site)?;
    }
    Ok(())
}

/// The one vendor that knows every forwarded port it could know, else generic.
fn guess_vendor(ports: &[PortSpec]) -> String {
    let catalog = Catalog::get();
    let known: Vec<PortSpec> = ports
        .iter()
        .copied()
        .filter(|p| {
            catalog
                .vendors
                .iter()
                .any(|v| v.name != "generic" && v.known(*p).is_some())
        })
        .collect();
    let fits: Vec<&str> = catalog
        .vendors
        .iter()
        .filter(|v| {
            v.name != "generic" && !known.is_empty() && known.iter().all(|p| v.known(*p).is_some())
        })
        .map(|v| v.name.as_str())
        .collect();
    // Several fit: the one whose port there is its own protocol, not a
    // standard one others speak too (8000 alone is Hikvision's SDK, not
    // Reolink's ONVIF).
    let own = |name: &str| {
        catalog
            .vendors
            .iter()
            .find(|v| v.name == name)
            .is_some_and(|v| {
                known.iter().any(|p| {
                    v.known(*p).is_some_and(|k| {
                        !["web", "https", "rtsp", "onvif"].contains(&k.service.as_str())
                    })
                })
            })
    };
    match fits[..] {
        [one] => one.to_owned(),
        _ => match fits.iter().filter(|v| own(v)).collect::<Vec<_>>()[..] {
            [one] => (*one).to_owned(),
            _ => "generic".to_owned(),
        },
    }
}

/// A change to the site's settings; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteChange {
    /// Where phones reach the router.
    pub endpoint: Option<Endpoint>,
    /// The UDP port WireGuard listens on.
    pub listen_port: Option<u16>,
    /// The WAN interface.
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface.
    pub lan_if: Option<InterfaceName>,
    /// The LAN's IPv6 prefix.
    pub lan6: Change<Ipv6Net>,
    /// DNS servers for peers (empty: none).
    pub dns: Option<Vec<IpAddr>>,
    /// Tunnel MTU (0: camvpn's default, 1280).
    pub mtu: Option<u16>,
    /// PersistentKeepalive (0: off).
    pub keepalive: Option<u16>,
    /// Firewall backend.
    pub firewall: Option<Firewall>,
    /// May cameras reach the internet.
    pub camera_internet: Option<bool>,
    /// May cameras reach NTP servers on the internet.
    pub camera_ntp: Option<bool>,
    /// Log drops.
    pub log_drops: Option<bool>,
    /// The router's own services peers may reach.
    pub router_access: Option<Vec<PortSpec>>,
    /// The relay phones dial (Reset: none, they dial the endpoint).
    pub relay: Change<Endpoint>,
}

/// Changes the relay of `site` in memory, staging its key files in
/// `batch`: a new relay gets new keys, another endpoint keeps them, `Reset`
/// removes them. Returns whether phones dial elsewhere now.
pub(super) fn change_relay(
    dir: &SiteDir,
    batch: &mut Batch,
    site: &mut Site,
    change: Change<Endpoint>,
) -> Result<bool> {
    Ok(match change {
        Change::Keep => false,
        Change::Set(e) => match &mut site.relay {
            Some(r) => {
                let moved = r.endpoint != e;
                r.endpoint = e;
                moved
            }
            None => {
                let keys = new_relay(site, e);
                dir.stage_relay_keys(batch, &keys)?;
                true
            }
        },
        Change::Reset => {
            let had = site.relay.take().is_some();
            if had {
                batch.remove(dir.relay_key_file());
                batch.remove(dir.relay_router_key_file());
            }
            had
        }
    })
}

/// Gives `site` a relay at `endpoint` with new keys for the relay tunnel.
fn new_relay(site: &mut Site, endpoint: Endpoint) -> RelaySecrets {
    let keys = RelaySecrets {
        relay: PrivateKey::generate(),
        router: PrivateKey::generate(),
    };
    site.relay = Some(Relay {
        endpoint,
        public_key: keys.relay.public_key(),
        router_public_key: keys.router.public_key(),
    });
    keys
}

/// Changes the site's settings. A new relay gets new keys for its tunnel;
/// `relay off` removes them.
pub fn set(dir: &SiteDir, change: SiteChange) -> Result<Notices> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    let before = site.clone();
    let mut batch = Batch::new();
    change_relay(dir, &mut batch, &mut site, change.relay)?;
    if let Some(e) = change.endpoint {
        site.endpoint = e;
    }
    if let Some(p) = change.listen_port {
        site.listen_port = p;
    }
    if let Some(w) = change.wan_if {
        site.wan_if = Some(w);
    }
    if let Some(l) = change.lan_if {
        site.lan_if = l;
    }
    change.lan6.apply(&mut site.lan6);
    if let Some(dns) = change.dns {
        site.dns = dns;
    }
    if let Some(m) = change.mtu {
        if m != 0 {
            check_mtu(m)?;
        }
        site.mtu = (m != 0).then_some(m);
    }
    if let Some(k) = change.keepalive {
        site.keepalive = (k != 0).then_some(k);
    }
    if let Some(f) = change.firewall {
        site.firewall = f;
    }
    if let Some(c) = change.camera_internet {
        site.camera_internet = c;
    }
    if let Some(n) = change.camera_ntp {
        site.camera_ntp = n;
    }
    if let Some(l) = change.log_drops {
        site.log_drops = l;
    }
    if let Some(r) = change.router_access {
        site.router_access = r;
    }
    site.validate().map_err(Error::from)?;
    let mut notices = Notices::default();
    if site == before {
        notices.note("nothing changed: the site has these settings already");
        return Ok(notices);
    }
    dir.stage_site(&mut batch, &site)?;
    batch.commit()?;
    if let Some(w) = site.endpoint_warning() {
        notices.warn(w);
    }
    if phones_see(&before) != phones_see(&site) {
        notices.note("peer configs changed: render again and re-import them on the phones");
    }
    notices.note(format!(
        "updated the site; {} to use it",
        site.platform.to_take_effect()
    ));
    Ok(notices)
}

/// What of the site the phones' configs hold: the endpoint they dial, and
/// each peer's routes, DNS, MTU and keepalive.
fn phones_see(site: &Site) -> serde_json::Value {
    let ctx = Context::new(site, None);
    let peers: Vec<_> = ctx
        .peers
        .iter()
        .map(|p| (&p.allowed_ips, &p.dns, p.mtu, p.keepalive))
        .collect();
    serde_json::json!({ "endpoint": ctx.server.endpoint, "peers": peers })
}
