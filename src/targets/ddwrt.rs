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

use crate::error::Result;
use crate::store::SECRET_FILE;
use crate::targets::templates::DDWRT_SCRIPT;
use crate::targets::{Artifact, Input};

#[derive(Debug, Clone, Serialize)]
struct DdwrtCtx {
    netmask: Ipv4Addr,
    cameras: Vec<String>,
}

/// `camvpn-ddwrt.sh`.
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    let d = DdwrtCtx {
        netmask: input.site.subnet.netmask(),
        cameras: input
            .site
            .cameras
            .iter()
            .map(|c| c.ip.to_string())
            .collect(),
    };
    let value = context! { ddwrt => Value::from(Serde(&d)), ..input.value.clone() };
    let text = input.templates.render(DDWRT_SCRIPT, &value)?;
    Ok(vec![Artifact::new("camvpn-ddwrt.sh", text, SECRET_FILE)])
}
