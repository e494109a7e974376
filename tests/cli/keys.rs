//! Keys: clamped like `wg genkey`, and `wg pubkey` agrees with site.toml.

use std::fs;
use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::common::{INIT, Site};

fn wg_pubkey(private: &str) -> String {
    let mut child = Command::new("wg")
        .arg("pubkey")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("wg (wireguard-tools; scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(private.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn stored_private_keys_are_clamped_and_match_wg_pubkey() {
    let s = Site::new();
    s.init();
    s.cmd().args(["peer", "add", "a", "b", "c"]).ok();
    let export: serde_json::Value =
        serde_json::from_str(&s.cmd().arg("export").ok().stdout).unwrap();
    let mut pairs = vec![(
        "server.key".to_owned(),
        export["server"]["public_key"].as_str().unwrap().to_owned(),
    )];
    for p in export["peers"].as_array().unwrap() {
        pairs.push((
            format!("peer-{}.key", p["name"].as_str().unwrap()),
            p["public_key"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(pairs.len(), 5);
    for (file, public) in pairs {
        let private = fs::read_to_string(s.dir().join("keys").join(&file)).unwrap();
        assert!(
            private.ends_with('\n') && private.trim().len() == 44,
            "{file} is not in wg genkey format"
        );
        assert_eq!(wg_pubkey(&private), public, "{file}");
        // Clamped as in RFC 7748: low 3 bits clear, top bit clear, bit 254 set.
        let k = STANDARD.decode(private.trim()).unwrap();
        assert_eq!(k[0] & 7, 0, "{file}");
        assert_eq!(k[31] & 0x80, 0, "{file}");
        assert_eq!(k[31] & 0x40, 0x40, "{file}");
    }
}

#[test]
fn keys_differ_between_peers_and_psks_are_32_bytes() {
    let s = Site::new();
    s.init();
    s.cmd().args(["peer", "add", "a", "b"]).ok();
    let mut seen = std::collections::HashSet::new();
    for f in fs::read_dir(s.dir().join("keys")).unwrap() {
        let text = fs::read_to_string(f.unwrap().path()).unwrap();
        assert_eq!(STANDARD.decode(text.trim()).unwrap().len(), 32);
        assert!(seen.insert(text), "two key files hold the same key");
    }
    assert_eq!(seen.len(), 7);
}

/// camvpn under `umask`, in `site`: `init` with a peer, then `render`.
fn init_and_render_under_umask(umask: &str, site: &Site) {
    let init = [INIT, &["--peer", "phone"]].concat();
    for args in [&init[..], &["render", "--out"]] {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
            .arg(crate::common::BIN)
            .arg("--dir")
            .arg(site.dir())
            .args(args)
            .args(args.contains(&"render").then(|| site.path("out")))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{args:?} under umask {umask}");
    }
}

#[test]
fn file_modes_do_not_depend_on_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: std::path::PathBuf| fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    for umask in ["000", "077", "027"] {
        let s = Site::new();
        init_and_render_under_umask(umask, &s);
        assert_eq!(mode(s.dir().join("site.toml")), 0o644, "umask {umask}");
        for key in [
            "keys/server.key",
            "keys/peer-phone.key",
            "keys/peer-phone.psk",
        ] {
            assert_eq!(mode(s.dir().join(key)), 0o600, "{key}, umask {umask}");
        }
        assert_eq!(mode(s.path("out/peers/phone.conf")), 0o600, "umask {umask}");
        assert_eq!(mode(s.path("out/peers/phone.png")), 0o600, "umask {umask}");
    }
}

#[test]
fn export_secrets_to_a_file_is_0600_and_the_same_json() {
    use std::os::unix::fs::PermissionsExt;
    let s = Site::new();
    s.init();
    let backup = s.path("backup.json");
    s.cmd()
        .args(["export", "--secrets", "-o"])
        .arg(&backup)
        .ok();
    let mode = fs::metadata(&backup).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let printed = s.cmd().args(["export", "--secrets"]).ok().stdout;
    assert_eq!(fs::read_to_string(&backup).unwrap(), printed);
    assert!(printed.contains("\"private_key\""));
}
