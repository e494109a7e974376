//! `camvpn sync SPEC`: the declarative entry point provisioning tools drive.
//! Created once, unchanged on a re-run, converged on a change (peers keep
//! their keys and addresses), and a bad spec changes nothing.

use std::fs;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::common::{BIN, Site};

fn spec() -> Value {
    json!({
        "platform": "linux",
        "endpoint": "vpn.example.net",
        "wan_if": "eth0",
        "lan_if": "br0",
        "cameras": [
            {"name": "driveway", "ip": "192.168.1.108", "vendor": "dahua"},
            {"name": "nvr", "ip": "192.168.1.20", "vendor": "hikvision"}
        ],
        "peers": [
            {"name": "alice", "cameras": ["driveway"]},
            {"name": "bob"}
        ]
    })
}

/// `sync` of `spec`; its JSON answer.
fn sync(s: &Site, spec: &Value) -> Value {
    sync_with(s, spec, &[])
}

/// `sync` of `spec` with more arguments; its JSON answer.
fn sync_with(s: &Site, spec: &Value, args: &[&str]) -> Value {
    let file = s.path("spec.json");
    fs::write(&file, spec.to_string()).unwrap();
    let r = s.cmd().args(["-q", "sync"]).arg(&file).args(args).ok();
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect()
}

#[test]
fn a_spec_creates_the_site_and_a_second_run_changes_nothing() {
    let s = Site::new();
    let first = sync(&s, &spec());
    assert_eq!(first["changed"], true);
    assert_eq!(first["created"], true);
    assert_eq!(names(&first["peers"]["added"]), ["alice", "bob"]);
    let toml = s.site_toml();
    assert!(toml.contains("cameras = [\"driveway\"]"), "{toml}");
    // Rendered into out/ of the site: configs and QR codes.
    let out = s.dir().join("out");
    assert!(out.join("peers/alice.conf").exists() && out.join("peers/alice.png").exists());
    let before = s.files();
    let again = sync(&s, &spec());
    assert_eq!(again["changed"], false, "{again}");
    assert_eq!(s.files(), before, "a re-run wrote to the site");
}

#[test]
fn a_changed_spec_converges_and_kept_peers_keep_keys_and_addresses() {
    let s = Site::new();
    sync(&s, &spec());
    let key = |p: &str| fs::read_to_string(s.dir().join(format!("keys/peer-{p}.key"))).unwrap();
    let alice_key = key("alice");
    let alice_conf = fs::read_to_string(s.dir().join("out/peers/alice.conf")).unwrap();
    let address = |conf: &str| {
        conf.lines()
            .find(|l| l.starts_with("Address"))
            .unwrap()
            .to_owned()
    };
    let mut next = spec();
    // nvr goes, a garage camera comes; bob goes, carol comes; alice may
    // see the garage too.
    next["cameras"] = json!([
        {"name": "driveway", "ip": "192.168.1.108", "vendor": "dahua"},
        {"name": "garage", "ip": "192.168.1.30"}
    ]);
    next["peers"] = json!([
        {"name": "alice", "cameras": ["driveway", "garage"]},
        {"name": "carol", "cameras": ["garage"]}
    ]);
    let r = sync(&s, &next);
    assert_eq!(r["changed"], true);
    assert_eq!(names(&r["cameras"]["added"]), ["garage"]);
    assert_eq!(names(&r["cameras"]["removed"]), ["nvr"]);
    assert_eq!(names(&r["peers"]["added"]), ["carol"]);
    assert_eq!(names(&r["peers"]["changed"]), ["alice"]);
    assert_eq!(names(&r["peers"]["removed"]), ["bob"]);
    assert_eq!(key("alice"), alice_key, "alice kept her key");
    let conf = fs::read_to_string(s.dir().join("out/peers/alice.conf")).unwrap();
    assert_eq!(
        address(&conf),
        address(&alice_conf),
        "alice kept her address"
    );
    assert!(conf.contains("192.168.1.30/32"), "{conf}");
    assert!(
        !s.dir().join("keys/peer-bob.key").exists(),
        "bob's keys are gone"
    );
    assert!(!s.site_toml().contains("nvr"));
    // And the new state is stable.
    assert_eq!(sync(&s, &next)["changed"], false);
}

