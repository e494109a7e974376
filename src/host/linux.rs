//! `apply` and `--undo` on a Linux host: the nft table or iptables chains,
//! forwarding, and the wg-quick interface.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::Path;

use super::run::{Host, exec};
use super::{Applied, ApplyOptions, Event, artifact, read_state};
use crate::error::{Error, Result};
use crate::formats::wgquick;
use crate::model::relay::RELAY_IF;
use crate::model::site::{Firewall, Platform, Site};
use crate::store::{PUBLIC_FILE, SECRET_FILE, write_file};
use crate::targets::Artifact;

/// The chains iptables hooks camvpn's chains into: (table, built-in, ours).
const HOOKS: &[(&str, &str, &str)] = &[
    ("filter", "INPUT", "CAMVPN_INPUT"),
    ("filter", "FORWARD", "CAMVPN_FORWARD"),
    ("nat", "POSTROUTING", "CAMVPN_POSTROUTING"),
];

const IPV4_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";
const IPV6_FORWARD: &str = "/proc/sys/net/ipv6/conf/all/forwarding";

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

/// Puts `site` on this Linux host.
pub(super) fn apply(
    site: &Site,
    arts: &[Artifact],
    opts: &ApplyOptions,
    host: &mut Host<'_>,
) -> Result<()> {
    let previous = read_state(&opts.state_file)?;
    let iface = site.interface.to_string();
    let conf_name = format!("{iface}.conf");
    let wg_conf = opts.wg_dir.join(&conf_name);

    // Another WireGuard setup on this interface is not camvpn's to take:
    // refused before anything changes.
    // What camvpn applied here before is its own, whatever key it had then
    // (init --force makes new keys).
    if previous.as_ref().is_none_or(|p| p.interface != iface) {
        check_ours(site, &iface, &wg_conf, artifact(arts, &conf_name))?;
    }
    if !link_exists(&iface) {
        check_port_free(site.listen_port)?;
    }

    if opts.firewall == Firewall::Nft {
        for chain in drop_policy_chains() {
            (host.report)(Event::Warning(format!(
                "{chain} has policy drop; nftables cannot override another table's drop, so that chain must accept udp port {} and traffic from {iface} (camvpn then narrows it to the policy)",
                site.listen_port
            )));
        }
    }

    // 1. The firewall, before the tunnel carries anything.
    let rescue_dir = opts.state_file.parent().unwrap_or(Path::new("."));
    let firewall_before = match opts.firewall {
        Firewall::Nft => load_nft(host, &artifact(arts, "camvpn.nft").bytes)?,
        Firewall::Iptables => load_iptables(
            host,
            &artifact(arts, "camvpn.iptables").bytes,
            &artifact(arts, "camvpn.ip6tables").bytes,
            rescue_dir,
        )?,
    };
    if let Some(prev) = &previous
        && prev.firewall != opts.firewall
    {
        // Switching backends: the new one is in place, now drop the old.
        remove_firewall(host, prev.firewall)?;
        host.mark_changed(true);
    }

    // 2. Forwarding.
    let mut state = Applied {
        firewall: opts.firewall,
        interface: iface.clone(),
        wg_conf: wg_conf.clone(),
        relay_conf: None,
        ipv4_forward_was: previous.as_ref().and_then(|p| p.ipv4_forward_was.clone()),
        ipv6_forward_was: previous.as_ref().and_then(|p| p.ipv6_forward_was.clone()),
    };
    // What this run switched, to switch back should the tunnel fail.
    let mut switched = Vec::new();
    if let Some(was) = set_sysctl(host, IPV4_FORWARD, "1")? {
        switched.push((IPV4_FORWARD, was.clone()));
        state.ipv4_forward_was.get_or_insert(was);
    }
    let v6 = site.subnet6.is_some() || site.cameras.iter().any(|c| c.ip6.is_some());
    if v6 && let Some(was) = set_sysctl(host, IPV6_FORWARD, "1")? {
        switched.push((IPV6_FORWARD, was.clone()));
        state.ipv6_forward_was.get_or_insert(was);
    }

    // 3. WireGuard. Should it fail (wg-quick refusing, a port taken since
    // the check), what this run did goes back: forwarding, a config it
    // wrote, a firewall it loaded first.
    let conf_before = fs::read(&wg_conf).ok();
    if let Err(e) = wireguard(site, arts, opts, previous.as_ref(), host, &mut state) {
        if !host.dry_run {
            for (path, was) in &switched {
                let _ = fs::write(path, was);
            }
            match &conf_before {
                Some(bytes) => {
                    let _ = write_file(&wg_conf, bytes, SECRET_FILE);
                }
                None => {
                    let _ = fs::remove_file(&wg_conf);
                }
            }
            match &previous {
                None => {
                    let _ = remove_firewall(host, opts.firewall);
                }
                // The rules of the apply before, from the snapshot.
                Some(p) if p.firewall == opts.firewall => {
                    firewall_before.restore(rescue_dir, &e)?;
                }
                // Another backend's rules were removed: the new ones stay,
                // which close the cameras as the old did.
                Some(_) => {
                    return Err(Error::Failed(format!(
                        "{e}; forwarding and {} are as before this apply; the firewall is the new backend's ({}), the old one's rules are gone",
                        wg_conf.display(),
                        opts.firewall
                    )));
                }
            }
        }
        return Err(Error::Failed(format!(
            "{e}; the host is as it was before this apply (forwarding, {}, the firewall)",
            wg_conf.display()
        )));
    }

    // 4. The record.
    let json = serde_json::to_vec_pretty(&state).expect("serializable");
    host.write(&opts.state_file, &json, PUBLIC_FILE)?;
    Ok(())
}

