//! `camvpn audit`, and reading forwards for `init --import-forwards`.

use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;

use anyhow::Result;
use camvpn::audit::{self, Finding, Format, Parsed, Report};
use camvpn::error::Error;
use camvpn::store::SiteDir;

use super::args::AuditArgs;
use super::{Out, Outcome};

/// Reads and parses one file ('-': standard input).
pub fn read(path: &Path, format: Option<Format>) -> Result<Parsed> {
    let (text, label) = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
        (s, "stdin".to_owned())
    } else {
        let bytes = std::fs::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        (
            String::from_utf8_lossy(&bytes).into_owned(),
            path.display().to_string(),
        )
    };
    let Some(format) = format.or_else(|| audit::detect(&text)) else {
        return Err(Error::File {
                path: path.to_path_buf(),
                message: "not an OpenWrt firewall config, iptables-save output, nft ruleset (text or JSON) or DD-WRT nvram dump; name its format with --format".into(),
            }
            .into());
    };
    let name = label.rsplit('/').next().unwrap_or(&label).to_owned();
    audit::parse(&text, &name, format).map_err(|message| {
        Error::File {
            path: path.to_path_buf(),
            message: format!("as {format}: {message}"),
        }
        .into()
    })
}

pub fn run(dir: &SiteDir, a: &AuditArgs, out: &Out) -> Result<Outcome> {
    let mut parsed = Vec::new();
    for f in &a.files {
        parsed.push(read(f, a.format.format())?);
    }
    // A site, where there is one, names the cameras.
    let site = if dir.exists() {
        let _lock = dir.lock_shared()?;
        Some(dir.load()?)
    } else {
        None
    };
    let report = audit::analyze(&parsed, site.as_ref());
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
