//! The OpenWrt target: `camvpn.uci` applied with camvpn's UCI model (which
//! follows openwrt/uci's rules) to a stock config with old port forwards.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use camvpn::formats::uci::{self, Configs, Package};

use crate::common::Site;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");

fn site() -> Site {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "nvr", "--only", "rtsp"])
        .ok();
    s
}

fn read(dir: &Path) -> Configs {
    Configs::new(
        ["network", "firewall", "system", "upnpd"]
            .into_iter()
            .filter(|n| dir.join(n).exists())
            .map(|n| uci::parse(&fs::read_to_string(dir.join(n)).unwrap(), n).unwrap()),
    )
}

fn write(c: &Configs, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for (n, p) in &c.packages {
        fs::write(dir.join(n), uci::export(p)).unwrap();
    }
}

/// Renders against the router config in `uci_dir` and applies the batch.
fn render_and_apply(s: &Site, uci_dir: &Path) -> (Configs, String) {
    let out = s.path("out");
    s.cmd()
        .arg("render")
        .arg("--out")
        .arg(&out)
        .arg("--uci-dir")
        .arg(uci_dir)
        .ok();
    let batch = fs::read_to_string(out.join("camvpn.uci")).unwrap();
    let mut c = read(uci_dir);
    c.batch(&batch)
        .unwrap_or_else(|e| panic!("the batch fails in the UCI model: {e}\n{batch}"));
    assert_eq!(
        c.committed,
        ["firewall", "network", "system", "upnpd"]
            .map(String::from)
            .into(),
        "the batch must commit the configs it changes"
    );
    assert!(
        c.changed.is_empty(),
        "changes left uncommitted: {:?}",
        c.changed
    );
    (c, batch)
}

fn export(s: &Site) -> serde_json::Value {
    serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap()
}

fn redirect_targets(fw: &Package) -> Vec<String> {
    fw.of_type("redirect")
        .map(|(_, r)| r.get_str("name").unwrap_or_default())
        .collect()
}

fn wg_peers(net: &Package) -> BTreeSet<(String, String)> {
    net.of_type("wireguard_wg0")
        .map(|(_, p)| {
            (
                p.get_str("public_key").unwrap(),
                p.get_words("allowed_ips").join(","),
            )
        })
        .collect()
}

/// The (peer, `dest_ip`, proto, port) tuples the firewall's accept rules
/// from the vpn zone allow; a rule's peers are its `src_ip`, or the entries
/// of the ipset it matches.
pub fn accepted_tuples(fw: &Package) -> BTreeSet<(String, String, String, u16)> {
    let mut out = BTreeSet::new();
    for (_, r) in fw.of_type("rule") {
        if r.get_str("src").as_deref() != Some("vpn")
            || r.get_str("target").as_deref() != Some("ACCEPT")
            || r.get("dest_ip").is_none()
        {
            continue;
        }
        let peers = match r.get_str("ipset") {
            Some(set) => {
                let (_, set) = fw
                    .of_type("ipset")
                    .find(|(_, s)| s.get_str("name") == Some(set.clone()))
                    .unwrap_or_else(|| panic!("no ipset {set}"));
                set.get_words("entry")
            }
            None => r.get_words("src_ip"),
        };
        for peer in &peers {
            for camera in r.get_words("dest_ip") {
                for port in r.get_words("dest_port") {
                    out.insert((
                        peer.clone(),
                        camera.clone(),
                        r.get_str("proto").unwrap(),
                        port.parse().unwrap(),
                    ));
                }
            }
        }
    }
    out
}

