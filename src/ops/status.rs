//! `status`: on the router, the peers online and the firewall loaded.

use crate::error::{Error, Result};
use crate::host::read_state;
use crate::host::status::{self, Status};
use crate::model::site::Platform;
use crate::store::SiteDir;

/// Reads the site's interface and firewall on this host: the backend that
/// `apply` loaded last (`applied.json`), else the site's.
pub fn status(dir: &SiteDir) -> Result<Status> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    if site.platform == Platform::Ddwrt {
        return Err(Error::Conflict(
            "status reads what camvpn apply set up on this host, and on DD-WRT camvpn does not run on the router: see camvpn's tunnel (nvram camvpn_tunnel names its oetN) under Setup → Tunnels in the router's web UI, or 'wg show' in its shell; from outside, camvpn probe".into(),
        ));
    }
    let backend =
        read_state(&dir.root().join("applied.json"))?.map_or(site.firewall, |a| a.firewall);
    Ok(status::read(&site, backend))
}
