//! The OpenWrt batch judged by OpenWrt's own `uci` and firewall4 (built from
//! pinned sources in `../shared/openwrt`): the batch applies, fw4 renders a
//! ruleset `nft` accepts, re-runs change nothing, and the rules stay flat as
//! phones are added.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use camvpn::formats::uci;

use crate::common::{Site, owrt_or_skip, tool};
use crate::openwrt::{accepted_tuples, policy_tuples};

const STOCK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");

/// OpenWrt's tools on one config directory.
struct Router {
    owrt: PathBuf,
    cfg: PathBuf,
}

impl Router {
    /// A router with the stock config (and its old port forwards).
    fn stock(owrt: PathBuf, s: &Site, name: &str) -> Self {
        let cfg = s.path(name);
        fs::create_dir_all(&cfg).unwrap();
        for f in ["network", "firewall", "system", "upnpd"] {
            fs::copy(Path::new(STOCK).join(f), cfg.join(f)).unwrap();
        }
        Router { owrt, cfg }
    }

    /// Renders the site against this router's config, applies the batch
    /// with the real `uci batch` and commits it.
    fn apply(&self, s: &Site) -> String {
        let out = s.path("out");
        s.cmd()
            .args(["render", "--no-peers", "--out"])
            .arg(&out)
            .arg("--uci-dir")
            .arg(&self.cfg)
            .ok();
        let batch = fs::read_to_string(out.join("camvpn.uci")).unwrap();
        let mut child = Command::new(&self.owrt)
            .arg("uci")
            .arg(&self.cfg)
            .arg("batch")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), batch.as_bytes()).unwrap();
        let done = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&done.stderr);
        assert!(
            done.status.success() && !err.contains("uci: "),
            "uci batch refused camvpn.uci: {err}"
        );
        // The batch ends with its own commits: nothing may be left over.
        let changes = tool(
            Command::new(&self.owrt)
                .arg("uci")
                .arg(&self.cfg)
                .arg("changes"),
        );
        assert_eq!(changes.trim(), "", "the batch left uncommitted changes");
        batch
    }

    /// The ruleset firewall4 would load; checked by `nft -c`.
    fn fw4(&self) -> String {
        let out = Command::new(&self.owrt)
            .arg("fw4")
            .arg(&self.cfg)
            .env("OWRT_WAN_ADDR", "203.0.113.1/24")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "fw4 refused the config: {err}");
        // fw4 warns on stderr about sections it skips or does not
        // understand; none of them may be camvpn's.
        assert!(
            !err.lines().any(|l| l.contains("camvpn")),
            "fw4 warns about camvpn's sections: {err}"
        );
        let ruleset = String::from_utf8(out.stdout).unwrap();
        let mut nft = Command::new("nft")
            .args(["-c", "-f", "-"])
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut nft.stdin.take().unwrap(), ruleset.as_bytes()).unwrap();
        let checked = nft.wait_with_output().unwrap();
        assert!(
            checked.status.success(),
            "nft -c refused fw4's ruleset: {}",
            String::from_utf8_lossy(&checked.stderr)
        );
        ruleset
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.cfg.join(name)).unwrap()
    }
}

/// camvpn's rules in a fw4 ruleset (fw4 keeps a rule's name as comment).
fn camvpn_rules(ruleset: &str) -> usize {
    ruleset
        .lines()
        .filter(|l| l.contains("comment \"!fw4: camvpn"))
        .count()
}

fn export(s: &Site) -> serde_json::Value {
    serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap()
}

#[test]
fn real_uci_and_fw4_take_the_batch_and_rules_stay_flat_as_phones_are_added() {
    let Some(owrt) = owrt_or_skip("openwrt: the batch in OpenWrt's uci and firewall4") else {
        return;
    };
    let mut counts = Vec::new();
    for phones in [5, 50] {
        let s = Site::new();
        s.init_big("openwrt", phones, 16);
        // Cameras known by MAC (IPv6 closed by fw4's src_mac), one with
        // its SLAAC address derived under the LAN's prefix.
        s.cmd()
            .args(["site", "set", "--lan6", "2001:db8:2::/64"])
            .ok();
        for (c, mac) in [("c1", "00:11:22:33:44:01"), ("c2", "00:11:22:33:44:02")] {
            s.cmd().args(["camera", "set", c, "--mac", mac]).ok();
        }
        let r = Router::stock(owrt.clone(), &s, "router");
        let batch = r.apply(&s);
        let ruleset = r.fw4();
        // miniupnpd refuses mappings to the cameras before its own rules.
        let upnpd = uci::parse(&r.file("upnpd"), "upnpd").unwrap();
        let actions: Vec<String> = upnpd
            .of_type("perm_rule")
            .map(|(_, p)| p.get_str("action").unwrap())
            .collect();
        assert_eq!(actions.len(), 16 + 2);
        assert!(actions[..16].iter().all(|a| a == "deny"), "{actions:?}");
        assert_eq!(actions[16], "allow", "{actions:?}");
        // The committed firewall allows exactly the policy's tuples.
        let fw = uci::parse(&r.file("firewall"), "firewall").unwrap();
        assert_eq!(accepted_tuples(&fw), policy_tuples(&export(&s)));
        // Every phone is an element of its list's set in fw4's ruleset.
        for p in export(&s)["peers"].as_array().unwrap() {
            let ip = p["address"].as_str().unwrap();
            assert!(
                ruleset.contains(&format!("{ip},")) || ruleset.contains(&format!("{ip} ")),
                "{ip} is in no set of fw4's ruleset"
            );
        }
        assert!(
            ruleset.contains("ether saddr { 00:11:22:33:44:01, 00:11:22:33:44:02 }")
                && ruleset.contains("2001:db8:2:0:211:22ff:fe33:4401"),
            "fw4 did not close the cameras' IPv6 by MAC"
        );
        counts.push((camvpn_rules(&ruleset), batch.lines().count()));
    }
    let ((rules5, lines5), (rules50, lines50)) = (counts[0], counts[1]);
    assert_eq!(rules5, rules50, "fw4 rules grew with phones");
    // 45 more phones cost their network sections and set entries: a few
    // lines each, not a rule per camera.
    assert!(
        (lines50 - lines5) <= 45 * 8,
        "the batch grew from {lines5} to {lines50} lines"
    );
}

