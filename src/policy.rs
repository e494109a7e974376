//! The policy: who may reach what, derived from the site and never stored.
//!
//! It is the single firewall truth that every backend renders:
//!
//! 1. WAN → router: camvpn opens only the WireGuard UDP port.
//! 2. WAN → camera, any port, IPv4 and IPv6: dropped, even where an old DNAT
//!    port forward still exists (the forward hook sees the address after
//!    DNAT). Backends drop everything to a camera that does not come from the
//!    LAN interface or as an allowed tunnel tuple, so a second WAN or a guest
//!    network is covered as well.
//! 3. tunnel → camera: only the (peer, camera, port/proto) tuples the site
//!    allows; everything else from the tunnel is dropped (peers also do not
//!    reach other LAN hosts, each other, or the WAN unless full-tunnel).
//! 4. camera → WAN: dropped unless the camera (or the site) allows internet.
//!    Camera → router (DNS, NTP) is not forwarded traffic and stays open.
//!    A camera may start flows to the peers that may view it: RTSP over UDP
//!    sends RTP from the camera to ports the phone chose, and mainline Linux
//!    has no conntrack helper that would mark those as related.
//! 5. full-tunnel peers only: tunnel → WAN, masqueraded.
//!
//! Everything is in sets (addresses, tuples), so backends that support sets
//! keep a constant number of rules however many peers and cameras there are.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::ops::Deref;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Serde, Value};
use serde::{Serialize, Serializer};

use crate::model::mac::MacAddr;
use crate::model::peer::allowed_ports;
use crate::model::port::PortSpec;
use crate::model::relay::RELAY_IF;
use crate::model::site::Site;
use crate::model::vendor::Vendor;

/// Log prefixes of dropped packets (at most 29 characters, iptables' limit).
pub mod prefix {
    /// Traffic from or to the tunnel outside the policy.
    pub const VPN: &str = "camvpn drop vpn: ";
    /// Traffic to a camera from outside the LAN (the WAN, old forwards).
    pub const CAMERA_IN: &str = "camvpn drop to-camera: ";
    /// Traffic from a camera leaving the LAN (vendor clouds).
    pub const CAMERA_OUT: &str = "camvpn drop camera-out: ";
}

/// One allowed (peer, camera, port) tuple.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    /// Peer name.
    pub peer: Arc<str>,
    /// Peer tunnel address.
    pub peer_ip: IpAddr,
    /// Camera name.
    pub camera: Arc<str>,
    /// Camera address.
    pub camera_ip: IpAddr,
    /// Port number.
    pub port: u16,
    /// tcp or udp.
    pub proto: &'static str,
}

/// The grants of one (peer, camera, protocol), with their ports joined for
/// `iptables -m multiport` (at most 15 ports a rule).
#[derive(Debug, Clone, Serialize)]
pub struct GrantGroup {
    /// Peer name.
    pub peer: Arc<str>,
    /// Peer tunnel address.
    pub peer_ip: IpAddr,
    /// Camera name.
    pub camera: Arc<str>,
    /// Camera address.
    pub camera_ip: IpAddr,
    /// tcp or udp.
    pub proto: &'static str,
    /// Comma-separated ports.
    pub ports: String,
}

/// A (camera, peer) pair: the camera may start flows to the peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Viewer {
    /// Camera address.
    pub camera_ip: IpAddr,
    /// Peer tunnel address.
    pub peer_ip: IpAddr,
}

/// A long list of the policy (tuples grow with peers × cameras), shared
/// with templates without a copy: serialized for minijinja it becomes a
/// sequence whose items are converted as a template reads them, so a list
/// a template does not use costs nothing and one it loops over is never
/// held twice. Other serializers (JSON) see a plain list.
#[derive(Debug)]
pub struct List<T>(Arc<Vec<T>>);

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List(Arc::clone(&self.0))
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Arc::default())
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(items: Vec<T>) -> Self {
        List(Arc::new(items))
    }
}

impl<T> Deref for List<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: Serialize + fmt::Debug + Send + Sync + 'static> Serialize for List<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if minijinja::value::serializing_for_value() {
            Value::from_object(LazySeq(Arc::clone(&self.0))).serialize(serializer)
        } else {
            self.0.serialize(serializer)
        }
    }
}

