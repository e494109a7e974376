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
    // guard (10.66.0.3) is a peer of the access list that reaches the
    // nvr's RTSP port, and only that.
    let list = rc
        .lines()
        .find_map(|l| {
            let (id, peers) = l.trim().strip_prefix("4_")?.split_once(") echo ")?;
            peers
                .split_whitespace()
                .any(|p| p == "10.66.0.3")
                .then(|| id.to_owned())
        })
        .unwrap_or_else(|| panic!("guard is in no access list: {rc}"));
    let rules: Vec<&str> = rc
        .lines()
        .filter(|l| l.starts_with(&format!("-A CAMVPN_L{list} ")))
        .collect();
    assert_eq!(
        rules,
        [format!(
            "-A CAMVPN_L{list} -d 192.168.1.20 -p tcp -m multiport --dports 554 -j ACCEPT"
        )],
        "{rc}"
    );
    assert!(
        rc.contains("-A CAMVPN_POSTROUTING -o $WAN -s 10.66.0.4 -j MASQUERADE"),
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

    // A tunnel that took camvpn's number but not its key (nor the key camvpn
    // wrote there last) is not camvpn's (adopted tunnels are found by their
    // key); on another port it may stay, and is told of.
    fs::write(nv.join("oet2_public"), "someone else").unwrap();
    fs::write(nv.join("oet2_private"), "someone else's").unwrap();
    fs::write(nv.join("oet2_port"), "51999").unwrap();
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("creating WireGuard tunnel oet3"), "{said}");
    assert!(
        said.contains("the other tunnels ( oet2 ) lose access"),
        "{said}"
    );
    assert_eq!(nvram(&nv)["oet2_public"], "someone else");
}

/// Runs the script as [`run_script`] does, expecting it to fail: its stderr.
fn script_fails(script: &Path, nv: &Path) -> String {
    let out = Command::new("busybox")
        .arg("sh")
        .arg(script)
        .env(
            "PATH",
            format!("{NVRAM}:{}", std::env::var("PATH").unwrap()),
        )
        .env("NVRAM_DIR", nv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the script did not refuse");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The values in `nv` that are WireGuard keys of `site`'s export, by name.
fn keys_of(site: &serde_json::Value) -> Vec<String> {
    let mut keys = vec![];
    let mut walk = vec![site];
    while let Some(v) = walk.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    match v.as_str() {
                        Some(key) if k.ends_with("_key") => keys.push(key.to_owned()),
                        _ => walk.push(v),
                    }
                }
            }
            serde_json::Value::Array(a) => walk.extend(a),
            _ => {}
        }
    }
    keys
}

/// Issue 33: new keys for everyone (`init --force`) replace camvpn's tunnel
/// instead of adding a second one beside it on the same port: afterwards
/// exactly one camvpn tunnel is enabled, and no revoked key is in nvram.
/// The same for a tunnel an earlier camvpn wrote (which kept no key record)
/// and for one DD-WRT renumbered.
#[test]
fn new_keys_replace_camvpns_tunnel_and_leave_no_revoked_key() {
    for case in ["rekey", "earlier camvpn", "renumbered"] {
        let s = site();
        let nv = s.path("nvram");
        seeded(&nv);
        run_script(&render(&s), &nv);
        let old = keys_of(&export(&s));
        assert!(old.len() >= 7, "{old:?}");
        match case {
            "earlier camvpn" => fs::remove_file(nv.join("camvpn_tunnel_public")).unwrap(),
            "renumbered" => {
                // The owner deleted oet1 in the web UI: DD-WRT moved
                // camvpn's tunnel down to oet1 and the count to 1.
                for e in fs::read_dir(&nv).unwrap() {
                    let name = e.unwrap().file_name().into_string().unwrap();
                    if let Some(rest) = name.strip_prefix("oet1_") {
                        fs::remove_file(nv.join(format!("oet1_{rest}"))).unwrap();
                    }
                }
                for e in fs::read_dir(&nv).unwrap() {
                    let name = e.unwrap().file_name().into_string().unwrap();
                    if let Some(rest) = name.strip_prefix("oet2_") {
                        fs::rename(nv.join(&name), nv.join(format!("oet1_{rest}"))).unwrap();
                    }
                }
                fs::write(nv.join("oet_tunnels"), "1").unwrap();
            }
            _ => {}
        }
        s.cmd()
            .args(["init", "--force", "--platform", "ddwrt"])
            .args(["--endpoint", "vpn.example.net", "--peer", "phone"])
            .ok();
        let said = run_script(&render(&s), &nv);
        let at = if case == "renumbered" { "oet1" } else { "oet2" };
        assert!(
            said.contains(&format!("tunnel {at} gets the site's new keys")),
            "{case}: {said}"
        );
        let v = nvram(&nv);
        let tunnels = if case == "renumbered" { "1" } else { "2" };
        assert_eq!(v["oet_tunnels"], tunnels, "{case}: a second tunnel");
        let enabled: Vec<_> = v
            .iter()
            .filter(|(k, val)| k.ends_with("_en") && val.as_str() == "1")
            .collect();
        assert_eq!(enabled.len(), 1, "{case}: {enabled:?}");
        for key in &old {
            assert!(
                !v.values().any(|val| val.contains(key.as_str())),
                "{case}: a revoked key is still in nvram"
            );
        }
        assert_eq!(v[&format!("{at}_peers")], "1");
    }
}

