//! Targets: the router platforms. A target turns the site (and, from the
//! firewall issue on, its policy) into a context and renders its templates
//! into artifacts: file names, contents and modes. Targets never write files
//! and never concatenate config text; the caller writes the artifacts.

mod ddwrt;
mod linux;
mod openwrt;
mod peers;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use minijinja::value::{Serde, Value};
use zeroize::Zeroizing;

use crate::context::Context;
use crate::error::{InvalidValue, Result};
use crate::site::{Firewall, Platform, Site};
use crate::store::Secrets;
use crate::templates::Templates;

pub use openwrt::read_router_config;
pub use peers::{peer_config, peer_qr};

/// A rendered file.
pub struct Artifact {
    /// Path relative to the output directory.
    pub path: PathBuf,
    /// Contents.
    pub bytes: Zeroizing<Vec<u8>>,
    /// File mode.
    pub mode: u32,
}

impl Artifact {
    /// A new artifact.
    pub fn new(path: impl Into<PathBuf>, bytes: impl Into<Vec<u8>>, mode: u32) -> Self {
        Artifact {
            path: path.into(),
            bytes: Zeroizing::new(bytes.into()),
            mode,
        }
    }
}

/// What to render for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target(pub Platform);

impl FromStr for Target {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, InvalidValue> {
        s.parse().map(Target)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Called once per peer rendered (for progress bars).
pub type OnPeer = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Options of `render`.
#[derive(Clone, Default)]
pub struct RenderOptions {
    /// Only this firewall backend (Linux); both when `None`.
    pub firewall: Option<Firewall>,
    /// The router's current UCI configs (OpenWrt).
    pub router: Option<crate::uci::Configs>,
    /// Called after each peer's files are rendered.
    pub on_peer: Option<OnPeer>,
}

impl fmt::Debug for RenderOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderOptions")
            .field("firewall", &self.firewall)
            .field("router", &self.router.is_some())
            .finish_non_exhaustive()
    }
}

/// Everything a target needs to render.
pub struct Input<'a> {
    /// The site.
    pub site: &'a Site,
    /// The context, with secrets.
    pub ctx: Context,
    /// The context as a template value (built once; cheap to clone).
    pub value: Value,
    /// The templates.
    pub templates: &'a Templates,
    /// Options.
    pub options: &'a RenderOptions,
}

/// Renders every artifact of `target`.
pub fn render(
    site: &Site,
    secrets: &Secrets,
    target: Target,
    templates: &Templates,
    options: &RenderOptions,
) -> Result<Vec<Artifact>> {
    render_context(
        site,
        Context::new(site, Some(secrets)),
        target,
        templates,
        options,
    )
}

/// Renders from a context that was built (and possibly changed) by the
/// caller: tests use it to feed values that validation would refuse.
pub fn render_context(
    site: &Site,
    ctx: Context,
    target: Target,
    templates: &Templates,
    options: &RenderOptions,
) -> Result<Vec<Artifact>> {
    let value = Value::from(Serde(&ctx));
    let input = Input {
        site,
        ctx,
        value,
        templates,
        options,
    };
    let mut out = match target.0 {
        Platform::Linux => linux::render(&input)?,
        Platform::Openwrt => openwrt::render(&input)?,
        Platform::Ddwrt => ddwrt::render(&input)?,
    };
    out.extend(peers::render(&input)?);
    Ok(out)
}
