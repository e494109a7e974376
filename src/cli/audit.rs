//! `camvpn audit`.

use std::fmt::Write as _;

use anyhow::Result;
use camvpn::audit::{Finding, Report};
use camvpn::ops::audit;
use camvpn::store::SiteDir;

use super::args::AuditArgs;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &AuditArgs, out: &Out) -> Result<Outcome> {
    let report = audit::audit(dir, &a.files, a.format.format(), a.lenient)?;
    if out.json {
        out.print_json(&report)?;
    } else {
        print!("{}", table(&report));
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

/// The report for people.
pub fn table(r: &Report) -> String {
    let mut s = String::new();
    let section = |s: &mut String, title: &str, list: &[Finding]| {
        let _ = writeln!(s, "{title} ({})", list.len());
        if !list.is_empty() {
            let _ = writeln!(s, "  {:<16} {:<28} SOURCE", "EXTERNAL", "INTERNAL");
        }
        for f in list {
            s.push_str(&row(f));
        }
        s.push('\n');
    };
    section(
        &mut s,
        "CAMERAS EXPOSED TO THE INTERNET",
        &r.camera_exposures,
    );
    section(&mut s, "OTHER FORWARDS (not cameras)", &r.other_forwards);
    section(&mut s, "DISABLED FORWARDS (not exposed)", &r.disabled);
    for n in &r.notes {
        let _ = writeln!(s, "note: {n}");
    }
    if r.exposed() {
        s.push_str(
            "\nClose them: camvpn init --import-forwards FILE …, then camvpn apply (or render).\n",
        );
    } else {
        s.push_str("No camera is exposed.\n");
    }
    s
}
