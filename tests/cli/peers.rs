//! `camvpn peer add|list|show|remove`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::ExitStatusExt;

use std::process::Command;

use crate::common::{INIT, Site, conf_value, tool};

fn peers_json(s: &Site) -> Vec<serde_json::Value> {
    let r = s.cmd().args(["peer", "list", "--json"]).ok();
    serde_json::from_str(&r.stdout).unwrap()
}

#[test]
fn several_names_in_one_call_get_the_first_free_addresses() {
    let s = Site::new();
    s.init();
    s.cmd().args(["peer", "add", "a", "b", "c"]).ok();
    s.cmd().args(["peer", "remove", "b"]).ok();
    s.cmd().args(["peer", "add", "d", "e"]).ok();
    let peers = peers_json(&s);
    let got: Vec<(String, String)> = peers
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("phone", "10.66.0.2"),
        ("a", "10.66.0.3"),
        ("c", "10.66.0.5"),
        ("d", "10.66.0.4"),
        ("e", "10.66.0.6"),
    ];
    assert_eq!(got, want.map(|(a, b)| (a.to_owned(), b.to_owned())));
}

#[test]
fn exhausted_pool_is_a_clear_error_and_writes_nothing() {
    let s = Site::new();
    s.cmd().args(INIT).args(["--subnet", "10.9.0.0/30"]).ok();
    // A /30 has two hosts: the router and one peer.
    s.cmd().args(["peer", "add", "one"]).ok();
    let before = s.files();
    let r = s.cmd().args(["peer", "add", "two"]).fails(2);
    assert!(
        r.stderr.contains("room for 0 more peers") && r.stderr.contains("10.9.0.0/30"),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.files());
}

#[test]
fn ipv6_addresses_follow_subnet6() {
    let s = Site::new();
    s.cmd()
        .args(INIT)
        .args(["--subnet6", "fd00:66::/64", "--peer", "p"])
        .ok();
    let p = &peers_json(&s)[0];
    assert_eq!(p["address6"], "fd00:66::2");
    let out = s.render(&[]);
    let conf = fs::read_to_string(out.join("peers/p.conf")).unwrap();
    assert_eq!(
        conf_value(&conf, "Address").unwrap(),
        "10.66.0.2/32, fd00:66::2/128"
    );
}

#[test]
fn split_tunnel_routes_only_router_and_its_cameras() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "driveway"])
        .ok();
    s.cmd().args(["peer", "add", "owner", "--full-tunnel"]).ok();
    let out = s.render(&[]);
    let read = |n: &str| fs::read_to_string(out.join(format!("peers/{n}.conf"))).unwrap();
    assert_eq!(
        conf_value(&read("guard"), "AllowedIPs").unwrap(),
        "10.66.0.1/32, 192.168.1.108/32"
    );
    assert_eq!(
        conf_value(&read("phone"), "AllowedIPs").unwrap(),
        "10.66.0.1/32, 192.168.1.108/32, 192.168.1.20/32"
    );
    assert_eq!(
        conf_value(&read("owner"), "AllowedIPs").unwrap(),
        "0.0.0.0/0, ::/0"
    );
    // Not the whole LAN: a phone on a hotel 192.168.1.0/24 keeps its own LAN.
    assert!(!read("phone").contains("192.168.1.0/24"));
}

#[test]
fn dns_mtu_keepalive_per_site_and_per_peer() {
    let s = Site::new();
    s.cmd()
        .args(INIT)
        .args([
            "--dns",
            "192.168.1.1",
            "--mtu",
            "1400",
            "--keepalive",
            "25",
            "--peer",
            "site",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "own",
            "--dns",
            "9.9.9.9",
            "--mtu",
            "1280",
            "--keepalive",
            "0",
        ])
        .ok();
    let out = s.render(&[]);
    let site = fs::read_to_string(out.join("peers/site.conf")).unwrap();
    let own = fs::read_to_string(out.join("peers/own.conf")).unwrap();
    assert_eq!(conf_value(&site, "DNS").unwrap(), "192.168.1.1");
    assert_eq!(conf_value(&site, "MTU").unwrap(), "1400");
    assert_eq!(conf_value(&site, "PersistentKeepalive").unwrap(), "25");
    // A DNS server outside the tunnel would leak or fail: it is routed in.
    assert!(
        conf_value(&site, "AllowedIPs")
            .unwrap()
            .contains("192.168.1.1/32")
    );
    assert_eq!(conf_value(&own, "DNS").unwrap(), "9.9.9.9");
    // A public resolver is reached directly, not through the router.
    assert!(!conf_value(&own, "AllowedIPs").unwrap().contains("9.9.9.9"));
    assert_eq!(conf_value(&own, "MTU").unwrap(), "1280");
    assert_eq!(conf_value(&own, "PersistentKeepalive"), None);
    let server = fs::read_to_string(out.join("wg0.conf")).unwrap();
    assert_eq!(conf_value(&server, "MTU").unwrap(), "1400");
}