/// The template side of a [`List`].
#[derive(Debug)]
struct LazySeq<T>(Arc<Vec<T>>);

impl<T: Serialize + fmt::Debug + Send + Sync + 'static> Object for LazySeq<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let item = self.0.get(key.as_usize()?)?;
        Some(Value::from(Serde(item)))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

/// Peers that may reach exactly the same (camera, port) tuples. Routers
/// give each list its rules once and match its peers through a set, so
/// rules grow with cameras and distinct lists, never with peers.
#[derive(Debug, Clone, Serialize)]
pub struct AccessList {
    /// 1-based, in the order of the list's first peer on the site.
    pub id: usize,
    /// The tunnel addresses of its peers.
    pub peers: Vec<IpAddr>,
    /// What they may reach: cameras with the same ports, per protocol.
    pub rules: Vec<ListRule>,
    /// The cameras it reaches (they may start flows to its peers).
    pub cameras: Vec<IpAddr>,
}

/// Cameras an access list reaches on the same ports of one protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListRule {
    /// The cameras' addresses.
    pub cameras: Vec<IpAddr>,
    /// tcp or udp.
    pub proto: &'static str,
    /// Comma-separated ports, at most 15 (`iptables -m multiport`).
    pub ports: String,
}

/// Groups the peers of `access` (in site order) by the tuples they may use.
fn access_lists(access: &[Grant]) -> Vec<AccessList> {
    // Each peer's grants are contiguous in `access`, in the same order for
    // the same camera list: the tuples themselves are the key.
    type Tuple = (IpAddr, &'static str, u16);
    let mut index: HashMap<Vec<Tuple>, usize> = HashMap::new();
    let mut lists: Vec<AccessList> = Vec::new();
    for grants in access.chunk_by(|a, b| a.peer_ip == b.peer_ip) {
        let key: Vec<Tuple> = grants
            .iter()
            .map(|g| (g.camera_ip, g.proto, g.port))
            .collect();
        let peer = grants[0].peer_ip;
        if let Some(&i) = index.get(&key) {
            lists[i].peers.push(peer);
            continue;
        }
        // (proto, ports) → cameras, in order of first appearance.
        let mut rules: Vec<ListRule> = Vec::new();
        let mut cameras: Vec<IpAddr> = Vec::new();
        for cam in grants.chunk_by(|a, b| a.camera_ip == b.camera_ip) {
            cameras.push(cam[0].camera_ip);
            for proto in cam.chunk_by(|a, b| a.proto == b.proto) {
                for ports in proto.chunks(15) {
                    let ports: Vec<String> = ports.iter().map(|g| g.port.to_string()).collect();
                    let ports = ports.join(",");
                    let proto = proto[0].proto;
                    match rules
                        .iter_mut()
                        .find(|r| r.proto == proto && r.ports == ports)
                    {
                        Some(r) => r.cameras.push(cam[0].camera_ip),
                        None => rules.push(ListRule {
                            cameras: vec![cam[0].camera_ip],
                            proto,
                            ports,
                        }),
                    }
                }
            }
        }
        index.insert(key, lists.len());
        lists.push(AccessList {
            id: lists.len() + 1,
            peers: vec![peer],
            rules,
            cameras,
        });
    }
    lists
}

/// Addresses and tuples of one IP family.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Family {
    /// Camera addresses.
    pub cameras: Vec<IpAddr>,
    /// Allowed tunnel → camera tuples.
    pub access: List<Grant>,
    /// The same, grouped by (peer, camera, protocol).
    pub access_groups: List<GrantGroup>,
    /// The peers, grouped by what they may reach.
    pub lists: Vec<AccessList>,
    /// Camera → peer pairs.
    pub viewers: List<Viewer>,
    /// Cameras that may reach the internet.
    pub internet: Vec<IpAddr>,
    /// Full-tunnel peers.
    pub full_tunnel: Vec<IpAddr>,
    /// DNS servers on the LAN that peers may query (port 53).
    pub dns: Vec<IpAddr>,
    /// The router's own tunnel address: peers may ping it.
    pub router: Option<IpAddr>,
    /// Every DNS server peers are given: where one is the router itself,
    /// peers may query it (the router's input).
    pub router_dns: Vec<IpAddr>,
}

