//! Snapshots of every rendered artifact (keys filtered), and of the tables
//! people read.

use std::fs;

use crate::common::{Site, key_filters, svg_to_png, zbar};

/// A site that uses every feature of the core: IPv6, DNS, MTU, keepalive,
/// split, restricted and full-tunnel peers, an own-key peer, moved ports.
fn rich_site() -> Site {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            "linux",
            "--endpoint",
            "cams.example.org:443",
            "--subnet6",
            "fd66::/64",
            "--wan-if",
            "eth0",
            "--lan-if",
            "br0",
            "--dns",
            "192.168.1.1",
            "--mtu",
            "1380",
            "--keepalive",
            "25",
            "--camera",
            "driveway=192.168.1.108:dahua",
            "--camera",
            "nvr=192.168.1.20:hikvision",
            "--peer",
            "phone",
        ])
        .ok();
    s.cmd()
        .args([
            "camera",
            "add",
            "gate",
            "--ip",
            "192.168.1.30",
            "--ip6",
            "fd00:1::30",
            "--port",
            "45880/tcp",
            "--port",
            "45554/tcp",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "guard",
            "--cameras",
            "gate,nvr",
            "--dns",
            "9.9.9.9",
            "--keepalive",
            "0",
        ])
        .ok();
    s.cmd()
        .args(["peer", "add", "owner", "--full-tunnel", "--mtu", "1280"])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "laptop",
            "--public-key",
            "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "viewer",
            "--cameras",
            "driveway",
            "--only",
            "rtsp",
        ])
        .ok();
    s.cmd()
        .args(["camera", "set", "nvr", "--internet", "on"])
        .ok();
    s.cmd().args(["site", "set", "--log-drops", "on"]).ok();
    s
}

#[test]
fn linux_artifacts() {
    let s = rich_site();
    let out = s.render(&[]);
    let mut files: Vec<String> = fs::read_dir(out.join("peers"))
        .unwrap()
        .map(|e| format!("peers/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    files.extend(
        [
            "wg0.conf",
            "camvpn.nft",
            "camvpn.iptables",
            "camvpn.ip6tables",
        ]
        .map(String::from),
    );
    files.sort();
    insta::with_settings!({ filters => key_filters() }, {
        insta::assert_snapshot!("linux_files", files.join("\n"));
        insta::assert_snapshot!("linux_wg0_conf", fs::read_to_string(out.join("wg0.conf")).unwrap());
        let mut html_filters = key_filters();
        html_filters.push((r"(?s)<svg.*?</svg>", "[QR SVG]"));
        insta::with_settings!({ filters => html_filters }, {
            insta::assert_snapshot!("linux_peer_guard_html", fs::read_to_string(out.join("peers/guard.html")).unwrap());
            insta::assert_snapshot!("linux_peers_index_html", fs::read_to_string(out.join("peers/index.html")).unwrap());
        });
        for fw in ["camvpn.nft", "camvpn.iptables", "camvpn.ip6tables"] {
            insta::assert_snapshot!(format!("linux_{}", fw.replace('.', "_")), fs::read_to_string(out.join(fw)).unwrap());
        }
        for peer in ["phone", "guard", "owner", "laptop"] {
            let conf = fs::read_to_string(out.join(format!("peers/{peer}.conf"))).unwrap();
            insta::assert_snapshot!(format!("linux_peer_{peer}_conf"), conf);
            if peer != "laptop" {
                // The images, by what they carry: the exact config.
                let svg_png = s.path(&format!("{peer}.svg.png"));
                svg_to_png(&out.join(format!("peers/{peer}.svg")), &svg_png);
                assert_eq!(zbar(&out.join(format!("peers/{peer}.png"))), conf, "{peer}.png");
                assert_eq!(zbar(&svg_png), conf, "{peer}.svg");
            }
        }
    });
}

#[test]
fn tables() {
    let s = rich_site();
    insta::with_settings!({ filters => key_filters() }, {
        insta::assert_snapshot!("peer_list", s.cmd().args(["peer", "list"]).ok().stdout);
        insta::assert_snapshot!("camera_list", s.cmd().args(["camera", "list"]).ok().stdout);
        insta::assert_snapshot!("peer_show_guard", s.cmd().args(["peer", "show", "guard"]).ok().stdout);
        insta::assert_snapshot!("peer_show_json", s.cmd().args(["peer", "show", "owner", "--json"]).ok().stdout);
    });
}

/// Cameras with moved ports, IPv6, internet access; split, restricted and
/// full-tunnel peers; for the router targets.
fn router_site(platform: &str) -> Site {
    let s = Site::new();
    s.cmd()
        .args([
            "init",
            "--platform",
            platform,
            "--endpoint",
            "cams.example.org",
            "--subnet6",
            "fd66::/64",
            "--lan-if",
            if platform == "ddwrt" { "br0" } else { "lan" },
            "--camera",
            "driveway=192.168.1.108:dahua",
            "--camera",
            "nvr=192.168.1.20:hikvision",
            "--log-drops",
            "--peer",
            "phone",
        ])
        .ok();
    s.cmd()
        .args([
            "camera",
            "add",
            "gate",
            "--ip",
            "192.168.1.30",
            "--ip6",
            "2001:db8:2::30",
            "--port",
            "45554/tcp",
        ])
        .ok();
    s.cmd()
        .args(["camera", "set", "nvr", "--internet", "on"])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "guard",
            "--cameras",
            "gate,nvr",
            "--only",
            "rtsp,45554/tcp",
        ])
        .ok();
    s.cmd().args(["peer", "add", "owner", "--full-tunnel"]).ok();
    s
}

#[test]
fn openwrt_batch() {
    let s = router_site("openwrt");
    let out = s.render(&[
        "--uci-dir",
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt"),
    ]);
    insta::with_settings!({ filters => key_filters() }, {
        insta::assert_snapshot!("openwrt_camvpn_uci", fs::read_to_string(out.join("camvpn.uci")).unwrap());
        insta::assert_snapshot!("openwrt_camvpn_openwrt_sh", fs::read_to_string(out.join("camvpn-openwrt.sh")).unwrap());
    });
}

#[test]
fn ddwrt_script() {
    let s = router_site("ddwrt");
    let out = s.render(&[]);
    insta::with_settings!({ filters => key_filters() }, {
        insta::assert_snapshot!("ddwrt_camvpn_ddwrt_sh", fs::read_to_string(out.join("camvpn-ddwrt.sh")).unwrap());
    });
}
