//! `camvpn audit`: what a router forwards from the internet, and which of it
//! reaches a camera.
//!
//! Each parser turns one format (OpenWrt's firewall config, `iptables-save`,
//! `nft list ruleset` as text or JSON, DD-WRT's `nvram show`) into the same
//! [`Forward`]s; [`analyze`] then decides which are cameras. A host is a
//! camera when the site says so, or when one port forwarded to it is a camera
//! port (RTSP, the vendors' own protocols and service ports such as
//! Hikvision's SDK on 8000: `signature_ports` in `data/vendors.toml`); its
//! other forwards (its web UI) are then the camera's too. Ports other software
//! uses as well (80, 443, 5000) never mark a host on their own, nor does a
//! range that happens to cover a camera port; the weaknesses of a vendor's
//! services are named only on forwards judged cameras.

mod ddwrt;
mod iptables;
mod nft;
mod openwrt;
mod upnp;

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::Serialize;

use crate::error::InvalidValue;
use crate::model::port::{PortSpec, Proto as OneProto};
use crate::model::site::{Platform, Site};
use crate::model::vendor::Catalog;

/// A format `audit` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// OpenWrt's `/etc/config/firewall`.
    Openwrt,
    /// `iptables-save` / `ip6tables-save` output.
    Iptables,
    /// `nft list ruleset`, as text or JSON (`nft -j`).
    Nft,
    /// DD-WRT's `nvram show`.
    Ddwrt,
    /// UPnP mappings: miniupnpd's lease file or `upnpc -l` output.
    Upnp,
}

impl FromStr for Format {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        match s {
            "openwrt" => Ok(Format::Openwrt),
            "iptables" => Ok(Format::Iptables),
            "nft" => Ok(Format::Nft),
            "ddwrt" => Ok(Format::Ddwrt),
            "upnp" => Ok(Format::Upnp),
            _ => Err(InvalidValue::new(
                "use auto, openwrt, iptables, nft, ddwrt or upnp",
            )),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Openwrt => "openwrt",
            Format::Iptables => "iptables",
            Format::Nft => "nft",
            Format::Ddwrt => "ddwrt",
            Format::Upnp => "upnp",
        })
    }
}

/// The protocols a forward covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protos {
    /// TCP only.
    Tcp,
    /// UDP only.
    Udp,
    /// TCP and UDP.
    Both,
    /// Every protocol.
    Any,
}

impl Protos {
    /// Whether `p` is covered.
    pub fn covers(self, p: OneProto) -> bool {
        match self {
            Protos::Tcp => p == OneProto::Tcp,
            Protos::Udp => p == OneProto::Udp,
            Protos::Both | Protos::Any => true,
        }
    }

    /// From words like `tcp`, `udp`, `tcp udp`, `tcpudp`, `both`, `all`.
    pub fn from_words(s: &str) -> Option<Protos> {
        let (mut tcp, mut udp, mut any) = (false, false, false);
        for w in s
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
        {
            match w.to_ascii_lowercase().as_str() {
                "tcp" | "6" => tcp = true,
                "udp" | "17" => udp = true,
                "tcpudp" | "both" => {
                    tcp = true;
                    udp = true;
                }
                "all" | "any" | "*" => any = true,
                _ => {}
            }
        }
        Some(match (any, tcp, udp) {
            (true, _, _) => Protos::Any,
            (false, true, true) => Protos::Both,
            (false, true, false) => Protos::Tcp,
            (false, false, true) => Protos::Udp,
            (false, false, false) => return None,
        })
    }
}

impl fmt::Display for Protos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protos::Tcp => "tcp",
            Protos::Udp => "udp",
            Protos::Both => "tcp+udp",
            Protos::Any => "any",
        })
    }
}

/// A port or a range of ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PortRange {
    /// First port.
    pub start: u16,
    /// Last port (the same for one port).
    pub end: u16,
}

