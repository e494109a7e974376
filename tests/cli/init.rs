//! `camvpn init`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{Cmd, Site, conf_value, tool};

fn mode(p: &std::path::Path) -> u32 {
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_creates_site_without_secrets_and_private_keys_dir() {
    let s = Site::new();
    s.init();
    let toml = s.site_toml();
    assert!(toml.contains("name = \"driveway\"") && toml.contains("name = \"phone\""));
    assert_eq!(mode(&s.dir().join("keys")), 0o700);
    for f in ["server.key", "peer-phone.key", "peer-phone.psk"] {
        let p = s.dir().join("keys").join(f);
        assert_eq!(mode(&p), 0o600, "{f}");
        let secret = fs::read_to_string(&p).unwrap();
        assert!(
            !toml.contains(secret.trim()),
            "site.toml holds the secret of {f}"
        );
    }
}

#[test]
fn every_init_flag_reaches_the_site() {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "cams.example.org:443",
            "--subnet",
            "10.77.0.0/24",
            "--subnet6",
            "fd77::/64",
            "--lan",
            "192.168.5.0/24",
            "--wan-if",
            "ppp0",
            "--lan-if",
            "br-lan",
            "--dns",
            "10.77.0.1,9.9.9.9",
            "--listen-port",
            "51999",
            "--interface",
            "cams0",
            "--mtu",
            "1380",
            "--keepalive",
            "25",
            "--firewall",
            "iptables",
            "--camera-internet",
            "--log-drops",
            "--camera",
            "door=192.168.5.10:axis",
            "--camera",
            "yard=192.168.5.11",
            "--peer",
            "anna",
            "--peer",
            "ben",
        ])
        .ok();
    let export = s.cmd().arg("export").ok();
    let v: serde_json::Value = serde_json::from_str(&export.stdout).unwrap();
    let site = &v["site"];
    assert_eq!(site["subnet"], "10.77.0.0/24");
    assert_eq!(site["subnet6"], "fd77::/64");
    assert_eq!(site["lan"], "192.168.5.0/24");
    assert_eq!(site["wan_if"], "ppp0");
    assert_eq!(site["lan_if"], "br-lan");
    assert_eq!(site["dns"], serde_json::json!(["10.77.0.1", "9.9.9.9"]));
    assert_eq!(site["mtu"], 1380);
    assert_eq!(site["keepalive"], 25);
    assert_eq!(site["firewall"], "iptables");
    assert_eq!(site["camera_internet"], true);
    assert_eq!(site["log_drops"], true);
    let server = &v["server"];
    assert_eq!(server["interface"], "cams0");
    assert_eq!(server["listen_port"], 51999);
    assert_eq!(server["endpoint"], "cams.example.org:443");
    assert_eq!(
        server["cidrs"],
        serde_json::json!(["10.77.0.1/24", "fd77::1/64"])
    );
    assert_eq!(v["cameras"][0]["vendor"], "axis");
    assert_eq!(v["cameras"][1]["vendor"], "generic");
    assert_eq!(v["peers"][0]["address"], "10.77.0.2");
    assert_eq!(v["peers"][1]["address6"], "fd77::3");
    assert_eq!(v["peers"][1]["keepalive"], 25);
    // The interface name names the router's config.
    let out = s.render(&[]);
    assert!(out.join("cams0.conf").is_file());
}

#[test]
fn init_refuses_an_existing_site_unless_forced() {
    let s = Site::new();
    s.init();
    let before = s.files();
    let r = s
        .cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "x.example",
            "--lan-if",
            "br0",
            "--wan-if",
            "eth0",
        ])
        .fails(2);
    assert!(
        r.stderr.contains("already exists") && r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    assert_eq!(before, s.files());

    s.cmd().args(["peer", "add", "old"]).ok();
    s.cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "x.example",
            "--lan-if",
            "br0",
            "--wan-if",
            "eth0",
            "--peer",
            "fresh",
            "--force",
        ])
        .ok();
    let keys: Vec<String> = fs::read_dir(s.dir().join("keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !keys
            .iter()
            .any(|k| k.contains("old") || k.contains("phone")),
        "stale keys left: {keys:?}"
    );
    assert!(keys.contains(&"peer-fresh.key".to_owned()));
    let old_server = before
        .iter()
        .find(|(p, _)| p.ends_with("keys/server.key"))
        .unwrap()
        .1
        .0
        .clone();
    assert_ne!(
        fs::read(s.dir().join("keys/server.key")).unwrap(),
        old_server,
        "--force must make a new router key"
    );
}

