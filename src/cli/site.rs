//! `camvpn site show|set`.

use std::io::Write;

use anyhow::Result;
use camvpn::context::Context;
use camvpn::error::Error;
use camvpn::store::{Batch, SiteDir};

use super::args::{SiteCmd, SiteSetArgs};
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, cmd: SiteCmd, out: &Out) -> Result<Outcome> {
    match cmd {
        SiteCmd::Show => show(dir, out),
        SiteCmd::Set(a) => set(dir, a, out),
    }
}

fn show(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let ctx = Context::new(&site, None);
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
        s.mtu
            .map_or("(WireGuard's default)".to_owned(), |m| m.to_string())
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
        "cameras, peers:   {}, {}",
        ctx.cameras.len(),
        ctx.peers.len()
    )?;
    Ok(Outcome::Done)
}

fn set(dir: &SiteDir, a: SiteSetArgs, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    let mut reimport = false;
    if let Some(e) = a.endpoint {
        reimport |= e != site.endpoint;
        site.endpoint = e;
    }
    if let Some(w) = a.wan_if {
        site.wan_if = Some(w);
    }
    if let Some(l) = a.lan_if {
        site.lan_if = l;
    }
    if let Some(dns) = a.dns {
        let dns: Vec<_> = dns.into_iter().flatten().collect();
        reimport |= dns != site.dns;
        site.dns = dns;
    }
    if let Some(m) = a.mtu {
        if m != 0 {
            camvpn::site::check_mtu(m)?;
        }
        reimport |= site.mtu != (m != 0).then_some(m);
        site.mtu = (m != 0).then_some(m);
    }
    if let Some(k) = a.keepalive {
        reimport |= site.keepalive != (k != 0).then_some(k);
        site.keepalive = (k != 0).then_some(k);
    }
    if let Some(f) = a.firewall {
        site.firewall = f.into();
    }
    if let Some(c) = a.camera_internet {
        site.camera_internet = c;
    }
    if let Some(l) = a.log_drops {
        site.log_drops = l;
    }
    site.validate().map_err(Error::from)?;
    let mut batch = Batch::new();
    dir.stage_site(&mut batch, &site)?;
    batch.commit()?;
    if reimport {
        out.note("peer configs changed: render again and re-import them on the phones");
    }
    out.note("updated the site; run 'camvpn apply' (or render) to use it");
    Ok(Outcome::Done)
}
