//! Bad input: a clear message naming the input, exit code 2, and no file
//! changed — for every kind of mistake the core issue lists.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use crate::common::{BIN, Cmd, INIT, Site, root_or_skip};

/// Runs `args` on an initialised site; expects exit 2, every one of `says`
/// in the error, and the site untouched.
fn rejected(args: &[&str], says: &[&str]) {
    let s = Site::new();
    s.init();
    let before = s.files();
    let r = s.cmd().args(args).fails(2);
    for want in says {
        assert!(
            r.stderr.contains(want),
            "{args:?}: expected {want:?} in:\n{}",
            r.stderr
        );
    }
    assert_eq!(before, s.files(), "{args:?} changed the site");
}

/// Runs `init` with `extra`; expects exit 2 and no site directory at all.
fn init_rejected(extra: &[&str], says: &[&str]) {
    let s = Site::new();
    let mut args = INIT.to_vec();
    args.extend_from_slice(extra);
    let r = s.cmd().args(&args).fails(2);
    for want in says {
        assert!(
            r.stderr.contains(want),
            "{extra:?}: expected {want:?} in:\n{}",
            r.stderr
        );
    }
    assert!(!s.dir().exists(), "{extra:?} created the site directory");
}

#[test]
fn invalid_cidr() {
    init_rejected(&["--subnet", "10.66.0.0/33"], &["--subnet", "CIDR"]);
    init_rejected(&["--subnet", "10.66.0"], &["--subnet", "CIDR"]);
    init_rejected(&["--lan", "192.168.1.0/24x"], &["--lan", "CIDR"]);
    init_rejected(&["--subnet6", "fd66::/129"], &["--subnet6", "CIDR"]);
    init_rejected(
        &["--subnet", "10.66.0.1/24"],
        &["host bits", "10.66.0.0/24"],
    );
}

#[test]
fn tunnel_subnet_overlapping_the_lan() {
    init_rejected(
        &["--subnet", "192.168.0.0/16"],
        &["overlaps the LAN 192.168.1.0/24"],
    );
    init_rejected(&["--subnet", "192.168.1.128/25"], &["overlaps the LAN"]);
}

#[test]
fn endpoint_without_a_host() {
    let s = Site::new();
    let r = s
        .cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            ":51820",
            "--wan-if",
            "e",
            "--lan-if",
            "l",
        ])
        .fails(2);
    assert!(
        r.stderr.contains("--endpoint") && r.stderr.contains("has no host"),
        "{}",
        r.stderr
    );
    assert!(!s.dir().exists());
}

#[test]
fn ports_out_of_range() {
    init_rejected(&["--listen-port", "0"], &["--listen-port", "1 to 65535"]);
    init_rejected(
        &["--listen-port", "65536"],
        &["--listen-port", "1 to 65535"],
    );
    for endpoint in ["h.example:0", "h.example:70000"] {
        let s = Site::new();
        let r = s
            .cmd()
            .args(["init", "--platform", "linux", "--endpoint", endpoint])
            .fails(2);
        assert!(
            r.stderr.contains("--endpoint") && r.stderr.contains("out of range"),
            "{}",
            r.stderr
        );
        assert!(!s.dir().exists());
    }
    rejected(
        &[
            "camera",
            "add",
            "c",
            "--ip",
            "192.168.1.9",
            "--port",
            "0/tcp",
        ],
        &["--port", "out of range"],
    );
    rejected(
        &[
            "camera",
            "add",
            "c",
            "--ip",
            "192.168.1.9",
            "--port",
            "65536/udp",
        ],
        &["--port", "out of range"],
    );
}

#[test]
fn duplicate_names() {
    rejected(&["peer", "add", "phone"], &["peer 'phone' already exists"]);
    rejected(
        &["peer", "add", "Phone"],
        &["collide with existing peer 'phone'"],
    );
    rejected(&["peer", "add", "x", "x"], &["named twice"]);
    rejected(
        &["camera", "add", "nvr", "--ip", "192.168.1.9"],
        &["camera 'nvr' already exists"],
    );
    init_rejected(
        &["--peer", "a", "--peer", "a"],
        &["peer 'a' already exists"],
    );
    init_rejected(
        &["--camera", "a=192.168.1.2", "--camera", "a=192.168.1.3"],
        &["camera 'a' already exists"],
    );
    rejected(
        &["camera", "add", "other", "--ip", "192.168.1.20"],
        &["address 192.168.1.20 of another camera"],
    );
}