/// Step 3 of apply: the relay tunnel first (phones' packets arrive through
/// it), then the site's interface.
fn wireguard(
    site: &Site,
    arts: &[Artifact],
    opts: &ApplyOptions,
    previous: Option<&Applied>,
    host: &mut Host<'_>,
    state: &mut Applied,
) -> Result<()> {
    let iface = site.interface.to_string();
    let conf_name = format!("{iface}.conf");
    if site.relay.is_some() {
        let name = format!("{RELAY_IF}.conf");
        let path = opts.wg_dir.join(&name);
        wg_interface(host, RELAY_IF, &path, artifact(arts, &name))?;
        state.relay_conf = Some(path);
    } else if let Some(old) = previous.and_then(|p| p.relay_conf.as_ref()) {
        // The relay was turned off: its tunnel goes.
        wg_down(host, RELAY_IF, old)?;
        host.mark_changed(true);
        host.remove(old)?;
    }
    wg_interface(
        host,
        &iface,
        &state.wg_conf.clone(),
        artifact(arts, &conf_name),
    )
}

/// Refuses a WireGuard port that something else on this host listens on:
/// wg-quick would fail after the firewall and forwarding were changed.
fn check_port_free(port: u16) -> Result<()> {
    match std::net::UdpSocket::bind(("0.0.0.0", port)) {
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {}
        _ => return Ok(()),
    }
    // wg show all listen-port: "IFACE<TAB>PORT" lines. It lists userspace
    // interfaces (wireguard-go) by their sockets in /var/run/wireguard,
    // which other network namespaces share: the holder is one that is a
    // link of this one.
    let here = |i: &str| {
        Host::probe(&["ip", "link", "show", "dev", i]).is_some_and(|o| o.status.success())
    };
    let holder = Host::probe(&["wg", "show", "all", "listen-port"])
        .filter(|o| o.status.success())
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout).lines().find_map(|l| {
                let (i, p) = l.split_once('\t')?;
                (p.trim() == port.to_string() && here(i))
                    .then(|| format!("the WireGuard interface {i}"))
            })
        })
        .unwrap_or_else(|| "another program (ss -lunp shows which)".into());
    Err(Error::Conflict(format!(
        "UDP {port} is used by {holder}: stop it, or make this site with another port (camvpn init ... --listen-port N)"
    )))
}

/// The private key of a wg-quick config's `[Interface]`.
fn private_key(text: &str) -> Option<String> {
    let conf = wgquick::parse(text).ok()?;
    conf.interface.get("PrivateKey").map(|e| e.value.clone())
}

/// Refuses a config at `path`, or a running interface `iface`, of another
/// key than the site's: another VPN's (camvpn would overwrite its config,
/// replace its peers and leave its address on the interface).
fn check_ours(site: &Site, iface: &str, path: &Path, ours: &Artifact) -> Result<()> {
    let ways = format!(
        "camvpn does not take over a WireGuard setup it did not make: adopt it into a site with camvpn init --adopt {} (its keys and peers are kept), or give this site another interface (camvpn init ... --interface wg1)",
        path.display()
    );
    if let Ok(text) = fs::read_to_string(path) {
        let mine = private_key(&String::from_utf8_lossy(&ours.bytes));
        if private_key(&text).is_none() || private_key(&text) != mine {
            return Err(Error::Conflict(format!(
                "{} is not this site's: it holds another WireGuard key; {ways}",
                path.display()
            )));
        }
    }
    if link_exists(iface) {
        let key = Host::probe(&["wg", "show", iface, "public-key"])
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
        if key.as_deref() != Some(site.server_public_key.to_string().as_str()) {
            return Err(Error::Conflict(format!(
                "the interface {iface} on this host is not this site's: {}; {ways}",
                match key {
                    Some(_) => "it runs WireGuard with another key",
                    None => "it is not a WireGuard interface camvpn can read",
                }
            )));
        }
    }
    Ok(())
}

