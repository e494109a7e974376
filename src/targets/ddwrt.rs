//! The DD-WRT target: a POSIX shell script that sets nvram on the router.
//!
//! DD-WRT has no camvpn on the router, so the script carries everything:
//! the tunnel and peers as `oetN_*` variables, the firewall policy as
//! iptables commands in `rc_firewall` between marker lines, and the removal
//! of camera entries from `forward_spec` and `forward_port`, decided on the
//! router at run time from the values it has then. Every value is
//! shell-quoted; names were validated long before.

use std::net::Ipv4Addr;

use minijinja::context;
use minijinja::value::{Serde, Value};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::store::SECRET_FILE;
use crate::targets::templates::{DDWRT_RC_FIREWALL, DDWRT_SCRIPT};
use crate::targets::{Artifact, Input};

/// The most camvpn writes into nvram `rc_firewall`. A DD-WRT router keeps
/// every setting in 32 to 64 KiB of nvram; a full nvram loses settings or
/// refuses the commit.
pub const RC_FIREWALL_LIMIT: usize = 16 * 1024;

#[derive(Debug, Clone, Serialize)]
struct DdwrtCtx {
    netmask: Ipv4Addr,
    cameras: Vec<String>,
    rc_firewall: String,
}

/// `camvpn-ddwrt.sh`.
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    let rc_firewall = input.templates.render(DDWRT_RC_FIREWALL, &input.value)?;
    check_size(&rc_firewall, input.site.peers.len())?;
    let d = DdwrtCtx {
        netmask: input.site.subnet.netmask(),
        cameras: input
            .site
            .cameras
            .iter()
            .map(|c| c.ip.to_string())
            .collect(),
        rc_firewall,
    };
    let value = context! { ddwrt => Value::from(Serde(&d)), ..input.value.clone() };
    let text = input.templates.render(DDWRT_SCRIPT, &value)?;
    Ok(vec![Artifact::new("camvpn-ddwrt.sh", text, SECRET_FILE)])
}

/// Refuses a block that would not fit, saying what would.
fn check_size(block: &str, peers: usize) -> Result<()> {
    let size = block.len();
    if size <= RC_FIREWALL_LIMIT {
        return Ok(());
    }
    // Peers cost their addresses; the rest is rules per camera and list.
    let per_peer = size / peers.max(1);
    let over = size - RC_FIREWALL_LIMIT;
    Err(Error::Conflict(format!(
        "camvpn's firewall for DD-WRT would take {size} bytes of nvram rc_firewall, more than the {RC_FIREWALL_LIMIT} camvpn allows (DD-WRT keeps every setting in 32 to 64 KiB of nvram): {over} bytes too many, about {} fewer peers at {per_peer} bytes each; peers that share one camera list and port filter cost only their address, so fewer distinct lists, fewer cameras with their own ports or fewer full-tunnel peers make it fit",
        over.div_ceil(per_peer.max(1))
    )))
}
