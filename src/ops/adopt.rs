//! `init --adopt`: take over a WireGuard setup a router already has, keys
//! and addresses kept, so the phones that use it keep working untouched.
//!
//! Each format (wg-quick, OpenWrt's `network`, DD-WRT's `nvram show`) is
//! read into one [`Existing`]; [`adopt`] then turns it into the site's
//! router key, tunnel subnet and peers. What camvpn does not model is
//! reported, never dropped silently; peers that route more than their own
//! address (site-to-site links) keep those routes.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::Notices;
use super::peer::NewPeer;
use crate::error::{Error, Result};
use crate::formats::{nvram, uci, wgquick};
use crate::model::keys::{PresharedKey, PrivateKey, PublicKey};
use crate::model::name::PeerName;
use crate::model::peer::Peer;
use crate::model::site::Site;

/// The formats `--adopt` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdoptFormat {
    /// A wg-quick config (`/etc/wireguard/wg0.conf`).
    WgQuick,
    /// OpenWrt's `/etc/config/network`.
    Openwrt,
    /// DD-WRT's `nvram show`.
    Ddwrt,
}

/// A peer of an existing setup.
#[derive(Debug, Clone)]
pub struct ExistingPeer {
    /// Its name there, if it has one.
    pub name: Option<String>,
    /// Where it is (a line).
    pub line: usize,
    /// Its public key.
    pub public_key: PublicKey,
    /// Its preshared key, if it has one.
    pub psk: Option<PresharedKey>,
    /// Its private key, where the router keeps it (DD-WRT).
    pub private: Option<PrivateKey>,
    /// What the router routes to it.
    pub allowed: Vec<IpNet>,
}

/// A WireGuard interface a router already has.
#[derive(Debug, Clone)]
pub struct Existing {
    /// Its name there (`wg0`, an OpenWrt section, `oet1`).
    pub interface: Option<String>,
    /// The router's private key.
    pub private_key: PrivateKey,
    /// Its listen port.
    pub listen_port: Option<u16>,
    /// The router's tunnel addresses with their prefixes.
    pub addresses: Vec<IpNet>,
    /// The peers.
    pub peers: Vec<ExistingPeer>,
    /// What camvpn leaves out, for people.
    pub left_out: Vec<String>,
}

fn file_err(path: &Path, message: String) -> Error {
    Error::File {
        path: path.to_path_buf(),
        message,
    }
}

fn key<T>(
    path: &Path,
    line: usize,
    what: &str,
    value: Option<&str>,
    parse: fn(&str, &str) -> Result<T>,
) -> Result<T> {
    let value = value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| file_err(path, format!("line {line}: no {what}")))?;
    parse(value, &format!("{} line {line}", path.display()))
}

fn nets(path: &Path, line: usize, list: &str) -> Result<Vec<IpNet>> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| file_err(path, format!("line {line}: '{s}' is not an address")))
        })
        .collect()
}

/// Reads `text` (from `path`) as `format`; `None`: told from the text.
pub fn read(path: &Path, text: &str, format: Option<AdoptFormat>) -> Result<Existing> {
    let format = format.or_else(|| {
        if text
            .lines()
            .any(|l| l.trim().eq_ignore_ascii_case("[interface]"))
        {
            Some(AdoptFormat::WgQuick)
        } else if text.lines().any(|l| l.trim_start().starts_with("config ")) {
            Some(AdoptFormat::Openwrt)
        } else if text.lines().any(|l| l.starts_with("oet")) {
            Some(AdoptFormat::Ddwrt)
        } else {
            None
        }
    });
    match format {
        Some(AdoptFormat::WgQuick) => read_wg_quick(path, text),
        Some(AdoptFormat::Openwrt) => read_openwrt(path, text),
        Some(AdoptFormat::Ddwrt) => read_ddwrt(path, text),
        None => Err(file_err(
            path,
            "not a wg-quick config, an OpenWrt network config or a DD-WRT nvram dump; name its format with --adopt-format".into(),
        )),
    }
}

