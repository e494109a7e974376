//! `camvpn audit` and `init --import-forwards`, on fixtures written from the
//! real formats and on what the real tools print after loading them.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use camvpn::formats::uci::{self, Configs};

use crate::common::{Cmd, Netns, Site, root_or_skip, tool};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/audit");

fn fixture(name: &str) -> PathBuf {
    Path::new(FIX).join(name)
}

/// Runs `audit ARGS FILE` without a site.
fn audit_file(args: &[&str], file: &Path) -> crate::common::Ran {
    Cmd::new()
        .args(["--dir", "/nonexistent", "audit"])
        .args(args)
        .arg(file)
        .run()
}

/// Runs `audit --json` on `files`; returns the exit code and the report.
fn audit(site: Option<&Site>, args: &[&str]) -> (i32, serde_json::Value) {
    let cmd = match site {
        Some(s) => s.cmd(),
        None => Cmd::new().args(["--dir", "/nonexistent/site"]),
    };
    let r = cmd.args(["audit", "--json"]).args(args).run();
    assert!(
        r.code == 0 || r.code == 1,
        "audit failed ({}): {}",
        r.code,
        r.stderr
    );
    (r.code, serde_json::from_str(&r.stdout).unwrap())
}

/// `proto external -> ip:internal` of each finding in a section.
fn rows(report: &serde_json::Value, section: &str) -> Vec<String> {
    report[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let range = |v: &serde_json::Value| match v {
                serde_json::Value::Null => "all".to_owned(),
                v if v["start"] == v["end"] => v["start"].to_string(),
                v => format!("{}-{}", v["start"], v["end"]),
            };
            let internal = if f["internal"].is_null() {
                &f["external"]
            } else {
                &f["internal"]
            };
            format!(
                "{} {} -> {}:{}",
                f["proto"].as_str().unwrap(),
                range(&f["external"]),
                f["ip"].as_str().unwrap(),
                range(internal)
            )
        })
        .collect()
}

#[test]
fn openwrt_redirects_ranges_and_ipv6_pinholes() {
    let (code, r) = audit(None, &[fixture("openwrt-firewall").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "camera_exposures"),
        [
            "both 554 -> 192.168.1.108:554",
            "tcp 37777 -> 192.168.1.108:37777",
            "tcp 34567-34568 -> 192.168.1.130:34567-34568",
            "tcp 554 -> 2001:db8:2::108:554",
            "tcp 80 -> 2001:db8:2::108:80",
        ]
    );
    assert_eq!(
        rows(&r, "other_forwards"),
        [
            "tcp 8443 -> 192.168.1.50:443",
            "udp 27015 -> 192.168.1.77:27015"
        ]
    );
    assert_eq!(rows(&r, "disabled"), ["both 8080 -> 192.168.1.20:80"]);
    let kinds: Vec<&str> = r["camera_exposures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "port-forward",
            "port-forward",
            "port-forward",
            "pinhole",
            "pinhole"
        ]
    );
    let first = &r["camera_exposures"][0];
    assert_eq!(first["name"], "Camera-RTSP");
    assert_eq!(first["line"], 51);
}

#[test]
fn iptables_save_with_reflection_docker_and_ipv6() {
    let (code, r) = audit(
        None,
        &[
            fixture("iptables-rules").to_str().unwrap(),
            fixture("ip6tables-rules").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "camera_exposures"),
        [
            "tcp 554 -> 192.168.1.108:554",
            "udp 554 -> 192.168.1.108:554",
            "tcp 8080 -> 192.168.1.108:80",
            "tcp 34567 -> 192.168.1.130:34567",
            "tcp 34599 -> 192.168.1.130:34599",
            // 9000 alone is the media port of Reolink, Swann and Lorex
            // NVRs (issue 25): a camera, also behind Docker's DNAT.
            "tcp 9000 -> 172.17.0.2:9000",
            "tcp 554 -> 2001:db8:2::108:554",
        ]
    );
    assert_eq!(
        rows(&r, "other_forwards"),
        [
            "tcp 8443 -> 192.168.1.50:443",
            "udp 27000-27030 -> 192.168.1.77:27000-27030",
        ]
    );
}

