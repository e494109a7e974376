//! Templates: one file per artifact under `templates/<target>/`, embedded in
//! the binary and overridable by name from a directory.
//!
//! The environment is strict: an undefined value is an error (a typo in a
//! template must not silently render an empty `PrivateKey =`), auto-escaping
//! is off (none of the formats is HTML, except the onboarding page, which
//! escapes explicitly), and the trailing newline is kept. Values that are not
//! validated newtypes go through a quoting filter of the target format.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::{Error, Result};

/// The router's wg-quick config (Linux).
pub const LINUX_SERVER: &str = "linux/wg.conf.j2";
/// The nftables table (Linux).
pub const LINUX_NFT: &str = "linux/camvpn.nft.j2";
/// The iptables-restore file, IPv4 (Linux).
pub const LINUX_IPTABLES: &str = "linux/camvpn.iptables.j2";
/// The ip6tables-restore file (Linux).
pub const LINUX_IP6TABLES: &str = "linux/camvpn.ip6tables.j2";
/// The router's tunnel to its relay (Linux).
pub const LINUX_RELAY: &str = "linux/wgrelay.conf.j2";
/// The relay's wg-quick config (every target, with a relay).
pub const RELAY_WG: &str = "relay/wg.conf.j2";
/// The relay's nftables forwarding.
pub const RELAY_NFT: &str = "relay/camvpn-relay.nft.j2";
/// How to set the relay up.
pub const RELAY_README: &str = "relay/README.txt.j2";
/// The `uci batch` file (OpenWrt).
pub const OPENWRT_UCI: &str = "openwrt/camvpn.uci.j2";
/// The script for the router that checks its config, then runs the batch
/// (OpenWrt, from a laptop).
pub const OPENWRT_SCRIPT: &str = "openwrt/camvpn-openwrt.sh.j2";
/// The nvram script (DD-WRT).
pub const DDWRT_SCRIPT: &str = "ddwrt/camvpn-ddwrt.sh.j2";
/// camvpn's block in nvram `rc_firewall` (DD-WRT), part of the script.
pub const DDWRT_RC_FIREWALL: &str = "ddwrt/rc_firewall.j2";
/// A peer's wg-quick config (every target); also the QR payload.
pub const PEER_CONF: &str = "common/peer.conf.j2";
/// A peer's printable onboarding page (every target).
pub const ONBOARDING: &str = "common/onboarding.html.j2";
/// The index of the onboarding pages.
pub const ONBOARDING_INDEX: &str = "common/index.html.j2";
/// The policy as iptables rules (macros), shared by Linux and DD-WRT.
pub const IPTABLES_RULES: &str = "common/iptables-rules.j2";

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        LINUX_SERVER,
        include_str!("../../templates/linux/wg.conf.j2"),
    ),
    (
        LINUX_NFT,
        include_str!("../../templates/linux/camvpn.nft.j2"),
    ),
    (
        LINUX_IPTABLES,
        include_str!("../../templates/linux/camvpn.iptables.j2"),
    ),
    (
        LINUX_IP6TABLES,
        include_str!("../../templates/linux/camvpn.ip6tables.j2"),
    ),
    (
        LINUX_RELAY,
        include_str!("../../templates/linux/wgrelay.conf.j2"),
    ),
    (RELAY_WG, include_str!("../../templates/relay/wg.conf.j2")),
    (
        RELAY_NFT,
        include_str!("../../templates/relay/camvpn-relay.nft.j2"),
    ),
    (
        RELAY_README,
        include_str!("../../templates/relay/README.txt.j2"),
    ),
    (
        OPENWRT_UCI,
        include_str!("../../templates/openwrt/camvpn.uci.j2"),
    ),
    (
        OPENWRT_SCRIPT,
        include_str!("../../templates/openwrt/camvpn-openwrt.sh.j2"),
    ),
    (
        DDWRT_SCRIPT,
        include_str!("../../templates/ddwrt/camvpn-ddwrt.sh.j2"),
    ),
    (
        DDWRT_RC_FIREWALL,
        include_str!("../../templates/ddwrt/rc_firewall.j2"),
    ),
    (
        PEER_CONF,
        include_str!("../../templates/common/peer.conf.j2"),
    ),
    (
        ONBOARDING,
        include_str!("../../templates/common/onboarding.html.j2"),
    ),
    (
        ONBOARDING_INDEX,
        include_str!("../../templates/common/index.html.j2"),
    ),
    (
        IPTABLES_RULES,
        include_str!("../../templates/common/iptables-rules.j2"),
    ),
];

