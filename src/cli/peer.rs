//! `camvpn peer add|list|show|remove`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use camvpn::error::Error;
use camvpn::model::peer::Access;
use camvpn::model::site::Site;
use camvpn::ops::peer::{self, AddPeers, NewPeer, PeerChange, PeerSettings};
use camvpn::ops::{Change, Notices, export};
use camvpn::store::{self, SECRET_FILE, SiteDir};
use camvpn::targets::context::{Context, PeerCtx};
use camvpn::targets::qr::Qr;
use serde::Serialize;

use super::args::{PeerAddArgs, PeerCmd, PeerSetArgs, PeerShowArgs, QrArg};
use super::{Out, Outcome, on_or_off, stdout_is_terminal};

pub fn run(dir: &SiteDir, cmd: PeerCmd, out: &Out) -> Result<Outcome> {
    match cmd {
        PeerCmd::Add(a) => add(dir, a, out),
        PeerCmd::List => list(dir, out),
        PeerCmd::Show(a) => show(dir, &a, out),
        PeerCmd::Set(a) => {
            out.notices(&set(dir, a)?);
            Ok(Outcome::Done)
        }
        PeerCmd::Remove { names } => {
            out.notices(&peer::remove(dir, &names)?);
            Ok(Outcome::Done)
        }
    }
}

/// A peer as `peer list` and `peer show` print it.
#[derive(Serialize)]
struct Summary<'a> {
    name: &'a str,
    address: &'a str,
    address6: Option<&'a str>,
    public_key: &'a str,
    own_key: bool,
    full_tunnel: bool,
    access: &'a str,
    cameras: &'a [String],
    /// The services or ports it is limited to, if any.
    only: Option<&'a [String]>,
    /// The ports it may use, by camera.
    ports: BTreeMap<&'a str, Vec<&'a str>>,
    allowed_ips: &'a [String],
    dns: &'a [String],
    mtu: Option<u16>,
    keepalive: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preshared_key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<&'a str>,
}

impl<'a> Summary<'a> {
    /// `p` of the site `ctx`.
    fn new(ctx: &'a Context, p: &'a PeerCtx) -> Self {
        let ports = ctx
            .ports_of(p)
            .into_iter()
            .map(|(c, ports)| (c, ports.iter().map(|p| p.spec.as_str()).collect()))
            .collect();
        Summary {
            name: &p.name,
            address: &p.address,
            address6: p.address6.as_deref(),
            public_key: &p.public_key,
            own_key: p.own_key,
            full_tunnel: p.full_tunnel,
            access: &p.access,
            cameras: &p.cameras,
            only: p.only.as_deref(),
            ports,
            allowed_ips: &p.allowed_ips,
            dns: &p.dns,
            mtu: p.mtu,
            keepalive: p.keepalive,
            private_key: None,
            preshared_key: None,
            config: None,
        }
    }
}

fn add(dir: &SiteDir, a: PeerAddArgs, out: &Out) -> Result<Outcome> {
    let names = match (a.count, &a.prefix) {
        (Some(count), Some(prefix)) => peer::numbered_names(prefix, count)?,
        _ => a.names,
    };
    if a.qr && (names.len() != 1 || a.public_key.is_some()) {
        return Err(Error::Conflict(
            "--qr prints the QR code of one new peer whose key camvpn makes; add one NAME without --public-key, or show others with: camvpn peer show NAME --qr ansi".into(),
        )
        .into());
    }
    let req = AddPeers {
        names,
        settings: PeerSettings {
            cameras: a.cameras.map_or(Access::All, Access::Only),
            only: a.only,
            full_tunnel: a.full_tunnel,
            dns: a.dns,
            mtu: a.mtu,
            keepalive: a.keepalive,
        },
        public_key: a.public_key,
    };
    let bar = out.progress("adding peers");
    let added = peer::add(dir, req, Some(&*bar));
    bar.finish();
    let added = added?;
    let qr = match on_or_off(a.qr, a.no_qr) {
        Some(true) => ShowQr::Always,
        Some(false) => ShowQr::Never,
        None => ShowQr::OnTerminal,
    };
    print_added(dir, &added.site, &added.peers, qr, out)?;
    if !out.json && !added.peers.is_empty() {
        out.note(format!(
            "to admit them on the router: {}",
            added.site.platform.to_take_effect()
        ));
    }
    Ok(Outcome::Done)
}

