//! `camvpn site show|set`.

use std::io::Write;

use anyhow::Result;
use camvpn::model::site::DEFAULT_MTU;
use camvpn::ops::export;
use camvpn::ops::site::{self, SiteChange};
use camvpn::store::SiteDir;

use super::args::{SiteCmd, SiteSetArgs};
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, cmd: SiteCmd, out: &Out) -> Result<Outcome> {
    match cmd {
        SiteCmd::Show => show(dir, out),
        SiteCmd::Set(a) => set(dir, *a, out),
    }
}

fn show(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let (ctx, _) = export::context(dir, false)?;
    if out.json {
        out.print_json(&serde_json::json!({ "site": ctx.site, "server": ctx.server }))?;
        return Ok(Outcome::Done);
    }
    let s = &ctx.site;
    let mut w = std::io::stdout().lock();
    writeln!(w, "platform:         {}", s.platform)?;
    writeln!(w, "endpoint:         {}", ctx.server.endpoint)?;
    writeln!(
        w,
        "interface:        {} ({}, port {})",
        ctx.server.interface,
        ctx.server.cidrs.join(", "),
        ctx.server.listen_port
    )?;
    writeln!(w, "router key:       {}", ctx.server.public_key)?;
    writeln!(w, "lan:              {} on {}", s.lan, s.lan_if)?;
    if let Some(p) = &s.lan6 {
        writeln!(w, "lan IPv6:         {p}")?;
    }
    writeln!(
        w,
        "wan:              {}",
        s.wan_if
            .as_deref()
            .unwrap_or("(asked from the router at run time)")
    )?;
    writeln!(
        w,
        "dns:              {}",
        if s.dns.is_empty() {
            "(none)".to_owned()
        } else {
            s.dns.join(", ")
        }
    )?;
    writeln!(
        w,
        "mtu:              {}",
        s.mtu.map_or_else(
            || format!("{DEFAULT_MTU} (camvpn's default)"),
            |m| m.to_string()
        )
    )?;
    writeln!(
        w,
        "keepalive:        {}",
        s.keepalive.map_or("off".to_owned(), |k| format!("{k}s"))
    )?;
    writeln!(w, "firewall:         {}", s.firewall)?;
    writeln!(
        w,
        "camera internet:  {}",
        if s.camera_internet {
            "allowed"
        } else {
            "blocked (per-camera exceptions: camvpn camera list)"
        }
    )?;
    writeln!(
        w,
        "log drops:        {}",
        if s.log_drops { "on" } else { "off" }
    )?;
    writeln!(
        w,
        "router access:    {}",
        if s.router_access.is_empty() {
            "ping and DNS only (site set --router-access to open more)".to_owned()
        } else {
            format!("ping, DNS, {}", s.router_access.join(", "))
        }
    )?;
    writeln!(
        w,
        "cameras, peers:   {}, {}",
        ctx.cameras.len(),
        ctx.peers.len()
    )?;
    Ok(Outcome::Done)
}

fn set(dir: &SiteDir, a: SiteSetArgs, out: &Out) -> Result<Outcome> {
    let change = SiteChange {
        endpoint: a.endpoint,
        listen_port: a.listen_port,
        wan_if: a.ifs.wan_if,
        lan_if: a.ifs.lan_if,
        lan6: a.lan6.unwrap_or_default(),
        relay: a.relay.unwrap_or_default(),
        dns: a.dns.map(|d| d.into_iter().flatten().collect()),
        mtu: a.mtu,
        keepalive: a.keepalive,
        firewall: a.firewall.map(Into::into),
        camera_internet: a.camera_internet,
        camera_ntp: a.camera_ntp,
        log_drops: a.log_drops,
        router_access: a.router_access.map(|r| r.0),
    };
    out.notices(&site::set(dir, change)?);
    Ok(Outcome::Done)
}
