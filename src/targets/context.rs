//! The template context: the site as templates (built-in and the user's) see it.
//!
//! Targets build nothing but this context; the text is the templates'. Every
//! value here is either a validated newtype rendered to a string or a number,
//! so templates never need to escape camvpn's own values. Secrets appear only
//! when the context is built with them; without, the fields are absent and a
//! template that uses them fails (undefined values are strict).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde::Serialize;

use crate::model::camera::Camera;
use crate::model::peer::Peer;
use crate::model::port::PortSpec;
use crate::model::relay::{RELAY_IF, RELAY_KEEPALIVE, Relay};
use crate::model::site::Site;
use crate::model::vendor::Vendor;
use crate::policy::Policy;
use crate::store::Secrets;

/// Information about camvpn itself.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    /// camvpn's version.
    pub version: &'static str,
    /// The version of this data's layout: `import` refuses a newer one.
    pub format: u32,
    /// One line for the top of generated files (without comment marker).
    pub header: String,
}

/// The layout version of the context (and so of `export`'s JSON).
pub const FORMAT: u32 = 1;

/// The router side.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCtx {
    /// The WireGuard interface.
    pub interface: String,
    /// Tunnel address (IPv4).
    pub address: String,
    /// Tunnel address (IPv6).
    pub address6: Option<String>,
    /// Addresses with prefix, for `Address =`.
    pub cidrs: Vec<String>,
    /// The tunnel's MTU: the site's, else camvpn's default (1280).
    pub mtu: u16,
    /// Listen port.
    pub listen_port: u16,
    /// `host:port` phones dial: the relay's when the site has one.
    pub endpoint: String,
    /// The router's own endpoint's host (not the relay's).
    pub endpoint_host: String,
    /// The endpoint's port.
    pub endpoint_port: u16,
    /// Public key.
    pub public_key: String,
    /// Private key (only with secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}

/// The relay of a site behind carrier-grade NAT, and the router's tunnel to it.
#[derive(Debug, Clone, Serialize)]
pub struct RelayCtx {
    /// The relay host (a name or address).
    pub host: String,
    /// The port phones dial on the relay.
    pub port: u16,
    /// `host:port` phones dial.
    pub endpoint: String,
    /// The port of the relay tunnel on the relay (the next one).
    pub tunnel_port: u16,
    /// `host:port` the router's relay tunnel dials.
    pub tunnel_endpoint: String,
    /// The relay tunnel's /30.
    pub net: String,
    /// The relay's address in it.
    pub relay_address: String,
    /// The router's address in it.
    pub router_address: String,
    /// The prefix length of both.
    pub prefix: u8,
    /// The router's interface of the relay tunnel (Linux, OpenWrt).
    pub interface: &'static str,
    /// The relay tunnel's MTU: the largest phone packet, whole.
    pub mtu: u16,
    /// The router's keepalive towards the relay, seconds.
    pub keepalive: u16,
    /// The nftables table on the relay (one per site).
    pub table: String,
    /// The relay host's public key.
    pub public_key: String,
    /// The public key of the router's end.
    pub router_public_key: String,
    /// The relay host's private key (only with secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// The private key of the router's end (only with secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub router_private_key: Option<String>,
}

impl RelayCtx {
    fn new(site: &Site, r: &Relay, secrets: Option<&Secrets>) -> Self {
        let largest = site
            .peers
            .iter()
            .filter_map(|p| p.mtu)
            .fold(site.tunnel_mtu(), u16::max);
        let keys = secrets.and_then(|s| s.relay.as_ref());
        RelayCtx {
            host: r.endpoint.host.to_string(),
            port: r.port(),
            endpoint: r.phone_endpoint(),
            tunnel_port: r.tunnel_port(),
            tunnel_endpoint: r.tunnel_endpoint(),
            net: r.net().to_string(),
            relay_address: r.relay_address().to_string(),
            router_address: r.router_address().to_string(),
            prefix: r.net().prefix_len(),
            interface: RELAY_IF,
            mtu: Relay::mtu(largest),
            keepalive: RELAY_KEEPALIVE,
            table: format!("camvpn_relay_{}", r.port()),
            public_key: r.public_key.to_string(),
            router_public_key: r.router_public_key.to_string(),
            private_key: keys.map(|k| k.relay.to_base64().to_string()),
            router_private_key: keys.map(|k| k.router.to_base64().to_string()),
        }
    }
}

