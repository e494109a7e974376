//! The OpenWrt output as an installer uses it from a laptop: `/etc/config`
//! copied from the router, `render --uci-dir COPY`, then `camvpn-openwrt.sh`
//! run on the router under `BusyBox` ash, with the uci model of
//! `tests/tools/uci` as the router's `uci` (OpenWrt's own is in no registry
//! the tests reach). The script refuses a stale copy and changes nothing;
//! from a fresh copy it keeps every forward that is not a camera's, and the
//! rules stay flat as phones are added.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use camvpn::formats::uci;

use crate::common::{Router, Site, files_below, tool};
use crate::openwrt::{accepted_tuples, policy_tuples};

/// Renders the site against the copy of `/etc/config` in `copy`.
fn render_from(s: &Site, copy: &std::path::Path) -> PathBuf {
    let out = s.path("out");
    s.cmd()
        .args(["render", "--no-peers", "--out"])
        .arg(&out)
        .arg("--uci-dir")
        .arg(copy)
        .ok();
    out
}

/// A visit: a fresh copy of the router's config, rendered, and the script
/// run on the router; it must succeed and commit everything.
fn visit(s: &Site, r: &Router) -> String {
    let copy = r.copy(s, "copy");
    let out = render_from(s, &copy);
    let ran = r.run(&out.join("camvpn-openwrt.sh"));
    assert_eq!(
        ran.code, 0,
        "the script failed: {}{}",
        ran.stdout, ran.stderr
    );
    assert_eq!(
        r.uci(&["changes"]),
        "",
        "the batch left uncommitted changes"
    );
    fs::read_to_string(out.join("camvpn.uci")).unwrap()
}

fn export(s: &Site) -> serde_json::Value {
    serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap()
}

/// The names of the router's port forwards, in order.
fn forwards(r: &Router) -> Vec<String> {
    uci::parse(&r.file("firewall"), "firewall")
        .unwrap()
        .of_type("redirect")
        .map(|(_, f)| f.get_str("name").unwrap_or_default())
        .collect()
}

#[test]
fn the_script_is_clean_posix_sh_and_names_what_the_router_needs() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let out = render_from(&s, std::path::Path::new(crate::common::OPENWRT_STOCK));
    let script = out.join("camvpn-openwrt.sh");
    tool(Command::new("shellcheck").args(["-s", "sh"]).arg(&script));
    let text = fs::read_to_string(&script).unwrap();
    for says in [
        "kmod-wireguard wireguard-tools",
        "scp -O camvpn-openwrt.sh",
        "On the router:\n#   sh /tmp/camvpn-openwrt.sh",
        "holds the router's private key: delete it",
    ] {
        assert!(text.contains(says), "the header does not say {says:?}");
    }
    // The batch's own header sends the user to the script.
    let batch = fs::read_to_string(out.join("camvpn.uci")).unwrap();
    assert!(batch.contains("On the router:\n#   sh camvpn-openwrt.sh"));
    assert_eq!(
        fs::metadata(&script).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

/// Issue 25: a second visit from the copy of the first deleted the owner's
/// other forwards (indices had shifted); the script refuses it and changes
/// nothing, and a fresh copy keeps every forward that is not a camera's.
#[test]
fn a_stale_copy_is_refused_and_a_fresh_copy_keeps_every_other_forward() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let r = Router::stock(&s, "router");
    let stock = forwards(&r);
    assert_eq!(
        stock,
        ["NAS web", "Camera-RTSP", "", "NVR web (old)", "Game"],
        "the stock config changed"
    );
    // The first visit: the camera forwards go, the NAS and the game stay.
    let stale = r.copy(&s, "stale");
    let ran = r.run(&render_from(&s, &stale).join("camvpn-openwrt.sh"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(forwards(&r), ["NAS web", "Game"]);
    assert_eq!(
        r.reloads(),
        "ubus call network reload\nfw4 reload\nubus call rc init {\"name\":\"miniupnpd\",\"action\":\"restart\"}\n"
    );
    // The owner adds a forward of their own, anonymous, as LuCI does.
    r.uci(&["add", "firewall", "redirect"]);
    for (k, v) in [
        ("name", "Printer"),
        ("src", "wan"),
        ("src_dport", "9100"),
        ("dest_ip", "192.168.1.60"),
        ("proto", "tcp"),
    ] {
        r.uci(&["set", &format!("firewall.@redirect[-1].{k}={v}")]);
    }
    r.uci(&["commit", "firewall"]);

    // The second visit renders from the first visit's copy.
    s.cmd().args(["peer", "add", "tablet"]).ok();
    let out = render_from(&s, &stale);
    // Without the check, the batch from the stale copy deletes the game's
    // forward in place of the old NVR's (the danger the script prevents).
    let unguarded = Router::stock(&s, "unguarded");
    r.copy(&s, "unguarded");
    unguarded.batch(&fs::read_to_string(out.join("camvpn.uci")).unwrap());
    assert_eq!(forwards(&unguarded), ["NAS web", "Printer"]);

    let before = files_below(&r.cfg);
    let refused = r.run(&out.join("camvpn-openwrt.sh"));
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("differs from the copy")
            && refused
                .stderr
                .contains("copy /etc/config from the router again"),
        "{}",
        refused.stderr
    );
    assert_eq!(
        files_below(&r.cfg),
        before,
        "a refused script changed the router"
    );
    assert_eq!(r.reloads(), "", "a refused script reloaded");

    // A fresh copy: every forward that is not a camera's stays, the new
    // phone is there, and no phone is there twice.
    visit(&s, &r);
    assert_eq!(forwards(&r), ["NAS web", "Game", "Printer"]);
    let net = uci::parse(&r.file("network"), "network").unwrap();
    let peers: Vec<String> = net
        .of_type("wireguard_wg0")
        .map(|(_, p)| p.get_str("description").unwrap())
        .collect();
    assert_eq!(peers, ["phone", "tablet"]);
    let fw = uci::parse(&r.file("firewall"), "firewall").unwrap();
    assert_eq!(accepted_tuples(&fw), policy_tuples(&export(&s)));
}

/// A forward the owner inserted before the camera forwards shifts their
/// places: refused. One added after them does not: kept.
#[test]
fn a_copy_is_refused_when_a_forward_was_put_before_the_camera_forwards() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let r = Router::stock(&s, "router");
    let copy = r.copy(&s, "copy");
    let out = render_from(&s, &copy);
    r.uci(&["add", "firewall", "redirect"]);
    r.uci(&["set", "firewall.@redirect[-1].name=VoIP"]);
    r.uci(&["set", "firewall.@redirect[-1].dest_ip=192.168.1.70"]);
    r.uci(&["reorder", "firewall.@redirect[-1]=0"]);
    r.uci(&["commit", "firewall"]);
    let before = files_below(&r.cfg);
    assert_eq!(r.run(&out.join("camvpn-openwrt.sh")).code, 1);
    assert_eq!(files_below(&r.cfg), before);

    let r = Router::stock(&s, "router2");
    let copy = r.copy(&s, "copy2");
    let out = render_from(&s, &copy);
    r.uci(&["add", "firewall", "redirect"]);
    r.uci(&["set", "firewall.@redirect[-1].name=VoIP"]);
    r.uci(&["set", "firewall.@redirect[-1].dest_ip=192.168.1.70"]);
    r.uci(&["commit", "firewall"]);
    let ran = r.run(&out.join("camvpn-openwrt.sh"));
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_eq!(forwards(&r), ["NAS web", "Game", "VoIP"]);
}

