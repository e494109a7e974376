//! `nft list ruleset`, as text or as JSON (`nft -j`): `dnat` rules, and
//! rules that accept traffic to one IPv6 host (firewall4 writes those as
//! `jump accept_to_lan`). Reflection (hairpin) rules for LAN clients, and
//! `redirect` to the router itself, are not ways in to a LAN host.

use std::net::IpAddr;

use serde_json::Value;

use super::iptables::{target, words};
use super::{Forward, Kind, Parsed, PortRange, Protos};

fn lan_like(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.ends_with("_lan")
        || s.contains("lan_")
        || s.starts_with("br")
        || s == "lan"
        || s.contains("reflection")
}

fn chain_skipped(chain: &str) -> bool {
    let c = chain.to_ascii_lowercase();
    lan_like(&c)
        || c.contains("input")
        || c.contains("output")
        || c.contains("srcnat")
        || c.contains("postrouting")
}

/// The value after `key`, or the words of a `{ … }` set after it.
fn after(w: &[String], key: &[&str]) -> Option<Vec<String>> {
    let i = w.windows(2).position(|p| key.contains(&p[0].as_str()))? + 1;
    if !w[i].starts_with('{') {
        return Some(vec![w[i].clone()]);
    }
    let end = w[i..]
        .iter()
        .position(|t| t.ends_with('}'))
        .map_or(w.len(), |p| i + p + 1);
    Some(
        w[i..end]
            .iter()
            .map(|t| {
                t.trim_matches(|c| c == '{' || c == '}' || c == ',')
                    .to_owned()
            })
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

fn port_of(s: &str) -> Option<PortRange> {
    match s {
        "http" => PortRange::parse("80"),
        "https" => PortRange::parse("443"),
        "ssh" => PortRange::parse("22"),
        "telnet" => PortRange::parse("23"),
        "rtsp" => PortRange::parse("554"),
        s => PortRange::parse(s),
    }
}

fn text_rule(w: &[String], chain: &str, file: &str, line: usize, out: &mut Parsed) {
    let comment = after(w, &["comment"])
        .and_then(|c| c.into_iter().next())
        .map(|c| c.trim_start_matches("!fw4: ").to_owned());
    let iif = after(w, &["iifname", "iif"])
        .map(|v| v.join(" "))
        .unwrap_or_default();
    if chain_skipped(chain) || comment.as_deref().is_some_and(lan_like) || lan_like(&iif) {
        return;
    }
    let l4 = after(w, &["l4proto"]).map(|v| v.join(" "));
    let mut proto = None;
    let mut ports = vec![None];
    for key in ["tcp", "udp", "th"] {
        if let Some(i) = w.windows(2).position(|p| p[0] == key && p[1] == "dport") {
            let vals = after(&w[i + 1..], &["dport"]).unwrap_or_default();
            ports = vals.iter().filter_map(|v| port_of(v)).map(Some).collect();
            proto = match key {
                "tcp" => Some(Protos::Tcp),
                "udp" => Some(Protos::Udp),
                _ => l4
                    .as_deref()
                    .and_then(Protos::from_words)
                    .or(Some(Protos::Any)),
            };
        }
    }
    let proto = proto
        .or_else(|| l4.as_deref().and_then(Protos::from_words))
        .unwrap_or(Protos::Any);
    let (ip, internal, kind) = if let Some(i) = w.iter().position(|t| t == "dnat") {
        let mut j = i + 1;
        while j < w.len() && (w[j] == "ip" || w[j] == "ip6" || w[j] == "to") {
            j += 1;
        }
        let Some((ip, internal)) = w.get(j).and_then(|t| target(t)) else {
            return;
        };
        (ip, internal, Kind::PortForward)
    } else {
        let accepts = w.iter().any(|t| t == "accept")
            || w.windows(2)
                .any(|p| p[0] == "jump" && p[1].starts_with("accept_to"));
        let Some(d) = after(w, &["daddr"]).filter(|_| w.iter().any(|t| t == "ip6")) else {
            return;
        };
        let Some(Ok(ip @ IpAddr::V6(_))) = d
            .first()
            .map(|a| a.trim_end_matches("/128").parse::<IpAddr>())
        else {
            return;
        };
        if !accepts || d.len() != 1 || ports == [None] {
            return;
        }
        (ip, None, Kind::Pinhole)
    };
    for external in ports {
        out.forwards.push(Forward {
            proto,
            external,
            ip,
            internal,
            enabled: true,
            name: comment.clone(),
            kind,
            file: file.to_owned(),
            line,
        });
    }
}

/// A line of a ruleset outside any table: `table FAMILY NAME {` as `nft
/// list ruleset` prints it, `chain NAME {` of an excerpt (as firewall4's
/// test suite prints its chains), or a command of an `nft -f` file.
fn top_level(w: &[String]) -> bool {
    let opens = |n: std::ops::RangeInclusive<usize>| {
        w.last().is_some_and(|t| t == "{") && n.contains(&w.len())
    };
    match w.first().map(String::as_str) {
        Some("table") => opens(3..=4),
        Some("chain") => opens(3..=3),
        Some("include" | "define" | "flush" | "add" | "delete" | "destroy") => w.len() > 1,
        _ => false,
    }
}

/// A base chain on the forward hook of a family that carries IPv6, with
/// policy accept: open unless one of its rules drops or rejects.
struct OpenForward {
    name: String,
    line: usize,
    drops: bool,
}

fn parse_text(text: &str, file: &str) -> Parsed {
    let mut out = Parsed::default();
    let mut family = String::new();
    let mut forward: Option<OpenForward> = None;
    let mut chain: Option<String> = None;
    let mut depth = 0usize;
    let mut chain_depth = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        // Comments count as neither understood nor skipped.
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let w = words(line);
        // Outside a table only tables and commands of a ruleset file stand;
        // anything else is not a ruleset.
        if depth == 0 && !top_level(&w) {
            out.coverage.skip(i + 1, line);
            continue;
        }
        out.coverage.ok();
        let opens = line.ends_with('{') && !line.contains('}');
        let closes = line == "}";
        if opens {
            depth += 1;
            match w.first().map(String::as_str) {
                Some("chain") => {
                    chain = w.get(1).cloned();
                    chain_depth = depth;
                }
                // `table inet NAME {`; the family is ip when left out.
                Some("table") => {
                    family = if w.len() == 4 {
                        w[1].clone()
                    } else {
                        "ip".into()
                    }
                }
                _ => {}
            }
            continue;
        }
        if closes {
            if chain.is_some() && depth == chain_depth {
                chain = None;
                if let Some(f) = forward.take().filter(|f| !f.drops) {
                    out.notes.push(super::open_ipv6_note(
                        file,
                        f.line,
                        &format!("{family} chain {}", f.name),
                    ));
                }
            }
            depth = depth.saturating_sub(1);
            continue;
        }
        if let Some(c) = &chain
            && depth == chain_depth
        {
            if line.starts_with("type ")
                && line.contains("hook forward")
                && ["inet", "ip6"].contains(&family.as_str())
                && !line.contains("policy drop")
            {
                forward = Some(OpenForward {
                    name: c.clone(),
                    line: i + 1,
                    drops: false,
                });
            } else if let Some(f) = &mut forward
                && w.iter().any(|t| t == "drop" || t == "reject")
            {
                f.drops = true;
            }
        }
        if let Some(c) = &chain
            && depth == chain_depth
            && !line.starts_with("type ")
            && !line.starts_with("policy ")
        {
            text_rule(&w, c, file, i + 1, &mut out);
        }
    }
    out
}

fn json_ports(v: &Value) -> Vec<Option<PortRange>> {
    let one = |v: &Value| -> Option<PortRange> {
        if let Some(n) = v.as_u64() {
            let n = u16::try_from(n).ok()?;
            return PortRange::parse(&n.to_string());
        }
        let r = v.get("range")?.as_array()?;
        PortRange::parse(&format!("{}-{}", r.first()?.as_u64()?, r.get(1)?.as_u64()?))
    };
    match v.get("set").and_then(Value::as_array) {
        Some(items) => items.iter().filter_map(one).map(Some).collect(),
        None => one(v).map(Some).into_iter().collect(),
    }
}

fn json_rule(rule: &Value, file: &str, out: &mut Parsed) {
    let chain = rule["chain"].as_str().unwrap_or_default();
    let comment = rule["comment"]
        .as_str()
        .map(|c| c.trim_start_matches("!fw4: ").to_owned());
    if chain_skipped(chain) || comment.as_deref().is_some_and(lan_like) {
        return;
    }
    let handle = rule["handle"]
        .as_u64()
        .and_then(|h| usize::try_from(h).ok())
        .unwrap_or(0);
    let mut proto = None;
    let mut l4 = None;
    let mut ports = vec![None];
    let mut daddr6 = None;
    let mut dnat = None;
    let mut accepts = false;
    for e in rule["expr"].as_array().into_iter().flatten() {
        if let Some(m) = e.get("match") {
            let left = &m["left"];
            let right = &m["right"];
            if let Some(p) = left.get("payload") {
                match (p["protocol"].as_str(), p["field"].as_str()) {
                    (Some(pr @ ("tcp" | "udp" | "th")), Some("dport")) => {
                        ports = json_ports(right);
                        proto = match pr {
                            "tcp" => Some(Protos::Tcp),
                            "udp" => Some(Protos::Udp),
                            _ => None,
                        };
                    }
                    (Some("ip6"), Some("daddr")) => daddr6 = right.as_str().map(str::to_owned),
                    _ => {}
                }
            }
            if let Some(key) = left.get("meta").and_then(|m| m["key"].as_str()) {
                match key {
                    "l4proto" => {
                        let words: Vec<String> = match right.get("set").and_then(Value::as_array) {
                            Some(s) => s
                                .iter()
                                .filter_map(|x| x.as_str().map(str::to_owned))
                                .collect(),
                            None => right.as_str().map(str::to_owned).into_iter().collect(),
                        };
                        l4 = Protos::from_words(&words.join(" "));
                    }
                    "iifname" | "iif" if right.as_str().is_some_and(lan_like) => return,
                    _ => {}
                }
            }
        }
        if let Some(d) = e.get("dnat") {
            let Some(addr) = d["addr"].as_str().and_then(|a| a.parse::<IpAddr>().ok()) else {
                return;
            };
            let port = d
                .get("port")
                .map(json_ports)
                .and_then(|p| p.into_iter().next().flatten());
            dnat = Some((addr, port));
        }
        if e.get("accept").is_some()
            || e.get("jump")
                .and_then(|j| j["target"].as_str())
                .is_some_and(|t| t.starts_with("accept_to"))
        {
            accepts = true;
        }
    }
    let proto = proto.or(l4).unwrap_or(Protos::Any);
    let (ip, internal, kind) = match (dnat, daddr6) {
        (Some((ip, internal)), _) => (ip, internal, Kind::PortForward),
        (None, Some(d)) if accepts && ports != [None] => {
            let Ok(ip @ IpAddr::V6(_)) = d.parse::<IpAddr>() else {
                return;
            };
            (ip, None, Kind::Pinhole)
        }
        _ => return,
    };
    for external in ports {
        out.forwards.push(Forward {
            proto,
            external,
            ip,
            internal,
            enabled: true,
            name: comment.clone(),
            kind,
            file: file.to_owned(),
            line: handle,
        });
    }
}

pub fn parse(text: &str, file: &str) -> Result<Parsed, String> {
    if !text.trim_start().starts_with('{') {
        return Ok(parse_text(text, file));
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not valid nft JSON: {e}"))?;
    let items = v["nftables"]
        .as_array()
        .ok_or_else(|| "nft JSON without an \"nftables\" array".to_owned())?;
    let mut out = Parsed::default();
    // (family, table, chain) of forward base chains with policy accept that
    // carry IPv6, and whether a rule of theirs drops or rejects.
    let mut open: Vec<((String, String, String), usize, bool)> = Vec::new();
    let key = |o: &Value| {
        let s = |k: &str| o[k].as_str().unwrap_or_default().to_owned();
        (
            s("family"),
            s("table"),
            o.get("chain").map_or_else(|| s("name"), |_| s("chain")),
        )
    };
    for (i, item) in items.iter().enumerate() {
        // Each item is an object with one key: metainfo, table, chain, rule…
        match item.as_object() {
            Some(o) if o.len() == 1 => out.coverage.ok(),
            _ => out.coverage.skip(i + 1, &item.to_string()),
        }
        if let Some(c) = item.get("chain")
            && c["hook"] == "forward"
            && c["policy"] != "drop"
            && (c["family"] == "inet" || c["family"] == "ip6")
        {
            open.push((key(c), i + 1, false));
        }
        if let Some(rule) = item.get("rule") {
            let text = rule["expr"].to_string();
            if text.contains("\"drop\"") || text.contains("\"reject\"") {
                let k = key(rule);
                for o in open.iter_mut().filter(|o| o.0 == k) {
                    o.2 = true;
                }
            }
            json_rule(rule, file, &mut out);
        }
    }
    for ((family, _, name), item, drops) in open {
        if !drops {
            out.notes.push(super::open_ipv6_note(
                file,
                item,
                &format!("{family} chain {name}"),
            ));
        }
    }
    Ok(out)
}
