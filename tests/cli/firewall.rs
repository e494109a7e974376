//! The firewall artifacts and `apply`, judged by nft and iptables; the
//! behaviour with real packets is in the lab (tests/lab/firewall.sh).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{BIN, Netns, Site, files_below, root_or_skip, tool, unique};

/// A site with `peers` peers and `cameras` cameras, all peers seeing all.
fn site(peers: usize, cameras: usize) -> Site {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "203.0.113.1",
            "--wan-if",
            "wan0",
            "--lan-if",
            "lan0",
            "--subnet6",
            "fd66::/64",
            "--log-drops",
        ])
        .ok();
    for c in 0..cameras {
        s.cmd()
            .args([
                "camera",
                "add",
                &format!("c{c}"),
                "--ip",
                &format!("192.168.1.{}", 10 + c),
                "--ip6",
                &format!("2001:db8:2::{}", 10 + c),
                "--vendor",
                "dahua",
            ])
            .ok();
    }
    if peers > 0 {
        let names: Vec<String> = (0..peers).map(|p| format!("p{p}")).collect();
        s.cmd().args(["peer", "add"]).args(&names).ok();
    }
    s
}

#[test]
fn nft_and_iptables_accept_the_rendered_rules() {
    if !root_or_skip("nft -c / iptables-restore --test in a private namespace") {
        return;
    }
    let s = site(3, 2);
    s.cmd().args(["peer", "add", "ft", "--full-tunnel"]).ok();
    s.cmd()
        .args(["peer", "add", "view", "--cameras", "c1", "--only", "rtsp"])
        .ok();
    s.cmd()
        .args(["camera", "set", "c0", "--internet", "on"])
        .ok();
    s.cmd().args(["site", "set", "--dns", "192.168.1.53"]).ok();
    s.cmd()
        .args(["site", "set", "--router-access", "ssh,8443/tcp"])
        .ok();
    let out = s.render(&[]);
    let ns = Netns::new("cvf");
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
    tool(
        ns.exec("ip6tables-restore")
            .args(["--test", "--noflush"])
            .arg(out.join("camvpn.ip6tables")),
    );
    // Loaded for real, the elements are what the policy says.
    tool(ns.exec("nft").arg("-f").arg(out.join("camvpn.nft")));
    let access = tool(
        ns.exec("nft")
            .args(["list", "set", "inet", "camvpn", "access4"]),
    );
    assert!(
        access.contains("10.66.0.6 . 192.168.1.11 . tcp . 554"),
        "{access}"
    );
    assert!(
        !access.contains("10.66.0.6 . 192.168.1.11 . tcp . 80"),
        "view peer got more than rtsp:\n{access}"
    );
    assert!(
        !access.contains("10.66.0.6 . 192.168.1.10"),
        "view peer got camera c0:\n{access}"
    );
    let ft = tool(
        ns.exec("nft")
            .args(["list", "set", "inet", "camvpn", "full_tunnel4"]),
    );
    assert!(ft.contains("10.66.0.5"), "{ft}");
    let inet = tool(
        ns.exec("nft")
            .args(["list", "set", "inet", "camvpn", "internet4"]),
    );
    assert!(
        inet.contains("192.168.1.10") && !inet.contains("192.168.1.11"),
        "{inet}"
    );
    // The tunnel reaches the router for ping, DNS and what the site opens;
    // the last rule of the tunnel's input drops the rest.
    let input = tool(
        ns.exec("nft")
            .args(["list", "chain", "inet", "camvpn", "input"]),
    );
    let tunnel: Vec<&str> = input
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("iifname \"wg0\""))
        .collect();
    for want in [
        "ip daddr 10.66.0.1 icmp type echo-request accept",
        "ip6 daddr fd66::1 icmpv6 type echo-request accept",
        "tcp dport 22 accept",
        "tcp dport 8443 accept",
    ] {
        assert!(
            tunnel.iter().any(|l| l.ends_with(want)),
            "no {want}:\n{input}"
        );
    }
    assert!(tunnel.last().unwrap().ends_with(" drop"), "{input}");
    let ipt = fs::read_to_string(out.join("camvpn.iptables")).unwrap();
    assert!(ipt.contains("-A CAMVPN_INPUT -i wg0 -p tcp --dport 22 -j ACCEPT\n"));
    assert!(ipt.contains("-A CAMVPN_INPUT -i wg0 -j DROP\n"));
    // Re-loading replaces the table instead of adding a second one.
    tool(ns.exec("nft").arg("-f").arg(out.join("camvpn.nft")));
    assert_eq!(
        tool(ns.exec("nft").args(["list", "tables"]))
            .lines()
            .count(),
        1
    );
}