impl PortRange {
    /// Parses `554`, `8000-8010` or `8000:8010`.
    pub fn parse(s: &str) -> Option<PortRange> {
        let s = s.trim();
        let (a, b) = s.split_once(['-', ':']).unwrap_or((s, s));
        let (start, end): (u16, u16) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (start >= 1 && start <= end).then_some(PortRange { start, end })
    }

    /// Whether `p` is in the range.
    pub fn contains(self, p: u16) -> bool {
        (self.start..=self.end).contains(&p)
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.start == self.end {
            write!(f, "{}", self.start)
        } else {
            write!(f, "{}-{}", self.start, self.end)
        }
    }
}

/// How the internet reaches the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A DNAT port forward.
    PortForward,
    /// A firewall rule that accepts traffic to the host (IPv6 needs no NAT).
    Pinhole,
    /// Every port of the host (DD-WRT's DMZ).
    Dmz,
    /// A mapping a LAN host made through the router's UPnP daemon.
    Upnp,
}

/// One way in from the internet, as the router's config says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Forward {
    /// Protocols.
    pub proto: Protos,
    /// External ports; `None`: every port.
    pub external: Option<PortRange>,
    /// The LAN host.
    pub ip: IpAddr,
    /// Internal ports; `None`: the external ones.
    pub internal: Option<PortRange>,
    /// Whether the router uses it.
    pub enabled: bool,
    /// Its name in the config.
    pub name: Option<String>,
    /// How it reaches the host.
    pub kind: Kind,
    /// The file it is in.
    pub file: String,
    /// Where in the file: a line, or for nft JSON a rule handle.
    pub line: usize,
}

impl Forward {
    /// The ports the host receives on.
    pub fn host_ports(&self) -> Option<PortRange> {
        self.internal.or(self.external)
    }

    /// Whether the forward reaches `port` on the host.
    pub fn reaches(&self, port: PortSpec) -> bool {
        self.proto.covers(port.proto) && self.host_ports().is_none_or(|r| r.contains(port.port))
    }
}

/// What a parser found in one file.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// The forwards.
    pub forwards: Vec<Forward>,
    /// Other findings (UPnP switched on, say).
    pub notes: Vec<String>,
    /// How much of the file was of the format.
    pub coverage: Coverage,
}

/// How much of a file a parser understood: a security check must not take
/// "I did not understand this" for "nothing is exposed".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Units read: lines with content (OpenWrt: sections; nft JSON: items).
    pub read: usize,
    /// Units that are not of the format.
    pub skipped: usize,
    /// The first of them: its line (or item) number and its text quoted in
    /// backticks, or "binary data".
    pub first_skipped: Option<(usize, String)>,
}

impl Coverage {
    /// Counts a unit of the format.
    pub fn ok(&mut self) {
        self.read += 1;
    }

    /// Counts a unit that is not of the format, at `line`.
    pub fn skip(&mut self, line: usize, text: &str) {
        self.read += 1;
        self.skipped += 1;
        if self.first_skipped.is_none() {
            let text = text.trim();
            let shown = if text
                .chars()
                .any(|c| c == char::REPLACEMENT_CHARACTER || (c.is_control() && c != '\t'))
            {
                "binary data".to_owned()
            } else {
                let mut t: String = text.chars().take(60).collect();
                if t.len() < text.len() {
                    t.push('…');
                }
                format!("`{t}`")
            };
            self.first_skipped = Some((line, shown));
        }
    }

    /// Whether nothing at all was of the format.
    pub fn none_understood(&self) -> bool {
        self.read == self.skipped
    }
}

/// The note for an IPv6 forward chain that accepts what no rule drops.
pub(crate) fn open_ipv6_note(file: &str, line: usize, chain: &str) -> String {
    format!(
        "{file}:{line}: IPv6 is forwarded with policy accept ({chain}) and no rule there drops or rejects: every LAN host with a global IPv6 address, cameras included, can be reached from the internet (camvpn closes cameras by MAC: camera set NAME --mac)"
    )
}

