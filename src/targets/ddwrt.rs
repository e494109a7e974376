//! The DD-WRT target: a POSIX shell script that sets nvram on the router.
//!
//! DD-WRT has no camvpn on the router, so the script carries everything:
//! the tunnel and peers as `oetN_*` variables, the firewall policy as
//! iptables commands in `rc_firewall` between marker lines, and the removal
//! of camera entries from `forward_spec` and `forward_port`, decided on the
//! router at run time from the values it has then. Every value is
//! shell-quoted; names were validated long before.

use std::net::Ipv4Addr;

use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::SECRET_FILE;
use crate::targets::context::Context;
use crate::targets::templates::{DDWRT_RC_FIREWALL, DDWRT_SCRIPT};
use crate::targets::{Artifact, Input, Router};

/// The most camvpn writes into nvram `rc_firewall`. A DD-WRT router keeps
/// every setting in 32 to 64 KiB of nvram; a full nvram loses settings or
/// refuses the commit.
pub const RC_FIREWALL_LIMIT: usize = 16 * 1024;

/// What camvpn may write into nvram unless told otherwise (`--nvram-budget`):
/// the smallest common DD-WRT nvram is 32 KiB, about half of it taken by the
/// router's own settings, and a full nvram loses settings or refuses the
/// commit; this leaves a quarter of it free.
pub const NVRAM_BUDGET: usize = 12 * 1024;

/// The tunnel number the count assumes: two digits, the most a router has.
const TUNNEL: &str = "oet10";
/// The relay tunnel's, likewise.
const RELAY_TUNNEL: &str = "oet11";

#[derive(Debug, Clone, Serialize)]
struct DdwrtCtx {
    netmask: Ipv4Addr,
    cameras: Vec<String>,
    rc_firewall: String,
}

/// What the script writes into nvram, in bytes as nvram stores it
/// (`name=value` and a NUL each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NvramUse {
    /// Everything: the tunnels, the peers, camvpn's block of `rc_firewall`.
    pub total: usize,
    /// The peers' part of it.
    pub peers: usize,
    /// camvpn's block of `rc_firewall`.
    pub rc_firewall: usize,
}

fn entry(name: &str, value: &str) -> usize {
    name.len() + value.len() + 2
}

/// Counts every variable the script sets: camvpn's tunnel (and the key it
/// wrote there) with its peers, the relay tunnel, camvpn's block of
/// `rc_firewall` (what the router has there of its own was there before). `forward_spec` and `forward_port`
/// only shrink. Tunnel numbers are counted with two digits.
pub fn nvram_use(ctx: &Context, netmask: Ipv4Addr, rc_firewall: &str) -> NvramUse {
    let s = &ctx.server;
    let tunnel = |t: &str, vars: &[(&str, &str)]| -> usize {
        vars.iter()
            .map(|(k, v)| entry(&format!("{t}_{k}"), v))
            .sum()
    };
    let port = s.listen_port.to_string();
    let netmask = netmask.to_string();
    let cidrs = s.cidrs.join(",");
    let count = ctx.peers.len().to_string();
    let mtu = ctx.site.mtu.map(|m| m.to_string());
    let mut vars = vec![
        ("en", "1"),
        ("proto", "2"),
        ("port", port.as_str()),
        ("private", s.private_key.as_deref().unwrap_or_default()),
        ("public", s.public_key.as_str()),
        ("ipaddr", s.address.as_str()),
        ("netmask", netmask.as_str()),
        ("ipaddrmask", cidrs.as_str()),
        ("firewallin", "0"),
        ("natout", "0"),
        ("peers", count.as_str()),
    ];
    if let Some(m) = &mtu {
        vars.push(("mtu", m));
    }
    let mut total = entry("camvpn_tunnel", &TUNNEL[3..])
        + entry("camvpn_tunnel_public", &s.public_key)
        + tunnel(TUNNEL, &vars);
    let mut peers = 0;
    for (i, p) in ctx.peers.iter().enumerate() {
        let routes = p.routes.join(",");
        let mut vars = vec![
            ("namep", p.name.as_str()),
            ("peerkey", p.public_key.as_str()),
            ("aip", routes.as_str()),
            ("aip_rten", "1"),
            ("endpoint", "0"),
            ("ka", "0"),
        ];
        match &p.preshared_key {
            Some(k) => vars.extend([("usepsk", "1"), ("psk", k.as_str())]),
            None => vars.push(("usepsk", "0")),
        }
        peers += vars
            .iter()
            .map(|(k, v)| entry(&format!("{TUNNEL}_{k}{i}"), v))
            .sum::<usize>();
    }
    total += peers;
    if let Some(r) = &ctx.relay {
        let port = r.tunnel_port.to_string();
        let mask = format!("{}/{}", r.router_address, r.prefix);
        let mtu = r.mtu.to_string();
        let aip = format!("{}/32", r.relay_address);
        let ka = r.keepalive.to_string();
        total += entry("camvpn_relay_tunnel", &RELAY_TUNNEL[3..])
            + entry("camvpn_relay_tunnel_public", &r.router_public_key)
            + tunnel(
                RELAY_TUNNEL,
                &[
                    ("en", "1"),
                    ("proto", "2"),
                    ("port", &port),
                    (
                        "private",
                        r.router_private_key.as_deref().unwrap_or_default(),
                    ),
                    ("public", &r.router_public_key),
                    ("ipaddr", &r.router_address),
                    ("netmask", "255.255.255.252"),
                    ("ipaddrmask", &mask),
                    ("mtu", &mtu),
                    ("firewallin", "0"),
                    ("natout", "0"),
                    ("peers", "1"),
                    ("namep0", "camvpn-relay"),
                    ("peerkey0", &r.public_key),
                    ("usepsk0", "0"),
                    ("aip0", &aip),
                    ("aip_rten0", "1"),
                    ("endpoint0", "1"),
                    ("rem0", &r.host),
                    ("peerport0", &port),
                    ("ka0", &ka),
                ],
            );
    }
    // The script's block: its marker, the tunnels' names, then the rules
    // (the shell drops the trailing newlines).
    let block = format!(
        "# camvpn-begin\nWG={TUNNEL}\nWGR={}\n{}",
        if ctx.relay.is_some() {
            RELAY_TUNNEL
        } else {
            ""
        },
        rc_firewall.trim_end_matches('\n')
    );
    let rc = entry("rc_firewall", &block);
    NvramUse {
        total: total + rc,
        peers,
        rc_firewall: rc,
    }
}

