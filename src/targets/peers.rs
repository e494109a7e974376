//! Per-peer artifacts, the same on every target: `peers/NAME.conf` and its QR
//! code as PNG and SVG.
//!
//! The `.conf` is exactly the QR payload: no header comment, because the
//! phone apps reject some comment styles in scanned configs and a file that
//! equals the code is easy to check. Peers that brought their own key get
//! only the `.conf` (with a placeholder line): a QR code without the private
//! key would import as a broken tunnel.

use minijinja::context;
use minijinja::value::{Serde, Value};

use crate::context::PeerCtx;
use crate::error::{Error, Result};
use crate::qr::Qr;
use crate::store::SECRET_FILE;
use crate::targets::{Artifact, Input};
use crate::templates::{PEER_CONF, Templates};

/// The wg-quick config of `peer`, as the phone imports it.
pub fn peer_config(templates: &Templates, base: &Value, peer: &PeerCtx) -> Result<String> {
    templates.render(
        PEER_CONF,
        &context! { peer => Value::from(Serde(peer)), ..base.clone() },
    )
}

/// The QR code of a peer's config; an error for peers with their own key.
pub fn peer_qr(peer: &PeerCtx, config: &str) -> Result<Qr> {
    if peer.private_key.is_none() {
        return Err(Error::Conflict(format!(
            "peer '{}' registered its own public key, so camvpn has no private key for a QR code; import peers/{}.conf on the device and add its private key there",
            peer.name, peer.name
        )));
    }
    Qr::new(config)
}

/// `peers/NAME.conf`, `.png` and `.svg` for every peer.
pub fn render(input: &Input<'_>) -> Result<Vec<Artifact>> {
    let mut out = Vec::with_capacity(input.ctx.peers.len() * 3);
    for peer in &input.ctx.peers {
        let config = peer_config(input.templates, &input.value, peer)?;
        if peer.private_key.is_some() {
            let qr = peer_qr(peer, &config)?;
            out.push(Artifact::new(
                format!("peers/{}.png", peer.name),
                qr.png(),
                SECRET_FILE,
            ));
            out.push(Artifact::new(
                format!("peers/{}.svg", peer.name),
                qr.svg(),
                SECRET_FILE,
            ));
        }
        out.push(Artifact::new(
            format!("peers/{}.conf", peer.name),
            config,
            SECRET_FILE,
        ));
    }
    Ok(out)
}