/// Guesses the format of `text`.
pub fn detect(text: &str) -> Option<Format> {
    if upnp::detect(text) {
        return Some(Format::Upnp);
    }
    let t = text.trim_start();
    if t.starts_with('{') && t.contains("\"nftables\"") {
        return Some(Format::Nft);
    }
    let lines = || text.lines().map(str::trim);
    let assignment = |l: &str| {
        l.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
        })
    };
    let nvram_keys = [
        "forward_spec=",
        "forward_port=",
        "oet_tunnels=",
        "lan_ipaddr=",
        "wan_proto=",
        "upnp_enable=",
    ];
    let nvram = lines().filter(|l| assignment(l)).count() >= 2
        && lines().any(|l| nvram_keys.iter().any(|k| l.starts_with(k)));
    // A dump that starts with KEY=value lines is nvram, whatever its
    // values hold: rc_firewall may carry iptables-restore text (camvpn's
    // block does).
    if nvram && lines().find(|l| !l.is_empty()).is_some_and(assignment) {
        return Some(Format::Ddwrt);
    }
    if lines().any(|l| l.starts_with('*') && ["*nat", "*filter", "*mangle", "*raw"].contains(&l))
        && lines().any(|l| l.starts_with("-A ") || l.starts_with(':'))
    {
        return Some(Format::Iptables);
    }
    if lines().any(|l| l.starts_with("table ") && l.ends_with('{')) {
        return Some(Format::Nft);
    }
    if lines().any(|l| l.starts_with("config ")) {
        return Some(Format::Openwrt);
    }
    nvram.then_some(Format::Ddwrt)
}

impl Format {
    /// What a file of this format is, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Format::Openwrt => "an OpenWrt firewall config",
            Format::Iptables => "iptables-save output",
            Format::Nft => "an nft ruleset",
            Format::Ddwrt => "a DD-WRT nvram dump",
            Format::Upnp => "a list of UPnP mappings",
        }
    }
}

/// Parses `text` (from `file`) in `format`.
pub fn parse(text: &str, file: &str, format: Format) -> Result<Parsed, String> {
    match format {
        Format::Openwrt => openwrt::parse(text, file),
        Format::Iptables => Ok(iptables::parse(text, file)),
        Format::Nft => nft::parse(text, file),
        Format::Ddwrt => Ok(ddwrt::parse(text, file)),
        Format::Upnp => Ok(upnp::parse(text, file)),
    }
}

/// Why a forward matters.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The forward.
    #[serde(flatten)]
    pub forward: Forward,
    /// The site's camera at that address.
    pub camera: Option<String>,
    /// Why it matters, for people.
    pub why: Vec<String>,
    /// The vendor services on the ports it reaches.
    pub services: Vec<Service>,
    /// Known exploited weaknesses of those services.
    pub cves: Vec<String>,
}

/// The result of an audit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Forwards that expose a camera.
    pub camera_exposures: Vec<Finding>,
    /// Forwards the router does not use (to cameras or not).
    pub disabled: Vec<Finding>,
    /// Forwards to hosts that are not cameras.
    pub other_forwards: Vec<Finding>,
    /// Other findings.
    pub notes: Vec<String>,
    /// The platform of the site audited against, if there was one.
    #[serde(skip)]
    pub site_platform: Option<Platform>,
}

impl Report {
    /// Whether a camera is exposed (exit code 1).
    pub fn exposed(&self) -> bool {
        !self.camera_exposures.is_empty()
    }
}

/// A vendor service on a port a forward reaches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Service {
    /// Port and protocol.
    pub port: PortSpec,
    /// The vendor.
    pub vendor: String,
    /// The service name.
    pub service: String,
    /// What it is.
    pub what: String,
}

