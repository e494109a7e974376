//! The DD-WRT target: `camvpn-ddwrt.sh` run by busybox sh against an nvram
//! stand-in (tests/lab/nvram), and judged by shellcheck.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use camvpn::store::SiteDir;
use camvpn::targets::templates::Templates;
use camvpn::targets::{self, RenderOptions, Target};

use crate::common::{Site, tool};

const NVRAM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/lab");

fn site() -> Site {
    let s = Site::new();
    s.init_demo("ddwrt", "vpn.example.net");
    s.cmd().args(["peer", "add", "guard", "ft"]).ok();
    s.cmd()
        .args(["peer", "set", "guard", "--cameras", "nvr", "--only", "rtsp"])
        .ok();
    s.cmd().args(["peer", "set", "ft", "--full-tunnel"]).ok();
    s
}

/// An nvram directory seeded like a router that already has a tunnel of its
/// own, camera and other port forwards, and firewall lines of its own.
fn seeded(dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    let vars = [
        ("oet_tunnels", "1"),
        ("oet1_proto", "2"),
        ("oet1_public", "theirs"),
        ("oet1_peers", "1"),
        ("oet1_peerkey0", "their peer"),
        ("wan_iface", "vlan2"),
        (
            "forward_spec",
            "nas:on:tcp:8443>192.168.1.50:443 cam-rtsp:on:both:554>192.168.1.108:554 cam-sdk:off:tcp:37777>192.168.1.108:37777 nvr:on:tcp:8080>192.168.1.20:80<203.0.113.9",
        ),
        ("forwardspec_entries", "4"),
        (
            "forward_port",
            "games:on:udp:27000:27030>192.168.1.77 camrange:on:both:8000:8010>192.168.1.20",
        ),
        ("forward_entries", "2"),
        (
            "rc_firewall",
            "# my own rule\niptables -I INPUT -p tcp --dport 2222 -j ACCEPT",
        ),
    ];
    for (k, v) in vars {
        fs::write(dir.join(k), v).unwrap();
    }
}

fn nvram(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Runs the script under busybox sh with the nvram stand-in first on PATH.
fn run_script(script: &Path, nv: &Path) -> String {
    tool(
        Command::new("busybox")
            .arg("sh")
            .arg(script)
            .env(
                "PATH",
                format!("{NVRAM}:{}", std::env::var("PATH").unwrap()),
            )
            .env("NVRAM_DIR", nv),
    )
}

fn render(s: &Site) -> PathBuf {
    let out = s.render(&[]);
    out.join("camvpn-ddwrt.sh")
}

fn export(s: &Site) -> serde_json::Value {
    serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap()
}

#[test]
fn script_is_clean_posix_sh_for_shellcheck() {
    let s = site();
    s.cmd().args(["site", "set", "--log-drops", "on"]).ok();
    let script = render(&s);
    tool(Command::new("shellcheck").args(["-s", "sh"]).arg(&script));
    // The rc_firewall it stores is a script too.
    let nv = s.path("nvram");
    seeded(&nv);
    run_script(&script, &nv);
    let rc = s.path("rc_firewall.sh");
    fs::write(&rc, fs::read_to_string(nv.join("rc_firewall")).unwrap()).unwrap();
    tool(
        Command::new("shellcheck")
            .args(["-s", "sh", "-e", "SC2034"])
            .arg(&rc),
    );
}

#[test]
fn nvram_gets_the_tunnel_the_policy_and_loses_the_camera_forwards() {
    let s = site();
    let e = export(&s);
    let nv = s.path("nvram");
    seeded(&nv);
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("creating WireGuard tunnel oet2"), "{said}");
    let v = nvram(&nv);
    // Their tunnel is untouched; camvpn's is the next one.
    assert_eq!(v["oet_tunnels"], "2");
    assert_eq!(
        (v["oet1_public"].as_str(), v["oet1_peerkey0"].as_str()),
        ("theirs", "their peer")
    );
    assert_eq!(v["camvpn_tunnel"], "2");
    assert_eq!(v["oet2_proto"], "2");
    assert_eq!(v["oet2_en"], "1");
    assert_eq!(v["oet2_port"], "51820");
    assert_eq!(
        v["oet2_private"],
        e["server"]["private_key"].as_str().unwrap()
    );
    assert_eq!(
        v["oet2_public"],
        e["server"]["public_key"].as_str().unwrap()
    );
    assert_eq!(
        (
            v["oet2_ipaddr"].as_str(),
            v["oet2_netmask"].as_str(),
            v["oet2_ipaddrmask"].as_str()
        ),
        ("10.66.0.1", "255.255.255.0", "10.66.0.1/24")
    );
    assert_eq!(v["oet2_peers"], "3");
    for (i, p) in e["peers"].as_array().unwrap().iter().enumerate() {
        assert_eq!(v[&format!("oet2_namep{i}")], p["name"].as_str().unwrap());
        assert_eq!(
            v[&format!("oet2_peerkey{i}")],
            p["public_key"].as_str().unwrap()
        );
        assert_eq!(
            v[&format!("oet2_psk{i}")],
            p["preshared_key"].as_str().unwrap()
        );
        assert_eq!(v[&format!("oet2_usepsk{i}")], "1");
        assert_eq!(
            v[&format!("oet2_aip{i}")],
            format!("{}/32", p["address"].as_str().unwrap())
        );
    }
    // Forwards to cameras are gone, the others kept with their counters.
    assert_eq!(v["forward_spec"], "nas:on:tcp:8443>192.168.1.50:443");
    assert_eq!(v["forwardspec_entries"], "1");
    assert_eq!(v["forward_port"], "games:on:udp:27000:27030>192.168.1.77");
    assert_eq!(v["forward_entries"], "1");
    for gone in ["cam-rtsp", "cam-sdk", "nvr", "camrange"] {
        assert!(
            said.contains(&format!("removing the port forward {gone}:")),
            "{gone}: {said}"
        );
    }
    // The user's firewall lines stay; camvpn's block follows, once.
    let rc = &v["rc_firewall"];
    assert!(rc.starts_with("# my own rule\niptables -I INPUT -p tcp --dport 2222 -j ACCEPT\n# camvpn-begin\nWG=oet2\n"), "{rc}");
    assert_eq!(rc.matches("# camvpn-begin").count(), 1);
    assert!(rc.trim_end().ends_with("# camvpn-end"));
    assert!(
        rc.contains("-s 10.66.0.3 -d 192.168.1.20 -p tcp -m multiport --dports 554 -j ACCEPT"),
        "{rc}"
    );
    assert!(
        rc.contains("iptables -t nat -A CAMVPN_POSTROUTING -o \"$WAN\" -s 10.66.0.4 -j MASQUERADE"),
        "{rc}"
    );
    assert!(nv.join(".committed").exists(), "nvram commit did not run");
}