#[test]
fn hostile_names() {
    for name in [
        "two words",
        "it's",
        "say\"hi\"",
        "line\nbreak",
        "$(reboot)",
        "a;b",
    ] {
        rejected(
            &["peer", "add", name],
            &["invalid value", "peer name cannot contain"],
        );
        rejected(
            &["camera", "add", name, "--ip", "192.168.1.9"],
            &["camera name cannot contain"],
        );
        init_rejected(&["--peer", name], &["peer name cannot contain"]);
        init_rejected(
            &["--camera", &format!("{name}=192.168.1.9")],
            &["camera name cannot contain"],
        );
    }
    rejected(&["peer", "add", "sixteen-chars-xx"], &["at most 15"]);
    // The peers' list page is peers/index.html.
    rejected(
        &["peer", "add", "Index"],
        &["'Index' cannot be a peer name", "index.html"],
    );
}

#[test]
fn interface_names_wg_quick_would_refuse() {
    for bad in ["wg 0", "wg0;reboot", "sixteen-chars-xx", "wg/0", ""] {
        init_rejected(&["--interface", bad], &["--interface"]);
        init_rejected(&["--wan-if", bad], &["--wan-if"]);
    }
}

#[test]
fn unknown_vendor() {
    rejected(
        &[
            "camera",
            "add",
            "c",
            "--ip",
            "192.168.1.9",
            "--vendor",
            "acme",
        ],
        &["--vendor", "unknown vendor", "hikvision"],
    );
    init_rejected(
        &["--camera", "c=192.168.1.9:acme"],
        &["vendor 'acme'", "dahua"],
    );
    // A start of a preset's name is taken for a typo of it.
    rejected(
        &[
            "camera",
            "add",
            "c",
            "--ip",
            "192.168.1.9",
            "--vendor",
            "hik",
        ],
        &["did you mean 'hikvision'?"],
    );
    init_rejected(
        &["--camera", "c=192.168.1.9:reo"],
        &["did you mean 'reolink'?"],
    );
    // The presets are in the help of the options that take one.
    for args in [
        &["camera", "add", "--help"][..],
        &["camera", "set", "--help"],
        &["init", "--help"],
    ] {
        let help = Cmd::new().args(args).ok().stdout;
        for preset in ["hikvision (Hikvision)", "reolink (Reolink)", "axis (Axis)"] {
            assert!(help.contains(preset), "{args:?}: {preset} not in\n{help}");
        }
    }
}

#[test]
fn unknown_camera_in_cameras() {
    rejected(
        &["peer", "add", "x", "--cameras", "driveway,frontdoor"],
        &["camera 'frontdoor' is not in site.toml", "driveway, nvr"],
    );
}

#[test]
fn bad_public_key() {
    rejected(
        &["peer", "add", "x", "--public-key", "abc"],
        &["--public-key", "44 characters", "`wg pubkey`"],
    );
    rejected(
        &[
            "peer",
            "add",
            "x",
            "--public-key",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ],
        &["all zeros"],
    );
}

#[test]
fn camera_inside_the_tunnel() {
    rejected(
        &["camera", "add", "c", "--ip", "10.66.0.9"],
        &["inside the tunnel subnet"],
    );
}

#[test]
fn camera_addresses_that_are_not_hosts_of_the_lan() {
    rejected(
        &["camera", "add", "c", "--ip", "8.8.8.8"],
        &["8.8.8.8", "outside the LAN 192.168.1.0/24"],
    );
    rejected(
        &["camera", "add", "c", "--ip", "192.168.1.255"],
        &[
            "192.168.1.255",
            "broadcast address of the LAN 192.168.1.0/24",
        ],
    );
    rejected(
        &["camera", "set", "driveway", "--ip", "192.168.1.0"],
        &["192.168.1.0", "network or broadcast"],
    );
    init_rejected(
        &["--camera", "gate=10.1.2.3"],
        &["10.1.2.3", "outside the LAN"],
    );
}

/// Breaks `site.toml` with `edit`, then expects every command to refuse with
/// the file, a line and a column.
fn broken_site(edit: impl Fn(&str) -> String, says: &[&str]) {
    let s = Site::new();
    s.init();
    let path = s.dir().join("site.toml");
    fs::write(&path, edit(&s.site_toml())).unwrap();
    let before = s.files();
    for args in [
        vec!["peer", "list"],
        vec!["peer", "add", "x"],
        vec!["render", "--out", "/nonexistent/never"],
    ] {
        let r = s.cmd().args(&args).fails(2);
        assert!(
            r.stderr.contains(&path.display().to_string()),
            "{}",
            r.stderr
        );
        for want in says {
            assert!(
                r.stderr.contains(want),
                "{args:?}: expected {want:?} in:\n{}",
                r.stderr
            );
        }
    }
    assert_eq!(before, s.files());
}

