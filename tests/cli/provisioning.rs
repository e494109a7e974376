//! Provisioning: export, user templates, template overrides, bulk creation,
//! completions and the man page.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::common::{Cmd, INIT, Site, tool};

/// Maps keyed by a camera's name: their keys are data, not fields.
const BY_NAME: [&str; 2] = ["peers.ports", "peers.streams"];

/// Every key path of a JSON value (`peers.name`, `policy.v4.access.port`).
fn keys(v: &serde_json::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) if BY_NAME.contains(&prefix) => {
            for v in m.values() {
                keys(v, prefix, out);
            }
        }
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                keys(v, &path, out);
            }
        }
        serde_json::Value::Array(a) => {
            for v in a {
                keys(v, prefix, out);
            }
        }
        _ => {}
    }
}

/// The whole paths docs/template-context.md documents. Under a heading
/// `` ## `cameras` `` a row `` `ip` `` documents `cameras.ip`; a name with a
/// dot is a whole path already; `….x` is `x` under `policy.v4` and
/// `policy.v6`; names after a colon in a row's meaning are its fields
/// (`` `ports` | its ports (list): `port` `` documents `cameras.ports.port`).
fn documented_paths(doc: &str) -> BTreeSet<String> {
    let ticked =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    let mut out = BTreeSet::new();
    let mut section = String::new();
    for line in doc.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = ticked(h).into_iter().next().unwrap_or_default();
            if !section.is_empty() {
                out.insert(section.clone());
            }
            continue;
        }
        let cells: Vec<&str> = line.split('|').collect();
        if section.is_empty() || cells.len() < 4 || !line.starts_with('|') {
            continue;
        }
        let paths: Vec<String> = ticked(cells[1])
            .iter()
            .flat_map(|name| -> Vec<String> {
                if let Some(rest) = name.strip_prefix("….") {
                    vec![format!("policy.v4.{rest}"), format!("policy.v6.{rest}")]
                } else if name.contains('.') {
                    vec![name.clone()]
                } else {
                    vec![format!("{section}.{name}")]
                }
            })
            .collect();
        if let Some((_, fields)) = cells[2].split_once(':') {
            for f in ticked(fields) {
                if f.contains('.') {
                    out.insert(f);
                } else {
                    out.extend(paths.iter().map(|p| format!("{p}.{f}")));
                }
            }
        }
        out.extend(paths);
    }
    out
}

#[test]
fn every_field_of_the_context_is_documented() {
    let s = Site::new();
    s.cmd()
        .args(INIT)
        .args([
            "--subnet6",
            "fd66::/64",
            "--dns",
            "192.168.1.5",
            "--camera",
            "a=192.168.1.10:dahua",
            "--peer",
            "p",
            "--relay",
            "relay.example.net:443",
        ])
        .ok();
    s.cmd()
        .args([
            "peer",
            "add",
            "ft",
            "--full-tunnel",
            "--mtu",
            "1400",
            "--keepalive",
            "25",
        ])
        .ok();
    s.cmd()
        .args([
            "camera",
            "set",
            "a",
            "--internet",
            "on",
            "--ip6",
            "2001:db8::10",
        ])
        .ok();
    let v: serde_json::Value =
        serde_json::from_str(&s.cmd().args(["export", "--secrets"]).ok().stdout).unwrap();
    let mut all = BTreeSet::new();
    keys(&v, "", &mut all);
    let doc = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/template-context.md"
    ))
    .unwrap();
    let documented = documented_paths(&doc);
    let missing: Vec<&String> = all
        .iter()
        .filter(|path| !documented.contains(*path))
        .collect();
    assert!(
        missing.is_empty(),
        "fields of the context not in docs/template-context.md: {missing:?}"
    );
}