/// When a single new peer's QR code is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShowQr {
    /// When standard output is a terminal.
    OnTerminal,
    /// Always (--qr).
    Always,
    /// Never (--no-qr).
    Never,
}

/// Prints what was added: JSON, or a line per peer and, for a single peer on
/// a terminal, its QR code.
pub fn print_added(
    dir: &SiteDir,
    site: &Site,
    new: &[NewPeer],
    qr: ShowQr,
    out: &Out,
) -> Result<()> {
    if new.is_empty() {
        return Ok(());
    }
    let ctx = Context::new(site, None);
    let added: Vec<&PeerCtx> = new
        .iter()
        .filter_map(|n| ctx.peer(n.name.as_str()))
        .collect();
    if out.json {
        let rows: Vec<Summary<'_>> = added.iter().map(|p| Summary::new(&ctx, p)).collect();
        return out.print_json(&rows);
    }
    // The confirmation lines are for people; --quiet drops them.
    let mut stdout = std::io::stdout().lock();
    for p in added.iter().filter(|_| !out.quiet()) {
        writeln!(
            stdout,
            "added peer {} {} (cameras: {})",
            p.name, p.address, p.access
        )?;
    }
    drop(stdout);
    let single = new.len() == 1 && new[0].private.is_some();
    let show = match qr {
        ShowQr::Always => true,
        ShowQr::Never => false,
        ShowQr::OnTerminal => stdout_is_terminal(),
    };
    if single && show {
        let templates = out.templates()?;
        let shown = peer::config(dir, &new[0].name, &templates)?;
        out.notices(&shown.notices);
        print_ansi(&shown.qr()?, out)?;
        out.note(format!("scan this with the WireGuard app (+, then \"Scan from QR code\"); show it again with: camvpn peer show {} --qr ansi", new[0].name));
    } else if new.len() > 1 && qr != ShowQr::Never {
        out.note("show a peer's QR code with: camvpn peer show NAME --qr ansi");
    }
    Ok(())
}

fn print_ansi(qr: &Qr, out: &Out) -> Result<()> {
    if qr.terminal_columns() > camvpn::targets::qr::TERMINAL_COLUMNS {
        out.warn(format!(
            "this QR code needs {} terminal columns; widen the terminal or use --qr png",
            qr.terminal_columns()
        ));
    }
    std::io::stdout().write_all(qr.ansi().as_bytes())?;
    Ok(())
}

fn list(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let (ctx, _) = export::context(dir, false)?;
    if out.json {
        let rows: Vec<Summary<'_>> = ctx.peers.iter().map(|p| Summary::new(&ctx, p)).collect();
        out.print_json(&rows)?;
        return Ok(Outcome::Done);
    }
    let rows: Vec<Vec<String>> = ctx
        .peers
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.address.clone(),
                if p.full_tunnel { "full" } else { "split" }.to_owned(),
                if p.own_key { "own" } else { "camvpn" }.to_owned(),
                match &p.only {
                    Some(only) => format!("{} (only {})", p.access, only.join(", ")),
                    None => p.access.clone(),
                },
            ]
        })
        .collect();
    out.print_table(&["NAME", "ADDRESS", "TUNNEL", "KEY", "CAMERAS"], &rows)?;
    Ok(Outcome::Done)
}