/// The name a manager wrote above `[Peer]`: `# Name = alice`, `# alice`.
fn comment_name(comment: &[String]) -> Option<String> {
    let last = comment.last()?;
    let name = match last.split_once('=') {
        Some((k, v)) if k.trim().eq_ignore_ascii_case("name") => v.trim(),
        Some(_) => return None,
        None => last.trim(),
    };
    (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

fn read_wg_quick(path: &Path, text: &str) -> Result<Existing> {
    let c = wgquick::parse(text).map_err(|e| file_err(path, e.to_string()))?;
    let i = &c.interface;
    let private_key = key(
        path,
        i.get("PrivateKey").map_or(i.line, |e| e.line),
        "PrivateKey in [Interface]",
        i.get("PrivateKey").map(|e| e.value.as_str()),
        PrivateKey::from_base64,
    )?;
    let listen_port = match i.get("ListenPort") {
        Some(e) => Some(e.value.parse().map_err(|_| {
            file_err(
                path,
                format!("line {}: ListenPort '{}' is not a port", e.line, e.value),
            )
        })?),
        None => None,
    };
    let mut addresses = Vec::new();
    for e in i.all("Address") {
        addresses.extend(nets(path, e.line, &e.value)?);
    }
    let modeled = ["privatekey", "listenport", "address"];
    let left_out = i
        .entries
        .iter()
        .filter(|e| !modeled.contains(&e.key.to_ascii_lowercase().as_str()))
        .map(|e| format!("line {}: {} = {}", e.line, e.key, e.value))
        .collect();
    let mut peers = Vec::new();
    for p in &c.peers {
        let public_key = key(
            path,
            p.get("PublicKey").map_or(p.line, |e| e.line),
            "PublicKey in [Peer]",
            p.get("PublicKey").map(|e| e.value.as_str()),
            PublicKey::from_base64,
        )?;
        let psk = match p.get("PresharedKey") {
            Some(e) => Some(PresharedKey::from_base64(
                &e.value,
                &format!("{} line {}", path.display(), e.line),
            )?),
            None => None,
        };
        let mut allowed = Vec::new();
        for e in p.all("AllowedIPs") {
            allowed.extend(nets(path, e.line, &e.value)?);
        }
        peers.push(ExistingPeer {
            name: comment_name(&p.comment),
            line: p.line,
            public_key,
            psk,
            private: None,
            allowed,
        });
    }
    Ok(Existing {
        interface: path.file_stem().and_then(|s| s.to_str()).map(str::to_owned),
        private_key,
        listen_port,
        addresses,
        peers,
        left_out,
    })
}

fn read_openwrt(path: &Path, text: &str) -> Result<Existing> {
    let p = uci::parse(text, "network").map_err(|e| file_err(path, e.to_string()))?;
    let ifaces: Vec<&uci::Section> = p
        .sections
        .iter()
        .filter(|s| s.stype == "interface" && s.get_str("proto").as_deref() == Some("wireguard"))
        .collect();
    let iface = match ifaces[..] {
        [one] => one,
        [] => {
            return Err(file_err(
                path,
                "holds no interface with proto 'wireguard' to adopt".into(),
            ));
        }
        [_, second, ..] => {
            return Err(file_err(
                path,
                format!(
                    "line {}: a second WireGuard interface; camvpn adopts one (give a copy with only the one to adopt)",
                    second.line
                ),
            ));
        }
    };
    let name = iface.name.clone().unwrap_or_default();
    let private_key = key(
        path,
        iface.line,
        "private_key in the WireGuard interface",
        iface.get_str("private_key").as_deref(),
        PrivateKey::from_base64,
    )?;
    let listen_port = iface.get_str("listen_port").and_then(|v| v.parse().ok());
    let addresses = nets(path, iface.line, &iface.get_words("addresses").join(" "))?;
    let modeled = ["proto", "private_key", "listen_port", "addresses"];
    let left_out = iface
        .options
        .iter()
        .filter(|(k, _)| !modeled.contains(&k.as_str()))
        .map(|(k, _)| format!("network.{name}.{k}"))
        .collect();
    let mut peers = Vec::new();
    for (_, s) in p.of_type(&format!("wireguard_{name}")) {
        peers.push(ExistingPeer {
            name: s.get_str("description"),
            line: s.line,
            public_key: key(
                path,
                s.line,
                "public_key",
                s.get_str("public_key").as_deref(),
                PublicKey::from_base64,
            )?,
            psk: match s.get_str("preshared_key") {
                Some(k) => Some(PresharedKey::from_base64(
                    &k,
                    &format!("{} line {}", path.display(), s.line),
                )?),
                None => None,
            },
            private: None,
            allowed: nets(path, s.line, &s.get_words("allowed_ips").join(" "))?,
        });
    }
    Ok(Existing {
        interface: Some(name),
        private_key,
        listen_port,
        addresses,
        peers,
        left_out,
    })
}

fn read_ddwrt(path: &Path, text: &str) -> Result<Existing> {
    let d = nvram::parse(text);
    let count: u32 = d
        .get("oet_tunnels")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let tunnels: Vec<u32> = (1..=count.max(8))
        .filter(|t| d.get(&format!("oet{t}_proto")) == Some("2"))
        .collect();
    let t = match tunnels[..] {
        [one] => one,
        [] => {
            return Err(file_err(
                path,
                "holds no WireGuard tunnel (oetN_proto=2) to adopt".into(),
            ));
        }
        [_, second, ..] => {
            return Err(file_err(
                path,
                format!(
                    "line {}: a second WireGuard tunnel (oet{second}); camvpn adopts one (give a dump with only the one to adopt)",
                    d.line(&format!("oet{second}_proto"))
                ),
            ));
        }
    };
    let var = |k: &str| format!("oet{t}_{k}");
    let private_key = key(
        path,
        d.line(&var("private")),
        &var("private"),
        d.get(&var("private")),
        PrivateKey::from_base64,
    )?;
    let listen_port = d.get(&var("port")).and_then(|v| v.parse().ok());
    let mut addresses = match d.get(&var("ipaddrmask")) {
        Some(list) if !list.is_empty() => nets(path, d.line(&var("ipaddrmask")), list)?,
        _ => Vec::new(),
    };
    if addresses.is_empty()
        && let (Some(ip), Some(mask)) = (d.get(&var("ipaddr")), d.get(&var("netmask")))
        && let (Ok(ip), Ok(mask)) = (ip.parse(), mask.parse())
        && let Ok(net) = Ipv4Net::with_netmask(ip, mask)
    {
        addresses.push(IpNet::V4(net));
    }
    let count_peers: usize = d
        .get(&var("peers"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut peers = Vec::new();
    for p in 0..count_peers {
        let k = |field: &str| var(&format!("{field}{p}"));
        let at = d.line(&k("peerkey"));
        let psk = match (d.get(&k("usepsk")), d.get(&k("psk"))) {
            (Some("1"), Some(v)) if !v.is_empty() => Some(PresharedKey::from_base64(
                v,
                &format!("{} line {}", path.display(), d.line(&k("psk"))),
            )?),
            _ => None,
        };
        let private = match d.get(&k("peerpk")) {
            Some(v) if !v.is_empty() => Some(PrivateKey::from_base64(
                v,
                &format!("{} line {}", path.display(), d.line(&k("peerpk"))),
            )?),
            _ => None,
        };
        peers.push(ExistingPeer {
            name: d
                .get(&k("namep"))
                .filter(|v| !v.is_empty())
                .map(str::to_owned),
            line: at,
            public_key: key(
                path,
                at,
                &k("peerkey"),
                d.get(&k("peerkey")),
                PublicKey::from_base64,
            )?,
            psk,
            private,
            allowed: nets(
                path,
                d.line(&k("aip")),
                d.get(&k("aip")).unwrap_or_default(),
            )?,
        });
    }
    Ok(Existing {
        interface: Some(format!("oet{t}")),
        private_key,
        listen_port,
        addresses,
        peers,
        left_out: Vec::new(),
    })
}

/// What adoption made of an existing setup.
pub struct Adopted {
    /// The router's private key.
    pub server: PrivateKey,
    /// The peers, with their secrets.
    pub peers: Vec<NewPeer>,
}

/// Puts `e` into `site` (which has no peers yet): its subnets, listen port
/// and peers with their keys and addresses.
pub fn adopt(site: &mut Site, e: Existing, path: &Path, notices: &mut Notices) -> Result<Adopted> {
    let Some(v4) = e.addresses.iter().find_map(|a| match a {
        IpNet::V4(n) => Some(*n),
        IpNet::V6(_) => None,
    }) else {
        return Err(file_err(
            path,
            "the interface has no IPv4 tunnel address (Address = 10.8.0.1/24, say) to derive the tunnel subnet from".into(),
        ));
    };
    site.subnet = v4.trunc();
    if site.server_address() != v4.addr() {
        return Err(file_err(
            path,
            format!(
                "the router's tunnel address is {}, but camvpn puts the router on the subnet's first address ({}); renumbering would break every phone",
                v4.addr(),
                site.server_address()
            ),
        ));
    }
    site.subnet6 = e.addresses.iter().find_map(|a| match a {
        IpNet::V6(n) => Some(Ipv6Net::new(n.network(), n.prefix_len()).expect("valid")),
        IpNet::V4(_) => None,
    });
    if let Some(p) = e.listen_port {
        site.listen_port = p;
    }
    site.server_public_key = e.private_key.public_key();
    for l in &e.left_out {
        notices.warn(format!(
            "left out of the adopted interface (camvpn does not model it): {l}"
        ));
    }
    let mut keys = HashSet::new();
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, p) in e.peers.into_iter().enumerate() {
        let at = |m: String| file_err(path, format!("line {}: {m}", p.line));
        if !keys.insert(p.public_key) {
            return Err(at(format!(
                "a second peer with the public key {}",
                p.public_key
            )));
        }
        let mut address = None;
        let mut address6 = None;
        let mut routes = Vec::new();
        for a in &p.allowed {
            match a {
                IpNet::V4(n) if n.prefix_len() == 32 && site.subnet.contains(&n.addr()) => {
                    if address.replace(n.addr()).is_some() {
                        return Err(at(format!("two tunnel addresses in {}", site.subnet)));
                    }
                }
                IpNet::V6(n)
                    if n.prefix_len() == 128
                        && site.subnet6.is_some_and(|s| s.contains(&n.addr())) =>
                {
                    address6 = Some(n.addr());
                }
                other => routes.push(*other),
            }
        }
        let Some(address) = address else {
            return Err(at(format!(
                "the peer has no address (a /32) in the tunnel subnet {}: camvpn cannot tell which address is the peer's",
                site.subnet
            )));
        };
        if site.peers.iter().any(|q| q.address == address) {
            return Err(at(format!("a second peer on the address {address}")));
        }
        let fallback = || format!("peer-{}", i + 1);
        let name: PeerName = match p.name.as_deref().map(str::parse::<PeerName>) {
            Some(Ok(n)) if names.insert(n.key()) => n,
            Some(_) => {
                let n: PeerName = fallback().parse().expect("valid");
                notices.warn(format!(
                    "peer on line {} is named '{}', which camvpn cannot use or has already: named {n}",
                    p.line,
                    p.name.as_deref().unwrap_or_default()
                ));
                names.insert(n.key());
                n
            }
            None => {
                let n: PeerName = fallback().parse().expect("valid");
                names.insert(n.key());
                n
            }
        };
        if !routes.is_empty() {
            let r: Vec<String> = routes.iter().map(ToString::to_string).collect();
            notices.warn(format!(
                "peer {name} routes more than its address (a site-to-site link?): kept as it was: {}",
                r.join(", ")
            ));
        }
        site.peers.push(Peer {
            own_key: p.private.is_none(),
            no_psk: p.psk.is_none(),
            routes,
            ..Peer::new(name.clone(), address, address6, p.public_key)
        });
        notices.note(format!(
            "adopted peer {name} {address}{} with its keys",
            if p.psk.is_none() {
                " (no preshared key)"
            } else {
                ""
            }
        ));
        out.push(NewPeer {
            name,
            private: p.private,
            psk: p.psk,
        });
    }
    Ok(Adopted {
        server: e.private_key,
        peers: out,
    })
}
