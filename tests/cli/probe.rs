//! `camvpn probe` and `camvpn status` outside the lab: bad input, and a
//! probe between two network namespaces of its own (nothing else listens
//! there). The lab proves them on a router with real packets.

use std::process::{Command, Stdio};

use crate::common::{BIN, Cmd, Netns, Site, root_or_skip, tool, unique};

#[test]
fn probe_and_status_refuse_bad_input_with_exit_2() {
    let s = Site::new();
    s.init();
    let r = s.cmd().args(["probe", "--as", "nobody"]).fails(2);
    assert!(
        r.stderr.contains("peer 'nobody' is not in the site"),
        "{}",
        r.stderr
    );
    let r = s
        .cmd()
        .args(["probe", "--as", "phone", "--site", "/nonexistent/site.json"])
        .fails(2);
    assert!(r.stderr.contains("/nonexistent/site.json"), "{}", r.stderr);
    let junk = s.path("junk.json");
    std::fs::write(&junk, "{\"hello\": 1}").unwrap();
    let r = s
        .cmd()
        .args(["probe", "--as", "phone", "--site"])
        .arg(&junk)
        .fails(2);
    assert!(
        r.stderr.contains("not the JSON of camvpn export"),
        "{}",
        r.stderr
    );
    let r = s.cmd().args(["probe", "no-such-host.invalid"]).fails(2);
    assert!(r.stderr.contains("does not resolve"), "{}", r.stderr);
    let r = Cmd::new().args(["--dir", "/nonexistent", "probe"]).fails(2);
    assert!(r.stderr.contains("give the HOST"), "{}", r.stderr);
    let r = Cmd::new()
        .args(["--dir", "/nonexistent", "status"])
        .fails(2);
    assert!(r.stderr.contains("no site at /nonexistent"), "{}", r.stderr);
}

/// Runs `script` in a namespace of its own that reaches a target host,
/// 10.99.0.2, through a veth pair; `target` runs there meanwhile (a
/// listener), and is killed after.
fn across(target: &str, script: &str) -> std::process::Output {
    let (me, there) = (Netns::new("cvpa"), Netns::new("cvpb"));
    let (a, b) = (unique("va"), unique("vb"));
    tool(Command::new("ip").args([
        "link",
        "add",
        &a,
        "netns",
        &me.name,
        "type",
        "veth",
        "peer",
        "name",
        &b,
        "netns",
        &there.name,
    ]));
    // Closed UDP ports answer with ICMP, which Linux rate-limits except on
    // loopback, per destination and for the whole namespace (a burst of
    // 50): a probe of dozens at once must see every answer.
    tool(there.exec("sysctl").args([
        "-qw",
        "net.ipv4.icmp_ratelimit=0",
        "net.ipv4.icmp_msgs_per_sec=100000",
        "net.ipv4.icmp_msgs_burst=100000",
    ]));
    for (ns, dev, addr) in [(&me, &a, "10.99.0.1/24"), (&there, &b, "10.99.0.2/24")] {
        tool(ns.exec("ip").args(["addr", "add", addr, "dev", dev]));
        tool(ns.exec("ip").args(["link", "set", dev, "up"]));
    }
    let mut listener = there
        .exec("sh")
        .args(["-c", target])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = me
        .exec("sh")
        .args(["-c", script])
        .env("CAMVPN", BIN)
        .output()
        .unwrap();
    let _ = listener.kill();
    let _ = listener.wait();
    out
}

#[test]
fn probe_finds_what_answers_and_only_that() {
    if !root_or_skip("probe between namespaces of its own") {
        return;
    }
    // Nothing listens: every port is closed, exit 0.
    let quiet = across(
        "sleep 5",
        "\"$CAMVPN\" --dir /nonexistent --json probe 10.99.0.2 --timeout 300",
    );
    assert_eq!(
        quiet.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&quiet.stdout).unwrap();
    let ports = report["ports"].as_array().unwrap();
    // The guides' ports, the presets' and the scanners' are all asked.
    for p in [
        "80/tcp",
        "554/tcp",
        "8000/tcp",
        "34567/tcp",
        "37777/tcp",
        "37778/udp",
    ] {
        assert!(ports.iter().any(|r| r["port"] == p), "{p} not probed");
    }
    let not_closed: Vec<&serde_json::Value> =
        ports.iter().filter(|r| r["answer"] != "closed").collect();
    assert!(not_closed.is_empty(), "not closed: {not_closed:?}");
    // A moved camera port answers: exit 1, and it is named.
    let found = across(
        "exec socat TCP-LISTEN:45880,reuseaddr,fork EXEC:true",
        "\"$CAMVPN\" --dir /nonexistent probe 10.99.0.2 --port 45880/tcp --timeout 300",
    );
    let out = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("45880/tcp") && l.contains("open")),
        "{out}"
    );
}

/// Issue 33: run on the router, probe asked its own address, which packets
/// from the router itself reach without the port forwards: "no probed port
/// answers" while the internet saw 554 open. Its own addresses, and the
/// site's LAN, are refused.
#[test]
fn probe_refuses_an_address_of_this_host_or_the_sites_lan() {
    if !root_or_skip("probe of its own address in a namespace") {
        return;
    }
    for own in ["10.99.0.1", "127.0.0.1"] {
        let r = across(
            "sleep 2",
            &format!("\"$CAMVPN\" --dir /nonexistent probe {own} --timeout 300"),
        );
        let err = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{own}: {err}");
        assert!(
            err.contains("an address of this host") && err.contains("from another network"),
            "{own}: {err}"
        );
    }
    let s = Site::new();
    s.init();
    let r = s.cmd().args(["probe", "192.168.1.108"]).fails(2);
    assert!(r.stderr.contains("in the site's LAN"), "{}", r.stderr);
}