/// The site's settings.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCtx {
    /// linux, openwrt or ddwrt.
    pub platform: String,
    /// The tunnel subnet.
    pub subnet: String,
    /// The IPv6 tunnel prefix.
    pub subnet6: Option<String>,
    /// The camera LAN.
    pub lan: String,
    /// The LAN's IPv6 prefix.
    pub lan6: Option<String>,
    /// WAN interface (OpenWrt: zone); none on DD-WRT means "ask at run time".
    pub wan_if: Option<String>,
    /// LAN interface (OpenWrt: zone).
    pub lan_if: String,
    /// DNS servers for peers.
    pub dns: Vec<String>,
    /// Tunnel MTU.
    pub mtu: Option<u16>,
    /// Keepalive for peers.
    pub keepalive: Option<u16>,
    /// Firewall backend for apply.
    pub firewall: String,
    /// May cameras reach the internet?
    pub camera_internet: bool,
    /// May cameras reach NTP servers on the internet?
    pub camera_ntp: bool,
    /// Are drops logged?
    pub log_drops: bool,
    /// The router's own services peers may reach (`22/tcp`).
    pub router_access: Vec<String>,
}

/// One port of a camera.
#[derive(Debug, Clone, Serialize)]
pub struct PortCtx {
    /// Number.
    pub port: u16,
    /// tcp or udp.
    pub proto: &'static str,
    /// `554/tcp`.
    pub spec: String,
    /// Service name from the vendor preset, where known.
    pub service: Option<String>,
}

/// A camera.
#[derive(Debug, Clone, Serialize)]
pub struct CameraCtx {
    /// Name.
    pub name: String,
    /// Name usable as an identifier (`-` → `_`).
    pub ident: String,
    /// LAN address.
    pub ip: String,
    /// IPv6 address.
    pub ip6: Option<String>,
    /// MAC address.
    pub mac: Option<String>,
    /// Vendor preset name.
    pub vendor: String,
    /// Vendor for people.
    pub vendor_label: String,
    /// Its ports.
    pub ports: Vec<PortCtx>,
    /// May it reach the internet?
    pub internet: bool,
    /// RTSP URL of the main stream, where the vendor's path is known or the
    /// camera has an RTSP port.
    pub rtsp_url: Option<String>,
}

/// A peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerCtx {
    /// Name.
    pub name: String,
    /// Name usable as an identifier (`-` → `_`).
    pub ident: String,
    /// Tunnel address (IPv4).
    pub address: String,
    /// Tunnel address (IPv6).
    pub address6: Option<String>,
    /// Its addresses as /32 and /128, for the phone's `Address =` and the
    /// router's `AllowedIPs =`.
    pub addresses: Vec<String>,
    /// What the router routes to it: its addresses, and the networks of a
    /// site-to-site link adopted as it was.
    pub routes: Vec<String>,
    /// Public key.
    pub public_key: String,
    /// Private key (with secrets, and only if camvpn generated it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// Preshared key (with secrets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preshared_key: Option<String>,
    /// The peer brought its own key pair.
    pub own_key: bool,
    /// All traffic through the tunnel?
    pub full_tunnel: bool,
    /// "all", or the camera names it may reach.
    pub access: String,
    /// Names of the cameras it may reach.
    pub cameras: Vec<String>,
    /// For a peer limited with `only`: the ports it may use, by camera
    /// name (empty without a limit: it may use each camera's `ports`).
    pub ports: BTreeMap<String, Vec<PortCtx>>,
    /// For a peer limited with `only`: the RTSP URLs it may open, by
    /// camera name (empty without a limit: each camera's `rtsp_url`).
    pub streams: BTreeMap<String, String>,
    /// Only these services or ports of them (all when none).
    pub only: Option<Vec<String>>,
    /// What the phone routes into the tunnel: the router's tunnel address,
    /// its cameras and DNS servers; everything for a full tunnel.
    pub allowed_ips: Vec<String>,
    /// DNS servers.
    pub dns: Vec<String>,
    /// MTU.
    pub mtu: Option<u16>,
    /// PersistentKeepalive.
    pub keepalive: Option<u16>,
}

