//! `apply`: puts a site on the Linux host it runs on.
//!
//! Order matters. The firewall is loaded first, so the tunnel never carries
//! traffic without the policy; a firewall that fails to load stops `apply`
//! before anything else changes. nftables loads are atomic (the file replaces
//! the table in one transaction); for iptables camvpn saves the rules first,
//! tests the new ones with `--test`, and restores the saved rules if any step
//! fails. Then the WireGuard config is written (0600) and the interface is
//! brought up, or, when it is up, reloaded with `wg syncconf`, which keeps
//! the sessions of peers that did not change. What `apply` changed is
//! recorded next to `site.toml`, so `--undo` can put the host back.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::site::{Firewall, Platform, Site};
use crate::store::{Batch, PUBLIC_FILE, SECRET_FILE, Secrets};
use crate::targets::{self, Artifact, PeerFiles, RenderOptions, Target};
use crate::templates::Templates;

/// What `apply` reports as it goes.
pub enum Event {
    /// A change to the host (in a dry run: a change it would make).
    Action(String),
    /// File contents, shown with --verbose and in dry runs.
    Content(String, String),
    /// Something the user should know.
    Warning(String),
    /// Output of a command that ran.
    Output(String),
}

/// Options of `apply`.
pub struct ApplyOptions {
    /// Print, do not change.
    pub dry_run: bool,
    /// The firewall backend.
    pub firewall: Firewall,
    /// Where wg-quick configs live (`/etc/wireguard`).
    pub wg_dir: PathBuf,
    /// The record of what was applied.
    pub state_file: PathBuf,
    /// The router's UCI configs (OpenWrt).
    pub uci_dir: PathBuf,
}

/// What was applied, for `--undo` and for switching backends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applied {
    /// The backend loaded.
    pub firewall: Firewall,
    /// The WireGuard interface.
    pub interface: String,
    /// The config written.
    pub wg_conf: PathBuf,
    /// `net.ipv4.ip_forward` before camvpn first changed it.
    pub ipv4_forward_was: Option<String>,
    /// `net.ipv6.conf.all.forwarding` before camvpn first changed it.
    pub ipv6_forward_was: Option<String>,
}

/// The chains iptables hooks camvpn's chains into: (table, built-in, ours).
const HOOKS: &[(&str, &str, &str)] = &[
    ("filter", "INPUT", "CAMVPN_INPUT"),
    ("filter", "FORWARD", "CAMVPN_FORWARD"),
    ("nat", "POSTROUTING", "CAMVPN_POSTROUTING"),
];

const IPV4_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
const IPV6_FORWARD: &str = "/proc/sys/net/ipv6/conf/all/forwarding";

struct Host<'a> {
    dry_run: bool,
    report: &'a mut dyn FnMut(Event),
}

