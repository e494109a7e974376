//! `camvpn apply`.

use anyhow::Result;
use camvpn::host::Event;
use camvpn::model::site::Platform;
use camvpn::ops::apply::{self, ApplyRequest};
use camvpn::store::SiteDir;

use super::args::ApplyArgs;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &ApplyArgs, out: &Out) -> Result<Outcome> {
    let req = ApplyRequest {
        dry_run: a.dry_run,
        firewall: a.firewall.map(Into::into),
        wg_dir: a.wg.wg_dir.clone(),
        uci_dir: a.uci.uci_dir.clone(),
    };
    // What a dry run would do is its output; the first failed write to it
    // (a closed pipe) ends the command once apply returns.
    let mut unprinted: Option<anyhow::Error> = None;
    let mut print = |text: String| {
        if unprinted.is_none() {
            unprinted = out.print(&text).err();
        }
    };
    let mut report = |e: Event| match e {
        Event::Action(s) if a.dry_run => print(format!("would {s}\n")),
        Event::Action(s) => out.note(s),
        Event::Content(name, text) => {
            if a.dry_run && out.verbose() {
                print(format!("--- {name}\n{text}\n"));
            } else {
                out.detail(format!("--- {name}\n{text}"));
            }
        }
        Event::Output(s) => out.detail(s.trim_end()),
        Event::Warning(s) => out.warn(s),
    };
    if a.undo {
        let undone = apply::undo(dir, &req, &mut report)?;
        if let Some(e) = unprinted {
            return Err(e);
        }
        if !a.dry_run {
            out.note(format!(
                "removed the {} firewall and interface {}",
                undone.firewall, undone.interface
            ));
        }
        return Ok(Outcome::Done);
    }
    let templates = out.templates()?;
    let applied = apply::apply(dir, &req, &templates, &mut report)?;
    if let Some(e) = unprinted {
        return Err(e);
    }
    out.notices(&applied.notices);
    if !a.dry_run {
        let how = match applied.platform {
            Platform::Openwrt => "uci batch, network and firewall reloaded".to_owned(),
            _ => format!("{} firewall", applied.firewall),
        };
        out.note(format!(
            "applied: {how}, interface {} with {} peer(s){}",
            applied.interface,
            applied.peers,
            if applied.changed {
                ""
            } else {
                " (this host had it all already: nothing changed)"
            }
        ));
    }
    Ok(Outcome::Done)
}
