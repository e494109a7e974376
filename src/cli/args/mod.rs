//! The command line, as clap sees it. Values are parsed with the library's
//! own `FromStr` and parse functions, so a bad value is rejected by clap with
//! the library's message and exit code 2 before anything runs.

mod members;
mod run;
mod setup;

use std::path::PathBuf;

use camvpn::error::InvalidValue;
use camvpn::model::interface::InterfaceName;
use camvpn::model::site::Platform;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub use self::members::{
    CameraCmd, CameraSetArgs, PeerAddArgs, PeerCmd, PeerSetArgs, PeerShowArgs, QrArg,
};
#[cfg(feature = "laptop")]
pub use self::run::ProbeArgs;
pub use self::run::{ApplyArgs, AuditArgs, RenderArgs, TemplateArgs};
pub use self::setup::{ExportArgs, ImportArgs, InitArgs, SiteCmd, SiteSetArgs, SyncArgs};

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

pub(super) fn platform(s: &str) -> Result<Platform, InvalidValue> {
    s.parse()
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FirewallArg {
    /// nftables (one `inet camvpn` table)
    Nft,
    /// iptables-restore (camvpn's own chains)
    Iptables,
}

pub(super) fn on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err("use on or off".into()),
    }
}

/// The long help of a vendor option: the presets there are.
pub(super) fn vendor_help() -> String {
    format!(
        "Vendor preset for its ports: {} (or generic with --port)",
        camvpn::model::vendor::Catalog::get().listing()
    )
}

/// The router's WAN and LAN interfaces (init, import, site set).
#[derive(Debug, Args)]
pub struct Interfaces {
    /// The WAN interface [init and import default to: linux: the interface of
    /// this host's default route, else eth0; openwrt: the 'wan' zone; ddwrt:
    /// asked from the router at run time]
    #[arg(long, value_name = "IF")]
    pub wan_if: Option<InterfaceName>,
    /// The LAN interface [init and import default to: linux: the interface of
    /// this host's route to the LAN, else eth1; openwrt: the 'lan' zone; ddwrt: br0]
    #[arg(long, value_name = "IF")]
    pub lan_if: Option<InterfaceName>,
}

/// Where the router keeps its UCI configs (render, apply, sync).
#[derive(Debug, Args)]
pub struct UciDir {
    /// The router's UCI configs (OpenWrt): camvpn reads network and firewall
    /// there, and deletes the port forwards to cameras it finds
    #[arg(long, default_value = "/etc/config", value_name = "DIR")]
    pub uci_dir: PathBuf,
}

/// Where wg-quick configs live (apply, sync).
#[derive(Debug, Args)]
pub struct WgDir {
    /// Where wg-quick configs live (Linux)
    #[arg(long, default_value = "/etc/wireguard", value_name = "DIR")]
    pub wg_dir: PathBuf,
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
