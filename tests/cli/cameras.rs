//! `camvpn camera add|list|remove`.

use std::fs;

use crate::common::Site;

fn cameras(s: &Site) -> Vec<serde_json::Value> {
    serde_json::from_str(&s.cmd().args(["camera", "list", "--json"]).ok().stdout).unwrap()
}

fn ports(c: &serde_json::Value) -> Vec<String> {
    c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn vendor_presets_give_ports_and_explicit_ports_replace_them() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args([
            "camera",
            "add",
            "gate",
            "--ip",
            "192.168.1.30",
            "--vendor",
            "reolink",
        ])
        .ok();
    s.cmd()
        .args([
            "camera",
            "add",
            "moved",
            "--ip",
            "192.168.1.31",
            "--vendor",
            "hikvision",
            "--port",
            "45880/tcp",
            "--port",
            "45554/tcp",
        ])
        .ok();
    for (i, v) in ["axis", "amcrest", "foscam", "unifi-protect", "generic"]
        .iter()
        .enumerate()
    {
        s.cmd()
            .args(["camera", "add", v, "--ip"])
            .arg(format!("192.168.1.{}", 40 + i))
            .args(["--vendor", v])
            .ok();
    }
    let cams = cameras(&s);
    let by = |n: &str| cams.iter().find(|c| c["name"] == n).unwrap();
    assert_eq!(
        ports(by("driveway")),
        ["80/tcp", "443/tcp", "554/tcp", "37777/tcp", "37778/udp"]
    );
    assert_eq!(
        ports(by("gate")),
        [
            "80/tcp", "443/tcp", "554/tcp", "1935/tcp", "8000/tcp", "9000/tcp"
        ]
    );
    assert_eq!(ports(by("moved")), ["45880/tcp", "45554/tcp"]);
    assert_eq!(ports(by("foscam")), ["88/tcp"]);
    assert_eq!(ports(by("unifi-protect")), ["7441/tcp", "7447/tcp"]);
    assert_eq!(
        by("nvr")["rtsp_url"],
        "rtsp://192.168.1.20:554/Streaming/Channels/101"
    );
    let table = s.cmd().args(["camera", "list"]).ok().stdout;
    assert!(table.lines().next().unwrap().starts_with("NAME"));
    assert!(table.contains("45880/tcp 45554/tcp"));
}

#[test]
fn adding_a_camera_tells_which_peers_must_reimport() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "limited", "--cameras", "nvr"])
        .ok();
    let r = s
        .cmd()
        .args(["camera", "add", "shed", "--ip", "192.168.1.50"])
        .ok();
    assert!(
        r.stderr.contains("AllowedIPs of phone changed"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("limited"));
}

#[test]
fn removing_a_camera_removes_it_from_access_lists() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "nvr,driveway"])
        .ok();
    s.cmd().args(["camera", "remove", "nvr"]).ok();
    let peers: Vec<serde_json::Value> =
        serde_json::from_str(&s.cmd().args(["peer", "list", "--json"]).ok().stdout).unwrap();
    let guard = peers.iter().find(|p| p["name"] == "guard").unwrap();
    assert_eq!(guard["cameras"], serde_json::json!(["driveway"]));
    assert_eq!(cameras(&s).len(), 1);
    s.cmd().args(["camera", "remove", "nvr"]).fails(2);
}

/// Issue 16: cameras are known by MAC; `camera set` changes a camera in
/// place (address, MAC) and `camera list` shows it.
#[test]
fn camera_set_changes_mac_and_address_in_place() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["camera", "set", "driveway", "--mac", "001A2B3C4D5E"])
        .ok();
    s.cmd()
        .args(["camera", "set", "nvr", "--ip", "192.168.1.21"])
        .ok();
    let list = cameras(&s);
    let by = |n: &str| list.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(by("driveway")["mac"], "00:1a:2b:3c:4d:5e");
    assert_eq!(by("nvr")["ip"], "192.168.1.21");
    assert!(by("nvr")["mac"].is_null());
    let table = s.cmd().args(["camera", "list"]).ok().stdout;
    assert!(table.contains("00:1a:2b:3c:4d:5e"), "{table}");
    // The firewall knows the camera by MAC, and its SLAAC address once the
    // LAN's prefix is known.
    s.cmd()
        .args(["site", "set", "--lan6", "2001:db8:2::/64"])
        .ok();
    let out = s.render(&["--no-peers"]);
    let nft = fs::read_to_string(out.join("camvpn.nft")).unwrap();
    assert!(nft.contains("00:1a:2b:3c:4d:5e"), "{nft}");
    assert!(nft.contains("2001:db8:2:0:21a:2bff:fe3c:4d5e"), "{nft}");
    // render says which camera's IPv6 is not covered: nvr has no MAC.
    let r = s
        .cmd()
        .args(["render", "--no-peers", "--out"])
        .arg(s.path("out2"))
        .ok();
    let warned: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("without a MAC"))
        .collect();
    assert_eq!(warned.len(), 1, "{}", r.stderr);
    assert!(
        warned[0].contains("without a MAC: nvr, gate;") || warned[0].contains(": nvr;"),
        "{}",
        r.stderr
    );
    assert!(!warned[0].contains("driveway"), "{}", r.stderr);
}

/// The MAC warning is one line for every camera, with a hint the platform
/// can follow: DD-WRT has no `apply` to look MACs up.
#[test]
fn the_mac_warning_is_one_line_with_a_hint_for_the_platform() {
    for (platform, apply) in [("linux", true), ("ddwrt", false)] {
        let s = Site::new();
        s.init_demo(platform, "vpn.example.net");
        let r = s
            .cmd()
            .args(["render", "--no-peers", "--out"])
            .arg(s.path("out"))
            .ok();
        let warned: Vec<&str> = r
            .stderr
            .lines()
            .filter(|l| l.contains("without a MAC"))
            .collect();
        assert_eq!(warned.len(), 1, "{platform}: {}", r.stderr);
        assert!(
            warned[0].contains("2 cameras without a MAC: driveway, nvr;"),
            "{}",
            r.stderr
        );
        assert_eq!(
            warned[0].contains("apply"),
            apply,
            "{platform}: {}",
            r.stderr
        );
    }
}
