//! `camvpn probe` and `camvpn status`.

use std::time::Duration;

use anyhow::Result;
use camvpn::ops::probe::{self, Outside};
use camvpn::probe::Answer;
use camvpn::store::SiteDir;

use super::args::ProbeArgs;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &ProbeArgs, out: &Out) -> Result<Outcome> {
    let timeout = Duration::from_millis(a.timeout);
    if let Some(peer) = &a.peer {
        let r = probe::as_peer(dir, peer, a.site.as_ref(), timeout)?;
        let bad: Vec<_> = r.mismatches().collect();
        if out.json {
            out.print_json(&r)?;
        } else {
            let rows: Vec<Vec<String>> = r
                .checks
                .iter()
                .map(|c| {
                    vec![
                        c.target.clone(),
                        format!("{}:{}", c.ip, c.port),
                        if c.allowed { "allowed" } else { "denied" }.to_owned(),
                        c.answer.as_str().to_owned(),
                        c.mismatch.clone().unwrap_or_else(|| "ok".into()),
                    ]
                })
                .collect();
            out.print_table(&["TARGET", "PORT", "POLICY", "ANSWER", "RESULT"], &rows)?;
            if bad.is_empty() {
                out.note(format!(
                    "{} ({}) reaches exactly what its policy allows",
                    r.peer, r.address
                ));
            } else {
                let names: Vec<String> = bad
                    .iter()
                    .map(|c| format!("{} {}", c.target, c.port))
                    .collect();
                out.warn(format!(
                    "{} mismatch(es) with the policy: {}",
                    bad.len(),
                    names.join(", ")
                ));
            }
        }
        return Ok(if bad.is_empty() {
            Outcome::Done
        } else {
            Outcome::Finding
        });
    }
    let req = Outside {
        host: a.host.clone(),
        from: a.from.iter().map(|f| (f.clone(), None)).collect(),
        ports: a.ports.clone(),
        timeout,
    };
    let r = probe::outside(dir, &req)?;
    if out.json {
        out.print_json(&r)?;
    } else {
        let rows: Vec<Vec<String>> = r
            .ports
            .iter()
            .filter(|p| out.verbose() || p.answer != Answer::NoAnswer)
            .map(|p| {
                vec![
                    p.port.to_string(),
                    p.answer.as_str().to_owned(),
                    p.uses.clone(),
                ]
            })
            .collect();
        out.print_table(&["PORT", "ANSWER", "USED BY"], &rows)?;
        let silent = r
            .ports
            .iter()
            .filter(|p| p.answer == Answer::NoAnswer)
            .count();
        out.note(format!(
            "{} ({}): {} ports probed; {silent} gave no answer (listed with -v)",
            r.host,
            r.ip,
            r.ports.len()
        ));
        if let Some(u) = &r.unreachable {
            out.warn(u);
        }
        if r.exposed {
            out.warn("ports answer from outside: close them with camvpn apply (or render), then probe again");
        } else {
            out.note("no probed port answers from here");
        }
    }
    Ok(if r.exposed {
        Outcome::Finding
    } else {
        Outcome::Done
    })
}