#[test]
fn a_rerun_changes_nothing_and_a_removed_phone_leaves_no_trace() {
    let Some(owrt) = owrt_or_skip("openwrt: re-runs in OpenWrt's uci") else {
        return;
    };
    let s = Site::new();
    s.init_big("openwrt", 12, 4);
    let r = Router::stock(owrt, &s, "router");
    r.apply(&s);
    let (network, firewall) = (r.file("network"), r.file("firewall"));
    r.apply(&s);
    assert_eq!(r.file("network"), network, "a re-run changed network");
    assert_eq!(r.file("firewall"), firewall, "a re-run changed firewall");
    r.fw4();

    let gone = export(&s)["peers"][1].clone();
    let (name, ip) = (
        gone["name"].as_str().unwrap(),
        gone["address"].as_str().unwrap(),
    );
    let key = gone["public_key"].as_str().unwrap();
    s.cmd().args(["peer", "remove", name]).ok();
    r.apply(&s);
    for f in ["network", "firewall"] {
        let text = r.file(f);
        assert!(
            !text.contains(&format!("'{ip}'")) && !text.contains(key),
            "{name} ({ip}) is still in {f}"
        );
    }
    let ruleset = r.fw4();
    assert!(!ruleset.contains(&format!("{ip},")) && !ruleset.contains(&format!("{ip} ")));
    // The others are all still there.
    let peers: BTreeSet<String> = uci::parse(&r.file("network"), "network")
        .unwrap()
        .of_type("wireguard_wg0")
        .map(|(_, p)| p.get_str("description").unwrap())
        .collect();
    assert_eq!(peers.len(), 11);
    assert!(!peers.contains(name));
}

/// The relay tunnel: a second WireGuard interface in its own zone, which
/// lets in WireGuard to the router's port only and forwards nothing; `relay
/// off` takes interface, peer and zone away again.
#[test]
fn the_relay_tunnel_is_an_interface_of_its_own_zone_and_goes_with_relay_off() {
    let Some(owrt) = owrt_or_skip("owrt relay") else {
        return;
    };
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    s.cmd()
        .args(["site", "set", "--relay", "relay.example.net:443"])
        .ok();
    let r = Router::stock(owrt.clone(), &s, "cfg");
    r.apply(&s);
    let get = |key: &str| {
        let out = Command::new(&owrt)
            .arg("uci")
            .arg(&r.cfg)
            .args(["-q", "get", key])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(get("network.wgrelay.proto"), "wireguard");
    assert_eq!(
        get("network.camvpn_relay.endpoint_host"),
        "relay.example.net"
    );
    assert_eq!(get("network.camvpn_relay.endpoint_port"), "444");
    let key = fs::read_to_string(s.dir().join("keys/relay-router.key")).unwrap();
    assert_eq!(get("network.wgrelay.private_key"), key.trim());
    let ruleset = r.fw4();
    let chain = |name: &str| -> String {
        let start = ruleset
            .find(&format!("chain {name} {{"))
            .unwrap_or_else(|| panic!("fw4 made no chain {name}:\n{ruleset}"));
        let end = start + ruleset[start..].find('}').unwrap();
        ruleset[start..end].to_owned()
    };
    let input = chain("input_vpnrelay");
    assert!(input.contains("udp dport 51820 counter accept"), "{input}");
    assert!(input.contains("jump reject_from_vpnrelay"), "{input}");
    let forward = chain("forward_vpnrelay");
    assert!(!forward.contains("accept"), "{forward}");
    // Only the router's own output goes into the relay tunnel: no zone
    // forwards to it.
    assert_eq!(ruleset.matches("jump accept_to_vpnrelay").count(), 1);
    assert!(chain("output_vpnrelay").contains("jump accept_to_vpnrelay"));

    s.cmd().args(["site", "set", "--relay", "off"]).ok();
    r.apply(&s);
    for gone in [
        "network.wgrelay",
        "network.camvpn_relay",
        "firewall.camvpn_relay_zone",
    ] {
        assert_eq!(get(gone), "", "{gone} is left after relay off");
    }
    assert!(!r.fw4().contains("vpnrelay"));
}