/// Everything a template sees.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// camvpn itself.
    pub camvpn: Meta,
    /// Settings.
    pub site: SiteCtx,
    /// The router.
    pub server: ServerCtx,
    /// Cameras, in site order.
    pub cameras: Vec<CameraCtx>,
    /// Peers, in site order.
    pub peers: Vec<PeerCtx>,
    /// The relay, when the router is behind carrier-grade NAT.
    pub relay: Option<RelayCtx>,
    /// The firewall policy.
    pub policy: Policy,
}

fn strings<T: ToString>(v: impl IntoIterator<Item = T>) -> Vec<String> {
    v.into_iter().map(|x| x.to_string()).collect()
}

fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(a) => format!("{a}/32"),
        IpAddr::V6(a) => format!("{a}/128"),
    }
}

/// The RTSP URL of `c`'s main stream on the RTSP port among `ports`, where
/// the vendor's path is known or a port is RTSP's.
fn rtsp_url(c: &Camera, ports: &[PortCtx]) -> Option<String> {
    let rtsp = ports
        .iter()
        .find(|p| p.service.as_deref() == Some("rtsp"))
        .or_else(|| ports.iter().find(|p| p.spec == "554/tcp"))?;
    let path = c
        .vendor()
        .ok()
        .and_then(|v| v.rtsp_path.as_deref())
        .unwrap_or("/");
    Some(format!("rtsp://{}:{}{path}", c.ip, rtsp.port))
}

impl PortCtx {
    fn new(p: PortSpec, vendor: Option<&Vendor>) -> Self {
        PortCtx {
            port: p.port,
            proto: p.proto.as_str(),
            spec: p.to_string(),
            service: vendor.and_then(|v| v.known(p)).map(|k| k.service.clone()),
        }
    }
}

impl CameraCtx {
    fn new(c: &Camera) -> Self {
        let vendor = c.vendor().ok();
        let ports: Vec<PortCtx> = c
            .ports()
            .into_iter()
            .map(|p| PortCtx::new(p, vendor))
            .collect();
        let rtsp_url = rtsp_url(c, &ports);
        CameraCtx {
            name: c.name.to_string(),
            ident: c.name.ident(),
            ip: c.ip.to_string(),
            ip6: c.ip6.map(|a| a.to_string()),
            mac: c.mac.map(|m| m.to_string()),
            vendor: c.vendor.clone(),
            vendor_label: vendor.map_or_else(|| c.vendor.clone(), |v| v.label.clone()),
            ports,
            internet: c.internet,
            rtsp_url,
        }
    }
}

