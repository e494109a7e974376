//! `status`: the running WireGuard interface and the loaded firewall, read
//! from this host, next to what the site says.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::nat::{self, Wan};
use super::run::Host;
use crate::model::relay::RELAY_IF;
use crate::model::site::{Firewall, Platform, Site};
use crate::policy::Policy;

/// A handshake younger than this means the peer is online (WireGuard
/// renews its session every two minutes while traffic flows).
pub const ONLINE_SECS: u64 = 180;

/// One peer of the running interface.
#[derive(Debug, Clone, Serialize)]
pub struct PeerStatus {
    /// Its name in the site; `None`: the interface has it, the site not.
    pub name: Option<String>,
    /// Its public key.
    pub public_key: String,
    /// Unix seconds of its latest handshake.
    pub latest_handshake: Option<u64>,
    /// Where its packets last came from.
    pub endpoint: Option<String>,
    /// Bytes received from it.
    pub rx_bytes: u64,
    /// Bytes sent to it.
    pub tx_bytes: u64,
    /// A handshake within [`ONLINE_SECS`].
    pub online: bool,
}

/// Whether the firewall camvpn renders is the one loaded.
#[derive(Debug, Clone, Serialize)]
pub struct FirewallStatus {
    /// nft, iptables or fw4.
    pub backend: String,
    /// Loaded, and (where it can be read back) the site's.
    pub loaded: bool,
    /// What was found, for people.
    pub detail: String,
}

/// The site on this host.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The WireGuard interface.
    pub interface: String,
    /// Whether it is up.
    pub up: bool,
    /// Its peers, the site's first.
    pub peers: Vec<PeerStatus>,
    /// What the running interface has other than the site says: its key,
    /// listen port, address, peers the site does not have.
    pub differs: Vec<String>,
    /// The firewall.
    pub firewall: FirewallStatus,
    /// The tunnel to the relay, when the site has one.
    pub relay: Option<RelayStatus>,
    /// The WAN, when nothing from the internet can reach it.
    pub wan: Option<WanStatus>,
}

/// The router's tunnel to its relay.
#[derive(Debug, Clone, Serialize)]
pub struct RelayStatus {
    /// The interface.
    pub interface: String,
    /// `host:port` it dials.
    pub endpoint: String,
    /// Whether it is up.
    pub up: bool,
    /// Unix seconds of the latest handshake with the relay.
    pub latest_handshake: Option<u64>,
    /// A handshake within [`ONLINE_SECS`] (the router keeps it alive).
    pub online: bool,
}

/// A WAN the internet cannot reach.
#[derive(Debug, Clone, Serialize)]
pub struct WanStatus {
    /// What was found.
    #[serde(flatten)]
    pub wan: Wan,
    /// What it means and what to do.
    pub advice: String,
}

impl Status {
    /// A finding (exit 1): the interface down or other than the site, the
    /// firewall not loaded, or the relay tunnel without a recent handshake.
    pub fn broken(&self) -> bool {
        !self.up
            || !self.firewall.loaded
            || !self.differs.is_empty()
            || self.relay.as_ref().is_some_and(|r| !r.online)
    }
}

/// Peers of `wg show IF dump`: after the interface's own line, one line a
/// peer: key, psk, endpoint, allowed ips, handshake, rx, tx, keepalive.
fn parse_dump(dump: &str, site: &Site, now: u64) -> Vec<PeerStatus> {
    let mut peers: Vec<PeerStatus> = dump
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let [key, _psk, endpoint, _ips, hs, rx, tx, ..] = f[..] else {
                return None;
            };
            let hs: u64 = hs.parse().unwrap_or(0);
            Some(PeerStatus {
                name: site
                    .peers
                    .iter()
                    .find(|p| p.public_key.to_string() == key)
                    .map(|p| p.name.to_string()),
                public_key: key.to_owned(),
                latest_handshake: (hs > 0).then_some(hs),
                endpoint: (endpoint != "(none)").then(|| endpoint.to_owned()),
                rx_bytes: rx.parse().unwrap_or(0),
                tx_bytes: tx.parse().unwrap_or(0),
                online: hs > 0 && now.saturating_sub(hs) <= ONLINE_SECS,
            })
        })
        .collect();
    // The site's order; unknown peers last.
    peers.sort_by_key(|p| {
        p.name
            .as_ref()
            .and_then(|n| site.peers.iter().position(|s| s.name.as_str() == n))
            .unwrap_or(usize::MAX)
    });
    peers
}

