//! Printing: data on standard output (a table, or JSON with --json), notes and
//! warnings on standard error.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::args::Global;

/// Where and how much to print.
pub struct Out {
    /// Data as JSON.
    pub json: bool,
    quiet: bool,
    verbose: bool,
}

impl Out {
    pub fn new(g: &Global) -> Self {
        Out {
            json: g.json,
            quiet: g.quiet,
            verbose: g.verbose,
        }
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
