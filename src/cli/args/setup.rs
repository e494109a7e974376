//! The arguments of the commands that make or change the site as a whole:
//! `init`, `site set`, `import`, `export`, `sync`.

use std::net::IpAddr;
use std::path::PathBuf;

use camvpn::error::InvalidValue;
use camvpn::model::endpoint::Endpoint;
use camvpn::model::interface::InterfaceName;
use camvpn::model::name::PeerName;
use camvpn::model::net::{parse_ip, parse_net4, parse_net6};
use camvpn::model::port::PortSpec;
use camvpn::model::site::{Platform, parse_mtu, parse_port};
use camvpn::ops::Change;
use camvpn::ops::adopt::AdoptFormat;
use clap::{Args, Subcommand, ValueEnum};
use ipnet::{Ipv4Net, Ipv6Net};

use super::members::CameraSpec;
use super::run::FormatArg;
use super::{FirewallArg, Interfaces, UciDir, WgDir, on_off, platform};

#[derive(Debug, Args)]
#[command(after_help = "Example:
  camvpn init --platform linux --endpoint vpn.example.net \\
      --wan-if eth0 --lan-if br0 --camera driveway=192.168.1.108:dahua --peer phone")]
pub struct InitArgs {
    /// The router platform: linux, openwrt or ddwrt
    #[arg(long, value_parser = platform, value_name = "PLATFORM")]
    pub platform: Platform,
    /// Where phones reach the router: a DNS name or public IP, with the public
    /// port if it differs from --listen-port (HOST[:PORT], [IPv6]:PORT)
    #[arg(long, value_name = "HOST[:PORT]")]
    pub endpoint: Endpoint,
    /// The tunnel subnet; the router takes its first address
    #[arg(long, default_value = "10.66.0.0/24", value_parser = parse_net4, value_name = "CIDR")]
    pub subnet: Ipv4Net,
    /// An IPv6 tunnel prefix (e.g. `fd66::/64`); peers then get IPv6 addresses too
    #[arg(long, value_parser = parse_net6, value_name = "PREFIX")]
    pub subnet6: Option<Ipv6Net>,
    /// The LAN the cameras are on
    #[arg(long, default_value = "192.168.1.0/24", value_parser = parse_net4, value_name = "CIDR")]
    pub lan: Ipv4Net,
    /// The LAN's IPv6 prefix (a /64), where cameras take their own addresses:
    /// the firewall then also drops traffic to the SLAAC (EUI-64) address of
    /// each camera whose MAC it knows
    #[arg(long, value_parser = parse_net6, value_name = "PREFIX")]
    pub lan6: Option<Ipv6Net>,
    #[command(flatten)]
    pub ifs: Interfaces,
    /// DNS server(s) for peers; routed through the tunnel (repeat or comma-separate)
    #[arg(long, value_delimiter = ',', value_parser = parse_ip, value_name = "IP")]
    pub dns: Vec<IpAddr>,
    /// The UDP port WireGuard listens on [default: 51820, or the next one
    /// free of the tunnels in a DD-WRT --import-forwards dump]
    #[arg(long, value_parser = parse_port, value_name = "N")]
    pub listen_port: Option<u16>,
    /// The WireGuard interface name on the router
    #[arg(long, default_value = "wg0", value_name = "IF")]
    pub interface: InterfaceName,
    /// Tunnel MTU for router and peers, 1280 to 9000 [default: 1280, which fits every path IPv6 can use; WireGuard's own is 1420]
    #[arg(long, value_parser = parse_mtu, value_name = "N")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive for peers, seconds (only needed to receive traffic
    /// the phone did not ask for; costs battery)
    #[arg(long, value_name = "SECONDS")]
    pub keepalive: Option<u16>,
    /// Firewall backend for 'camvpn apply' on Linux
    #[arg(long, value_enum, default_value = "nft")]
    pub firewall: FirewallArg,
    /// Let cameras reach the internet (vendor clouds); blocked by default
    #[arg(long)]
    pub camera_internet: bool,
    /// Log dropped packets with camvpn's log prefixes
    #[arg(long)]
    pub log_drops: bool,
    /// A camera: NAME=IP or NAME=IP:VENDOR (vendor default: generic); repeat for more
    #[arg(long = "camera", value_name = "NAME=IP[:VENDOR]", long_help = camera_help())]
    pub cameras: Vec<CameraSpec>,
    /// A peer with access to every camera; repeat for more
    #[arg(long = "peer", value_name = "NAME")]
    pub peers: Vec<PeerName>,
    /// Make the hosts that FILE forwards camera ports to cameras of the site
    /// (FILE as for 'camvpn audit'; their forwarded ports become their ports)
    #[arg(long, value_name = "FILE")]
    pub import_forwards: Option<PathBuf>,
    /// The format of --import-forwards
    #[arg(long, value_enum, default_value = "auto", requires = "import_forwards")]
    pub import_format: FormatArg,
    /// Take over the WireGuard setup in FILE: its router key, listen port,
    /// tunnel subnet and every peer with its keys and address, so phones keep
    /// working unchanged (a wg-quick config, OpenWrt's /etc/config/network, or
    /// DD-WRT's 'nvram show'); new peers of --peer come on top
    #[arg(long, value_name = "FILE")]
    pub adopt: Option<PathBuf>,
    /// The format of --adopt
    #[arg(long, value_enum, default_value = "auto", requires = "adopt")]
    pub adopt_format: AdoptFormatArg,
    /// A relay for a router behind carrier-grade NAT (4G/5G, Starlink): a
    /// small Linux host on the internet that phones dial instead, and that
    /// forwards their WireGuard packets to the router without seeing inside
    /// them. PORT (default 51820) is for phones, PORT+1 for the router's own
    /// tunnel to the relay; give each site on one relay its own pair
    #[arg(long, value_name = "HOST[:PORT]")]
    pub relay: Option<Endpoint>,
    /// Replace an existing site: new keys for the router and every peer
    #[arg(long)]
    pub force: bool,
}