#[test]
fn nft_text_json_and_fw4_printed_form() {
    let (_, text) = audit(None, &[fixture("nft-ruleset.nft").to_str().unwrap()]);
    assert_eq!(
        rows(&text, "camera_exposures"),
        [
            "tcp 554 -> 192.168.1.108:554",
            "udp 554 -> 192.168.1.108:554",
            "tcp 8080 -> 192.168.1.108:80",
            "tcp 34567 -> 192.168.1.130:34567",
            "tcp 34599 -> 192.168.1.130:34599",
            "tcp 554 -> 2001:db8:2::108:554",
        ]
    );
    assert_eq!(
        rows(&text, "other_forwards"),
        [
            "tcp 8443 -> 192.168.1.50:443",
            "udp 27000-27030 -> 192.168.1.77:27000-27030"
        ]
    );
    // fw4 prints `dnat ADDR` (no "to") and bracketed IPv6: --format names it.
    let r = Cmd::new()
        .args(["--dir", "/nonexistent", "audit"])
        .arg(fixture("fw4-print.nft"))
        .fails(2);
    assert!(r.stderr.contains("--format"), "{}", r.stderr);
    let (code, fw4) = audit(
        None,
        &[
            "--format",
            "nft",
            fixture("fw4-print.nft").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        rows(&fw4, "camera_exposures"),
        [
            "tcp 37777 -> 192.168.26.100:37777",
            "tcp 554 -> 2001:db8:1000:1::1234:554"
        ]
    );
}

#[test]
fn ddwrt_nvram_forwards_ranges_dmz_and_upnp() {
    let (code, r) = audit(None, &[fixture("nvram-show.txt").to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "camera_exposures"),
        [
            "both 554 -> 192.168.1.108:554",
            "tcp 8081 -> 192.168.1.108:80",
            "tcp 34567-34568 -> 192.168.1.130:34567-34568"
        ]
    );
    assert_eq!(
        rows(&r, "other_forwards"),
        [
            "tcp 8443 -> 192.168.1.50:443",
            "udp 27000-27030 -> 192.168.1.77:27000-27030",
            "any all -> 192.168.1.60:all"
        ]
    );
    assert_eq!(rows(&r, "disabled"), ["tcp 37777 -> 192.168.1.20:37777"]);
    assert!(r["notes"][0].as_str().unwrap().contains("UPnP is on"));
}

/// The (proto, external, ip, internal, kind) of every finding, without lines.
fn forwards(r: &serde_json::Value) -> BTreeSet<String> {
    ["camera_exposures", "other_forwards", "disabled"]
        .iter()
        .flat_map(|s| r[s].as_array().unwrap().iter())
        .map(|f| {
            format!(
                "{} {} {} {} {} {}",
                f["proto"], f["external"], f["ip"], f["internal"], f["kind"], f["enabled"]
            )
        })
        .collect()
}

#[test]
fn what_the_real_tools_print_back_reads_the_same() {
    if !root_or_skip("audit of real iptables-save and nft output") {
        return;
    }
    let s = Site::new();
    let ns = Netns::new("cva");
    tool(ns.exec("iptables-restore").arg(fixture("iptables-rules")));
    tool(ns.exec("ip6tables-restore").arg(fixture("ip6tables-rules")));
    fs::write(s.path("iptables-save"), tool(&mut ns.exec("iptables-save"))).unwrap();
    fs::write(
        s.path("ip6tables-save"),
        tool(&mut ns.exec("ip6tables-save")),
    )
    .unwrap();
    let (_, from_fixture) = audit(
        None,
        &[
            fixture("iptables-rules").to_str().unwrap(),
            fixture("ip6tables-rules").to_str().unwrap(),
        ],
    );
    let (_, from_tool) = audit(
        None,
        &[
            s.path("iptables-save").to_str().unwrap(),
            s.path("ip6tables-save").to_str().unwrap(),
        ],
    );
    assert_eq!(forwards(&from_tool), forwards(&from_fixture));

    let ns = Netns::new("cvn");
    tool(ns.exec("nft").arg("-f").arg(fixture("nft-ruleset.nft")));
    fs::write(
        s.path("ruleset.nft"),
        tool(ns.exec("nft").args(["list", "ruleset"])),
    )
    .unwrap();
    fs::write(
        s.path("ruleset.json"),
        tool(ns.exec("nft").args(["-j", "list", "ruleset"])),
    )
    .unwrap();
    let (_, from_fixture) = audit(None, &[fixture("nft-ruleset.nft").to_str().unwrap()]);
    let (_, text) = audit(None, &[s.path("ruleset.nft").to_str().unwrap()]);
    let (_, json) = audit(None, &[s.path("ruleset.json").to_str().unwrap()]);
    assert_eq!(forwards(&text), forwards(&from_fixture), "nft list ruleset");
    assert_eq!(
        forwards(&json),
        forwards(&from_fixture),
        "nft -j list ruleset"
    );
}

#[test]
fn the_site_names_its_cameras_and_a_clean_router_exits_zero() {
    let s = Site::new();
    s.init();
    let (_, r) = audit(Some(&s), &[fixture("nvram-show.txt").to_str().unwrap()]);
    assert_eq!(r["camera_exposures"][0]["camera"], "driveway");
    assert!(
        r["camera_exposures"][0]["why"][0]
            .as_str()
            .unwrap()
            .contains("camera 'driveway' of the site")
    );
    let clean = s.path("clean");
    fs::write(&clean, "config zone\n\toption name 'wan'\n\nconfig redirect\n\toption src 'wan'\n\toption src_dport '8443'\n\toption dest_ip '192.168.1.50'\n").unwrap();
    let r = s.cmd().arg("audit").arg(&clean).ok();
    assert!(r.stdout.contains("No camera is exposed"), "{}", r.stdout);
    let table = s
        .cmd()
        .arg("audit")
        .arg(fixture("openwrt-firewall"))
        .fails(1);
    assert!(
        table
            .stdout
            .starts_with("CAMERAS EXPOSED TO THE INTERNET (5)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("! CVE-2021-36260"),
        "{}",
        table.stdout
    );
}

#[test]
fn a_file_in_no_known_format_is_a_clear_error() {
    let s = Site::new();
    fs::write(s.path("x"), "hello\nworld\n").unwrap();
    let r = Cmd::new()
        .args(["--dir", "/nonexistent", "audit"])
        .arg(s.path("x"))
        .fails(2);
    assert!(
        r.stderr
            .contains("not an OpenWrt firewall config, iptables-save output, nft ruleset"),
        "{}",
        r.stderr
    );
    fs::write(s.path("bad.json"), "{\"nftables\": [").unwrap();
    let r = Cmd::new()
        .args(["--dir", "/nonexistent", "audit"])
        .arg(s.path("bad.json"))
        .fails(2);
    assert!(r.stderr.contains("not valid nft JSON"), "{}", r.stderr);
    fs::write(s.path("broken"), "config redirect\n\toption name 'open\n").unwrap();
    let r = Cmd::new()
        .args(["--dir", "/nonexistent", "audit", "--format", "openwrt"])
        .arg(s.path("broken"))
        .fails(2);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
}

/// Issue 19: a declared format never turns "not understood" into "clean".
#[test]
fn audit_refuses_what_it_does_not_understand_under_every_format() {
    let s = Site::new();
    fs::write(s.path("hello"), "hello world\n").unwrap();
    // 3 KB of bytes that are no text (a fixed pattern, so a failure repeats).
    let noise: Vec<u8> = (0..3072u32)
        .map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()[2])
        .collect();
    fs::write(s.path("noise"), noise).unwrap();
    let audit_as = |format: &str, file: &Path| audit_file(&["--format", format], file);
    for (format, what) in [
        ("nft", "an nft ruleset"),
        ("iptables", "iptables-save output"),
        ("ddwrt", "a DD-WRT nvram dump"),
    ] {
        for junk in ["hello", "noise"] {
            let r = audit_as(format, &s.path(junk));
            assert_eq!(r.code, 2, "{format} {junk}: {}{}", r.stdout, r.stderr);
            assert!(
                r.stderr.contains(&format!("nothing in it is {what}"))
                    && r.stderr.contains(&format!("--format {format}")),
                "{}",
                r.stderr
            );
            assert!(!r.stdout.contains("No camera is exposed"), "{}", r.stdout);
        }
    }
    let r = audit_as("openwrt", &s.path("hello"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("as openwrt: line 1"), "{}", r.stderr);
    // A real dump of another format says what it looks like.
    let r = audit_as("iptables", &fixture("nft-ruleset.nft"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("it looks like an nft ruleset (--format nft)"),
        "{}",
        r.stderr
    );
    // A network config is UCI, but not a firewall config.
    fs::write(
        s.path("network"),
        "config interface 'lan'\n\toption proto 'static'\n",
    )
    .unwrap();
    let r = audit_as("openwrt", &s.path("network"));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("nothing in it is an OpenWrt firewall config"),
        "{}",
        r.stderr
    );
    // An empty file shows nothing; --lenient takes it for an empty router.
    fs::write(s.path("empty"), "").unwrap();
    let r = audit_as("nft", &s.path("empty"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("the file is empty"), "{}", r.stderr);
    let r = Cmd::new()
        .args([
            "--dir",
            "/nonexistent",
            "audit",
            "--lenient",
            "--format",
            "nft",
        ])
        .arg(s.path("empty"))
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("note: empty is empty"), "{}", r.stdout);
}

/// Issue 19: a dump with lines of another kind is read only with --lenient,
/// and the report says how much was skipped.
#[test]
fn a_partly_understood_dump_needs_lenient_and_says_what_was_skipped() {
    let s = Site::new();
    for (format, fixture_name, junk) in [
        ("iptables", "iptables-rules", "oops: not a rule\n"),
        ("nft", "nft-ruleset.nft", "Error: something else\n"),
        ("ddwrt", "nvram-show.txt", ""),
    ] {
        let mut text = fs::read_to_string(fixture(fixture_name)).unwrap();
        // Before the first variable (DD-WRT) or after the dump (the others).
        text = if junk.is_empty() {
            format!("Last login: today\n{text}")
        } else {
            format!("{text}{junk}")
        };
        let file = s.path(&format!("partly-{format}"));
        fs::write(&file, text).unwrap();
        let r = audit_file(&["--format", format], &file);
        assert_eq!(r.code, 2, "{format}: {}", r.stderr);
        assert!(
            r.stderr.contains("1 of its") && r.stderr.contains("--lenient"),
            "{format}: {}",
            r.stderr
        );
        let r = audit_file(&["--lenient", "--format", format], &file);
        assert_eq!(r.code, 1, "{format}: the fixture's cameras: {}", r.stderr);
        assert!(
            r.stdout.contains("skipped 1 that are not"),
            "{format}: {}",
            r.stdout
        );
    }
}

/// Issue 19: a real dump without forwards is still clean (exit 0).
#[test]
fn valid_dumps_without_forwards_audit_clean() {
    let s = Site::new();
    for (format, text) in [
        (
            "iptables",
            "# Generated by iptables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n-A INPUT -i lo -j ACCEPT\nCOMMIT\n",
        ),
        (
            "nft",
            "table inet fw4 {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n\t}\n}\n",
        ),
        (
            "ddwrt",
            "lan_ipaddr=192.168.1.1\nwan_proto=dhcp\nforward_spec=\nsize: 31000 bytes (34536 left)\n",
        ),
        (
            "openwrt",
            "config defaults\n\toption input 'REJECT'\n\nconfig zone\n\toption name 'wan'\n",
        ),
    ] {
        let file = s.path(&format!("clean-{format}"));
        fs::write(&file, text).unwrap();
        let r = audit_file(&["--format", format], &file);
        assert_eq!(r.code, 0, "{format}: {}", r.stderr);
        assert!(r.stdout.contains("No camera is exposed"), "{}", r.stdout);
        assert!(!r.stdout.contains("skipped"), "{}", r.stdout);
    }
}

#[test]
fn from_exposed_to_closed_in_two_commands() {
    let fw = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openwrt/firewall"
    );
    let (code, _) = audit(None, &[fw]);
    assert_eq!(code, 1, "the fixture exposes cameras");
    // 1. A site whose cameras are the exposed hosts, with the ports they used.
    let s = Site::new();
    let r = s
        .cmd()
        .args([
            "init",
            "--platform",
            "openwrt",
            "--endpoint",
            "vpn.example.net",
            "--peer",
            "phone",
            "--import-forwards",
            fw,
        ])
        .ok();
    assert!(
        r.stderr.contains("imported camera cam-108 192.168.1.108"),
        "{}",
        r.stderr
    );
    let cams: Vec<serde_json::Value> =
        serde_json::from_str(&s.cmd().args(["camera", "list", "--json"]).ok().stdout).unwrap();
    assert_eq!(
        cams.len(),
        1,
        "only 192.168.1.108 receives camera protocols: {cams:?}"
    );
    let ports: Vec<&str> = cams[0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["554/tcp", "554/udp", "37777/tcp"]);
    // 2. Apply (here: render the batch and run it with camvpn's UCI model).
    let router = s.path("router");
    fs::create_dir_all(&router).unwrap();
    fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openwrt/network"
        ),
        router.join("network"),
    )
    .unwrap();
    fs::copy(fw, router.join("firewall")).unwrap();
    s.cmd()
        .args(["render", "--out"])
        .arg(s.path("out"))
        .arg("--uci-dir")
        .arg(&router)
        .ok();
    let mut c = Configs::new(
        ["network", "firewall"]
            .map(|n| uci::parse(&fs::read_to_string(router.join(n)).unwrap(), n).unwrap()),
    );
    c.batch(&fs::read_to_string(s.path("out/camvpn.uci")).unwrap())
        .unwrap();
    fs::write(
        router.join("firewall"),
        uci::export(&c.packages["firewall"]),
    )
    .unwrap();
    let (code, after) = audit(Some(&s), &[router.join("firewall").to_str().unwrap()]);
    assert_eq!(code, 0, "still exposed: {after}");
    assert_eq!(
        rows(&after, "other_forwards"),
        [
            "tcp 8443 -> 192.168.1.50:443",
            "udp 27015 -> 192.168.1.77:27015"
        ]
    );
}

