//! `camvpn peer add|list|show|remove`.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use camvpn::context::{Context, PeerCtx};
use camvpn::error::Error;
use camvpn::keys::{PresharedKey, PrivateKey, PublicKey};
use camvpn::name::PeerName;
use camvpn::peer::{Access, Peer};
use camvpn::qr::Qr;
use camvpn::site::Site;
use camvpn::store::{Batch, SECRET_FILE, SiteDir};
use camvpn::targets::{peer_config, peer_qr};
use minijinja::value::{Serde, Value};
use rayon::prelude::*;
use serde::Serialize;

use super::args::{PeerAddArgs, PeerCmd, PeerSetArgs, PeerShowArgs, QrArg};
use super::{Out, Outcome, load_secrets, stdout_is_terminal};

pub fn run(dir: &SiteDir, cmd: PeerCmd, out: &Out) -> Result<Outcome> {
    match cmd {
        PeerCmd::Add(a) => add(dir, a, out),
        PeerCmd::List => list(dir, out),
        PeerCmd::Show(a) => show(dir, &a, out),
        PeerCmd::Set(a) => set(dir, a, out),
        PeerCmd::Remove { names } => remove(dir, &names, out),
    }
}

/// A peer created by this command, with its secrets.
pub struct NewPeer {
    pub name: PeerName,
    pub private: Option<PrivateKey>,
    pub psk: PresharedKey,
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
    fn new(p: &'a PeerCtx) -> Self {
        Summary {
            name: &p.name,
            address: &p.address,
            address6: p.address6.as_deref(),
            public_key: &p.public_key,
            own_key: p.own_key,
            full_tunnel: p.full_tunnel,
            access: &p.access,
            cameras: &p.cameras,
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
        (Some(count), Some(prefix)) => (1..=count)
            .map(|i| {
                format!("{prefix}{i}").parse::<PeerName>().map_err(|e| {
                    Error::Conflict(format!(
                        "--prefix {prefix} --count {count} makes the name '{prefix}{i}': {e}"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => a.names.clone(),
    };
    if a.qr && (names.len() != 1 || a.public_key.is_some()) {
        return Err(Error::Conflict(
            "--qr prints the QR code of one new peer whose key camvpn makes; add one NAME without --public-key, or show others with: camvpn peer show NAME --qr ansi".into(),
        )
        .into());
    }
    if a.public_key.is_some() && names.len() > 1 {
        return Err(Error::Conflict(
            "--public-key belongs to one peer; add peers with their own keys one at a time".into(),
        )
        .into());
    }
    let mut seen = HashSet::new();
    for n in &names {
        if !seen.insert(n.key()) {
            return Err(
                Error::Conflict(format!("peer '{n}' is named twice in this command")).into(),
            );
        }
    }
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    let access = match a.cameras {
        Some(list) => {
            for c in &list {
                site.camera(c.as_str())?;
            }
            Access::Only(list)
        }
        None => Access::All,
    };
    let bar = out.progress(names.len() as u64, "adding peers");
    let mut admission = site.admission();
    for name in &names {
        admission.check_name(name)?;
    }
    // Deriving public keys is the costly part of a bulk add: on all cores.
    let keys: Vec<(PublicKey, Option<PrivateKey>)> = match a.public_key {
        Some(k) => vec![(k, None)],
        None => names
            .par_iter()
            .map(|_| {
                let k = PrivateKey::generate();
                (k.public_key(), Some(k))
            })
            .collect(),
    };
    let mut new_peers = Vec::with_capacity(names.len());
    for (name, (public_key, private)) in names.into_iter().zip(keys) {
        let (address, address6) = admission.admit(&name, public_key)?;
        site.peers.push(Peer {
            name: name.clone(),
            address,
            address6,
            public_key,
            own_key: private.is_none(),
            cameras: access.clone(),
            only: a.only.clone(),
            full_tunnel: a.full_tunnel,
            dns: a.dns.clone(),
            mtu: a.mtu,
            keepalive: a.keepalive,
        });
        new_peers.push(NewPeer {
            name,
            private,
            psk: PresharedKey::generate(),
        });
        bar.inc(1);
    }
    site.validate().map_err(Error::from)?;
    let mut batch = Batch::new();
    for p in &new_peers {
        dir.stage_peer_keys(&mut batch, &p.name, p.private.as_ref(), &p.psk)?;
    }
    dir.stage_site(&mut batch, &site)?;
    batch.commit()?;
    bar.finish_and_clear();
    let qr = match (a.qr, a.no_qr) {
        (true, _) => ShowQr::Always,
        (_, true) => ShowQr::Never,
        _ => ShowQr::OnTerminal,
    };
    print_added(dir, &site, &new_peers, qr, out)?;
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
        let rows: Vec<Summary<'_>> = added.iter().map(|p| Summary::new(p)).collect();
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
        let secrets = load_secrets(dir, site, out)?;
        let ctx = Context::new(site, Some(&secrets));
        let peer = ctx.peer(new[0].name.as_str()).expect("just added");
        let templates = out.templates()?;
        let config = peer_config(&templates, &Value::from(Serde(&ctx)), peer)?;
        let qr = peer_qr(peer, &config)?;
        print_ansi(&qr, out)?;
        out.note(format!("scan this with the WireGuard app (+, then \"Scan from QR code\"); show it again with: camvpn peer show {} --qr ansi", peer.name));
    } else if new.len() > 1 && qr != ShowQr::Never {
        out.note("show a peer's QR code with: camvpn peer show NAME --qr ansi");
    }
    Ok(())
}

fn print_ansi(qr: &Qr, out: &Out) -> Result<()> {
    if qr.terminal_columns() > camvpn::qr::TERMINAL_COLUMNS {
        out.warn(format!(
            "this QR code needs {} terminal columns; widen the terminal or use --qr png",
            qr.terminal_columns()
        ));
    }
    std::io::stdout().write_all(qr.ansi().as_bytes())?;
    Ok(())
}

fn list(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let ctx = Context::new(&site, None);
    if out.json {
        let rows: Vec<Summary<'_>> = ctx.peers.iter().map(Summary::new).collect();
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
                p.access.clone(),
            ]
        })
        .collect();
    out.print_table(&["NAME", "ADDRESS", "TUNNEL", "KEY", "CAMERAS"], &rows)?;
    Ok(Outcome::Done)
}

fn show(dir: &SiteDir, a: &PeerShowArgs, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    site.peer(a.name.as_str())?;
    let wants_secret = a.config || a.qr.is_some() || a.secrets;
    if !wants_secret {
        if a.output.is_some() {
            bail!(Error::Conflict(
                "-o writes a config or QR code; add --config or --qr".into()
            ));
        }
        let ctx = Context::new(&site, None);
        let p = ctx.peer(a.name.as_str()).expect("checked");
        return print_summary(p, out).map(|()| Outcome::Done);
    }
    let secrets = load_secrets(dir, &site, out)?;
    let ctx = Context::new(&site, Some(&secrets));
    let p = ctx.peer(a.name.as_str()).expect("checked");
    let templates = out.templates()?;
    let config = peer_config(&templates, &Value::from(Serde(&ctx)), p)?;
    if out.json {
        if a.qr.is_some() || a.config {
            bail!(Error::Conflict(
                "--json prints the peer as data; use --json --secrets to include its config".into()
            ));
        }
        let mut s = Summary::new(p);
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
            let qr = peer_qr(p, &config)?;
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

fn write_secret_file(path: &Path, bytes: Vec<u8>) -> Result<()> {
    let mut b = Batch::new();
    b.write(path, bytes, SECRET_FILE)?;
    b.commit()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn print_summary(p: &PeerCtx, out: &Out) -> Result<()> {
    if out.json {
        return out.print_json(&Summary::new(p));
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
    Ok(())
}

fn set(dir: &SiteDir, a: PeerSetArgs, out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    site.peer(a.name.as_str())?;
    if let Some(list) = &a.cameras {
        for c in list {
            site.camera(c.as_str())?;
        }
    }
    let before = Context::new(&site, None)
        .peer(a.name.as_str())
        .map(|p| p.allowed_ips.clone());
    let p = site
        .peers
        .iter_mut()
        .find(|p| p.name == a.name)
        .expect("checked");
    if let Some(list) = a.cameras {
        p.cameras = Access::Only(list);
    } else if a.all_cameras {
        p.cameras = Access::All;
    } else if a.no_cameras {
        p.cameras = Access::Only(Vec::new());
    }
    if a.only.is_some() {
        p.only = a.only;
    } else if a.all_ports {
        p.only = None;
    }
    if a.full_tunnel {
        p.full_tunnel = true;
    } else if a.split_tunnel {
        p.full_tunnel = false;
    }
    if a.dns.is_some() {
        p.dns = a.dns;
    } else if a.site_dns {
        p.dns = None;
    }
    if let Some(mtu) = a.mtu {
        p.mtu = (mtu != 0).then_some(mtu);
    }
    if let Some(k) = a.keepalive {
        p.keepalive = Some(k);
    }
    site.validate().map_err(Error::from)?;
    let mut batch = Batch::new();
    dir.stage_site(&mut batch, &site)?;
    batch.commit()?;
    let ctx = Context::new(&site, None);
    let p = ctx.peer(a.name.as_str()).expect("still there");
    if before.as_ref() != Some(&p.allowed_ips) {
        out.note(format!(
            "what {} routes into the tunnel changed: render again and re-import its config",
            p.name
        ));
    }
    out.note(format!(
        "updated peer {}; run 'camvpn apply' (or render) for the firewall",
        p.name
    ));
    Ok(Outcome::Done)
}

fn remove(dir: &SiteDir, names: &[PeerName], out: &Out) -> Result<Outcome> {
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    for n in names {
        site.peer(n.as_str())?;
    }
    site.peers.retain(|p| !names.contains(&p.name));
    let mut batch = Batch::new();
    dir.stage_site(&mut batch, &site)?;
    for n in names {
        dir.stage_peer_removal(&mut batch, n);
    }
    batch.commit()?;
    for n in names {
        out.note(format!("removed peer {n} and its keys"));
    }
    Ok(Outcome::Done)
}