#[test]
fn show_prints_no_secret_unless_asked() {
    let s = Site::new();
    s.init();
    let key = fs::read_to_string(s.dir().join("keys/peer-phone.key")).unwrap();
    let psk = fs::read_to_string(s.dir().join("keys/peer-phone.psk")).unwrap();
    for args in [
        vec!["peer", "show", "phone"],
        vec!["peer", "show", "phone", "--json"],
        vec!["peer", "list"],
        vec!["peer", "list", "--json"],
        vec!["camera", "list", "--json"],
        vec!["export"],
        vec!["peer", "add", "x"],
    ] {
        let r = s.cmd().args(&args).ok();
        for secret in [&key, &psk] {
            assert!(
                !r.stdout.contains(secret.trim()) && !r.stderr.contains(secret.trim()),
                "{args:?} printed a secret"
            );
        }
    }
    let config = s.cmd().args(["peer", "show", "phone", "--config"]).ok();
    assert_eq!(
        conf_value(&config.stdout, "PrivateKey").unwrap(),
        key.trim()
    );
    let json = s
        .cmd()
        .args(["peer", "show", "phone", "--json", "--secrets"])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["private_key"], key.trim());
    assert_eq!(v["preshared_key"], psk.trim());
    assert_eq!(v["config"], config.stdout);
    let export = s.cmd().args(["export", "--secrets"]).ok();
    assert!(export.stdout.contains(key.trim()));
}

