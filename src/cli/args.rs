//! The command line, as clap sees it. Values are parsed with the library's
//! own `FromStr` and parse functions, so a bad value is rejected by clap with
//! the library's message and exit code 2 before anything runs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;

use camvpn::audit::Format;
use camvpn::error::InvalidValue;
use camvpn::model::endpoint::Endpoint;
use camvpn::model::interface::InterfaceName;
use camvpn::model::keys::PublicKey;
use camvpn::model::mac::MacAddr;
use camvpn::model::name::{CameraName, PeerName};
use camvpn::model::net::{parse_ip, parse_net4, parse_net6};
use camvpn::model::port::{PortFilter, PortSpec};
use camvpn::model::site::{Platform, parse_mtu, parse_port};
use camvpn::model::vendor::parse_vendor;
use camvpn::ops::Change;
use camvpn::ops::adopt::AdoptFormat;
use camvpn::targets::Target;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ipnet::{Ipv4Net, Ipv6Net};

const ABOUT: &str = "Put IP cameras and NVRs behind WireGuard.

camvpn keeps a small site description (site.toml plus keys/) and renders from it the
router's WireGuard config, one config and QR code per phone, and firewall rules that
close every port that was forwarded to a camera.";

const AFTER: &str = "Exit codes: 0 success; 1 a finding (audit found exposed cameras); 2 bad input or
usage, and nothing was written; 3 the host failed (a disk error, a command that apply ran).

Start with:  camvpn init --platform linux --endpoint vpn.example.net --camera driveway=192.168.1.108:dahua --peer phone";

#[derive(Debug, Parser)]
#[command(name = "camvpn", version, about = ABOUT, after_help = AFTER, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The site directory [default: `$CAMVPN_DIR`, else /etc/camvpn as root, else ./camvpn]
    #[arg(long, global = true, env = "CAMVPN_DIR", value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print data as JSON (for scripts)
    #[arg(long, global = true)]
    pub json: bool,
    /// Print only errors and warnings
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also print every file written
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Override built-in templates with files of the same name from DIR
    /// (e.g. DIR/common/peer.conf.j2; see docs/template-context.md)
    #[arg(long, global = true, env = "CAMVPN_TEMPLATES", value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a site: keys, cameras and peers
    Init(InitArgs),
    /// Add, list or remove cameras
    #[command(subcommand)]
    Camera(CameraCmd),
    /// Add, list, show or remove peers (phones, laptops)
    #[command(subcommand)]
    Peer(PeerCmd),
    /// Show or change site settings
    #[command(subcommand)]
    Site(SiteCmd),
    /// Write the router config, peer configs, QR codes and firewall rules to a directory
    Render(RenderArgs),
    /// Put the site on this Linux host: firewall, WireGuard interface, forwarding
    Apply(ApplyArgs),
    /// Report what a router forwards from the internet to cameras (exit 1 when any)
    Audit(AuditArgs),
    /// Print the whole site as JSON (secrets only with --secrets)
    Export(ExportArgs),
    /// Create a site from the JSON of 'camvpn export --secrets': a backup restored, or a site moved
    Import(ImportArgs),
    /// Prove it: which camera ports answer from outside, or through the tunnel as a peer (exit 1 when any should not)
    #[cfg(feature = "laptop")]
    Probe(ProbeArgs),
    /// On the router: the peers online and whether camvpn's firewall is loaded (exit 1 when not)
    Status,
    /// Create or converge the site to a whole spec (JSON), render it, and with --apply apply it: for Ansible and provisioning scripts
    Sync(SyncArgs),
    /// Render your own template against the site (the context of docs/template-context.md)
    Template(TemplateArgs),
    /// Print shell completions
    #[cfg(feature = "laptop")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. camvpn man > camvpn.1
    #[cfg(feature = "laptop")]
    Man,
}