#[test]
fn corrupt_site_toml_shows_line_and_column() {
    broken_site(
        |t| t.replace("subnet = \"10.66.0.0/24\"", "subnet = \"10.66.0.0/24"),
        &["line 8, column 23", "subnet = \"10.66.0.0/24"],
    );
    broken_site(|t| t[..t.len() / 2].to_owned(), &["line"]);
    broken_site(
        |t| t.replace("lan_if = \"br0\"", "lan_if = \"br 0\""),
        &["line 11, column 10", "cannot contain a space"],
    );
    broken_site(
        |t| t.replace("name = \"phone\"", "name = \"$(reboot)\""),
        &["line", "peer name cannot contain '$'"],
    );
    broken_site(
        |t| t.replace("platform = \"linux\"", "platform = \"windows\""),
        &["line 4", "windows"],
    );
    broken_site(
        |t| format!("{t}\nsurprise = 1\n"),
        &["unknown field", "surprise"],
    );
    // Valid TOML, inconsistent site: a peer on the router's address.
    broken_site(
        |t| t.replace("address = \"10.66.0.2\"", "address = \"10.66.0.1\""),
        &["peer 'phone' address 10.66.0.1"],
    );
}

#[test]
fn bad_key_files_name_the_file() {
    for (content, says) in [
        ("abc\n", "found 3"),
        (
            "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=\n",
            "not valid base64",
        ),
        ("", "found 0"),
    ] {
        let s = Site::new();
        s.init();
        let key = s.dir().join("keys/peer-phone.key");
        fs::write(&key, content).unwrap();
        let r = s.cmd().args(["peer", "show", "phone", "--config"]).fails(2);
        assert!(
            r.stderr.contains(&key.display().to_string()) && r.stderr.contains(says),
            "{}",
            r.stderr
        );
        s.cmd()
            .arg("render")
            .arg("--out")
            .arg(s.path("out"))
            .fails(2);
        assert!(
            !s.path("out").exists(),
            "render wrote output despite a bad key"
        );
    }
}

#[test]
fn a_key_that_does_not_match_site_toml() {
    let s = Site::new();
    s.init();
    let other = camvpn::model::keys::PrivateKey::generate().to_base64();
    fs::write(s.dir().join("keys/server.key"), format!("{}\n", *other)).unwrap();
    let r = s
        .cmd()
        .args(["render", "--out"])
        .arg(s.path("out"))
        .fails(2);
    assert!(
        r.stderr.contains("server.key") && r.stderr.contains("does not match"),
        "{}",
        r.stderr
    );
}

