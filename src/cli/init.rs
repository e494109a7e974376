//! `camvpn init`.

use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use anyhow::Result;
use camvpn::audit::{self, Format};
use camvpn::camera::Camera;
use camvpn::error::Error;
use camvpn::interface::InterfaceName;
use camvpn::keys::{PresharedKey, PrivateKey};
use camvpn::name::CameraName;
use camvpn::peer::{Access, Peer};
use camvpn::port::{PortSpec, Proto};
use camvpn::site::{Firewall, Platform, Site};
use camvpn::store::{Batch, SECRET_DIR, SECRET_FILE, SiteDir, line};
use camvpn::vendor::Catalog;
use ipnet::Ipv4Net;

use super::args::{FirewallArg, InitArgs};
use super::peer::{NewPeer, ShowQr, print_added};
use super::{Out, Outcome};

impl From<FirewallArg> for Firewall {
    fn from(f: FirewallArg) -> Self {
        match f {
            FirewallArg::Nft => Firewall::Nft,
            FirewallArg::Iptables => Firewall::Iptables,
        }
    }
}

pub fn run(dir: &SiteDir, a: InitArgs, out: &Out) -> Result<Outcome> {
    let (wan_if, lan_if) = interfaces(&a, out);
    let server = PrivateKey::generate();
    let mut site = Site {
        platform: a.platform,
        interface: a.interface,
        endpoint: a.endpoint,
        listen_port: a.listen_port,
        subnet: a.subnet,
        subnet6: a.subnet6,
        lan: a.lan,
        wan_if,
        lan_if,
        dns: a.dns,
        mtu: a.mtu,
        keepalive: a.keepalive.filter(|k| *k > 0),
        firewall: a.firewall.into(),
        camera_internet: a.camera_internet,
        log_drops: a.log_drops,
        server_public_key: server.public_key(),
        cameras: Vec::new(),
        peers: Vec::new(),
    };
    // Everything is checked before the first write.
    site.validate().map_err(Error::from)?;
    for c in a.cameras {
        site.check_new_camera_name(&c.name)?;
        site.cameras.push(Camera {
            name: c.name,
            ip: c.ip,
            ip6: None,
            vendor: c.vendor,
            ports: None,
            internet: false,
        });
    }
    if let Some(path) = &a.import_forwards {
        import_cameras(&mut site, path, a.import_format.format(), out)?;
    }
    site.validate().map_err(Error::from)?;
    let mut admission = site.admission();
    let mut new_peers = Vec::new();
    for name in a.peers {
        let key = PrivateKey::generate();
        let public_key = key.public_key();
        let (address, address6) = admission.admit(&name, public_key)?;
        site.peers.push(Peer {
            name: name.clone(),
            address,
            address6,
            public_key,
            own_key: false,
            cameras: Access::All,
            only: None,
            full_tunnel: false,
            dns: None,
            mtu: None,
            keepalive: None,
        });
        new_peers.push(NewPeer {
            name,
            private: Some(key),
            psk: PresharedKey::generate(),
        });
    }
    site.validate().map_err(Error::from)?;
    if dir.exists() && !a.force {
        return Err(exists(dir).into());
    }

    let _lock = dir.lock(true)?;
    if dir.exists() && !a.force {
        return Err(exists(dir).into());
    }
    let mut batch = Batch::new();
    batch.dir(dir.keys_dir(), SECRET_DIR)?;
    batch.write(
        dir.server_key_file(),
        line(&server.to_base64()),
        SECRET_FILE,
    )?;
    for p in &new_peers {
        dir.stage_peer_keys(&mut batch, &p.name, p.private.as_ref(), &p.psk)?;
    }
    dir.stage_site(&mut batch, &site)?;
    if a.force {
        // Keys of peers of the replaced site must not outlive it.
        let written: Vec<_> = batch.paths().map(ToOwned::to_owned).collect();
        if let Ok(entries) = fs::read_dir(dir.keys_dir()) {
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
                let ours = name.starts_with("peer-") && (ext == "key" || ext == "psk");
                if ours && !written.contains(&path) {
                    batch.remove(path);
                }
            }
        }
    }
    batch.commit()?;
    out.note(format!(
        "created the {} site in {}: router {} on {}, {} camera(s), {} peer(s)",
        site.platform,
        dir.root().display(),
        site.server_address(),
        site.endpoint.with_port(site.listen_port),
        site.cameras.len(),
        site.peers.len()
    ));
    print_added(dir, &site, &new_peers, ShowQr::OnTerminal, out)?;
    Ok(Outcome::Done)
}

