//! The site: the one piece of state camvpn keeps (`site.toml`, no secrets).
//!
//! Everything else — the policy, the configs, the firewall — is derived from
//! it. [`Site::validate`] holds every rule that spans more than one value
//! (names unique, addresses inside the subnet, subnets apart), so that a
//! hand-edited `site.toml` is checked exactly as thoroughly as flags are.

use std::collections::HashSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::error::{Error, InvalidValue, Result};
use crate::model::admission::Admission;
use crate::model::camera::Camera;
use crate::model::endpoint::{Endpoint, Host};
use crate::model::interface::InterfaceName;
use crate::model::keys::PublicKey;
use crate::model::name::CameraName;
use crate::model::net::unreachable_kind;
use crate::model::peer::{Access, Peer};
use crate::model::port::PortSpec;
use crate::model::relay::{RELAY_IF, Relay};
use crate::model::vendor::Catalog;

/// The router platform a site is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// A Linux box with wg-quick and nftables or iptables.
    Linux,
    /// OpenWrt with netifd WireGuard and firewall4.
    Openwrt,
    /// DD-WRT with nvram.
    Ddwrt,
}

impl Platform {
    /// All platforms.
    pub const ALL: [Platform; 3] = [Platform::Linux, Platform::Openwrt, Platform::Ddwrt];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Linux => "linux",
            Platform::Openwrt => "openwrt",
            Platform::Ddwrt => "ddwrt",
        }
    }

    /// How a change of the site reaches the router: camvpn applies it on
    /// Linux and OpenWrt; DD-WRT has no camvpn, its script carries it.
    pub fn to_take_effect(self) -> &'static str {
        match self {
            Platform::Linux | Platform::Openwrt => "run 'camvpn apply' on the router (or render)",
            Platform::Ddwrt => {
                "render, then run the new camvpn-ddwrt.sh on the router (and restart its firewall)"
            }
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| InvalidValue::new("use one of linux, openwrt, ddwrt"))
    }
}

/// The firewall backend of the Linux target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Firewall {
    /// nftables, one `inet camvpn` table.
    #[default]
    Nft,
    /// iptables-restore, camvpn's own chains.
    Iptables,
}

impl fmt::Display for Firewall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Firewall::Nft => "nft",
            Firewall::Iptables => "iptables",
        })
    }
}

impl FromStr for Firewall {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "nft" => Ok(Firewall::Nft),
            "iptables" => Ok(Firewall::Iptables),
            _ => Err(InvalidValue::new(format!(
                "'{s}' is no firewall backend; use nft or iptables"
            ))),
        }
    }
}

/// The default WireGuard port.
pub const DEFAULT_PORT: u16 = 51820;

/// The tunnel MTU when the site sets none: 1280, IPv6's minimum. WireGuard
/// adds 60 bytes over IPv4 and 80 over IPv6, so 1280 survives paths of
/// 1360 bytes, what mobile networks and `PPPoE` lines with IPv6 often have,
/// where WireGuard's own 1420 needs 1500: past that, large packets vanish
/// (streams and web pages stall) because carriers drop fragments.
pub const DEFAULT_MTU: u16 = 1280;

fn default_interface() -> InterfaceName {
    "wg0".parse().expect("valid")
}

