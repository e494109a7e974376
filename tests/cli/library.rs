//! camvpn as a library: a provisioning tool linking `camvpn::ops` gets what
//! `camvpn sync` does, and the binary reads the site it made.

use std::fs;

use camvpn::host::Event;
use camvpn::ops::sync::{Provision, provision};
use camvpn::store::SiteDir;
use camvpn::targets::templates::Templates;
use serde_json::{Value, json};

use crate::common::Site;

#[test]
fn ops_provision_a_site_that_the_binary_then_reads() {
    let s = Site::new();
    let spec = s.path("spec.json");
    fs::write(
        &spec,
        json!({
            "platform": "linux", "endpoint": "vpn.example.net",
            "wan_if": "eth0", "lan_if": "br0",
            "cameras": [{"name": "driveway", "ip": "192.168.1.108", "vendor": "dahua"}],
            "peers": [{"name": "alice"}, {"name": "bob", "cameras": ["driveway"]}]
        })
        .to_string(),
    )
    .unwrap();
    let dir = SiteDir::new(s.dir());
    let req = Provision {
        spec,
        dry_run: false,
        out: None,
        apply: false,
        uci_dir: "/nonexistent".into(),
        wg_dir: "/nonexistent".into(),
    };
    let templates = Templates::new(None).unwrap();
    // apply is not asked for: nothing happens on the host to report.
    let events = std::cell::Cell::new(0);
    let mut report = |_: Event| events.set(events.get() + 1);
    let first = provision(&dir, &req, &templates, &mut report).unwrap();
    assert!(first.synced.created && first.synced.changed);
    assert_eq!(first.synced.peers.added, ["alice", "bob"]);
    assert!(!first.applied && events.get() == 0);
    let conf = fs::read_to_string(first.rendered.join("peers/bob.conf")).unwrap();
    assert!(conf.contains("AllowedIPs"), "{conf}");

    // The binary sees the same site: its peers with the keys ops made.
    let exported: Value = serde_json::from_str(&s.cmd().arg("export").ok().stdout).unwrap();
    let names: Vec<&str> = exported["peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);

    // Again: nothing changes.
    let again = provision(&dir, &req, &templates, &mut report).unwrap();
    assert!(!again.synced.changed && !again.synced.created);
}