/// Refuses a script that would write more than `budget` bytes to nvram,
/// saying how many peers fit.
fn check_nvram(u: NvramUse, peers: usize, budget: usize) -> Result<()> {
    if u.total <= budget {
        return Ok(());
    }
    let per_peer = u.peers / peers.max(1);
    let fit = budget
        .saturating_sub(u.total - u.peers)
        .checked_div(per_peer)
        .unwrap_or(0);
    Err(Error::Conflict(format!(
        "camvpn-ddwrt.sh would write {} bytes to the router's nvram ({peers} peers at about {per_peer} bytes each, {} bytes of rc_firewall, the tunnel), more than the budget of {budget} bytes: {fit} peers fit at least. The budget suits the smallest common nvram (32 KiB); on a router with more, see what is free with 'nvram show | tail -1' on it and raise the budget with --nvram-budget BYTES",
        u.total, u.rc_firewall
    )))
}

/// `camvpn-ddwrt.sh`.
pub fn render(input: &Input<'_>) -> Result<Router> {
    let rc_firewall = input.templates.render(DDWRT_RC_FIREWALL, &input.value)?;
    check_size(&rc_firewall, input.site.peers.len())?;
    let nvram = nvram_use(&input.ctx, input.site.subnet.netmask(), &rc_firewall);
    let budget = input.options.nvram_budget.unwrap_or(NVRAM_BUDGET);
    check_nvram(nvram, input.site.peers.len(), budget)?;
    let d = DdwrtCtx {
        netmask: input.site.subnet.netmask(),
        cameras: input
            .site
            .cameras
            .iter()
            .map(|c| c.ip.to_string())
            .collect(),
        rc_firewall,
    };
    let value = context! { ddwrt => Value::from(Serde(&d)), ..input.value.clone() };
    let text = input.templates.render(DDWRT_SCRIPT, &value)?;
    Ok(Router {
        artifacts: vec![Artifact::new("camvpn-ddwrt.sh", text, SECRET_FILE)],
        notes: vec![format!(
            "camvpn-ddwrt.sh writes {} bytes to nvram (budget {budget}; {} of them rc_firewall)",
            nvram.total, nvram.rc_firewall
        )],
    })
}

/// Refuses a block that would not fit, saying what would.
fn check_size(block: &str, peers: usize) -> Result<()> {
    let size = block.len();
    if size <= RC_FIREWALL_LIMIT {
        return Ok(());
    }
    // Peers cost their addresses; the rest is rules per camera and list.
    let per_peer = size / peers.max(1);
    let over = size - RC_FIREWALL_LIMIT;
    Err(Error::Conflict(format!(
        "camvpn's firewall for DD-WRT would take {size} bytes of nvram rc_firewall, more than the {RC_FIREWALL_LIMIT} camvpn allows (DD-WRT keeps every setting in 32 to 64 KiB of nvram): {over} bytes too many, about {} fewer peers at {per_peer} bytes each; peers that share one camera list and port filter cost only their address, so fewer distinct lists, fewer cameras with their own ports or fewer full-tunnel peers make it fit",
        over.div_ceil(per_peer.max(1))
    )))
}