#[test]
fn show_output_file_is_private() {
    let s = Site::new();
    s.init();
    let f = s.path("phone.conf");
    s.cmd()
        .args(["peer", "show", "phone", "--config", "-o"])
        .arg(&f)
        .ok();
    assert_eq!(
        fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let printed = s.cmd().args(["peer", "show", "phone", "--config"]).ok();
    assert_eq!(fs::read_to_string(&f).unwrap(), printed.stdout);
}

#[test]
fn own_public_key_peer_gets_no_private_key_and_no_qr() {
    let s = Site::new();
    s.init();
    let pubkey = camvpn::model::keys::PrivateKey::generate()
        .public_key()
        .to_string();
    s.cmd()
        .args(["peer", "add", "laptop", "--public-key", &pubkey])
        .ok();
    assert!(!s.dir().join("keys/peer-laptop.key").exists());
    assert!(s.dir().join("keys/peer-laptop.psk").exists());
    let out = s.render(&[]);
    assert!(!out.join("peers/laptop.png").exists() && !out.join("peers/laptop.svg").exists());
    let conf = fs::read_to_string(out.join("peers/laptop.conf")).unwrap();
    assert!(conf.contains(&format!("# PrivateKey = the private key of {pubkey}")));
    let server = fs::read_to_string(out.join("wg0.conf")).unwrap();
    assert!(server.contains(&format!("PublicKey = {pubkey}")));
    let r = s
        .cmd()
        .args(["peer", "show", "laptop", "--qr", "ansi"])
        .fails(2);
    assert!(r.stderr.contains("its own public key"), "{}", r.stderr);
    // The same key twice would make two peers one.
    s.cmd()
        .args(["peer", "add", "again", "--public-key", &pubkey])
        .fails(2);
    s.cmd()
        .args(["peer", "add", "a", "b", "--public-key", &pubkey])
        .fails(2);
}

#[test]
fn remove_deletes_keys_and_render_drops_stale_files() {
    let s = Site::new();
    s.init();
    s.cmd().args(["peer", "add", "temp"]).ok();
    let out = s.render(&[]);
    fs::write(out.join("peers/notes.txt"), "mine").unwrap();
    assert!(out.join("peers/temp.png").exists());
    s.cmd().args(["peer", "remove", "temp"]).ok();
    assert!(
        !s.dir().join("keys/peer-temp.key").exists()
            && !s.dir().join("keys/peer-temp.psk").exists()
    );
    s.render(&[]);
    for ext in ["conf", "png", "svg"] {
        assert!(
            !out.join(format!("peers/temp.{ext}")).exists(),
            "{ext} left behind"
        );
    }
    assert!(
        out.join("peers/notes.txt").exists(),
        "a file camvpn did not write was removed"
    );
    let server = fs::read_to_string(out.join("wg0.conf")).unwrap();
    assert!(!server.contains("# temp"));
    s.cmd().args(["peer", "remove", "ghost"]).fails(2);
}

/// Issue 25: render removed `peers/photo.png` and `peers/myvpn.conf`, which
/// the user had put there; only what camvpn wrote there goes.
#[test]
fn render_removes_only_files_it_wrote() {
    let s = Site::new();
    s.init();
    s.cmd().args(["peer", "add", "temp"]).ok();
    let out = s.path("out");
    fs::create_dir_all(out.join("peers")).unwrap();
    // The user's own files, named like a peer's, before and after the first
    // render.
    fs::write(out.join("peers/myvpn.conf"), "[Interface]\n# mine\n").unwrap();
    s.render(&[]);
    fs::write(out.join("peers/photo.png"), "not camvpn's").unwrap();
    fs::write(out.join("notes.txt"), "mine").unwrap();
    s.cmd().args(["peer", "remove", "temp"]).ok();
    let r = s.cmd().arg("render").arg("--out").arg(&out).ok();
    for f in ["peers/myvpn.conf", "peers/photo.png", "notes.txt"] {
        assert!(
            out.join(f).exists(),
            "render removed {f}, which it did not write"
        );
    }
    for ext in ["conf", "png", "svg", "html"] {
        assert!(
            !out.join(format!("peers/temp.{ext}")).exists(),
            "{ext} of a removed peer left"
        );
    }
    assert!(
        r.stderr.contains("peers/temp.conf (no such peer any more)"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("myvpn"), "{}", r.stderr);
    // --no-qr keeps the images of live peers, and the next full render
    // still knows them as camvpn's.
    s.render(&["--no-qr"]);
    assert!(out.join("peers/phone.png").exists());
    s.cmd().args(["peer", "remove", "phone"]).ok();
    s.render(&["--no-qr"]);
    assert!(
        !out.join("peers/phone.png").exists(),
        "a removed peer's QR code was left"
    );
}

/// Another target's router files in the same directory are camvpn's own:
/// removed with a warning. Another site's are left, with a warning.
#[test]
fn render_warns_of_another_targets_and_another_sites_files() {
    let s = Site::new();
    s.init_demo("openwrt", "vpn.example.net");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");
    let out = s.render(&["--uci-dir", fixtures]);
    assert!(out.join("camvpn.uci").exists());
    let r = s
        .cmd()
        .args(["render", "--target", "ddwrt", "--out"])
        .arg(&out)
        .ok();
    assert!(
        r.stderr
            .contains("held this site's openwrt files: removing those not rendered for ddwrt"),
        "{}",
        r.stderr
    );
    assert!(!out.join("camvpn.uci").exists() && !out.join("camvpn-openwrt.sh").exists());
    assert!(out.join("camvpn-ddwrt.sh").exists());

    let other = Site::new();
    other.init();
    let r = other.cmd().arg("render").arg("--out").arg(&out).ok();
    assert!(
        r.stderr
            .contains("holds files camvpn rendered for another site"),
        "{}",
        r.stderr
    );
    assert!(
        out.join("camvpn-ddwrt.sh").exists(),
        "another site's file was removed"
    );
    assert!(out.join("wg0.conf").exists());
}

#[test]
fn rendered_secret_files_are_private() {
    let s = Site::new();
    s.init();
    let out = s.render(&[]);
    for f in [
        "wg0.conf",
        "peers/phone.conf",
        "peers/phone.png",
        "peers/phone.svg",
    ] {
        assert_eq!(
            fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
    assert_eq!(
        fs::metadata(out.join("peers"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
}

/// The names of the files in `dir`, sorted.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn no_qr_and_no_peers_choose_which_peer_files_are_written() {
    let s = Site::new();
    s.init();
    let render = |out: &str, extra: &[&str]| {
        s.cmd()
            .args(["render", "--out"])
            .arg(s.path(out))
            .args(extra)
            .ok();
        s.path(out)
    };
    let full = render("full", &[]);
    let configs = render("configs", &["--no-qr"]);
    let router = render("router", &["--no-peers"]);
    assert_eq!(
        names_in(&full.join("peers")),
        [
            "index.html",
            "phone.conf",
            "phone.html",
            "phone.png",
            "phone.svg"
        ]
    );
    assert_eq!(names_in(&configs.join("peers")), ["phone.conf"]);
    assert!(!router.join("peers").exists());
    // The router's files are the same whichever peer files were asked for
    // (the record of what was written is not).
    for f in names_in(&full)
        .iter()
        .filter(|f| *f != "peers" && *f != ".camvpn-render.json")
    {
        let read = |dir: &std::path::Path| fs::read(dir.join(f)).unwrap();
        assert_eq!(read(&full), read(&configs), "{f}");
        assert_eq!(read(&full), read(&router), "{f}");
    }
    let r = s
        .cmd()
        .args(["render", "--no-qr", "--no-peers", "--out"])
        .arg(s.path("both"))
        .fails(2);
    assert!(r.stderr.contains("--no-peers"), "{}", r.stderr);
    assert!(!s.path("both").exists());
    // A removed peer's secrets do not linger, even when peers are skipped.
    s.cmd().args(["peer", "remove", "phone"]).ok();
    render("full", &["--no-peers"]);
    assert_eq!(names_in(&full.join("peers")), ["index.html"]);
}

/// Temp files in `dir` and `dir/peers`.
fn temps(dir: &std::path::Path) -> Vec<String> {
    [dir.to_path_buf(), dir.join("peers")]
        .iter()
        .filter_map(|d| fs::read_dir(d).ok())
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".camvpn-") && n.len() == ".camvpn-".len() + 6)
        .collect()
}

/// Issue 33: an interrupted render left hundreds of temp files holding
/// private keys; SIGTERM and SIGINT now remove them, and a render removes
/// the stale ones a killed run left (older than five minutes).
#[test]
fn an_interrupted_render_leaves_no_temp_file() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "--no-qr", "--count", "250", "--prefix", "p"])
        .ok();
    let out = s.path("out");
    for signal in ["TERM", "INT"] {
        let mut child = Command::new(crate::common::BIN)
            .arg("--dir")
            .arg(s.dir())
            .args(["-q", "render", "--out"])
            .arg(&out)
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Wait until it is staging files, then signal it.
        let start = std::time::Instant::now();
        while temps(&out).is_empty() && start.elapsed() < std::time::Duration::from_secs(20) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        let staged = temps(&out).len();
        tool(Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]));
        let status = child.wait().unwrap();
        if staged == 0 {
            // Rendered before it could be caught staging: nothing to prove.
            assert!(status.success());
            continue;
        }
        assert!(
            status.signal().is_some(),
            "{signal}: it did not end by the signal: {status:?}"
        );
        assert_eq!(
            temps(&out),
            Vec::<String>::new(),
            "{signal} left temp files ({staged} were staged)"
        );
    }
    // A killed run's temp file, as old as a stale one, goes with the next
    // render; a fresh one (another render at work) stays.
    fs::create_dir_all(out.join("peers")).unwrap();
    let old = out.join("peers/.camvpn-AbC123");
    let fresh = out.join(".camvpn-XyZ789");
    fs::write(&old, "PrivateKey = ...").unwrap();
    fs::write(&fresh, "PrivateKey = ...").unwrap();
    tool(
        Command::new("touch")
            .args(["-d", "10 minutes ago"])
            .arg(&old),
    );
    s.render(&["--no-qr"]);
    assert!(!old.exists(), "a stale temp file was left");
    assert!(fresh.exists(), "a fresh temp file was removed");
}

