//! `init --adopt` (an existing WireGuard setup taken over, keys kept) and
//! `import` (a site from `export --secrets`), judged by `wg`, OpenWrt's own
//! `uci` and firewall4, and the DD-WRT script on the nvram stand-in.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use camvpn::formats::uci;

use crate::common::{Router, Site, files_below, tool};

const NVRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab");
const STOCK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");

/// A key pair made by the real `wg`: (private, public).
fn wg_keys() -> (String, String) {
    let private = tool(Command::new("wg").arg("genkey")).trim().to_owned();
    let mut child = Command::new("wg")
        .arg("pubkey")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), private.as_bytes()).unwrap();
    let public = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    (private, public.trim().to_owned())
}

/// A wg-quick config as a person writes it: alice with a PSK, bob without
/// one and with a LAN behind him.
struct Setup {
    server: (String, String),
    alice: (String, String),
    bob: (String, String),
    psk: String,
    conf: String,
}

fn setup() -> Setup {
    let server = wg_keys();
    let alice = wg_keys();
    let bob = wg_keys();
    let psk = tool(Command::new("wg").arg("genpsk")).trim().to_owned();
    let conf = format!(
        "[Interface]\nAddress = 10.8.0.1/24\nListenPort = 51821\nPrivateKey = {}\nPostUp = iptables -A FORWARD -i %i -j ACCEPT\n\n# Name = alice\n[Peer]\nPublicKey = {}\nPresharedKey = {psk}\nAllowedIPs = 10.8.0.2/32\n\n# bob\n[Peer]\nPublicKey = {}\nAllowedIPs = 10.8.0.3/32, 192.168.50.0/24\n",
        server.0, alice.1, bob.1
    );
    Setup {
        server,
        alice,
        bob,
        psk,
        conf,
    }
}

fn adopt(s: &Site, platform: &str, file: &Path, extra: &[&str]) -> crate::common::Ran {
    s.cmd()
        .args(["init", "--platform", platform, "--endpoint", "203.0.113.1"])
        .args(if platform == "linux" {
            &["--wan-if", "eth0", "--lan-if", "br0"][..]
        } else {
            &[][..]
        })
        .args(["--camera", "cam1=192.168.1.108:dahua", "--adopt"])
        .arg(file)
        .args(extra)
        .ok()
}

#[test]
fn a_wg_quick_setup_is_adopted_with_its_keys_addresses_and_names() {
    let s = Site::new();
    let w = setup();
    let file = s.path("wg0.conf");
    fs::write(&file, &w.conf).unwrap();
    let r = adopt(&s, "linux", &file, &["--peer", "carol"]);
    assert!(
        r.stderr.contains("left out") && r.stderr.contains("PostUp"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("192.168.50.0/24"), "{}", r.stderr);
    let peers: serde_json::Value =
        serde_json::from_str(&s.cmd().args(["peer", "list", "--json"]).ok().stdout).unwrap();
    let rows: Vec<(String, String, bool)> = peers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["address"].as_str().unwrap().to_owned(),
                p["own_key"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("alice".to_owned(), "10.8.0.2".to_owned(), true),
            ("bob".to_owned(), "10.8.0.3".to_owned(), true),
            ("carol".to_owned(), "10.8.0.4".to_owned(), false),
        ]
    );
    // The router's config: the same key and port, the old peers as they
    // were, accepted by wg.
    let out = s.render(&["--no-qr"]);
    let conf = fs::read_to_string(out.join("wg0.conf")).unwrap();
    assert!(conf.contains(&format!("PrivateKey = {}", w.server.0)));
    assert!(conf.contains("ListenPort = 51821"));
    let stripped = tool(
        Command::new("wg-quick")
            .arg("strip")
            .arg(out.join("wg0.conf")),
    );
    let peer = |key: &str| {
        stripped
            .split("[Peer]")
            .find(|p| p.contains(key))
            .unwrap_or_else(|| panic!("{key} not in {stripped}"))
            .to_owned()
    };
    let alice = peer(&w.alice.1);
    assert!(alice.contains(&format!("PresharedKey = {}", w.psk)));
    assert!(alice.contains("AllowedIPs = 10.8.0.2/32"));
    let bob = peer(&w.bob.1);
    assert!(!bob.contains("PresharedKey"), "{bob}");
    assert!(
        bob.contains("AllowedIPs = 10.8.0.3/32, 192.168.50.0/24"),
        "{bob}"
    );
    // alice keeps her own private key on her phone: camvpn has none.
    let alice_conf = fs::read_to_string(out.join("peers/alice.conf")).unwrap();
    assert!(alice_conf.contains(&format!("# PrivateKey = the private key of {}", w.alice.1)));
    assert!(!alice_conf.contains(&w.alice.0));
    let _ = w.bob.0;
}

