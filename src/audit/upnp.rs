//! UPnP port mappings: miniupnpd's lease file and `upnpc -l` output. A
//! camera can open its own port forward through the router's UPnP daemon,
//! without any password; these are the mappings it made.

use std::net::IpAddr;

use super::{Forward, Kind, Parsed, PortRange, Protos};

/// `TCP:45554:192.168.1.108:554:1700000000:desc` (miniupnpd writes the
/// timestamp since 2.0; older leases lack it).
fn lease(line: &str) -> Option<(Protos, u16, IpAddr, u16, String)> {
    let mut f = line.splitn(6, ':');
    let proto = Protos::from_words(f.next()?)?;
    let ext = f.next()?.parse().ok()?;
    let ip = f.next()?.parse().ok()?;
    let int = f.next()?.parse().ok()?;
    let desc = f.last().unwrap_or_default().to_owned();
    Some((proto, ext, ip, int, desc))
}

/// ` 0 TCP 45554->192.168.1.108:554  'libminiupnpc' '' 604740`.
fn upnpc(line: &str) -> Option<(Protos, u16, IpAddr, u16, String)> {
    let mut w = line.split_whitespace();
    w.next()?.parse::<u32>().ok()?;
    let proto = Protos::from_words(w.next()?)?;
    let (ext, to) = w.next()?.split_once("->")?;
    let (ip, int) = to.rsplit_once(':')?;
    let desc = w.next().unwrap_or_default().trim_matches('\'').to_owned();
    Some((
        proto,
        ext.parse().ok()?,
        ip.parse().ok()?,
        int.parse().ok()?,
        desc,
    ))
}

/// Whether `text` holds UPnP mappings.
pub fn detect(text: &str) -> bool {
    text.lines()
        .any(|l| l.contains("exPort->inAddr:inPort") || lease(l.trim()).is_some())
}

pub fn parse(text: &str, file: &str) -> Parsed {
    let mut out = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let Some((proto, ext, ip, int, desc)) = lease(line).or_else(|| upnpc(line)) else {
            // upnpc's own chatter around its table is not a mapping, and
            // not something else either.
            let chatter = raw.starts_with(' ') && line.starts_with("i protocol")
                || [
                    "upnpc",
                    "(c)",
                    "Go to",
                    "for more",
                    "Found valid",
                    "Local LAN",
                    "Connection Type",
                    "Status",
                    "Time started",
                    "MaxBitRate",
                    "ExternalIPAddress",
                    "GetGenericPortMappingEntry",
                    "Bytes:",
                    "Packets:",
                    "desc:",
                    "st:",
                    "url:",
                    "List of UPNP",
                ]
                .iter()
                .any(|p| line.starts_with(p));
            if chatter {
                out.coverage.ok();
            } else {
                out.coverage.skip(i + 1, line);
            }
            continue;
        };
        out.coverage.ok();
        out.forwards.push(Forward {
            proto,
            external: PortRange::parse(&ext.to_string()),
            ip,
            internal: PortRange::parse(&int.to_string()),
            enabled: true,
            name: (!desc.is_empty()).then_some(desc),
            kind: Kind::Upnp,
            file: file.to_owned(),
            line: i + 1,
        });
    }
    out
}
