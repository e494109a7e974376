//! `camvpn apply`.

use anyhow::Result;
use camvpn::apply::{self, ApplyOptions, Event};
use camvpn::store::SiteDir;

use super::args::ApplyArgs;
use super::{Out, Outcome, load_secrets};

pub fn run(dir: &SiteDir, a: &ApplyArgs, out: &Out) -> Result<Outcome> {
    // Writers of the site wait; apply reads it and writes only applied.json.
    let _lock = dir.lock(false)?;
    let site = dir.load()?;
    let opts = ApplyOptions {
        dry_run: a.dry_run,
        firewall: a.firewall.map_or(site.firewall, Into::into),
        wg_dir: a.wg_dir.clone(),
        state_file: dir.root().join("applied.json"),
        uci_dir: a.uci_dir.clone(),
    };
    let mut report = |e: Event| match e {
        Event::Action(s) if a.dry_run => println!("would {s}"),
        Event::Action(s) => out.note(s),
        Event::Content(name, text) => {
            if a.dry_run && out.verbose() {
                println!("--- {name}\n{text}");
            } else {
                out.detail(format!("--- {name}\n{text}"));
            }
        }
        Event::Output(s) => out.detail(s.trim_end()),
        Event::Warning(s) => out.warn(s),
    };
    if a.undo {
        apply::undo(&site, &opts, &mut report)?;
        if !a.dry_run {
            out.note(format!(
                "removed the {} firewall and interface {}",
                opts.firewall, site.interface
            ));
        }
        return Ok(Outcome::Done);
    }
    let secrets = load_secrets(dir, &site, out)?;
    let templates = out.templates()?;
    apply::apply(&site, &secrets, &templates, &opts, &mut report)?;
    if !a.dry_run {
        let how = match site.platform {
            camvpn::site::Platform::Openwrt => {
                "uci batch, network and firewall reloaded".to_owned()
            }
            _ => format!("{} firewall", opts.firewall),
        };
        out.note(format!(
            "applied: {how}, interface {} with {} peer(s)",
            site.interface,
            site.peers.len()
        ));
    }
    Ok(Outcome::Done)
}