/// camvpn's own sections on the router must be those of the copy: from a
/// copy taken before another visit added a phone, the batch would not
/// delete that phone's sections, and a phone removed since would keep its
/// access.
#[test]
fn a_copy_without_camvpns_sections_of_the_router_is_refused() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let r = Router::stock(&s, "router");
    visit(&s, &r);
    let old = r.copy(&s, "old");
    s.cmd().args(["peer", "add", "tablet"]).ok();
    visit(&s, &r);
    s.cmd().args(["peer", "remove", "tablet"]).ok();
    let out = render_from(&s, &old);
    let before = files_below(&r.cfg);
    let ran = r.run(&out.join("camvpn-openwrt.sh"));
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr.contains("camvpn's sections in network differ"),
        "{}",
        ran.stderr
    );
    assert_eq!(files_below(&r.cfg), before);
    // The same batch fed to uci by hand leaves the removed tablet on the
    // router: the danger the check prevents.
    r.batch(&fs::read_to_string(out.join("camvpn.uci")).unwrap());
    assert!(r.get("network.camvpn_peer_tablet.public_key").is_some());
}

#[test]
fn uncommitted_changes_on_the_router_are_refused() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let r = Router::stock(&s, "router");
    let copy = r.copy(&s, "copy");
    let out = render_from(&s, &copy);
    r.uci(&["set", "system.ntp.enable_server=0"]);
    let before = files_below(&r.cfg);
    let ran = r.run(&out.join("camvpn-openwrt.sh"));
    assert_eq!(ran.code, 1);
    assert!(
        ran.stderr.contains("uncommitted uci changes"),
        "{}",
        ran.stderr
    );
    assert_eq!(files_below(&r.cfg), before);
}