/// The format of an existing WireGuard setup.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AdoptFormatArg {
    /// Tell from the contents
    Auto,
    /// A wg-quick config
    WgQuick,
    /// OpenWrt's /etc/config/network
    Openwrt,
    /// DD-WRT's nvram show
    Ddwrt,
}

impl AdoptFormatArg {
    pub fn format(self) -> Option<AdoptFormat> {
        match self {
            AdoptFormatArg::Auto => None,
            AdoptFormatArg::WgQuick => Some(AdoptFormat::WgQuick),
            AdoptFormatArg::Openwrt => Some(AdoptFormat::Openwrt),
            AdoptFormatArg::Ddwrt => Some(AdoptFormat::Ddwrt),
        }
    }
}

#[derive(Debug, Args)]
#[command(after_help = "SPEC is the whole desired site as JSON:
  {\"platform\": \"linux\", \"endpoint\": \"vpn.example.net\", \"wan_if\": \"eth0\", \"lan_if\": \"br0\",
   \"cameras\": [{\"name\": \"driveway\", \"ip\": \"192.168.1.108\", \"vendor\": \"dahua\"}],
   \"peers\": [{\"name\": \"alice\", \"cameras\": [\"driveway\"]}, {\"name\": \"bob\"}]}
Also: subnet, lan, listen_port (fixed once the site exists), firewall, dns, relay; a camera's
mac; a peer without \"cameras\" may reach every camera. Everything is checked before anything
is written: a bad SPEC exits 2 naming the field (e.g. cameras[1].ip) and changes nothing. Peers
that stay keep their keys and addresses; cameras and peers not in SPEC are removed. Prints
what changed as JSON; \"changed\": false when the site already matched.")]
pub struct SyncArgs {
    /// The spec: a JSON file, or - for standard input
    #[arg(value_name = "SPEC")]
    pub spec: PathBuf,
    /// Where to render the site [default: out/ in the site directory]
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Then apply it on this host (as camvpn apply)
    #[arg(long)]
    pub apply: bool,
    /// Check SPEC and print what would change; write, render and apply nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub wg: WgDir,
    #[command(flatten)]
    pub uci: UciDir,
}

#[derive(Debug, Subcommand)]
pub enum SiteCmd {
    /// Print the site's settings
    Show,
    /// Change site settings (render and apply again afterwards)
    Set(Box<SiteSetArgs>),
}