/// A service of the router that peers may reach through the tunnel.
#[derive(Debug, Clone, Serialize)]
pub struct RouterService {
    /// `tcp` or `udp`.
    pub proto: &'static str,
    /// The port.
    pub port: u16,
}

/// The log prefixes, for templates.
#[derive(Debug, Clone, Serialize)]
pub struct Prefixes {
    /// [`prefix::VPN`].
    pub vpn: &'static str,
    /// [`prefix::CAMERA_IN`].
    pub camera_in: &'static str,
    /// [`prefix::CAMERA_OUT`].
    pub camera_out: &'static str,
}

/// The policy of a site.
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// The WireGuard interface.
    pub wg_if: String,
    /// The WAN interface (none: asked at run time, DD-WRT).
    pub wan_if: Option<String>,
    /// The router's tunnel to a relay, when the site has one: it carries
    /// nothing but WireGuard to `listen_port`, so a relay that routes
    /// anything else into it reaches nothing.
    pub relay_if: Option<String>,
    /// The LAN interface.
    pub lan_if: String,
    /// The WireGuard port opened on the WAN.
    pub listen_port: u16,
    /// Log drops?
    pub log: bool,
    /// The log prefixes.
    pub prefix: Prefixes,
    /// The largest TCP segment through the tunnel over IPv4 (its MTU less
    /// 40): the router clamps the MSS of every connection through it, both
    /// ways, so peers whose config camvpn did not write fit too.
    pub mss4: u16,
    /// The same over IPv6 (the MTU less 60).
    pub mss6: u16,
    /// Cameras kept off the internet may still reach NTP (udp 123) there.
    pub camera_ntp: bool,
    /// IPv4.
    pub v4: Family,
    /// IPv6.
    pub v6: Family,
    /// The MAC addresses of the cameras that may not reach the internet:
    /// over IPv6 they are known by MAC, whatever address they pick.
    pub camera_macs: Vec<MacAddr>,
    /// What the tunnel may reach on the router itself besides ping and DNS
    /// (nothing unless the site opens it): everything else from the tunnel
    /// to the router is dropped.
    pub router_access: Vec<RouterService>,
}

fn group(access: &[Grant]) -> Vec<GrantGroup> {
    let mut out: Vec<GrantGroup> = Vec::new();
    let mut count = 0;
    for g in access {
        match out.last_mut() {
            Some(last)
                if last.peer == g.peer
                    && last.camera == g.camera
                    && last.proto == g.proto
                    && count < 15 =>
            {
                last.ports.push(',');
                last.ports.push_str(&g.port.to_string());
                count += 1;
            }
            _ => {
                out.push(GrantGroup {
                    peer: Arc::clone(&g.peer),
                    peer_ip: g.peer_ip,
                    camera: Arc::clone(&g.camera),
                    camera_ip: g.camera_ip,
                    proto: g.proto,
                    ports: g.port.to_string(),
                });
                count = 1;
            }
        }
    }
    out
}

/// A camera as every (peer, camera) pair sees it.
struct Cam {
    name: Arc<str>,
    vendor: Option<&'static Vendor>,
    ports: Vec<PortSpec>,
}

