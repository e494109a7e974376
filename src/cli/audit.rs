//! `camvpn audit`.

use std::fmt::Write as _;

use anyhow::Result;
use camvpn::audit::{Finding, Report};
use camvpn::model::site::Platform;
use camvpn::ops::audit;
use camvpn::store::SiteDir;

use super::args::AuditArgs;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &AuditArgs, out: &Out) -> Result<Outcome> {
    let report = audit::audit(dir, &a.files, a.format.format(), a.lenient)?;
    if out.json {
        out.print_json(&report)?;
    } else {
        out.print(&table(&report))?;
    }
    Ok(if report.exposed() {
        Outcome::Finding
    } else {
        Outcome::Done
    })
}

fn row(f: &Finding) -> String {
    let fw = &f.forward;
    let external = fw
        .external
        .map_or_else(|| "all".to_owned(), |p| p.to_string());
    let internal = match fw.host_ports() {
        Some(p) if fw.ip.is_ipv6() => format!("[{}]:{p}", fw.ip),
        Some(p) => format!("{}:{p}", fw.ip),
        None => format!("{} (every port)", fw.ip),
    };
    let source = format!(
        "{}:{}{}",
        fw.file,
        fw.line,
        fw.name
            .as_ref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default()
    );
    let mut s = format!(
        "  {:<16} {:<28} {source}\n",
        format!("{external}/{}", fw.proto),
        internal
    );
    for w in &f.why {
        let _ = writeln!(s, "      {w}");
    }
    for c in &f.cves {
        let _ = writeln!(s, "      ! {c}");
    }
    s
}

/// The report for people: sections that have forwards, notes, and what to
/// do next.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    for (title, list) in [
        ("CAMERAS EXPOSED TO THE INTERNET", &r.camera_exposures),
        ("OTHER FORWARDS (not cameras)", &r.other_forwards),
        ("DISABLED FORWARDS (not exposed)", &r.disabled),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "{title} ({})", list.len());
        let _ = writeln!(s, "  {:<16} {:<28} SOURCE", "EXTERNAL", "INTERNAL");
        for f in list {
            s.push_str(&row(f));
        }
        s.push('\n');
    }
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    s.push_str(&next_steps(r));
    s
}

/// What to do about the report, and what camvpn will do with the forwards
/// when the audit was made against a site.
fn next_steps(r: &Report) -> String {
    let Some(platform) = r.site_platform else {
        return if r.exposed() {
            "\nClose them: camvpn init --import-forwards FILE …, then camvpn apply (or render).\n"
                .into()
        } else if r.other_forwards.is_empty() && r.disabled.is_empty() {
            "No camera is exposed: no forward reaches the LAN.\n".into()
        } else {
            "No camera is exposed.\n".into()
        };
    };
    let run = match platform {
        Platform::Linux => "camvpn apply on the router",
        Platform::Openwrt => "camvpn apply on the router (or camvpn-openwrt.sh from render)",
        Platform::Ddwrt => "camvpn-ddwrt.sh from camvpn render, on the router",
    };
    let (ours, strangers): (Vec<&Finding>, Vec<&Finding>) =
        r.camera_exposures.iter().partition(|f| f.camera.is_some());
    let mut s = String::new();
    if !ours.is_empty() {
        let mut names: Vec<&str> = ours.iter().filter_map(|f| f.camera.as_deref()).collect();
        names.sort_unstable();
        names.dedup();
        let what = match platform {
            Platform::Linux => {
                "camvpn's firewall drops every packet from the internet to them, whatever the old forwards say"
            }
            Platform::Openwrt | Platform::Ddwrt => {
                "their port forwards are removed, and camvpn's firewall drops every packet from the internet to them"
            }
        };
        let _ = writeln!(
            s,
            "\n{run} closes the site's cameras ({}): {what}.",
            names.join(", ")
        );
    }
    let mut hosts: Vec<std::net::IpAddr> = strangers.iter().map(|f| f.forward.ip).collect();
    hosts.sort_unstable();
    hosts.dedup();
    for h in hosts {
        let _ = writeln!(
            s,
            "{h} is not a camera of the site, so nothing closes it: add it with camvpn camera add NAME --ip {h}, then {run}."
        );
    }
    if !r.other_forwards.is_empty() {
        let _ = writeln!(
            s,
            "The other forwards (not to the site's cameras) are left as they are."
        );
    }
    if !r.exposed() {
        s.push_str("No camera is exposed.\n");
    }
    s
}