#[test]
fn a_user_template_sees_the_context_and_fails_on_typos_with_the_line() {
    let s = Site::new();
    s.init();
    let t = s.path("mail.j2");
    fs::write(&t, "Hello {{ peer.name }},\n{% for c in cameras %}{{ c.name }} {{ c.rtsp_url }}\n{% endfor %}key {{ peer.private_key }}\n").unwrap();
    let out = s.path("mail.txt");
    s.cmd()
        .arg("template")
        .arg(&t)
        .args(["--peer", "phone", "-o"])
        .arg(&out)
        .ok();
    let text = fs::read_to_string(&out).unwrap();
    let key = fs::read_to_string(s.dir().join("keys/peer-phone.key")).unwrap();
    assert_eq!(
        text,
        format!(
            "Hello phone,\ndriveway rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0\nnvr rtsp://192.168.1.20:554/Streaming/Channels/101\nkey {}\n",
            key.trim()
        )
    );
    assert_eq!(
        fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    fs::write(
        &t,
        "fine\n{% for c in cameras %}\n{{ c.nmae }}\n{% endfor %}\n",
    )
    .unwrap();
    let r = s.cmd().arg("template").arg(&t).fails(2);
    assert!(
        r.stderr.contains(&t.display().to_string())
            && r.stderr.contains("line 3")
            && r.stderr.contains("nmae"),
        "{}",
        r.stderr
    );
    fs::write(&t, "{% for %}\n").unwrap();
    let r = s.cmd().arg("template").arg(&t).fails(2);
    assert!(r.stderr.contains("line 1"), "{}", r.stderr);
    s.cmd()
        .arg("template")
        .arg(&t)
        .args(["--peer", "ghost"])
        .fails(2);
}

#[test]
fn templates_dir_overrides_a_built_in_template_by_name() {
    let s = Site::new();
    s.init();
    let dir = s.path("tpl");
    fs::create_dir_all(dir.join("common")).unwrap();
    fs::write(dir.join("common/peer.conf.j2"), "# phone config for {{ peer.name }}\n[Interface]\nPrivateKey = {{ peer.private_key }}\nAddress = {{ peer.addresses | join(\", \") }}\n").unwrap();
    let out = s.path("out");
    s.cmd()
        .arg("--templates")
        .arg(&dir)
        .arg("render")
        .arg("--out")
        .arg(&out)
        .ok();
    assert!(
        fs::read_to_string(out.join("peers/phone.conf"))
            .unwrap()
            .starts_with("# phone config for phone\n")
    );
    // Environment variable too, and peer show uses it.
    let shown = s
        .cmd()
        .env("CAMVPN_TEMPLATES", &dir)
        .args(["peer", "show", "phone", "--config"])
        .ok();
    assert!(shown.stdout.starts_with("# phone config for phone\n"));
    // A misspelt override is an error, not silently ignored.
    fs::write(dir.join("common/peer.cnf.j2"), "x").unwrap();
    let r = s
        .cmd()
        .arg("--templates")
        .arg(&dir)
        .arg("render")
        .arg("--out")
        .arg(s.path("out2"))
        .fails(2);
    assert!(
        r.stderr.contains("common/peer.cnf.j2") && r.stderr.contains("common/peer.conf.j2"),
        "{}",
        r.stderr
    );
    fs::remove_file(dir.join("common/peer.cnf.j2")).unwrap();
    fs::write(dir.join("common/peer.conf.j2"), "ok\n{{ peer.oops }}\n").unwrap();
    let r = s
        .cmd()
        .arg("--templates")
        .arg(&dir)
        .arg("render")
        .arg("--out")
        .arg(s.path("out3"))
        .fails(2);
    assert!(
        r.stderr.contains("common/peer.conf.j2") && r.stderr.contains("line 2"),
        "{}",
        r.stderr
    );
    assert!(!s.path("out3").exists());
}

#[test]
fn bulk_add_with_count_and_prefix_in_one_process() {
    let s = Site::new();
    s.init();
    let r = s
        .cmd()
        .args([
            "peer",
            "add",
            "--count",
            "60",
            "--prefix",
            "guest",
            "--cameras",
            "nvr",
        ])
        .ok();
    assert_eq!(r.stdout.lines().count(), 60);
    let peers: Vec<serde_json::Value> =
        serde_json::from_str(&s.cmd().args(["peer", "list", "--json"]).ok().stdout).unwrap();
    assert_eq!(peers.len(), 61);
    assert_eq!(peers[60]["name"], "guest60");
    assert_eq!(peers[60]["address"], "10.66.0.62");
    let before = s.files();
    let r = s
        .cmd()
        .args(["peer", "add", "--count", "2", "--prefix", "guest"])
        .fails(2);
    assert!(
        r.stderr.contains("peer 'guest1' already exists"),
        "{}",
        r.stderr
    );
    s.cmd()
        .args(["peer", "add", "x", "--count", "2", "--prefix", "y"])
        .fails(2);
    s.cmd().args(["peer", "add", "--count", "2"]).fails(2);
    assert_eq!(before, s.files());
    // --quiet keeps a provisioning script's output clean.
    let r = s
        .cmd()
        .args(["--quiet", "peer", "add", "--count", "3", "--prefix", "q"])
        .ok();
    assert_eq!(r.stdout, "");
    assert!(s.dir().join("keys/peer-q3.key").exists());
}

#[test]
fn completions_and_man_page_come_from_the_cli_definition() {
    let bash = Cmd::new().args(["completions", "bash"]).ok().stdout;
    let f = tempfile::NamedTempFile::new().unwrap();
    fs::write(f.path(), &bash).unwrap();
    tool(Command::new("bash").arg("-n").arg(f.path()));
    for sub in ["audit", "import-forwards", "apply", "--dry-run"] {
        assert!(bash.contains(sub), "{sub} not in the completions");
    }
    for shell in ["zsh", "fish"] {
        assert!(
            !Cmd::new()
                .args(["completions", shell])
                .ok()
                .stdout
                .is_empty()
        );
    }
    let man = Cmd::new().arg("man").ok().stdout;
    assert!(man.contains(".TH camvpn 1"));
    fs::write(f.path(), &man).unwrap();
    let rendered = tool(Command::new("nroff").args(["-man"]).arg(f.path()));
    assert!(
        rendered.contains("camvpn") && rendered.contains("audit"),
        "{rendered}"
    );
}
