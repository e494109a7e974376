//! `import`: a site created from the JSON of `export --secrets` (a backup
//! restored, or a site moved to other hardware or another platform).

use std::path::PathBuf;

use super::Notices;
use super::peer::NewPeer;
use super::site::{Created, interfaces, write_new};
use crate::error::{Error, Result};
use crate::model::camera::Camera;
use crate::model::interface::InterfaceName;
use crate::model::keys::{PresharedKey, PrivateKey};
use crate::model::peer::{Access, Peer};
use crate::model::port::PortSpec;
use crate::model::relay::Relay;
use crate::model::site::{DEFAULT_MTU, Platform, Site};
use crate::store::{RelaySecrets, SiteDir};
use crate::targets::exported::Exported;

/// A site to create from `export --secrets` JSON (a backup, or a move to
/// other hardware).
#[derive(Debug, Clone)]
pub struct Import {
    /// The JSON file (`-`: standard input).
    pub file: PathBuf,
    /// Another platform to move to.
    pub platform: Option<Platform>,
    /// The WAN interface on the new platform.
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface on the new platform.
    pub lan_if: Option<InterfaceName>,
    /// Replace an existing site.
    pub force: bool,
}

/// Creates a site from the JSON of `export --secrets`: the same keys,
/// addresses and policy, on this or another platform.
pub fn import(dir: &SiteDir, req: &Import) -> Result<Created> {
    let text = super::read_text(&req.file)?;
    let name = super::input_name(&req.file);
    let path = name.as_path();
    let v = Exported::from_json(&text, path)?;
    let origin = |k: &str| format!("{} {k}", path.display());
    let server_key = v.server.private_key.as_deref().ok_or_else(|| Error::File {
        path: path.to_path_buf(),
        message: "holds no keys; make it with: camvpn export --secrets".into(),
    })?;
    let server = PrivateKey::from_base64(server_key, &origin("server.private_key"))?;
    let s = &v.site;
    let platform = req.platform.unwrap_or(s.platform);
    let listen_port = v.server.listen_port;
    let host = &v.server.endpoint_host;
    let endpoint_text = match v.server.endpoint_port {
        Some(p) if p != listen_port && host.contains(':') => format!("[{host}]:{p}"),
        Some(p) if p != listen_port => format!("{host}:{p}"),
        _ => host.clone(),
    };
    let mut notices = Notices::default();
    let (wan_if, lan_if) = if platform == s.platform {
        (
            req.wan_if.clone().or_else(|| s.wan_if.clone()),
            req.lan_if.clone().unwrap_or_else(|| s.lan_if.clone()),
        )
    } else {
        // The old platform's interfaces mean nothing on the new one.
        interfaces(
            platform,
            req.wan_if.as_ref(),
            req.lan_if.as_ref(),
            s.lan,
            &mut notices,
        )
    };
    let mut site = Site {
        platform,
        interface: v.server.interface.clone(),
        endpoint: endpoint_text.parse().map_err(Error::from)?,
        listen_port,
        subnet: s.subnet,
        subnet6: s.subnet6,
        lan: s.lan,
        lan6: s.lan6,
        wan_if,
        lan_if,
        dns: s.dns.clone(),
        mtu: s.mtu,
        keepalive: s.keepalive,
        firewall: s.firewall,
        camera_internet: s.camera_internet,
        camera_ntp: s.camera_ntp,
        log_drops: s.log_drops,
        router_access: s.router_access.clone(),
        server_public_key: server.public_key(),
        relay: None,
        cameras: Vec::new(),
        peers: Vec::new(),
    };
    for c in &v.cameras {
        let ports: Vec<PortSpec> = c.ports.iter().map(|p| p.spec).collect();
        let mut cam = Camera {
            name: c.name.clone(),
            ip: c.ip,
            ip6: c.ip6,
            mac: c.mac,
            vendor: c.vendor.clone(),
            ports: None,
            internet: c.internet,
        };
        // The vendor's ports stay the vendor's (they follow the presets).
        if cam.ports() != ports {
            cam.ports = Some(ports);
        }
        site.cameras.push(cam);
    }
    let mut peers = Vec::new();
    for p in &v.peers {
        let origin = |k: &str| format!("{} peer {} {k}", path.display(), p.name);
        let private = match &p.private_key {
            Some(k) => Some(PrivateKey::from_base64(k, &origin("private_key"))?),
            None => None,
        };
        if let Some(k) = &private
            && k.public_key() != p.public_key
        {
            return Err(Error::Key {
                origin: origin("private_key"),
                reason: "it does not match the peer's public key".into(),
            });
        }
        let psk = match &p.preshared_key {
            Some(k) => Some(PresharedKey::from_base64(k, &origin("preshared_key"))?),
            None => None,
        };
        site.peers.push(Peer {
            own_key: p.own_key.unwrap_or(private.is_none()),
            cameras: if p.access == "all" {
                Access::All
            } else {
                Access::Only(p.cameras.clone())
            },
            only: p.only.clone(),
            full_tunnel: p.full_tunnel,
            dns: (p.dns != s.dns).then(|| p.dns.clone()),
            mtu: p.mtu.filter(|m| *m != s.mtu.unwrap_or(DEFAULT_MTU)),
            keepalive: p.keepalive.filter(|k| Some(*k) != s.keepalive),
            no_psk: psk.is_none(),
            routes: p
                .routes
                .iter()
                .filter(|r| !p.addresses.contains(r))
                .copied()
                .collect(),
            ..Peer::new(p.name.clone(), p.address, p.address6, p.public_key)
        });
        peers.push(NewPeer {
            name: p.name.clone(),
            private,
            psk,
        });
    }
    site.validate().map_err(Error::from)?;
    // The relay keeps its keys: the relay host need not be set up again.
    let relay_keys = match &v.relay {
        None => None,
        Some(r) => {
            let key = |k: Option<&String>, what: &str| -> Result<PrivateKey> {
                let text = k.ok_or_else(|| Error::File {
                    path: path.to_path_buf(),
                    message: format!(
                        "relay.{what} is missing; make it with: camvpn export --secrets"
                    ),
                })?;
                PrivateKey::from_base64(text, &origin(&format!("relay.{what}")))
            };
            let keys = RelaySecrets {
                relay: key(r.private_key.as_ref(), "private_key")?,
                router: key(r.router_private_key.as_ref(), "router_private_key")?,
            };
            site.relay = Some(Relay {
                endpoint: r.endpoint.clone(),
                public_key: keys.relay.public_key(),
                router_public_key: keys.router.public_key(),
            });
            site.validate().map_err(Error::from)?;
            Some(keys)
        }
    };
    write_new(
        dir,
        &site,
        &server,
        relay_keys.as_ref(),
        &peers,
        req.force,
        &mut notices,
    )?;
    Ok(Created {
        site,
        peers,
        notices,
    })
}
