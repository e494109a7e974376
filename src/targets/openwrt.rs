//! The OpenWrt target: one `uci batch` file for netifd's WireGuard and
//! firewall4.
//!
//! camvpn's sections are named `camvpn_*`. Every run deletes the ones the
//! router has (read from its current `/etc/config`) and writes them anew, so
//! re-running after peers came and went leaves exactly the current peers.
//! Port forwards (`redirect`) to camera addresses are deleted: named ones by
//! name, anonymous ones as `@redirect[i]` from the highest index down, because
//! every delete shifts the indices after it.
//!
//! Those references are true of the copy of `/etc/config` camvpn read, which
//! may be stale by the time the batch runs on the router: a second visit from
//! an old copy would delete whatever sections now stand at those places. So
//! the laptop's file for the router is `camvpn-openwrt.sh`, which first checks
//! with the router's own `uci` that every section the batch deletes or edits
//! without a camvpn name still has the type and options of the copy, and that
//! camvpn's own sections are the copy's; otherwise it changes nothing and
//! exits 1. `camvpn apply` on the router reads the live config and runs the
//! batch itself.

use std::net::IpAddr;
use std::path::Path;

use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::formats::uci::{self, Configs, Package};
use crate::model::relay::RELAY_IF;
use crate::store::SECRET_FILE;
use crate::targets::templates::{OPENWRT_SCRIPT, OPENWRT_UCI};
use crate::targets::{Artifact, Input};

/// The firewall zone camvpn creates for the tunnel.
pub const ZONE: &str = "vpn";
/// The prefix of camvpn's section names.
pub const PREFIX: &str = "camvpn_";
/// The line that ends the batch inside `camvpn-openwrt.sh`.
const BATCH_END: &str = "CAMVPN_BATCH_END";

/// A deleted port forward, for the comment next to its `delete`.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    /// How `uci` addresses it.
    pub reference: String,
    /// What it forwarded, for people.
    pub what: String,
}

/// Another zone that held the adopted interface: what it keeps.
#[derive(Debug, Clone, Serialize)]
struct ZoneEdit {
    reference: String,
    name: String,
    networks: Vec<String>,
}

/// What `uci -q get ENTRY` must print on the router for the batch to be
/// run: the copy's value (empty: the entry must not exist).
#[derive(Debug, Clone, Serialize)]
struct Check {
    entry: String,
    expect: String,
}

/// camvpn's own sections in one config, as the copy has them.
#[derive(Debug, Clone, Serialize)]
struct Own {
    package: String,
    /// Their names in byte order, each followed by a space.
    names: String,
}

