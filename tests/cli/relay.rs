//! The relay for sites behind carrier-grade NAT: its files, what they hold
//! and do not hold, judged by wg, wg-quick and nft; `site set --relay`.
//! The packets go through it in the lab (relay.sh).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{Netns, Site, conf_value, root_or_skip, tool};

/// The stock configs of an OpenWrt router (the target reads them).
const OPENWRT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");

fn relay_site(platform: &str) -> Site {
    relay_site_at(platform, "relay.example.net:443")
}

fn relay_site_at(platform: &str, relay: &str) -> Site {
    let s = Site::new();
    s.init_demo(platform, "vpn.example.net");
    s.cmd().args(["site", "set", "--relay", relay]).ok();
    s
}

fn read(path: &std::path::Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every secret of the site that is not the relay's own.
fn site_secrets(s: &Site) -> Vec<String> {
    let mut out = Vec::new();
    for e in fs::read_dir(s.dir().join("keys")).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name != "relay.key" {
            out.push(read(&path).trim().to_owned());
        }
    }
    out
}

#[test]
fn the_relay_holds_its_own_key_and_no_other_secret() {
    for platform in ["linux", "openwrt", "ddwrt"] {
        let s = relay_site(platform);
        let out = s.render(&["--no-qr", "--uci-dir", OPENWRT]);
        let relay_key = read(&s.dir().join("keys/relay.key")).trim().to_owned();
        let wg0 = read(&out.join("relay/wg0.conf"));
        assert_eq!(
            conf_value(&wg0, "PrivateKey"),
            Some(relay_key),
            "{platform}"
        );
        assert_eq!(conf_value(&wg0, "ListenPort").as_deref(), Some("444"));
        let secrets = site_secrets(&s);
        assert!(secrets.len() >= 4, "server, relay-router, peer key and psk");
        for f in ["wg0.conf", "camvpn-relay.nft", "README.txt"] {
            let text = read(&out.join("relay").join(f));
            for k in &secrets {
                assert!(
                    !text.contains(k.as_str()),
                    "{platform}: relay/{f} holds a secret"
                );
            }
        }
        let mode = fs::metadata(out.join("relay/wg0.conf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{platform}: the relay's key file");
        // Phones dial the relay.
        let phone = read(&out.join("peers/phone.conf"));
        assert_eq!(
            conf_value(&phone, "Endpoint").as_deref(),
            Some("relay.example.net:443"),
            "{platform}"
        );
    }
}

#[test]
fn relay_off_removes_its_keys_and_phones_dial_the_router_again() {
    let s = relay_site("linux");
    assert!(s.dir().join("keys/relay.key").exists());
    let before = read(&s.dir().join("keys/relay.key"));
    // Another port keeps the keys (the relay host stays the same).
    s.cmd()
        .args(["site", "set", "--relay", "relay.example.net:8443"])
        .ok();
    assert_eq!(read(&s.dir().join("keys/relay.key")), before);
    s.cmd().args(["site", "set", "--relay", "off"]).ok();
    assert!(!s.dir().join("keys/relay.key").exists());
    assert!(!s.dir().join("keys/relay-router.key").exists());
    assert!(!s.site_toml().contains("relay"));
    let out = s.render(&["--no-qr"]);
    assert!(!out.join("relay").exists());
    assert!(!out.join("wgrelay.conf").exists());
    let phone = read(&out.join("peers/phone.conf"));
    assert_eq!(
        conf_value(&phone, "Endpoint").as_deref(),
        Some("vpn.example.net:51820")
    );
}

#[test]
fn a_bad_relay_exits_2_and_changes_nothing() {
    let s = Site::new();
    s.init();
    let before = s.files();
    let r = s
        .cmd()
        .args(["site", "set", "--relay", "relay.example.net:65535"])
        .fails(2);
    assert!(r.stderr.contains("65535"), "{}", r.stderr);
    let r = s
        .cmd()
        .args(["site", "set", "--relay", "relay..example"])
        .fails(2);
    assert!(r.stderr.contains("relay..example"), "{}", r.stderr);
    assert_eq!(s.files(), before);
    // The relay tunnel's /30 inside the tunnel subnet.
    let s2 = Site::new();
    let r = s2
        .cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "vpn.example.net",
            "--wan-if",
            "eth0",
            "--lan-if",
            "br0",
            "--subnet",
            "10.255.0.0/16",
            "--relay",
            "relay.example.net",
        ])
        .fails(2);
    assert!(r.stderr.contains("relay tunnel"), "{}", r.stderr);
    assert!(!s2.dir().exists());
}

#[test]
fn wireguard_and_nft_accept_the_relay_and_router_files() {
    if !root_or_skip("wg setconf / nft -c of the relay files in a private namespace") {
        return;
    }
    // An address: wg resolves a name at once.
    let s = relay_site_at("linux", "203.0.113.9:443");
    let out = s.render(&["--no-qr"]);
    let mut ns = Netns::new("cvy");
    for (conf, iface, port, peer) in [
        ("relay/wg0.conf", "cvyr", "444", "relay-router.key"),
        ("wgrelay.conf", "cvyw", "", "relay.key"),
    ] {
        let stripped = tool(Command::new("wg-quick").arg("strip").arg(out.join(conf)));
        let file = s.path(&format!("{iface}.stripped"));
        fs::write(&file, stripped).unwrap();
        ns.wireguard_go(iface);
        tool(ns.exec("wg").args(["setconf", iface]).arg(&file));
        let dump = tool(ns.exec("wg").args(["show", iface, "dump"]));
        let mut lines = dump.lines();
        let own: Vec<&str> = lines.next().unwrap().split('\t').collect();
        if !port.is_empty() {
            assert_eq!(own[2], port, "{conf}: listen port");
        }
        let peers: Vec<&str> = lines.collect();
        assert_eq!(peers.len(), 1, "{conf}: one peer");
        // The peer is the other end: its public key is that of the other key file.
        let other = tool(
            Command::new("sh")
                .arg("-c")
                .arg("wg pubkey < \"$0\"")
                .arg(s.dir().join("keys").join(peer)),
        );
        assert!(peers[0].starts_with(other.trim()), "{conf}: {}", peers[0]);
    }
    tool(
        ns.exec("nft")
            .arg("-c")
            .arg("-f")
            .arg(out.join("relay/camvpn-relay.nft")),
    );
    tool(
        ns.exec("nft")
            .arg("-c")
            .arg("-f")
            .arg(out.join("camvpn.nft")),
    );
    tool(
        ns.exec("iptables-restore")
            .args(["--test", "--noflush"])
            .arg(out.join("camvpn.iptables")),
    );
}
