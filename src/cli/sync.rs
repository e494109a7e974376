//! `camvpn sync`: the declarative entry point for provisioning tools.

use anyhow::Result;
use camvpn::host::Event;
use camvpn::ops::sync::{self, Provision, Synced};
use camvpn::store::SiteDir;
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
    let templates = out.templates()?;
    let req = Provision {
        spec: a.spec.clone(),
        dry_run: a.dry_run,
        out: a.out.clone(),
        apply: a.apply,
        uci_dir: a.uci.uci_dir.clone(),
        wg_dir: a.wg.wg_dir.clone(),
    };
    // Standard output is the JSON answer: what apply does goes to stderr.
    let mut report = |e: Event| match e {
        Event::Action(s) => out.note(s),
        Event::Content(..) => {}
        Event::Output(s) => out.detail(s.trim_end()),
        Event::Warning(s) => out.warn(s),
    };
    let done = sync::provision(dir, &req, &templates, &mut report)?;
    out.notices(&done.notices);
    out.print_json(&Answer {
        synced: done.synced,
        rendered: done.rendered.display().to_string(),
        applied: done.applied,
        host_changed: done.host_changed,
        dry_run: a.dry_run,
    })?;
    Ok(Outcome::Done)
}
