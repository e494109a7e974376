//! Printable onboarding pages, judged by a real browser: headless Chromium
//! renders the page, and zbarimg reads the QR code off the screenshot.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::common::{Site, tool, zbar};

/// Headless Chromium's screenshot of `page`.
fn screenshot(page: &Path, png: &Path, profile: &Path) {
    tool(
        Command::new("timeout")
            .args([
                "60",
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
            ])
            .args([
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--window-size=1000,1300"])
            .arg(format!("--screenshot={}", png.display()))
            .arg(format!("file://{}", page.display())),
    );
}

#[test]
fn the_qr_code_on_the_page_scans_to_the_config_in_a_real_browser() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "nvr", "--full-tunnel"])
        .ok();
    let out = s.render(&[]);
    for peer in ["phone", "guard"] {
        let png = s.path(&format!("{peer}-page.png"));
        screenshot(
            &out.join(format!("peers/{peer}.html")),
            &png,
            &s.path("chromium"),
        );
        let conf = fs::read_to_string(out.join(format!("peers/{peer}.conf"))).unwrap();
        assert_eq!(
            zbar(&png),
            conf,
            "{peer}: the QR code in the browser is not the config"
        );
    }
}

#[test]
fn the_page_has_the_steps_the_cameras_and_no_external_resources() {
    let s = Site::new();
    s.init();
    s.cmd()
        .args(["peer", "add", "guard", "--cameras", "nvr"])
        .ok();
    let out = s.render(&[]);
    let page = fs::read_to_string(out.join("peers/guard.html")).unwrap();
    for want in [
        "Install the WireGuard app",
        "Scan the code",
        "Switch it on",
        "Keep this page private",
        // The stream URL, HTML-escaped.
        "rtsp:&#x2f;&#x2f;192.168.1.20:554&#x2f;Streaming&#x2f;Channels&#x2f;101",
        "<svg",
    ] {
        assert!(page.contains(want), "{want:?} missing");
    }
    assert!(
        !page.contains("192.168.1.108"),
        "a camera the peer may not reach is on its page"
    );
    for external in ["src=", "<link", "<script", "url(", "@import", "href=\"http"] {
        assert!(!page.contains(external), "external resource: {external}");
    }
    let index = fs::read_to_string(out.join("peers/index.html")).unwrap();
    assert!(index.contains("href=\"phone.html\"") && index.contains("href=\"guard.html\""));
    for f in ["peers/guard.html", "peers/index.html"] {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(out.join(f)).unwrap().permissions().mode() & 0o777,
            0o600,
            "{f}"
        );
    }
}

#[test]
fn a_peer_with_its_own_key_gets_a_page_without_a_code() {
    let s = Site::new();
    s.init();
    let key = camvpn::model::keys::PrivateKey::generate()
        .public_key()
        .to_string();
    s.cmd()
        .args(["peer", "add", "laptop", "--public-key", &key])
        .ok();
    let out = s.render(&[]);
    let page = fs::read_to_string(out.join("peers/laptop.html")).unwrap();
    assert!(!page.contains("<svg") && page.contains("brought its own key"));
}