impl PeerCtx {
    fn new(site: &Site, p: &Peer, secrets: Option<&Secrets>) -> Self {
        let dns: Vec<IpAddr> = p.dns.clone().unwrap_or_else(|| site.dns.clone());
        // The cameras it reaches on at least one port, and, for a peer
        // limited with `only`, those ports (without a limit: all of them,
        // and a big site need not list each camera's ports once a peer).
        let reach: Vec<(&Camera, Vec<PortSpec>)> = site
            .cameras_of(p)
            .map(|c| {
                (
                    c,
                    if p.only.is_some() {
                        p.ports_on(c)
                    } else {
                        Vec::new()
                    },
                )
            })
            .filter(|(_, ports)| p.only.is_none() || !ports.is_empty())
            .collect();
        let mut allowed = Vec::new();
        if p.full_tunnel {
            allowed.push("0.0.0.0/0".to_owned());
            allowed.push("::/0".to_owned());
        } else {
            let mut ips: Vec<IpAddr> = vec![IpAddr::V4(site.server_address())];
            ips.extend(site.server_address6().map(IpAddr::V6));
            for (c, _) in &reach {
                ips.push(IpAddr::V4(c.ip));
                // A camera's IPv6 address is reachable only over an IPv6 tunnel.
                if site.subnet6.is_some() {
                    ips.extend(c.ip6.map(IpAddr::V6));
                }
            }
            // A resolver on the LAN or in the tunnel is reachable only through
            // the tunnel; a public one is reached directly, like the rest of
            // a split-tunnel phone's internet.
            ips.extend(dns.iter().copied().filter(|ip| site.is_inside(*ip)));
            allowed = fewest_prefixes(&ips);
        }
        let s = secrets.and_then(|s| s.peers.get(p.name.as_str()));
        let (mut ports, mut streams) = (BTreeMap::new(), BTreeMap::new());
        if p.only.is_some() {
            for (c, allowed) in &reach {
                let vendor = c.vendor().ok();
                let list: Vec<PortCtx> = allowed.iter().map(|a| PortCtx::new(*a, vendor)).collect();
                if let Some(url) = rtsp_url(c, &list) {
                    streams.insert(c.name.to_string(), url);
                }
                ports.insert(c.name.to_string(), list);
            }
        }
        PeerCtx {
            name: p.name.to_string(),
            ident: p.name.ident(),
            address: p.address.to_string(),
            address6: p.address6.map(|a| a.to_string()),
            addresses: p.addresses().into_iter().map(host_cidr).collect(),
            routes: p
                .addresses()
                .into_iter()
                .map(host_cidr)
                .chain(p.routes.iter().map(ToString::to_string))
                .collect(),
            public_key: p.public_key.to_string(),
            private_key: s
                .and_then(|s| s.private.as_ref())
                .map(|k| k.to_base64().to_string()),
            preshared_key: s
                .and_then(|s| s.psk.as_ref())
                .map(|k| k.to_base64().to_string()),
            own_key: p.own_key,
            full_tunnel: p.full_tunnel,
            access: p.cameras.to_string(),
            cameras: reach.iter().map(|(c, _)| c.name.to_string()).collect(),
            streams,
            ports,
            only: p.only.as_ref().map(strings),
            allowed_ips: allowed,
            dns: strings(dns),
            mtu: Some(p.mtu.unwrap_or_else(|| site.tunnel_mtu())),
            keepalive: p.keepalive.or(site.keepalive).filter(|k| *k > 0),
        }
    }
}

/// The fewest prefixes that cover exactly `ips` (cameras on .11 to .130:
/// seven, not 120 host routes), each where its first address was: with
/// nothing adjacent, `ips` as host routes in their order.
fn fewest_prefixes(ips: &[IpAddr]) -> Vec<String> {
    let hosts: Vec<IpNet> = ips.iter().map(|ip| IpNet::from(*ip)).collect();
    let mut merged: Vec<(usize, IpNet)> = IpNet::aggregate(&hosts)
        .into_iter()
        .map(|net| {
            let first = ips.iter().position(|ip| net.contains(ip));
            (first.expect("a prefix covers some of its hosts"), net)
        })
        .collect();
    merged.sort_by_key(|(first, _)| *first);
    merged.into_iter().map(|(_, net)| net.to_string()).collect()
}