/// Issue 16: IPv6 forwarded with policy accept from the WAN is reported;
/// a forward chain that drops is not.
#[test]
fn ipv6_forwarded_without_a_drop_is_reported() {
    let s = Site::new();
    let note = "IPv6 is forwarded with policy accept";
    let cases: [(&str, &str, &str, bool); 6] = [
        (
            "iptables",
            "open6",
            "# Generated by ip6tables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT\nCOMMIT\n",
            true,
        ),
        (
            "iptables",
            "closed6",
            "# Generated by ip6tables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m state --state RELATED,ESTABLISHED -j ACCEPT\n-A FORWARD -i eth0 -j DROP\nCOMMIT\n",
            false,
        ),
        (
            "iptables",
            "open4",
            "# Generated by iptables-save v1.8.9\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
            false,
        ),
        (
            "nft",
            "open.nft",
            "table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tct state established accept\n\t}\n}\n",
            true,
        ),
        (
            "nft",
            "closed.nft",
            "table inet fw4 {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n",
            false,
        ),
        (
            "nft",
            "open.json",
            r#"{"nftables": [{"metainfo": {"json_schema_version": 1}}, {"table": {"family": "ip6", "name": "f", "handle": 1}}, {"chain": {"family": "ip6", "table": "f", "name": "fwd", "handle": 1, "type": "filter", "hook": "forward", "prio": 0, "policy": "accept"}}, {"rule": {"family": "ip6", "table": "f", "chain": "fwd", "handle": 2, "expr": [{"accept": null}]}}]}"#,
            true,
        ),
    ];
    for (format, name, text, open) in cases {
        let file = s.path(name);
        fs::write(&file, text).unwrap();
        let r = audit_file(&["--format", format], &file);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        assert_eq!(r.stdout.contains(note), open, "{name}: {}", r.stdout);
    }
}

