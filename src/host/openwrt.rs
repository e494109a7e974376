//! `apply` on OpenWrt: one `uci batch`, then netifd and firewall4 reload
//! what changed.

use super::run::Host;
use super::{Event, artifact};
use crate::error::{Error, Result};
use crate::targets::Artifact;

/// OpenWrt: one `uci batch`, then netifd and firewall4 reload what changed
/// (the same as `/etc/init.d/network reload` and `/etc/init.d/firewall
/// reload`; netifd applies WireGuard peers with `wg syncconf`).
pub(super) fn apply(arts: &[Artifact], host: &mut Host<'_>) -> Result<()> {
    let batch = &artifact(arts, "camvpn.uci").bytes;
    (host.report)(Event::Content(
        "camvpn.uci".into(),
        String::from_utf8_lossy(batch).into_owned(),
    ));
    // Every UCI config as `uci export` prints it (none when uci fails).
    let export = || Host::state(&["uci", "export"]);
    let before = export();
    let out = host.run_input(&["uci", "batch"], batch, "camvpn.uci")?;
    // uci batch reports a failing command on stderr and carries on.
    if out.stderr.contains("uci: ") {
        return Err(Error::Failed(format!(
            "uci batch reported errors: {}",
            out.stderr.trim()
        )));
    }
    host.mark_changed(export() != before);
    host.run(&["ubus", "call", "network", "reload"])?;
    host.run(&["fw4", "reload"])?;
    // miniupnpd reads its permission rules when it starts.
    if String::from_utf8_lossy(batch).contains("\ncommit upnpd\n") {
        host.run(&[
            "ubus",
            "call",
            "rc",
            "init",
            r#"{"name":"miniupnpd","action":"restart"}"#,
        ])?;
    }
    Ok(())
}
