//! `camvpn sync`: the declarative entry point for provisioning tools.

use anyhow::Result;
use camvpn::host::Event;
use camvpn::ops::apply::{self, ApplyRequest};
use camvpn::ops::render::{self, RenderRequest};
use camvpn::ops::sync::{self, Synced};
use camvpn::store::SiteDir;
use camvpn::targets::PeerFiles;
use serde::Serialize;

use super::args::SyncArgs;
use super::{Out, Outcome};

/// The answer on standard output.
#[derive(Serialize)]
struct Answer {
    #[serde(flatten)]
    synced: Synced,
    /// Where the site was rendered (or would be, with --dry-run).
    rendered: String,
    /// Whether it was applied on this host.
    applied: bool,
    /// Whether applying changed this host (its firewall, tunnel, forwarding);
    /// `changed` is then true too.
    host_changed: bool,
    /// Whether nothing was written (--dry-run).
    dry_run: bool,
}

pub fn run(dir: &SiteDir, a: &SyncArgs, out: &Out) -> Result<Outcome> {
    let spec = sync::read_spec(&a.spec)?;
    let mut synced = sync::sync(dir, &spec, a.dry_run)?;
    let target = a.out.clone().unwrap_or_else(|| sync::default_out(dir));
    let answer = |synced, host_changed| {
        out.print_json(&Answer {
            synced,
            rendered: target.display().to_string(),
            applied: a.apply && !a.dry_run,
            host_changed,
            dry_run: a.dry_run,
        })
    };
    if a.dry_run {
        answer(synced, false)?;
        return Ok(Outcome::Done);
    }
    let templates = out.templates()?;
    let rendered = render::render(
        dir,
        &RenderRequest {
            out: target.clone(),
            target: None,
            firewall: None,
            peer_files: PeerFiles::All,
            uci_dir: a.uci.uci_dir.clone(),
            nvram_budget: None,
            progress: None,
            on_file: None,
        },
        &templates,
    )?;
    out.notices(&rendered.notices);
    let mut host_changed = false;
    if a.apply {
        let req = ApplyRequest {
            dry_run: false,
            firewall: None,
            wg_dir: a.wg.wg_dir.clone(),
            uci_dir: a.uci.uci_dir.clone(),
        };
        // Standard output is the JSON answer: what apply does goes to stderr.
        let mut report = |e: Event| match e {
            Event::Action(s) => out.note(s),
            Event::Content(..) => {}
            Event::Output(s) => out.detail(s.trim_end()),
            Event::Warning(s) => out.warn(s),
        };
        let applied = apply::apply(dir, &req, &templates, &mut report)?;
        out.notices(&applied.notices);
        host_changed = applied.changed;
        synced.changed |= host_changed;
    }
    answer(synced, host_changed)?;
    Ok(Outcome::Done)
}