/// Rules the kernel holds for camvpn's table, counted by nft itself.
fn nft_rules(s: &Site) -> usize {
    let out = s.render(&["--firewall", "nft"]);
    let ns = Netns::new("cvc");
    tool(ns.exec("nft").arg("-f").arg(out.join("camvpn.nft")));
    let json: serde_json::Value = serde_json::from_str(&tool(
        ns.exec("nft")
            .args(["-j", "list", "table", "inet", "camvpn"]),
    ))
    .unwrap();
    json["nftables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o.get("rule").is_some())
        .count()
}

#[test]
fn nft_rule_count_does_not_grow_with_peers_or_cameras() {
    if !root_or_skip("nft rule count") {
        return;
    }
    let small = nft_rules(&site(1, 1));
    let big = nft_rules(&site(30, 12));
    assert_eq!(small, big, "rules grew from {small} to {big}");
}

#[test]
fn apply_dry_run_prints_and_touches_nothing() {
    let s = site(1, 1);
    let wg_dir = s.path("wg");
    let before = files_below(s.tmp.path());
    let r = s
        .cmd()
        .args(["apply", "--dry-run", "--wg-dir"])
        .arg(&wg_dir)
        .ok();
    for want in [
        "would run: nft -c -f - < camvpn.nft",
        "would run: nft -f - < camvpn.nft",
        "would write: ",
        "wg0.conf (mode 600)",
        "applied.json",
    ] {
        assert!(
            r.stdout.contains(want),
            "{want:?} missing from:\n{}",
            r.stdout
        );
    }
    assert!(
        !r.stdout.contains("PrivateKey"),
        "dry run printed the router's key"
    );
    let r = s
        .cmd()
        .args(["apply", "--dry-run", "--firewall", "iptables", "--wg-dir"])
        .arg(&wg_dir)
        .ok();
    assert!(
        r.stdout
            .contains("would run: iptables-restore --test --noflush < camvpn.iptables"),
        "{}",
        r.stdout
    );
    assert_eq!(before, files_below(s.tmp.path()), "a dry run changed files");
}

#[test]
fn apply_refuses_other_platforms() {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            "ddwrt",
            "--endpoint",
            "vpn.example.net",
        ])
        .ok();
    let r = s.cmd().args(["apply", "--dry-run"]).fails(2);
    assert!(r.stderr.contains("camvpn-ddwrt.sh"), "{}", r.stderr);
}

/// Runs camvpn inside `ns` with `path` first on PATH.
fn camvpn_in(ns: &Netns, s: &Site, path: &str, args: &[&str]) -> std::process::Output {
    let mut c = ns.exec("env");
    c.arg(format!("PATH={path}:{}", std::env::var("PATH").unwrap()))
        .arg("WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go")
        .arg(BIN)
        .arg("--dir")
        .arg(s.dir())
        .args(args);
    c.output().unwrap()
}

