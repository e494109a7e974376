//! `import`: a site created from the JSON of `export --secrets` (a backup
//! restored, or a site moved to other hardware or another platform).

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use ipnet::{IpNet, Ipv4Net};

use super::Notices;
use super::peer::NewPeer;
use super::site::{Created, interfaces, write_new};
use crate::error::{Error, Result};
use crate::model::interface::InterfaceName;
use crate::model::keys::PrivateKey;
use crate::model::name::PeerName;
use crate::model::peer::Access;
use crate::model::port::PortSpec;
use crate::model::relay::Relay;
use crate::model::site::{Platform, Site};
use crate::store::{RelaySecrets, SiteDir};

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

/// Reads value `key` of `v` (a path like `site.subnet`) with `parse`.
fn field<T>(v: &serde_json::Value, key: &str, path: &Path) -> Result<T>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let mut x = v;
    for k in key.split('.') {
        x = &x[k];
    }
    let s = x.as_str().ok_or_else(|| Error::File {
        path: path.to_path_buf(),
        message: format!("{key} is missing; is this the JSON of camvpn export --secrets?"),
    })?;
    s.parse().map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: format!("{key}: {e}"),
    })
}

/// An optional value at `key`.
fn opt_field<T>(v: &serde_json::Value, key: &str, path: &Path) -> Result<Option<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let mut x = v;
    for k in key.split('.') {
        x = &x[k];
    }
    if x.is_null() {
        Ok(None)
    } else {
        field(v, key, path).map(Some)
    }
}

fn list<T>(v: &serde_json::Value, path: &Path, what: &str) -> Result<Vec<T>>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    v.as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            x.as_str()
                .unwrap_or_default()
                .parse()
                .map_err(|e| Error::File {
                    path: path.to_path_buf(),
                    message: format!("{what}: {e}"),
                })
        })
        .collect()
}

