//! `camvpn init`.

use anyhow::Result;
use camvpn::model::site::Firewall;
use camvpn::ops::camera::NewCamera;
use camvpn::ops::site::{self, NewSite};
use camvpn::store::SiteDir;

use super::args::{FirewallArg, InitArgs};
use super::peer::{ShowQr, print_added};
use super::{Out, Outcome};

impl From<FirewallArg> for Firewall {
    fn from(f: FirewallArg) -> Self {
        match f {
            FirewallArg::Nft => Firewall::Nft,
            FirewallArg::Iptables => Firewall::Iptables,
        }
    }
}

pub fn run(dir: &SiteDir, a: InitArgs, out: &Out) -> Result<Outcome> {
    let req = NewSite {
        platform: a.platform,
        interface: a.interface,
        endpoint: a.endpoint,
        listen_port: a.listen_port,
        subnet: a.subnet,
        subnet6: a.subnet6,
        lan: a.lan,
        lan6: a.lan6,
        relay: a.relay,
        peer_access: Vec::new(),
        wan_if: a.ifs.wan_if,
        lan_if: a.ifs.lan_if,
        dns: a.dns,
        mtu: a.mtu,
        keepalive: a.keepalive,
        firewall: a.firewall.into(),
        camera_internet: a.camera_internet,
        log_drops: a.log_drops,
        cameras: a
            .cameras
            .into_iter()
            .map(|c| NewCamera::new(c.name, c.ip, c.vendor))
            .collect(),
        peers: a.peers,
        import_forwards: a
            .import_forwards
            .map(|path| (path, a.import_format.format())),
        adopt: a.adopt.map(|path| (path, a.adopt_format.format())),
        force: a.force,
        dry_run: false,
    };
    let created = site::create(dir, req)?;
    out.notices(&created.notices);
    print_added(dir, &created.site, &created.peers, ShowQr::OnTerminal, out)?;
    Ok(Outcome::Done)
}