#[test]
fn a_bad_spec_exits_2_naming_the_field_and_changes_nothing() {
    let s = Site::new();
    sync(&s, &spec());
    let before = s.files();
    let cases: Vec<(Value, &str)> = vec![
        (
            {
                let mut v = spec();
                v["cameras"][1]["ip"] = json!("192.168.1.300");
                v
            },
            r#"cameras[1].ip = "192.168.1.300""#,
        ),
        (
            {
                let mut v = spec();
                v["cameras"][1]["ip"] = json!("8.8.8.8");
                v
            },
            "8.8.8.8 is outside the LAN",
        ),
        (
            {
                let mut v = spec();
                v["peers"][0]["colour"] = json!("red");
                v
            },
            "peers[0].colour",
        ),
        (
            {
                let mut v = spec();
                v["peers"][0]["cameras"] = json!(["porch"]);
                v
            },
            "porch",
        ),
        (
            {
                let mut v = spec();
                v["cameras"][1]["name"] = json!("driveway");
                v
            },
            "driveway",
        ),
        (
            {
                let mut v = spec();
                v["subnet"] = json!("10.99.0.0/24");
                v
            },
            "subnet",
        ),
        (
            {
                let mut v = spec();
                v["cameras"][0]["ip"] = json!("10.66.0.5");
                v
            },
            "10.66.0.5",
        ),
    ];
    for (bad, says) in cases {
        let file = s.path("bad.json");
        fs::write(&file, bad.to_string()).unwrap();
        let r = s.cmd().arg("sync").arg(&file).fails(2);
        assert!(r.stderr.contains(says), "{says}: {}", r.stderr);
        assert_eq!(s.files(), before, "{says}: the site changed");
    }
    // Not JSON at all, and a new site that never comes to be.
    let fresh = Site::new();
    let file = fresh.path("junk.json");
    fs::write(&file, "platform: linux\n").unwrap();
    fresh.cmd().arg("sync").arg(&file).fails(2);
    assert!(!fresh.dir().exists());
}

/// `sync -` fed `spec` on standard input: its output.
fn sync_stdin(s: &Site, spec: &Value) -> std::process::Output {
    let mut child = Command::new(BIN)
        .arg("--dir")
        .arg(s.dir())
        .args(["-q", "sync", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(spec.to_string().as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_spec_comes_on_standard_input_too() {
    let s = Site::new();
    // A bad one is named as standard input, not "-".
    let mut bad = spec();
    bad["cameras"][0]["ip"] = json!("192.168.1.300");
    let refused = sync_stdin(&s, &bad);
    assert_eq!(refused.status.code(), Some(2));
    let says = String::from_utf8_lossy(&refused.stderr);
    assert!(
        says.contains(r#"standard input: cameras[0].ip = "192.168.1.300""#),
        "{says}"
    );
    assert!(!s.dir().exists());
    let out = sync_stdin(&s, &spec());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["created"], true);
    // No key in the answer.
    let text = String::from_utf8_lossy(&out.stdout);
    let key = fs::read_to_string(s.dir().join("keys/peer-alice.key")).unwrap();
    assert!(!text.contains(key.trim()));
}

/// Ansible's check mode: what would change, and nothing written.
#[test]
fn a_dry_run_tells_what_would_change_and_writes_nothing() {
    let s = Site::new();
    let first = sync_with(&s, &spec(), &["--dry-run"]);
    assert_eq!(first["changed"], true);
    assert_eq!(first["created"], true);
    assert_eq!(first["dry_run"], true);
    assert_eq!(names(&first["peers"]["added"]), ["alice", "bob"]);
    assert!(!s.dir().exists(), "a dry run created the site");

    sync(&s, &spec());
    let before = s.files();
    let mut next = spec();
    next["peers"][1] = json!({"name": "carol"});
    next["cameras"][0]["ip"] = json!("192.168.1.109");
    let would = sync_with(&s, &next, &["--dry-run", "--apply"]);
    assert_eq!(would["changed"], true);
    assert_eq!(would["applied"], false);
    assert_eq!(names(&would["peers"]["added"]), ["carol"]);
    assert_eq!(names(&would["peers"]["removed"]), ["bob"]);
    assert_eq!(names(&would["cameras"]["changed"]), ["driveway"]);
    assert_eq!(s.files(), before, "a dry run changed the site");
    // A bad spec fails a dry run as it fails a real one.
    next["cameras"][0]["ip"] = json!("192.168.1.300");
    let file = s.path("bad.json");
    fs::write(&file, next.to_string()).unwrap();
    let r = s.cmd().args(["sync", "--dry-run"]).arg(&file).fails(2);
    assert!(r.stderr.contains("192.168.1.300"), "{}", r.stderr);
    // And the real run does what the dry run said.
    next["cameras"][0]["ip"] = json!("192.168.1.109");
    let done = sync(&s, &next);
    assert_eq!(done["peers"], would["peers"]);
    assert_eq!(done["cameras"], would["cameras"]);
}