#[test]
fn the_batch_applies_and_rules_stay_flat_as_phones_are_added() {
    let mut counts = Vec::new();
    for phones in [5, 50] {
        let s = Site::new();
        s.init_big("openwrt", phones, 16);
        s.cmd()
            .args(["site", "set", "--lan6", "2001:db8:2::/64"])
            .ok();
        for (c, mac) in [("c1", "00:11:22:33:44:01"), ("c2", "00:11:22:33:44:02")] {
            s.cmd().args(["camera", "set", c, "--mac", mac]).ok();
        }
        let r = Router::stock(&s, "router");
        let batch = visit(&s, &r);
        // miniupnpd refuses mappings to the cameras before its own rules.
        let upnpd = uci::parse(&r.file("upnpd"), "upnpd").unwrap();
        let actions: Vec<String> = upnpd
            .of_type("perm_rule")
            .map(|(_, p)| p.get_str("action").unwrap())
            .collect();
        assert_eq!(actions.len(), 16 + 2);
        assert!(actions[..16].iter().all(|a| a == "deny"), "{actions:?}");
        assert_eq!(actions[16], "allow", "{actions:?}");
        // The committed firewall allows exactly the policy's tuples, and
        // every phone is in its list's set.
        let fw = uci::parse(&r.file("firewall"), "firewall").unwrap();
        assert_eq!(accepted_tuples(&fw), policy_tuples(&export(&s)));
        let entries: BTreeSet<String> = fw
            .of_type("ipset")
            .flat_map(|(_, i)| i.get_words("entry"))
            .collect();
        for p in export(&s)["peers"].as_array().unwrap() {
            assert!(entries.contains(p["address"].as_str().unwrap()));
        }
        // The cameras' IPv6 closed by MAC.
        let macs: BTreeSet<String> = fw
            .of_type("rule")
            .flat_map(|(_, r)| r.get_words("src_mac"))
            .collect();
        assert!(macs.contains("00:11:22:33:44:01") && macs.contains("00:11:22:33:44:02"));
        // The tunnel reaches the router itself for DNS and ping only: the
        // zone rejects input, and no other rule from it lacks a destination.
        assert_eq!(
            r.get("firewall.camvpn_zone.input").as_deref(),
            Some("REJECT")
        );
        let to_router: BTreeSet<String> = fw
            .sections
            .iter()
            .filter(|s| {
                s.stype == "rule"
                    && s.get_str("src").as_deref() == Some("vpn")
                    && s.get("dest").is_none()
            })
            .filter_map(|s| s.name.clone())
            .collect();
        assert_eq!(
            to_router,
            ["camvpn_dns", "camvpn_ping"].map(String::from).into()
        );
        let rules = fw
            .sections
            .iter()
            .filter(|s| {
                s.stype == "rule" && s.name.as_deref().is_some_and(|n| n.starts_with("camvpn_"))
            })
            .count();
        counts.push((rules, batch.lines().count()));
    }
    let ((rules5, lines5), (rules50, lines50)) = (counts[0], counts[1]);
    assert_eq!(rules5, rules50, "firewall rules grew with phones");
    assert!(
        (lines50 - lines5) <= 45 * 8,
        "the batch grew from {lines5} to {lines50} lines"
    );
}

#[test]
fn a_rerun_changes_nothing_and_a_removed_phone_leaves_no_trace() {
    let s = Site::new();
    s.init_big("openwrt", 12, 4);
    let r = Router::stock(&s, "router");
    visit(&s, &r);
    let (network, firewall) = (r.file("network"), r.file("firewall"));
    visit(&s, &r);
    assert_eq!(r.file("network"), network, "a re-run changed network");
    assert_eq!(r.file("firewall"), firewall, "a re-run changed firewall");

    let gone = export(&s)["peers"][1].clone();
    let (name, ip) = (
        gone["name"].as_str().unwrap(),
        gone["address"].as_str().unwrap(),
    );
    let key = gone["public_key"].as_str().unwrap();
    s.cmd().args(["peer", "remove", name]).ok();
    visit(&s, &r);
    for f in ["network", "firewall"] {
        let text = r.file(f);
        assert!(
            !text.contains(&format!("'{ip}'")) && !text.contains(key),
            "{name} ({ip}) is still in {f}"
        );
    }
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
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    s.cmd()
        .args(["site", "set", "--relay", "relay.example.net:443"])
        .ok();
    let r = Router::stock(&s, "cfg");
    visit(&s, &r);
    let get = |k: &str| r.get(k).unwrap_or_default();
    assert_eq!(get("network.wgrelay.proto"), "wireguard");
    assert_eq!(
        get("network.camvpn_relay.endpoint_host"),
        "relay.example.net"
    );
    assert_eq!(get("network.camvpn_relay.endpoint_port"), "444");
    let key = fs::read_to_string(s.dir().join("keys/relay-router.key")).unwrap();
    assert_eq!(get("network.wgrelay.private_key"), key.trim());
    assert_eq!(get("firewall.camvpn_relay_zone.network"), "wgrelay");
    assert_eq!(get("firewall.camvpn_relay_zone.forward"), "REJECT");
    assert_eq!(get("firewall.camvpn_relay_wg.src"), "vpnrelay");
    assert_eq!(get("firewall.camvpn_relay_wg.dest_port"), "51820");
    // No forwarding to or from the relay's zone.
    let fw = uci::parse(&r.file("firewall"), "firewall").unwrap();
    assert!(!fw.of_type("forwarding").any(|(_, f)| {
        f.get_str("src").as_deref() == Some("vpnrelay")
            || f.get_str("dest").as_deref() == Some("vpnrelay")
    }));

    s.cmd().args(["site", "set", "--relay", "off"]).ok();
    visit(&s, &r);
    for gone in [
        "network.wgrelay",
        "network.camvpn_relay",
        "firewall.camvpn_relay_zone",
    ] {
        assert_eq!(r.get(gone), None, "{gone} is left after relay off");
    }
}
