//! The real WireGuard tools accept what camvpn renders.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{Netns, Site, conf_value, root_or_skip, tool, unique};

/// `wg-quick strip` of a rendered config (wg-quick wants to run as root).
fn strip(conf: &Path) -> String {
    tool(Command::new("wg-quick").arg("strip").arg(conf))
}

fn set(lines: &str) -> BTreeSet<String> {
    lines
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn wg_setconf_loads_server_and_peer_configs_into_wireguard_go() {
    if !root_or_skip("wg-quick strip + wg setconf into wireguard-go") {
        return;
    }
    let s = Site::new();
    // An IP endpoint: wg setconf would have to resolve a name.
    s.init_at("203.0.113.1");
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "nvr"])
        .ok();
    s.cmd()
        .args(["peer", "add", "owner", "--full-tunnel", "--keepalive", "25"])
        .ok();
    let out = s.render(&[]);
    let export: serde_json::Value =
        serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap();

    let mut ns = Netns::new("cvt");
    let iface = unique("cvs");
    ns.wireguard_go(&iface);
    let stripped = s.path("server.stripped");
    fs::write(&stripped, strip(&out.join("wg0.conf"))).unwrap();
    tool(ns.exec("wg").args(["setconf", &iface]).arg(&stripped));
    let show = |what: &str| tool(ns.exec("wg").args(["show", &iface, what]));
    assert_eq!(show("public-key").trim(), export["server"]["public_key"]);
    assert_eq!(show("listen-port").trim(), "51820");
    let want_peers: BTreeSet<String> = export["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["public_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(set(&show("peers")), want_peers);
    let want_psk: BTreeSet<String> = export["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}",
                p["public_key"].as_str().unwrap(),
                p["preshared_key"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(set(&show("preshared-keys")), want_psk);
    let want_ips: BTreeSet<String> = export["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {}/32",
                p["public_key"].as_str().unwrap(),
                p["address"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(set(&show("allowed-ips")), want_ips);

    // Each phone's config loads into an interface of its own.
    for peer in export["peers"].as_array().unwrap() {
        let name = peer["name"].as_str().unwrap();
        let conf = out.join(format!("peers/{name}.conf"));
        let text = fs::read_to_string(&conf).unwrap();
        let iface = unique("cvp");
        ns.wireguard_go(&iface);
        let stripped = s.path(&format!("{name}.stripped"));
        fs::write(&stripped, strip(&conf)).unwrap();
        tool(ns.exec("wg").args(["setconf", &iface]).arg(&stripped));
        let show = |what: &str| tool(ns.exec("wg").args(["show", &iface, what]));
        assert_eq!(show("public-key").trim(), peer["public_key"]);
        assert_eq!(show("peers").trim(), export["server"]["public_key"]);
        let endpoints = show("endpoints");
        assert!(endpoints.trim_end().ends_with(":51820"), "{endpoints}");
        let allowed = show("allowed-ips");
        let want = conf_value(&text, "AllowedIPs").unwrap().replace(',', "");
        assert_eq!(
            allowed.split_whitespace().skip(1).collect::<BTreeSet<_>>(),
            want.split_whitespace().collect::<BTreeSet<_>>(),
            "{name}"
        );
        if name == "owner" {
            assert!(show("persistent-keepalive").contains("25"));
        }
    }
}