impl Policy {
    /// The policy of `site`.
    pub fn new(site: &Site) -> Self {
        let mut v4 = Family::default();
        let mut v6 = Family::default();
        let mut camera_macs = Vec::new();
        for c in &site.cameras {
            // Its IPv6 addresses: the one given, and the SLAAC one under
            // the LAN's prefix, which its MAC tells.
            let derived = c.mac.zip(site.lan6).and_then(|(m, p)| m.eui64_in(p));
            let ip6: Vec<IpAddr> = c
                .ip6
                .into_iter()
                .chain(derived)
                .map(IpAddr::V6)
                .filter(|a| !v6.cameras.contains(a))
                .collect();
            v4.cameras.push(IpAddr::V4(c.ip));
            v6.cameras.extend(&ip6);
            if c.internet || site.camera_internet {
                v4.internet.push(IpAddr::V4(c.ip));
                v6.internet.extend(&ip6);
            } else if let Some(m) = c.mac
                && !camera_macs.contains(&m)
            {
                camera_macs.push(m);
            }
        }
        // What every pair needs of a camera, worked out once per camera.
        let cams: HashMap<&str, Cam> = site
            .cameras
            .iter()
            .map(|c| {
                let mut ports = c.ports();
                // TCP ports together and UDP ports together, so that
                // iptables needs one multiport rule per protocol.
                ports.sort_by_key(|p| p.proto);
                let cam = Cam {
                    name: Arc::from(c.name.as_str()),
                    vendor: c.vendor().ok(),
                    ports,
                };
                (c.name.as_str(), cam)
            })
            .collect();
        let (mut access4, mut access6) = (Vec::new(), Vec::new());
        let (mut viewers4, mut viewers6) = (Vec::new(), Vec::new());
        for p in &site.peers {
            if p.full_tunnel {
                v4.full_tunnel.push(IpAddr::V4(p.address));
                v6.full_tunnel.extend(p.address6.map(IpAddr::V6));
            }
            let peer: Arc<str> = Arc::from(p.name.as_str());
            for c in site.cameras_of(p) {
                let cam = &cams[c.name.as_str()];
                let ports = allowed_ports(p.only.as_deref(), &cam.ports, cam.vendor);
                if ports.is_empty() {
                    continue;
                }
                let grant = |peer_ip: IpAddr, camera_ip: IpAddr, port: &PortSpec| Grant {
                    peer: Arc::clone(&peer),
                    peer_ip,
                    camera: Arc::clone(&cam.name),
                    camera_ip,
                    port: port.port,
                    proto: port.proto.as_str(),
                };
                viewers4.push(Viewer {
                    camera_ip: IpAddr::V4(c.ip),
                    peer_ip: IpAddr::V4(p.address),
                });
                access4.extend(
                    ports
                        .iter()
                        .map(|port| grant(IpAddr::V4(p.address), IpAddr::V4(c.ip), port)),
                );
                if let (Some(peer6), Some(cam6)) = (p.address6, c.ip6) {
                    viewers6.push(Viewer {
                        camera_ip: IpAddr::V6(cam6),
                        peer_ip: IpAddr::V6(peer6),
                    });
                    access6.extend(
                        ports
                            .iter()
                            .map(|port| grant(IpAddr::V6(peer6), IpAddr::V6(cam6), port)),
                    );
                }
            }
            let dns = p.dns.as_ref().unwrap_or(&site.dns);
            for ip in dns {
                // Only resolvers behind the router are forwarded traffic;
                // the router's own addresses are input, public ones are not
                // reached through a split tunnel.
                let forwarded = match ip {
                    IpAddr::V4(a) => site.lan.contains(a),
                    IpAddr::V6(_) => false,
                };
                if forwarded && !v4.dns.contains(ip) {
                    v4.dns.push(*ip);
                }
                let fam = if ip.is_ipv4() { &mut v4 } else { &mut v6 };
                if !fam.router_dns.contains(ip) {
                    fam.router_dns.push(*ip);
                }
            }
        }
        v4.access_groups = group(&access4).into();
        v6.access_groups = group(&access6).into();
        v4.lists = access_lists(&access4);
        v6.lists = access_lists(&access6);
        v4.access = access4.into();
        v6.access = access6.into();
        v4.viewers = viewers4.into();
        v6.viewers = viewers6.into();
        v4.router = Some(IpAddr::V4(site.server_address()));
        v6.router = site.server_address6().map(IpAddr::V6);
        Policy {
            wg_if: site.interface.to_string(),
            wan_if: site.wan_if.as_ref().map(ToString::to_string),
            relay_if: site.relay.as_ref().map(|_| RELAY_IF.to_owned()),
            lan_if: site.lan_if.to_string(),
            listen_port: site.listen_port,
            log: site.log_drops,
            mss4: site.tunnel_mtu() - 40,
            mss6: site.tunnel_mtu() - 60,
            camera_ntp: site.camera_ntp,
            prefix: Prefixes {
                vpn: prefix::VPN,
                camera_in: prefix::CAMERA_IN,
                camera_out: prefix::CAMERA_OUT,
            },
            v4,
            v6,
            camera_macs,
            router_access: site
                .router_access
                .iter()
                .map(|p| RouterService {
                    proto: p.proto.as_str(),
                    port: p.port,
                })
                .collect(),
        }
    }