/// Issue 10: UPnP mappings a camera made itself, from miniupnpd's lease
/// file and from `upnpc -l` (both as those programs write them).
#[test]
fn upnp_mappings_to_cameras_are_reported() {
    let s = Site::new();
    let leases = s.path("miniupnpd.leases");
    fs::write(
        &leases,
        "TCP:45554:192.168.1.108:554:1764662400:libminiupnpc\nUDP:45555:192.168.1.108:37778:1764662400:\nTCP:8443:192.168.1.50:443:1764662400:nas\n",
    )
    .unwrap();
    let listed = s.path("upnpc-l.txt");
    fs::write(
        &listed,
        "upnpc : miniupnpc library test client, version 2.2.4.\n (c) 2005-2022 Thomas Bernard.\nGo to http://miniupnp.free.fr/ or https://miniupnp.tuxfamily.org/\nfor more information.\nFound valid IGD : http://192.168.1.1:5000/ctl/IPConn\nLocal LAN ip address : 192.168.1.108\nConnection Type : IP_Routed\nStatus : Connected, uptime=4739s, LastConnectionError : ERROR_NONE\n  Time started : Tue Dec  1 23:00:00 2026\nMaxBitRateDown : 1000000 bps   MaxBitRateUp 1000000 bps\nExternalIPAddress = 203.0.113.1\n i protocol exPort->inAddr:inPort description remoteHost leaseTime\n 0 TCP 45554->192.168.1.108:554   'libminiupnpc' '' 604800\n 1 TCP  8080->192.168.1.108:80    'cam-web' '' 0\nGetGenericPortMappingEntry() returned 713 (SpecifiedArrayIndexInvalid)\n",
    )
    .unwrap();
    for (file, want) in [
        (
            &leases,
            vec![
                "tcp 45554 -> 192.168.1.108:554",
                "udp 45555 -> 192.168.1.108:37778",
            ],
        ),
        (
            &listed,
            vec![
                "tcp 45554 -> 192.168.1.108:554",
                "tcp 8080 -> 192.168.1.108:80",
            ],
        ),
    ] {
        let (code, report) = audit(None, &[file.to_str().unwrap()]);
        assert_eq!(code, 1, "{report}");
        let mut got = rows(&report, "camera_exposures");
        got.sort();
        let mut want: Vec<String> = want.into_iter().map(String::from).collect();
        want.sort();
        assert_eq!(got, want, "{}", file.display());
    }
    // The NAS is no camera: listed apart, as other forwards.
    let (_, report) = audit(None, &[leases.to_str().unwrap()]);
    assert_eq!(
        rows(&report, "other_forwards"),
        ["tcp 8443 -> 192.168.1.50:443"]
    );
}