fn show(dir: &SiteDir, a: &PeerShowArgs, out: &Out) -> Result<Outcome> {
    let wants_secret = a.config || a.qr.is_some() || a.secrets;
    if !wants_secret {
        let ctx = peer::find(dir, &a.name)?;
        if a.output.is_some() {
            bail!(Error::Conflict(
                "-o writes a config or QR code; add --config or --qr".into()
            ));
        }
        let p = ctx.peer(a.name.as_str()).expect("checked");
        return print_summary(&ctx, p, out).map(|()| Outcome::Done);
    }
    let templates = out.templates()?;
    let shown = peer::config(dir, &a.name, &templates)?;
    out.notices(&shown.notices);
    let p = shown.peer();
    let config = shown.config.clone();
    if out.json {
        if a.qr.is_some() || a.config {
            bail!(Error::Conflict(
                "--json prints the peer as data; use --json --secrets to include its config".into()
            ));
        }
        let mut s = Summary::new(&shown.ctx, p);
        s.private_key = p.private_key.as_deref();
        s.preshared_key = p.preshared_key.as_deref();
        s.config = Some(&config);
        out.print_json(&s)?;
        return Ok(Outcome::Done);
    }
    if a.secrets {
        bail!(Error::Conflict(
            "--secrets goes with --json; use --config to print the config".into()
        ));
    }
    let bytes: Vec<u8> = match a.qr {
        None => config.into_bytes(),
        Some(fmt) => {
            let qr = shown.qr()?;
            match fmt {
                QrArg::Ansi => qr.ansi().into_bytes(),
                QrArg::Svg => qr.svg().into_bytes(),
                QrArg::Png => {
                    if a.output.is_none() && stdout_is_terminal() {
                        bail!(Error::Conflict(
                            "refusing to write a PNG image to a terminal; add -o FILE or redirect the output".into()
                        ));
                    }
                    qr.png()
                }
            }
        }
    };
    match &a.output {
        Some(path) => write_secret_file(path, bytes)?,
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(Outcome::Done)
}

/// Writes a file that holds a key: a config, a QR code, a template's text.
pub fn write_secret_file(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    store::write_file(path, bytes, SECRET_FILE)
        .with_context(|| format!("writing {}", path.display()))
}

fn print_summary(ctx: &Context, p: &PeerCtx, out: &Out) -> Result<()> {
    if out.json {
        return out.print_json(&Summary::new(ctx, p));
    }
    let mut s = std::io::stdout().lock();
    writeln!(s, "peer:        {}", p.name)?;
    writeln!(s, "address:     {}", p.addresses.join(", "))?;
    writeln!(
        s,
        "public key:  {}{}",
        p.public_key,
        if p.own_key { " (its own key)" } else { "" }
    )?;
    writeln!(
        s,
        "tunnel:      {}",
        if p.full_tunnel {
            "full (all traffic)"
        } else {
            "split (cameras only)"
        }
    )?;
    writeln!(
        s,
        "cameras:     {}",
        if p.cameras.is_empty() {
            "none".to_owned()
        } else {
            p.cameras.join(", ")
        }
    )?;
    if let Some(only) = &p.only {
        writeln!(s, "only:        {}", only.join(", "))?;
        for (camera, ports) in ctx.ports_of(p) {
            let specs: Vec<&str> = ports.iter().map(|p| p.spec.as_str()).collect();
            writeln!(s, "ports:       {camera} {}", specs.join(", "))?;
        }
    }
    for (camera, url) in ctx.streams_of(p) {
        writeln!(s, "stream:      {camera} {url}")?;
    }
    writeln!(s, "allowed ips: {}", p.allowed_ips.join(", "))?;
    if !p.dns.is_empty() {
        writeln!(s, "dns:         {}", p.dns.join(", "))?;
    }
    if let Some(m) = p.mtu {
        writeln!(s, "mtu:         {m}")?;
    }
    if let Some(k) = p.keepalive {
        writeln!(s, "keepalive:   {k}")?;
    }
    writeln!(
        s,
        "config:      camvpn peer show {} --config | --qr ansi|png|svg",
        p.name
    )?;
    writeln!(
        s,
        "if a stream stalls: RTSP over TCP in the app, or the camera's sub-stream (a lower bit rate)"
    )?;
    Ok(())
}

fn set(dir: &SiteDir, a: PeerSetArgs) -> camvpn::Result<Notices> {
    let cameras = if a.no_cameras {
        Some(Access::Only(Vec::new()))
    } else if a.all_cameras {
        Some(Access::All)
    } else {
        a.cameras.map(Access::Only)
    };
    let change = PeerChange {
        cameras,
        only: Change::from_flags(a.only, a.all_ports),
        full_tunnel: on_or_off(a.full_tunnel, a.split_tunnel),
        dns: Change::from_flags(a.dns, a.site_dns),
        mtu: Change::from_flags(a.mtu.filter(|m| *m != 0), a.mtu == Some(0)),
        keepalive: a.keepalive,
    };
    peer::set(dir, &a.name, change)
}