/// How `uci get` prints a value: a list's elements separated by spaces, an
/// element with white space in it quoted.
fn get_text(v: &uci::Value) -> String {
    match v {
        uci::Value::Str(s) => s.clone(),
        uci::Value::List(l) => l
            .iter()
            .map(|e| {
                if e.contains([' ', '\t', '\r', '\n']) {
                    uci::quote(e)
                } else {
                    e.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The checks that section `index` of `p` is on the router as in the copy:
/// its type and every option.
fn section_checks(p: &Package, index: usize, out: &mut Vec<Check>) {
    let s = &p.sections[index];
    let entry = format!("{}.{}", p.name, p.reference(index));
    for (name, value) in &s.options {
        out.push(Check {
            entry: format!("{entry}.{name}"),
            expect: get_text(value),
        });
    }
    out.push(Check {
        entry,
        expect: s.stype.clone(),
    });
}

/// The section that `reference` (a name or `@type[i]`) names in `p`.
fn index_of(p: &Package, reference: &str) -> Option<usize> {
    (0..p.sections.len()).find(|&i| p.reference(i) == reference)
}

#[derive(Debug, Clone, Serialize)]
struct OpenwrtCtx {
    iface: String,
    zone: &'static str,
    network_deletes: Vec<String>,
    ntp_server: bool,
    /// The router has miniupnpd's config: camvpn's deny rules, and the old
    /// ones to delete.
    upnpd: bool,
    upnp_deletes: Vec<String>,
    zone_edits: Vec<ZoneEdit>,
    iface_deletes: Vec<String>,
    firewall_deletes: Vec<String>,
    removed_redirects: Vec<Removed>,
    checks: Vec<Check>,
    own: Vec<Own>,
    cameras: Vec<IpAddr>,
    blocked_cameras: Vec<IpAddr>,
    full_tunnel: Vec<IpAddr>,
}

/// Reads the router's current `network` and `firewall` from `dir`.
pub fn read_router_config(dir: &Path) -> Result<Configs> {
    let mut packages = Vec::new();
    for name in ["network", "firewall"] {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::Conflict(format!(
                    "{} is missing: the openwrt target reads the router's current network and firewall configs to remove old camera port forwards and stale peers; copy /etc/config from the router and pass --uci-dir DIR",
                    path.display()
                ))
            } else {
                Error::Read { path: path.clone(), source }
            }
        })?;
        packages.push(uci::parse(&text, name).map_err(|e| Error::File {
            path,
            message: e.to_string(),
        })?);
    }
    // The router's NTP server, where it has the stock section for it, and
    // its UPnP daemon, where it has one.
    for name in ["system", "upnpd"] {
        let path = dir.join(name);
        if let Ok(text) = std::fs::read_to_string(&path) {
            packages.push(uci::parse(&text, name).map_err(|e| Error::File {
                path,
                message: e.to_string(),
            })?);
        }
    }
    Ok(Configs::new(packages))
}

fn camvpn_sections(p: &Package) -> Vec<String> {
    p.sections
        .iter()
        .filter_map(|s| s.name.clone())
        .filter(|n| n.starts_with(PREFIX))
        .collect()
}

/// `camvpn.uci`.
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    let site = input.site;
    let current = input.options.router.as_ref().ok_or_else(|| {
        Error::Conflict(
            "the openwrt target needs the router's current UCI configs: pass --uci-dir DIR".into(),
        )
    })?;
    let network = &current.packages["network"];
    let firewall = &current.packages["firewall"];
    let iface = site.interface.as_str();
    if !site.interface.is_uci_ident() {
        return Err(Error::Conflict(format!(
            "interface '{iface}' cannot be an OpenWrt section name (letters, digits and _ only); start a site with another --interface"
        )));
    }
    // The interface section must be camvpn's own, or absent.
    let mut iface_deletes = Vec::new();
    if let Some(s) = network.section(iface) {
        let ours = s.get_str("proto").as_deref() == Some("wireguard")
            && s.get_str("private_key").as_deref() == input.ctx.server.private_key.as_deref();
        if !ours {
            return Err(Error::Conflict(format!(
                "network.{iface} already exists on the router (line {}) and is not camvpn's WireGuard interface; pick another interface name for the site, or remove it on the router",
                s.line
            )));
        }
        for opt in ["addresses", "mtu"] {
            if s.get(opt).is_some() {
                iface_deletes.push(opt.to_owned());
            }
        }
    }
    for (what, zone) in [
        ("wan", site.wan_if.as_ref().map(ToString::to_string)),
        ("lan", Some(site.lan_if.to_string())),
    ] {
        let zone = zone.unwrap_or_default();
        if !firewall
            .of_type("zone")
            .any(|(_, z)| z.get_str("name").as_deref() == Some(zone.as_str()))
        {
            return Err(Error::Conflict(format!(
                "the router's firewall has no zone named '{zone}' for the {what} side; set the zone with: camvpn site set --{what}-if ZONE"
            )));
        }
    }
    if let Some((_, z)) = firewall.of_type("zone").find(|(_, z)| {
        z.get_str("name").as_deref() == Some(ZONE)
            && !z.name.as_deref().is_some_and(|n| n.starts_with(PREFIX))
    }) {
        return Err(Error::Conflict(format!(
            "the router's firewall already has a zone named '{ZONE}' (line {}) that camvpn did not create; rename that zone on the router",
            z.line
        )));
    }

    // An adopted interface is camvpn's now: its peer sections of before go
    // (camvpn writes them anew as camvpn_peer_*), anonymous ones by index
    // from the highest down, and another zone lets go of it.
    let peer_type = format!("wireguard_{iface}");
    let mut network_deletes: Vec<String> = network
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.stype == peer_type && s.name.is_none())
        .map(|(i, _)| network.reference(i))
        .rev()
        .collect();
    network_deletes.extend(
        network
            .sections
            .iter()
            .filter(|s| s.stype == peer_type)
            .filter_map(|s| s.name.clone())
            .filter(|n| !n.starts_with(PREFIX)),
    );
    network_deletes.extend(camvpn_sections(network));
    // The relay tunnel's interface is camvpn's (it is written anew, or goes
    // with the relay).
    if network
        .sections
        .iter()
        .any(|s| s.stype == "interface" && s.name.as_deref() == Some(RELAY_IF))
    {
        network_deletes.push(RELAY_IF.to_owned());
    }
    let mut zone_edits = Vec::new();
    for (i, z) in firewall.sections.iter().enumerate() {
        let words = z.get_words("network");
        if z.stype != "zone"
            || z.name.as_deref().is_some_and(|n| n.starts_with(PREFIX))
            || !words.iter().any(|w| w == iface)
        {
            continue;
        }
        zone_edits.push(ZoneEdit {
            reference: firewall.reference(i),
            name: z.get_str("name").unwrap_or_default(),
            networks: words.into_iter().filter(|w| w != iface).collect(),
        });
    }

    let policy = &input.ctx.policy;
    let cameras: Vec<IpAddr> = policy
        .v4
        .cameras
        .iter()
        .chain(&policy.v6.cameras)
        .copied()
        .collect();
    let camera_strings: Vec<String> = cameras.iter().map(ToString::to_string).collect();
    let mut removed = Vec::new();
    let mut named = Vec::new();
    let mut anonymous = Vec::new();
    for (i, s) in firewall.sections.iter().enumerate() {
        if s.stype != "redirect" {
            continue;
        }
        let dest = s.get_str("dest_ip").unwrap_or_default();
        if !camera_strings.contains(&dest) {
            continue;
        }
        let reference = firewall.reference(i);
        let what = format!(
            "{} {}{} -> {dest}:{}{}",
            s.get_str("proto").unwrap_or_else(|| "tcp udp".into()),
            s.get_str("src_dport").unwrap_or_else(|| "?".into()),
            s.get_str("name")
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            s.get_str("dest_port")
                .or_else(|| s.get_str("src_dport"))
                .unwrap_or_else(|| "?".into()),
            if s.get_str("enabled").as_deref() == Some("0") {
                ", disabled"
            } else {
                ""
            }
        );
        removed.push(Removed {
            reference: reference.clone(),
            what,
        });
        if s.name.is_some() {
            named.push(reference);
        } else {
            anonymous.push(reference);
        }
    }
    // Anonymous sections go by index, and every delete of a redirect (named
    // or not) shifts the indices after it: indexed deletes come first, from
    // the highest index down, then the named ones.
    anonymous.reverse();
    let mut firewall_deletes = anonymous;
    firewall_deletes.extend(named);
    firewall_deletes.extend(camvpn_sections(firewall));

    // What the router must still have for these references to name the
    // sections they named in the copy.
    let mut checks = Vec::new();
    match network
        .sections
        .iter()
        .position(|s| s.name.as_deref() == Some(iface))
    {
        Some(i) => section_checks(network, i, &mut checks),
        None => checks.push(Check {
            entry: format!("network.{iface}"),
            expect: String::new(),
        }),
    }
    for (p, references) in [(network, &network_deletes), (firewall, &firewall_deletes)] {
        for r in references.iter().filter(|r| !r.starts_with(PREFIX)) {
            if let Some(i) = index_of(p, r) {
                section_checks(p, i, &mut checks);
            }
        }
    }
    for e in &zone_edits {
        if let Some(i) = index_of(firewall, &e.reference) {
            section_checks(firewall, i, &mut checks);
        }
    }
    let own = current
        .packages
        .values()
        .filter(|p| ["network", "firewall", "upnpd"].contains(&p.name.as_str()))
        .map(|p| {
            let mut ours = camvpn_sections(p);
            ours.sort();
            Own {
                package: p.name.clone(),
                names: ours.iter().flat_map(|n| [n.as_str(), " "]).collect(),
            }
        })
        .collect();

    let blocked: Vec<IpAddr> = [&policy.v4, &policy.v6]
        .into_iter()
        .flat_map(|f| f.cameras.iter().filter(|c| !f.internet.contains(c)))
        .copied()
        .collect();
    let owrt = OpenwrtCtx {
        iface: iface.to_owned(),
        zone: ZONE,
        network_deletes,
        zone_edits,
        upnpd: current.packages.contains_key("upnpd"),
        upnp_deletes: current
            .packages
            .get("upnpd")
            .map(camvpn_sections)
            .unwrap_or_default(),
        ntp_server: current
            .packages
            .get("system")
            .is_some_and(|s| s.section("ntp").is_some()),
        iface_deletes,
        firewall_deletes,
        removed_redirects: removed,
        checks,
        own,
        cameras,
        blocked_cameras: blocked,
        full_tunnel: policy
            .v4
            .full_tunnel
            .iter()
            .chain(&policy.v6.full_tunnel)
            .copied()
            .collect(),
    };
    let value = context! { openwrt => Value::from(Serde(&owrt)), ..input.value.clone() };
    let batch = input.templates.render(OPENWRT_UCI, &value)?;
    // The script carries the batch in a here-document ended by this line.
    if batch.lines().any(|l| l == BATCH_END) {
        return Err(Error::Conflict(format!(
            "the batch has a line '{BATCH_END}', which would end it early in camvpn-openwrt.sh"
        )));
    }
    let script = input.templates.render(
        OPENWRT_SCRIPT,
        &context! { batch => &batch, batch_end => BATCH_END, ..value },
    )?;
    Ok(vec![
        Artifact::new("camvpn.uci", batch, SECRET_FILE),
        Artifact::new("camvpn-openwrt.sh", script, SECRET_FILE),
    ])
}
