//! The arguments of `camera` and `peer`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

use camvpn::error::InvalidValue;
use camvpn::model::keys::PublicKey;
use camvpn::model::mac::MacAddr;
use camvpn::model::name::{CameraName, PeerName};
use camvpn::model::net::parse_ip;
use camvpn::model::port::{PortFilter, PortSpec};
use camvpn::model::site::parse_mtu;
use camvpn::model::vendor::parse_vendor;
use clap::{Args, Subcommand, ValueEnum};

use super::{on_off, vendor_help};

/// `NAME=IP[:VENDOR]`.
#[derive(Debug, Clone)]
pub struct CameraSpec {
    pub name: CameraName,
    pub ip: Ipv4Addr,
    pub vendor: String,
}

impl FromStr for CameraSpec {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        let (name, rest) = s.split_once('=').ok_or_else(|| {
            InvalidValue::new(
                "write a camera as NAME=IP or NAME=IP:VENDOR, e.g. driveway=192.168.1.108:dahua",
            )
        })?;
        let (ip, vendor) = rest.split_once(':').unwrap_or((rest, "generic"));
        let ip: Ipv4Addr = ip.parse().map_err(|_| {
            InvalidValue::new(format!(
                "'{ip}' is not an IPv4 address; write a camera as NAME=IP[:VENDOR], e.g. driveway=192.168.1.108:dahua"
            ))
        })?;
        let vendor = parse_vendor(vendor)
            .map_err(|e| InvalidValue::new(format!("vendor '{vendor}': {e}")))?;
        Ok(CameraSpec {
            name: name.parse()?,
            ip,
            vendor,
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum CameraCmd {
    /// Add a camera
    #[command(after_help = "Example:
  camvpn camera add nvr --ip 192.168.1.20 --vendor hikvision
  camvpn camera add frontdoor --ip 192.168.1.30 --port 45880/tcp --port 45554/tcp")]
    Add(CameraAddArgs),
    /// List cameras and their ports
    List,
    /// Change a camera: its vendor, ports, IPv6 address or internet access
    Set(CameraSetArgs),
    /// Remove cameras (peers lose access to them)
    Remove {
        /// Camera names
        #[arg(required = true, value_name = "NAME")]
        names: Vec<CameraName>,
    },
}

#[derive(Debug, Args)]
pub struct CameraAddArgs {
    /// The camera's name
    pub name: CameraName,
    /// Its LAN address
    #[arg(long)]
    pub ip: Ipv4Addr,
    /// Its IPv6 address, if it has a stable one
    #[arg(long)]
    pub ip6: Option<Ipv6Addr>,
    /// Its MAC address, which closes its IPv6 whatever address it picks (on
    /// the router, apply looks it up in the neighbour table when not given)
    #[arg(long, value_name = "MAC")]
    pub mac: Option<MacAddr>,
    /// Vendor preset for its ports
    #[arg(long, default_value = "generic", value_parser = parse_vendor, long_help = vendor_help())]
    pub vendor: String,
    /// A port (N/tcp or N/udp); replaces the vendor's ports; repeat for more
    #[arg(long = "port", value_name = "N/PROTO")]
    pub ports: Vec<PortSpec>,
    /// Let this camera reach the internet (vendor cloud)
    #[arg(long)]
    pub internet: bool,
}

#[derive(Debug, Args)]
pub struct CameraSetArgs {
    /// The camera
    pub name: CameraName,
    /// Its LAN address (peers that may view it must re-import their configs)
    #[arg(long)]
    pub ip: Option<Ipv4Addr>,
    /// Its MAC address, which closes its IPv6 whatever address it picks
    #[arg(long, value_name = "MAC")]
    pub mac: Option<MacAddr>,
    /// Vendor preset for its ports
    #[arg(long, value_parser = parse_vendor, long_help = vendor_help())]
    pub vendor: Option<String>,
    /// A port (N/tcp or N/udp); the list replaces the current ports; repeat for more
    #[arg(long = "port", value_name = "N/PROTO", conflicts_with = "preset_ports")]
    pub ports: Vec<PortSpec>,
    /// Use the vendor's ports again (undoes --port)
    #[arg(long)]
    pub preset_ports: bool,
    /// Its IPv6 address
    #[arg(long)]
    pub ip6: Option<Ipv6Addr>,
    /// May it reach the internet (vendor cloud)?
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub internet: Option<bool>,
}

#[derive(Debug, Subcommand)]
pub enum PeerCmd {
    /// Add peers; each gets keys, a tunnel address and (on a terminal) a QR code
    #[command(
        after_help = "A new peer may reach every camera unless --cameras says otherwise.
When exactly one peer is added and standard output is a terminal, its QR code is
printed for scanning with the WireGuard app (--no-qr to skip).

Example:
  camvpn peer add alice bob --cameras driveway,nvr"
    )]
    Add(PeerAddArgs),
    /// List peers
    List,
    /// Show a peer: its details, or with --config / --qr its config (contains its private key)
    Show(PeerShowArgs),
    /// Change a peer: its cameras, ports, tunnel, DNS, MTU or keepalive
    #[command(
        after_help = "Changes to cameras, --full-tunnel or --dns change what the phone routes into the
tunnel: render again and re-import its config. Apply again for the firewall.

Example:
  camvpn peer set guard --cameras driveway --only rtsp"
    )]
    Set(PeerSetArgs),
    /// Remove peers and their keys
    Remove {
        /// Peer names
        #[arg(required = true, value_name = "NAME")]
        names: Vec<PeerName>,
    },
}

