//! The JSON of `camvpn export`, read back: an API boundary. `import`,
//! `probe --as` and the Ansible collection read it; what they read is typed
//! here once, beside the [`Context`](super::context::Context) that writes it,
//! with the format check. Fields a reader does not need are not read, so
//! the export may grow; a new `format` is refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Deserialize;

use super::context::FORMAT;
use crate::error::{Error, Result};
use crate::model::endpoint::Endpoint;
use crate::model::interface::InterfaceName;
use crate::model::keys::PublicKey;
use crate::model::mac::MacAddr;
use crate::model::name::{CameraName, PeerName};
use crate::model::port::{PortFilter, PortSpec, Proto};
use crate::model::site::{DEFAULT_PORT, Firewall, Platform};

/// A whole export.
#[derive(Debug, Deserialize)]
pub struct Exported {
    /// The site's settings.
    pub site: Settings,
    /// The router.
    pub server: Server,
    /// The cameras.
    pub cameras: Vec<Camera>,
    /// The peers.
    pub peers: Vec<Peer>,
    /// Who may reach what.
    pub policy: Policy,
    /// The relay, if the site has one.
    #[serde(default)]
    pub relay: Option<Relay>,
}

/// `camvpn`: which camvpn wrote it, in which layout.
#[derive(Debug, Deserialize)]
struct Meta {
    #[serde(default = "first_format")]
    format: u32,
    #[serde(default)]
    version: Option<String>,
}

fn first_format() -> u32 {
    1
}

/// Only the `camvpn` member, read before the rest: a newer layout is
/// refused by its number, not by whatever field moved.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(default)]
    camvpn: Option<Meta>,
}

/// `site`.
#[derive(Debug, Deserialize)]
pub struct Settings {
    /// linux, openwrt or ddwrt.
    pub platform: Platform,
    /// The tunnel subnet.
    pub subnet: Ipv4Net,
    /// The IPv6 tunnel prefix.
    pub subnet6: Option<Ipv6Net>,
    /// The camera LAN.
    pub lan: Ipv4Net,
    /// The LAN's IPv6 prefix.
    pub lan6: Option<Ipv6Net>,
    /// The WAN interface.
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface.
    pub lan_if: InterfaceName,
    /// DNS servers for peers.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// The tunnel MTU.
    pub mtu: Option<u16>,
    /// Keepalive for peers.
    pub keepalive: Option<u16>,
    /// The Linux firewall backend.
    pub firewall: Firewall,
    /// May cameras reach the internet?
    #[serde(default)]
    pub camera_internet: bool,
    /// May cameras reach NTP servers?
    #[serde(default = "yes")]
    pub camera_ntp: bool,
    /// Are drops logged?
    #[serde(default)]
    pub log_drops: bool,
    /// The router's services peers may reach.
    #[serde(default)]
    pub router_access: Vec<PortSpec>,
}

fn yes() -> bool {
    true
}

/// `server`.
#[derive(Debug, Deserialize)]
pub struct Server {
    /// The WireGuard interface.
    pub interface: InterfaceName,
    /// The listen port.
    #[serde(default = "default_port")]
    pub listen_port: u16,
    /// The router's own endpoint's host.
    pub endpoint_host: String,
    /// The endpoint's port.
    pub endpoint_port: Option<u16>,
    /// The router's private key (with `--secrets`).
    pub private_key: Option<String>,
}

fn default_port() -> u16 {
    DEFAULT_PORT
}

/// One of `cameras`.
#[derive(Debug, Deserialize)]
pub struct Camera {
    /// Its name.
    pub name: CameraName,
    /// Its LAN address.
    pub ip: Ipv4Addr,
    /// Its IPv6 address.
    pub ip6: Option<Ipv6Addr>,
    /// Its MAC address.
    pub mac: Option<MacAddr>,
    /// Its vendor preset.
    pub vendor: String,
    /// Its ports.
    #[serde(default)]
    pub ports: Vec<Port>,
    /// May it reach the internet?
    #[serde(default)]
    pub internet: bool,
}