pub fn policy_tuples(export: &serde_json::Value) -> BTreeSet<(String, String, String, u16)> {
    export["policy"]["v4"]["access"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["peer_ip"].as_str().unwrap().to_owned(),
                g["camera_ip"].as_str().unwrap().to_owned(),
                g["proto"].as_str().unwrap().to_owned(),
                u16::try_from(g["port"].as_u64().unwrap()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn batch_configures_wireguard_firewall_and_removes_camera_forwards() {
    let s = site();
    let (c, _) = render_and_apply(&s, Path::new(FIXTURES));
    let e = export(&s);
    let net = &c.packages["network"];
    let fw = &c.packages["firewall"];

    let wg = net.section("wg0").expect("network.wg0");
    assert_eq!(wg.stype, "interface");
    assert_eq!(wg.get_str("proto").unwrap(), "wireguard");
    assert_eq!(
        wg.get_str("private_key").unwrap(),
        fs::read_to_string(s.dir().join("keys/server.key"))
            .unwrap()
            .trim()
    );
    assert_eq!(wg.get_str("listen_port").unwrap(), "51820");
    assert_eq!(wg.get_words("addresses"), ["10.66.0.1/24"]);
    let want: BTreeSet<(String, String)> = e["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["public_key"].as_str().unwrap().to_owned(),
                format!("{}/32", p["address"].as_str().unwrap()),
            )
        })
        .collect();
    assert_eq!(wg_peers(net), want);
    for (_, p) in net.of_type("wireguard_wg0") {
        let name = p.get_str("description").unwrap();
        let peer = e["peers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name.as_str())
            .unwrap();
        assert_eq!(
            p.get_str("preshared_key").unwrap(),
            peer["preshared_key"].as_str().unwrap()
        );
    }
    // The stock sections are untouched.
    for name in ["loopback", "lan", "wan", "wan6", "globals"] {
        assert_eq!(
            net.section(name),
            read(Path::new(FIXTURES)).packages["network"].section(name),
            "{name}"
        );
    }

    // Only the forwards to cameras are gone: named, anonymous and disabled.
    assert_eq!(redirect_targets(fw), ["NAS web", "Game"]);
    let zone = fw
        .of_type("zone")
        .find(|(_, z)| z.get_str("name").as_deref() == Some("vpn"))
        .expect("vpn zone")
        .1;
    assert_eq!(zone.get_words("network"), ["wg0"]);
    assert_eq!(zone.get_str("forward").unwrap(), "REJECT");
    // miniupnpd refuses mappings to every camera before its own rules.
    let upnpd = &c.packages["upnpd"];
    let rules: Vec<(String, String)> = upnpd
        .of_type("perm_rule")
        .map(|(_, r)| (r.get_str("action").unwrap(), r.get_str("int_addr").unwrap()))
        .collect();
    assert_eq!(
        rules,
        [
            ("deny".to_owned(), "192.168.1.108/32".to_owned()),
            ("deny".to_owned(), "192.168.1.20/32".to_owned()),
            ("allow".to_owned(), "0.0.0.0/0".to_owned()),
            ("deny".to_owned(), "0.0.0.0/0".to_owned()),
        ]
    );
    // The router answers NTP for the cameras.
    assert_eq!(
        c.packages["system"]
            .section("ntp")
            .unwrap()
            .get_str("enable_server")
            .unwrap(),
        "1"
    );
    let wgrule = fw.section("camvpn_wg").unwrap();
    assert_eq!(
        (
            wgrule.get_str("src").unwrap(),
            wgrule.get_str("proto").unwrap(),
            wgrule.get_str("dest_port").unwrap()
        ),
        ("wan".into(), "udp".into(), "51820".into())
    );
    assert_eq!(
        accepted_tuples(fw),
        policy_tuples(&e),
        "accept rules and policy differ"
    );
    let reject = fw.section("camvpn_vpn_cameras").unwrap();
    assert_eq!(
        reject.get_words("dest_ip"),
        ["192.168.1.108", "192.168.1.20"]
    );
    assert_eq!(reject.get_str("target").unwrap(), "REJECT");
    // The final reject comes after every accept: firewall4 renders rules in order.
    let pos = |n: &str| {
        fw.sections
            .iter()
            .position(|x| x.name.as_deref() == Some(n))
            .unwrap()
    };
    for (i, r) in fw.sections.iter().enumerate() {
        if r.name.as_deref().is_some_and(|n| n.starts_with("camvpn_l")) {
            assert!(i < pos("camvpn_vpn_cameras"));
        }
    }
    let out = fw.section("camvpn_camera_out").unwrap();
    assert_eq!(
        (
            out.get_str("src").unwrap(),
            out.get_str("dest").unwrap(),
            out.get_str("target").unwrap()
        ),
        ("lan".into(), "wan".into(), "REJECT".into())
    );
    assert_eq!(out.get_words("src_ip"), ["192.168.1.108", "192.168.1.20"]);
    let wan = fw.section("camvpn_wan_cameras").unwrap();
    assert_eq!(
        (wan.get_str("src").unwrap(), wan.get_str("target").unwrap()),
        ("wan".into(), "DROP".into())
    );
}

#[test]
fn rerunning_after_peers_change_leaves_exactly_the_current_peers() {
    let s = site();
    let router = s.path("router");
    let (first, _) = render_and_apply(&s, Path::new(FIXTURES));
    write(&first, &router);

    s.cmd().args(["peer", "remove", "guard"]).ok();
    s.cmd()
        .args(["peer", "add", "tablet", "--cameras", "driveway"])
        .ok();
    s.cmd()
        .args(["camera", "set", "nvr", "--internet", "on"])
        .ok();
    let (second, batch) = render_and_apply(&s, &router);
    assert!(batch.contains("delete network.camvpn_peer_guard"));
    let e = export(&s);
    let net = &second.packages["network"];
    let names: BTreeSet<String> = net
        .of_type("wireguard_wg0")
        .map(|(_, p)| p.get_str("description").unwrap())
        .collect();
    assert_eq!(names, ["phone", "tablet"].map(String::from).into());
    let fw = &second.packages["firewall"];
    assert_eq!(accepted_tuples(fw), policy_tuples(&e));
    assert!(
        !fw.sections
            .iter()
            .any(|x| x.get_words("src_ip").contains(&"10.66.0.3".to_owned())
                && x.get_str("src").as_deref() == Some("vpn")
                && x.get_str("dest_ip").as_deref() == Some("192.168.1.20")),
        "a rule of the removed peer survived"
    );
    assert_eq!(
        fw.section("camvpn_camera_out").unwrap().get_words("src_ip"),
        ["192.168.1.108"]
    );
    assert_eq!(
        fw.of_type("zone")
            .filter(|(_, z)| z.get_str("name").as_deref() == Some("vpn"))
            .count(),
        1
    );
    assert_eq!(redirect_targets(fw), ["NAS web", "Game"]);

    // Once more with nothing changed: the configs come out the same.
    let router2: PathBuf = s.path("router2");
    write(&second, &router2);
    let (third, _) = render_and_apply(&s, &router2);
    for n in ["network", "firewall"] {
        assert_eq!(
            uci::export(&third.packages[n]),
            uci::export(&second.packages[n]),
            "{n} changed on a re-run"
        );
    }
}

#[test]
fn refuses_to_take_over_what_is_not_camvpns() {
    let s = site();
    let dir = s.path("router");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(Path::new(FIXTURES).join("firewall"), dir.join("firewall")).unwrap();
    let net = fs::read_to_string(Path::new(FIXTURES).join("network")).unwrap();
    fs::write(dir.join("network"), format!("{net}\nconfig interface 'wg0'\n\toption proto 'wireguard'\n\toption private_key 'someone elses key'\n")).unwrap();
    let r = s
        .cmd()
        .args(["render", "--out"])
        .arg(s.path("o"))
        .arg("--uci-dir")
        .arg(&dir)
        .fails(2);
    // The section starts after the fixture's lines and the blank one added here.
    let line = format!("line {}", net.lines().count() + 2);
    assert!(
        r.stderr.contains("network.wg0 already exists") && r.stderr.contains(&line),
        "{line}: {}",
        r.stderr
    );

    fs::copy(Path::new(FIXTURES).join("network"), dir.join("network")).unwrap();
    let fw = fs::read_to_string(Path::new(FIXTURES).join("firewall")).unwrap();
    fs::write(
        dir.join("firewall"),
        format!("{fw}\nconfig zone\n\toption name 'vpn'\n"),
    )
    .unwrap();
    let r = s
        .cmd()
        .args(["render", "--out"])
        .arg(s.path("o"))
        .arg("--uci-dir")
        .arg(&dir)
        .fails(2);
    assert!(r.stderr.contains("zone named 'vpn'"), "{}", r.stderr);
    assert!(!s.path("o").exists());
}

#[test]
fn router_config_errors_name_the_file_and_line() {
    let s = site();
    let r = s
        .cmd()
        .args(["render", "--out"])
        .arg(s.path("o"))
        .args(["--uci-dir", "/nonexistent"])
        .fails(2);
    assert!(
        r.stderr.contains("/nonexistent/network is missing") && r.stderr.contains("--uci-dir"),
        "{}",
        r.stderr
    );
    let dir = s.path("router");
    fs::create_dir_all(&dir).unwrap();
    fs::copy(Path::new(FIXTURES).join("network"), dir.join("network")).unwrap();
    fs::write(dir.join("firewall"), "config zone\n\toption name 'wan\n").unwrap();
    let r = s
        .cmd()
        .args(["render", "--out"])
        .arg(s.path("o"))
        .arg("--uci-dir")
        .arg(&dir)
        .fails(2);
    assert!(
        r.stderr.contains("firewall: line 2: unterminated '"),
        "{}",
        r.stderr
    );
}

/// Stand-ins for uci, ubus and fw4 that record what they were given; the
/// stand-in's `uci export` prints the last batch (its whole "config").
fn fake_router_tools(dir: &Path, uci_says: &str) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(dir).unwrap();
    let log = dir.join("log");
    for (name, body) in [
        (
            "uci",
            format!(
                "echo \"uci $*\" >> {0}/log\nif [ \"$1\" = export ]; then cat {0}/uci-stdin 2>/dev/null; exit 0; fi\ncat > {0}/uci-stdin\nprintf '%s' '{uci_says}' >&2\n",
                dir.display()
            ),
        ),
        ("ubus", format!("echo \"ubus $*\" >> {}\n", log.display())),
        ("fw4", format!("echo \"fw4 $*\" >> {}\n", log.display())),
    ] {
        let p = dir.join(name);
        fs::write(&p, format!("#!/bin/sh\n{body}")).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn apply_runs_the_batch_and_reloads_network_and_firewall() {
    let s = site();
    let dry = s
        .cmd()
        .args(["apply", "--dry-run", "--uci-dir", FIXTURES])
        .ok();
    assert_eq!(
        dry.stdout.lines().collect::<Vec<_>>(),
        [
            "would run: uci batch < camvpn.uci",
            "would run: ubus call network reload",
            "would run: fw4 reload",
            "would run: ubus call rc init '{\"name\":\"miniupnpd\",\"action\":\"restart\"}'"
        ]
    );
    let tools = s.path("tools");
    fake_router_tools(&tools, "");
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let first = s
        .cmd()
        .env("PATH", &path)
        .args(["apply", "--uci-dir", FIXTURES])
        .ok();
    assert_eq!(
        fs::read_to_string(tools.join("log")).unwrap(),
        "uci export\nuci batch\nuci export\nubus call network reload\nfw4 reload\nubus call rc init {\"name\":\"miniupnpd\",\"action\":\"restart\"}\n"
    );
    // The configs changed (uci export differs after the batch); the same
    // batch again changes nothing, and apply says so.
    assert!(
        !first.stderr.contains("nothing changed"),
        "{}",
        first.stderr
    );
    let again = s
        .cmd()
        .env("PATH", &path)
        .args(["apply", "--uci-dir", FIXTURES])
        .ok();
    assert!(again.stderr.contains("nothing changed"), "{}", again.stderr);
    let out = s.path("out");
    s.cmd()
        .arg("render")
        .arg("--out")
        .arg(&out)
        .args(["--uci-dir", FIXTURES])
        .ok();
    assert_eq!(
        fs::read_to_string(tools.join("uci-stdin")).unwrap(),
        fs::read_to_string(out.join("camvpn.uci")).unwrap()
    );

    // uci batch carries on after a failing command; apply does not.
    let tools = s.path("tools2");
    fake_router_tools(&tools, "uci: Entry not found");
    let path = format!("{}:{}", tools.display(), std::env::var("PATH").unwrap());
    let r = s
        .cmd()
        .env("PATH", &path)
        .args(["apply", "--uci-dir", FIXTURES])
        .fails(3);
    assert!(
        r.stderr
            .contains("uci batch reported errors: uci: Entry not found"),
        "{}",
        r.stderr
    );
    assert_eq!(
        fs::read_to_string(tools.join("log")).unwrap(),
        "uci export\nuci batch\n",
        "reloaded after a failed batch"
    );
}
