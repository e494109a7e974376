//! The command line: turns arguments into library calls and prints results.
//!
//! Exit codes: 0 success, 1 a finding, 2 bad input or usage (and nothing was
//! written: every command checks all input before its first write), 3 the
//! host failed.

mod apply;
mod args;
mod audit;
mod camera;
mod export;
mod import;
mod init;
mod output;
mod peer;
#[cfg(feature = "laptop")]
mod probe;
mod render;
mod site;
mod status;
mod sync;
mod template;

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::Result;
use camvpn::store::SiteDir;
use clap::Parser;

use self::args::{Cli, Command};
pub use self::output::Out;

/// What a successful command found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to report.
    Done,
    /// A finding (exit 1): audit found an exposed camera.
    Finding,
}

/// Runs camvpn and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            #[cfg(not(feature = "laptop"))]
            if let Some(cmd) = laptop_only(&e) {
                eprintln!(
                    "error: 'camvpn {cmd}' is not in this build: a router build leaves out what only a laptop needs ({}); run it on a laptop",
                    LAPTOP_ONLY.join(", ")
                );
                return 2;
            }
            // clap prints usage errors to stderr with exit 2, help to stdout with 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let out = Out::new(&cli.global);
    match run(cli, &out) {
        Ok(Outcome::Done) => 0,
        Ok(Outcome::Finding) => 1,
        // A reader that stopped reading (`| head`): quietly, as a shell
        // expects of a command its pipe closed on.
        Err(e) if closed_pipe(&e) => 141,
        Err(e) => {
            let (text, code) = (message(&e), exit_code(&e));
            eprintln!("error: {text}");
            // Scripts that asked for JSON get the error as JSON too.
            if out.json {
                let _ = out.print_json(&serde_json::json!({ "error": text, "exit_code": code }));
            }
            code
        }
    }
}

/// The commands a build without the `laptop` feature leaves out.
#[cfg(not(feature = "laptop"))]
const LAPTOP_ONLY: [&str; 3] = ["probe", "man", "completions"];

/// The left-out command the user asked for, if that is what clap refused.
#[cfg(not(feature = "laptop"))]
fn laptop_only(e: &clap::Error) -> Option<&'static str> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    match e.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(s)) => LAPTOP_ONLY.into_iter().find(|c| c == s),
        _ => None,
    }
}

/// Whether `e` is a write to a closed pipe.
fn closed_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        let kind = c
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| c.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes, each said once: a cause that its error's own
/// message already holds (`cannot read F: No such file…`) is not repeated.
fn message(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn exit_code(e: &anyhow::Error) -> i32 {
    e.chain()
        .find_map(|c| c.downcast_ref::<camvpn::Error>())
        .map_or(3, |e| if e.is_input() { 2 } else { 3 })
}

fn run(cli: Cli, out: &Out) -> Result<Outcome> {
    let dir = SiteDir::new(site_dir(cli.global.dir));
    match cli.command {
        Command::Init(a) => init::run(&dir, a, out),
        Command::Camera(c) => camera::run(&dir, c, out),
        Command::Peer(c) => peer::run(&dir, c, out),
        Command::Site(c) => site::run(&dir, c, out),
        Command::Render(a) => render::run(&dir, &a, out),
        Command::Apply(a) => apply::run(&dir, &a, out),
        Command::Audit(a) => audit::run(&dir, &a, out),
        Command::Export(a) => export::run(&dir, &a, out),
        Command::Import(a) => import::run(&dir, a, out),
        #[cfg(feature = "laptop")]
        Command::Probe(a) => probe::run(&dir, &a, out),
        Command::Status => status::run(&dir, out),
        Command::Sync(a) => sync::run(&dir, &a, out),
        Command::Template(a) => template::run(&dir, &a, out),
        #[cfg(feature = "laptop")]
        Command::Completions { shell } => Ok(template::completions(shell)),
        #[cfg(feature = "laptop")]
        Command::Man => template::man(),
    }
}

/// `--dir`, else `$CAMVPN_DIR` (clap reads it), else `/etc/camvpn` for root,
/// else `./camvpn`.
fn site_dir(flag: Option<PathBuf>) -> PathBuf {
    flag.unwrap_or_else(|| {
        if rustix::process::geteuid().is_root() {
            PathBuf::from("/etc/camvpn")
        } else {
            PathBuf::from("camvpn")
        }
    })
}

/// A switch from a flag that turns it on and one that turns it off.
fn on_or_off(on: bool, off: bool) -> Option<bool> {
    match (on, off) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

/// Whether standard output is a terminal.
fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}