/// Issue 25: the classic remote-viewing setup forwards only 8000 to an NVR;
/// audit said "No camera is exposed" and import took nothing.
#[test]
fn an_nvr_forwarded_only_on_its_sdk_port_is_an_exposed_camera() {
    let s = Site::new();
    let fw = s.path("firewall");
    fs::write(
        &fw,
        "config zone\n\toption name 'wan'\n\toption masq '1'\n\nconfig redirect\n\toption name 'remote view'\n\toption src 'wan'\n\toption src_dport '8000'\n\toption dest_ip '192.168.1.64'\n\toption proto 'tcp'\n\nconfig redirect\n\toption name 'NAS'\n\toption src 'wan'\n\toption src_dport '5000'\n\toption dest_ip '192.168.1.50'\n\toption proto 'tcp'\n\nconfig redirect\n\toption name 'games'\n\toption src 'wan'\n\toption src_dport '8000-65535'\n\toption dest_ip '192.168.1.77'\n\toption proto 'udp'\n",
    )
    .unwrap();
    let (code, r) = audit(None, &[fw.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        rows(&r, "camera_exposures"),
        ["tcp 8000 -> 192.168.1.64:8000"]
    );
    // The NAS on 5000 and a wide range that covers camera ports are not
    // cameras, and the NAS is not shown Dahua's weaknesses.
    assert_eq!(
        rows(&r, "other_forwards"),
        [
            "tcp 5000 -> 192.168.1.50:5000",
            "udp 8000-65535 -> 192.168.1.77:8000-65535"
        ]
    );
    assert_eq!(r["other_forwards"][0]["cves"], serde_json::json!([]));
    let table = audit_file(&[], &fw);
    assert!(!table.stdout.contains("CVE"), "{}", table.stdout);
    assert!(
        !table.stdout.contains("DISABLED"),
        "an empty section is printed: {}",
        table.stdout
    );

    s.cmd()
        .args(["init", "--platform", "linux", "--endpoint", "203.0.113.1"])
        .args(["--wan-if", "eth0", "--lan-if", "br0", "--import-forwards"])
        .arg(&fw)
        .ok();
    let site: toml::Value = toml::from_str(&s.site_toml()).unwrap();
    let cams = site["camera"].as_array().unwrap();
    assert_eq!(cams.len(), 1, "{cams:?}");
    assert_eq!(cams[0]["ip"].as_str(), Some("192.168.1.64"));
    assert_eq!(cams[0]["vendor"].as_str(), Some("hikvision"));
    // With the site, the closing lines say what apply does with them.
    let r = s.cmd().arg("audit").arg(&fw).fails(1);
    assert!(
        r.stdout
            .contains("camvpn apply on the router closes the site's cameras (cam-64)")
            && r.stdout
                .contains("The other forwards (not to the site's cameras) are left as they are."),
        "{}",
        r.stdout
    );
}

/// Issue 25/32: a paste of redirects without zones, or a redirect from a
/// zone the file does not define, is DNAT from somewhere: never "clean".
#[test]
fn redirects_from_zones_the_file_does_not_define_are_reported() {
    let s = Site::new();
    let paste = s.path("paste");
    fs::write(
        &paste,
        "config redirect\n\toption src 'wan'\n\toption src_dport '554'\n\toption dest_ip '192.168.1.108'\n\toption proto 'tcp'\n",
    )
    .unwrap();
    let r = audit_file(&[], &paste);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("defines no firewall zones"),
        "{}",
        r.stdout
    );
    let odd = s.path("odd");
    fs::write(
        &odd,
        "config zone\n\toption name 'lan'\n\nconfig redirect\n\toption src 'wan2'\n\toption src_dport '37777'\n\toption dest_ip '192.168.1.108'\n\toption proto 'tcp'\n\nconfig redirect\n\toption src 'lan'\n\toption src_dport '554'\n\toption dest_ip '192.168.1.109'\n\toption proto 'tcp'\n",
    )
    .unwrap();
    let (code, r) = audit(None, &[odd.to_str().unwrap()]);
    assert_eq!(code, 1);
    // From the undefined zone: reported; from the LAN: not an exposure.
    assert_eq!(
        rows(&r, "camera_exposures"),
        ["tcp 37777 -> 192.168.1.108:37777"]
    );
    assert!(
        r["notes"][0]
            .as_str()
            .unwrap()
            .contains("zone 'wan2', which odd does not define"),
        "{}",
        r["notes"]
    );
}

