//! OpenWrt's `/etc/config/firewall`: `redirect` sections (DNAT port
//! forwards) and `rule` sections that accept traffic from a WAN zone to one
//! LAN address (IPv6 pinholes), read with camvpn's UCI reader.

use std::net::IpAddr;

use super::{Forward, Kind, Parsed, PortRange, Protos};
use crate::formats::uci::{self, Package, Section};

/// The section types of firewall4's config (and fw3's before it).
const FIREWALL_SECTIONS: &[&str] = &[
    "defaults",
    "zone",
    "forwarding",
    "rule",
    "redirect",
    "nat",
    "include",
    "ipset",
    "helper",
];

/// Zones that face the internet: named wan, or masquerading.
fn wan_zones(p: &Package) -> Vec<String> {
    p.of_type("zone")
        .filter(|(_, z)| {
            z.get_str("name").as_deref() == Some("wan") || z.get_str("masq").as_deref() == Some("1")
        })
        .filter_map(|(_, z)| z.get_str("name"))
        .collect()
}

fn enabled(s: &Section) -> bool {
    !matches!(
        s.get_str("enabled").as_deref(),
        Some("0" | "no" | "off" | "false")
    )
}

fn ports(s: &Section, option: &str) -> Vec<Option<PortRange>> {
    let words = s.get_words(option);
    if words.is_empty() {
        return vec![None];
    }
    words
        .iter()
        .filter_map(|w| PortRange::parse(w))
        .map(Some)
        .collect()
}

pub fn parse(text: &str, file: &str) -> Result<Parsed, String> {
    let p = uci::parse(text, "firewall").map_err(|e| e.to_string())?;
    let mut wan = wan_zones(&p);
    let zones: Vec<String> = p
        .of_type("zone")
        .filter_map(|(_, z)| z.get_str("name"))
        .collect();
    let mut out = Parsed::default();
    // A paste of redirects alone: OpenWrt's WAN zone is called wan.
    if zones.is_empty() && p.of_type("redirect").next().is_some() {
        wan.push("wan".into());
        out.notes.push(format!(
            "{file} defines no firewall zones: its redirects from 'wan' are taken as from the internet (OpenWrt's default WAN zone)"
        ));
    }
    for s in &p.sections {
        if FIREWALL_SECTIONS.contains(&s.stype.as_str()) {
            out.coverage.ok();
        } else {
            out.coverage.skip(s.line, &format!("config {}", s.stype));
        }
    }
    for (_, s) in p.of_type("redirect") {
        let target = s.get_str("target").unwrap_or_else(|| "DNAT".into());
        if !target.eq_ignore_ascii_case("dnat") {
            continue;
        }
        let src = s.get_str("src").unwrap_or_default();
        if !wan.contains(&src) {
            if zones.contains(&src) {
                continue;
            }
            // DNAT from a zone the file does not define: from somewhere,
            // so reported, never left out.
            out.notes.push(format!(
                "{file}:{}: a redirect from zone '{src}', which {file} does not define: reported as reachable from the internet",
                s.line
            ));
        }
        // Without dest_ip the redirect points at the router itself.
        let Some(ip) = s.get_str("dest_ip").and_then(|d| d.parse::<IpAddr>().ok()) else {
            continue;
        };
        let Some(proto) =
            Protos::from_words(&s.get_str("proto").unwrap_or_else(|| "tcp udp".into()))
        else {
            continue;
        };
        let internal = s.get_str("dest_port").and_then(|d| PortRange::parse(&d));
        for external in ports(s, "src_dport") {
            out.forwards.push(Forward {
                proto,
                external,
                ip,
                internal,
                enabled: enabled(s),
                name: s.get_str("name"),
                kind: Kind::PortForward,
                file: file.to_owned(),
                line: s.line,
            });
        }
    }
    for (_, s) in p.of_type("rule") {
        let src = s.get_str("src").unwrap_or_default();
        let dest = s.get_str("dest").unwrap_or_default();
        let target = s.get_str("target").unwrap_or_default();
        if !wan.contains(&src)
            || dest.is_empty()
            || wan.contains(&dest)
            || !target.eq_ignore_ascii_case("accept")
        {
            continue;
        }
        let Some(proto) =
            Protos::from_words(&s.get_str("proto").unwrap_or_else(|| "tcp udp".into()))
        else {
            continue;
        };
        for d in s.get_words("dest_ip") {
            let Ok(ip) = d
                .trim_end_matches("/128")
                .trim_end_matches("/32")
                .parse::<IpAddr>()
            else {
                continue;
            };
            for external in ports(s, "dest_port") {
                out.forwards.push(Forward {
                    proto,
                    external,
                    ip,
                    internal: None,
                    enabled: enabled(s),
                    name: s.get_str("name"),
                    kind: Kind::Pinhole,
                    file: file.to_owned(),
                    line: s.line,
                });
            }
        }
    }
    Ok(out)
}
