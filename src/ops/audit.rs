//! `audit`: what a router forwards to cameras, from the files it keeps.

use std::io::Read;
use std::path::Path;

use crate::audit::{self, Format, Parsed, Report};
use crate::error::{Error, Result};
use crate::store::SiteDir;

/// Reads and parses one file (`-`: standard input); `format` `None`:
/// detected from the text. A file of which nothing is of the format is an
/// error, and so is one of which only a part is, unless `lenient`: then
/// the report says how much was read.
pub fn read(path: &Path, format: Option<Format>, lenient: bool) -> Result<Parsed> {
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
                message: "not an OpenWrt firewall config, iptables-save output, nft ruleset (text or JSON), DD-WRT nvram dump or list of UPnP mappings; name its format with --format".into(),
            });
    };
    let name = label.rsplit('/').next().unwrap_or(&label).to_owned();
    let mut parsed = audit::parse(&text, &name, format).map_err(|message| Error::File {
        path: path.to_path_buf(),
        message: format!("as {format}: {message}"),
    })?;
    let c = &parsed.coverage;
    let what = format.describe();
    let first = c
        .first_skipped
        .as_ref()
        .map(|(line, text)| format!("line {line} is {text}"))
        .unwrap_or_default();
    let problem = if c.read == 0 {
        Some(format!(
            "the file is empty, so it shows nothing of {what}; give the whole dump (or pass --lenient if the router really has nothing loaded)"
        ))
    } else if c.none_understood() {
        let looks = match audit::detect(&text) {
            Some(f) if f != format => format!("; it looks like {} (--format {f})", f.describe()),
            _ => String::new(),
        };
        Some(format!(
            "nothing in it is {what} (--format {format}): {first}{looks}"
        ))
    } else if c.skipped > 0 && !lenient {
        Some(format!(
            "{} of its {} lines are not {what} (first: {first}); check that this is the whole dump, or pass --lenient to audit the {} that are",
            c.skipped,
            c.read,
            c.read - c.skipped
        ))
    } else {
        None
    };
    if let Some(message) = problem.filter(|_| !(lenient && c.read == 0)) {
        return Err(Error::File {
            path: path.to_path_buf(),
            message,
        });
    }
    if c.read == 0 {
        parsed.notes.push(format!("{name} is empty"));
    } else if c.skipped > 0 {
        let note = format!(
            "{name}: read {} lines, skipped {} that are not {what}{}",
            c.read,
            c.skipped,
            if first.is_empty() {
                String::new()
            } else {
                format!(" (first: {first})")
            }
        );
        parsed.notes.push(note);
    }
    Ok(parsed)
}

/// Audits `files`; the site in `dir`, where there is one, names the cameras.
pub fn audit(
    dir: &SiteDir,
    files: &[impl AsRef<Path>],
    format: Option<Format>,
    lenient: bool,
) -> Result<Report> {
    let mut parsed = Vec::new();
    for f in files {
        parsed.push(read(f.as_ref(), format, lenient)?);
    }
    let site = if dir.exists() {
        let _lock = dir.lock_shared()?;
        Some(dir.load()?)
    } else {
        None
    };
    Ok(audit::analyze(&parsed, site.as_ref()))
}
