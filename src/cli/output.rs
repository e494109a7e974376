//! Printing: data on standard output (a table, or JSON with --json), notes and
//! warnings on standard error.

use std::fmt::Write as _;
#[cfg(feature = "laptop")]
use std::io::IsTerminal;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Result;
use camvpn::ops::{Notice, Notices, Progress};
use camvpn::targets::templates::Templates;
#[cfg(feature = "laptop")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::args::Global;

/// Where and how much to print, and the global options every command
/// shares (the template overrides).
pub struct Out {
    /// Data as JSON.
    pub json: bool,
    quiet: bool,
    verbose: bool,
    templates: Option<PathBuf>,
}

/// Work of at least this many items shows a progress bar on a terminal.
#[cfg(feature = "laptop")]
const PROGRESS_FROM: u64 = 50;

/// A progress bar that an operation drives (none in a build without the
/// `laptop` feature: a router's shell needs none).
pub struct Bar {
    #[cfg(feature = "laptop")]
    bar: ProgressBar,
    #[cfg(feature = "laptop")]
    may_show: bool,
}

impl Bar {
    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        #[cfg(feature = "laptop")]
        self.bar.finish_and_clear();
    }
}

#[cfg(feature = "laptop")]
impl Progress for Bar {
    fn start(&self, total: u64) {
        self.bar.set_length(total);
        if self.may_show && total >= PROGRESS_FROM {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn inc(&self) {
        self.bar.inc(1);
    }
}

#[cfg(not(feature = "laptop"))]
impl Progress for Bar {
    fn start(&self, _total: u64) {}

    fn inc(&self) {}
}

impl Out {
    pub fn new(g: &Global) -> Self {
        Out {
            json: g.json,
            quiet: g.quiet,
            verbose: g.verbose,
            templates: g.templates.clone(),
        }
    }

    /// The templates, with the user's overrides (--templates).
    pub fn templates(&self) -> camvpn::Result<Templates> {
        Templates::new(self.templates.as_deref())
    }

    /// A progress bar for `what`, shown on standard error when it is a
    /// terminal and the work turns out to be long; hidden otherwise.
    #[cfg(feature = "laptop")]
    pub fn progress(&self, what: &str) -> Arc<Bar> {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_owned());
        Arc::new(Bar {
            bar,
            may_show: !self.quiet && std::io::stderr().is_terminal(),
        })
    }

    /// No progress bar: this build has none.
    #[cfg(not(feature = "laptop"))]
    pub fn progress(&self, _what: &str) -> Arc<Bar> {
        Arc::new(Bar {})
    }

    /// Prints what an operation said: notes unless --quiet, warnings always.
    pub fn notices(&self, notices: &Notices) {
        for n in &notices.0 {
            match n {
                Notice::Note(s) => self.note(s),
                Notice::Warning(s) => self.warn(s),
            }
        }
    }

    /// Whether --quiet was given.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Whether --verbose was given.
    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// A note for people, unless --quiet.
    pub fn note(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// A detail shown with --verbose.
    pub fn detail(&self, msg: impl AsRef<str>) {
        if self.verbose {
            eprintln!("{}", msg.as_ref());
        }
    }

    /// A warning, always shown.
    pub fn warn(&self, msg: impl AsRef<str>) {
        eprintln!("warning: {}", msg.as_ref());
    }

    /// Text on standard output, as it is.
    pub fn print(&self, text: &str) -> Result<()> {
        std::io::stdout().lock().write_all(text.as_bytes())?;
        Ok(())
    }

    /// Data as pretty JSON on standard output.
    pub fn print_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut stdout, value)?;
        writeln!(stdout)?;
        Ok(())
    }

    /// Rows as an aligned table on standard output.
    pub fn print_table(&self, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut stdout = std::io::stdout().lock();
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut s = String::new();
            for (i, (cell, w)) in cells.zip(&widths).enumerate() {
                if i + 1 == widths.len() {
                    s.push_str(cell);
                } else {
                    let _ = write!(s, "{cell:<w$}  ");
                }
            }
            s.trim_end().to_owned()
        };
        writeln!(stdout, "{}", line(&mut header.iter().copied()))?;
        for row in rows {
            writeln!(stdout, "{}", line(&mut row.iter().map(String::as_str)))?;
        }
        Ok(())
    }
}