#[derive(Debug, Args)]
pub struct PeerAddArgs {
    /// Names of the new peers (1 to 15 letters, digits, '-' or '_')
    #[arg(
        required_unless_present = "count",
        conflicts_with = "count",
        value_name = "NAME"
    )]
    pub names: Vec<PeerName>,
    /// Add N peers named PREFIX1 … PREFIXN (with --prefix)
    #[arg(long, value_name = "N", requires = "prefix", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub count: Option<u32>,
    /// The name prefix for --count
    #[arg(long, value_name = "PREFIX", requires = "count")]
    pub prefix: Option<String>,
    /// Only these cameras (comma separated)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "A,B",
        conflicts_with = "all_cameras"
    )]
    pub cameras: Option<Vec<CameraName>>,
    /// Every camera, including cameras added later (the default)
    #[arg(long)]
    pub all_cameras: bool,
    /// Only these services or ports of its cameras, e.g. rtsp or 554/tcp
    /// (comma separated; services are those of the vendor presets)
    #[arg(long, value_delimiter = ',', value_name = "SERVICE|N/PROTO")]
    pub only: Option<Vec<PortFilter>>,
    /// Route all of the peer's traffic through the router
    #[arg(long)]
    pub full_tunnel: bool,
    /// The peer's own public key (it keeps its private key); only with one NAME
    #[arg(long, value_name = "KEY")]
    pub public_key: Option<PublicKey>,
    /// DNS server(s) for these peers, replacing the site's
    #[arg(long, value_delimiter = ',', value_parser = parse_ip, value_name = "IP")]
    pub dns: Option<Vec<IpAddr>>,
    /// MTU for these peers, replacing the site's
    #[arg(long, value_parser = parse_mtu, value_name = "N")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive for these peers, seconds (0: off)
    #[arg(long, value_name = "SECONDS")]
    pub keepalive: Option<u16>,
    /// Do not print the QR code
    #[arg(long)]
    pub no_qr: bool,
    /// Print the QR code even when standard output is not a terminal (one
    /// peer, with a key made here), e.g. over ssh without -t
    #[arg(long, conflicts_with = "no_qr")]
    pub qr: bool,
}

#[derive(Debug, Args)]
pub struct PeerSetArgs {
    /// The peer
    pub name: PeerName,
    /// Only these cameras (comma separated)
    #[arg(long, value_delimiter = ',', value_name = "A,B", group = "access")]
    pub cameras: Option<Vec<CameraName>>,
    /// Every camera, including cameras added later
    #[arg(long, group = "access")]
    pub all_cameras: bool,
    /// No camera at all (e.g. a full-tunnel-only peer)
    #[arg(long, group = "access")]
    pub no_cameras: bool,
    /// Only these services or ports of its cameras (comma separated)
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "SERVICE|N/PROTO",
        conflicts_with = "all_ports"
    )]
    pub only: Option<Vec<PortFilter>>,
    /// Every port of its cameras (undoes --only)
    #[arg(long)]
    pub all_ports: bool,
    /// Route all traffic through the router
    #[arg(long, conflicts_with = "split_tunnel")]
    pub full_tunnel: bool,
    /// Route only the router and the cameras through the tunnel
    #[arg(long)]
    pub split_tunnel: bool,
    /// DNS server(s) for this peer, replacing the site's
    #[arg(long, value_delimiter = ',', value_parser = parse_ip, value_name = "IP", conflicts_with = "site_dns")]
    pub dns: Option<Vec<IpAddr>>,
    /// Use the site's DNS servers again
    #[arg(long)]
    pub site_dns: bool,
    /// MTU for this peer (0: the site's)
    #[arg(long, value_name = "N")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive for this peer, seconds (0: off)
    #[arg(long, value_name = "SECONDS")]
    pub keepalive: Option<u16>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum QrArg {
    /// Unicode blocks for a terminal
    Ansi,
    /// PNG image
    Png,
    /// SVG image
    Svg,
}

#[derive(Debug, Args)]
pub struct PeerShowArgs {
    /// The peer
    pub name: PeerName,
    /// Print the peer's wg-quick config (the QR payload)
    #[arg(long, conflicts_with = "qr")]
    pub config: bool,
    /// Print the config as a QR code
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub qr: Option<QrArg>,
    /// Write to FILE (mode 0600) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// With --json: include the private key, PSK and config
    #[arg(long)]
    pub secrets: bool,
}