/// Issue 33: an enabled tunnel of the owner's on camvpn's UDP port (an
/// office link on 51820) makes the script refuse with nothing changed,
/// naming it and the ways on.
#[test]
fn a_tunnel_of_the_owners_on_camvpns_port_is_refused_with_nothing_changed() {
    let s = site();
    let nv = s.path("nvram");
    seeded(&nv);
    for (k, v) in [("oet1_en", "1"), ("oet1_port", "51820")] {
        fs::write(nv.join(k), v).unwrap();
    }
    let before = nvram(&nv);
    let err = script_fails(&render(&s), &nv);
    assert!(
        err.contains("oet1 is not camvpn's and uses UDP port 51820")
            && err.contains("nothing was changed")
            && err.contains("--listen-port"),
        "{err}"
    );
    assert_eq!(nvram(&nv), before, "the refused script changed nvram");
    assert!(!nv.join(".committed").exists());
    // On another port it runs.
    s.cmd().args(["site", "set", "--listen-port", "51830"]).ok();
    run_script(&render(&s), &nv);
    assert_eq!(nvram(&nv)["oet2_port"], "51830");
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

/// camvpn's block in nvram `rc_firewall`, as the script stores it.
fn rc_firewall_block(script: &str) -> &str {
    let start = script.find("cat <<'CAMVPN'\n").unwrap() + "cat <<'CAMVPN'\n".len();
    let end = start + script[start..].find("\nCAMVPN\n)").unwrap() + 1;
    &script[start..end]
}

/// Issue 15: the block stays small as phones are added (a phone costs its
/// address), and is checked by shellcheck itself, as DD-WRT runs it.
#[test]
fn the_rc_firewall_block_stays_small_as_phones_are_added() {
    let mut sizes = Vec::new();
    for phones in [50, 51] {
        let s = Site::new();
        s.init_big("ddwrt", phones, 16);
        let out = s.path("out");
        s.cmd()
            .args(["render", "--no-peers", "--nvram-budget", "65536", "--out"])
            .arg(&out)
            .ok();
        let script = fs::read_to_string(out.join("camvpn-ddwrt.sh")).unwrap();
        let block = rc_firewall_block(&script);
        let file = s.path("block.sh");
        fs::write(&file, block).unwrap();
        tool(Command::new("shellcheck").args(["-s", "sh"]).arg(&file));
        sizes.push(block.len());
    }
    assert!(
        sizes[0] < 8 * 1024,
        "at 50 phones x 16 cameras the block is {} bytes",
        sizes[0]
    );
    assert!(
        sizes[1] - sizes[0] <= 16,
        "one more phone cost {} bytes",
        sizes[1] - sizes[0]
    );
}

/// Issue 15: a site whose block would not fit in nvram is refused, with
/// nothing written.
#[test]
fn render_refuses_a_block_that_would_overflow_nvram() {
    let s = Site::new();
    let mut init: Vec<String> = ["init", "--platform", "ddwrt", "--endpoint", "203.0.113.1"]
        .map(String::from)
        .to_vec();
    // 120 cameras with ports of their own, a peer for each: 120 lists.
    for i in 1..=120 {
        init.push("--camera".into());
        init.push(format!("c{i}=192.168.{}.{}", 1 + i / 200, 10 + i % 200));
    }
    s.cmd()
        .args(["init", "--lan", "192.168.0.0/16"])
        .args(&init[1..])
        .ok();
    for i in 1..=120 {
        s.cmd()
            .args(["camera", "set", &format!("c{i}"), "--port"])
            .arg(format!("{}/tcp", 1000 + i))
            .ok();
        s.cmd()
            .args(["peer", "add", "--no-qr", &format!("p{i}"), "--cameras"])
            .arg(format!("c{i}"))
            .ok();
    }
    let out = s.path("out");
    let r = s.cmd().args(["render", "--out"]).arg(&out).fails(2);
    assert!(
        r.stderr.contains("more than the 16384 camvpn allows") && r.stderr.contains("fewer peers"),
        "{}",
        r.stderr
    );
    assert!(!out.exists(), "render wrote {}", out.display());
}

/// The bytes of every variable the script wrote into the nvram double,
/// as nvram stores them (`name=value` and a NUL), but the router's own
/// ones that were there before; and how many of them name the tunnel.
fn written_to_nvram(nv: &Path) -> (usize, usize) {
    let v = nvram(nv);
    let ours = v.iter().filter(|(k, _)| {
        ![
            "wan_iface",
            "oet_tunnels",
            "forward_spec",
            "forwardspec_entries",
            "forward_port",
            "forward_entries",
        ]
        .contains(&k.as_str())
    });
    let bytes = ours.clone().map(|(k, val)| k.len() + val.len() + 2).sum();
    (bytes, ours.filter(|(k, _)| k.starts_with("oet")).count())
}

/// Issue 25: each peer adds its `oetN_*` variables, which the `rc_firewall`
/// check did not count; now every byte is counted, checked against what
/// the script really writes into the nvram double.
#[test]
fn render_counts_every_byte_the_script_writes_to_nvram() {
    for relay in [false, true] {
        let s = site();
        if relay {
            s.cmd()
                .args(["site", "set", "--relay", "relay.example.net"])
                .ok();
        }
        s.cmd()
            .args(["peer", "add", "--no-qr", "--count", "7", "--prefix", "p"])
            .ok();
        let out = s.path("out");
        let r = s.cmd().args(["render", "--out"]).arg(&out).ok();
        let said: usize = r
            .stderr
            .split("camvpn-ddwrt.sh writes ")
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no nvram figure: {}", r.stderr));
        assert!(r.stderr.contains("(budget 12288;"), "{}", r.stderr);
        // Ten peers stay well inside the default budget.
        assert!(said < 12288 * 3 / 4, "ten peers take {said} bytes");
        let nv = s.path("nvram");
        fs::create_dir_all(&nv).unwrap();
        fs::write(nv.join("wan_iface"), "vlan2").unwrap();
        run_script(&out.join("camvpn-ddwrt.sh"), &nv);
        let (bytes, tunnel_vars) = written_to_nvram(&nv);
        // The count assumes two-digit tunnel numbers (oet10); the double
        // made oet1: one byte less in each of its names and in the numbers
        // camvpn_tunnel and rc_firewall's WG= hold.
        let digits = tunnel_vars + 2 + usize::from(relay) * 2;
        assert_eq!(
            said,
            bytes + digits,
            "counted {said}, the script wrote {bytes} (relay {relay})"
        );
    }
}

/// Issue 25: a site whose nvram writes would not fit is refused, naming the
/// bytes, the budget and how many peers fit, with nothing written; the
/// budget can be raised for a router with more nvram.
#[test]
fn render_refuses_a_script_over_the_nvram_budget() {
    let s = site();
    s.cmd()
        .args(["peer", "add", "--no-qr", "--count", "60", "--prefix", "p"])
        .ok();
    let out = s.path("out");
    let r = s.cmd().args(["render", "--out"]).arg(&out).fails(2);
    assert!(
        r.stderr.contains("more than the budget of 12288 bytes")
            && r.stderr.contains("peers fit at least")
            && r.stderr.contains("--nvram-budget"),
        "{}",
        r.stderr
    );
    let fit: usize = r
        .stderr
        .split(" peers fit")
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((20..63).contains(&fit), "{fit} peers fit? {}", r.stderr);
    assert!(!out.exists(), "render wrote {}", out.display());
    // So many peers do fit: the figure is true.
    for p in 0..(63 - fit) {
        s.cmd()
            .args(["peer", "remove", &format!("p{}", 60 - p)])
            .ok();
    }
    s.cmd().args(["render", "--no-qr", "--out"]).arg(&out).ok();
    s.cmd()
        .args(["peer", "add", "--no-qr", "--count", "10", "--prefix", "q"])
        .ok();
    s.cmd()
        .args(["render", "--no-qr", "--out"])
        .arg(&out)
        .fails(2);
    s.cmd()
        .args(["render", "--no-qr", "--nvram-budget", "40000", "--out"])
        .arg(&out)
        .ok();
}

/// The relay tunnel: a second tunnel with the relay as endpoint, reused on
/// re-runs, switched off with `relay off`; the `rc_firewall` is still clean sh.
#[test]
fn the_relay_tunnel_is_a_second_tunnel_reused_and_switched_off() {
    let s = site();
    s.cmd()
        .args(["site", "set", "--relay", "relay.example.net:443"])
        .ok();
    let nv = s.path("nvram");
    seeded(&nv);
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("creating WireGuard tunnel oet2"), "{said}");
    assert!(said.contains("creating WireGuard tunnel oet3"), "{said}");
    let v = nvram(&nv);
    assert_eq!(v["oet_tunnels"], "3");
    assert_eq!(v["camvpn_relay_tunnel"], "3");
    let key = fs::read_to_string(s.dir().join("keys/relay-router.key")).unwrap();
    assert_eq!(v["oet3_private"], key.trim());
    assert_eq!(v["oet3_en"], "1");
    assert_eq!(v["oet3_peers"], "1");
    assert_eq!(v["oet3_endpoint0"], "1");
    assert_eq!(v["oet3_rem0"], "relay.example.net");
    assert_eq!(v["oet3_peerport0"], "444");
    assert_eq!(v["oet3_ka0"], "25");
    let rc = &v["rc_firewall"];
    assert!(rc.contains("\nWGR=oet3\n"), "{rc}");
    let file = s.path("rc_firewall.sh");
    fs::write(&file, rc).unwrap();
    tool(
        Command::new("shellcheck")
            .args(["-s", "sh", "-e", "SC2034"])
            .arg(&file),
    );
    // Again: the same two tunnels.
    let said = run_script(&render(&s), &nv);
    assert!(said.contains("updating WireGuard tunnel oet3"), "{said}");
    assert_eq!(nvram(&nv)["oet_tunnels"], "3");
    // Off: the relay tunnel is switched off, the main one stays.
    s.cmd().args(["site", "set", "--relay", "off"]).ok();
    let said = run_script(&render(&s), &nv);
    assert!(
        said.contains("switching off the relay tunnel oet3"),
        "{said}"
    );
    let v = nvram(&nv);
    assert_eq!(v["oet3_en"], "0");
    assert_eq!(v["oet2_en"], "1");
    assert!(!v.contains_key("camvpn_relay_tunnel"));
    assert!(v["rc_firewall"].contains("\nWGR=\n"));
}