fn platform(s: &str) -> Result<Platform, InvalidValue> {
    s.parse()
}

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
    /// The WAN interface [default: linux: the interface of this host's default
    /// route, else eth0; openwrt: the 'wan' zone; ddwrt: asked from the router at run time]
    #[arg(long, value_name = "IF")]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface [default: linux: the interface of this host's route to
    /// --lan, else eth1; openwrt: the 'lan' zone; ddwrt: br0]
    #[arg(long, value_name = "IF")]
    pub lan_if: Option<InterfaceName>,
    /// DNS server(s) for peers; routed through the tunnel (repeat or comma-separate)
    #[arg(long, value_delimiter = ',', value_parser = parse_ip, value_name = "IP")]
    pub dns: Vec<IpAddr>,
    /// The UDP port WireGuard listens on
    #[arg(long, default_value = "51820", value_parser = parse_port, value_name = "N")]
    pub listen_port: u16,
    /// The WireGuard interface name on the router
    #[arg(long, default_value = "wg0", value_name = "IF")]
    pub interface: InterfaceName,
    /// Tunnel MTU for router and peers (1280 to 9000; WireGuard's default is 1420)
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
    #[arg(long = "camera", value_name = "NAME=IP[:VENDOR]")]
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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FirewallArg {
    /// nftables (one `inet camvpn` table)
    Nft,
    /// iptables-restore (camvpn's own chains)
    Iptables,
}

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
    /// Vendor preset for its ports (see 'camvpn camera add --help')
    #[arg(long, default_value = "generic", value_parser = parse_vendor)]
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
    #[arg(long, value_parser = parse_vendor)]
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

fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err("use on or off".into()),
    }
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
    /// Where wg-quick configs live (with --apply)
    #[arg(long, default_value = "/etc/wireguard", value_name = "DIR")]
    pub wg_dir: PathBuf,
    /// The router's UCI configs (OpenWrt)
    #[arg(long, default_value = "/etc/config", value_name = "DIR")]
    pub uci_dir: PathBuf,
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
    /// The WAN interface
    #[arg(long, value_name = "IF")]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface
    #[arg(long, value_name = "IF")]
    pub lan_if: Option<InterfaceName>,
    /// The LAN's IPv6 prefix (a /64) for cameras' SLAAC addresses; 'off' forgets it
    #[arg(long, value_parser = parse_net6_or_off, value_name = "PREFIX|off")]
    pub lan6: Option<Change<Ipv6Net>>,
    /// DNS server(s) for peers (an empty value removes them)
    #[arg(long, value_delimiter = ',', value_parser = parse_ip_or_empty, value_name = "IP")]
    pub dns: Option<Vec<Option<IpAddr>>>,
    /// Tunnel MTU (0: WireGuard's default)
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
    after_help = "Files (linux): INTERFACE.conf, camvpn.nft, camvpn.iptables, camvpn.ip6tables;
(openwrt): camvpn.uci, a 'uci batch' file made from --uci-dir, and camvpn-openwrt.sh, which
checks on the router that its config is still that copy, then runs the batch (a stale copy is
refused: nothing changes); (ddwrt): camvpn-ddwrt.sh, a script for the router, refused when it
would write more than --nvram-budget bytes to nvram;
every target: peers/NAME.conf, peers/NAME.png, peers/NAME.svg.
Files holding keys are written with mode 0600; every file is replaced atomically."
)]
pub struct RenderArgs {
    /// The output directory
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Render for this platform instead of the site's (linux, openwrt, ddwrt)
    #[arg(long, value_name = "TARGET")]
    pub target: Option<Target>,
    /// Only this firewall backend (linux renders both by default)
    #[arg(long, value_enum)]
    pub firewall: Option<FirewallArg>,
    /// Only the peers' configs: no QR codes, no onboarding pages
    #[arg(long)]
    pub no_qr: bool,
    /// Only the router's files: no peer configs, QR codes or pages (for
    /// re-rendering the router after a change, without peer secrets)
    #[arg(long, conflicts_with = "no_qr")]
    pub no_peers: bool,
    /// The router's current UCI configs (network, firewall), for --target
    /// openwrt: camvpn deletes the port forwards to cameras it finds there
    #[arg(long, default_value = "/etc/config", value_name = "DIR")]
    pub uci_dir: PathBuf,
    /// For --target ddwrt: the most camvpn-ddwrt.sh may write into the
    /// router's nvram, in bytes (default 12288, for the smallest common
    /// nvram of 32 KiB; raise it on routers with more: 'nvram show | tail -1'
    /// on the router says what is free)
    #[arg(long, value_name = "BYTES")]
    pub nvram_budget: Option<usize>,
}

