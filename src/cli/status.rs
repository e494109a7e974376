//! `camvpn status`.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use camvpn::ops::status;
use camvpn::store::SiteDir;

use super::{Out, Outcome};

pub fn run(dir: &SiteDir, out: &Out) -> Result<Outcome> {
    let s = status::status(dir)?;
    if out.json {
        out.print_json(&s)?;
    } else {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let rows: Vec<Vec<String>> = s
            .peers
            .iter()
            .map(|p| {
                vec![
                    p.name.clone().unwrap_or_else(|| "(unknown)".into()),
                    if p.online { "online" } else { "offline" }.to_owned(),
                    p.latest_handshake.map_or_else(
                        || "never".into(),
                        |h| format!("{}s ago", now.saturating_sub(h)),
                    ),
                    p.endpoint.clone().unwrap_or_else(|| "-".into()),
                    p.rx_bytes.to_string(),
                    p.tx_bytes.to_string(),
                ]
            })
            .collect();
        out.print_table(
            &["PEER", "STATE", "HANDSHAKE", "ENDPOINT", "RX", "TX"],
            &rows,
        )?;
        out.note(format!(
            "interface {}: {}; firewall ({}): {}",
            s.interface,
            if s.up { "up" } else { "DOWN" },
            s.firewall.backend,
            s.firewall.detail
        ));
        if let Some(r) = &s.relay {
            let said = match (r.up, r.latest_handshake) {
                (false, _) => "DOWN".to_owned(),
                (true, None) => "up, no handshake yet".to_owned(),
                (true, Some(h)) => format!(
                    "{}, last handshake {}s ago",
                    if r.online { "online" } else { "OFFLINE" },
                    now.saturating_sub(h)
                ),
            };
            out.note(format!("relay {} ({}): {said}", r.endpoint, r.interface));
        }
        for d in &s.differs {
            out.warn(d);
        }
        if let Some(w) = &s.wan {
            out.warn(&w.advice);
        }
    }
    Ok(if s.broken() {
        Outcome::Finding
    } else {
        Outcome::Done
    })
}