/// What is known about the ports `f` reaches: human lines (grouped by port
/// and service), the vendor services, and CVEs (grouped by CVE).
fn knowledge(f: &Forward) -> (Vec<String>, Vec<Service>, Vec<String>) {
    let c = Catalog::get();
    let mut services = Vec::new();
    let mut cves: Vec<(String, Vec<String>)> = Vec::new();
    if f.host_ports().is_none() {
        return (
            vec!["every port of the host is open to the internet".into()],
            services,
            Vec::new(),
        );
    }
    for v in c.vendors.iter().filter(|v| v.name != "generic") {
        for k in v.ports.iter().filter(|k| f.reaches(k.port)) {
            services.push(Service {
                port: k.port,
                vendor: v.label.clone(),
                service: k.service.clone(),
                what: k.what.clone(),
            });
            for cve in &k.cves {
                let who = format!("{} {}", v.label, k.port);
                match cves.iter_mut().find(|(c, _)| c == cve) {
                    Some((_, list)) => list.push(who),
                    None => cves.push((cve.clone(), vec![who])),
                }
            }
        }
    }
    let mut why: Vec<String> = Vec::new();
    let mut groups: Vec<(PortSpec, String, Vec<String>)> = Vec::new();
    for s in &services {
        match groups
            .iter_mut()
            .find(|(p, svc, _)| *p == s.port && *svc == s.service)
        {
            Some((_, _, vendors)) => vendors.push(s.vendor.clone()),
            None => groups.push((s.port, s.service.clone(), vec![s.vendor.clone()])),
        }
    }
    for (port, service, vendors) in groups {
        why.push(format!("{port} {service}: {}", vendors.join(", ")));
    }
    for sp in c.scanner_ports.iter().filter(|sp| f.reaches(sp.port)) {
        why.push(format!(
            "{}: scanned for on the internet ({})",
            sp.port, sp.what
        ));
    }
    let cves = cves
        .into_iter()
        .map(|(cve, who)| format!("{cve} ({})", who.join(", ")))
        .collect();
    (why, services, cves)
}

/// A forwarded range of fewer ports than this is narrow: a camera port in it
/// marks the host (34567-34568); a wider one does not on its own.
pub const NARROW_RANGE: u16 = 16;

/// Sorts forwards into camera exposures, disabled forwards and the rest.
pub fn analyze(parsed: &[Parsed], site: Option<&Site>) -> Report {
    let c = Catalog::get();
    let forwards: Vec<&Forward> = parsed.iter().flat_map(|p| &p.forwards).collect();
    let camera_of = |ip: IpAddr| {
        site.and_then(|s| {
            s.cameras
                .iter()
                .find(|c| IpAddr::V4(c.ip) == ip || c.ip6.map(IpAddr::V6) == Some(ip))
                .map(|c| c.name.to_string())
        })
    };
    // A wide range that happens to cover a camera port (8000-65535 to a
    // game server) marks nothing on its own; a few ports around one do.
    let camera_hosts: BTreeSet<IpAddr> = forwards
        .iter()
        .filter(|f| {
            f.host_ports()
                .is_some_and(|r| r.end - r.start < NARROW_RANGE)
                && c.signature_ports.iter().any(|p| f.reaches(*p))
        })
        .map(|f| f.ip)
        .collect();
    let mut report = Report {
        notes: parsed.iter().flat_map(|p| p.notes.clone()).collect(),
        site_platform: site.map(|s| s.platform),
        ..Report::default()
    };
    for f in forwards {
        let camera = camera_of(f.ip);
        let (mut why, services, mut cves) = knowledge(f);
        let is_camera = camera.is_some() || camera_hosts.contains(&f.ip);
        // A NAS on 5000/tcp is not open to Dahua's weaknesses.
        if !is_camera {
            cves.clear();
        }
        if let Some(name) = &camera {
            why.insert(0, format!("camera '{name}' of the site"));
        } else if is_camera {
            why.insert(0, format!("{} receives camera protocols", f.ip));
        }
        let finding = Finding {
            forward: f.clone(),
            camera,
            why,
            services,
            cves,
        };
        if !f.enabled {
            report.disabled.push(finding);
        } else if is_camera {
            report.camera_exposures.push(finding);
        } else {
            report.other_forwards.push(finding);
        }
    }
    report
}

