//! The arguments of the commands that use the site: `render`, `apply`,
//! `audit`, `template`, `probe`.

use std::path::PathBuf;

use camvpn::audit::Format;
use camvpn::model::name::PeerName;
#[cfg(feature = "laptop")]
use camvpn::model::port::PortSpec;
use camvpn::targets::Target;
use clap::{Args, ValueEnum};

use super::{FirewallArg, UciDir, WgDir};

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
    #[command(flatten)]
    pub uci: UciDir,
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
    #[command(flatten)]
    pub wg: WgDir,
    /// Take the site off this host instead (Linux)
    #[arg(long)]
    pub undo: bool,
    #[command(flatten)]
    pub uci: UciDir,
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