impl Context {
    /// The context of `site`, with `secrets` when given.
    pub fn new(site: &Site, secrets: Option<&Secrets>) -> Self {
        let endpoint_port = site.endpoint.port.unwrap_or(site.listen_port);
        Context {
            camvpn: Meta {
                version: env!("CARGO_PKG_VERSION"),
                format: FORMAT,
                header: format!(
                    "generated by camvpn {} from site {}; changes here are overwritten",
                    env!("CARGO_PKG_VERSION"),
                    site.endpoint.host
                ),
            },
            site: SiteCtx {
                platform: site.platform.to_string(),
                subnet: site.subnet.to_string(),
                subnet6: site.subnet6.map(|n| n.to_string()),
                lan: site.lan.to_string(),
                lan6: site.lan6.map(|p| p.to_string()),
                wan_if: site.wan_if.as_ref().map(ToString::to_string),
                lan_if: site.lan_if.to_string(),
                dns: strings(&site.dns),
                mtu: site.mtu,
                keepalive: site.keepalive,
                firewall: site.firewall.to_string(),
                camera_internet: site.camera_internet,
                camera_ntp: site.camera_ntp,
                log_drops: site.log_drops,
                router_access: strings(&site.router_access),
            },
            server: ServerCtx {
                interface: site.interface.to_string(),
                address: site.server_address().to_string(),
                address6: site.server_address6().map(|a| a.to_string()),
                cidrs: site.server_cidrs(),
                mtu: site.tunnel_mtu(),
                listen_port: site.listen_port,
                endpoint: site.relay.as_ref().map_or_else(
                    || site.endpoint.with_port(site.listen_port),
                    Relay::phone_endpoint,
                ),
                endpoint_host: site.endpoint.host.to_string(),
                endpoint_port,
                public_key: site.server_public_key.to_string(),
                private_key: secrets.map(|s| s.server.to_base64().to_string()),
            },
            cameras: site.cameras.iter().map(CameraCtx::new).collect(),
            peers: site
                .peers
                .iter()
                .map(|p| PeerCtx::new(site, p, secrets))
                .collect(),
            relay: site.relay.as_ref().map(|r| RelayCtx::new(site, r, secrets)),
            policy: Policy::new(site),
        }
    }

    /// The peer called `name`.
    pub fn peer(&self, name: &str) -> Option<&PeerCtx> {
        self.peers.iter().find(|p| p.name == name)
    }

    /// The ports `p` may use, by camera: its own under `only`, else each
    /// of its cameras' ports.
    pub fn ports_of<'a>(&'a self, p: &'a PeerCtx) -> Vec<(&'a str, &'a [PortCtx])> {
        if p.only.is_some() {
            return p
                .ports
                .iter()
                .map(|(c, ports)| (c.as_str(), ports.as_slice()))
                .collect();
        }
        self.cameras_of(p)
            .map(|c| (c.name.as_str(), c.ports.as_slice()))
            .collect()
    }

    /// The RTSP URLs `p` may open, by camera.
    pub fn streams_of<'a>(&'a self, p: &'a PeerCtx) -> Vec<(&'a str, &'a str)> {
        if p.only.is_some() {
            return p
                .streams
                .iter()
                .map(|(c, url)| (c.as_str(), url.as_str()))
                .collect();
        }
        self.cameras_of(p)
            .filter_map(|c| Some((c.name.as_str(), c.rtsp_url.as_deref()?)))
            .collect()
    }

    fn cameras_of<'a>(&'a self, p: &'a PeerCtx) -> impl Iterator<Item = &'a CameraCtx> + 'a {
        self.cameras.iter().filter(|c| p.cameras.contains(&c.name))
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::fewest_prefixes;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn adjacent_addresses_become_the_fewest_prefixes_that_cover_exactly_them() {
        let mut cams = ips(&["10.66.0.1"]);
        cams.extend((11..=130).map(|i| IpAddr::from([192, 168, 1, i])));
        let got = fewest_prefixes(&cams);
        assert_eq!(
            got,
            [
                "10.66.0.1/32",
                "192.168.1.11/32",
                "192.168.1.12/30",
                "192.168.1.16/28",
                "192.168.1.32/27",
                "192.168.1.64/26",
                "192.168.1.128/31",
                "192.168.1.130/32"
            ]
        );
    }

    #[test]
    fn with_nothing_adjacent_the_hosts_keep_their_order() {
        let list = [
            "10.66.0.1",
            "192.168.1.20",
            "192.168.1.108",
            "fd66::1",
            "192.168.1.5",
        ];
        let want: Vec<String> = list
            .iter()
            .map(|a| format!("{a}/{}", if a.contains(':') { 128 } else { 32 }))
            .collect();
        assert_eq!(fewest_prefixes(&ips(&list)), want);
    }
}