#[test]
fn bad_setups_to_adopt_are_refused_with_their_line() {
    let w = setup();
    let dup_key = w.conf.replace(&w.bob.1, &w.alice.1);
    let dup_addr = w.conf.replace("10.8.0.3/32", "10.8.0.2/32");
    let outside = w
        .conf
        .replace("10.8.0.3/32, 192.168.50.0/24", "10.9.0.3/32");
    let no_key = w
        .conf
        .replace(&format!("PrivateKey = {}\n", w.server.0), "");
    let bad_key = w.conf.replace(&w.server.0, "not-a-key");
    let two = format!("{}\n[Interface]\nPrivateKey = {}\n", w.conf, w.server.0);
    for (text, says) in [
        (two.as_str(), "line 18: a second [Interface]"),
        (no_key.as_str(), "no PrivateKey"),
        (bad_key.as_str(), "line 4"),
        (
            dup_key.as_str(),
            "line 14: a second peer with the public key",
        ),
        (
            dup_addr.as_str(),
            "line 14: a second peer on the address 10.8.0.2",
        ),
        (
            outside.as_str(),
            "line 14: the peer has no address (a /32) in the tunnel subnet 10.8.0.0/24",
        ),
    ] {
        let s = Site::new();
        let file = s.path("wg0.conf");
        fs::write(&file, text).unwrap();
        let r = s
            .cmd()
            .args([
                "init",
                "--platform",
                "linux",
                "--endpoint",
                "203.0.113.1",
                "--adopt",
            ])
            .arg(&file)
            .fails(2);
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
        assert!(!s.dir().exists(), "{says}: the site was created");
    }
}

