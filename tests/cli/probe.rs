//! `camvpn probe` and `camvpn status` outside the lab: bad input, and a
//! probe of a loopback of a network namespace of its own (nothing else
//! listens there). The lab proves them on a router with real packets.

use std::process::Command;

use crate::common::{BIN, Cmd, Site, root_or_skip};

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

/// Runs `script` in a network namespace of its own, with its loopback up.
fn in_own_netns(script: &str) -> std::process::Output {
    Command::new("unshare")
        .args(["-n", "sh", "-c"])
        .arg(format!("ip link set lo up; {script}"))
        .env("CAMVPN", BIN)
        .output()
        .unwrap()
}

#[test]
fn probe_finds_what_answers_and_only_that() {
    if !root_or_skip("probe on a loopback of its own") {
        return;
    }
    // Nothing listens: every port is closed, exit 0.
    let quiet = in_own_netns("\"$CAMVPN\" --dir /nonexistent --json probe 127.0.0.1 --timeout 300");
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
    assert!(ports.iter().all(|r| r["answer"] == "closed"));
    // A moved camera port answers: exit 1, and it is named.
    let found = in_own_netns(
        "socat TCP-LISTEN:45880,bind=127.0.0.1,reuseaddr,fork EXEC:true & sleep 0.3; \"$CAMVPN\" --dir /nonexistent probe 127.0.0.1 --port 45880/tcp --timeout 300; r=$?; kill $!; exit $r",
    );
    let out = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(1), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("45880/tcp") && l.contains("open")),
        "{out}"
    );
}