#[test]
fn a_failed_iptables_apply_restores_the_previous_rules() {
    if !root_or_skip("iptables rollback") {
        return;
    }
    let s = site(1, 1);
    let ns = Netns::new("cvr");
    let iface = unique("cvi");
    s.cmd().args(["site", "set", "--firewall", "iptables"]).ok();
    // The interface name must be unique on this machine (wireguard-go sockets).
    let toml = s
        .site_toml()
        .replace("interface = \"wg0\"", &format!("interface = \"{iface}\""));
    fs::write(s.dir().join("site.toml"), toml).unwrap();
    let wg_dir = s.path("wg");
    let wg = wg_dir.display().to_string();
    let ok = camvpn_in(&ns, &s, "/nonexistent", &["apply", "--wg-dir", &wg]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let saved = |t: &str| -> String {
        tool(&mut ns.exec(t))
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(" [").next().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (v4, v6) = (saved("iptables-save"), saved("ip6tables-save"));
    let peers_before = tool(ns.exec("wg").args(["show", &iface, "peers"]));

    s.cmd().args(["peer", "add", "newcomer"]).ok();
    let fake = s.path("fake");
    fs::create_dir(&fake).unwrap();
    let real = tool(Command::new("sh").args(["-c", "command -v ip6tables-restore"]));
    let fake_restore = |body: &str| {
        let script = format!(
            "#!/bin/sh\nREAL={}\ncase \" $* \" in *\" --test \"*) exec $REAL \"$@\";; esac\n{body}",
            real.trim()
        );
        fs::write(fake.join("ip6tables-restore"), script).unwrap();
        fs::set_permissions(
            fake.join("ip6tables-restore"),
            fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    };
    let apply_with_fake = || {
        let out = camvpn_in(
            &ns,
            &s,
            &fake.display().to_string(),
            &["apply", "--wg-dir", &wg],
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    // 1. ip6tables-restore passes --test, loads the new IPv6 rules and one
    //    chain more (a load that got half-way), then fails, after the IPv4
    //    rules were replaced too: both families have changed when it fails.
    let mid = s.path("mid");
    fs::create_dir(&mid).unwrap();
    let m = mid.display();
    fake_restore(&format!(
        "case \" $* \" in *\" --noflush \"*)\n  $REAL \"$@\" || exit 1\n  ip6tables -N CAMVPN_HALFWAY\n  iptables-save > {m}/v4; ip6tables-save > {m}/v6\n  echo simulated failure >&2; exit 1;;\nesac\nexec $REAL \"$@\"\n"
    ));
    let (code, stderr) = apply_with_fake();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("simulated failure")
            && stderr.contains("previous iptables and ip6tables rules were restored")
            && stderr.contains("checked with iptables-save"),
        "{stderr}"
    );
    let mid4 = fs::read_to_string(mid.join("v4")).unwrap();
    let mid6 = fs::read_to_string(mid.join("v6")).unwrap();
    let newcomer = s.cmd().args(["peer", "show", "newcomer", "--json"]).ok();
    let newcomer: serde_json::Value = serde_json::from_str(&newcomer.stdout).unwrap();
    let address = newcomer["address"].as_str().unwrap();
    assert!(
        mid4.contains(address) && !v4.contains(address),
        "the IPv4 rules had not changed when the load failed:\n{mid4}"
    );
    assert!(mid6.contains("CAMVPN_HALFWAY") && !v6.contains("CAMVPN_HALFWAY"));
    assert_eq!(
        saved("iptables-save"),
        v4,
        "IPv4 rules were not rolled back"
    );
    assert_eq!(
        saved("ip6tables-save"),
        v6,
        "IPv6 rules were not rolled back"
    );
    // The tunnel was not touched: the firewall comes first.
    assert_eq!(
        tool(ns.exec("wg").args(["show", &iface, "peers"])),
        peers_before
    );

    // 2. ip6tables-restore fails for everything but --test, the restore of
    //    the saved IPv6 rules too: apply says so, and how to fix it by hand.
    fake_restore("echo simulated failure >&2\nexit 1\n");
    let (code, stderr) = apply_with_fake();
    assert_eq!(code, Some(3), "{stderr}");
    let kept = s.dir().join("ip6tables-before-apply.rules");
    assert!(
        stderr.contains("restoring the previous rules FAILED")
            && stderr.contains("iptables: restored as before apply")
            && stderr.contains("ip6tables: NOT restored")
            && stderr.contains(&format!(
                "restore by hand with: ip6tables-restore < {}",
                kept.display()
            )),
        "{stderr}"
    );
    assert!(!stderr.contains("rules were restored"), "{stderr}");
    let kept_rules = fs::read_to_string(&kept).unwrap();
    assert_eq!(
        kept_rules
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split(" [").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n"),
        v6
    );
    assert_eq!(
        fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(saved("iptables-save"), v4);
}

/// Issue 33: apply overwrote the owner's own wg0.conf (another VPN, another
/// key) without a word. A config of another key is refused before anything
/// changes, also in a dry run, naming it and the ways on; the site's own
/// config (as render writes it) is taken.
#[test]
fn apply_refuses_a_wireguard_config_it_did_not_make() {
    let s = site(1, 1);
    let wg_dir = s.path("wg");
    fs::create_dir_all(&wg_dir).unwrap();
    let theirs = tool(Command::new("wg").arg("genkey"));
    let conf = wg_dir.join("wg0.conf");
    fs::write(
        &conf,
        format!(
            "[Interface]\nPrivateKey = {}\nAddress = 10.8.0.1/24\nListenPort = 51820\n",
            theirs.trim()
        ),
    )
    .unwrap();
    let before = files_below(s.tmp.path());
    for dry in [true, false] {
        let mut args = vec!["apply"];
        if dry {
            args.push("--dry-run");
        }
        let r = s.cmd().args(&args).arg("--wg-dir").arg(&wg_dir).fails(2);
        assert!(
            r.stderr
                .contains(&format!("{} is not this site's", conf.display()))
                && r.stderr.contains("camvpn init --adopt")
                && r.stderr.contains("--interface"),
            "{}",
            r.stderr
        );
        assert_eq!(
            before,
            files_below(s.tmp.path()),
            "a refused apply changed files"
        );
    }
    // The site's own config is its own.
    let out = s.render(&["--no-peers"]);
    fs::copy(out.join("wg0.conf"), &conf).unwrap();
    s.cmd()
        .args(["apply", "--dry-run", "--wg-dir"])
        .arg(&wg_dir)
        .ok();
}

/// Issue 33: with the WireGuard port taken by another interface, apply
/// failed with wg-quick's raw output and left forwarding on, wg0.conf
/// written and nothing recorded. It is refused before anything changes,
/// naming the interface that holds the port; and should the tunnel still
/// fail, what apply did goes back.
#[test]
fn apply_refuses_a_port_another_interface_holds_and_changes_nothing() {
    if !root_or_skip("apply next to another WireGuard interface") {
        return;
    }
    let s = site(1, 1);
    let mut ns = Netns::new("cvq");
    let (other, iface) = (unique("cvo"), unique("cvi"));
    let toml = s
        .site_toml()
        .replace("interface = \"wg0\"", &format!("interface = \"{iface}\""));
    fs::write(s.dir().join("site.toml"), toml).unwrap();
    // The office's own tunnel on 51820.
    ns.wireguard_go(&other);
    let key = s.path("other.key");
    fs::write(&key, tool(Command::new("wg").arg("genkey"))).unwrap();
    tool(
        ns.exec("wg")
            .args(["set", &other, "listen-port", "51820", "private-key"])
            .arg(&key),
    );
    let wg_dir = s.path("wg");
    let forward = || tool(ns.exec("sysctl").args(["-n", "net.ipv4.ip_forward"]));
    let before = (forward(), files_below(s.tmp.path()));
    let r = camvpn_in(
        &ns,
        &s,
        "/nonexistent",
        &["apply", "--wg-dir", &wg_dir.display().to_string()],
    );
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "UDP 51820 is used by the WireGuard interface {other}"
        )) && err.contains("--listen-port"),
        "{err}"
    );
    assert_eq!(
        (forward(), files_below(s.tmp.path())),
        before,
        "a refused apply changed the host"
    );
    let table_loaded = || {
        ns.exec("nft")
            .args(["list", "table", "inet", "camvpn"])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(!table_loaded(), "a refused apply loaded camvpn's table");

    // wg-quick failing anyway (here: not there at all) puts back what this
    // apply did.
    tool(ns.exec("wg").args(["set", &other, "listen-port", "51999"]));
    let fake = s.path("fake");
    fs::create_dir(&fake).unwrap();
    fs::write(
        fake.join("wg-quick"),
        "#!/bin/sh\necho 'wg-quick: failed' >&2\nexit 1\n",
    )
    .unwrap();
    fs::set_permissions(fake.join("wg-quick"), fs::Permissions::from_mode(0o755)).unwrap();
    let r = camvpn_in(
        &ns,
        &s,
        &fake.display().to_string(),
        &["apply", "--wg-dir", &wg_dir.display().to_string()],
    );
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(3), "{err}");
    assert!(err.contains("the host is as it was"), "{err}");
    assert_eq!(forward(), before.0, "forwarding was left switched on");
    assert!(
        !wg_dir.join(format!("{iface}.conf")).exists(),
        "the config was left written"
    );
    assert!(!s.dir().join("applied.json").exists());
    assert!(
        !table_loaded(),
        "the firewall of a failed first apply was left loaded"
    );
}

/// Issue 33: status said all was well while the interface was another
/// VPN's. It compares the running interface's key, port, address and peers
/// with the site (here in a namespace, with wireguard-go).
#[test]
fn status_names_an_interface_that_is_not_the_sites() {
    if !root_or_skip("status against a wireguard-go interface") {
        return;
    }
    let s = site(1, 1);
    let mut ns = Netns::new("cvs");
    let iface = unique("cvi");
    let toml = s
        .site_toml()
        .replace("interface = \"wg0\"", &format!("interface = \"{iface}\""));
    fs::write(s.dir().join("site.toml"), toml).unwrap();
    ns.wireguard_go(&iface);
    let theirs = s.path("theirs.key");
    fs::write(&theirs, tool(Command::new("wg").arg("genkey"))).unwrap();
    let wg = |args: &[&str], key: &std::path::Path| {
        tool(ns.exec("wg").arg("set").arg(&iface).args(args).arg(key));
    };
    wg(&["listen-port", "51820", "private-key"], &theirs);
    let status = || {
        let r = camvpn_in(&ns, &s, "/nonexistent", &["--json", "status"]);
        assert_eq!(r.status.code(), Some(1), "{r:?}");
        let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
        v["differs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let d = status();
    assert!(
        d.len() == 2
            && d[0].contains(&format!("{iface} has the key"))
            && d[1].contains("does not have the router's tunnel address 10.66.0.1"),
        "{d:?}"
    );
    // The site's key and address: nothing differs (the firewall is not
    // loaded here, so status still finds that).
    wg(&["private-key"], &s.dir().join("keys/server.key"));
    tool(
        ns.exec("ip")
            .args(["addr", "add", "10.66.0.1/24", "dev", &iface]),
    );
    assert_eq!(status(), Vec::<String>::new());
}

/// Issue 33: a second apply whose tunnel fails puts back the firewall of the
/// apply before (from a snapshot), not none and not the new one; for nft
/// and iptables, in a namespace with wireguard-go.
#[test]
fn a_failed_tunnel_on_reapply_puts_back_the_previous_firewall() {
    if !root_or_skip("apply rollback of a replaced firewall") {
        return;
    }
    for backend in ["nft", "iptables"] {
        let s = site(1, 1);
        let ns = Netns::new("cvb");
        let iface = unique("cvi");
        s.cmd().args(["site", "set", "--firewall", backend]).ok();
        let toml = s
            .site_toml()
            .replace("interface = \"wg0\"", &format!("interface = \"{iface}\""));
        fs::write(s.dir().join("site.toml"), toml).unwrap();
        let wg = s.path("wg").display().to_string();
        let ok = camvpn_in(&ns, &s, "/nonexistent", &["apply", "--wg-dir", &wg]);
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let firewall = || -> String {
            let dump = if backend == "nft" {
                tool(
                    ns.exec("nft")
                        .args(["-s", "list", "table", "inet", "camvpn"]),
                )
            } else {
                tool(&mut ns.exec("iptables-save")) + &tool(&mut ns.exec("ip6tables-save"))
            };
            dump.lines()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.split(" [").next().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let before = firewall();
        // A reboot took the interface down; the next apply's wg-quick fails.
        tool(ns.exec("ip").args(["link", "del", &iface]));
        let _ = fs::remove_file(format!("/var/run/wireguard/{iface}.sock"));
        s.cmd().args(["peer", "add", "newcomer"]).ok();
        s.cmd().args(["site", "set", "--router-access", "ssh"]).ok();
        let fake = s.path("fake");
        fs::create_dir(&fake).unwrap();
        fs::write(
            fake.join("wg-quick"),
            "#!/bin/sh\necho 'wg-quick: failed' >&2\nexit 1\n",
        )
        .unwrap();
        fs::set_permissions(fake.join("wg-quick"), fs::Permissions::from_mode(0o755)).unwrap();
        let r = camvpn_in(
            &ns,
            &s,
            &fake.display().to_string(),
            &["apply", "--wg-dir", &wg],
        );
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(3), "{backend}: {err}");
        assert!(err.contains("the host is as it was"), "{backend}: {err}");
        assert_eq!(
            firewall(),
            before,
            "{backend}: the firewall of before is not back"
        );
    }
}

/// Issue 33: new keys for everyone (`init --force`) then apply: the
/// interface has the new router key and only the new peers' keys; no
/// revoked key is left on it (wireguard-go, in a namespace).
#[test]
fn apply_after_new_keys_leaves_no_revoked_peer_on_the_interface() {
    if !root_or_skip("apply after init --force") {
        return;
    }
    let s = site(2, 1);
    let ns = Netns::new("cvk");
    let iface = unique("cvi");
    let set_iface = || {
        let toml = s
            .site_toml()
            .replace("interface = \"wg0\"", &format!("interface = \"{iface}\""));
        fs::write(s.dir().join("site.toml"), toml).unwrap();
    };
    set_iface();
    let wg = s.path("wg").display().to_string();
    let apply = || {
        let r = camvpn_in(&ns, &s, "/nonexistent", &["apply", "--wg-dir", &wg]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    };
    let show = |what: &str| tool(ns.exec("wg").args(["show", &iface, what]));
    apply();
    let old_peers = show("peers");
    assert_eq!(old_peers.lines().count(), 2);
    s.cmd()
        .args([
            "init",
            "--force",
            "--platform",
            "linux",
            "--endpoint",
            "203.0.113.1",
        ])
        .args([
            "--wan-if", "wan0", "--lan-if", "lan0", "--peer", "p0", "--peer", "p1",
        ])
        .ok();
    set_iface();
    apply();
    let site: serde_json::Value =
        serde_json::from_str(&s.cmd().args(["export"]).ok().stdout).unwrap();
    let peers = show("peers");
    for old in old_peers.lines() {
        assert!(
            !peers.contains(old),
            "the revoked key {old} is still on {iface}"
        );
    }
    let mut want: Vec<&str> = site["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["public_key"].as_str().unwrap())
        .collect();
    let mut have: Vec<&str> = peers.lines().collect();
    want.sort_unstable();
    have.sort_unstable();
    assert_eq!(have, want);
    assert_eq!(
        show("public-key").trim(),
        site["server"]["public_key"].as_str().unwrap()
    );
}