/// Creates a site from the JSON of `export --secrets`: the same keys,
/// addresses and policy, on this or another platform.
pub fn import(dir: &SiteDir, req: &Import) -> Result<Created> {
    use crate::model::camera::Camera;
    use crate::model::keys::{PresharedKey, PublicKey};
    use crate::model::peer::Peer;
    use crate::targets::context::FORMAT;

    let text = super::read_text(&req.file)?;
    let name = super::input_name(&req.file);
    let path = name.as_path();
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::File {
        path: path.to_path_buf(),
        message: format!("not the JSON of camvpn export: {e}"),
    })?;
    let format = v["camvpn"]["format"].as_u64().unwrap_or(1);
    if format > u64::from(FORMAT) {
        return Err(Error::File {
            path: path.to_path_buf(),
            message: format!(
                "made by camvpn {} (format {format}); this camvpn reads format {FORMAT} at most: import it with that version or a newer one",
                v["camvpn"]["version"].as_str().unwrap_or("?")
            ),
        });
    }
    let server_key = v["server"]["private_key"]
        .as_str()
        .ok_or_else(|| Error::File {
            path: path.to_path_buf(),
            message: "holds no keys; make it with: camvpn export --secrets".into(),
        })?;
    let server = PrivateKey::from_base64(
        server_key,
        &format!("{} server.private_key", path.display()),
    )?;
    let s = &v["site"];
    let platform = match req.platform {
        Some(p) => p,
        None => field(&v, "site.platform", path)?,
    };
    let listen_port: u16 = v["server"]["listen_port"]
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .unwrap_or(51820);
    let endpoint_port = v["server"]["endpoint_port"].as_u64();
    let host: String = field(&v, "server.endpoint_host", path)?;
    let endpoint_text = match endpoint_port {
        Some(p) if p != u64::from(listen_port) && host.contains(':') => format!("[{host}]:{p}"),
        Some(p) if p != u64::from(listen_port) => format!("{host}:{p}"),
        _ => host,
    };
    let moved = platform.to_string() != s["platform"].as_str().unwrap_or_default();
    let mut notices = Notices::default();
    let lan: Ipv4Net = field(&v, "site.lan", path)?;
    let (wan_if, lan_if) = if moved {
        // The old platform's interfaces mean nothing on the new one.
        interfaces(
            platform,
            req.wan_if.as_ref(),
            req.lan_if.as_ref(),
            lan,
            &mut notices,
        )
    } else {
        (
            req.wan_if
                .clone()
                .map_or_else(|| opt_field(&v, "site.wan_if", path), |w| Ok(Some(w)))?,
            req.lan_if
                .clone()
                .map_or_else(|| field(&v, "site.lan_if", path), Ok)?,
        )
    };
    let site_dns: Vec<IpAddr> = list(&s["dns"], path, "site.dns")?;
    let site_mtu = s["mtu"].as_u64().and_then(|m| u16::try_from(m).ok());
    let site_keepalive = s["keepalive"].as_u64().and_then(|m| u16::try_from(m).ok());
    let mut site = Site {
        platform,
        interface: field(&v, "server.interface", path)?,
        endpoint: endpoint_text.parse().map_err(Error::from)?,
        listen_port,
        subnet: field(&v, "site.subnet", path)?,
        subnet6: opt_field(&v, "site.subnet6", path)?,
        lan,
        lan6: opt_field(&v, "site.lan6", path)?,
        wan_if,
        lan_if,
        dns: site_dns.clone(),
        mtu: site_mtu,
        keepalive: site_keepalive,
        firewall: field(&v, "site.firewall", path)?,
        camera_internet: s["camera_internet"].as_bool().unwrap_or(false),
        camera_ntp: s["camera_ntp"].as_bool().unwrap_or(true),
        log_drops: s["log_drops"].as_bool().unwrap_or(false),
        router_access: list(&s["router_access"], path, "site.router_access")?,
        server_public_key: server.public_key(),
        relay: None,
        cameras: Vec::new(),
        peers: Vec::new(),
    };
    for c in v["cameras"].as_array().into_iter().flatten() {
        let ports: Vec<PortSpec> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| p["spec"].as_str().unwrap_or_default().parse())
            .collect::<Result<_, _>>()
            .map_err(|e: crate::error::InvalidValue| Error::File {
                path: path.to_path_buf(),
                message: format!("camera ports: {e}"),
            })?;
        let mut cam = Camera {
            name: field(c, "name", path)?,
            ip: field(c, "ip", path)?,
            ip6: opt_field(c, "ip6", path)?,
            mac: opt_field(c, "mac", path)?,
            vendor: field(c, "vendor", path)?,
            ports: None,
            internet: c["internet"].as_bool().unwrap_or(false),
        };
        // The vendor's ports stay the vendor's (they follow the presets).
        if cam.ports() != ports {
            cam.ports = Some(ports);
        }
        site.cameras.push(cam);
    }
    let mut peers = Vec::new();
    for p in v["peers"].as_array().into_iter().flatten() {
        let name: PeerName = field(p, "name", path)?;
        let origin = |k: &str| format!("{} peer {name} {k}", path.display());
        let public_key: PublicKey = field(p, "public_key", path)?;
        let private = match p["private_key"].as_str() {
            Some(k) => Some(PrivateKey::from_base64(k, &origin("private_key"))?),
            None => None,
        };
        if let Some(k) = &private
            && k.public_key() != public_key
        {
            return Err(Error::Key {
                origin: origin("private_key"),
                reason: "it does not match the peer's public key".into(),
            });
        }
        let psk = match p["preshared_key"].as_str() {
            Some(k) => Some(PresharedKey::from_base64(k, &origin("preshared_key"))?),
            None => None,
        };
        let addresses: Vec<String> = list(&p["addresses"], path, "peer addresses")?;
        let routes: Vec<IpNet> = list::<String>(&p["routes"], path, "peer routes")?
            .into_iter()
            .filter(|r| !addresses.contains(r))
            .map(|r| r.parse::<IpNet>())
            .collect::<Result<_, _>>()
            .map_err(|e| Error::File {
                path: path.to_path_buf(),
                message: format!("peer {name} routes: {e}"),
            })?;
        let dns: Vec<IpAddr> = list(&p["dns"], path, "peer dns")?;
        let mtu = p["mtu"].as_u64().and_then(|m| u16::try_from(m).ok());
        let keepalive = p["keepalive"].as_u64().and_then(|m| u16::try_from(m).ok());
        let access = match p["access"].as_str() {
            Some("all") => Access::All,
            _ => Access::Only(list(&p["cameras"], path, "peer cameras")?),
        };
        site.peers.push(Peer {
            own_key: p["own_key"].as_bool().unwrap_or(private.is_none()),
            cameras: access,
            only: match p["only"].as_array() {
                Some(_) => Some(list(&p["only"], path, "peer only")?),
                None => None,
            },
            full_tunnel: p["full_tunnel"].as_bool().unwrap_or(false),
            dns: (dns != site_dns).then_some(dns),
            mtu: mtu.filter(|m| *m != site_mtu.unwrap_or(crate::model::site::DEFAULT_MTU)),
            keepalive: keepalive.filter(|k| Some(*k) != site_keepalive),
            no_psk: psk.is_none(),
            routes,
            ..Peer::new(
                name.clone(),
                field(p, "address", path)?,
                opt_field(p, "address6", path)?,
                public_key,
            )
        });
        peers.push(NewPeer { name, private, psk });
    }
    site.validate().map_err(Error::from)?;
    // The relay keeps its keys: the relay host need not be set up again.
    let relay_keys = if v["relay"].is_null() {
        None
    } else {
        let key = |k: &str| -> Result<PrivateKey> {
            let text: String = field(&v, &format!("relay.{k}"), path)?;
            PrivateKey::from_base64(&text, &format!("{} relay.{k}", path.display()))
        };
        let keys = RelaySecrets {
            relay: key("private_key")?,
            router: key("router_private_key")?,
        };
        site.relay = Some(Relay {
            endpoint: field(&v, "relay.endpoint", path)?,
            public_key: keys.relay.public_key(),
            router_public_key: keys.router.public_key(),
        });
        site.validate().map_err(Error::from)?;
        Some(keys)
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
