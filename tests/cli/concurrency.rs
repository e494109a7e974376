//! Concurrent writers and readers of one site.

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

use crate::common::{Cmd, INIT, Site};

#[test]
fn twenty_peer_adds_at_once_give_twenty_distinct_addresses() {
    let s = Site::new();
    s.cmd().args(INIT).args(["--subnet6", "fd66::/64"]).ok();
    let site_file = s.dir().join("site.toml");
    // A reader that parses site.toml as fast as it can while the writers run:
    // with temp file + rename, it never sees a truncated file.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (stop, reads, path) = (stop.clone(), reads.clone(), site_file.clone());
        thread::spawn(move || {
            // The peer counts this reader saw: states between writes.
            let mut seen = HashSet::new();
            while !stop.load(Ordering::Relaxed) {
                let text = fs::read_to_string(&path).expect("site.toml vanished");
                match camvpn::store::parse_site(&text, Path::new("site.toml")) {
                    Ok(site) => seen.insert(site.peers.len()),
                    Err(e) => panic!("a reader saw a broken site.toml: {e}\n{text}"),
                };
                reads.fetch_add(1, Ordering::Relaxed);
            }
            seen
        })
    };
    // Reads counted from the first writer's start to the last one's end.
    while reads.load(Ordering::Relaxed) == 0 {
        thread::yield_now();
    }
    let reads_before = reads.load(Ordering::Relaxed);
    let children: Vec<_> = (0..20)
        .map(|i| {
            let mut c = s.cmd().args(["peer", "add"]).arg(format!("p{i}")).0;
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            c.spawn().expect("spawn camvpn")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let reads_during = reads.load(Ordering::Relaxed) - reads_before;
    stop.store(true, Ordering::Relaxed);
    let seen = reader.join().expect("reader");
    // The reader ran all along the writes, and read sites with some of the
    // peers: states between two writers, each a complete site.toml.
    assert!(
        reads_during >= 20,
        "only {reads_during} reads while writing"
    );
    let between = seen.iter().filter(|n| (1..20).contains(*n)).count();
    assert!(
        between >= 2,
        "the reader saw only the peer counts {seen:?} while 20 writers ran"
    );

    let list = Cmd::new()
        .arg("--dir")
        .arg(s.dir())
        .args(["peer", "list", "--json"])
        .ok();
    let peers: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).unwrap();
    assert_eq!(peers.len(), 20);
    let v4: HashSet<&str> = peers
        .iter()
        .map(|p| p["address"].as_str().unwrap())
        .collect();
    let v6: HashSet<&str> = peers
        .iter()
        .map(|p| p["address6"].as_str().unwrap())
        .collect();
    assert_eq!(v4.len(), 20);
    assert_eq!(v6.len(), 20);
    assert!(!v4.contains("10.66.0.1"));
    // Every peer's keys are on disk and match (render checks each key pair).
    s.render(&[]);
    let leftovers: Vec<_> = fs::read_dir(s.dir())
        .unwrap()
        .chain(fs::read_dir(s.dir().join("keys")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".camvpn-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");
}
