//! `camvpn export`.

use anyhow::Result;
use camvpn::ops::export;
use camvpn::store::SiteDir;

use super::args::ExportArgs;
use super::peer::write_secret_file;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &ExportArgs, out: &Out) -> Result<Outcome> {
    let (ctx, notices) = export::context(dir, a.secrets)?;
    out.notices(&notices);
    match &a.output {
        Some(path) => {
            let mut text = serde_json::to_string_pretty(&ctx)?;
            text.push('\n');
            write_secret_file(path, text)?;
        }
        None => out.print_json(&ctx)?,
    }
    Ok(Outcome::Done)
}
