//! Peers: add (one, many, or with their own key), change, remove, and a
//! peer's config for showing it.
//!
//! New peers are made in one place, [`admit`], for `peer add` and for a new
//! site alike: a key pair (or the peer's own public key), a PSK, the next
//! free tunnel addresses, and the settings of the request.

use std::collections::HashSet;
use std::net::IpAddr;

use crate::par::prelude::*;
use minijinja::value::{Serde, Value};

use super::{Change, Notices, Progress, load_secrets, modify};
use crate::error::{Error, Result};
use crate::model::keys::{PresharedKey, PrivateKey, PublicKey};
use crate::model::name::PeerName;
use crate::model::peer::{Access, Peer};
use crate::model::port::PortFilter;
use crate::model::site::Site;
use crate::store::{Batch, SiteDir};
use crate::targets::context::{Context, PeerCtx};
use crate::targets::qr::Qr;
use crate::targets::templates::Templates;
use crate::targets::{peer_config, peer_qr};

/// What a new peer may reach and how its tunnel is set up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerSettings {
    /// The cameras it may reach.
    pub cameras: Access,
    /// Only these services or ports of them (all when `None`).
    pub only: Option<Vec<PortFilter>>,
    /// Route all its traffic through the tunnel.
    pub full_tunnel: bool,
    /// DNS servers replacing the site's.
    pub dns: Option<Vec<IpAddr>>,
    /// MTU replacing the site's.
    pub mtu: Option<u16>,
    /// PersistentKeepalive replacing the site's.
    pub keepalive: Option<u16>,
}

/// A peer made by an operation, with its secrets.
pub struct NewPeer {
    /// Its name.
    pub name: PeerName,
    /// Its private key; `None` when it brought its own key pair.
    pub private: Option<PrivateKey>,
    /// Its preshared key; `None` for a peer adopted without one.
    pub psk: Option<PresharedKey>,
}

/// Admits `names` to `site` with `settings`: keys made on all cores (or the
/// one `public_key` given), addresses taken. Changes only `site` in memory.
pub(crate) fn admit(
    site: &mut Site,
    names: Vec<PeerName>,
    settings: &PeerSettings,
    public_key: Option<PublicKey>,
    progress: Option<&dyn Progress>,
) -> Result<Vec<NewPeer>> {
    site.check_access(&settings.cameras)?;
    if let Some(p) = progress {
        p.start(names.len() as u64);
    }
    let mut admission = site.admission();
    let free = admission.free();
    if names.len() > free {
        return Err(Error::Limit(format!(
            "the tunnel subnet {} has room for {free} more peers, and {} were asked for: add at most {free}, or start a new site with a larger --subnet",
            site.subnet,
            names.len()
        )));
    }
    for name in &names {
        admission.check_name(name)?;
    }
    // Deriving public keys is the costly part of a bulk add: on all cores.
    let keys: Vec<(PublicKey, Option<PrivateKey>)> = match public_key {
        Some(k) => vec![(k, None)],
        None => names
            .par_iter()
            .map(|_| {
                let k = PrivateKey::generate();
                (k.public_key(), Some(k))
            })
            .collect(),
    };
    let mut new = Vec::with_capacity(names.len());
    for (name, (public_key, private)) in names.into_iter().zip(keys) {
        let (address, address6) = admission.admit(&name, public_key)?;
        site.peers.push(Peer {
            own_key: private.is_none(),
            cameras: settings.cameras.clone(),
            only: settings.only.clone(),
            full_tunnel: settings.full_tunnel,
            dns: settings.dns.clone(),
            mtu: settings.mtu,
            keepalive: settings.keepalive,
            ..Peer::new(name.clone(), address, address6, public_key)
        });
        new.push(NewPeer {
            name,
            private,
            psk: Some(PresharedKey::generate()),
        });
        if let Some(p) = progress {
            p.inc();
        }
    }
    site.validate().map_err(Error::from)?;
    Ok(new)
}

/// Adds the key files of `new` peers to `batch` (before `site.toml`).
pub(crate) fn stage_keys(dir: &SiteDir, batch: &mut Batch, new: &[NewPeer]) -> Result<()> {
    for p in new {
        dir.stage_peer_keys(batch, &p.name, p.private.as_ref(), p.psk.as_ref())?;
    }
    Ok(())
}

/// The names `PREFIX1` to `PREFIXcount`.
pub fn numbered_names(prefix: &str, count: u32) -> Result<Vec<PeerName>> {
    (1..=count)
        .map(|i| {
            format!("{prefix}{i}").parse::<PeerName>().map_err(|e| {
                Error::Conflict(format!(
                    "--prefix {prefix} --count {count} makes the name '{prefix}{i}': {e}"
                ))
            })
        })
        .collect()
}

/// A request to add peers.
pub struct AddPeers {
    /// Their names.
    pub names: Vec<PeerName>,
    /// Their settings.
    pub settings: PeerSettings,
    /// The public key of one peer that brings its own key pair.
    pub public_key: Option<PublicKey>,
}

