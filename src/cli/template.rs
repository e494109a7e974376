//! `camvpn template`, `camvpn completions`, `camvpn man`.

use std::fs;
use std::io::Write;

use anyhow::{Context as _, Result};
use camvpn::context::Context;
use camvpn::error::Error;
use camvpn::store::{Batch, SECRET_FILE, SiteDir};
use clap::CommandFactory;
use minijinja::context;
use minijinja::value::{Serde, Value};

use super::args::{Cli, TemplateArgs};
use super::{Out, Outcome, load_secrets};

pub fn run(dir: &SiteDir, a: &TemplateArgs, out: &Out) -> Result<Outcome> {
    let source = fs::read_to_string(&a.file).map_err(|source| Error::Read {
        path: a.file.clone(),
        source,
    })?;
    let templates = out.templates()?;
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let secrets = load_secrets(dir, &site, out)?;
    let ctx = Context::new(&site, Some(&secrets));
    let mut value = Value::from(Serde(&ctx));
    if let Some(name) = &a.peer {
        site.peer(name.as_str())?;
        let peer = ctx.peer(name.as_str()).expect("checked");
        value = context! { peer => Value::from(Serde(peer)), ..value };
    }
    let text = templates.render_source(&a.file.display().to_string(), &source, &value)?;
    match &a.output {
        Some(path) => {
            // The context holds keys: whatever a template makes may too.
            let mut b = Batch::new();
            b.write(path, text, SECRET_FILE)?;
            b.commit()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(Outcome::Done)
}

pub fn completions(shell: clap_complete::Shell) -> Outcome {
    clap_complete::generate(shell, &mut Cli::command(), "camvpn", &mut std::io::stdout());
    Outcome::Done
}

pub fn man() -> Result<Outcome> {
    clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout())?;
    Ok(Outcome::Done)
}
