//! Helpers: a site in a temp dir, the real binary, the real tools.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_camvpn");

/// `init` of a bare Linux site: no cameras, no peers.
pub const INIT: &[&str] = &[
    "init",
    "--platform",
    "linux",
    "--endpoint",
    "vpn.example.net",
    "--wan-if",
    "eth0",
    "--lan-if",
    "br0",
];

/// A site directory in a fresh temp dir.
pub struct Site {
    pub tmp: tempfile::TempDir,
}

impl Site {
    pub fn new() -> Self {
        Site {
            tmp: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// The site directory (not created until `init`).
    pub fn dir(&self) -> PathBuf {
        self.tmp.path().join("site")
    }

    /// A path inside the temp dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    /// camvpn with `--dir` set to this site.
    pub fn cmd(&self) -> Cmd {
        let mut c = Cmd::new();
        c.0.arg("--dir").arg(self.dir());
        c
    }

    /// `init` with the demo site of the README: two cameras, one peer.
    pub fn init(&self) -> &Self {
        self.init_at("vpn.example.net")
    }

    /// The demo site with another endpoint (an IP, where a real tool would
    /// have to resolve the name).
    pub fn init_at(&self, endpoint: &str) -> &Self {
        self.init_demo("linux", endpoint)
    }

    /// The demo site of the README on `platform`: two cameras, one peer
    /// (Linux with its interfaces; routers know theirs).
    pub fn init_demo(&self, platform: &str, endpoint: &str) -> &Self {
        let interfaces: &[&str] = if platform == "linux" {
            &["--wan-if", "eth0", "--lan-if", "br0"]
        } else {
            &[]
        };
        self.cmd()
            .args(["init", "--platform", platform, "--endpoint", endpoint])
            .args(interfaces)
            .args([
                "--camera",
                "driveway=192.168.1.108:dahua",
                "--camera",
                "nvr=192.168.1.20:hikvision",
                "--peer",
                "phone",
            ])
            .ok();
        self
    }

    /// A site of `phones` phones and `cameras` hikvision cameras in four
    /// access lists: every camera; the first half; the second half; every
    /// camera's RTSP only (the phones split evenly, the rest in the last).
    pub fn init_big(&self, platform: &str, phones: u32, cameras: u32) -> &Self {
        let mut init: Vec<String> = ["init", "--platform", platform, "--endpoint", "203.0.113.1"]
            .map(String::from)
            .to_vec();
        if platform == "linux" {
            init.extend(["--wan-if", "eth0", "--lan-if", "br0"].map(String::from));
        }
        for i in 1..=cameras {
            init.push("--camera".into());
            init.push(format!("c{i}=192.168.1.{}:hikvision", 100 + i));
        }
        self.cmd().args(&init).ok();
        let names = |r: std::ops::RangeInclusive<u32>| {
            r.map(|i| format!("c{i}")).collect::<Vec<_>>().join(",")
        };
        let q = phones / 4;
        let half = cameras / 2;
        for (prefix, count, access) in [
            ("a", q, vec![]),
            ("b", q, vec!["--cameras".to_owned(), names(1..=half)]),
            (
                "c",
                q,
                vec!["--cameras".to_owned(), names(half + 1..=cameras)],
            ),
            (
                "d",
                phones - 3 * q,
                vec!["--only".to_owned(), "rtsp".to_owned()],
            ),
        ] {
            if count == 0 {
                continue;
            }
            self.cmd()
                .args(["peer", "add", "--no-qr", "--prefix", prefix, "--count"])
                .arg(count.to_string())
                .args(&access)
                .ok();
        }
        self
    }

    pub fn site_toml(&self) -> String {
        fs::read_to_string(self.dir().join("site.toml")).expect("site.toml")
    }

    /// `render --out OUT` and the output directory.
    pub fn render(&self, extra: &[&str]) -> PathBuf {
        let out = self.path("out");
        self.cmd()
            .arg("render")
            .arg("--out")
            .arg(&out)
            .args(extra)
            .ok();
        out
    }

    /// Every file below the site directory with its bytes and mode, to prove
    /// that a failed command changed nothing.
    pub fn files(&self) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
        files_below(&self.dir())
    }
}

pub fn files_below(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).expect("metadata");
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(p.clone(), (Vec::new(), mode));
                stack.push(p);
            } else {
                out.insert(p.clone(), (fs::read(&p).unwrap_or_default(), mode));
            }
        }
    }
    out
}