#[derive(Debug, Args)]
#[command(after_help = "What apply changes on the host, in this order:
  1. the firewall: the nft table 'inet camvpn' (loaded atomically), or with
     --firewall iptables the chains CAMVPN_INPUT, CAMVPN_FORWARD and
     CAMVPN_POSTROUTING, hooked into INPUT, FORWARD and nat POSTROUTING
     (the previous rules are restored if anything fails);
  2. net.ipv4.ip_forward (and IPv6 forwarding with IPv6) set to 1;
  3. WG_DIR/INTERFACE.conf written (0600); the interface brought up with
     wg-quick, or reloaded with wg syncconf when it is up (sessions survive).
It records what it did in applied.json in the site directory; --undo takes the
interface down, removes the firewall and the config, and restores forwarding.
wg-quick honours WG_QUICK_USERSPACE_IMPLEMENTATION (e.g. wireguard-go).

On OpenWrt, apply reads --uci-dir, runs the 'uci batch' of render --target openwrt
(WireGuard interface and peers, firewall4 zone and rules, camera port forwards
deleted), then 'ubus call network reload' and 'fw4 reload'.")]
pub struct ApplyArgs {
    /// Print every command and file apply would touch, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Firewall backend [default: the site's]
    #[arg(long, value_enum)]
    pub firewall: Option<FirewallArg>,
    /// Where wg-quick configs live
    #[arg(long, default_value = "/etc/wireguard", value_name = "DIR")]
    pub wg_dir: PathBuf,
    /// Take the site off this host instead (Linux)
    #[arg(long)]
    pub undo: bool,
    /// The router's UCI configs, read to remove old camera forwards (OpenWrt)
    #[arg(long, default_value = "/etc/config", value_name = "DIR")]
    pub uci_dir: PathBuf,
}

#[derive(Debug, Args)]
#[command(after_help = "Reads what a router actually forwards:
  openwrt   /etc/config/firewall (redirects; rules that open IPv6 hosts)
  iptables  iptables-save or ip6tables-save output
  nft       nft list ruleset, as text or as JSON (nft -j list ruleset)
  ddwrt     nvram show (forward_spec, forward_port, DMZ, UPnP)
  upnp      UPnP mappings: miniupnpd's lease file, or upnpc -l output
A host that receives a camera protocol (RTSP, Dahua's 37777, XMEye's 34567…) is taken
for a camera, and its other forwards (its web UI) with it; with a site, its cameras'
addresses count too. Exit code 1 when a camera is exposed, 0 when none is.
Next: camvpn init --import-forwards FILE … turns the exposed hosts into cameras.

Example:  ssh root@router cat /etc/config/firewall | camvpn audit -")]
pub struct AuditArgs {
    /// Files to read ('-' for standard input)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The format
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// Audit the part that is of the format in a file that also holds other
    /// lines, and an empty file (the report says what was skipped); without
    /// it such files are errors (exit 2), never "no camera is exposed"
    #[arg(long)]
    pub lenient: bool,
}

/// The format of a router config file.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// Tell from the contents
    Auto,
    /// OpenWrt's /etc/config/firewall
    Openwrt,
    /// iptables-save or ip6tables-save output
    Iptables,
    /// nft list ruleset, text or JSON
    Nft,
    /// DD-WRT's nvram show
    Ddwrt,
    /// UPnP mappings: miniupnpd's lease file, or upnpc -l output
    Upnp,
}

