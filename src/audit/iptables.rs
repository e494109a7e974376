//! `iptables-save` and `ip6tables-save` output: DNAT rules in the nat table,
//! and in the filter table rules that accept traffic to one IPv6 host (IPv6
//! needs no NAT, so an accept is the port forward). NAT reflection rules
//! (hairpin for LAN clients, in LAN chains) are not ways in from outside.

use std::net::IpAddr;

use super::{Forward, Kind, Parsed, PortRange, Protos};

/// Splits a rule like a shell would: words, double quotes with `\"`.
pub(crate) fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                while let Some(d) = chars.next() {
                    match d {
                        '\\' => cur.extend(chars.next()),
                        '"' => break,
                        d => cur.push(d),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    out
}

/// `IP`, `IP:PORT`, `IP:A-B`, `[v6]:PORT`, `v6` → address and ports.
pub(crate) fn target(s: &str) -> Option<(IpAddr, Option<PortRange>)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        return Some((
            ip.parse().ok()?,
            after.strip_prefix(':').and_then(PortRange::parse),
        ));
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some((ip, None));
    }
    let (ip, port) = s.rsplit_once(':')?;
    Some((ip.parse().ok()?, PortRange::parse(port)))
}

fn value<'a>(w: &'a [String], flags: &[&str]) -> Option<&'a str> {
    w.windows(2)
        .find(|p| flags.contains(&p[0].as_str()))
        .map(|p| p[1].as_str())
}

fn dports(w: &[String]) -> Vec<Option<PortRange>> {
    if let Some(list) = value(w, &["--dports", "--destination-ports"]) {
        return list
            .split(',')
            .filter_map(PortRange::parse)
            .map(Some)
            .collect();
    }
    match value(w, &["--dport", "--destination-port"]) {
        Some(p) => PortRange::parse(p).map(Some).into_iter().collect(),
        None => vec![None],
    }
}

fn lan_like(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("lan") || s.starts_with("br") || s.contains("reflection")
}

/// A line `iptables-save` writes: a table, a chain with its policy, a rule,
/// or `COMMIT` (comments count as neither understood nor skipped).
fn is_save_line(line: &str) -> bool {
    let word = line.split_whitespace().next().unwrap_or_default();
    (line.starts_with('*') && line.len() > 1)
        || (line.starts_with(':') && line.len() > 1)
        || ["-A", "-I", "-N", "-P"].contains(&word) && line.len() > 3
        || line == "COMMIT"
}

pub fn parse(text: &str, file: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut table = String::new();
    // ip6tables' FORWARD: the line of its policy when that is ACCEPT, and
    // whether a rule there drops or rejects.
    let v6 = text.contains("ip6tables-save")
        || text.lines().any(|l| {
            let w = words(l);
            value(&w, &["-s", "-d", "--source", "--destination"]).is_some_and(|a| a.contains(':'))
        });
    let mut forward_accept: Option<usize> = None;
    let mut forward_drops = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !is_save_line(line) {
            out.coverage.skip(i + 1, line);
            continue;
        }
        out.coverage.ok();
        if let Some(t) = line.strip_prefix('*') {
            t.clone_into(&mut table);
            continue;
        }
        if table == "filter" && line.starts_with(":FORWARD ACCEPT") {
            forward_accept = Some(i + 1);
        }
        let Some(rule) = line.strip_prefix("-A ") else {
            continue;
        };
        let w = words(rule);
        let Some(chain) = w.first() else { continue };
        let jump = value(&w, &["-j", "--jump"]).unwrap_or_default();
        if table == "filter" && chain == "FORWARD" && ["DROP", "REJECT"].contains(&jump) {
            forward_drops = true;
        }
        let comment = value(&w, &["--comment"]).map(|c| c.trim_start_matches("!fw3: ").to_owned());
        let iface = value(&w, &["-i", "--in-interface"]).unwrap_or_default();
        if lan_like(chain)
            || comment.as_deref().is_some_and(lan_like)
            || (!iface.is_empty() && lan_like(iface))
        {
            continue;
        }
        let proto = match value(&w, &["-p", "--protocol"]) {
            Some(p) => match Protos::from_words(p) {
                Some(p) => p,
                None => continue,
            },
            None => Protos::Any,
        };
        let (ip, internal, kind) = match (table.as_str(), jump) {
            ("nat", "DNAT") => {
                let Some((ip, ports)) = value(&w, &["--to-destination", "--to"]).and_then(target)
                else {
                    continue;
                };
                (ip, ports, Kind::PortForward)
            }
            ("filter", j) if j == "ACCEPT" || j.ends_with("_ACCEPT") => {
                let c = chain.to_ascii_lowercase();
                if c.contains("input") || c.contains("output") {
                    continue;
                }
                let Some(d) = value(&w, &["-d", "--destination"]) else {
                    continue;
                };
                let host = d.trim_end_matches("/128");
                let Ok(ip @ IpAddr::V6(_)) = host.parse::<IpAddr>() else {
                    continue;
                };
                (ip, None, Kind::Pinhole)
            }
            _ => continue,
        };
        for external in dports(&w) {
            if kind == Kind::Pinhole && external.is_none() {
                continue;
            }
            out.forwards.push(Forward {
                proto,
                external,
                ip,
                internal,
                enabled: true,
                name: comment.clone(),
                kind,
                file: file.to_owned(),
                line: i + 1,
            });
        }
    }
    if let Some(line) = forward_accept.filter(|_| v6 && !forward_drops) {
        out.notes
            .push(super::open_ipv6_note(file, line, "ip6tables FORWARD"));
    }
    out
}