fn show(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
            {
                (*a).to_owned()
            } else {
                crate::templates::shell_quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Host<'_> {
    /// Runs a command that reads state (also in dry runs).
    fn probe(argv: &[&str]) -> Option<std::process::Output> {
        Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .output()
            .ok()
    }

    /// Runs a command that changes the host.
    fn run(&mut self, argv: &[&str]) -> Result<Captured> {
        (self.report)(Event::Action(format!("run: {}", show(argv))));
        if self.dry_run {
            return Ok(Captured::default());
        }
        exec(argv, None)
    }

    /// Runs a command with `input` (shown as `name`) on its standard input.
    fn run_input(&mut self, argv: &[&str], input: &[u8], name: &str) -> Result<Captured> {
        (self.report)(Event::Action(format!("run: {} < {name}", show(argv))));
        if self.dry_run {
            return Ok(Captured::default());
        }
        exec(argv, Some(input))
    }

    fn write(&mut self, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
        (self.report)(Event::Action(format!(
            "write: {} (mode {mode:o})",
            path.display()
        )));
        if self.dry_run {
            return Ok(());
        }
        crate::store::make_dir(path.parent().unwrap_or(Path::new("/")), 0o700)?;
        let mut b = Batch::new();
        b.write(path, bytes, mode)?;
        b.commit()
    }

    fn remove(&mut self, path: &Path) -> Result<()> {
        if !path.exists() {
            return Ok(());
        }
        (self.report)(Event::Action(format!("remove: {}", path.display())));
        if self.dry_run {
            return Ok(());
        }
        fs::remove_file(path).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn failed(argv: &[&str], out: &std::process::Output) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let msg = if stderr.trim().is_empty() {
        stdout.trim()
    } else {
        stderr.trim()
    };
    Error::Failed(format!("`{}` failed ({}): {msg}", show(argv), out.status))
}

fn spawn_error(argv: &[&str], e: &std::io::Error) -> Error {
    let hint = match argv[0] {
        "nft" => " (install nftables, or use --firewall iptables)",
        "iptables" | "ip6tables" | "iptables-restore" | "ip6tables-restore" | "iptables-save"
        | "ip6tables-save" => " (install iptables, or use --firewall nft)",
        "wg" | "wg-quick" => " (install wireguard-tools)",
        _ => "",
    };
    Error::Failed(format!("cannot run {}: {e}{hint}", argv[0]))
}

/// What a command printed.
#[derive(Default)]
struct Captured {
    stdout: String,
    stderr: String,
}

/// Runs a command, with `input` on its standard input when given.
fn exec(argv: &[&str], input: Option<&[u8]>) -> Result<Captured> {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(argv, &e))?;
    if let Some(input) = input {
        // A failed write shows up as the command's failure below.
        let _ = child.stdin.take().expect("piped").write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| spawn_error(argv, &e))?;
    if !out.status.success() {
        return Err(failed(argv, &out));
    }
    Ok(Captured {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn artifact<'a>(arts: &'a [Artifact], path: &str) -> &'a Artifact {
    arts.iter()
        .find(|a| a.path == Path::new(path))
        .expect("the target renders it")
}

/// Reads the record of the last apply.
pub fn read_state(path: &Path) -> Result<Option<Applied>> {
    match fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::File {
                path: path.to_path_buf(),
                message: format!("{e}; delete it if camvpn's firewall is not loaded"),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Base chains of other tables whose policy drops what camvpn accepts.
fn drop_policy_chains() -> Vec<String> {
    let Some(out) = Host::probe(&["nft", "-j", "list", "chains"]) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for item in v["nftables"].as_array().into_iter().flatten() {
        let c = &item["chain"];
        let hook = c["hook"].as_str().unwrap_or("");
        if c["table"] != "camvpn" && c["policy"] == "drop" && (hook == "forward" || hook == "input")
        {
            found.push(format!(
                "{} {} chain {} (hook {hook})",
                c["family"].as_str().unwrap_or("?"),
                c["table"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?")
            ));
        }
    }
    found
}

/// Puts `site` on this host.
pub fn apply(
    site: &Site,
    secrets: &Secrets,
    templates: &Templates,
    opts: &ApplyOptions,
    report: &mut dyn FnMut(Event),
) -> Result<()> {
    match site.platform {
        Platform::Linux => {}
        Platform::Openwrt => return apply_openwrt(site, secrets, templates, opts, report),
        Platform::Ddwrt => {
            return Err(Error::Conflict(
                "DD-WRT has no camvpn on the router: render --target ddwrt, copy camvpn-ddwrt.sh to the router and run it there".into(),
            ));
        }
    }
    let arts = targets::render_to_vec(
        site,
        secrets,
        Target(Platform::Linux),
        templates,
        &RenderOptions {
            firewall: Some(opts.firewall),
            router: None,
            on_peer: None,
            peer_files: PeerFiles::None,
        },
    )?;
    let previous = read_state(&opts.state_file)?;
    let iface = site.interface.to_string();
    let conf_name = format!("{iface}.conf");
    let wg_conf = opts.wg_dir.join(&conf_name);
    let mut host = Host {
        dry_run: opts.dry_run,
        report,
    };

    if opts.firewall == Firewall::Nft {
        for chain in drop_policy_chains() {
            (host.report)(Event::Warning(format!(
                "{chain} has policy drop; nftables cannot override another table's drop, so that chain must accept udp port {} and traffic from {iface} (camvpn then narrows it to the policy)",
                site.listen_port
            )));
        }
    }

    // 1. The firewall, before the tunnel carries anything.
    match opts.firewall {
        Firewall::Nft => load_nft(&mut host, &artifact(&arts, "camvpn.nft").bytes)?,
        Firewall::Iptables => load_iptables(
            &mut host,
            &artifact(&arts, "camvpn.iptables").bytes,
            &artifact(&arts, "camvpn.ip6tables").bytes,
        )?,
    }
    if let Some(prev) = &previous
        && prev.firewall != opts.firewall
    {
        // Switching backends: the new one is in place, now drop the old.
        remove_firewall(&mut host, prev.firewall)?;
    }

    // 2. Forwarding.
    let mut state = Applied {
        firewall: opts.firewall,
        interface: iface.clone(),
        wg_conf: wg_conf.clone(),
        ipv4_forward_was: previous.as_ref().and_then(|p| p.ipv4_forward_was.clone()),
        ipv6_forward_was: previous.as_ref().and_then(|p| p.ipv6_forward_was.clone()),
    };
    if let Some(was) = set_sysctl(&mut host, IPV4_FORWARD, "1")? {
        state.ipv4_forward_was.get_or_insert(was);
    }
    let v6 = site.subnet6.is_some() || site.cameras.iter().any(|c| c.ip6.is_some());
    if v6 && let Some(was) = set_sysctl(&mut host, IPV6_FORWARD, "1")? {
        state.ipv6_forward_was.get_or_insert(was);
    }

    // 3. WireGuard.
    let conf = artifact(&arts, &conf_name);
    (host.report)(Event::Content(
        wg_conf.display().to_string(),
        "(contains the router's private key)".into(),
    ));
    host.write(&wg_conf, &conf.bytes, SECRET_FILE)?;
    let wg_conf_s = wg_conf.display().to_string();
    let exists =
        Host::probe(&["ip", "link", "show", "dev", &iface]).is_some_and(|o| o.status.success());
    if exists {
        // syncconf keeps the sessions of unchanged peers; wg-quick strip
        // removes what only wg-quick understands.
        (host.report)(Event::Action(format!(
            "run: wg syncconf {iface} <(wg-quick strip {wg_conf_s})"
        )));
        if !host.dry_run {
            let stripped = exec(&["wg-quick", "strip", &wg_conf_s], None)?.stdout;
            let mut tmp = tempfile::Builder::new()
                .prefix(".camvpn-strip-")
                .tempfile()
                .map_err(|source| Error::Write {
                    path: std::env::temp_dir(),
                    source,
                })?;
            tmp.write_all(stripped.as_bytes())
                .map_err(|source| Error::Write {
                    path: tmp.path().to_path_buf(),
                    source,
                })?;
            exec(
                &["wg", "syncconf", &iface, &tmp.path().display().to_string()],
                None,
            )?;
        }
    } else {
        // wg-quick says what it does on standard error.
        let out = host.run(&["wg-quick", "up", &wg_conf_s])?;
        if !out.stderr.is_empty() {
            (host.report)(Event::Output(out.stderr));
        }
    }

    // 4. The record.
    let json = serde_json::to_vec_pretty(&state).expect("serializable");
    host.write(&opts.state_file, &json, PUBLIC_FILE)?;
    Ok(())
}

/// OpenWrt: one `uci batch`, then netifd and firewall4 reload what changed
/// (the same as `/etc/init.d/network reload` and `/etc/init.d/firewall
/// reload`; netifd applies WireGuard peers with `wg syncconf`).
fn apply_openwrt(
    site: &Site,
    secrets: &Secrets,
    templates: &Templates,
    opts: &ApplyOptions,
    report: &mut dyn FnMut(Event),
) -> Result<()> {
    let router = targets::read_router_config(&opts.uci_dir)?;
    let arts = targets::render_to_vec(
        site,
        secrets,
        Target(Platform::Openwrt),
        templates,
        &RenderOptions {
            firewall: None,
            router: Some(router),
            on_peer: None,
            peer_files: PeerFiles::None,
        },
    )?;
    let batch = &artifact(&arts, "camvpn.uci").bytes;
    let mut host = Host {
        dry_run: opts.dry_run,
        report,
    };
    (host.report)(Event::Content(
        "camvpn.uci".into(),
        String::from_utf8_lossy(batch).into_owned(),
    ));
    let out = host.run_input(&["uci", "batch"], batch, "camvpn.uci")?;
    // uci batch reports a failing command on stderr and carries on.
    if out.stderr.contains("uci: ") {
        return Err(Error::Failed(format!(
            "uci batch reported errors: {}",
            out.stderr.trim()
        )));
    }
    host.run(&["ubus", "call", "network", "reload"])?;
    host.run(&["fw4", "reload"])?;
    Ok(())
}

/// Returns the old value when it changed one.
fn set_sysctl(host: &mut Host<'_>, path: &str, value: &str) -> Result<Option<String>> {
    let now = fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.into(),
        source,
    })?;
    let now = now.trim().to_owned();
    if now == value {
        return Ok(None);
    }
    (host.report)(Event::Action(format!(
        "write: {path} = {value} (was {now})"
    )));
    if !host.dry_run {
        fs::write(path, value).map_err(|source| Error::Write {
            path: path.into(),
            source,
        })?;
    }
    Ok(Some(now))
}

fn load_nft(host: &mut Host<'_>, rules: &[u8]) -> Result<()> {
    let text = String::from_utf8_lossy(rules).into_owned();
    (host.report)(Event::Content("camvpn.nft".into(), text));
    // The check parses against the running kernel; the load is one transaction.
    host.run_input(&["nft", "-c", "-f", "-"], rules, "camvpn.nft")?;
    host.run_input(&["nft", "-f", "-"], rules, "camvpn.nft")?;
    Ok(())
}

fn load_iptables(host: &mut Host<'_>, v4: &[u8], v6: &[u8]) -> Result<()> {
    (host.report)(Event::Content(
        "camvpn.iptables".into(),
        String::from_utf8_lossy(v4).into_owned(),
    ));
    (host.report)(Event::Content(
        "camvpn.ip6tables".into(),
        String::from_utf8_lossy(v6).into_owned(),
    ));
    let families = [
        ("iptables", v4, "camvpn.iptables"),
        ("ip6tables", v6, "camvpn.ip6tables"),
    ];
    // Save first: this is what a failure restores.
    let mut saved = Vec::new();
    for (tool, _, _) in families {
        let out = if host.dry_run {
            String::new()
        } else {
            exec(&[&format!("{tool}-save")], None)?.stdout
        };
        saved.push((tool, out));
    }
    for (tool, rules, name) in families {
        host.run_input(
            &[&format!("{tool}-restore"), "--test", "--noflush"],
            rules,
            name,
        )?;
    }
    let result = (|| -> Result<()> {
        for (tool, rules, name) in families {
            host.run_input(&[&format!("{tool}-restore"), "--noflush"], rules, name)?;
            for (table, builtin, ours) in HOOKS {
                let hooked = Host::probe(&[tool, "-t", table, "-C", builtin, "-j", ours])
                    .is_some_and(|o| o.status.success());
                if !hooked {
                    host.run(&[tool, "-t", table, "-I", builtin, "1", "-j", ours])?;
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tool, rules) in &saved {
            let _ = exec(&[&format!("{tool}-restore")], Some(rules.as_bytes()));
        }
        return Err(Error::Failed(format!(
            "{e}; the previous iptables rules were restored"
        )));
    }
    Ok(())
}

fn remove_firewall(host: &mut Host<'_>, firewall: Firewall) -> Result<()> {
    match firewall {
        Firewall::Nft => {
            let loaded = Host::probe(&["nft", "list", "table", "inet", "camvpn"])
                .is_some_and(|o| o.status.success());
            if loaded {
                host.run(&["nft", "delete", "table", "inet", "camvpn"])?;
            }
        }
        Firewall::Iptables => {
            for tool in ["iptables", "ip6tables"] {
                for (table, builtin, ours) in HOOKS {
                    while Host::probe(&[tool, "-t", table, "-C", builtin, "-j", ours])
                        .is_some_and(|o| o.status.success())
                    {
                        host.run(&[tool, "-t", table, "-D", builtin, "-j", ours])?;
                        if host.dry_run {
                            break;
                        }
                    }
                    if Host::probe(&[tool, "-t", table, "-S", ours])
                        .is_some_and(|o| o.status.success())
                    {
                        host.run(&[tool, "-t", table, "-F", ours])?;
                        host.run(&[tool, "-t", table, "-X", ours])?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// Takes a site off this host: the firewall, the interface, the config file,
/// and forwarding as it was before camvpn.
pub fn undo(site: &Site, opts: &ApplyOptions, report: &mut dyn FnMut(Event)) -> Result<()> {
    if site.platform != Platform::Linux {
        return Err(Error::Conflict(
            "apply --undo is for Linux hosts; on OpenWrt delete camvpn's sections (uci show network firewall | grep camvpn_) and the interface, then reload".into(),
        ));
    }
    let state = read_state(&opts.state_file)?;
    let mut host = Host {
        dry_run: opts.dry_run,
        report,
    };
    let (firewall, iface, wg_conf) = match &state {
        Some(s) => (s.firewall, s.interface.clone(), s.wg_conf.clone()),
        None => (
            opts.firewall,
            site.interface.to_string(),
            opts.wg_dir.join(format!("{}.conf", site.interface)),
        ),
    };
    if Host::probe(&["ip", "link", "show", "dev", &iface]).is_some_and(|o| o.status.success()) {
        if wg_conf.exists() {
            host.run(&["wg-quick", "down", &wg_conf.display().to_string()])?;
        } else {
            host.run(&["ip", "link", "del", "dev", &iface])?;
        }
    }
    remove_firewall(&mut host, firewall)?;
    host.remove(&wg_conf)?;
    if let Some(s) = &state {
        if let Some(was) = &s.ipv4_forward_was {
            set_sysctl(&mut host, IPV4_FORWARD, was)?;
        }
        if let Some(was) = &s.ipv6_forward_was {
            set_sysctl(&mut host, IPV6_FORWARD, was)?;
        }
    }
    host.remove(&opts.state_file)?;
    Ok(())
}