#[allow(clippy::unnecessary_wraps)] // serde's default wants a function
fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip wants &T
fn is_yes(b: &bool) -> bool {
    *b
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

/// A site: one router, its cameras, the people who view them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The router platform.
    pub platform: Platform,
    /// The WireGuard interface on the router.
    #[serde(default = "default_interface")]
    pub interface: InterfaceName,
    /// Where phones reach the router.
    pub endpoint: Endpoint,
    /// The UDP port WireGuard listens on.
    #[serde(default = "default_port")]
    pub listen_port: u16,
    /// The tunnel subnet; the router takes its first address.
    pub subnet: Ipv4Net,
    /// An IPv6 tunnel prefix, optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet6: Option<Ipv6Net>,
    /// The LAN the cameras are on.
    pub lan: Ipv4Net,
    /// The LAN's IPv6 prefix (a /64): where a camera's SLAAC (EUI-64)
    /// address can be derived from its MAC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lan6: Option<Ipv6Net>,
    /// The WAN interface (OpenWrt: the firewall zone). `None` on DD-WRT means
    /// "ask the router at run time".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface (OpenWrt: the firewall zone).
    pub lan_if: InterfaceName,
    /// DNS servers for peers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<IpAddr>,
    /// Tunnel MTU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive for peers, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keepalive: Option<u16>,
    /// Firewall backend for `apply` on Linux.
    #[serde(default)]
    pub firewall: Firewall,
    /// May every camera reach the internet (vendor clouds)? Off by default.
    #[serde(default)]
    pub camera_internet: bool,
    /// May cameras kept off the internet still reach NTP servers there (udp
    /// 123)? On by default: a camera's clock drifts without one, which ruins
    /// recordings.
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub camera_ntp: bool,
    /// Log dropped packets with camvpn's prefixes.
    #[serde(default)]
    pub log_drops: bool,
    /// Services of the router itself that peers may reach through the
    /// tunnel (an installer's SSH); none by default: the tunnel reaches the
    /// router only for ping and DNS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub router_access: Vec<PortSpec>,
    /// The router's public key (its private key is in `keys/`).
    pub server_public_key: PublicKey,
    /// The relay phones dial when the router cannot be reached (carrier NAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relay: Option<Relay>,
    /// The cameras.
    #[serde(default, rename = "camera", skip_serializing_if = "Vec::is_empty")]
    pub cameras: Vec<Camera>,
    /// The peers.
    #[serde(default, rename = "peer", skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<Peer>,
}

/// Checks an MTU value.
pub fn check_mtu(mtu: u16) -> Result<(), InvalidValue> {
    if (1280..=9000).contains(&mtu) {
        Ok(())
    } else {
        Err(InvalidValue::new(format!(
            "MTU {mtu} is out of range; use 1280 to 9000 (WireGuard's default is 1420)"
        )))
    }
}

/// Parses an MTU for the command line.
pub fn parse_mtu(s: &str) -> Result<u16, InvalidValue> {
    let mtu: u16 = s
        .parse()
        .map_err(|_| InvalidValue::new(format!("'{s}' is not a number; use 1280 to 9000")))?;
    check_mtu(mtu)?;
    Ok(mtu)
}

/// Parses a port number (1 to 65535) for the command line.
pub fn parse_port(s: &str) -> Result<u16, InvalidValue> {
    match s.parse::<u32>() {
        Ok(p @ 1..=65535) => Ok(u16::try_from(p).expect("checked range")),
        _ => Err(InvalidValue::new(format!(
            "'{s}' is not a port; use a number from 1 to 65535"
        ))),
    }
}