    /// Whether peer `peer_ip` may reach `camera_ip` on `port`.
    pub fn allows(&self, peer_ip: IpAddr, camera_ip: IpAddr, port: PortSpec) -> bool {
        let fam = if peer_ip.is_ipv4() {
            &self.v4
        } else {
            &self.v6
        };
        fam.access.iter().any(|g| {
            g.peer_ip == peer_ip
                && g.camera_ip == camera_ip
                && g.port == port.port
                && g.proto == port.proto.as_str()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::camera::Camera;
    use crate::model::keys::PrivateKey;
    use crate::model::peer::{Access, Peer};
    use crate::model::site::tests::site;

    #[test]
    fn lists_read_the_same_in_json_and_in_templates() {
        let list: List<Viewer> = vec![
            Viewer {
                camera_ip: ip("192.168.1.10"),
                peer_ip: ip("10.66.0.2"),
            },
            Viewer {
                camera_ip: ip("192.168.1.11"),
                peer_ip: ip("10.66.0.3"),
            },
        ]
        .into();
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json[1]["peer_ip"], "10.66.0.3");
        let env = minijinja::Environment::new();
        let render = |src: &str, list: &List<Viewer>| {
            env.render_str(src, minijinja::context! { l => Value::from(Serde(list)) })
                .unwrap()
        };
        assert_eq!(
            render(
                "{% for v in l %}{{ v.camera_ip }}>{{ v.peer_ip }}{{ ',' if not loop.last }}{% endfor %}",
                &list
            ),
            "192.168.1.10>10.66.0.2,192.168.1.11>10.66.0.3"
        );
        assert_eq!(
            render(
                "{{ l|length }} {{ l[-1].peer_ip }} {{ l[0].camera_ip }} {{ l[5] is undefined }}",
                &list
            ),
            "2 10.66.0.3 192.168.1.10 True"
        );
        assert_eq!(render("{{ 'full' if l else 'empty' }}", &list), "full");
        assert_eq!(
            render("{{ 'full' if l else 'empty' }}", &List::default()),
            "empty"
        );
        // The template's view serializes back to the same JSON.
        assert_eq!(
            serde_json::to_value(Value::from(Serde(&list))).unwrap(),
            json
        );
    }

    fn camera(name: &str, ip: &str, vendor: &str) -> Camera {
        Camera {
            name: name.parse().unwrap(),
            ip: ip.parse().unwrap(),
            ip6: None,
            mac: None,
            vendor: vendor.into(),
            ports: None,
            internet: false,
        }
    }

    fn peer(s: &Site, name: &str, cameras: Access, only: Option<&str>) -> Peer {
        let (address, address6) = s.free_addresses().unwrap();
        Peer {
            cameras,
            only: only.map(|o| o.split(',').map(|x| x.parse().unwrap()).collect()),
            ..Peer::new(
                name.parse().unwrap(),
                address,
                address6,
                PrivateKey::generate().public_key(),
            )
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn access_lists_and_service_filters() {
        let mut s = site();
        s.cameras.push(camera("door", "192.168.1.10", "dahua"));
        s.cameras.push(camera("yard", "192.168.1.11", "hikvision"));
        let p = peer(&s, "all", Access::All, None);
        s.peers.push(p);
        let p = peer(
            &s,
            "view",
            Access::Only(vec!["door".parse().unwrap()]),
            Some("rtsp"),
        );
        s.peers.push(p);
        let pol = Policy::new(&s);
        let (all, view) = (ip("10.66.0.2"), ip("10.66.0.3"));
        assert!(pol.allows(all, ip("192.168.1.10"), "37777/tcp".parse().unwrap()));
        assert!(pol.allows(all, ip("192.168.1.11"), "8000/tcp".parse().unwrap()));
        assert!(pol.allows(view, ip("192.168.1.10"), "554/tcp".parse().unwrap()));
        assert!(!pol.allows(view, ip("192.168.1.10"), "80/tcp".parse().unwrap()));
        assert!(!pol.allows(view, ip("192.168.1.11"), "554/tcp".parse().unwrap()));
        // dahua 5 + hikvision 4 for "all", one for "view".
        assert_eq!(pol.v4.access.len(), 10);
        assert_eq!(pol.v4.viewers.len(), 3);
    }

    #[test]
    fn groups_ports_per_peer_camera_and_protocol() {
        let mut s = site();
        s.cameras.push(camera("door", "192.168.1.10", "dahua"));
        let p = peer(&s, "a", Access::All, None);
        s.peers.push(p);
        let pol = Policy::new(&s);
        let groups: Vec<(&str, &str)> = pol
            .v4
            .access_groups
            .iter()
            .map(|g| (g.proto, g.ports.as_str()))
            .collect();
        assert_eq!(groups, [("tcp", "80,443,554,37777"), ("udp", "37778")]);
    }

    #[test]
    fn peers_with_the_same_access_share_one_list() {
        let mut s = site();
        s.subnet = "10.66.0.0/24".parse().unwrap();
        s.cameras.push(camera("door", "192.168.1.10", "dahua"));
        s.cameras.push(camera("yard", "192.168.1.11", "dahua"));
        s.cameras.push(camera("nvr", "192.168.1.12", "hikvision"));
        let door = || Access::Only(vec!["door".parse().unwrap()]);
        for (name, access, only) in [
            ("a", Access::All, None),
            ("b", door(), Some("rtsp")),
            ("c", Access::All, None),
            ("d", door(), Some("rtsp")),
            ("e", door(), None),
            ("none", Access::Only(vec![]), None),
        ] {
            let p = peer(&s, name, access, only);
            s.peers.push(p);
        }
        let pol = Policy::new(&s);
        let lists = &pol.v4.lists;
        let peers: Vec<Vec<String>> = lists
            .iter()
            .map(|l| l.peers.iter().map(ToString::to_string).collect())
            .collect();
        // a and c; b and d; e; the peer without cameras is in none.
        assert_eq!(
            peers,
            [
                vec!["10.66.0.2", "10.66.0.4"],
                vec!["10.66.0.3", "10.66.0.5"],
                vec!["10.66.0.6"]
            ]
        );
        assert_eq!(lists.iter().map(|l| l.id).collect::<Vec<_>>(), [1, 2, 3]);
        // The two dahua cameras share their rules; the hikvision has its own.
        let rules: Vec<(Vec<String>, &str, &str)> = lists[0]
            .rules
            .iter()
            .map(|r| {
                (
                    r.cameras.iter().map(ToString::to_string).collect(),
                    r.proto,
                    r.ports.as_str(),
                )
            })
            .collect();
        assert_eq!(
            rules,
            [
                (
                    vec!["192.168.1.10".to_owned(), "192.168.1.11".to_owned()],
                    "tcp",
                    "80,443,554,37777"
                ),
                (
                    vec!["192.168.1.10".to_owned(), "192.168.1.11".to_owned()],
                    "udp",
                    "37778"
                ),
                (vec!["192.168.1.12".to_owned()], "tcp", "80,443,554,8000"),
            ]
        );
        assert_eq!(lists[0].cameras.len(), 3);
        assert_eq!(lists[1].rules.len(), 1);
        assert_eq!(lists[1].rules[0].ports, "554");
        // Every tuple of every peer is in its list's rules, and no other.
        for l in lists {
            for peer in &l.peers {
                let mine: Vec<(IpAddr, &str, u16)> = pol
                    .v4
                    .access
                    .iter()
                    .filter(|g| g.peer_ip == *peer)
                    .map(|g| (g.camera_ip, g.proto, g.port))
                    .collect();
                let mut from_rules: Vec<(IpAddr, &str, u16)> = Vec::new();
                for r in &l.rules {
                    for c in &r.cameras {
                        for port in r.ports.split(',') {
                            from_rules.push((*c, r.proto, port.parse().unwrap()));
                        }
                    }
                }
                let (mut a, mut b) = (mine, from_rules);
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn internet_and_full_tunnel() {
        let mut s = site();
        let mut c = camera("cloud", "192.168.1.12", "reolink");
        c.internet = true;
        s.cameras.push(c);
        s.cameras.push(camera("local", "192.168.1.13", "axis"));
        let mut p = peer(&s, "ft", Access::All, None);
        p.full_tunnel = true;
        s.peers.push(p);
        let pol = Policy::new(&s);
        assert_eq!(pol.v4.internet, [ip("192.168.1.12")]);
        assert_eq!(pol.v4.full_tunnel, [ip("10.66.0.2")]);
        s.camera_internet = true;
        assert_eq!(Policy::new(&s).v4.internet.len(), 2);
    }
}
