//! `camvpn camera add|list|remove`.

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
