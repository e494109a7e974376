//! `status`: on the router, the peers online and the firewall loaded.

use crate::error::Result;
use crate::host::read_state;
use crate::host::status::{self, Status};
use crate::store::SiteDir;

/// Reads the site's interface and firewall on this host: the backend that
/// `apply` loaded last (`applied.json`), else the site's.
pub fn status(dir: &SiteDir) -> Result<Status> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let backend =
        read_state(&dir.root().join("applied.json"))?.map_or(site.firewall, |a| a.firewall);
    Ok(status::read(&site, backend))
}