/// A camvpn invocation.
pub struct Cmd(pub Command);

/// What a command did.
pub struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Cmd {
    pub fn new() -> Self {
        let mut c = Command::new(BIN);
        c.env_remove("CAMVPN_DIR").stdin(Stdio::null());
        Cmd(c)
    }

    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.0.arg(a);
        self
    }

    pub fn args<I, S>(mut self, a: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.0.args(a);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.0.env(k, v);
        self
    }

    pub fn run(mut self) -> Ran {
        let Output {
            status,
            stdout,
            stderr,
        } = self.0.output().expect("run camvpn");
        Ran {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    /// Runs and expects exit 0.
    pub fn ok(self) -> Ran {
        let r = self.run();
        assert_eq!(
            r.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        );
        r
    }

    /// Runs and expects exit `code`.
    pub fn fails(self, code: i32) -> Ran {
        let r = self.run();
        assert_eq!(
            r.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            r.stdout, r.stderr
        );
        r
    }
}

/// Runs a real tool; panics with its output when it fails.
pub fn tool(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (scripts/test.sh installs the tools)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether tests that need root (namespaces, wireguard-go) can run; see
/// [`skip`] for when they cannot.
pub fn root_or_skip(test: &str) -> bool {
    if rustix_is_root() {
        return true;
    }
    skip(test, "needs root (network namespaces, wireguard-go)");
    false
}

/// Says that `test` did not run and `why`: on stderr (which the test runner
/// hides), and as a line of `$CAMVPN_SKIP_LOG`, which `scripts/test.sh`
/// counts at the end.
pub fn skip(test: &str, why: &str) {
    eprintln!("\n*** SKIPPED {test}: {why}; run scripts/test.sh as root ***\n");
    if let Some(log) = std::env::var_os("CAMVPN_SKIP_LOG") {
        let line = format!("{test}: {why}\n");
        let appended = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .and_then(|mut f| std::io::Write::write_all(&mut f, line.as_bytes()));
        appended.expect("CAMVPN_SKIP_LOG is writable");
    }
}

/// An OpenWrt router for the tests: its `/etc/config` in a directory,
/// driven by the uci model (`tests/tools/uci`, written from uci's
/// documentation: OpenWrt's own uci is in no registry the tests reach), and
/// stand-ins for `ubus` and `fw4` that log their calls.
pub struct Router {
    pub cfg: PathBuf,
    tools: PathBuf,
}

/// The folder of the uci model.
const UCI_MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tools");
/// A stock OpenWrt config with old port forwards.
pub const OPENWRT_STOCK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt");

impl Router {
    /// A router with the stock config (and its old port forwards) in the
    /// folder `name` of the site's temp dir.
    pub fn stock(s: &Site, name: &str) -> Self {
        let cfg = s.path(name);
        fs::create_dir_all(&cfg).unwrap();
        for f in ["network", "firewall", "system", "upnpd"] {
            fs::copy(Path::new(OPENWRT_STOCK).join(f), cfg.join(f)).unwrap();
        }
        let tools = s.path(&format!("{name}-tools"));
        fs::create_dir_all(&tools).unwrap();
        for t in ["ubus", "fw4"] {
            let p = tools.join(t);
            fs::write(
                &p,
                format!(
                    "#!/bin/sh\necho \"{t} $*\" >> '{}'\n",
                    tools.join("log").display()
                ),
            )
            .unwrap();
            fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        Router { cfg, tools }
    }

    /// The router's `uci` with `args`; its output (it must succeed).
    pub fn uci(&self, args: &[&str]) -> String {
        tool(
            Command::new(Path::new(UCI_MODEL).join("uci"))
                .args(args)
                .env("UCI_CONFIG_DIR", &self.cfg),
        )
    }

    /// `uci -q get KEY`: `None` where there is no such entry.
    pub fn get(&self, key: &str) -> Option<String> {
        let out = Command::new(Path::new(UCI_MODEL).join("uci"))
            .args(["-q", "get", key])
            .env("UCI_CONFIG_DIR", &self.cfg)
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    }

    /// `uci batch` of `text` (as a person would feed camvpn.uci to it).
    pub fn batch(&self, text: &str) -> String {
        let mut child = Command::new(Path::new(UCI_MODEL).join("uci"))
            .arg("batch")
            .env("UCI_CONFIG_DIR", &self.cfg)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), text.as_bytes()).unwrap();
        let done = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&done.stderr).into_owned()
    }

    /// Runs a script on the router as its owner would (`sh FILE` under
    /// `BusyBox` ash), with the router's `uci`, `ubus` and `fw4` first on PATH.
    pub fn run(&self, script: &Path) -> Ran {
        let out = Command::new("busybox")
            .arg("sh")
            .arg(script)
            .env(
                "PATH",
                format!(
                    "{}:{UCI_MODEL}:{}",
                    self.tools.display(),
                    std::env::var("PATH").unwrap()
                ),
            )
            .env("UCI_CONFIG_DIR", &self.cfg)
            .output()
            .expect("busybox sh (scripts/test.sh installs it)");
        Ran {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// What the router's reload stand-ins were called with, and forgets it.
    pub fn reloads(&self) -> String {
        let log = self.tools.join("log");
        let text = fs::read_to_string(&log).unwrap_or_default();
        let _ = fs::remove_file(log);
        text
    }

    /// A copy of the router's `/etc/config`, as an installer takes it to a
    /// laptop (`scp -r root@router:/etc/config`).
    pub fn copy(&self, s: &Site, name: &str) -> PathBuf {
        let to = s.path(name);
        let _ = fs::remove_dir_all(&to);
        fs::create_dir_all(&to).unwrap();
        for e in fs::read_dir(&self.cfg).unwrap().flatten() {
            if !e.file_name().to_string_lossy().starts_with('.') {
                fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
        to
    }

    /// A config file of the router.
    pub fn file(&self, name: &str) -> String {
        fs::read_to_string(self.cfg.join(name)).unwrap()
    }
}

fn rustix_is_root() -> bool {
    // The test binary has no rustix dependency of its own: ask id(1).
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Decodes a QR image with zbarimg; returns the payload exactly (zbarimg
/// appends one newline of its own, which is removed). Only QR codes are
/// looked for, as a phone's WireGuard app does: with every symbology on,
/// zbar now and then also reads a GS1 `DataBar` out of a big code's modules
/// and prints it as a second line.
pub fn zbar(image: &Path) -> String {
    let out = tool(
        Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(image),
    );
    out.strip_suffix('\n').unwrap_or(&out).to_owned()
}

/// Converts an SVG to PNG with librsvg, for zbarimg.
pub fn svg_to_png(svg: &Path, png: &Path) {
    tool(Command::new("rsvg-convert").arg("-o").arg(png).arg(svg));
}

/// The value of `key = value` lines in a wg-quick config.
pub fn conf_value(conf: &str, key: &str) -> Option<String> {
    conf.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_owned())
    })
}

/// A base64 key filter for snapshots.
pub fn key_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"[A-Za-z0-9+/]{43}=", "[KEY]"),
        (r"camvpn \d+\.\d+\.\d+", "camvpn [VERSION]"),
    ]
}