/// The hosts of camera exposures (enabled or not), with the ports they
/// receive on, for `init --import-forwards`.
pub fn camera_hosts(report: &Report) -> Vec<(IpAddr, Vec<&Finding>)> {
    let mut hosts: Vec<(IpAddr, Vec<&Finding>)> = Vec::new();
    let cameras = report.camera_exposures.iter().chain(
        report
            .disabled
            .iter()
            .filter(|f| f.why.first().is_some_and(|w| w.contains("camera"))),
    );
    for f in cameras {
        match hosts.iter_mut().find(|(ip, _)| *ip == f.forward.ip) {
            Some((_, list)) => list.push(f),
            None => hosts.push((f.forward.ip, vec![f])),
        }
    }
    hosts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_protocols() {
        assert_eq!(
            PortRange::parse("8000:8010"),
            Some(PortRange {
                start: 8000,
                end: 8010
            })
        );
        assert_eq!(PortRange::parse("554").unwrap().to_string(), "554");
        assert_eq!(PortRange::parse("0"), None);
        assert_eq!(PortRange::parse("10-5"), None);
        assert_eq!(Protos::from_words("tcp udp"), Some(Protos::Both));
        assert_eq!(Protos::from_words("tcpudp"), Some(Protos::Both));
        assert_eq!(Protos::from_words("icmp"), None);
    }

    #[test]
    fn detects_formats() {
        assert_eq!(detect("{\"nftables\": []}"), Some(Format::Nft));
        assert_eq!(detect("table inet fw4 {\n}\n"), Some(Format::Nft));
        assert_eq!(
            detect("*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"),
            Some(Format::Iptables)
        );
        assert_eq!(detect("\nconfig redirect\n"), Some(Format::Openwrt));
        assert_eq!(
            detect("lan_ipaddr=192.168.1.1\nforward_spec=\nsize: 1 bytes\n"),
            Some(Format::Ddwrt)
        );
        // camvpn's rc_firewall block in a dump: still nvram.
        assert_eq!(
            detect(
                "lan_ipaddr=192.168.1.1\nrc_firewall=# camvpn-begin\n*filter\n:CAMVPN_INPUT - [0:0]\n-A CAMVPN_INPUT -j DROP\nCOMMIT\nforward_spec=\n"
            ),
            Some(Format::Ddwrt)
        );
        assert_eq!(detect("hello world\n"), None);
    }

    fn fwd(ip: &str, port: u16, proto: Protos) -> Forward {
        Forward {
            proto,
            external: Some(PortRange {
                start: port,
                end: port,
            }),
            ip: ip.parse().unwrap(),
            internal: None,
            enabled: true,
            name: None,
            kind: Kind::PortForward,
            file: "f".into(),
            line: 1,
        }
    }

    #[test]
    fn a_camera_protocol_marks_the_host_and_its_web_ui() {
        let parsed = Parsed {
            forwards: vec![
                fwd("192.168.1.108", 554, Protos::Tcp),
                fwd("192.168.1.108", 80, Protos::Tcp),
                fwd("192.168.1.50", 5000, Protos::Tcp),
                fwd("192.168.1.51", 80, Protos::Tcp),
            ],
            ..Parsed::default()
        };
        let r = analyze(&[parsed], None);
        let ips: Vec<String> = r
            .camera_exposures
            .iter()
            .map(|f| format!("{}:{}", f.forward.ip, f.forward.external.unwrap()))
            .collect();
        assert_eq!(ips, ["192.168.1.108:554", "192.168.1.108:80"]);
        // 5000/tcp is also Synology's: named, not taken for a camera.
        let nas = r
            .other_forwards
            .iter()
            .find(|f| f.forward.ip.to_string() == "192.168.1.50")
            .unwrap();
        assert!(
            nas.services.iter().any(|s| s.service == "dhip"),
            "{:?}",
            nas.services
        );
        assert!(r.exposed());
        assert!(
            r.camera_exposures[1]
                .cves
                .iter()
                .any(|c| c.contains("CVE-2021-36260"))
        );
    }
}