/// Issue 34: `nvram show` of a router camvpn configured (its `rc_firewall`
/// holds iptables-restore text over many lines) is read as the DD-WRT dump
/// it is, not refused as iptables-save: the camera forwards are gone.
#[test]
fn audit_reads_the_nvram_of_a_router_camvpn_configured_as_nvram() {
    let s = site();
    let nv = s.path("nvram");
    seeded(&nv);
    run_script(&render(&s), &nv);
    let shown = tool(
        Command::new(format!("{NVRAM}/nvram"))
            .arg("show")
            .env("NVRAM_DIR", &nv),
    );
    let dump = s.path("nvram-show.txt");
    fs::write(&dump, format!("{shown}size: 23456 bytes (41080 left)\n")).unwrap();
    let r = s.cmd().arg("audit").arg(&dump).fails(0);
    assert!(!r.stdout.contains("192.168.1.108"), "{}", r.stdout);
    // Without camvpn's work the same router's dump exposes the camera.
    let fresh = s.path("fresh");
    seeded(&fresh);
    let shown = tool(
        Command::new(format!("{NVRAM}/nvram"))
            .arg("show")
            .env("NVRAM_DIR", &fresh),
    );
    fs::write(&dump, shown).unwrap();
    let r = s.cmd().arg("audit").arg(&dump).fails(1);
    assert!(r.stdout.contains("192.168.1.108"), "{}", r.stdout);
}