#[test]
fn rerun_reuses_the_tunnel_and_drops_stale_peers_and_blocks() {
    let s = site();
    let nv = s.path("nvram");
    seeded(&nv);
    run_script(&render(&s), &nv);
    s.cmd().args(["peer", "remove", "guard", "ft"]).ok();
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("updating WireGuard tunnel oet2"), "{said}");
    let v = nvram(&nv);
    assert_eq!(v["oet_tunnels"], "2");
    assert_eq!(v["oet2_peers"], "1");
    assert_eq!(v["oet2_namep0"], "phone");
    for k in ["namep1", "peerkey1", "psk1", "aip1", "namep2", "peerkey2"] {
        assert!(!v.contains_key(&format!("oet2_{k}")), "stale {k} left");
    }
    assert_eq!(v["rc_firewall"].matches("# camvpn-begin").count(), 1);
    assert!(v["rc_firewall"].starts_with("# my own rule\n"));
    assert!(!v["rc_firewall"].contains("10.66.0.3"));

    // A tunnel that took camvpn's number but not its key is not camvpn's.
    fs::write(nv.join("oet2_public"), "someone else").unwrap();
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("creating WireGuard tunnel oet3"), "{said}");
    assert_eq!(nvram(&nv)["oet2_public"], "someone else");
}

#[test]
fn a_hostile_description_cannot_break_out_of_its_quotes() {
    // Validation refuses such names; this proves the quoting alone holds.
    let s = site();
    let nv = s.path("nvram");
    seeded(&nv);
    let dir = SiteDir::new(s.dir());
    let site = dir.load().unwrap();
    let secrets = dir.load_secrets(&site).unwrap();
    let mut ctx = targets::context::Context::new(&site, Some(&secrets));
    let pwned = s.path("pwned");
    let hostile = format!(
        "x'; touch {0}; echo '$(touch {0})`touch {0}`\"\n",
        pwned.display()
    );
    ctx.peers[0].name.clone_from(&hostile);
    let sink = targets::Collect::default();
    let only_router = RenderOptions {
        peer_files: targets::PeerFiles::None,
        ..RenderOptions::default()
    };
    targets::render_context(
        &site,
        ctx,
        Target(camvpn::model::site::Platform::Ddwrt),
        &Templates::new(None).unwrap(),
        &only_router,
        &sink,
    )
    .unwrap();
    let arts = sink.into_vec();
    let script = s.path("hostile.sh");
    fs::write(
        &script,
        &*arts
            .iter()
            .find(|a| a.path == Path::new("camvpn-ddwrt.sh"))
            .unwrap()
            .bytes,
    )
    .unwrap();
    run_script(&script, &nv);
    assert!(!pwned.exists(), "the description ran a command");
    assert_eq!(nvram(&nv)["oet2_namep0"], hostile);
}
