//! `camvpn template`, `camvpn completions`, `camvpn man`.

use std::io::Write;

use anyhow::Result;
use camvpn::ops::export;
use camvpn::store::SiteDir;
#[cfg(feature = "laptop")]
use clap::CommandFactory;

#[cfg(feature = "laptop")]
use super::args::Cli;
use super::args::TemplateArgs;
use super::peer::write_secret_file;
use super::{Out, Outcome};

pub fn run(dir: &SiteDir, a: &TemplateArgs, out: &Out) -> Result<Outcome> {
    let templates = out.templates()?;
    let (text, notices) = export::template(dir, &a.file, a.peer.as_ref(), &templates)?;
    out.notices(&notices);
    match &a.output {
        // The context holds keys: whatever a template makes may too.
        Some(path) => write_secret_file(path, text)?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(Outcome::Done)
}

#[cfg(feature = "laptop")]
pub fn completions(shell: clap_complete::Shell) -> Outcome {
    clap_complete::generate(shell, &mut Cli::command(), "camvpn", &mut std::io::stdout());
    Outcome::Done
}

#[cfg(feature = "laptop")]
pub fn man() -> Result<Outcome> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(Outcome::Done)
}
