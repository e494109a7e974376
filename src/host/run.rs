//! Running commands on the host: each change is reported before it is made,
//! and a dry run reports without making it.

use std::fs;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use super::Event;
use crate::error::{Error, Result};
use crate::store::write_file;
use crate::targets::templates::shell_quote;

/// The host `apply` changes, and where it reports what it does.
pub(super) struct Host<'a> {
    pub(super) dry_run: bool,
    pub(super) report: &'a mut dyn FnMut(Event),
    /// Whether the host is now other than before: a file's bytes, a sysctl,
    /// an interface brought up, the firewall's rules (not set in dry runs).
    pub(super) changed: bool,
}

fn show(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| {
            if a.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@".contains(c))
            {
                (*a).to_owned()
            } else {
                shell_quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'a> Host<'a> {
    /// A host that reports to `report`, and changes nothing in a dry run.
    pub(super) fn new(dry_run: bool, report: &'a mut dyn FnMut(Event)) -> Self {
        Host {
            dry_run,
            report,
            changed: false,
        }
    }

    /// Runs a command that reads state (also in dry runs).
    pub(super) fn probe(argv: &[&str]) -> Option<std::process::Output> {
        Command::new(argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .output()
            .ok()
    }

    /// What a command that reads state printed, when it succeeded (to
    /// compare the host before and after a change).
    pub(super) fn state(argv: &[&str]) -> Option<Vec<u8>> {
        Self::probe(argv)
            .filter(|o| o.status.success())
            .map(|o| o.stdout)
    }

    /// Records that the host changed when `changed` (never in a dry run,
    /// which changes nothing).
    pub(super) fn mark_changed(&mut self, changed: bool) {
        self.changed |= changed && !self.dry_run;
    }

    /// Runs a command that changes the host.
    pub(super) fn run(&mut self, argv: &[&str]) -> Result<Captured> {
        (self.report)(Event::Action(format!("run: {}", show(argv))));
        if self.dry_run {
            return Ok(Captured::default());
        }
        exec(argv, None)
    }

    /// Runs a command with `input` (shown as `name`) on its standard input.
    pub(super) fn run_input(
        &mut self,
        argv: &[&str],
        input: &[u8],
        name: &str,
    ) -> Result<Captured> {
        (self.report)(Event::Action(format!("run: {} < {name}", show(argv))));
        if self.dry_run {
            return Ok(Captured::default());
        }
        exec(argv, Some(input))
    }

    pub(super) fn write(&mut self, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
        (self.report)(Event::Action(format!(
            "write: {} (mode {mode:o})",
            path.display()
        )));
        if self.dry_run {
            return Ok(());
        }
        self.mark_changed(fs::read(path).ok().as_deref() != Some(bytes));
        crate::store::make_dir(path.parent().unwrap_or(Path::new("/")), 0o700)?;
        write_file(path, bytes, mode)
    }

    pub(super) fn remove(&mut self, path: &Path) -> Result<()> {
        if !path.exists() {
            return Ok(());
        }
        (self.report)(Event::Action(format!("remove: {}", path.display())));
        if self.dry_run {
            return Ok(());
        }
        self.mark_changed(true);
        fs::remove_file(path).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

fn failed(argv: &[&str], out: &std::process::Output) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let msg = if stderr.trim().is_empty() {
        stdout.trim()
    } else {
        stderr.trim()
    };
    Error::Failed(format!("`{}` failed ({}): {msg}", show(argv), out.status))
}

fn spawn_error(argv: &[&str], e: &std::io::Error) -> Error {
    let hint = match argv[0] {
        "nft" => " (install nftables, or use --firewall iptables)",
        "iptables" | "ip6tables" | "iptables-restore" | "ip6tables-restore" | "iptables-save"
        | "ip6tables-save" => " (install iptables, or use --firewall nft)",
        "wg" | "wg-quick" => " (install wireguard-tools)",
        _ => "",
    };
    Error::Failed(format!("cannot run {}: {e}{hint}", argv[0]))
}

/// What a command printed.
#[derive(Default)]
pub(super) struct Captured {
    pub(super) stdout: String,
    pub(super) stderr: String,
}

/// Runs a command, with `input` on its standard input when given.
pub(super) fn exec(argv: &[&str], input: Option<&[u8]>) -> Result<Captured> {
    let mut child = Command::new(argv[0])
        .args(&argv[1..])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(argv, &e))?;
    if let Some(input) = input {
        // A failed write shows up as the command's failure below.
        let _ = child.stdin.take().expect("piped").write_all(input);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| spawn_error(argv, &e))?;
    if !out.status.success() {
        return Err(failed(argv, &out));
    }
    Ok(Captured {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}