#[test]
fn an_adopted_openwrt_interface_is_updated_in_place() {
    let s = Site::new();
    let w = setup();
    let r = Router::stock(&s, "config");
    let network = format!(
        "{}\nconfig interface 'wg0'\n\toption proto 'wireguard'\n\toption private_key '{}'\n\toption listen_port '51821'\n\tlist addresses '10.8.0.1/24'\n\nconfig wireguard_wg0\n\toption description 'alice'\n\toption public_key '{}'\n\toption preshared_key '{}'\n\tlist allowed_ips '10.8.0.2/32'\n\nconfig wireguard_wg0 'wgpeer_bob'\n\toption description 'bob'\n\toption public_key '{}'\n\tlist allowed_ips '10.8.0.3/32'\n",
        r.file("network"),
        w.server.0,
        w.alice.1,
        w.psk,
        w.bob.1
    );
    fs::write(r.cfg.join("network"), &network).unwrap();
    // The zone the installer made for it.
    let firewall = format!(
        "{}\nconfig zone 'wgzone'\n\toption name 'wg'\n\tlist network 'wg0'\n\toption input 'ACCEPT'\n\toption forward 'ACCEPT'\n",
        r.file("firewall")
    );
    fs::write(r.cfg.join("firewall"), &firewall).unwrap();
    adopt(&s, "openwrt", &r.cfg.join("network"), &["--peer", "carol"]);
    let out = s.path("out");
    // Twice, each from a fresh copy: a re-run onto the adopted config
    // changes nothing more.
    for _ in 0..2 {
        let copy = r.copy(&s, "copy");
        s.cmd()
            .args(["render", "--no-peers", "--out"])
            .arg(&out)
            .arg("--uci-dir")
            .arg(&copy)
            .ok();
        let ran = r.run(&out.join("camvpn-openwrt.sh"));
        assert_eq!(ran.code, 0, "{}{}", ran.stdout, ran.stderr);
    }
    let net = uci::parse(&r.file("network"), "network").unwrap();
    let wg_ifaces = net
        .of_type("interface")
        .filter(|(_, i)| i.get_str("proto").as_deref() == Some("wireguard"))
        .count();
    assert_eq!(wg_ifaces, 1, "one WireGuard interface");
    let keys: Vec<String> = net
        .of_type("wireguard_wg0")
        .map(|(_, p)| p.get_str("public_key").unwrap())
        .collect();
    let export: serde_json::Value =
        serde_json::from_str(&s.cmd().arg("export").ok().stdout).unwrap();
    let want: BTreeSet<String> = export["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["public_key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys.len(), 3, "no duplicate peers: {keys:?}");
    assert_eq!(keys.into_iter().collect::<BTreeSet<_>>(), want);
    let fw = uci::parse(&r.file("firewall"), "firewall").unwrap();
    let holders: Vec<String> = fw
        .of_type("zone")
        .filter(|(_, z)| z.get_words("network").contains(&"wg0".to_owned()))
        .map(|(_, z)| z.get_str("name").unwrap())
        .collect();
    assert_eq!(holders, ["vpn"], "only camvpn's zone holds wg0");
}

#[test]
fn an_adopted_ddwrt_tunnel_is_updated_in_place() {
    let s = Site::new();
    let w = setup();
    let dump = format!(
        "oet_tunnels=1\noet1_en=1\noet1_proto=2\noet1_port=51821\noet1_private={}\noet1_public={}\noet1_ipaddr=10.8.0.1\noet1_netmask=255.255.255.0\noet1_peers=2\noet1_namep0=alice\noet1_peerkey0={}\noet1_usepsk0=1\noet1_psk0={}\noet1_aip0=10.8.0.2/32\noet1_namep1=bob\noet1_peerkey1={}\noet1_usepsk1=0\noet1_aip1=10.8.0.3/32\nwan_iface=vlan2\nsize: 1234 bytes (64000 left)\n",
        w.server.0, w.server.1, w.alice.1, w.psk, w.bob.1
    );
    let file = s.path("nvram.txt");
    fs::write(&file, &dump).unwrap();
    adopt(&s, "ddwrt", &file, &["--peer", "carol"]);
    // The router's nvram as the dump shows it.
    let nv = s.path("nvram");
    fs::create_dir_all(&nv).unwrap();
    for line in dump.lines().filter(|l| !l.starts_with("size:")) {
        let (k, v) = line.split_once('=').unwrap();
        fs::write(nv.join(k), v).unwrap();
    }
    let out = s.path("out");
    s.cmd()
        .args(["render", "--no-peers", "--out"])
        .arg(&out)
        .ok();
    let said = tool(
        Command::new("busybox")
            .arg("sh")
            .arg(out.join("camvpn-ddwrt.sh"))
            .env(
                "PATH",
                format!("{NVRAM}:{}", std::env::var("PATH").unwrap()),
            )
            .env("NVRAM_DIR", &nv),
    );
    assert!(said.contains("updating WireGuard tunnel oet1"), "{said}");
    let get = |k: &str| fs::read_to_string(nv.join(k)).unwrap_or_default();
    assert_eq!(get("oet_tunnels"), "1");
    assert_eq!(get("camvpn_tunnel"), "1");
    assert_eq!(get("oet1_peers"), "3");
    assert_eq!(get("oet1_peerkey0"), w.alice.1);
    assert_eq!(get("oet1_psk0"), w.psk);
    assert_eq!(get("oet1_usepsk1"), "0");
    assert_eq!(get("oet1_namep2"), "carol");
}