/// Turns the hosts that `path` forwards camera ports to into cameras. Their
/// forwarded ports become their ports: that is what the owner used.
fn import_cameras(site: &mut Site, path: &Path, format: Option<Format>, out: &Out) -> Result<()> {
    let parsed = super::audit::read(path, format)?;
    let report = audit::analyze(&[parsed], None);
    let hosts = audit::camera_hosts(&report);
    if hosts.is_empty() {
        out.warn(format!(
            "{} forwards no camera ports; no camera imported",
            path.display()
        ));
    }
    for (ip, findings) in hosts {
        let IpAddr::V4(ip4) = ip else {
            out.warn(format!(
                "{ip} is IPv6 only; add it with: camvpn camera add NAME --ip IPV4 --ip6 {ip}"
            ));
            continue;
        };
        if site.cameras.iter().any(|c| c.ip == ip4) {
            continue;
        }
        let mut ports: Vec<PortSpec> = Vec::new();
        for f in &findings {
            let Some(range) = f.forward.host_ports() else {
                out.warn(format!(
                    "{ip} receives every port; give its ports with camera set --port"
                ));
                continue;
            };
            if range.end - range.start >= 16 {
                out.warn(format!("{ip}: the range {range} is too wide to import; add its ports with camera set --port"));
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
        out.note(format!(
            "imported camera {name} {ip4} ({vendor}: {}) from {}",
            listed.join(" "),
            findings
                .iter()
                .map(|f| format!("{}:{}", f.forward.file, f.forward.line))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        site.cameras.push(Camera {
            name,
            ip: ip4,
            ip6: None,
            vendor,
            ports: Some(ports),
            internet: false,
        });
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
    match fits[..] {
        [one] => one.to_owned(),
        _ => "generic".to_owned(),
    }
}

fn exists(dir: &SiteDir) -> Error {
    Error::Conflict(format!(
        "a site already exists in {}; use --force to replace it (new keys for the router and every peer), or --dir for another site",
        dir.root().display()
    ))
}

/// The WAN and LAN interfaces: the flags, else the platform's defaults. On
/// Linux the defaults come from this host's routing table (init usually runs
/// on the router itself), and camvpn says what it picked.
fn interfaces(a: &InitArgs, out: &Out) -> (Option<InterfaceName>, InterfaceName) {
    let name = |s: &str| -> InterfaceName { s.parse().expect("valid default") };
    match a.platform {
        Platform::Openwrt => (
            Some(a.wan_if.clone().unwrap_or_else(|| name("wan"))),
            a.lan_if.clone().unwrap_or_else(|| name("lan")),
        ),
        Platform::Ddwrt => (
            a.wan_if.clone(),
            a.lan_if.clone().unwrap_or_else(|| name("br0")),
        ),
        Platform::Linux => {
            let routes = fs::read_to_string("/proc/net/route").unwrap_or_default();
            let wan = match &a.wan_if {
                Some(w) => w.clone(),
                None => {
                    let (w, how) = match route_iface(&routes, "0.0.0.0/0".parse().expect("valid")) {
                        Some(w) => (w, "the interface of this host's default route"),
                        None => (name("eth0"), "no default route found"),
                    };
                    out.note(format!(
                        "wan interface: {w} ({how}; set --wan-if if the router differs)"
                    ));
                    w
                }
            };
            let lan = match &a.lan_if {
                Some(l) => l.clone(),
                None => {
                    let (l, how) = match route_iface(&routes, a.lan) {
                        Some(l) => (l, "this host's route to the LAN"),
                        None => (name("eth1"), "no route to the LAN found"),
                    };
                    out.note(format!(
                        "lan interface: {l} ({how}; set --lan-if if the router differs)"
                    ));
                    l
                }
            };
            (Some(wan), lan)
        }
    }
}

/// The interface of the route to exactly `net` in `/proc/net/route` text.
fn route_iface(routes: &str, net: Ipv4Net) -> Option<InterfaceName> {
    let hex = |s: &str| {
        u32::from_str_radix(s, 16)
            .ok()
            .map(|v| Ipv4Addr::from(v.to_ne_bytes()))
    };
    routes.lines().skip(1).find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let (dest, mask) = (hex(f.get(1)?)?, hex(f.get(7)?)?);
        (dest == net.network() && mask == net.netmask())
            .then(|| f[0].parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_read_from_proc_format() {
        let t = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                 eth0\t00000000\t0171A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                 br0\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        if cfg!(target_endian = "little") {
            assert_eq!(
                route_iface(t, "0.0.0.0/0".parse().unwrap())
                    .unwrap()
                    .as_str(),
                "eth0"
            );
            assert_eq!(
                route_iface(t, "192.168.1.0/24".parse().unwrap())
                    .unwrap()
                    .as_str(),
                "br0"
            );
            assert!(route_iface(t, "10.0.0.0/8".parse().unwrap()).is_none());
        }
    }
}
