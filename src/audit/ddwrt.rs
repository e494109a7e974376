//! DD-WRT's `nvram show`: `forward_spec` (single ports), `forward_port`
//! (ranges), the DMZ host, and whether UPnP lets devices open ports.

use std::net::{IpAddr, Ipv4Addr};

use super::{Forward, Kind, Parsed, PortRange, Protos};
use crate::formats::nvram;

fn protos(s: &str) -> Option<Protos> {
    Protos::from_words(s)
}

pub fn parse(text: &str, file: &str) -> Parsed {
    let mut out = Parsed::default();
    let dump = nvram::parse(text);
    for _ in 0..dump.understood {
        out.coverage.ok();
    }
    for (line, text) in &dump.skipped {
        out.coverage.skip(*line, text);
    }
    let v = dump.vars;
    let get = |k: &str| v.get(k).map(|(s, l)| (s.as_str(), *l));
    // forward_spec: name:on|off:proto:ext>ip:int[<src]
    if let Some((spec, line)) = get("forward_spec") {
        for e in spec.split_whitespace() {
            let Some((left, right)) = e.split_once('>') else {
                continue;
            };
            let f: Vec<&str> = left.split(':').collect();
            let [name, on, proto, ext] = f[..] else {
                continue;
            };
            let right = right.split('<').next().unwrap_or_default();
            let Some((ip, int)) = right.rsplit_once(':') else {
                continue;
            };
            let (Ok(ip), Some(proto)) = (ip.parse::<IpAddr>(), protos(proto)) else {
                continue;
            };
            out.forwards.push(Forward {
                proto,
                external: PortRange::parse(ext),
                ip,
                internal: PortRange::parse(int),
                enabled: on == "on",
                name: Some(name.to_owned()),
                kind: Kind::PortForward,
                file: file.to_owned(),
                line,
            });
        }
    }
    // forward_port: name:on|off:proto:from:to>ip
    if let Some((spec, line)) = get("forward_port") {
        for e in spec.split_whitespace() {
            let Some((left, ip)) = e.split_once('>') else {
                continue;
            };
            let f: Vec<&str> = left.split(':').collect();
            let [name, on, proto, from, to] = f[..] else {
                continue;
            };
            let (Ok(ip), Some(proto)) = (ip.parse::<IpAddr>(), protos(proto)) else {
                continue;
            };
            out.forwards.push(Forward {
                proto,
                external: PortRange::parse(&format!("{from}-{to}")),
                ip,
                internal: None,
                enabled: on == "on",
                name: Some(name.to_owned()),
                kind: Kind::PortForward,
                file: file.to_owned(),
                line,
            });
        }
    }
    if let Some(("1", line)) = get("dmz_enable")
        && let Some((host, _)) = get("dmz_ipaddr")
    {
        // The GUI stores the last octet; older builds a whole address.
        let ip = host.parse::<Ipv4Addr>().ok().or_else(|| {
            let lan: Ipv4Addr = get("lan_ipaddr")?.0.parse().ok()?;
            let o = lan.octets();
            Some(Ipv4Addr::new(o[0], o[1], o[2], host.parse().ok()?))
        });
        if let Some(ip) = ip {
            out.forwards.push(Forward {
                proto: Protos::Any,
                external: None,
                ip: IpAddr::V4(ip),
                internal: None,
                enabled: true,
                name: Some("DMZ".into()),
                kind: Kind::Dmz,
                file: file.to_owned(),
                line,
            });
        }
    }
    if let Some(("1", line)) = get("upnp_enable") {
        out.notes.push(format!(
            "{file}:{line}: UPnP is on: any device on the LAN, a camera included, can open ports to itself; switch it off (upnp_enable=0)"
        ));
    }
    out
}