/// Issue 33: a DD-WRT dump whose own WireGuard tunnel (an office link) is on
/// 51820: init moves camvpn's default port off it and says so, refuses the
/// port when it was given, and names the tunnel that loses the cameras.
#[test]
fn init_from_a_dd_wrt_dump_keeps_off_the_ports_of_its_tunnels() {
    let s = Site::new();
    let dump = s.path("nvram.txt");
    let mut text = fs::read_to_string(fixture("nvram-show.txt")).unwrap();
    text.insert_str(
        0,
        "oet_tunnels=2\noet1_en=1\noet1_proto=2\noet1_port=51820\noet2_en=1\noet2_proto=2\noet2_port=51821\n",
    );
    fs::write(&dump, text).unwrap();
    let init = |extra: &[&str]| {
        s.cmd()
            .args([
                "init",
                "--platform",
                "ddwrt",
                "--endpoint",
                "vpn.example.net",
            ])
            .args(["--peer", "phone", "--import-forwards"])
            .arg(&dump)
            .args(extra)
    };
    let r = init(&["--listen-port", "51821"]).fails(2);
    assert!(
        r.stderr.contains("tunnel oet2") && r.stderr.contains("--listen-port"),
        "{}",
        r.stderr
    );
    assert!(!s.dir().exists(), "a refused init wrote the site");
    let r = init(&[]).ok();
    assert!(
        r.stderr
            .contains("tunnel oet1 uses UDP 51820: camvpn's listens on 51822"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("(oet1, oet2) lose access"),
        "{}",
        r.stderr
    );
    let conf = s
        .cmd()
        .args(["peer", "show", "phone", "--config"])
        .ok()
        .stdout;
    assert!(conf.contains("Endpoint = vpn.example.net:51822"), "{conf}");
}
