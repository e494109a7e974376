//! The Linux target: the wg-quick config and both firewall backends.

use crate::error::{Error, Result};
use crate::model::site::Firewall;
use crate::store::{PUBLIC_FILE, SECRET_FILE};
use crate::targets::templates::{
    LINUX_IP6TABLES, LINUX_IPTABLES, LINUX_NFT, LINUX_RELAY, LINUX_SERVER,
};
use crate::targets::{Artifact, Input};

/// `INTERFACE.conf` for wg-quick, `camvpn.nft`, `camvpn.iptables` and
/// `camvpn.ip6tables` (only the chosen backend's with `--firewall`).
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    if input.site.wan_if.is_none() {
        return Err(Error::Conflict(
            "the linux target needs the WAN interface; set it with: camvpn site set --wan-if IF"
                .into(),
        ));
    }
    let t = input.templates;
    let mut out = vec![Artifact::new(
        format!("{}.conf", input.site.interface),
        t.render(LINUX_SERVER, &input.value)?,
        SECRET_FILE,
    )];
    if let Some(r) = &input.ctx.relay {
        out.push(Artifact::new(
            format!("{}.conf", r.interface),
            t.render(LINUX_RELAY, &input.value)?,
            SECRET_FILE,
        ));
    }
    let fw = input.options.firewall;
    if fw.is_none_or(|f| f == Firewall::Nft) {
        out.push(Artifact::new(
            "camvpn.nft",
            t.render(LINUX_NFT, &input.value)?,
            PUBLIC_FILE,
        ));
    }
    if fw.is_none_or(|f| f == Firewall::Iptables) {
        out.push(Artifact::new(
            "camvpn.iptables",
            t.render(LINUX_IPTABLES, &input.value)?,
            PUBLIC_FILE,
        ));
        out.push(Artifact::new(
            "camvpn.ip6tables",
            t.render(LINUX_IP6TABLES, &input.value)?,
            PUBLIC_FILE,
        ));
    }
    Ok(out)
}
