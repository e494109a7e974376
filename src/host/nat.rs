//! Is this router reachable from the internet at all? A WAN address in
//! carrier-grade NAT space (100.64.0.0/10) or a private range, while the
//! endpoint phones dial is elsewhere, means nothing from outside reaches the
//! router: the site needs a relay.

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use serde::Serialize;

use super::run::Host;
use crate::model::endpoint::Host as EndpointHost;
use crate::model::site::Site;

/// What kind of address the router's WAN has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WanKind {
    /// 100.64.0.0/10: carrier-grade NAT (RFC 6598), never reachable.
    Cgnat,
    /// RFC 1918: behind another router, reachable only through a port
    /// forward on that one.
    Private,
}

/// The router's WAN seen from inside.
#[derive(Debug, Clone, Serialize)]
pub struct Wan {
    /// The WAN interface.
    pub interface: String,
    /// Its IPv4 address.
    pub address: Ipv4Addr,
    /// What kind.
    pub kind: WanKind,
}

/// The kind of a non-public address, `None` for a public one.
pub fn classify(ip: Ipv4Addr) -> Option<WanKind> {
    let [a, b, ..] = ip.octets();
    if a == 100 && (64..128).contains(&b) {
        Some(WanKind::Cgnat)
    } else if ip.is_private() {
        Some(WanKind::Private)
    } else {
        None
    }
}

/// The IPv4 addresses of `iface` on this host (`ip -j -4 addr show`).
fn addresses(iface: &str) -> Vec<Ipv4Addr> {
    ip_addresses(&["-4", "addr", "show", "dev", iface])
}

/// The addresses `ip -j ARGS` lists (none where `ip` fails).
pub(crate) fn ip_addresses<T: std::str::FromStr>(args: &[&str]) -> Vec<T> {
    let mut cmd = vec!["ip", "-j"];
    cmd.extend(args);
    let Some(out) = Host::probe(&cmd).filter(|o| o.status.success()) else {
        return Vec::new();
    };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    v.as_array()
        .into_iter()
        .flatten()
        .flat_map(|l| l["addr_info"].as_array().cloned().unwrap_or_default())
        .filter_map(|a| a["local"].as_str()?.parse().ok())
        .collect()
}

/// Whether `ip` is an address of this host: packets from here to it never
/// pass the port forwards (prerouting DNAT) that the internet meets.
pub fn is_own_address(ip: IpAddr) -> bool {
    ip.is_loopback() || ip_addresses::<IpAddr>(&["addr", "show"]).contains(&ip)
}

/// The addresses `host` stands for (a name is resolved; none if it fails).
pub fn resolve(host: &EndpointHost) -> Vec<IpAddr> {
    match host {
        EndpointHost::Ip(ip) => vec![*ip],
        EndpointHost::Name(n) => (n.as_str(), 0)
            .to_socket_addrs()
            .map(|a| a.map(|s| s.ip()).collect())
            .unwrap_or_default(),
    }
}

/// The WAN of `site` on this host when it cannot be reached from the
/// internet: every IPv4 address of the WAN interface is carrier-grade NAT
/// or private, and the endpoint is none of them (a site used only on its
/// own network dials the WAN address itself).
pub fn unreachable_wan(site: &Site) -> Option<Wan> {
    let iface = site.wan_if.as_ref()?.to_string();
    let addrs = addresses(&iface);
    let kinds: Vec<(Ipv4Addr, WanKind)> = addrs
        .iter()
        .map(|a| classify(*a).map(|k| (*a, k)))
        .collect::<Option<_>>()?;
    let endpoint = resolve(&site.endpoint.host);
    if endpoint
        .iter()
        .any(|e| addrs.iter().any(|a| IpAddr::V4(*a) == *e))
    {
        return None;
    }
    // Carrier NAT first: it is the one no port forward can fix.
    let (address, kind) = kinds
        .iter()
        .copied()
        .find(|(_, k)| *k == WanKind::Cgnat)
        .or_else(|| kinds.first().copied())?;
    Some(Wan {
        interface: iface,
        address,
        kind,
    })
}

impl Wan {
    /// What it means, for people, with what to do.
    pub fn advice(&self, site: &Site) -> String {
        let what = match self.kind {
            WanKind::Cgnat => format!(
                "the WAN address {} of {} is carrier-grade NAT (100.64.0.0/10): nothing from the internet reaches this router, so phones cannot dial {} directly",
                self.address,
                self.interface,
                site.endpoint.with_port(site.listen_port)
            ),
            WanKind::Private => format!(
                "the WAN address {} of {} is private: phones reach this router only if the device in front of it forwards udp {} to it",
                self.address, self.interface, site.listen_port
            ),
        };
        match &site.relay {
            Some(r) => format!("{what}; phones dial the relay {}", r.phone_endpoint()),
            None => format!(
                "{what}; use a relay on a small internet host: camvpn site set --relay HOST (README: Behind CGNAT)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carrier_nat_and_private_ranges_are_told_apart() {
        let c = |s: &str| classify(s.parse().unwrap());
        assert_eq!(c("100.64.0.2"), Some(WanKind::Cgnat));
        assert_eq!(c("100.127.255.254"), Some(WanKind::Cgnat));
        assert_eq!(c("100.128.0.1"), None);
        assert_eq!(c("100.63.255.255"), None);
        assert_eq!(c("192.168.0.10"), Some(WanKind::Private));
        assert_eq!(c("10.1.2.3"), Some(WanKind::Private));
        assert_eq!(c("172.16.0.1"), Some(WanKind::Private));
        assert_eq!(c("203.0.113.1"), None);
    }
}