/// Brings the WireGuard interface `iface` up from `conf` (written to
/// `path`), or updates a running one in place.
fn wg_interface(host: &mut Host<'_>, iface: &str, path: &Path, conf: &Artifact) -> Result<()> {
    (host.report)(Event::Content(
        path.display().to_string(),
        "(contains the router's private key)".into(),
    ));
    host.write(path, &conf.bytes, SECRET_FILE)?;
    let path_s = path.display().to_string();
    if link_exists(iface) {
        // syncconf keeps the sessions of unchanged peers; wg-quick strip
        // removes what only wg-quick understands.
        (host.report)(Event::Action(format!(
            "run: wg syncconf {iface} <(wg-quick strip {path_s})"
        )));
        if !host.dry_run {
            let stripped = exec(&["wg-quick", "strip", &path_s], None)?.stdout;
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
                &["wg", "syncconf", iface, &tmp.path().display().to_string()],
                None,
            )?;
        }
    } else {
        // wg-quick says what it does on standard error.
        let out = host.run(&["wg-quick", "up", &path_s])?;
        host.mark_changed(true);
        if !out.stderr.is_empty() {
            (host.report)(Event::Output(out.stderr));
        }
    }
    Ok(())
}

fn link_exists(iface: &str) -> bool {
    Host::probe(&["ip", "link", "show", "dev", iface]).is_some_and(|o| o.status.success())
}

/// Takes the interface `iface` down (with wg-quick when its config is there).
fn wg_down(host: &mut Host<'_>, iface: &str, conf: &Path) -> Result<()> {
    if link_exists(iface) {
        if conf.exists() {
            host.run(&["wg-quick", "down", &conf.display().to_string()])?;
        } else {
            host.run(&["ip", "link", "del", "dev", iface])?;
        }
    }
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
        host.mark_changed(true);
    }
    Ok(Some(now))
}

/// camvpn's firewall as it was before apply loaded its own, to put back
/// should the tunnel fail after it.
enum FirewallBefore {
    /// `nft -s list table inet camvpn` (`None`: no table).
    Nft(Option<Vec<u8>>),
    /// `iptables-save` and `ip6tables-save`.
    Iptables(Vec<(&'static str, String)>),
    /// A dry run: nothing was loaded.
    Nothing,
}

impl FirewallBefore {
    /// Puts it back; an error (naming `cause`) when that fails.
    fn restore(&self, rescue_dir: &Path, cause: &Error) -> Result<()> {
        match self {
            FirewallBefore::Nothing => Ok(()),
            FirewallBefore::Nft(table) => {
                // One transaction: the table as it was, or none.
                let mut script = b"add table inet camvpn\ndelete table inet camvpn\n".to_vec();
                if let Some(t) = table {
                    script.extend_from_slice(t);
                }
                let now = exec(&["nft", "-f", "-"], Some(&script))
                    .map(|_| Host::state(&["nft", "-s", "list", "table", "inet", "camvpn"]));
                match now {
                    Ok(now) if now == *table => Ok(()),
                    Ok(_) => Err(Error::Failed(format!(
                        "{cause}; putting back the table inet camvpn of before left another: see nft list table inet camvpn"
                    ))),
                    Err(why) => Err(Error::Failed(format!(
                        "{cause}; putting back the table inet camvpn of before FAILED ({why})"
                    ))),
                }
            }
            FirewallBefore::Iptables(saved) => match roll_back(saved, rescue_dir, cause) {
                (true, _) => Ok(()),
                (false, e) => Err(e),
            },
        }
    }
}

fn load_nft(host: &mut Host<'_>, rules: &[u8]) -> Result<FirewallBefore> {
    let text = String::from_utf8_lossy(rules).into_owned();
    (host.report)(Event::Content("camvpn.nft".into(), text));
    // The check parses against the running kernel; the load is one transaction.
    host.run_input(&["nft", "-c", "-f", "-"], rules, "camvpn.nft")?;
    // camvpn's table as nft lists it, without counters (none when absent).
    let table = || Host::state(&["nft", "-s", "list", "table", "inet", "camvpn"]);
    let before = table();
    host.run_input(&["nft", "-f", "-"], rules, "camvpn.nft")?;
    host.mark_changed(table() != before);
    Ok(if host.dry_run {
        FirewallBefore::Nothing
    } else {
        FirewallBefore::Nft(before)
    })
}

/// Loads camvpn's chains for both families; when that fails, the rules of
/// before are put back (see [`roll_back`]).
fn load_iptables(
    host: &mut Host<'_>,
    v4: &[u8],
    v6: &[u8],
    rescue_dir: &Path,
) -> Result<FirewallBefore> {
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
    match result {
        Ok(()) => {
            if !host.dry_run {
                for (tool, before) in &saved {
                    let now = exec(&[&format!("{tool}-save")], None)?.stdout;
                    host.mark_changed(comparable(&now) != comparable(before));
                }
            }
            Ok(if host.dry_run {
                FirewallBefore::Nothing
            } else {
                FirewallBefore::Iptables(saved)
            })
        }
        Err(e) => Err(roll_back(&saved, rescue_dir, &e).1),
    }
}

/// A dump as `*-save` prints it, without what changes by itself: comments
/// (a timestamp) and the packet counters of the chains.
fn comparable(dump: &str) -> Vec<&str> {
    dump.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            if l.starts_with(':') {
                l.split(" [").next().unwrap_or(l)
            } else {
                l
            }
        })
        .collect()
}