/// Unique short names for namespaces and interfaces (≤ 15 characters).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// A network namespace that is deleted, with every process in it, on drop.
pub struct Netns {
    pub name: String,
    sockets: Vec<String>,
}

impl Netns {
    pub fn new(prefix: &str) -> Self {
        let name = unique(prefix);
        tool(Command::new("ip").args(["netns", "add", &name]));
        tool(Command::new("ip").args(["-n", &name, "link", "set", "lo", "up"]));
        Netns {
            name,
            sockets: Vec::new(),
        }
    }

    /// A command run inside the namespace.
    pub fn exec(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Starts wireguard-go for `iface` and waits (at most 5 s) for its
    /// control socket.
    pub fn wireguard_go(&mut self, iface: &str) {
        tool(self.exec("wireguard-go").arg(iface));
        self.sockets.push(iface.to_owned());
        let sock = Path::new("/var/run/wireguard").join(format!("{iface}.sock"));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !sock.exists() {
            assert!(
                std::time::Instant::now() < deadline,
                "wireguard-go did not create {}",
                sock.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Ok(out) = Command::new("ip")
            .args(["netns", "pids", &self.name])
            .output()
        {
            for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                let _ = Command::new("kill").arg("-9").arg(pid).status();
            }
        }
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        for s in &self.sockets {
            let _ = fs::remove_file(format!("/var/run/wireguard/{s}.sock"));
        }
    }
}