/// Quotes a value for a POSIX shell: single quotes, `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Quotes a value for `uci batch`, which splits arguments like a shell:
/// single quotes, `'` written as `'\''`.
pub fn uci_quote(s: &str) -> String {
    shell_quote(s)
}

/// Quotes a value as an nft string. nft strings cannot contain `"` or line
/// breaks at all, so those are refused rather than mangled.
pub fn nft_quote(s: &str) -> Result<String, minijinja::Error> {
    if s.contains(['"', '\n', '\r', '\\']) {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("{s:?} cannot be written as an nft string"),
        ));
    }
    Ok(format!("\"{s}\""))
}

/// The template environment.
pub struct Templates {
    env: Environment<'static>,
}

/// A minijinja error as our error, with the template name and line.
pub fn template_error(name: &str, e: &minijinja::Error) -> Error {
    let name = e.name().unwrap_or(name).to_owned();
    let mut message = String::new();
    if let Some(line) = e.line() {
        let _ = write!(message, "line {line}: ");
    }
    message.push_str(
        &e.detail()
            .map_or_else(|| e.kind().to_string(), ToOwned::to_owned),
    );
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let _ = write!(message, ": {s}");
        source = s.source();
    }
    Error::Template { name, message }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_syntax(
        SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("default delimiters"),
    );
    env.add_filter("shell_quote", |s: &str| shell_quote(s));
    env.add_filter("uci_quote", |s: &str| uci_quote(s));
    env.add_filter("nft_quote", |s: &str| nft_quote(s));
    env
}

impl Templates {
    /// The built-in templates, each replaced by `DIR/NAME` where that file
    /// exists. A file in `DIR` that is not a template name is an error: it is
    /// most likely a misspelt override that would otherwise be ignored.
    pub fn new(overrides: Option<&Path>) -> Result<Self> {
        let mut env = environment();
        for (name, builtin) in BUILTIN {
            let source = match overrides {
                Some(dir) if dir.join(name).is_file() => {
                    let path = dir.join(name);
                    fs::read_to_string(&path).map_err(|source| Error::Read { path, source })?
                }
                _ => (*builtin).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| template_error(name, &e))?;
        }
        if let Some(dir) = overrides {
            check_overrides(dir)?;
        }
        Ok(Templates { env })
    }

    /// Renders the template `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: &Value) -> Result<String> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| template_error(name, &e))
    }

    /// Renders a user's template text; `name` (its file) is named in errors.
    pub fn render_source(&self, name: &str, source: &str, ctx: &Value) -> Result<String> {
        self.env
            .render_named_str(name, source, ctx)
            .map_err(|e| template_error(name, &e))
    }
}

fn check_overrides(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        return Err(Error::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not a directory"),
        });
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = fs::read_dir(&d).map_err(|source| Error::Read {
            path: d.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(&path)
                .to_string_lossy()
                .into_owned();
            if !BUILTIN.iter().any(|(n, _)| *n == rel) {
                let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
                return Err(Error::not_found(
                    "template",
                    &rel,
                    "camvpn's templates",
                    known,
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn quoting() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$(x)"), "'$(x)'");
        assert!(nft_quote("a\"b").is_err());
        assert_eq!(nft_quote("wg0").unwrap(), "\"wg0\"");
    }

    #[test]
    fn undefined_is_an_error_with_line() {
        let t = Templates::new(None).unwrap();
        let err = t
            .render_source(
                "mine.j2",
                "ok\n{{ peer.nmae }}\n",
                &context! { peer => context!{ name => "x" } },
            )
            .unwrap_err()
            .to_string();
        assert!(err.contains("mine.j2") && err.contains("line 2"), "{err}");
    }

    #[test]
    fn trailing_newline_is_kept() {
        let t = Templates::new(None).unwrap();
        assert_eq!(t.render_source("x", "a\n", &context! {}).unwrap(), "a\n");
    }
}