/// Puts the `saved` rules back after loading failed with `cause`, checks
/// that each family now holds exactly what it held before, and says so. A
/// family that could not be put back is reported with the file camvpn kept
/// its rules in and the command that restores them by hand. The flag: every
/// family was put back.
fn roll_back(saved: &[(&str, String)], rescue_dir: &Path, cause: &Error) -> (bool, Error) {
    let mut restored = Vec::new();
    let mut failed = Vec::new();
    for (tool, rules) in saved {
        let put_back = exec(&[&format!("{tool}-restore")], Some(rules.as_bytes()))
            .map_err(|e| e.to_string())
            .and_then(|_| {
                let now = exec(&[&format!("{tool}-save")], None).map_err(|e| e.to_string())?;
                if comparable(&now.stdout) == comparable(rules) {
                    Ok(())
                } else {
                    Err(format!("`{tool}-save` shows other rules than before apply"))
                }
            });
        match put_back {
            Ok(()) => restored.push(*tool),
            Err(why) => failed.push((*tool, rules, why)),
        }
    }
    if failed.is_empty() {
        return (
            true,
            Error::Failed(format!(
                "{cause}; the previous iptables and ip6tables rules were restored ({} checked with iptables-save)",
                restored.join(" and ")
            )),
        );
    }
    let mut msg =
        format!("{cause}; restoring the previous rules FAILED, so the firewall is not as it was:");
    for tool in &restored {
        let _ = write!(msg, "\n  {tool}: restored as before apply");
    }
    for (tool, rules, why) in &failed {
        let file = rescue_dir.join(format!("{tool}-before-apply.rules"));
        let kept = write_file(&file, rules.as_bytes(), SECRET_FILE);
        let _ = write!(
            msg,
            "\n  {tool}: NOT restored ({why}); what is loaded now is camvpn's new rules or part of them (see {tool}-save)"
        );
        match kept {
            Ok(()) => {
                let _ = write!(
                    msg,
                    "\n    restore by hand with: {tool}-restore < {}",
                    file.display()
                );
            }
            Err(e) => {
                let _ = write!(msg, "\n    the saved rules could not be kept either ({e})");
            }
        }
    }
    (false, Error::Failed(msg))
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
                }
                // camvpn's chains: the hooked ones and those of the access
                // lists. They jump into each other: all are flushed first.
                for table in ["filter", "nat"] {
                    let chains = camvpn_chains(tool, table);
                    for c in &chains {
                        host.run(&[tool, "-t", table, "-F", c])?;
                    }
                    for c in &chains {
                        host.run(&[tool, "-t", table, "-X", c])?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// The chains named `CAMVPN_*` in `table` of `tool`.
fn camvpn_chains(tool: &str, table: &str) -> Vec<String> {
    let Some(out) = Host::probe(&[tool, "-t", table, "-S"]) else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("-N "))
        .filter(|c| c.starts_with("CAMVPN_"))
        .map(str::to_owned)
        .collect()
}

/// Takes a site off this host: the firewall, the interface, the config file,
/// and forwarding as it was before camvpn.
pub(super) fn undo(site: &Site, opts: &ApplyOptions, report: &mut dyn FnMut(Event)) -> Result<()> {
    if site.platform != Platform::Linux {
        return Err(Error::Conflict(
            "apply --undo is for Linux hosts; on OpenWrt delete camvpn's sections (uci show network firewall | grep camvpn_) and the interface, then reload".into(),
        ));
    }
    let state = read_state(&opts.state_file)?;
    let mut host = Host::new(opts.dry_run, report);
    let (firewall, iface, wg_conf) = match &state {
        Some(s) => (s.firewall, s.interface.clone(), s.wg_conf.clone()),
        None => (
            opts.firewall,
            site.interface.to_string(),
            opts.wg_dir.join(format!("{}.conf", site.interface)),
        ),
    };
    wg_down(&mut host, &iface, &wg_conf)?;
    if let Some(relay) = state.as_ref().and_then(|s| s.relay_conf.as_ref()) {
        wg_down(&mut host, RELAY_IF, relay)?;
        host.remove(relay)?;
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