/// What the running interface `iface` has other than the site: `dump` is
/// `wg show IF dump` (its own line first: private key, public key, listen
/// port, fwmark), `addresses` its addresses.
fn differences(site: &Site, iface: &str, dump: &str, addresses: &[IpAddr]) -> Vec<String> {
    let mut out = Vec::new();
    let own: Vec<&str> = dump
        .lines()
        .next()
        .unwrap_or_default()
        .split('\t')
        .collect();
    let key = site.server_public_key.to_string();
    if let Some(k) = own.get(1).filter(|k| **k != key) {
        out.push(format!(
            "{iface} has the key {k}, the site {key}: if camvpn applied it before (and init --force made new keys), camvpn apply puts the site's on; else it is another VPN's, which camvpn apply does not take over"
        ));
    }
    if let Some(p) = own.get(2).filter(|p| **p != site.listen_port.to_string()) {
        out.push(format!(
            "{iface} listens on UDP {p}, the site on {}: run camvpn apply",
            site.listen_port
        ));
    }
    let router = IpAddr::V4(site.server_address());
    if !addresses.contains(&router) {
        out.push(format!(
            "{iface} does not have the router's tunnel address {router}: run camvpn apply"
        ));
    }
    let stale = dump
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|k| !site.peers.iter().any(|p| p.public_key.to_string() == *k))
        .count();
    if stale > 0 {
        out.push(format!(
            "{iface} has {stale} peer(s) the site does not (removed peers' keys still admitted): run camvpn apply"
        ));
    }
    out
}