#[test]
fn a_peer_limited_with_only_is_shown_exactly_its_ports_everywhere() {
    let s = Site::new();
    s.init();
    // nvr (hikvision): 80, 443, 554 and 8000; the viewer may use RTSP only,
    // and the web-only peer no RTSP: it gets no stream address.
    s.cmd()
        .args([
            "peer",
            "add",
            "viewer",
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
            "web",
            "--cameras",
            "nvr",
            "--only",
            "web",
            "--no-qr",
        ])
        .ok();
    let show = s.cmd().args(["peer", "show", "viewer"]).ok().stdout;
    assert!(
        show.contains("only:        rtsp") && show.contains("ports:       nvr 554/tcp\n"),
        "{show}"
    );
    let list = s.cmd().args(["peer", "list"]).ok().stdout;
    assert!(list.contains("nvr (only rtsp)"), "{list}");
    let json = peers_json(&s);
    let viewer = json.iter().find(|p| p["name"] == "viewer").unwrap();
    assert_eq!(viewer["ports"]["nvr"], serde_json::json!(["554/tcp"]));
    let out = s.render(&[]);
    let sheet = fs::read_to_string(out.join("peers/viewer.html")).unwrap();
    let row = sheet.lines().find(|l| l.contains("<td>nvr<br>")).unwrap();
    assert!(row.contains("554&#x2f;tcp rtsp"), "{row}");
    for other in ["80&#x2f;tcp", "443&#x2f;tcp", "8000&#x2f;tcp"] {
        assert!(!row.contains(other), "{other} on the viewer's sheet: {row}");
    }
    let web = fs::read_to_string(out.join("peers/web.html")).unwrap();
    let row = web.lines().find(|l| l.contains("<td>nvr<br>")).unwrap();
    assert!(
        !row.contains("rtsp:") && row.contains("80&#x2f;tcp web"),
        "{row}"
    );
    let show = s.cmd().args(["peer", "show", "web"]).ok().stdout;
    assert!(!show.contains("stream:"), "{show}");
}