#[test]
fn camvpn_dir_from_environment_and_flag_wins() {
    let s = Site::new();
    let env_dir = s.path("from-env");
    Cmd::new()
        .env("CAMVPN_DIR", &env_dir)
        .args([
            "init",
            "--platform",
            "openwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .ok();
    assert!(env_dir.join("site.toml").is_file());
    let flag_dir = s.path("from-flag");
    Cmd::new()
        .env("CAMVPN_DIR", &env_dir)
        .arg("--dir")
        .arg(&flag_dir)
        .args([
            "init",
            "--platform",
            "openwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .ok();
    assert!(flag_dir.join("site.toml").is_file());
}

#[test]
fn without_root_the_default_dir_is_dot_camvpn() {
    if !crate::common::root_or_skip("default dir as non-root (needs root to switch to nobody)") {
        return;
    }
    let s = Site::new();
    let cwd = s.path("work");
    fs::create_dir(&cwd).unwrap();
    fs::set_permissions(s.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    tool(Command::new("chown").arg("nobody").arg(&cwd));
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(crate::common::BIN)
        .args([
            "init",
            "--platform",
            "openwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .current_dir(&cwd)
        .env_remove("CAMVPN_DIR")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cwd.join("camvpn/site.toml").is_file());
}

#[test]
fn platform_defaults_for_interfaces() {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            "openwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .ok();
    assert!(
        s.site_toml().contains("wan_if = \"wan\"") && s.site_toml().contains("lan_if = \"lan\"")
    );
    let d = Site::new();
    d.cmd()
        .args([
            "init",
            "--platform",
            "ddwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .ok();
    assert!(!d.site_toml().contains("wan_if") && d.site_toml().contains("lan_if = \"br0\""));
}

#[test]
fn an_endpoint_phones_outside_cannot_reach_is_warned_about_with_the_fix() {
    let init = |endpoint: &str, more: &[&str]| {
        let s = Site::new();
        let r = s
            .cmd()
            .args([
                "init",
                "--platform",
                "linux",
                "--wan-if",
                "eth0",
                "--lan-if",
                "br0",
            ])
            .args(["--endpoint", endpoint])
            .args(more)
            .ok();
        (s, r.stderr)
    };
    for (endpoint, says) in [
        ("192.168.1.1", "on the site's own LAN"),
        ("10.0.0.1", "private (RFC 1918)"),
        ("100.64.12.1", "carrier-grade NAT"),
        ("169.254.0.9", "link-local"),
        ("[fd00::1]:51820", "unique local"),
    ] {
        let (_, stderr) = init(endpoint, &[]);
        assert!(
            stderr.contains("warning: the endpoint")
                && stderr.contains(says)
                && stderr.contains("--relay"),
            "{endpoint}: {stderr}"
        );
    }
    for (endpoint, more) in [
        ("203.0.113.1", &[][..]),
        ("vpn.example.net", &[]),
        ("100.64.12.1", &["--relay", "relay.example.net"]),
    ] {
        let (_, stderr) = init(endpoint, more);
        assert!(
            !stderr.contains("warning: the endpoint"),
            "{endpoint}: {stderr}"
        );
    }
    // site set warns too, and a public endpoint is quiet again.
    let (s, _) = init("vpn.example.net", &[]);
    let r = s
        .cmd()
        .args(["site", "set", "--endpoint", "172.16.0.5"])
        .ok();
    assert!(r.stderr.contains("172.16.0.5 is a private"), "{}", r.stderr);
    let r = s
        .cmd()
        .args(["site", "set", "--endpoint", "198.51.100.4"])
        .ok();
    assert!(!r.stderr.contains("warning: the endpoint"), "{}", r.stderr);
}

#[test]
fn site_set_says_nothing_changed_and_re_import_only_when_phones_configs_change() {
    let s = Site::new();
    s.init();
    let before = s.files();
    for args in [
        &["site", "set"][..],
        &["site", "set", "--mtu", "0"],
        &["site", "set", "--log-drops", "off"],
    ] {
        let r = s.cmd().args(args).ok();
        assert!(
            r.stderr.contains("nothing changed"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(before, s.files(), "{args:?} wrote the site");
    }
    // The MTU the phones have already (camvpn's default), written out:
    // site.toml changes, the phones' configs do not.
    let r = s.cmd().args(["site", "set", "--mtu", "1280"]).ok();
    assert!(
        r.stderr.contains("updated the site") && !r.stderr.contains("re-import"),
        "{}",
        r.stderr
    );
    for args in [
        &["site", "set", "--mtu", "1380"][..],
        &["site", "set", "--dns", "9.9.9.9"],
    ] {
        let r = s.cmd().args(args).ok();
        assert!(
            r.stderr.contains("re-import them on the phones"),
            "{args:?}: {}",
            r.stderr
        );
    }
    // Firewall-only settings leave the phones' configs alone.
    let r = s.cmd().args(["site", "set", "--log-drops", "on"]).ok();
    assert!(!r.stderr.contains("re-import"), "{}", r.stderr);
}

/// Issue 33: the listen port can move off a port another tunnel holds; the
/// phones dial the new one (unless the endpoint names its own), and on
/// DD-WRT it may not be the relay tunnel's.
#[test]
fn site_set_moves_the_listen_port_and_phones_follow_unless_the_endpoint_names_one() {
    let s = Site::new();
    s.init_demo("ddwrt", "vpn.example.net");
    let r = s.cmd().args(["site", "set", "--listen-port", "51830"]).ok();
    assert!(
        r.stderr.contains("re-import them on the phones"),
        "{}",
        r.stderr
    );
    let conf = s
        .cmd()
        .args(["peer", "show", "phone", "--config"])
        .ok()
        .stdout;
    assert_eq!(
        conf_value(&conf, "Endpoint").unwrap(),
        "vpn.example.net:51830"
    );
    s.cmd()
        .args(["site", "set", "--endpoint", "vpn.example.net:4500"])
        .ok();
    let r = s.cmd().args(["site", "set", "--listen-port", "51840"]).ok();
    assert!(!r.stderr.contains("re-import"), "{}", r.stderr);
    for bad in ["0", "65536", "x"] {
        let r = s.cmd().args(["site", "set", "--listen-port", bad]).fails(2);
        assert!(r.stderr.contains("--listen-port"), "{bad}: {}", r.stderr);
    }
    s.cmd()
        .args(["site", "set", "--relay", "relay.example.net:51850"])
        .ok();
    let before = s.files();
    let r = s
        .cmd()
        .args(["site", "set", "--listen-port", "51851"])
        .fails(2);
    assert!(r.stderr.contains("relay"), "{}", r.stderr);
    assert_eq!(before, s.files());
}