fn overlaps(a: Ipv4Net, b: Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

impl Site {
    /// The router's tunnel address: the first host of the subnet.
    pub fn server_address(&self) -> Ipv4Addr {
        self.subnet
            .hosts()
            .next()
            .expect("validated: subnet has hosts")
    }

    /// The MTU of the tunnel: the site's, else [`DEFAULT_MTU`].
    pub fn tunnel_mtu(&self) -> u16 {
        self.mtu.unwrap_or(DEFAULT_MTU)
    }

    /// The router's IPv6 tunnel address: `PREFIX::1`.
    pub fn server_address6(&self) -> Option<Ipv6Addr> {
        self.subnet6
            .map(|n| Ipv6Addr::from(u128::from(n.network()) + 1))
    }

    /// The router's tunnel addresses with their prefix lengths, as wg-quick's
    /// `Address =` wants them.
    pub fn server_cidrs(&self) -> Vec<String> {
        let mut v = vec![format!(
            "{}/{}",
            self.server_address(),
            self.subnet.prefix_len()
        )];
        if let (Some(a), Some(n)) = (self.server_address6(), self.subnet6) {
            v.push(format!("{a}/{}", n.prefix_len()));
        }
        v
    }

    /// Whether `ip` is on the LAN or in the tunnel: reachable from a peer
    /// only through the tunnel.
    pub fn is_inside(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.lan.contains(&a) || self.subnet.contains(&a),
            IpAddr::V6(a) => self.subnet6.is_some_and(|n| n.contains(&a)),
        }
    }

    /// The camera called `name`.
    pub fn camera(&self, name: &str) -> Result<&Camera> {
        self.cameras
            .iter()
            .find(|c| c.name.as_str() == name)
            .ok_or_else(|| {
                Error::not_found(
                    "camera",
                    name,
                    "site.toml",
                    self.cameras.iter().map(|c| &c.name),
                )
            })
    }

    /// The peer called `name`.
    pub fn peer(&self, name: &str) -> Result<&Peer> {
        self.peers
            .iter()
            .find(|p| p.name.as_str() == name)
            .ok_or_else(|| {
                Error::not_found(
                    "peer",
                    name,
                    "site.toml",
                    self.peers.iter().map(|p| &p.name),
                )
            })
    }

    /// Checks that every camera `access` names is on the site.
    pub fn check_access(&self, access: &Access) -> Result<()> {
        if let Access::Only(list) = access {
            for c in list {
                self.camera(c.as_str())?;
            }
        }
        Ok(())
    }

    /// The camera called `name`, to change it.
    pub fn camera_mut(&mut self, name: &str) -> Result<&mut Camera> {
        self.camera(name)?;
        Ok(self
            .cameras
            .iter_mut()
            .find(|c| c.name.as_str() == name)
            .expect("found above"))
    }

    /// The peer called `name`, to change it.
    pub fn peer_mut(&mut self, name: &str) -> Result<&mut Peer> {
        self.peer(name)?;
        Ok(self
            .peers
            .iter_mut()
            .find(|p| p.name.as_str() == name)
            .expect("found above"))
    }

    /// The cameras a peer may reach.
    pub fn cameras_of<'a>(&'a self, peer: &'a Peer) -> impl Iterator<Item = &'a Camera> + 'a {
        // A set, not a scan of the list per camera: sites with long
        // per-peer lists would otherwise go quadratic.
        let only: Option<HashSet<&str>> = match &peer.cameras {
            Access::All => None,
            Access::Only(list) => Some(list.iter().map(CameraName::as_str).collect()),
        };
        self.cameras
            .iter()
            .filter(move |c| only.as_ref().is_none_or(|o| o.contains(c.name.as_str())))
    }

    /// Checks that `name` is not already a camera.
    pub fn check_new_camera_name(&self, name: &CameraName) -> Result<()> {
        if let Some(c) = self.cameras.iter().find(|c| c.name.key() == name.key()) {
            return Err(Error::Conflict(if c.name == *name {
                format!("camera '{name}' already exists; pick another name or remove it first")
            } else {
                format!(
                    "camera '{name}' would collide with existing camera '{}' (names differ only in case or '-'/'_'); pick another name",
                    c.name
                )
            }));
        }
        Ok(())
    }

    /// Why phones on the internet cannot dial the endpoint, when its host is
    /// an address they cannot reach and no relay stands in for it.
    pub fn endpoint_warning(&self) -> Option<String> {
        let Host::Ip(ip) = self.endpoint.host else {
            return None;
        };
        if self.relay.is_some() {
            return None;
        }
        let kind = match ip {
            IpAddr::V4(a) if self.lan.contains(&a) => "on the site's own LAN",
            _ => unreachable_kind(ip)?,
        };
        Some(format!(
            "the endpoint {ip} is a {kind} address: phones outside cannot reach it; give the router's public address or a DNS name for it (site set --endpoint), or behind carrier-grade NAT a relay (site set --relay HOST)"
        ))
    }

    /// Whether `ip` is a host address of the LAN: inside it, neither its
    /// network nor its broadcast address.
    pub fn is_lan_host(&self, ip: Ipv4Addr) -> bool {
        self.lan.contains(&ip) && ip != self.lan.network() && ip != self.lan.broadcast()
    }

    /// The first free tunnel addresses for a new peer: never the router's,
    /// never one in use.
    pub fn free_addresses(&self) -> Result<(Ipv4Addr, Option<Ipv6Addr>)> {
        self.admission().addresses()
    }

    /// Admits many new peers in one pass: what is in use is indexed once,
    /// so adding a thousand peers stays linear.
    pub fn admission(&self) -> Admission {
        Admission::new(self)
    }

    /// Checks every rule that spans values. The message names the value and
    /// the fix.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let bad = |m: String| Err(InvalidValue::new(m));
        if let Some(p) = self.lan6
            && p.prefix_len() != 64
        {
            return bad(format!(
                "the LAN's IPv6 prefix {p} is not a /64; cameras take SLAAC addresses in a /64 only: give the LAN's /64, e.g. 2001:db8:1:2::/64"
            ));
        }
        if self.subnet.prefix_len() > 30 {
            return bad(format!(
                "the tunnel subnet {} is too small; use a prefix of /30 or shorter, e.g. 10.66.0.0/24",
                self.subnet
            ));
        }
        if self.subnet.trunc() != self.subnet {
            return bad(format!(
                "subnet {} has host bits set; use {}",
                self.subnet,
                self.subnet.trunc()
            ));
        }
        if let Some(n6) = self.subnet6 {
            if n6.prefix_len() > 120 {
                return bad(format!(
                    "the IPv6 tunnel prefix {n6} is too small; use /64 to /120"
                ));
            }
            if n6.trunc() != n6 {
                return bad(format!(
                    "subnet6 {n6} has host bits set; use {}",
                    n6.trunc()
                ));
            }
        }
        if overlaps(self.subnet, self.lan) {
            return bad(format!(
                "the tunnel subnet {} overlaps the LAN {}; choose a --subnet outside the LAN, e.g. 10.66.0.0/24",
                self.subnet, self.lan
            ));
        }
        if self.listen_port == 0 {
            return bad("listen_port 0 is not a port; use 1 to 65535".into());
        }
        if let Some(r) = &self.relay {
            r.check()?;
            for (net, what) in [(self.subnet, "tunnel subnet"), (self.lan, "LAN")] {
                if overlaps(r.net(), net) {
                    return bad(format!(
                        "the relay tunnel {} (taken from the relay port {}) overlaps the {what} {net}; give the relay another port",
                        r.net(),
                        r.port()
                    ));
                }
            }
            if self.platform == Platform::Ddwrt && self.listen_port == r.tunnel_port() {
                return bad(format!(
                    "listen port {} is the DD-WRT tunnel to the relay's as well (the relay port {} plus one); give WireGuard another --listen-port",
                    self.listen_port,
                    r.port()
                ));
            }
            if self.interface.as_str() == RELAY_IF {
                return bad(format!(
                    "the interface {RELAY_IF} is the relay tunnel's; give the site's WireGuard interface another name"
                ));
            }
        }
        if let Some(mtu) = self.mtu {
            check_mtu(mtu)?;
        }
        let mut keys = HashSet::new();
        let mut ips = HashSet::new();
        for c in &self.cameras {
            if !keys.insert(c.name.key()) {
                return bad(format!(
                    "camera '{}' is listed twice (names differ at most in case or '-'/'_')",
                    c.name
                ));
            }
            if !ips.insert(c.ip) {
                return bad(format!(
                    "camera '{}' has the address {} of another camera",
                    c.name, c.ip
                ));
            }
            if Catalog::get().vendor(&c.vendor).is_err() {
                return bad(format!(
                    "camera '{}' has unknown vendor '{}'; use one of {}",
                    c.name,
                    c.vendor,
                    Catalog::get().names().join(", ")
                ));
            }
            if self.subnet.contains(&c.ip) {
                return bad(format!(
                    "camera '{}' address {} is inside the tunnel subnet {}",
                    c.name, c.ip, self.subnet
                ));
            }
            if !self.lan.contains(&c.ip) {
                return bad(format!(
                    "camera '{}' address {} is outside the LAN {} the router serves: phones would send that address into the tunnel; give the camera's address on the LAN, or give the site its cameras' LAN (init --lan)",
                    c.name, c.ip, self.lan
                ));
            }
            if !self.is_lan_host(c.ip) {
                return bad(format!(
                    "camera '{}' address {} is the network or broadcast address of the LAN {}, not a host",
                    c.name, c.ip, self.lan
                ));
            }
            if c.ip.is_unspecified()
                || c.ip.is_loopback()
                || c.ip.is_multicast()
                || c.ip.is_broadcast()
            {
                return bad(format!(
                    "camera '{}' address {} is not a host address",
                    c.name, c.ip
                ));
            }
            if c.ports.as_ref().is_some_and(Vec::is_empty) {
                return bad(format!(
                    "camera '{}' has an empty port list; give at least one port or drop the list to use the vendor's",
                    c.name
                ));
            }
        }
        let mut keys = HashSet::new();
        let mut addrs = HashSet::new();
        let mut addrs6 = HashSet::new();
        let server = self.server_address();
        let hosts: HashSet<Ipv4Addr> = self.subnet.hosts().collect();
        for p in &self.peers {
            if !keys.insert(p.name.key()) {
                return bad(format!(
                    "peer '{}' is listed twice (names differ at most in case or '-'/'_')",
                    p.name
                ));
            }
            if !hosts.contains(&p.address) || p.address == server {
                return bad(format!(
                    "peer '{}' address {} is not a free host address of the tunnel subnet {} (the router has {server})",
                    p.name, p.address, self.subnet
                ));
            }
            if !addrs.insert(p.address) {
                return bad(format!(
                    "peer '{}' has the address {} of another peer",
                    p.name, p.address
                ));
            }
            match (p.address6, self.subnet6) {
                (Some(a), Some(n)) => {
                    if !n.contains(&a) || Some(a) == self.server_address6() || a == n.network() {
                        return bad(format!(
                            "peer '{}' address6 {a} is not a free host address of {n}",
                            p.name
                        ));
                    }
                    if !addrs6.insert(a) {
                        return bad(format!(
                            "peer '{}' has the address6 {a} of another peer",
                            p.name
                        ));
                    }
                }
                (Some(a), None) => {
                    return bad(format!(
                        "peer '{}' has address6 {a} but the site has no subnet6",
                        p.name
                    ));
                }
                (None, Some(n)) => {
                    return bad(format!(
                        "peer '{}' has no address6 in the site's subnet6 {n}",
                        p.name
                    ));
                }
                (None, None) => {}
            }
            if let Access::Only(list) = &p.cameras {
                for cam in list {
                    if !self.cameras.iter().any(|c| c.name == *cam) {
                        return bad(format!(
                            "peer '{}' lists camera '{cam}', which is not in the site (known: {})",
                            p.name,
                            self.camera_names()
                        ));
                    }
                }
            }
            if let Some(mtu) = p.mtu {
                check_mtu(mtu)?;
            }
        }
        Ok(())
    }

    /// Camera names, comma separated, for messages.
    pub fn camera_names(&self) -> String {
        if self.cameras.is_empty() {
            return "none".into();
        }
        let names: Vec<&str> = self.cameras.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::admission::tests::add;
    use crate::model::keys::PrivateKey;

    pub(crate) fn site() -> Site {
        Site {
            platform: Platform::Linux,
            interface: default_interface(),
            endpoint: "vpn.example.net".parse().unwrap(),
            listen_port: DEFAULT_PORT,
            subnet: "10.66.0.0/29".parse().unwrap(),
            subnet6: Some("fd66::/64".parse().unwrap()),
            lan: "192.168.1.0/24".parse().unwrap(),
            lan6: None,
            wan_if: Some("eth0".parse().unwrap()),
            lan_if: "eth1".parse().unwrap(),
            dns: vec![],
            mtu: None,
            keepalive: None,
            firewall: Firewall::Nft,
            camera_internet: false,
            camera_ntp: true,
            log_drops: false,
            router_access: Vec::new(),
            server_public_key: PrivateKey::generate().public_key(),
            relay: None,
            cameras: vec![],
            peers: vec![],
        }
    }

    #[test]
    fn overlap_is_rejected() {
        let mut s = site();
        s.lan = "10.66.0.0/16".parse().unwrap();
        assert!(s.validate().unwrap_err().0.contains("overlaps the LAN"));
    }

    #[test]
    fn hand_edited_peer_on_router_address_is_rejected() {
        let mut s = site();
        add(&mut s, "a");
        s.peers[0].address = s.server_address();
        assert!(s.validate().unwrap_err().0.contains("router has 10.66.0.1"));
    }
}