#[test]
fn unreadable_keys_dir() {
    // A keys "dir" that is a file.
    let s = Site::new();
    s.init();
    let keys = s.dir().join("keys");
    fs::rename(&keys, s.path("keys.bak")).unwrap();
    fs::write(&keys, "not a dir").unwrap();
    let r = s.cmd().args(["peer", "show", "phone", "--config"]).fails(2);
    assert!(
        r.stderr.contains("cannot read") && r.stderr.contains("keys"),
        "{}",
        r.stderr
    );

    // A keys dir the user may not read (root reads everything: run as nobody).
    if !root_or_skip("unreadable keys dir as another user") {
        return;
    }
    let s = Site::new();
    s.init();
    fs::set_permissions(s.tmp.path(), fs::Permissions::from_mode(0o755)).unwrap();
    Command::new("chown")
        .args(["-R", "nobody"])
        .arg(s.dir())
        .status()
        .unwrap();
    fs::set_permissions(s.dir().join("keys"), fs::Permissions::from_mode(0o000)).unwrap();
    let before = s.files();
    let out = Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(BIN)
        .arg("--dir")
        .arg(s.dir())
        .args(["peer", "show", "phone", "--config"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot read") && stderr.contains("Permission denied"),
        "{stderr}"
    );
    assert_eq!(before, s.files());
}

#[test]
fn no_site_yet() {
    let s = Site::new();
    let r = s.cmd().args(["peer", "list"]).fails(2);
    assert!(
        r.stderr.contains("no site at") && r.stderr.contains("camvpn init"),
        "{}",
        r.stderr
    );
    assert!(!s.dir().exists());
}

/// Issue 16: a malformed MAC or LAN prefix is refused, nothing changed.
#[test]
fn bad_macs_and_lan6_prefixes() {
    for mac in ["00:11:22:33:44", "zz:11:22:33:44:55", "01:00:5e:00:00:01"] {
        rejected(
            &["camera", "set", "driveway", "--mac", mac],
            &[mac, "00:11:22:aa:bb:cc"],
        );
        rejected(
            &[
                "camera",
                "add",
                "door",
                "--ip",
                "192.168.1.40",
                "--mac",
                mac,
            ],
            &[mac],
        );
    }
    rejected(
        &["site", "set", "--lan6", "2001:db8:2::/56"],
        &["not a /64", "2001:db8:2::/56"],
    );
    init_rejected(&["--lan6", "2001:db8:2::1/64"], &["host bits"]);
}

/// Issue 33: only services camvpn can name open the router to the tunnel.
#[test]
fn router_access_takes_services_or_ports_and_refuses_the_rest() {
    let s = Site::new();
    s.init();
    let before = s.files();
    for bad in ["sshd", "22", "22/icmp", "ssh,,https"] {
        let r = s
            .cmd()
            .args(["site", "set", "--router-access", bad])
            .fails(2);
        assert!(
            r.stderr.contains("router service") || r.stderr.contains("--router-access"),
            "{bad}: {}",
            r.stderr
        );
    }
    assert_eq!(
        s.files(),
        before,
        "a refused --router-access changed the site"
    );
    s.cmd()
        .args(["site", "set", "--router-access", "ssh,https"])
        .ok();
    assert!(
        s.site_toml()
            .contains("router_access = [\"22/tcp\", \"443/tcp\"]"),
        "{}",
        s.site_toml()
    );
    let shown = s.cmd().args(["site", "show"]).ok();
    assert!(
        shown
            .stdout
            .contains("router access:    ping, DNS, 22/tcp, 443/tcp"),
        "{}",
        shown.stdout
    );
    // The MTU shown is the one the files carry, not WireGuard's 1420.
    let conf = s
        .cmd()
        .args(["peer", "show", "phone", "--config"])
        .ok()
        .stdout;
    assert!(conf.contains("MTU = 1280"), "{conf}");
    assert!(
        shown
            .stdout
            .contains("mtu:              1280 (camvpn's default)"),
        "{}",
        shown.stdout
    );
    s.cmd()
        .args(["site", "set", "--router-access", "none"])
        .ok();
    assert!(!s.site_toml().contains("router_access"));
}

#[test]
fn render_into_a_file_is_exit_2_and_a_missing_file_is_named_once() {
    let s = Site::new();
    s.init();
    let file = s.path("not-a-dir");
    fs::write(&file, "mine\n").unwrap();
    let r = s.cmd().args(["render", "--out"]).arg(&file).fails(2);
    assert!(r.stderr.contains("is not a directory"), "{}", r.stderr);
    assert_eq!(fs::read_to_string(&file).unwrap(), "mine\n");
    let r = s.cmd().args(["audit", "/nonexistent/dump"]).fails(2);
    assert_eq!(
        r.stderr.matches("No such file or directory").count(),
        1,
        "{}",
        r.stderr
    );
}

#[test]
fn more_peers_than_the_subnet_holds_says_how_many_fit() {
    rejected(
        &["peer", "add", "--prefix", "p", "--count", "300"],
        &["10.66.0.0/24 has room for 2", "300 were asked for"],
    );
}

/// Runs camvpn with `args` in `s`, its standard output a pipe closed before
/// it writes; the exit code and what it said on standard error.
fn into_a_closed_pipe(s: &Site, args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .arg("--dir")
        .arg(s.dir())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_stops_reading_ends_the_command_quietly_with_141() {
    let s = Site::new();
    s.init();
    let dump = format!(
        "{}/tests/fixtures/audit/iptables-rules",
        env!("CARGO_MANIFEST_DIR")
    );
    for args in [
        &["export", "--secrets"][..],
        &["camera", "list"],
        &["audit", &dump],
        &["peer", "show", "phone", "--qr", "ansi"],
    ] {
        let (code, stderr) = into_a_closed_pipe(&s, args);
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("error") && !stderr.contains("panicked"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn under_json_an_error_is_a_json_object_with_the_exit_code() {
    let s = Site::new();
    s.init();
    for (args, code) in [
        (&["--json", "peer", "show", "nosuch"][..], 2),
        (&["--json", "camera", "add", "c", "--ip", "8.8.8.8"], 2),
    ] {
        let r = s.cmd().args(args).fails(code);
        let v: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout));
        assert_eq!(v["exit_code"], code, "{args:?}");
        let said = v["error"].as_str().unwrap();
        assert!(r.stderr.contains(said), "{args:?}: {said} / {}", r.stderr);
    }
    // Without --json, standard output stays empty.
    let r = s.cmd().args(["peer", "show", "nosuch"]).fails(2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}
