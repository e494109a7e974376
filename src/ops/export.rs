//! The site as data: `export`, the lists and `show` commands, and user
//! templates, all from the context the built-in templates see.

use std::path::Path;

use minijinja::context;
use minijinja::value::{Serde, Value};

use super::{Notices, load_secrets};
use crate::error::{Error, Result};
use crate::model::name::PeerName;
use crate::store::SiteDir;
use crate::targets::context::Context;
use crate::targets::templates::Templates;

/// The site's context, with its secrets when `secrets`.
pub fn context(dir: &SiteDir, secrets: bool) -> Result<(Context, Notices)> {
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let mut notices = Notices::default();
    let secrets = if secrets {
        Some(load_secrets(dir, &site, &mut notices)?)
    } else {
        None
    };
    Ok((Context::new(&site, secrets.as_ref()), notices))
}

/// Renders the user's template `file` against the context (with secrets),
/// and with `peer` as `peer` when given.
pub fn template(
    dir: &SiteDir,
    file: &Path,
    peer: Option<&PeerName>,
    templates: &Templates,
) -> Result<(String, Notices)> {
    let source = std::fs::read_to_string(file).map_err(|source| Error::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let _lock = dir.lock_shared()?;
    let site = dir.load()?;
    let mut notices = Notices::default();
    let secrets = load_secrets(dir, &site, &mut notices)?;
    let ctx = Context::new(&site, Some(&secrets));
    let mut value = Value::from(Serde(&ctx));
    if let Some(name) = peer {
        site.peer(name.as_str())?;
        let peer = ctx.peer(name.as_str()).expect("checked");
        value = context! { peer => Value::from(Serde(peer)), ..value };
    }
    let text = templates.render_source(&file.display().to_string(), &source, &value)?;
    Ok((text, notices))
}