/// Peers added, and the site they are now part of.
pub struct Added {
    /// The site as written.
    pub site: Site,
    /// The new peers, in the order of the request.
    pub peers: Vec<NewPeer>,
}

/// Adds peers to the site.
pub fn add(dir: &SiteDir, req: AddPeers, progress: Option<&dyn Progress>) -> Result<Added> {
    if req.public_key.is_some() && req.names.len() > 1 {
        return Err(Error::Conflict(
            "--public-key belongs to one peer; add peers with their own keys one at a time".into(),
        ));
    }
    let mut seen = HashSet::new();
    for n in &req.names {
        if !seen.insert(n.key()) {
            return Err(Error::Conflict(format!(
                "peer '{n}' is named twice in this command"
            )));
        }
    }
    let _lock = dir.lock(false)?;
    let mut site = dir.load()?;
    let peers = admit(
        &mut site,
        req.names,
        &req.settings,
        req.public_key,
        progress,
    )?;
    let mut batch = Batch::new();
    stage_keys(dir, &mut batch, &peers)?;
    dir.stage_site(&mut batch, &site)?;
    batch.commit()?;
    Ok(Added { site, peers })
}

/// A change to one peer; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct PeerChange {
    /// The cameras it may reach.
    pub cameras: Option<Access>,
    /// Only these services or ports (reset: all of them).
    pub only: Change<Vec<PortFilter>>,
    /// Full or split tunnel.
    pub full_tunnel: Option<bool>,
    /// Its own DNS servers (reset: the site's).
    pub dns: Change<Vec<IpAddr>>,
    /// Its own MTU (reset: the site's).
    pub mtu: Change<u16>,
    /// Its PersistentKeepalive.
    pub keepalive: Option<u16>,
}

/// Changes one peer.
pub fn set(dir: &SiteDir, name: &PeerName, change: PeerChange) -> Result<Notices> {
    let (site, before) = modify(dir, |site| {
        site.peer(name.as_str())?;
        if let Some(access) = &change.cameras {
            site.check_access(access)?;
        }
        let before = Context::new(site, None)
            .peer(name.as_str())
            .map(|p| p.allowed_ips.clone());
        let p = site.peer_mut(name.as_str())?;
        if let Some(c) = change.cameras {
            p.cameras = c;
        }
        change.only.apply(&mut p.only);
        if let Some(f) = change.full_tunnel {
            p.full_tunnel = f;
        }
        change.dns.apply(&mut p.dns);
        change.mtu.apply(&mut p.mtu);
        if let Some(k) = change.keepalive {
            p.keepalive = Some(k);
        }
        Ok(before)
    })?;
    let mut notices = Notices::default();
    let ctx = Context::new(&site, None);
    let p = ctx.peer(name.as_str()).expect("still there");
    if before.as_ref() != Some(&p.allowed_ips) {
        notices.note(format!(
            "what {} routes into the tunnel changed: render again and re-import its config",
            p.name
        ));
    }
    notices.note(format!(
        "updated peer {}; {} for the firewall",
        p.name,
        site.platform.to_take_effect()
    ));
    Ok(notices)
}

/// Removes peers and their keys.
pub fn remove(dir: &SiteDir, names: &[PeerName]) -> Result<Notices> {
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
    let mut notices = Notices::default();
    for n in names {
        notices.note(format!("removed peer {n} and its keys"));
    }
    notices.note(format!(
        "the router admits the removed key(s) until you {}",
        site.platform.to_take_effect()
    ));
    Ok(notices)
}

/// The site's context without secrets, checked to hold peer `name`.
pub fn find(dir: &SiteDir, name: &PeerName) -> Result<Context> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    site.peer(name.as_str())?;
    Ok(Context::new(&site, None))
}

/// A peer's complete config, as its QR code holds it.
pub struct PeerConfig {
    /// The site's context, with secrets.
    pub ctx: Context,
    /// The peer's name.
    name: String,
    /// The config text.
    pub config: String,
    /// Warnings about key files.
    pub notices: Notices,
}

impl PeerConfig {
    /// The peer, as templates see it (keys included).
    pub fn peer(&self) -> &PeerCtx {
        self.ctx.peer(&self.name).expect("checked when made")
    }

    /// Its QR code.
    pub fn qr(&self) -> Result<Qr> {
        peer_qr(self.peer(), &self.config)
    }
}

/// The config of peer `name`, rendered with `templates`.
pub fn config(dir: &SiteDir, name: &PeerName, templates: &Templates) -> Result<PeerConfig> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    site.peer(name.as_str())?;
    let mut notices = Notices::default();
    let secrets = load_secrets(dir, &site, &mut notices)?;
    let ctx = Context::new(&site, Some(&secrets));
    let peer = ctx.peer(name.as_str()).expect("checked");
    let config = peer_config(templates, &Value::from(Serde(&ctx)), peer)?;
    Ok(PeerConfig {
        ctx,
        name: name.to_string(),
        config,
        notices,
    })
}