fn ok(argv: &[&str]) -> Option<String> {
    Host::probe(argv)
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The elements of set `name` in `nft -j list table` output.
fn nft_elements(table: &serde_json::Value, name: &str) -> Vec<String> {
    table["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("set"))
        .filter(|s| s["name"] == name)
        .flat_map(|s| s["elem"].as_array().cloned().unwrap_or_default())
        .map(|e| e.to_string())
        .collect()
}

fn firewall(site: &Site, firewall: Firewall) -> FirewallStatus {
    let policy = Policy::new(site);
    match (site.platform, firewall) {
        (Platform::Openwrt, _) => {
            let loaded = ok(&["nft", "list", "table", "inet", "fw4"])
                .is_some_and(|t| t.contains("\"!fw4: camvpn"));
            FirewallStatus {
                backend: "fw4".into(),
                loaded,
                detail: if loaded {
                    "firewall4's ruleset holds camvpn's rules".into()
                } else {
                    "firewall4's ruleset holds no camvpn rule: run camvpn apply (or fw4 reload)"
                        .into()
                },
            }
        }
        (_, Firewall::Nft) => {
            let table = ok(&["nft", "-j", "list", "table", "inet", "camvpn"])
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
            let (loaded, detail) = match table {
                None => (
                    false,
                    "the table inet camvpn is not loaded: run camvpn apply (a reload of the host's own firewall removes it: Debian's /etc/nftables.conf begins with 'flush ruleset'; the camvpn-apply unit of the Debian package applies again after nftables starts or reloads)".to_owned(),
                ),
                Some(t) => {
                    let cameras = nft_elements(&t, "cameras4").len();
                    let access = nft_elements(&t, "access4").len();
                    let want = (policy.v4.cameras.len(), policy.v4.access.len());
                    if (cameras, access) == want {
                        (
                            true,
                            format!(
                                "table inet camvpn: {cameras} cameras, {access} allowed tuples, as the site says"
                            ),
                        )
                    } else {
                        (
                            false,
                            format!(
                                "table inet camvpn holds {cameras} cameras and {access} allowed tuples, the site {} and {}: run camvpn apply",
                                want.0, want.1
                            ),
                        )
                    }
                }
            };
            FirewallStatus {
                backend: "nft".into(),
                loaded,
                detail,
            }
        }
        (_, Firewall::Iptables) => {
            let hooked = Host::probe(&["iptables", "-C", "FORWARD", "-j", "CAMVPN_FORWARD"])
                .is_some_and(|o| o.status.success());
            FirewallStatus {
                backend: "iptables".into(),
                loaded: hooked,
                detail: if hooked {
                    "CAMVPN_FORWARD is hooked into FORWARD".into()
                } else {
                    "CAMVPN_FORWARD is not hooked into FORWARD: run camvpn apply (a restore of the host's own rules, netfilter-persistent's or an iptables-restore, removes camvpn's; the camvpn-apply unit of the Debian package applies again after netfilter-persistent)".into()
                },
            }
        }
    }
}

/// Reads the site's interface and firewall on this host.
pub fn read(site: &Site, backend: Firewall) -> Status {
    let iface = site.interface.to_string();
    let dump = ok(&["wg", "show", &iface, "dump"]);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // DD-WRT numbers its tunnels: the relay's name is not known here.
    let relay = site
        .relay
        .as_ref()
        .filter(|_| site.platform != Platform::Ddwrt)
        .map(|r| {
            let dump = ok(&["wg", "show", RELAY_IF, "dump"]);
            let hs = dump
                .as_deref()
                .and_then(|d| d.lines().nth(1))
                .and_then(|l| l.split('\t').nth(4))
                .and_then(|h| h.parse::<u64>().ok())
                .filter(|h| *h > 0);
            RelayStatus {
                interface: RELAY_IF.to_owned(),
                endpoint: r.tunnel_endpoint(),
                up: dump.is_some(),
                latest_handshake: hs,
                online: hs.is_some_and(|h| now.saturating_sub(h) <= ONLINE_SECS),
            }
        });
    let differs = dump.as_deref().map_or_else(Vec::new, |d| {
        let addresses = nat::ip_addresses(&["addr", "show", "dev", &iface]);
        differences(site, &iface, d, &addresses)
    });
    Status {
        up: dump.is_some(),
        differs,
        peers: dump.map(|d| parse_dump(&d, site, now)).unwrap_or_default(),
        interface: iface,
        firewall: firewall(site, backend),
        relay,
        wan: nat::unreachable_wan(site).map(|w| WanStatus {
            advice: w.advice(site),
            wan: w,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::site::tests::site;

    #[test]
    fn dump_lines_become_peers_known_or_not() {
        let mut s = site();
        let key = crate::model::keys::PrivateKey::generate().public_key();
        let (address, address6) = s.free_addresses().unwrap();
        s.peers.push(crate::model::peer::Peer::new(
            "phone".parse().unwrap(),
            address,
            address6,
            key,
        ));
        let dump = format!(
            "priv\tpub\t51820\toff\n{key}\tpsk\t203.0.113.77:40000\t10.66.0.2/32\t1000\t500\t600\toff\nstranger=\t(none)\t(none)\t10.66.0.9/32\t0\t0\t0\toff\n"
        );
        let peers = parse_dump(&dump, &s, 1100);
        assert_eq!(peers.len(), 2);
        assert_eq!(peers[0].name.as_deref(), Some("phone"));
        assert!(peers[0].online);
        assert_eq!(peers[0].latest_handshake, Some(1000));
        assert_eq!(peers[0].endpoint.as_deref(), Some("203.0.113.77:40000"));
        assert_eq!((peers[0].rx_bytes, peers[0].tx_bytes), (500, 600));
        assert_eq!(peers[1].name, None);
        assert!(!peers[1].online);
        assert_eq!(peers[1].latest_handshake, None);
        // An old handshake is offline.
        assert!(!parse_dump(&dump, &s, 1000 + ONLINE_SECS + 1)[0].online);
    }

    /// Issue 33: status compares the running interface with the site.
    #[test]
    fn an_interface_of_another_key_port_address_or_peers_differs() {
        let mut s = site();
        let key = crate::model::keys::PrivateKey::generate().public_key();
        let (address, address6) = s.free_addresses().unwrap();
        s.peers.push(crate::model::peer::Peer::new(
            "phone".parse().unwrap(),
            address,
            address6,
            key,
        ));
        let router = IpAddr::V4(s.server_address());
        let peer = format!("{key}\t(none)\t(none)\t10.66.0.2/32\t0\t0\t0\toff\n");
        let same = format!(
            "priv\t{}\t{}\toff\n{peer}",
            s.server_public_key, s.listen_port
        );
        assert_eq!(
            differences(&s, "wg0", &same, &[router]),
            Vec::<String>::new()
        );
        let other = crate::model::keys::PrivateKey::generate().public_key();
        let cases = [
            (
                format!("priv\t{other}\t{}\toff\n{peer}", s.listen_port),
                vec![router],
                "has the key",
            ),
            (
                format!("priv\t{}\t4500\toff\n{peer}", s.server_public_key),
                vec![router],
                "listens on UDP 4500",
            ),
            (
                same.clone(),
                vec![],
                "does not have the router's tunnel address",
            ),
            (
                format!("{same}{other}\t(none)\t(none)\t10.66.0.9/32\t0\t0\t0\toff\n"),
                vec![router],
                "1 peer(s) the site does not",
            ),
        ];
        for (dump, addresses, said) in cases {
            let d = differences(&s, "wg0", &dump, &addresses);
            assert!(d.len() == 1 && d[0].contains(said), "{said}: {d:?}");
        }
    }
}