/// One of a camera's `ports`.
#[derive(Debug, Deserialize)]
pub struct Port {
    /// `554/tcp`.
    pub spec: PortSpec,
}

/// One of `peers`.
#[derive(Debug, Deserialize)]
pub struct Peer {
    /// Its name.
    pub name: PeerName,
    /// Its tunnel address.
    pub address: Ipv4Addr,
    /// Its IPv6 tunnel address.
    pub address6: Option<Ipv6Addr>,
    /// Its addresses with prefix.
    #[serde(default)]
    pub addresses: Vec<IpNet>,
    /// What the router routes to it.
    #[serde(default)]
    pub routes: Vec<IpNet>,
    /// Its public key.
    pub public_key: PublicKey,
    /// Its private key (with `--secrets`, when camvpn made it).
    pub private_key: Option<String>,
    /// Its preshared key (with `--secrets`).
    pub preshared_key: Option<String>,
    /// It brought its own key pair.
    pub own_key: Option<bool>,
    /// All traffic through the tunnel?
    #[serde(default)]
    pub full_tunnel: bool,
    /// "all", or a list in `cameras`.
    pub access: String,
    /// The cameras it may reach.
    #[serde(default)]
    pub cameras: Vec<CameraName>,
    /// Only these services or ports.
    pub only: Option<Vec<PortFilter>>,
    /// Its DNS servers.
    #[serde(default)]
    pub dns: Vec<IpAddr>,
    /// Its MTU.
    pub mtu: Option<u16>,
    /// Its keepalive.
    pub keepalive: Option<u16>,
}

/// `policy`: the IPv4 grants.
#[derive(Debug, Deserialize)]
pub struct Policy {
    /// IPv4.
    pub v4: Family,
}

/// One family of the policy.
#[derive(Debug, Deserialize)]
pub struct Family {
    /// Each peer address, camera address and port that may meet.
    pub access: Vec<Grant>,
}

/// One grant.
#[derive(Debug, Deserialize)]
pub struct Grant {
    /// The peer's tunnel address.
    pub peer_ip: IpAddr,
    /// The camera's address.
    pub camera_ip: IpAddr,
    /// The port.
    pub port: u16,
    /// Its protocol.
    pub proto: Proto,
}

/// `relay`.
#[derive(Debug, Deserialize)]
pub struct Relay {
    /// `host:port` phones dial.
    pub endpoint: Endpoint,
    /// The relay host's private key (with `--secrets`).
    pub private_key: Option<String>,
    /// The private key of the router's end (with `--secrets`).
    pub router_private_key: Option<String>,
}

impl Exported {
    /// Reads `text`, the JSON of `camvpn export` in the file `path` names:
    /// a newer format, a value that does not parse, or a missing field is an
    /// error naming `path` and the field.
    pub fn from_json(text: &str, path: &Path) -> Result<Self> {
        let bad = |message: String| Error::File {
            path: path.to_path_buf(),
            message,
        };
        let head: Head = serde_json::from_str(text)
            .map_err(|e| bad(format!("not the JSON of camvpn export: {e}")))?;
        if let Some(Meta { format, version }) = head.camvpn
            && format > FORMAT
        {
            return Err(bad(format!(
                "made by camvpn {} (format {format}); this camvpn reads format {FORMAT} at most: use that version or a newer one",
                version.as_deref().unwrap_or("?")
            )));
        }
        serde_path_to_error::deserialize(&mut serde_json::Deserializer::from_str(text)).map_err(
            |e| {
                bad(format!(
                    "not the JSON of camvpn export ({}: {}); make it with: camvpn export > site.json",
                    e.path(),
                    e.inner()
                ))
            },
        )
    }

    /// The export of a site's context, as `export` prints it.
    pub fn from_value(value: serde_json::Value) -> Self {
        serde_json::from_value(value).expect("the context reads back as an export")
    }
}