#[test]
fn export_and_import_restore_a_site_and_move_it_to_another_platform() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args([
            "site",
            "set",
            "--dns",
            "192.168.1.1",
            "--lan6",
            "2001:db8:2::/64",
            "--relay",
            "relay.example.net:8443",
        ])
        .ok();
    s.cmd()
        .args([
            "camera",
            "set",
            "driveway",
            "--mac",
            "00:11:22:33:44:55",
            "--port",
            "554/tcp",
            "--port",
            "8443/tcp",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "guard",
            "--cameras",
            "nvr",
            "--only",
            "rtsp",
            "--no-qr",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "ft",
            "--full-tunnel",
            "--mtu",
            "1380",
            "--no-qr",
        ])
        .ok();
    let backup = s.path("backup.json");
    fs::write(&backup, s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap();

    let restored = Site::new();
    restored.cmd().arg("import").arg(&backup).ok();
    assert_eq!(restored.site_toml(), s.site_toml(), "site.toml differs");
    let (original, again) = (s.render(&[]), restored.render(&[]));
    // Every rendered file (the record of what render wrote names the site
    // directory, which differs).
    let relative = |root: &Path| -> Vec<(std::path::PathBuf, Vec<u8>, u32)> {
        files_below(root)
            .into_iter()
            .filter(|(p, _)| !p.ends_with(".camvpn-render.json"))
            .map(|(p, (bytes, mode))| (p.strip_prefix(root).unwrap().to_path_buf(), bytes, mode))
            .collect()
    };
    let (before, after) = (relative(&original), relative(&again));
    assert_eq!(before.len(), after.len());
    for (x, y) in before.iter().zip(&after) {
        assert!(x == y, "{} differs after the round trip", x.0.display());
    }

    // To OpenWrt: the same keys, so the same phone configs.
    let moved = Site::new();
    moved
        .cmd()
        .arg("import")
        .arg(&backup)
        .args(["--platform", "openwrt"])
        .ok();
    let on_openwrt = moved.path("out");
    moved
        .cmd()
        .args(["render", "--no-qr", "--out"])
        .arg(&on_openwrt)
        .arg("--uci-dir")
        .arg(STOCK)
        .ok();
    for p in ["phone", "guard", "ft"] {
        assert_eq!(
            fs::read(original.join(format!("peers/{p}.conf"))).unwrap(),
            fs::read(on_openwrt.join(format!("peers/{p}.conf"))).unwrap(),
            "{p}'s config changed in the move"
        );
    }

    // A newer export, one without keys, and an existing site are refused.
    let text = fs::read_to_string(&backup).unwrap();
    let newer = s.path("newer.json");
    fs::write(&newer, text.replace("\"format\": 1", "\"format\": 99")).unwrap();
    let r = Site::new().cmd().arg("import").arg(&newer).fails(2);
    assert!(r.stderr.contains("format 99"), "{}", r.stderr);
    // A value that does not parse is named by where it is.
    let broken = s.path("broken.json");
    let bad_subnet = text.replacen(
        "\"subnet\": \"10.66.0.0/24\"",
        "\"subnet\": \"10.66.0.0/33\"",
        1,
    );
    assert_ne!(bad_subnet, text, "the export has the site's subnet");
    fs::write(&broken, bad_subnet).unwrap();
    let r = Site::new().cmd().arg("import").arg(&broken).fails(2);
    assert!(r.stderr.contains("site.subnet"), "{}", r.stderr);
    let bare = s.path("bare.json");
    fs::write(&bare, s.cmd().arg("export").ok().stdout).unwrap();
    let fresh = Site::new();
    let r = fresh.cmd().arg("import").arg(&bare).fails(2);
    assert!(r.stderr.contains("export --secrets"), "{}", r.stderr);
    assert!(!fresh.dir().exists());
    let r = restored.cmd().arg("import").arg(&backup).fails(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
}
