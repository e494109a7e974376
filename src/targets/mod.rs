//! Targets: the router platforms. A target turns the site (and, from the
//! firewall issue on, its policy) into a context and renders its templates
//! into artifacts: file names, contents and modes. Targets never write files
//! and never concatenate config text; the caller writes the artifacts.

pub mod context;
mod ddwrt;
pub mod exported;
mod linux;
mod openwrt;
mod peers;
pub mod qr;
pub mod templates;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};

use minijinja::value::{Serde, Value};
use zeroize::Zeroizing;

use crate::error::{InvalidValue, Result};
use crate::model::site::{Firewall, Platform, Site};
use crate::store::Secrets;
use crate::targets::context::Context;
use crate::targets::templates::Templates;

pub use ddwrt::{NVRAM_BUDGET, NvramUse};
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

/// Which files of each peer to render.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PeerFiles {
    /// Config, QR code as PNG and SVG, onboarding page, and the index.
    #[default]
    All,
    /// Only the config.
    ConfigOnly,
    /// None (apply needs only the router's files).
    None,
}

/// Called once per peer rendered (for progress bars).
pub type OnPeer = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Options of `render`.
#[derive(Clone, Default)]
pub struct RenderOptions {
    /// Only this firewall backend (Linux); both when `None`.
    pub firewall: Option<Firewall>,
    /// The router's current UCI configs (OpenWrt).
    pub router: Option<crate::formats::uci::Configs>,
    /// Called after each peer's files are rendered.
    pub on_peer: Option<OnPeer>,
    /// Which files of each peer to render.
    pub peer_files: PeerFiles,
    /// The most the DD-WRT script may write into nvram, in bytes (`None`:
    /// the default, `ddwrt::NVRAM_BUDGET`).
    pub nvram_budget: Option<usize>,
}

/// A target's files for the router, and what it says about them.
pub struct Router {
    /// The files.
    pub artifacts: Vec<Artifact>,
    /// Figures for people (what the DD-WRT script writes to nvram).
    pub notes: Vec<String>,
}

impl From<Vec<Artifact>> for Router {
    fn from(artifacts: Vec<Artifact>) -> Self {
        Router {
            artifacts,
            notes: Vec::new(),
        }
    }
}

impl fmt::Debug for RenderOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RenderOptions")
            .field("firewall", &self.firewall)
            .field("router", &self.router.is_some())
            .field("peer_files", &self.peer_files)
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

/// Where rendered files go, as soon as they are rendered (from several
/// threads: peers render in parallel).
pub trait Sink: Sync {
    /// Takes one artifact.
    fn put(&self, artifact: Artifact) -> Result<()>;
}

/// A sink that keeps the artifacts in memory.
#[derive(Default)]
pub struct Collect(Mutex<Vec<Artifact>>);

impl Sink for Collect {
    fn put(&self, artifact: Artifact) -> Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(artifact);
        Ok(())
    }
}

impl Collect {
    /// The artifacts, in the order they came.
    pub fn into_vec(self) -> Vec<Artifact> {
        self.0.into_inner().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The relay host's files (`relay/`), whatever the router's platform.
fn relay(input: &Input<'_>) -> Result<Vec<Artifact>> {
    use crate::store::{PUBLIC_FILE, SECRET_FILE};
    use templates::{RELAY_NFT, RELAY_README, RELAY_WG};
    let t = input.templates;
    Ok(vec![
        Artifact::new(
            "relay/wg0.conf",
            t.render(RELAY_WG, &input.value)?,
            SECRET_FILE,
        ),
        Artifact::new(
            "relay/camvpn-relay.nft",
            t.render(RELAY_NFT, &input.value)?,
            PUBLIC_FILE,
        ),
        Artifact::new(
            "relay/README.txt",
            t.render(RELAY_README, &input.value)?,
            PUBLIC_FILE,
        ),
    ])
}

/// Renders every artifact of `target` into `sink`; returns the target's
/// notes about them.
pub fn render(
    site: &Site,
    secrets: &Secrets,
    target: Target,
    templates: &Templates,
    options: &RenderOptions,
    sink: &dyn Sink,
) -> Result<Vec<String>> {
    render_context(
        site,
        Context::new(site, Some(secrets)),
        target,
        templates,
        options,
        sink,
    )
}

/// Renders every artifact of `target`, in memory.
pub fn render_to_vec(
    site: &Site,
    secrets: &Secrets,
    target: Target,
    templates: &Templates,
    options: &RenderOptions,
) -> Result<Vec<Artifact>> {
    let sink = Collect::default();
    render(site, secrets, target, templates, options, &sink)?;
    Ok(sink.into_vec())
}

/// Renders from a context that was built (and possibly changed) by the
/// caller: tests use it to feed values that validation would refuse.
pub fn render_context(
    site: &Site,
    ctx: Context,
    target: Target,
    templates: &Templates,
    options: &RenderOptions,
    sink: &dyn Sink,
) -> Result<Vec<String>> {
    let value = Value::from(Serde(&ctx));
    let input = Input {
        site,
        ctx,
        value,
        templates,
        options,
    };
    let router: Router = match target.0 {
        Platform::Linux => linux::render(&input)?.into(),
        Platform::Openwrt => openwrt::render(&input)?.into(),
        Platform::Ddwrt => ddwrt::render(&input)?,
    };
    for a in router.artifacts {
        sink.put(a)?;
    }
    if input.ctx.relay.is_some() {
        for a in relay(&input)? {
            sink.put(a)?;
        }
    }
    peers::render(&input, sink)?;
    Ok(router.notes)
}