impl FormatArg {
    /// The format, or `None` for auto.
    pub fn format(self) -> Option<Format> {
        match self {
            FormatArg::Auto => None,
            FormatArg::Openwrt => Some(Format::Openwrt),
            FormatArg::Iptables => Some(Format::Iptables),
            FormatArg::Nft => Some(Format::Nft),
            FormatArg::Ddwrt => Some(Format::Ddwrt),
            FormatArg::Upnp => Some(Format::Upnp),
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "The template sees what the built-in templates see, secrets included:
camvpn, site, server, cameras, peers, policy (docs/template-context.md lists every
field), and with --peer also 'peer'. Undefined values are errors, with the line.

Example:
  camvpn template onboarding-email.j2 --peer alice -o alice.txt"
)]
pub struct TemplateArgs {
    /// The template file (minijinja, Jinja2 syntax)
    pub file: PathBuf,
    /// Write to FILE (mode 0600) instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also set 'peer' to this peer
    #[arg(long, value_name = "NAME")]
    pub peer: Option<PeerName>,
}

#[derive(Debug, Args)]
#[command(
    after_help = "From outside (a laptop on another network, e.g. a phone hotspot), probe connects
to HOST (default: the site's endpoint) on every port that matters: the site's camera
ports, the external ports of the old forwards in --from FILE (anything 'audit' reads),
the well-known camera ports of the presets and the articles installers follow, and
--port ones. TCP by connecting: open, closed or no answer; UDP only reports open (a
reply) or closed (ICMP port unreachable), else 'no answer', which proves nothing.
It probes only HOST, never a range. Exit 1 when any port answers.

With --as PEER, run on a laptop connected as PEER: every camera port PEER may use
must answer, and no other camera port (nor the router's LAN address) may. --site
FILE reads the site from 'camvpn export' JSON instead of the site directory.
Exit 1 on any mismatch.

Examples:
  camvpn probe                      # the site's endpoint, from another network
  camvpn probe 198.51.100.7 --from router-firewall --port 45880/tcp
  camvpn probe --as alice --site site.json"
)]
#[cfg(feature = "laptop")]
pub struct ProbeArgs {
    /// The host to probe from outside (a name or address) [default: the site's endpoint]
    #[arg(conflicts_with = "peer")]
    pub host: Option<String>,
    /// A router config whose forwards' external ports are probed too (repeat for more)
    #[arg(long = "from", value_name = "FILE", conflicts_with = "peer")]
    pub from: Vec<PathBuf>,
    /// Another port to probe (N/tcp or N/udp); repeat for more
    #[arg(long = "port", value_name = "N/PROTO", conflicts_with = "peer")]
    pub ports: Vec<PortSpec>,
    /// Probe through the tunnel as this peer: exactly its policy must answer
    #[arg(long = "as", value_name = "PEER")]
    pub peer: Option<PeerName>,
    /// The site as 'camvpn export' JSON, instead of the site directory (with --as)
    #[arg(long, value_name = "FILE", requires = "peer")]
    pub site: Option<PathBuf>,
    /// How long one port may take to answer, in milliseconds
    #[arg(long, default_value = "1500", value_parser = clap::value_parser!(u64).range(50..=60_000), value_name = "MS")]
    pub timeout: u64,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The keys, addresses, cameras and access lists of the export are kept, so the
phones keep working without scanning anything. --platform moves the site to another
router platform (the interfaces then default to the new platform's, or --wan-if and
--lan-if); render (or apply) writes the new router's files.

Examples:
  camvpn export --secrets > backup.json          # keep it safe: it holds every key
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
    /// The WAN interface on the new router
    #[arg(long, value_name = "IF")]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface on the new router
    #[arg(long, value_name = "IF")]
    pub lan_if: Option<InterfaceName>,
    /// Replace an existing site
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Include private keys and PSKs
    #[arg(long)]
    pub secrets: bool,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// clap's own checks of the definition: no two arguments of one name or
    /// short flag, defaults that parse, `requires`/`conflicts_with` naming
    /// arguments that exist.
    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