#[derive(Debug, Args)]
pub struct SiteSetArgs {
    /// Where phones reach the router (peers must re-import their configs)
    #[arg(long, value_name = "HOST[:PORT]")]
    pub endpoint: Option<Endpoint>,
    /// The UDP port WireGuard listens on (phones must re-import their configs
    /// unless --endpoint names the public port)
    #[arg(long, value_parser = parse_port, value_name = "N")]
    pub listen_port: Option<u16>,
    #[command(flatten)]
    pub ifs: Interfaces,
    /// The LAN's IPv6 prefix (a /64) for cameras' SLAAC addresses; 'off' forgets it
    #[arg(long, value_parser = parse_net6_or_off, value_name = "PREFIX|off")]
    pub lan6: Option<Change<Ipv6Net>>,
    /// DNS server(s) for peers (an empty value removes them)
    #[arg(long, value_delimiter = ',', value_parser = parse_ip_or_empty, value_name = "IP")]
    pub dns: Option<Vec<Option<IpAddr>>>,
    /// Tunnel MTU, 1280 to 9000 (0: camvpn's default, 1280)
    #[arg(long, value_name = "N")]
    pub mtu: Option<u16>,
    /// PersistentKeepalive for peers, seconds (0: off)
    #[arg(long, value_name = "SECONDS")]
    pub keepalive: Option<u16>,
    /// Firewall backend for 'camvpn apply' on Linux
    #[arg(long, value_enum)]
    pub firewall: Option<FirewallArg>,
    /// May every camera reach the internet?
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub camera_internet: Option<bool>,
    /// May cameras kept off the internet still reach NTP servers there (udp 123;
    /// on by default, clocks drift without it)? Off: point them at the router's NTP
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub camera_ntp: Option<bool>,
    /// Log dropped packets with camvpn's prefixes?
    #[arg(long, value_name = "on|off", value_parser = on_off)]
    pub log_drops: Option<bool>,
    /// Services of the router itself that peers may reach through the tunnel,
    /// comma-separated: ssh, telnet, http, https or PORT/PROTO; 'none' (the
    /// default) leaves them ping and DNS only
    #[arg(long, value_name = "SERVICE,...|none", value_parser = parse_router_access)]
    pub router_access: Option<RouterAccess>,
    /// Phones dial this relay instead of the router (a router behind
    /// carrier-grade NAT); PORT (default 51820) is for phones, PORT+1 for the
    /// router's tunnel to it; 'off': phones dial the endpoint again. Peers
    /// must re-import their configs
    #[arg(long, value_parser = parse_relay, value_name = "HOST[:PORT]|off")]
    pub relay: Option<Change<Endpoint>>,
}

/// The router's services open to the tunnel (`site set --router-access`).
#[derive(Debug, Clone)]
pub struct RouterAccess(pub Vec<PortSpec>);

fn parse_router_access(s: &str) -> Result<RouterAccess, InvalidValue> {
    if s == "none" {
        return Ok(RouterAccess(Vec::new()));
    }
    let mut ports = Vec::new();
    for w in s.split(',').map(str::trim) {
        let port = match w {
            "ssh" => "22/tcp".parse(),
            "telnet" => "23/tcp".parse(),
            "http" => "80/tcp".parse(),
            "https" => "443/tcp".parse(),
            _ => w.parse::<PortSpec>().map_err(|_| {
                InvalidValue::new(format!(
                    "'{w}' is not a router service: use ssh, telnet, http, https, PORT/PROTO (22/tcp) or none"
                ))
            }),
        }?;
        if !ports.contains(&port) {
            ports.push(port);
        }
    }
    Ok(RouterAccess(ports))
}

fn parse_relay(s: &str) -> Result<Change<Endpoint>, InvalidValue> {
    if s == "off" {
        Ok(Change::Reset)
    } else {
        s.parse().map(Change::Set)
    }
}

fn parse_net6_or_off(s: &str) -> Result<Change<Ipv6Net>, InvalidValue> {
    if s == "off" {
        Ok(Change::Reset)
    } else {
        parse_net6(s).map(Change::Set)
    }
}

fn parse_ip_or_empty(s: &str) -> Result<Option<IpAddr>, InvalidValue> {
    if s.is_empty() {
        Ok(None)
    } else {
        parse_ip(s).map(Some)
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "The keys, addresses, cameras and access lists of the export are kept, so the
phones keep working without scanning anything. --platform moves the site to another
router platform (the interfaces then default to the new platform's, or --wan-if and
--lan-if); render (or apply) writes the new router's files.

Examples:
  camvpn export --secrets -o backup.json         # written 0600: it holds every key
  camvpn --dir /etc/camvpn import backup.json
  camvpn --dir site import backup.json --platform openwrt"
)]
pub struct ImportArgs {
    /// The JSON of 'camvpn export --secrets' ('-' for standard input)
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Move the site to this platform: linux, openwrt or ddwrt
    #[arg(long, value_parser = platform, value_name = "PLATFORM")]
    pub platform: Option<Platform>,
    #[command(flatten)]
    pub ifs: Interfaces,
    /// Replace an existing site
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Examples:
  camvpn export > site.json                      # for probe --as, templates, scripts
  camvpn export --secrets -o backup.json         # a backup for import; written 0600")]
pub struct ExportArgs {
    /// Include private keys and PSKs
    #[arg(long)]
    pub secrets: bool,
    /// Write to FILE instead of standard output, readable by its owner only
    /// (0600), atomically
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The long help of `init --camera`: with the vendor presets.
fn camera_help() -> String {
    format!(
        "A camera: NAME=IP or NAME=IP:VENDOR; repeat for more. VENDOR is a preset for its ports: {} [default: generic]",
        camvpn::model::vendor::Catalog::get().listing()
    )
}