/// Issue 34: reports that fit DD-WRT: render ends with the steps on the
/// router, changes say to render and run the script (camvpn apply refuses
/// there), and status says plainly that it does not run for DD-WRT.
#[test]
fn ddwrt_reports_name_the_script_not_apply() {
    let s = site();
    let out = s.path("out");
    let r = s.cmd().args(["render", "--out"]).arg(&out).ok();
    assert!(
        r.stderr.contains("run it there with 'sh camvpn-ddwrt.sh'")
            && r.stderr.contains("private key"),
        "{}",
        r.stderr
    );
    for args in [
        &["peer", "add", "bob", "--no-qr"][..],
        &["peer", "remove", "bob"],
        &["peer", "set", "phone", "--cameras", "nvr"],
        &["camera", "set", "nvr", "--internet", "on"],
        &["site", "set", "--log-drops", "on"],
    ] {
        let r = s.cmd().args(args).ok();
        assert!(
            r.stderr
                .contains("run the new camvpn-ddwrt.sh on the router")
                && !r.stderr.contains("camvpn apply"),
            "{args:?}: {}",
            r.stderr
        );
    }
    let r = s.cmd().arg("status").fails(2);
    assert!(
        r.stderr.contains("on DD-WRT camvpn does not run"),
        "{}",
        r.stderr
    );
}
