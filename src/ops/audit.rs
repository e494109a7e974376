//! `audit`: what a router forwards to cameras, from the files it keeps.

use std::io::Read;
use std::path::Path;

use crate::audit::{self, Format, Parsed, Report};
use crate::error::{Error, Result};
use crate::store::SiteDir;

/// Reads and parses one file (`-`: standard input); `format` `None`:
/// detected from the text.
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
            });
    };
    let name = label.rsplit('/').next().unwrap_or(&label).to_owned();
    audit::parse(&text, &name, format).map_err(|message| Error::File {
        path: path.to_path_buf(),
        message: format!("as {format}: {message}"),
    })
}

/// Audits `files`; the site in `dir`, where there is one, names the cameras.
pub fn audit(dir: &SiteDir, files: &[impl AsRef<Path>], format: Option<Format>) -> Result<Report> {
    let mut parsed = Vec::new();
    for f in files {
        parsed.push(read(f.as_ref(), format)?);
    }
    let site = if dir.exists() {
        let _lock = dir.lock_shared()?;
        Some(dir.load()?)
    } else {
        None
    };
    Ok(audit::analyze(&parsed, site.as_ref()))
}
