//! Per-peer artifacts, the same on every target: `peers/NAME.conf`, its QR
//! code as PNG and SVG, and a printable onboarding page.
//!
//! The `.conf` is exactly the QR payload: no header comment, because the
//! phone apps reject some comment styles in scanned configs and a file that
//! equals the code is easy to check. Peers that brought their own key get
//! only the `.conf` (with a placeholder line): a QR code without the private
//! key would import as a broken tunnel.

use crate::par::prelude::*;
use minijinja::context;
use minijinja::value::{Serde, Value};

use crate::error::{Error, Result};
use crate::store::SECRET_FILE;
use crate::targets::context::PeerCtx;
use crate::targets::qr::{Qr, SVG_DECLARATION};
use crate::targets::templates::{ONBOARDING, ONBOARDING_INDEX, PEER_CONF, Templates};
use crate::targets::{Artifact, Input, PeerFiles, Sink};

/// The wg-quick config of `peer`, as the phone imports it.
pub fn peer_config(templates: &Templates, base: &Value, peer: &PeerCtx) -> Result<String> {
    templates.render(
        PEER_CONF,
        &context! { peer => Value::from(Serde(peer)), ..base.clone() },
    )
}

/// About how wide the QR code on a peer's page is, in CSS pixels.
const PAGE_QR_PX: usize = 360;

/// The QR code of a peer's config; an error for peers with their own key.
pub fn peer_qr(peer: &PeerCtx, config: &str) -> Result<Qr> {
    if peer.private_key.is_none() {
        return Err(Error::Conflict(format!(
            "peer '{}' registered its own public key, so camvpn has no private key for a QR code; import peers/{}.conf on the device and add its private key there",
            peer.name, peer.name
        )));
    }
    Qr::new(config).map_err(|e| match e {
        Error::Limit(why) => Error::Limit(format!(
            "peer '{}': its config is too big for a QR code ({why}); render with --no-qr and import peers/{}.conf as a file, or give it fewer cameras (camvpn peer set {} --cameras …); cameras on adjacent addresses take less room",
            peer.name, peer.name, peer.name
        )),
        e => e,
    })
}

/// The files of one peer: its config, and with `PeerFiles::All` its QR code
/// as PNG and SVG and its onboarding page.
fn render_peer(input: &Input<'_>, peer: &PeerCtx, files: PeerFiles) -> Result<Vec<Artifact>> {
    let config = peer_config(input.templates, &input.value, peer)?;
    let mut out = Vec::with_capacity(4);
    if files == PeerFiles::All {
        let qr_svg = if peer.private_key.is_some() {
            let qr = peer_qr(peer, &config)?;
            out.push(Artifact::new(
                format!("peers/{}.png", peer.name),
                qr.png(),
                SECRET_FILE,
            ));
            out.push(Artifact::new(
                format!("peers/{}.svg", peer.name),
                format!("{SVG_DECLARATION}{}", qr.svg_inline()),
                SECRET_FILE,
            ));
            Some(qr.svg_fitting(PAGE_QR_PX))
        } else {
            None
        };
        let page = context! {
            peer => Value::from(Serde(peer)),
            page => context! { qr_svg => qr_svg },
            ..input.value.clone()
        };
        out.push(Artifact::new(
            format!("peers/{}.html", peer.name),
            input.templates.render(ONBOARDING, &page)?,
            SECRET_FILE,
        ));
    }
    out.push(Artifact::new(
        format!("peers/{}.conf", peer.name),
        config,
        SECRET_FILE,
    ));
    Ok(out)
}

/// Every peer's files, rendered on all cores (keys, QR codes and pages are
/// independent per peer), then `peers/index.html`.
pub fn render(input: &Input<'_>, sink: &dyn Sink) -> Result<()> {
    let files = input.options.peer_files;
    if files == PeerFiles::None {
        return Ok(());
    }
    let peers = &input.ctx.peers;
    peers.par_iter().try_for_each(|peer| {
        for artifact in render_peer(input, peer, files)? {
            sink.put(artifact)?;
        }
        if let Some(tick) = &input.options.on_peer {
            tick();
        }
        Ok::<_, Error>(())
    })?;
    if files == PeerFiles::All {
        let pages: Vec<Value> = peers
            .iter()
            .map(|p| context! { name => &p.name, file => format!("{}.html", p.name), access => &p.access })
            .collect();
        let index = input.templates.render(
            ONBOARDING_INDEX,
            &context! { pages => pages, ..input.value.clone() },
        )?;
        sink.put(Artifact::new("peers/index.html", index, SECRET_FILE))?;
    }
    Ok(())
}
